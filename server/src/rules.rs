//! The sign-in rules: who gets in with a password, and what a refusal may say.
//!
//! A `SignIn` names an account and carries a password. In order:
//!
//! 1. **Throttle** ([`crate::throttle`]): the device key, the (account, device key) pair and,
//!    unless the device has signed in to this account before (a *known* device), the account
//!    (existing or not) must all be allowed an attempt now, or the answer is
//!    `Denied { Throttled, retry_after_secs }` before any password is looked at. A granted
//!    sign-in makes its device known to the account for [`KNOWN_DEVICE_FOR`] (90 days) after
//!    its last sign-in, and for as long as it holds a live remember-me token.
//! 2. **App password**: the typed text, normalised ([`crate::app_password`]), is hashed under the
//!    gateway's key and looked up among the account's app passwords, and the hit confirmed in
//!    constant time. A match signs in whatever the two-step flag, without argon2.
//! 3. **Primary password**: otherwise one argon2id verification, against the account's hash or,
//!    for an unknown account, a dummy hash of the same cost. It signs in only if the account
//!    exists and has two-step off.
//! 4. Anything else is `Denied { WrongCredentials, 0 }`: the same bytes for an unknown account, a
//!    wrong password, and a right primary password on a two-step account, after the same work
//!    (one keyed hash of the account, one of the password, one known-device and one
//!    app-password lookup, one argon2id verification, the same throttle writes). Only a
//!    successful app-password sign-in is faster, and it tells the one who typed the right app
//!    password nothing they did not know.
//!
//! **Replays.** A `SignIn` message 1 can be recorded and played back (`docs/protocol.md`
//! section 10). The keyed hash of every granted one is remembered for [`REMEMBER_GRANTED_FOR`]
//! (90 days, far longer than the throttling window of a day); a granted `SignIn` whose message 1
//! is already remembered is a replay: the connection is closed without a reply (the sender could not read one anyway), no
//! throttling counter is cleared and no token is issued. (Since a success clears only its own
//! device's counters, never the account's, a replayed success could not help a guesser anyway;
//! the record keeps replays from starting token families and moving "last used".)
//! A replay is recognised before any password hashing ([`Gateway::answer_staged`] looks the
//! message 1 up where a verification would start), so replaying a recorded sign-in costs the
//! gateway no argon2id; a `Granted` is sent only once its record is durable (group commit,
//! [`crate::store`]), so no restart or crash forgets a sign-in whose reply was sent.
//! A replayed refused `SignIn` is simply evaluated again, and counts as a failure. A recording
//! older than 90 days is granted again, once, and remembered again: it clears the owner's
//! device's own counters and may start a token family bound to that device, which its sender
//! cannot read.
//!
//! A primary password whose stored hash has other argon2id parameters than the gateway's (see
//! [`Gateway::outdated_password_hashes`]) is re-hashed with the current ones when it signs in.
//!
//! A success answers `Granted` with the display name, a fresh session ticket ([`crate::ticket`]), and (if asked) a
//! remember-me token bound to the device key and to the credential that signed in
//! ([`crate::token`]). Every sign-in is logged with the account and the outcome, never a secret:
//! an existing account by its normalised email (`Debug`-escaped), an attempt at an unknown one
//! (or a throttled one, before any lookup) by `account_ref`, a short prefix of the keyed hash of
//! the typed name, since the typed text may be a password entered in the wrong field.

use padlock_protocol::{DenyReason, DeviceInfo, DisplayName, PublicKey, Response};
use rand_chacha::ChaCha20Rng;

use crate::account::email_key;
use crate::app_password;
use crate::error::Error;
use crate::gateway::{Gateway, PasswordHashing};
use crate::hashing::{KeyedHash, ct_eq, domain};
use crate::pace;
use crate::store::{AccountRecord, AppPasswordRecord};
use crate::throttle::{Admission, Claimant, retry_after_secs};
use crate::time::UnixMillis;

/// How stale an app password's "last used" may get before a sign-in rewrites it: keeping writes
/// (and their fsync) off the hot path of repeated sign-ins.
pub(crate) const LAST_USED_RESOLUTION: std::time::Duration = std::time::Duration::from_secs(60);

/// How stale a known device's "last signed in" may get before a sign-in of it (describing itself
/// the same way) records it again ([`crate::store::DeviceStore::device_signed_in`]): it decides when
/// an idle known device is forgotten ([`KNOWN_DEVICE_FOR`]), and a device signing in again
/// within it adds no line to the account's recent activity ([`crate::web`]).
pub(crate) const KNOWN_DEVICE_RESOLUTION: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a device that signed in to an account stays known to it ([`crate::throttle`])
/// after its last sign-in, unless it holds a live remember-me token.
pub const KNOWN_DEVICE_FOR: std::time::Duration = std::time::Duration::from_secs(90 * 24 * 3600);

/// How long a granted `SignIn`'s message 1 is remembered to recognise its replay.
pub const REMEMBER_GRANTED_FOR: std::time::Duration =
    std::time::Duration::from_secs(90 * 24 * 3600);

/// Every this many granted sign-ins, the remembered ones older than [`REMEMBER_GRANTED_FOR`]
/// are deleted.
const PRUNE_GRANTS_EVERY: u64 = 1024;

/// What signed a player in: the credential a remember-me token is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credential {
    /// The app password with this id.
    AppPassword(i64),
    /// The primary password.
    Primary,
}

/// What a password turned out to be.
enum Match {
    AppPassword(AppPasswordRecord),
    Primary,
}

impl Gateway {
    #[allow(
        clippy::too_many_arguments,
        reason = "the fields of one SignIn request"
    )]
    pub(crate) fn sign_in(
        &self,
        account: &str,
        password: &[u8],
        remember: bool,
        device: &DeviceInfo,
        device_key: PublicKey,
        message_1: &KeyedHash,
        hashing: PasswordHashing,
        rng: &mut ChaCha20Rng,
        now: UnixMillis,
    ) -> Result<Option<Response>, Error> {
        let key = email_key(account);
        let account_hash = self.keyed.hash(domain::ACCOUNT_SUBJECT, &[key.as_bytes()]);
        if let Some(wait) = self
            .pacer
            .wait(&*self.store, pace::Kind::SignIn, &device_key.0, now)?
        {
            tracing::info!(account_ref = %account_ref(&account_hash), outcome = "paced", "sign-in");
            return Ok(Some(throttled(wait)));
        }
        let record = self.store.account(&key)?;
        // An unknown account looks up id -1: the same query, no row.
        let known_device = self
            .store
            .known_device(record.as_ref().map_or(-1, |r| r.id), &device_key)?;
        let claimant = Claimant {
            account: account_hash,
            device: Some(device_key.0),
            known: known_device.is_some(),
        };
        let attempt = match self.throttle.admit(&*self.store, &claimant, now)? {
            Admission::Throttled(wait) => {
                tracing::info!(account_ref = %account_ref(&account_hash), outcome = "throttled", ?wait, "sign-in");
                return Ok(Some(throttled(wait)));
            }
            Admission::Admitted(attempt) => attempt,
        };

        let matched = self.check_password(record.as_ref(), password, hashing)?;
        let known = record.is_some();
        let (Some(record), Some(matched)) = (record, matched) else {
            attempt.failed(&*self.store, now)?;
            if known {
                tracing::info!(account = ?key, outcome = "wrong credentials", "sign-in");
            } else {
                // Whatever was typed (a password in the email field?) stays out of the logs.
                tracing::info!(account_ref = %account_ref(&account_hash), outcome = "wrong credentials", "sign-in");
            }
            return Ok(Some(Response::Denied {
                reason: DenyReason::WrongCredentials,
                retry_after_secs: 0,
            }));
        };
        if !self.remember_granted(message_1, now)? {
            // `attempt` is dropped: neither a failure nor a success, so no counter is cleared.
            tracing::warn!(account = ?key, outcome = "replayed, closed", "sign-in");
            return Ok(None);
        }
        self.pacer
            .spend(&*self.store, pace::Kind::SignIn, &device_key.0, now)?;
        let credential = match &matched {
            Match::AppPassword(app) => Credential::AppPassword(app.id),
            Match::Primary => Credential::Primary,
        };
        let token = if remember {
            let Some(token) = self.issue_token(&record, credential, device_key, rng, now)? else {
                // Revoked between the check and now: as if it had been revoked before.
                attempt.failed(&*self.store, now)?;
                tracing::info!(account = ?key, outcome = "credential revoked", "sign-in");
                return Ok(Some(Response::Denied {
                    reason: DenyReason::WrongCredentials,
                    retry_after_secs: 0,
                }));
            };
            Some(token)
        } else {
            None
        };
        attempt.succeeded(&*self.store)?;
        // Known to the account from now on, listed and in its activity on the Security info
        // page (crate::web); a device seen just before costs no write.
        let description = describe(device);
        if known_device.is_none_or(|d| !d.seen_within(&description, now, KNOWN_DEVICE_RESOLUTION)) {
            self.store.device_signed_in(
                record.id,
                &device_key,
                &description,
                now,
                KNOWN_DEVICE_RESOLUTION,
            )?;
        }
        match &matched {
            Match::AppPassword(app) => self.note_app_password_use(app, device, now)?,
            Match::Primary => self.rehash_if_outdated(&record, password, rng)?,
        }
        tracing::info!(account = ?key, outcome = "granted", ?credential, remember, "sign-in");
        Ok(Some(self.granted(&record, token, &device_key, now)))
    }

    /// Remembers a granted `SignIn`'s message 1; `false`: it is a replay. Every
    /// [`PRUNE_GRANTS_EVERY`] grants, those older than [`REMEMBER_GRANTED_FOR`] are forgotten,
    /// and so are known devices idle for [`KNOWN_DEVICE_FOR`], expired tokens and success
    /// budgets full again.
    fn remember_granted(&self, message_1: &KeyedHash, now: UnixMillis) -> Result<bool, Error> {
        let fresh = self.store.remember_granted_sign_in(message_1, now)?;
        let grants = self
            .grants
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if grants % PRUNE_GRANTS_EVERY == PRUNE_GRANTS_EVERY - 1 {
            let forgotten = self
                .store
                .forget_granted_sign_ins_before(now.minus(REMEMBER_GRANTED_FOR))?;
            tracing::debug!(forgotten, "old granted sign-ins forgotten");
            let forgotten = self
                .store
                .forget_known_devices_before(now.minus(KNOWN_DEVICE_FOR))?;
            tracing::debug!(forgotten, "idle known devices forgotten");
            let forgotten = self.store.forget_tokens_expired_before(now)?;
            tracing::debug!(forgotten, "expired remember-me tokens deleted");
            let forgotten = self.store.forget_paces_before(now)?;
            tracing::debug!(forgotten, "refilled success budgets forgotten");
        }
        Ok(fresh)
    }

    /// Which credential `password` is for `account`, paying the same on every failure path.
    /// With [`PasswordHashing::Defer`], [`Error::PasswordHashDeferred`] where argon2id would
    /// run.
    fn check_password(
        &self,
        account: Option<&AccountRecord>,
        password: &[u8],
        hashing: PasswordHashing,
    ) -> Result<Option<Match>, Error> {
        let typed = app_password::normalise(password);
        let app_hash = self.keyed.hash(domain::APP_PASSWORD, &[&typed]);
        // An unknown account looks up id -1: the same query, no row.
        let account_id = account.map_or(-1, |a| a.id);
        let app = self
            .store
            .app_password_by_hash(account_id, &app_hash)?
            .filter(|(_, stored)| ct_eq(stored, &app_hash));
        if let Some((app, _)) = app {
            return Ok(Some(Match::AppPassword(app)));
        }
        if hashing == PasswordHashing::Defer {
            return Err(Error::PasswordHashDeferred);
        }
        let primary_matches = self
            .passwords
            .verify(password, account.map(|a| a.password_hash.as_str()));
        let two_step = account.is_none_or(|a| a.two_step);
        Ok((primary_matches && !two_step).then_some(Match::Primary))
    }

    /// Replaces a primary password hash made with other argon2id parameters than the current
    /// ones (the password is at hand only now, at a successful sign-in): otherwise its sign-ins
    /// would take another time than the dummy hash's, and its cost would stay the old one.
    fn rehash_if_outdated(
        &self,
        account: &AccountRecord,
        password: &[u8],
        rng: &mut ChaCha20Rng,
    ) -> Result<(), Error> {
        if !self.passwords.is_outdated(&account.password_hash) {
            return Ok(());
        }
        let new = self.passwords.hash(password, rng)?;
        if self
            .store
            .rehash_password(account.id, &account.password_hash, &new)?
        {
            tracing::info!(account = ?email_key(&account.email), "primary password re-hashed with the current parameters");
        }
        Ok(())
    }

    fn note_app_password_use(
        &self,
        app: &AppPasswordRecord,
        device: &DeviceInfo,
        now: UnixMillis,
    ) -> Result<(), Error> {
        let description = describe(device);
        let fresh = app.last_device.as_deref() == Some(description.as_str())
            && app
                .last_used
                .is_some_and(|used| now.since(used) < LAST_USED_RESOLUTION);
        if !fresh {
            self.store.touch_app_password(app.id, now, &description)?;
        }
        Ok(())
    }
}

/// How the logs name an account that may not exist: the first bytes of the keyed hash of what
/// was typed, in hex. It lets an operator tell repeated attempts at one name apart without the
/// text, which may be anything (a password typed into the email field, control characters).
fn account_ref(account_hash: &KeyedHash) -> String {
    account_hash
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `Denied { Throttled }`, to try again after `wait`.
pub(crate) fn throttled(wait: std::time::Duration) -> Response {
    Response::Denied {
        reason: DenyReason::Throttled,
        retry_after_secs: retry_after_secs(wait),
    }
}

/// How a device appears in an app password's "last device" and among the account's known
/// devices.
pub(crate) fn describe(device: &DeviceInfo) -> String {
    format!("{:?} {} ({})", device.kind, device.model, device.firmware)
}

impl Gateway {
    /// A `Granted` for `account` on `device_key` with a fresh session ticket
    /// ([`crate::ticket`]).
    pub(crate) fn granted(
        &self,
        account: &AccountRecord,
        remember: Option<padlock_protocol::RememberToken>,
        device_key: &PublicKey,
        now: UnixMillis,
    ) -> Response {
        let mut display_name = DisplayName::new();
        // Names are checked to fit when stored; a name that does not is sent empty, not cut.
        if display_name.push_str(&account.display_name).is_err() {
            display_name.clear();
        }
        Response::Granted {
            display_name,
            ticket: self.issue_ticket(account.id, device_key, now),
            remember,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GatewayConfig;
    use padlock_protocol::{DeviceKind, StaticKeypair};
    use rand_core::SeedableRng;

    fn device() -> DeviceInfo {
        DeviceInfo {
            kind: DeviceKind::Zune,
            model: "Zune 30".try_into().unwrap(),
            firmware: "3.3".try_into().unwrap(),
        }
    }

    /// (argon2 verifications, keyed hashes) one sign-in costs, and its answer.
    fn cost(
        gateway: &Gateway,
        email: &str,
        password: &str,
        device_byte: u8,
    ) -> ((u64, u64), Response) {
        let before = (gateway.passwords.verifications(), gateway.keyed.hashes());
        let key = StaticKeypair::from_secret([device_byte; 32]).public();
        let mut rng = ChaCha20Rng::from_seed([0; 32]);
        let response = gateway
            .sign_in(
                email,
                password.as_bytes(),
                false,
                &device(),
                key,
                &[device_byte; 32],
                PasswordHashing::Run,
                &mut rng,
                UnixMillis(0),
            )
            .unwrap()
            .unwrap();
        let after = (gateway.passwords.verifications(), gateway.keyed.hashes());
        ((after.0 - before.0, after.1 - before.1), response)
    }

    #[test]
    fn every_failure_pays_one_argon2_verification_and_the_same_keyed_hashes() {
        let gateway = Gateway::in_memory(GatewayConfig::default().fast_hashing()).unwrap();
        gateway
            .add_account("two@example.com", "Two", "primary", true)
            .unwrap();
        gateway
            .add_account("one@example.com", "One", "primary", false)
            .unwrap();
        let app = gateway
            .create_app_password("two@example.com", "Zune", UnixMillis(0))
            .unwrap();
        let refused = Response::Denied {
            reason: DenyReason::WrongCredentials,
            retry_after_secs: 0,
        };
        // Each case from its own device, so the device counter does not throttle the matrix.
        let failures = [
            ("unknown account", "nobody@example.com", "primary"),
            ("wrong primary", "one@example.com", "wrong"),
            ("right primary, two-step", "two@example.com", "primary"),
            (
                "wrong app password",
                "two@example.com",
                "abcd efgh ijkl mnop",
            ),
        ];
        for (i, (what, email, password)) in (1u8..).zip(failures) {
            let (work, response) = cost(&gateway, email, password, i);
            assert_eq!(response, refused, "{what}");
            assert_eq!(
                work,
                (1, 2),
                "{what}: one argon2id verification, two keyed hashes"
            );
        }
        let (work, response) = cost(&gateway, "two@example.com", &app.formatted, 10);
        assert!(matches!(response, Response::Granted { .. }));
        // A success adds five keyed hashes: its session ticket's MAC, and the four rounds that
        // make the ticket's account id opaque.
        assert_eq!(work, (0, 7), "an app-password success skips argon2");
        let (work, response) = cost(&gateway, "one@example.com", "primary", 11);
        assert!(matches!(response, Response::Granted { .. }));
        assert_eq!(work, (1, 7));
    }

    #[test]
    fn a_throttled_attempt_checks_no_password() {
        let gateway = Gateway::in_memory(GatewayConfig::default().fast_hashing()).unwrap();
        gateway
            .add_account("one@example.com", "One", "primary", false)
            .unwrap();
        for _ in 0..crate::throttle::FREE_FAILURES {
            cost(&gateway, "one@example.com", "wrong", 1);
        }
        let (work, response) = cost(&gateway, "one@example.com", "primary", 1);
        assert!(matches!(
            response,
            Response::Denied {
                reason: DenyReason::Throttled,
                ..
            }
        ));
        assert_eq!(work.0, 0, "no argon2 while throttled");
    }

    /// Message 1 of a primary-password sign-in to `one@example.com` from `device_key`, and the
    /// initiator that reads its reply.
    fn primary_sign_in<'k>(
        gateway: &Gateway,
        device_key: &'k StaticKeypair,
        password: &str,
    ) -> (Vec<u8>, padlock_protocol::session::Initiator<'k>) {
        let mut initiator =
            padlock_protocol::session::Initiator::new(device_key, gateway.public_key());
        let mut wire = [0u8; padlock_protocol::limits::MAX_WIRE_FRAME_LEN];
        let request = padlock_protocol::Request::SignIn {
            account: "one@example.com".try_into().unwrap(),
            password: padlock_protocol::Password::new(password).unwrap(),
            remember: false,
            device: device(),
        };
        let n = initiator
            .write_request(&request, &mut ChaCha20Rng::from_seed([7; 32]), &mut wire)
            .unwrap();
        (wire[2..n].to_vec(), initiator)
    }

    #[test]
    fn a_replayed_granted_sign_in_is_closed_before_any_password_work() {
        let gateway = Gateway::in_memory(GatewayConfig::default().fast_hashing()).unwrap();
        gateway
            .add_account("one@example.com", "One", "primary", false)
            .unwrap();
        let key = StaticKeypair::from_secret([3; 32]);
        let (body, mut initiator) = primary_sign_in(&gateway, &key, "primary");
        let reply = gateway.answer(&body, UnixMillis(0)).unwrap();
        let granted = initiator.read_reply(&reply[2..]).unwrap();
        assert!(matches!(granted, Response::Granted { .. }), "{granted:?}");
        let verified = gateway.passwords.verifications();
        for later in [1, 3_600_000, 30 * 86_400_000] {
            assert_eq!(
                gateway.answer(&body, UnixMillis(later)),
                None,
                "replay closed"
            );
            let staged = gateway.answer_staged(&body, UnixMillis(later), PasswordHashing::Defer);
            assert!(
                matches!(staged, crate::gateway::Staged::Reply(ref r) if r.frame.is_none()),
                "the answer pool closes it too, without asking for a hash: {staged:?}"
            );
        }
        assert_eq!(
            gateway.passwords.verifications(),
            verified,
            "no argon2id for a replay"
        );
    }

    #[test]
    fn a_deferred_password_check_changes_nothing_until_it_runs() {
        let gateway = Gateway::in_memory(GatewayConfig::default().fast_hashing()).unwrap();
        gateway
            .add_account("one@example.com", "One", "primary", false)
            .unwrap();
        let key = StaticKeypair::from_secret([4; 32]);
        // More deferred guesses than the throttle's free failures: none of them counts.
        for _ in 0..=crate::throttle::FREE_FAILURES {
            let (body, _) = primary_sign_in(&gateway, &key, "wrong");
            let staged = gateway.answer_staged(&body, UnixMillis(0), PasswordHashing::Defer);
            assert!(
                matches!(staged, crate::gateway::Staged::NeedsPasswordHash),
                "{staged:?}"
            );
        }
        assert_eq!(gateway.passwords.verifications(), 0);
        let (body, mut initiator) = primary_sign_in(&gateway, &key, "primary");
        let crate::gateway::Staged::Reply(reply) =
            gateway.answer_staged(&body, UnixMillis(0), PasswordHashing::Run)
        else {
            panic!("run: answered");
        };
        assert!(reply.hold_for > 0, "a grant waits for its record");
        assert!(gateway.commit_grants().unwrap() >= reply.hold_for);
        let granted = initiator.read_reply(&reply.frame.unwrap()[2..]).unwrap();
        assert!(
            matches!(granted, Response::Granted { .. }),
            "not throttled by the deferred ones: {granted:?}"
        );
        assert_eq!(gateway.passwords.verifications(), 1);
    }
}
