//! Protocol figures: bytes on the wire for a sign-in, and the handshake's cost on each side
//! against one X25519 operation measured in the same run.
//!
//! `cargo bench -p padlock-protocol` prints one `figure <name> <value> <unit>` line per figure
//! and rewrites this crate's section of `docs/benchmarks.md`. Times are medians of batches, and
//! the ratios to X25519 are what to compare across machines.

use std::hint::black_box;
use std::time::{Duration, Instant};

use padlock_figures::Report;
use padlock_protocol::frame::FrameDecoder;
use padlock_protocol::limits::MAX_WIRE_FRAME_LEN;
use padlock_protocol::session::{Initiator, Responder};
use padlock_protocol::{
    DeviceInfo, DeviceKind, Password, RememberToken, Request, Response, SessionTicket,
    StaticKeypair,
};
use rand_core::OsRng;

const BATCHES: usize = 15;
const PER_BATCH: u32 = 40;

/// A sign-in as a player types it on an Xbox 360: a typical address, an app password, remember.
fn typical_sign_in() -> Request {
    Request::SignIn {
        account: "alex.jansen@outlook.com".try_into().unwrap_or_default(),
        password: Password::new("qwtrmbndkdpzhsva").unwrap_or_else(|| unreachable!()),
        remember: true,
        device: DeviceInfo {
            kind: DeviceKind::Xbox360,
            model: "Xbox 360 S".try_into().unwrap_or_default(),
            firmware: "2.0.17559.0".try_into().unwrap_or_default(),
        },
    }
}

fn granted() -> Response {
    Response::Granted {
        display_name: "Alex Jansen".try_into().unwrap_or_default(),
        ticket: SessionTicket::from_bytes([0x5a; 32]),
        remember: Some(RememberToken::from_bytes([0xa5; 32])),
    }
}

/// Body of the single frame in `wire`, through the real decoder.
fn body(wire: &[u8]) -> Vec<u8> {
    let mut decoder: FrameDecoder = FrameDecoder::new();
    let mut input = wire;
    match decoder.feed(&mut input) {
        Ok(Some(body)) => body.to_vec(),
        other => panic!("bench produced a bad frame: {other:?}"),
    }
}

struct Timings {
    initiator: Duration,
    responder: Duration,
    request_bytes: usize,
    reply_bytes: usize,
}

/// One whole exchange, timing each side's calls separately.
fn exchange(device: &StaticKeypair, gateway: &StaticKeypair) -> Timings {
    let request = typical_sign_in();
    let mut wire = [0u8; MAX_WIRE_FRAME_LEN];

    let t = Instant::now();
    let mut initiator = Initiator::new(device, gateway.public());
    let request_bytes = initiator
        .write_request(&request, &mut OsRng, &mut wire)
        .expect("write request");
    let mut initiator_time = t.elapsed();
    let request_body = body(&wire[..request_bytes]);

    let t = Instant::now();
    let mut responder = Responder::new(gateway);
    let got = responder
        .read_request(&request_body, &mut OsRng)
        .expect("read request");
    let reply_bytes = responder
        .write_reply(&granted(), &mut wire)
        .expect("write reply");
    let responder_time = t.elapsed();
    assert_eq!(got, request);
    let reply_body = body(&wire[..reply_bytes]);

    let t = Instant::now();
    let response = initiator.read_reply(&reply_body).expect("read reply");
    initiator_time += t.elapsed();
    assert_eq!(black_box(response), granted());

    Timings {
        initiator: initiator_time,
        responder: responder_time,
        request_bytes,
        reply_bytes,
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn x25519_us() -> f64 {
    let secret = [0x42u8; 32];
    let public = x25519_dalek::x25519([0x24; 32], x25519_dalek::X25519_BASEPOINT_BYTES);
    median(
        (0..BATCHES)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..PER_BATCH {
                    black_box(x25519_dalek::x25519(black_box(secret), black_box(public)));
                }
                t.elapsed().as_secs_f64() * 1e6 / f64::from(PER_BATCH)
            })
            .collect(),
    )
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once as a smoke test.
    let quick = !std::env::args().any(|a| a == "--bench");
    let device = StaticKeypair::derive_from_device_secret(&[7; 32]).expect("device key");
    let gateway = StaticKeypair::generate(&mut OsRng);

    let once = exchange(&device, &gateway);
    let total_bytes = once.request_bytes + once.reply_bytes;
    if quick {
        println!("protocol bench smoke run: {total_bytes} bytes per sign-in");
        return;
    }

    let x25519 = x25519_us();
    let (mut init, mut resp) = (Vec::new(), Vec::new());
    for _ in 0..BATCHES {
        let (mut i, mut r) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..PER_BATCH {
            let t = exchange(&device, &gateway);
            i += t.initiator;
            r += t.responder;
        }
        init.push(i.as_secs_f64() * 1e6 / f64::from(PER_BATCH));
        resp.push(r.as_secs_f64() * 1e6 / f64::from(PER_BATCH));
    }
    let (init, resp) = (median(init), median(resp));

    let mut report = Report::new("padlock-protocol", "cargo bench -p padlock-protocol");
    report.note(&format!(
        "A sign-in is an app-password `SignIn` with remember = true from an Xbox 360 and a \
         `Granted` with a remember token; bytes are whole frames with their length prefixes \
         (TCP/IP headers not included). Times are medians of {BATCHES} batches of {PER_BATCH} \
         on a release build; each side's handshake does one X25519 key generation and four \
         X25519 agreements, so the ratios to one X25519 are what to compare across machines."
    ));
    report
        .figure("signin_request_bytes", once.request_bytes as f64, "bytes")
        .figure("signin_reply_bytes", once.reply_bytes as f64, "bytes")
        .figure("signin_bytes_total", total_bytes as f64, "bytes")
        .figure("x25519_us", x25519, "us")
        .figure("handshake_us_initiator", init, "us")
        .figure("handshake_us_responder", resp, "us")
        .figure("handshake_initiator_x25519_ratio", init / x25519, "x")
        .figure("handshake_responder_x25519_ratio", resp / x25519, "x");
    if let Err(e) = report.write_docs() {
        eprintln!("could not update docs/benchmarks.md: {e}");
    }
}
