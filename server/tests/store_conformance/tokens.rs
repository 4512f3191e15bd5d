//! Remember-me tokens ([`padlock_server::store::TokenStore`]).

use padlock_protocol::PublicKey;
use padlock_server::store::{ANSWERS_PER_TOKEN, FAMILIES_PER_DEVICE, GENERATIONS_KEPT, TokenState};
use padlock_server::{Store, UnixMillis};

use crate::{account_with_app_password, add_account, primary_hash, token};

pub fn rotation_is_all_or_nothing_and_only_once(store: &dyn Store) {
    let (account, app) = account_with_app_password(store);
    let generation = |hash: u8, at: u64| token(account, Some(app), 9, hash, at);
    let first = store.insert_token(&generation(1, 0), "").unwrap().unwrap();
    let second = store
        .rotate_token(first, &[7; 32], &generation(2, 10))
        .unwrap()
        .unwrap();
    let old = store.token_by_id(first).unwrap().unwrap();
    assert_eq!(old.state, TokenState::Superseded);
    assert_eq!(
        (old.consumed_by, old.successor, old.superseded_at),
        (Some([7; 32]), Some(second), Some(UnixMillis(10)))
    );
    let new = store.token_by_hash(&[2; 32]).unwrap().unwrap();
    assert_eq!(
        (new.id, new.family, new.state),
        (second, first, TokenState::Active)
    );
    assert_eq!(
        (new.account_id, new.app_password_id, new.device_key),
        (account, Some(app), PublicKey([9; 32]))
    );

    // The used-up generation cannot be rotated again: nothing is written.
    assert_eq!(
        store
            .rotate_token(first, &[8; 32], &generation(3, 20))
            .unwrap(),
        None
    );
    assert_eq!(store.token_by_hash(&[3; 32]).unwrap(), None);
    assert_eq!(
        store.token_by_id(first).unwrap().unwrap().consumed_by,
        Some([7; 32])
    );

    // A successor whose hash collides with an existing token aborts the whole rotation.
    assert!(
        store
            .rotate_token(second, &[9; 32], &generation(1, 30))
            .is_err()
    );
    let kept = store.token_by_id(second).unwrap().unwrap();
    assert_eq!((kept.state, kept.consumed_by), (TokenState::Active, None));
}

pub fn a_token_is_inserted_and_rotated_only_while_its_credential_signs_in(store: &dyn Store) {
    let (account, app) = account_with_app_password(store);
    // Two-step is on: the primary password issues nothing.
    let primary = token(account, None, 9, 1, 0);
    assert_eq!(
        store.insert_token(&primary, &primary_hash(1)).unwrap(),
        None
    );
    store.set_two_step(account, false).unwrap();
    // A hash other than the account's: the password changed while the sign-in ran.
    assert_eq!(store.insert_token(&primary, "$argon2id$old").unwrap(), None);
    let family = store
        .insert_token(&primary, &primary_hash(1))
        .unwrap()
        .unwrap();
    assert_eq!(store.token_by_id(family).unwrap().unwrap().family, family);
    // An app password that does not exist, or is another account's.
    let stranger = add_account(store, 2, false);
    assert_eq!(
        store
            .insert_token(&token(account, Some(app + 1), 9, 2, 0), "")
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .insert_token(&token(stranger, Some(app), 9, 3, 0), "")
            .unwrap(),
        None
    );
    assert_eq!(store.token_by_hash(&[2; 32]).unwrap(), None);
    assert_eq!(store.token_by_hash(&[3; 32]).unwrap(), None);
    // Rotating a family whose credential went is refused.
    let by_app = store
        .insert_token(&token(account, Some(app), 9, 4, 0), "")
        .unwrap()
        .unwrap();
    assert!(store.revoke_app_password(account, app).unwrap());
    assert_eq!(
        store
            .rotate_token(by_app, &[7; 32], &token(account, Some(app), 9, 5, 10))
            .unwrap(),
        None
    );
    assert_eq!(store.token_by_hash(&[5; 32]).unwrap(), None);
    assert_eq!(
        store.token_by_id(by_app).unwrap().unwrap().state,
        TokenState::Revoked
    );
}

pub fn a_family_keeps_its_newest_generations(store: &dyn Store) {
    let (account, app) = account_with_app_password(store);
    let mut generations = vec![
        store
            .insert_token(&token(account, Some(app), 9, 1, 0), "")
            .unwrap()
            .unwrap(),
    ];
    for hash in 2..=6u8 {
        let live = *generations.last().unwrap();
        let next = token(account, Some(app), 9, hash, u64::from(hash) * 10);
        generations.push(
            store
                .rotate_token(live, &[hash; 32], &next)
                .unwrap()
                .unwrap(),
        );
    }
    let (gone, kept) = generations.split_at(generations.len() - GENERATIONS_KEPT);
    for id in gone {
        assert_eq!(
            store.token_by_id(*id).unwrap(),
            None,
            "generation {id} deleted"
        );
    }
    for id in kept {
        assert!(
            store.token_by_id(*id).unwrap().is_some(),
            "generation {id} kept"
        );
    }
    assert_eq!(
        store.tokens(account, UnixMillis(0)).unwrap().len(),
        1,
        "one family"
    );
}

pub fn a_device_key_keeps_its_newest_families(store: &dyn Store) {
    let (account, app) = account_with_app_password(store);
    let other = add_account(store, 2, false);
    let families: Vec<i64> = (1..=u8::try_from(FAMILIES_PER_DEVICE).unwrap() + 1)
        .map(|hash| {
            // Alternating accounts: the bound is per device key, whoever's families they are.
            let new = if hash % 2 == 0 {
                token(other, None, 9, hash, 0)
            } else {
                token(account, Some(app), 9, hash, 0)
            };
            store.insert_token(&new, &primary_hash(2)).unwrap().unwrap()
        })
        .collect();
    let elsewhere = store
        .insert_token(&token(account, Some(app), 8, 100, 0), "")
        .unwrap()
        .unwrap();
    assert_eq!(
        store.token_by_id(families[0]).unwrap(),
        None,
        "the oldest family went"
    );
    for id in families.iter().skip(1).chain([&elsewhere]) {
        assert!(store.token_by_id(*id).unwrap().is_some());
    }
}

pub fn successor_answers_are_recognised_and_capped(store: &dyn Store) {
    let (account, app) = account_with_app_password(store);
    let first = store
        .insert_token(&token(account, Some(app), 9, 1, 0), "")
        .unwrap()
        .unwrap();
    store
        .rotate_token(first, &[200; 32], &token(account, Some(app), 9, 2, 10))
        .unwrap()
        .unwrap();
    assert!(
        store.answered_with_successor(first, &[200; 32]).unwrap(),
        "the consuming request"
    );
    assert!(!store.answered_with_successor(first, &[201; 32]).unwrap());

    let retries: Vec<[u8; 32]> = (0..=u8::try_from(ANSWERS_PER_TOKEN).unwrap())
        .map(|i| [i; 32])
        .collect();
    for retry in &retries {
        store.record_successor_answer(first, retry).unwrap();
    }
    store.record_successor_answer(first, &retries[0]).unwrap();
    let recognised = retries
        .iter()
        .filter(|m| store.answered_with_successor(first, m).unwrap())
        .count();
    assert_eq!(
        recognised, ANSWERS_PER_TOKEN,
        "the first {ANSWERS_PER_TOKEN}, once each"
    );
    let second = store.token_by_hash(&[2; 32]).unwrap().unwrap().id;
    assert!(
        !store.answered_with_successor(second, &retries[0]).unwrap(),
        "per token"
    );
}

pub fn revoking_counts_live_families(store: &dyn Store) {
    let (account, app) = account_with_app_password(store);
    let a = store
        .insert_token(&token(account, Some(app), 9, 1, 0), "")
        .unwrap()
        .unwrap();
    let a2 = store
        .rotate_token(a, &[7; 32], &token(account, Some(app), 9, 2, 10))
        .unwrap()
        .unwrap();
    let b = store
        .insert_token(&token(account, Some(app), 8, 3, 0), "")
        .unwrap()
        .unwrap();
    let c = store
        .insert_token(&token(account, Some(app), 7, 4, 0), "")
        .unwrap()
        .unwrap();
    assert_eq!(store.tokens(account, UnixMillis(0)).unwrap().len(), 3);
    assert_eq!(
        store.revoke_family(a).unwrap(),
        1,
        "one live generation in the family"
    );
    assert_eq!(store.revoke_family(a).unwrap(), 0);
    for id in [a, a2] {
        assert_eq!(
            store.token_by_id(id).unwrap().unwrap().state,
            TokenState::Revoked
        );
    }
    assert_eq!(store.revoke_all_tokens(account).unwrap(), 2);
    for id in [b, c] {
        assert_eq!(
            store.token_by_id(id).unwrap().unwrap().state,
            TokenState::Revoked
        );
    }
    assert!(store.tokens(account, UnixMillis(0)).unwrap().is_empty());
    assert_eq!(store.revoke_all_tokens(account).unwrap(), 0);
}

pub fn expired_tokens_are_not_listed_and_are_forgotten(store: &dyn Store) {
    let (account, app) = account_with_app_password(store);
    // Issued at 0 and at 500, each for a second.
    let early = store
        .insert_token(&token(account, Some(app), 9, 1, 0), "")
        .unwrap()
        .unwrap();
    store.record_successor_answer(early, &[50; 32]).unwrap();
    let late = store
        .insert_token(&token(account, Some(app), 8, 2, 500), "")
        .unwrap()
        .unwrap();
    let listed = |now: u64| -> Vec<i64> {
        store
            .tokens(account, UnixMillis(now))
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect()
    };
    assert_eq!(listed(999), [early, late]);
    assert_eq!(listed(1_000), [late], "expired at its expiry");
    assert_eq!(
        store
            .forget_tokens_expired_before(UnixMillis(1_000))
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .forget_tokens_expired_before(UnixMillis(1_001))
            .unwrap(),
        1
    );
    assert_eq!(store.token_by_id(early).unwrap(), None);
    assert!(
        !store.answered_with_successor(early, &[50; 32]).unwrap(),
        "its answers too"
    );
    assert!(store.token_by_id(late).unwrap().is_some());
}
