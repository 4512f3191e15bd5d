//! The messages: what a device asks and what the gateway answers.
//!
//! Each is a Rust enum encoded with [postcard](https://docs.rs/postcard) (see `docs/protocol.md`
//! for the byte layout). Every field has a fixed maximum (see [`crate::limits`]), so a message
//! is decoded into fixed-size storage with no allocation, and input that would overflow a field
//! is an error, not a truncation.
//!
//! Secrets (passwords, tokens, tickets) live in types that wipe themselves when dropped and
//! never print their contents through `Debug` or `defmt`.

use heapless::{String, Vec};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::limits::{
    MAX_DISPLAY_NAME_LEN, MAX_EMAIL_LEN, MAX_FIRMWARE_VERSION_LEN, MAX_MODEL_LEN, MAX_PASSWORD_LEN,
    MAX_REQUEST_LEN, MAX_RESPONSE_LEN, REMEMBER_TOKEN_LEN, SESSION_TICKET_LEN,
};

mod link;
pub use link::{LINK_CODE_ALPHABET, LINK_CODE_SPACE, LinkAddress, LinkCode};

/// An account's email address, as typed (the gateway compares case-insensitively).
pub type Email = String<MAX_EMAIL_LEN>;

/// The name the gateway greets a player with.
pub type DisplayName = String<MAX_DISPLAY_NAME_LEN>;

/// What a device asks the gateway, carried in Noise message 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(
    clippy::large_enum_variant,
    reason = "no heap to box into; the size is fixed and measured"
)]
pub enum Request {
    /// Sign in with an email address and a password (an app password, or the primary password
    /// of an account without two-step verification).
    SignIn {
        /// The account's email address.
        account: Email,
        /// The password as typed; the gateway ignores spaces and case in app passwords.
        password: Password,
        /// Ask for a remember-me token.
        remember: bool,
        /// What the device is, for the account's list of app password uses.
        device: DeviceInfo,
    },
    /// Sign in again with a remember-me token; the gateway answers with its successor.
    Resume {
        /// The token from the last `Granted` (single use).
        token: RememberToken,
    },
    /// Forget a remember-me token on the gateway.
    SignOut {
        /// The token to revoke.
        token: RememberToken,
    },
    /// Ask for a link code, to sign in by approving this device on a phone (answered with
    /// [`Response::LinkOffer`]). The link is bound to the device's Noise static key.
    LinkStart {
        /// What the device is, shown to the player who approves it.
        device: DeviceInfo,
    },
    /// Is the link with this code approved yet? Answered [`Response::LinkWaiting`] while it is
    /// pending, `Granted` with a remember-me token once approved, or `Denied` with
    /// [`DenyReason::LinkDeclined`] or [`DenyReason::LinkExpired`].
    LinkPoll {
        /// The code from the [`Response::LinkOffer`].
        code: LinkCode,
    },
}

/// What the gateway answers, carried in Noise message 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Response {
    /// The player is signed in.
    Granted {
        /// The account's display name.
        display_name: DisplayName,
        /// Proof of this sign-in for the device's other services.
        ticket: SessionTicket,
        /// A fresh remember-me token, present when the request asked for one (`SignIn` with
        /// `remember`, or any `Resume`).
        remember: Option<RememberToken>,
    },
    /// The request was refused.
    Denied {
        /// Why, in the few words a gateway may say.
        reason: DenyReason,
        /// Seconds before another try can succeed; 0 when waiting would not help.
        retry_after_secs: u32,
    },
    /// The token of a `SignOut` is revoked (or was already unknown).
    SignedOut,
    /// A link code for the player to approve on a phone (answer to [`Request::LinkStart`]).
    LinkOffer {
        /// The code to show, and to send back in every [`Request::LinkPoll`].
        code: LinkCode,
        /// The page where the player enters the code, such as `https://gw.example/link`.
        address: LinkAddress,
        /// Seconds the code stays valid.
        expires_in_secs: u16,
        /// Seconds to wait between polls.
        poll_interval_secs: u8,
    },
    /// The link is not approved yet (answer to [`Request::LinkPoll`]). A larger interval than
    /// the one before means "slow down": the device waits this long between polls from now on.
    LinkWaiting {
        /// Seconds to wait before the next poll.
        poll_interval_secs: u8,
    },
}

/// Why a request was refused. Deliberately coarse: no reason says which of account or password
/// was wrong, or whether a primary password was right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DenyReason {
    /// Unknown account or wrong password; on a two-step account also a correct primary password.
    WrongCredentials,
    /// Too many failures for this account or device; `retry_after_secs` says how long to wait.
    Throttled,
    /// The remember-me token is expired, revoked, superseded or from another device.
    TokenInvalid,
    /// The gateway understood the channel but not the request (a newer device than it knows).
    UnsupportedVersion,
    /// The gateway failed; try again later.
    ServerError,
    /// The player declined the link on the page (only in answers to [`Request::LinkPoll`]).
    LinkDeclined,
    /// The link code expired, was never issued, or belongs to another device key (only in
    /// answers to link requests): ask for a new code.
    LinkExpired,
}

/// What kind of device is signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DeviceKind {
    /// An Xbox 360 console.
    Xbox360,
    /// A Zune media player.
    Zune,
    /// Anything else (set-top boxes, development boards).
    Other,
}

/// Describes the device in a `SignIn`, so the player can tell app password uses apart.
///
/// `model` and `firmware` end up on an administrator's terminal (the gateway's list of app
/// password uses), so they may not hold control characters (Unicode category Cc: U+0000 to
/// U+001F, U+007F to U+009F), the bytes that make up terminal escape sequences. Encoding or
/// decoding a `DeviceInfo` with one fails ([`PayloadError::Malformed`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DeviceInfo {
    /// Kind of device.
    pub kind: DeviceKind,
    /// Model name, such as `"Xbox 360 S"`.
    #[serde(with = "printable")]
    pub model: String<MAX_MODEL_LEN>,
    /// Firmware version, such as `"2.0.17559.0"`.
    #[serde(with = "printable")]
    pub firmware: String<MAX_FIRMWARE_VERSION_LEN>,
}

/// Text fields that must hold no control character, refused both ways (see [`DeviceInfo`]).
mod printable {
    use heapless::String;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de, ser};

    const REFUSED: &str = "control character in device text";

    fn has_control(text: &str) -> bool {
        text.chars().any(char::is_control)
    }

    pub(super) fn serialize<S: Serializer, const N: usize>(
        text: &String<N>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if has_control(text) {
            return Err(ser::Error::custom(REFUSED));
        }
        text.serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        deserializer: D,
    ) -> Result<String<N>, D::Error> {
        let text = String::<N>::deserialize(deserializer)?;
        if has_control(&text) {
            return Err(de::Error::custom(REFUSED));
        }
        Ok(text)
    }
}

/// A password as typed: bytes of UTF-8 text, wiped on drop, never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(Vec<u8, MAX_PASSWORD_LEN>);

impl Password {
    /// The password `text`, or `None` if it is longer than [`MAX_PASSWORD_LEN`] bytes.
    pub fn new(text: &str) -> Option<Self> {
        Vec::from_slice(text.as_bytes()).ok().map(Self)
    }

    /// The password's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
    }
}

impl core::fmt::Debug for Password {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Password(<{} bytes>)", self.0.len())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Password {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Password(<{} bytes>)", self.0.len());
    }
}

/// Defines a fixed-size secret: wiped on drop, compared by its owner in constant time, printed
/// as its length only.
macro_rules! secret_bytes {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Wraps raw bytes.
            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// The raw bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                self.0.zeroize();
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<secret>)"))
            }
        }

        #[cfg(feature = "defmt")]
        impl defmt::Format for $name {
            fn format(&self, f: defmt::Formatter<'_>) {
                defmt::write!(f, "{=str}(<secret>)", stringify!($name));
            }
        }
    };
}

secret_bytes!(
    /// A remember-me token: lets one device sign in again without a password. Single use: every
    /// `Resume` returns its successor.
    RememberToken,
    REMEMBER_TOKEN_LEN
);

secret_bytes!(
    /// Proof of one sign-in, for the device's other services.
    SessionTicket,
    SESSION_TICKET_LEN
);

/// Why a payload could not be encoded or decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PayloadError {
    /// The output buffer is too small.
    BufferTooSmall,
    /// The first byte names a message this version does not know (a newer peer).
    UnknownMessage,
    /// The bytes are not a valid message: bad tag, overlong field, invalid UTF-8, early end.
    Malformed,
    /// A valid message followed by extra bytes.
    TrailingBytes,
}

impl core::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::BufferTooSmall => "output buffer too small",
            Self::UnknownMessage => "unknown message kind",
            Self::Malformed => "malformed message",
            Self::TrailingBytes => "trailing bytes after message",
        })
    }
}

impl core::error::Error for PayloadError {}

/// Number of request kinds in this version; a variant index at or above it is a newer request.
const REQUEST_KINDS: u32 = 5;
/// Number of response kinds in this version.
const RESPONSE_KINDS: u32 = 5;

fn encode<'a, T: Serialize>(value: &T, out: &'a mut [u8]) -> Result<&'a [u8], PayloadError> {
    match postcard::to_slice(value, out) {
        Ok(bytes) => Ok(bytes),
        Err(postcard::Error::SerializeBufferFull) => Err(PayloadError::BufferTooSmall),
        Err(_) => Err(PayloadError::Malformed),
    }
}

/// The value of the varint at the front of `bytes`, if it is a well-formed `u32` varint in its
/// shortest form (at most 5 bytes, no trailing zero group, no bits above 32).
fn leading_varint(bytes: &[u8]) -> Option<u32> {
    let mut value: u32 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        let group = u32::from(byte & 0x7f);
        if i == 4 && group > 0x0f {
            return None;
        }
        value |= group << (7 * i);
        if byte & 0x80 == 0 {
            // A zero last group after others is a longer form of a shorter varint.
            return (i == 0 || group != 0).then_some(value);
        }
    }
    None
}

/// Decodes exactly one `T` whose variant index must be below `kinds`, from its one valid
/// encoding (`N`: the largest encoding of a `T`).
///
/// postcard itself accepts a varint in a longer form than needed (`80 00` for 0); this
/// protocol does not (docs/protocol.md section 6.1), so that every message has exactly one
/// encoding and every implementation draws the same line. The check is a round trip: a
/// message is accepted only if encoding it again gives back the bytes received.
fn decode<'de, T: Deserialize<'de> + Serialize, const N: usize>(
    bytes: &'de [u8],
    kinds: u32,
) -> Result<T, PayloadError> {
    // A well-formed variant index beyond ours is a newer peer, which deserves a different
    // answer than garbage, whatever its size (`80 01` is 128).
    if leading_varint(bytes).is_some_and(|index| index >= kinds) {
        return Err(PayloadError::UnknownMessage);
    }
    let (value, rest) = postcard::take_from_bytes(bytes).map_err(|_| PayloadError::Malformed)?;
    if !rest.is_empty() {
        return Err(PayloadError::TrailingBytes);
    }
    let mut again = Zeroizing::new([0u8; N]);
    match encode(&value, again.as_mut()) {
        Ok(canonical) if canonical == bytes => Ok(value),
        _ => Err(PayloadError::Malformed),
    }
}

impl Request {
    /// Encodes into `out`, returning the bytes written.
    ///
    /// # Errors
    /// [`PayloadError::BufferTooSmall`] if `out` is shorter than the encoding
    /// ([`MAX_REQUEST_LEN`] always suffices).
    pub fn encode<'a>(&self, out: &'a mut [u8]) -> Result<&'a [u8], PayloadError> {
        encode(self, out)
    }

    /// Decodes exactly one request from `bytes`.
    ///
    /// # Errors
    /// [`PayloadError::UnknownMessage`] for a request kind newer than this version, otherwise
    /// [`PayloadError::Malformed`] or [`PayloadError::TrailingBytes`].
    pub fn decode(bytes: &[u8]) -> Result<Self, PayloadError> {
        decode::<_, MAX_REQUEST_LEN>(bytes, REQUEST_KINDS)
    }
}

impl Response {
    /// Encodes into `out`, returning the bytes written.
    ///
    /// # Errors
    /// [`PayloadError::BufferTooSmall`] if `out` is shorter than the encoding
    /// ([`MAX_RESPONSE_LEN`] always suffices).
    pub fn encode<'a>(&self, out: &'a mut [u8]) -> Result<&'a [u8], PayloadError> {
        encode(self, out)
    }

    /// Decodes exactly one response from `bytes`.
    ///
    /// # Errors
    /// As [`Request::decode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, PayloadError> {
        decode::<_, MAX_RESPONSE_LEN>(bytes, RESPONSE_KINDS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_string<const N: usize>(c: char) -> String<N> {
        let mut s = String::new();
        while s.push(c).is_ok() {}
        s
    }

    fn largest_sign_in() -> Request {
        Request::SignIn {
            account: full_string('a'),
            password: Password::new(&"p".repeat(MAX_PASSWORD_LEN)).unwrap(),
            remember: true,
            device: DeviceInfo {
                kind: DeviceKind::Other,
                model: full_string('m'),
                firmware: full_string('f'),
            },
        }
    }

    #[test]
    fn limits_are_the_largest_encodings() {
        let mut buf = [0u8; 1024];
        assert_eq!(
            largest_sign_in().encode(&mut buf).unwrap().len(),
            MAX_REQUEST_LEN
        );
        let granted = Response::Granted {
            display_name: full_string('d'),
            ticket: SessionTicket::from_bytes([7; SESSION_TICKET_LEN]),
            remember: Some(RememberToken::from_bytes([9; REMEMBER_TOKEN_LEN])),
        };
        assert_eq!(granted.encode(&mut buf).unwrap().len(), MAX_RESPONSE_LEN);
    }

    #[test]
    fn round_trip() {
        let mut buf = [0u8; MAX_REQUEST_LEN];
        let request = largest_sign_in();
        let bytes = request.encode(&mut buf).unwrap();
        assert_eq!(Request::decode(bytes).unwrap(), request);
        let denied = Response::Denied {
            reason: DenyReason::Throttled,
            retry_after_secs: 300,
        };
        let bytes = denied.encode(&mut buf).unwrap();
        assert_eq!(bytes, [1, 1, 0xac, 0x02]);
        assert_eq!(Response::decode(bytes).unwrap(), denied);
    }

    #[test]
    fn overlong_field_is_malformed_not_truncated() {
        // Resume's token is fixed size; a SignIn whose email claims 255 bytes is too long.
        let mut bytes = [0u8; 300];
        bytes[0] = 0; // SignIn
        bytes[1] = 0xff; // varint 255 ...
        bytes[2] = 0x01;
        bytes[3..].fill(b'a');
        assert_eq!(Request::decode(&bytes), Err(PayloadError::Malformed));
    }

    #[test]
    fn newer_kinds_and_trailing_bytes_are_told_apart() {
        assert_eq!(Request::decode(&[5]), Err(PayloadError::UnknownMessage));
        assert_eq!(Response::decode(&[9, 0]), Err(PayloadError::UnknownMessage));
        assert_eq!(Response::decode(&[2, 0]), Err(PayloadError::TrailingBytes));
        assert_eq!(Response::decode(&[]), Err(PayloadError::Malformed));
        assert_eq!(Request::decode(&[0x80]), Err(PayloadError::Malformed));
    }

    #[test]
    fn a_variant_index_of_any_size_beyond_ours_is_a_newer_message() {
        // 128, 300 and u32::MAX: multi-byte varints, all well formed.
        for tag in [
            &[0x80, 0x01][..],
            &[0xac, 0x02],
            &[0xff, 0xff, 0xff, 0xff, 0x0f],
        ] {
            assert_eq!(Request::decode(tag), Err(PayloadError::UnknownMessage));
            assert_eq!(Response::decode(tag), Err(PayloadError::UnknownMessage));
        }
        // Not a u32 varint at all: too long, bits above 32, cut short.
        for tag in [
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0x01][..],
            &[0xff, 0xff, 0xff, 0xff, 0x1f],
            &[0x80],
        ] {
            assert_eq!(Request::decode(tag), Err(PayloadError::Malformed));
        }
    }

    #[test]
    fn a_varint_in_a_longer_form_than_needed_is_malformed() {
        let mut buf = [0u8; 64];
        let sign_out = Request::SignOut {
            token: RememberToken::from_bytes([3; REMEMBER_TOKEN_LEN]),
        };
        let bytes = sign_out.encode(&mut buf).unwrap().to_vec();
        assert_eq!(Request::decode(&bytes), Ok(sign_out));
        // The tag 2 as `82 00`, then the same token.
        let mut long_tag = std::vec![0x82, 0x00];
        long_tag.extend_from_slice(&bytes[1..]);
        assert_eq!(Request::decode(&long_tag), Err(PayloadError::Malformed));
        // A newer index in a long form is not a newer message either: `83 00` is garbage.
        assert_eq!(Request::decode(&[0x83, 0x00]), Err(PayloadError::Malformed));
        // A length (display name "A") as `81 00`, and a u32 (retry 0) as `80 00`.
        let granted = Response::Granted {
            display_name: "A".try_into().unwrap(),
            ticket: SessionTicket::from_bytes([0; SESSION_TICKET_LEN]),
            remember: None,
        };
        let bytes = granted.encode(&mut buf).unwrap().to_vec();
        assert_eq!(bytes[1], 1);
        let mut long_len = std::vec![0x00, 0x81, 0x00];
        long_len.extend_from_slice(&bytes[2..]);
        assert_eq!(Response::decode(&long_len), Err(PayloadError::Malformed));
        assert_eq!(
            Response::decode(&[0x01, 0x02, 0x80, 0x00]),
            Err(PayloadError::Malformed)
        );
        assert!(Response::decode(&[0x01, 0x02, 0x00]).is_ok());
    }

    #[test]
    fn an_option_tag_other_than_0_or_1_is_malformed() {
        let mut buf = [0u8; 128];
        let granted = Response::Granted {
            display_name: "A".try_into().unwrap(),
            ticket: SessionTicket::from_bytes([0; SESSION_TICKET_LEN]),
            remember: Some(RememberToken::from_bytes([5; REMEMBER_TOKEN_LEN])),
        };
        let mut bytes = granted.encode(&mut buf).unwrap().to_vec();
        let option_tag = 1 + 2 + SESSION_TICKET_LEN;
        assert_eq!(bytes[option_tag], 1);
        assert_eq!(Response::decode(&bytes), Ok(granted));
        for tag in [2, 0x81, 0xff] {
            bytes[option_tag] = tag;
            assert_eq!(Response::decode(&bytes), Err(PayloadError::Malformed));
        }
    }

    #[test]
    fn device_text_with_a_control_character_is_refused_both_ways() {
        let mut buf = [0u8; MAX_REQUEST_LEN];
        for bad in ["\u{1b}[2J", "a\nb", "\u{7f}", "\u{9b}31m", "\0"] {
            let mut request = largest_sign_in();
            if let Request::SignIn { device, .. } = &mut request {
                device.model = bad.try_into().unwrap();
            }
            assert_eq!(
                request.encode(&mut buf),
                Err(PayloadError::Malformed),
                "{bad:?}"
            );
            // The same bytes built by hand are refused on the way in.
            let good = largest_sign_in().encode(&mut buf).unwrap().to_vec();
            let model_at = good.len() - (1 + MAX_MODEL_LEN + 1 + MAX_FIRMWARE_VERSION_LEN);
            let mut forged = good[..model_at].to_vec();
            forged.push(bad.len() as u8);
            forged.extend_from_slice(bad.as_bytes());
            forged.extend_from_slice(&good[model_at + 1 + MAX_MODEL_LEN..]);
            assert_eq!(
                Request::decode(&forged),
                Err(PayloadError::Malformed),
                "{bad:?}"
            );
        }
        // Printable text of any script passes.
        let mut request = largest_sign_in();
        if let Request::SignIn { device, .. } = &mut request {
            device.firmware = "v2 \u{e9}t\u{e9} \u{2603}".try_into().unwrap();
        }
        let bytes = request.encode(&mut buf).unwrap();
        assert_eq!(Request::decode(bytes), Ok(request));
    }

    #[test]
    fn link_messages_round_trip_and_refuse_letters_outside_the_alphabet() {
        let mut buf = [0u8; MAX_RESPONSE_LEN];
        let code = LinkCode::parse("WDJB-MJHT").unwrap();
        let poll = Request::LinkPoll { code };
        let bytes = poll.encode(&mut buf).unwrap().to_vec();
        assert_eq!(bytes, b"\x04WDJBMJHT");
        assert_eq!(Request::decode(&bytes), Ok(poll));
        let mut vowel = bytes.clone();
        vowel[1] = b'A';
        assert_eq!(Request::decode(&vowel), Err(PayloadError::Malformed));
        let offer = Response::LinkOffer {
            code,
            address: LinkAddress::new(&"h".repeat(crate::limits::MAX_LINK_ADDRESS_LEN)).unwrap(),
            expires_in_secs: u16::MAX,
            poll_interval_secs: u8::MAX,
        };
        let bytes = offer.encode(&mut buf).unwrap().to_vec();
        assert!(bytes.len() < MAX_RESPONSE_LEN);
        assert_eq!(Response::decode(&bytes), Ok(offer));
        let mut space = bytes.clone();
        space[11] = b' ';
        assert_eq!(Response::decode(&space), Err(PayloadError::Malformed));
        for reason in [DenyReason::LinkDeclined, DenyReason::LinkExpired] {
            let denied = Response::Denied {
                reason,
                retry_after_secs: 0,
            };
            let bytes = denied.encode(&mut buf).unwrap();
            assert_eq!(Response::decode(bytes), Ok(denied));
        }
    }

    #[test]
    fn small_buffer_is_reported() {
        let mut buf = [0u8; 8];
        assert_eq!(
            largest_sign_in().encode(&mut buf),
            Err(PayloadError::BufferTooSmall)
        );
    }

    #[test]
    fn secrets_do_not_print() {
        let text = std::format!(
            "{:?} {:?}",
            Password::new("hunter2").unwrap(),
            RememberToken::from_bytes([0x41; 32])
        );
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("65"), "{text}");
    }
}
