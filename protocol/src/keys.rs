//! X25519 static keys: the gateway's, provisioned into devices, and each device's, derived from
//! its device secret so that the gateway sees a stable identity across reboots and re-flashes.
//!
//! Keys are written as 64 lowercase hex digits wherever a person or a configuration file sees
//! them (`padlock-server key show`, a device's provisioning record).

use hkdf::Hkdf;
use rand_core::{CryptoRng, RngCore};
use sha2::Sha256;
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

/// Length of an X25519 key, public or secret.
pub const KEY_LEN: usize = 32;

/// Shortest device secret accepted: 128 bits of entropy.
pub const MIN_DEVICE_SECRET_LEN: usize = 16;

/// HKDF `info` for the device's Noise static key. The vault derives its sealing key from the
/// same device secret under a different label, so the two keys are independent.
pub const DEVICE_STATIC_KEY_INFO: &[u8] = b"padlock v1 device static key";

/// An X25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PublicKey(pub [u8; KEY_LEN]);

/// Why a key could not be read or made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum KeyError {
    /// Not 64 hex digits.
    BadHex,
    /// The device secret is shorter than [`MIN_DEVICE_SECRET_LEN`].
    SecretTooShort,
}

impl core::fmt::Display for KeyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::BadHex => "a key is 64 hex digits",
            Self::SecretTooShort => "device secret shorter than 16 bytes",
        })
    }
}

impl core::error::Error for KeyError {}

impl PublicKey {
    /// Parses 64 hex digits (either case; surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`KeyError::BadHex`] for anything else.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let digits = text.trim().as_bytes();
        if digits.len() != 2 * KEY_LEN {
            return Err(KeyError::BadHex);
        }
        let mut key = [0u8; KEY_LEN];
        for (byte, pair) in key.iter_mut().zip(digits.chunks_exact(2)) {
            let [hi, lo] = pair else {
                return Err(KeyError::BadHex);
            };
            *byte = (hex_value(*hi)? << 4) | hex_value(*lo)?;
        }
        Ok(Self(key))
    }
}

fn hex_value(digit: u8) -> Result<u8, KeyError> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        b'A'..=b'F' => Ok(digit - b'A' + 10),
        _ => Err(KeyError::BadHex),
    }
}

impl core::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl core::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl core::str::FromStr for PublicKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_hex(s)
    }
}

/// A static X25519 key pair. The secret half is wiped on drop and never printed.
#[derive(Clone)]
pub struct StaticKeypair {
    secret: Zeroizing<[u8; KEY_LEN]>,
    public: PublicKey,
}

impl StaticKeypair {
    /// The key pair with this secret key (clamped as X25519 requires when used).
    pub fn from_secret(secret: [u8; KEY_LEN]) -> Self {
        let secret = Zeroizing::new(secret);
        let public = x25519_dalek::PublicKey::from(&StaticSecret::from(*secret));
        Self {
            secret,
            public: PublicKey(public.to_bytes()),
        }
    }

    /// A fresh random key pair (the gateway's, made once and kept).
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let mut secret = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(secret.as_mut());
        Self::from_secret(*secret)
    }

    /// The device's key pair, derived with HKDF-SHA256 from its device secret (see
    /// [`DEVICE_STATIC_KEY_INFO`]). The same secret always gives the same key.
    ///
    /// # Errors
    /// [`KeyError::SecretTooShort`] if `device_secret` has fewer than
    /// [`MIN_DEVICE_SECRET_LEN`] bytes.
    pub fn derive_from_device_secret(device_secret: &[u8]) -> Result<Self, KeyError> {
        if device_secret.len() < MIN_DEVICE_SECRET_LEN {
            return Err(KeyError::SecretTooShort);
        }
        let mut secret = Zeroizing::new([0u8; KEY_LEN]);
        Hkdf::<Sha256>::new(None, device_secret)
            .expand(DEVICE_STATIC_KEY_INFO, secret.as_mut())
            .map_err(|_| KeyError::SecretTooShort)?;
        Ok(Self::from_secret(*secret))
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        self.public
    }

    /// The secret key's bytes, for storing the gateway's key.
    pub fn secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.secret
    }
}

impl core::fmt::Debug for StaticKeypair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "StaticKeypair {{ public: {} }}", self.public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects() {
        let key = StaticKeypair::from_secret([3; 32]).public();
        let text = std::format!("{key}");
        assert_eq!(text.len(), 64);
        assert_eq!(PublicKey::from_hex(&text.to_uppercase()).unwrap(), key);
        assert_eq!(PublicKey::from_hex(&text[1..]), Err(KeyError::BadHex));
        assert_eq!(
            PublicKey::from_hex(&text.replace(&text[..1], "g")),
            Err(KeyError::BadHex)
        );
    }

    #[test]
    fn device_key_is_stable_and_secret_specific() {
        let a = StaticKeypair::derive_from_device_secret(&[1; 32]).unwrap();
        let b = StaticKeypair::derive_from_device_secret(&[1; 32]).unwrap();
        let c = StaticKeypair::derive_from_device_secret(&[2; 32]).unwrap();
        assert_eq!(a.public(), b.public());
        assert_ne!(a.public(), c.public());
        assert_eq!(
            StaticKeypair::derive_from_device_secret(&[1; 15]).unwrap_err(),
            KeyError::SecretTooShort
        );
    }

    #[test]
    fn public_key_matches_rfc7748() {
        // RFC 7748 section 6.1, Alice's key pair.
        let secret = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let public = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assert_eq!(StaticKeypair::from_secret(secret).public().0, public);
    }

    fn hex(s: &str) -> [u8; 32] {
        PublicKey::from_hex(s).unwrap().0
    }
}
