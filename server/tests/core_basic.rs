//! The basic path of the contract: an app-password sign-in with a remember-me token, a resume
//! that rotates it, a sign-out that revokes it, all through real Noise exchanges.

mod common;

use common::*;
use padlock_protocol::{DenyReason, Response};
use padlock_server::Gateway;

#[test]
fn app_password_sign_in_resume_and_sign_out() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    let app = gateway
        .create_app_password(EMAIL, "Xbox 360", t(0))
        .unwrap();
    let device = Device::new(1);

    // Typed in capitals without spaces, to another case of the email.
    let typed = app.formatted.replace(' ', "").to_uppercase();
    let first = device.sign_in(&gateway, "ann@EXAMPLE.com", &typed, true, t(1));
    let Response::Granted { display_name, .. } = &first else {
        panic!("{first:?}")
    };
    assert_eq!(display_name.as_str(), "Ann");
    let token = granted_token(&first);

    let resumed = device.resume(&gateway, &token, t(100));
    let successor = granted_token(&resumed);
    assert_ne!(successor.as_bytes(), token.as_bytes(), "rotated");

    let signed_out = device
        .exchange(
            &gateway,
            &padlock_protocol::Request::SignOut {
                token: successor.clone(),
            },
            t(200),
        )
        .unwrap();
    assert_eq!(signed_out, Response::SignedOut);
    assert_eq!(
        device.resume(&gateway, &successor, t(300)),
        Response::Denied {
            reason: DenyReason::TokenInvalid,
            retry_after_secs: 0
        }
    );
}

#[test]
fn no_token_unless_asked() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
    let device = Device::new(1);
    let Response::Granted { remember, .. } = device.sign_in(&gateway, EMAIL, PRIMARY, false, t(0))
    else {
        panic!("primary password without two-step signs in")
    };
    assert!(remember.is_none());
    assert!(gateway.tokens_at(EMAIL, t(0)).unwrap().is_empty());
}

#[test]
fn a_seeded_gateway_replays_bit_for_bit() {
    let make = || {
        let gateway = Gateway::in_memory(config().seeded([3; 32])).unwrap();
        gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
        let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
        (gateway.public_key(), app.formatted.clone())
    };
    assert_eq!(make(), make());
    let other = Gateway::in_memory(config().seeded([4; 32])).unwrap();
    assert_ne!(other.public_key(), make().0);
}

#[test]
fn last_used_is_kept_to_the_minute() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
    let device = Device::new(1);
    let last_used = |at| {
        assert!(is_granted(&device.sign_in(
            &gateway,
            EMAIL,
            &app.formatted,
            false,
            at
        )));
        gateway.app_passwords(EMAIL).unwrap()[0].last_used
    };
    assert_eq!(last_used(t(100)), Some(t(100)));
    // Within a minute of the last record, from the same device: no write.
    assert_eq!(last_used(t(159)), Some(t(100)));
    assert_eq!(last_used(t(160)), Some(t(160)));
}
