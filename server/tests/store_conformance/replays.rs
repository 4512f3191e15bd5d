//! Granted sign-ins ([`padlock_server::store::ReplayStore`]).

use padlock_server::{Store, UnixMillis};

pub fn a_granted_sign_in_is_remembered_once_until_forgotten(store: &dyn Store) {
    let remember = |byte: u8, at: u64| {
        store
            .remember_granted_sign_in(&[byte; 32], UnixMillis(at))
            .unwrap()
    };
    assert!(!store.granted_sign_in_known(&[1; 32]).unwrap());
    assert!(remember(1, 10));
    assert!(!remember(1, 20), "a replay");
    assert!(remember(2, 30));
    // Known before its commit (so a replay racing the commit costs no argon2id either) …
    assert!(store.granted_sign_in_known(&[2; 32]).unwrap());
    let claimed = store.granted_sign_ins_claimed();
    assert!(
        store.commit_granted_sign_ins().unwrap() >= claimed,
        "every claim made is durable"
    );
    // … and after it.
    assert!(store.granted_sign_in_known(&[2; 32]).unwrap());
    assert!(!remember(2, 40), "still a replay once committed");
    assert!(!store.granted_sign_in_known(&[3; 32]).unwrap());

    // Forgotten before 30: the one at 10 only.
    assert_eq!(
        store
            .forget_granted_sign_ins_before(UnixMillis(30))
            .unwrap(),
        1
    );
    assert!(remember(1, 40), "forgotten, so new again");
    assert!(!remember(2, 40));
    store.commit_granted_sign_ins().unwrap();
}

pub fn concurrent_claims_succeed_once_each(store: &dyn Store) {
    // 8 threads claim the same 50 message 1s: each is granted to exactly one of them.
    let granted: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    (0..50u8)
                        .filter(|i| {
                            store
                                .remember_granted_sign_in(&[*i; 32], UnixMillis(1))
                                .unwrap()
                        })
                        .count()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    });
    assert_eq!(granted, 50);
    assert!(store.commit_granted_sign_ins().unwrap() >= store.granted_sign_ins_claimed());
    assert!(
        !store
            .remember_granted_sign_in(&[7; 32], UnixMillis(2))
            .unwrap()
    );
}
