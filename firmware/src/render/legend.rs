//! The button legend under the keyboard: what each controller button does while typing, on
//! profiles whose buttons do more than move and select (`X Del  LT Shift  RT #?!  Start Done`).
//!
//! The entries are the profile's binding table ([`crate::bindings`]) in its order, never
//! restated here: each button that does something beyond moving and selecting, named as
//! printed on it (`X`, `LT`, `Start`: labels, not words) with its action in words from the
//! string table. Where two buttons do the same, the first is named. The entries follow the
//! keyboard's state (Space only where the field takes it, Shift not on app-password letters,
//! the symbols button's word on each page), so the legend is redrawn with the keys whenever
//! every key changes.
//!
//! A profile gets a legend where its buttons type (a button deletes, shifts, finishes, ...)
//! and none where every button is a move, a select, a back or a stroke: there the grid and
//! its stroke labels show everything.

use embedded_graphics::prelude::{DrawTarget, Point, Size};
use embedded_graphics::primitives::Rectangle;
use heapless::Vec;

use super::face::Face;
use super::theme::Themed;
use crate::bindings::{Action, Binding, Quick};
use crate::keyboard::{KeyInput, Keyboard, Layout, Mode};
use crate::profile::{Profile, QuickEntry};
use crate::text::{Language, Text};

/// Most entries a legend has.
pub const MAX_ENTRIES: usize = 8;

/// One legend entry: a button's printed label, its colour role, and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The label printed on the button.
    pub button: &'static str,
    /// Index into [`super::Palette::face`] for face buttons (Y X B A), else none.
    pub face: Option<usize>,
    /// What it does.
    pub action: &'static str,
}

/// The legend for `keyboard` on `profile`: empty where every button is a stroke or a move.
pub fn entries<L: Layout>(
    profile: &Profile,
    keyboard: &Keyboard<L>,
    language: Language,
) -> Vec<Entry, MAX_ENTRIES> {
    entries_for(profile, keyboard.mode(), keyboard.page(), language)
}

/// The legend in `mode` on `page`.
pub fn entries_for(
    profile: &Profile,
    mode: Mode,
    page: u8,
    language: Language,
) -> Vec<Entry, MAX_ENTRIES> {
    let mut out = Vec::new();
    if profile.quick_entry == QuickEntry::TwoStroke {
        // Every pad button is a stroke; the grid shows them.
        return out;
    }
    let symbols = match mode {
        Mode::AppPassword => Text::KeyOtherPassword,
        _ if page > 0 => Text::KeyLetters,
        _ => Text::KeySymbols,
    };
    let bindings = profile.bindings;
    let typing = bindings.iter().any(|b| typing_action(b.action));
    for binding in bindings.iter().filter(|_| typing) {
        // Where two buttons do the same (B and Back), the first is named.
        if bindings.for_action(binding.action) != Some(binding) {
            continue;
        }
        let action = match binding.action {
            Action::Type(KeyInput::Backspace) => Some(Text::KeyBackspace.get(language)),
            Action::Type(KeyInput::Space) => {
                (mode == Mode::General).then(|| Text::KeySpace.get(language))
            }
            Action::Type(KeyInput::Shift) => {
                (mode != Mode::AppPassword).then(|| Text::KeyShift.get(language))
            }
            Action::Type(KeyInput::Symbols) => Some(symbols.get(language)),
            Action::Type(KeyInput::CursorLeft) => Some("«"),
            Action::Type(KeyInput::CursorRight) => Some("»"),
            Action::Done => Some(Text::KeyDone.get(language)),
            Action::Back | Action::Undo => Some(Text::Back.get(language)),
            Action::Move(_) | Action::Select | Action::Type(_) => None,
        };
        if let Some(action) = action {
            let _ = out.push(Entry {
                button: binding.name,
                face: wheel_row(binding),
                action,
            });
        }
    }
    out
}

/// Whether `action` is one a grid key does too (so a button doing it types).
fn typing_action(action: Action) -> bool {
    !matches!(
        action,
        Action::Move(_) | Action::Select | Action::Back | Action::Undo
    )
}

/// The stick wheel's row of a face button: its colour.
fn wheel_row(binding: &Binding) -> Option<usize> {
    match binding.quick {
        Some(Quick::WheelRow(row)) => Some(usize::from(row)),
        _ => None,
    }
}

/// Width of the legend in `face`, with `pad` inside button boxes.
pub fn width(entries: &[Entry], face: Face, pad: u32) -> u32 {
    entries
        .iter()
        .map(|e| face.width(e.button) + 2 * pad + face.advance() / 2 + face.width(e.action))
        .sum::<u32>()
        + face.advance() * 2 * entries.len().saturating_sub(1) as u32
}

/// The largest face up to `max` in which every legend `profile` can show (any mode, any
/// page) fits `width_available`; `None` if the profile has no legend or it fits no face. One
/// face for all states keeps the layout still when the field switches mode.
pub fn face(
    profile: &Profile,
    language: Language,
    max: Face,
    width_available: u32,
    pad: u32,
) -> Option<Face> {
    let states = [
        (Mode::General, 0),
        (Mode::General, 1),
        (Mode::AppPassword, 0),
        (Mode::Email, 0),
    ];
    if entries_for(profile, Mode::General, 0, language).is_empty() {
        return None;
    }
    super::face::FACES
        .iter()
        .rev()
        .filter(|f| f.height() <= max.height())
        .find(|f| {
            states.iter().all(|(mode, page)| {
                width(&entries_for(profile, *mode, *page, language), **f, pad) <= width_available
            })
        })
        .copied()
}

/// Draws the legend centred in `area`.
///
/// # Errors
/// Whatever the target returns.
pub fn draw<D>(
    target: &mut D,
    entries: &[Entry],
    area: Rectangle,
    face: Face,
    pad: u32,
) -> Result<(), D::Error>
where
    D: DrawTarget,
    D::Color: Themed,
{
    let p = D::Color::PALETTE;
    target.fill_solid(&area, p.background)?;
    let total = width(entries, face, pad);
    let y = area.top_left.y + (area.size.height.saturating_sub(face.height()) / 2) as i32;
    let mut x = area.top_left.x + (area.size.width.saturating_sub(total) / 2) as i32;
    for entry in entries {
        let boxed = Rectangle::new(
            Point::new(x, y),
            Size::new(face.width(entry.button) + 2 * pad, face.height()),
        );
        target.fill_solid(&boxed, p.surface)?;
        let ink = entry
            .face
            .and_then(|i| p.face.get(i).copied())
            .unwrap_or(p.text);
        face.draw(target, entry.button, Point::new(x + pad as i32, y), ink)?;
        x += (boxed.size.width + face.advance() / 2) as i32;
        let end = face.draw(target, entry.action, Point::new(x, y), p.dim)?;
        x = end.x + (face.advance() * 2) as i32;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{MONO_128X64, OLED, XBOX360, ZUNE};
    use std::vec::Vec as StdVec;

    #[test]
    fn the_legend_names_what_the_binding_table_says() {
        let entries = entries_for(&XBOX360, Mode::General, 0, Language::English);
        let said: StdVec<(&str, &str)> = entries.iter().map(|e| (e.button, e.action)).collect();
        // The table's order, each action once (B, not Back), moves and select left out.
        assert_eq!(
            said,
            [
                ("X", "Del"),
                ("Y", "Space"),
                ("LT", "Shift"),
                ("RT", "#?!"),
                ("LB", "«"),
                ("RB", "»"),
                ("Start", "Done"),
                ("B", "Back"),
            ]
        );
        for entry in &entries {
            let binding = XBOX360
                .bindings
                .iter()
                .find(|b| b.name == entry.button)
                .expect("a button of the table");
            assert_eq!(entry.face, wheel_row(binding), "{}", entry.button);
        }
        // A face button's colour is its wheel row.
        assert_eq!(entries[0].face, Some(1));
        for profile in [&ZUNE, &OLED, &MONO_128X64] {
            assert!(
                entries_for(profile, Mode::General, 0, Language::English).is_empty(),
                "{}: the grid shows every function",
                profile.name
            );
        }
    }
}
