//! The pacing role: how soon each device key's budget of successes is full again
//! ([`crate::pace`] holds the rules and makes the subjects).

use std::time::Duration;

use crate::error::Error;
use crate::time::UnixMillis;

/// Success budgets, as the instant each one is full again (the "theoretical arrival time" of
/// the generic cell rate algorithm), keyed by opaque subject bytes (a kind and a device key).
///
/// In the store so that a device cannot multiply its budget by the number of gateways.
pub trait PaceStore: Send + Sync {
    /// When the budget of `subject` is full again; `None`: it is (or was never spent).
    fn pace_full_at(&self, subject: &[u8]) -> Result<Option<UnixMillis>, Error>;
    /// Spends one success of `subject`'s budget at `now`, atomically: its full-again instant
    /// becomes the later of itself and `now`, plus `every`.
    fn spend_pace(&self, subject: &[u8], now: UnixMillis, every: Duration) -> Result<(), Error>;
    /// Forgets the budgets full again before `cutoff` (they say nothing more); returns how many.
    fn forget_paces_before(&self, cutoff: UnixMillis) -> Result<usize, Error>;
}
