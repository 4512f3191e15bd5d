//! Remember-me tokens: issue, rotation, reuse detection and its two exceptions, device binding,
//! expiry, revocation cascades, sign-out.

mod common;

use common::*;
use padlock_protocol::{DenyReason, RememberToken, Request, Response};
use padlock_server::{Error, Gateway};

const DAY: u64 = 24 * 3600;

fn setup() -> (Gateway, String) {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
    (gateway, app.formatted.clone())
}

fn invalid() -> Response {
    denied(DenyReason::TokenInvalid)
}

fn resume_request(token: &RememberToken) -> Request {
    Request::Resume {
        token: token.clone(),
    }
}

#[test]
fn issued_bound_to_the_device_and_listed() {
    let (gateway, app) = setup();
    let device = Device::new(1);
    granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let tokens = gateway.tokens_at(EMAIL, t(0)).unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].device_key, device.keys.public());
    assert_eq!(
        tokens[0].app_password_id,
        Some(gateway.app_passwords(EMAIL).unwrap()[0].id)
    );
    assert_eq!(tokens[0].expires, t(90 * DAY));
}

#[test]
fn resume_rotates_and_a_used_up_token_later_revokes_the_family() {
    let (gateway, app) = setup();
    let device = Device::new(1);
    let first = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let second = granted_token(&device.resume(&gateway, &first, t(10)));
    let third = granted_token(&device.resume(&gateway, &second, t(20)));
    assert_ne!(first.as_bytes(), second.as_bytes());
    assert_ne!(second.as_bytes(), third.as_bytes());
    assert_eq!(
        gateway.tokens_at(EMAIL, t(0)).unwrap().len(),
        1,
        "one live generation per family"
    );

    // `first` again, long after its grace window, in a new message: someone copied it.
    assert_eq!(device.resume(&gateway, &first, t(1000)), invalid());
    assert_eq!(
        device.resume(&gateway, &third, t(1001)),
        invalid(),
        "the family is revoked"
    );
    assert!(gateway.tokens_at(EMAIL, t(0)).unwrap().is_empty());
}

#[test]
fn a_retry_within_the_grace_window_gets_the_same_successor() {
    let (gateway, app) = setup();
    let device = Device::new(1);
    let token = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let successor = granted_token(&device.resume(&gateway, &token, t(100)));
    // The reply was lost: the device tries again with a fresh message 1, 60 s later.
    let again = granted_token(&device.resume(&gateway, &token, t(160)));
    assert_eq!(again.as_bytes(), successor.as_bytes());
    // The successor still works and rotates normally.
    assert!(is_granted(&device.resume(&gateway, &successor, t(170))));
}

/// A `Resume` held back past a minute (an on-path delay, or a lost reply and a reboot) gets the
/// same successor as long as the successor has not been used, however late.
#[test]
fn a_late_retry_gets_the_same_successor_until_the_successor_is_used() {
    let (gateway, app) = setup();
    let device = Device::new(1);
    let token = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let successor = granted_token(&device.resume(&gateway, &token, t(100)));
    for late in [161, 3600, 30 * DAY] {
        let again = granted_token(&device.resume(&gateway, &token, t(late)));
        assert_eq!(again.as_bytes(), successor.as_bytes(), "at {late} s");
    }
    let next = granted_token(&device.resume(&gateway, &successor, t(30 * DAY + 1)));
    // Now the family has moved on: the old token is reuse, and revokes the family.
    assert_eq!(device.resume(&gateway, &token, t(30 * DAY + 2)), invalid());
    assert_eq!(device.resume(&gateway, &next, t(30 * DAY + 3)), invalid());
}

/// Decided (docs/protocol.md section 12): a retry of the old token seconds after its successor
/// was used is reuse: the device that used the successor no longer holds the old token.
#[test]
fn a_retry_right_after_the_successor_was_used_is_reuse() {
    let (gateway, app) = setup();
    let device = Device::new(1);
    let token = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let successor = granted_token(&device.resume(&gateway, &token, t(100)));
    let next = granted_token(&device.resume(&gateway, &successor, t(101)));
    assert_eq!(device.resume(&gateway, &token, t(102)), invalid());
    assert_eq!(device.resume(&gateway, &next, t(103)), invalid(), "revoked");
}

/// Decided: after a sign-out (or any revocation), every token of the family is `TokenInvalid`,
/// an exact replay of a message 1 answered before included, and nothing else changes.
#[test]
fn an_exact_replay_after_sign_out_is_invalid_and_changes_nothing() {
    let (gateway, app) = setup();
    let device = Device::new(1);
    let other = granted_token(&Device::new(2).sign_in(&gateway, EMAIL, &app, true, t(0)));
    let token = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let request = resume_request(&token);
    let (mut initiator, body) = device.request_body_seeded(&gateway, &request, [44; 32]);
    let successor = granted_token(&read(&mut initiator, &gateway, &body, t(10)).unwrap());
    let sign_out = Request::SignOut { token: successor };
    assert_eq!(
        device.exchange(&gateway, &sign_out, t(20)).unwrap(),
        Response::SignedOut
    );
    for at in [30, 3 * DAY] {
        let (mut replayer, replayed) = device.request_body_seeded(&gateway, &request, [44; 32]);
        assert_eq!(
            read(&mut replayer, &gateway, &replayed, t(at)).unwrap(),
            invalid()
        );
    }
    assert!(is_granted(&Device::new(2).resume(&gateway, &other, t(40))));
}

/// Decided: a superseded token presented from another device key is `TokenInvalid` and revokes
/// nothing (device binding comes before reuse detection); `SignOut` is bound to the device too.
#[test]
fn a_superseded_token_from_another_device_revokes_nothing() {
    let (gateway, app) = setup();
    let (owner, thief) = (Device::new(1), Device::new(2));
    let token = granted_token(&owner.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let successor = granted_token(&owner.resume(&gateway, &token, t(10)));
    let next = granted_token(&owner.resume(&gateway, &successor, t(20)));
    assert_eq!(thief.resume(&gateway, &token, t(30)), invalid());
    assert_eq!(thief.resume(&gateway, &successor, t(31)), invalid());
    for stolen in [&token, &next] {
        let sign_out = Request::SignOut {
            token: stolen.clone(),
        };
        assert_eq!(
            thief.exchange(&gateway, &sign_out, t(32)).unwrap(),
            Response::SignedOut
        );
    }
    assert!(
        is_granted(&owner.resume(&gateway, &next, t(40))),
        "still live"
    );
}

#[test]
fn an_exact_replay_of_message_1_gets_the_same_successor_and_revokes_nothing() {
    let (gateway, app) = setup();
    let device = Device::new(1);
    let token = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let request = resume_request(&token);
    let seed = [42; 32];

    let (mut initiator, body) = device.request_body_seeded(&gateway, &request, seed);
    let successor = granted_token(&read(&mut initiator, &gateway, &body, t(100)).unwrap());

    // The same bytes an hour later (outside the grace window): recorded and replayed.
    let (mut replayer, replayed) = device.request_body_seeded(&gateway, &request, seed);
    assert_eq!(replayed, body);
    let again = granted_token(&read(&mut replayer, &gateway, &replayed, t(3700)).unwrap());
    assert_eq!(again.as_bytes(), successor.as_bytes());
    assert!(
        is_granted(&device.resume(&gateway, &successor, t(3800))),
        "family intact"
    );

    // Once the successor has moved on, the replay still revokes nothing.
    let (mut late, late_body) = device.request_body_seeded(&gateway, &request, seed);
    assert_eq!(
        read(&mut late, &gateway, &late_body, t(3900)).unwrap(),
        invalid()
    );
    assert_eq!(gateway.tokens_at(EMAIL, t(0)).unwrap().len(), 1);
}

#[test]
fn a_replayed_retry_gets_the_same_successor_and_revokes_nothing() {
    let (gateway, app) = setup();
    let device = Device::new(1);
    let token = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let successor = granted_token(&device.resume(&gateway, &token, t(100)));
    // The reply was lost; the retry within the grace window is recorded by an attacker.
    let request = resume_request(&token);
    let (mut retry, retried) = device.request_body_seeded(&gateway, &request, [43; 32]);
    let again = granted_token(&read(&mut retry, &gateway, &retried, t(130)).unwrap());
    assert_eq!(again.as_bytes(), successor.as_bytes());
    // The retry's bytes an hour later: a replay, not reuse.
    let (mut replayer, replayed) = device.request_body_seeded(&gateway, &request, [43; 32]);
    let replay = read(&mut replayer, &gateway, &replayed, t(3700)).unwrap();
    assert_eq!(granted_token(&replay).as_bytes(), successor.as_bytes());
    assert!(
        is_granted(&device.resume(&gateway, &successor, t(3800))),
        "the family is live"
    );
}

#[test]
fn a_token_from_another_device_is_refused_without_revoking() {
    let (gateway, app) = setup();
    let owner = Device::new(1);
    let thief = Device::new(2);
    let token = granted_token(&owner.sign_in(&gateway, EMAIL, &app, true, t(0)));
    assert_eq!(thief.resume(&gateway, &token, t(10)), invalid());
    assert_eq!(
        thief
            .exchange(
                &gateway,
                &Request::SignOut {
                    token: token.clone()
                },
                t(11)
            )
            .unwrap(),
        Response::SignedOut
    );
    assert!(
        is_granted(&owner.resume(&gateway, &token, t(12))),
        "still the owner's"
    );
}

#[test]
fn expiry_slides_with_every_resume() {
    let (gateway, app) = setup();
    let device = Device::new(1);
    let mut token = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    // Used every 89 days, it lives on.
    for round in 1..=3 {
        token = granted_token(&device.resume(&gateway, &token, t(round * 89 * DAY)));
    }
    // Left alone for 90 days, it dies: no longer listed, then refused.
    assert_eq!(gateway.tokens_at(EMAIL, t(3 * 89 * DAY)).unwrap().len(), 1);
    assert!(
        gateway
            .tokens_at(EMAIL, t(3 * 89 * DAY + 90 * DAY))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        device.resume(&gateway, &token, t(3 * 89 * DAY + 90 * DAY)),
        invalid()
    );
}

#[test]
fn revoking_an_app_password_revokes_its_tokens_only() {
    let (gateway, app) = setup();
    let other = gateway.create_app_password(EMAIL, "Zune", t(0)).unwrap();
    let device = Device::new(1);
    let zune = Device::new(2);
    let token = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let zune_token = granted_token(&zune.sign_in(&gateway, EMAIL, &other.formatted, true, t(0)));
    let xbox_id = gateway.app_passwords(EMAIL).unwrap()[0].id;
    gateway.revoke_app_password(EMAIL, xbox_id).unwrap();
    assert_eq!(device.resume(&gateway, &token, t(10)), invalid());
    assert!(is_granted(&zune.resume(&gateway, &zune_token, t(10))));

    let zune_token = granted_token(&zune.sign_in(&gateway, EMAIL, &other.formatted, true, t(20)));
    gateway.revoke_all_app_passwords(EMAIL).unwrap();
    assert_eq!(zune.resume(&gateway, &zune_token, t(30)), invalid());
}

#[test]
fn revoking_another_accounts_app_password_id_revokes_nothing() {
    let (gateway, app) = setup();
    gateway
        .add_account("bob@example.com", "Bob", PRIMARY, true)
        .unwrap();
    let device = Device::new(1);
    let token = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let anns_id = gateway.app_passwords(EMAIL).unwrap()[0].id;
    assert!(matches!(
        gateway.revoke_app_password("bob@example.com", anns_id),
        Err(Error::UnknownAppPassword(id)) if id == anns_id
    ));
    assert_eq!(gateway.app_passwords(EMAIL).unwrap().len(), 1);
    assert!(
        is_granted(&device.resume(&gateway, &token, t(10))),
        "Ann's token outlives a revocation aimed at Bob"
    );
}

#[test]
fn primary_password_tokens_die_with_a_new_password_or_two_step() {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
    let device = Device::new(1);
    let token = granted_token(&device.sign_in(&gateway, EMAIL, PRIMARY, true, t(0)));
    assert_eq!(
        gateway.tokens_at(EMAIL, t(0)).unwrap()[0].app_password_id,
        None
    );
    gateway.set_password(EMAIL, "another password").unwrap();
    assert_eq!(device.resume(&gateway, &token, t(10)), invalid());

    let token = granted_token(&device.sign_in(&gateway, EMAIL, "another password", true, t(20)));
    gateway.set_two_step(EMAIL, true).unwrap();
    assert_eq!(device.resume(&gateway, &token, t(30)), invalid());
}

#[test]
fn sign_out_revokes_the_presented_token() {
    let (gateway, app) = setup();
    let device = Device::new(1);
    let token = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let sign_out = Request::SignOut {
        token: token.clone(),
    };
    assert_eq!(
        device.exchange(&gateway, &sign_out, t(1)).unwrap(),
        Response::SignedOut
    );
    assert_eq!(device.resume(&gateway, &token, t(2)), invalid());
    // Unknown (or already revoked) tokens are signed out too.
    assert_eq!(
        device.exchange(&gateway, &sign_out, t(3)).unwrap(),
        Response::SignedOut
    );
    let unknown = Request::SignOut {
        token: RememberToken::from_bytes([7; 32]),
    };
    assert_eq!(
        device.exchange(&gateway, &unknown, t(4)).unwrap(),
        Response::SignedOut
    );
    assert_eq!(
        device.resume(&gateway, &RememberToken::from_bytes([7; 32]), t(5)),
        invalid()
    );
}

#[test]
fn administrators_revoke_tokens() {
    let (gateway, app) = setup();
    let device = Device::new(1);
    let a = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let b = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let c = granted_token(&device.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let listed = gateway.tokens_at(EMAIL, t(0)).unwrap();
    assert_eq!(listed.len(), 3);
    gateway.revoke_token(EMAIL, listed[0].id).unwrap();
    assert_eq!(device.resume(&gateway, &a, t(1)), invalid());
    assert!(matches!(
        gateway.revoke_token(EMAIL, 9999),
        Err(Error::UnknownToken(9999))
    ));
    assert_eq!(gateway.revoke_all_tokens(EMAIL).unwrap(), 2);
    assert_eq!(device.resume(&gateway, &b, t(2)), invalid());
    assert_eq!(device.resume(&gateway, &c, t(3)), invalid());
}

/// Two resumes of one token at once (a device retrying on a second connection): both get the
/// same successor, and the family stays live.
#[test]
fn concurrent_resumes_of_one_token_get_the_same_successor() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = Gateway::open(&dir.path().join("g.db"), config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
    for round in 0..10 {
        // A device per round: one device's resumes are paced (10, then one a minute).
        let device = Device::new(u8::try_from(round).unwrap() + 1);
        let token = granted_token(&device.sign_in(&gateway, EMAIL, &app.formatted, true, t(round)));
        let barrier = std::sync::Barrier::new(2);
        let successors: Vec<RememberToken> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (gateway, device, token, barrier) = (&gateway, &device, &token, &barrier);
                    scope.spawn(move || {
                        let (mut initiator, body) =
                            device.request_body(gateway, &resume_request(token));
                        barrier.wait();
                        granted_token(&read(&mut initiator, gateway, &body, t(round + 1)).unwrap())
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert_eq!(successors[0].as_bytes(), successors[1].as_bytes());
        assert!(
            is_granted(&device.resume(&gateway, &successors[0], t(round + 2))),
            "the family is live"
        );
    }
}
