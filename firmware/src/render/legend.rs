//! The button legend under the keyboard: what each controller button does while typing, on
//! profiles whose buttons do more than move and select (`X Del  LT Shift  RT #?!  Start Done`).
//!
//! What each button does is read from the keyboard's binding table
//! ([`controls::binding`]), never restated here; the entries follow the keyboard's state (Space
//! only where the field takes it, Shift not on app-password letters, the symbols button's word
//! on each page), so the legend is redrawn with the keys whenever every key changes. Button names (`X`, `LT`, `Start`) are the controller's printed labels,
//! not words, and are drawn as such; the actions come from the string table.

use embedded_graphics::prelude::{DrawTarget, Point, Size};
use embedded_graphics::primitives::Rectangle;
use heapless::Vec;

use super::face::Face;
use super::theme::Themed;
use crate::input::Button;
use crate::keyboard::controls::{self, FACE_ROWS};
use crate::keyboard::{KeyInput, Keyboard, Layout, Mode};
use crate::profile::{Profile, QuickEntry};
use crate::text::{Language, Text};

/// Most entries a legend has.
pub const MAX_ENTRIES: usize = 8;

/// The buttons a legend names, in its order (B last: it repeats for Back, which every screen
/// has).
const ORDER: [Button; 8] = [
    Button::X,
    Button::Y,
    Button::Lt,
    Button::Rt,
    Button::Lb,
    Button::Rb,
    Button::Start,
    Button::B,
];

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
    for button in ORDER {
        // What the button does comes from the profile's binding table, in words.
        let action = match controls::binding(button) {
            KeyInput::Backspace => Some(Text::KeyBackspace.get(language)),
            KeyInput::Space => (mode == Mode::General).then(|| Text::KeySpace.get(language)),
            KeyInput::Shift => (mode != Mode::AppPassword).then(|| Text::KeyShift.get(language)),
            KeyInput::Symbols => Some(symbols.get(language)),
            KeyInput::CursorLeft => Some("«"),
            KeyInput::CursorRight => Some("»"),
            KeyInput::Done => Some(Text::KeyDone.get(language)),
            KeyInput::Back => Some(Text::Back.get(language)),
            _ => None,
        };
        if let (true, Some(action)) = (profile.has(button), action) {
            let _ = out.push(Entry {
                button: button.label(),
                face: FACE_ROWS.iter().position(|b| *b == button),
                action,
            });
        }
    }
    out
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
