//! Accounts: who can sign in, and with what.
//!
//! An account is an email address (compared case-insensitively: it is stored as entered and
//! looked up by its lowercased form), a display name the device greets the player with, a
//! primary password kept only as an argon2id hash, and the two-step flag. With two-step off the
//! primary password signs in; with it on only app passwords do (see [`crate::rules`]).

use padlock_protocol::limits::{MAX_DISPLAY_NAME_LEN, MAX_EMAIL_LEN, MAX_PASSWORD_LEN};

use crate::error::Error;

/// The form an email address is looked up by: trimmed and lowercased.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks an email address an administrator enters.
pub(crate) fn check_email(email: &str) -> Result<(), Error> {
    let email = email.trim();
    if email.is_empty() || email.len() > MAX_EMAIL_LEN {
        return Err(Error::InvalidInput(format!(
            "an email address has 1 to {MAX_EMAIL_LEN} bytes"
        )));
    }
    if !email.contains('@') || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::InvalidInput(format!(
            "{email:?} is not an email address"
        )));
    }
    Ok(())
}

/// Checks a display name (it travels in a `Granted` of at most 64 bytes).
pub(crate) fn check_display_name(name: &str) -> Result<(), Error> {
    if name.trim().is_empty() || name.len() > MAX_DISPLAY_NAME_LEN {
        return Err(Error::InvalidInput(format!(
            "a display name has 1 to {MAX_DISPLAY_NAME_LEN} bytes"
        )));
    }
    Ok(())
}

/// Checks a primary password (a device sends at most 128 bytes).
pub(crate) fn check_password(password: &str) -> Result<(), Error> {
    if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
        return Err(Error::InvalidInput(format!(
            "a password has 1 to {MAX_PASSWORD_LEN} bytes"
        )));
    }
    Ok(())
}

/// Checks the name of an app password ("Xbox 360").
pub(crate) fn check_app_password_name(name: &str) -> Result<(), Error> {
    if name.trim().is_empty() || name.len() > 64 {
        return Err(Error::InvalidInput(
            "an app password's name has 1 to 64 bytes".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_compare_case_insensitively_and_are_checked() {
        assert_eq!(email_key(" Ann@Example.COM "), "ann@example.com");
        assert!(check_email("ann@example.com").is_ok());
        assert!(check_email("").is_err());
        assert!(check_email("no at sign").is_err());
        assert!(check_email(&format!("{}@x", "a".repeat(260))).is_err());
        assert!(check_display_name(&"n".repeat(65)).is_err());
        assert!(check_password("").is_err());
        assert!(check_app_password_name(" ").is_err());
    }
}
