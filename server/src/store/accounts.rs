//! The accounts role: who can sign in, with which primary password, and whether two-step is on.

use crate::error::Error;

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

/// Accounts. Changing how the primary password signs in revokes the tokens it created in the
/// same transaction, so no remembered device outlives the change.
pub trait AccountStore: Send + Sync {
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
}
