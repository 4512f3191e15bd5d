//! Time-based one-time passwords (RFC 6238) and the base32 text their secrets travel in.
//!
//! An authenticator app and the gateway share a 20-byte secret. Every 30 seconds (a *step*,
//! counted from the Unix epoch) both compute HMAC-SHA1(secret, step), cut it to six decimal
//! digits (RFC 4226's dynamic truncation), and the player types what the app shows. The gateway
//! accepts the step before and after the current one too, for clocks that drift and players
//! who type slowly, and remembers the last step it accepted: a code is good once, and so is any
//! earlier one, so a code read over a shoulder cannot be replayed.
//!
//! Secrets are shown to the player as unpadded base32 (RFC 4648), the form authenticator apps
//! read from the `otpauth://` URI of a QR code or take typed in.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::hashing::ct_eq;

/// Bytes of a secret: 160 bits, as RFC 4226 recommends for HMAC-SHA1.
pub const SECRET_LEN: usize = 20;
/// Seconds per step.
pub const STEP_SECS: u64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of the current one.
pub const SKEW_STEPS: u64 = 1;

/// The step `unix_secs` falls in.
pub fn step_at(unix_secs: u64) -> u64 {
    unix_secs / STEP_SECS
}

/// The code of `step` under `secret`, with `digits` digits (RFC 4226 section 5.3).
pub fn code(secret: &[u8], step: u64, digits: u32) -> u32 {
    // HMAC takes keys of any length, so this cannot fail; a zero code on the impossible path
    // would only be refused by the comparison.
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest.last().copied().unwrap_or(0) & 0x0f);
    let mut word = [0u8; 4];
    for (i, slot) in word.iter_mut().enumerate() {
        *slot = digest.get(offset + i).copied().unwrap_or(0);
    }
    let binary = u32::from_be_bytes(word) & 0x7fff_ffff;
    binary % 10u32.pow(digits)
}

/// The six-digit code of `step`, as the app shows it (leading zeros kept).
pub fn code_text(secret: &[u8], step: u64) -> String {
    format!("{:06}", code(secret, step, DIGITS))
}

/// The step whose code `typed` is, among the current step at `unix_secs` and
/// [`SKEW_STEPS`] either side, if it is later than `last_used` (a step already used is refused,
/// and so is every earlier one). Every candidate is compared, in constant time, whatever
/// matches first.
pub fn verify(secret: &[u8], typed: &str, unix_secs: u64, last_used: Option<u64>) -> Option<u64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_secs);
    let mut found = None;
    for step in now.saturating_sub(SKEW_STEPS)..=now.saturating_add(SKEW_STEPS) {
        let fresh = last_used.is_none_or(|last| step > last);
        if ct_eq(code_text(secret, step).as_bytes(), typed.as_bytes()) && fresh {
            found = Some(step);
        }
    }
    found
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `bytes` as unpadded RFC 4648 base32 (upper case).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(base32_digit(buffer >> bits));
        }
    }
    if bits > 0 {
        out.push(base32_digit(buffer << (5 - bits)));
    }
    out
}

/// The base32 digit of the low five bits of `value`.
fn base32_digit(value: u32) -> char {
    let index = (value & 31) as usize;
    BASE32.get(index).map_or('A', |&b| char::from(b))
}

/// `secret` in groups of four, easier to type into an app by hand.
pub fn grouped(secret_base32: &str) -> String {
    let mut out = String::with_capacity(secret_base32.len() * 5 / 4);
    for (i, c) in secret_base32.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Decodes base32 as a player or a test reads it off the page: spaces, padding and case are
/// ignored. `None` for any other character.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let upper = c.to_ascii_uppercase();
        let value = BASE32.iter().position(|&b| char::from(b) == upper)?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app reads from the QR code (Google's Key URI format:
/// issuer and account in the label and as a parameter, SHA1, 6 digits, 30 s).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        issuer = percent(issuer),
        account = percent(account),
        secret = base32(secret),
    )
}

/// Percent-encodes everything but unreserved characters (RFC 3986), `@` kept readable.
fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA1 secret: "12345678901234567890".
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_sha1_vectors() {
        // (time, 8-digit TOTP) from RFC 6238 appendix B.
        let vectors = [
            (59u64, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ];
        for (time, expected) in vectors {
            assert_eq!(code(RFC_SECRET, step_at(time), 8), expected, "t = {time}");
            // The six-digit code is the last six of the eight.
            assert_eq!(code(RFC_SECRET, step_at(time), 6), expected % 1_000_000);
        }
    }

    #[test]
    fn one_step_either_side_is_accepted_and_a_used_step_never_again() {
        let now = 1111111109;
        let step = step_at(now);
        let current = code_text(RFC_SECRET, step);
        assert_eq!(verify(RFC_SECRET, &current, now, None), Some(step));
        let spaced = format!("{} {}", &current[..3], &current[3..]);
        assert_eq!(verify(RFC_SECRET, &spaced, now, None), Some(step));
        let before = code_text(RFC_SECRET, step - 1);
        let after = code_text(RFC_SECRET, step + 1);
        assert_eq!(verify(RFC_SECRET, &before, now, None), Some(step - 1));
        assert_eq!(verify(RFC_SECRET, &after, now, None), Some(step + 1));
        let too_old = code_text(RFC_SECRET, step - 2);
        assert_eq!(verify(RFC_SECRET, &too_old, now, None), None);
        // Reuse: the step accepted last, and anything before it, is refused.
        assert_eq!(verify(RFC_SECRET, &current, now, Some(step)), None);
        assert_eq!(verify(RFC_SECRET, &before, now, Some(step)), None);
        assert_eq!(verify(RFC_SECRET, &after, now, Some(step)), Some(step + 1));
        for bad in ["", "12345", "1234567", "abcdef", "12345x"] {
            assert_eq!(verify(RFC_SECRET, bad, now, None), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        // RFC 4648 section 10, without padding.
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        for len in 0..25 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = base32(&bytes);
            assert_eq!(from_base32(&text).unwrap(), bytes);
            assert_eq!(from_base32(&grouped(&text).to_lowercase()).unwrap(), bytes);
        }
        assert_eq!(from_base32("MZXW6YTBOI======").unwrap(), b"foobar");
        assert_eq!(from_base32("MZ1"), None);
    }

    #[test]
    fn the_uri_names_issuer_account_and_parameters() {
        let uri = otpauth_uri("Padlock", "ann@example.com", b"12345");
        assert_eq!(
            uri,
            "otpauth://totp/Padlock:ann@example.com?secret=GEZDGNBV&issuer=Padlock&algorithm=SHA1&digits=6&period=30"
        );
        assert!(otpauth_uri("A B", "x", b"1").starts_with("otpauth://totp/A%20B:x?"));
    }
}
