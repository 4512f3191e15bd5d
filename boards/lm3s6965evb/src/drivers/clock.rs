//! Monotonic milliseconds from SysTick.
//!
//! SysTick interrupts once a millisecond and the handler bumps a counter. QEMU clocks the
//! board's core at about 12.5 MHz by default (as the reset value of the clock configuration
//! does on hardware, from the 12 MHz crystal... close enough for timeouts of seconds).

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;

/// Core clock, in ticks per millisecond.
const TICKS_PER_MS: u32 = 12_500;

static MILLIS: AtomicU32 = AtomicU32::new(0);
static WRAPS: AtomicU32 = AtomicU32::new(0);

/// Starts the millisecond tick.
pub fn start(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(TICKS_PER_MS - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Milliseconds since [`start`].
pub fn now_ms() -> u64 {
    // Read the wrap count on both sides of the low word so a wrap in between is seen.
    loop {
        let high = WRAPS.load(Ordering::Acquire);
        let low = MILLIS.load(Ordering::Acquire);
        if WRAPS.load(Ordering::Acquire) == high {
            return (u64::from(high) << 32) | u64::from(low);
        }
    }
}

#[exception]
fn SysTick() {
    if MILLIS.fetch_add(1, Ordering::AcqRel) == u32::MAX {
        WRAPS.fetch_add(1, Ordering::AcqRel);
    }
}
