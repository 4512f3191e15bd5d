//! The vault's flash under QEMU: a `NorFlash` kept in a file on the host, through
//! semihosting, so "remember me" survives restarting QEMU.
//!
//! QEMU does not emulate the LM3S6965's flash controller for writes, so the image cannot keep
//! the vault in internal flash there. The file gets NOR semantics here (erase to `0xFF`, writes
//! only clear bits), the same rules the module's tests enforce.

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

use super::semihosting::{File, Mode};

/// Size of the vault's flash: 8 sectors of 1 KiB.
pub const SIZE: usize = 8 * 1024;

/// A host file with NOR rules.
pub struct HostFlash {
    file: File,
}

/// A semihosting or NOR-rule failure.
#[derive(Debug, Clone, Copy)]
pub enum HostFlashError {
    /// The host file could not be read or written.
    Io,
    /// Offset or length not aligned.
    NotAligned,
    /// Outside the flash.
    OutOfBounds,
}

impl NorFlashError for HostFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::NotAligned => NorFlashErrorKind::NotAligned,
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            Self::Io => NorFlashErrorKind::Other,
        }
    }
}

impl HostFlash {
    /// Opens the flash file `path` (NUL-terminated), creating an erased one if needed.
    pub fn open(path: &[u8]) -> Option<Self> {
        if let Some(mut file) = File::open(path, Mode::ReadWrite) {
            if file.len() == SIZE {
                return Some(Self { file });
            }
        }
        let mut file = File::open(path, Mode::Create)?;
        let erased = [0xFFu8; 1024];
        for _ in 0..SIZE / erased.len() {
            if !file.write(&erased) {
                return None;
            }
        }
        Some(Self { file })
    }

    fn check(offset: u32, len: usize, align: usize) -> Result<usize, HostFlashError> {
        let start = offset as usize;
        if start % align != 0 || len % align != 0 {
            return Err(HostFlashError::NotAligned);
        }
        if start + len > SIZE {
            return Err(HostFlashError::OutOfBounds);
        }
        Ok(start)
    }
}

impl ErrorType for HostFlash {
    type Error = HostFlashError;
}

impl ReadNorFlash for HostFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let start = Self::check(offset, bytes.len(), 1)?;
        if self.file.seek(start) && self.file.read(bytes) == bytes.len() {
            Ok(())
        } else {
            Err(HostFlashError::Io)
        }
    }

    fn capacity(&self) -> usize {
        SIZE
    }
}

impl NorFlash for HostFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = 1024;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let len = to.checked_sub(from).ok_or(HostFlashError::OutOfBounds)? as usize;
        let start = Self::check(from, len, Self::ERASE_SIZE)?;
        let erased = [0xFFu8; Self::ERASE_SIZE];
        for sector in 0..len / Self::ERASE_SIZE {
            if !(self.file.seek(start + sector * Self::ERASE_SIZE) && self.file.write(&erased)) {
                return Err(HostFlashError::Io);
            }
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let start = Self::check(offset, bytes.len(), Self::WRITE_SIZE)?;
        // Writes only clear bits: AND with what is there, a word at a time.
        for (i, chunk) in bytes.chunks(Self::WRITE_SIZE).enumerate() {
            let at = start + i * Self::WRITE_SIZE;
            let mut word = [0u8; 4];
            if !(self.file.seek(at) && self.file.read(&mut word) == 4) {
                return Err(HostFlashError::Io);
            }
            for (old, new) in word.iter_mut().zip(chunk) {
                *old &= new;
            }
            if !(self.file.seek(at) && self.file.write(&word)) {
                return Err(HostFlashError::Io);
            }
        }
        Ok(())
    }
}
