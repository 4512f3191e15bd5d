//! `padlock-server account unlock`: the owner's new device, held back by a stranger's guesses,
//! signs in once an administrator has unlocked the account.

mod common;

use std::process::Command;

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
