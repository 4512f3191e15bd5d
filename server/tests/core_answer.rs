//! `Gateway::answer` on every kind of input (docs/protocol.md section 8), including arbitrary
//! bytes and arbitrary payloads inside a valid Noise message 1: it never panics and never
//! answers what it should not.

mod common;

use common::*;
use padlock_protocol::session::{PROTOCOL_VERSION, prologue};
use padlock_protocol::{DenyReason, Response, StaticKeypair};
use padlock_server::Gateway;
use proptest::prelude::*;

/// Message 1 written by snow (an independent Noise implementation) with any payload at all.
fn message_1_with_payload(gateway: &Gateway, payload: &[u8]) -> (snow::HandshakeState, Vec<u8>) {
    let device = StaticKeypair::derive_from_device_secret(&[9; 32]).unwrap();
    let secret = *device.secret_bytes();
    let gateway_key = gateway.public_key().0;
    let prologue = prologue(PROTOCOL_VERSION);
    let mut initiator = snow::Builder::new("Noise_IK_25519_ChaChaPoly_SHA256".parse().unwrap())
        .local_private_key(&secret)
        .unwrap()
        .remote_public_key(&gateway_key)
        .unwrap()
        .prologue(&prologue)
        .unwrap()
        .build_initiator()
        .unwrap();
    let mut body = vec![PROTOCOL_VERSION; 1 + 96 + payload.len()];
    let n = initiator.write_message(payload, &mut body[1..]).unwrap();
    body.truncate(1 + n);
    (initiator, body)
}

fn test_gateway() -> Gateway {
    let gateway = Gateway::in_memory(config().seeded([5; 32])).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
    gateway
}

#[test]
fn another_version_gets_the_versions_this_gateway_speaks() {
    let gateway = test_gateway();
    assert_eq!(
        gateway.answer(&[2, 1, 2, 3], t(0)),
        Some(vec![0, 3, 1, 1, 1])
    );
    assert_eq!(gateway.answer(&[0], t(0)), Some(vec![0, 3, 1, 1, 1]));
}

#[test]
fn a_message_for_another_gateway_is_rejected() {
    let gateway = test_gateway();
    let other = Gateway::in_memory(config()).unwrap();
    let (_, body) = Device::new(1).request_body(&other, &sign_in(EMAIL, PRIMARY, false));
    assert_eq!(gateway.answer(&body, t(0)), Some(vec![0, 1, 2]));
    let (_, mut body) = Device::new(1).request_body(&gateway, &sign_in(EMAIL, PRIMARY, false));
    let last = body.len() - 1;
    body[last] ^= 1; // a flipped bit in the tag
    assert_eq!(gateway.answer(&body, t(0)), Some(vec![0, 1, 2]));
}

#[test]
fn a_newer_request_kind_gets_a_denial_in_message_2() {
    let gateway = test_gateway();
    // Variant indexes 7, 128, 300 and u32::MAX: one-byte and multi-byte varints alike.
    for payload in [
        &[7, 1, 2][..],
        &[0x80, 0x01],
        &[0xac, 0x02, 9, 9],
        &[0xff, 0xff, 0xff, 0xff, 0x0f],
    ] {
        let (mut initiator, body) = message_1_with_payload(&gateway, payload);
        let reply = gateway.answer(&body, t(0)).expect("an answer");
        assert_eq!(reply[2], 0, "status ok: a Noise message 2 follows");
        let mut plain = [0u8; 256];
        let n = initiator.read_message(&reply[3..], &mut plain).unwrap();
        assert_eq!(
            Response::decode(&plain[..n]).unwrap(),
            denied(DenyReason::UnsupportedVersion),
            "payload {payload:x?}"
        );
    }
}

#[test]
fn malformed_bodies_close_without_a_reply() {
    let gateway = test_gateway();
    assert_eq!(gateway.answer(&[], t(0)), None);
    assert_eq!(gateway.answer(&[PROTOCOL_VERSION], t(0)), None);
    assert_eq!(
        gateway.answer(&[PROTOCOL_VERSION; 50], t(0)),
        None,
        "shorter than message 1"
    );
    // Valid Noise, bad payloads: a bool that is not 0 or 1, trailing bytes, an empty payload.
    let mut bad_bool = vec![0u8, 3, b'a', b'@', b'b', 1, b'p', 2];
    bad_bool.extend_from_slice(&[2, 0, 0]);
    let (_, good) = message_1_with_payload(&gateway, &[1; 33]);
    // A Resume whose tag is written `81 00` (1 in a longer form than needed).
    let mut long_tag = vec![0x81, 0x00];
    long_tag.extend_from_slice(&[1; 32]);
    // A sign-in whose device model carries an escape sequence ("Xbox" made ESC [ 2 J).
    let mut buf = [0u8; 512];
    let mut escape = sign_in(EMAIL, PRIMARY, false)
        .encode(&mut buf)
        .unwrap()
        .to_vec();
    let at = escape.windows(4).position(|w| w == b"Xbox").unwrap();
    escape[at..at + 4].copy_from_slice(b"\x1b[2J");
    for payload in [bad_bool, vec![2; 34], vec![], long_tag, escape] {
        let (_, body) = message_1_with_payload(&gateway, &payload);
        assert_eq!(gateway.answer(&body, t(0)), None, "payload {payload:?}");
    }
    // A Resume ([1] + 32 bytes) is well-formed: answered.
    assert!(gateway.answer(&good, t(0)).is_some());
    // Oversized bodies are refused before any decryption.
    let (_, huge) = message_1_with_payload(&gateway, &[0; 600]);
    assert_eq!(gateway.answer(&huge, t(0)), None);
}

proptest! {
    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..1100)) {
        let gateway = test_gateway();
        if let Some(reply) = gateway.answer(&body, t(0)) {
            // Random bytes never authenticate: only plain status frames can come back.
            prop_assert!(reply == [0, 3, 1, 1, 1] || reply == [0, 1, 2], "{reply:?}");
        }
    }

    #[test]
    fn arbitrary_payloads_in_valid_noise_never_panic(
        payload in proptest::collection::vec(any::<u8>(), 0..500),
        tag in 0u8..4,
    ) {
        let gateway = test_gateway();
        let mut payload = payload;
        if let Some(first) = payload.first_mut() {
            *first = tag; // mostly the known request tags, so decoding gets past the first byte
        }
        let (_, body) = message_1_with_payload(&gateway, &payload);
        if let Some(reply) = gateway.answer(&body, t(0)) {
            let len = usize::from(u16::from_be_bytes([reply[0], reply[1]]));
            prop_assert_eq!(len + 2, reply.len());
            prop_assert_eq!(reply[2], 0);
        }
    }
}
