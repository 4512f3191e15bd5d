//! The throttle role: failure counters per subject (an account, a device key, or the pair;
//! [`crate::throttle`] holds the rules and makes the subjects).

use crate::error::Error;
use crate::time::UnixMillis;

/// Failures counted against one throttling subject (an account or a device key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRecord {
    /// Consecutive failures.
    pub failures: u32,
    /// The last one.
    pub last_failure: UnixMillis,
}

/// Throttling counters, keyed by opaque subject bytes.
pub trait ThrottleStore: Send + Sync {
    /// The failure counters of a throttling subject ([`crate::throttle`]).
    fn throttle(&self, subject: &[u8]) -> Result<Option<ThrottleRecord>, Error>;
    /// Adds one failure at `now` to each of `subjects`, in one transaction (one disk sync). A
    /// counter whose last failure is before `forget_before` starts again from this one.
    fn record_failure(
        &self,
        subjects: &[&[u8]],
        now: UnixMillis,
        forget_before: UnixMillis,
    ) -> Result<(), Error>;
    /// Moves the last failure of `subject` back to `now` if it is later (the clock was set
    /// back): from then on its delay runs from `now`.
    fn rebase_throttle(&self, subject: &[u8], now: UnixMillis) -> Result<(), Error>;
    /// Forgets the counters of `subject` (after a success).
    fn clear_throttle(&self, subject: &[u8]) -> Result<(), Error>;
    /// Forgets every subject whose last failure is before `cutoff`; returns how many.
    fn forget_throttle_before(&self, cutoff: UnixMillis) -> Result<usize, Error>;
    /// Forgets every subject that starts with `prefix` (an administrator's unlock); returns how
    /// many.
    fn clear_throttle_prefix(&self, prefix: &[u8]) -> Result<usize, Error>;
}
