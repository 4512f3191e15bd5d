//! The SQLite store's own tests (what every backend must do is in the conformance suite).

use padlock_protocol::PublicKey;
use rusqlite::Connection;

use super::SqliteStore;
use super::migrations::{APPLICATION_ID, MIGRATIONS};
use crate::store::{
    AccountStore, AppPasswordStore, DeviceStore, KnownDevice, NewToken, ReplayStore, TokenState,
    TokenStore,
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
fn a_family_whose_app_password_vanished_is_revoked_on_rotation() {
    let store = store_with_account();
    // A database from before tokens were inserted only while their credential signs in: the
    // app password is gone, its family is still active.
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
fn claims_are_shared_at_once_and_synced_by_one_commit_per_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let store = SqliteStore::open(&path).unwrap();
    // Another gateway on the same file.
    let other = SqliteStore::open(&path).unwrap();
    for i in 0..50u8 {
        assert!(
            store
                .remember_granted_sign_in(&[i; 32], UnixMillis(1))
                .unwrap()
        );
    }
    assert_eq!(store.granted_sign_ins_claimed(), 50);
    assert!(
        other.granted_sign_in_known(&[7; 32]).unwrap(),
        "seen by the other before the commit"
    );
    assert!(
        !other
            .remember_granted_sign_in(&[7; 32], UnixMillis(2))
            .unwrap()
    );
    assert_eq!(store.grant_batches().unwrap(), 0, "nothing synced yet");
    assert_eq!(store.commit_granted_sign_ins().unwrap(), 50);
    assert_eq!(store.grant_batches().unwrap(), 1, "one sync for the batch");
    assert_eq!(store.commit_granted_sign_ins().unwrap(), 50, "nothing new");
    assert_eq!(
        other.commit_granted_sign_ins().unwrap(),
        0,
        "the other claimed none"
    );
    assert_eq!(store.grant_batches().unwrap(), 1);
    assert!(
        store
            .remember_granted_sign_in(&[200; 32], UnixMillis(200))
            .unwrap()
    );
    // Dropping the store syncs what is left.
    drop(store);
    assert_eq!(other.grant_batches().unwrap(), 2);
    assert!(other.granted_sign_in_known(&[200; 32]).unwrap());
}

#[test]
fn unsynced_writes_leave_the_writer_synced() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("g.db")).unwrap();
    store
        .remember_granted_sign_in(&[1; 32], UnixMillis(1))
        .unwrap();
    let sync: i64 = store
        .lock()
        .unwrap()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "FULL again after an unsynced write");
}

#[test]
fn writes_are_counted_synced_or_not() {
    use crate::store::{Store, WriteCount};
    let store = store_with_account();
    let before = store.writes();
    store
        .remember_granted_sign_in(&[1; 32], UnixMillis(1))
        .unwrap();
    store.commit_granted_sign_ins().unwrap();
    store.commit_granted_sign_ins().unwrap();
    assert!(store.token_by_hash(&[1; 32]).unwrap().is_none());
    let after = store.writes();
    assert_eq!(
        WriteCount {
            synced: after.synced - before.synced,
            unsynced: after.unsynced - before.unsynced,
        },
        WriteCount {
            synced: 1,
            unsynced: 1
        },
        "a claim, one batch; a commit with nothing new and a read write nothing"
    );
}
