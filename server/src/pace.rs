//! Pacing: how often one device key may succeed, so that no credential can fill the disk.
//!
//! Every granted `SignIn` leaves a replay record for 90 days ([`crate::rules`]) and every
//! `Resume` a token generation ([`crate::token`]); a device holding a valid app password could
//! otherwise sign in thousands of times a minute and grow the database without bound. So each
//! device key gets a budget of successes, per kind, as a token bucket ([`Pace`]): a burst, then
//! one more per interval. A device over its budget is answered `Denied { Throttled,
//! retry_after_secs }` before any password or token is looked at (so the answer says nothing
//! about them), and nothing is written.
//!
//! | kind | burst | then one per |
//! |---|---|---|
//! | granted `SignIn` | 10 | 5 minutes |
//! | granted `Resume` | 10 | 1 minute |
//!
//! A console signs in a few times a day and resumes once a boot; the budgets are far above that
//! (the review's "owner signs in every 10 minutes for a day" fits) and bound what one device key
//! leaves behind: at most 10 + 90 days / 5 minutes = 25,930 replay records, and a token family's
//! rows are bounded by [`crate::store::GENERATIONS_KEPT`] whatever the resumes. The database
//! therefore grows with the number of active device keys, not with their traffic.
//!
//! The budgets are [`GatewayConfig::sign_in_pace`](crate::GatewayConfig) and
//! [`GatewayConfig::resume_pace`](crate::GatewayConfig). They live in the store
//! ([`PaceStore`]), keyed by kind and device key, so that a device cannot multiply its budget
//! by the number of gateways sharing a database; only devices that succeeded are entered, and a
//! budget that is full again is forgotten with the other housekeeping of [`crate::rules`], so
//! the table holds the devices that succeeded lately, no more.

use std::time::Duration;

use crate::error::Error;
use crate::store::PaceStore;
use crate::time::UnixMillis;

/// A success budget: `burst` at once, then one per `every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Successes allowed at once after a quiet spell.
    pub burst: u32,
    /// How long until the budget allows one more.
    pub every: Duration,
}

impl Pace {
    /// No budget at all (for benches that stand many devices in with a few keys).
    pub const UNLIMITED: Self = Self {
        burst: u32::MAX,
        every: Duration::ZERO,
    };
}

/// Granted sign-ins per device key.
pub const SIGN_INS: Pace = Pace {
    burst: 10,
    every: Duration::from_secs(5 * 60),
};

/// Granted resumes per device key.
pub const RESUMES: Pace = Pace {
    burst: 10,
    every: Duration::from_secs(60),
};

/// What is paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Granted `SignIn`s.
    SignIn,
    /// Granted `Resume`s.
    Resume,
}

/// The success budgets of a gateway (its [`GatewayConfig`](crate::GatewayConfig)'s), kept in
/// its store.
pub(crate) struct Pacer {
    sign_ins: Pace,
    resumes: Pace,
}

/// What a budget is stored under: the kind's byte and the device key. Per device key and kind,
/// the store keeps the time at which its budget is full again (the "theoretical arrival time"
/// of the generic cell rate algorithm): each success moves it one interval later, and a
/// success is allowed while it is at most `burst - 1` intervals ahead of now.
fn subject(kind: Kind, device: &[u8; 32]) -> [u8; 33] {
    let mut subject = [0u8; 33];
    let (head, tail) = subject.split_at_mut(1);
    head.copy_from_slice(&[match kind {
        Kind::SignIn => b's',
        Kind::Resume => b'r',
    }]);
    tail.copy_from_slice(device);
    subject
}

impl Pacer {
    /// A pacer with these budgets (a gateway's are in its [`GatewayConfig`](crate::GatewayConfig)).
    pub fn new(sign_ins: Pace, resumes: Pace) -> Self {
        Self { sign_ins, resumes }
    }

    fn pace(&self, kind: Kind) -> Pace {
        match kind {
            Kind::SignIn => self.sign_ins,
            Kind::Resume => self.resumes,
        }
    }

    /// How long `device` must wait before its next `kind` success, if at all.
    pub fn wait(
        &self,
        store: &dyn PaceStore,
        kind: Kind,
        device: &[u8; 32],
        now: UnixMillis,
    ) -> Result<Option<Duration>, Error> {
        Ok(store
            .pace_full_at(&subject(kind, device))?
            .and_then(|full_at| overdue(self.pace(kind), full_at, now)))
    }

    /// Spends one `kind` success of `device`'s budget at `now`.
    pub fn spend(
        &self,
        store: &dyn PaceStore,
        kind: Kind,
        device: &[u8; 32],
        now: UnixMillis,
    ) -> Result<(), Error> {
        store.spend_pace(&subject(kind, device), now, self.pace(kind).every)
    }
}

/// The wait before one more success, if the budget is spent.
fn overdue(pace: Pace, full_at: UnixMillis, now: UnixMillis) -> Option<Duration> {
    let ahead = full_at.since(now);
    let allowed = pace.every.saturating_mul(pace.burst.saturating_sub(1));
    let wait = ahead.saturating_sub(allowed);
    (!wait.is_zero()).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    #[test]
    fn a_burst_then_one_per_interval() {
        let store = SqliteStore::in_memory().unwrap();
        let pacer = Pacer::new(SIGN_INS, RESUMES);
        let wait = |kind, key: &[u8; 32], at| pacer.wait(&store, kind, key, at).unwrap();
        let spend = |kind, key: &[u8; 32], at| pacer.spend(&store, kind, key, at).unwrap();
        let key = [1; 32];
        let start = UnixMillis(1_000_000);
        for _ in 0..SIGN_INS.burst {
            assert_eq!(wait(Kind::SignIn, &key, start), None);
            spend(Kind::SignIn, &key, start);
        }
        assert_eq!(wait(Kind::SignIn, &key, start), Some(SIGN_INS.every));
        // Resumes have their own budget, and other devices theirs.
        assert_eq!(wait(Kind::Resume, &key, start), None);
        assert_eq!(wait(Kind::SignIn, &[2; 32], start), None);
        let later = start.plus(SIGN_INS.every);
        assert_eq!(wait(Kind::SignIn, &key, later), None);
        spend(Kind::SignIn, &key, later);
        assert!(wait(Kind::SignIn, &key, later).is_some());
        // A quiet spell refills the burst, no more.
        let quiet = later.plus(SIGN_INS.every * 100);
        for _ in 0..SIGN_INS.burst {
            assert_eq!(wait(Kind::SignIn, &key, quiet), None);
            spend(Kind::SignIn, &key, quiet);
        }
        assert!(wait(Kind::SignIn, &key, quiet).is_some());
    }
}
