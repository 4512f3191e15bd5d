//! The phone link's rules with no IO: when a link may start, what a poll is answered, how a code
//! is drawn. The gateway ([`super`]) reads the stored link, asks these functions, and writes
//! back what they say; the tests below walk every rule on plain values and virtual time.
//!
//! | rule | default |
//! |---|---|
//! | a link lives | [`LinkPolicy::lifetime`], 10 minutes (RFC 8628 suggests 5 to 30) |
//! | the device polls every | [`LinkPolicy::poll_interval_secs`], 5 s |
//! | a poll sooner than the interval less [`POLL_SLACK`] | "slow down": the link's interval grows by [`LinkPolicy::slow_down_secs`], 5 s, up to [`LinkPolicy::max_interval_secs`], 60 s |
//! | too soon again at the longest interval | `Throttled` until the interval has passed |
//! | pending links of one device key | at most [`LinkPolicy::pending_per_device`], 3 |
//! | pending links of the whole gateway | at most [`LinkPolicy::max_live`], 10 000 (this bounds the guessing odds, see [`guess_odds`]) |
//!
//! A poll of an approved or declined link is never slowed down: it ends the wait.

use std::time::Duration;

use padlock_protocol::LinkCode;
use padlock_protocol::message::LINK_CODE_SPACE;
use rand_core::RngCore;

use crate::time::UnixMillis;

/// How much sooner than its interval a poll may come without being told to slow down (network
/// jitter, a device counting from when it sent rather than when the reply came).
pub const POLL_SLACK: Duration = Duration::from_secs(1);

/// The numbers of the link rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkPolicy {
    /// How long a code stays valid.
    pub lifetime: Duration,
    /// The poll interval a new link starts with, in seconds.
    pub poll_interval_secs: u8,
    /// What a too-early poll adds to the link's interval, in seconds.
    pub slow_down_secs: u8,
    /// The longest interval slowing down reaches, in seconds.
    pub max_interval_secs: u8,
    /// Pending links one device key may hold at once.
    pub pending_per_device: usize,
    /// Pending links the gateway holds at once, all devices together.
    pub max_live: usize,
}

impl Default for LinkPolicy {
    fn default() -> Self {
        Self {
            lifetime: Duration::from_secs(600),
            poll_interval_secs: 5,
            slow_down_secs: 5,
            max_interval_secs: 60,
            pending_per_device: 3,
            max_live: 10_000,
        }
    }
}

/// Where a link stands, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Waiting for the player.
    Pending,
    /// Approved on the page: polls get the token.
    Approved,
    /// Declined on the page.
    Declined,
}

/// The parts of a stored link that a poll decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollClock {
    /// Where the link stands.
    pub state: LinkState,
    /// When its code stops being valid.
    pub expires: UnixMillis,
    /// Its current poll interval, in seconds.
    pub interval_secs: u8,
    /// Its last poll, if any.
    pub last_poll: Option<UnixMillis>,
}

/// What a poll gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollVerdict {
    /// The code is past its lifetime.
    Expired,
    /// The player declined.
    Declined,
    /// The player approved: deliver the token.
    Approved,
    /// Still pending: wait this many seconds (more than before: slow down). Store
    /// `interval_secs` and `now` as the link's interval and last poll.
    Waiting {
        /// The link's interval from now on.
        interval_secs: u8,
    },
    /// Too soon again at the longest interval: `Throttled` for this long, nothing stored.
    TooFast(Duration),
}

/// The answer to a poll of `link` at `now`.
pub fn poll(policy: &LinkPolicy, link: &PollClock, now: UnixMillis) -> PollVerdict {
    if now >= link.expires {
        return PollVerdict::Expired;
    }
    match link.state {
        LinkState::Declined => return PollVerdict::Declined,
        LinkState::Approved => return PollVerdict::Approved,
        LinkState::Pending => {}
    }
    let interval = Duration::from_secs(link.interval_secs.into());
    let too_soon = link
        .last_poll
        .is_some_and(|last| now.since(last) + POLL_SLACK < interval);
    if !too_soon {
        return PollVerdict::Waiting {
            interval_secs: link.interval_secs,
        };
    }
    if link.interval_secs >= policy.max_interval_secs {
        let waited = link
            .last_poll
            .map_or(Duration::ZERO, |last| now.since(last));
        return PollVerdict::TooFast(interval.saturating_sub(waited));
    }
    PollVerdict::Waiting {
        interval_secs: link
            .interval_secs
            .saturating_add(policy.slow_down_secs)
            .min(policy.max_interval_secs),
    }
}

/// Whether a new link may start for a device key, given when that key's pending links expire
/// and how many the whole gateway holds; `Err`: wait this long (its oldest link's remaining
/// life, or one poll interval when the gateway is full).
pub fn may_start(
    policy: &LinkPolicy,
    device_pending_expiries: &[UnixMillis],
    live: usize,
    now: UnixMillis,
) -> Result<(), Duration> {
    let mine: Vec<UnixMillis> = device_pending_expiries
        .iter()
        .copied()
        .filter(|&expires| expires > now)
        .collect();
    if mine.len() >= policy.pending_per_device {
        let first_free = mine.iter().min().map_or(Duration::ZERO, |e| e.since(now));
        return Err(first_free);
    }
    if live >= policy.max_live {
        return Err(Duration::from_secs(policy.poll_interval_secs.into()));
    }
    Ok(())
}

/// A code drawn uniformly from the 20^8 codes (rejection sampling: numbers above the largest
/// multiple of the code space that fits 64 bits are drawn again, so no code is likelier).
pub fn draw_code(rng: &mut impl RngCore) -> LinkCode {
    let limit = u64::MAX - u64::MAX % LINK_CODE_SPACE;
    loop {
        let number = rng.next_u64();
        if number < limit
            && let Some(code) = LinkCode::from_number(number % LINK_CODE_SPACE)
        {
            return code;
        }
    }
}

/// The chance that `guesses` codes typed at random hit any of `live` live codes: at most
/// `live × guesses ÷ 20^8` (the union bound).
pub fn guess_odds(live: usize, guesses: u32) -> f64 {
    (live as f64) * f64::from(guesses) / (LINK_CODE_SPACE as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const T0: UnixMillis = UnixMillis(1_000_000);

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn pending(last_poll: Option<UnixMillis>, interval_secs: u8) -> PollClock {
        PollClock {
            state: LinkState::Pending,
            expires: T0.plus(secs(600)),
            interval_secs,
            last_poll,
        }
    }

    #[test]
    fn a_poll_at_the_interval_waits_and_one_too_soon_slows_down() {
        let policy = LinkPolicy::default();
        let first = poll(&policy, &pending(None, 5), T0);
        assert_eq!(first, PollVerdict::Waiting { interval_secs: 5 });
        // On time, and within the slack of it.
        for after in [5, 4, 30] {
            let verdict = poll(&policy, &pending(Some(T0), 5), T0.plus(secs(after)));
            assert_eq!(
                verdict,
                PollVerdict::Waiting { interval_secs: 5 },
                "{after}"
            );
        }
        // Sooner: the interval grows by 5 s each time.
        let verdict = poll(&policy, &pending(Some(T0), 5), T0.plus(secs(2)));
        assert_eq!(verdict, PollVerdict::Waiting { interval_secs: 10 });
        let verdict = poll(&policy, &pending(Some(T0), 10), T0.plus(secs(6)));
        assert_eq!(verdict, PollVerdict::Waiting { interval_secs: 15 });
        // Up to the longest, then throttled for the rest of it.
        let verdict = poll(&policy, &pending(Some(T0), 58), T0);
        assert_eq!(verdict, PollVerdict::Waiting { interval_secs: 60 });
        let verdict = poll(&policy, &pending(Some(T0), 60), T0.plus(secs(20)));
        assert_eq!(verdict, PollVerdict::TooFast(secs(40)));
    }

    #[test]
    fn approved_declined_and_expired_end_the_wait_whenever_they_are_polled() {
        let policy = LinkPolicy::default();
        for (state, verdict) in [
            (LinkState::Approved, PollVerdict::Approved),
            (LinkState::Declined, PollVerdict::Declined),
        ] {
            let link = PollClock {
                state,
                ..pending(Some(T0), 60)
            };
            assert_eq!(poll(&policy, &link, T0), verdict);
            assert_eq!(
                poll(&policy, &link, T0.plus(secs(600))),
                PollVerdict::Expired
            );
        }
        let link = pending(None, 5);
        assert_eq!(
            poll(&policy, &link, T0.plus(secs(599))),
            PollVerdict::Waiting { interval_secs: 5 }
        );
        assert_eq!(
            poll(&policy, &link, T0.plus(secs(600))),
            PollVerdict::Expired
        );
    }

    #[test]
    fn a_device_holds_three_pending_links_and_the_gateway_its_cap() {
        let policy = LinkPolicy::default();
        let expiries = [T0.plus(secs(100)), T0.plus(secs(300)), T0.plus(secs(50))];
        assert_eq!(may_start(&policy, &expiries[..2], 0, T0), Ok(()));
        assert_eq!(may_start(&policy, &expiries, 0, T0), Err(secs(50)));
        // An expired one no longer counts.
        assert_eq!(may_start(&policy, &expiries, 0, T0.plus(secs(50))), Ok(()));
        assert_eq!(may_start(&policy, &[], policy.max_live, T0), Err(secs(5)));
        assert_eq!(may_start(&policy, &[], policy.max_live - 1, T0), Ok(()));
    }

    #[test]
    fn codes_are_drawn_from_the_whole_alphabet() {
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        let mut seen = std::collections::BTreeSet::new();
        let mut codes = std::collections::BTreeSet::new();
        for _ in 0..1000 {
            let code = draw_code(&mut rng);
            seen.extend(code.as_bytes().iter().copied());
            codes.insert(code);
        }
        assert_eq!(seen.len(), 20);
        assert_eq!(codes.len(), 1000, "no repeats in a thousand of 2.56e10");
    }

    #[test]
    fn the_documented_bound_is_what_the_policy_gives() {
        // docs/protocol.md section 12.5: 10 000 live codes, 40 guesses a day per account.
        let odds = guess_odds(
            LinkPolicy::default().max_live,
            crate::throttle::MAX_GUESSES_PER_DAY,
        );
        assert!((odds - 1.5625e-5).abs() < 1e-12, "{odds}");
    }
}
