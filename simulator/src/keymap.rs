//! The PC keyboard as the device's controller: which key is which button, per profile.
//!
//! The window reports every key going down and coming up (never the operating system's
//! repeats); this module turns those edges into the [`RawInput`] a real controller driver
//! would report, so the firmware's own [`Controller`](padlock_firmware::input::Controller)
//! does the auto-repeat, exactly as on a device.
//!
//! Which button does what comes from the device's own binding table
//! ([`padlock_firmware::bindings`]); this module only says which PC keys press each button, and
//! it says that by what the button does: Esc presses the button that backs out (B on the Xbox
//! 360, Back on the Zune), Backspace the one that deletes, Tab the one that finishes. Keys
//! named like a button press it wherever it exists (`A`, `B`, `X`, `Y`; `S` and `P` for Start
//! and Play/Pause; Delete for Back). The key map built from these answers lookups, prints
//! itself at start and draws the in-window help, so the three can never disagree with the
//! device.
//!
//! The Xbox 360's left stick is a group of keys (`I J K L` or the numeric keypad): the held
//! ones add up to a direction, reported as a full deflection. Keys for buttons a profile does
//! not have are simply not bound.
//!
//! | PC keys | Xbox 360 | Zune | OLED board |
//! |---|---|---|---|
//! | arrows | D-pad | pad | directions |
//! | Enter, Space, A | A | centre | select |
//! | Esc | B (back out) | Back | — |
//! | B | B (back out) | — | — |
//! | Backspace | X (backspace) | Back | — |
//! | X | X (backspace) | — | — |
//! | Y | Y (space) | — | — |
//! | Q / PgUp, E / PgDn | LB, RB (text cursor) | — | — |
//! | Shift, Ctrl | LT (shift), RT (symbols) | — | — |
//! | Tab, S, P | Start (done) | Play/Pause | — |
//! | Delete | Back | Back | — |
//! | I J K L, keypad 1–9 | left stick (the keyboard's wheel) | — | — |
//! | F1, H | the key map over the device | same | same |
//! | F5 | restart the device, flash kept | same | same |
//! | F12 | save the display as `padlock-screenshot-N.png` | same | same |
//!
//! Closing the window quits.

use minifb::Key;
use padlock_firmware::bindings::{Action, Binding, Bindings, Quick};
use padlock_firmware::input::{Button, RawInput};
use padlock_firmware::keyboard::KeyInput;
use padlock_firmware::profile::Profile;

/// What a key stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// A controller button.
    Button(Button),
    /// One direction of the left stick: `(x, y)`, each -1, 0 or 1 (`y` up).
    Stick(i8, i8),
    /// A command to the simulator itself, not the device.
    Window(WindowCommand),
}

/// What the simulator does itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowCommand {
    /// Show or hide the key map over the device.
    ToggleHelp,
    /// Restart the device's module (same flash: a remembered account resumes).
    Reboot,
    /// Save what the device's display shows as a PNG file.
    Screenshot,
}

/// One line of the key map: these keys, that control, this effect.
#[derive(Debug, Clone)]
pub struct KeyBinding {
    /// The keys, any of which works.
    pub keys: Vec<Key>,
    /// What they stand for (for the stick: any one of its directions; for the arrows: Up).
    pub control: Control,
    /// The button's name on this device.
    pub button: &'static str,
    /// What it does, in a few words.
    pub does: String,
}

const ARROWS: &[Key] = &[Key::Up, Key::Down, Key::Left, Key::Right];
const STICK_KEYS: &[Key] = &[
    Key::I,
    Key::J,
    Key::K,
    Key::L,
    Key::NumPad1,
    Key::NumPad2,
    Key::NumPad3,
    Key::NumPad4,
    Key::NumPad6,
    Key::NumPad7,
    Key::NumPad8,
    Key::NumPad9,
];

/// The PC keys that press the button doing `action` (the first such button of the table).
fn action_keys(action: Action) -> &'static [Key] {
    match action {
        Action::Select => &[Key::Enter, Key::Space],
        Action::Back => &[Key::Escape],
        Action::Undo => &[Key::Backspace, Key::Escape],
        Action::Type(KeyInput::Backspace) => &[Key::Backspace],
        Action::Type(KeyInput::CursorLeft) => &[Key::Q, Key::PageUp],
        Action::Type(KeyInput::CursorRight) => &[Key::E, Key::PageDown],
        Action::Type(KeyInput::Shift) => &[Key::LeftShift, Key::RightShift],
        Action::Type(KeyInput::Symbols) => &[Key::LeftCtrl, Key::RightCtrl],
        Action::Done => &[Key::Tab],
        Action::Move(_) | Action::Type(_) => &[],
    }
}

/// The PC keys named like `button`: they press it on any device that has it.
fn button_keys(button: Button) -> &'static [Key] {
    match button {
        Button::A => &[Key::A],
        Button::B => &[Key::B],
        Button::X => &[Key::X],
        Button::Y => &[Key::Y],
        Button::Start => &[Key::S, Key::P],
        Button::Back => &[Key::Delete],
        _ => &[],
    }
}

/// What `action` does, in a few words.
fn action_words(action: Action) -> &'static str {
    match action {
        Action::Move(_) => "move",
        Action::Select => "select, press the key",
        Action::Back => "back out",
        Action::Undo => "undo a stroke, backspace, back out",
        Action::Type(KeyInput::Backspace) => "backspace",
        Action::Type(KeyInput::Space) => "space",
        Action::Type(KeyInput::CursorLeft) => "text cursor left",
        Action::Type(KeyInput::CursorRight) => "text cursor right",
        Action::Type(KeyInput::Shift) => "shift",
        Action::Type(KeyInput::Symbols) => "symbols",
        Action::Type(_) => "a keyboard input",
        Action::Done => "done",
    }
}

/// What a button's part in the quick entry adds, in a few words.
fn quick_words(quick: Option<Quick>) -> String {
    match quick {
        Some(Quick::WheelRow(row)) => format!("; stick held: row {} of the wheel", row + 1),
        Some(Quick::Stroke(stroke)) => format!("; keyboard: stroke {}", stroke + 1),
        None => String::new(),
    }
}

/// The key map line of the device's four directions: the arrows.
fn arrows_line(directions: &[&Binding]) -> Option<KeyBinding> {
    let first = directions.first()?;
    let strokes: Vec<String> = directions
        .iter()
        .filter_map(|b| match b.quick {
            Some(Quick::Stroke(stroke)) => Some((stroke + 1).to_string()),
            _ => None,
        })
        .collect();
    let does = if strokes.is_empty() {
        "move the cursor".to_owned()
    } else {
        format!(
            "move; keyboard: strokes {} (row, then column)",
            strokes.join(" ")
        )
    };
    Some(KeyBinding {
        keys: ARROWS.to_vec(),
        control: Control::Button(first.button),
        button: first.name,
        does,
    })
}

/// The key map line of one button that is not a direction.
fn button_line(bindings: &Bindings, binding: &'static Binding) -> KeyBinding {
    let first_of_action = bindings.for_action(binding.action) == Some(binding);
    // Where two buttons do the same (B and Back), the keys for that go to the first.
    let by_action = if first_of_action {
        action_keys(binding.action)
    } else {
        &[]
    };
    let keys = by_action
        .iter()
        .chain(button_keys(binding.button))
        .copied()
        .collect();
    KeyBinding {
        keys,
        control: Control::Button(binding.button),
        button: binding.name,
        does: format!(
            "{}{}",
            action_words(binding.action),
            quick_words(binding.quick)
        ),
    }
}

/// The key map line of the left stick: the wheel's rows named as the device names them.
fn stick_line(bindings: &Bindings) -> KeyBinding {
    let rows: Vec<&str> = (0..4)
        .filter_map(|row| bindings.for_quick(Quick::WheelRow(row)))
        .map(|b| b.name)
        .collect();
    KeyBinding {
        keys: STICK_KEYS.to_vec(),
        control: Control::Stick(0, 0),
        button: "left stick",
        does: format!("wheel: pick a column, then {} a row", rows.join("/")),
    }
}

/// The simulator's own keys, the same on every profile.
fn window_lines() -> [KeyBinding; 3] {
    let line = |keys: &[Key], command, button, does: &str| KeyBinding {
        keys: keys.to_vec(),
        control: Control::Window(command),
        button,
        does: does.to_owned(),
    };
    [
        line(
            &[Key::F1, Key::H],
            WindowCommand::ToggleHelp,
            "help",
            "show or hide this key map",
        ),
        line(
            &[Key::F5],
            WindowCommand::Reboot,
            "reboot",
            "restart the device (flash kept)",
        ),
        line(
            &[Key::F12],
            WindowCommand::Screenshot,
            "screenshot",
            "save the display as a PNG file",
        ),
    ]
}

/// The key map of one profile, built from its binding table.
#[derive(Debug, Clone)]
pub struct KeyMap {
    device: Vec<KeyBinding>,
    window: [KeyBinding; 3],
}

impl KeyMap {
    /// The key map for `profile`: a line for its directions, one for each other button, one
    /// for the stick where it has one.
    pub fn for_profile(profile: &Profile) -> Self {
        let bindings = profile.bindings;
        let directions: Vec<&Binding> = bindings
            .iter()
            .filter(|b| b.button.direction().is_some())
            .collect();
        let mut device: Vec<KeyBinding> = arrows_line(&directions).into_iter().collect();
        device.extend(
            bindings
                .iter()
                .filter(|b| b.button.direction().is_none())
                .map(|b| button_line(&bindings, b)),
        );
        if profile.stick {
            device.push(stick_line(&bindings));
        }
        Self {
            device,
            window: window_lines(),
        }
    }

    /// Every line: the device's first, then the simulator's own.
    pub fn bindings(&self) -> impl Iterator<Item = &KeyBinding> {
        self.device.iter().chain(self.window.iter())
    }

    /// What `key` stands for, if anything.
    pub fn control(&self, key: Key) -> Option<Control> {
        if let Some(stick) = stick_direction(key).filter(|_| self.has_stick()) {
            return Some(stick);
        }
        if let Some(direction) = arrow(key) {
            let has = self.device.iter().any(|b| b.keys == ARROWS);
            return has.then_some(Control::Button(direction));
        }
        self.bindings()
            .filter(|b| !matches!(b.control, Control::Stick(..)))
            .find(|b| b.keys.contains(&key))
            .map(|b| b.control)
    }

    /// The first key bound to `button`, if the profile has it (for scripts that drive the
    /// window with key events).
    pub fn key_for(&self, button: Button) -> Option<Key> {
        if button.direction().is_some() {
            let has = self.device.iter().any(|b| b.keys == ARROWS);
            return ARROWS
                .iter()
                .copied()
                .find(|k| has && arrow(*k) == Some(button));
        }
        self.device
            .iter()
            .find(|b| b.control == Control::Button(button))
            .and_then(|b| b.keys.first().copied())
    }

    fn has_stick(&self) -> bool {
        self.device
            .iter()
            .any(|b| matches!(b.control, Control::Stick(..)))
    }

    /// The key map as text, one binding a line: `keys  button  what it does`.
    pub fn lines(&self) -> Vec<String> {
        let rows: Vec<(String, &str, &str)> = self
            .bindings()
            .map(|b| (keys_label(&b.keys), b.button, b.does.as_str()))
            .collect();
        let keys_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
        let button_width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        rows.iter()
            .map(|(keys, button, does)| {
                format!("{keys:<keys_width$}  {button:<button_width$}  {does}")
            })
            .collect()
    }
}

/// The arrows are the D-pad on every profile.
fn arrow(key: Key) -> Option<Button> {
    match key {
        Key::Up => Some(Button::Up),
        Key::Down => Some(Button::Down),
        Key::Left => Some(Button::Left),
        Key::Right => Some(Button::Right),
        _ => None,
    }
}

/// The stick direction a key pushes: `I J K L` and the keypad's eight arrows.
fn stick_direction(key: Key) -> Option<Control> {
    let (x, y) = match key {
        Key::I | Key::NumPad8 => (0, 1),
        Key::K | Key::NumPad2 => (0, -1),
        Key::J | Key::NumPad4 => (-1, 0),
        Key::L | Key::NumPad6 => (1, 0),
        Key::NumPad7 => (-1, 1),
        Key::NumPad9 => (1, 1),
        Key::NumPad1 => (-1, -1),
        Key::NumPad3 => (1, -1),
        _ => return None,
    };
    Some(Control::Stick(x, y))
}

/// A list of keys as a person reads it; the stick's many keys are summarised.
fn keys_label(keys: &[Key]) -> String {
    if keys == STICK_KEYS {
        return "I J K L / keypad".to_owned();
    }
    if keys == ARROWS {
        return "arrows".to_owned();
    }
    let mut names: Vec<String> = Vec::new();
    for name in keys.iter().map(|k| key_name(*k)) {
        // Left and right Shift (or Ctrl) read as one key.
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(" / ")
}

/// A key's name as printed on it.
pub fn key_name(key: Key) -> String {
    match key {
        Key::LeftShift | Key::RightShift => "Shift".to_owned(),
        Key::LeftCtrl | Key::RightCtrl => "Ctrl".to_owned(),
        Key::Escape => "Esc".to_owned(),
        Key::PageUp => "PgUp".to_owned(),
        Key::PageDown => "PgDn".to_owned(),
        other => format!("{other:?}"),
    }
}

/// Turns key edges into controller events: held keys are tracked so that an operating system's
/// repeated key-down is not a second press, and the stick keys held together make one position.
#[derive(Debug)]
pub struct KeyboardController {
    map: KeyMap,
    held: Vec<Key>,
    stick: (i16, i16),
}

/// What one key edge means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEvent {
    /// Feed this to the device.
    Device(RawInput),
    /// Act on this in the window.
    Window(WindowCommand),
}

impl KeyboardController {
    /// Nothing held, the stick centred.
    pub fn new(map: KeyMap) -> Self {
        Self {
            map,
            held: Vec::new(),
            stick: (0, 0),
        }
    }

    /// The key map in use.
    pub fn map(&self) -> &KeyMap {
        &self.map
    }

    /// A key went down (`down`) or came up; what it means, if anything.
    pub fn key(&mut self, key: Key, down: bool) -> Option<KeyEvent> {
        let was_held = self.held.contains(&key);
        match (down, was_held) {
            (true, true) | (false, false) => return None, // a repeat, or a key we never saw go down
            (true, false) => self.held.push(key),
            (false, true) => self.held.retain(|k| *k != key),
        }
        match self.map.control(key)? {
            Control::Button(button) if down => Some(KeyEvent::Device(RawInput::Down(button))),
            Control::Button(button) => Some(KeyEvent::Device(RawInput::Up(button))),
            Control::Window(command) if down => Some(KeyEvent::Window(command)),
            Control::Window(_) => None,
            Control::Stick(..) => self.stick_moved(),
        }
    }

    /// Lets go of everything (the window lost focus: its key-up events go elsewhere).
    pub fn release_all(&mut self) -> Vec<KeyEvent> {
        let held = std::mem::take(&mut self.held);
        let mut events: Vec<KeyEvent> = held
            .into_iter()
            .filter_map(|key| match self.map.control(key) {
                Some(Control::Button(button)) => Some(KeyEvent::Device(RawInput::Up(button))),
                _ => None,
            })
            .collect();
        events.extend(self.stick_moved());
        events
    }

    fn stick_moved(&mut self) -> Option<KeyEvent> {
        let (mut x, mut y) = (0i32, 0i32);
        for key in &self.held {
            if let Some(Control::Stick(dx, dy)) = stick_direction(*key) {
                x += i32::from(dx);
                y += i32::from(dy);
            }
        }
        let position = stick_position(x.signum(), y.signum());
        (position != self.stick).then(|| {
            self.stick = position;
            KeyEvent::Device(RawInput::Stick {
                x: position.0,
                y: position.1,
            })
        })
    }
}

/// A full deflection towards `(x, y)` (each -1, 0 or 1); diagonals on the unit circle.
fn stick_position(x: i32, y: i32) -> (i16, i16) {
    const FULL: i32 = 32767;
    const DIAGONAL: i32 = 23170; // 32767 / sqrt(2)
    let scale = if x != 0 && y != 0 { DIAGONAL } else { FULL };
    // Both factors are in -1..=1, so the products fit an i16.
    ((x * scale) as i16, (y * scale) as i16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use padlock_firmware::profile;

    fn down(c: &mut KeyboardController, key: Key) -> Option<KeyEvent> {
        c.key(key, true)
    }

    /// Every profile the simulator can show, and the board templates' (their tables differ).
    fn profiles() -> impl Iterator<Item = &'static Profile> {
        profile::ALL
            .into_iter()
            .chain([&profile::MONO_128X64, &profile::MONO_128X32])
    }

    #[test]
    fn the_key_map_presses_exactly_the_buttons_of_the_devices_binding_table() {
        for profile in profiles() {
            let map = KeyMap::for_profile(profile);
            for binding in profile.bindings.iter() {
                let key = map
                    .key_for(binding.button)
                    .unwrap_or_else(|| panic!("{}: {:?} has no key", profile.name, binding));
                assert_eq!(map.control(key), Some(Control::Button(binding.button)));
                let line = map
                    .bindings()
                    .find(|l| l.keys.contains(&key))
                    .expect("a line for the key");
                assert_eq!(line.button, binding.name, "{}", profile.name);
                assert!(
                    line.does.starts_with(action_words(binding.action)),
                    "{}: {:?} is said to {:?}",
                    profile.name,
                    binding,
                    line.does
                );
            }
            // The keys that stand for what a button does reach the button doing it.
            for (key, action) in [
                (Key::Enter, Action::Select),
                (Key::Escape, Action::Back),
                (Key::Backspace, Action::Type(KeyInput::Backspace)),
                (Key::Tab, Action::Done),
                (Key::LeftShift, Action::Type(KeyInput::Shift)),
            ] {
                if let Some(doing) = profile.bindings.for_action(action) {
                    assert_eq!(
                        map.control(key),
                        Some(Control::Button(doing.button)),
                        "{}: {key:?}",
                        profile.name
                    );
                }
            }
            for button in Button::ALL {
                assert_eq!(
                    map.key_for(button).is_some(),
                    profile.has(button),
                    "{}: {button:?}",
                    profile.name
                );
            }
            let mut seen = Vec::new();
            for line in map.bindings() {
                for key in &line.keys {
                    assert!(!seen.contains(key), "{}: {key:?} bound twice", profile.name);
                    seen.push(*key);
                }
            }
            assert_eq!(map.has_stick(), profile.stick, "{}", profile.name);
        }
    }

    #[test]
    fn a_key_edge_is_a_raw_event_and_repeats_are_dropped() {
        let mut c = KeyboardController::new(KeyMap::for_profile(&profile::XBOX360));
        let right = Some(KeyEvent::Device(RawInput::Down(Button::Right)));
        assert_eq!(down(&mut c, Key::Right), right);
        assert_eq!(
            down(&mut c, Key::Right),
            None,
            "an OS repeat is not a press"
        );
        assert_eq!(
            c.key(Key::Right, false),
            Some(KeyEvent::Device(RawInput::Up(Button::Right)))
        );
        assert_eq!(c.key(Key::Right, false), None);
        assert_eq!(
            down(&mut c, Key::Enter),
            Some(KeyEvent::Device(RawInput::Down(Button::A)))
        );
        assert_eq!(
            down(&mut c, Key::F1),
            Some(KeyEvent::Window(WindowCommand::ToggleHelp))
        );
        assert_eq!(down(&mut c, Key::Z), None, "unbound");
    }

    #[test]
    fn stick_keys_add_up_to_one_position() {
        let mut c = KeyboardController::new(KeyMap::for_profile(&profile::XBOX360));
        let stick = |x, y| Some(KeyEvent::Device(RawInput::Stick { x, y }));
        assert_eq!(down(&mut c, Key::I), stick(0, 32767));
        assert_eq!(down(&mut c, Key::L), stick(23170, 23170));
        assert_eq!(down(&mut c, Key::NumPad6), None, "still up-right");
        assert_eq!(c.key(Key::I, false), stick(32767, 0));
        let released = c.release_all();
        assert_eq!(
            released,
            vec![KeyEvent::Device(RawInput::Stick { x: 0, y: 0 })]
        );
    }

    #[test]
    fn profiles_without_a_stick_or_a_button_ignore_its_keys() {
        let mut c = KeyboardController::new(KeyMap::for_profile(&profile::OLED));
        assert_eq!(down(&mut c, Key::I), None);
        assert_eq!(down(&mut c, Key::Escape), None);
        let mut zune = KeyboardController::new(KeyMap::for_profile(&profile::ZUNE));
        assert_eq!(
            down(&mut zune, Key::Escape),
            Some(KeyEvent::Device(RawInput::Down(Button::Back)))
        );
    }

    #[test]
    fn the_printed_map_names_every_binding() {
        let lines = KeyMap::for_profile(&profile::XBOX360).lines();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("arrows") && l.contains("D-pad"))
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("Enter / Space / A") && l.contains("press the key"))
        );
        assert!(lines.iter().any(|l| l.contains("F1 / H")));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("Shift ") && l.contains("LT"))
        );
    }
}
