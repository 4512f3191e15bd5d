//! `padlock-server store copy`: a gateway's SQLite database copied to a new one (SQLite, or
//! PostgreSQL with `PADLOCK_TEST_POSTGRES`), checked, and used: a device resumes against the
//! copy with the token the original gave it, and what the original remembered (a superseded
//! token, a granted message 1, failed guesses) still counts.

mod common;
#[path = "common/postgres.rs"]
mod postgres_db;

use std::path::Path;

use common::process::{fails, ok};
use common::*;
use padlock_protocol::DenyReason;
use padlock_server::Gateway;

const OTHER: &str = "bob@example.com";

/// Rows per table in the copy's report (lines "role… table rows digest").
fn rows_of(report: &str, table: &str) -> u64 {
    report
        .lines()
        .find_map(
            |line| match line.split_whitespace().rev().collect::<Vec<_>>()[..] {
                [_digest, rows, name, ..] if name == table => rows.parse().ok(),
                _ => None,
            },
        )
        .unwrap_or_else(|| panic!("{table} missing from the report:\n{report}"))
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Where a test copies to: the `--db` (and `--keys`) arguments of the copy, and how to open a
/// gateway on it once it has the keys.
struct Target {
    db_args: Vec<String>,
    open: Box<dyn Fn() -> Gateway>,
}

impl Target {
    fn sqlite(path: &Path) -> Target {
        let db = path.to_owned();
        Target {
            db_args: vec!["--db".into(), arg(path).into()],
            open: Box::new(move || Gateway::open(&db, config()).unwrap()),
        }
    }

    fn postgres(url: &str, keys: &Path) -> Target {
        let (url, key_file) = (url.to_owned(), keys.to_owned());
        Target {
            db_args: vec![
                "--db".into(),
                url.clone(),
                "--keys".into(),
                arg(keys).into(),
            ],
            open: Box::new(move || Gateway::open_postgres(&url, &key_file, config()).unwrap()),
        }
    }

    /// `command` with this target's `--db` (and `--keys`) arguments.
    fn with<'a>(&'a self, command: &[&'a str]) -> Vec<&'a str> {
        let mut args = command.to_vec();
        args.extend(self.db_args.iter().map(String::as_str));
        args
    }
}

#[test]
fn a_copied_sqlite_database_serves_the_same_devices_and_remembers_the_same_things() {
    let dir = tempfile::tempdir().unwrap();
    copy_then_use(dir.path(), &Target::sqlite(&dir.path().join("copy.sqlite")));
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn a_copy_to_postgres_serves_the_same_devices_and_remembers_the_same_things() {
    let dir = tempfile::tempdir().unwrap();
    let database = postgres_db::ScratchDatabase::new();
    let target = Target::postgres(&database.url, &dir.path().join("gateway.keys"));
    copy_then_use(dir.path(), &target);
}

/// A SQLite gateway's database in `dir`, with accounts, app passwords, a rotated token family, a
/// granted sign-in and failed guesses, copied to `target` with its keys; then a device resumes
/// against the copy, and the copy remembers what the original did.
fn copy_then_use(dir: &Path, target: &Target) {
    let source = dir.join("gw.sqlite");
    let phone = Device::new(1);
    let console = Device::new(2);
    let stranger = Device::new(3);
    let (second_token, first_token, granted_body) = {
        let gateway = Gateway::open(&source, config()).unwrap();
        gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
        gateway.add_account(OTHER, "Bob", PRIMARY, false).unwrap();
        let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
        // A revoked app password's id is never given again (its tokens name it).
        let revoked = gateway.create_app_password(EMAIL, "Lost", t(0)).unwrap();
        gateway.revoke_app_password(EMAIL, revoked.id).unwrap();
        let first = granted_token(&phone.sign_in(&gateway, EMAIL, &app.formatted, true, t(0)));
        let second = granted_token(&phone.resume(&gateway, &first, t(10)));
        let (mut initiator, body) = console.request_body(&gateway, &sign_in(OTHER, PRIMARY, false));
        assert!(is_granted(
            &read(&mut initiator, &gateway, &body, t(20)).unwrap()
        ));
        for _ in 0..3 {
            let guess = stranger.sign_in(&gateway, OTHER, "wrong guess", false, t(30));
            assert!(!is_granted(&guess), "{guess:?}");
        }
        (second, first, body)
    };

    let to = target.db_args[1].as_str();
    let report = ok(&["store", "copy", "--from", arg(&source), "--to", to], None);
    for (table, rows) in [
        ("accounts", 2),
        ("app_passwords", 1),
        ("tokens", 2),
        ("granted_sign_ins", 2),
        ("known_devices", 2),
    ] {
        assert_eq!(rows_of(&report, table), rows, "{table}:\n{report}");
    }
    assert!(rows_of(&report, "throttle") > 0, "{report}");
    assert_eq!(
        report.lines().count(),
        padlock_server::store::copy::TABLES.len() + 1,
        "a header and a line per table:\n{report}"
    );

    // The keys follow, sealed.
    let kek = dir.join("kek");
    ok(&["key", "new-kek", "--out", arg(&kek)], None);
    let bundle = dir.join("bundle");
    let export = [
        "key",
        "export",
        "--db",
        arg(&source),
        "--kek-file",
        arg(&kek),
    ];
    ok(&[&export[..], &["--out", arg(&bundle)]].concat(), None);
    let import = [
        "key",
        "import",
        "--kek-file",
        arg(&kek),
        "--bundle",
        arg(&bundle),
    ];
    ok(&target.with(&import), None);

    let gateway = (target.open)();
    // The device resumes with the token the original gateway gave it.
    let third = granted_token(&phone.resume(&gateway, &second_token, t(40)));
    assert_ne!(third.as_bytes(), second_token.as_bytes());
    // The replay memory came along: the console's granted message 1 gets no reply.
    assert_eq!(gateway.answer(&granted_body, t(50)), None);
    // So did the token's history: its first generation, long superseded, is reuse and revokes
    // the family, the token just issued by the copy included.
    assert_eq!(
        phone.resume(&gateway, &first_token, t(5000)),
        denied(DenyReason::TokenInvalid)
    );
    assert_eq!(
        phone.resume(&gateway, &third, t(5010)),
        denied(DenyReason::TokenInvalid)
    );
    // New rows get ids the original never gave, the revoked app password's included.
    let app = gateway
        .create_app_password(EMAIL, "Phone", t(6000))
        .unwrap();
    assert_eq!(app.id, 3);
}

#[test]
fn a_copy_only_fills_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("gw.sqlite");
    let target = dir.path().join("copy.sqlite");
    let command = [
        "store",
        "copy",
        "--from",
        arg(&source),
        "--to",
        arg(&target),
    ];
    fails(&command, 1, "does not exist");
    Gateway::open(&source, config())
        .unwrap()
        .add_account(EMAIL, "Ann", PRIMARY, false)
        .unwrap();
    ok(&command, None);
    fails(&command, 1, "the copy makes a new database");
}
