//! The gateway's keys sealed under a key-encryption key, so that several gateway processes can
//! present one identity without the keys ever travelling or resting in clear.
//!
//! Every gateway in front of one database must answer with the same Noise static key (devices
//! are provisioned with its public half) and hash with the same hashing key (or no stored app
//! password or token would match). Each keeps them at rest in a key file, mode 0600 (beside its
//! SQLite database, or the `--keys` file of a gateway on PostgreSQL, [`super`]). They travel
//! from one machine to the next as a **sealed bundle**: the two secrets encrypted with
//! XChaCha20-Poly1305 under a **key-encryption key** (KEK), 32 random bytes read from a private
//! file or from the environment (a secrets manager). The bundle is no secret without the KEK: it
//! may sit in a backup, a deployment repository, or pass through a terminal.
//!
//! Bundle layout, written as lower-case hex on one line (153 bytes, 306 digits):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `PLGWSEAL` |
//! | 1 | format version, 1 |
//! | 8 | the KEK's id: the first 8 bytes of SHA-256(`padlock kek id` ‖ KEK) |
//! | 32 | the gateway's Noise public key |
//! | 24 | random nonce |
//! | 80 | XChaCha20-Poly1305 of the Noise secret key (32) ‖ the hashing key (32), tag (16) |
//!
//! The first four fields are the cipher's associated data, so none of them can be changed
//! without the bundle failing to open. The KEK id lets a gateway say "sealed under another key"
//! rather than only "does not open"; it is a hash of a 256-bit random key and tells nothing about
//! it. After opening, the public key derived from the secret must equal the one in the header.

use std::io::Read;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use padlock_protocol::{PublicKey, StaticKeypair};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::GatewayKeys;
use crate::error::Error;
use crate::files;

const MAGIC: &[u8; 8] = b"PLGWSEAL";
const VERSION: u8 = 1;
const KEK_ID_LEN: usize = 8;
const NONCE_LEN: usize = 24;
const SECRETS_LEN: usize = 64;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = MAGIC.len() + 1 + KEK_ID_LEN + 32;
/// Length of a sealed bundle in bytes (twice that in hex digits).
pub const BUNDLE_LEN: usize = HEADER_LEN + NONCE_LEN + SECRETS_LEN + TAG_LEN;

/// The environment variable that may hold the KEK itself, as 64 hex digits.
pub const KEK_ENV: &str = "PADLOCK_KEK";

/// Why a KEK or a sealed bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealError {
    /// The KEK is not 64 hex digits.
    BadKek,
    /// The text is not a sealed bundle of this format (wrong length, not hex, wrong magic or
    /// version).
    NotABundle,
    /// The bundle was sealed under another KEK than the one given.
    WrongKek {
        /// The id of the KEK the bundle was sealed under.
        sealed_under: String,
        /// The id of the KEK given.
        given: String,
    },
    /// The bundle names the given KEK but does not open: it was damaged or altered.
    Tampered,
    /// The database already has other gateway keys than the bundle's; importing would make its
    /// app passwords and tokens useless.
    OtherKeysPresent {
        /// The public key of the keys already there.
        present: PublicKey,
        /// The public key of the bundle's.
        bundle: PublicKey,
    },
}

impl std::fmt::Display for SealError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadKek => f.write_str("a key-encryption key is 64 hex digits"),
            Self::NotABundle => f.write_str("not a sealed Padlock gateway key bundle"),
            Self::WrongKek {
                sealed_under,
                given,
            } => write!(
                f,
                "the gateway keys are sealed under key-encryption key {sealed_under}, not under \
                 the one given ({given}); give the key-encryption key they were sealed with"
            ),
            Self::Tampered => f.write_str(
                "the sealed gateway keys do not open under their key-encryption key: the bundle \
                 was damaged or altered",
            ),
            Self::OtherKeysPresent { present, bundle } => write!(
                f,
                "the database already has other gateway keys (public key {present}) than the \
                 bundle's ({bundle}); refusing to replace them"
            ),
        }
    }
}

/// A key-encryption key: 32 random bytes that seal and open the gateway's keys.
pub struct Kek(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kek({})", self.id_hex())
    }
}

impl Kek {
    /// A fresh KEK from `rng`.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// Parses 64 hex digits (surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`SealError::BadKek`] for anything else.
    pub fn from_hex(text: &str) -> Result<Self, SealError> {
        let bytes = Zeroizing::new(decode_hex(text.trim()).ok_or(SealError::BadKek)?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| SealError::BadKek)?;
        Ok(Self(Zeroizing::new(key)))
    }

    /// Reads a KEK file: 64 hex digits, in a private file of this server's user (the `files`
    /// module's checks: no symbolic link, no group or other permission).
    ///
    /// # Errors
    /// [`Error::UnsafeFile`] / [`Error::Io`] as for the key file; [`Error::SealedKeys`] if the
    /// content is not a KEK.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let mut text = Zeroizing::new(String::new());
        files::open_private(path)?
            .take(256)
            .read_to_string(&mut text)
            .map_err(|source| Error::Io {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self::from_hex(&text)?)
    }

    /// Writes the KEK to a new private file (mode 0600, never overwritten) as [`Kek::load`]
    /// reads it.
    ///
    /// # Errors
    /// [`Error::Io`] if the file exists or cannot be written.
    pub fn create(&self, path: &Path) -> Result<(), Error> {
        let text = Zeroizing::new(format!("{}\n", self.to_hex().as_str()));
        files::create_private(path, text.as_bytes())
    }

    /// The KEK as 64 hex digits.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(crate::web::sessions::hex(self.0.as_ref()))
    }

    /// The KEK's public id (see the module docs).
    fn id(&self) -> [u8; KEK_ID_LEN] {
        let digest = Sha256::new()
            .chain_update(b"padlock kek id")
            .chain_update(self.0.as_ref())
            .finalize();
        let mut id = [0u8; KEK_ID_LEN];
        id.copy_from_slice(digest.get(..KEK_ID_LEN).unwrap_or_default());
        id
    }

    /// The KEK's id in hex, as error messages and `key export` name it.
    pub fn id_hex(&self) -> String {
        crate::web::sessions::hex(&self.id())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(self.0.as_ref()))
    }
}

/// Seals `keys` under `kek` with a fresh nonce from `rng`; the bundle in hex.
pub(crate) fn seal(keys: &GatewayKeys, kek: &Kek, rng: &mut (impl RngCore + CryptoRng)) -> String {
    let mut bundle = Vec::with_capacity(BUNDLE_LEN);
    bundle.extend_from_slice(MAGIC);
    bundle.push(VERSION);
    bundle.extend_from_slice(&kek.id());
    bundle.extend_from_slice(&keys.noise.public().0);
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    bundle.extend_from_slice(&nonce);
    let mut secrets = Zeroizing::new([0u8; SECRETS_LEN]);
    let (noise, hashing) = secrets.split_at_mut(32);
    noise.copy_from_slice(keys.noise.secret_bytes());
    hashing.copy_from_slice(keys.hashing.as_ref());
    // Encrypting a 64-byte message into memory cannot fail (the only error is a message
    // longer than the cipher's limit); an empty ciphertext would make an unopenable bundle,
    // which `open` reports, rather than a panic here.
    let sealed = kek
        .cipher()
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: secrets.as_ref(),
                aad: bundle.get(..HEADER_LEN).unwrap_or_default(),
            },
        )
        .unwrap_or_default();
    bundle.extend_from_slice(&sealed);
    crate::web::sessions::hex(&bundle)
}

/// Writes a bundle to a new file (mode 0600 though it is sealed: it still names the gateway).
///
/// # Errors
/// [`Error::Io`] if the file exists or cannot be written.
pub fn create_bundle_file(path: &Path, bundle: &str) -> Result<(), Error> {
    files::create_private(path, format!("{}\n", bundle.trim()).as_bytes())
}

/// The Noise public key a bundle names, without opening it (to show which gateway it is).
///
/// # Errors
/// [`SealError::NotABundle`] if `text` is not a bundle.
pub fn bundle_public_key(text: &str) -> Result<PublicKey, SealError> {
    let bundle = parse(text)?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&bundle.public);
    Ok(PublicKey(key))
}

/// Opens a bundle (hex, surrounding whitespace ignored) with `kek`.
///
/// # Errors
/// [`SealError::NotABundle`], [`SealError::WrongKek`] or [`SealError::Tampered`].
pub(crate) fn open(text: &str, kek: &Kek) -> Result<GatewayKeys, SealError> {
    let bundle = parse(text)?;
    if bundle.kek_id != kek.id() {
        return Err(SealError::WrongKek {
            sealed_under: crate::web::sessions::hex(&bundle.kek_id),
            given: kek.id_hex(),
        });
    }
    let secrets = Zeroizing::new(
        kek.cipher()
            .decrypt(
                XNonce::from_slice(&bundle.nonce),
                Payload {
                    msg: &bundle.sealed,
                    aad: &bundle.header,
                },
            )
            .map_err(|_| SealError::Tampered)?,
    );
    let (noise, hashing) = secrets.split_at(secrets.len().min(32));
    let noise: [u8; 32] = noise.try_into().map_err(|_| SealError::Tampered)?;
    let hashing: [u8; 32] = hashing.try_into().map_err(|_| SealError::Tampered)?;
    let noise = StaticKeypair::from_secret(noise);
    if noise.public().0 != bundle.public {
        return Err(SealError::Tampered);
    }
    Ok(GatewayKeys {
        noise,
        hashing: Zeroizing::new(hashing),
    })
}

/// A bundle split into its fields.
struct Parsed {
    header: Vec<u8>,
    kek_id: [u8; KEK_ID_LEN],
    public: [u8; 32],
    nonce: [u8; NONCE_LEN],
    sealed: Vec<u8>,
}

fn parse(text: &str) -> Result<Parsed, SealError> {
    let bytes = decode_hex(text.trim()).ok_or(SealError::NotABundle)?;
    if bytes.len() != BUNDLE_LEN {
        return Err(SealError::NotABundle);
    }
    let (header, rest) = bytes.split_at(HEADER_LEN);
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let (magic, fields) = header.split_at(MAGIC.len());
    let (version, fields) = fields.split_at(1);
    let (kek_id, public) = fields.split_at(KEK_ID_LEN);
    if magic != MAGIC || version != [VERSION] {
        return Err(SealError::NotABundle);
    }
    let wrong = |_| SealError::NotABundle;
    Ok(Parsed {
        header: header.to_vec(),
        kek_id: kek_id.try_into().map_err(wrong)?,
        public: public.try_into().map_err(wrong)?,
        nonce: nonce.try_into().map_err(wrong)?,
        sealed: sealed.to_vec(),
    })
}

/// Bytes from hex digits (either case), `None` for anything else.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let digits = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(digits, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn fixture() -> (GatewayKeys, Kek, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let keys = GatewayKeys::generate(&mut rng);
        let kek = Kek::generate(&mut rng);
        (keys, kek, rng)
    }

    #[test]
    fn a_bundle_round_trips_under_its_kek_and_shows_its_public_key() {
        let (keys, kek, mut rng) = fixture();
        let bundle = seal(&keys, &kek, &mut rng);
        assert_eq!(bundle.len(), 2 * BUNDLE_LEN);
        let opened = open(&format!("  {}\n", bundle.to_uppercase()), &kek).unwrap();
        assert_eq!(opened.noise.public(), keys.noise.public());
        assert_eq!(*opened.hashing, *keys.hashing);
        assert_eq!(bundle_public_key(&bundle).unwrap(), keys.noise.public());
        let secret_hex = crate::web::sessions::hex(keys.noise.secret_bytes());
        assert!(!bundle.contains(&secret_hex), "the secret is not in clear");
        let again = seal(&keys, &kek, &mut rng);
        assert_ne!(again, bundle, "a fresh nonce each time");
    }

    #[test]
    fn another_kek_is_refused_naming_both_keys() {
        let (keys, kek, mut rng) = fixture();
        let bundle = seal(&keys, &kek, &mut rng);
        let other = Kek::generate(&mut rng);
        let refused = open(&bundle, &other).err().unwrap();
        assert_eq!(
            refused,
            SealError::WrongKek {
                sealed_under: kek.id_hex(),
                given: other.id_hex()
            }
        );
        let message = refused.to_string();
        assert!(message.contains(&kek.id_hex()) && message.contains("sealed"));
    }

    #[test]
    fn any_altered_byte_is_refused() {
        let (keys, kek, mut rng) = fixture();
        let bundle = decode_hex(&seal(&keys, &kek, &mut rng)).unwrap();
        for at in 0..BUNDLE_LEN {
            let mut altered = bundle.clone();
            altered[at] ^= 0x40;
            let hex = crate::web::sessions::hex(&altered);
            let refused = open(&hex, &kek).err();
            let expected = match at {
                0..9 => SealError::NotABundle,
                9..17 => SealError::WrongKek {
                    sealed_under: crate::web::sessions::hex(&altered[9..17]),
                    given: kek.id_hex(),
                },
                _ => SealError::Tampered,
            };
            assert_eq!(refused, Some(expected), "byte {at}");
        }
    }

    #[test]
    fn what_is_not_a_bundle_or_a_kek_says_so() {
        let (keys, kek, mut rng) = fixture();
        let bundle = seal(&keys, &kek, &mut rng);
        for text in [
            "",
            "zz",
            &bundle[2..],
            &format!("{bundle}00"),
            "not hex at all",
        ] {
            assert_eq!(
                open(text, &kek).err(),
                Some(SealError::NotABundle),
                "{text}"
            );
        }
        assert_eq!(Kek::from_hex(&bundle).err(), Some(SealError::BadKek));
        assert_eq!(Kek::from_hex("12").err(), Some(SealError::BadKek));
        let hex = kek.to_hex();
        assert_eq!(Kek::from_hex(&hex).unwrap().id(), kek.id());
        assert!(
            !format!("{kek:?}").contains(hex.as_str()),
            "Debug hides the key"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_kek_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let (_, kek, _) = fixture();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        kek.create(&path).unwrap();
        assert!(kek.create(&path).is_err(), "never overwritten");
        assert_eq!(Kek::load(&path).unwrap().id(), kek.id());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(Kek::load(&path), Err(Error::UnsafeFile { .. })));
    }
}
