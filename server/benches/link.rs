//! What one phone-link poll costs: its bytes on the wire, its exchanges, and the gateway's time
//! and disk writes to answer it.
//!
//! `cargo bench -p padlock-server --bench link` prints `figure` lines and rewrites the
//! `padlock-server link` section of `docs/benchmarks.md`. Without `--bench` (`cargo test
//! --benches`) it runs a short smoke pass and writes nothing.

use std::time::{Duration, Instant};

use padlock_figures::Report;
use padlock_protocol::limits::MAX_WIRE_FRAME_LEN;
use padlock_protocol::{
    DeviceInfo, DeviceKind, Initiator, LinkAddress, LinkCode, Request, Response, StaticKeypair,
};
use padlock_server::link::LinkLookup;
use padlock_server::{Gateway, GatewayConfig, UnixMillis};
use rand_core::OsRng;

const EMAIL: &str = "alex@outlook.com";

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// One exchange as a device makes it: the request frame, the reply frame, the answer, and the
/// gateway's time.
struct Exchange {
    request_bytes: usize,
    reply_bytes: usize,
    response: Response,
    answer: Duration,
}

fn exchange(
    gateway: &Gateway,
    device: &StaticKeypair,
    request: &Request,
    now: UnixMillis,
) -> Exchange {
    let mut initiator = Initiator::new(device, gateway.public_key());
    let mut frame = [0u8; MAX_WIRE_FRAME_LEN];
    let n = initiator
        .write_request(request, &mut OsRng, &mut frame)
        .expect("request");
    let started = Instant::now();
    let reply = gateway.answer(&frame[2..n], now).expect("a reply frame");
    let answer = started.elapsed();
    let response = initiator.read_reply(&reply[2..]).expect("an answer");
    Exchange {
        request_bytes: n,
        reply_bytes: reply.len(),
        response,
        answer,
    }
}

fn start(gateway: &Gateway, device: &StaticKeypair, now: UnixMillis) -> (LinkCode, Exchange) {
    let request = Request::LinkStart {
        device: DeviceInfo {
            kind: DeviceKind::Xbox360,
            model: "Xbox 360 S".try_into().expect("model"),
            firmware: "2.0.17559.0".try_into().expect("firmware"),
        },
    };
    let done = exchange(gateway, device, &request, now);
    match done.response {
        Response::LinkOffer { code, .. } => (code, done),
        ref other => panic!("expected a LinkOffer, got {other:?}"),
    }
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let polls: usize = if quick { 20 } else { 400 };
    let dir = tempfile::tempdir().expect("temp dir");
    let config = GatewayConfig::default()
        .with_link_address(LinkAddress::new("https://gw.example/link").expect("address"));
    let gateway = Gateway::open(&dir.path().join("gateway.db"), config).expect("gateway");
    gateway
        .add_account(EMAIL, "Alex", "a long primary password", true)
        .expect("account");
    let account = gateway.account_id(EMAIL).expect("account id");
    let mut now = UnixMillis::now();

    // Pending polls, each on time (5 s apart) from its own device, so none is slowed down.
    let mut waiting_us = Vec::new();
    let (mut poll_bytes, mut waiting_bytes, mut start_bytes, mut offer_bytes) = (0, 0, 0, 0);
    let (mut exchanges, mut poll_writes, mut granted_bytes) = (0u64, 0u64, 0);
    for i in 0..polls.div_ceil(20) {
        let device = StaticKeypair::derive_from_device_secret(&[(i % 250) as u8 + 1; 32])
            .expect("device key");
        let (code, started) = start(&gateway, &device, now);
        (start_bytes, offer_bytes) = (started.request_bytes, started.reply_bytes);
        for _ in 0..20 {
            now = now.plus(Duration::from_secs(5));
            let before = gateway.store_writes();
            let done = exchange(&gateway, &device, &Request::LinkPoll { code }, now);
            let after = gateway.store_writes();
            assert!(matches!(
                done.response,
                Response::LinkWaiting {
                    poll_interval_secs: 5
                }
            ));
            exchanges += 1;
            poll_writes += (after.synced + after.unsynced) - (before.synced + before.unsynced);
            poll_bytes = done.request_bytes;
            waiting_bytes = done.reply_bytes;
            waiting_us.push(done.answer.as_secs_f64() * 1e6);
        }
        // Done with it: approve, and the device's poll takes its token.
        let LinkLookup::Found(link) = gateway
            .find_link(account, "bench", code.as_str(), now)
            .expect("lookup")
        else {
            panic!("the link is pending");
        };
        assert!(gateway.approve_link(account, &link, now).expect("approve"));
        now = now.plus(Duration::from_secs(5));
        let granted = exchange(&gateway, &device, &Request::LinkPoll { code }, now);
        assert!(matches!(
            granted.response,
            Response::Granted {
                remember: Some(_),
                ..
            }
        ));
        granted_bytes = granted.reply_bytes;
        // Its link expires before the next device's, so the gateway holds one at a time.
        now = now.plus(Duration::from_secs(600));
    }
    let per_poll = poll_writes as f64 / exchanges as f64;

    let mut report = Report::new(
        "padlock-server link",
        "cargo bench -p padlock-server --bench link",
    );
    report.note(&format!(
        "A device (`LinkStart` from an Xbox 360 S, then `LinkPoll`s) against the gateway core \
         with a database file (SQLite, WAL, synchronous = FULL) and production settings. Bytes \
         are whole frames with their length prefixes, as in the protocol's figures (TCP/IP \
         headers not included). A poll is one Noise exchange on its own TCP connection: \
         so it costs two round trips, the TCP connect's and the request's, as a sign-in does. \
         `link_waiting_answer_us` is the gateway's median time to answer a pending poll \
         on time ({exchanges} polls, each from the device that started the link: the \
         responder's Noise handshake, the link's lookup and the record of the poll, written unsynced), measured \
         around `Gateway::answer` on one thread; `link_store_writes_per_poll` counts the \
         store's write calls per pending poll (`Store::writes`). `link_granted_reply_bytes` is \
         the poll that carries the remember-me token (the display name `Alex`)."
    ));
    report
        .figure("link_start_request_bytes", start_bytes as f64, "bytes")
        .figure("link_offer_reply_bytes", offer_bytes as f64, "bytes")
        .figure("link_poll_request_bytes", poll_bytes as f64, "bytes")
        .figure("link_waiting_reply_bytes", waiting_bytes as f64, "bytes")
        .figure("link_granted_reply_bytes", granted_bytes as f64, "bytes")
        .figure("link_waiting_answer_us", median(waiting_us), "us")
        .figure("link_store_writes_per_poll", per_poll, "writes");
    if !quick && let Err(e) = report.write_docs() {
        eprintln!("could not update docs/benchmarks.md: {e}");
    }
}
