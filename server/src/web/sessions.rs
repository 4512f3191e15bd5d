//! Web sessions: who a request is.
//!
//! A session is a random 256-bit id in a cookie (`HttpOnly`, `SameSite=Strict`, `Path=/`, and
//! `Secure` when the page is served over https). The store keeps only its keyed hash, so a copy
//! of the database cannot be turned into a signed-in browser. A session ends when idle for
//! [`super::WebConfig::session_idle`] or older than [`super::WebConfig::session_lifetime`],
//! whichever comes first, and at sign-out. Signing in always starts a new session with a new
//! id (the half-way session of a password awaiting its code is deleted), so an id planted in a
//! browser before sign-in is worth nothing after it.
//!
//! Signed-out forms (sign-in) have a session too in spirit: a random `pre` cookie that only
//! exists to tie their anti-forgery token ([`super::csrf`]) to this browser.

use rand_core::RngCore;

use crate::error::Error;
use crate::gateway::Gateway;
use crate::hashing::{KeyedHash, domain};
use crate::store::security::{SessionStage, WebSessionRecord};
use crate::time::UnixMillis;

use super::WebConfig;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "padlock_session";
/// The signed-out forms' cookie's name.
pub const PRE_COOKIE: &str = "padlock_pre";
/// The language cookie's name.
pub const LANG_COOKIE: &str = "lang";
/// The cookie that keeps a phone link code while the player signs in first.
pub const LINK_COOKIE: &str = "padlock_link";

/// A session found for a request.
#[derive(Debug, Clone)]
pub struct Session {
    /// The cookie's value (for the forms' anti-forgery tokens).
    pub cookie: String,
    /// The keyed hash it is stored under.
    pub hash: KeyedHash,
    /// What the store knows of it.
    pub record: WebSessionRecord,
}

/// A fresh random cookie value: 256 bits in hex.
pub fn random_cookie(gateway: &Gateway) -> String {
    let mut id = [0u8; 32];
    gateway.rng().fill_bytes(&mut id);
    hex(&id)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `Set-Cookie` for `name=value`, ending with the session after `max_age_secs` (0: now).
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}")
}

impl Gateway {
    fn session_hash(&self, cookie: &str) -> KeyedHash {
        self.keyed.hash(domain::WEB_SESSION, &[cookie.as_bytes()])
    }

    /// Starts a session for `account_id` at `stage`; returns its cookie value. Ends `replaced`
    /// (the session the browser had, if any) and forgets expired sessions.
    pub(crate) fn start_web_session(
        &self,
        account_id: i64,
        stage: SessionStage,
        replaced: Option<&Session>,
        config: &WebConfig,
        now: UnixMillis,
    ) -> Result<String, Error> {
        let security = self.security()?;
        if let Some(old) = replaced {
            security.delete_session(&old.hash)?;
        }
        security.forget_sessions_before(
            now.minus(config.session_idle),
            now.minus(config.session_lifetime),
        )?;
        let cookie = random_cookie(self);
        security.insert_session(
            &self.session_hash(&cookie),
            &WebSessionRecord {
                account_id,
                stage,
                created: now,
                last_seen: now,
                last_auth: now,
                pending_totp: None,
            },
        )?;
        Ok(cookie)
    }

    /// The live session whose cookie is `cookie`, with its idle time started again; `None` if
    /// there is none or it expired (then it is deleted).
    pub(crate) fn web_session(
        &self,
        cookie: &str,
        config: &WebConfig,
        now: UnixMillis,
    ) -> Result<Option<Session>, Error> {
        // Only what this gateway hands out is looked up.
        if cookie.len() != 64 || !cookie.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let security = self.security()?;
        let hash = self.session_hash(cookie);
        let Some(record) = security.session(&hash)? else {
            return Ok(None);
        };
        let idle_limit = match record.stage {
            SessionStage::SignedIn => config.session_idle,
            // A password awaiting its code is good for a few minutes only.
            SessionStage::AwaitingCode => config.reauth_after,
        };
        if now.since(record.last_seen) >= idle_limit
            || now.since(record.created) >= config.session_lifetime
        {
            security.delete_session(&hash)?;
            return Ok(None);
        }
        security.touch_session(&hash, now)?;
        Ok(Some(Session {
            cookie: cookie.to_owned(),
            hash,
            record,
        }))
    }

    /// Ends a session.
    pub(crate) fn end_web_session(&self, session: &Session) -> Result<(), Error> {
        self.security()?.delete_session(&session.hash)
    }
}
