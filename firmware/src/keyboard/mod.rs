//! The on-screen keyboard: a pure state machine over a [`Layout`].
//!
//! The keyboard holds the text being edited, its text cursor, and where the player is on the
//! grid. It takes [`KeyInput`]s (already translated from buttons by [`controls`]) and answers
//! with a [`Change`]: what to redraw, and whether the player finished or backed out. It draws
//! nothing and reads no buttons, so it is tested, planned over and benchmarked on the host
//! exactly as it runs on a device.
//!
//! Grid movement wraps on both axes (where the layout wraps) and skips blank cells; moving to
//! another row lands on the nearest key in it. Besides the cursor there is a quick path:
//! [`KeyInput::Group`] picks a column (stick sector) or row (first stroke), and
//! [`KeyInput::Slot`] types the key at that column's row or row's column.

pub mod controls;
pub mod layout;
#[cfg(feature = "std")]
pub mod planner;
#[cfg(feature = "std")]
pub mod typing;

use heapless::String;
use padlock_protocol::limits::{APP_PASSWORD_LEN, MAX_EMAIL_LEN};

use crate::input::Direction;
use crate::profile::QuickEntry;
pub use layout::{DEFAULT_DOMAINS, Key, Layout, Mode, ModeLayout};

/// Most bytes any field holds (an email address is the longest).
pub const MAX_TEXT_LEN: usize = MAX_EMAIL_LEN;

/// What the keyboard reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum KeyInput {
    /// Move the grid cursor.
    Move(Direction),
    /// Activate the key under the grid cursor.
    Press,
    /// Pick a quick-entry group (a column for the stick, a row for strokes), or none.
    Group(Option<u8>),
    /// Activate the key at this position within the picked group.
    Slot(u8),
    /// Delete the character before the text cursor.
    Backspace,
    /// Type a space (general text only).
    Space,
    /// Move the text cursor left.
    CursorLeft,
    /// Move the text cursor right.
    CursorRight,
    /// Upper case for the next letter.
    Shift,
    /// Next page.
    Symbols,
    /// Show or hide the password.
    Reveal,
    /// Finish the field.
    Done,
    /// Leave the field.
    Back,
}

/// A position on the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cell {
    /// Row, from the top.
    pub row: u8,
    /// Column, from the left.
    pub col: u8,
}

/// What changed, so a renderer redraws only that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Damage {
    /// Up to two keys whose look changed (the cursor left one and entered another).
    pub keys: [Option<Cell>; 2],
    /// The quick-entry group highlight changed from the first to the second.
    pub group: Option<(Option<u8>, Option<u8>)>,
    /// Every key changed (another page, shift).
    pub all_keys: bool,
    /// The text field changed (text, text cursor, masking).
    pub field: bool,
}

impl Damage {
    /// Nothing to redraw.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// What to redraw for this change followed by `later`, when the screen showed neither:
    /// up to two distinct keys stay keys, more become every key; a group highlight goes from
    /// the first change's old group to the last one's new.
    pub fn merge(self, later: Damage) -> Damage {
        let mut keys = [None; 2];
        let mut overflow = false;
        for cell in self.keys.into_iter().chain(later.keys).flatten() {
            if keys.contains(&Some(cell)) {
                continue;
            }
            match keys.iter_mut().find(|slot| slot.is_none()) {
                Some(slot) => *slot = Some(cell),
                None => overflow = true,
            }
        }
        let group = match (self.group, later.group) {
            (Some((from, _)), Some((_, to))) => Some((from, to)),
            (first, second) => second.or(first),
        };
        Damage {
            keys: if overflow { [None; 2] } else { keys },
            group,
            all_keys: self.all_keys || later.all_keys || overflow,
            field: self.field || later.field,
        }
    }
}

/// The keyboard's answer to one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Change {
    /// What to redraw.
    pub damage: Damage,
    /// The field is finished (Done, or the 16th letter of an app password).
    pub done: bool,
    /// The player backed out of the field.
    pub back: bool,
}

/// Where the player is, apart from the text: the state the planner searches over. The mode
/// is part of it, since a password field can leave the app-password letters for the full
/// keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nav {
    mode: Mode,
    page: u8,
    cell: Cell,
    shift: bool,
    group: Option<u8>,
}

impl Nav {
    /// A fresh keyboard's in `mode`: first page, top left, no shift, no group.
    const fn home(mode: Mode) -> Nav {
        Nav {
            mode,
            page: 0,
            cell: Cell { row: 0, col: 0 },
            shift: false,
            group: None,
        }
    }
}

/// The on-screen keyboard over a layout `L`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyboard<L: Layout = ModeLayout> {
    layout: L,
    quick: QuickEntry,
    nav: Nav,
    text: String<MAX_TEXT_LEN>,
    /// Byte offset of the text cursor, always on a character boundary.
    cursor: usize,
    reveal: bool,
}

impl<L: Layout> Keyboard<L> {
    /// An empty keyboard for `mode` over `layout`, with `quick` as its quick entry; the grid
    /// cursor starts top left.
    pub fn new(layout: L, mode: Mode, quick: QuickEntry) -> Self {
        let mut keyboard = Self {
            layout,
            quick,
            nav: Nav::home(mode),
            text: String::new(),
            cursor: 0,
            reveal: false,
        };
        keyboard.nav.cell = keyboard.settle(keyboard.nav.cell, Direction::Right);
        keyboard
    }

    /// Starts with `text` in the field (a remembered email address), cursor at its end.
    /// Text that does not fit, or that the mode does not take, is cut where it stops fitting.
    pub fn with_text(mut self, text: &str) -> Self {
        for c in text.chars() {
            if !self.insert(c) {
                break;
            }
        }
        self
    }

    /// The text typed so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Byte offset of the text cursor in [`Self::text`].
    pub fn text_cursor(&self) -> usize {
        self.cursor
    }

    /// The field's mode.
    pub fn mode(&self) -> Mode {
        self.nav.mode
    }

    /// The layout.
    pub fn layout(&self) -> &L {
        &self.layout
    }

    /// The page shown.
    pub fn page(&self) -> u8 {
        self.nav.page
    }

    /// The grid cursor.
    pub fn cell(&self) -> Cell {
        self.nav.cell
    }

    /// Whether shift is on for the next letter.
    pub fn shift(&self) -> bool {
        self.nav.shift
    }

    /// The quick-entry group picked, if any.
    pub fn group(&self) -> Option<u8> {
        self.nav.group
    }

    /// Whether a password field shows its text.
    pub fn revealed(&self) -> bool {
        self.reveal
    }

    /// The key at a cell of the current page, as shown (shift applied).
    pub fn key(&self, cell: Cell) -> Key {
        self.layout
            .key(self.nav.page, cell.row, cell.col, self.nav.shift)
    }

    /// Characters to show in the field: masked unless revealed (app passwords and general
    /// passwords), and app passwords in groups of four (`abcd efgh`).
    pub fn shown(&self, masked: bool) -> impl Iterator<Item = char> + '_ {
        let hide = masked && !self.reveal;
        let group = self.nav.mode == Mode::AppPassword;
        self.text.chars().enumerate().flat_map(move |(i, c)| {
            let gap = (group && i > 0 && i % 4 == 0).then_some(' ');
            gap.into_iter().chain(Some(if hide { '•' } else { c }))
        })
    }

    /// Reacts to one input.
    pub fn handle(&mut self, input: KeyInput) -> Change {
        let mut change = Change::default();
        match input {
            KeyInput::Move(direction) => {
                let from = self.nav.cell;
                self.nav.cell = self.step(from, direction);
                if self.nav.cell != from {
                    change.damage.keys = [Some(from), Some(self.nav.cell)];
                }
            }
            KeyInput::Press => self.activate(self.nav.cell, &mut change),
            KeyInput::Group(group) => self.set_group(group, &mut change),
            KeyInput::Slot(slot) => {
                if let Some(group) = self.nav.group {
                    let cell = match self.quick {
                        QuickEntry::StickWheel => Cell {
                            row: slot,
                            col: group,
                        },
                        _ => Cell {
                            row: group,
                            col: slot,
                        },
                    };
                    if self.key(cell) != Key::Blank {
                        // The grid cursor follows, so the player sees what was typed.
                        change.damage.keys = [Some(self.nav.cell), Some(cell)];
                        self.nav.cell = cell;
                        self.activate(cell, &mut change);
                    }
                    if self.quick == QuickEntry::TwoStroke {
                        self.set_group(None, &mut change);
                    }
                }
            }
            KeyInput::Backspace => self.apply(Key::Backspace, &mut change),
            KeyInput::Space => {
                if self.nav.mode == Mode::General {
                    self.apply(Key::Char(' '), &mut change);
                }
            }
            KeyInput::CursorLeft => self.apply(Key::CursorLeft, &mut change),
            KeyInput::CursorRight => self.apply(Key::CursorRight, &mut change),
            KeyInput::Shift => self.apply(Key::Shift, &mut change),
            KeyInput::Symbols => self.apply(Key::Symbols, &mut change),
            KeyInput::Reveal => self.apply(Key::Reveal, &mut change),
            KeyInput::Done => change.done = true,
            KeyInput::Back => change.back = true,
        }
        change
    }

    fn set_group(&mut self, group: Option<u8>, change: &mut Change) {
        let (rows, cols) = self.layout.size(self.nav.page);
        let limit = match self.quick {
            QuickEntry::StickWheel => cols,
            _ => rows,
        };
        let group = group.filter(|g| *g < limit);
        if group != self.nav.group {
            change.damage.group = Some((self.nav.group, group));
            self.nav.group = group;
        }
    }

    fn activate(&mut self, cell: Cell, change: &mut Change) {
        let key = self.key(cell);
        self.apply(key, change);
    }

    fn apply(&mut self, key: Key, change: &mut Change) {
        match key {
            Key::Char(c) => {
                if self.insert(c) {
                    change.damage.field = true;
                    if self.nav.shift {
                        self.nav.shift = false;
                        change.damage.all_keys = true;
                    }
                    if self.nav.mode == Mode::AppPassword && self.text.len() == APP_PASSWORD_LEN {
                        change.done = true;
                    }
                }
            }
            Key::Text(text) => {
                // All or nothing: half a domain is worse than none.
                if self.text.len() + text.len() <= self.capacity()
                    && text.chars().all(|c| self.accepts(c))
                {
                    for c in text.chars() {
                        self.insert(c);
                    }
                    change.damage.field = true;
                }
            }
            Key::Backspace => {
                if let Some((at, _)) = self
                    .text
                    .get(..self.cursor)
                    .and_then(|t| t.char_indices().last())
                {
                    self.remove(at);
                    change.damage.field = true;
                }
            }
            Key::CursorLeft => {
                if let Some((at, _)) = self
                    .text
                    .get(..self.cursor)
                    .and_then(|t| t.char_indices().last())
                {
                    self.cursor = at;
                    change.damage.field = true;
                }
            }
            Key::CursorRight => {
                if let Some(c) = self.text.get(self.cursor..).and_then(|t| t.chars().next()) {
                    self.cursor += c.len_utf8();
                    change.damage.field = true;
                }
            }
            Key::Shift => {
                if self.nav.mode != Mode::AppPassword {
                    self.nav.shift = !self.nav.shift;
                    change.damage.all_keys = true;
                }
            }
            Key::Symbols if self.nav.mode == Mode::AppPassword => {
                // Not every account has two-step verification: the same field takes an account
                // password on the full keyboard.
                self.nav.mode = Mode::General;
                self.layout = self.layout.for_mode(Mode::General);
                self.nav.page = 0;
                self.nav.group = None;
                self.nav.cell = self.settle(self.nav.cell, Direction::Right);
                change.damage.all_keys = true;
                change.damage.field = true;
            }
            Key::Symbols => {
                let pages = self.layout.pages();
                if pages > 1 {
                    self.nav.page = (self.nav.page + 1) % pages;
                    self.nav.cell = self.settle(self.nav.cell, Direction::Right);
                    change.damage.all_keys = true;
                }
            }
            Key::Reveal => {
                self.reveal = !self.reveal;
                change.damage.field = true;
                // The key's own label turns from Show to Hide and back.
                let (rows, cols) = self.layout.size(self.nav.page);
                let reveal_key = (0..rows)
                    .flat_map(|row| (0..cols).map(move |col| Cell { row, col }))
                    .find(|cell| self.key(*cell) == Key::Reveal);
                match change.damage.keys.iter_mut().find(|slot| slot.is_none()) {
                    Some(slot) => *slot = reveal_key,
                    None => change.damage.all_keys |= reveal_key.is_some(),
                }
            }
            Key::Done => change.done = true,
            Key::Back => change.back = true,
            Key::Blank => {}
        }
    }

    /// How many bytes the field holds at most: sixteen letters for an app password, else
    /// [`MAX_TEXT_LEN`].
    pub fn capacity(&self) -> usize {
        match self.nav.mode {
            Mode::AppPassword => APP_PASSWORD_LEN,
            Mode::Email | Mode::General => MAX_TEXT_LEN,
        }
    }

    fn accepts(&self, c: char) -> bool {
        match self.nav.mode {
            Mode::AppPassword => c.is_ascii_alphabetic(),
            Mode::Email => c.is_ascii_graphic(),
            Mode::General => !c.is_control(),
        }
    }

    /// Inserts `c` at the text cursor (app passwords in lower case); false if it does not fit
    /// or the mode does not take it.
    fn insert(&mut self, c: char) -> bool {
        let c = if self.nav.mode == Mode::AppPassword {
            c.to_ascii_lowercase()
        } else {
            c
        };
        if !self.accepts(c) || self.text.len() + c.len_utf8() > self.capacity() {
            return false;
        }
        let mut rebuilt: String<MAX_TEXT_LEN> = String::new();
        // The cursor is always on a character boundary; checked all the same, so no panic
        // path (and its message formatting, about 3 KB of a board's flash) is linked in.
        let Some((before, after)) = self.text.split_at_checked(self.cursor) else {
            return false;
        };
        let ok = rebuilt.push_str(before).is_ok()
            && rebuilt.push(c).is_ok()
            && rebuilt.push_str(after).is_ok();
        if ok {
            self.text = rebuilt;
            self.cursor += c.len_utf8();
        }
        ok
    }

    fn remove(&mut self, at: usize) {
        let mut rebuilt: String<MAX_TEXT_LEN> = String::new();
        for (i, c) in self.text.char_indices() {
            if i != at {
                // Cannot fail: the result is shorter than the text it came from.
                let _ = rebuilt.push(c);
            }
        }
        self.text = rebuilt;
        self.cursor = at;
    }

    /// One step of the grid cursor, wrapping where the layout wraps, skipping blank cells, and
    /// landing on the nearest key when the row changes.
    fn step(&self, from: Cell, direction: Direction) -> Cell {
        let (rows, cols) = self.layout.size(self.nav.page);
        let wraps = self.layout.wraps();
        let mut cell = from;
        for _ in 0..rows.max(cols) {
            let next = match direction {
                Direction::Up => {
                    advance(cell.row, rows, false, wraps).map(|row| Cell { row, ..cell })
                }
                Direction::Down => {
                    advance(cell.row, rows, true, wraps).map(|row| Cell { row, ..cell })
                }
                Direction::Left => {
                    advance(cell.col, cols, false, wraps).map(|col| Cell { col, ..cell })
                }
                Direction::Right => {
                    advance(cell.col, cols, true, wraps).map(|col| Cell { col, ..cell })
                }
            };
            let Some(next) = next else {
                return from;
            };
            cell = next;
            let vertical = matches!(direction, Direction::Up | Direction::Down);
            if vertical {
                if let Some(col) = self.nearest_in_row(cell.row, from.col) {
                    return Cell { col, ..cell };
                }
            } else if self.key(cell) != Key::Blank {
                return cell;
            }
        }
        from
    }

    fn nearest_in_row(&self, row: u8, col: u8) -> Option<u8> {
        let (_, cols) = self.layout.size(self.nav.page);
        (0..cols)
            .filter(|c| self.key(Cell { row, col: *c }) != Key::Blank)
            .min_by_key(|c| (c.abs_diff(col), *c))
    }

    /// `cell` if it holds a key, else the next key in `direction`.
    fn settle(&self, cell: Cell, direction: Direction) -> Cell {
        if self.key(cell) != Key::Blank {
            cell
        } else {
            self.step(cell, direction)
        }
    }

    /// Where the player is, apart from the text (for the planner).
    pub fn nav(&self) -> Nav {
        self.nav
    }

    /// Empties the field, overwriting what it held (it may have been a password).
    pub fn wipe(&mut self) {
        self.text.clear();
        // heapless offers no safe view of its spare bytes: fill them with NULs, then clear.
        while self.text.push('\0').is_ok() {}
        self.text.clear();
        self.cursor = 0;
        self.reveal = false;
    }

    /// Empties the field and starts it over in `mode`, as a fresh keyboard would: first page,
    /// grid cursor top left, no shift, no quick-entry group, text hidden. A field that left
    /// its mode (an app-password field switched to the full keyboard) comes back to it.
    pub fn reopen(&mut self, mode: Mode) {
        self.wipe();
        self.layout = self.layout.for_mode(mode);
        self.nav = Nav::home(mode);
        self.nav.cell = self.settle(self.nav.cell, Direction::Right);
    }

    /// This keyboard with `nav` and `text` (cursor at the end) instead of its own; for the
    /// planner, which searches over navigation states.
    pub fn restored(&self, nav: Nav, text: &str) -> Self
    where
        L: Clone,
    {
        let mut keyboard = self.clone();
        if nav.mode != self.nav.mode {
            keyboard.layout = self.layout.for_mode(nav.mode);
        }
        keyboard.nav = nav;
        keyboard.text.clear();
        let _ = keyboard.text.push_str(text);
        keyboard.cursor = keyboard.text.len();
        keyboard
    }
}

/// `at` moved one step forwards or backwards in `0..len`, wrapping if `wraps`.
fn advance(at: u8, len: u8, forwards: bool, wraps: bool) -> Option<u8> {
    match (forwards, wraps) {
        (true, _) if at.saturating_add(1) < len => Some(at + 1),
        (true, true) => Some(0),
        (false, _) if at > 0 => Some(at - 1),
        (false, true) => len.checked_sub(1),
        _ => None,
    }
}

impl Keyboard<ModeLayout> {
    /// The keyboard for `mode` on `profile`.
    pub fn for_profile(profile: &crate::profile::Profile, mode: Mode) -> Self {
        Self::new(
            ModeLayout::new(profile, mode, DEFAULT_DOMAINS),
            mode,
            profile.quick_entry,
        )
    }
}

#[cfg(test)]
mod tests;
