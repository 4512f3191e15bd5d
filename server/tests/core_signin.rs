//! The sign-in rules through real Noise exchanges: the two-step matrix, identical refusals, app
//! password life cycle.

mod common;

use common::*;
use padlock_protocol::limits::MAX_RESPONSE_LEN;
use padlock_protocol::{DenyReason, Response};
use padlock_server::{Error, Gateway};

fn encoded(response: &Response) -> Vec<u8> {
    let mut buf = [0u8; MAX_RESPONSE_LEN];
    response.encode(&mut buf).unwrap().to_vec()
}

/// Without two-step the primary password and app passwords sign in; with two-step only app
/// passwords do, and every refusal is the same bytes.
#[test]
fn two_step_matrix() {
    for two_step in [false, true] {
        let gateway = Gateway::in_memory(config()).unwrap();
        gateway
            .add_account(EMAIL, "Ann", PRIMARY, two_step)
            .unwrap();
        let app = gateway.create_app_password(EMAIL, "Zune", t(0)).unwrap();
        let device = Device::new(1);
        let attempt =
            |email: &str, password: &str| device.sign_in(&gateway, email, password, false, t(0));

        let primary = attempt(EMAIL, PRIMARY);
        assert_eq!(
            is_granted(&primary),
            !two_step,
            "primary, two-step {two_step}"
        );
        assert!(
            is_granted(&attempt(EMAIL, &app.formatted)),
            "app password, two-step {two_step}"
        );

        let wrong_password = attempt(EMAIL, "correct horse battery stapler");
        let wrong_app_password = attempt(EMAIL, "abcd efgh ijkl mnop");
        let unknown_account = attempt("bob@example.com", PRIMARY);
        let refusal = encoded(&denied(DenyReason::WrongCredentials));
        for (what, response) in [
            ("wrong password", &wrong_password),
            ("wrong app password", &wrong_app_password),
            ("unknown account", &unknown_account),
        ] {
            assert_eq!(encoded(response), refusal, "{what}, two-step {two_step}");
        }
        if two_step {
            // A right primary password on a two-step account: the very same bytes.
            assert_eq!(encoded(&primary), refusal);
        }
    }
}

#[test]
fn app_password_entry_ignores_spaces_and_case_and_records_its_use() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    let app = gateway
        .create_app_password(EMAIL, "Xbox 360", t(5))
        .unwrap();
    assert!(
        app.formatted.len() == 19
            && app
                .formatted
                .split(' ')
                .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_lowercase())),
        "shown as abcd efgh ijkl mnop"
    );
    let before = gateway.app_passwords(EMAIL).unwrap();
    assert_eq!(before.len(), 1);
    assert_eq!(
        (
            before[0].name.as_str(),
            before[0].created,
            before[0].last_used
        ),
        ("Xbox 360", t(5), None)
    );

    let device = Device::new(1);
    for typed in [
        app.formatted.clone(),
        app.formatted.to_uppercase(),
        app.formatted.replace(' ', ""),
        format!(" {} ", app.formatted.replace(' ', "  ")),
    ] {
        assert!(
            is_granted(&device.sign_in(&gateway, EMAIL, &typed, false, t(100))),
            "{typed:?}"
        );
    }
    let after = &gateway.app_passwords(EMAIL).unwrap()[0];
    assert_eq!(after.last_used, Some(t(100)));
    assert_eq!(
        after.last_device.as_deref(),
        Some("Xbox360 Xbox 360 S (2.0.17559.0)")
    );
}

#[test]
fn revoking_app_passwords_one_or_all() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    let xbox = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
    let zune = gateway.create_app_password(EMAIL, "Zune", t(0)).unwrap();
    let tv = gateway.create_app_password(EMAIL, "TV", t(0)).unwrap();
    assert_ne!(xbox.formatted, zune.formatted);
    let device = Device::new(1);

    gateway.revoke_app_password(EMAIL, xbox.id).unwrap();
    assert_eq!(
        device.sign_in(&gateway, EMAIL, &xbox.formatted, false, t(1)),
        denied(DenyReason::WrongCredentials)
    );
    assert!(is_granted(&device.sign_in(
        &gateway,
        EMAIL,
        &zune.formatted,
        false,
        t(1)
    )));
    assert!(matches!(
        gateway.revoke_app_password(EMAIL, xbox.id),
        Err(Error::UnknownAppPassword(_))
    ));

    assert_eq!(gateway.revoke_all_app_passwords(EMAIL).unwrap(), 2);
    for app in [&zune, &tv] {
        assert!(!is_granted(&device.sign_in(
            &gateway,
            EMAIL,
            &app.formatted,
            false,
            t(2)
        )));
    }
    assert!(gateway.app_passwords(EMAIL).unwrap().is_empty());
}

#[test]
fn app_passwords_belong_to_their_account() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    gateway
        .add_account("bob@example.com", "Bob", PRIMARY, true)
        .unwrap();
    let anns = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
    let device = Device::new(1);
    assert!(!is_granted(&device.sign_in(
        &gateway,
        "bob@example.com",
        &anns.formatted,
        false,
        t(1)
    )));
}

#[test]
fn accounts_are_case_insensitive_and_administered() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
    assert!(matches!(
        gateway.add_account("ann@example.COM", "Other Ann", "x", false),
        Err(Error::DuplicateAccount(_))
    ));
    assert!(matches!(
        gateway.set_two_step("nobody@example.com", true),
        Err(Error::UnknownAccount(_))
    ));
    assert!(matches!(
        gateway.add_account("not an email", "N", "pw", false),
        Err(Error::InvalidInput(_))
    ));
    let list = gateway.accounts().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (
            list[0].email.as_str(),
            list[0].display_name.as_str(),
            list[0].two_step
        ),
        (EMAIL, "Ann", false)
    );

    let device = Device::new(1);
    let signs_in =
        |password: &str| is_granted(&device.sign_in(&gateway, EMAIL, password, false, t(0)));
    gateway
        .set_password("ANN@example.com", "new password")
        .unwrap();
    assert!(!signs_in(PRIMARY));
    assert!(signs_in("new password"));
    gateway.set_two_step(EMAIL, true).unwrap();
    assert!(gateway.accounts().unwrap()[0].two_step);
    assert!(
        !signs_in("new password"),
        "two-step on: the primary password is refused"
    );
    gateway.set_two_step(EMAIL, false).unwrap();
    assert!(signs_in("new password"));
}

#[test]
fn display_name_and_tickets() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway
        .add_account(EMAIL, "Ann Ångström", PRIMARY, false)
        .unwrap();
    let device = Device::new(1);
    let tickets: Vec<[u8; 32]> = (0..2)
        .map(
            |i| match device.sign_in(&gateway, EMAIL, PRIMARY, false, t(i)) {
                Response::Granted {
                    display_name,
                    ticket,
                    ..
                } => {
                    assert_eq!(display_name.as_str(), "Ann Ångström");
                    *ticket.as_bytes()
                }
                other => panic!("{other:?}"),
            },
        )
        .collect();
    // Verifiable, not random (see core_tickets): a later sign-in's ticket expires later.
    assert_ne!(tickets[0], tickets[1], "a fresh ticket per sign-in");
}
