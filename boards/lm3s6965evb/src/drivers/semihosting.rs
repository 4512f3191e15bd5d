//! Files on the host through ARM semihosting: how the image gets entropy (the host's
//! `/dev/urandom`), its provisioning record, and the file behind its flash under QEMU.
//!
//! A real board has none of this. The LM3S6965 has no TRNG: a production board seeds its
//! CSPRNG from a hardware entropy source (an MCU with a TRNG, or an external one) and keeps
//! the vault in its internal flash (see the README).

use cortex_m_semihosting::syscall;

/// How a file is opened (the semihosting mode numbers).
#[derive(Clone, Copy)]
pub enum Mode {
    /// Read only, binary.
    Read = 1,
    /// Read and write an existing file, binary.
    ReadWrite = 3,
    /// Create or truncate, read and write, binary.
    Create = 7,
}

/// An open host file.
pub struct File(usize);

impl File {
    /// Opens `path` (NUL-terminated).
    pub fn open(path: &[u8], mode: Mode) -> Option<Self> {
        let len = path.len().checked_sub(1)?;
        if path.last() != Some(&0) {
            return None;
        }
        // SAFETY: SYS_OPEN reads `len` bytes of a NUL-terminated name that lives for the call;
        // the debugger (QEMU) writes nothing into our memory.
        let handle = unsafe { syscall!(OPEN, path.as_ptr(), mode as usize, len) };
        (handle as isize >= 0).then_some(Self(handle))
    }

    /// Reads into `buffer` at the current position; returns the bytes read.
    pub fn read(&mut self, buffer: &mut [u8]) -> usize {
        // SAFETY: SYS_READ writes at most `buffer.len()` bytes into `buffer`, which we own.
        let unread = unsafe { syscall!(READ, self.0, buffer.as_mut_ptr(), buffer.len()) };
        buffer.len().saturating_sub(unread)
    }

    /// Writes `bytes` at the current position; true if all were written.
    pub fn write(&mut self, bytes: &[u8]) -> bool {
        // SAFETY: SYS_WRITE only reads `bytes.len()` bytes from `bytes`.
        unsafe { syscall!(WRITE, self.0, bytes.as_ptr(), bytes.len()) == 0 }
    }

    /// Moves to byte `position`.
    pub fn seek(&mut self, position: usize) -> bool {
        // SAFETY: SYS_SEEK takes a handle and a number; no memory is shared.
        unsafe { syscall!(SEEK, self.0, position) == 0 }
    }

    /// The file's length.
    pub fn len(&mut self) -> usize {
        // SAFETY: SYS_FLEN takes a handle; no memory is shared.
        let len = unsafe { syscall!(FLEN, self.0) };
        if len as isize >= 0 { len } else { 0 }
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // SAFETY: SYS_CLOSE takes the handle this value owns; it is not used again.
        unsafe {
            syscall!(CLOSE, self.0);
        }
    }
}
