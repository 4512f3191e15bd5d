//! The gateway's three kinds of secret handling, in one place:
//!
//! - **argon2id** for primary passwords: slow on purpose, so a stolen database costs an attacker
//!   dearly per guess. Every failed sign-in pays exactly one argon2id verification, also when
//!   the account does not exist (it is verified against a dummy hash made at start-up with the
//!   same parameters), so the time of a failure says nothing about the account.
//! - **a keyed hash** (HMAC-SHA256 under the gateway's hashing key) for app passwords and
//!   remember-me tokens: they are 75 or 256 bits of randomness, so a fast hash is enough, and the
//!   key means a stolen database alone cannot even test a guess. Keyed hashes also serve as
//!   lookup keys (an index finds the row without scanning secrets), and each use has its own
//!   domain label so one hash can never stand in for another.
//! - **constant-time comparison** ([`subtle`]) wherever two secrets or their hashes meet.
//!
//! Both hashers count their work, so tests can prove that every failure path pays the same.

use std::sync::atomic::{AtomicU64, Ordering};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use hmac::{Hmac, Mac};
use rand_core::{CryptoRng, RngCore};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::config::Argon2Params;
use crate::error::Error;

/// Length of a keyed hash.
pub(crate) const KEYED_HASH_LEN: usize = 32;

/// A keyed hash: what the store keeps in place of an app password or a token.
pub(crate) type KeyedHash = [u8; KEYED_HASH_LEN];

/// Domain labels: each keyed hash says what it is a hash of.
pub(crate) mod domain {
    /// An app password (its 16 normalised letters).
    pub const APP_PASSWORD: &[u8] = b"padlock app password v1";
    /// A remember-me token, as stored.
    pub const TOKEN: &[u8] = b"padlock remember token v1";
    /// The successor of a remember-me token, derived from the token it replaces.
    pub const SUCCESSOR: &[u8] = b"padlock remember successor v1";
    /// A request frame body (message 1), to recognise an exact replay.
    pub const MESSAGE_1: &[u8] = b"padlock message 1 v1";
    /// A session ticket's claims ([`crate::ticket`]).
    pub const TICKET: &[u8] = b"padlock session ticket v1";
    /// A round of the permutation that makes a ticket's account id opaque ([`crate::ticket`]).
    pub const TICKET_ACCOUNT: &[u8] = b"padlock ticket account v1";
    /// An account's normalised email, as the throttling subject (unknown accounts too).
    pub const ACCOUNT_SUBJECT: &[u8] = b"padlock throttle account v1";
    /// A web session's cookie, as stored ([`crate::web`]).
    pub const WEB_SESSION: &[u8] = b"padlock web session v1";
    /// A form's anti-forgery token, from the cookie it belongs to.
    pub const CSRF: &[u8] = b"padlock web form v1";
    /// A two-step recovery code (with its account's id).
    pub const RECOVERY_CODE: &[u8] = b"padlock recovery code v1";
    /// The key that seals authenticator secrets in the store (derived, no input).
    pub const TOTP_SEAL: &[u8] = b"padlock totp seal key v1";
    /// The token an approved phone link gives, from the link's seed ([`crate::link`]).
    pub const LINK_TOKEN: &[u8] = b"padlock link token v1";
    /// A link approval's credential: random bytes nobody keeps, so it never signs in by itself.
    pub const LINK_CREDENTIAL: &[u8] = b"padlock link credential v1";
    /// The throttling subjects of link codes typed on the page (an account, a source address).
    pub const LINK_SUBJECT: &[u8] = b"padlock throttle link code v1";
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// argon2id for primary passwords, with a dummy hash for accounts that do not exist.
pub(crate) struct PasswordHasher {
    argon2: Argon2<'static>,
    /// The parameters of new hashes (and of the dummy hash).
    params: Params,
    dummy: String,
    verifications: AtomicU64,
}

impl PasswordHasher {
    /// A hasher making new hashes with `params`; its dummy hash (of a random password) is made
    /// now from `rng`, with the same parameters.
    pub fn new(params: Argon2Params, rng: &mut (impl RngCore + CryptoRng)) -> Result<Self, Error> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| Error::Hashing(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut throwaway = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(throwaway.as_mut());
        let dummy = hash_with(&argon2, throwaway.as_ref(), rng)?;
        Ok(Self {
            argon2,
            params,
            dummy,
            verifications: AtomicU64::new(0),
        })
    }

    /// A PHC string (`$argon2id$v=19$m=...`) for `password`, with a fresh salt.
    pub fn hash(
        &self,
        password: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<String, Error> {
        hash_with(&self.argon2, password, rng)
    }

    /// Whether `password` matches `stored` (a PHC string). `None` (no such account) or an
    /// unreadable hash verifies against the dummy hash and is false: the work is the same.
    pub fn verify(&self, password: &[u8], stored: Option<&str>) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let parsed = stored.and_then(|phc| PasswordHash::new(phc).ok());
        let real = parsed.is_some();
        let hash = match parsed {
            Some(hash) => hash,
            None => match PasswordHash::new(&self.dummy) {
                Ok(hash) => hash,
                Err(_) => return false,
            },
        };
        let matches = self.argon2.verify_password(password, &hash).is_ok();
        matches && real
    }

    /// Whether `stored` (a PHC string) was made otherwise than new hashes are: another
    /// algorithm, version or cost. Such a hash verifies in another time than the dummy hash, so
    /// it is replaced at the next successful sign-in. An unreadable string is not (it never
    /// verifies).
    pub fn is_outdated(&self, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return false;
        };
        let algorithm = hash.algorithm == Algorithm::Argon2id.ident();
        let version = hash.version == Some(Version::V0x13.into());
        let cost = Params::try_from(&hash).is_ok_and(|p| {
            (p.m_cost(), p.t_cost(), p.p_cost())
                == (
                    self.params.m_cost(),
                    self.params.t_cost(),
                    self.params.p_cost(),
                )
        });
        !(algorithm && version && cost)
    }

    /// How many verifications this hasher has run (tests prove equal work with it).
    #[cfg(test)]
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

fn hash_with(
    argon2: &Argon2<'_>,
    password: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<String, Error> {
    let salt = SaltString::generate(rng);
    argon2
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Hashing(e.to_string()))
}

/// Overwrites a MAC's state (its hash states after absorbing the padded key are as good as the
/// key) with that of an all-zero key. The `hmac` crate has no zeroize support; `black_box`
/// keeps the compiler from dropping the overwrite as a dead store.
fn wipe(mac: &mut Hmac<Sha256>) {
    if let Ok(blank) = <Hmac<Sha256> as Mac>::new_from_slice(&[0; KEYED_HASH_LEN]) {
        *mac = blank;
    }
    std::hint::black_box(mac);
}

impl Drop for KeyedHasher {
    fn drop(&mut self) {
        wipe(&mut self.keyed);
    }
}

/// HMAC-SHA256 under the gateway's hashing key; its keyed state is wiped after each hash and
/// when the hasher is dropped.
pub(crate) struct KeyedHasher {
    /// The MAC keyed once; each hash starts from a clone of it.
    keyed: Hmac<Sha256>,
    hashes: AtomicU64,
}

impl KeyedHasher {
    /// A hasher under `key` (the gateway's hashing key, see [`crate::keys`]).
    pub fn new(key: &[u8; 32]) -> Result<Self, Error> {
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .map_err(|e| Error::Hashing(e.to_string()))?;
        Ok(Self {
            keyed,
            hashes: AtomicU64::new(0),
        })
    }

    /// The keyed hash of the `parts` in order, under `domain`.
    pub fn hash(&self, domain: &[u8], parts: &[&[u8]]) -> KeyedHash {
        self.hashes.fetch_add(1, Ordering::Relaxed);
        let mut mac = self.keyed.clone();
        // Every field length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        for field in std::iter::once(domain).chain(parts.iter().copied()) {
            mac.update(&u64::try_from(field.len()).unwrap_or(u64::MAX).to_be_bytes());
            mac.update(field);
        }
        let hash = mac.finalize_reset().into_bytes().into();
        wipe(&mut mac);
        hash
    }

    /// How many keyed hashes this hasher has computed.
    #[cfg(test)]
    pub fn hashes(&self) -> u64 {
        self.hashes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn argon2id_verifies_the_right_password_only_and_counts_every_verification() {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let hasher = PasswordHasher::new(Argon2Params::FAST, &mut rng).unwrap();
        let stored = hasher.hash(b"correct horse", &mut rng).unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{stored}"
        );
        assert!(hasher.verify(b"correct horse", Some(&stored)));
        assert!(!hasher.verify(b"wrong horse", Some(&stored)));
        assert!(!hasher.verify(b"correct horse", None));
        assert!(!hasher.verify(b"correct horse", Some("not a phc string")));
        assert_eq!(hasher.verifications(), 4);
    }

    #[test]
    fn hashes_with_other_parameters_are_outdated() {
        let mut rng = ChaCha20Rng::from_seed([2; 32]);
        let fast = PasswordHasher::new(Argon2Params::FAST, &mut rng).unwrap();
        let other = PasswordHasher::new(
            Argon2Params {
                memory_kib: 128,
                ..Argon2Params::FAST
            },
            &mut rng,
        )
        .unwrap();
        let current = fast.hash(b"pw", &mut rng).unwrap();
        let older = other.hash(b"pw", &mut rng).unwrap();
        assert!(!fast.is_outdated(&current));
        assert!(fast.is_outdated(&older));
        assert!(other.is_outdated(&current));
        assert!(!fast.is_outdated("not a phc string"));
    }

    #[test]
    fn keyed_hashes_depend_on_key_domain_and_part_boundaries() {
        let a = KeyedHasher::new(&[1; 32]).unwrap();
        let b = KeyedHasher::new(&[2; 32]).unwrap();
        let h = a.hash(domain::TOKEN, &[b"ab", b"c"]);
        assert_eq!(h, a.hash(domain::TOKEN, &[b"ab", b"c"]));
        assert_ne!(h, b.hash(domain::TOKEN, &[b"ab", b"c"]));
        assert_ne!(h, a.hash(domain::SUCCESSOR, &[b"ab", b"c"]));
        assert_ne!(h, a.hash(domain::TOKEN, &[b"a", b"bc"]));
        assert_eq!(a.hashes(), 4);
        assert!(ct_eq(&h, &h));
        assert!(!ct_eq(&h, &[0; 32]));
        assert!(!ct_eq(&h, &h[..31]));
    }
}
