//! The keyboard's input adapter: a profile's binding table ([`crate::bindings`]) read for the
//! on-screen keyboard.
//!
//! A button does its [`Action`] on the keyboard (move the cursor, press the key, delete, ...),
//! unless a quick-entry group is picked and the button has a part in it ([`Quick`]): then a
//! wheel row's face button types the key of that row in the stick's column, and a stroke
//! picks the column in the row the first stroke picked. On a two-stroke pad the first stroke
//! is any stroke button with no group picked. The stick's sector picks the wheel's column.
//! [`Action::Undo`] takes back a first stroke, else deletes, and backs out of an empty field.
//!
//! Functions a profile has no button for are keys on the grid (see [`super::layout`]).

use super::{KeyInput, Keyboard, Layout};
use crate::bindings::{Action, Quick};
use crate::input::{Physical, StickSector};
use crate::profile::{Profile, QuickEntry};

/// What `physical` means to `keyboard` on `profile`, if anything.
pub fn map<L: Layout>(
    profile: &Profile,
    keyboard: &Keyboard<L>,
    physical: Physical,
) -> Option<KeyInput> {
    let binding = match physical {
        Physical::Stick(sector) => {
            return (profile.quick_entry == QuickEntry::StickWheel)
                .then(|| KeyInput::Group(sector.map(StickSector::index)));
        }
        Physical::Press(button) => profile.bindings.get(button)?,
    };
    let group = keyboard.group();
    match (profile.quick_entry, binding.quick) {
        (QuickEntry::TwoStroke, Some(Quick::Stroke(stroke))) => Some(match group {
            None => KeyInput::Group(Some(stroke)),
            Some(_) => KeyInput::Slot(stroke),
        }),
        (QuickEntry::StickWheel, Some(Quick::WheelRow(row))) if group.is_some() => {
            Some(KeyInput::Slot(row))
        }
        _ => Some(typing(keyboard, binding.action)),
    }
}

/// What `action` does on `keyboard` with no quick-entry role in play.
fn typing<L: Layout>(keyboard: &Keyboard<L>, action: Action) -> KeyInput {
    match action {
        Action::Move(direction) => KeyInput::Move(direction),
        Action::Select => KeyInput::Press,
        Action::Back => KeyInput::Back,
        Action::Undo if keyboard.group().is_some() => KeyInput::Group(None),
        Action::Undo if keyboard.text().is_empty() => KeyInput::Back,
        Action::Undo => KeyInput::Backspace,
        Action::Done => KeyInput::Done,
        Action::Type(input) => input,
    }
}

/// Every physical action `profile` can make, with its cost in presses: each button press is
/// one, moving the stick into a sector is one, letting it return to centre is free.
pub fn actions(profile: &Profile) -> impl Iterator<Item = (Physical, u32)> + '_ {
    let buttons = profile
        .bindings
        .buttons()
        .iter()
        .map(|b| (Physical::Press(b), 1));
    let sectors = (0..StickSector::COUNT)
        .filter_map(StickSector::new)
        .map(|s| (Physical::Stick(Some(s)), 1))
        .chain(Some((Physical::Stick(None), 0)))
        .filter(move |_| profile.stick);
    buttons.chain(sectors)
}
