//! The SQLite store's own tests (what every backend must do is in the conformance suite).

use std::path::Path;

use padlock_protocol::PublicKey;
use rusqlite::Connection;

use super::SqliteStore;
use super::migrations::{APPLICATION_ID, MIGRATIONS};
use crate::store::security::ActivityKind;
use crate::store::{
    AccountStore, AppPasswordStore, DeviceStore, KnownDevice, NewToken, ReplayStore,
    ThrottleRecord, ThrottleStore, TokenState, TokenStore,
};
use crate::time::UnixMillis;

fn token(hash_byte: u8, at: u64) -> NewToken {
    NewToken {
        account_id: 1,
        app_password_id: Some(1),
        device_key: PublicKey([9; 32]),
        hash: [hash_byte; 32],
        created: UnixMillis(at),
        expires: UnixMillis(at + 1000),
    }
}

fn store_with_account() -> SqliteStore {
    let store = SqliteStore::in_memory().unwrap();
    store
        .insert_account("a@b", "a@b", "A", "$argon2id$", true)
        .unwrap();
    store
        .insert_app_password(1, "Xbox", &[1; 32], UnixMillis(0))
        .unwrap();
    store
}

#[test]
fn a_file_database_is_private_wal_with_full_sync_and_migrates_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let store = SqliteStore::open(&path).unwrap();
    let connection = store.lock().unwrap();
    let mode: String = connection
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = connection
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!((mode.as_str(), sync), ("wal", 2), "WAL, synchronous = FULL");
    drop(connection);
    #[cfg(unix)]
    for file in ["g.db", "g.db-wal", "g.db-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    drop(store);
    // Opening again applies nothing twice.
    assert_eq!(
        SqliteStore::open(&path).unwrap().schema_version().unwrap(),
        MIGRATIONS.len() as u32
    );
}

#[test]
fn a_rotation_waits_for_another_process_writing_instead_of_failing_busy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let store = SqliteStore::open(&path).unwrap();
    store
        .insert_account("a@b", "a@b", "A", "$argon2id$", true)
        .unwrap();
    store
        .insert_app_password(1, "Xbox", &[1; 32], UnixMillis(0))
        .unwrap();
    let first = store.insert_token(&token(1, 0), "").unwrap().unwrap();
    // The admin CLI, in its own process, holds the write lock for a while.
    let admin = Connection::open(&path).unwrap();
    admin
        .execute_batch("BEGIN IMMEDIATE; UPDATE accounts SET display_name = 'B';")
        .unwrap();
    std::thread::scope(|scope| {
        let rotation = scope.spawn(|| store.rotate_token(first, &[7; 32], &token(2, 10)));
        std::thread::sleep(std::time::Duration::from_millis(300));
        admin.execute_batch("COMMIT").unwrap();
        assert!(rotation.join().unwrap().unwrap().is_some());
    });
}

#[test]
fn app_password_ids_are_never_reused_also_after_migrating_a_version_1_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let v1 = Connection::open(&path).unwrap();
    v1.execute_batch(MIGRATIONS[0]).unwrap();
    v1.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;
         INSERT INTO accounts VALUES (1, 'a@b', 'a@b', 'A', '$argon2id$', 1);
         INSERT INTO app_passwords (id, account_id, name, hash, created)
             VALUES (1, 1, 'Xbox', x'01', 0), (2, 1, 'Zune', x'02', 0);
         INSERT INTO tokens (family, account_id, app_password_id, device_key, hash, created,
             expires, state) VALUES (1, 1, 3, x'09', x'03', 0, 1, 2);"
    ))
    .unwrap();
    drop(v1);
    make_private(&path);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as u32);
    assert_eq!(store.app_passwords(1).unwrap().len(), 2, "rows kept");
    // Id 3 was held by a revoked app password that only a token row remembers.
    let next = store
        .insert_app_password(1, "Wii", &[4; 32], UnixMillis(0))
        .unwrap();
    assert_eq!(next, 4);
    assert!(store.revoke_app_password(1, next).unwrap());
    let after = store
        .insert_app_password(1, "Wii U", &[5; 32], UnixMillis(0))
        .unwrap();
    assert_eq!(
        after, 5,
        "the id of a revoked app password is not given out again"
    );
}

/// Gives a database made here by hand the mode the gateway creates its databases with
/// (private to its user), which it insists on at open.
fn make_private(path: &std::path::Path) {
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
}

#[test]
fn devices_given_a_token_before_version_4_are_known_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let v3 = Connection::open(&path).unwrap();
    for sql in &MIGRATIONS[..3] {
        v3.execute_batch(sql).unwrap();
    }
    v3.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 3;
         INSERT INTO accounts VALUES (1, 'a@b', 'a@b', 'A', '$argon2id$', 1);
         INSERT INTO tokens (family, account_id, app_password_id, device_key, hash, created,
             expires, state) VALUES (1, 1, 1, x'{key}', x'03', 40, 99, 1),
             (1, 1, 1, x'{key}', x'04', 70, 99, 0);",
        key = "09".repeat(32)
    ))
    .unwrap();
    drop(v3);
    make_private(&path);
    let store = SqliteStore::open(&path).unwrap();
    let known = KnownDevice {
        device_key: PublicKey([9; 32]),
        description: None,
        first_seen: UnixMillis(40),
        last_seen: UnixMillis(70),
    };
    assert_eq!(
        store.known_device(1, &PublicKey([9; 32])).unwrap(),
        Some(known.clone())
    );
    assert_eq!(store.known_device(1, &PublicKey([8; 32])).unwrap(), None);
    assert_eq!(store.known_devices(1).unwrap(), [known]);
}

#[test]
fn a_device_sign_in_is_one_record_written_at_most_once_per_resolution() {
    use crate::store::SecurityStore;
    let store = store_with_account();
    let key = PublicKey([9; 32]);
    let minute = std::time::Duration::from_secs(60);
    let sign_in = |description: &str, at: u64| {
        store
            .device_signed_in(1, &key, description, UnixMillis(at), minute)
            .unwrap();
    };
    let lines = || {
        store
            .activity(1, 100)
            .unwrap()
            .into_iter()
            .map(|line| (line.at.0, line.kind, line.detail))
            .collect::<Vec<_>>()
    };
    sign_in("Xbox", 1_000);
    // Again within the resolution (as two racing sign-ins would): nothing more is written.
    sign_in("Xbox", 1_000);
    sign_in("Xbox", 60_999);
    // The clock set back: nothing is written, the last sighting does not move back.
    sign_in("Xbox", 500);
    let device = |last_seen: u64, description: &str| KnownDevice {
        device_key: key,
        description: Some(description.into()),
        first_seen: UnixMillis(1_000),
        last_seen: UnixMillis(last_seen),
    };
    assert_eq!(store.known_devices(1).unwrap(), [device(1_000, "Xbox")]);
    assert_eq!(
        lines(),
        [(1_000, ActivityKind::DeviceSignIn, "Xbox".into())]
    );
    assert!(device(1_000, "Xbox").seen_within("Xbox", UnixMillis(60_999), minute));
    assert!(!device(1_000, "Xbox").seen_within("Xbox", UnixMillis(61_000), minute));
    assert!(!device(1_000, "Xbox").seen_within("Wii", UnixMillis(1_000), minute));

    // Stale, or described otherwise (new firmware): recorded, with a line of activity.
    sign_in("Xbox", 61_000);
    sign_in("Xbox 2.0", 61_001);
    assert_eq!(
        store.known_devices(1).unwrap(),
        [device(61_001, "Xbox 2.0")]
    );
    assert_eq!(lines().len(), 3);
    assert_eq!(store.known_device(2, &key).unwrap(), None, "per account");

    // Idle since before the cutoff and holding no live token: forgotten.
    assert_eq!(
        store
            .forget_known_devices_before(UnixMillis(61_001))
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .forget_known_devices_before(UnixMillis(61_002))
            .unwrap(),
        1
    );
    assert_eq!(store.known_device(1, &key).unwrap(), None);
}

#[test]
fn rotation_is_all_or_nothing_and_only_once() {
    let store = store_with_account();
    let first = store.insert_token(&token(1, 0), "").unwrap().unwrap();
    let second = store.rotate_token(first, &[7; 32], &token(2, 10)).unwrap();
    let second = second.unwrap();
    let old = store.token_by_id(first).unwrap().unwrap();
    assert_eq!(old.state, TokenState::Superseded);
    assert_eq!(
        (old.consumed_by, old.successor, old.superseded_at),
        (Some([7; 32]), Some(second), Some(UnixMillis(10)))
    );
    let new = store.token_by_hash(&[2; 32]).unwrap().unwrap();
    assert_eq!((new.family, new.state), (first, TokenState::Active));

    // The used-up generation cannot be rotated again: nothing is written.
    assert_eq!(
        store.rotate_token(first, &[8; 32], &token(3, 20)).unwrap(),
        None
    );
    assert_eq!(store.token_by_hash(&[3; 32]).unwrap(), None);
    assert_eq!(
        store.token_by_id(first).unwrap().unwrap().consumed_by,
        Some([7; 32])
    );

    // A successor whose hash collides with an existing token aborts the whole rotation.
    assert!(store.rotate_token(second, &[9; 32], &token(1, 30)).is_err());
    assert_eq!(
        store.token_by_id(second).unwrap().unwrap().state,
        TokenState::Active
    );
}

#[test]
fn a_token_is_inserted_and_rotated_only_while_its_credential_signs_in() {
    let store = store_with_account();
    // Account 1 has two-step on: its primary password issues nothing.
    let primary = NewToken {
        app_password_id: None,
        ..token(1, 0)
    };
    assert_eq!(store.insert_token(&primary, "$argon2id$").unwrap(), None);
    store.set_two_step(1, false).unwrap();
    assert_eq!(
        store.insert_token(&primary, "$argon2id$other").unwrap(),
        None
    );
    assert!(
        store
            .insert_token(&primary, "$argon2id$")
            .unwrap()
            .is_some()
    );
    // App password 2 does not exist (or was revoked before the insert).
    let stray = NewToken {
        app_password_id: Some(2),
        ..token(2, 0)
    };
    assert_eq!(store.insert_token(&stray, "").unwrap(), None);
    assert_eq!(store.token_by_hash(&[2; 32]).unwrap(), None);
    // A family whose app password vanished (a database from before this check): rotation
    // revokes it instead.
    let live = store.insert_token(&token(3, 0), "").unwrap().unwrap();
    store
        .lock()
        .unwrap()
        .execute("DELETE FROM app_passwords WHERE id = 1", [])
        .unwrap();
    assert_eq!(
        store.rotate_token(live, &[7; 32], &token(4, 10)).unwrap(),
        None
    );
    assert_eq!(
        store.token_by_id(live).unwrap().unwrap().state,
        TokenState::Revoked
    );
    assert_eq!(store.token_by_hash(&[4; 32]).unwrap(), None);
}

#[test]
fn revoking_cascades_and_counts_live_families() {
    let store = store_with_account();
    let a = store.insert_token(&token(1, 0), "").unwrap().unwrap();
    store.rotate_token(a, &[7; 32], &token(2, 10)).unwrap();
    store.insert_token(&token(3, 0), "").unwrap().unwrap();
    assert_eq!(store.tokens(1, UnixMillis(0)).unwrap().len(), 2);
    assert_eq!(store.revoke_family(a).unwrap(), 1);
    assert_eq!(
        store.token_by_id(a).unwrap().unwrap().state,
        TokenState::Revoked
    );
    assert!(store.revoke_app_password(1, 1).unwrap());
    assert!(store.tokens(1, UnixMillis(0)).unwrap().is_empty());
    assert!(!store.revoke_app_password(1, 1).unwrap());
}

#[test]
fn a_granted_sign_in_is_remembered_once_until_forgotten() {
    let store = SqliteStore::in_memory().unwrap();
    assert!(
        store
            .remember_granted_sign_in(&[1; 32], UnixMillis(10))
            .unwrap()
    );
    assert!(
        !store
            .remember_granted_sign_in(&[1; 32], UnixMillis(20))
            .unwrap()
    );
    assert!(
        store
            .remember_granted_sign_in(&[2; 32], UnixMillis(30))
            .unwrap()
    );
    assert!(
        store.granted_sign_in_known(&[2; 32]).unwrap(),
        "known before its commit"
    );
    assert_eq!(store.commit_granted_sign_ins().unwrap(), 2);
    assert!(store.granted_sign_in_known(&[2; 32]).unwrap(), "and after");
    assert!(!store.granted_sign_in_known(&[3; 32]).unwrap());
    assert_eq!(
        store
            .forget_granted_sign_ins_before(UnixMillis(30))
            .unwrap(),
        1
    );
    assert!(
        store
            .remember_granted_sign_in(&[1; 32], UnixMillis(40))
            .unwrap()
    );
    assert!(
        !store
            .remember_granted_sign_in(&[2; 32], UnixMillis(40))
            .unwrap()
    );
}

#[test]
fn concurrent_claims_succeed_once_each_and_are_committed_together() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let store = SqliteStore::open(&path).unwrap();
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
    assert_eq!(store.granted_sign_ins_claimed(), 50);
    let stored = |path: &Path| -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT count(*) FROM granted_sign_ins", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(stored(&path), 0, "nothing written before the commit");
    assert_eq!(store.commit_granted_sign_ins().unwrap(), 50);
    assert_eq!(stored(&path), 50, "one commit wrote them all");
    assert!(
        !store
            .remember_granted_sign_in(&[7; 32], UnixMillis(200))
            .unwrap()
    );
    assert!(
        store
            .remember_granted_sign_in(&[200; 32], UnixMillis(200))
            .unwrap()
    );
    assert_eq!(store.commit_granted_sign_ins().unwrap(), 51);
    assert_eq!(store.commit_granted_sign_ins().unwrap(), 51, "nothing new");
    let log = store.lock_grants();
    assert!(log.pending.is_empty() && log.uncommitted.is_empty());
    drop(log);
    assert_eq!(stored(&path), 51);
}

#[test]
fn failures_add_up_atomically() {
    let store = store_with_account();
    let subject = [b'a'; 33];
    let other = [b'd'; 33];
    for n in 1..=3 {
        store
            .record_failure(&[&subject, &other], UnixMillis(n * 10), UnixMillis(0))
            .unwrap();
        assert_eq!(
            store.throttle(&subject).unwrap(),
            store.throttle(&other).unwrap()
        );
        let record = store.throttle(&subject).unwrap().unwrap();
        assert_eq!(
            record,
            ThrottleRecord {
                failures: u32::try_from(n).unwrap(),
                last_failure: UnixMillis(n * 10)
            }
        );
    }
    store.clear_throttle(&subject).unwrap();
    assert_eq!(store.throttle(&subject).unwrap(), None);
    store
        .record_failure(&[&subject], UnixMillis(100), UnixMillis(0))
        .unwrap();
    // `other` last failed at 30, `subject` at 100.
    assert_eq!(store.forget_throttle_before(UnixMillis(100)).unwrap(), 1);
    assert_eq!(store.throttle(&other).unwrap(), None);
    assert_eq!(store.forget_throttle_before(UnixMillis(101)).unwrap(), 1);
}
