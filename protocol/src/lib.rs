//! # padlock-protocol
//!
//! The wire protocol between a Padlock device (a console or media player signing in with an
//! app password) and the Padlock gateway. `no_std`, no allocation: every buffer is the
//! caller's, every size has a constant in [`limits`].
//!
//! A sign-in is one round trip after the TCP connect:
//!
//! 1. [`frame`]: each message travels as a 2-byte big-endian length and a body.
//! 2. [`session`]: the body is a Noise `IK` handshake message (`Noise_IK_25519_ChaChaPoly_SHA256`);
//!    the device already knows the gateway's static key, so message 1 carries the encrypted
//!    request and message 2 the encrypted answer.
//! 3. [`message`]: the request and answer themselves, postcard-encoded enums with bounded fields.
//!
//! [`keys`] holds the X25519 static keys: the gateway's, and the device's, derived from its
//! device secret.
//!
//! The normative specification, with byte-level test vectors, is `docs/protocol.md`.
//!
//! ## Features
//! - `defmt`: `defmt::Format` for the public types and logs through defmt (embedded targets).
//! - `log`: logs through the `log` crate (host). Exclusive with `defmt`.
#![no_std]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[cfg(test)]
extern crate std;

pub mod frame;
pub mod keys;
pub mod limits;
pub mod message;
pub mod session;

pub use keys::{KeyError, PublicKey, StaticKeypair};
pub use message::{
    DenyReason, DeviceInfo, DeviceKind, DisplayName, Email, LinkAddress, LinkCode, Password,
    PayloadError, RememberToken, Request, Response, SessionTicket,
};
pub use session::{Initiator, Responder, SessionError};
