//! An in-RAM NOR flash that enforces NOR rules and (in tests) can lose power at any step.
//!
//! On a board it stands in for the flash while the real driver is not written yet: the module
//! runs, signs in and remembers the token until the next reset. It is `no_std` and
//! allocation-free; its `SIZE` bytes live wherever the [`MemFlash`] value does (inside the
//! vault, so a `static` module puts them in static RAM). On the host it is the flash of the
//! vault's tests and the simulator.
//!
//! Rules enforced (each breach is an error, so a bug shows up in tests, not on a device):
//! - writes and erases must be aligned to [`MemFlash::WRITE`] and [`MemFlash::ERASE`] bytes;
//! - a write can only clear bits (1 → 0); setting a 0 bit back to 1 needs an erase;
//! - erase sets whole sectors to `0xFF`.
//!
//! With `cfg(test)` or the `std` feature, `MemFlash::cut_power_at` arms a power cut at the n-th write or erase from now: that
//! operation is torn (only its first half happens) and it and every later operation fail until
//! `MemFlash::restore_power`, as if the device lost power and rebooted.

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// What a [`MemFlash`] operation can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MemFlashError {
    /// Offset or length not aligned as the flash requires.
    NotAligned,
    /// Outside the flash.
    OutOfBounds,
    /// A write tried to set a 0 bit to 1 without an erase.
    NotErased,
    /// The power is off (a cut happened).
    PowerCut,
}

impl NorFlashError for MemFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::NotAligned => NorFlashErrorKind::NotAligned,
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            Self::NotErased | Self::PowerCut => NorFlashErrorKind::Other,
        }
    }
}

/// `SIZE` bytes of NOR flash with `ERASE`-byte sectors and `WRITE`-byte words.
#[derive(Debug, Clone)]
pub struct MemFlash<const SIZE: usize, const ERASE: usize, const WRITE: usize> {
    bytes: [u8; SIZE],
    cut_in: Option<usize>,
    powered: bool,
    operations: usize,
}

impl<const SIZE: usize, const ERASE: usize, const WRITE: usize> Default
    for MemFlash<SIZE, ERASE, WRITE>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const SIZE: usize, const ERASE: usize, const WRITE: usize> MemFlash<SIZE, ERASE, WRITE> {
    /// Sector size in bytes.
    pub const ERASE: usize = ERASE;
    /// Word size in bytes.
    pub const WRITE: usize = WRITE;

    /// Erased flash, power on.
    pub const fn new() -> Self {
        Self {
            bytes: [0xFF; SIZE],
            cut_in: None,
            powered: true,
            operations: 0,
        }
    }

    /// Flash holding `bytes` (a saved image), power on.
    pub fn from_image(bytes: [u8; SIZE]) -> Self {
        Self {
            bytes,
            ..Self::new()
        }
    }

    /// The raw contents.
    pub fn image(&self) -> &[u8; SIZE] {
        &self.bytes
    }

    /// Loses power during the write or erase `n` operations from now (0: the next one).
    #[cfg(any(test, feature = "std"))]
    pub fn cut_power_at(&mut self, n: usize) {
        self.cut_in = Some(n);
    }

    /// Power back on, as after a reboot.
    #[cfg(any(test, feature = "std"))]
    pub fn restore_power(&mut self) {
        self.powered = true;
        self.cut_in = None;
    }

    /// Whether a cut has happened since power was last restored.
    #[cfg(any(test, feature = "std"))]
    pub fn power_was_cut(&self) -> bool {
        !self.powered
    }

    /// Writes and erases done so far.
    #[cfg(any(test, feature = "std"))]
    pub fn operations(&self) -> usize {
        self.operations
    }

    /// Counts one write or erase; true if the power goes during it.
    fn tears(&mut self) -> Result<bool, MemFlashError> {
        if !self.powered {
            return Err(MemFlashError::PowerCut);
        }
        self.operations += 1;
        match self.cut_in {
            Some(0) => {
                self.powered = false;
                self.cut_in = None;
                Ok(true)
            }
            Some(n) => {
                self.cut_in = Some(n - 1);
                Ok(false)
            }
            None => Ok(false),
        }
    }

    fn range(
        &self,
        offset: u32,
        len: usize,
        align: usize,
    ) -> Result<core::ops::Range<usize>, MemFlashError> {
        let start = offset as usize;
        if !start.is_multiple_of(align) || !len.is_multiple_of(align) {
            return Err(MemFlashError::NotAligned);
        }
        let end = start.checked_add(len).ok_or(MemFlashError::OutOfBounds)?;
        if end > SIZE {
            return Err(MemFlashError::OutOfBounds);
        }
        Ok(start..end)
    }
}

impl<const SIZE: usize, const ERASE: usize, const WRITE: usize> ErrorType
    for MemFlash<SIZE, ERASE, WRITE>
{
    type Error = MemFlashError;
}

impl<const SIZE: usize, const ERASE: usize, const WRITE: usize> ReadNorFlash
    for MemFlash<SIZE, ERASE, WRITE>
{
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        if !self.powered {
            return Err(MemFlashError::PowerCut);
        }
        let range = self.range(offset, bytes.len(), 1)?;
        bytes.copy_from_slice(self.bytes.get(range).ok_or(MemFlashError::OutOfBounds)?);
        Ok(())
    }

    fn capacity(&self) -> usize {
        SIZE
    }
}

impl<const SIZE: usize, const ERASE: usize, const WRITE: usize> NorFlash
    for MemFlash<SIZE, ERASE, WRITE>
{
    const WRITE_SIZE: usize = WRITE;
    const ERASE_SIZE: usize = ERASE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let len = to.checked_sub(from).ok_or(MemFlashError::OutOfBounds)? as usize;
        let range = self.range(from, len, ERASE)?;
        let torn = self.tears()?;
        let end = if torn {
            range.start + len / 2
        } else {
            range.end
        };
        if let Some(sector) = self.bytes.get_mut(range.start..end) {
            sector.fill(0xFF);
        }
        if torn {
            Err(MemFlashError::PowerCut)
        } else {
            Ok(())
        }
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let range = self.range(offset, bytes.len(), WRITE)?;
        let stored = self
            .bytes
            .get(range.clone())
            .ok_or(MemFlashError::OutOfBounds)?;
        if stored.iter().zip(bytes).any(|(old, new)| !old & new != 0) {
            return Err(MemFlashError::NotErased);
        }
        let torn = self.tears()?;
        // A torn write lands its first whole words only.
        let words = bytes.len() / WRITE;
        let landed = if torn { words / 2 * WRITE } else { bytes.len() };
        for (old, new) in self
            .bytes
            .get_mut(range)
            .into_iter()
            .flatten()
            .zip(bytes)
            .take(landed)
        {
            *old &= new;
        }
        if torn {
            Err(MemFlashError::PowerCut)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Flash = MemFlash<1024, 256, 4>;

    #[test]
    fn nor_rules_are_enforced() {
        let mut flash = Flash::new();
        assert_eq!(flash.write(1, &[0; 4]), Err(MemFlashError::NotAligned));
        assert_eq!(flash.write(0, &[0; 3]), Err(MemFlashError::NotAligned));
        assert_eq!(flash.write(1024, &[0; 4]), Err(MemFlashError::OutOfBounds));
        flash.write(0, &[0x0F, 0xF0, 0xFF, 0x00]).unwrap();
        flash.write(0, &[0x0E, 0x00, 0xFF, 0x00]).unwrap();
        assert_eq!(
            flash.write(0, &[0xFF, 0, 0, 0]),
            Err(MemFlashError::NotErased)
        );
        assert_eq!(flash.erase(0, 100), Err(MemFlashError::NotAligned));
        flash.erase(0, 256).unwrap();
        let mut back = [0u8; 4];
        flash.read(0, &mut back).unwrap();
        assert_eq!(back, [0xFF; 4]);
    }

    #[test]
    fn a_cut_tears_the_operation_and_stops_the_rest() {
        let mut flash = Flash::new();
        flash.cut_power_at(1);
        flash.write(0, &[0; 8]).unwrap();
        assert_eq!(flash.write(8, &[0; 8]), Err(MemFlashError::PowerCut));
        assert_eq!(flash.read(0, &mut [0; 4]), Err(MemFlashError::PowerCut));
        flash.restore_power();
        let mut back = [0u8; 16];
        flash.read(0, &mut back).unwrap();
        assert_eq!(
            back,
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        );
    }
}
