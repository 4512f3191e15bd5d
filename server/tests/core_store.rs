//! The SQLite file and the key file: restarts, crashes, damaged or foreign files.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use padlock_protocol::RememberToken;
use padlock_server::keys::key_file_path;
use padlock_server::{Error, Gateway, SqliteStore};

#[test]
fn everything_survives_a_restart_with_the_same_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let (public_key, app, token) = {
        let gateway = Gateway::open(&db, config()).unwrap();
        gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
        let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
        let token =
            granted_token(&Device::new(1).sign_in(&gateway, EMAIL, &app.formatted, true, t(1)));
        (gateway.public_key(), app.formatted.clone(), token)
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key_file_path(&db))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "key file readable by its owner only");
    }
    let gateway = Gateway::open_existing(&db, config()).unwrap();
    assert_eq!(gateway.public_key(), public_key);
    let device = Device::new(1);
    assert!(is_granted(&device.sign_in(
        &gateway,
        EMAIL,
        &app,
        false,
        t(2)
    )));
    assert!(is_granted(&device.resume(&gateway, &token, t(3))));
}

#[test]
fn throttling_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    {
        let gateway = Gateway::open(&db, config()).unwrap();
        gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
        for _ in 0..padlock_server::throttle::FREE_FAILURES {
            Device::new(1).sign_in(&gateway, EMAIL, "wrong", false, t(0));
        }
    }
    let gateway = Gateway::open(&db, config()).unwrap();
    assert!(matches!(
        Device::new(2).sign_in(&gateway, EMAIL, PRIMARY, false, t(0)),
        padlock_protocol::Response::Denied {
            reason: padlock_protocol::DenyReason::Throttled,
            ..
        }
    ));
}

#[test]
fn a_gateway_dropped_without_closing_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let gateway = Gateway::open(&db, config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
    let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
    // Never closed, never checkpointed: the data is only in the WAL.
    std::mem::forget(gateway);
    let reopened = Gateway::open(&db, config()).unwrap();
    assert!(is_granted(&Device::new(1).sign_in(
        &reopened,
        EMAIL,
        &app.formatted,
        false,
        t(1)
    )));
}

const CHILD_DB: &str = "PADLOCK_SERVER_CRASH_TEST_DB";

/// Not a test on its own: the body of the child process of
/// `a_killed_gateway_loses_nothing_acknowledged` (accounts, app passwords, token rotations).
#[test]
fn crash_child() {
    let Ok(db) = std::env::var(CHILD_DB) else {
        return;
    };
    let gateway = Gateway::open(Path::new(&db), config()).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        // A console per account: one device's families and successes are capped.
        let device = console(i);
        let email = format!("user{i}@example.com");
        gateway.add_account(&email, "User", PRIMARY, true).unwrap();
        let app = gateway.create_app_password(&email, "Xbox", t(0)).unwrap();
        let token = granted_token(&device.sign_in(&gateway, &email, &app.formatted, true, t(i)));
        // A rotation: the successor is what the device now holds.
        let successor = granted_token(&device.resume(&gateway, &token, t(i)));
        let hex = hex(successor.as_bytes());
        writeln!(out, "acked {i} {hex} {}", app.formatted).unwrap();
        out.flush().unwrap();
    }
}

fn console(i: u64) -> Device {
    Device::new(u8::try_from(i % 250).unwrap() + 1)
}

#[test]
fn a_killed_gateway_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_DB, &db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let Some(rest) = line.strip_prefix("acked ") else {
            continue;
        };
        let mut fields = rest.splitn(3, ' ');
        let (i, token, password) = (
            fields.next().unwrap(),
            fields.next().unwrap(),
            fields.next().unwrap(),
        );
        let token: Vec<u8> = (0..64)
            .step_by(2)
            .map(|at| u8::from_str_radix(&token[at..at + 2], 16).unwrap())
            .collect();
        let token = RememberToken::from_bytes(token.try_into().unwrap());
        acked.push((i.parse::<u32>().unwrap(), token, password.to_owned()));
        if acked.len() == 40 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL, mid-loop
    child.wait().unwrap();
    assert_eq!(acked.len(), 40);

    let gateway = Gateway::open(&db, config()).unwrap();
    for (i, token, password) in &acked {
        let device = console(u64::from(*i));
        let email = format!("user{i}@example.com");
        assert!(
            is_granted(&device.sign_in(&gateway, &email, password, false, t(1000))),
            "account {i} and its app password were acknowledged"
        );
        assert!(
            is_granted(&device.resume(&gateway, token, t(1000))),
            "the rotation that handed out account {i}'s token was acknowledged"
        );
    }
}

#[test]
fn an_existing_database_without_its_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    drop(Gateway::open(&db, config()).unwrap());
    std::fs::remove_file(key_file_path(&db)).unwrap();
    let error = Gateway::open(&db, config()).unwrap_err();
    assert!(matches!(error, Error::MissingKeys(_)), "{error}");
    assert!(error.to_string().contains("gateway.db.keys"), "{error}");
}

#[test]
fn damaged_or_foreign_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("missing.db");
    let error = Gateway::open_existing(&missing, config()).unwrap_err();
    assert!(matches!(error, Error::MissingDatabase(_)), "{error}");
    assert!(!missing.exists(), "open_existing creates nothing");

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    make_private(&garbage);
    let error = Gateway::open(&garbage, config()).unwrap_err();
    assert!(
        matches!(error, Error::MissingKeys(_) | Error::CorruptDatabase(_)),
        "{error}"
    );
    let error = SqliteStore::open(&garbage).unwrap_err();
    assert!(matches!(error, Error::CorruptDatabase(_)), "{error}");

    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
        .unwrap();
    make_private(&foreign);
    let error = SqliteStore::open(&foreign).unwrap_err();
    assert!(matches!(error, Error::CorruptDatabase(_)), "{error}");

    let db = dir.path().join("gateway.db");
    drop(Gateway::open(&db, config()).unwrap());
    std::fs::write(key_file_path(&db), b"not keys").unwrap();
    let error = Gateway::open(&db, config()).unwrap_err();
    assert!(matches!(error, Error::CorruptKeys(_)), "{error}");
}

#[test]
fn the_schema_is_versioned() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    assert_eq!(SqliteStore::open(&db).unwrap().schema_version().unwrap(), 7);
    assert_eq!(
        SqliteStore::in_memory().unwrap().schema_version().unwrap(),
        7
    );
    // A database from a newer gateway.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let error = SqliteStore::open(&db).unwrap_err();
    assert!(
        matches!(
            error,
            Error::NewerDatabase {
                found: 99,
                supported: 7
            }
        ),
        "{error}"
    );
}

#[test]
fn no_secret_is_stored_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let gateway = Gateway::open(&db, config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
    let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
    let device = Device::new(1);
    let token = granted_token(&device.sign_in(&gateway, EMAIL, &app.formatted, true, t(1)));
    let successor = granted_token(&device.resume(&gateway, &token, t(2)));
    let primary_token = granted_token(&device.sign_in(&gateway, EMAIL, PRIMARY, true, t(3)));
    // Everything on disk: the database and its WAL (not checkpointed yet).
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path != key_file_path(&db) {
            stored.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(stored.len() > 4096, "the test reads the database");
    let compact = app.formatted.replace(' ', "");
    let secrets: [(&str, &[u8]); 5] = [
        ("primary password", PRIMARY.as_bytes()),
        ("app password", compact.as_bytes()),
        ("token", token.as_bytes()),
        ("successor", successor.as_bytes()),
        ("primary password's token", primary_token.as_bytes()),
    ];
    for (what, secret) in secrets {
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret),
            "the {what} is on disk in clear"
        );
    }
}

/// Mode 0600, as the gateway makes its files (it refuses others before reading a byte).
fn make_private(path: &std::path::Path) {
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
}

/// Two gateways on one database file, as two processes on one machine would be: every limit
/// is the database's, so whichever gateway a request reaches, it meets the same one.
#[test]
fn two_gateways_on_one_file_share_every_limit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let config = || padlock_server::GatewayConfig {
        sign_in_pace: padlock_server::pace::Pace {
            burst: 3,
            every: std::time::Duration::from_secs(300),
        },
        ..config()
    };
    let a = Gateway::open(&db, config()).unwrap();
    a.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    let app = a
        .create_app_password(EMAIL, "Xbox", t(0))
        .unwrap()
        .formatted
        .clone();
    let b = Gateway::open_existing(&db, config()).unwrap();
    assert_eq!(a.public_key(), b.public_key(), "one key file");

    // A granted message 1 replayed to the other gateway is closed without a reply.
    let console = Device::new(1);
    let (mut initiator, body) = console.request_body(&a, &sign_in(EMAIL, &app, true));
    let token = granted_token(&read(&mut initiator, &a, &body, t(1)).unwrap());
    assert_eq!(
        b.answer(&body, t(2)),
        None,
        "a replay, on the other gateway"
    );

    // A token rotated through A, its successor used through B, and the first presented to B
    // again: reuse, and the family is revoked, on both.
    let rotated = granted_token(&console.resume(&a, &token, t(3)));
    let newest = granted_token(&console.resume(&b, &rotated, t(4)));
    assert_eq!(
        console.resume(&b, &token, t(5)),
        denied(padlock_protocol::DenyReason::TokenInvalid)
    );
    assert_eq!(
        console.resume(&a, &newest, t(6)),
        denied(padlock_protocol::DenyReason::TokenInvalid),
        "the family was revoked by the reuse"
    );

    // The device's success budget (3 at once) is spent across both.
    for gateway in [&b, &a, &b] {
        assert!(is_granted(&console.sign_in(
            gateway,
            EMAIL,
            &app,
            false,
            t(402)
        )));
    }
    let paced = console.sign_in(&a, EMAIL, &app, false, t(402));
    assert!(
        matches!(
            paced,
            padlock_protocol::Response::Denied {
                reason: padlock_protocol::DenyReason::Throttled,
                ..
            }
        ),
        "{paced:?}"
    );

    // Strangers' guesses spread over both gateways meet one counter.
    let free = padlock_server::throttle::FREE_FAILURES;
    for n in 0..free {
        let gateway = if n % 2 == 0 { &a } else { &b };
        let guess = Device::new(10 + u8::try_from(n).unwrap()).sign_in(
            gateway,
            EMAIL,
            "guess",
            false,
            t(500),
        );
        assert_eq!(
            guess,
            denied(padlock_protocol::DenyReason::WrongCredentials)
        );
    }
    for gateway in [&a, &b] {
        let held = Device::new(100).sign_in(gateway, EMAIL, "guess", false, t(500));
        assert!(
            matches!(
                held,
                padlock_protocol::Response::Denied {
                    reason: padlock_protocol::DenyReason::Throttled,
                    ..
                }
            ),
            "{held:?}"
        );
    }
}
