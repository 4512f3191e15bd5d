//! Remember-me tokens: signing in again without a password, safely.
//!
//! - **Issued** only when a `SignIn` asks (`remember = true`): 32 random bytes. The store keeps
//!   only the token's keyed hash, the device static key it is bound to (from the Noise
//!   handshake), and the credential that created it (an app password, or the primary password).
//! - **Expiry**: [`GatewayConfig::token_lifetime`](crate::GatewayConfig) (90 days) after it was
//!   issued; every `Resume` issues a successor with a fresh period, so a device in use never
//!   expires (sliding expiry).
//! - **Rotation**: `Resume` uses the token up and answers with its successor, in one store
//!   transaction that also records which message 1 consumed it. Each chain of successors is a
//!   *family*.
//! - **Reuse detection**: a used-up token presented again means two parties hold the family (a
//!   copied token), so the whole family is revoked, except:
//!   (a) **a late retry**: the used-up token from its own device key while its successor has not
//!   been used yet (not rotated, not expired, not revoked) gets that same successor again, however
//!   late: the device lost the reply (an on-path delay, a reboot) and still holds the only token
//!   it has. Until the successor is first used nobody can have moved the family on, so there is
//!   no reuse to detect; and
//!   (b) **an exact replay** of a message 1 that was answered with the successor (the one that
//!   consumed the token, or a retry (a)): while the successor is unused it gets it again, as (a);
//!   after that it is `TokenInvalid` and revokes nothing (an attacker replaying recorded bytes
//!   cannot read the answer and must not be able to revoke anything).
//!
//!   Once the successor has been used, the used-up token from a new message 1 is reuse, also
//!   seconds later. The successor is never stored: it is derived,
//!   `HMAC(hashing key, "successor" || token)`, so only someone presenting the consumed token can
//!   make the gateway re-send it.
//! - **Device binding** comes first: a token presented from another device key is `TokenInvalid`
//!   and revokes nothing, whatever its state (the device key is authenticated by Noise; a
//!   stranger holding a copied token cannot use it, and must not be able to sign the owner out).
//!   `SignOut` is bound the same way: from another device key it is answered `SignedOut` (it
//!   says nothing about the token) and revokes nothing.
//! - **After revocation** (sign-out, reuse, an administrator), every generation of the family
//!   answers `TokenInvalid`, an exact replay included, and nothing changes.
//! - **Revocation**: `SignOut` revokes the presented token's family; revoking an app password
//!   revokes the families it created; changing the primary password or turning two-step on
//!   revokes the families the primary password created. A family is only started, and only
//!   rotated, while its credential still signs in (checked in the store's writing transaction),
//!   so a sign-in racing a revocation cannot leave a token behind.

use padlock_protocol::{DenyReason, PublicKey, RememberToken, Response};
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

use crate::error::Error;
use crate::gateway::Gateway;
use crate::hashing::{KeyedHash, ct_eq, domain};
use crate::pace;
use crate::rules::{Credential, throttled};
use crate::store::{AccountRecord, NewToken, TokenRecord, TokenState};
use crate::time::UnixMillis;

const TOKEN_INVALID: Response = Response::Denied {
    reason: DenyReason::TokenInvalid,
    retry_after_secs: 0,
};

impl Gateway {
    /// Starts a token family for `account` on `device_key`. `None`: the credential stopped
    /// signing in since it was checked (revoked, changed, two-step turned on), and no token
    /// exists.
    pub(crate) fn issue_token(
        &self,
        account: &AccountRecord,
        credential: Credential,
        device_key: PublicKey,
        rng: &mut ChaCha20Rng,
        now: UnixMillis,
    ) -> Result<Option<RememberToken>, Error> {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        let token = RememberToken::from_bytes(bytes);
        let new = NewToken {
            account_id: account.id,
            app_password_id: match credential {
                Credential::AppPassword(id) => Some(id),
                Credential::Primary => None,
            },
            device_key,
            hash: self.token_hash(&token),
            created: now,
            expires: now.plus(self.config.token_lifetime),
        };
        let inserted = self.store.insert_token(&new, &account.password_hash)?;
        Ok(inserted.map(|_| token))
    }

    pub(crate) fn token_hash(&self, token: &RememberToken) -> KeyedHash {
        self.keyed.hash(domain::TOKEN, &[token.as_bytes()])
    }

    fn successor_of(&self, token: &RememberToken) -> RememberToken {
        RememberToken::from_bytes(self.keyed.hash(domain::SUCCESSOR, &[token.as_bytes()]))
    }

    /// Answers a `Resume`.
    pub(crate) fn resume(
        &self,
        token: &RememberToken,
        device_key: PublicKey,
        message_1: &KeyedHash,
        now: UnixMillis,
    ) -> Result<Response, Error> {
        if let Some(wait) = self
            .pacer
            .wait(&*self.store, pace::Kind::Resume, &device_key.0, now)?
        {
            tracing::info!(outcome = "paced", "resume");
            return Ok(throttled(wait));
        }
        let Some(record) = self.store.token_by_hash(&self.token_hash(token))? else {
            tracing::info!(outcome = "unknown token", "resume");
            return Ok(TOKEN_INVALID);
        };
        let Some(account) = self.store.account_by_id(record.account_id)? else {
            return Ok(TOKEN_INVALID);
        };
        let email = account.email.as_str();
        if !ct_eq(&record.device_key.0, &device_key.0) {
            tracing::warn!(
                account = ?email,
                outcome = "token from another device",
                "resume"
            );
            return Ok(TOKEN_INVALID);
        }
        match record.state {
            TokenState::Revoked => {
                tracing::info!(account = ?email, outcome = "revoked token", "resume");
                Ok(TOKEN_INVALID)
            }
            TokenState::Active if now >= record.expires => {
                self.store.revoke_family(record.family)?;
                tracing::info!(account = ?email, outcome = "expired token", "resume");
                Ok(TOKEN_INVALID)
            }
            TokenState::Active => {
                let successor = self.successor_of(token);
                let next = NewToken {
                    account_id: record.account_id,
                    app_password_id: record.app_password_id,
                    device_key,
                    hash: self.token_hash(&successor),
                    created: now,
                    expires: now.plus(self.config.token_lifetime),
                };
                match self.store.rotate_token(record.id, message_1, &next)? {
                    Some(_) => {
                        tracing::info!(account = ?email, outcome = "granted", "resume");
                        self.pacer
                            .spend(&*self.store, pace::Kind::Resume, &device_key.0, now)?;
                        Ok(self.granted(&account, Some(successor), &device_key, now))
                    }
                    // Another thread rotated it between our read and our write: answer as the
                    // retry it is.
                    None => match self.store.token_by_id(record.id)? {
                        Some(now_record) => {
                            self.resume_used_up(token, &now_record, &account, message_1, now)
                        }
                        None => Ok(TOKEN_INVALID),
                    },
                }
            }
            TokenState::Superseded => self.resume_used_up(token, &record, &account, message_1, now),
        }
    }

    /// A `Resume` with a token a `Resume` already consumed: a lost reply, a replay, or reuse.
    fn resume_used_up(
        &self,
        token: &RememberToken,
        record: &TokenRecord,
        account: &AccountRecord,
        message_1: &KeyedHash,
        now: UnixMillis,
    ) -> Result<Response, Error> {
        let email = account.email.as_str();
        if record.state == TokenState::Revoked {
            return Ok(TOKEN_INVALID);
        }
        let replay = self.store.answered_with_successor(record.id, message_1)?;
        let successor_unused = match record.successor {
            Some(id) => self
                .store
                .token_by_id(id)?
                .is_some_and(|next| next.state == TokenState::Active && now < next.expires),
            None => false,
        };
        if successor_unused {
            if !replay {
                // Its replay, later, must be recognised as one too.
                self.store.record_successor_answer(record.id, message_1)?;
            }
            tracing::info!(account = ?email, outcome = "granted again", replay, "resume");
            self.pacer
                .spend(&*self.store, pace::Kind::Resume, &record.device_key.0, now)?;
            let successor = self.successor_of(token);
            return Ok(self.granted(account, Some(successor), &record.device_key, now));
        }
        if replay {
            // Recorded bytes played back: the sender cannot read the answer; revoke nothing.
            tracing::info!(account = ?email, outcome = "stale replay", "resume");
            return Ok(TOKEN_INVALID);
        }
        let revoked = self.store.revoke_family(record.family)?;
        tracing::warn!(
            account = ?email,
            outcome = "token reused, family revoked",
            revoked,
            "resume"
        );
        Ok(TOKEN_INVALID)
    }

    /// Answers a `SignOut`: revokes the token's family if the token is this device's.
    pub(crate) fn sign_out(
        &self,
        token: &RememberToken,
        device_key: PublicKey,
    ) -> Result<Response, Error> {
        if let Some(record) = self.store.token_by_hash(&self.token_hash(token))? {
            if ct_eq(&record.device_key.0, &device_key.0) {
                self.store.revoke_family(record.family)?;
                tracing::info!(
                    account_id = record.account_id,
                    outcome = "signed out",
                    "sign-out"
                );
            } else {
                tracing::warn!(
                    account_id = record.account_id,
                    outcome = "token from another device",
                    "sign-out"
                );
            }
        }
        Ok(Response::SignedOut)
    }
}
