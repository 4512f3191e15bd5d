//! The listener over real loopback sockets, with a device built from `padlock-protocol`: sign-in,
//! resume, hostile peers, a crowd, capacity, and shutdown.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use padlock_protocol::limits::{MAX_FRAME_LEN, MAX_REQUEST_FRAME_LEN};
use padlock_protocol::session::{Initiator, ReplyStatus, write_status};
use padlock_protocol::{
    DeviceInfo, DeviceKind, Password, PublicKey, RememberToken, Request, Response, SessionError,
    StaticKeypair,
};
use padlock_server::serve::client::{ClientError, PreparedRequest, connect_from, exchange};
use padlock_server::serve::{ServeConfig, ServeSummary, serve};
use padlock_server::{Argon2Params, Gateway, GatewayConfig, UnixMillis};
use rand_core::OsRng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

const EMAIL: &str = "player@example.com";
const OPEN_EMAIL: &str = "open@example.com";
const OPEN_PASSWORD: &str = "a primary password";
/// argon2id costly enough (64 MiB, 10 passes: most of a second here, more with the other
/// tests running) that a verification is still running when the next requests arrive, a few
/// milliseconds later.
const SLOW_ARGON2: Argon2Params = Argon2Params {
    memory_kib: 64 * 1024,
    iterations: 10,
    parallelism: 1,
};
const LIMIT: Duration = Duration::from_secs(10);

/// A listening gateway with one two-step account and one app password.
struct Server {
    addr: SocketAddr,
    key: PublicKey,
    app_password: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<ServeSummary>,
}

impl Server {
    async fn start(config: ServeConfig) -> Server {
        Server::start_with(config, Argon2Params::FAST).await
    }

    /// With argon2id at `argon2`; also an account without two-step (`OPEN_EMAIL`, primary
    /// password `OPEN_PASSWORD`).
    async fn start_with(config: ServeConfig, argon2: Argon2Params) -> Server {
        let gateway = Gateway::in_memory(GatewayConfig {
            argon2,
            ..GatewayConfig::default()
        })
        .unwrap();
        gateway
            .add_account(EMAIL, "Player One", "correct horse battery", true)
            .unwrap();
        gateway
            .add_account(OPEN_EMAIL, "Player Two", OPEN_PASSWORD, false)
            .unwrap();
        let app_password = gateway
            .create_app_password(EMAIL, "Xbox 360", UnixMillis::now())
            .unwrap()
            .formatted
            .clone();
        let key = gateway.public_key();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, Arc::new(gateway), config, async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            key,
            app_password,
            stop: Some(stop),
            task,
        }
    }

    fn sign_in(&self, remember: bool) -> Request {
        Request::SignIn {
            account: EMAIL.try_into().unwrap(),
            password: Password::new(&self.app_password).unwrap(),
            remember,
            device: DeviceInfo {
                kind: DeviceKind::Xbox360,
                model: "Xbox 360 S".try_into().unwrap(),
                firmware: "2.0.17559.0".try_into().unwrap(),
            },
        }
    }

    /// One exchange of `device` with this server, with the device's time limit.
    async fn exchange(
        &self,
        device: &StaticKeypair,
        request: &Request,
    ) -> Result<Response, ClientError> {
        exchange(self.addr, device, self.key, request, LIMIT).await
    }

    /// A well-behaved device signing in; returns the display name it was greeted with.
    async fn good_sign_in(&self, device: &StaticKeypair) -> String {
        match self.exchange(device, &self.sign_in(false)).await {
            Ok(Response::Granted { display_name, .. }) => display_name.to_string(),
            other => panic!("a well-behaved client was not served: {other:?}"),
        }
    }

    async fn shut_down(mut self) -> ServeSummary {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        timeout(LIMIT, self.task).await.unwrap().unwrap()
    }
}

/// Short timeouts so the tests that wait on them are quick. Every peer here but those that
/// bind another loopback address comes from 127.0.0.1, one source: the per-source caps are
/// lifted unless a test is about them.
fn quick_config() -> ServeConfig {
    ServeConfig {
        max_connections_per_source: 1024,
        password_hashes_per_source_per_s: 1000,
        request_timeout: Duration::from_millis(800),
        idle_timeout: Duration::from_millis(400),
        shutdown_grace: Duration::from_secs(5),
        ..ServeConfig::default()
    }
}

fn device(n: u8) -> StaticKeypair {
    StaticKeypair::derive_from_device_secret(&[n; 32]).unwrap()
}

/// Reads until the server closes; a reset counts as closed (after the bytes before it).
/// Panics if the server keeps the connection open past `limit`.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    let deadline = Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => panic!("the server kept the connection open for {limit:?}"),
            Ok(Ok(0)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => return got,
            Ok(Err(e)) => panic!("unexpected socket error: {e}"),
        }
    }
}

/// `count` connections from `from` that send nothing, taken by the accept loop before this
/// returns.
async fn silent_connections(server: &Server, from: Option<IpAddr>, count: usize) -> Vec<TcpStream> {
    let mut silent = Vec::new();
    for _ in 0..count {
        silent.push(connect_from(from, server.addr).await.unwrap());
    }
    // Give the accept loop the connections before the next one arrives.
    sleep(Duration::from_millis(100)).await;
    silent
}

fn status_frame(status: ReplyStatus) -> Vec<u8> {
    let mut out = [0u8; 8];
    let n = write_status(status, &mut out).unwrap();
    out[..n].to_vec()
}

/// The remember-me token of a `Granted` that greets the test account's player.
fn greeted_with_token(response: Response) -> RememberToken {
    match response {
        Response::Granted {
            display_name,
            remember: Some(token),
            ..
        } if display_name.as_str() == "Player One" => token,
        other => panic!("expected Granted with a token: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_password_sign_in_with_remember_then_resume() {
    let server = Server::start(quick_config()).await;
    let console = device(1);

    let first = server
        .exchange(&console, &server.sign_in(true))
        .await
        .unwrap();
    let token = greeted_with_token(first);

    let resume = Request::Resume {
        token: token.clone(),
    };
    let second = server.exchange(&console, &resume).await.unwrap();
    let successor = greeted_with_token(second);
    assert_ne!(successor, token, "a resume rotates the token");

    // The wrong app password is denied over the same path (the reply authenticates).
    let wrong = Request::SignIn {
        account: EMAIL.try_into().unwrap(),
        password: Password::new("aaaabbbbccccdddd").unwrap(),
        remember: false,
        device: DeviceInfo {
            kind: DeviceKind::Zune,
            model: "Zune HD".try_into().unwrap(),
            firmware: "4.5".try_into().unwrap(),
        },
    };
    let denied = server.exchange(&device(2), &wrong).await.unwrap();
    assert!(matches!(denied, Response::Denied { .. }), "{denied:?}");

    let summary = server.shut_down().await;
    assert_eq!(summary.accepted, 3);
    assert_eq!((summary.busy, summary.unfinished), (0, 0));
}

/// One hostile behaviour and what the server must answer before closing.
#[derive(Debug, Clone, Copy)]
enum Hostile {
    /// Bytes of another protocol: the length prefix reads as 18245, far above the limit.
    Http,
    /// A well-formed frame of junk after version 1: message 1 does not authenticate.
    JunkFrame,
    /// A frame of another version.
    OtherVersion,
    /// Half a frame, then the peer closes its side.
    Truncated,
    /// A length prefix of 1025 bytes, and then nothing (the peer keeps its side open).
    Oversize,
    /// A zero-length frame.
    Empty,
    /// Connects and sends nothing.
    Silent,
    /// A valid request frame sent one byte at a time.
    Trickle,
}

const HOSTILES: [Hostile; 8] = [
    Hostile::Http,
    Hostile::JunkFrame,
    Hostile::OtherVersion,
    Hostile::Truncated,
    Hostile::Oversize,
    Hostile::Empty,
    Hostile::Silent,
    Hostile::Trickle,
];

/// Plays `kind` against the server and checks the bytes it got before the close.
async fn play(server: &Server, kind: Hostile, n: u8) {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let wait = Duration::from_secs(5);
    let got = match kind {
        Hostile::Http => {
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: gateway\r\n\r\n")
                .await
                .unwrap();
            read_until_closed(&mut stream, wait).await
        }
        Hostile::JunkFrame | Hostile::OtherVersion => {
            let version = if matches!(kind, Hostile::JunkFrame) {
                1
            } else {
                9
            };
            let mut frame = vec![0x00, 200, version];
            frame.extend((0..199).map(|i| (i as u8).wrapping_mul(n | 1)));
            stream.write_all(&frame).await.unwrap();
            read_until_closed(&mut stream, wait).await
        }
        Hostile::Truncated => {
            stream.write_all(&[0x00, 0xa0, 1, 2, 3]).await.unwrap();
            stream.shutdown().await.unwrap();
            read_until_closed(&mut stream, wait).await
        }
        Hostile::Oversize => {
            let too_long = u16::try_from(MAX_FRAME_LEN + 1).unwrap();
            stream.write_all(&too_long.to_be_bytes()).await.unwrap();
            // Rejected on the two length bytes: well before any timeout could end it.
            read_until_closed(&mut stream, Duration::from_millis(300)).await
        }
        Hostile::Empty => {
            stream.write_all(&[0, 0]).await.unwrap();
            read_until_closed(&mut stream, wait).await
        }
        Hostile::Silent => read_until_closed(&mut stream, wait).await,
        Hostile::Trickle => {
            let console = device(n);
            let request =
                PreparedRequest::new(&console, server.key, &server.sign_in(false), &mut OsRng)
                    .unwrap();
            for byte in request.frame() {
                // Stops when the server cuts the peer off.
                if stream.write_all(&[*byte]).await.is_err() {
                    break;
                }
                sleep(Duration::from_millis(150)).await;
            }
            read_until_closed(&mut stream, wait).await
        }
    };
    let expected = match kind {
        Hostile::JunkFrame => status_frame(ReplyStatus::HandshakeRejected),
        Hostile::OtherVersion => status_frame(ReplyStatus::UnsupportedVersion),
        _ => Vec::new(),
    };
    assert_eq!(got, expected, "{kind:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_frame_above_the_largest_request_is_refused_on_its_length() {
    // Timeouts far beyond the test's wait: only the length check can end the connection.
    let server = Server::start(ServeConfig {
        request_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
        ..quick_config()
    })
    .await;
    let largest = u16::try_from(MAX_REQUEST_FRAME_LEN).unwrap();

    // A frame of the largest request's size is read whole and answered (junk: rejected).
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let mut frame = largest.to_be_bytes().to_vec();
    frame.push(1);
    frame.resize(2 + MAX_REQUEST_FRAME_LEN, 0x5a);
    stream.write_all(&frame).await.unwrap();
    assert_eq!(
        read_until_closed(&mut stream, LIMIT).await,
        status_frame(ReplyStatus::HandshakeRejected)
    );

    // One byte more, still within the 1024 bytes of any frame: closed on the two length bytes,
    // with the peer still holding the connection open.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(&(largest + 1).to_be_bytes())
        .await
        .unwrap();
    assert_eq!(
        read_until_closed(&mut stream, LIMIT).await,
        Vec::<u8>::new()
    );
    server.shut_down().await;
}

/// Runs a well-behaved device against the server until `done`, asserting each sign-in.
fn keep_signing_in(server: Arc<Server>, done: Arc<AtomicBool>) -> JoinHandle<u64> {
    tokio::spawn(async move {
        let mut served = 0u64;
        while !done.load(Ordering::Relaxed) {
            // A console after another: one device's successes are paced (10, then one per 5
            // minutes), and this one signs in as fast as the gateway answers.
            let mut secret = [0xc0; 32];
            secret[..8].copy_from_slice(&served.to_be_bytes());
            let console = StaticKeypair::derive_from_device_secret(&secret).unwrap();
            assert_eq!(server.good_sign_in(&console).await, "Player One");
            served += 1;
        }
        served
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_hostile_peer_is_closed_while_a_device_keeps_being_served() {
    let server = Arc::new(Server::start(quick_config()).await);
    let done = Arc::new(AtomicBool::new(false));
    let good = keep_signing_in(Arc::clone(&server), Arc::clone(&done));
    for (n, kind) in HOSTILES.into_iter().enumerate() {
        let served_before = Arc::clone(&server);
        play(&served_before, kind, n as u8 + 1).await;
    }
    done.store(true, Ordering::Relaxed);
    let served = good.await.unwrap();
    assert!(served >= 3, "the device got {served} sign-ins through");
    let server = Arc::into_inner(server).unwrap();
    let summary = server.shut_down().await;
    assert_eq!(summary.unfinished, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_connections_at_once() {
    let server = Arc::new(Server::start(quick_config()).await);
    let done = Arc::new(AtomicBool::new(false));
    let good = keep_signing_in(Arc::clone(&server), Arc::clone(&done));
    let granted = Arc::new(AtomicUsize::new(0));
    let crowd: Vec<_> = (0..200u8)
        .map(|n| {
            let server = Arc::clone(&server);
            let granted = Arc::clone(&granted);
            tokio::spawn(async move {
                // Every fifth connection is a real device; the rest cycle through the hostiles.
                if n % 5 == 0 {
                    server.good_sign_in(&device(n)).await;
                    granted.fetch_add(1, Ordering::Relaxed);
                } else {
                    play(&server, HOSTILES[usize::from(n) % HOSTILES.len()], n).await;
                }
            })
        })
        .collect();
    for peer in crowd {
        peer.await.unwrap();
    }
    done.store(true, Ordering::Relaxed);
    assert!(good.await.unwrap() >= 1);
    assert_eq!(granted.load(Ordering::Relaxed), 40);
    let server = Arc::into_inner(server).unwrap();
    let summary = server.shut_down().await;
    assert!(summary.accepted >= 200);
    assert_eq!((summary.busy, summary.unfinished), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_capacity_a_device_is_told_busy_until_a_slot_frees() {
    let server = Server::start(ServeConfig {
        max_connections: 2,
        ..quick_config()
    })
    .await;
    let silent = silent_connections(&server, None, 2).await;
    let console = device(3);
    let busy = server.exchange(&console, &server.sign_in(false)).await;
    assert!(
        matches!(busy, Err(ClientError::Session(SessionError::Busy))),
        "{busy:?}"
    );
    // The silent peers are cut off by the request timeout, and their slots serve again.
    for mut stream in silent {
        assert!(
            read_until_closed(&mut stream, Duration::from_secs(5))
                .await
                .is_empty()
        );
    }
    assert_eq!(server.good_sign_in(&console).await, "Player One");
    let summary = server.shut_down().await;
    assert_eq!(summary.busy, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_accepting_and_lets_the_exchange_in_flight_finish() {
    let server = Server::start(ServeConfig {
        request_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        ..quick_config()
    })
    .await;
    let console = device(4);
    let mut initiator = Initiator::new(&console, server.key);
    let mut wire = [0u8; 1100];
    let n = initiator
        .write_request(&server.sign_in(false), &mut OsRng, &mut wire)
        .unwrap();

    // Half of the request is in when shutdown is asked for.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&wire[..n / 2]).await.unwrap();
    sleep(Duration::from_millis(100)).await;
    let addr = server.addr;
    let Server { stop, task, .. } = server;
    let _ = stop.unwrap().send(());

    // New connections are refused once the listener is closed.
    let refused = timeout(LIMIT, async {
        loop {
            if TcpStream::connect(addr).await.is_err() {
                return;
            }
            sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(refused.is_ok(), "still accepting after shutdown");

    // The exchange in flight completes.
    stream.write_all(&wire[n / 2..n]).await.unwrap();
    let reply = read_until_closed(&mut stream, LIMIT).await;
    let response = initiator.read_reply(&reply[2..]).unwrap();
    assert!(matches!(response, Response::Granted { .. }), "{response:?}");

    let summary = timeout(LIMIT, task).await.unwrap().unwrap();
    assert_eq!(summary.unfinished, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_gives_up_on_a_stuck_peer_after_the_grace() {
    let server = Server::start(ServeConfig {
        request_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        shutdown_grace: Duration::from_millis(200),
        ..quick_config()
    })
    .await;
    let _silent = TcpStream::connect(server.addr).await.unwrap();
    sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let summary = server.shut_down().await;
    assert_eq!(summary.unfinished, 1);
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// The loopback address 127.0.0.`n`: another host, as the listener's per-source limits see it.
fn host(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// A sign-in to an account that does not exist: what a guesser sends. Each costs the gateway
/// one argon2id verification, and a new name each time keeps the throttle out of the way.
fn guess(n: u32) -> Request {
    Request::SignIn {
        account: format!("guess{n}@example.com").as_str().try_into().unwrap(),
        password: Password::new("hunter2hunter2").unwrap(),
        remember: false,
        device: DeviceInfo {
            kind: DeviceKind::Zune,
            model: "Zune 30".try_into().unwrap(),
            firmware: "3.3".try_into().unwrap(),
        },
    }
}

/// A primary-password sign-in to the account without two-step.
fn open_sign_in() -> Request {
    Request::SignIn {
        account: OPEN_EMAIL.try_into().unwrap(),
        password: Password::new(OPEN_PASSWORD).unwrap(),
        remember: false,
        device: DeviceInfo {
            kind: DeviceKind::Zune,
            model: "Zune HD".try_into().unwrap(),
            firmware: "4.5".try_into().unwrap(),
        },
    }
}

/// Sends `request` from `from` with a device key of its own (`n`, beyond the small ones the
/// other tests use).
async fn send(
    server: &Server,
    from: IpAddr,
    n: u32,
    request: &Request,
) -> Result<Response, ClientError> {
    let secret = [&n.to_le_bytes()[..], &[0xa5; 28]].concat();
    let key = StaticKeypair::derive_from_device_secret(&secret).unwrap();
    PreparedRequest::new(&key, server.key, request, &mut OsRng)
        .unwrap()
        .send_from(Some(from), server.addr, LIMIT)
        .await
}

fn is_busy(result: &Result<Response, ClientError>) -> bool {
    matches!(result, Err(ClientError::Session(SessionError::Busy)))
}

fn is_wrong_credentials(result: &Result<Response, ClientError>) -> bool {
    matches!(
        result,
        Ok(Response::Denied {
            reason: padlock_protocol::DenyReason::WrongCredentials,
            ..
        })
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_checks_beyond_their_pool_get_busy_and_never_hold_up_app_passwords_or_resumes() {
    let server = Arc::new(
        Server::start_with(
            ServeConfig {
                max_concurrent_password_hashes: 1,
                // However slow the machine, the two verifications end in time.
                answer_timeout: Duration::from_secs(8),
                ..quick_config()
            },
            SLOW_ARGON2,
        )
        .await,
    );
    let console = device(1);
    let token = greeted_with_token(
        server
            .exchange(&console, &server.sign_in(true))
            .await
            .unwrap(),
    );
    // A burst of guesses: one verification runs, one waits, the rest are told Busy at once.
    let guesses: Vec<_> = (0..12u32)
        .map(|n| {
            let server = Arc::clone(&server);
            tokio::spawn(async move {
                let result = send(&server, host(1), n, &guess(n)).await;
                (result, Instant::now())
            })
        })
        .collect();
    sleep(Duration::from_millis(100)).await;
    // Meanwhile an app-password sign-in and a resume: neither needs argon2id.
    assert_eq!(server.good_sign_in(&device(2)).await, "Player One");
    let resumed = server
        .exchange(&console, &Request::Resume { token })
        .await
        .unwrap();
    greeted_with_token(resumed);
    let device_done = Instant::now();

    let mut verified_done = Vec::new();
    let mut busy = 0;
    for guess in guesses {
        let (result, done) = guess.await.unwrap();
        if is_busy(&result) {
            busy += 1;
        } else {
            assert!(is_wrong_credentials(&result), "{result:?}");
            verified_done.push(done);
        }
    }
    assert!(busy >= 6, "only {busy} of 12 guesses were told Busy");
    assert!(!verified_done.is_empty(), "some guesses were verified");
    let last_verified = verified_done.into_iter().max().unwrap();
    assert!(
        device_done < last_verified,
        "the sign-in and the resume waited behind the password checks"
    );
    let server = Arc::into_inner(server).unwrap();
    let summary = server.shut_down().await;
    assert_eq!(summary.busy, busy);
    assert_eq!(summary.password_hashes, 12 - busy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_source_cannot_hold_more_connections_than_its_cap() {
    let server = Server::start(ServeConfig {
        max_connections_per_source: 2,
        ..quick_config()
    })
    .await;
    let silent = silent_connections(&server, Some(host(2)), 2).await;
    let third = send(&server, host(2), 1, &server.sign_in(false)).await;
    assert!(is_busy(&third), "{third:?}");
    // Another host is served while the first holds its two.
    let other = send(&server, host(3), 2, &server.sign_in(false)).await;
    assert!(matches!(other, Ok(Response::Granted { .. })), "{other:?}");
    for mut stream in silent {
        read_until_closed(&mut stream, Duration::from_secs(5)).await;
    }
    let again = send(&server, host(2), 3, &server.sign_in(false)).await;
    assert!(matches!(again, Ok(Response::Granted { .. })), "{again:?}");
    let summary = server.shut_down().await;
    assert_eq!(summary.busy, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_source_gets_its_password_checks_per_second_and_no_more() {
    let server = Server::start(ServeConfig {
        password_hashes_per_source_per_s: 2,
        ..quick_config()
    })
    .await;
    let started = Instant::now();
    let mut verified = 0u32;
    for n in 0..10u32 {
        let result = send(&server, host(4), n, &guess(n)).await;
        if is_wrong_credentials(&result) {
            verified += 1;
        } else {
            assert!(is_busy(&result), "{result:?}");
        }
    }
    let allowed = 2.0 + 2.0 * started.elapsed().as_secs_f64();
    assert!(
        f64::from(verified) <= allowed.floor(),
        "{verified} verifications for one source in {:?}",
        started.elapsed()
    );
    assert!(verified >= 2, "its allowance was given");
    // Another source has its own allowance; the first still signs in with an app password.
    assert!(is_wrong_credentials(
        &send(&server, host(5), 10, &guess(10)).await
    ));
    let app = send(&server, host(4), 11, &server.sign_in(false)).await;
    assert!(matches!(app, Ok(Response::Granted { .. })), "{app:?}");
    let summary = server.shut_down().await;
    assert_eq!(summary.password_hashes, u64::from(verified) + 1);
}

/// A raw request frame for `request` from a fresh device key.
fn request_frame(server: &Server, n: u32, request: &Request) -> Vec<u8> {
    let secret = [&n.to_le_bytes()[..], &[0x5a; 28]].concat();
    let key = StaticKeypair::derive_from_device_secret(&secret).unwrap();
    PreparedRequest::new(&key, server.key, request, &mut OsRng)
        .unwrap()
        .frame()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_password_check_whose_peer_left_is_dropped_unrun() {
    let server = Arc::new(
        Server::start_with(
            ServeConfig {
                max_concurrent_password_hashes: 1,
                // The first verification must be answered, however loaded the machine: this
                // test is about the peer that leaves, not about deadlines (the next test is).
                answer_timeout: LIMIT,
                ..quick_config()
            },
            SLOW_ARGON2,
        )
        .await,
    );
    let running = {
        let server = Arc::clone(&server);
        tokio::spawn(async move { send(&server, host(1), 1, &guess(1)).await })
    };
    sleep(Duration::from_millis(20)).await;
    // The second waits in the password pool's queue; its peer leaves.
    let mut leaving = TcpStream::connect(server.addr).await.unwrap();
    leaving
        .write_all(&request_frame(&server, 2, &guess(2)))
        .await
        .unwrap();
    sleep(Duration::from_millis(20)).await;
    drop(leaving);
    assert!(is_wrong_credentials(&running.await.unwrap()));
    let server = Arc::into_inner(server).unwrap();
    let summary = server.shut_down().await;
    assert_eq!(summary.password_hashes, 1, "only the first was verified");
    // Dropped from the password pool's queue; on a machine slow enough that the peer left (or
    // the deadline passed) while the answer pool was already working on it, it never reached
    // that queue at all. Either way it was not verified.
    assert!(summary.dropped_unrun <= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_password_check_past_its_deadline_is_dropped_unrun() {
    let server = Arc::new(
        Server::start_with(
            ServeConfig {
                max_concurrent_password_hashes: 1,
                answer_timeout: Duration::from_millis(100),
                ..quick_config()
            },
            SLOW_ARGON2,
        )
        .await,
    );
    // Both are closed unanswered at their deadline: the first while it is being verified
    // (a verification is not interrupted), the second still in the queue, never verified.
    let mut streams = Vec::new();
    for n in 1..=2 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(&request_frame(&server, n, &guess(n)))
            .await
            .unwrap();
        streams.push(stream);
        sleep(Duration::from_millis(10)).await;
    }
    for mut stream in streams {
        assert!(read_until_closed(&mut stream, LIMIT).await.is_empty());
    }
    let server = Arc::into_inner(server).unwrap();
    let summary = server.shut_down().await;
    assert_eq!(
        summary.password_hashes, 1,
        "the one past its deadline was not verified"
    );
    // Dropped from the password pool's queue; on a machine slow enough that the peer left (or
    // the deadline passed) while the answer pool was already working on it, it never reached
    // that queue at all. Either way it was not verified.
    assert!(summary.dropped_unrun <= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_granted_sign_in_is_closed_without_a_password_check() {
    let server = Server::start(quick_config()).await;
    let frame = request_frame(&server, 7, &open_sign_in());
    let mut replies = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(&frame).await.unwrap();
        replies.push(read_until_closed(&mut stream, LIMIT).await);
    }
    assert!(!replies[0].is_empty(), "the first is answered (Granted)");
    assert!(
        replies[1..].iter().all(Vec::is_empty),
        "the replays are closed without a reply"
    );
    let summary = server.shut_down().await;
    assert_eq!(summary.password_hashes, 1, "replays cost no argon2id");
}
