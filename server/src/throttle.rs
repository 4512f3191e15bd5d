//! Throttling: how fast anyone can guess passwords through this gateway.
//!
//! An attempt is made by a [`Claimant`]: the account named (whether it exists or not, so the
//! throttle says nothing about existence) and, where the door has one, the key of the device
//! that sent it (the Noise static key; a web page could pass a key of its own). Failures are
//! counted per **subject**, three of them:
//!
//! | subject | counts | holds back |
//! |---|---|---|
//! | the account | every failure at it, from anywhere | strangers only (devices not [known](Claimant::known) to the account) |
//! | the device key | every failure it made, at any account | that device |
//! | the (account, device key) pair | that device's failures at that account | that device, at that account |
//!
//! The first [`FREE_FAILURES`] consecutive failures of a subject cost nothing (typos happen);
//! after that each further attempt must wait [`delay`]: 1 s, then doubling with every failure,
//! up to [`MAX_DELAY`] (one hour). Counters whose last failure is older than [`FORGET_AFTER`]
//! (a day) are forgotten.
//!
//! **Known devices keep their own allowance.** A device key that has signed in to the account
//! before (see [`crate::rules`]) is not held back by the account's counter, only by its own two:
//! a stranger guessing one password an hour keeps the account's counter at the one-hour delay
//! for ever, but the owner's console, already known, signs in at once. (A stolen console still
//! meets its own pair counter: the same schedule, for that one device.) An administrator clears
//! an account's counters with `padlock-server account unlock`, for the owner's new device.
//!
//! **A success clears only the device's counters** (its device and pair counters), never the
//! account's: a granted sign-in that an attacker held back and delivered later (or a recorded
//! one replayed, see [`crate::rules`]) cannot undo the strangers' failures. The account's counter
//! goes only when it is a day old or an administrator unlocks the account.
//!
//! **The cap.** Strangers who guess one account's password as fast as the gateway allows get at
//! most [`MAX_GUESSES_PER_DAY`] = 40 guesses evaluated per day (the fastest schedule gets 39:
//! five at once, twelve more while the delay doubles over 68 minutes, then one an hour),
//! whatever number of devices or connections they use: the account's counter is shared by all
//! of them, and waiting a day for it to be forgotten only restarts the same schedule. Against
//! 26^16 app passwords that is nothing; against a weak primary password it is what argon2id can
//! do without a lock-out the owner could suffer from. Devices holding a remember-me token are not
//! throttled at all (`Resume` guesses nothing: a token is 256 bits).
//!
//! **Concurrency.** Attempts in flight count as failures until they finish, so 64 simultaneous
//! guesses get no more evaluations than 64 sequential ones: admission and the in-flight count
//! change in one store transaction
//! ([`ThrottleStore::begin_attempt`](crate::store::ThrottleStore::begin_attempt)). Both live in the store,
//! so several gateway processes on one database share one cap per account: a guess being
//! evaluated on one holds back the next guess on any other. An attempt in flight has a lease
//! ([`ATTEMPT_LEASE`], far beyond any answer's deadline): a gateway that crashes mid-attempt
//! leaves its attempts counting as failures made just now until the lease runs out, which
//! fails closed.
//!
//! **Failing closed.** If the store cannot record a failure, the failure is still counted, in
//! memory, on top of the store's counters (until it would be forgotten, or the subject
//! succeeds): a store that cannot write answers `ServerError` but never evaluates more guesses
//! than the schedule allows. That memory holds at most [`MAX_UNRECORDED`] subjects; failures
//! beyond them are counted against every subject at once, so a full map holds everyone back
//! rather than letting anyone through.
//!
//! **Time.** The delays are about elapsed time, and the caller's `now` comes from a clock that
//! does not follow steps of the system clock ([`crate::time`]). A stored failure later than
//! `now` (the clock set back before a restart) is moved back to `now` when first seen: its delay
//! runs from there, so the step neither lengthens the wait nor forgets the failures.
//!
//! A throttled attempt is answered `Denied { Throttled, retry_after_secs }` before any password
//! is checked, so it reveals nothing about the password.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::Error;
use crate::store::{AttemptId, Store, SubjectCount, ThrottleRecord};
use crate::time::UnixMillis;

/// Consecutive failures that cost no waiting.
pub const FREE_FAILURES: u32 = 5;
/// The longest wait between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(3600);
/// Counters idle this long are forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);
/// The most guesses of one account's password this gateway evaluates for strangers in any one
/// day (see the module docs; proven by a test on virtual time).
pub const MAX_GUESSES_PER_DAY: u32 = 40;
/// The most subjects whose unrecorded failures are remembered one by one (see "Failing closed").
pub const MAX_UNRECORDED: usize = 4096;
/// How long an attempt counts in flight if its gateway never ends it (it crashed): far longer
/// than any answer may take (`serve`'s deadlines are seconds), short enough that a crash does
/// not hold an account back for long.
pub const ATTEMPT_LEASE: Duration = Duration::from_secs(60);

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

/// Who makes a password attempt, whatever the door (the device protocol, a web page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimant {
    /// The keyed hash of the account's normalised name (an unknown account has one too).
    pub account: [u8; 32],
    /// The key of the device (or client) making the attempt, if the door has one.
    pub device: Option<[u8; 32]>,
    /// Whether that device has signed in to this account before: then the account's counter
    /// does not hold it back (its own counters still do).
    pub known: bool,
}

/// A throttling subject as stored: a tag byte and 32 bytes.
pub(crate) type Subject = [u8; 33];

/// The account's subject.
pub(crate) fn account_subject(account: &[u8; 32]) -> Subject {
    tagged(b'a', account)
}

/// The device key's subject.
fn device_subject(key: &[u8; 32]) -> Subject {
    tagged(b'd', key)
}

/// The (account, device key) subject: 16 bytes of each. The account half comes first, so an
/// administrator's unlock finds every pair of an account by prefix ([`pair_prefix`]).
fn pair_subject(account: &[u8; 32], key: &[u8; 32]) -> Subject {
    let mut both = [0u8; 32];
    let (left, right) = both.split_at_mut(16);
    left.copy_from_slice(account.get(..16).unwrap_or(&[0; 16]));
    right.copy_from_slice(key.get(..16).unwrap_or(&[0; 16]));
    tagged(b'p', &both)
}

/// What every pair subject of `account` starts with.
pub(crate) fn pair_prefix(account: &[u8; 32]) -> [u8; 17] {
    let mut prefix = [0u8; 17];
    prefix
        .iter_mut()
        .zip(pair_subject(account, &[0; 32]))
        .for_each(|(p, s)| *p = s);
    prefix
}

fn tagged(tag: u8, bytes: &[u8; 32]) -> Subject {
    let mut subject = [0u8; 33];
    let (head, tail) = subject.split_at_mut(1);
    head.copy_from_slice(&[tag]);
    tail.copy_from_slice(bytes);
    subject
}

/// One subject of an attempt, and what the throttle does with it.
#[derive(Clone, Copy)]
struct Counted {
    subject: Subject,
    /// Whether its counter may hold the attempt back.
    checked: bool,
    /// Whether a success clears it (the device's own counters).
    cleared_on_success: bool,
    /// Whether it had failures at admission (so a success writes only if needed).
    had_failures: bool,
}

impl Claimant {
    /// The subjects an attempt by this claimant counts against.
    fn counted(&self) -> Vec<Counted> {
        let entry = |subject, checked, cleared_on_success| Counted {
            subject,
            checked,
            cleared_on_success,
            had_failures: false,
        };
        // A door without a device key (the Security info page) proves the owner with every
        // factor the account asks for, over a channel where a success cannot be held back and
        // replayed later: its success clears the account's counter. A device's success clears
        // only its own counters (docs/protocol.md section 12.2).
        let mut counted = vec![entry(
            account_subject(&self.account),
            !self.known,
            self.device.is_none(),
        )];
        if let Some(key) = &self.device {
            counted.push(entry(device_subject(key), true, true));
            counted.push(entry(pair_subject(&self.account, key), true, true));
        }
        counted
    }
}

/// Admission control for password attempts.
#[derive(Default)]
pub(crate) struct Throttle {
    state: Mutex<InMemory>,
    failures: AtomicU64,
}

/// What the throttle knows beyond the store's counters, under one lock: only what makes it
/// stricter than the store, never laxer.
#[derive(Default)]
struct InMemory {
    /// Failures the store failed to record, per subject: counted on top of the store's until
    /// they are [`FORGET_AFTER`] old or the subject succeeds, so a store that cannot write does
    /// not open the throttle. At most [`MAX_UNRECORDED`] subjects.
    unrecorded: HashMap<Subject, ThrottleRecord>,
    /// Unrecorded failures that found the map full: counted against every subject.
    overflow: Option<ThrottleRecord>,
}

impl InMemory {
    /// The store's counter of `subject` with the failures it could not record on top, `None`
    /// if forgotten ([`FORGET_AFTER`]). Unrecorded failures later than `now` (the clock was set
    /// back) are moved back to `now`, as the store does with its own.
    fn with_unrecorded(
        &mut self,
        subject: &Subject,
        stored: Option<ThrottleRecord>,
        now: UnixMillis,
    ) -> Option<ThrottleRecord> {
        if let Some(record) = self.unrecorded.get_mut(subject) {
            record.last_failure = record.last_failure.min(now);
        }
        if let Some(record) = self.overflow.as_mut() {
            record.last_failure = record.last_failure.min(now);
        }
        let unrecorded = combine(self.unrecorded.get(subject).copied(), self.overflow);
        combine(stored, unrecorded).filter(|r| now.since(r.last_failure) < FORGET_AFTER)
    }
}

/// Every this many failures, counters older than [`FORGET_AFTER`] are deleted, so guesses at
/// random email addresses cannot grow the table without bound.
const PRUNE_EVERY: u64 = 1024;

/// An admitted attempt, counted in flight until it is dropped; report its outcome with
/// [`Attempt::failed`] or [`Attempt::succeeded`].
pub(crate) struct Attempt<'t> {
    throttle: &'t Throttle,
    store: &'t dyn Store,
    id: AttemptId,
    counted: Vec<Counted>,
}

/// Whether an attempt may go ahead.
pub(crate) enum Admission<'t> {
    /// Go ahead.
    Admitted(Attempt<'t>),
    /// Wait this long.
    Throttled(Duration),
}

/// Whole seconds to wait, at least 1, for a nonzero `wait`.
pub(crate) fn retry_after_secs(wait: Duration) -> u32 {
    let secs = wait.as_millis().div_ceil(1000);
    u32::try_from(secs).unwrap_or(u32::MAX).max(1)
}

impl Throttle {
    /// Admits an attempt by `claimant` at `now`, or says how long to wait.
    pub fn admit<'t>(
        &'t self,
        store: &'t dyn Store,
        claimant: &Claimant,
        now: UnixMillis,
    ) -> Result<Admission<'t>, Error> {
        let mut counted = claimant.counted();
        let subjects: Vec<&[u8]> = counted.iter().map(|c| c.subject.as_slice()).collect();
        let mut wait = Duration::ZERO;
        let mut had_failures = Vec::with_capacity(counted.len());
        let begun = store.begin_attempt(
            &subjects,
            now,
            now.plus(ATTEMPT_LEASE),
            &mut |counts: &[SubjectCount]| {
                let mut state = self.lock();
                had_failures.clear();
                for (entry, count) in counted.iter().zip(counts) {
                    let record = state.with_unrecorded(&entry.subject, count.record, now);
                    had_failures.push(record.is_some());
                    if entry.checked {
                        wait = wait.max(required_wait(record, count.in_flight, now));
                    }
                }
                wait.is_zero()
            },
        )?;
        let Some(id) = begun else {
            return Ok(Admission::Throttled(wait));
        };
        for (entry, had) in counted.iter_mut().zip(had_failures) {
            entry.had_failures = had;
        }
        Ok(Admission::Admitted(Attempt {
            throttle: self,
            store,
            id,
            counted,
        }))
    }

    /// Forgets every counter of the account with keyed hash `account` (its own and its
    /// (account, device) pairs), in the store and in memory: the administrator's unlock.
    pub fn unlock(&self, store: &dyn Store, account: &[u8; 32]) -> Result<usize, Error> {
        let prefix = pair_prefix(account);
        {
            let mut state = self.lock();
            state
                .unrecorded
                .retain(|subject, _| !subject.starts_with(&prefix));
            state.unrecorded.remove(&account_subject(account));
        }
        let mut cleared = store.clear_throttle_prefix(&prefix)?;
        if store.throttle(&account_subject(account))?.is_some() {
            store.clear_throttle(&account_subject(account))?;
            cleared += 1;
        }
        Ok(cleared)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, InMemory> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A counter with more failures counted on top.
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

fn count_failure(record: &mut ThrottleRecord, now: UnixMillis) {
    record.failures = record.failures.saturating_add(1);
    record.last_failure = record.last_failure.max(now);
}

impl Attempt<'_> {
    /// The attempt failed: count it against every subject.
    pub fn failed(self, store: &dyn Store, now: UnixMillis) -> Result<(), Error> {
        let subjects: Vec<&[u8]> = self.counted.iter().map(|c| c.subject.as_slice()).collect();
        if let Err(error) = store.record_failure(&subjects, now, now.minus(FORGET_AFTER)) {
            // Fail closed: the failure still counts, in memory, until it would be forgotten.
            let mut state = self.throttle.lock();
            state
                .unrecorded
                .retain(|_, r| now.since(r.last_failure) < FORGET_AFTER);
            if state
                .overflow
                .is_some_and(|r| now.since(r.last_failure) >= FORGET_AFTER)
            {
                state.overflow = None;
            }
            let fresh = ThrottleRecord {
                failures: 0,
                last_failure: now,
            };
            let mut overflowed = false;
            for entry in &self.counted {
                let room = state.unrecorded.len() < MAX_UNRECORDED;
                match state.unrecorded.get_mut(&entry.subject) {
                    Some(record) => count_failure(record, now),
                    None if room => {
                        let mut record = fresh;
                        count_failure(&mut record, now);
                        state.unrecorded.insert(entry.subject, record);
                    }
                    None => overflowed = true,
                }
            }
            if overflowed {
                count_failure(state.overflow.get_or_insert(fresh), now);
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

    /// The attempt succeeded: forget the device's own counters (a write only if there were
    /// any), never the account's (see the module docs).
    pub fn succeeded(self, store: &dyn Store) -> Result<(), Error> {
        let cleared = self.counted.iter().filter(|c| c.cleared_on_success);
        {
            let mut state = self.throttle.lock();
            for entry in cleared.clone() {
                state.unrecorded.remove(&entry.subject);
            }
        }
        for entry in cleared {
            if entry.had_failures {
                store.clear_throttle(&entry.subject)?;
            }
        }
        Ok(())
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if let Err(error) = self.store.end_attempt(self.id) {
            // It keeps counting in flight until its lease runs out: closed, not open.
            tracing::error!(%error, "attempt not ended; it counts until its lease runs out");
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
