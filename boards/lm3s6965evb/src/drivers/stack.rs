//! Stack high-water mark by painting: at boot the unused stack is filled with a pattern;
//! later, the lowest word no longer holding it shows how deep the stack has been.

use core::ptr::{addr_of, read_volatile, write_volatile};

const PAINT: u32 = 0xACE5_5ACE;
/// Room left below the stack pointer while painting, for this function's own frame.
const MARGIN: usize = 256;

unsafe extern "C" {
    /// Lowest address the stack may grow to (end of the statics), from cortex-m-rt's link.x.
    static _stack_end: u32;
    /// Initial stack pointer (top of RAM).
    static _stack_start: u32;
}

fn bounds() -> (usize, usize) {
    // Only the symbols' addresses are taken, never their contents.
    (
        addr_of!(_stack_end) as usize,
        addr_of!(_stack_start) as usize,
    )
}

/// Paints the stack below the current stack pointer. Call once, early in `main`.
pub fn paint() {
    let (bottom, _) = bounds();
    let sp = cortex_m::register::msp::read() as usize;
    let mut at = bottom.next_multiple_of(4);
    while at + MARGIN < sp {
        // SAFETY: [bottom, sp - MARGIN) is RAM between the statics and the live stack: no Rust
        // object lives there yet, and this loop's frame is above it.
        unsafe { write_volatile(at as *mut u32, PAINT) };
        at += 4;
    }
}

/// The deepest the stack has been since [`paint`], in bytes.
pub fn peak() -> usize {
    let (bottom, top) = bounds();
    let mut at = bottom.next_multiple_of(4);
    while at < top {
        // SAFETY: reading RAM inside the stack region; a word either still holds the paint
        // or was written by the program.
        if unsafe { read_volatile(at as *const u32) } != PAINT {
            break;
        }
        at += 4;
    }
    top - at
}
