//! The five buttons: PE0 to PE3 (up, down, left, right) and PF1 (select), active low.
//!
//! Debounced by requiring two equal reads 10 ms apart. QEMU's model reads every button as
//! pressed until it has been pressed and released once, so a button counts only after it has
//! first been seen released.

use padlock_firmware::input::{Button, RawInput};

use super::mmio::{GPIO_E, GPIO_F, gpio};

const PINS: [(Button, bool, u8); 5] = [
    (Button::Up, true, 1 << 0),
    (Button::Down, true, 1 << 1),
    (Button::Left, true, 1 << 2),
    (Button::Right, true, 1 << 3),
    (Button::A, false, 1 << 1),
];

/// Debounced button state.
pub struct Buttons {
    /// Stable level of each pin: true = pressed.
    pressed: [bool; 5],
    /// Level at the last sample, to debounce.
    last_sample: [bool; 5],
    /// Whether the pin has been seen released (QEMU reads "pressed" until then).
    armed: [bool; 5],
    next_sample_ms: u64,
}

impl Buttons {
    /// Configures the pins as inputs with pull-ups.
    pub fn new() -> Self {
        GPIO_E
            .reg(gpio::DIR)
            .write(GPIO_E.reg(gpio::DIR).read() & !0x0F);
        GPIO_E.reg(gpio::PUR).set(0x0F);
        GPIO_E.reg(gpio::DEN).set(0x0F);
        GPIO_F
            .reg(gpio::DIR)
            .write(GPIO_F.reg(gpio::DIR).read() & !0x02);
        GPIO_F.reg(gpio::PUR).set(0x02);
        GPIO_F.reg(gpio::DEN).set(0x02);
        Self {
            pressed: [false; 5],
            last_sample: [false; 5],
            armed: [false; 5],
            next_sample_ms: 0,
        }
    }

    /// Samples the pins (every 10 ms) and returns the next change as an input event.
    pub fn poll(&mut self, now_ms: u64) -> Option<RawInput> {
        if now_ms < self.next_sample_ms {
            return None;
        }
        self.next_sample_ms = now_ms + 10;
        let e = GPIO_E.reg(gpio::data(0x0F)).read() as u8;
        let f = GPIO_F.reg(gpio::data(0x02)).read() as u8;
        for (i, (button, on_e, mask)) in PINS.into_iter().enumerate() {
            let level = if on_e { e } else { f };
            let down = level & mask == 0;
            let stable = down == self.last_sample[i];
            self.last_sample[i] = down;
            if !down {
                self.armed[i] = true;
            }
            if stable && self.armed[i] && down != self.pressed[i] {
                self.pressed[i] = down;
                return Some(if down {
                    RawInput::Down(button)
                } else {
                    RawInput::Up(button)
                });
            }
        }
        None
    }
}
