//! Where the gateway keeps its state, behind the [`Store`] trait.
//!
//! The gateway's rules ([`crate::rules`]) speak to the store in the trait's terms only: accounts,
//! app passwords, token generations, throttling counters. [`SqliteStore`] is the embedded
//! implementation (a file, or in memory for the simulator); a PostgreSQL backend for deployments
//! that outgrow one machine implements the same trait.
//!
//! What an implementation must guarantee:
//! - **Atomicity where the rules need it**: [`Store::rotate_token`] supersedes a token, records
//!   what consumed it and inserts its successor in one transaction, or does nothing; revoking an
//!   app password revokes its tokens in the same transaction; a token is inserted only if its
//!   credential still signs in, checked in the inserting statement, so no token outlives a
//!   revocation that raced the sign-in.
//! - **Durability of what was acknowledged**: once a method returns `Ok`, a crash of the process
//!   (or, with the SQLite store's `synchronous = FULL`, of the machine) does not lose the write.
//!   [`Store::remember_granted_sign_in`] may instead keep its claims in memory until
//!   [`Store::commit_granted_sign_ins`] writes them in one batch (group commit: it runs on
//!   every granted sign-in); the gateway sends no `Granted` before its claim is committed.
//! - **No secret in clear**: the store only ever sees keyed hashes and argon2id strings.
//! - **Bounded per device**: a token family keeps its newest [`GENERATIONS_KEPT`] generations
//!   (older ones are deleted by the rotation that makes them older), one device key keeps at most
//!   [`FAMILIES_PER_DEVICE`] families (starting one more deletes the oldest), a used-up token
//!   keeps at most [`ANSWERS_PER_TOKEN`] recorded retries, and
//!   [`Store::forget_tokens_expired_before`] deletes what expired. With the pacing of successes
//!   ([`crate::pace`]) the database grows with the number of active devices, not their traffic.

pub mod copy;
mod migrations;
pub mod security;
mod sqlite;

pub use security::SecurityStore;
pub use sqlite::SqliteStore;

use std::time::Duration;

use padlock_protocol::PublicKey;

use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::time::UnixMillis;

/// The generations a token family keeps: the live one, the one it replaced (a late retry of it
/// gets the live one again, see [`crate::token`]), and one more, whose reuse still revokes the
/// family. That is the reuse horizon: a token three or more rotations old is unknown, and
/// answered `TokenInvalid` without revoking anything.
pub const GENERATIONS_KEPT: usize = 3;

/// The token families one device key keeps (across accounts: a shared console); starting one
/// more deletes the oldest, which signs that family out.
pub const FAMILIES_PER_DEVICE: usize = 8;

/// The retries of one used-up token whose message 1 is recorded ([`Store::record_successor_answer`]);
/// later ones are answered but not recorded (a replay of one, once the successor has been used,
/// then counts as reuse).
pub const ANSWERS_PER_TOKEN: usize = 16;

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// Row id.
    pub id: i64,
    /// The email address as it was entered.
    pub email: String,
    /// The name devices greet the player with.
    pub display_name: String,
    /// The argon2id PHC string of the primary password.
    pub password_hash: String,
    /// Whether two-step verification is on (then only app passwords sign in).
    pub two_step: bool,
}

/// An app password as stored (its keyed hash is never read back out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPasswordRecord {
    /// Row id.
    pub id: i64,
    /// The account it belongs to.
    pub account_id: i64,
    /// The player's name for it ("Xbox 360").
    pub name: String,
    /// When it was made.
    pub created: UnixMillis,
    /// When it last signed in.
    pub last_used: Option<UnixMillis>,
    /// The device it last signed in from.
    pub last_device: Option<String>,
}

/// Where a token generation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// The current generation of its family: a `Resume` with it succeeds.
    Active,
    /// Consumed by a `Resume`; its successor is the family's next generation.
    Superseded,
    /// Revoked (sign-out, reuse, admin, its app password revoked, expiry).
    Revoked,
}

/// One generation of a remember-me token family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Row id.
    pub id: i64,
    /// The family: the id of the generation the sign-in issued. Every `Resume` adds a generation.
    pub family: i64,
    /// The account.
    pub account_id: i64,
    /// The app password that created the family; `None`: the primary password did.
    pub app_password_id: Option<i64>,
    /// The device static key the family is bound to.
    pub device_key: PublicKey,
    /// When this generation was issued.
    pub created: UnixMillis,
    /// When this generation stops being accepted.
    pub expires: UnixMillis,
    /// Where it stands.
    pub state: TokenState,
    /// When a `Resume` consumed it.
    pub superseded_at: Option<UnixMillis>,
    /// Keyed hash of the request frame body (message 1) that consumed it.
    pub consumed_by: Option<KeyedHash>,
    /// The generation that replaced it.
    pub successor: Option<i64>,
}

/// A token generation to insert.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The account.
    pub account_id: i64,
    /// The app password (or `None`: the primary password) behind the family.
    pub app_password_id: Option<i64>,
    /// The device static key.
    pub device_key: PublicKey,
    /// Keyed hash of the token.
    pub hash: KeyedHash,
    /// Issue time.
    pub created: UnixMillis,
    /// Expiry.
    pub expires: UnixMillis,
}

/// Failures counted against one throttling subject (an account or a device key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRecord {
    /// Consecutive failures.
    pub failures: u32,
    /// The last one.
    pub last_failure: UnixMillis,
}

/// A device that signed in to an account ([`Store::device_signed_in`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice {
    /// Its static key.
    pub device_key: PublicKey,
    /// Kind, model and firmware, as it last described itself; `None`: it was known from a token
    /// it was given before devices were recorded with their description, and has not signed in
    /// since.
    pub description: Option<String>,
    /// Its first recorded sign-in to the account.
    pub first_seen: UnixMillis,
    /// Its last recorded sign-in to the account (recorded again only once stale, see
    /// [`Store::device_signed_in`]).
    pub last_seen: UnixMillis,
}

impl KnownDevice {
    /// Whether a sign-in at `now` describing the device as `description` has nothing new to
    /// record: the description is the same, and the last recorded sign-in is less than
    /// `resolution` before `now` (or after it: the clock was set back).
    pub fn seen_within(&self, description: &str, now: UnixMillis, resolution: Duration) -> bool {
        self.description.as_deref() == Some(description) && now.since(self.last_seen) < resolution
    }
}

/// The gateway's persistent state. Implementations are shared between threads.
pub trait Store: Send + Sync {
    /// The account whose normalised email is `email_key`.
    fn account(&self, email_key: &str) -> Result<Option<AccountRecord>, Error>;
    /// The account with row id `id`.
    fn account_by_id(&self, id: i64) -> Result<Option<AccountRecord>, Error>;
    /// Every account, by email.
    fn accounts(&self) -> Result<Vec<AccountRecord>, Error>;
    /// Adds an account; [`Error::DuplicateAccount`] if `email_key` is taken.
    fn insert_account(
        &self,
        email: &str,
        email_key: &str,
        display_name: &str,
        password_hash: &str,
        two_step: bool,
    ) -> Result<i64, Error>;
    /// Turns two-step on or off; turning it on revokes the tokens the primary password created
    /// (it no longer signs in), in the same transaction.
    fn set_two_step(&self, account_id: i64, on: bool) -> Result<(), Error>;
    /// Replaces the primary password's hash and revokes the tokens it created, atomically.
    fn set_password_hash(&self, account_id: i64, password_hash: &str) -> Result<(), Error>;
    /// Replaces the primary password's hash `old` by `new`, a hash of the same password with
    /// other parameters (its tokens stay); `false` (nothing changed) if the hash is no longer
    /// `old`.
    fn rehash_password(&self, account_id: i64, old: &str, new: &str) -> Result<bool, Error>;

    /// Adds an app password (its keyed hash) and returns its id.
    fn insert_app_password(
        &self,
        account_id: i64,
        name: &str,
        hash: &KeyedHash,
        now: UnixMillis,
    ) -> Result<i64, Error>;
    /// The account's app password with keyed hash `hash`, and that stored hash (for the caller's
    /// constant-time confirmation).
    fn app_password_by_hash(
        &self,
        account_id: i64,
        hash: &KeyedHash,
    ) -> Result<Option<(AppPasswordRecord, KeyedHash)>, Error>;
    /// Records a use of an app password.
    fn touch_app_password(&self, id: i64, now: UnixMillis, device: &str) -> Result<(), Error>;
    /// The account's app passwords, oldest first.
    fn app_passwords(&self, account_id: i64) -> Result<Vec<AppPasswordRecord>, Error>;
    /// Deletes one app password and revokes its tokens, atomically. `false`: no such password.
    fn revoke_app_password(&self, account_id: i64, id: i64) -> Result<bool, Error>;
    /// Deletes all the account's app passwords and revokes their tokens, atomically; returns
    /// how many app passwords there were.
    fn revoke_all_app_passwords(&self, account_id: i64) -> Result<usize, Error>;

    /// Starts a token family, if the credential behind it still signs in, checked in the same
    /// transaction: its app password still exists or, for the primary password, the account
    /// still has two-step off and `password_hash` (the hash the sign-in verified). Returns the
    /// token's id (which is also the family's); `None` (nothing written) if the credential is
    /// gone. In the same transaction, the device key's families beyond the newest
    /// [`FAMILIES_PER_DEVICE`] are deleted.
    fn insert_token(&self, token: &NewToken, password_hash: &str) -> Result<Option<i64>, Error>;
    /// The token generation whose keyed hash is `hash`.
    fn token_by_hash(&self, hash: &KeyedHash) -> Result<Option<TokenRecord>, Error>;
    /// In one transaction: marks the active generation `old` superseded at `successor.created`
    /// by the request whose body hashes to `consumed_by`, and inserts `successor` in its family.
    /// `None` (and no change) if `old` was no longer active. If the credential behind the family
    /// no longer signs in (its app password is gone, or the primary password's account has
    /// two-step on), the family is revoked instead and the result is `None`. In the same
    /// transaction, the family's generations beyond the newest [`GENERATIONS_KEPT`] are deleted.
    fn rotate_token(
        &self,
        old: i64,
        consumed_by: &KeyedHash,
        successor: &NewToken,
    ) -> Result<Option<i64>, Error>;
    /// Records that the request whose body hashes to `message_1` was answered with the successor
    /// of the used-up generation `token_id` (a late retry), so that a replay of it is recognised
    /// as one later. Records at most [`ANSWERS_PER_TOKEN`] per token.
    fn record_successor_answer(&self, token_id: i64, message_1: &KeyedHash) -> Result<(), Error>;
    /// Whether the request whose body hashes to `message_1` was answered with the successor of
    /// `token_id` (by [`Store::rotate_token`] or [`Store::record_successor_answer`]).
    fn answered_with_successor(&self, token_id: i64, message_1: &KeyedHash) -> Result<bool, Error>;
    /// The token generation with row id `id`.
    fn token_by_id(&self, id: i64) -> Result<Option<TokenRecord>, Error>;
    /// Revokes every generation of a family; returns how many were still active.
    fn revoke_family(&self, family: i64) -> Result<usize, Error>;
    /// The account's active, unexpired tokens (one per family).
    fn tokens(&self, account_id: i64, now: UnixMillis) -> Result<Vec<TokenRecord>, Error>;
    /// Revokes every token of the account; returns how many families were active.
    fn revoke_all_tokens(&self, account_id: i64) -> Result<usize, Error>;
    /// Deletes the token generations (of any state) that expired before `cutoff`, and what was
    /// recorded about them; returns how many.
    fn forget_tokens_expired_before(&self, cutoff: UnixMillis) -> Result<usize, Error>;

    /// Remembers that the `SignIn` whose body hashes to `message_1` was granted at `now`.
    /// `false`: it was already remembered (the request is a replay) and nothing changed.
    fn remember_granted_sign_in(
        &self,
        message_1: &KeyedHash,
        now: UnixMillis,
    ) -> Result<bool, Error>;
    /// Whether the `SignIn` whose body hashes to `message_1` was granted and is remembered: a
    /// read, made before any password work so that a replay costs no argon2id. The default
    /// answers `false`, leaving the replay to [`Store::remember_granted_sign_in`], after the
    /// password check.
    fn granted_sign_in_known(&self, message_1: &KeyedHash) -> Result<bool, Error> {
        let _ = message_1;
        Ok(false)
    }
    /// How many granted sign-ins this store has remembered since it was opened: the sequence
    /// number of the latest claim. The default, 0, is for stores whose
    /// [`Store::remember_granted_sign_in`] is durable when it returns.
    fn granted_sign_ins_claimed(&self) -> u64 {
        0
    }
    /// Makes every claim remembered so far durable (one batch, one sync) and returns how many
    /// claims since the store was opened are durable: a claim numbered at most that may be
    /// answered. Several callers at once share one batch.
    fn commit_granted_sign_ins(&self) -> Result<u64, Error> {
        Ok(self.granted_sign_ins_claimed())
    }
    /// Forgets the granted sign-ins remembered before `cutoff`; returns how many.
    fn forget_granted_sign_ins_before(&self, cutoff: UnixMillis) -> Result<usize, Error>;

    /// The failure counters of a throttling subject ([`crate::throttle`]).
    fn throttle(&self, subject: &[u8]) -> Result<Option<ThrottleRecord>, Error>;
    /// Adds one failure at `now` to each of `subjects`, in one transaction (one disk sync). A
    /// counter whose last failure is before `forget_before` starts again from this one.
    fn record_failure(
        &self,
        subjects: &[&[u8]],
        now: UnixMillis,
        forget_before: UnixMillis,
    ) -> Result<(), Error>;
    /// Moves the last failure of `subject` back to `now` if it is later (the clock was set
    /// back): from then on its delay runs from `now`.
    fn rebase_throttle(&self, subject: &[u8], now: UnixMillis) -> Result<(), Error>;
    /// Forgets the counters of `subject` (after a success).
    fn clear_throttle(&self, subject: &[u8]) -> Result<(), Error>;
    /// Forgets every subject whose last failure is before `cutoff`; returns how many.
    fn forget_throttle_before(&self, cutoff: UnixMillis) -> Result<usize, Error>;
    /// Forgets every subject that starts with `prefix` (an administrator's unlock); returns how
    /// many.
    fn clear_throttle_prefix(&self, prefix: &[u8]) -> Result<usize, Error>;

    /// The device `device_key` as known to the account, if it is (it signed in and was not
    /// forgotten since, see [`crate::throttle`]).
    fn known_device(
        &self,
        account_id: i64,
        device_key: &PublicKey,
    ) -> Result<Option<KnownDevice>, Error>;
    /// Every device known to the account.
    fn known_devices(&self, account_id: i64) -> Result<Vec<KnownDevice>, Error>;
    /// Records that `device_key`, describing itself as `description`, signed in to the account
    /// at `now`: it becomes (or stays) known to the account, with that description, first seen
    /// now if it was not known, last seen at the later of `now` and its last sighting. Nothing
    /// is written if it was known with the same description and last seen less than
    /// `resolution` before `now` ([`KnownDevice::seen_within`]: a device signing in again and
    /// again costs no write), checked in the writing statement. What is written is one
    /// transaction: a store that keeps the Security info page's state ([`Store::security`])
    /// adds the sign-in to the account's activity ([`security::ActivityKind::DeviceSignIn`])
    /// in it.
    fn device_signed_in(
        &self,
        account_id: i64,
        device_key: &PublicKey,
        description: &str,
        now: UnixMillis,
        resolution: Duration,
    ) -> Result<(), Error>;
    /// Forgets the known devices last seen before `cutoff` that hold no live remember-me token
    /// for the account; returns how many.
    fn forget_known_devices_before(&self, cutoff: UnixMillis) -> Result<usize, Error>;

    /// The Security info page's state ([`SecurityStore`]), if this store keeps it. Default:
    /// `None` (a store for the device door only; `serve --web` refuses to start on it).
    fn security(&self) -> Option<&dyn SecurityStore> {
        None
    }
}
