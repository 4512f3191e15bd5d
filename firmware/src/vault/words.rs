//! Flashes that program whole pages, seen as flashes with small words.
//!
//! The storage layer (`sequential-storage`) takes flash words of at most [`MAX_WORD`] bytes,
//! but many NOR parts are programmed a page at a time: an RP2040's QSPI flash takes 256-byte
//! pages. NOR programming only ever clears bits, so programming a page whose other bytes are
//! their own current values changes nothing but the bytes being written. [`SmallWords`] uses
//! that: over a flash with a word above [`MAX_WORD`] it presents [`PRESENTED_WORD`]-byte words,
//! and writes each of them as a read of the page it falls in, the new bytes laid over, and one
//! program of the whole page.
//!
//! ```text
//! storage writes 4 bytes at 0x1204 ──▶ read page 0x1200..0x1300, overlay 0x04..0x08,
//!                                      program page 0x1200 (the other 252 bytes unchanged)
//! ```
//!
//! - A power cut during the page program can only tear the new bytes: the others are
//!   programmed to the values they already hold.
//! - The page is on the stack during a write (at most [`MAX_PAGE`] bytes), never in static RAM.
//! - A flash with a word of [`MAX_WORD`] bytes or less passes straight through.
//!
//! This needs a flash that accepts more than one program of a page between erases, as NOR
//! does (the embedded-storage name for it is `MultiwriteNorFlash`); flashes with ECC over each
//! word (some STM32 internal flashes) do not, but their words are 8 to 32 bytes and pass
//! straight through.

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// The largest flash word the storage layer takes directly, in bytes.
pub const MAX_WORD: usize = 32;
/// The largest page [`SmallWords`] programs, in bytes (the RP2040's flash page).
pub const MAX_PAGE: usize = 256;
/// The word [`SmallWords`] presents over a page-programmed flash, in bytes.
pub const PRESENTED_WORD: usize = 4;

/// A flash `F` whose word is at most [`MAX_WORD`] bytes, or presented as such.
#[derive(Debug)]
pub struct SmallWords<F>(pub F);

/// What a [`SmallWords`] operation can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WordsError<E> {
    /// The flash failed.
    Flash(E),
    /// The flash's page is over [`MAX_PAGE`] bytes (the vault refuses such a flash at start).
    PageTooLarge,
}

impl<E: NorFlashError> NorFlashError for WordsError<E> {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::Flash(e) => e.kind(),
            Self::PageTooLarge => NorFlashErrorKind::Other,
        }
    }
}

impl<F: NorFlash> SmallWords<F> {
    /// Whether `F` is programmed in pages larger than the storage layer's words.
    pub const PAGED: bool = F::WRITE_SIZE > MAX_WORD;

    /// Whether this flash can be used at all: a page of at most [`MAX_PAGE`] bytes and a
    /// read word of at most [`MAX_WORD`] bytes.
    pub const SUPPORTED: bool = F::WRITE_SIZE <= MAX_PAGE && F::READ_SIZE <= MAX_WORD;

    /// Writes `bytes` at `offset` one page program at a time.
    fn write_paged(&mut self, offset: u32, bytes: &[u8]) -> Result<(), WordsError<F::Error>> {
        let mut buffer = [0u8; MAX_PAGE];
        let page = buffer
            .get_mut(..F::WRITE_SIZE)
            .ok_or(WordsError::PageTooLarge)?;
        // Cannot truncate: `SUPPORTED` keeps the page at most MAX_PAGE bytes.
        let page_len = F::WRITE_SIZE as u32;
        let mut at = offset;
        let mut rest = bytes;
        while !rest.is_empty() {
            let page_start = at - at % page_len;
            let within = (at - page_start) as usize;
            let take = (F::WRITE_SIZE - within).min(rest.len());
            let (chunk, tail) = rest.split_at(take);
            if take < F::WRITE_SIZE {
                self.0.read(page_start, page).map_err(WordsError::Flash)?;
            }
            if let Some(target) = page.get_mut(within..within + take) {
                target.copy_from_slice(chunk);
            }
            self.0.write(page_start, page).map_err(WordsError::Flash)?;
            at = page_start.saturating_add(page_len);
            rest = tail;
        }
        Ok(())
    }
}

impl<F: ErrorType> ErrorType for SmallWords<F> {
    type Error = WordsError<F::Error>;
}

impl<F: ReadNorFlash> ReadNorFlash for SmallWords<F> {
    const READ_SIZE: usize = F::READ_SIZE;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.0.read(offset, bytes).map_err(WordsError::Flash)
    }

    fn capacity(&self) -> usize {
        self.0.capacity()
    }
}

impl<F: NorFlash> NorFlash for SmallWords<F> {
    const WRITE_SIZE: usize = if Self::PAGED {
        // A word the read word divides (the storage layer wants one to divide the other).
        if F::READ_SIZE > PRESENTED_WORD {
            F::READ_SIZE
        } else {
            PRESENTED_WORD
        }
    } else {
        F::WRITE_SIZE
    };
    const ERASE_SIZE: usize = F::ERASE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        self.0.erase(from, to).map_err(WordsError::Flash)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        if Self::PAGED {
            self.write_paged(offset, bytes)
        } else {
            self.0.write(offset, bytes).map_err(WordsError::Flash)
        }
    }
}
