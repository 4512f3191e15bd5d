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
//! [`GatewayConfig::resume_pace`](crate::GatewayConfig). They live in memory (a restart refills them; restarts are the operator's), keyed by
//! device key; only devices that succeeded are entered, and at most [`MAX_PACED`] at once:
//! beyond that, new device keys wait until old entries drain, which fails closed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

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

/// The most device keys paced at once.
pub const MAX_PACED: usize = 1 << 18;

/// What is paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// Granted `SignIn`s.
    SignIn,
    /// Granted `Resume`s.
    Resume,
}

/// The budgets of every device key that succeeded lately.
pub(crate) struct Pacer {
    sign_ins: Pace,
    resumes: Pace,
    /// Per device key and kind, the time at which its budget is full again (the "theoretical
    /// arrival time" of the generic cell rate algorithm): each success moves it one interval
    /// later, and a success is allowed while it is at most `burst - 1` intervals ahead of now.
    full_at: Mutex<HashMap<([u8; 32], Kind), UnixMillis>>,
}

impl Pacer {
    /// A pacer with these budgets (a gateway's are in its [`GatewayConfig`](crate::GatewayConfig)).
    pub fn new(sign_ins: Pace, resumes: Pace) -> Self {
        Self {
            sign_ins,
            resumes,
            full_at: Mutex::default(),
        }
    }

    fn pace(&self, kind: Kind) -> Pace {
        match kind {
            Kind::SignIn => self.sign_ins,
            Kind::Resume => self.resumes,
        }
    }

    /// How long `device` must wait before its next `kind` success, if at all.
    pub fn wait(&self, kind: Kind, device: &[u8; 32], now: UnixMillis) -> Option<Duration> {
        let mut map = self.lock();
        if let Some(full_at) = map.get(&(*device, kind)) {
            return overdue(self.pace(kind), *full_at, now);
        }
        if map.len() >= MAX_PACED {
            // Entries whose budget is full again say nothing: drop them to make room.
            map.retain(|_, full_at| *full_at > now);
        }
        (map.len() >= MAX_PACED).then_some(self.pace(kind).every)
    }

    /// Spends one `kind` success of `device`'s budget at `now`.
    pub fn spend(&self, kind: Kind, device: &[u8; 32], now: UnixMillis) {
        let mut map = self.lock();
        let every = self.pace(kind).every;
        let full_at = map.entry((*device, kind)).or_insert(now);
        *full_at = (*full_at).max(now).plus(every);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<([u8; 32], Kind), UnixMillis>> {
        self.full_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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

    #[test]
    fn a_burst_then_one_per_interval() {
        let pacer = Pacer::new(SIGN_INS, RESUMES);
        let key = [1; 32];
        let start = UnixMillis(1_000_000);
        for _ in 0..SIGN_INS.burst {
            assert_eq!(pacer.wait(Kind::SignIn, &key, start), None);
            pacer.spend(Kind::SignIn, &key, start);
        }
        assert_eq!(pacer.wait(Kind::SignIn, &key, start), Some(SIGN_INS.every));
        // Resumes have their own budget, and other devices theirs.
        assert_eq!(pacer.wait(Kind::Resume, &key, start), None);
        assert_eq!(pacer.wait(Kind::SignIn, &[2; 32], start), None);
        let later = start.plus(SIGN_INS.every);
        assert_eq!(pacer.wait(Kind::SignIn, &key, later), None);
        pacer.spend(Kind::SignIn, &key, later);
        assert!(pacer.wait(Kind::SignIn, &key, later).is_some());
        // A quiet spell refills the burst, no more.
        let quiet = later.plus(SIGN_INS.every * 100);
        for _ in 0..SIGN_INS.burst {
            assert_eq!(pacer.wait(Kind::SignIn, &key, quiet), None);
            pacer.spend(Kind::SignIn, &key, quiet);
        }
        assert!(pacer.wait(Kind::SignIn, &key, quiet).is_some());
    }
}
