//! A device for the gateway tests: the real protocol client (`padlock_protocol::Initiator`)
//! talking to an in-process `Gateway` through `answer`.
#![allow(dead_code, reason = "each test file uses part of it")]

pub mod process;

use padlock_protocol::limits::MAX_WIRE_FRAME_LEN;
use padlock_protocol::{
    DenyReason, DeviceInfo, DeviceKind, Initiator, Password, RememberToken, Request, Response,
    SessionError, StaticKeypair,
};
use padlock_server::{Gateway, GatewayConfig, UnixMillis};
use rand_core::{CryptoRng, OsRng, RngCore, SeedableRng};

pub const EMAIL: &str = "Ann@Example.com";
pub const PRIMARY: &str = "correct horse battery staple";

pub fn config() -> GatewayConfig {
    GatewayConfig::default().fast_hashing()
}

/// One device: a static key derived from a device secret.
pub struct Device {
    pub keys: StaticKeypair,
}

impl Device {
    pub fn new(secret_byte: u8) -> Self {
        Self {
            keys: StaticKeypair::derive_from_device_secret(&[secret_byte; 32]).unwrap(),
        }
    }

    /// The request frame body (after the length prefix) for `request` to `gateway`.
    pub fn request_body(&self, gateway: &Gateway, request: &Request) -> (Initiator<'_>, Vec<u8>) {
        self.request_body_from(gateway, request, &mut OsRng)
    }

    /// Like [`Device::request_body`] with the ephemeral key drawn from `seed`: the same seed
    /// gives the same bytes, so a test can replay a message 1 exactly and still read the reply.
    pub fn request_body_seeded(
        &self,
        gateway: &Gateway,
        request: &Request,
        seed: [u8; 32],
    ) -> (Initiator<'_>, Vec<u8>) {
        self.request_body_from(
            gateway,
            request,
            &mut rand_chacha::ChaCha20Rng::from_seed(seed),
        )
    }

    fn request_body_from(
        &self,
        gateway: &Gateway,
        request: &Request,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> (Initiator<'_>, Vec<u8>) {
        let mut initiator = Initiator::new(&self.keys, gateway.public_key());
        let mut wire = [0u8; MAX_WIRE_FRAME_LEN];
        let n = initiator.write_request(request, rng, &mut wire).unwrap();
        (initiator, wire[2..n].to_vec())
    }

    /// Sends `request` and reads the answer.
    pub fn exchange(
        &self,
        gateway: &Gateway,
        request: &Request,
        now: UnixMillis,
    ) -> Result<Response, SessionError> {
        let (mut initiator, body) = self.request_body(gateway, request);
        read(&mut initiator, gateway, &body, now)
    }

    pub fn sign_in(
        &self,
        gateway: &Gateway,
        email: &str,
        password: &str,
        remember: bool,
        now: UnixMillis,
    ) -> Response {
        self.exchange(gateway, &sign_in(email, password, remember), now)
            .unwrap()
    }

    pub fn resume(&self, gateway: &Gateway, token: &RememberToken, now: UnixMillis) -> Response {
        self.exchange(
            gateway,
            &Request::Resume {
                token: token.clone(),
            },
            now,
        )
        .unwrap()
    }
}

/// Has `gateway` answer `body` and reads the reply with `initiator`.
pub fn read(
    initiator: &mut Initiator<'_>,
    gateway: &Gateway,
    body: &[u8],
    now: UnixMillis,
) -> Result<Response, SessionError> {
    let reply = gateway.answer(body, now).expect("a reply frame");
    let len = usize::from(u16::from_be_bytes([reply[0], reply[1]]));
    assert_eq!(len + 2, reply.len(), "one whole frame");
    initiator.read_reply(&reply[2..])
}

pub fn denied(reason: DenyReason) -> Response {
    Response::Denied {
        reason,
        retry_after_secs: 0,
    }
}

pub fn sign_in(email: &str, password: &str, remember: bool) -> Request {
    Request::SignIn {
        account: email.try_into().unwrap(),
        password: Password::new(password).unwrap(),
        remember,
        device: DeviceInfo {
            kind: DeviceKind::Xbox360,
            model: "Xbox 360 S".try_into().unwrap(),
            firmware: "2.0.17559.0".try_into().unwrap(),
        },
    }
}

/// The remember-me token of a `Granted`, or a panic naming what came instead.
pub fn granted_token(response: &Response) -> RememberToken {
    match response {
        Response::Granted {
            remember: Some(token),
            ..
        } => token.clone(),
        other => panic!("expected Granted with a token, got {other:?}"),
    }
}

pub fn is_granted(response: &Response) -> bool {
    matches!(response, Response::Granted { .. })
}

pub fn t(secs: u64) -> UnixMillis {
    UnixMillis(1_800_000_000_000 + secs * 1000)
}

/// Lowercase hexadecimal, as the CLI prints keys and as tests look for secrets in output.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
