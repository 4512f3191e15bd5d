//! Phone links ([`padlock_server::store::LinkStore`]); a backend that keeps none
//! ([`padlock_server::Store::links`] is `None`) has nothing to conform to.

use padlock_protocol::{LinkCode, PublicKey};
use padlock_server::link::rules::LinkState;
use padlock_server::store::{LinkApproval, LinkRecord, LinkStore, TokenState};
use padlock_server::{Store, UnixMillis};

use crate::{add_account, token};

pub(crate) fn link(code: &str, device: u8, created: u64) -> LinkRecord {
    LinkRecord {
        code: LinkCode::parse(code).unwrap(),
        device_key: PublicKey([device; 32]),
        kind: 1,
        model: "Zune HD".into(),
        firmware: "4.5".into(),
        created: UnixMillis(created),
        expires: UnixMillis(created + 600_000),
        interval_secs: 5,
        last_poll: None,
        state: LinkState::Pending,
        seed: [device; 32],
    }
}

pub(crate) fn approval(account: i64, device: u8, hash: u8, at: u64) -> LinkApproval {
    LinkApproval {
        name: "Link · Zune HD".into(),
        credential_hash: [hash; 32],
        token: token(account, None, device, hash, at),
    }
}

fn links(store: &dyn Store) -> Option<&dyn LinkStore> {
    store.links()
}

pub fn links_are_kept_once_per_code_and_counted_while_pending(store: &dyn Store) {
    let Some(links) = links(store) else { return };
    let first = link("BBBB-BBBB", 1, 1_000);
    assert!(links.insert_link(&first).unwrap());
    assert!(
        !links.insert_link(&link("BBBB-BBBB", 2, 2_000)).unwrap(),
        "the code is taken"
    );
    assert_eq!(links.link(&first.code).unwrap(), Some(first.clone()));
    assert!(links.insert_link(&link("CCCC-CCCC", 1, 5_000)).unwrap());
    assert!(links.insert_link(&link("DDDD-DDDD", 2, 5_000)).unwrap());
    let (mine, all) = links
        .pending_link_counts(&PublicKey([1; 32]), UnixMillis(6_000))
        .unwrap();
    assert_eq!(mine, [UnixMillis(601_000), UnixMillis(605_000)]);
    assert_eq!(all, 3);
    // Expired ones no longer count, are not listed, and are forgotten.
    let later = UnixMillis(601_000);
    let (mine, all) = links
        .pending_link_counts(&PublicKey([1; 32]), later)
        .unwrap();
    assert_eq!((mine.len(), all), (1, 2));
    let codes: Vec<String> = links
        .pending_links(later)
        .unwrap()
        .iter()
        .map(|l| l.code.to_string())
        .collect();
    assert_eq!(codes, ["CCCC-CCCC", "DDDD-DDDD"]);
    assert_eq!(links.forget_links_expired_before(later).unwrap(), 1);
    assert_eq!(links.link(&first.code).unwrap(), None);
    assert!(
        links.insert_link(&first).unwrap(),
        "a forgotten code may be drawn again"
    );
}

pub fn a_poll_is_recorded_only_while_the_link_is_pending(store: &dyn Store) {
    let Some(links) = links(store) else { return };
    let pending = link("BBBB-BBBB", 1, 0);
    links.insert_link(&pending).unwrap();
    links
        .record_link_poll(&pending.code, 10, UnixMillis(4_000))
        .unwrap();
    let stored = links.link(&pending.code).unwrap().unwrap();
    assert_eq!(
        (stored.interval_secs, stored.last_poll),
        (10, Some(UnixMillis(4_000)))
    );
    assert!(
        links
            .decline_link(&pending.code, UnixMillis(5_000))
            .unwrap()
    );
    links
        .record_link_poll(&pending.code, 15, UnixMillis(6_000))
        .unwrap();
    let stored = links.link(&pending.code).unwrap().unwrap();
    assert_eq!(stored.state, LinkState::Declined);
    assert_eq!(
        stored.interval_secs, 10,
        "a declined link's poll changes nothing"
    );
}

pub fn approving_a_link_is_all_or_nothing_and_its_credential_revokes_the_token(store: &dyn Store) {
    let Some(links) = links(store) else { return };
    let account = add_account(store, 1, true);
    let pending = link("BBBB-BBBB", 1, 0);
    links.insert_link(&pending).unwrap();
    let credential = links
        .approve_link(
            &pending.code,
            account,
            &approval(account, 1, 7, 1_000),
            UnixMillis(1_000),
        )
        .unwrap()
        .expect("approved");
    assert_eq!(
        links.link(&pending.code).unwrap().unwrap().state,
        LinkState::Approved
    );
    let apps = store.app_passwords(account).unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(
        (apps[0].id, apps[0].name.as_str()),
        (credential, "Link · Zune HD")
    );
    let first = store
        .token_by_hash(&[7; 32])
        .unwrap()
        .expect("the family's first token");
    assert_eq!(first.app_password_id, Some(credential));
    assert_eq!(first.device_key, PublicKey([1; 32]));
    // Once approved, neither approved again nor declined; an expired link neither.
    let again = approval(account, 1, 8, 2_000);
    assert_eq!(
        links
            .approve_link(&pending.code, account, &again, UnixMillis(2_000))
            .unwrap(),
        None
    );
    assert!(
        !links
            .decline_link(&pending.code, UnixMillis(2_000))
            .unwrap()
    );
    let old = link("CCCC-CCCC", 2, 0);
    links.insert_link(&old).unwrap();
    let late = approval(account, 2, 9, 600_000);
    assert_eq!(
        links
            .approve_link(&old.code, account, &late, UnixMillis(600_000))
            .unwrap(),
        None
    );
    assert!(!links.decline_link(&old.code, UnixMillis(600_000)).unwrap());
    assert_eq!(
        store.app_passwords(account).unwrap().len(),
        1,
        "nothing more written"
    );
    assert_eq!(store.token_by_hash(&[8; 32]).unwrap(), None);
    assert_eq!(store.token_by_hash(&[9; 32]).unwrap(), None);
    // The credential is revoked like any app password, and its family with it.
    assert!(store.revoke_app_password(account, credential).unwrap());
    let revoked = store.token_by_hash(&[7; 32]).unwrap().unwrap();
    assert_eq!(revoked.state, TokenState::Revoked);
}
