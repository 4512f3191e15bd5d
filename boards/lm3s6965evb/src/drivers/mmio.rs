//! Memory-mapped registers of the LM3S6965, and the clock gates that power them.

/// A 32-bit peripheral register.
#[derive(Clone, Copy)]
pub struct Reg(usize);

impl Reg {
    /// The register at `address`.
    ///
    /// # Safety
    /// `address` must be a register of the LM3S6965 (datasheet section "Register Map") that
    /// tolerates 32-bit volatile reads and writes, and nothing else in the image may rely on
    /// it keeping a value this code changes.
    pub const unsafe fn at(address: usize) -> Self {
        Self(address)
    }

    /// Reads the register.
    pub fn read(self) -> u32 {
        // SAFETY: `Reg::at`'s contract: a real, aligned register of this chip.
        unsafe { core::ptr::read_volatile(self.0 as *const u32) }
    }

    /// Writes the register.
    pub fn write(self, value: u32) {
        // SAFETY: as for `read`.
        unsafe { core::ptr::write_volatile(self.0 as *mut u32, value) }
    }

    /// Sets the bits of `mask`.
    pub fn set(self, mask: u32) {
        self.write(self.read() | mask);
    }
}

/// A peripheral's register block.
#[derive(Clone, Copy)]
pub struct Block(usize);

impl Block {
    /// The register at `offset` in the block.
    pub fn reg(self, offset: usize) -> Reg {
        // SAFETY: blocks are only the constants below, each the base of a peripheral in the
        // LM3S6965 memory map; callers use offsets from the datasheet's register tables.
        unsafe { Reg::at(self.0 + offset) }
    }
}

/// System control: clock gating.
pub const SYSCTL: Block = Block(0x400F_E000);
/// GPIO ports (APB aperture).
pub const GPIO_C: Block = Block(0x4000_6000);
/// GPIO port D.
pub const GPIO_D: Block = Block(0x4000_7000);
/// GPIO port E.
pub const GPIO_E: Block = Block(0x4002_4000);
/// GPIO port F.
pub const GPIO_F: Block = Block(0x4002_5000);
/// Synchronous serial interface 0 (an ARM PL022), wired to the OLED.
pub const SSI0: Block = Block(0x4000_8000);
/// The Ethernet MAC.
pub const EMAC: Block = Block(0x4004_8000);

/// GPIO register offsets.
pub mod gpio {
    /// Direction: 1 = output.
    pub const DIR: usize = 0x400;
    /// Pull-up enable.
    pub const PUR: usize = 0x510;
    /// Digital enable.
    pub const DEN: usize = 0x51C;
    /// The data register seen through `mask`: only those pins are read or written.
    pub const fn data(mask: u8) -> usize {
        (mask as usize) << 2
    }
}

/// Turns on the clocks of everything the image uses: SSI0, GPIO A to G, the Ethernet MAC and
/// PHY. (QEMU runs peripherals regardless; the hardware does not.)
pub fn enable_clocks() {
    SYSCTL.reg(0x104).set(1 << 4); // RCGC1: SSI0
    SYSCTL.reg(0x108).set(0x7F | (1 << 28) | (1 << 30)); // RCGC2: GPIO A-G, EMAC, EPHY
}
