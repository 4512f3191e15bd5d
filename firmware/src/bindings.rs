//! Which button does what, per profile: the one binding table.
//!
//! A profile's [`Bindings`] list each of its buttons once, with the name printed on it, the
//! [`Action`] it stands for, and its part in the keyboard's quick entry ([`Quick`]), if any.
//! Raw input is mapped to actions here and nowhere else:
//! - the screens ([`crate::ui`]) react to actions (`Select` presses the focused button, `Back`
//!   backs out), never to button names;
//! - the keyboard's input adapter ([`crate::keyboard::controls`]) turns actions and quick-entry
//!   roles into keyboard inputs;
//! - the on-screen legend ([`crate::render::legend`]) and the quick-entry labels beside the
//!   keys ([`crate::render::keyboard`]) print the names and actions of the table;
//! - a host's key map (the simulator's `keymap.rs`) binds its keys to the buttons by action.
//!
//! | | Xbox 360 ([`XBOX360`]) | Zune ([`ZUNE`]) | board ([`CURSOR`]) |
//! |---|---|---|---|
//! | D-pad / pad | move | move; stroke 1–4 | move |
//! | A / centre / select | select; wheel row 4 | select; stroke 5 | select |
//! | Play/Pause | — | done; stroke 6 | — |
//! | B | back; wheel row 3 | — | — |
//! | X | backspace; wheel row 2 | — | — |
//! | Y | space; wheel row 1 | — | — |
//! | Back | back | undo | — ([`CURSOR_WITH_BACK`]: back) |
//! | LB / RB | text cursor left / right | — | — |
//! | LT / RT | shift / symbols | — | — |
//! | Start | done | — | — |
//!
//! Functions a profile has no button for are keys on the grid (see
//! [`crate::keyboard::layout`]), so every function stays reachable with five buttons.

use crate::input::{Button, ButtonSet, Direction};
use crate::keyboard::KeyInput;

/// What a button stands for, whatever the screen. Each screen gives it its meaning there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Action {
    /// Move: the keyboard's cursor, or the focus between a screen's controls.
    Move(Direction),
    /// Press what has the focus: the key under the cursor, a button, the checkbox.
    Select,
    /// Back out: leave the field, take a problem screen's last button, cancel a sign-in.
    Back,
    /// Take back the last thing done: a first stroke, else a typed character; on an empty
    /// field, or off the keyboard, back out. For a device with one button for all three.
    Undo,
    /// An edit only the keyboard knows: delete, space, the text cursor, shift, the next page
    /// (a [`KeyInput`] the button gives the keyboard as it is).
    Type(KeyInput),
    /// Finish the field; off the keyboard, press the focused button.
    Done,
}

/// A button's part in the keyboard's quick entry ([`crate::profile::QuickEntry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Quick {
    /// A face button of the stick wheel: while the stick picks a column, it types the key of
    /// this row (0 at the top).
    WheelRow(u8),
    /// One of the two-stroke pad's strokes: the first picks this row, the second this column.
    Stroke(u8),
}

/// One line of a binding table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Binding {
    /// The logical button.
    pub button: Button,
    /// Its name on this device, as printed on it (`A`, `LT`, `centre`, `Play/Pause`): not
    /// translated.
    pub name: &'static str,
    /// What it does.
    pub action: Action,
    /// Its part in the keyboard's quick entry, if any: with a quick-entry group picked (the
    /// stick held, a first stroke made), it does that instead.
    pub quick: Option<Quick>,
}

/// A profile's binding table: each of its buttons once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Bindings(&'static [Binding]);

impl Bindings {
    /// The table of `bindings` (a button listed twice counts once: its first line).
    pub const fn new(bindings: &'static [Binding]) -> Self {
        Self(bindings)
    }

    /// The lines, in the table's order.
    pub const fn lines(&self) -> &'static [Binding] {
        self.0
    }

    /// Every line, in the table's order (the legend's order).
    pub fn iter(&self) -> impl Iterator<Item = &'static Binding> {
        self.0.iter()
    }

    /// The line of `button`, if the device has it.
    pub fn get(&self, button: Button) -> Option<&'static Binding> {
        self.0.iter().find(|b| b.button == button)
    }

    /// What `button` does, if the device has it.
    pub fn action(&self, button: Button) -> Option<Action> {
        self.get(button).map(|b| b.action)
    }

    /// The first line whose button does `action` (where two buttons do the same, the first
    /// is the one to name).
    pub fn for_action(&self, action: Action) -> Option<&'static Binding> {
        self.0.iter().find(|b| b.action == action)
    }

    /// The line with quick-entry role `quick` (the wheel's row, the stroke), if any.
    pub fn for_quick(&self, quick: Quick) -> Option<&'static Binding> {
        self.0.iter().find(|b| b.quick == Some(quick))
    }

    /// The buttons the device has.
    pub const fn buttons(&self) -> ButtonSet {
        let mut set = ButtonSet::EMPTY;
        let mut rest = self.0;
        while let [first, tail @ ..] = rest {
            set = set.with(first.button);
            rest = tail;
        }
        set
    }
}

const fn bind(button: Button, name: &'static str, action: Action) -> Binding {
    Binding {
        button,
        name,
        action,
        quick: None,
    }
}

const fn quick(button: Button, name: &'static str, action: Action, quick: Quick) -> Binding {
    Binding {
        button,
        name,
        action,
        quick: Some(quick),
    }
}

const fn pad_stroke(button: Button, direction: Direction, stroke: u8) -> Binding {
    quick(
        button,
        "pad",
        Action::Move(direction),
        Quick::Stroke(stroke),
    )
}

/// The Xbox 360 controller, in the console's conventions: A presses, B backs out, X deletes,
/// Y types a space, the bumpers move the text cursor, the triggers shift and change page,
/// Start finishes. The face buttons are the stick wheel's rows, Y at the top. After the
/// directions and A, the order is the legend's (B last: every screen has Back).
pub const XBOX360: Bindings = Bindings::new(&[
    bind(Button::Up, "D-pad", Action::Move(Direction::Up)),
    bind(Button::Down, "D-pad", Action::Move(Direction::Down)),
    bind(Button::Left, "D-pad", Action::Move(Direction::Left)),
    bind(Button::Right, "D-pad", Action::Move(Direction::Right)),
    quick(Button::A, "A", Action::Select, Quick::WheelRow(3)),
    quick(
        Button::X,
        "X",
        Action::Type(KeyInput::Backspace),
        Quick::WheelRow(1),
    ),
    quick(
        Button::Y,
        "Y",
        Action::Type(KeyInput::Space),
        Quick::WheelRow(0),
    ),
    bind(Button::Lt, "LT", Action::Type(KeyInput::Shift)),
    bind(Button::Rt, "RT", Action::Type(KeyInput::Symbols)),
    bind(Button::Lb, "LB", Action::Type(KeyInput::CursorLeft)),
    bind(Button::Rb, "RB", Action::Type(KeyInput::CursorRight)),
    bind(Button::Start, "Start", Action::Done),
    quick(Button::B, "B", Action::Back, Quick::WheelRow(2)),
    bind(Button::Back, "Back", Action::Back),
]);

/// The Zune's click-pad: the pad, its centre and Play/Pause are the six strokes (in row and
/// column order: ↑ → ↓ ← centre Play); Back undoes.
pub const ZUNE: Bindings = Bindings::new(&[
    pad_stroke(Button::Up, Direction::Up, 0),
    pad_stroke(Button::Right, Direction::Right, 1),
    pad_stroke(Button::Down, Direction::Down, 2),
    pad_stroke(Button::Left, Direction::Left, 3),
    quick(Button::A, "centre", Action::Select, Quick::Stroke(4)),
    quick(Button::Start, "Play/Pause", Action::Done, Quick::Stroke(5)),
    bind(Button::Back, "Back", Action::Undo),
]);

/// Four directions, select and Back: a small board's buttons (Back last, so that the board
/// without it is a prefix).
const BOARD: &[Binding] = &[
    bind(Button::Up, "directions", Action::Move(Direction::Up)),
    bind(Button::Down, "directions", Action::Move(Direction::Down)),
    bind(Button::Left, "directions", Action::Move(Direction::Left)),
    bind(Button::Right, "directions", Action::Move(Direction::Right)),
    bind(Button::A, "select", Action::Select),
    bind(Button::Back, "Back", Action::Back),
];

/// Four directions and select (the QEMU board's five buttons): the cursor does everything.
pub const CURSOR: Bindings = Bindings::new(BOARD.split_at(5).0);

/// [`CURSOR`] and a Back button.
pub const CURSOR_WITH_BACK: Bindings = Bindings::new(BOARD);

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn each_table_lists_a_button_once_and_each_quick_role_once() {
        for table in [XBOX360, ZUNE, CURSOR, CURSOR_WITH_BACK] {
            let buttons: Vec<Button> = table.iter().map(|b| b.button).collect();
            for (i, button) in buttons.iter().enumerate() {
                assert!(!buttons[..i].contains(button), "{button:?} twice");
            }
            let roles: Vec<Quick> = table.iter().filter_map(|b| b.quick).collect();
            for (i, role) in roles.iter().enumerate() {
                assert!(!roles[..i].contains(role), "{role:?} twice");
            }
            assert_eq!(table.buttons().iter().count(), buttons.len());
        }
    }

    #[test]
    fn lookups_answer_from_the_table() {
        assert_eq!(
            XBOX360.action(Button::X),
            Some(Action::Type(KeyInput::Backspace))
        );
        assert_eq!(ZUNE.action(Button::X), None);
        assert_eq!(
            XBOX360.for_action(Action::Back).map(|b| b.button),
            Some(Button::B),
            "B is named for Back: it comes first"
        );
        assert_eq!(
            ZUNE.for_quick(Quick::Stroke(5)).map(|b| b.name),
            Some("Play/Pause")
        );
        assert!(CURSOR_WITH_BACK.buttons().contains(Button::Back));
        assert!(!CURSOR.buttons().contains(Button::Back));
    }
}
