//! Session tickets: proof of one sign-in that the gateway can check later without storing it.
//!
//! Every `Granted` carries a 32-byte ticket for the device's other services. A service hands it
//! back to the gateway ([`Gateway::verify_ticket`]) with the device static key it sees, and
//! learns which account signed in and until when the ticket holds. Nothing is stored: the
//! ticket carries its claims and a MAC under the gateway's hashing key.
//!
//! ```text
//!  bytes 0..8    the account, opaque: its row id (i64 big-endian) through a keyed permutation
//!  bytes 8..16   expiry, Unix milliseconds, u64 big-endian
//!  bytes 16..32  HMAC-SHA256(hashing key, "padlock session ticket v1", account id,
//!                device static key, expiry), first 16 bytes
//! ```
//!
//! **The account is opaque.** Row ids count up: shown as they are, a device would learn how many
//! accounts were made before its own, and its neighbours' ids. So the ticket carries the id through
//! a keyed pseudorandom permutation of 64-bit values (four Feistel rounds whose round function is
//! the gateway's keyed hash): the same account always shows the same 8 bytes, which say nothing
//! without the hashing key, and the gateway turns them back into the id without storing anything.
//!
//! The claims travel in clear inside the encrypted reply only (a ticket never crosses the wire
//! in clear), so a 128-bit tag is enough: forging one means guessing 2^128 values online. The
//! device key is in the MAC, not in the ticket: a ticket copied to another device does not
//! verify. Tickets expire after [`GatewayConfig::ticket_lifetime`](crate::GatewayConfig) and
//! cannot be revoked one by one (rotating the hashing key would revoke them all).

use padlock_protocol::{PublicKey, SessionTicket};

use crate::gateway::Gateway;
use crate::hashing::{ct_eq, domain};
use crate::time::UnixMillis;

/// Length of the MAC at the end of a ticket.
const TAG_LEN: usize = 16;

/// Rounds of the Feistel network that disguises the account id (four make a pseudorandom
/// permutation of its keyed round functions: Luby and Rackoff).
const FEISTEL_ROUNDS: u8 = 4;

fn halves(bytes: [u8; 8]) -> (u32, u32) {
    let [a, b, c, d, e, f, g, h] = bytes;
    (
        u32::from_be_bytes([a, b, c, d]),
        u32::from_be_bytes([e, f, g, h]),
    )
}

fn joined(left: u32, right: u32) -> [u8; 8] {
    let mut bytes = [0u8; 8];
    let (high, low) = bytes.split_at_mut(4);
    high.copy_from_slice(&left.to_be_bytes());
    low.copy_from_slice(&right.to_be_bytes());
    bytes
}

/// What a valid ticket says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedTicket {
    /// The account that signed in (its row id).
    pub account_id: i64,
    /// When the ticket stops being valid.
    pub expires: UnixMillis,
}

impl Gateway {
    /// A ticket for `account_id` signed in from `device_key` at `now`.
    pub(crate) fn issue_ticket(
        &self,
        account_id: i64,
        device_key: &PublicKey,
        now: UnixMillis,
    ) -> SessionTicket {
        let expires = now.plus(self.config.ticket_lifetime);
        let mut ticket = [0u8; 32];
        let (claims, tag_out) = ticket.split_at_mut(16);
        let (id_out, expires_out) = claims.split_at_mut(8);
        id_out.copy_from_slice(&self.disguise_account(account_id));
        expires_out.copy_from_slice(&expires.0.to_be_bytes());
        let tag = self.ticket_tag(account_id, device_key, expires);
        tag_out.copy_from_slice(&tag);
        SessionTicket::from_bytes(ticket)
    }

    /// Checks a session ticket presented with `device_key` at `now`: its account and expiry if
    /// the gateway issued it to that device and it has not expired, else `None`.
    pub fn verify_ticket(
        &self,
        ticket: &SessionTicket,
        device_key: &PublicKey,
        now: UnixMillis,
    ) -> Option<VerifiedTicket> {
        let (claims, tag) = ticket.as_bytes().split_at(16);
        let (id, expires) = claims.split_at(8);
        let account_id = self.reveal_account(id.try_into().ok()?);
        let expires = UnixMillis(u64::from_be_bytes(expires.try_into().ok()?));
        let expected = self.ticket_tag(account_id, device_key, expires);
        (ct_eq(tag, &expected) && now < expires).then_some(VerifiedTicket {
            account_id,
            expires,
        })
    }

    /// The account id as a ticket shows it: the keyed permutation of its 8 bytes.
    fn disguise_account(&self, account_id: i64) -> [u8; 8] {
        let (mut left, mut right) = halves(account_id.to_be_bytes());
        for round in 0..FEISTEL_ROUNDS {
            (left, right) = (right, left ^ self.feistel_round(round, right));
        }
        joined(left, right)
    }

    /// The account id behind the 8 bytes a ticket shows: the permutation undone.
    fn reveal_account(&self, shown: [u8; 8]) -> i64 {
        let (mut left, mut right) = halves(shown);
        for round in (0..FEISTEL_ROUNDS).rev() {
            (left, right) = (right ^ self.feistel_round(round, left), left);
        }
        i64::from_be_bytes(joined(left, right))
    }

    fn feistel_round(&self, round: u8, half: u32) -> u32 {
        let mac = self
            .keyed
            .hash(domain::TICKET_ACCOUNT, &[&[round], &half.to_be_bytes()]);
        u32::from_be_bytes([mac[0], mac[1], mac[2], mac[3]])
    }

    fn ticket_tag(
        &self,
        account_id: i64,
        device_key: &PublicKey,
        expires: UnixMillis,
    ) -> [u8; TAG_LEN] {
        let mac = self.keyed.hash(
            domain::TICKET,
            &[
                &account_id.to_be_bytes(),
                &device_key.0,
                &expires.0.to_be_bytes(),
            ],
        );
        let mut tag = [0u8; TAG_LEN];
        tag.iter_mut().zip(mac).for_each(|(t, m)| *t = m);
        tag
    }
}
