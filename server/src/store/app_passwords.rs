//! The app passwords role: the named 16-letter passwords of an account, kept as keyed hashes.

use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::time::UnixMillis;

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

/// App passwords. Revoking one revokes the token families it created in the same transaction.
pub trait AppPasswordStore: Send + Sync {
    /// Adds an app password (its keyed hash) and returns its id. Ids are never given out again,
    /// not even after a revocation (a token family names the app password that created it).
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
}
