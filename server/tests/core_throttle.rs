//! Throttling on virtual time: backoff, the daily cap, per-device counting, concurrency, and
//! that a throttled answer says nothing about the password.

mod common;

use std::sync::Arc;

use common::*;
use padlock_protocol::{DenyReason, Response};
use padlock_server::throttle::{FREE_FAILURES, MAX_GUESSES_PER_DAY};
use padlock_server::{Gateway, UnixMillis};

const DAY: u64 = 24 * 3600;

fn retry_after(response: &Response) -> Option<u32> {
    match response {
        Response::Denied {
            reason: DenyReason::Throttled,
            retry_after_secs,
        } => Some(*retry_after_secs),
        _ => None,
    }
}

fn gateway() -> (Gateway, String) {
    let gateway = Gateway::in_memory(config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
    (gateway, app.formatted.clone())
}

#[test]
fn backoff_doubles_after_the_free_failures() {
    let (gateway, _) = gateway();
    let device = Device::new(1);
    for _ in 0..FREE_FAILURES {
        assert_eq!(
            device.sign_in(&gateway, EMAIL, "wrong", false, t(0)),
            denied(DenyReason::WrongCredentials)
        );
    }
    let mut now = 0;
    for expected_wait in [1, 2, 4, 8, 16] {
        let response = device.sign_in(&gateway, EMAIL, "wrong", false, t(now));
        assert_eq!(retry_after(&response), Some(expected_wait), "at {now} s");
        now += u64::from(expected_wait);
        assert_eq!(
            device.sign_in(&gateway, EMAIL, "wrong", false, t(now)),
            denied(DenyReason::WrongCredentials)
        );
    }
}

/// The fastest possible attacker, waiting exactly as told and using a new device for every
/// guess, gets at most `MAX_GUESSES_PER_DAY` guesses evaluated in a day.
#[test]
fn online_guessing_is_capped_per_day() {
    let (gateway, _) = gateway();
    let mut now = t(0);
    let end = t(DAY);
    let (mut evaluated, mut attempts) = (0u32, 0u8);
    while now < end {
        attempts = attempts.wrapping_add(1);
        let device = Device::new(attempts);
        let response = device.sign_in(&gateway, EMAIL, "guess", false, now);
        match retry_after(&response) {
            Some(wait) => now = now.plus(std::time::Duration::from_secs(u64::from(wait))),
            None => {
                assert_eq!(response, denied(DenyReason::WrongCredentials));
                evaluated += 1;
            }
        }
    }
    assert!(
        evaluated <= MAX_GUESSES_PER_DAY,
        "{evaluated} guesses in a day"
    );
    assert!(
        evaluated >= MAX_GUESSES_PER_DAY - 2,
        "the cap is stated tightly: {evaluated}"
    );
}

#[test]
fn a_throttled_answer_does_not_reveal_the_password() {
    let (gateway, app) = gateway();
    let device = Device::new(1);
    for _ in 0..FREE_FAILURES {
        device.sign_in(&gateway, EMAIL, "wrong", false, t(0));
    }
    let right = device.sign_in(&gateway, EMAIL, &app, false, t(0));
    let wrong = device.sign_in(&gateway, EMAIL, "wrong", false, t(0));
    assert_eq!(retry_after(&right), Some(1));
    assert_eq!(right, wrong);
    // Once the wait is over, the right password works and clears the counter.
    assert!(is_granted(&device.sign_in(
        &gateway,
        EMAIL,
        &app,
        false,
        t(1)
    )));
    for _ in 0..FREE_FAILURES {
        assert_eq!(
            retry_after(&device.sign_in(&gateway, EMAIL, "wrong", false, t(2))),
            None
        );
    }
}

#[test]
fn unknown_accounts_are_throttled_like_known_ones() {
    let (gateway, _) = gateway();
    let run = |email: &str, device: u8| -> Vec<Response> {
        let device = Device::new(device);
        (0..FREE_FAILURES + 3)
            .map(|_| device.sign_in(&gateway, email, "wrong", false, t(0)))
            .collect()
    };
    assert_eq!(run(EMAIL, 1), run("nobody@example.com", 2));
}

#[test]
fn a_device_guessing_across_accounts_is_throttled() {
    let (gateway, _) = gateway();
    let device = Device::new(1);
    for i in 0..FREE_FAILURES {
        let email = format!("user{i}@example.com");
        assert_eq!(
            retry_after(&device.sign_in(&gateway, &email, "pw", false, t(0))),
            None
        );
    }
    let response = device.sign_in(&gateway, "fresh@example.com", "pw", false, t(0));
    assert_eq!(retry_after(&response), Some(1));
    // Another device is not held up by it.
    assert!(
        retry_after(&Device::new(2).sign_in(&gateway, "fresh@example.com", "pw", false, t(0)))
            .is_none()
    );
}

#[test]
fn simultaneous_guesses_get_no_more_evaluations() {
    let (gateway, _) = gateway();
    let gateway = Arc::new(gateway);
    let now = UnixMillis(t(0).0);
    let threads: Vec<_> = (0..64u8)
        .map(|i| {
            let gateway = Arc::clone(&gateway);
            std::thread::spawn(move || Device::new(i).sign_in(&gateway, EMAIL, "guess", false, now))
        })
        .collect();
    let evaluated = threads
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .filter(|response| *response == denied(DenyReason::WrongCredentials))
        .count();
    assert!(
        (1..=FREE_FAILURES as usize).contains(&evaluated),
        "{evaluated} of 64 simultaneous guesses evaluated"
    );
}

#[test]
fn a_remembered_device_resumes_while_the_account_is_throttled() {
    let (gateway, app) = gateway();
    let console = Device::new(1);
    let token = granted_token(&console.sign_in(&gateway, EMAIL, &app, true, t(0)));
    let attacker = Device::new(2);
    for _ in 0..FREE_FAILURES + 1 {
        attacker.sign_in(&gateway, EMAIL, "guess", false, t(0));
    }
    assert!(retry_after(&Device::new(3).sign_in(&gateway, EMAIL, &app, false, t(0))).is_some());
    assert!(is_granted(&console.resume(&gateway, &token, t(0))));
    // Known to the account, the console's password is not held back either.
    assert!(is_granted(&console.sign_in(
        &gateway,
        EMAIL,
        &app,
        false,
        t(0)
    )));
}

/// A counter idle for over a day starts again: old failures do not carry on into the next one.
#[test]
fn failures_older_than_a_day_are_not_counted_again() {
    let (gateway, _) = gateway();
    let device = |i: u32| Device::new(u8::try_from(i % 200).unwrap() + 1);
    let mut now = t(0);
    let mut failures = 0;
    let mut attempt = 0;
    while failures < 17 {
        attempt += 1;
        let response = device(attempt).sign_in(&gateway, EMAIL, "guess", false, now);
        match retry_after(&response) {
            Some(wait) => now = now.plus(std::time::Duration::from_secs(u64::from(wait))),
            None => failures += 1,
        }
    }
    let later = now.plus(std::time::Duration::from_secs(2 * DAY));
    let response = device(1000).sign_in(&gateway, EMAIL, "guess", false, later);
    assert_eq!(response, denied(DenyReason::WrongCredentials));
    let next = device(1001).sign_in(&gateway, EMAIL, "guess", false, later);
    assert_eq!(
        next,
        denied(DenyReason::WrongCredentials),
        "one failure after two quiet days is the first of a new count"
    );
}

/// An attacker who recorded one granted `SignIn` replays it between guesses: the replay clears
/// no counter and starts no token family, so the daily cap holds.
#[test]
fn a_replayed_granted_sign_in_does_not_reset_the_throttle() {
    let (gateway, app) = gateway();
    let owner = Device::new(250);
    let (mut initiator, recorded) =
        owner.request_body_seeded(&gateway, &sign_in(EMAIL, &app, true), [7; 32]);
    let reply = read(&mut initiator, &gateway, &recorded, t(0)).unwrap();
    assert!(is_granted(&reply));
    let families = gateway.tokens_at(EMAIL, t(0)).unwrap().len();

    let end = t(DAY);
    let mut now = t(0);
    let (mut evaluated, mut device) = (0u32, 0u8);
    while now < end {
        let mut guesses = 0;
        while guesses < 5 && now < end {
            device = device.wrapping_add(1) % 200;
            let response = Device::new(device).sign_in(&gateway, EMAIL, "guess", false, now);
            match retry_after(&response) {
                Some(wait) => now = now.plus(std::time::Duration::from_secs(u64::from(wait))),
                None => {
                    assert_eq!(response, denied(DenyReason::WrongCredentials));
                    evaluated += 1;
                    guesses += 1;
                }
            }
        }
        // The recorded bytes again, as soon as the throttle lets them through.
        while now < end {
            let (mut initiator, body) =
                owner.request_body_seeded(&gateway, &sign_in(EMAIL, &app, true), [7; 32]);
            let Some(frame) = gateway.answer(&body, now) else {
                break; // closed without a reply: recognised as a replay
            };
            let reply = initiator.read_reply(&frame[2..]).unwrap();
            match retry_after(&reply) {
                Some(wait) => now = now.plus(std::time::Duration::from_secs(u64::from(wait))),
                None => break,
            }
        }
    }
    assert!(
        evaluated <= MAX_GUESSES_PER_DAY,
        "{evaluated} guesses evaluated in a day"
    );
    assert_eq!(
        gateway.tokens_at(EMAIL, now).unwrap().len(),
        families,
        "no token family from a replay"
    );
}

/// A test double: the real SQLite store, except that recording a failure fails (a full disk).
struct FailingWrites(padlock_server::SqliteStore);

mod failing_writes {
    use super::FailingWrites;
    use std::time::Duration;

    use padlock_protocol::PublicKey;
    use padlock_server::store::{
        AccountRecord, AccountStore, AppPasswordRecord, AppPasswordStore, AttemptId, DeviceStore,
        KnownDevice, NewToken, PaceStore, ReplayStore, SubjectCount, ThrottleRecord, ThrottleStore,
        TokenRecord, TokenStore,
    };
    use padlock_server::{Error, Store, UnixMillis};

    type Hash = [u8; 32];

    /// Each role but the throttle's, passed through to the real store.
    macro_rules! delegate {
        ($($role:ident { $($name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)* })*) => {
            $(impl $role for FailingWrites {
                $(fn $name(&self, $($arg: $ty),*) -> Result<$out, Error> { self.0.$name($($arg),*) })*
            })*
        };
    }

    delegate! {
        AccountStore {
            account(email_key: &str) -> Option<AccountRecord>;
            account_by_id(id: i64) -> Option<AccountRecord>;
            accounts() -> Vec<AccountRecord>;
            insert_account(email: &str, key: &str, name: &str, hash: &str, two_step: bool) -> i64;
            set_two_step(account_id: i64, on: bool) -> ();
            set_password_hash(account_id: i64, hash: &str) -> ();
            rehash_password(account_id: i64, old: &str, new: &str) -> bool;
        }
        AppPasswordStore {
            insert_app_password(account_id: i64, name: &str, hash: &Hash, now: UnixMillis) -> i64;
            app_password_by_hash(account_id: i64, hash: &Hash) -> Option<(AppPasswordRecord, Hash)>;
            touch_app_password(id: i64, now: UnixMillis, device: &str) -> ();
            app_passwords(account_id: i64) -> Vec<AppPasswordRecord>;
            revoke_app_password(account_id: i64, id: i64) -> bool;
            revoke_all_app_passwords(account_id: i64) -> usize;
        }
        TokenStore {
            insert_token(token: &NewToken, hash: &str) -> Option<i64>;
            token_by_hash(hash: &Hash) -> Option<TokenRecord>;
            rotate_token(old: i64, consumed_by: &Hash, next: &NewToken) -> Option<i64>;
            record_successor_answer(id: i64, message_1: &Hash) -> ();
            answered_with_successor(id: i64, message_1: &Hash) -> bool;
            token_by_id(id: i64) -> Option<TokenRecord>;
            revoke_family(family: i64) -> usize;
            tokens(account_id: i64, now: UnixMillis) -> Vec<TokenRecord>;
            revoke_all_tokens(account_id: i64) -> usize;
            forget_tokens_expired_before(cutoff: UnixMillis) -> usize;
        }
        ReplayStore {
            remember_granted_sign_in(message_1: &Hash, now: UnixMillis) -> bool;
            forget_granted_sign_ins_before(cutoff: UnixMillis) -> usize;
        }
        PaceStore {
            pace_full_at(subject: &[u8]) -> Option<UnixMillis>;
            spend_pace(subject: &[u8], now: UnixMillis, every: Duration) -> ();
            forget_paces_before(cutoff: UnixMillis) -> usize;
        }
        DeviceStore {
            known_device(account_id: i64, key: &PublicKey) -> Option<KnownDevice>;
            known_devices(account_id: i64) -> Vec<KnownDevice>;
            device_signed_in(account_id: i64, key: &PublicKey, description: &str, now: UnixMillis, resolution: Duration) -> ();
            forget_known_devices_before(cutoff: UnixMillis) -> usize;
        }
    }

    impl ThrottleStore for FailingWrites {
        fn throttle(&self, subject: &[u8]) -> Result<Option<ThrottleRecord>, Error> {
            self.0.throttle(subject)
        }
        fn rebase_throttle(&self, subject: &[u8], now: UnixMillis) -> Result<(), Error> {
            self.0.rebase_throttle(subject, now)
        }
        fn clear_throttle(&self, subject: &[u8]) -> Result<(), Error> {
            self.0.clear_throttle(subject)
        }
        fn forget_throttle_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
            self.0.forget_throttle_before(cutoff)
        }
        fn clear_throttle_prefix(&self, prefix: &[u8]) -> Result<usize, Error> {
            self.0.clear_throttle_prefix(prefix)
        }
        fn begin_attempt(
            &self,
            subjects: &[&[u8]],
            now: UnixMillis,
            lease_until: UnixMillis,
            admit: &mut dyn FnMut(&[SubjectCount]) -> bool,
        ) -> Result<Option<AttemptId>, Error> {
            self.0.begin_attempt(subjects, now, lease_until, admit)
        }
        fn end_attempt(&self, attempt: AttemptId) -> Result<(), Error> {
            self.0.end_attempt(attempt)
        }
        fn record_failure(&self, _: &[&[u8]], _: UnixMillis, _: UnixMillis) -> Result<(), Error> {
            Err(Error::Io {
                path: "gateway.db".into(),
                source: std::io::Error::other("disk full"),
            })
        }
    }

    impl Store for FailingWrites {
        fn writes(&self) -> padlock_server::store::WriteCount {
            self.0.writes()
        }
    }
}

/// A store that cannot record failures must not open the throttle: the failures it lost still
/// count.
#[test]
fn throttling_fails_closed_when_failures_cannot_be_recorded() {
    let store = FailingWrites(padlock_server::SqliteStore::in_memory().unwrap());
    let gateway = Gateway::with_store(Box::new(store), config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    let device = Device::new(1);
    for _ in 0..FREE_FAILURES {
        assert_eq!(
            device.sign_in(&gateway, EMAIL, "guess", false, t(0)),
            denied(DenyReason::ServerError),
            "evaluated, and the store failed"
        );
    }
    let response = Device::new(2).sign_in(&gateway, EMAIL, "guess", false, t(0));
    assert_eq!(retry_after(&response), Some(1), "{response:?}");
    assert_eq!(
        device.sign_in(&gateway, EMAIL, "guess", false, t(1)),
        denied(DenyReason::ServerError)
    );
    assert_eq!(
        retry_after(&device.sign_in(&gateway, EMAIL, "guess", false, t(1))),
        Some(2)
    );
}

/// The day the review measured: a stranger sends a guess the moment each delay ends, with a
/// fresh device key each time, for a whole day; the owner's console, which signed in before,
/// types its right app password every 10 minutes. The owner gets in every time, and the
/// stranger still gets no more than the daily cap of guesses.
#[test]
fn a_stranger_guessing_for_a_day_cannot_lock_out_a_known_device() {
    let (gateway, app) = gateway();
    let owner = Device::new(250);
    assert!(is_granted(&owner.sign_in(
        &gateway,
        EMAIL,
        &app,
        false,
        t(0)
    )));
    let (mut stranger_at, mut owner_at) = (t(1), t(600));
    let (mut evaluated, mut owner_tries, mut owner_in, mut key) = (0u32, 0u32, 0u32, 0u8);
    while owner_tries < 144 {
        if stranger_at <= owner_at {
            key = key % 200 + 1;
            let response = Device::new(key).sign_in(&gateway, EMAIL, "guess", false, stranger_at);
            match retry_after(&response) {
                Some(wait) => stranger_at = stranger_at.plus(secs(wait)),
                None => {
                    assert_eq!(response, denied(DenyReason::WrongCredentials));
                    evaluated += 1;
                }
            }
        } else {
            owner_tries += 1;
            if is_granted(&owner.sign_in(&gateway, EMAIL, &app, false, owner_at)) {
                owner_in += 1;
            }
            owner_at = owner_at.plus(secs(600));
        }
    }
    assert_eq!(
        owner_in, 144,
        "the owner's console got in {owner_in} times of 144"
    );
    assert!(evaluated <= MAX_GUESSES_PER_DAY, "{evaluated} guesses");
    assert!(
        evaluated >= MAX_GUESSES_PER_DAY - 2,
        "the stranger kept at it: {evaluated}"
    );
}

/// A device the owner never signed in with is a stranger too, until an administrator unlocks
/// the account.
#[test]
fn unlock_lets_the_owners_new_device_in() {
    let (gateway, app) = gateway();
    for key in 1..=u8::try_from(FREE_FAILURES + 1).unwrap() {
        Device::new(key).sign_in(&gateway, EMAIL, "guess", false, t(0));
    }
    let new_console = Device::new(250);
    assert!(retry_after(&new_console.sign_in(&gateway, EMAIL, &app, false, t(0))).is_some());
    assert!(gateway.unlock_account("ann@example.COM").unwrap() >= 1);
    assert!(is_granted(&new_console.sign_in(
        &gateway,
        EMAIL,
        &app,
        false,
        t(0)
    )));
    assert!(matches!(
        gateway.unlock_account("nobody@example.com"),
        Err(padlock_server::Error::UnknownAccount(_))
    ));
}

/// A known device's own failures still hold it back (a stolen console guesses on its own
/// schedule), and do not hold back the account's other known devices.
#[test]
fn a_known_device_has_its_own_allowance() {
    let (gateway, app) = gateway();
    let (console, phone) = (Device::new(1), Device::new(2));
    for device in [&console, &phone] {
        assert!(is_granted(&device.sign_in(
            &gateway,
            EMAIL,
            &app,
            false,
            t(0)
        )));
    }
    for _ in 0..FREE_FAILURES {
        console.sign_in(&gateway, EMAIL, "guess", false, t(1));
    }
    assert_eq!(
        retry_after(&console.sign_in(&gateway, EMAIL, &app, false, t(1))),
        Some(1)
    );
    assert!(is_granted(&phone.sign_in(
        &gateway,
        EMAIL,
        &app,
        false,
        t(1)
    )));
    // A stranger meets the account's counter, which the console's failures added to.
    assert!(retry_after(&Device::new(3).sign_in(&gateway, EMAIL, &app, false, t(1))).is_some());
}

/// A granted sign-in that an attacker on the path held back, delivered later, clears only its
/// own device's counters: the strangers' failures at the account still count.
#[test]
fn a_held_back_granted_sign_in_does_not_reset_the_accounts_counter() {
    let (gateway, app) = gateway();
    let owner = Device::new(250);
    let (mut initiator, held) = owner.request_body(&gateway, &sign_in(EMAIL, &app, false));
    for key in 1..=u8::try_from(FREE_FAILURES).unwrap() {
        let response = Device::new(key).sign_in(&gateway, EMAIL, "guess", false, t(0));
        assert_eq!(response, denied(DenyReason::WrongCredentials));
    }
    assert!(is_granted(
        &read(&mut initiator, &gateway, &held, t(1)).unwrap()
    ));
    assert_eq!(
        Device::new(101).sign_in(&gateway, EMAIL, "guess", false, t(1)),
        denied(DenyReason::WrongCredentials),
        "the delay after five failures is over"
    );
    assert_eq!(
        retry_after(&Device::new(102).sign_in(&gateway, EMAIL, "guess", false, t(1))),
        Some(2),
        "six failures: the count went on"
    );
}

fn secs(n: u32) -> std::time::Duration {
    std::time::Duration::from_secs(u64::from(n))
}

/// The failures a broken store could not record are remembered for at most
/// `MAX_UNRECORDED` subjects; once that is full, further ones hold back every subject (failing
/// closed) instead of growing the memory or being dropped.
#[test]
fn unrecorded_failures_are_capped_and_a_full_map_fails_closed() {
    use padlock_server::throttle::MAX_UNRECORDED;
    let store = FailingWrites(padlock_server::SqliteStore::in_memory().unwrap());
    let gateway = Gateway::with_store(Box::new(store), config()).unwrap();
    let stranger = |i: usize| {
        let mut secret = [0x5a; 32];
        secret[..8].copy_from_slice(&u64::try_from(i).unwrap().to_be_bytes());
        Device {
            keys: padlock_protocol::StaticKeypair::derive_from_device_secret(&secret).unwrap(),
        }
    };
    // Each attempt is three new subjects: its account, its device, the pair. Each is evaluated
    // (the store fails: `ServerError`) until the map is full and five failures overflowed it.
    let full = MAX_UNRECORDED / 3;
    let mut evaluated = 0;
    loop {
        let email = format!("user{evaluated}@example.com");
        let response = stranger(evaluated).sign_in(&gateway, &email, "guess", false, t(0));
        if retry_after(&response).is_some() {
            break;
        }
        assert_eq!(response, denied(DenyReason::ServerError));
        evaluated += 1;
        assert!(
            evaluated <= full + FREE_FAILURES as usize + 1,
            "never closed"
        );
    }
    assert!(
        evaluated > full,
        "closed at {evaluated}, before the map was full"
    );
}

/// The clock set back a day (the system clock stepped, and the gateway restarted): the failures
/// stored "in the future" make the wait at most one full delay, not the length of the step, and
/// they still count: a step back neither extends the lockout nor cancels it. (While the gateway
/// runs, its clock does not follow steps at all: `padlock_server::time::AnchoredClock`.)
#[test]
fn a_clock_set_back_neither_extends_nor_cancels_a_lockout() {
    let (gateway, _) = gateway();
    let later = t(10 * DAY);
    for key in 1..=u8::try_from(FREE_FAILURES).unwrap() {
        Device::new(key).sign_in(&gateway, EMAIL, "guess", false, later);
    }
    let stepped_back = t(9 * DAY);
    let stranger = |key: u8, at| Device::new(key).sign_in(&gateway, EMAIL, "guess", false, at);
    assert_eq!(retry_after(&stranger(20, stepped_back)), Some(1));
    let after_one_delay = stepped_back.plus(secs(1));
    assert_eq!(
        stranger(21, after_one_delay),
        denied(DenyReason::WrongCredentials)
    );
    assert_eq!(
        retry_after(&stranger(22, after_one_delay)),
        Some(2),
        "six failures: none was forgotten"
    );
}
