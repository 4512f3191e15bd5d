//! The tokens role: remember-me token families, their rotation, and the successor answers that
//! let a late retry get the same successor again ([`crate::token`] holds the rules).

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

/// The retries of one used-up token whose message 1 is recorded
/// ([`TokenStore::record_successor_answer`]); later ones are answered but not recorded (a replay
/// of one, once the successor has been used, then counts as reuse).
pub const ANSWERS_PER_TOKEN: usize = 16;

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

impl TokenState {
    /// Its code in the `tokens.state` column of every store: one numbering, so that
    /// `store copy` can move the column between backends as it is.
    pub const fn code(self) -> i64 {
        match self {
            TokenState::Active => 0,
            TokenState::Superseded => 1,
            TokenState::Revoked => 2,
        }
    }

    /// The state a stored code stands for; an unknown code counts as revoked (fails closed).
    pub const fn from_code(code: i64) -> Self {
        match code {
            0 => TokenState::Active,
            1 => TokenState::Superseded,
            _ => TokenState::Revoked,
        }
    }
}

/// [`TokenState::Active`]'s code, for SQL text.
pub(crate) const STATE_ACTIVE: i64 = TokenState::Active.code();
/// [`TokenState::Superseded`]'s code, for SQL text.
pub(crate) const STATE_SUPERSEDED: i64 = TokenState::Superseded.code();
/// [`TokenState::Revoked`]'s code, for SQL text.
pub(crate) const STATE_REVOKED: i64 = TokenState::Revoked.code();

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

/// Remember-me tokens: families of generations, each rotated once.
pub trait TokenStore: Send + Sync {
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
    /// `token_id` (by [`TokenStore::rotate_token`] or [`TokenStore::record_successor_answer`]).
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
}
