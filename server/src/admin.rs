//! Administration: what the admin CLI and the simulator's scenario actions do to a gateway.
//!
//! Every method names the account by email (case-insensitively) and fails with
//! [`Error::UnknownAccount`] if there is none. Secrets go in once and never come back out: an
//! app password is returned formatted by [`Gateway::create_app_password`] and then exists only as
//! its keyed hash; listings show names, times and devices.

use padlock_protocol::PublicKey;

use crate::account::{
    check_app_password_name, check_display_name, check_email, check_password, email_key,
};
use crate::app_password;
use crate::error::Error;
use crate::gateway::Gateway;
use crate::hashing::domain;
use crate::store::AccountRecord;
use crate::time::UnixMillis;

/// An account as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// The email address as entered.
    pub email: String,
    /// The display name.
    pub display_name: String,
    /// Whether two-step verification is on.
    pub two_step: bool,
}

/// A freshly made app password: shown to the player once, never stored in clear.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAppPassword {
    /// Its id (for listing and revoking).
    pub id: i64,
    /// The password as the player reads it: `abcd efgh ijkl mnop`.
    pub formatted: String,
}

impl std::fmt::Debug for NewAppPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAppPassword")
            .field("id", &self.id)
            .field("formatted", &"<secret>")
            .finish()
    }
}

impl Drop for NewAppPassword {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.formatted);
    }
}

/// An app password as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPasswordInfo {
    /// Its id.
    pub id: i64,
    /// The player's name for it.
    pub name: String,
    /// When it was made.
    pub created: UnixMillis,
    /// When it last signed in (to the minute: see [`crate::rules`]).
    pub last_used: Option<UnixMillis>,
    /// The device it last signed in from (kind, model, firmware).
    pub last_device: Option<String>,
}

/// A live remember-me token family as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Its id (of the current generation; revoking it revokes the family).
    pub id: i64,
    /// The app password that created it; `None`: the primary password did.
    pub app_password_id: Option<i64>,
    /// The device static key it is bound to.
    pub device_key: PublicKey,
    /// When the current generation was issued (the last sign-in or resume).
    pub issued: UnixMillis,
    /// When it expires unless used.
    pub expires: UnixMillis,
}

impl Gateway {
    fn account_named(&self, email: &str) -> Result<AccountRecord, Error> {
        self.store
            .account(&email_key(email))?
            .ok_or_else(|| Error::UnknownAccount(email.to_owned()))
    }

    /// Adds an account. The email is compared case-insensitively with the existing ones.
    ///
    /// # Errors
    /// [`Error::DuplicateAccount`], [`Error::InvalidInput`] for an email, name or password the
    /// protocol cannot carry.
    pub fn add_account(
        &self,
        email: &str,
        display_name: &str,
        password: &str,
        two_step: bool,
    ) -> Result<(), Error> {
        check_email(email)?;
        check_display_name(display_name)?;
        check_password(password)?;
        let hash = self.passwords.hash(password.as_bytes(), &mut self.rng())?;
        self.store.insert_account(
            email.trim(),
            &email_key(email),
            display_name,
            &hash,
            two_step,
        )?;
        tracing::info!(account = ?email_key(email), two_step, "account added");
        Ok(())
    }

    /// Turns two-step verification on or off. Turning it on revokes the remember-me tokens the
    /// primary password created.
    pub fn set_two_step(&self, email: &str, on: bool) -> Result<(), Error> {
        let account = self.account_named(email)?;
        self.store.set_two_step(account.id, on)?;
        tracing::info!(account = ?email_key(email), two_step = on, "two-step changed");
        Ok(())
    }

    /// Replaces the primary password; the remember-me tokens it created are revoked.
    pub fn set_password(&self, email: &str, password: &str) -> Result<(), Error> {
        check_password(password)?;
        let account = self.account_named(email)?;
        let hash = self.passwords.hash(password.as_bytes(), &mut self.rng())?;
        self.store.set_password_hash(account.id, &hash)?;
        tracing::info!(account = ?email_key(email), "primary password changed");
        Ok(())
    }

    /// Forgets the account's throttling counters (its own and those of every device at it), so
    /// that the owner's new device can sign in at once; returns how many counters there were.
    /// A device that signed in before needs no unlock ([`crate::throttle`]).
    pub fn unlock_account(&self, email: &str) -> Result<usize, Error> {
        let account = self.account_named(email)?;
        let key = email_key(&account.email);
        let hash = self.keyed.hash(domain::ACCOUNT_SUBJECT, &[key.as_bytes()]);
        let cleared = self.throttle.unlock(&*self.store, &hash)?;
        tracing::info!(account = ?key, cleared, "account unlocked");
        Ok(cleared)
    }

    /// How many accounts' primary password hashes were made with other argon2id parameters
    /// than this gateway's (such an account's failures take another time than an unknown
    /// account's; each is re-hashed at its next successful primary-password sign-in).
    pub fn outdated_password_hashes(&self) -> Result<usize, Error> {
        Ok(self
            .store
            .accounts()?
            .iter()
            .filter(|a| self.passwords.is_outdated(&a.password_hash))
            .count())
    }

    /// Every account, ordered by email.
    pub fn accounts(&self) -> Result<Vec<AccountInfo>, Error> {
        Ok(self
            .store
            .accounts()?
            .into_iter()
            .map(|a| AccountInfo {
                email: a.email,
                display_name: a.display_name,
                two_step: a.two_step,
            })
            .collect())
    }

    /// Makes an app password called `name`; its text is in the result and nowhere else.
    pub fn create_app_password(
        &self,
        email: &str,
        name: &str,
        now: UnixMillis,
    ) -> Result<NewAppPassword, Error> {
        check_app_password_name(name)?;
        let account = self.account_named(email)?;
        let letters = app_password::generate(&mut self.rng());
        let hash = self.keyed.hash(domain::APP_PASSWORD, &[letters.as_ref()]);
        let id = self
            .store
            .insert_app_password(account.id, name, &hash, now)?;
        tracing::info!(account = ?email_key(email), id, name, "app password created");
        Ok(NewAppPassword {
            id,
            formatted: app_password::format(&letters),
        })
    }

    /// The account's id (how the web page and its link approvals name it).
    pub fn account_id(&self, email: &str) -> Result<i64, Error> {
        Ok(self.account_named(email)?.id)
    }

    /// The account's app passwords, oldest first.
    pub fn app_passwords(&self, email: &str) -> Result<Vec<AppPasswordInfo>, Error> {
        let account = self.account_named(email)?;
        Ok(self
            .store
            .app_passwords(account.id)?
            .into_iter()
            .map(|a| AppPasswordInfo {
                id: a.id,
                name: a.name,
                created: a.created,
                last_used: a.last_used,
                last_device: a.last_device,
            })
            .collect())
    }

    /// Revokes one app password and the remember-me tokens it created.
    pub fn revoke_app_password(&self, email: &str, id: i64) -> Result<(), Error> {
        let account = self.account_named(email)?;
        if !self.store.revoke_app_password(account.id, id)? {
            return Err(Error::UnknownAppPassword(id));
        }
        tracing::info!(account = ?email_key(email), id, "app password revoked");
        Ok(())
    }

    /// Revokes all the account's app passwords and their tokens; returns how many there were.
    pub fn revoke_all_app_passwords(&self, email: &str) -> Result<usize, Error> {
        let account = self.account_named(email)?;
        let n = self.store.revoke_all_app_passwords(account.id)?;
        tracing::info!(account = ?email_key(email), revoked = n, "all app passwords revoked");
        Ok(n)
    }

    /// The account's live remember-me token families: active and not expired by the system
    /// clock.
    pub fn tokens(&self, email: &str) -> Result<Vec<TokenInfo>, Error> {
        self.tokens_at(email, UnixMillis::now())
    }

    /// The account's remember-me token families live at `now` (active, expiring after `now`).
    pub fn tokens_at(&self, email: &str, now: UnixMillis) -> Result<Vec<TokenInfo>, Error> {
        let account = self.account_named(email)?;
        Ok(self
            .store
            .tokens(account.id, now)?
            .into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                app_password_id: t.app_password_id,
                device_key: t.device_key,
                issued: t.created,
                expires: t.expires,
            })
            .collect())
    }

    /// Revokes the token family whose current generation is `id`.
    pub fn revoke_token(&self, email: &str, id: i64) -> Result<(), Error> {
        let account = self.account_named(email)?;
        let token = self
            .store
            .token_by_id(id)?
            .filter(|t| t.account_id == account.id)
            .ok_or(Error::UnknownToken(id))?;
        self.store.revoke_family(token.family)?;
        tracing::info!(account = ?email_key(email), id, "token revoked");
        Ok(())
    }

    /// Revokes all the account's remember-me tokens; returns how many families were live.
    pub fn revoke_all_tokens(&self, email: &str) -> Result<usize, Error> {
        let account = self.account_named(email)?;
        let n = self.store.revoke_all_tokens(account.id)?;
        tracing::info!(account = ?email_key(email), revoked = n, "all tokens revoked");
        Ok(n)
    }
}
