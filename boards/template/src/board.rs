//! The board's parts: each is one small type or function to replace with the real driver.
//!
//! | part | here | replace with |
//! |---|---|---|
//! | display | [`MonoFrame`] (1 KB frame buffer) and [`Oled`], whose `write_page` is **empty** | your SSD1306/SH1106 bus: I²C or SPI, one page of 128 bytes per call |
//! | buttons | [`Buttons`] (press and release events) over [`read_button_pins`], which **reads nothing** | your GPIO reads, one bit per button |
//! | network | [`Unplugged`]: no cable, Sign in ends in "timed out" | your Ethernet or Wi-Fi driver, any smoltcp `phy::Device` |
//! | flash | [`MemFlash`] in RAM, RP2040-shaped (256-byte pages): forgotten at reset | your `NorFlash` driver and a range of at least two sectors it does not use for code |
//! | entropy | [`TestOnlyRng`]: **not random, test only** | a CSPRNG seeded from your TRNG |
//! | device secret | [`device_secret`]: **one fixed value, test only** | 32 bytes made once per device and kept where updates do not reach |
//! | gateway | [`GATEWAY`]: an example address and an all-zero key | your provisioning record |
//! | time | [`now_ms`] from SysTick at [`CORE_HZ`] | keep, with your core clock |

use core::cell::Cell;

use cortex_m::interrupt::{self, Mutex};
use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use padlock_firmware::input::{Button, RawInput};
use padlock_firmware::net::unplugged::Unplugged;
use padlock_firmware::render::mono_frame::{self, MonoFrame, Panel};
use padlock_firmware::vault::mem_flash::MemFlash;
use padlock_protocol::PublicKey;
use rand_core::{CryptoRng, RngCore, impls};
use sha2::{Digest, Sha256};
use smoltcp::wire::Ipv4Address;

/// The display's frame: 128 × 64 in 8 pages.
pub type Frame = MonoFrame<8>;

/// The network device.
pub type Nic = Unplugged;

/// The vault's flash: 2 sectors of 1 KiB programmed in 256-byte pages, in RAM.
pub type Flash = MemFlash<2048, 1024, 256>;

/// The part of [`Flash`] the vault owns (whole sectors, at least two).
pub const FLASH_RANGE: core::ops::Range<u32> = 0..2048;

/// The gateway: address, port and static public key (`padlock-server key show`).
pub struct Gateway {
    /// IPv4 address.
    pub address: Ipv4Address,
    /// TCP port.
    pub port: u16,
    /// The key that pins it.
    pub key: PublicKey,
}

/// REPLACE: read the provisioning record. An all-zero key makes every sign-in fail with
/// "handshake rejected", which says so on screen.
pub const GATEWAY: Gateway = Gateway {
    address: Ipv4Address::new(192, 168, 1, 10),
    port: 7700,
    key: PublicKey([0; 32]),
};

/// The panel behind [`Frame`].
pub struct Oled;

impl Panel for Oled {
    type Error = core::convert::Infallible;

    fn write_page(
        &mut self,
        page: u8,
        columns: &[u8; mono_frame::WIDTH],
    ) -> Result<(), Self::Error> {
        // REPLACE: set the page address (0xB0 | page) and column 0, then send the 128 bytes.
        let _ = (page, columns);
        Ok(())
    }
}

/// REPLACE: the buttons' levels now, bit n set while [`BUTTONS`]`[n]` is held (debounced in
/// hardware, or read no faster than the switches settle).
pub fn read_button_pins() -> u8 {
    0
}

/// The buttons, in the bit order of [`read_button_pins`]: the profile's six.
pub const BUTTONS: [Button; 6] = [
    Button::Up,
    Button::Down,
    Button::Left,
    Button::Right,
    Button::A,
    Button::Back,
];

/// Press and release events from the button levels. Releases matter: they end auto-repeat.
#[derive(Default)]
pub struct Buttons {
    held: u8,
}

impl Buttons {
    /// The next change since the last call, one button at a time; `None` when nothing changed.
    pub fn poll(&mut self, _now_ms: u64) -> Option<RawInput> {
        let pins = read_button_pins();
        let changed = pins ^ self.held;
        let bit = changed.trailing_zeros();
        let button = *BUTTONS.get(usize::try_from(bit).ok()?)?;
        let mask = 1u8 << bit;
        self.held ^= mask;
        Some(if pins & mask != 0 {
            RawInput::Down(button)
        } else {
            RawInput::Up(button)
        })
    }

    /// Whether a button changed since the last [`Buttons::poll`] (to end a sleep early).
    pub fn changed(&self) -> bool {
        read_button_pins() != self.held
    }
}

/// REPLACE: this device's secret. The fixed value here makes every board built from the
/// template the same device: test only.
pub fn device_secret() -> [u8; 32] {
    *b"TEST ONLY device secret: replace"
}

/// TEST ONLY, NOT RANDOM: SHA-256 over a fixed seed and a counter. It implements
/// `CryptoRng` only so that the module runs during bring-up; every board built from the
/// template draws the same "random" numbers, so its Noise handshakes and vault nonces are
/// predictable. Replace it with a CSPRNG seeded from a true entropy source.
pub struct TestOnlyRng {
    counter: u64,
}

impl TestOnlyRng {
    /// The generator; the warning is repeated at every boot in the log.
    pub const fn new() -> Self {
        Self { counter: 0 }
    }
}

impl RngCore for TestOnlyRng {
    fn next_u32(&mut self) -> u32 {
        impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        impls::next_u64_via_fill(self)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(32) {
            self.counter += 1;
            let block = Sha256::new()
                .chain_update(b"padlock template test-only rng")
                .chain_update(self.counter.to_le_bytes())
                .finalize();
            for (out, byte) in chunk.iter_mut().zip(block) {
                *out = byte;
            }
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

// Not true: see the type's documentation. Test only.
impl CryptoRng for TestOnlyRng {}

/// The core clock SysTick counts, in Hz (an RP2040's default 125 MHz). REPLACE with yours.
pub const CORE_HZ: u32 = 125_000_000;

static MILLIS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Starts the millisecond tick.
pub fn start_clock(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CORE_HZ / 1000 - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Milliseconds since [`start_clock`]. A critical section reads the 64-bit count: Cortex-M0+
/// has no 64-bit (or compare-and-swap) atomics.
pub fn now_ms() -> u64 {
    interrupt::free(|cs| MILLIS.borrow(cs).get())
}

/// Sleeps until `wake_ms` (an absolute time on [`now_ms`]'s clock) or a button changes.
pub fn sleep_until(wake_ms: u64, buttons: &Buttons) {
    while now_ms() < wake_ms && !buttons.changed() {
        // SysTick wakes the core every millisecond.
        cortex_m::asm::wfi();
    }
}

#[exception]
fn SysTick() {
    interrupt::free(|cs| {
        let millis = MILLIS.borrow(cs);
        millis.set(millis.get() + 1);
    });
}
