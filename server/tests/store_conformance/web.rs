//! The Security info page's state ([`padlock_server::store::SecurityStore`]), for the stores
//! that keep it ([`Store::security`]).

use padlock_server::store::TokenState;
use padlock_server::store::security::{
    ACTIVITY_KEPT, ActivityKind, SecurityStore, SessionStage, TotpRecord, WebSessionRecord,
};
use padlock_server::{Store, UnixMillis};

use crate::{add_account, primary_hash, token};

/// The store's Security info page state; every backend in this suite keeps it.
fn security(store: &dyn Store) -> &dyn SecurityStore {
    store
        .security()
        .expect("the store keeps the Security info page's state")
}

fn session(account: i64, at: u64) -> WebSessionRecord {
    WebSessionRecord {
        account_id: account,
        stage: SessionStage::AwaitingCode,
        created: UnixMillis(at),
        last_seen: UnixMillis(at),
        last_auth: UnixMillis(at),
        pending_totp: None,
    }
}

pub fn web_sessions_are_touched_and_expire(store: &dyn Store) {
    let web = security(store);
    let account = add_account(store, 1, false);
    web.insert_session(&[1; 32], &session(account, 100))
        .unwrap();
    web.insert_session(
        &[2; 32],
        &WebSessionRecord {
            stage: SessionStage::SignedIn,
            ..session(account, 10)
        },
    )
    .unwrap();
    assert!(
        web.insert_session(&[1; 32], &session(account, 5)).is_err(),
        "one per cookie"
    );
    assert_eq!(web.session(&[1; 32]).unwrap(), Some(session(account, 100)));
    assert_eq!(web.session(&[3; 32]).unwrap(), None);

    web.touch_session(&[1; 32], UnixMillis(300)).unwrap();
    web.reauthenticated(&[1; 32], UnixMillis(250)).unwrap();
    web.set_pending_totp(&[1; 32], Some(b"sealed")).unwrap();
    let touched = web.session(&[1; 32]).unwrap().unwrap();
    assert_eq!(
        (
            touched.last_seen,
            touched.last_auth,
            touched.pending_totp.as_deref()
        ),
        (UnixMillis(300), UnixMillis(250), Some(&b"sealed"[..]))
    );
    assert_eq!(touched.created, UnixMillis(100));
    web.set_pending_totp(&[1; 32], None).unwrap();
    assert_eq!(web.session(&[1; 32]).unwrap().unwrap().pending_totp, None);

    // Session 2 began at 10 and was last seen then; session 1 began at 100, seen at 300.
    assert_eq!(
        web.forget_sessions_before(UnixMillis(0), UnixMillis(11))
            .unwrap(),
        1,
        "absolute"
    );
    assert_eq!(web.session(&[2; 32]).unwrap(), None);
    assert_eq!(
        web.forget_sessions_before(UnixMillis(300), UnixMillis(0))
            .unwrap(),
        0
    );
    assert_eq!(
        web.forget_sessions_before(UnixMillis(301), UnixMillis(0))
            .unwrap(),
        1,
        "idle"
    );
    web.insert_session(&[4; 32], &session(account, 400))
        .unwrap();
    web.delete_session(&[4; 32]).unwrap();
    assert_eq!(web.session(&[4; 32]).unwrap(), None);
}

pub fn two_step_setup_keeps_codes_single_use(store: &dyn Store) {
    let web = security(store);
    let account = add_account(store, 1, false);
    let remembered = store
        .insert_token(&token(account, None, 9, 1, 0), &primary_hash(1))
        .unwrap()
        .unwrap();
    assert_eq!(web.totp(account).unwrap(), None);
    assert!(!web.use_totp_step(account, 1).unwrap(), "no secret yet");

    web.enable_two_step(account, b"sealed", 40, &[[7; 32], [8; 32]])
        .unwrap();
    assert!(store.account_by_id(account).unwrap().unwrap().two_step);
    assert_eq!(
        store.token_by_id(remembered).unwrap().unwrap().state,
        TokenState::Revoked,
        "the primary password no longer signs in"
    );
    let secret = |last_step| TotpRecord {
        sealed: b"sealed".to_vec(),
        last_step,
    };
    assert_eq!(web.totp(account).unwrap(), Some(secret(40)));
    assert!(
        !web.use_totp_step(account, 40).unwrap(),
        "the confirming code is used"
    );
    assert!(web.use_totp_step(account, 42).unwrap());
    assert!(!web.use_totp_step(account, 41).unwrap(), "an earlier step");
    assert_eq!(web.totp(account).unwrap(), Some(secret(42)));

    assert_eq!(web.recovery_codes_left(account).unwrap(), 2);
    assert!(web.use_recovery_code(account, &[7; 32]).unwrap());
    assert!(!web.use_recovery_code(account, &[7; 32]).unwrap(), "spent");
    assert!(
        !web.use_recovery_code(account + 1, &[8; 32]).unwrap(),
        "another account's"
    );
    assert_eq!(web.recovery_codes_left(account).unwrap(), 1);

    // Set up again: new secret, new codes, the old ones gone.
    web.enable_two_step(account, b"other", 50, &[[9; 32]])
        .unwrap();
    assert!(!web.use_recovery_code(account, &[8; 32]).unwrap());
    assert_eq!(web.recovery_codes_left(account).unwrap(), 1);

    web.disable_two_step(account).unwrap();
    assert!(!store.account_by_id(account).unwrap().unwrap().two_step);
    assert_eq!(web.totp(account).unwrap(), None);
    assert_eq!(web.recovery_codes_left(account).unwrap(), 0);
}

pub fn a_password_change_on_the_page_keeps_only_its_own_session(store: &dyn Store) {
    let web = security(store);
    let account = add_account(store, 1, false);
    let other = add_account(store, 2, false);
    for (hash, owner) in [([1; 32], account), ([2; 32], account), ([3; 32], other)] {
        web.insert_session(&hash, &session(owner, 0)).unwrap();
    }
    let remembered = store
        .insert_token(&token(account, None, 9, 1, 0), &primary_hash(1))
        .unwrap()
        .unwrap();
    web.change_password(account, "$argon2id$new", &[1; 32])
        .unwrap();
    assert_eq!(
        store.account_by_id(account).unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    assert!(
        web.session(&[1; 32]).unwrap().is_some(),
        "the one that changed it"
    );
    assert_eq!(web.session(&[2; 32]).unwrap(), None);
    assert!(
        web.session(&[3; 32]).unwrap().is_some(),
        "another account's"
    );
    assert_eq!(
        store.token_by_id(remembered).unwrap().unwrap().state,
        TokenState::Revoked
    );
}

pub fn activity_is_newest_first_and_bounded(store: &dyn Store) {
    let web = security(store);
    let account = add_account(store, 1, false);
    let other = add_account(store, 2, false);
    web.record_activity(other, ActivityKind::TwoStepOn, "", UnixMillis(0))
        .unwrap();
    let total = u64::try_from(ACTIVITY_KEPT).unwrap() + 5;
    for at in 1..=total {
        web.record_activity(
            account,
            ActivityKind::AppPasswordCreated,
            &format!("n{at}"),
            UnixMillis(at),
        )
        .unwrap();
    }
    // Two at the same time: the later written comes first.
    web.record_activity(account, ActivityKind::TwoStepOff, "", UnixMillis(total))
        .unwrap();
    let lines = web.activity(account, 3).unwrap();
    let shown: Vec<(u64, ActivityKind, &str)> = lines
        .iter()
        .map(|l| (l.at.0, l.kind, l.detail.as_str()))
        .collect();
    let last = format!("n{total}");
    let before = format!("n{}", total - 1);
    assert_eq!(
        shown,
        [
            (total, ActivityKind::TwoStepOff, ""),
            (total, ActivityKind::AppPasswordCreated, last.as_str()),
            (total - 1, ActivityKind::AppPasswordCreated, before.as_str()),
        ]
    );
    assert_eq!(
        web.activity(account, usize::MAX).unwrap().len(),
        ACTIVITY_KEPT
    );
    assert_eq!(
        web.activity(other, 10).unwrap().len(),
        1,
        "another account's are its own"
    );
}
