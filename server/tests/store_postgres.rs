//! The PostgreSQL store on a real PostgreSQL (`PADLOCK_TEST_POSTGRES`, see `.ci/postgres`):
//! what only it has to show. Two stores on one database stand for two gateway processes (each
//! has its own connection pool); the rules every store keeps are the conformance suite's.

#[path = "common/postgres.rs"]
mod postgres_db;

use padlock_protocol::PublicKey;
use padlock_server::store::{
    AccountStore, AppPasswordStore, NewToken, PaceStore, ThrottleStore, TokenState, TokenStore,
    WriteCount,
};
use padlock_server::{Error, PostgresStore, Store, UnixMillis};
use postgres_db::{PrivateCluster, ScratchDatabase};

fn token(hash_byte: u8, app_password: i64, at: u64) -> NewToken {
    NewToken {
        account_id: 1,
        app_password_id: Some(app_password),
        device_key: PublicKey([9; 32]),
        hash: [hash_byte; 32],
        created: UnixMillis(at),
        expires: UnixMillis(at + 1_000_000),
    }
}

/// A database with account 1 and its app password 1, and two stores on it.
fn two_gateways(db: &ScratchDatabase) -> (PostgresStore, PostgresStore) {
    let a = PostgresStore::open(&db.url).unwrap();
    let b = PostgresStore::open(&db.url).unwrap();
    a.insert_account("a@b", "a@b", "A", "$argon2id$", true)
        .unwrap();
    a.insert_app_password(1, "Xbox", &[1; 32], UnixMillis(0))
        .unwrap();
    (a, b)
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn opening_migrates_once_and_refuses_another_programs_database() {
    let db = ScratchDatabase::new();
    // Gateways starting at once on a new database: one migrates, the others find it current.
    let stores: Vec<_> = std::thread::scope(|scope| {
        let opening: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| PostgresStore::open(&db.url)))
            .collect();
        opening.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for store in &stores {
        assert_eq!(
            store.as_ref().unwrap().schema_version().unwrap(),
            PostgresStore::latest_schema_version()
        );
    }
    drop(stores);

    let other = ScratchDatabase::new();
    other
        .client()
        .batch_execute("CREATE TABLE invoices (id bigint)")
        .unwrap();
    assert!(matches!(
        PostgresStore::open(&other.url),
        Err(Error::CorruptDatabase(_))
    ));

    let newer = ScratchDatabase::new();
    drop(PostgresStore::open(&newer.url).unwrap());
    newer
        .client()
        .batch_execute("UPDATE padlock_schema SET version = 99")
        .unwrap();
    match PostgresStore::open(&newer.url) {
        Err(Error::NewerDatabase { found, supported }) => {
            assert_eq!(
                (found, supported),
                (99, PostgresStore::latest_schema_version())
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn a_token_rotated_through_two_gateways_at_once_gets_one_successor() {
    let db = ScratchDatabase::new();
    let (a, b) = two_gateways(&db);
    for round in 0..20u8 {
        let first = a.insert_token(&token(round, 1, 0), "").unwrap().unwrap();
        let successors: Vec<Option<i64>> = std::thread::scope(|scope| {
            let by_a =
                scope.spawn(|| a.rotate_token(first, &[100; 32], &token(round + 100, 1, 10)));
            let by_b =
                scope.spawn(|| b.rotate_token(first, &[101; 32], &token(round + 150, 1, 10)));
            vec![by_a.join().unwrap().unwrap(), by_b.join().unwrap().unwrap()]
        });
        let won: Vec<i64> = successors.into_iter().flatten().collect();
        assert_eq!(won.len(), 1, "round {round}: exactly one rotation");
        let old = a.token_by_id(first).unwrap().unwrap();
        assert_eq!(old.state, TokenState::Superseded);
        assert_eq!(old.successor, Some(won[0]));
        let family: Vec<_> = a
            .tokens(1, UnixMillis(0))
            .unwrap()
            .into_iter()
            .filter(|t| t.family == first)
            .collect();
        assert_eq!(family.len(), 1, "one live generation");
    }
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn a_revocation_racing_rotations_leaves_no_live_token_of_the_revoked_password() {
    let db = ScratchDatabase::new();
    let (a, b) = two_gateways(&db);
    for round in 0..10u8 {
        let app = a
            .insert_app_password(1, "Wii", &[200 + round; 32], UnixMillis(0))
            .unwrap();
        let mut live = a.insert_token(&token(round, app, 0), "").unwrap().unwrap();
        std::thread::scope(|scope| {
            let rotating = scope.spawn(|| {
                for step in 0..5u8 {
                    let hash = 20 + round * 10 + step;
                    match a
                        .rotate_token(live, &[hash; 32], &token(hash, app, 10))
                        .unwrap()
                    {
                        Some(next) => live = next,
                        None => break,
                    }
                }
            });
            assert!(b.revoke_app_password(1, app).unwrap());
            rotating.join().unwrap();
        });
        let left: Vec<_> = a
            .tokens(1, UnixMillis(0))
            .unwrap()
            .into_iter()
            .filter(|t| t.app_password_id == Some(app))
            .collect();
        assert!(left.is_empty(), "round {round}: {left:?}");
    }
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn failures_recorded_through_two_gateways_at_once_all_count() {
    let db = ScratchDatabase::new();
    let (a, b) = two_gateways(&db);
    let account = [b'a'; 33];
    let pair = [b'p'; 65];
    std::thread::scope(|scope| {
        for store in [&a, &b, &a, &b] {
            // The subjects in both orders: the store orders them, so no deadlock aborts any.
            scope.spawn(move || {
                for n in 0..25 {
                    let subjects: [&[u8]; 2] = if n % 2 == 0 {
                        [&account, &pair]
                    } else {
                        [&pair, &account]
                    };
                    store
                        .record_failure(&subjects, UnixMillis(1_000 + n), UnixMillis(0))
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(a.throttle(&account).unwrap().unwrap().failures, 100);
    assert_eq!(b.throttle(&pair).unwrap().unwrap().failures, 100);
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn a_postgresql_restart_fails_requests_meanwhile_and_the_store_recovers_by_itself() {
    let cluster = PrivateCluster::start();
    let store = PostgresStore::open(&cluster.url).unwrap();
    store
        .insert_account("a@b", "a@b", "A", "$argon2id$", true)
        .unwrap();
    // Several connections in the pool, idle when PostgreSQL goes away.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..20 {
                    assert!(store.account("a@b").unwrap().is_some());
                }
            });
        }
    });

    cluster.halt();
    // Down: every request is an error (the gateway's ServerError), none a panic or a hang.
    for _ in 0..3 {
        let started = std::time::Instant::now();
        match store.account("a@b") {
            Err(Error::Postgres(_) | Error::PostgresPool(_)) => {}
            other => panic!("with PostgreSQL down: {other:?}"),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert!(
            store
                .record_failure(&[b"s"], UnixMillis(1), UnixMillis(0))
                .is_err()
        );
    }

    cluster.resume();
    // Up again: the very next requests succeed, reads, writes and transactions, on fresh
    // connections (the dead ones are dropped on the way), without reopening the store.
    assert!(store.account("a@b").unwrap().is_some());
    store
        .record_failure(&[b"s"], UnixMillis(2), UnixMillis(0))
        .unwrap();
    assert_eq!(store.throttle(b"s").unwrap().unwrap().failures, 1);
    assert_eq!(store.revoke_all_tokens(1).unwrap(), 0);
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn writes_count_what_each_store_committed() {
    let db = ScratchDatabase::new();
    let (a, b) = two_gateways(&db);
    assert_eq!(a.writes().synced, 2, "an account and an app password");
    assert_eq!(b.writes().synced, 0, "counted per store");
    let first = a.insert_token(&token(1, 1, 0), "").unwrap().unwrap();
    assert_eq!(a.writes().synced, 3);
    // A rotation: the successor inserted, its predecessor superseded.
    b.rotate_token(first, &[7; 32], &token(2, 1, 10)).unwrap();
    assert_eq!(b.writes().synced, 1, "one transaction");
    // Nothing changes: nothing counted; a failed insert neither.
    assert_eq!(
        b.rotate_token(first, &[8; 32], &token(3, 1, 20)).unwrap(),
        None
    );
    assert!(
        a.insert_app_password(1, "again", &[1; 32], UnixMillis(0))
            .is_err()
    );
    assert_eq!((a.writes().synced, b.writes().synced), (3, 1));
    // One synced commit per call that wrote; reads are no writes.
    assert_eq!(
        a.writes(),
        WriteCount {
            synced: 3,
            unsynced: 0
        }
    );
    assert!(a.token_by_id(first).unwrap().is_some());
    assert_eq!(
        b.writes(),
        WriteCount {
            synced: 1,
            unsynced: 0
        }
    );
    // Attempts in flight and pacing commit unsynced.
    let attempt = a
        .begin_attempt(&[b"s"], UnixMillis(30), UnixMillis(99), &mut |_| true)
        .unwrap()
        .unwrap();
    a.end_attempt(attempt).unwrap();
    a.spend_pace(b"p", UnixMillis(30), std::time::Duration::from_secs(1))
        .unwrap();
    assert_eq!(
        a.writes(),
        WriteCount {
            synced: 3,
            unsynced: 3
        }
    );
}
