//! The `padlock-server` binary end to end on a temporary database: administration, its errors,
//! and `serve` answering a real sign-in with an app password the CLI created.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::process::{Serving, fails, ok, padlock_server, run, stderr};

use padlock_protocol::{
    DeviceInfo, DeviceKind, Password, PublicKey, Request, Response, StaticKeypair,
};
use padlock_server::serve::client::exchange;

const EMAIL: &str = "player@example.com";

struct Db {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.db");
        Db { _dir: dir, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }

    /// A database with one two-step account (password from stdin).
    fn with_account() -> Db {
        let db = Db::new();
        ok(
            &[
                "account",
                "add",
                "--db",
                db.arg(),
                "--email",
                EMAIL,
                "--name",
                "Player One",
                "--two-step",
                "--password-stdin",
            ],
            Some("correct horse battery\n"),
        );
        db
    }

    fn create_app_password(&self, name: &str) -> String {
        ok(
            &[
                "app-password",
                "create",
                "--db",
                self.arg(),
                "--email",
                EMAIL,
                "--name",
                name,
            ],
            None,
        )
    }
}

fn is_app_password(text: &str) -> bool {
    let Some(body) = text.strip_suffix('\n') else {
        return false;
    };
    let groups: Vec<&str> = body.split(' ').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_lowercase()))
}

/// Data rows of a listing (after its header), with `id` first.
fn ids(listing: &str) -> Vec<String> {
    listing
        .lines()
        .skip(1)
        .filter_map(|line| line.split('\t').next().map(str::to_owned))
        .collect()
}

#[test]
fn accounts_and_app_passwords_life_cycle() {
    let db = Db::with_account();
    // The second account's password comes from the environment.
    let output = padlock_server()
        .args([
            "account",
            "add",
            "--db",
            db.arg(),
            "--email",
            "Second@Example.com",
        ])
        .args(["--name", "Second"])
        .env("PADLOCK_PASSWORD", "another password")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let accounts = ok(&["account", "list", "--db", db.arg()], None);
    assert!(
        accounts.contains(EMAIL) && accounts.contains("Player One"),
        "{accounts}"
    );
    assert!(
        accounts.to_lowercase().contains("second@example.com"),
        "{accounts}"
    );

    let first = db.create_app_password("Xbox 360");
    let second = db.create_app_password("Zune");
    assert!(is_app_password(&first), "{first:?}");
    assert!(is_app_password(&second), "{second:?}");
    assert_ne!(first, second);

    let list_args = ["app-password", "list", "--db", db.arg(), "--email", EMAIL];
    let listing = ok(&list_args, None);
    assert!(
        listing.contains("Xbox 360") && listing.contains("Zune"),
        "{listing}"
    );
    assert!(
        !listing.contains(first.trim()),
        "a listing never shows a password"
    );
    let listed = ids(&listing);
    assert_eq!(listed.len(), 2, "{listing}");

    let revoke_first = [
        "app-password",
        "revoke",
        "--db",
        db.arg(),
        "--email",
        EMAIL,
        "--id",
        &listed[0],
    ];
    ok(&revoke_first, None);
    let after = ok(&list_args, None);
    assert_eq!(ids(&after), vec![listed[1].clone()], "{after}");
    fails(&revoke_first, 1, "no app password");
    ok(
        &[
            "app-password",
            "revoke-all",
            "--db",
            db.arg(),
            "--email",
            EMAIL,
        ],
        None,
    );
    assert!(ids(&ok(&list_args, None)).is_empty());

    ok(
        &[
            "account",
            "set-two-step",
            "--db",
            db.arg(),
            "--email",
            EMAIL,
            "--off",
        ],
        None,
    );
    ok(
        &[
            "account",
            "set-password",
            "--db",
            db.arg(),
            "--email",
            EMAIL,
            "--password-stdin",
        ],
        Some("a new primary password\n"),
    );
    ok(&["token", "list", "--db", db.arg(), "--email", EMAIL], None);
    ok(
        &[
            "token",
            "revoke",
            "--db",
            db.arg(),
            "--email",
            EMAIL,
            "--all",
        ],
        None,
    );
}

#[test]
fn key_show_prints_the_provisioning_key() {
    let db = Db::with_account();
    let key = ok(&["key", "show", "--db", db.arg()], None);
    assert_eq!(key.len(), 65, "{key:?}");
    assert!(key.ends_with('\n'));
    assert!(
        key[..64]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert!(PublicKey::from_hex(&key).is_ok());
    assert_eq!(
        ok(&["key", "show", "--db", db.arg()], None),
        key,
        "the key is kept"
    );
}

#[test]
fn keys_move_to_another_database_sealed_under_a_key_encryption_key() {
    let db = Db::with_account();
    let dir = db.path.parent().unwrap();
    let kek = dir.join("kek");
    let kek_arg = kek.to_str().unwrap();
    ok(&["key", "new-kek", "--out", kek_arg], None);
    fails(&["key", "new-kek", "--out", kek_arg], 1, "exists");

    let bundle = ok(
        &["key", "export", "--db", db.arg(), "--kek-file", kek_arg],
        None,
    );
    let clear = std::fs::read(dir.join("gateway.db.keys")).unwrap();
    let clear_noise_hex: String = clear[8..40].iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        !bundle.contains(&clear_noise_hex),
        "the secret key is not printed"
    );
    let bundle_file = dir.join("bundle");
    std::fs::write(&bundle_file, &bundle).unwrap();
    let bundle_arg = bundle_file.to_str().unwrap();

    // A second gateway's database gets the same keys, so devices see one gateway.
    let second = dir.join("second.db");
    let second_arg = second.to_str().unwrap();
    let import = [
        "key",
        "import",
        "--db",
        second_arg,
        "--kek-file",
        kek_arg,
        "--bundle",
    ];
    ok(&[&import[..], &[bundle_arg]].concat(), None);
    ok(
        &[
            "account",
            "add",
            "--db",
            second_arg,
            "--email",
            EMAIL,
            "--name",
            "P",
            "--password",
            "pw",
        ],
        None,
    );
    assert_eq!(
        ok(&["key", "show", "--db", second_arg], None),
        ok(&["key", "show", "--db", db.arg()], None)
    );
    // Again from stdin, the KEK from the environment: nothing to change.
    let kek_hex = std::fs::read_to_string(&kek).unwrap();
    let output = padlock_server()
        .args(["key", "import", "--db", second_arg, "--bundle", "-"])
        .env("PADLOCK_KEK", kek_hex.trim())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(bundle.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        stderr(&output).contains("already has gateway keys"),
        "{}",
        stderr(&output)
    );

    // Another KEK, an altered bundle, another database's keys: each refused, saying why.
    let wrong = dir.join("wrong-kek");
    ok(&["key", "new-kek", "--out", wrong.to_str().unwrap()], None);
    let third = dir.join("third.db");
    let third_arg = third.to_str().unwrap();
    let refused = [
        "key",
        "import",
        "--db",
        third_arg,
        "--kek-file",
        wrong.to_str().unwrap(),
        "--bundle",
        bundle_arg,
    ];
    fails(&refused, 1, "sealed under key-encryption key");
    let mut altered = bundle.trim().to_owned().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
    std::fs::write(&bundle_file, &altered).unwrap();
    let tampered = [
        "key",
        "import",
        "--db",
        third_arg,
        "--kek-file",
        kek_arg,
        "--bundle",
        bundle_arg,
    ];
    fails(&tampered, 1, "damaged or altered");
    assert!(!dir.join("third.db.keys").exists(), "nothing written");
    let other = Db::with_account();
    std::fs::write(&bundle_file, &bundle).unwrap();
    let replace = [
        "key",
        "import",
        "--db",
        other.arg(),
        "--kek-file",
        kek_arg,
        "--bundle",
        bundle_arg,
    ];
    fails(&replace, 1, "refusing to replace them");
    fails(
        &["key", "export", "--db", db.arg()],
        1,
        "a key-encryption key is needed",
    );
}

#[test]
fn errors_are_one_line_with_a_failing_status() {
    let db = Db::with_account();
    let missing = db.path.with_file_name("missing.db");
    let missing = missing.to_str().unwrap();
    for args in [
        &["account", "list", "--db", missing][..],
        &["key", "show", "--db", missing],
        &[
            "app-password",
            "create",
            "--db",
            missing,
            "--email",
            EMAIL,
            "--name",
            "x",
        ],
        &["token", "list", "--db", missing, "--email", EMAIL],
    ] {
        fails(args, 1, "does not exist");
        assert!(
            !Path::new(missing).exists(),
            "{args:?} created the database"
        );
    }
    fails(
        &[
            "app-password",
            "create",
            "--db",
            db.arg(),
            "--email",
            "nobody@example.com",
            "--name",
            "x",
        ],
        1,
        "unknown account",
    );
    fails(
        &[
            "account",
            "add",
            "--db",
            db.arg(),
            "--email",
            EMAIL,
            "--name",
            "Again",
            "--password",
            "pw",
        ],
        1,
        "already exists",
    );
    fails(
        &[
            "account",
            "add",
            "--db",
            db.arg(),
            "--email",
            "new@example.com",
            "--name",
            "New",
        ],
        1,
        "a password is needed",
    );

    // Bad arguments: clap's usage error, status 2.
    fails(
        &[
            "account",
            "set-two-step",
            "--db",
            db.arg(),
            "--email",
            EMAIL,
        ],
        2,
        "--on",
    );
    fails(
        &["token", "revoke", "--db", db.arg(), "--email", EMAIL],
        2,
        "--id",
    );
    fails(&["serve", "--db", db.arg()], 2, "--listen");
    fails(
        &[
            "serve",
            "--db",
            db.arg(),
            "--listen",
            "127.0.0.1:0",
            "--max-connections",
            "0",
        ],
        2,
        "--max-connections",
    );
    fails(&["frobnicate"], 2, "unrecognized subcommand");

    // A database file that is not one.
    std::fs::write(&db.path, vec![0x5a; 8192]).unwrap();
    fails(
        &["account", "list", "--db", db.arg()],
        1,
        "not a valid Padlock gateway database",
    );
}

#[test]
fn listings_escape_control_characters_that_reached_the_database() {
    let db = Db::with_account();
    db.create_app_password("Xbox");
    // Rows as an older gateway could have written them from a hostile device's DeviceInfo.
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .execute(
            "UPDATE app_passwords SET name = 'Xbox\u{1b}[2J', last_used = 1, \
             last_device = 'Other \u{1b}]0;owned\u{7} (1\u{9b}0)'",
            [],
        )
        .unwrap();
    let listing = ok(
        &["app-password", "list", "--db", db.arg(), "--email", EMAIL],
        None,
    );
    assert!(
        !listing.contains(|c: char| c.is_control() && c != '\t' && c != '\n'),
        "raw control characters printed: {listing:?}"
    );
    assert!(
        listing.contains("Xbox\\u{1b}[2J")
            && listing.contains("Other \\u{1b}]0;owned\\u{7} (1\\u{9b}0)"),
        "{listing:?}"
    );
}

#[cfg(unix)]
#[test]
fn database_and_key_files_must_be_private_files_of_the_server_s_user() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let set_mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let db = Db::with_account();
    let keys = PathBuf::from(format!("{}.keys", db.arg()));
    let list = ["account", "list", "--db", db.arg()];
    ok(&list, None);

    // Open to group and others: refused, with the fix in the message.
    for file in [&db.path, &keys] {
        set_mode(file, 0o644);
        fails(
            &list,
            1,
            "mode 0644 lets group or others at it; run chmod 600",
        );
        set_mode(file, 0o600);
        ok(&list, None);
    }

    // Symbolic links, to the database or to the key file: refused.
    let elsewhere = db.path.with_file_name("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    for file in [&db.path, &keys] {
        let real = elsewhere.join(file.file_name().unwrap());
        std::fs::rename(file, &real).unwrap();
        symlink(&real, file).unwrap();
        fails(&list, 1, "is a symbolic link");
        std::fs::remove_file(file).unwrap();
        std::fs::rename(&real, file).unwrap();
        ok(&list, None);
    }

    // Another user's file: refused (only root can hand a file to another user to show it).
    if std::os::unix::fs::chown(&keys, Some(65_534), None).is_ok() {
        fails(&list, 1, "owned by user 65534");
    }
}

#[test]
fn serve_refuses_a_port_in_use() {
    let db = Db::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    fails(
        &["serve", "--db", db.arg(), "--listen", &addr],
        1,
        "cannot listen on",
    );
    let output = run(&["serve", "--db", db.arg(), "--listen", &addr], None);
    assert!(stderr(&output).contains("in use"), "{}", stderr(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_a_sign_in_with_an_app_password_from_the_cli() {
    let db = Db::with_account();
    let app_password = db.create_app_password("Xbox 360");
    let key = PublicKey::from_hex(&ok(&["key", "show", "--db", db.arg()], None)).unwrap();
    let serving = Serving::on(&db.path);
    sign_in_as_player_one(serving.addr, key, &app_password).await;

    // The administration commands work on the database while the gateway serves it, and see
    // the sign-in.
    let listing = ok(
        &["app-password", "list", "--db", db.arg(), "--email", EMAIL],
        None,
    );
    assert!(
        listing.contains("Xbox 360 S"),
        "last device not shown: {listing}"
    );

    let (status, log) = serving.stop("-TERM");
    assert!(status.success(), "serve exited with {status}: {log}");
    assert!(log.contains("stopped"), "{log}");
    assert!(
        !log.contains(app_password.trim()),
        "the log holds a password"
    );
}

/// Signs in to the gateway at `addr` (whose key is `key`) as Player One with `app_password`,
/// typed on an Xbox 360 S, and asserts it is granted.
async fn sign_in_as_player_one(addr: SocketAddr, key: PublicKey, app_password: &str) {
    let console = StaticKeypair::derive_from_device_secret(&[9; 32]).unwrap();
    let request = Request::SignIn {
        // Typed on a console: other case, spaces kept.
        account: "Player@Example.com".try_into().unwrap(),
        password: Password::new(&app_password.trim().to_uppercase()).unwrap(),
        remember: false,
        device: DeviceInfo {
            kind: DeviceKind::Xbox360,
            model: "Xbox 360 S".try_into().unwrap(),
            firmware: "2.0.17559.0".try_into().unwrap(),
        },
    };
    let response = exchange(addr, &console, key, &request, Duration::from_secs(10))
        .await
        .unwrap();
    let Response::Granted { display_name, .. } = response else {
        panic!("{response:?}");
    };
    assert_eq!(display_name.as_str(), "Player One");
}

#[test]
fn serve_stops_cleanly_on_ctrl_c() {
    let db = Db::new();
    let serving = Serving::on(&db.path);
    assert!(db.path.exists(), "serve creates the database");
    let (status, log) = serving.stop("-INT");
    assert!(status.success(), "serve exited with {status}: {log}");
    assert!(log.contains("stopped"), "{log}");
}

#[path = "common/postgres.rs"]
mod postgres_db;

/// A scratch PostgreSQL database, and the path of its gateways' key file (not made yet).
struct OnPostgres {
    database: postgres_db::ScratchDatabase,
    keys: String,
    _dir: tempfile::TempDir,
}

impl OnPostgres {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("gateway.keys").to_str().unwrap().to_owned();
        let database = postgres_db::ScratchDatabase::new();
        Self {
            database,
            keys,
            _dir: dir,
        }
    }

    /// `--db URL --keys FILE`.
    fn args(&self) -> [&str; 4] {
        [
            "--db",
            self.database.url.as_str(),
            "--keys",
            self.keys.as_str(),
        ]
    }

    /// `serve` on this database with `extra` arguments.
    fn serve(&self, extra: &[&str]) -> Serving {
        let args = [&["--keys", self.keys.as_str()], extra].concat();
        Serving::start(&self.database.url, "", &args, &[])
    }
}

// A plain test: the PostgreSQL client blocks, which it may not do on a runtime's thread.
#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn a_gateway_on_postgres_serves_what_the_cli_made_there() {
    let gateway = OnPostgres::new();
    let on_postgres = gateway.args();
    let with = |args: &[&'static str]| [args, &on_postgres[..]].concat();

    // Without a key file there is no gateway on an existing database, and none without --keys.
    fails(&with(&["key", "show"]), 1, "gateway key file");
    fails(
        &["key", "show", "--db", gateway.database.url.as_str()],
        1,
        "--keys FILE is required",
    );
    // The first command on the empty database makes its schema and the keys.
    ok(
        &[
            &with(&[
                "account",
                "add",
                "--email",
                EMAIL,
                "--name",
                "Player One",
                "--two-step",
            ])[..],
            &["--password-stdin"],
        ]
        .concat(),
        Some("correct horse battery\n"),
    );
    let app_password = ok(
        &with(&[
            "app-password",
            "create",
            "--email",
            EMAIL,
            "--name",
            "Xbox 360",
        ]),
        None,
    );
    let key = PublicKey::from_hex(&ok(&with(&["key", "show"]), None)).unwrap();

    let serving = gateway.serve(&[]);
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(sign_in_as_player_one(serving.addr, key, &app_password));
    let listing = ok(&with(&["app-password", "list", "--email", EMAIL]), None);
    assert!(listing.contains("Xbox 360 S"), "{listing}");
    let (status, log) = serving.stop("-TERM");
    assert!(status.success(), "serve exited with {status}: {log}");

    // A URL's password is not repeated in an error.
    let output = run(
        &[
            "key",
            "show",
            "--db",
            "postgres://padlock:hunter2@%2Fnonexistent/padlock",
            "--keys",
            gateway.keys.as_str(),
        ],
        None,
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("postgres://padlock:***@"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_list_shows_pending_links_for_support_with_device_text_escaped() {
    let db = Db::with_account();
    let key = PublicKey::from_hex(&ok(&["key", "show", "--db", db.arg()], None)).unwrap();
    fails(
        &[
            "serve",
            "--db",
            db.arg(),
            "--listen",
            "127.0.0.1:0",
            "--web",
            "127.0.0.1:0",
            "--link-address",
            "https://gw.example/a link",
        ],
        1,
        "--link-address",
    );
    let serving = Serving::start(
        db.arg(),
        "",
        &[
            "--web",
            "127.0.0.1:0",
            "--link-address",
            "https://gw.example/link",
        ],
        &[],
    );
    let code = start_a_zune_link(serving.addr, key).await;
    assert_lists_the_pending_zune_link(&ok(&["link", "list", "--db", db.arg()], None), &code);
    // Device text as a hostile device could have had it stored: printed escaped.
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .execute("UPDATE links SET model = 'Zune\u{1b}[2J'", [])
        .unwrap();
    let listing = ok(&["link", "list", "--db", db.arg()], None);
    assert!(
        !listing.contains(|c: char| c.is_control() && c != '\t' && c != '\n'),
        "{listing:?}"
    );
    assert!(listing.contains("Zune\\u{1b}[2J"), "{listing:?}");
    let (status, log) = serving.stop("-TERM");
    assert!(status.success(), "{log}");
}

/// Starts a phone link over TCP as a Zune HD would (gateway key `key`, link address
/// `https://gw.example/link`); returns the code it was offered.
async fn start_a_zune_link(addr: SocketAddr, key: PublicKey) -> String {
    let console = StaticKeypair::derive_from_device_secret(&[9; 32]).unwrap();
    let request = Request::LinkStart {
        device: DeviceInfo {
            kind: DeviceKind::Zune,
            model: "Zune HD".try_into().unwrap(),
            firmware: "4.5".try_into().unwrap(),
        },
    };
    let offer = exchange(addr, &console, key, &request, Duration::from_secs(10))
        .await
        .unwrap();
    let Response::LinkOffer { code, address, .. } = offer else {
        panic!("expected a LinkOffer, got {offer:?}");
    };
    assert_eq!(address.as_str(), "https://gw.example/link");
    code.to_string()
}

/// Asserts that `listing` (`link list`'s output) is the one link [`start_a_zune_link`] started.
fn assert_lists_the_pending_zune_link(listing: &str, code: &str) {
    let mut lines = listing.lines();
    assert_eq!(lines.next(), Some("code\tdevice\tage\texpires"));
    let row: Vec<&str> = lines
        .next()
        .expect("one pending link")
        .split('\t')
        .collect();
    assert_eq!(row[0], code);
    assert_eq!(row[1], "Zune Zune HD (4.5)");
    assert!(row[2].ends_with('s') && row[3].ends_with('Z'), "{row:?}");
    assert_eq!(lines.next(), None, "{listing}");
}

#[test]
#[cfg_attr(
    padlock_no_postgres,
    ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
)]
fn a_gateway_on_postgres_offers_phone_links_and_link_list_shows_them() {
    let gateway = OnPostgres::new();
    let on_postgres = gateway.args();
    let with = |args: &[&'static str]| [args, &on_postgres[..]].concat();
    ok(
        &[
            &with(&["account", "add", "--email", EMAIL, "--name", "Player One"])[..],
            &["--password-stdin"],
        ]
        .concat(),
        Some("correct horse battery\n"),
    );
    let key = PublicKey::from_hex(&ok(&with(&["key", "show"]), None)).unwrap();
    assert_eq!(
        ok(&with(&["link", "list"]), None).lines().count(),
        1,
        "no link pending yet"
    );

    let serving = gateway.serve(&[
        "--web",
        "127.0.0.1:0",
        "--link-address",
        "https://gw.example/link",
    ]);
    let code = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(start_a_zune_link(serving.addr, key));
    assert_lists_the_pending_zune_link(&ok(&with(&["link", "list"]), None), &code);
    let (status, log) = serving.stop("-TERM");
    assert!(status.success(), "serve exited with {status}: {log}");
}
