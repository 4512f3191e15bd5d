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
//!   [`Store::remember_granted_sign_in`] may trade that for speed (it runs on every granted
//!   sign-in) and lose the last few claims in a crash; losing one only lets that sign-in be
//!   replayed once more.
//! - **No secret in clear**: the store only ever sees keyed hashes and argon2id strings.

mod migrations;
pub mod security;
mod sqlite;

pub use security::SecurityStore;
pub use sqlite::SqliteStore;

use padlock_protocol::PublicKey;

use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::time::UnixMillis;

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
    /// gone.
    fn insert_token(&self, token: &NewToken, password_hash: &str) -> Result<Option<i64>, Error>;
    /// The token generation whose keyed hash is `hash`.
    fn token_by_hash(&self, hash: &KeyedHash) -> Result<Option<TokenRecord>, Error>;
    /// In one transaction: marks the active generation `old` superseded at `successor.created`
    /// by the request whose body hashes to `consumed_by`, and inserts `successor` in its family.
    /// `None` (and no change) if `old` was no longer active. If the credential behind the family
    /// no longer signs in (its app password is gone, or the primary password's account has
    /// two-step on), the family is revoked instead and the result is `None`.
    fn rotate_token(
        &self,
        old: i64,
        consumed_by: &KeyedHash,
        successor: &NewToken,
    ) -> Result<Option<i64>, Error>;
    /// Records that the request whose body hashes to `message_1` was answered with the successor
    /// of the used-up generation `token_id` (a retry in the grace window), so that a replay of
    /// it is recognised as one later.
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

    /// Remembers that the `SignIn` whose body hashes to `message_1` was granted at `now`.
    /// `false`: it was already remembered (the request is a replay) and nothing changed.
    fn remember_granted_sign_in(
        &self,
        message_1: &KeyedHash,
        now: UnixMillis,
    ) -> Result<bool, Error>;
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
    /// Forgets the counters of `subject` (after a success).
    fn clear_throttle(&self, subject: &[u8]) -> Result<(), Error>;
    /// Forgets every subject whose last failure is before `cutoff`; returns how many.
    fn forget_throttle_before(&self, cutoff: UnixMillis) -> Result<usize, Error>;

    /// The Security info page's state ([`SecurityStore`]), if this store keeps it. Default:
    /// `None` (a store for the device door only; `serve --web` refuses to start on it).
    fn security(&self) -> Option<&dyn SecurityStore> {
        None
    }
}
