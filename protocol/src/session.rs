//! The secure sign-in exchange: one Noise `IK` handshake whose two messages carry the request
//! and its answer.
//!
//! ```text
//!  device (initiator)                                     gateway (responder)
//!  knows the gateway's static key `rs`
//!  frame [version] [ -> e, es, s, ss + Request  ] ─────────▶
//!                                                ◀───────── frame [status 0] [ <- e, ee, se + Response ]
//! ```
//!
//! Both sides are sans-IO state machines: they read and write byte slices the caller owns and
//! never touch a socket, a clock or an allocator. The adapter (smoltcp on the device, tokio on
//! the gateway) moves the bytes; [`crate::frame`] cuts them into frames.
//!
//! **Versioning.** Message 1 starts with one clear byte, the protocol version, and the Noise
//! prologue is `"padlock"` followed by that byte, so a changed byte fails the handshake. A
//! gateway that does not speak the version answers with a plain [`ReplyStatus::UnsupportedVersion`]
//! frame naming the versions it does speak, and the device can say so instead of "garbage".
//!
//! **Plain status frames** (unsupported version, rejected handshake, busy) are not
//! authenticated: anyone on the path could forge one, as they could reset the TCP connection.
//! A device treats them as "this attempt failed" and nothing more.
//!
//! ```
//! use padlock_protocol::{session::{Initiator, Responder}, frame::FrameDecoder, *};
//! # let mut rng = rand_core::OsRng;
//! let gateway = StaticKeypair::generate(&mut rng);
//! let device = StaticKeypair::derive_from_device_secret(&[7; 32]).unwrap();
//!
//! let mut wire = [0u8; limits::MAX_WIRE_FRAME_LEN];
//! let mut initiator = Initiator::new(&device, gateway.public());
//! let request = Request::Resume { token: RememberToken::from_bytes([1; 32]) };
//! let n = initiator.write_request(&request, &mut rng, &mut wire).unwrap();
//!
//! // The gateway reads the frame body (after the 2-byte length) and answers.
//! let mut responder = Responder::new(&gateway);
//! assert_eq!(responder.read_request(&wire[2..n], &mut rng).unwrap(), request);
//! assert_eq!(responder.device_key(), Some(device.public()));
//! let answer = Response::SignedOut;
//! let n = responder.write_reply(&answer, &mut wire).unwrap();
//!
//! assert_eq!(initiator.read_reply(&wire[2..n]).unwrap(), answer);
//! ```

mod noise;

use noise::Handshake;

use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::frame::{FrameError, encode_frame};
use crate::keys::{PublicKey, StaticKeypair};
use crate::limits::{
    FRAME_HEADER_LEN, MAX_REPLY_FRAME_LEN, MAX_REQUEST_FRAME_LEN, MAX_REQUEST_LEN,
    MAX_RESPONSE_LEN, NOISE_MESSAGE_1_OVERHEAD,
};
use crate::message::{PayloadError, Request, Response};

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u8 = 1;

/// The Noise protocol the channel uses.
pub const NOISE_PROTOCOL_NAME: &str = "Noise_IK_25519_ChaChaPoly_SHA256";

/// The Noise prologue for `version`: the protocol name `padlock` then the version byte.
pub const fn prologue(version: u8) -> [u8; 8] {
    [b'p', b'a', b'd', b'l', b'o', b'c', b'k', version]
}

/// First byte of a reply frame: whether a Noise message follows, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum ReplyStatus {
    /// Noise message 2 follows.
    Ok = 0,
    /// The gateway does not speak the request's version; two bytes follow: the lowest and the
    /// highest version it does speak.
    UnsupportedVersion = 1,
    /// The gateway could not authenticate message 1 (typically: the device holds another
    /// gateway's public key). Nothing follows.
    HandshakeRejected = 2,
    /// The gateway is at capacity; try again later. Nothing follows.
    Busy = 3,
}

/// What went wrong in the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SessionError {
    /// A call out of order: a second request, a reply before the request, and so on.
    OutOfOrder,
    /// The output buffer is too small (size it with [`MAX_WIRE_FRAME_LEN`](crate::limits::MAX_WIRE_FRAME_LEN)).
    BufferTooSmall,
    /// The frame body is not a well-formed message of this protocol.
    Malformed,
    /// The Noise message did not authenticate: corrupted, forged, or made for another key.
    Handshake,
    /// The request speaks a version this gateway does not (responder side).
    UnsupportedVersion {
        /// The version the peer asked for.
        version: u8,
    },
    /// The gateway speaks none of our versions (initiator side).
    GatewayVersion {
        /// Lowest version the gateway speaks.
        lowest: u8,
        /// Highest version the gateway speaks.
        highest: u8,
    },
    /// The gateway could not authenticate our message 1: check its provisioned public key.
    Rejected,
    /// The gateway is at capacity.
    Busy,
    /// The decrypted payload is not a valid message.
    Payload(PayloadError),
}

impl core::fmt::Display for SessionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::OutOfOrder => f.write_str("session call out of order"),
            Self::BufferTooSmall => f.write_str("output buffer too small"),
            Self::Malformed => f.write_str("malformed frame"),
            Self::Handshake => f.write_str("handshake message did not authenticate"),
            Self::UnsupportedVersion { version } => write!(f, "unsupported version {version}"),
            Self::GatewayVersion { lowest, highest } => {
                write!(f, "gateway speaks versions {lowest} to {highest} only")
            }
            Self::Rejected => f.write_str("gateway rejected the handshake"),
            Self::Busy => f.write_str("gateway busy"),
            Self::Payload(e) => write!(f, "payload: {e}"),
        }
    }
}

impl core::error::Error for SessionError {}

impl From<PayloadError> for SessionError {
    fn from(e: PayloadError) -> Self {
        match e {
            PayloadError::BufferTooSmall => Self::BufferTooSmall,
            other => Self::Payload(other),
        }
    }
}

impl From<FrameError> for SessionError {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::BufferTooSmall => Self::BufferTooSmall,
            _ => Self::Malformed,
        }
    }
}

/// Builds the handshake state for one side, drawing its ephemeral key from `rng`.
fn handshake<'k>(
    initiator: bool,
    prologue: &[u8],
    own: &'k StaticKeypair,
    remote: Option<PublicKey>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Handshake<'k>, SessionError> {
    let ephemeral = StaticKeypair::generate(rng);
    Handshake::new(initiator, prologue, own, ephemeral, remote)
}

/// The Noise handshake hash `h` as it stands.
fn handshake_hash(hs: &Handshake<'_>) -> [u8; 32] {
    hs.hash()
}

/// Appends the Noise message for `payload` to `head` in `out` and frames the result.
fn write_frame(
    hs: &mut Handshake<'_>,
    head: &[u8],
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, SessionError> {
    let body_start = FRAME_HEADER_LEN + head.len();
    let body = out
        .get_mut(body_start..)
        .ok_or(SessionError::BufferTooSmall)?;
    let noise_len = hs.write_message(payload, body)?;
    // Shift nothing: write the header and head in front of the Noise message.
    let body_len = head.len() + noise_len;
    let len = u16::try_from(body_len).map_err(|_| SessionError::Malformed)?;
    let front = out
        .get_mut(..body_start)
        .ok_or(SessionError::BufferTooSmall)?;
    let (header, head_out) = front.split_at_mut(FRAME_HEADER_LEN);
    header.copy_from_slice(&len.to_be_bytes());
    head_out.copy_from_slice(head);
    Ok(FRAME_HEADER_LEN + body_len)
}

/// Reads a Noise message into `out`, returning the payload.
fn read_noise<'a>(
    hs: &mut Handshake<'_>,
    message: &[u8],
    out: &'a mut [u8],
) -> Result<&'a [u8], SessionError> {
    let n = hs.read_message(message, out)?;
    out.get(..n).ok_or(SessionError::Malformed)
}

#[allow(
    clippy::large_enum_variant,
    reason = "no heap to box into; the size is fixed and measured"
)]
enum InitiatorState<'k> {
    Ready,
    AwaitingReply(Handshake<'k>),
    Done,
}

/// The device's side: writes one request, reads its reply.
pub struct Initiator<'k> {
    keys: &'k StaticKeypair,
    gateway: PublicKey,
    state: InitiatorState<'k>,
    hash: Option<[u8; 32]>,
}

impl<'k> Initiator<'k> {
    /// An exchange from the device `keys` to the gateway whose static public key is `gateway`.
    pub fn new(keys: &'k StaticKeypair, gateway: PublicKey) -> Self {
        Self {
            keys,
            gateway,
            state: InitiatorState::Ready,
            hash: None,
        }
    }

    /// Writes the whole request frame (length prefix, version byte, Noise message 1) into `out`
    /// and returns its length. A fresh ephemeral key is drawn from `rng`.
    ///
    /// # Errors
    /// [`SessionError::BufferTooSmall`] if `out` cannot hold the frame;
    /// [`SessionError::OutOfOrder`] if a request was already written.
    pub fn write_request(
        &mut self,
        request: &Request,
        rng: &mut (impl RngCore + CryptoRng),
        out: &mut [u8],
    ) -> Result<usize, SessionError> {
        if !matches!(self.state, InitiatorState::Ready) {
            return Err(SessionError::OutOfOrder);
        }
        let mut payload = Zeroizing::new([0u8; MAX_REQUEST_LEN]);
        let payload = request.encode(payload.as_mut())?;
        let mut hs = handshake(
            true,
            &prologue(PROTOCOL_VERSION),
            self.keys,
            Some(self.gateway),
            rng,
        )?;
        let n = write_frame(&mut hs, &[PROTOCOL_VERSION], payload, out)?;
        self.hash = Some(handshake_hash(&hs));
        self.state = InitiatorState::AwaitingReply(hs);
        Ok(n)
    }

    /// Reads the reply frame's body (what [`FrameDecoder`](crate::frame::FrameDecoder) returns)
    /// and returns the gateway's response.
    ///
    /// # Errors
    /// [`SessionError::GatewayVersion`], [`SessionError::Rejected`] or [`SessionError::Busy`]
    /// for a plain status frame; [`SessionError::Handshake`] if the reply does not authenticate
    /// as coming from the gateway; [`SessionError::Malformed`] or [`SessionError::Payload`] for
    /// bytes that are not a reply. Any error ends the exchange.
    pub fn read_reply(&mut self, body: &[u8]) -> Result<Response, SessionError> {
        if !matches!(self.state, InitiatorState::AwaitingReply(_)) {
            return Err(SessionError::OutOfOrder);
        }
        let InitiatorState::AwaitingReply(mut hs) =
            core::mem::replace(&mut self.state, InitiatorState::Done)
        else {
            return Err(SessionError::OutOfOrder);
        };
        let (&status, rest) = body.split_first().ok_or(SessionError::Malformed)?;
        match (status, rest) {
            (s, message) if s == ReplyStatus::Ok as u8 => {
                if message.len() > MAX_REPLY_FRAME_LEN - 1 {
                    return Err(SessionError::Malformed);
                }
                let mut plain = Zeroizing::new([0u8; MAX_RESPONSE_LEN]);
                let payload = read_noise(&mut hs, message, plain.as_mut())?;
                self.hash = Some(handshake_hash(&hs));
                Ok(Response::decode(payload)?)
            }
            (s, &[lowest, highest]) if s == ReplyStatus::UnsupportedVersion as u8 => {
                Err(SessionError::GatewayVersion { lowest, highest })
            }
            (s, &[]) if s == ReplyStatus::HandshakeRejected as u8 => Err(SessionError::Rejected),
            (s, &[]) if s == ReplyStatus::Busy as u8 => Err(SessionError::Busy),
            _ => Err(SessionError::Malformed),
        }
    }

    /// The Noise handshake hash after the last message this side processed: after the reply
    /// is read, the value both sides share (usable to bind later messages to this sign-in).
    pub fn handshake_hash(&self) -> Option<[u8; 32]> {
        self.hash
    }
}

#[allow(
    clippy::large_enum_variant,
    reason = "no heap to box into; the size is fixed and measured"
)]
enum ResponderState<'k> {
    Ready,
    Replying(Handshake<'k>),
    Done,
}

/// The gateway's side: reads one request, writes one reply.
pub struct Responder<'k> {
    keys: &'k StaticKeypair,
    device: Option<PublicKey>,
    state: ResponderState<'k>,
    hash: Option<[u8; 32]>,
}

impl<'k> Responder<'k> {
    /// An exchange answered with the gateway's static `keys`.
    pub fn new(keys: &'k StaticKeypair) -> Self {
        Self {
            keys,
            device: None,
            state: ResponderState::Ready,
            hash: None,
        }
    }

    /// Reads a request frame's body (what [`FrameDecoder`](crate::frame::FrameDecoder)
    /// returns). A fresh ephemeral key for the reply is drawn from `rng`.
    ///
    /// # Errors
    /// - [`SessionError::UnsupportedVersion`]: answer with [`write_status`] and
    ///   [`ReplyStatus::UnsupportedVersion`];
    /// - [`SessionError::Handshake`]: message 1 did not authenticate; answer
    ///   [`ReplyStatus::HandshakeRejected`] or just close;
    /// - [`SessionError::Payload`] with [`PayloadError::UnknownMessage`]: the channel is up but
    ///   the request is newer than this gateway; [`Responder::write_reply`] still works, answer
    ///   `Denied { reason: UnsupportedVersion, .. }`;
    /// - anything else: malformed input, close the connection.
    pub fn read_request(
        &mut self,
        body: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Request, SessionError> {
        if !matches!(self.state, ResponderState::Ready) {
            return Err(SessionError::OutOfOrder);
        }
        self.state = ResponderState::Done;
        let (&version, message) = body.split_first().ok_or(SessionError::Malformed)?;
        if version != PROTOCOL_VERSION {
            padlock_fmt::debug!("request for unsupported version {}", version);
            return Err(SessionError::UnsupportedVersion { version });
        }
        if message.len() < NOISE_MESSAGE_1_OVERHEAD || body.len() > MAX_REQUEST_FRAME_LEN {
            return Err(SessionError::Malformed);
        }
        let mut hs = handshake(false, &prologue(version), self.keys, None, rng)?;
        let mut plain = Zeroizing::new([0u8; MAX_REQUEST_LEN]);
        let payload = read_noise(&mut hs, message, plain.as_mut())?;
        self.device = hs.remote_static();
        self.hash = Some(handshake_hash(&hs));
        let request = Request::decode(payload);
        if matches!(request, Ok(_) | Err(PayloadError::UnknownMessage)) {
            self.state = ResponderState::Replying(hs);
        }
        Ok(request?)
    }

    /// The device's static public key, once message 1 has authenticated.
    pub fn device_key(&self) -> Option<PublicKey> {
        self.device
    }

    /// The Noise handshake hash after the last message this side processed (see
    /// [`Initiator::handshake_hash`]).
    pub fn handshake_hash(&self) -> Option<[u8; 32]> {
        self.hash
    }

    /// Writes the whole reply frame (length prefix, status, Noise message 2) into `out` and
    /// returns its length.
    ///
    /// # Errors
    /// [`SessionError::OutOfOrder`] unless a request was read and authenticated;
    /// [`SessionError::BufferTooSmall`] if `out` cannot hold the frame (nothing is lost: call
    /// again with a larger buffer).
    pub fn write_reply(
        &mut self,
        response: &Response,
        out: &mut [u8],
    ) -> Result<usize, SessionError> {
        let ResponderState::Replying(hs) = &mut self.state else {
            return Err(SessionError::OutOfOrder);
        };
        let mut payload = Zeroizing::new([0u8; MAX_RESPONSE_LEN]);
        let payload = response.encode(payload.as_mut())?;
        match write_frame(hs, &[ReplyStatus::Ok as u8], payload, out) {
            // The handshake checks the buffer before it touches its state: the caller may retry.
            Err(SessionError::BufferTooSmall) => Err(SessionError::BufferTooSmall),
            result => {
                self.hash = Some(handshake_hash(hs));
                self.state = ResponderState::Done;
                result
            }
        }
    }
}

/// Writes a plain status frame (anything but [`ReplyStatus::Ok`]) into `out` and returns its
/// length. For [`ReplyStatus::UnsupportedVersion`] it names this crate's versions.
///
/// # Errors
/// [`SessionError::BufferTooSmall`] if `out` has fewer than 5 bytes;
/// [`SessionError::OutOfOrder`] for [`ReplyStatus::Ok`], which only [`Responder::write_reply`]
/// can write.
pub fn write_status(status: ReplyStatus, out: &mut [u8]) -> Result<usize, SessionError> {
    let body: &[u8] = match status {
        ReplyStatus::Ok => return Err(SessionError::OutOfOrder),
        ReplyStatus::UnsupportedVersion => &[status as u8, PROTOCOL_VERSION, PROTOCOL_VERSION],
        ReplyStatus::HandshakeRejected | ReplyStatus::Busy => &[status as u8],
    };
    Ok(encode_frame(body, out)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Hands out fixed bytes as "randomness", so a test can pin an ephemeral key.
    struct FixedRng<'a>(&'a [u8]);

    impl RngCore for FixedRng<'_> {
        fn next_u32(&mut self) -> u32 {
            unimplemented!()
        }
        fn next_u64(&mut self) -> u64 {
            unimplemented!()
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            let (now, rest) = self.0.split_at(dest.len());
            dest.copy_from_slice(now);
            self.0 = rest;
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    impl CryptoRng for FixedRng<'_> {}

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn key(text: &str) -> [u8; 32] {
        unhex(text).try_into().unwrap()
    }

    /// The published Noise test vector for exactly this protocol (Cacophony's), run through the
    /// same handshake construction the session uses.
    #[test]
    fn cacophony_vector() {
        let file: serde_json::Value = serde_json::from_str(include_str!(
            "../tests/vectors/noise_ik_25519_chachapoly_sha256.json"
        ))
        .unwrap();
        let v = &file["vector"];
        let field = |name: &str| v[name].as_str().unwrap();
        assert_eq!(field("protocol_name"), NOISE_PROTOCOL_NAME);
        let messages = v["messages"].as_array().unwrap();
        let message = |i: usize, part: &str| unhex(messages[i][part].as_str().unwrap());

        let init_static = StaticKeypair::from_secret(key(field("init_static")));
        let resp_static = StaticKeypair::from_secret(key(field("resp_static")));
        let init_e = unhex(field("init_ephemeral"));
        let resp_e = unhex(field("resp_ephemeral"));
        assert_eq!(
            key(field("init_remote_static")),
            resp_static.public().0,
            "vector's responder key"
        );

        let prologue = unhex(field("init_prologue"));
        let mut init = handshake(
            true,
            &prologue,
            &init_static,
            Some(resp_static.public()),
            &mut FixedRng(&init_e),
        )
        .unwrap();
        let mut resp = handshake(
            false,
            &unhex(field("resp_prologue")),
            &resp_static,
            None,
            &mut FixedRng(&resp_e),
        )
        .unwrap();

        let mut wire = [0u8; 1024];
        let mut plain = [0u8; 1024];
        for i in 0..2 {
            let (writer, reader) = if i == 0 {
                (&mut init, &mut resp)
            } else {
                (&mut resp, &mut init)
            };
            let n = writer
                .write_message(&message(i, "payload"), &mut wire)
                .unwrap();
            assert_eq!(wire[..n], message(i, "ciphertext")[..], "message {}", i + 1);
            let got = read_noise(reader, &wire[..n], &mut plain).unwrap();
            assert_eq!(got, &message(i, "payload")[..]);
        }
        let expected_hash = key(field("handshake_hash"));
        assert_eq!(handshake_hash(&init), expected_hash);
        assert_eq!(handshake_hash(&resp), expected_hash);
    }

    #[test]
    fn calls_out_of_order_are_errors_and_lose_nothing() {
        let device = StaticKeypair::from_secret([1; 32]);
        let gateway = StaticKeypair::from_secret([2; 32]);
        let mut request_wire = [0u8; 1100];
        let mut initiator = Initiator::new(&device, gateway.public());
        assert_eq!(initiator.read_reply(&[0]), Err(SessionError::OutOfOrder));
        let request = Request::SignOut {
            token: crate::RememberToken::from_bytes([3; 32]),
        };
        let mut rng = FixedRng(&[9; 64]);
        let n = initiator
            .write_request(&request, &mut rng, &mut request_wire)
            .unwrap();
        assert_eq!(
            initiator.write_request(&request, &mut rng, &mut [0u8; 1100]),
            Err(SessionError::OutOfOrder)
        );

        let mut reply_wire = [0u8; 1100];
        let mut responder = Responder::new(&gateway);
        assert_eq!(
            responder.write_reply(&Response::SignedOut, &mut reply_wire),
            Err(SessionError::OutOfOrder)
        );
        assert_eq!(
            responder.read_request(&request_wire[2..n], &mut FixedRng(&[4; 32])),
            Ok(request)
        );
        assert_eq!(
            responder.write_reply(&Response::SignedOut, &mut reply_wire[..40]),
            Err(SessionError::BufferTooSmall)
        );
        let n = responder
            .write_reply(&Response::SignedOut, &mut reply_wire)
            .unwrap();
        assert_eq!(
            responder.write_reply(&Response::SignedOut, &mut reply_wire),
            Err(SessionError::OutOfOrder)
        );
        assert_eq!(
            initiator.read_reply(&reply_wire[2..n]),
            Ok(Response::SignedOut)
        );
        assert_eq!(initiator.handshake_hash(), responder.handshake_hash());
        assert_eq!(
            write_status(ReplyStatus::Ok, &mut reply_wire),
            Err(SessionError::OutOfOrder)
        );
    }

    #[test]
    fn status_frames_reach_the_device_as_errors() {
        let device = StaticKeypair::from_secret([1; 32]);
        let gateway = StaticKeypair::from_secret([2; 32]);
        let request = Request::SignOut {
            token: crate::RememberToken::from_bytes([3; 32]),
        };
        let cases = [
            (
                ReplyStatus::UnsupportedVersion,
                SessionError::GatewayVersion {
                    lowest: PROTOCOL_VERSION,
                    highest: PROTOCOL_VERSION,
                },
            ),
            (ReplyStatus::HandshakeRejected, SessionError::Rejected),
            (ReplyStatus::Busy, SessionError::Busy),
        ];
        for (status, error) in cases {
            let mut wire = [0u8; 1100];
            let mut initiator = Initiator::new(&device, gateway.public());
            initiator
                .write_request(&request, &mut FixedRng(&[5; 32]), &mut wire)
                .unwrap();
            let n = write_status(status, &mut wire).unwrap();
            assert_eq!(initiator.read_reply(&wire[2..n]), Err(error));
        }
    }

    #[test]
    fn a_newer_version_gets_a_status_and_a_newer_request_gets_a_reply() {
        let gateway = StaticKeypair::from_secret([2; 32]);
        let mut responder = Responder::new(&gateway);
        assert_eq!(
            responder.read_request(&[2, 0, 0, 0], &mut FixedRng(&[5; 32])),
            Err(SessionError::UnsupportedVersion { version: 2 })
        );

        // A request kind this gateway does not know, inside a valid handshake.
        let device = StaticKeypair::from_secret([1; 32]);
        let mut hs = handshake(
            true,
            &prologue(PROTOCOL_VERSION),
            &device,
            Some(gateway.public()),
            &mut FixedRng(&[6; 32]),
        )
        .unwrap();
        let mut wire = [0u8; 1100];
        let n = write_frame(&mut hs, &[PROTOCOL_VERSION], &[7, 1, 2], &mut wire).unwrap();
        let mut responder = Responder::new(&gateway);
        assert_eq!(
            responder.read_request(&wire[2..n], &mut FixedRng(&[8; 32])),
            Err(SessionError::Payload(PayloadError::UnknownMessage))
        );
        let denied = Response::Denied {
            reason: crate::DenyReason::UnsupportedVersion,
            retry_after_secs: 0,
        };
        assert!(responder.write_reply(&denied, &mut wire).is_ok());
    }
}
