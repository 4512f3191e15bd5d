//! Accounts ([`padlock_server::store::AccountStore`]).

use padlock_server::store::TokenState;
use padlock_server::{Error, Store, UnixMillis};

use crate::{add_account, primary_hash, token};

pub fn accounts_are_found_by_key_and_by_id_and_keys_are_unique(store: &dyn Store) {
    let second = add_account(store, 2, false);
    let first = add_account(store, 1, true);
    assert_ne!(first, second);
    let found = store.account("player1@example.com").unwrap().unwrap();
    assert_eq!(
        (found.id, found.email.as_str(), found.two_step),
        (first, "player1@example.com", true)
    );
    assert_eq!(found.password_hash, primary_hash(1));
    assert_eq!(store.account_by_id(second).unwrap().unwrap().id, second);
    assert_eq!(store.account("nobody@example.com").unwrap(), None);
    assert_eq!(store.account_by_id(first + second + 1).unwrap(), None);
    assert!(matches!(
        store.insert_account("other", "player1@example.com", "X", "$argon2id$", false),
        Err(Error::DuplicateAccount(_))
    ));
    let listed: Vec<i64> = store.accounts().unwrap().iter().map(|a| a.id).collect();
    assert_eq!(listed, [first, second], "by email key");
}

pub fn changing_the_primary_password_signs_out_what_it_remembered(store: &dyn Store) {
    let account = add_account(store, 1, false);
    let app = store
        .insert_app_password(account, "Xbox", &[1; 32], UnixMillis(0))
        .unwrap();
    let primary = |hash: u8| {
        store
            .insert_token(&token(account, None, 9, hash, 0), &primary_hash(1))
            .unwrap()
            .unwrap()
    };
    let state = |id: i64| store.token_by_id(id).unwrap().unwrap().state;
    let by_app = store
        .insert_token(&token(account, Some(app), 8, 2, 0), "")
        .unwrap()
        .unwrap();

    // A rehash (same password, other parameters) keeps the tokens, and only replaces `old`.
    let kept = primary(3);
    assert!(
        !store
            .rehash_password(account, "$argon2id$other", "$argon2id$new")
            .unwrap()
    );
    assert!(
        store
            .rehash_password(account, &primary_hash(1), "$argon2id$new")
            .unwrap()
    );
    assert_eq!(
        store.account_by_id(account).unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    assert_eq!(state(kept), TokenState::Active);

    // A new password revokes what the old one remembered, not what app passwords did.
    store.set_password_hash(account, &primary_hash(1)).unwrap();
    assert_eq!(state(kept), TokenState::Revoked);
    assert_eq!(state(by_app), TokenState::Active);

    // Two-step on: the primary password no longer signs in.
    let again = primary(4);
    store.set_two_step(account, true).unwrap();
    assert!(store.account_by_id(account).unwrap().unwrap().two_step);
    assert_eq!(state(again), TokenState::Revoked);
    assert_eq!(state(by_app), TokenState::Active);
    store.set_two_step(account, false).unwrap();
    assert!(!store.account_by_id(account).unwrap().unwrap().two_step);
}
