//! The Stellaris Ethernet MAC as a smoltcp `phy::Device`.
//!
//! The MAC moves frames through two FIFOs behind one data register (`MACDATA`):
//! - receive: `MACNP` counts waiting frames; a frame is read as 32-bit words, the first two
//!   bytes its length (frame + 2 length bytes + 4 FCS bytes), then the frame, then the FCS;
//! - transmit: the first word carries the payload length (frame less its 14-byte header) in
//!   its low half and the frame's first two bytes above; the frame follows in words; writing
//!   `MACTR` sends it, and the MAC pads short frames and appends the FCS.
//!
//! The PHY is not modelled by QEMU and the driver does not wait for a link.

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

use super::mmio::EMAC;

const RIS: usize = 0x00;
const RCTL: usize = 0x08;
const TCTL: usize = 0x0C;
const DATA: usize = 0x10;
const IA0: usize = 0x14;
const IA1: usize = 0x18;
const NP: usize = 0x34;
const TR: usize = 0x38;

const RCTL_RXEN: u32 = 0x01;
const RCTL_BADCRC: u32 = 0x08;
const RCTL_RSTFIFO: u32 = 0x10;
const TCTL_TXEN: u32 = 0x01;
const TCTL_PADEN: u32 = 0x02;
const TCTL_CRC: u32 = 0x04;
const TR_NEWTX: u32 = 0x01;
const MTU: usize = 1514;

/// The MAC, with a frame buffer each way.
pub struct Ethernet {
    rx: [u8; MTU],
    /// Bytes received (Ethernet frames), for the figures.
    pub received: u64,
    transmit: Transmit,
}

/// The sending half: its own buffer, so a receive token and a transmit token can coexist.
pub struct Transmit {
    buffer: [u8; MTU],
    /// Bytes sent (Ethernet frames), for the figures.
    pub sent: u64,
}

impl Ethernet {
    /// Resets the FIFOs, sets the MAC address, and enables both directions.
    pub fn new(mac: [u8; 6]) -> Self {
        EMAC.reg(RCTL).write(RCTL_RSTFIFO);
        EMAC.reg(IA0)
            .write(u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]));
        EMAC.reg(IA1)
            .write(u32::from_le_bytes([mac[4], mac[5], 0, 0]));
        EMAC.reg(TCTL).write(TCTL_TXEN | TCTL_PADEN | TCTL_CRC);
        EMAC.reg(RCTL).write(RCTL_RXEN | RCTL_BADCRC | RCTL_RSTFIFO);
        EMAC.reg(RIS).write(0xFF);
        Self {
            rx: [0; MTU],
            received: 0,
            transmit: Transmit {
                buffer: [0; MTU],
                sent: 0,
            },
        }
    }

    /// Reads the next waiting frame into the receive buffer; its length, if there was one.
    fn receive_frame(&mut self) -> Option<usize> {
        if EMAC.reg(NP).read() & 0x3F == 0 {
            return None;
        }
        let first = EMAC.reg(DATA).read().to_le_bytes();
        let total = usize::from(u16::from_le_bytes([first[0], first[1]]));
        // Frame bytes: all but the 2 length bytes and the 4 FCS bytes.
        let frame_len = total.saturating_sub(6).min(MTU);
        let words = total.div_ceil(4);
        let mut at = 0;
        let mut put = |byte: u8, rx: &mut [u8; MTU]| {
            if at < frame_len {
                rx[at] = byte;
            }
            at += 1;
        };
        put(first[2], &mut self.rx);
        put(first[3], &mut self.rx);
        for _ in 1..words {
            for byte in EMAC.reg(DATA).read().to_le_bytes() {
                put(byte, &mut self.rx);
            }
        }
        self.received += frame_len as u64;
        Some(frame_len)
    }
}

impl Transmit {
    fn send_frame(&mut self, len: usize) {
        let frame = &self.buffer[..len.min(MTU)];
        let payload = frame.len().saturating_sub(14) as u32;
        let (b0, b1) = (
            frame.first().copied().unwrap_or(0),
            frame.get(1).copied().unwrap_or(0),
        );
        EMAC.reg(DATA)
            .write(payload | (u32::from(b0) << 16) | (u32::from(b1) << 24));
        for word in frame.get(2..).unwrap_or(&[]).chunks(4) {
            let mut bytes = [0u8; 4];
            bytes[..word.len()].copy_from_slice(word);
            EMAC.reg(DATA).write(u32::from_le_bytes(bytes));
        }
        EMAC.reg(TR).write(TR_NEWTX);
        self.sent += frame.len() as u64;
    }
}

/// A received frame.
pub struct RxToken<'a>(&'a [u8]);

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

/// Room for a frame to send.
pub struct TxToken<'a>(&'a mut Transmit);

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(MTU);
        let result = f(&mut self.0.buffer[..len]);
        self.0.send_frame(len);
        result
    }
}

impl Device for Ethernet {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let len = self.receive_frame()?;
        let Self { rx, transmit, .. } = self;
        Some((RxToken(&rx[..len]), TxToken(transmit)))
    }

    fn transmit(&mut self, _: Instant) -> Option<TxToken<'_>> {
        Some(TxToken(&mut self.transmit))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(1);
        caps
    }
}
