//! Anti-forgery tokens: every form carries one, every `POST` must bring it back.
//!
//! The token is the keyed hash of the browser's cookie (the session's, or the signed-out
//! forms' `pre` cookie) under its own domain label: another site can make a browser send the
//! cookie, but cannot read it or the page, so it cannot know the token. Nothing is stored; a
//! new session means new tokens. A `POST` with a missing or wrong token is refused with 403
//! before anything else happens. `SameSite=Strict` cookies are a second, independent guard.

use crate::gateway::Gateway;
use crate::hashing::{ct_eq, domain};

use super::sessions::hex;

/// The form field the token travels in.
pub const FIELD: &str = "csrf";

/// The token of forms shown to the browser holding `cookie`.
pub fn token(gateway: &Gateway, cookie: &str) -> String {
    hex(&gateway.keyed.hash(domain::CSRF, &[cookie.as_bytes()]))
}

/// Whether `presented` is the token for `cookie` (constant time).
pub fn check(gateway: &Gateway, cookie: &str, presented: &str) -> bool {
    ct_eq(token(gateway, cookie).as_bytes(), presented.as_bytes())
}
