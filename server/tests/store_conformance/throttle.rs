//! Throttling counters ([`padlock_server::store::ThrottleStore`]).

use padlock_server::store::ThrottleRecord;
use padlock_server::{Store, UnixMillis};

fn record(failures: u32, last_failure: u64) -> Option<ThrottleRecord> {
    Some(ThrottleRecord {
        failures,
        last_failure: UnixMillis(last_failure),
    })
}

pub fn failures_add_up_per_subject_in_one_call(store: &dyn Store) {
    let (account, device) = ([b'a'; 33], [b'd'; 33]);
    for n in 1..=3u32 {
        let at = u64::from(n) * 10;
        store
            .record_failure(&[&account, &device], UnixMillis(at), UnixMillis(0))
            .unwrap();
        assert_eq!(store.throttle(&account).unwrap(), record(n, at));
        assert_eq!(store.throttle(&device).unwrap(), record(n, at));
    }
    // A counter idle since before `forget_before` starts again from this failure.
    store
        .record_failure(&[&account], UnixMillis(100), UnixMillis(31))
        .unwrap();
    assert_eq!(store.throttle(&account).unwrap(), record(1, 100));
    store
        .record_failure(&[&device], UnixMillis(100), UnixMillis(30))
        .unwrap();
    assert_eq!(store.throttle(&device).unwrap(), record(4, 100));
    assert_eq!(store.throttle(&[b'p'; 33]).unwrap(), None);
}

pub fn counters_are_rebased_cleared_and_forgotten(store: &dyn Store) {
    let subject = |tag: u8, byte: u8| {
        let mut s = [byte; 33];
        s[0] = tag;
        s
    };
    let (a1, a2, p1, p2) = (
        subject(b'a', 1),
        subject(b'a', 2),
        subject(b'p', 1),
        subject(b'p', 2),
    );
    for (s, at) in [(&a1, 500), (&a2, 50), (&p1, 60), (&p2, 70)] {
        store
            .record_failure(&[s], UnixMillis(at), UnixMillis(0))
            .unwrap();
    }
    // The clock was set back to 200: a later failure moves back, an earlier one stays.
    store.rebase_throttle(&a1, UnixMillis(200)).unwrap();
    store.rebase_throttle(&a2, UnixMillis(200)).unwrap();
    assert_eq!(store.throttle(&a1).unwrap(), record(1, 200));
    assert_eq!(store.throttle(&a2).unwrap(), record(1, 50));

    // By prefix: both pair subjects, and no other.
    assert_eq!(store.clear_throttle_prefix(&p1[..1]).unwrap(), 2);
    assert_eq!(
        (store.throttle(&p1).unwrap(), store.throttle(&p2).unwrap()),
        (None, None)
    );
    assert_eq!(store.clear_throttle_prefix(b"z").unwrap(), 0);

    store.clear_throttle(&a2).unwrap();
    assert_eq!(store.throttle(&a2).unwrap(), None);
    store
        .record_failure(&[&a2], UnixMillis(100), UnixMillis(0))
        .unwrap();
    // a2 last failed at 100, a1 at 200.
    assert_eq!(store.forget_throttle_before(UnixMillis(200)).unwrap(), 1);
    assert_eq!(store.throttle(&a2).unwrap(), None);
    assert_eq!(store.throttle(&a1).unwrap(), record(1, 200));
}
