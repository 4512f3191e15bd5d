//! Flash and RAM a firmware image needs, read from its ELF section headers (32-bit, little
//! endian, as the Cortex-M targets produce): what `size -A` shows, without needing binutils.

use std::path::Path;

const SHF_ALLOC: u32 = 0x2;
const SHT_NOBITS: u32 = 8;

/// Bytes an image takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSize {
    /// Flash: code, read-only data, the vector table, and the initial values of `.data`.
    pub flash: u64,
    /// Static RAM: `.data`, `.bss` and `.uninit` (the stack comes on top).
    pub static_ram: u64,
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        bytes.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Sizes of the image at `path`, with RAM starting at `ram_start`.
pub fn image_size(path: &Path, ram_start: u32) -> Result<ImageSize, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.get(..5) != Some(b"\x7fELF\x01") {
        return Err("not a 32-bit ELF".into());
    }
    let bad = || "truncated ELF".to_string();
    let shoff = u32_at(&bytes, 0x20).ok_or_else(bad)? as usize;
    let shentsize = u16_at(&bytes, 0x2E).ok_or_else(bad)? as usize;
    let shnum = u16_at(&bytes, 0x30).ok_or_else(bad)? as usize;
    let mut size = ImageSize {
        flash: 0,
        static_ram: 0,
    };
    for i in 0..shnum {
        let header = shoff + i * shentsize;
        let kind = u32_at(&bytes, header + 4).ok_or_else(bad)?;
        let flags = u32_at(&bytes, header + 8).ok_or_else(bad)?;
        let addr = u32_at(&bytes, header + 12).ok_or_else(bad)?;
        let len = u64::from(u32_at(&bytes, header + 20).ok_or_else(bad)?);
        if flags & SHF_ALLOC == 0 || len == 0 {
            continue;
        }
        if addr >= ram_start {
            size.static_ram += len;
            if kind != SHT_NOBITS {
                // `.data`: its initial values are stored in flash too.
                size.flash += len;
            }
        } else {
            size.flash += len;
        }
    }
    Ok(size)
}
