//! The gateway's two long-lived secrets, and the file that keeps them beside the database.
//!
//! - The **Noise static key**: devices are provisioned with its public half and use it to encrypt
//!   every request to this gateway.
//! - The **hashing key**: the key of the keyed hash under which app passwords and tokens are
//!   stored ([`crate::hashing`]). A copy of the database without this file lets nobody test a
//!   guessed app password.
//!
//! Both are made on the first `open` of a new database and written to `DB.keys` (the database's
//! file name with `.keys` appended), created with permissions 0600, synced before the gateway
//! uses them. Losing the file makes every app password and token in the database useless, so
//! opening an existing database whose key file is missing is an error, never a silent new key.
//!
//! Several gateways in front of one database share the keys as a sealed bundle instead
//! ([`sealed`]): [`export`] seals a key file's keys under a key-encryption key, [`import`] makes
//! the key file of another database from such a bundle.
//!
//! File layout (104 bytes): the magic `PLGWKEY1`, the Noise secret key (32), the hashing key
//! (32), then SHA-256 of the 72 bytes before it, so a damaged file is an error, not another key.

use std::io::Read;
use std::path::{Path, PathBuf};

use padlock_protocol::{PublicKey, StaticKeypair};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::files;

pub mod sealed;

use sealed::{Kek, SealError};

const MAGIC: &[u8; 8] = b"PLGWKEY1";
const BODY_LEN: usize = 8 + 32 + 32;
const FILE_LEN: usize = BODY_LEN + 32;

/// The gateway's static Noise key pair and its hashing key.
pub(crate) struct GatewayKeys {
    /// The Noise static key pair.
    pub noise: StaticKeypair,
    /// The key of the keyed hash.
    pub hashing: Zeroizing<[u8; 32]>,
}

impl GatewayKeys {
    /// Fresh keys from `rng`.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let noise = StaticKeypair::generate(rng);
        let mut hashing = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(hashing.as_mut());
        Self { noise, hashing }
    }

    /// Reads the key file at `path`, which must be a private file of this server's user (see
    /// the `files` module).
    pub fn load(path: &Path) -> Result<Self, Error> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(FILE_LEN));
        files::open_private(path)?
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Io {
                path: path.to_owned(),
                source,
            })?;
        let corrupt = || Error::CorruptKeys(path.to_owned());
        if bytes.len() != FILE_LEN {
            return Err(corrupt());
        }
        let (body, checksum) = bytes.split_at(BODY_LEN);
        let (magic, secrets) = body.split_at(MAGIC.len());
        if magic != MAGIC || Sha256::digest(body).as_slice() != checksum {
            return Err(corrupt());
        }
        let (noise, hashing) = secrets.split_at(32);
        let noise: [u8; 32] = noise.try_into().map_err(|_| corrupt())?;
        let hashing: [u8; 32] = hashing.try_into().map_err(|_| corrupt())?;
        Ok(Self {
            noise: StaticKeypair::from_secret(noise),
            hashing: Zeroizing::new(hashing),
        })
    }

    /// Writes a new key file at `path` (0600, synced; fails if the file exists).
    pub fn create(&self, path: &Path) -> Result<(), Error> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(FILE_LEN));
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(self.noise.secret_bytes());
        bytes.extend_from_slice(self.hashing.as_ref());
        let checksum = Sha256::digest(bytes.as_slice());
        bytes.extend_from_slice(&checksum);
        files::create_private(path, &bytes)
    }
}

/// Where the key file of the database at `db` lives: `db` with `.keys` appended.
pub fn key_file_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".keys");
    PathBuf::from(name)
}

/// The keys in the key file `key_file`, sealed under `kek`: the bundle in hex.
///
/// # Errors
/// The key file missing, unsafe or damaged (as the gateway finds it at start).
pub fn export(key_file: &Path, kek: &Kek) -> Result<String, Error> {
    let keys = GatewayKeys::load(key_file)?;
    Ok(sealed::seal(&keys, kek, &mut rand_core::OsRng))
}

/// What [`import`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// The key file was written.
    Written(PublicKey),
    /// The key file already held these very keys; nothing changed.
    AlreadyPresent(PublicKey),
}

/// Opens `bundle` with `kek` and writes the keys to the key file `key_file` (of a SQLite
/// database, which need not exist yet: `serve` then creates it with these keys; or the `--keys`
/// file of a gateway on PostgreSQL). Never replaces other keys.
///
/// # Errors
/// [`Error::SealedKeys`] if the bundle does not open under `kek` or the database already has
/// other keys; the key file's own errors.
pub fn import(key_file: &Path, bundle: &str, kek: &Kek) -> Result<Imported, Error> {
    let keys = sealed::open(bundle, kek)?;
    let public = keys.noise.public();
    if key_file.exists() {
        let present = GatewayKeys::load(key_file)?;
        return if present.same_as(&keys) {
            Ok(Imported::AlreadyPresent(public))
        } else {
            Err(SealError::OtherKeysPresent {
                present: present.noise.public(),
                bundle: public,
            }
            .into())
        };
    }
    keys.create(key_file)?;
    Ok(Imported::Written(public))
}

impl GatewayKeys {
    /// Whether `other` holds the same two secrets (compared in constant time).
    pub(crate) fn same_as(&self, other: &GatewayKeys) -> bool {
        use subtle::ConstantTimeEq;
        let noise = self.noise.secret_bytes().ct_eq(other.noise.secret_bytes());
        let hashing = self.hashing.as_ref().ct_eq(other.hashing.as_ref());
        (noise & hashing).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use std::fs;

    #[test]
    fn keys_round_trip_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_file_path(&dir.path().join("gateway.db"));
        assert!(path.ends_with("gateway.db.keys"));
        let keys = GatewayKeys::generate(&mut ChaCha20Rng::from_seed([3; 32]));
        keys.create(&path).unwrap();
        let loaded = GatewayKeys::load(&path).unwrap();
        assert_eq!(loaded.noise.public(), keys.noise.public());
        assert_eq!(*loaded.hashing, *keys.hashing);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            matches!(keys.create(&path), Err(Error::Io { .. })),
            "never overwritten"
        );
    }

    #[test]
    fn a_damaged_or_foreign_key_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.keys");
        GatewayKeys::generate(&mut ChaCha20Rng::from_seed([3; 32]))
            .create(&path)
            .unwrap();
        let mut bytes = fs::read(&path).unwrap();
        bytes[20] ^= 1;
        fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            GatewayKeys::load(&path),
            Err(Error::CorruptKeys(_))
        ));
        fs::write(&path, b"hello").unwrap();
        assert!(matches!(
            GatewayKeys::load(&path),
            Err(Error::CorruptKeys(_))
        ));
        assert!(matches!(
            GatewayKeys::load(&dir.path().join("absent.keys")),
            Err(Error::Io { .. })
        ));
    }

    #[test]
    fn export_then_import_gives_another_gateway_the_same_keys_and_never_replaces_others() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = ChaCha20Rng::from_seed([4; 32]);
        let first = dir.path().join("a.keys");
        let keys = GatewayKeys::generate(&mut rng);
        keys.create(&first).unwrap();
        let kek = Kek::generate(&mut rng);
        let bundle = export(&first, &kek).unwrap();

        let second = dir.path().join("b.keys");
        let public = keys.noise.public();
        assert_eq!(
            import(&second, &bundle, &kek).unwrap(),
            Imported::Written(public)
        );
        assert!(GatewayKeys::load(&second).unwrap().same_as(&keys));
        assert_eq!(
            import(&second, &bundle, &kek).unwrap(),
            Imported::AlreadyPresent(public)
        );

        let third = dir.path().join("c.keys");
        let others = GatewayKeys::generate(&mut rng);
        others.create(&third).unwrap();
        let refused = import(&third, &bundle, &kek).unwrap_err();
        assert!(
            refused.to_string().contains("other gateway keys"),
            "{refused}"
        );
        assert!(GatewayKeys::load(&third).unwrap().same_as(&others));

        let wrong = Kek::generate(&mut rng);
        let fourth = dir.path().join("d.keys");
        let refused = import(&fourth, &bundle, &wrong).unwrap_err();
        assert!(matches!(
            refused,
            Error::SealedKeys(SealError::WrongKek { .. })
        ));
        assert!(!fourth.exists());
    }
}
