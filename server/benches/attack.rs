//! The gateway under attack: real devices signing in while one host does its worst.
//!
//! `cargo bench -p padlock-server --bench attack` prints `figure` lines and rewrites this
//! bench's section of `docs/benchmarks.md`. Without `--bench` (`cargo test --benches`) it runs
//! a short smoke pass and writes nothing.
//!
//! On loopback, against `padlock_server::serve` with its default `ServeConfig` on a gateway
//! with a database file and production argon2id:
//!
//! - the **attacking host** binds every socket to 127.0.0.2 and runs at full speed: guessers
//!   sending sign-ins to unknown accounts, each from its own device key (each refused guess
//!   that gets checked costs the gateway one argon2id verification); replayers sending a
//!   recorded message 1 that was granted; tricklers opening connections and sending a byte now
//!   and then, to hold connection slots;
//! - **32 devices** (127.0.0.3 and up, one address each) sign in with an app password
//!   (remember ticked) and resume with the token they got, over and over, each exchange with
//!   the device's 10 s limit.
//!
//! The attacker, the devices and the gateway each have their own tokio runtime (the devices' is
//! one thread), all on this machine's cores: the attacker's own CPU use is part of the attack.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{EMAIL, production_gateway, sign_in};
use padlock_figures::Report;
use padlock_protocol::{PublicKey, RememberToken, Request, Response, StaticKeypair};
use padlock_server::serve::client::{ClientError, PreparedRequest, connect_from};
use padlock_server::serve::{ServeConfig, serve};
use rand_core::{OsRng, RngCore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

const DEVICES: usize = 32;
/// A device gives up on an exchange after this long (the firmware's timeout).
const DEVICE_LIMIT: Duration = Duration::from_secs(10);
/// How long a device waits between its exchanges.
const DEVICE_PAUSE: Duration = Duration::from_millis(250);
const GUESSERS: usize = 48;
const REPLAYERS: usize = 16;
const TRICKLERS: usize = 32;
/// Distinct guesses (account, device key) prepared before the window and sent in turn.
const GUESS_FRAMES: usize = 2048;
const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn runtime(threads: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime")
}

fn percentile(sorted: &[u64], pct: usize) -> f64 {
    sorted
        .get((sorted.len() * pct / 100).min(sorted.len().saturating_sub(1)))
        .map_or(0.0, |us| *us as f64 / 1e3)
}

/// What the devices saw.
#[derive(Default)]
struct DeviceRun {
    /// Sign-in latencies of those granted within the limit, in microseconds.
    signins_us: Vec<u64>,
    signins_failed: u64,
    resumes_granted: u64,
    resumes_failed: u64,
}

/// One device: sign in, resume, again, until `until`.
async fn device(
    addr: SocketAddr,
    from: IpAddr,
    keys: &'static StaticKeypair,
    gateway: PublicKey,
    app_password: String,
    until: Instant,
) -> DeviceRun {
    let mut run = DeviceRun::default();
    let request = sign_in(EMAIL, &app_password, true);
    while Instant::now() < until {
        let started = Instant::now();
        let token = match exchange(addr, from, keys, gateway, &request).await {
            Ok(Response::Granted {
                remember: Some(token),
                ..
            }) => {
                let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                run.signins_us.push(us);
                Some(token)
            }
            _ => {
                run.signins_failed += 1;
                None
            }
        };
        tokio::time::sleep(DEVICE_PAUSE).await;
        if let Some(token) = token {
            resume(addr, from, keys, gateway, token, &mut run).await;
            tokio::time::sleep(DEVICE_PAUSE).await;
        }
    }
    run
}

async fn resume(
    addr: SocketAddr,
    from: IpAddr,
    keys: &'static StaticKeypair,
    gateway: PublicKey,
    token: RememberToken,
    run: &mut DeviceRun,
) {
    match exchange(addr, from, keys, gateway, &Request::Resume { token }).await {
        Ok(Response::Granted { .. }) => run.resumes_granted += 1,
        _ => run.resumes_failed += 1,
    }
}

async fn exchange(
    addr: SocketAddr,
    from: IpAddr,
    keys: &'static StaticKeypair,
    gateway: PublicKey,
    request: &Request,
) -> Result<Response, ClientError> {
    PreparedRequest::new(keys, gateway, request, &mut OsRng)?
        .send_from(Some(from), addr, DEVICE_LIMIT)
        .await
}

/// What the attacker got.
#[derive(Default)]
struct AttackCounts {
    connections: AtomicU64,
    guesses_checked: AtomicU64,
    guesses_busy: AtomicU64,
    replays_granted: AtomicU64,
}

/// Sends `frame` from the attacker's address and returns the reply's bytes (empty: closed
/// without one).
async fn send_raw(addr: SocketAddr, frame: &[u8], counts: &AttackCounts) -> Option<Vec<u8>> {
    counts.connections.fetch_add(1, Ordering::Relaxed);
    let mut stream = connect_from(Some(ATTACKER), addr).await.ok()?;
    stream.write_all(frame).await.ok()?;
    let mut reply = Vec::new();
    tokio::time::timeout(DEVICE_LIMIT, stream.read_to_end(&mut reply))
        .await
        .ok()?
        .ok()?;
    Some(reply)
}

/// A guesser: the prepared guesses in turn, at full speed. A reply frame longer than a status
/// frame is an encrypted answer (the guess was checked, `WrongCredentials`); a status frame is
/// `Busy`.
async fn guesser(
    addr: SocketAddr,
    frames: Arc<Vec<Vec<u8>>>,
    start: usize,
    counts: Arc<AttackCounts>,
    stop: Arc<AtomicBool>,
) {
    let mut i = start;
    while !stop.load(Ordering::Relaxed) {
        let frame = &frames[i % frames.len()];
        i += GUESSERS;
        match send_raw(addr, frame, &counts).await {
            Some(reply) if reply.len() > 3 => {
                counts.guesses_checked.fetch_add(1, Ordering::Relaxed);
            }
            Some(reply) if reply.len() == 3 => {
                counts.guesses_busy.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

/// A replayer: the recorded granted message 1, over and over.
async fn replayer(
    addr: SocketAddr,
    frame: Arc<Vec<u8>>,
    counts: Arc<AttackCounts>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        if let Some(reply) = send_raw(addr, &frame, &counts).await
            && reply.len() > 3
        {
            counts.replays_granted.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A trickler: a connection that sends one byte of a frame every 300 ms, held as long as the
/// gateway allows, then another.
async fn trickler(addr: SocketAddr, counts: Arc<AttackCounts>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        counts.connections.fetch_add(1, Ordering::Relaxed);
        let Ok(mut stream) = connect_from(Some(ATTACKER), addr).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        for byte in [0x00u8, 0xa0, 0x01].iter().cycle() {
            if stop.load(Ordering::Relaxed) || stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            let mut probe = [0u8; 8];
            match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut probe)).await {
                Err(_) => {}
                Ok(_) => break,
            }
        }
    }
}

/// `count` guesses at unknown accounts, each from a fresh device key, written on all cores.
fn guess_frames(gateway: PublicKey, count: usize, cores: usize) -> Vec<Vec<u8>> {
    let per_thread = count.div_ceil(cores);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..cores)
            .map(|t| {
                scope.spawn(move || {
                    (t * per_thread..((t + 1) * per_thread).min(count))
                        .map(|n| {
                            let mut secret = [0u8; 32];
                            OsRng.fill_bytes(&mut secret);
                            let keys = StaticKeypair::derive_from_device_secret(&secret)
                                .expect("device key");
                            let request =
                                sign_in(&format!("guess{n}@example.com"), "hunter2hunter2", false);
                            PreparedRequest::new(&keys, gateway, &request, &mut OsRng)
                                .expect("guess")
                                .frame()
                                .to_vec()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("guess thread"))
            .collect()
    })
}

/// One sign-in recorded on the wire and granted: what the replayers send.
fn recorded_grant(
    runtime: &Runtime,
    addr: SocketAddr,
    gateway: PublicKey,
    app_password: &str,
) -> Vec<u8> {
    let keys = StaticKeypair::derive_from_device_secret(&[0xee; 32]).expect("device key");
    let prepared = PreparedRequest::new(
        &keys,
        gateway,
        &sign_in(EMAIL, app_password, false),
        &mut OsRng,
    )
    .expect("request");
    let frame = prepared.frame().to_vec();
    let response = runtime.block_on(prepared.send(addr, DEVICE_LIMIT));
    assert!(
        matches!(response, Ok(Response::Granted { .. })),
        "the recorded sign-in was not granted: {response:?}"
    );
    frame
}

/// The devices for `length`; returns what they saw.
fn devices_for(
    runtime: &Runtime,
    addr: SocketAddr,
    keys: &'static [StaticKeypair],
    gateway: PublicKey,
    app_password: &str,
    length: Duration,
) -> DeviceRun {
    let until = Instant::now() + length;
    runtime.block_on(async {
        let tasks: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(i, keys)| {
                let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3 + i as u8));
                tokio::spawn(device(
                    addr,
                    from,
                    keys,
                    gateway,
                    app_password.to_owned(),
                    until,
                ))
            })
            .collect();
        let mut all = DeviceRun::default();
        for task in tasks {
            let run = task.await.expect("device task");
            all.signins_us.extend(run.signins_us);
            all.signins_failed += run.signins_failed;
            all.resumes_granted += run.resumes_granted;
            all.resumes_failed += run.resumes_failed;
        }
        all.signins_us.sort_unstable();
        all
    })
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let (idle, window) = if quick {
        (Duration::from_millis(500), Duration::from_secs(2))
    } else {
        (Duration::from_secs(5), Duration::from_secs(30))
    };

    let dir = tempfile::tempdir().expect("temp dir");
    let (gateway, app_password) = production_gateway(dir.path());
    let key = gateway.public_key();
    let config = ServeConfig::default();

    let server = runtime(cores);
    let listener = server
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop_serving, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = server.spawn(serve(listener, Arc::new(gateway), config.clone(), async {
        let _ = stopped.await;
    }));

    let devices_runtime = runtime(1);
    let device_keys: &'static [StaticKeypair] = Vec::leak(
        (0..DEVICES)
            .map(|i| {
                StaticKeypair::derive_from_device_secret(&[i as u8 + 1; 32]).expect("device key")
            })
            .collect(),
    );
    let frames = Arc::new(guess_frames(key, GUESS_FRAMES, cores));
    let replay = Arc::new(recorded_grant(&devices_runtime, addr, key, &app_password));

    // The devices alone first, for comparison.
    let calm = devices_for(
        &devices_runtime,
        addr,
        device_keys,
        key,
        &app_password,
        idle,
    );

    let attacker = runtime(cores);
    let counts = Arc::new(AttackCounts::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut attack = Vec::new();
    for i in 0..GUESSERS {
        attack.push(attacker.spawn(guesser(
            addr,
            Arc::clone(&frames),
            i,
            Arc::clone(&counts),
            Arc::clone(&stop),
        )));
    }
    for _ in 0..REPLAYERS {
        attack.push(attacker.spawn(replayer(
            addr,
            Arc::clone(&replay),
            Arc::clone(&counts),
            Arc::clone(&stop),
        )));
    }
    for _ in 0..TRICKLERS {
        attack.push(attacker.spawn(trickler(addr, Arc::clone(&counts), Arc::clone(&stop))));
    }
    // The attack is under way before the devices start.
    std::thread::sleep(Duration::from_millis(500));
    let hashes_before = counts.guesses_checked.load(Ordering::Relaxed);
    let attacked_at = Instant::now();
    let under_attack = devices_for(
        &devices_runtime,
        addr,
        device_keys,
        key,
        &app_password,
        window,
    );
    let attacked_for = attacked_at.elapsed().as_secs_f64();
    let hashes = counts.guesses_checked.load(Ordering::Relaxed) - hashes_before;
    stop.store(true, Ordering::Relaxed);
    attacker.block_on(async {
        for task in attack {
            let _ = task.await;
        }
    });
    let _ = stop_serving.send(());
    let summary = server.block_on(serving).expect("server task");

    let signins = under_attack.signins_us.len() as f64;
    let attempted = signins + under_attack.signins_failed as f64;
    let granted_pct = if attempted > 0.0 {
        100.0 * signins / attempted
    } else {
        0.0
    };
    let connections = counts.connections.load(Ordering::Relaxed);
    let replays_granted = counts.replays_granted.load(Ordering::Relaxed);
    eprintln!(
        "devices: {} sign-ins granted, {} failed, {} resumes granted, {} failed; attacker: {} \
         connections, {} guesses checked, {} told busy, {} replays answered; gateway: {:?}",
        under_attack.signins_us.len(),
        under_attack.signins_failed,
        under_attack.resumes_granted,
        under_attack.resumes_failed,
        connections,
        counts.guesses_checked.load(Ordering::Relaxed),
        counts.guesses_busy.load(Ordering::Relaxed),
        replays_granted,
        summary
    );
    assert_eq!(replays_granted, 0, "a replayed grant was answered");
    if quick {
        println!(
            "attack bench smoke run: {attempted} sign-ins under attack, {granted_pct:.1}% granted"
        );
        return;
    }
    assert!(
        connections >= 900,
        "the attacker made only {connections} connections"
    );

    let mut report = Report::new(
        "padlock-server attack",
        "cargo bench -p padlock-server --bench attack",
    );
    report.note(&format!(
        "On loopback, `padlock_server::serve` with its default `ServeConfig` ({} answer \
         threads, {} argon2id thread(s), {} connections per source, {} argon2id verifications \
         per source per second) on a gateway with a database file and production argon2id. \
         The attacking host binds its sockets to 127.0.0.2 and runs at full speed for the whole \
         window: {GUESSERS} guessers sending sign-ins to unknown accounts, each from its own \
         device key ({GUESS_FRAMES} distinct guesses prepared beforehand and sent in turn, so \
         the attacker's CPU goes to connections, not to writing message 1s), {REPLAYERS} \
         replayers sending one recorded granted sign-in, and {TRICKLERS} tricklers holding \
         connections open with a byte every 300 ms; it made {connections} connections in \
         {attacked_for:.0} s. Meanwhile {DEVICES} devices (127.0.0.3 and up) sign in with an \
         app password (remember ticked) and resume with the token they got, each pausing \
         {} ms between exchanges, each exchange with the device's 10 s limit. \
         `legit_signins_granted_under_attack` is the share of their sign-ins granted within \
         that limit, `legit_signin_p99_ms_under_attack` the p99 of those, \
         `legit_signin_p99_ms_idle` the same devices for {} s before the attack. \
         `attacker_argon2_per_s` is the verifications the attacker's guesses obtained per \
         second (the configured cap is {} per second for its address); \
         `replays_granted_under_attack` counts replays answered at all. The devices' \
         latencies are mostly the disk's: each sign-in (remember ticked) and each resume \
         writes a token with its own sync, and each `Granted` waits for its replay record's \
         group commit, on a shared virtual disk where one synced 4 KiB write takes about \
         4.5 ms (`dd oflag=dsync`). The attacker, the \
         devices (one thread) and the gateway each run on their own tokio runtime, all on the \
         same {cores} cores. Bar: `legit_signins_granted_under_attack` at least 99%.",
        config.max_concurrent_answers,
        config.max_concurrent_password_hashes,
        config.max_connections_per_source,
        config.password_hashes_per_source_per_s,
        DEVICE_PAUSE.as_millis(),
        idle.as_secs(),
        config.password_hashes_per_source_per_s,
    ));
    report
        .figure("legit_signins_granted_under_attack", granted_pct, "%")
        .figure(
            "legit_signin_p99_ms_under_attack",
            percentile(&under_attack.signins_us, 99),
            "ms",
        )
        .figure(
            "legit_signin_p99_ms_idle",
            percentile(&calm.signins_us, 99),
            "ms",
        )
        .figure("legit_signins_under_attack", attempted, "sign-ins")
        .figure(
            "legit_resumes_granted_under_attack",
            under_attack.resumes_granted as f64,
            "resumes",
        )
        .figure("attacker_connections", connections as f64, "connections")
        .figure(
            "attacker_argon2_per_s",
            hashes as f64 / attacked_for,
            "verifications/s",
        )
        .figure(
            "replays_granted_under_attack",
            replays_granted as f64,
            "replies",
        );
    if let Err(e) = report.write_docs() {
        eprintln!("could not update docs/benchmarks.md: {e}");
    }
}
