//! Known devices ([`padlock_server::store::DeviceStore`]).

use std::time::Duration;

use padlock_protocol::PublicKey;
use padlock_server::store::KnownDevice;
use padlock_server::store::security::ActivityKind;
use padlock_server::{Store, UnixMillis};

use crate::{account_with_app_password, token};

const MINUTE: Duration = Duration::from_secs(60);

pub fn a_device_sign_in_is_written_at_most_once_per_resolution(store: &dyn Store) {
    let (account, _) = account_with_app_password(store);
    let key = PublicKey([9; 32]);
    let sign_in = |description: &str, at: u64| {
        store
            .device_signed_in(account, &key, description, UnixMillis(at), MINUTE)
            .unwrap();
    };
    let activity = || -> Vec<(u64, ActivityKind, String)> {
        store.security().map_or_else(Vec::new, |security| {
            let lines = security.activity(account, 100).unwrap();
            lines
                .into_iter()
                .map(|l| (l.at.0, l.kind, l.detail))
                .collect()
        })
    };
    let device = |first_seen: u64, last_seen: u64, description: &str| KnownDevice {
        device_key: key,
        description: Some(description.into()),
        first_seen: UnixMillis(first_seen),
        last_seen: UnixMillis(last_seen),
    };
    assert_eq!(store.known_device(account, &key).unwrap(), None);
    sign_in("Xbox", 1_000);
    // Again within the resolution (as two racing sign-ins would): nothing more is written.
    sign_in("Xbox", 1_000);
    sign_in("Xbox", 60_999);
    // The clock set back: nothing is written, the last sighting does not move back.
    sign_in("Xbox", 500);
    assert_eq!(
        store.known_devices(account).unwrap(),
        [device(1_000, 1_000, "Xbox")]
    );
    if store.security().is_some() {
        assert_eq!(
            activity(),
            [(1_000, ActivityKind::DeviceSignIn, "Xbox".into())]
        );
    }

    // Stale, or described otherwise (new firmware): recorded, each with a line of activity.
    sign_in("Xbox", 61_000);
    sign_in("Xbox 2.0", 61_001);
    assert_eq!(
        store.known_device(account, &key).unwrap(),
        Some(device(1_000, 61_001, "Xbox 2.0"))
    );
    if store.security().is_some() {
        assert_eq!(activity().len(), 3);
    }
    assert_eq!(
        store.known_device(account + 1, &key).unwrap(),
        None,
        "per account"
    );

    // Another device: listed in the order they were first seen.
    let other = PublicKey([3; 32]);
    store
        .device_signed_in(account, &other, "Wii", UnixMillis(70_000), MINUTE)
        .unwrap();
    let listed: Vec<PublicKey> = store
        .known_devices(account)
        .unwrap()
        .iter()
        .map(|d| d.device_key)
        .collect();
    assert_eq!(listed, [key, other]);
}

pub fn a_known_device_holding_a_live_token_is_not_forgotten(store: &dyn Store) {
    let (account, app) = account_with_app_password(store);
    let (holder, idle) = (PublicKey([9; 32]), PublicKey([8; 32]));
    for key in [&holder, &idle] {
        store
            .device_signed_in(account, key, "Xbox", UnixMillis(1_000), MINUTE)
            .unwrap();
    }
    let family = store
        .insert_token(&token(account, Some(app), 9, 1, 0), "")
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .forget_known_devices_before(UnixMillis(1_000))
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .forget_known_devices_before(UnixMillis(1_001))
            .unwrap(),
        1
    );
    assert_eq!(store.known_device(account, &idle).unwrap(), None);
    assert!(store.known_device(account, &holder).unwrap().is_some());
    // Signed out: nothing holds it any more.
    store.revoke_family(family).unwrap();
    assert_eq!(
        store
            .forget_known_devices_before(UnixMillis(1_001))
            .unwrap(),
        1
    );
    assert!(store.known_devices(account).unwrap().is_empty());
}
