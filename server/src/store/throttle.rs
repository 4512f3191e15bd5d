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

/// Where a subject stands when an attempt asks to begin ([`ThrottleStore::begin_attempt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubjectCount {
    /// Its failure counters.
    pub record: Option<ThrottleRecord>,
    /// Attempts counted against it that are in flight: begun, not ended, lease not run out.
    pub in_flight: u32,
}

/// An attempt in flight, as the store counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttemptId(pub i64);

/// Throttling counters, keyed by opaque subject bytes, and the attempts in flight against them.
///
/// Both live in the store so that every gateway process on one database sees them: a guess
/// counts against the account's cap whichever gateway it reaches, and so does a guess being
/// evaluated right now on another machine.
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

    /// Begins an attempt against `subjects` at `now`, if `admit` lets it, in one transaction:
    /// a counter whose last failure is after `now` (the clock was set back) is moved back to
    /// `now` first; then `admit` is shown each subject's [`SubjectCount`] (in the order of
    /// `subjects`); if it answers `true`, the attempt is counted in flight against every
    /// subject until it is ended ([`ThrottleStore::end_attempt`]) or `lease_until` passes
    /// (the gateway that began it crashed), and its id is returned. `None`: not admitted,
    /// nothing counted. No other attempt begins between the counts `admit` sees and the
    /// attempt's own counting, whichever process begins it.
    fn begin_attempt(
        &self,
        subjects: &[&[u8]],
        now: UnixMillis,
        lease_until: UnixMillis,
        admit: &mut dyn FnMut(&[SubjectCount]) -> bool,
    ) -> Result<Option<AttemptId>, Error>;
    /// Ends an attempt: it no longer counts in flight (its outcome is recorded separately, with
    /// [`ThrottleStore::record_failure`] or [`ThrottleStore::clear_throttle`]). Ending one that
    /// already ended, or whose lease ran out and was deleted, does nothing.
    fn end_attempt(&self, attempt: AttemptId) -> Result<(), Error>;
}
