//! The byte-level test vectors printed in `docs/protocol.md` are what this code produces.
//!
//! The test reads the spec itself, so the document cannot drift from the implementation. To
//! print the current values (after a deliberate protocol change), run
//! `PADLOCK_PRINT_VECTORS=1 cargo test -p padlock-protocol --test spec_vectors -- --nocapture`.

use std::collections::BTreeMap;

use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use hkdf::Hkdf;
use padlock_protocol::session::{Initiator, ReplyStatus, Responder, write_status};
use padlock_protocol::{
    DenyReason, DeviceInfo, DeviceKind, LinkAddress, LinkCode, Password, PayloadError,
    RememberToken, Request, Response, SessionTicket, StaticKeypair,
};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

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

/// The bytes of one exchange, for the step-by-step walk.
struct Exchanged {
    request_payload: Vec<u8>,
    request_frame: Vec<u8>,
    response_payload: Vec<u8>,
    reply_frame: Vec<u8>,
    handshake_hash: [u8; 32],
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
) -> Exchanged {
    let device_e = vec![ephemerals.0; 32];
    let gateway_e = vec![ephemerals.1; 32];
    out.put(&format!("{prefix}.device_ephemeral_private"), &device_e);
    out.put(&format!("{prefix}.gateway_ephemeral_private"), &gateway_e);

    let mut buf = [0u8; 1024];
    let request_payload = request.encode(&mut buf).unwrap().to_vec();
    out.put(&format!("{prefix}.request_payload"), &request_payload);
    let mut wire = [0u8; 1026];
    let mut initiator = Initiator::new(device, gateway.public());
    let n = initiator
        .write_request(request, &mut FixedRng(device_e), &mut wire)
        .unwrap();
    out.put(&format!("{prefix}.request_frame"), &wire[..n]);
    let request_frame = wire[..n].to_vec();

    let mut responder = Responder::new(gateway);
    assert_eq!(
        &responder
            .read_request(&wire[2..n], &mut FixedRng(gateway_e))
            .unwrap(),
        request
    );
    let response_payload = response.encode(&mut buf).unwrap().to_vec();
    out.put(&format!("{prefix}.response_payload"), &response_payload);
    let n = responder.write_reply(response, &mut wire).unwrap();
    out.put(&format!("{prefix}.reply_frame"), &wire[..n]);
    assert_eq!(&initiator.read_reply(&wire[2..n]).unwrap(), response);
    let handshake_hash = initiator.handshake_hash().unwrap();
    out.put(&format!("{prefix}.handshake_hash"), &handshake_hash);
    Exchanged {
        request_payload,
        request_frame,
        response_payload,
        reply_frame: wire[..n].to_vec(),
        handshake_hash,
    }
}

/// Noise's `SymmetricState` written out from the Noise specification (revision 34, section
/// 5.2) on the bare primitives, not through the crate's handshake, recording `h` and `ck` after
/// every step (and `k` after every `MixKey`): the trail an implementer compares against to find
/// the first step where theirs differs.
struct Walk<'a> {
    out: &'a mut Computed,
    prefix: String,
    h: [u8; 32],
    ck: [u8; 32],
    k: [u8; 32],
    n: u64,
}

impl Walk<'_> {
    fn record(&mut self, step: &str) {
        let (h, ck) = (self.h, self.ck);
        self.out.put(&format!("{}.{step}.h", self.prefix), &h);
        self.out.put(&format!("{}.{step}.ck", self.prefix), &ck);
    }

    fn mix_hash(&mut self, step: &str, data: &[u8]) {
        self.h = Sha256::new()
            .chain_update(self.h)
            .chain_update(data)
            .finalize()
            .into();
        self.record(step);
    }

    /// `MixKey(DH(secret, public))`.
    fn mix_dh(&mut self, step: &str, secret: &[u8; 32], public: &[u8; 32]) {
        let shared = x25519_dalek::StaticSecret::from(*secret)
            .diffie_hellman(&x25519_dalek::PublicKey::from(*public));
        let mut okm = [0u8; 64];
        Hkdf::<Sha256>::new(Some(&self.ck), shared.as_bytes())
            .expand(&[], &mut okm)
            .unwrap();
        self.ck.copy_from_slice(&okm[..32]);
        self.k.copy_from_slice(&okm[32..]);
        self.n = 0;
        self.record(step);
        let k = self.k;
        self.out.put(&format!("{}.{step}.k", self.prefix), &k);
    }

    fn encrypt_and_hash(&mut self, step: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&self.n.to_le_bytes());
        self.n += 1;
        let mut text = plain.to_vec();
        let tag = ChaCha20Poly1305::new(&self.k.into())
            .encrypt_in_place_detached(&nonce.into(), &self.h, &mut text)
            .unwrap();
        text.extend_from_slice(&tag);
        self.mix_hash(step, &text);
        text
    }
}

/// Walks the exchange `done` through Noise `IK` by hand, records every step under
/// `{prefix}.noise`, and checks that the walk ends in the very bytes the crate sent.
fn noise_walk(
    out: &mut Computed,
    prefix: &str,
    device: &StaticKeypair,
    gateway: &StaticKeypair,
    ephemerals: (u8, u8),
    done: &Exchanged,
) {
    let public = |secret: &[u8; 32]| {
        x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*secret)).to_bytes()
    };
    let (device_e, gateway_e) = ([ephemerals.0; 32], [ephemerals.1; 32]);
    let (device_s, gateway_s) = (*device.secret_bytes(), *gateway.secret_bytes());
    let mut name = [0u8; 32];
    name.copy_from_slice(b"Noise_IK_25519_ChaChaPoly_SHA256");
    let mut walk = Walk {
        out,
        prefix: format!("{prefix}.noise"),
        h: name,
        ck: name,
        k: [0; 32],
        n: 0,
    };
    walk.record("initialize");
    walk.mix_hash("prologue", b"padlock\x01");
    walk.mix_hash("pre_message_s", &public(&gateway_s));

    // Message 1: -> e, es, s, ss, then the request.
    let mut message_1 = public(&device_e).to_vec();
    walk.mix_hash("m1_e", &public(&device_e));
    walk.mix_dh("m1_es", &device_e, &public(&gateway_s));
    message_1.extend(walk.encrypt_and_hash("m1_s", &public(&device_s)));
    walk.mix_dh("m1_ss", &device_s, &public(&gateway_s));
    message_1.extend(walk.encrypt_and_hash("m1_payload", &done.request_payload));
    assert_eq!(message_1, done.request_frame[3..], "{prefix}: message 1");

    // Message 2: <- e, ee, se, then the response.
    let mut message_2 = public(&gateway_e).to_vec();
    walk.mix_hash("m2_e", &public(&gateway_e));
    walk.mix_dh("m2_ee", &gateway_e, &public(&device_e));
    walk.mix_dh("m2_se", &gateway_e, &public(&device_s));
    message_2.extend(walk.encrypt_and_hash("m2_payload", &done.response_payload));
    assert_eq!(message_2, done.reply_frame[3..], "{prefix}: message 2");
    assert_eq!(walk.h, done.handshake_hash, "{prefix}: handshake hash");
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
    let done = exchange(
        &mut out,
        "signin",
        &device,
        &gateway,
        (0x11, 0x22),
        &sign_in,
        &granted,
    );
    noise_walk(&mut out, "signin", &device, &gateway, (0x11, 0x22), &done);

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

    // Fields of 128 bytes and more: their lengths, and a u32, take two or three bytes.
    let long_sign_in = Request::SignIn {
        account: format!("{}@example.com", "long.name.".repeat(12))
            .as_str()
            .try_into()
            .unwrap(),
        password: Password::new(&"correct horse battery staple ".repeat(5)[..128]).unwrap(),
        remember: false,
        device: DeviceInfo {
            kind: DeviceKind::Other,
            model: "Padlock reference board".try_into().unwrap(),
            firmware: "1.0.0".try_into().unwrap(),
        },
    };
    let day_long_throttle = Response::Denied {
        reason: DenyReason::Throttled,
        retry_after_secs: 86_400,
    };
    let done = exchange(
        &mut out,
        "long",
        &device,
        &gateway,
        (0x55, 0x66),
        &long_sign_in,
        &day_long_throttle,
    );
    assert_eq!(
        done.request_payload[1..3],
        [0x84, 0x01],
        "account: 132 bytes"
    );
    assert!(
        done.response_payload.ends_with(&[0x80, 0xa3, 0x05]),
        "86400"
    );

    let mut buf = [0u8; 512];
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

    refused_payloads(&mut out, &sign_in, &sign_out, &granted_no_token);
    link_vectors(&mut out, &device, &gateway);

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

/// Payloads a receiver must refuse (docs/protocol.md section 6.1), each checked against the
/// decoders: `unknown.*` are newer messages, `malformed.*` are not messages at all.
fn refused_payloads(out: &mut Computed, sign_in: &Request, sign_out: &Request, granted: &Response) {
    let mut buf = [0u8; 512];
    for (name, payload) in [
        ("unknown.request_128", vec![0x80, 0x01]),
        (
            "unknown.request_u32_max",
            vec![0xff, 0xff, 0xff, 0xff, 0x0f],
        ),
    ] {
        assert_eq!(Request::decode(&payload), Err(PayloadError::UnknownMessage));
        out.put(name, &payload);
    }

    let sign_out = sign_out.encode(&mut buf).unwrap().to_vec();
    let mut long_tag = vec![0x82, 0x00];
    long_tag.extend_from_slice(&sign_out[1..]);
    let granted = granted.encode(&mut buf).unwrap().to_vec();
    let mut long_length = vec![granted[0], 0x81, 0x00];
    long_length.extend_from_slice(&granted[2..]);
    let mut option_tag_2 = granted.clone();
    *option_tag_2.last_mut().unwrap() = 0x02;
    let mut escape = sign_in.encode(&mut buf).unwrap().to_vec();
    let model = escape.windows(4).position(|w| w == b"Xbox").unwrap();
    escape[model..model + 4].copy_from_slice(b"\x1b[2J");

    for (name, payload, decoded) in [
        (
            "malformed.long_form_tag",
            &long_tag,
            Request::decode(&long_tag).err(),
        ),
        (
            "malformed.long_form_length",
            &long_length,
            Response::decode(&long_length).err(),
        ),
        (
            "malformed.option_tag_2",
            &option_tag_2,
            Response::decode(&option_tag_2).err(),
        ),
        (
            "malformed.control_character",
            &escape,
            Request::decode(&escape).err(),
        ),
    ] {
        assert_eq!(decoded, Some(PayloadError::Malformed), "{name}");
        out.put(name, payload);
    }
}

/// A phone link (docs/protocol.md section 11.8): the code asked for, one poll while pending,
/// and the other answers a poll can get (an approved link's `Granted` is section 11.2's).
fn link_vectors(out: &mut Computed, device: &StaticKeypair, gateway: &StaticKeypair) {
    let code = LinkCode::parse("WDJB-MJHT").unwrap();
    let start = Request::LinkStart {
        device: DeviceInfo {
            kind: DeviceKind::Zune,
            model: "Zune HD".try_into().unwrap(),
            firmware: "4.5".try_into().unwrap(),
        },
    };
    let offer = Response::LinkOffer {
        code,
        address: LinkAddress::new("https://gw.example/link").unwrap(),
        expires_in_secs: 600,
        poll_interval_secs: 5,
    };
    let done = exchange(
        out,
        "link_start",
        device,
        gateway,
        (0x77, 0x88),
        &start,
        &offer,
    );
    assert_eq!(
        done.response_payload[1..9],
        *b"WDJBMJHT",
        "code: 8 bytes, no length"
    );
    let poll = Request::LinkPoll { code };
    let waiting = Response::LinkWaiting {
        poll_interval_secs: 10,
    };
    exchange(
        out,
        "link_poll",
        device,
        gateway,
        (0x99, 0xaa),
        &poll,
        &waiting,
    );

    let mut buf = [0u8; 512];
    for (name, reason) in [
        ("payload.link_declined", DenyReason::LinkDeclined),
        ("payload.link_expired", DenyReason::LinkExpired),
    ] {
        let denied = Response::Denied {
            reason,
            retry_after_secs: 0,
        };
        out.put(name, denied.encode(&mut buf).unwrap());
    }
    // A poll whose code holds a vowel is no message at all.
    let mut vowel = poll.encode(&mut buf).unwrap().to_vec();
    vowel[1] = b'A';
    assert_eq!(Request::decode(&vowel), Err(PayloadError::Malformed));
    out.put("malformed.link_code_vowel", &vowel);
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
