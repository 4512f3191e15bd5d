//! Rules the protocol text left open, as decided in `docs/protocol.md` section 12, one test each
//! (the token rules' decisions are in `core_tokens.rs`, the throttle's numbers in
//! `core_throttle.rs`).

mod common;

use common::*;
use padlock_protocol::{DenyReason, Response};
use padlock_server::Gateway;

/// Addresses compare after trimming white space and Unicode lowercasing, nothing more.
#[test]
fn addresses_fold_case_fully_and_nothing_else() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway
        .add_account("Jürgen@Example.com", "Jürgen", PRIMARY, false)
        .unwrap();
    let device = Device::new(1);
    for typed in [
        "jürgen@example.com",
        " JÜRGEN@EXAMPLE.COM ",
        "JüRgEn@eXaMpLe.CoM",
    ] {
        assert!(
            is_granted(&device.sign_in(&gateway, typed, PRIMARY, false, t(0))),
            "{typed:?}"
        );
    }
    for other in [
        "jurgen@example.com",
        "jürgen+x@example.com",
        "jürgen@example.com.",
    ] {
        assert_eq!(
            device.sign_in(&gateway, other, PRIMARY, false, t(0)),
            denied(DenyReason::WrongCredentials),
            "{other:?}"
        );
    }
}

/// App passwords sign in on accounts without two-step too, and a primary-password sign-in that
/// asks to be remembered gets a token like any other.
#[test]
fn without_two_step_app_passwords_sign_in_and_the_primary_password_is_remembered() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
    let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
    let device = Device::new(1);
    let primary = granted_token(&device.sign_in(&gateway, EMAIL, PRIMARY, true, t(0)));
    let by_app = granted_token(&device.sign_in(&gateway, EMAIL, &app.formatted, true, t(1)));
    let listed = gateway.tokens_at(EMAIL, t(2)).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].app_password_id, None, "the primary password's");
    assert_eq!(listed[1].app_password_id, Some(app.id));
    for token in [primary, by_app] {
        assert!(is_granted(&device.resume(&gateway, &token, t(3))));
    }
}

/// Replay records survive a restart: a granted `SignIn` replayed to the restarted gateway is
/// closed without a reply.
#[test]
fn replay_records_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let gateway = Gateway::open(&db, config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
    let device = Device::new(1);
    let request = sign_in(EMAIL, &app.formatted, true);
    let (mut initiator, body) = device.request_body_seeded(&gateway, &request, [5; 32]);
    assert!(is_granted(
        &read(&mut initiator, &gateway, &body, t(0)).unwrap()
    ));
    drop(gateway);
    let restarted = Gateway::open(&db, config()).unwrap();
    assert_eq!(restarted.answer(&body, t(10)), None, "a replay: no reply");
    assert_eq!(restarted.tokens_at(EMAIL, t(10)).unwrap().len(), 1);
    assert!(matches!(
        device.sign_in(&restarted, EMAIL, &app.formatted, false, t(11)),
        Response::Granted { .. }
    ));
}

/// A primary password hashed with other argon2id parameters (here by a gateway with another
/// cost) is re-hashed with the current ones at its next successful sign-in, and still signs in.
#[test]
fn an_outdated_password_hash_is_replaced_at_the_next_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let mut older = config();
    older.argon2.memory_kib *= 2;
    Gateway::open(&db, older)
        .unwrap()
        .add_account(EMAIL, "Ann", PRIMARY, false)
        .unwrap();
    let gateway = Gateway::open(&db, config()).unwrap();
    assert_eq!(gateway.outdated_password_hashes().unwrap(), 1);
    let device = Device::new(1);
    assert_eq!(
        device.sign_in(&gateway, EMAIL, "wrong", false, t(0)),
        denied(DenyReason::WrongCredentials)
    );
    assert_eq!(
        gateway.outdated_password_hashes().unwrap(),
        1,
        "not on a failure"
    );
    let token = granted_token(&device.sign_in(&gateway, EMAIL, PRIMARY, true, t(1)));
    assert_eq!(gateway.outdated_password_hashes().unwrap(), 0);
    let again = device.sign_in(&gateway, EMAIL, PRIMARY, false, t(2));
    assert!(is_granted(&again), "the new hash verifies");
    // The same password, re-hashed: the remember-me token it gave lives on.
    assert!(is_granted(&device.resume(&gateway, &token, t(3))));
}
