//! App passwords ([`padlock_server::store::AppPasswordStore`]).

use padlock_server::store::TokenState;
use padlock_server::{Store, UnixMillis};

use crate::{account_with_app_password, add_account, primary_hash, token};

pub fn app_passwords_are_found_by_hash_within_their_account(store: &dyn Store) {
    let (ann, xbox) = account_with_app_password(store);
    let bob = add_account(store, 2, true);
    let wii = store
        .insert_app_password(ann, "Wii", &[2; 32], UnixMillis(5))
        .unwrap();
    store
        .insert_app_password(bob, "Zune", &[3; 32], UnixMillis(6))
        .unwrap();

    let (found, hash) = store.app_password_by_hash(ann, &[2; 32]).unwrap().unwrap();
    assert_eq!((found.id, found.name.as_str(), hash), (wii, "Wii", [2; 32]));
    assert_eq!(
        (found.created, found.last_used, found.last_device),
        (UnixMillis(5), None, None)
    );
    assert_eq!(
        store.app_password_by_hash(ann, &[3; 32]).unwrap(),
        None,
        "Bob's"
    );
    assert_eq!(store.app_password_by_hash(ann, &[4; 32]).unwrap(), None);

    store
        .touch_app_password(xbox, UnixMillis(70), "Xbox 360")
        .unwrap();
    let listed = store.app_passwords(ann).unwrap();
    let names: Vec<&str> = listed.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Xbox", "Wii"], "oldest first, the account's only");
    let touched = listed.first().unwrap();
    assert_eq!(
        (touched.last_used, touched.last_device.as_deref()),
        (Some(UnixMillis(70)), Some("Xbox 360"))
    );
}

pub fn revoking_app_passwords_revokes_their_tokens(store: &dyn Store) {
    let (account, xbox) = account_with_app_password(store);
    let wii = store
        .insert_app_password(account, "Wii", &[2; 32], UnixMillis(0))
        .unwrap();
    let other = add_account(store, 2, false);
    let issue = |account: i64, app: Option<i64>, hash: u8, hashed: &str| {
        store
            .insert_token(&token(account, app, hash, hash, 0), hashed)
            .unwrap()
            .unwrap()
    };
    let (by_xbox, by_wii) = (
        issue(account, Some(xbox), 1, ""),
        issue(account, Some(wii), 2, ""),
    );
    let by_primary = issue(other, None, 3, &primary_hash(2));
    let state = |id: i64| store.token_by_id(id).unwrap().unwrap().state;

    assert!(
        !store.revoke_app_password(other, xbox).unwrap(),
        "not that account's"
    );
    assert_eq!(state(by_xbox), TokenState::Active);
    assert!(store.revoke_app_password(account, xbox).unwrap());
    assert!(
        !store.revoke_app_password(account, xbox).unwrap(),
        "already gone"
    );
    assert_eq!(
        (state(by_xbox), state(by_wii)),
        (TokenState::Revoked, TokenState::Active)
    );
    assert_eq!(store.app_password_by_hash(account, &[1; 32]).unwrap(), None);

    assert_eq!(store.revoke_all_app_passwords(account).unwrap(), 1);
    assert_eq!(state(by_wii), TokenState::Revoked);
    assert!(store.app_passwords(account).unwrap().is_empty());
    assert_eq!(state(by_primary), TokenState::Active, "another account's");
    assert_eq!(store.revoke_all_app_passwords(account).unwrap(), 0);
}

pub fn app_password_ids_are_never_given_out_again(store: &dyn Store) {
    let (account, first) = account_with_app_password(store);
    assert!(store.revoke_app_password(account, first).unwrap());
    let second = store
        .insert_app_password(account, "Wii", &[2; 32], UnixMillis(0))
        .unwrap();
    assert!(
        second > first,
        "a token naming {first} must not name the new one"
    );
    store.revoke_all_app_passwords(account).unwrap();
    let third = store
        .insert_app_password(account, "Wii U", &[3; 32], UnixMillis(0))
        .unwrap();
    assert!(third > second);
}
