//! Time as the core sees it: a number the caller passes in.
//!
//! The core never reads a clock. Every entry point that depends on time takes a [`UnixMillis`],
//! so the simulator can run the gateway on virtual time and a test can jump 90 days or a day of
//! throttling in one step.
//!
//! **Clock steps.** The rules about elapsed time (throttling delays, known devices, pacing,
//! expiry) must not move when someone sets the system clock. So the adapters' clock,
//! [`UnixMillis::now`], is an [`AnchoredClock`]: the system clock read once, when the process
//! first asks, plus what the monotonic clock has measured since. A step of the system clock
//! while the gateway runs, back or forward, changes nothing. Across a restart the stored times
//! meet a new reading of the system clock: a failure stored later than `now` is moved back to
//! `now` ([`crate::throttle`]), so a step back does not lengthen a wait; a step forward while the
//! gateway was down counts as time that passed.

use std::sync::LazyLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// The time now, on the process's [`AnchoredClock`] (the adapters call this; the core never
    /// does): steps of the system clock after the first call do not move it.
    pub fn now() -> Self {
        PROCESS_CLOCK.now()
    }

    /// The system clock now, steps and all.
    pub fn system_now() -> Self {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Self(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
    }

    /// This instant moved `by` later (saturating).
    pub fn plus(self, by: Duration) -> Self {
        Self(
            self.0
                .saturating_add(u64::try_from(by.as_millis()).unwrap_or(u64::MAX)),
        )
    }

    /// This instant moved `by` earlier (saturating at the epoch).
    pub fn minus(self, by: Duration) -> Self {
        Self(
            self.0
                .saturating_sub(u64::try_from(by.as_millis()).unwrap_or(u64::MAX)),
        )
    }

    /// How long after `earlier` this instant is (zero if it is not later).
    pub fn since(self, earlier: UnixMillis) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// As an ISO 8601 UTC time to the second, such as `2026-11-25T09:41:07Z`.
    pub fn utc(self) -> String {
        let secs = self.0 / 1000;
        let (days, rest) = (secs / 86_400, secs % 86_400);
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm, proleptic Gregorian).
        let z = i64::try_from(days).unwrap_or(i64::MAX / 2) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            rest / 3600,
            rest % 3600 / 60,
            rest % 60
        )
    }

    /// As SQLite stores it (an `INTEGER` is an `i64`; dates beyond year 292 million clamp).
    pub(crate) fn to_sql(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    /// From SQLite's `INTEGER` (negative values clamp to the epoch).
    pub(crate) fn from_sql(value: i64) -> Self {
        Self(u64::try_from(value).unwrap_or(0))
    }
}

/// Wall-clock time that only a monotonic clock moves: a reading of the system clock (the anchor)
/// plus the monotonic time elapsed since it was taken.
#[derive(Debug, Clone, Copy)]
pub struct AnchoredClock {
    wall: UnixMillis,
    at: Instant,
}

static PROCESS_CLOCK: LazyLock<AnchoredClock> =
    LazyLock::new(|| AnchoredClock::new(UnixMillis::system_now(), Instant::now()));

impl AnchoredClock {
    /// A clock that reads `wall` at the monotonic instant `at`.
    pub fn new(wall: UnixMillis, at: Instant) -> Self {
        Self { wall, at }
    }

    /// The time at the monotonic instant `instant` (the anchor's, for one before it).
    pub fn at(&self, instant: Instant) -> UnixMillis {
        self.wall.plus(instant.saturating_duration_since(self.at))
    }

    /// The time now.
    pub fn now(&self) -> UnixMillis {
        self.at(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anchored_clock_moves_with_monotonic_time_only() {
        let start = Instant::now();
        let clock = AnchoredClock::new(UnixMillis(1_800_000_000_000), start);
        let later = start + Duration::from_secs(90);
        assert_eq!(clock.at(later), UnixMillis(1_800_000_090_000));
        assert_eq!(clock.at(start), UnixMillis(1_800_000_000_000));
        // The process clock: anchored once, then monotonic, whatever the system clock does.
        let (first, second) = (UnixMillis::now(), UnixMillis::now());
        assert!(second >= first);
        assert_eq!(PROCESS_CLOCK.at(PROCESS_CLOCK.at), PROCESS_CLOCK.wall);
    }
}
