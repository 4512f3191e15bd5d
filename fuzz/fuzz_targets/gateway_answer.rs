//! `Gateway::answer`, the whole gateway core (handshake, rules, throttling, tokens, store) on a
//! fresh in-memory database per input: it never panics, every reply is one well-formed frame,
//! and a valid request always gets an authenticated answer the device can read.
//!
//! Input: the first byte picks the mode, the rest is its data.
//! - even: the data is a request frame body, answered as it is (mostly refused before any
//!   decryption: the gateway's key is fresh);
//! - odd: the data is a request payload; if it decodes, a device (whose secret is the mode
//!   byte) sends it properly encrypted, so the rules see arbitrary accounts, passwords, tokens
//!   and device strings. The account `player@outlook.com` exists, with two-step verification
//!   and the primary password `correct horse`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use padlock_protocol::limits::{FRAME_HEADER_LEN, MAX_WIRE_FRAME_LEN};
use padlock_protocol::{Initiator, Request, StaticKeypair};
use padlock_server::{Gateway, GatewayConfig, UnixMillis};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: UnixMillis = UnixMillis(1_790_000_000_000);

fn gateway() -> Gateway {
    let config = GatewayConfig::default().fast_hashing().seeded([7; 32]);
    let gateway = Gateway::in_memory(config).expect("an in-memory gateway");
    gateway
        .add_account("player@outlook.com", "Player", "correct horse", true)
        .expect("a fresh account");
    gateway
}

/// A reply is one whole frame: its length prefix matches its body.
fn body_of(reply: &[u8]) -> &[u8] {
    let (len, body) = reply.split_at(FRAME_HEADER_LEN);
    assert_eq!(
        usize::from(u16::from_be_bytes([len[0], len[1]])),
        body.len()
    );
    body
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let gateway = gateway();
    if mode % 2 == 0 {
        if let Some(reply) = gateway.answer(data, NOW) {
            body_of(&reply);
        }
        return;
    }
    let Ok(request) = Request::decode(data) else {
        return;
    };
    let device = StaticKeypair::derive_from_device_secret(&[mode; 32]).expect("a 32-byte secret");
    let mut initiator = Initiator::new(&device, gateway.public_key());
    let mut wire = [0u8; MAX_WIRE_FRAME_LEN];
    let mut rng = ChaCha20Rng::from_seed([mode; 32]);
    let n = initiator
        .write_request(&request, &mut rng, &mut wire)
        .expect("a decoded request encodes");
    let reply = gateway
        .answer(&wire[FRAME_HEADER_LEN..n], NOW)
        .expect("a valid request is answered");
    if let Err(error) = initiator.read_reply(body_of(&reply)) {
        panic!("the device cannot read the answer to {request:?}: {error}");
    }
});
