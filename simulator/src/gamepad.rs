//! A real gamepad for the window, through Linux's joystick interface (`/dev/input/js*`).
//!
//! `gilrs`, the usual crate, links libudev on Linux, so building it needs `libudev-dev`; the
//! simulator must build with the Rust toolchain alone. The kernel's joystick interface needs
//! nothing: each event is 8 bytes read from a character device, with `std` alone.
//!
//! ```text
//! struct js_event { u32 time_ms; i16 value; u8 type; u8 number; }   // native byte order
//! type: 0x01 button, 0x02 axis, | 0x80 for the state reported when the device is opened
//! ```
//!
//! Numbers follow the `xpad` driver of Xbox 360 controllers (what most USB pads emulate):
//! buttons A B X Y LB RB Back Start, axes left stick X/Y, LT, right stick X/Y, RT, D-pad X/Y
//! (or, with `dpad_to_buttons`, D-pad buttons 11 to 14). A reader thread opens the first pad
//! it finds, turns its events into [`RawInput`] and reopens after an unplug; the window takes
//! what arrived each frame. Buttons a profile lacks are ignored by the module, as on a device.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use padlock_firmware::input::{Button, RawInput};

/// How far a trigger travels before it counts as pressed (of -32767..=32767, rest at -32767).
const TRIGGER_THRESHOLD: i16 = 0;

/// One event of the joystick interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsEvent {
    /// The axis position or button state (1 down, 0 up).
    pub value: i16,
    /// Button (`0x01`) or axis (`0x02`), possibly with the initial-state flag `0x80`.
    pub kind: u8,
    /// Which button or axis.
    pub number: u8,
}

impl JsEvent {
    /// Size of one event on the wire.
    pub const SIZE: usize = 8;

    /// Decodes one event (native byte order, as the kernel writes it).
    pub fn decode(bytes: [u8; Self::SIZE]) -> Self {
        let [_, _, _, _, v0, v1, kind, number] = bytes;
        Self {
            value: i16::from_ne_bytes([v0, v1]),
            kind,
            number,
        }
    }
}

/// Turns pad events into controller events, remembering what it needs to report edges.
#[derive(Debug, Default)]
pub struct PadMapper {
    held: Vec<Button>,
    stick: (i16, i16),
    hat: (i8, i8),
}

impl PadMapper {
    /// The controller events `event` makes (an axis can release one direction and press
    /// another).
    pub fn map(&mut self, event: JsEvent) -> Vec<RawInput> {
        const BUTTON: u8 = 0x01;
        const AXIS: u8 = 0x02;
        match (event.kind & !0x80, event.number) {
            (BUTTON, n) => {
                let button = match n {
                    0 => Button::A,
                    1 => Button::B,
                    2 => Button::X,
                    3 => Button::Y,
                    4 => Button::Lb,
                    5 => Button::Rb,
                    6 => Button::Back,
                    7 => Button::Start,
                    11 => Button::Left,
                    12 => Button::Right,
                    13 => Button::Up,
                    14 => Button::Down,
                    _ => return Vec::new(),
                };
                self.set(button, event.value != 0).into_iter().collect()
            }
            (AXIS, 0) => self.stick_to((event.value, self.stick.1)),
            (AXIS, 1) => self.stick_to((self.stick.0, event.value)),
            (AXIS, 2) => self
                .set(Button::Lt, event.value > TRIGGER_THRESHOLD)
                .into_iter()
                .collect(),
            (AXIS, 5) => self
                .set(Button::Rt, event.value > TRIGGER_THRESHOLD)
                .into_iter()
                .collect(),
            (AXIS, 6) => self.hat_to((event.value.signum() as i8, self.hat.1)),
            (AXIS, 7) => self.hat_to((self.hat.0, event.value.signum() as i8)),
            _ => Vec::new(),
        }
    }

    /// Lets go of everything (the pad was unplugged).
    pub fn release_all(&mut self) -> Vec<RawInput> {
        let mut events: Vec<RawInput> = self.held.drain(..).map(RawInput::Up).collect();
        if self.stick != (0, 0) {
            self.stick = (0, 0);
            events.push(RawInput::Stick { x: 0, y: 0 });
        }
        self.hat = (0, 0);
        events
    }

    fn set(&mut self, button: Button, down: bool) -> Option<RawInput> {
        let held = self.held.contains(&button);
        match (down, held) {
            (true, false) => {
                self.held.push(button);
                Some(RawInput::Down(button))
            }
            (false, true) => {
                self.held.retain(|b| *b != button);
                Some(RawInput::Up(button))
            }
            _ => None,
        }
    }

    fn stick_to(&mut self, (x, y): (i16, i16)) -> Vec<RawInput> {
        self.stick = (x, y);
        // The kernel's Y grows downwards; the module's grows upwards.
        vec![RawInput::Stick {
            x,
            y: y.saturating_neg(),
        }]
    }

    fn hat_to(&mut self, hat: (i8, i8)) -> Vec<RawInput> {
        self.hat = hat;
        let wanted = [
            (Button::Left, hat.0 < 0),
            (Button::Right, hat.0 > 0),
            (Button::Up, hat.1 < 0),
            (Button::Down, hat.1 > 0),
        ];
        wanted
            .into_iter()
            .filter_map(|(button, down)| self.set(button, down))
            .collect()
    }
}

/// Reads `source` to its end, sending the controller events its pad events make.
pub fn pump(mut source: impl Read, mapper: &mut PadMapper, out: &Sender<RawInput>) {
    let mut bytes = [0u8; JsEvent::SIZE];
    while source.read_exact(&mut bytes).is_ok() {
        for raw in mapper.map(JsEvent::decode(bytes)) {
            if out.send(raw).is_err() {
                return;
            }
        }
    }
}

/// The joystick devices to look at, first found first used.
fn candidates() -> Vec<PathBuf> {
    (0..4)
        .map(|n| PathBuf::from(format!("/dev/input/js{n}")))
        .collect()
}

/// Starts the reader thread: it waits for a pad, reads it until it is unplugged, and looks
/// again. `connected` is told each pad's path as it is opened.
pub fn start(connected: impl Fn(&Path) + Send + 'static) -> Receiver<RawInput> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut mapper = PadMapper::default();
        loop {
            if let Some((path, file)) = candidates()
                .into_iter()
                .find_map(|p| std::fs::File::open(&p).ok().map(|f| (p, f)))
            {
                connected(&path);
                pump(file, &mut mapper, &tx);
                for raw in mapper.release_all() {
                    if tx.send(raw).is_err() {
                        return;
                    }
                }
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: u8, number: u8, value: i16) -> [u8; 8] {
        let v = value.to_ne_bytes();
        [0, 0, 0, 0, v[0], v[1], kind, number]
    }

    fn events(input: &[[u8; 8]]) -> Vec<RawInput> {
        let bytes: Vec<u8> = input.iter().flatten().copied().collect();
        let (tx, rx) = channel();
        pump(bytes.as_slice(), &mut PadMapper::default(), &tx);
        drop(tx);
        rx.iter().collect()
    }

    #[test]
    fn buttons_go_down_and_up_once() {
        let got = events(&[
            event(0x81, 0, 0), // initial state: A up
            event(0x01, 0, 1),
            event(0x01, 0, 1), // no second down
            event(0x01, 0, 0),
            event(0x01, 7, 1),
            event(0x01, 8, 1), // Guide: not a button of the module
        ]);
        assert_eq!(
            got,
            [
                RawInput::Down(Button::A),
                RawInput::Up(Button::A),
                RawInput::Down(Button::Start)
            ]
        );
    }

    #[test]
    fn the_hat_and_triggers_are_buttons_and_the_stick_points_up() {
        let got = events(&[
            event(0x02, 6, -32767),
            event(0x02, 6, 32767),
            event(0x02, 7, 0),
            event(0x02, 2, 20000),
            event(0x02, 2, -32767),
            event(0x02, 1, -30000),
        ]);
        assert_eq!(
            got,
            [
                RawInput::Down(Button::Left),
                RawInput::Up(Button::Left),
                RawInput::Down(Button::Right),
                RawInput::Down(Button::Lt),
                RawInput::Up(Button::Lt),
                RawInput::Stick { x: 0, y: 30000 },
            ]
        );
    }

    #[test]
    fn an_unplugged_pad_lets_go() {
        let mut mapper = PadMapper::default();
        mapper.map(JsEvent::decode(event(0x01, 1, 1)));
        mapper.map(JsEvent::decode(event(0x02, 0, 30000)));
        assert_eq!(
            mapper.release_all(),
            [RawInput::Up(Button::B), RawInput::Stick { x: 0, y: 0 }]
        );
        assert_eq!(mapper.release_all(), []);
    }
}
