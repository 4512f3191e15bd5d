//! The simulated device's flash: the firmware's in-RAM NOR flash (which enforces the NOR rules
//! and tears an operation when the power goes), kept in a file so "remember me" survives
//! restarting the simulator.
//!
//! The NOR rules live in one place, [`MemFlash`]; this wrapper only adds the file and a shared
//! handle. Every write or erase, torn or not, is saved to the file at once (through a temporary
//! file and a rename, so the host never leaves a half-written image): the file always holds
//! exactly what the device's flash chip would hold, torn bits included.
//!
//! The handle is shared ([`SimFlash`] is a cheap clone): the module's vault owns one copy, the
//! simulator keeps another to arm a power cut and to see that the power went.

use std::cell::RefCell;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use embedded_storage::nor_flash::{ErrorType, NorFlash, ReadNorFlash};
use padlock_firmware::vault::mem_flash::{MemFlash, MemFlashError};

/// Flash size given to the vault: four 4 KiB sectors.
pub const FLASH_SIZE: usize = 16 * 1024;
/// Erase sector size, as common serial NOR flash has.
pub const SECTOR_SIZE: usize = 4096;
/// Write word size.
pub const WORD_SIZE: usize = 4;

type Chip = MemFlash<FLASH_SIZE, SECTOR_SIZE, WORD_SIZE>;

#[derive(Debug)]
struct Inner {
    chip: Box<Chip>,
    file: Option<PathBuf>,
    /// The last error saving the image, reported by [`SimFlash::take_save_error`].
    save_error: Option<io::Error>,
}

/// File-backed NOR flash with power-cut injection; clones share one chip.
#[derive(Debug, Clone)]
pub struct SimFlash(Rc<RefCell<Inner>>);

impl SimFlash {
    /// Erased flash kept only in memory.
    pub fn in_memory() -> Self {
        Self::with(Box::new(Chip::new()), None)
    }

    /// The flash kept in `file`: its image if the file exists, else erased flash (the file is
    /// written at the first write or erase).
    ///
    /// # Errors
    /// The file cannot be read, or is not a flash image of [`FLASH_SIZE`] bytes.
    pub fn open(file: &Path) -> io::Result<Self> {
        let chip = match std::fs::read(file) {
            Ok(bytes) => {
                let image: [u8; FLASH_SIZE] = bytes.try_into().map_err(|b: Vec<u8>| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{} is {} bytes, not a {FLASH_SIZE}-byte flash image",
                            file.display(),
                            b.len()
                        ),
                    )
                })?;
                Box::new(Chip::from_image(image))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Box::new(Chip::new()),
            Err(e) => return Err(e),
        };
        Ok(Self::with(chip, Some(file.to_path_buf())))
    }

    fn with(chip: Box<Chip>, file: Option<PathBuf>) -> Self {
        Self(Rc::new(RefCell::new(Inner {
            chip,
            file,
            save_error: None,
        })))
    }

    /// Loses power during the `n`-th write or erase from now (1: the next one).
    pub fn cut_power_at(&self, n: usize) {
        self.0.borrow_mut().chip.cut_power_at(n.saturating_sub(1));
    }

    /// Whether a power cut has happened since the power was last restored.
    pub fn power_was_cut(&self) -> bool {
        self.0.borrow().chip.power_was_cut()
    }

    /// Power back on (a reboot), with no cut armed.
    pub fn restore_power(&self) {
        self.0.borrow_mut().chip.restore_power();
    }

    /// Writes and erases done so far.
    pub fn operations(&self) -> usize {
        self.0.borrow().chip.operations()
    }

    /// A copy of the raw contents.
    pub fn image(&self) -> Vec<u8> {
        self.0.borrow().chip.image().to_vec()
    }

    /// Why saving the image to its file last failed, if it did (once).
    pub fn take_save_error(&self) -> Option<io::Error> {
        self.0.borrow_mut().save_error.take()
    }

    /// Saves the image after a write or erase (whether or not it tore).
    fn save(&self) {
        let mut inner = self.0.borrow_mut();
        let Some(file) = inner.file.clone() else {
            return;
        };
        let result = write_atomically(&file, inner.chip.image());
        if let Err(e) = result {
            inner.save_error = Some(e);
        }
    }
}

/// Writes `bytes` to a temporary file beside `file`, then renames it over `file`.
pub(crate) fn write_atomically(file: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_file(file, bytes, 0o644)
}

/// As [`write_atomically`], for a file that holds a secret (a device secret, the demo app
/// password): only the owner may read it, from the moment it exists.
pub(crate) fn write_private(file: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_file(file, bytes, 0o600)
}

/// `file` replaced by `bytes` through a temporary file made with Unix permissions `mode`.
fn replace_file(file: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut temporary = file.as_os_str().to_owned();
    temporary.push(".new");
    let temporary = std::path::PathBuf::from(temporary);
    // A leftover from a write that was cut short.
    match std::fs::remove_file(&temporary) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    io::Write::write_all(&mut options.open(&temporary)?, bytes)?;
    std::fs::rename(&temporary, file)
}

impl ErrorType for SimFlash {
    type Error = MemFlashError;
}

impl ReadNorFlash for SimFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.0.borrow_mut().chip.read(offset, bytes)
    }

    fn capacity(&self) -> usize {
        FLASH_SIZE
    }
}

impl NorFlash for SimFlash {
    const WRITE_SIZE: usize = WORD_SIZE;
    const ERASE_SIZE: usize = SECTOR_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let result = self.0.borrow_mut().chip.erase(from, to);
        self.save();
        result
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let result = self.0.borrow_mut().chip.write(offset, bytes);
        self.save();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_survives_reopening_and_the_nor_rules_hold() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("flash.bin");
        let mut flash = SimFlash::open(&file).unwrap();
        flash.write(0, &[0x12, 0x34, 0x56, 0x78]).unwrap();
        assert_eq!(
            flash.write(0, &[0xFF, 0xFF, 0xFF, 0xFF]),
            Err(MemFlashError::NotErased)
        );
        let mut again = SimFlash::open(&file).unwrap();
        let mut back = [0u8; 4];
        again.read(0, &mut back).unwrap();
        assert_eq!(back, [0x12, 0x34, 0x56, 0x78]);
    }

    #[test]
    fn a_power_cut_is_saved_torn_and_stops_the_chip() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("flash.bin");
        let mut flash = SimFlash::open(&file).unwrap();
        let handle = flash.clone();
        handle.cut_power_at(2);
        flash.write(0, &[0; 8]).unwrap();
        assert_eq!(flash.write(8, &[0; 8]), Err(MemFlashError::PowerCut));
        assert!(handle.power_was_cut());
        assert_eq!(flash.read(0, &mut [0; 4]), Err(MemFlashError::PowerCut));
        // The file holds the torn write: its first word landed, the second did not.
        let image = std::fs::read(&file).unwrap();
        assert_eq!(
            &image[..16],
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        handle.restore_power();
        flash.read(0, &mut [0; 4]).unwrap();
    }

    #[test]
    fn a_file_of_the_wrong_size_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("flash.bin");
        std::fs::write(&file, b"not flash").unwrap();
        let error = SimFlash::open(&file).unwrap_err();
        assert!(
            error.to_string().contains("not a 16384-byte flash image"),
            "{error}"
        );
    }
}
