//! The on-screen keyboard widget: its text field, its keys, and the quick-entry labels, drawn
//! in full or only where a [`Damage`] says something changed.
//!
//! ```text
//!            ↑     ↗     →     ↘     ↓    …      column labels: the stick's sectors (Xbox 360)
//!        Y [ a ] [ e ] [ i ] [ m ] [ q ]  …      or the second stroke (Zune)
//!        X [ b ] [ f ] [ j ] [ n ] [ r ]  …
//!        B [ c ] [ g ] [ k ] [ o ] [ s ]  …      row labels: the face buttons, or the first
//!        A [ d ] [ h ] [ l ] [ p ] [ t ]  …      stroke
//! ```
//!
//! Each key is one filled rectangle and its label, so redrawing a key costs its area and
//! nothing else: a D-pad move ([`Damage::keys`]) repaints the key the cursor left and the one
//! it entered; picking a quick-entry group repaints that group's keys and label; a typed
//! character repaints the field. [`KeyboardView::redraw`] is that rule, and the counting
//! target in the tests checks it.

use embedded_graphics::prelude::{DrawTarget, Point, Size};
use embedded_graphics::primitives::Rectangle;

use heapless::String;

use super::face::Face;
use super::layout::Grid;
use super::report::{Drawn, How, Report};
use super::theme::Themed;
use crate::bindings::{Binding, Quick};
use crate::input::{Button, StickSector};
use crate::keyboard::{Cell, Damage, Key, Keyboard, Layout, Mode};
use crate::profile::{Profile, QuickEntry};
use crate::text::{Language, Text};
use crate::ui::Part;

/// Bytes of the characters a field shows at once: a line of masked dots (3 bytes each) as
/// wide as the widest display shows in the smallest field face.
const FIELD_BYTES: usize = 3 * 128;

/// The glyph shown for a two-stroke button (its name is a word: the pad's directions show
/// as arrows, Play as its sign, the centre as a dot).
fn stroke_glyph(binding: &Binding) -> char {
    match binding.button {
        Button::Up => '↑',
        Button::Right => '→',
        Button::Down => '↓',
        Button::Left => '←',
        Button::Start => '▶',
        _ => '●',
    }
}

/// What a key shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// One character.
    Char(char),
    /// A word or a domain.
    Str(&'static str),
    /// Nothing (a blank cell).
    None,
}

/// The label of `key` on `keyboard`, in `language`.
pub fn label<L: Layout>(keyboard: &Keyboard<L>, key: Key, language: Language) -> Label {
    let text = match key {
        Key::Char(' ') => Text::KeySpace,
        Key::Char(c) => return Label::Char(c),
        Key::Text(s) => return Label::Str(s),
        Key::Blank => return Label::None,
        // Text cursor keys: the guillemets are in Latin-1 and read as "move through text".
        Key::CursorLeft => return Label::Char('«'),
        Key::CursorRight => return Label::Char('»'),
        Key::Backspace => Text::KeyBackspace,
        Key::Shift => Text::KeyShift,
        Key::Symbols if keyboard.mode() == Mode::AppPassword => Text::KeyOtherPassword,
        Key::Symbols if keyboard.page() > 0 => Text::KeyLetters,
        Key::Symbols => Text::KeySymbols,
        Key::Reveal if keyboard.revealed() => Text::KeyHide,
        Key::Reveal => Text::KeyShow,
        Key::Done => Text::KeyDone,
        Key::Back => Text::Back,
    };
    Label::Str(text.get(language))
}

/// The keyboard widget: where its field and keys are, and how to draw them.
#[derive(Debug, Clone, Copy)]
pub struct KeyboardView {
    /// The keys.
    pub grid: Grid,
    /// The text field's box.
    pub field: Rectangle,
    /// The field's face.
    pub field_face: Face,
    /// Padding inside the field.
    pub pad: u32,
    /// Which quick-entry labels to show.
    pub quick: QuickEntry,
    /// Language of the key words.
    pub language: Language,
    /// Whether the field hides its text (passwords).
    pub masked: bool,
    /// The profile (for the button legend).
    pub profile: &'static Profile,
    /// The button legend's band and face, where there is one.
    pub legend: Option<(Rectangle, Face)>,
    /// Done is the phone choice ([`crate::ui::Ui::phone_choice`]): its key and its legend
    /// entry say "Phone".
    pub phone: bool,
}

impl KeyboardView {
    /// Draws everything: the field, the labels and every key.
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw<D, L>(
        &self,
        target: &mut D,
        keyboard: &Keyboard<L>,
        focused: bool,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
        L: Layout,
    {
        self.draw_field(target, keyboard, focused)?;
        self.draw_keys(target, keyboard, focused)
    }

    /// Draws the labels, the button legend and every key (another page, shift).
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw_keys<D, L>(
        &self,
        target: &mut D,
        keyboard: &Keyboard<L>,
        focused: bool,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
        L: Layout,
    {
        if let Some((area, face)) = self.legend {
            let mut entries = super::legend::entries(self.profile, keyboard, self.language);
            if self.phone {
                let done = Text::KeyDone.get(self.language);
                for entry in entries.iter_mut().filter(|entry| entry.action == done) {
                    entry.action = Text::KeyPhone.get(self.language);
                }
            }
            super::legend::draw(target, &entries, area, face, self.pad)?;
        }
        for col in 0..self.grid.cols {
            self.draw_column_label(target, keyboard, col)?;
        }
        for row in 0..self.grid.rows {
            self.draw_row_label(target, keyboard, row)?;
            for col in 0..self.grid.cols {
                self.draw_key(target, keyboard, Cell { row, col }, focused)?;
            }
        }
        Ok(())
    }

    /// Redraws what `damage` names, and nothing else.
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn redraw<D, L>(
        &self,
        target: &mut D,
        keyboard: &Keyboard<L>,
        damage: &Damage,
        focused: bool,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
        L: Layout,
    {
        if damage.all_keys {
            self.draw_keys(target, keyboard, focused)?;
        } else {
            let mut groups = [None, None];
            if let Some((from, to)) = damage.group {
                groups = [from, to];
            }
            for group in groups.into_iter().flatten() {
                self.draw_group(target, keyboard, group, focused)?;
            }
            for cell in damage.keys.into_iter().flatten() {
                // A key of a group just drawn is already up to date.
                let drawn = groups.into_iter().flatten().any(|g| self.in_group(cell, g));
                if !drawn {
                    self.draw_key(target, keyboard, cell, focused)?;
                }
            }
        }
        // The field shows the full label of a cut key under the cursor: it changes when the
        // cursor enters or leaves such a key, or the keys change under it.
        let tip_changed = damage.all_keys
            || damage
                .keys
                .into_iter()
                .flatten()
                .any(|cell| self.cut(keyboard, cell));
        if damage.field || (focused && tip_changed) {
            self.draw_field(target, keyboard, focused)?;
        }
        Ok(())
    }

    /// Whether the key at `cell` is too small to show its whole label.
    pub fn cut<L: Layout>(&self, keyboard: &Keyboard<L>, cell: Cell) -> bool {
        let mut buf = [0u8; 4];
        let text = label_text(
            keyboard,
            keyboard.key(cell),
            self.language,
            self.phone,
            &mut buf,
        );
        let area = self.grid.key(cell.row, cell.col);
        matches!(
            label_layout(text, area, self.grid.key_face, self.grid.gap),
            LabelLayout::Cut(_)
        )
    }

    /// Whether `cell` belongs to quick-entry group `group`.
    fn in_group(&self, cell: Cell, group: u8) -> bool {
        match self.quick {
            QuickEntry::StickWheel => cell.col == group,
            QuickEntry::TwoStroke => cell.row == group,
            QuickEntry::None => false,
        }
    }

    /// Draws a group's label and keys.
    fn draw_group<D, L>(
        &self,
        target: &mut D,
        keyboard: &Keyboard<L>,
        group: u8,
        focused: bool,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
        L: Layout,
    {
        match self.quick {
            QuickEntry::StickWheel => {
                self.draw_column_label(target, keyboard, group)?;
                for row in 0..self.grid.rows {
                    self.draw_key(target, keyboard, Cell { row, col: group }, focused)?;
                }
            }
            QuickEntry::TwoStroke => {
                self.draw_row_label(target, keyboard, group)?;
                for col in 0..self.grid.cols {
                    self.draw_key(target, keyboard, Cell { row: group, col }, focused)?;
                }
            }
            QuickEntry::None => {}
        }
        Ok(())
    }

    /// Draws one key: its background (by state: cursor, picked group, at rest) and its label.
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw_key<D, L>(
        &self,
        target: &mut D,
        keyboard: &Keyboard<L>,
        cell: Cell,
        focused: bool,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
        L: Layout,
    {
        let p = D::Color::PALETTE;
        let area = self.grid.key(cell.row, cell.col);
        // A label may reach into the gap around its key (the smallest face's descenders do
        // on the OLED): clear the gap too, so a redrawn key leaves what a full frame shows.
        for strip in self.grid.gap_around(cell.row, cell.col) {
            target.fill_solid(&strip, p.background)?;
        }
        let key = keyboard.key(cell);
        if key == Key::Blank {
            return target.fill_solid(&area, p.background);
        }
        let grouped = keyboard.group().is_some_and(|g| self.in_group(cell, g));
        let (fill, ink) = if focused && keyboard.cell() == cell {
            (p.focus, p.focus_text)
        } else if grouped {
            (p.group, p.surface_text)
        } else {
            (p.surface, p.surface_text)
        };
        target.fill_solid(&area, fill)?;
        let mut buf = [0u8; 4];
        let text = label_text(keyboard, key, self.language, self.phone, &mut buf);
        draw_label(target, text, area, self.grid.key_face, self.grid.gap, ink)
    }

    fn draw_label_cell<D>(
        &self,
        target: &mut D,
        area: Rectangle,
        text: &str,
        picked: bool,
        ink: D::Color,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let p = D::Color::PALETTE;
        let (fill, ink) = if picked {
            (p.focus, p.focus_text)
        } else {
            (p.background, ink)
        };
        target.fill_solid(&area, fill)?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            // A lone symbol (an arrow, a stroke mark) fills most of its cell, not just a
            // character's width: it is the label the player looks for.
            (Some(c), None) if super::glyph::is_shape(c) => {
                let side = area.size.width.min(area.size.height) * 3 / 4;
                super::glyph::draw(
                    target,
                    c,
                    Rectangle::with_center(area.center(), Size::new(side, side)),
                    ink,
                )
            }
            _ => self.grid.label_face.draw_centered(target, text, area, ink),
        }
    }

    /// The button of two-stroke stroke `stroke`, from the profile's binding table.
    fn stroke(&self, stroke: u8) -> Option<&'static Binding> {
        self.profile.bindings.for_quick(Quick::Stroke(stroke))
    }

    /// Draws the quick-entry label above column `col` (the stick's sector, the second stroke).
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw_column_label<D, L>(
        &self,
        target: &mut D,
        keyboard: &Keyboard<L>,
        col: u8,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
        L: Layout,
    {
        let glyph = match self.quick {
            QuickEntry::StickWheel => StickSector::new(col).map(StickSector::arrow),
            QuickEntry::TwoStroke => self.stroke(col).map(stroke_glyph),
            QuickEntry::None => None,
        };
        let Some(glyph) = glyph else { return Ok(()) };
        let picked = self.quick == QuickEntry::StickWheel && keyboard.group() == Some(col);
        let mut buf = [0u8; 4];
        let area = self.grid.column_label(col);
        self.draw_label_cell(
            target,
            area,
            glyph.encode_utf8(&mut buf),
            picked,
            D::Color::PALETTE.dim,
        )
    }

    /// Draws the quick-entry label left of row `row` (the face button, the first stroke).
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw_row_label<D, L>(
        &self,
        target: &mut D,
        keyboard: &Keyboard<L>,
        row: u8,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
        L: Layout,
    {
        let p = D::Color::PALETTE;
        let mut buf = [0u8; 4];
        let (text, ink, picked) = match self.quick {
            QuickEntry::StickWheel => match (
                self.profile.bindings.for_quick(Quick::WheelRow(row)),
                p.face.get(usize::from(row)),
            ) {
                (Some(binding), Some(color)) => (binding.name, *color, false),
                _ => return Ok(()),
            },
            QuickEntry::TwoStroke => match self.stroke(row) {
                Some(b) => (
                    &*stroke_glyph(b).encode_utf8(&mut buf),
                    p.dim,
                    keyboard.group() == Some(row),
                ),
                None => return Ok(()),
            },
            QuickEntry::None => return Ok(()),
        };
        self.draw_label_cell(target, self.grid.row_label(row), text, picked, ink)
    }

    /// Draws the text field: its box, the text (masked if the field is a password, scrolled
    /// so the text cursor shows), and the text cursor if `focused`.
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw_field<D, L>(
        &self,
        target: &mut D,
        keyboard: &Keyboard<L>,
        focused: bool,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
        L: Layout,
    {
        self.draw_field_reporting(target, keyboard, focused, &mut ())
    }

    /// Where text fits inside the field's box, after the text cursor's place: for a line
    /// shown in the empty field.
    pub fn placeholder_area(&self) -> Rectangle {
        let face = self.field_face;
        let y = (self.field.size.height.saturating_sub(face.height()) / 2) as i32;
        let x = (self.pad + face.advance()) as i32;
        Rectangle::new(
            self.field.top_left + Point::new(x, y),
            Size::new(
                self.field.size.width.saturating_sub(x as u32 + self.pad),
                face.height(),
            ),
        )
    }

    /// [`KeyboardView::draw_field`], telling `report` the characters the field shows
    /// ([`Part::Field`], [`How::Scrolled`] when its start is off the box).
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw_field_reporting<D, L>(
        &self,
        target: &mut D,
        keyboard: &Keyboard<L>,
        focused: bool,
        report: &mut dyn Report,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
        L: Layout,
    {
        let p = D::Color::PALETTE;
        target.fill_solid(&self.field, p.surface)?;
        let face = self.field_face;
        let mut inner_w = self.field.size.width.saturating_sub(2 * self.pad);
        if focused && self.cut(keyboard, keyboard.cell()) {
            // The cursor's key is too small for its label: show it whole, at the field's end.
            let mut buf = [0u8; 4];
            let text = label_text(
                keyboard,
                keyboard.key(keyboard.cell()),
                self.language,
                self.phone,
                &mut buf,
            );
            let tip_face = Face::fitting(face.height(), inner_w / 2, &[text]);
            let w = (tip_face.width(text) + 2 * self.pad).min(inner_w / 2);
            let tip = Rectangle::new(
                self.field.top_left + Point::new((self.field.size.width - w) as i32, 0),
                Size::new(w, self.field.size.height),
            );
            target.fill_solid(&tip, p.focus)?;
            tip_face.draw_centered(target, text, tip, p.focus_text)?;
            inner_w = inner_w.saturating_sub(w);
        }
        // One column is kept for the cursor at the end.
        let columns = face.columns(inner_w).saturating_sub(1).max(1);
        let before = keyboard
            .text()
            .get(..keyboard.text_cursor())
            .map_or(0, |t| t.chars().count());
        // Position of the cursor among the characters shown (app passwords show a space
        // between groups of four).
        let cursor = if keyboard.mode() == Mode::AppPassword && before > 0 {
            before + (before - 1) / 4
        } else {
            before
        };
        let start = cursor.saturating_sub(columns);
        let y = (self.field.size.height.saturating_sub(face.height()) / 2) as i32;
        let at = self.field.top_left + Point::new(self.pad as i32, y);
        // The characters in view, drawn and reported as one string.
        let mut shown: String<FIELD_BYTES> = String::new();
        for c in keyboard.shown(self.masked).skip(start).take(columns) {
            if shown.push(c).is_err() {
                break;
            }
        }
        face.draw(target, &shown, at, p.surface_text)?;
        report.drawn(&Drawn {
            part: Part::Field,
            shown: &shown,
            how: if start > 0 { How::Scrolled } else { How::Whole },
        });
        if focused {
            let x = at.x + ((cursor - start) as u32 * face.advance()) as i32;
            let bar = Size::new((face.scale * 2).max(1), face.height());
            target.fill_solid(&Rectangle::new(Point::new(x, at.y), bar), p.focus)?;
        }
        Ok(())
    }
}

/// The text of `key`'s label (a character is written into `buf`); Done is "Phone" while it is
/// the `phone` choice.
fn label_text<'a, L: Layout>(
    keyboard: &Keyboard<L>,
    key: Key,
    language: Language,
    phone: bool,
    buf: &'a mut [u8; 4],
) -> &'a str {
    if phone && key == Key::Done {
        return Text::KeyPhone.get(language);
    }
    match label(keyboard, key, language) {
        Label::Char(c) => c.encode_utf8(buf),
        Label::Str(s) => s,
        Label::None => "",
    }
}

/// How a label fits its key.
enum LabelLayout<'a> {
    /// On one line, whole.
    One(Face),
    /// On two lines, whole.
    Two(Face, &'a str, &'a str),
    /// On one line, cut to what fits.
    Cut(Face),
}

/// The largest face up to `face` that shows `text` whole in `area`: on one line, or broken in
/// two before its last dot or space (`@outlook` / `.com`) when that allows a larger face.
fn label_layout(text: &str, area: Rectangle, face: Face, pad: u32) -> LabelLayout<'_> {
    let width = area.size.width.saturating_sub(2 * pad);
    let one = Face::fitting(face.height(), width, &[text]);
    let fits_one = one.width(text) <= width;
    let split = text
        .rfind(['.', ' '])
        .filter(|i| *i > 0)
        // Checked: no panic path linked in (see `Keyboard::insert`).
        .and_then(|i| text.split_at_checked(i))
        .map(|(head, tail)| (head, tail.trim_start()));
    if let Some((head, tail)) = split {
        let two = Face::fitting(
            face.height().min(area.size.height.saturating_sub(pad) / 2),
            width,
            &[head, tail],
        );
        let fits_two = two.width(head) <= width && two.width(tail) <= width;
        if fits_two && (!fits_one || two.height() > one.height()) {
            return LabelLayout::Two(two, head, tail);
        }
    }
    if fits_one {
        LabelLayout::One(one)
    } else {
        LabelLayout::Cut(one)
    }
}

/// Draws a key's label centred in `area` as [`label_layout`] lays it out.
fn draw_label<D: DrawTarget>(
    target: &mut D,
    text: &str,
    area: Rectangle,
    face: Face,
    pad: u32,
    ink: D::Color,
) -> Result<(), D::Error> {
    match label_layout(text, area, face, pad) {
        LabelLayout::One(face) | LabelLayout::Cut(face) => {
            face.draw_centered(target, text, area, ink)
        }
        LabelLayout::Two(two, head, tail) => {
            let lines = Rectangle::with_center(
                area.center(),
                Size::new(area.size.width, 2 * two.height() + pad),
            );
            let line = Size::new(area.size.width, two.height());
            two.draw_centered(target, head, Rectangle::new(lines.top_left, line), ink)?;
            let second = lines.top_left + Point::new(0, (two.height() + pad) as i32);
            two.draw_centered(target, tail, Rectangle::new(second, line), ink)
        }
    }
}
