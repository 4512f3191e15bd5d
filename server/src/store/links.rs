//! The phone links role: links a device asked for, waiting for the player's approval
//! ([`crate::link`]).
//!
//! A link is keyed by its code (8 letters, [`padlock_protocol::LinkCode`]) and bound to the
//! device static key that asked for it. Approving one is a single transaction that makes the
//! approval's credential (an app password row whose hash nobody can type, named after the
//! device, listed and revocable like any other), starts the device's token family on it, and
//! marks the link approved; revoking that credential later revokes the family, as for every
//! app password. Links are deleted once expired ([`LinkStore::forget_links_expired_before`]).

use padlock_protocol::{LinkCode, PublicKey};

use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::link::rules::LinkState;
use crate::store::NewToken;
use crate::time::UnixMillis;

/// A link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    /// Its code.
    pub code: LinkCode,
    /// The device static key it is bound to.
    pub device_key: PublicKey,
    /// The device's kind, as its protocol index (0 Xbox 360, 1 Zune, 2 other).
    pub kind: u8,
    /// The device's model, as it described itself.
    pub model: String,
    /// The device's firmware version, as it described itself.
    pub firmware: String,
    /// When the device asked.
    pub created: UnixMillis,
    /// When the code stops being valid.
    pub expires: UnixMillis,
    /// The current poll interval, in seconds.
    pub interval_secs: u8,
    /// The last poll.
    pub last_poll: Option<UnixMillis>,
    /// Where it stands.
    pub state: LinkState,
    /// Random bytes the approved token is derived from (kept until the link is deleted).
    pub seed: [u8; 32],
}

/// What an approval writes: the credential and the first token of the device's family.
#[derive(Debug, Clone)]
pub struct LinkApproval {
    /// The credential's name on the Security info page.
    pub name: String,
    /// The credential's keyed hash (of random bytes nobody keeps: it never signs in by itself).
    pub credential_hash: KeyedHash,
    /// The first token of the family (its `app_password_id` is filled in by the store).
    pub token: NewToken,
}

/// Pending phone links.
pub trait LinkStore: Send + Sync {
    /// Stores a new pending link. `false`: its code is taken by a link not yet deleted (draw
    /// another).
    fn insert_link(&self, link: &LinkRecord) -> Result<bool, Error>;
    /// Stores `link` as [`LinkStore::insert_link`] does, if `admit`, shown the expiry times of
    /// the links of its device key pending at `link.created` and how many are pending in all
    /// (as [`LinkStore::pending_link_counts`] gives them), says yes; with no other admitted start
    /// in between on any gateway sharing the database, so that caps checked in `admit` hold
    /// there. `None`: not admitted, nothing written; `Some(false)`: the code is taken.
    fn insert_link_admitted(
        &self,
        link: &LinkRecord,
        admit: &mut dyn FnMut(&[UnixMillis], usize) -> bool,
    ) -> Result<Option<bool>, Error>;
    /// The link with `code`, whatever its state or age.
    fn link(&self, code: &LinkCode) -> Result<Option<LinkRecord>, Error>;
    /// The expiry times of the links of `device_key` still pending at `now`, and how many links
    /// are pending at `now` in all.
    fn pending_link_counts(
        &self,
        device_key: &PublicKey,
        now: UnixMillis,
    ) -> Result<(Vec<UnixMillis>, usize), Error>;
    /// Records a poll of a pending link: its interval from now on, and the time. May be
    /// written unsynced (lost with the machine, it only forgets a slow-down).
    fn record_link_poll(
        &self,
        code: &LinkCode,
        interval_secs: u8,
        now: UnixMillis,
    ) -> Result<(), Error>;
    /// Approves the link for `account_id`, atomically: inserts the credential, starts the token
    /// family on it, marks the link approved. `None`: the link was not pending at `now` any
    /// more (approved, declined, expired or deleted meanwhile), and nothing was written.
    fn approve_link(
        &self,
        code: &LinkCode,
        account_id: i64,
        approval: &LinkApproval,
        now: UnixMillis,
    ) -> Result<Option<i64>, Error>;
    /// Declines a link pending at `now`. `false`: it was not pending.
    fn decline_link(&self, code: &LinkCode, now: UnixMillis) -> Result<bool, Error>;
    /// Every link pending at `now`, oldest first.
    fn pending_links(&self, now: UnixMillis) -> Result<Vec<LinkRecord>, Error>;
    /// Deletes the links expired at `cutoff` (their expiry at or before it); returns how many.
    fn forget_links_expired_before(&self, cutoff: UnixMillis) -> Result<usize, Error>;
}
