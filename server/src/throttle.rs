//! Throttling: how fast anyone can guess passwords through this gateway.
//!
//! Failures are counted per **subject**: the account named in the request (whether it exists or
//! not, so the throttle says nothing about existence) and the device static key that sent it.
//! The first [`FREE_FAILURES`] consecutive failures cost nothing (typos happen); after that each
//! further attempt must wait [`delay`]: 1 s, then doubling with every failure, up to
//! [`MAX_DELAY`] (one hour). A success clears the subject's counters (not a replayed one:
//! see [`crate::rules`]); counters whose last failure
//! is older than [`FORGET_AFTER`] (a day) are forgotten.
//!
//! **The cap.** An attacker who guesses one account's password as fast as the gateway allows
//! gets at most [`MAX_GUESSES_PER_DAY`] = 40 guesses evaluated per day (the fastest schedule gets
//! 39: five at once, twelve more while the delay doubles over 68 minutes, then one an hour),
//! whatever number of devices or connections they use: the account's counter is shared by all
//! of them, and waiting a day for it to be forgotten only restarts the same schedule. Against 26^16 app
//! passwords that is nothing; against a weak primary password it is what argon2id and a
//! lock-out can do without handing the attacker a way to lock the owner out for good: the owner's
//! own password sign-ins wait at most an hour (an app password waits like any password, since a
//! throttled answer must not say whether the password was right), and devices holding a
//! remember-me token are not throttled at all (`Resume` guesses nothing: a token is 256 bits).
//!
//! **Concurrency.** Attempts in flight count as failures until they finish, so 64 simultaneous
//! guesses get no more evaluations than 64 sequential ones: admission and the in-flight count
//! change under one lock. (A gateway spread over several processes shares the persisted
//! counters but not the in-flight ones; each process then adds at most its own concurrency.)
//!
//! **Failing closed.** If the store cannot record a failure, the failure is still counted, in
//! memory, on top of the store's counters (until it would be forgotten, or the subject
//! succeeds): a store that cannot write answers `ServerError` but never evaluates more guesses
//! than the schedule allows.
//!
//! A throttled attempt is answered `Denied { Throttled, retry_after_secs }` before any password
//! is checked, so it reveals nothing about the password.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::Error;
use crate::store::{Store, ThrottleRecord};
use crate::time::UnixMillis;

/// Consecutive failures that cost no waiting.
pub const FREE_FAILURES: u32 = 5;
/// The longest wait between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(3600);
/// Counters idle this long are forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);
/// The most guesses of one account's password this gateway evaluates in any one day (see the
/// module docs; proven by a test on virtual time).
pub const MAX_GUESSES_PER_DAY: u32 = 40;

/// The wait required after `failures` consecutive failures.
pub fn delay(failures: u32) -> Duration {
    match failures.checked_sub(FREE_FAILURES) {
        None => Duration::ZERO,
        Some(extra) => {
            let secs = 1u64.checked_shl(extra).unwrap_or(u64::MAX);
            Duration::from_secs(secs).min(MAX_DELAY)
        }
    }
}

/// A throttling subject: a tag byte and 32 bytes (keyed hash of an account, or a device key).
pub(crate) type Subject = [u8; 33];

/// The subject for an account, from its keyed hash.
pub(crate) fn account_subject(hash: &[u8; 32]) -> Subject {
    tagged(b'a', hash)
}

/// The subject for a device static key.
pub(crate) fn device_subject(key: &[u8; 32]) -> Subject {
    tagged(b'd', key)
}

fn tagged(tag: u8, bytes: &[u8; 32]) -> Subject {
    let mut subject = [0u8; 33];
    let (head, tail) = subject.split_at_mut(1);
    head.copy_from_slice(&[tag]);
    tail.copy_from_slice(bytes);
    subject
}

/// Admission control for password attempts.
#[derive(Default)]
pub(crate) struct Throttle {
    state: Mutex<InMemory>,
    failures: AtomicU64,
}

/// What the throttle knows beyond the store's counters, under one lock.
#[derive(Default)]
struct InMemory {
    /// Attempts admitted and not finished, per subject.
    in_flight: HashMap<Subject, u32>,
    /// Failures the store failed to record, per subject: counted on top of the store's until
    /// they are [`FORGET_AFTER`] old or the subject succeeds, so a store that cannot write does
    /// not open the throttle.
    unrecorded: HashMap<Subject, ThrottleRecord>,
}

/// Every this many failures, counters older than [`FORGET_AFTER`] are deleted, so guesses at
/// random email addresses cannot grow the table without bound.
const PRUNE_EVERY: u64 = 1024;

/// An admitted attempt; report its outcome with [`Attempt::failed`] or [`Attempt::succeeded`].
pub(crate) struct Attempt<'t> {
    throttle: &'t Throttle,
    subjects: Vec<(Subject, bool)>,
}

/// Whether an attempt may go ahead.
pub(crate) enum Admission<'t> {
    /// Go ahead.
    Admitted(Attempt<'t>),
    /// Wait this many seconds.
    Throttled(u32),
}

impl Throttle {
    /// Admits an attempt on all `subjects` at `now`, or says how long to wait.
    pub fn admit<'t>(
        &'t self,
        store: &dyn Store,
        subjects: &[Subject],
        now: UnixMillis,
    ) -> Result<Admission<'t>, Error> {
        let mut state = self.lock();
        let mut wait = Duration::ZERO;
        let mut known = Vec::with_capacity(subjects.len());
        for subject in subjects {
            let stored = store.throttle(subject)?;
            let unrecorded = state.unrecorded.get(subject).copied();
            let record =
                combine(stored, unrecorded).filter(|r| now.since(r.last_failure) < FORGET_AFTER);
            let pending = state.in_flight.get(subject).copied().unwrap_or(0);
            wait = wait.max(required_wait(record, pending, now));
            known.push((*subject, record.is_some()));
        }
        if !wait.is_zero() {
            let secs = wait.as_millis().div_ceil(1000);
            return Ok(Admission::Throttled(
                u32::try_from(secs).unwrap_or(u32::MAX).max(1),
            ));
        }
        for (subject, _) in &known {
            *state.in_flight.entry(*subject).or_insert(0) += 1;
        }
        Ok(Admission::Admitted(Attempt {
            throttle: self,
            subjects: known,
        }))
    }
}

impl Throttle {
    fn lock(&self) -> std::sync::MutexGuard<'_, InMemory> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The store's counter with the failures it could not record added on top.
fn combine(
    stored: Option<ThrottleRecord>,
    unrecorded: Option<ThrottleRecord>,
) -> Option<ThrottleRecord> {
    match (stored, unrecorded) {
        (Some(s), Some(u)) => Some(ThrottleRecord {
            failures: s.failures.saturating_add(u.failures),
            last_failure: s.last_failure.max(u.last_failure),
        }),
        (one, other) => one.or(other),
    }
}

fn required_wait(record: Option<ThrottleRecord>, pending: u32, now: UnixMillis) -> Duration {
    let failures = record.map_or(0, |r| r.failures).saturating_add(pending);
    // An attempt still in flight counts as a failure made just now.
    let last = if pending > 0 {
        now
    } else {
        record.map_or(now, |r| r.last_failure)
    };
    delay(failures).saturating_sub(now.since(last))
}

impl Attempt<'_> {
    /// The attempt failed: count it against every subject.
    pub fn failed(self, store: &dyn Store, now: UnixMillis) -> Result<(), Error> {
        let subjects: Vec<&[u8]> = self.subjects.iter().map(|(s, _)| s.as_slice()).collect();
        if let Err(error) = store.record_failure(&subjects, now, now.minus(FORGET_AFTER)) {
            // Fail closed: the failure still counts, in memory, until it would be forgotten.
            let mut state = self.throttle.lock();
            state
                .unrecorded
                .retain(|_, r| now.since(r.last_failure) < FORGET_AFTER);
            for (subject, _) in &self.subjects {
                let entry = state.unrecorded.entry(*subject).or_insert(ThrottleRecord {
                    failures: 0,
                    last_failure: now,
                });
                entry.failures = entry.failures.saturating_add(1);
                entry.last_failure = entry.last_failure.max(now);
            }
            return Err(error);
        }
        let failures = self.throttle.failures.fetch_add(1, Ordering::Relaxed);
        if failures % PRUNE_EVERY == PRUNE_EVERY - 1 {
            let forgotten = store.forget_throttle_before(now.minus(FORGET_AFTER))?;
            tracing::debug!(forgotten, "idle throttling counters deleted");
        }
        Ok(())
    }

    /// The attempt succeeded: forget the subjects' failures (a write only if there were any).
    pub fn succeeded(self, store: &dyn Store) -> Result<(), Error> {
        {
            let mut state = self.throttle.lock();
            for (subject, _) in &self.subjects {
                state.unrecorded.remove(subject);
            }
        }
        for (subject, had_failures) in &self.subjects {
            if *had_failures {
                store.clear_throttle(subject)?;
            }
        }
        Ok(())
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut state = self.throttle.lock();
        for (subject, _) in &self.subjects {
            if let Some(count) = state.in_flight.get_mut(subject) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    state.in_flight.remove(subject);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_from_one_second_to_an_hour() {
        let secs: Vec<u64> = (0..20).map(|f| delay(f).as_secs()).collect();
        assert_eq!(secs[..6], [0, 0, 0, 0, 0, 1]);
        assert_eq!(secs[6..12], [2, 4, 8, 16, 32, 64]);
        assert_eq!(secs[16], 2048);
        assert_eq!(secs[17..], [3600, 3600, 3600]);
        assert_eq!(delay(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn the_stated_cap_follows_from_the_delays() {
        // The fastest attacker: each guess as soon as the previous failure's delay allows.
        let (mut at, mut guesses) = (Duration::ZERO, 0u32);
        while at < FORGET_AFTER {
            guesses += 1;
            at += delay(guesses);
        }
        assert!(guesses <= MAX_GUESSES_PER_DAY, "{guesses}");
        assert_eq!(guesses, 39);
    }
}
