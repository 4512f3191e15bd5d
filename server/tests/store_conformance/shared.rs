//! Two gateway processes on one database: what one writes, the other must see at once
//! (`padlock_server::store`, "What lives where"). Each rule takes the two gateways' stores; a
//! backend that cannot open a second one on its database plays both with one.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use padlock_server::store::{SubjectCount, ThrottleRecord, TokenState};
use padlock_server::{Store, UnixMillis};

use padlock_server::link::rules::LinkState;

use crate::links::{approval, link};
use crate::{account_with_app_password, token};

/// Begins an attempt on `store` against `subjects` at `now` with a lease to `lease_until`,
/// admitted only if no subject has one in flight; returns the counts it saw and its id.
fn begin_alone(
    store: &dyn Store,
    subjects: &[&[u8]],
    now: u64,
    lease_until: u64,
) -> (Vec<SubjectCount>, Option<padlock_server::store::AttemptId>) {
    let mut seen = Vec::new();
    let id = store
        .begin_attempt(
            subjects,
            UnixMillis(now),
            UnixMillis(lease_until),
            &mut |counts| {
                seen = counts.to_vec();
                counts.iter().all(|c| c.in_flight == 0)
            },
        )
        .unwrap();
    (seen, id)
}

pub fn attempts_in_flight_count_on_every_gateway(a: &dyn Store, b: &dyn Store) {
    let (account, device, pair) = ([b'a'; 33], [b'd'; 33], [b'p'; 33]);
    a.record_failure(&[&account], UnixMillis(500), UnixMillis(0))
        .unwrap();
    // Begun on A at 200 (the clock was set back: the failure at 500 moves to 200).
    let (seen, first) = begin_alone(a, &[&account, &device], 200, 10_000);
    let first = first.expect("nothing in flight yet");
    let failure_at = |at| {
        Some(ThrottleRecord {
            failures: 1,
            last_failure: UnixMillis(at),
        })
    };
    assert_eq!(
        seen,
        [
            SubjectCount {
                record: failure_at(200),
                in_flight: 0
            },
            SubjectCount {
                record: None,
                in_flight: 0
            },
        ]
    );
    assert_eq!(a.throttle(&account).unwrap(), failure_at(200), "rebased");

    // B sees it in flight, and an attempt it does not admit counts nothing.
    let (seen, refused) = begin_alone(b, &[&pair, &device], 300, 10_000);
    assert_eq!(refused, None);
    let in_flight: Vec<u32> = seen.iter().map(|c| c.in_flight).collect();
    assert_eq!(in_flight, [0, 1]);
    let (seen, _) = begin_alone(b, &[&pair], 300, 10_000);
    assert_eq!(seen[0].in_flight, 0, "the refused attempt was not counted");

    // Ended on A: gone for B.
    a.end_attempt(first).unwrap();
    a.end_attempt(first).unwrap();
    let (seen, second) = begin_alone(b, &[&device], 300, 1_000);
    assert_eq!(seen[0].in_flight, 0);
    assert!(second.is_some());
    // The gateway that began it crashed: once its lease runs out it counts no more.
    let (seen, _) = begin_alone(a, &[&device], 999, 5_000);
    assert_eq!(seen[0].in_flight, 1);
    let (seen, _) = begin_alone(a, &[&device], 1_000, 5_000);
    assert_eq!(seen[0].in_flight, 0, "lease run out");
}

pub fn one_attempt_at_a_time_across_gateways(a: &dyn Store, b: &dyn Store) {
    // Two gateways, two threads each, race for one subject, each admitting only if it is
    // alone: never are two attempts in flight at once.
    let subject = [b'a'; 33];
    let inside = AtomicU32::new(0);
    let admitted = AtomicU32::new(0);
    std::thread::scope(|scope| {
        for store in [a, b, a, b] {
            let (inside, admitted) = (&inside, &admitted);
            scope.spawn(move || {
                for _ in 0..25 {
                    let (_, id) = begin_alone(store, &[&subject], 1, 60_000);
                    if let Some(id) = id {
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two at once");
                        admitted.fetch_add(1, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                        store.end_attempt(id).unwrap();
                    }
                }
            });
        }
    });
    assert!(admitted.load(Ordering::SeqCst) > 0);
}

pub fn success_budgets_are_shared(a: &dyn Store, b: &dyn Store) {
    let minute = Duration::from_secs(60);
    let (device, other) = ([b's'; 33], [b'r'; 33]);
    assert_eq!(b.pace_full_at(&device).unwrap(), None);
    a.spend_pace(&device, UnixMillis(1_000), minute).unwrap();
    b.spend_pace(&device, UnixMillis(1_000), minute).unwrap();
    assert_eq!(
        a.pace_full_at(&device).unwrap(),
        Some(UnixMillis(121_000)),
        "two successes, on two gateways, spend one budget"
    );
    // After a quiet spell the budget refills from now, not from the past.
    b.spend_pace(&device, UnixMillis(500_000), minute).unwrap();
    assert_eq!(a.pace_full_at(&device).unwrap(), Some(UnixMillis(560_000)));
    assert_eq!(a.pace_full_at(&other).unwrap(), None);
    a.spend_pace(&other, UnixMillis(0), minute).unwrap();
    // Full again before the cutoff: forgotten.
    assert_eq!(b.forget_paces_before(UnixMillis(560_000)).unwrap(), 1);
    assert_eq!(a.pace_full_at(&other).unwrap(), None);
    assert!(a.pace_full_at(&device).unwrap().is_some());
}

pub fn a_grant_claimed_on_one_gateway_is_a_replay_on_the_other(a: &dyn Store, b: &dyn Store) {
    assert!(
        a.remember_granted_sign_in(&[1; 32], UnixMillis(10))
            .unwrap()
    );
    // Before A's commit: B's gateway must close the replay, not grant it again.
    assert!(b.granted_sign_in_known(&[1; 32]).unwrap());
    assert!(
        !b.remember_granted_sign_in(&[1; 32], UnixMillis(11))
            .unwrap()
    );
    assert!(a.commit_granted_sign_ins().unwrap() >= a.granted_sign_ins_claimed());
    assert!(
        !b.remember_granted_sign_in(&[1; 32], UnixMillis(12))
            .unwrap()
    );
    // Claims racing on both gateways: each message 1 is granted once.
    let granted = crate::replays::claims_racing(&[a, b, a, b], 10..40);
    assert_eq!(granted, 30);
}

pub fn tokens_and_counters_written_by_one_gateway_hold_on_the_other(a: &dyn Store, b: &dyn Store) {
    let (account, app) = account_with_app_password(a);
    let first = a
        .insert_token(&token(account, Some(app), 9, 1, 0), "")
        .unwrap()
        .unwrap();
    // Rotated through A; the same generation presented to B is used up there too.
    a.rotate_token(first, &[7; 32], &token(account, Some(app), 9, 2, 10))
        .unwrap()
        .unwrap();
    assert_eq!(
        b.rotate_token(first, &[8; 32], &token(account, Some(app), 9, 3, 20))
            .unwrap(),
        None
    );
    let used = b.token_by_hash(&[1; 32]).unwrap().unwrap();
    assert_eq!(used.state, TokenState::Superseded);
    assert!(b.answered_with_successor(first, &[7; 32]).unwrap());
    // Revoked through B: A's next read says so.
    assert_eq!(b.revoke_family(first).unwrap(), 1);
    let live = a.token_by_hash(&[2; 32]).unwrap().unwrap();
    assert_eq!(live.state, TokenState::Revoked);

    // Failures recorded on either gateway add up to one counter.
    let subject = [b'a'; 33];
    a.record_failure(&[&subject], UnixMillis(1), UnixMillis(0))
        .unwrap();
    b.record_failure(&[&subject], UnixMillis(2), UnixMillis(0))
        .unwrap();
    assert_eq!(
        a.throttle(&subject).unwrap(),
        Some(ThrottleRecord {
            failures: 2,
            last_failure: UnixMillis(2)
        })
    );
}

pub fn a_link_started_on_one_gateway_is_decided_once_on_either(a: &dyn Store, b: &dyn Store) {
    let (Some(on_a), Some(on_b)) = (a.links(), b.links()) else {
        return;
    };
    let account = crate::add_account(a, 1, true);
    let started = link("BBBB-BBBB", 1, 0);
    assert!(on_a.insert_link(&started).unwrap());
    assert!(
        !on_b.insert_link(&link("BBBB-BBBB", 2, 10)).unwrap(),
        "the code is taken on every gateway"
    );
    let (mine, all) = on_b
        .pending_link_counts(&started.device_key, UnixMillis(100))
        .unwrap();
    assert_eq!((mine, all), (vec![started.expires], 1));
    on_b.record_link_poll(&started.code, 10, UnixMillis(200))
        .unwrap();
    assert_eq!(
        on_a.link(&started.code).unwrap().unwrap().last_poll,
        Some(UnixMillis(200))
    );
    // Approved on B's page: A can neither decline nor approve it again.
    assert!(
        on_b.approve_link(
            &started.code,
            account,
            &approval(account, 1, 7, 300),
            UnixMillis(300)
        )
        .unwrap()
        .is_some()
    );
    assert!(!on_a.decline_link(&started.code, UnixMillis(400)).unwrap());
    assert_eq!(
        on_a.approve_link(
            &started.code,
            account,
            &approval(account, 1, 8, 400),
            UnixMillis(400)
        )
        .unwrap(),
        None
    );
    assert_eq!(
        on_a.link(&started.code).unwrap().unwrap().state,
        LinkState::Approved
    );
    assert_eq!(a.app_passwords(account).unwrap().len(), 1);
    assert!(on_a.pending_links(UnixMillis(400)).unwrap().is_empty());
}

pub fn pending_link_caps_hold_across_gateways(a: &dyn Store, b: &dyn Store) {
    let (Some(on_a), Some(on_b)) = (a.links(), b.links()) else {
        return;
    };
    let codes = [
        "BBBB-BBBB",
        "CCCC-CCCC",
        "DDDD-DDDD",
        "FFFF-FFFF",
        "GGGG-GGGG",
        "HHHH-HHHH",
        "JJJJ-JJJJ",
        "KKKK-KKKK",
    ];
    let stored = AtomicU32::new(0);
    // Eight starts at once, half on each gateway, for two devices: at most 3 pending per
    // device and 5 in all.
    std::thread::scope(|scope| {
        for (i, code) in codes.into_iter().enumerate() {
            let (links, stored) = (if i % 2 == 0 { on_a } else { on_b }, &stored);
            scope.spawn(move || {
                let started = link(code, 1 + u8::from(i % 4 < 2), 1_000);
                let admitted = links
                    .insert_link_admitted(&started, &mut |mine, all| mine.len() < 3 && all < 5)
                    .unwrap();
                if admitted == Some(true) {
                    stored.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(stored.load(Ordering::Relaxed), 5);
    for device in [1, 2] {
        let (mine, all) = on_a
            .pending_link_counts(
                &padlock_protocol::PublicKey([device; 32]),
                UnixMillis(2_000),
            )
            .unwrap();
        assert!(mine.len() <= 3, "device {device}: {mine:?}");
        assert_eq!(all, 5);
    }
    // A taken code is told apart from a refusal.
    let taken = on_a.pending_links(UnixMillis(2_000)).unwrap()[0]
        .code
        .to_string();
    assert_eq!(
        on_b.insert_link_admitted(&link(&taken, 3, 2_000), &mut |_, _| true)
            .unwrap(),
        Some(false)
    );
    assert_eq!(
        on_b.insert_link_admitted(&link("LLLL-LLLL", 3, 2_000), &mut |_, all| all < 5)
            .unwrap(),
        None
    );
    assert_eq!(on_a.pending_links(UnixMillis(2_000)).unwrap().len(), 5);
}
