//! The "remember me" vault: one sealed remember-me token in the platform's flash.
//!
//! ```text
//! device secret ──HKDF-SHA256("padlock v1 vault key")──▶ vault key (never stored)
//!
//! record = version (1) ‖ nonce (12) ‖ email length (1) ‖ email ‖ sealed token (32) ‖ tag (16)
//!          sealed with ChaCha20-Poly1305 under the vault key,
//!          associated data = "padlock vault" ‖ version ‖ email length ‖ email
//! ```
//!
//! - The token is never in flash in clear. The email address is (it is shown on screen before
//!   any secret is entered, "Signing in as …"), but it is bound to the token by the
//!   associated data: change a byte and the record no longer opens.
//! - A record from another device (another device secret), of another format version, or
//!   with any bit flipped does not open, and counts as no token: [`Vault::load`] never fails.
//! - Records live in a `sequential-storage` map on the platform's `NorFlash` range: an update
//!   writes the new record before the old one stops counting, so a power cut at any step
//!   leaves the old token or the new one.
//! - A store reads the current record back before it reports success. The map takes the last
//!   item with the key in its newest page as the current one, and appends after the first
//!   erased slot it finds; on a range holding bytes it did not write (garbage, a foreign
//!   image) older records of ours can sit past that slot and would shadow the new one. Then
//!   the range is erased and the record written again: after a successful store, load returns
//!   exactly what was stored.
//! - [`Vault::forget`] erases the whole range: after sign-out not even the sealed bytes remain.
//! - Any NOR flash works: words up to 32 bytes directly, page-programmed flashes (up to
//!   256-byte pages, as the RP2040's) through [`words::SmallWords`]. [`Vault::new`] checks the
//!   flash and the range, and names what is wrong ([`VaultError`]).
//! - [`mem_flash::MemFlash`], a NOR flash in RAM, stands in for the board's flash while its
//!   driver is not written yet (and, with power cuts, in the tests).
//!
//! The key is derived with the same HKDF-SHA256 and the cipher is the same ChaCha20-Poly1305
//! as the Noise channel's (one RustCrypto generation on the device).

mod blocking;
pub mod mem_flash;
pub mod words;

use core::ops::Range;

use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce, Tag};
use embedded_storage::nor_flash::NorFlash;
use heapless::Vec;
use hkdf::Hkdf;
use padlock_protocol::limits::{MAX_EMAIL_LEN, REMEMBER_TOKEN_LEN};
use padlock_protocol::{Email, RememberToken};
use rand_core::{CryptoRng, RngCore};
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapConfigError, MapStorage};
use sha2::Sha256;
use zeroize::Zeroizing;

use blocking::{Blocking, block_on};
use words::SmallWords;

/// Format of the records this code writes; older or newer ones count as no token.
pub const FORMAT_VERSION: u8 = 1;

/// HKDF `info` for the vault key (the Noise static key uses another label).
pub const VAULT_KEY_INFO: &[u8] = b"padlock v1 vault key";

const AAD_LABEL: &[u8] = b"padlock vault";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// The record's one key in the map.
const RECORD_KEY: u8 = 1;
/// Largest record, and the storage buffer: record plus the map's key, rounded up to any
/// flash word up to 32 bytes.
const MAX_RECORD_LEN: usize = 1 + NONCE_LEN + 1 + MAX_EMAIL_LEN + REMEMBER_TOKEN_LEN + TAG_LEN;
const BUFFER_LEN: usize = (MAX_RECORD_LEN + 1).next_multiple_of(32);

/// A remembered sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    /// The account's email address.
    pub email: Email,
    /// The current remember-me token.
    pub token: RememberToken,
}

/// Why the vault cannot start over a flash and range, or could not store or forget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum VaultError {
    /// The range's start or end is not on a sector boundary (a multiple of the flash's
    /// `ERASE_SIZE`).
    RangeNotSectorAligned,
    /// The range is under two sectors: an update needs a sector to move the record into.
    RangeTooSmall,
    /// The range ends past the flash's capacity.
    RangeOutsideFlash,
    /// A sector cannot hold the largest record (about 330 bytes with the storage's headers, with 4-byte words).
    SectorTooSmall,
    /// The flash's write word (page) is over 256 bytes, or its read word over 32 bytes.
    WordTooLarge,
    /// The flash failed (or lost power) part-way; what was there before is still there.
    Flash,
    /// The flash range is too small for the record.
    Full,
}

/// Flash `F` as the storage layer sees it: async, with words of at most 32 bytes.
type Storage<F> = Blocking<SmallWords<F>>;

/// The sealed token store over flash `F`.
pub struct Vault<F: NorFlash> {
    map: MapStorage<u8, Storage<F>, Cache<Uncached, Uncached, Uncached, u8>>,
    key: Zeroizing<[u8; 32]>,
    buffer: [u8; BUFFER_LEN],
}

impl<F: NorFlash> Vault<F> {
    /// A vault in `range` of `flash` (whole sectors, at least two), sealed with a key derived
    /// from `device_secret`.
    ///
    /// # Errors
    /// [`VaultError::RangeNotSectorAligned`], [`VaultError::RangeTooSmall`] or
    /// [`VaultError::RangeOutsideFlash`] for a range that does not fit the flash;
    /// [`VaultError::SectorTooSmall`] or [`VaultError::WordTooLarge`] for a flash the vault
    /// cannot use.
    pub fn new(flash: F, range: Range<u32>, device_secret: &[u8]) -> Result<Self, VaultError> {
        check(&flash, &range)?;
        let config = MapConfig::<Storage<F>>::try_new(range).map_err(|e| match e {
            MapConfigError::StartRangeNotAtPageBoundary
            | MapConfigError::EndRangeNotAtPageBoundary => VaultError::RangeNotSectorAligned,
            MapConfigError::RangeTooSmall => VaultError::RangeTooSmall,
            MapConfigError::PagesTooSmall => VaultError::SectorTooSmall,
            MapConfigError::WordSizeTooLarge => VaultError::WordTooLarge,
        })?;
        let mut key = Zeroizing::new([0u8; 32]);
        // Cannot fail: 32 bytes is far under HKDF-SHA256's limit of 255 hashes.
        let _ = Hkdf::<Sha256>::new(None, device_secret).expand(VAULT_KEY_INFO, key.as_mut());
        Ok(Self {
            map: MapStorage::new(Blocking(SmallWords(flash)), config, Cache::new_uncached()),
            key,
            buffer: [0; BUFFER_LEN],
        })
    }

    /// The remembered sign-in, if there is one that opens. Anything else (nothing stored,
    /// a torn or tampered record, another device's, another format) is `None`.
    pub fn load(&mut self) -> Option<Remembered> {
        let record: Vec<u8, MAX_RECORD_LEN> = {
            let fetched = block_on(self.map.fetch_item::<&[u8]>(&mut self.buffer, &RECORD_KEY));
            match fetched {
                Ok(Some(bytes)) => Vec::from_slice(bytes).ok()?,
                Ok(None) => return None,
                Err(_) => {
                    padlock_fmt::warn!("vault: stored record unreadable, treated as none");
                    return None;
                }
            }
        };
        let opened = self.open(&record);
        if opened.is_none() {
            padlock_fmt::warn!("vault: stored record does not open, treated as none");
        }
        opened
    }

    /// Seals and stores `token` for `email`, replacing what was there. A fresh nonce comes
    /// from `rng`. The record is read back: if the range was not in the storage's layout, it
    /// is erased and the record written again.
    ///
    /// # Errors
    /// [`VaultError::Flash`] if the flash failed part-way (the previous record still loads);
    /// [`VaultError::Full`] if the range cannot hold the record.
    pub fn store(
        &mut self,
        email: &str,
        token: &RememberToken,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), VaultError> {
        let email_len = u8::try_from(email.len()).map_err(|_| VaultError::Full)?;
        if email.len() > MAX_EMAIL_LEN {
            return Err(VaultError::Full);
        }
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut sealed = Zeroizing::new(*token.as_bytes());
        let tag = ChaCha20Poly1305::new(self.key.as_ref().into())
            .encrypt_in_place_detached(
                Nonce::from_slice(&nonce),
                associated_data(email_len, email).as_slice(),
                sealed.as_mut(),
            )
            .map_err(|_| VaultError::Full)?;

        let mut record: Vec<u8, MAX_RECORD_LEN> = Vec::new();
        let parts: [&[u8]; 5] = [
            &[FORMAT_VERSION],
            &nonce,
            &[email_len],
            email.as_bytes(),
            sealed.as_ref(),
        ];
        for part in parts.into_iter().chain([tag.as_slice()]) {
            record
                .extend_from_slice(part)
                .map_err(|_| VaultError::Full)?;
        }
        self.write_record(&record)?;
        if self.current_record_is(&record) {
            return Ok(());
        }
        // The range holds items the storage did not write itself (garbage, another firmware's
        // data): the map would go on returning an older record of ours as the current one.
        // Only then is the range wiped and the record written again, on clean sectors.
        padlock_fmt::warn!("vault: flash range not in the storage's layout, erased");
        self.forget()?;
        self.write_record(&record)?;
        if self.current_record_is(&record) {
            Ok(())
        } else {
            Err(VaultError::Flash)
        }
    }

    /// Appends `record` as the map's newest item.
    fn write_record(&mut self, record: &[u8]) -> Result<(), VaultError> {
        block_on(self.map.store_item(&mut self.buffer, &RECORD_KEY, &record)).map_err(|e| match e {
            sequential_storage::Error::FullStorage | sequential_storage::Error::ItemTooBig => {
                VaultError::Full
            }
            _ => VaultError::Flash,
        })
    }

    /// Whether the record the map returns as current (what [`Vault::load`] opens) is `record`.
    fn current_record_is(&mut self, record: &[u8]) -> bool {
        matches!(
            block_on(self.map.fetch_item::<&[u8]>(&mut self.buffer, &RECORD_KEY)),
            Ok(Some(current)) if current == record
        )
    }

    /// Forgets the remembered sign-in: erases the whole range.
    ///
    /// # Errors
    /// [`VaultError::Flash`] if the erase failed; call again.
    pub fn forget(&mut self) -> Result<(), VaultError> {
        block_on(self.map.erase_all()).map_err(|_| VaultError::Flash)
    }

    /// The flash, back (for a reboot in tests and the simulator).
    pub fn into_flash(self) -> F {
        self.map.destroy().0.0.0
    }

    fn open(&self, record: &[u8]) -> Option<Remembered> {
        let (&version, rest) = record.split_first()?;
        if version != FORMAT_VERSION {
            return None;
        }
        let (nonce, rest) = rest.split_at_checked(NONCE_LEN)?;
        let (&email_len, rest) = rest.split_first()?;
        let (email, rest) = rest.split_at_checked(usize::from(email_len))?;
        let (sealed, tag) = rest.split_at_checked(REMEMBER_TOKEN_LEN)?;
        if tag.len() != TAG_LEN {
            return None;
        }
        let email = core::str::from_utf8(email).ok()?;
        let mut token = Zeroizing::new([0u8; REMEMBER_TOKEN_LEN]);
        token.copy_from_slice(sealed);
        ChaCha20Poly1305::new(self.key.as_ref().into())
            .decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                associated_data(email_len, email).as_slice(),
                token.as_mut(),
                Tag::from_slice(tag),
            )
            .ok()?;
        Some(Remembered {
            email: email.try_into().ok()?,
            token: RememberToken::from_bytes(*token),
        })
    }
}

/// The checks the storage layer does not make, or makes after the first write.
fn check<F: NorFlash>(flash: &F, range: &Range<u32>) -> Result<(), VaultError> {
    if !SmallWords::<F>::SUPPORTED {
        return Err(VaultError::WordTooLarge);
    }
    if usize::try_from(range.end).map_or(true, |end| end > flash.capacity()) {
        return Err(VaultError::RangeOutsideFlash);
    }
    // The storage's word, its item header (8 bytes: CRCs and length), the largest record
    // with its key, and the two page-state markers at a sector's ends, each padded to a word.
    let word = <SmallWords<F> as NorFlash>::WRITE_SIZE.max(F::READ_SIZE);
    let largest_item = 8usize.next_multiple_of(word) + (MAX_RECORD_LEN + 1).next_multiple_of(word);
    if F::ERASE_SIZE < largest_item + 2 * word {
        return Err(VaultError::SectorTooSmall);
    }
    Ok(())
}

fn associated_data(email_len: u8, email: &str) -> Vec<u8, { 13 + 2 + MAX_EMAIL_LEN }> {
    let mut aad = Vec::new();
    // Cannot fail: the capacity is the label, two bytes and the longest email.
    let _ = aad.extend_from_slice(AAD_LABEL);
    let _ = aad.extend_from_slice(&[FORMAT_VERSION, email_len]);
    let _ = aad.extend_from_slice(email.as_bytes());
    aad
}

#[cfg(test)]
mod tests;
