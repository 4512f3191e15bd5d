//! Buttons and stick to keyboard inputs, per profile: the input adapter at the keyboard's edge.
//!
//! | | Xbox 360 (stick wheel) | Zune (two strokes) | board (cursor) |
//! |---|---|---|---|
//! | D-pad / pad | move the cursor | a stroke: ↑ → ↓ ← pick row, then column | move the cursor |
//! | A / centre / select | press the key (with the stick held: bottom row) | a stroke (5th) | press the key |
//! | Play/Pause | — | a stroke (6th) | — |
//! | B | back out (with the stick held: 3rd row) | — | — |
//! | X | backspace (with the stick held: 2nd row) | — | — |
//! | Y | space (with the stick held: top row) | — | — |
//! | Back | back out | cancel a first stroke, else backspace; back out when empty | — |
//! | LB / RB | text cursor left / right | — | — |
//! | LT / RT | shift / symbols | — | — |
//! | Start | done | (Play/Pause: a stroke) | — |
//! | stick | its sector picks a column; centre lets go | — | — |
//!
//! Functions a profile has no button for are keys on the grid (see [`super::layout`]).

use super::{KeyInput, Keyboard, Layout};
use crate::input::{Button, Direction, Physical, StickSector};
use crate::profile::{Profile, QuickEntry};

/// Face buttons from the top of the diamond: the stick wheel's rows.
pub const FACE_ROWS: [Button; 4] = [Button::Y, Button::X, Button::B, Button::A];

/// The six strokes of the two-stroke pad, in row/column order.
pub const STROKES: [Button; 6] = [
    Button::Up,
    Button::Right,
    Button::Down,
    Button::Left,
    Button::A,
    Button::Start,
];

/// What `physical` means to `keyboard` on `profile`, if anything.
pub fn map<L: Layout>(
    profile: &Profile,
    keyboard: &Keyboard<L>,
    physical: Physical,
) -> Option<KeyInput> {
    let button = match physical {
        Physical::Stick(sector) => {
            return (profile.quick_entry == QuickEntry::StickWheel)
                .then(|| KeyInput::Group(sector.map(StickSector::index)));
        }
        Physical::Press(button) if profile.has(button) => button,
        Physical::Press(_) => return None,
    };
    match profile.quick_entry {
        QuickEntry::TwoStroke => two_stroke(keyboard, button),
        QuickEntry::StickWheel if keyboard.group().is_some() => {
            match FACE_ROWS.iter().position(|b| *b == button) {
                Some(row) => Some(KeyInput::Slot(row as u8)),
                None => gamepad(button),
            }
        }
        QuickEntry::StickWheel | QuickEntry::None => gamepad(button),
    }
}

/// The binding table of a profile whose buttons each do one thing (a gamepad, the board's
/// cursor keys): what `button` does on the keyboard, when no quick-entry group is picked.
/// The on-screen legend ([`crate::render::legend`]) is read from this table, and a host's key
/// map can be too.
pub fn binding(button: Button) -> KeyInput {
    match button {
        Button::Up => KeyInput::Move(Direction::Up),
        Button::Down => KeyInput::Move(Direction::Down),
        Button::Left => KeyInput::Move(Direction::Left),
        Button::Right => KeyInput::Move(Direction::Right),
        Button::A => KeyInput::Press,
        Button::B | Button::Back => KeyInput::Back,
        Button::X => KeyInput::Backspace,
        Button::Y => KeyInput::Space,
        Button::Lb => KeyInput::CursorLeft,
        Button::Rb => KeyInput::CursorRight,
        Button::Lt => KeyInput::Shift,
        Button::Rt => KeyInput::Symbols,
        Button::Start => KeyInput::Done,
    }
}

fn gamepad(button: Button) -> Option<KeyInput> {
    Some(binding(button))
}

fn two_stroke<L: Layout>(keyboard: &Keyboard<L>, button: Button) -> Option<KeyInput> {
    if button == Button::Back {
        return Some(if keyboard.group().is_some() {
            KeyInput::Group(None)
        } else if keyboard.text().is_empty() {
            KeyInput::Back
        } else {
            KeyInput::Backspace
        });
    }
    let stroke = STROKES.iter().position(|b| *b == button)? as u8;
    Some(match keyboard.group() {
        None => KeyInput::Group(Some(stroke)),
        Some(_) => KeyInput::Slot(stroke),
    })
}

/// Every physical action `profile` can make, with its cost in presses: each button press is
/// one, moving the stick into a sector is one, letting it return to centre is free.
pub fn actions(profile: &Profile) -> impl Iterator<Item = (Physical, u32)> + '_ {
    let buttons = profile.buttons.iter().map(|b| (Physical::Press(b), 1));
    let sectors = (0..StickSector::COUNT)
        .filter_map(StickSector::new)
        .map(|s| (Physical::Stick(Some(s)), 1))
        .chain(Some((Physical::Stick(None), 0)))
        .filter(move |_| profile.stick);
    buttons.chain(sectors)
}
