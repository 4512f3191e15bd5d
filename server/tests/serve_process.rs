//! The real `padlock-server serve` process: what survives a crash or a shutdown, and how it
//! lives with the open-file limit.
//!
//! docs/protocol.md section 10 promises that a replay of a granted sign-in is never granted
//! again. These tests record message 1s whose `Granted` the device received, kill the gateway
//! (SIGKILL right after the last reply, or SIGTERM), start it again on the same database, and
//! replay every recording: none may get a reply.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::process::{Serving, replay};

use padlock_protocol::session::{ReplyStatus, write_status};
use padlock_protocol::{
    DeviceInfo, DeviceKind, Password, PublicKey, Request, Response, StaticKeypair,
};
use padlock_server::serve::client::PreparedRequest;
use padlock_server::{Gateway, GatewayConfig, UnixMillis};
use rand_core::OsRng;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

const EMAIL: &str = "player@example.com";
const LIMIT: Duration = Duration::from_secs(10);

/// A database with one two-step account and one app password; its key and the app password.
fn database(dir: &Path) -> (PathBuf, PublicKey, String) {
    let db = dir.join("gateway.db");
    let gateway = Gateway::open(&db, GatewayConfig::default().fast_hashing()).unwrap();
    gateway
        .add_account(EMAIL, "Player One", "correct horse battery", true)
        .unwrap();
    let app = gateway
        .create_app_password(EMAIL, "Xbox 360", UnixMillis::now())
        .unwrap();
    (db, gateway.public_key(), app.formatted.clone())
}

fn sign_in(app_password: &str) -> Request {
    Request::SignIn {
        account: EMAIL.try_into().unwrap(),
        password: Password::new(app_password).unwrap(),
        remember: true,
        device: DeviceInfo {
            kind: DeviceKind::Xbox360,
            model: "Xbox 360 S".try_into().unwrap(),
            firmware: "2.0.17559.0".try_into().unwrap(),
        },
    }
}

/// `count` sign-ins, eight at a time, each from its own device; returns their request frames,
/// each of which was answered `Granted`.
async fn granted_recordings(
    addr: SocketAddr,
    key: PublicKey,
    app_password: &str,
    count: usize,
) -> Vec<Vec<u8>> {
    // Requests borrow their device's key; the handful of keys a test makes are leaked.
    let devices: &'static [StaticKeypair] = Vec::leak(
        (0..count)
            .map(|i| StaticKeypair::derive_from_device_secret(&[i as u8 + 1; 32]).unwrap())
            .collect(),
    );
    let request = sign_in(app_password);
    let mut recorded = Vec::new();
    for chunk in devices.chunks(8) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|device| {
                let prepared = PreparedRequest::new(device, key, &request, &mut OsRng).unwrap();
                let frame = prepared.frame().to_vec();
                tokio::spawn(async move { (frame, prepared.send(addr, LIMIT).await) })
            })
            .collect();
        for task in tasks {
            let (frame, response) = task.await.unwrap();
            assert!(
                matches!(response, Ok(Response::Granted { .. })),
                "{response:?}"
            );
            recorded.push(frame);
        }
    }
    recorded
}

/// Records `count` granted sign-ins, stops the gateway with `signal` right after the last
/// reply, starts it again and replays every recording: how many got a reply.
async fn replies_to_replays_after(signal: &str, count: usize) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, app_password) = database(dir.path());
    let serving = Serving::on(&db);
    let recorded = granted_recordings(serving.addr, key, &app_password, count).await;
    let log = serving.stop(signal).1;
    if signal == "-TERM" {
        assert!(log.contains("stopped"), "a clean stop: {log}");
    }
    let again = Serving::on(&db);
    let mut answered = 0;
    for frame in &recorded {
        if !replay(again.addr, frame).await.is_empty() {
            answered += 1;
        }
    }
    again.stop("-TERM");
    answered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_recorded_grant_is_granted_again_after_kill_9() {
    assert_eq!(replies_to_replays_after("-KILL", 40).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_recorded_grant_is_granted_again_after_sigterm() {
    // Several short trials: what a shutdown loses depends on how its threads race the exit.
    let mut answered = 0;
    for _ in 0..6 {
        answered += replies_to_replays_after("-TERM", 16).await;
    }
    assert_eq!(answered, 0);
}

/// Counts the connections that got the `Busy` status frame among `streams`.
async fn busy_among(streams: &mut [TcpStream]) -> usize {
    let mut frame = [0u8; 8];
    let n = write_status(ReplyStatus::Busy, &mut frame).unwrap();
    let busy = &frame[..n];
    let mut count = 0;
    for stream in streams {
        let mut got = [0u8; 8];
        let read = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut got)).await;
        if matches!(read, Ok(Ok(k)) if got[..k] == *busy) {
            count += 1;
        }
    }
    count
}

/// Opens `count` connections that send nothing.
async fn silent_connections(addr: SocketAddr, count: usize) -> Vec<TcpStream> {
    let mut streams = Vec::new();
    for _ in 0..count {
        streams.push(TcpStream::connect(addr).await.unwrap());
    }
    // Let the accept loop take them all.
    tokio::time::sleep(Duration::from_millis(300)).await;
    streams
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_its_connections_below_the_open_file_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, app_password) = database(dir.path());
    let unlimited_per_source = ["--max-connections-per-source", "1000"];

    // A hard limit of 128 descriptors: the gateway takes 64 connections and tells the rest
    // Busy, instead of failing to accept them.
    let serving = Serving::start(
        db.to_str().unwrap(),
        "ulimit -n 128 &&",
        &unlimited_per_source,
        &[],
    );
    let mut streams = silent_connections(serving.addr, 100).await;
    let busy = busy_among(&mut streams).await;
    assert_eq!(busy, 100 - 64, "beyond the cap, Busy at once");
    drop(streams);
    let device = StaticKeypair::derive_from_device_secret(&[1; 32]).unwrap();
    let response = PreparedRequest::new(&device, key, &sign_in(&app_password), &mut OsRng)
        .unwrap()
        .send(serving.addr, LIMIT)
        .await;
    assert!(
        matches!(response, Ok(Response::Granted { .. })),
        "{response:?}"
    );
    let log = serving.stop("-TERM").1;
    assert!(
        log.contains("connections capped below the open-file limit"),
        "{log}"
    );

    // A soft limit of 128 under a higher hard one: raised at start, and all are taken.
    let serving = Serving::start(
        db.to_str().unwrap(),
        "ulimit -Sn 128 &&",
        &unlimited_per_source,
        &[],
    );
    let mut streams = silent_connections(serving.addr, 100).await;
    assert_eq!(
        busy_among(&mut streams).await,
        0,
        "the soft limit was raised"
    );
    serving.stop("-TERM");
}
