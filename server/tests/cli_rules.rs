//! The binary's side of the gateway's rules: `account unlock` lets the owner's new device in, and
//! `serve` warns about password hashes made with other argon2id parameters.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use padlock_protocol::{DenyReason, Response};
use padlock_server::Gateway;
use padlock_server::throttle::FREE_FAILURES;

#[test]
fn account_unlock_lets_the_owners_new_device_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let app = {
        let gateway = Gateway::open(&db, config()).unwrap();
        gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
        let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
        for key in 1..=u8::try_from(FREE_FAILURES + 1).unwrap() {
            Device::new(key).sign_in(&gateway, EMAIL, "guess", false, t(0));
        }
        assert!(matches!(
            Device::new(200).sign_in(&gateway, EMAIL, &app.formatted, false, t(0)),
            Response::Denied {
                reason: DenyReason::Throttled,
                ..
            }
        ));
        app.formatted.clone()
    };
    let output = Command::new(env!("CARGO_BIN_EXE_padlock-server"))
        .args(["account", "unlock", "--db", db.to_str().unwrap()])
        .args(["--email", "ANN@example.com"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("unlocked ANN@example.com"), "{stderr}");
    let gateway = Gateway::open(&db, config()).unwrap();
    assert!(is_granted(&Device::new(200).sign_in(
        &gateway,
        EMAIL,
        &app,
        false,
        t(0)
    )));
}

#[test]
fn serve_warns_about_password_hashes_with_other_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    // The test configuration's fast parameters are not the production ones `serve` uses.
    Gateway::open(&db, config())
        .unwrap()
        .add_account(EMAIL, "Ann", PRIMARY, true)
        .unwrap();
    let mut serving = Command::new(env!("CARGO_BIN_EXE_padlock-server"))
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = String::new();
    for line in BufReader::new(serving.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains("listening on") {
            break;
        }
    }
    serving.kill().unwrap();
    serving.wait().unwrap();
    assert!(log.contains("outdated=1"), "{log}");
    assert!(log.contains("other argon2id parameters"), "{log}");
}
