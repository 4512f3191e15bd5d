//! Session tickets: the gateway verifies the tickets it issued, for the device it issued them
//! to, until they expire; anything else is refused.

mod common;

use common::*;
use padlock_protocol::{Response, SessionTicket};
use padlock_server::{Gateway, UnixMillis};

fn ticket(response: &Response) -> SessionTicket {
    match response {
        Response::Granted { ticket, .. } => ticket.clone(),
        other => panic!("expected Granted, got {other:?}"),
    }
}

#[test]
fn a_ticket_verifies_for_its_account_and_device_until_it_expires() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
    gateway
        .add_account("bob@example.com", "Bob", PRIMARY, false)
        .unwrap();
    let device = Device::new(1);
    let key = device.keys.public();
    let ann = ticket(&device.sign_in(&gateway, EMAIL, PRIMARY, false, t(0)));
    let bob = ticket(&device.sign_in(&gateway, "bob@example.com", PRIMARY, false, t(0)));

    let verified = gateway.verify_ticket(&ann, &key, t(60)).expect("valid");
    let bobs = gateway.verify_ticket(&bob, &key, t(60)).expect("valid");
    assert_ne!(verified.account_id, bobs.account_id);
    let lifetime = config().ticket_lifetime;
    assert_eq!(verified.expires, t(0).plus(lifetime));

    // Another device, after expiry, a changed bit, another gateway's key: refused.
    assert_eq!(
        gateway.verify_ticket(&ann, &Device::new(2).keys.public(), t(60)),
        None
    );
    assert_eq!(gateway.verify_ticket(&ann, &key, verified.expires), None);
    assert!(
        gateway
            .verify_ticket(&ann, &key, UnixMillis(verified.expires.0 - 1))
            .is_some()
    );
    for i in 0..32 {
        let mut bytes = *ann.as_bytes();
        bytes[i] ^= 1;
        assert_eq!(
            gateway.verify_ticket(&SessionTicket::from_bytes(bytes), &key, t(60)),
            None,
            "bit flipped in byte {i}"
        );
    }
    let other = Gateway::in_memory(config()).unwrap();
    assert_eq!(other.verify_ticket(&ann, &key, t(60)), None);
}

#[test]
fn a_resume_carries_a_ticket_too() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
    let device = Device::new(1);
    let token = granted_token(&device.sign_in(&gateway, EMAIL, PRIMARY, true, t(0)));
    let resumed = device.resume(&gateway, &token, t(100));
    let verified = gateway
        .verify_ticket(&ticket(&resumed), &device.keys.public(), t(100))
        .expect("valid");
    assert_eq!(verified.expires, t(100).plus(config().ticket_lifetime));
}

/// The ticket shows the device an opaque account id: not the sequential row id, the same for
/// every ticket of an account, different between accounts and between gateways.
#[test]
fn the_ticket_shows_an_opaque_account_id() {
    let gateway = Gateway::in_memory(config()).unwrap();
    let device = Device::new(1);
    let mut shown = Vec::new();
    for n in 1..=3 {
        let email = format!("user{n}@example.com");
        gateway.add_account(&email, "User", PRIMARY, false).unwrap();
        let first = ticket(&device.sign_in(&gateway, &email, PRIMARY, false, t(0)));
        let again = ticket(&device.sign_in(&gateway, &email, PRIMARY, false, t(5)));
        assert_eq!(first.as_bytes()[..8], again.as_bytes()[..8]);
        let id = gateway
            .verify_ticket(&first, &device.keys.public(), t(6))
            .unwrap()
            .account_id;
        assert_ne!(
            first.as_bytes()[..8],
            id.to_be_bytes(),
            "account {id} in clear"
        );
        shown.push(first.as_bytes()[..8].to_vec());
    }
    shown.dedup();
    assert_eq!(shown.len(), 3);
    let other = Gateway::in_memory(config()).unwrap();
    other
        .add_account("user1@example.com", "User", PRIMARY, false)
        .unwrap();
    let elsewhere = ticket(&device.sign_in(&other, "user1@example.com", PRIMARY, false, t(0)));
    assert_ne!(elsewhere.as_bytes()[..8], shown[0][..]);
}
