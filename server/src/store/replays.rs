//! The replays role: the granted sign-ins the gateway remembers, so that a recorded message 1
//! sent again is recognised as a replay ([`crate::rules`]), with group commit.

use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::time::UnixMillis;

/// Granted sign-ins, remembered by the keyed hash of their message 1.
///
/// A claim ([`ReplayStore::remember_granted_sign_in`]) is decided in the database: of two claims
/// of one message 1, made by any processes on the database, exactly one succeeds, and the other
/// process sees the claim as soon as the first returns. Its durability may wait:
/// [`ReplayStore::commit_granted_sign_ins`] makes every claim so far durable in one batch (group
/// commit: it runs on every granted sign-in), and the gateway sends no `Granted` before its
/// claim is durable.
pub trait ReplayStore: Send + Sync {
    /// Remembers that the `SignIn` whose body hashes to `message_1` was granted at `now`.
    /// `false`: it was already remembered, by this process or another (the request is a replay),
    /// and nothing changed.
    fn remember_granted_sign_in(
        &self,
        message_1: &KeyedHash,
        now: UnixMillis,
    ) -> Result<bool, Error>;
    /// Whether the `SignIn` whose body hashes to `message_1` was granted and is remembered: a
    /// read, made before any password work so that a replay costs no argon2id. The default
    /// answers `false`, leaving the replay to [`ReplayStore::remember_granted_sign_in`], after
    /// the password check.
    fn granted_sign_in_known(&self, message_1: &KeyedHash) -> Result<bool, Error> {
        let _ = message_1;
        Ok(false)
    }
    /// How many granted sign-ins this store has remembered since it was opened: the sequence
    /// number of the latest claim. The default, 0, is for stores whose
    /// [`ReplayStore::remember_granted_sign_in`] is durable when it returns.
    fn granted_sign_ins_claimed(&self) -> u64 {
        0
    }
    /// Makes every claim remembered so far durable (one batch, one sync) and returns how many
    /// claims since the store was opened are durable: a claim numbered at most that may be
    /// answered. Several callers at once share one batch.
    fn commit_granted_sign_ins(&self) -> Result<u64, Error> {
        Ok(self.granted_sign_ins_claimed())
    }
    /// Forgets the granted sign-ins remembered before `cutoff`; returns how many.
    fn forget_granted_sign_ins_before(&self, cutoff: UnixMillis) -> Result<usize, Error>;
}
