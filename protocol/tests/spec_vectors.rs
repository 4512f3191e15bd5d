//! The byte-level test vectors printed in `docs/protocol.md` are what this code produces.
//!
//! The test reads the spec itself, so the document cannot drift from the implementation. To
//! print the current values (after a deliberate protocol change), run
//! `PADLOCK_PRINT_VECTORS=1 cargo test -p padlock-protocol --test spec_vectors -- --nocapture`.

use std::collections::BTreeMap;

use padlock_protocol::session::{Initiator, ReplyStatus, Responder, write_status};
use padlock_protocol::{
    DenyReason, DeviceInfo, DeviceKind, Password, RememberToken, Request, Response, SessionTicket,
    StaticKeypair,
};
use rand_core::{CryptoRng, RngCore};

const SPEC: &str = include_str!("../../docs/protocol.md");

/// Hands out fixed bytes as "randomness", to pin the ephemeral keys.
struct FixedRng(Vec<u8>);

impl RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        unimplemented!()
    }
    fn next_u64(&mut self) -> u64 {
        unimplemented!()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for FixedRng {}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Every `name = hex` line of the spec's ```text vector blocks, hex wrapped over several
/// lines joined.
fn spec_values() -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in SPEC.lines() {
        let line = line.trim();
        if let Some((name, value)) = line.split_once(" = ") {
            let name = name.trim().to_string();
            values.insert(name.clone(), value.trim().to_string());
            current = Some(name);
        } else if !line.is_empty() && line.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Some(name) = &current {
                values.get_mut(name).unwrap().push_str(line);
            }
        } else {
            current = None;
        }
    }
    values
}

struct Computed(Vec<(String, String)>);

impl Computed {
    fn put(&mut self, name: &str, bytes: &[u8]) {
        self.0.push((name.to_string(), hex(bytes)));
    }
}

/// One full exchange with pinned keys; every intermediate value recorded.
fn exchange(
    out: &mut Computed,
    prefix: &str,
    device: &StaticKeypair,
    gateway: &StaticKeypair,
    ephemerals: (u8, u8),
    request: &Request,
    response: &Response,
) {
    let device_e = vec![ephemerals.0; 32];
    let gateway_e = vec![ephemerals.1; 32];
    out.put(&format!("{prefix}.device_ephemeral_private"), &device_e);
    out.put(&format!("{prefix}.gateway_ephemeral_private"), &gateway_e);

    let mut buf = [0u8; 1024];
    out.put(
        &format!("{prefix}.request_payload"),
        request.encode(&mut buf).unwrap(),
    );
    let mut wire = [0u8; 1026];
    let mut initiator = Initiator::new(device, gateway.public());
    let n = initiator
        .write_request(request, &mut FixedRng(device_e), &mut wire)
        .unwrap();
    out.put(&format!("{prefix}.request_frame"), &wire[..n]);

    let mut responder = Responder::new(gateway);
    assert_eq!(
        &responder
            .read_request(&wire[2..n], &mut FixedRng(gateway_e))
            .unwrap(),
        request
    );
    out.put(
        &format!("{prefix}.response_payload"),
        response.encode(&mut buf).unwrap(),
    );
    let n = responder.write_reply(response, &mut wire).unwrap();
    out.put(&format!("{prefix}.reply_frame"), &wire[..n]);
    assert_eq!(&initiator.read_reply(&wire[2..n]).unwrap(), response);
    out.put(
        &format!("{prefix}.handshake_hash"),
        &initiator.handshake_hash().unwrap(),
    );
}

fn compute() -> Computed {
    let mut out = Computed(Vec::new());
    let device_secret: Vec<u8> = (0u8..32).collect();
    let device = StaticKeypair::derive_from_device_secret(&device_secret).unwrap();
    let gateway = StaticKeypair::from_secret([0x42; 32]);
    out.put("keys.device_secret", &device_secret);
    out.put("keys.device_static_private", device.secret_bytes());
    out.put("keys.device_static_public", &device.public().0);
    out.put("keys.gateway_static_private", gateway.secret_bytes());
    out.put("keys.gateway_static_public", &gateway.public().0);

    let sign_in = Request::SignIn {
        account: "player@outlook.com".try_into().unwrap(),
        password: Password::new("abcdefghijklmnop").unwrap(),
        remember: true,
        device: DeviceInfo {
            kind: DeviceKind::Xbox360,
            model: "Xbox 360 S".try_into().unwrap(),
            firmware: "2.0.17559.0".try_into().unwrap(),
        },
    };
    let granted = Response::Granted {
        display_name: "Player One".try_into().unwrap(),
        ticket: SessionTicket::from_bytes([0x7e; 32]),
        remember: Some(RememberToken::from_bytes([0x3c; 32])),
    };
    exchange(
        &mut out,
        "signin",
        &device,
        &gateway,
        (0x11, 0x22),
        &sign_in,
        &granted,
    );

    let resume = Request::Resume {
        token: RememberToken::from_bytes([0x3c; 32]),
    };
    let denied = Response::Denied {
        reason: DenyReason::TokenInvalid,
        retry_after_secs: 0,
    };
    exchange(
        &mut out,
        "resume",
        &device,
        &gateway,
        (0x33, 0x44),
        &resume,
        &denied,
    );

    let mut buf = [0u8; 64];
    let sign_out = Request::SignOut {
        token: RememberToken::from_bytes([0x3c; 32]),
    };
    out.put("payload.sign_out", sign_out.encode(&mut buf).unwrap());
    out.put(
        "payload.signed_out",
        Response::SignedOut.encode(&mut buf).unwrap(),
    );
    let throttled = Response::Denied {
        reason: DenyReason::Throttled,
        retry_after_secs: 300,
    };
    out.put("payload.throttled", throttled.encode(&mut buf).unwrap());
    let granted_no_token = Response::Granted {
        display_name: "A".try_into().unwrap(),
        ticket: SessionTicket::from_bytes([0; 32]),
        remember: None,
    };
    out.put(
        "payload.granted_without_token",
        granted_no_token.encode(&mut buf).unwrap(),
    );

    for (name, status) in [
        (
            "status.unsupported_version",
            ReplyStatus::UnsupportedVersion,
        ),
        ("status.handshake_rejected", ReplyStatus::HandshakeRejected),
        ("status.busy", ReplyStatus::Busy),
    ] {
        let n = write_status(status, &mut buf).unwrap();
        out.put(name, &buf[..n]);
    }
    out
}

#[test]
fn spec_vectors_match_the_code() {
    let computed = compute();
    if std::env::var_os("PADLOCK_PRINT_VECTORS").is_some() {
        for (name, value) in &computed.0 {
            println!("{name} = {value}");
        }
    }
    let spec = spec_values();
    let mut missing = Vec::new();
    for (name, value) in &computed.0 {
        match spec.get(name) {
            Some(documented) => assert_eq!(
                documented, value,
                "docs/protocol.md vector `{name}` differs from the code"
            ),
            None => missing.push(name.as_str()),
        }
    }
    assert!(
        missing.is_empty(),
        "vectors missing from docs/protocol.md: {missing:?}"
    );
    // And the documented hex is well-formed, so a reader can paste it.
    for value in spec.values() {
        if value.bytes().all(|b| b.is_ascii_hexdigit()) {
            assert_eq!(unhex(value).len() * 2, value.len());
        }
    }
}
