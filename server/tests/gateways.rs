//! Two real `padlock-server serve` processes on one PostgreSQL database (`PADLOCK_TEST_POSTGRES`,
//! see `.ci/postgres`): every limit holds across them as it does within one. A token rotated
//! through one and replayed through the other is reuse; guesses spread over both meet one cap;
//! a granted message 1 replayed to the other gets no reply; `kill -9` of one under load loses
//! no write a device was told about; and a PostgreSQL restart under load is answered `Busy` or
//! `ServerError` meanwhile, then served again without restarting either gateway.
//!
//! The tests are plain `#[test]`s driving a runtime of their own: the PostgreSQL client that
//! sets the database up blocks, which it may not do on a runtime's thread.

mod common;
#[path = "common/postgres.rs"]
mod postgres_db;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::process::{Serving, replay};
use common::{EMAIL, PRIMARY, config, sign_in};
use padlock_protocol::{DenyReason, PublicKey, RememberToken, Request, Response, StaticKeypair};
use padlock_server::Gateway;
use padlock_server::serve::client::{ClientError, PreparedRequest, exchange};
use padlock_server::throttle::FREE_FAILURES;
use rand_core::OsRng;

const LIMIT: Duration = Duration::from_secs(10);

/// A database with one two-step account and its app password, and the gateway key file.
struct Deployment {
    _dir: tempfile::TempDir,
    url: String,
    keys: PathBuf,
    key: PublicKey,
    app_password: String,
}

impl Deployment {
    /// On `url` (an empty database); the account's primary password hash uses the tests' fast
    /// argon2id parameters, which the gateways verify it with.
    fn new(url: &str) -> Deployment {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("gateway.keys");
        let gateway = Gateway::open_postgres(url, &keys, config()).unwrap();
        gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
        let app = gateway
            .create_app_password(EMAIL, "Xbox", padlock_server::UnixMillis::now())
            .unwrap();
        Deployment {
            url: url.to_owned(),
            key: gateway.public_key(),
            app_password: app.formatted.clone(),
            keys,
            _dir: dir,
        }
    }

    /// A `serve` process on the database (any number of password checks per source: the tests
    /// send every guess from 127.0.0.1), with `extra` arguments.
    fn serve_with(&self, extra: &[&str]) -> Serving {
        let keys = self.keys.to_str().unwrap();
        let mut args = vec!["--keys", keys, "--password-hashes-per-source-per-s", "1000"];
        args.extend_from_slice(extra);
        Serving::start(&self.url, "", &args, &[])
    }

    fn serve(&self) -> Serving {
        self.serve_with(&[])
    }
}

fn device(n: u32) -> StaticKeypair {
    let mut secret = [7u8; 32];
    secret[..4].copy_from_slice(&n.to_be_bytes());
    StaticKeypair::derive_from_device_secret(&secret).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn ask(
    addr: SocketAddr,
    device: &StaticKeypair,
    key: PublicKey,
    request: &Request,
) -> Result<Response, ClientError> {
    exchange(addr, device, key, request, LIMIT).await
}

fn token(response: &Response) -> RememberToken {
    match response {
        Response::Granted {
            remember: Some(token),
            ..
        } => token.clone(),
        other => panic!("expected Granted with a token, got {other:?}"),
    }
}

fn resume(token: &RememberToken) -> Request {
    Request::Resume {
        token: token.clone(),
    }
}

const TOKEN_INVALID: Response = Response::Denied {
    reason: DenyReason::TokenInvalid,
    retry_after_secs: 0,
};

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn a_token_rotated_through_one_gateway_and_replayed_through_the_other_is_reuse() {
    let database = postgres_db::ScratchDatabase::new();
    let deployment = Deployment::new(&database.url);
    let (a, b) = (deployment.serve(), deployment.serve());
    let (key, console) = (deployment.key, device(1));
    runtime().block_on(async {
        let signed_in = ask(
            a.addr,
            &console,
            key,
            &sign_in(EMAIL, &deployment.app_password, true),
        )
        .await
        .unwrap();
        let first = token(&signed_in);
        let second = token(&ask(a.addr, &console, key, &resume(&first)).await.unwrap());
        // The family moves on through B: B sees A's rotation.
        let third = token(&ask(b.addr, &console, key, &resume(&second)).await.unwrap());
        // The first token again, in a new message 1, through B: a copy of it is in use.
        let reused = ask(b.addr, &console, key, &resume(&first)).await.unwrap();
        assert_eq!(reused, TOKEN_INVALID);
        // A sees the family revoked: the newest token is refused there too.
        let revoked = ask(a.addr, &console, key, &resume(&third)).await.unwrap();
        assert_eq!(revoked, TOKEN_INVALID);
    });
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn guesses_spread_over_two_gateways_meet_one_cap() {
    let database = postgres_db::ScratchDatabase::new();
    let deployment = Deployment::new(&database.url);
    let gateways = [deployment.serve(), deployment.serve()];
    let key = deployment.key;
    let answers: Vec<Response> = runtime().block_on(async {
        let mut answers = Vec::new();
        // A stranger's new device for every guess, alternating between the gateways: only the
        // account's counter can hold them back, and it must be one.
        for n in 0..2 * FREE_FAILURES {
            let addr = gateways[n as usize % 2].addr;
            let guess = sign_in(EMAIL, "not the password", false);
            answers.push(ask(addr, &device(100 + n), key, &guess).await.unwrap());
        }
        answers
    });
    let evaluated = answers
        .iter()
        .filter(|a| {
            matches!(
                a,
                Response::Denied {
                    reason: DenyReason::WrongCredentials,
                    ..
                }
            )
        })
        .count();
    let throttled = answers
        .iter()
        .filter(|a| {
            matches!(
                a,
                Response::Denied {
                    reason: DenyReason::Throttled,
                    retry_after_secs: 1..
                }
            )
        })
        .count();
    assert_eq!(
        (evaluated, throttled),
        (FREE_FAILURES as usize, FREE_FAILURES as usize),
        "{answers:?}"
    );
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn a_granted_message_1_replayed_to_the_other_gateway_gets_no_reply() {
    let database = postgres_db::ScratchDatabase::new();
    let deployment = Deployment::new(&database.url);
    let (a, b) = (deployment.serve(), deployment.serve());
    let console = device(1);
    runtime().block_on(async {
        let request = sign_in(EMAIL, &deployment.app_password, false);
        let prepared =
            PreparedRequest::new(&console, deployment.key, &request, &mut OsRng).unwrap();
        let frame = prepared.frame().to_vec();
        let granted = prepared.send(a.addr, LIMIT).await.unwrap();
        assert!(matches!(granted, Response::Granted { .. }), "{granted:?}");
        assert_eq!(replay(b.addr, &frame).await, Vec::<u8>::new());
        assert_eq!(replay(a.addr, &frame).await, Vec::<u8>::new());
    });
}

/// Devices signing in (remember ticked) through `addr` until the gateway stops answering; the
/// message 1 and token of every `Granted` a device received.
async fn sign_in_until_gone(
    addr: SocketAddr,
    key: PublicKey,
    app_password: String,
    devices: &'static [StaticKeypair],
    granted: Arc<AtomicUsize>,
) -> Vec<(usize, Vec<u8>, RememberToken)> {
    let request = sign_in(EMAIL, &app_password, true);
    let tasks: Vec<_> = devices
        .iter()
        .enumerate()
        .map(|(i, device)| {
            let (request, granted) = (request.clone(), granted.clone());
            tokio::spawn(async move {
                let prepared = PreparedRequest::new(device, key, &request, &mut OsRng).unwrap();
                let frame = prepared.frame().to_vec();
                match prepared.send(addr, LIMIT).await {
                    Ok(answer @ Response::Granted { .. }) => {
                        granted.fetch_add(1, Ordering::SeqCst);
                        Some((i, frame, token(&answer)))
                    }
                    // Refused or cut off by the kill: never told it was signed in.
                    _ => None,
                }
            })
        })
        .collect();
    let mut acknowledged = Vec::new();
    for task in tasks {
        if let Some(granted) = task.await.unwrap() {
            acknowledged.push(granted);
        }
    }
    acknowledged
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn kill_9_of_one_gateway_under_load_loses_no_acknowledged_write() {
    let database = postgres_db::ScratchDatabase::new();
    let deployment = Deployment::new(&database.url);
    let (a, b) = (deployment.serve(), deployment.serve());
    let devices: &'static [StaticKeypair] = Vec::leak((0..200).map(|n| device(1000 + n)).collect());
    let (key, password) = (deployment.key, deployment.app_password.clone());
    let acknowledged = runtime().block_on(async {
        let granted = Arc::new(AtomicUsize::new(0));
        let load = tokio::spawn(sign_in_until_gone(
            a.addr,
            key,
            password,
            devices,
            granted.clone(),
        ));
        // Mid-load: some sign-ins answered, some in flight, some not yet sent.
        while granted.load(Ordering::SeqCst) < 20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let pid = a.child.id().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        load.await.unwrap()
    });
    drop(a);
    assert!(
        !acknowledged.is_empty(),
        "no sign-in was answered before the kill"
    );
    assert!(
        acknowledged.len() < devices.len(),
        "the kill came after the load: {} of {}",
        acknowledged.len(),
        devices.len()
    );
    runtime().block_on(async {
        for (i, message_1, remembered) in &acknowledged {
            // Its token was written: it resumes through the gateway that survived.
            let resumed = ask(b.addr, &devices[*i], key, &resume(remembered))
                .await
                .unwrap();
            assert!(
                matches!(resumed, Response::Granted { .. }),
                "device {i}: {resumed:?}"
            );
            // Its replay record was written: the same message 1 is not granted again.
            assert_eq!(
                replay(b.addr, message_1).await,
                Vec::<u8>::new(),
                "device {i}"
            );
        }
    });
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn a_postgres_restart_under_load_is_busy_or_server_error_then_served_again() {
    let cluster = postgres_db::PrivateCluster::start();
    let deployment = Deployment::new(&cluster.url);
    // While PostgreSQL is down a request fails once the pool has waited for a connection
    // (twice its 2 s connect timeout: the throttle's admission, then the rule); `serve`'s
    // default answer deadline on PostgreSQL (5 s) leaves room to answer it ServerError.
    let gateways = [deployment.serve_with(&[]), deployment.serve_with(&[])];
    let key = deployment.key;
    let request = sign_in(EMAIL, &deployment.app_password, false);
    let rt = runtime();
    // Eight devices at once, four on each gateway.
    let round = |first: u32| {
        rt.block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|n| {
                    let (addr, request) = (gateways[n as usize % 2].addr, request.clone());
                    tokio::spawn(async move { ask(addr, &device(first + n), key, &request).await })
                })
                .collect();
            let mut answers = Vec::new();
            for task in tasks {
                answers.push(task.await.unwrap());
            }
            answers
        })
    };
    let granted = |answers: &[Result<Response, ClientError>]| {
        answers
            .iter()
            .filter(|a| matches!(a, Ok(Response::Granted { .. })))
            .count()
    };
    assert_eq!(granted(&round(0)), 8, "before the restart");

    cluster.halt();
    let during = round(100);
    let unexpected: Vec<_> = during
        .iter()
        .filter(|answer| {
            !matches!(
                answer,
                Ok(Response::Denied {
                    reason: DenyReason::ServerError,
                    ..
                }) | Err(ClientError::Session(padlock_protocol::SessionError::Busy))
            )
        })
        .collect();
    if !unexpected.is_empty() {
        let logs: Vec<String> = gateways.map(|g| g.stop("-TERM").1).into_iter().collect();
        panic!(
            "while PostgreSQL is down: {unexpected:?}\n{}",
            logs.join("\n---\n")
        );
    }
    cluster.resume();
    // The same processes, no restart: every sign-in is granted again (the pools replace the
    // connections PostgreSQL's restart ended).
    assert_eq!(granted(&round(200)), 8, "after the restart");
    for gateway in gateways {
        let (status, log) = gateway.stop("-TERM");
        assert!(status.success(), "{log}");
    }
}
