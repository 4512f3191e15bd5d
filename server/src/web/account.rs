//! What the Security info page does to an account, as methods on the sans-IO [`Gateway`]: the
//! routes ([`super::routes`]) only move these results in and out of HTTP.
//!
//! **Guesses.** Every password or code the page checks is an attempt on the account's
//! throttling subject ([`crate::throttle`]), the same counter the device door uses: one daily
//! cap for the account, whichever door the guesses come through. A throttled attempt is refused
//! before anything is checked.
//!
//! **The second step.** With two-step verification set up here, the password alone does not
//! sign in: a code from the authenticator app ([`super::totp`]; its step is remembered so no
//! code works twice) or one of ten recovery codes (stored as keyed hashes, deleted when spent)
//! must follow. The authenticator secret is sealed with ChaCha20-Poly1305 under a key derived
//! from the gateway's hashing key, bound to its account, so a copy of the database alone shows
//! nothing and a sealed secret moved to another account does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand_core::RngCore;
use zeroize::Zeroizing;

use super::totp;
use crate::account::email_key;
use crate::error::Error;
use crate::gateway::Gateway;
use crate::hashing::{KeyedHash, domain};
use crate::store::AccountRecord;
use crate::store::security::{ActivityKind, SecurityStore};
use crate::throttle::{Admission, Attempt, Claimant, account_subject, retry_after_secs};
use crate::time::UnixMillis;

/// Recovery codes made when two-step verification is turned on.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code (shown as two groups of five): 10 of 31, about 50 bits.
const RECOVERY_LEN: usize = 10;
/// What recovery codes are made of: lowercase letters and digits a reader cannot confuse.
const RECOVERY_ALPHABET: &[u8; 31] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Two-step verification set up without the page ([`Gateway::set_up_authenticator`]).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthenticatorSetup {
    /// The authenticator secret in base32, as an app takes it typed in.
    pub secret: String,
    /// The single-use recovery codes.
    pub recovery_codes: Vec<String>,
}

impl std::fmt::Debug for AuthenticatorSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthenticatorSetup(<secret>)")
    }
}

/// How a check of a password or code went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// Too many failures: nothing was checked; try again in this many seconds.
    Throttled(u32),
    /// Wrong (counted as a failure).
    Refused,
    /// The password was right, and two-step verification wants a code that was not given.
    NeedsCode(i64),
    /// Right: the account's id, and whether a recovery code was spent.
    Passed {
        /// The account.
        account_id: i64,
        /// Whether a recovery code (rather than an authenticator code) passed the second step.
        recovery_used: bool,
    },
}

/// A web sign-in's claimant: the page has no device key, so it is held back by the account's
/// counter, as a stranger's device is (a known device's own allowance is untouched by it), and
/// its success clears that counter.
fn web_claimant(account: [u8; 32]) -> Claimant {
    Claimant {
        account,
        device: None,
        known: false,
    }
}

impl Gateway {
    /// The store's Security info state, or an error if it keeps none.
    pub(crate) fn security(&self) -> Result<&dyn SecurityStore, Error> {
        self.store.security().ok_or_else(|| {
            Error::InvalidInput("this store keeps no state for the Security info page".into())
        })
    }

    /// An attempt on the throttling subject of the account called `email` (existing or not).
    fn web_attempt(&self, email: &str, now: UnixMillis) -> Result<Result<Attempt<'_>, u32>, Error> {
        let key = email_key(email);
        let hash = self.keyed.hash(domain::ACCOUNT_SUBJECT, &[key.as_bytes()]);
        Ok(
            match self
                .throttle
                .admit(&*self.store, &web_claimant(hash), now)?
            {
                Admission::Admitted(attempt) => Ok(attempt),
                Admission::Throttled(wait) => Err(retry_after_secs(wait)),
            },
        )
    }

    /// Failed sign-in attempts (both doors) since the account's last success, as the throttle
    /// counts them.
    pub(crate) fn failed_attempts(&self, account: &AccountRecord) -> Result<u32, Error> {
        let key = email_key(&account.email);
        let hash = self.keyed.hash(domain::ACCOUNT_SUBJECT, &[key.as_bytes()]);
        Ok(self
            .store
            .throttle(&account_subject(&hash))?
            .map_or(0, |r| r.failures))
    }

    /// Checks an email and primary password typed on the page, and, if given, the second step's
    /// code. One argon2id verification whether or not the account exists.
    pub(crate) fn web_sign_in(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
        now: UnixMillis,
    ) -> Result<Checked, Error> {
        let attempt = match self.web_attempt(email, now)? {
            Ok(attempt) => attempt,
            Err(secs) => return Ok(Checked::Throttled(secs)),
        };
        let account = self.store.account(&email_key(email))?;
        let right = self.passwords.verify(
            password.as_bytes(),
            account.as_ref().map(|a| a.password_hash.as_str()),
        );
        let Some(account) = account.filter(|_| right) else {
            attempt.failed(&*self.store, now)?;
            tracing::info!(outcome = "wrong credentials", "web sign-in");
            return Ok(Checked::Refused);
        };
        self.finish_second_step(attempt, &account, code, now)
    }

    /// The second step of a sign-in whose password was right (`account_id`'s).
    pub(crate) fn web_second_step(
        &self,
        account_id: i64,
        code: &str,
        now: UnixMillis,
    ) -> Result<Checked, Error> {
        let account = self
            .store
            .account_by_id(account_id)?
            .ok_or_else(|| Error::UnknownAccount(account_id.to_string()))?;
        let attempt = match self.web_attempt(&account.email, now)? {
            Ok(attempt) => attempt,
            Err(secs) => return Ok(Checked::Throttled(secs)),
        };
        self.finish_second_step(attempt, &account, Some(code), now)
    }

    /// Confirms a signed-in player again before a sensitive change: the primary password and,
    /// with two-step on, a code. Counted like a sign-in.
    pub(crate) fn web_confirm(
        &self,
        account: &AccountRecord,
        password: &str,
        code: Option<&str>,
        now: UnixMillis,
    ) -> Result<Checked, Error> {
        let attempt = match self.web_attempt(&account.email, now)? {
            Ok(attempt) => attempt,
            Err(secs) => return Ok(Checked::Throttled(secs)),
        };
        if !self
            .passwords
            .verify(password.as_bytes(), Some(&account.password_hash))
        {
            attempt.failed(&*self.store, now)?;
            return Ok(Checked::Refused);
        }
        match self.finish_second_step(attempt, account, code, now)? {
            // A confirmation has nowhere to ask for the code later: a missing one is wrong.
            Checked::NeedsCode(_) => Ok(Checked::Refused),
            other => Ok(other),
        }
    }

    /// After a right password: passes if two-step is not set up here, else checks `code`.
    fn finish_second_step(
        &self,
        attempt: Attempt<'_>,
        account: &AccountRecord,
        code: Option<&str>,
        now: UnixMillis,
    ) -> Result<Checked, Error> {
        let security = self.security()?;
        let Some(totp_record) = security.totp(account.id)? else {
            attempt.succeeded(&*self.store)?;
            return Ok(Checked::Passed {
                account_id: account.id,
                recovery_used: false,
            });
        };
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            // Neither a failure nor a success: the code page comes next.
            return Ok(Checked::NeedsCode(account.id));
        };
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let passed = if digits.len() == totp::DIGITS as usize
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            let secret = self.unseal_totp(account.id, &totp_record.sealed)?;
            let step = totp::verify(&secret, &digits, now.0 / 1000, Some(totp_record.last_step));
            // Marking the step used is the check that counts: of two requests racing with the
            // same code, one wins.
            match step {
                Some(step) => security.use_totp_step(account.id, step)?,
                None => false,
            }
            .then_some(false)
        } else {
            let hash = self.recovery_hash(account.id, code);
            let spent = security.use_recovery_code(account.id, &hash)?;
            if spent {
                security.record_activity(account.id, ActivityKind::RecoveryCodeUsed, "", now)?;
            }
            spent.then_some(true)
        };
        match passed {
            Some(recovery_used) => {
                attempt.succeeded(&*self.store)?;
                Ok(Checked::Passed {
                    account_id: account.id,
                    recovery_used,
                })
            }
            None => {
                attempt.failed(&*self.store, now)?;
                tracing::info!(account = ?email_key(&account.email), outcome = "wrong code", "web sign-in");
                Ok(Checked::Refused)
            }
        }
    }

    /// Whether two-step verification is set up on the page for `account_id` (an authenticator
    /// secret is stored).
    pub(crate) fn has_authenticator(&self, account_id: i64) -> Result<bool, Error> {
        Ok(self.security()?.totp(account_id)?.is_some())
    }

    /// A fresh authenticator secret for enrolment, and its sealed form to keep until confirmed.
    pub(crate) fn new_authenticator_secret(
        &self,
        account_id: i64,
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), Error> {
        let mut secret = Zeroizing::new(vec![0u8; totp::SECRET_LEN]);
        self.rng().fill_bytes(&mut secret);
        let sealed = self.seal_totp(account_id, &secret)?;
        Ok((secret, sealed))
    }

    /// Turns two-step verification on with the pending `sealed` secret if `code` is its current
    /// code; returns the recovery codes (shown once). `None`: the code was wrong.
    pub(crate) fn enable_two_step(
        &self,
        account: &AccountRecord,
        sealed: &[u8],
        code: &str,
        now: UnixMillis,
    ) -> Result<Option<Vec<String>>, Error> {
        let secret = self.unseal_totp(account.id, sealed)?;
        let Some(step) = totp::verify(&secret, code, now.0 / 1000, None) else {
            return Ok(None);
        };
        self.install_authenticator(account, sealed, step, now)
            .map(Some)
    }

    /// Stores the sealed authenticator secret with `step` used, makes the recovery codes, turns
    /// two-step on; returns the codes.
    fn install_authenticator(
        &self,
        account: &AccountRecord,
        sealed: &[u8],
        step: u64,
        now: UnixMillis,
    ) -> Result<Vec<String>, Error> {
        let mut rng = self.rng();
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| {
                let mut text = String::with_capacity(RECOVERY_LEN + 1);
                while text.len() < RECOVERY_LEN + 1 {
                    if text.len() == RECOVERY_LEN / 2 {
                        text.push('-');
                    }
                    let mut byte = [0u8; 1];
                    rng.fill_bytes(&mut byte);
                    // Rejection sampling: 248 = 8 * 31, so every character is equally likely.
                    let [b] = byte;
                    if let Some(&c) = RECOVERY_ALPHABET
                        .get(usize::from(b % 31))
                        .filter(|_| b < 248)
                    {
                        text.push(char::from(c));
                    }
                }
                text
            })
            .collect();
        let hashes: Vec<KeyedHash> = codes
            .iter()
            .map(|c| self.recovery_hash(account.id, c))
            .collect();
        let security = self.security()?;
        security.enable_two_step(account.id, sealed, step, &hashes)?;
        security.record_activity(account.id, ActivityKind::TwoStepOn, "", now)?;
        tracing::info!(account = ?email_key(&account.email), "two-step turned on with an authenticator");
        Ok(codes)
    }

    /// Sets up two-step verification with an authenticator for the account `email` without a
    /// player confirming a first code (for demos, such as the simulator's account): returns the
    /// secret (base32, as an authenticator app takes it typed in) and the recovery codes. A
    /// secret set up before is replaced, and so are its recovery codes.
    ///
    /// # Errors
    /// [`Error::UnknownAccount`], or the store's errors.
    pub fn set_up_authenticator(
        &self,
        email: &str,
        now: UnixMillis,
    ) -> Result<AuthenticatorSetup, Error> {
        let account = self
            .store
            .account(&email_key(email))?
            .ok_or_else(|| Error::UnknownAccount(email.to_owned()))?;
        let (secret, sealed) = self.new_authenticator_secret(account.id)?;
        // Nothing used yet: the codes of the current step and either side all work.
        let before = totp::step_at(now.0 / 1000).saturating_sub(totp::SKEW_STEPS + 1);
        let recovery_codes = self.install_authenticator(&account, &sealed, before, now)?;
        Ok(AuthenticatorSetup {
            secret: totp::base32(&secret),
            recovery_codes,
        })
    }

    /// Turns two-step verification off (the caller confirmed password and code).
    pub(crate) fn disable_two_step(
        &self,
        account: &AccountRecord,
        now: UnixMillis,
    ) -> Result<(), Error> {
        let security = self.security()?;
        security.disable_two_step(account.id)?;
        security.record_activity(account.id, ActivityKind::TwoStepOff, "", now)?;
        tracing::info!(account = ?email_key(&account.email), "two-step turned off on the web");
        Ok(())
    }

    /// The keyed hash a recovery code is stored as: dashes, spaces and case do not matter.
    fn recovery_hash(&self, account_id: i64, typed: &str) -> KeyedHash {
        let normal: Zeroizing<String> = Zeroizing::new(
            typed
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| c.to_ascii_lowercase())
                .collect(),
        );
        self.keyed.hash(
            domain::RECOVERY_CODE,
            &[&account_id.to_be_bytes(), normal.as_bytes()],
        )
    }

    fn seal_cipher(&self) -> ChaCha20Poly1305 {
        let key = Zeroizing::new(self.keyed.hash(domain::TOTP_SEAL, &[]));
        ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
    }

    /// `secret` sealed for `account_id`: a random 12-byte nonce, then the ciphertext and tag.
    fn seal_totp(&self, account_id: i64, secret: &[u8]) -> Result<Vec<u8>, Error> {
        let mut nonce = [0u8; 12];
        self.rng().fill_bytes(&mut nonce);
        let aad = account_id.to_be_bytes();
        let sealed = self
            .seal_cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Hashing("cannot seal an authenticator secret".into()))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// Opens what [`Gateway::seal_totp`] sealed for `account_id`.
    pub(crate) fn unseal_totp(
        &self,
        account_id: i64,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let broken = || Error::CorruptDatabase("an authenticator secret does not open".into());
        let (nonce, body) = sealed.split_at_checked(12).ok_or_else(broken)?;
        let aad = account_id.to_be_bytes();
        self.seal_cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| broken())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GatewayConfig;

    #[test]
    fn a_sealed_secret_opens_only_for_its_account_and_unchanged() {
        let gateway = Gateway::in_memory(GatewayConfig::default().fast_hashing()).unwrap();
        let (secret, sealed) = gateway.new_authenticator_secret(7).unwrap();
        assert_eq!(gateway.unseal_totp(7, &sealed).unwrap(), secret);
        assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_slice()));
        assert!(gateway.unseal_totp(8, &sealed).is_err());
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert!(gateway.unseal_totp(7, &flipped).is_err());
        assert!(gateway.unseal_totp(7, &sealed[..5]).is_err());
    }
}
