//! The device's traffic as a pcap file (raw IPv4, no link layer), readable by Wireshark and
//! tcpdump. Timestamps are the run's virtual time.
//!
//! What the device's network card saw: every packet it sent (including those the wire then
//! lost, corrupted or held back) when it left, and every packet it received when it arrived.
//! Packets sent while its cable was unplugged never left and are not in the file.

use std::io::{self, Write};

use padlock_firmware::net::wire::{Capture, Fate};

/// pcap's link type for raw IP packets.
const LINKTYPE_RAW: u32 = 101;

/// The device's end of the wire.
const DEVICE_END: usize = 0;

/// Whether the device's card saw `capture`.
pub fn seen_by_device(capture: &Capture) -> bool {
    match capture.fate {
        Fate::Sent { .. } | Fate::Corrupted { .. } | Fate::Reordered { .. } | Fate::Lost => {
            capture.from == DEVICE_END
        }
        Fate::Delivered => capture.from != DEVICE_END,
        Fate::LinkDown => false,
    }
}

/// Writes a pcap file of `captures` (those the device saw) to `out`.
///
/// # Errors
/// Whatever `out` returns.
pub fn write<'a>(
    out: &mut impl Write,
    captures: impl IntoIterator<Item = &'a Capture>,
) -> io::Result<()> {
    // Global header: magic (microsecond timestamps), version 2.4, zone 0, accuracy 0,
    // snapshot length, link type.
    out.write_all(&0xA1B2_C3D4u32.to_le_bytes())?;
    out.write_all(&2u16.to_le_bytes())?;
    out.write_all(&4u16.to_le_bytes())?;
    out.write_all(&0i32.to_le_bytes())?;
    out.write_all(&0u32.to_le_bytes())?;
    out.write_all(&65_535u32.to_le_bytes())?;
    out.write_all(&LINKTYPE_RAW.to_le_bytes())?;
    for capture in captures.into_iter().filter(|c| seen_by_device(c)) {
        let len = u32::try_from(capture.bytes.len()).unwrap_or(u32::MAX);
        out.write_all(
            &u32::try_from(capture.at_ms / 1000)
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        )?;
        out.write_all(&(((capture.at_ms % 1000) * 1000) as u32).to_le_bytes())?;
        out.write_all(&len.to_le_bytes())?;
        out.write_all(&len.to_le_bytes())?;
        out.write_all(&capture.bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_framed_with_virtual_time() {
        let sent = Capture {
            at_ms: 2_345,
            from: 0,
            fate: Fate::Sent { arrival_ms: 2_400 },
            bytes: vec![0x45, 0, 0, 20],
        };
        let lost_towards_device = Capture {
            from: 1,
            fate: Fate::Lost,
            ..sent.clone()
        };
        let mut out = Vec::new();
        write(&mut out, [&sent, &lost_towards_device]).unwrap();
        assert_eq!(out.len(), 24 + 16 + 4);
        assert_eq!(&out[20..24], &101u32.to_le_bytes());
        assert_eq!(&out[24..28], &2u32.to_le_bytes());
        assert_eq!(&out[28..32], &345_000u32.to_le_bytes());
        assert_eq!(&out[40..], &[0x45, 0, 0, 20]);
    }
}
