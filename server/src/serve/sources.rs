//! Limits per source address: how much of the gateway one host may hold or spend.
//!
//! A *source* is an IPv4 address, or an IPv6 /64 (one host on IPv6 usually owns a whole /64,
//! so counting single IPv6 addresses would let it pose as 2^64 hosts). An IPv4-mapped IPv6
//! address counts as its IPv4 address.
//!
//! Two limits, both in [`super::ServeConfig`]:
//! - **open connections** per source: a host cannot hold every connection slot by opening
//!   connections and trickling bytes; one more gets `Busy` at once;
//! - **argon2id verifications per second** per source, a token bucket holding one second's
//!   worth: one host's guesses (each costs the gateway one verification, by design, see
//!   [`crate::rules`]) cannot take the password pool from everyone else; past it the request
//!   gets `Busy` without a verification.
//!
//! Both maps hold only sources with something in flight or a bucket not yet full again, and
//! the buckets' map is capped at [`MAX_TRACKED_SOURCES`]; past the cap a new source is refused
//! verifications until buckets refill and are forgotten (swept at most once a second; sources
//! that already have a bucket keep it), so neither grows with an attacker's address space.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// The most sources with a partly spent verification bucket kept in memory.
pub const MAX_TRACKED_SOURCES: usize = 65_536;

/// Where a connection comes from, for the per-source limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// An IPv4 address.
    V4(u32),
    /// The first 64 bits of an IPv6 address.
    V6(u64),
}

impl From<IpAddr> for Source {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Source::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source::V4(u32::from(v4)),
                None => Source::V6((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

/// A source's verification allowance: `tokens` as of `at`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The per-source limits of one listener.
#[derive(Debug)]
pub(crate) struct SourceLimits {
    max_open: usize,
    hashes_per_s: f64,
    open: Mutex<HashMap<Source, usize>>,
    buckets: Mutex<Buckets>,
}

/// The verification buckets, and when the full ones were last forgotten.
#[derive(Debug, Default)]
struct Buckets {
    by_source: HashMap<Source, Bucket>,
    pruned: Option<Instant>,
}

/// The least time between two sweeps of the buckets' map once it is full: a sweep reads every
/// entry, and a flood of new sources must not buy one per request.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// One open connection counted against its source; dropping it uncounts it.
#[derive(Debug)]
pub(crate) struct OpenConnection {
    limits: Arc<SourceLimits>,
    source: Source,
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        let mut open = lock(&self.limits.open);
        if let Some(count) = open.get_mut(&self.source) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.source);
            }
        }
    }
}

impl SourceLimits {
    /// At most `max_open` connections and `hashes_per_s` verifications a second per source.
    pub(crate) fn new(max_open: usize, hashes_per_s: u32) -> Arc<SourceLimits> {
        Arc::new(SourceLimits {
            max_open: max_open.max(1),
            hashes_per_s: f64::from(hashes_per_s),
            open: Mutex::default(),
            buckets: Mutex::default(),
        })
    }

    /// Counts one more open connection from `source`; `None` if it already has the most.
    pub(crate) fn open(self: &Arc<Self>, source: Source) -> Option<OpenConnection> {
        let mut open = lock(&self.open);
        let count = open.entry(source).or_insert(0);
        if *count >= self.max_open {
            return None;
        }
        *count += 1;
        Some(OpenConnection {
            limits: Arc::clone(self),
            source,
        })
    }

    /// Takes one verification from `source`'s allowance at `now`; `false` if none is left.
    pub(crate) fn take_password_hash(&self, source: Source, now: Instant) -> bool {
        let rate = self.hashes_per_s;
        if rate <= 0.0 {
            return false;
        }
        let burst = rate.max(1.0);
        let mut buckets = lock(&self.buckets);
        if buckets.by_source.len() >= MAX_TRACKED_SOURCES
            && !buckets.by_source.contains_key(&source)
        {
            if buckets
                .pruned
                .is_some_and(|at| now.saturating_duration_since(at) < PRUNE_EVERY)
            {
                return false;
            }
            // Forget the buckets that have filled up again: they hold nothing.
            buckets.pruned = Some(now);
            buckets.by_source.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
            });
            if buckets.by_source.len() >= MAX_TRACKED_SOURCES {
                return false;
            }
        }
        let bucket = buckets.by_source.entry(source).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let refill = now.saturating_duration_since(bucket.at).as_secs_f64() * rate;
        bucket.tokens = (bucket.tokens + refill).min(burst);
        bucket.at = now;
        if bucket.tokens < 1.0 {
            return false;
        }
        bucket.tokens -= 1.0;
        true
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::time::Duration;

    #[test]
    fn a_source_is_an_ipv4_address_or_an_ipv6_slash_64() {
        let v6 = |s: &str| Source::from(IpAddr::V6(s.parse::<Ipv6Addr>().unwrap()));
        assert_eq!(v6("2001:db8:1:2::1"), v6("2001:db8:1:2:ffff::9"));
        assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
        assert_eq!(
            v6("::ffff:192.0.2.7"),
            Source::from(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)))
        );
        assert_ne!(
            Source::from(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))),
            Source::from(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 8)))
        );
    }

    #[test]
    fn open_connections_are_capped_per_source_and_released_on_drop() {
        let limits = SourceLimits::new(2, 1);
        let (a, b) = (Source::V4(1), Source::V4(2));
        let first = limits.open(a).unwrap();
        let _second = limits.open(a).unwrap();
        assert!(limits.open(a).is_none(), "a third from the same source");
        assert!(limits.open(b).is_some(), "another source is not affected");
        drop(first);
        assert!(limits.open(a).is_some(), "a slot came back");
    }

    #[test]
    fn verifications_refill_at_the_configured_rate() {
        let limits = SourceLimits::new(1, 4);
        let (a, b) = (Source::V6(1), Source::V6(2));
        let t0 = Instant::now();
        let granted = (0..10).filter(|_| limits.take_password_hash(a, t0)).count();
        assert_eq!(granted, 4, "one second's worth at once");
        assert!(
            limits.take_password_hash(b, t0),
            "another source has its own"
        );
        assert!(!limits.take_password_hash(a, t0 + Duration::from_millis(100)));
        assert!(limits.take_password_hash(a, t0 + Duration::from_millis(260)));
        let later = t0 + Duration::from_secs(60);
        let granted = (0..10)
            .filter(|_| limits.take_password_hash(a, later))
            .count();
        assert_eq!(granted, 4, "full again, never more than the burst");
        assert!(
            !SourceLimits::new(1, 0).take_password_hash(a, t0),
            "0: none"
        );
    }

    #[test]
    fn past_the_cap_new_sources_wait_for_full_buckets_to_be_forgotten() {
        let limits = SourceLimits::new(1, 1);
        let t0 = Instant::now();
        for n in 0..MAX_TRACKED_SOURCES as u64 {
            assert!(limits.take_password_hash(Source::V6(n), t0));
        }
        let newcomer = Source::V6(u64::MAX);
        assert!(
            !limits.take_password_hash(newcomer, t0),
            "full, nothing to forget"
        );
        let half = t0 + Duration::from_millis(500);
        assert!(
            !limits.take_password_hash(newcomer, half),
            "no second sweep so soon"
        );
        let later = t0 + Duration::from_secs(2);
        assert!(
            limits.take_password_hash(newcomer, later),
            "the refilled buckets were forgotten"
        );
        assert_eq!(lock(&limits.buckets).by_source.len(), 1);
    }
}
