//! What the Security info page keeps beside the device door's state ([`crate::web`]): web
//! sessions, the authenticator secret and recovery codes of two-step verification, and the
//! account's recent activity. (The devices it lists are the device door's known devices,
//! [`DeviceStore::known_devices`](super::DeviceStore::known_devices), whose sign-ins
//! [`DeviceStore::device_signed_in`](super::DeviceStore::device_signed_in) adds to the activity.)
//!
//! A separate role trait, so a store that only answers devices need not keep any of it: the
//! web door asks [`Store::security`](super::Store::security) and refuses to start without one.
//! As everywhere in the store, no secret is kept in clear: sessions and recovery codes are
//! keyed hashes, the authenticator secret is sealed (encrypted and authenticated) under a key
//! derived from the gateway's hashing key.

use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::time::UnixMillis;

/// How many lines of activity an account keeps; adding one more deletes the oldest.
pub const ACTIVITY_KEPT: usize = 200;

/// How far a web session got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// The password was right; the second step (a code) is still to come.
    AwaitingCode,
    /// Signed in.
    SignedIn,
}

/// A web session as stored (under the keyed hash of its cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSessionRecord {
    /// The account.
    pub account_id: i64,
    /// How far it got.
    pub stage: SessionStage,
    /// When it began (absolute expiry counts from here).
    pub created: UnixMillis,
    /// Its last request (idle expiry counts from here).
    pub last_seen: UnixMillis,
    /// When the player last proved who they are (password, and code with two-step on).
    pub last_auth: UnixMillis,
    /// An authenticator secret shown for enrolment and not yet confirmed, sealed.
    pub pending_totp: Option<Vec<u8>>,
}

/// Two-step verification's authenticator secret as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpRecord {
    /// The secret, sealed.
    pub sealed: Vec<u8>,
    /// The last step a code was accepted for (codes of it and before are refused).
    pub last_step: u64,
}

/// What happened on an account, for its recent-activity list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    /// Signed in on the web page.
    WebSignIn,
    /// Signed in on a device (the detail names it).
    DeviceSignIn,
    /// An app password was created (the detail is its name).
    AppPasswordCreated,
    /// An app password was revoked (its name).
    AppPasswordRevoked,
    /// Every app password was revoked.
    AllAppPasswordsRevoked,
    /// A remembered device was signed out (the detail names it).
    DeviceSignedOut,
    /// Every remembered device was signed out.
    AllDevicesSignedOut,
    /// Two-step verification turned on.
    TwoStepOn,
    /// Two-step verification turned off.
    TwoStepOff,
    /// The primary password changed.
    PasswordChanged,
    /// A recovery code was spent on the web sign-in.
    RecoveryCodeUsed,
}

impl ActivityKind {
    /// Every kind, in the order of their stored numbers.
    pub const ALL: [ActivityKind; 11] = [
        Self::WebSignIn,
        Self::DeviceSignIn,
        Self::AppPasswordCreated,
        Self::AppPasswordRevoked,
        Self::AllAppPasswordsRevoked,
        Self::DeviceSignedOut,
        Self::AllDevicesSignedOut,
        Self::TwoStepOn,
        Self::TwoStepOff,
        Self::PasswordChanged,
        Self::RecoveryCodeUsed,
    ];

    /// The number it is stored as.
    pub fn code(self) -> i64 {
        Self::ALL
            .iter()
            .position(|k| *k == self)
            .and_then(|i| i64::try_from(i).ok())
            .unwrap_or(-1)
    }

    /// The kind stored as `code`.
    pub fn from_code(code: i64) -> Option<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }
}

/// One line of recent activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    /// When.
    pub at: UnixMillis,
    /// What.
    pub kind: ActivityKind,
    /// Which (a device, an app password's name), or empty.
    pub detail: String,
}

/// The Security info page's state.
pub trait SecurityStore: Send + Sync {
    /// Starts a session under the keyed hash of its cookie.
    fn insert_session(&self, hash: &KeyedHash, session: &WebSessionRecord) -> Result<(), Error>;
    /// The session under `hash`.
    fn session(&self, hash: &KeyedHash) -> Result<Option<WebSessionRecord>, Error>;
    /// Records a request of the session (idle expiry starts again).
    fn touch_session(&self, hash: &KeyedHash, now: UnixMillis) -> Result<(), Error>;
    /// Records that the player proved who they are again.
    fn reauthenticated(&self, hash: &KeyedHash, now: UnixMillis) -> Result<(), Error>;
    /// Keeps (or with `None`, drops) an authenticator secret awaiting confirmation.
    fn set_pending_totp(&self, hash: &KeyedHash, sealed: Option<&[u8]>) -> Result<(), Error>;
    /// Ends one session.
    fn delete_session(&self, hash: &KeyedHash) -> Result<(), Error>;
    /// Deletes sessions idle since before `idle_cutoff` or begun before `absolute_cutoff`.
    fn forget_sessions_before(
        &self,
        idle_cutoff: UnixMillis,
        absolute_cutoff: UnixMillis,
    ) -> Result<usize, Error>;

    /// The account's authenticator secret, if two-step verification was set up on the page.
    fn totp(&self, account_id: i64) -> Result<Option<TotpRecord>, Error>;
    /// Marks `step` used if it is later than the last used one; `false`: it was not (a reuse).
    fn use_totp_step(&self, account_id: i64, step: u64) -> Result<bool, Error>;
    /// In one transaction: stores the secret (with `step` already used: the confirming code)
    /// and the recovery codes' keyed hashes, turns two-step on and revokes the primary
    /// password's remembered tokens.
    fn enable_two_step(
        &self,
        account_id: i64,
        sealed: &[u8],
        step: u64,
        recovery: &[KeyedHash],
    ) -> Result<(), Error>;
    /// In one transaction: forgets the secret and the recovery codes and turns two-step off.
    fn disable_two_step(&self, account_id: i64) -> Result<(), Error>;
    /// Spends the recovery code with keyed hash `hash`; `false`: there is none (or it was spent).
    fn use_recovery_code(&self, account_id: i64, hash: &KeyedHash) -> Result<bool, Error>;
    /// How many unspent recovery codes the account has.
    fn recovery_codes_left(&self, account_id: i64) -> Result<usize, Error>;

    /// In one transaction: the new password hash, the old one's remembered tokens revoked, and
    /// every web session of the account but `keep` ended.
    fn change_password(
        &self,
        account_id: i64,
        password_hash: &str,
        keep: &KeyedHash,
    ) -> Result<(), Error>;

    /// Adds a line of activity (and deletes the account's lines beyond the newest
    /// [`ACTIVITY_KEPT`], in the same transaction).
    fn record_activity(
        &self,
        account_id: i64,
        kind: ActivityKind,
        detail: &str,
        now: UnixMillis,
    ) -> Result<(), Error>;
    /// The account's `limit` latest lines of activity, newest first.
    fn activity(&self, account_id: i64, limit: usize) -> Result<Vec<ActivityRecord>, Error>;
}
