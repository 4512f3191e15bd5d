//! The two values a phone link adds to the wire: the code the device shows, and the address of
//! the page where the player types it.
//!
//! A [`LinkCode`] is eight letters from twenty consonants (RFC 8628 section 6.1: no vowels, so
//! no words, and none of the letters people confuse with digits), shown in two groups of four
//! (`WDJB-MJHT`). Twenty letters to the eighth power is 2.56 × 10^10 codes. On the wire it is
//! its eight ASCII capitals, no length prefix; any other byte is malformed, so a decoded code is
//! always one the gateway could have issued.

use core::fmt;

use heapless::String;
use serde::de::{self, Deserializer};
use serde::ser::{self, Serializer};
use serde::{Deserialize, Serialize};

use crate::limits::{LINK_CODE_LEN, MAX_LINK_ADDRESS_LEN};

/// The letters of a link code, in the order [`LinkCode::from_number`] counts them.
pub const LINK_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Number of different link codes: 20^8.
pub const LINK_CODE_SPACE: u64 = 20u64.pow(LINK_CODE_LEN as u32);

/// A link code: eight capitals of [`LINK_CODE_ALPHABET`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkCode([u8; LINK_CODE_LEN]);

impl LinkCode {
    /// The code numbered `number` (its letters are the base-20 digits of the number, most
    /// significant first), or `None` if `number` is not below [`LINK_CODE_SPACE`]. A gateway
    /// draws the number uniformly from a secure random generator.
    pub fn from_number(number: u64) -> Option<Self> {
        if number >= LINK_CODE_SPACE {
            return None;
        }
        let mut letters = [0u8; LINK_CODE_LEN];
        let mut rest = number;
        for letter in letters.iter_mut().rev() {
            // `rest % 20` is below 20: always an index into the alphabet.
            *letter = LINK_CODE_ALPHABET[(rest % 20) as usize];
            rest /= 20;
        }
        Some(Self(letters))
    }

    /// The code from its eight letters as sent on the wire, or `None` if one is not in the
    /// alphabet.
    pub fn from_bytes(bytes: [u8; LINK_CODE_LEN]) -> Option<Self> {
        bytes
            .iter()
            .all(|b| LINK_CODE_ALPHABET.contains(b))
            .then_some(Self(bytes))
    }

    /// The code as a person typed it: letter case, spaces and dashes do not matter
    /// (`wdjb-mjht`, `WDJB MJHT`). `None` unless exactly eight letters of the alphabet remain.
    pub fn parse(typed: &str) -> Option<Self> {
        let mut letters = [0u8; LINK_CODE_LEN];
        let mut count = 0;
        for byte in typed.bytes().filter(|b| !matches!(b, b' ' | b'-')) {
            *letters.get_mut(count)? = byte.to_ascii_uppercase();
            count += 1;
        }
        if count == LINK_CODE_LEN {
            Self::from_bytes(letters)
        } else {
            None
        }
    }

    /// The eight letters without the dash (`WDJBMJHT`), as in the link page's `?code=`.
    pub fn as_str(&self) -> &str {
        // Every byte is an ASCII capital (checked on construction), so this cannot fail.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The eight letters as bytes.
    pub const fn as_bytes(&self) -> &[u8; LINK_CODE_LEN] {
        &self.0
    }
}

/// Shown as the player reads it: `WDJB-MJHT`.
impl fmt::Display for LinkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (first, second) = self.as_str().split_at(LINK_CODE_LEN / 2);
        write!(f, "{first}-{second}")
    }
}

impl fmt::Debug for LinkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinkCode({self})")
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for LinkCode {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "LinkCode({=str})", self.as_str());
    }
}

impl Serialize for LinkCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LinkCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = <[u8; LINK_CODE_LEN]>::deserialize(deserializer)?;
        Self::from_bytes(bytes).ok_or_else(|| de::Error::custom("letter outside the link alphabet"))
    }
}

/// The address of the gateway's link page, such as `https://gw.example/link`: at most
/// [`MAX_LINK_ADDRESS_LEN`] bytes of printable ASCII, no space (it goes into a QR code and onto
/// a screen as it is). Anything else is refused both ways, like device text.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkAddress(String<MAX_LINK_ADDRESS_LEN>);

impl LinkAddress {
    /// The address `text`, or `None` if it is empty, too long or holds a byte outside `!` to `~`.
    pub fn new(text: &str) -> Option<Self> {
        let printable = !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic());
        if !printable {
            return None;
        }
        String::try_from(text).ok().map(Self)
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LinkAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinkAddress({:?})", self.as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for LinkAddress {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "LinkAddress({=str})", self.as_str());
    }
}

impl Serialize for LinkAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Only `new` builds one, so this holds; checked again rather than trusted.
        if Self::new(&self.0).is_none() {
            return Err(ser::Error::custom("link address not printable ASCII"));
        }
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LinkAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::<MAX_LINK_ADDRESS_LEN>::deserialize(deserializer)?;
        Self::new(&text).ok_or_else(|| de::Error::custom("link address not printable ASCII"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn numbers_map_onto_every_code_once() {
        assert_eq!(LinkCode::from_number(0).unwrap().as_str(), "BBBBBBBB");
        assert_eq!(
            LinkCode::from_number(LINK_CODE_SPACE - 1).unwrap().as_str(),
            "ZZZZZZZZ"
        );
        assert_eq!(LinkCode::from_number(21).unwrap().as_str(), "BBBBBBCC");
        assert_eq!(LinkCode::from_number(LINK_CODE_SPACE), None);
        assert_eq!(LinkCode::from_number(u64::MAX), None);
    }

    #[test]
    fn typed_codes_ignore_case_spaces_and_dashes() {
        let code = LinkCode::parse("WDJB-MJHT").unwrap();
        assert_eq!(code.to_string(), "WDJB-MJHT");
        assert_eq!(code.as_str(), "WDJBMJHT");
        for typed in ["wdjbmjht", " wdjb mjht ", "Wd-Jb-Mj-Ht"] {
            assert_eq!(LinkCode::parse(typed), Some(code), "{typed}");
        }
        for wrong in [
            "",
            "WDJB-MJH",
            "WDJB-MJHTX",
            "WDJA-MJHT",
            "WDJB-MJH7",
            "WDJB_MJHT",
            "ẀDJB-MJHT",
        ] {
            assert_eq!(LinkCode::parse(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn link_addresses_are_printable_ascii() {
        assert!(LinkAddress::new("https://gw.example/link").is_some());
        for wrong in [
            "",
            "https://gw.example/ link",
            "https://gw.example/\u{1b}",
            "https://gw.éxample/",
        ] {
            assert_eq!(LinkAddress::new(wrong), None, "{wrong:?}");
        }
        let longest = "h".repeat(MAX_LINK_ADDRESS_LEN);
        assert!(LinkAddress::new(&longest).is_some());
        assert!(LinkAddress::new(&(longest + "h")).is_none());
    }
}
