//! What is on the keyboard, and where.
//!
//! A [`Layout`] answers one question: which [`Key`] is at (page, row, column), with or without
//! shift. The keyboard's logic ([`super::Keyboard`]) knows nothing else about arrangement, so
//! the same logic (and the same planner) drives Padlock's layouts and the anchor layouts that
//! the benchmarks compare against.
//!
//! Padlock's own layouts ([`ModeLayout`]) are computed, not drawn by hand: each mode has an
//! ordered list of keys per page (letters in alphabetical order, then the mode's symbols and
//! domain keys, then on-screen keys for functions the profile has no button for), poured into
//! the profile's grid in the order its quick entry reads it. On the Xbox 360 a stick sector
//! picks a column, so keys fill column by column (`a b c d` under ↑); on the Zune the first
//! stroke picks a row, so keys fill row by row. Where the cursor is the only way to a key, the
//! email keyboard's Done (the phone choice while the field is empty) takes the first cell of
//! the last row, one move up from the first key.

use crate::input::Button;
use crate::profile::{Profile, QuickEntry};

/// One key of the on-screen keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Key {
    /// Types one character (upper case with shift, for letters).
    Char(char),
    /// Types a whole string: the domain keys (`@outlook.com`, `.com`).
    Text(&'static str),
    /// Deletes the character before the text cursor.
    Backspace,
    /// Upper case for the next letter.
    Shift,
    /// Switches to the next page (symbols, digits) and back.
    Symbols,
    /// Moves the text cursor one character left.
    CursorLeft,
    /// Moves the text cursor one character right.
    CursorRight,
    /// Shows or hides a password.
    Reveal,
    /// Finishes the field.
    Done,
    /// Leaves the field (for devices with no back button).
    Back,
    /// An empty cell; the cursor skips it.
    Blank,
}

/// The keyboard's mode, chosen by the field being edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Mode {
    /// Email addresses: every character an address may hold (RFC 5322 `atext`, the dot and
    /// `@`), capitals by shift, and domain keys.
    Email,
    /// App passwords: the letters a to z, shown in groups of four; done after 16.
    AppPassword,
    /// Any text, with shift and a symbols page.
    General,
}

/// Which key is where. Implemented by Padlock's layouts and by the benchmark anchors.
pub trait Layout: Clone {
    /// Number of pages (1 or more).
    fn pages(&self) -> u8;
    /// Grid size of `page` as (rows, columns); rows may end in [`Key::Blank`] cells.
    fn size(&self, page: u8) -> (u8, u8);
    /// The key at a cell; [`Key::Blank`] outside the grid.
    fn key(&self, page: u8, row: u8, col: u8, shift: bool) -> Key;
    /// Whether the cursor wraps from one edge to the opposite one.
    fn wraps(&self) -> bool;
    /// The same arrangement for another mode (a password field switching from app-password
    /// letters to the full keyboard). Layouts with one arrangement return themselves.
    fn for_mode(&self, mode: Mode) -> Self {
        let _ = mode;
        self.clone()
    }
}

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyz";

/// The email keyboard's digits page with shift: every other symbol RFC 5322 allows in an
/// address (`atext`), where the digits and the cells after them are. Behind shift, so the
/// digits page a player moves through every day keeps its keys and its short paths.
const EMAIL_SHIFTED_SYMBOLS: &str = "!#$%&'*/=?^`{|}~";

/// The domain keys a fresh device offers in email mode, most used first.
pub const DEFAULT_DOMAINS: &[&str] = &["@outlook.com", "@hotmail.com", "@live.com", ".com"];

/// Padlock's layout for one mode on one profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModeLayout {
    mode: Mode,
    rows: u8,
    cols: u8,
    fill: Fill,
    /// Functions without a button on this profile, which therefore need a key.
    backspace: bool,
    shift: bool,
    symbols: bool,
    done: bool,
    cursor: bool,
    back: bool,
    /// On the email keyboard, Done sits apart from the other controls, in the first cell of
    /// the last row: one move up from where the cursor starts (the cursor wraps). For profiles
    /// whose only way to a key is the cursor, since Done on the empty email field is the phone
    /// choice ([`crate::ui::Ui::phone_choice`]). Other modes keep Done among the controls,
    /// where moving it would cost the app-password letters presses.
    done_below_home: bool,
    domains: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Fill {
    RowMajor,
    ColumnMajor,
}

/// The on-screen control keys of a layout.
#[derive(Clone, Copy)]
struct Controls {
    keys: [Key; 8],
    key_count: usize,
}

impl ModeLayout {
    /// The layout for `mode` on `profile`, with `domains` as email domain keys.
    pub fn new(profile: &Profile, mode: Mode, domains: &'static [&'static str]) -> Self {
        let (rows, cols) = profile.grid;
        let two_stroke = profile.quick_entry == QuickEntry::TwoStroke;
        Self {
            mode,
            rows,
            cols,
            fill: match profile.quick_entry {
                QuickEntry::StickWheel => Fill::ColumnMajor,
                QuickEntry::TwoStroke | QuickEntry::None => Fill::RowMajor,
            },
            // The two-stroke pad spends every pad button on strokes: Back is its backspace.
            backspace: !profile.has(Button::X) && !two_stroke,
            shift: !profile.has(Button::Lt),
            symbols: !profile.has(Button::Rt),
            done: !profile.has(Button::Start) || two_stroke,
            cursor: !profile.has(Button::Lb),
            back: !profile.has(Button::B) && !profile.has(Button::Back),
            done_below_home: profile.quick_entry == QuickEntry::None,
            domains,
        }
    }

    /// The mode this layout is for.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    fn capacity(&self) -> usize {
        usize::from(self.rows) * usize::from(self.cols)
    }

    /// Cells the fullest page needs: its characters and the on-screen controls (domain keys
    /// take what is left). A grid with fewer cells would lose keys.
    pub fn cells_needed(&self) -> usize {
        let controls = self.controls().key_count + usize::from(self.done_apart().is_some());
        (0..self.pages())
            .map(|page| self.chars(page).chars().count() + controls)
            .max()
            .unwrap_or(controls)
    }

    /// The characters of a page, in reading order.
    fn chars(&self, page: u8) -> &'static str {
        match (self.mode, page) {
            (Mode::AppPassword, _) => LETTERS,
            (Mode::Email, 0) => "abcdefghijklmnopqrstuvwxyz.@_-",
            (Mode::Email, _) => "0123456789+",
            (Mode::General, 0) => "abcdefghijklmnopqrstuvwxyz .,",
            (Mode::General, _) => "0123456789!?@#&'\"()-_:;/+=*%$",
        }
    }

    /// The on-screen controls that fill the end of every page: Done among them unless it sits
    /// apart.
    fn controls(&self) -> Controls {
        self.control_keys(self.done_apart().is_none())
    }

    fn control_keys(&self, with_done: bool) -> Controls {
        let mut run = Controls {
            keys: [Key::Blank; 8],
            key_count: 0,
        };
        let wanted = [
            (self.backspace, Key::Backspace),
            (self.shift && self.mode == Mode::General, Key::Shift),
            // On an app-password field this key opens the full keyboard, for account passwords.
            (self.symbols, Key::Symbols),
            (self.cursor, Key::CursorLeft),
            (self.cursor, Key::CursorRight),
            (self.mode == Mode::AppPassword, Key::Reveal),
            (self.done && with_done, Key::Done),
            (self.back, Key::Back),
        ];
        for (want, key) in wanted {
            if let (true, Some(slot)) = (want, run.keys.get_mut(run.key_count)) {
                *slot = key;
                run.key_count += 1;
            }
        }
        run
    }

    /// The reading-order index of Done when it sits apart from the other controls (see
    /// `done_below_home`): the first cell of the last row, on every page of the email keyboard.
    /// `None` in other modes, and where the last row starts among the controls (a grid too small to set Done apart).
    fn done_apart(&self) -> Option<usize> {
        let last_row = usize::from(self.rows.saturating_sub(1)) * usize::from(self.cols);
        let controls_start = self
            .capacity()
            .saturating_sub(self.control_keys(false).key_count);
        (self.done
            && self.done_below_home
            && self.mode == Mode::Email
            && self.rows > 1
            && last_row < controls_start)
            .then_some(last_row)
    }

    /// The key at position `index` in a page's reading order: the page's characters, then
    /// (email only) the domain keys that fit on page 0, with the rest leading page 1; on-screen
    /// controls fill the end of every page, so they stay put when the page changes. Where Done
    /// sits apart, it takes its cell on every page and the keys before the controls flow
    /// around it.
    fn key_at_index(&self, page: u8, index: usize, shift: bool) -> Key {
        let controls = self.controls();
        let controls_start = self.capacity().saturating_sub(controls.key_count);
        if let Some(control) = index.checked_sub(controls_start) {
            return controls.keys.get(control).copied().unwrap_or(Key::Blank);
        }
        let (index, controls_start) = match self.done_apart() {
            Some(done) if index == done => return Key::Done,
            Some(done) => (index - usize::from(index > done), controls_start - 1),
            None => (index, controls_start),
        };
        let domains: &[&str] = if self.mode == Mode::Email {
            self.domains
        } else {
            &[]
        };
        let on_page0 = controls_start
            .saturating_sub(self.chars(0).chars().count())
            .min(domains.len());
        let (lead, trail) = domains.split_at(on_page0);
        let (lead, trail): (&[&str], &[&str]) = if page == 0 { (&[], lead) } else { (trail, &[]) };
        let chars = self.chars(page);
        let char_count = chars.chars().count();
        if let Some(domain) = lead.get(index) {
            return Key::Text(domain);
        }
        let index = index - lead.len();
        // Capitals and the rarer symbols of an address: where shift has no button, its key
        // follows the digits instead of taking a place on every page (shift lasts across the
        // page change, for the next letter).
        let shift_key = self.mode == Mode::Email && page > 0 && self.shift;
        if shift_key && index == char_count {
            return Key::Shift;
        }
        if shift && self.mode == Mode::Email && page > 0 {
            let slot = index - usize::from(shift_key && index > char_count);
            if let Some(c) = EMAIL_SHIFTED_SYMBOLS.chars().nth(slot) {
                return Key::Char(c);
            }
        }
        if let Some(c) = chars.chars().nth(index) {
            return Key::Char(c);
        }
        trail
            .get(index.saturating_sub(char_count))
            .map_or(Key::Blank, |domain| Key::Text(domain))
    }
}

impl Layout for ModeLayout {
    fn pages(&self) -> u8 {
        match self.mode {
            Mode::AppPassword => 1,
            Mode::Email | Mode::General => 2,
        }
    }

    fn size(&self, _page: u8) -> (u8, u8) {
        (self.rows, self.cols)
    }

    fn key(&self, page: u8, row: u8, col: u8, shift: bool) -> Key {
        if row >= self.rows || col >= self.cols {
            return Key::Blank;
        }
        let index = match self.fill {
            Fill::RowMajor => usize::from(row) * usize::from(self.cols) + usize::from(col),
            Fill::ColumnMajor => usize::from(col) * usize::from(self.rows) + usize::from(row),
        };
        match self.key_at_index(page, index, shift) {
            Key::Char(c) if shift => Key::Char(c.to_ascii_uppercase()),
            key => key,
        }
    }

    fn wraps(&self) -> bool {
        true
    }

    fn for_mode(&self, mode: Mode) -> Self {
        Self { mode, ..*self }
    }
}

/// Layouts of other consoles' keyboards, modelled as DESIGN.md section 8 describes, for the
/// benchmarks: the same keyboard logic and planner run on them.
pub mod anchors {
    use super::{Key, Layout};

    /// A layout given as rows of keys, with a shifted variant of every row.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct GridLayout {
        rows: &'static [&'static [Key]],
        shifted: &'static [&'static [Key]],
        wraps: bool,
    }

    impl Layout for GridLayout {
        fn pages(&self) -> u8 {
            1
        }

        fn size(&self, _page: u8) -> (u8, u8) {
            let cols = self.rows.iter().map(|r| r.len()).max().unwrap_or(0);
            (
                u8::try_from(self.rows.len()).unwrap_or(u8::MAX),
                u8::try_from(cols).unwrap_or(u8::MAX),
            )
        }

        fn key(&self, _page: u8, row: u8, col: u8, shift: bool) -> Key {
            let rows = if shift { self.shifted } else { self.rows };
            rows.get(usize::from(row))
                .and_then(|r| r.get(usize::from(col)))
                .copied()
                .unwrap_or(Key::Blank)
        }

        fn wraps(&self) -> bool {
            self.wraps
        }
    }

    macro_rules! keys {
        ($($k:expr),* $(,)?) => { &[$($k),*] };
    }

    use Key::{Backspace as BS, Char as C, Done as OK};

    /// Switch-style lower-case page, 12 × 4, wrapping; `@` behind shift (on `2`, as `_` on `-`
    /// and `+` on `/`), ⏎ as Done.
    pub const SWITCH: GridLayout = GridLayout {
        rows: &[
            keys![
                C('1'),
                C('2'),
                C('3'),
                C('4'),
                C('5'),
                C('6'),
                C('7'),
                C('8'),
                C('9'),
                C('0'),
                C('-'),
                BS
            ],
            keys![
                C('q'),
                C('w'),
                C('e'),
                C('r'),
                C('t'),
                C('y'),
                C('u'),
                C('i'),
                C('o'),
                C('p'),
                C('/'),
                OK
            ],
            keys![
                C('a'),
                C('s'),
                C('d'),
                C('f'),
                C('g'),
                C('h'),
                C('j'),
                C('k'),
                C('l'),
                C(':'),
                C('\''),
                OK
            ],
            keys![
                C('z'),
                C('x'),
                C('c'),
                C('v'),
                C('b'),
                C('n'),
                C('m'),
                C(','),
                C('.'),
                C('?'),
                C('!'),
                OK
            ],
        ],
        shifted: &[
            keys![
                C('!'),
                C('@'),
                C('#'),
                C('$'),
                C('%'),
                C('^'),
                C('&'),
                C('*'),
                C('('),
                C(')'),
                C('_'),
                BS
            ],
            keys![
                C('Q'),
                C('W'),
                C('E'),
                C('R'),
                C('T'),
                C('Y'),
                C('U'),
                C('I'),
                C('O'),
                C('P'),
                C('+'),
                OK
            ],
            keys![
                C('A'),
                C('S'),
                C('D'),
                C('F'),
                C('G'),
                C('H'),
                C('J'),
                C('K'),
                C('L'),
                C(';'),
                C('"'),
                OK
            ],
            keys![
                C('Z'),
                C('X'),
                C('C'),
                C('V'),
                C('B'),
                C('N'),
                C('M'),
                C('<'),
                C('>'),
                C('?'),
                C('!'),
                OK
            ],
        ],
        wraps: true,
    };

    /// PS4-style 10-column page, no wrap; `@`, `.` and `_` on the bottom row.
    pub const PS4: GridLayout = GridLayout {
        rows: &[
            keys![
                C('1'),
                C('2'),
                C('3'),
                C('4'),
                C('5'),
                C('6'),
                C('7'),
                C('8'),
                C('9'),
                C('0')
            ],
            keys![
                C('q'),
                C('w'),
                C('e'),
                C('r'),
                C('t'),
                C('y'),
                C('u'),
                C('i'),
                C('o'),
                C('p')
            ],
            keys![
                C('a'),
                C('s'),
                C('d'),
                C('f'),
                C('g'),
                C('h'),
                C('j'),
                C('k'),
                C('l'),
                C('-')
            ],
            keys![
                C('z'),
                C('x'),
                C('c'),
                C('v'),
                C('b'),
                C('n'),
                C('m'),
                C('@'),
                C('.'),
                C('_')
            ],
        ],
        shifted: &[
            keys![
                C('!'),
                C('"'),
                C('#'),
                C('$'),
                C('%'),
                C('&'),
                C('\''),
                C('('),
                C(')'),
                C('=')
            ],
            keys![
                C('Q'),
                C('W'),
                C('E'),
                C('R'),
                C('T'),
                C('Y'),
                C('U'),
                C('I'),
                C('O'),
                C('P')
            ],
            keys![
                C('A'),
                C('S'),
                C('D'),
                C('F'),
                C('G'),
                C('H'),
                C('J'),
                C('K'),
                C('L'),
                C('+')
            ],
            keys![
                C('Z'),
                C('X'),
                C('C'),
                C('V'),
                C('B'),
                C('N'),
                C('M'),
                C('@'),
                C('.'),
                C('_')
            ],
        ],
        wraps: false,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{OLED, XBOX360, ZUNE};
    use std::vec::Vec;

    fn page(layout: &ModeLayout, page: u8) -> Vec<Key> {
        let (rows, cols) = layout.size(page);
        let mut keys = Vec::new();
        for r in 0..rows {
            for c in 0..cols {
                keys.push(layout.key(page, r, c, false));
            }
        }
        keys
    }

    fn chars(keys: &[Key]) -> std::string::String {
        keys.iter()
            .filter_map(|k| match k {
                Key::Char(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_key_of_every_mode_is_on_every_profile_once() {
        for profile in crate::profile::ALL {
            for mode in [Mode::Email, Mode::AppPassword, Mode::General] {
                let layout = ModeLayout::new(profile, mode, DEFAULT_DOMAINS);
                let all: Vec<Key> = (0..layout.pages()).flat_map(|p| page(&layout, p)).collect();
                let mut expected: Vec<char> = std::vec![];
                for p in 0..layout.pages() {
                    expected.extend(layout.chars(p).chars());
                }
                let mut got: Vec<char> = chars(&all).chars().collect();
                got.sort_unstable();
                expected.sort_unstable();
                assert_eq!(got, expected, "{} {:?}", profile.name, mode);
                if mode == Mode::Email {
                    for domain in DEFAULT_DOMAINS {
                        assert_eq!(
                            all.iter().filter(|k| **k == Key::Text(domain)).count(),
                            1,
                            "{} lacks {domain}",
                            profile.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn functions_without_a_button_have_a_key() {
        let zune = ModeLayout::new(&ZUNE, Mode::General, DEFAULT_DOMAINS);
        let keys = page(&zune, 0);
        for key in [Key::Shift, Key::Symbols, Key::Done, Key::CursorLeft] {
            assert!(keys.contains(&key), "zune lacks {key:?}");
        }
        let oled = ModeLayout::new(&OLED, Mode::AppPassword, DEFAULT_DOMAINS);
        let keys = page(&oled, 0);
        for key in [Key::Backspace, Key::Reveal, Key::Done] {
            assert!(keys.contains(&key), "oled lacks {key:?}");
        }
        let xbox = ModeLayout::new(&XBOX360, Mode::Email, DEFAULT_DOMAINS);
        assert!(!page(&xbox, 0).contains(&Key::Backspace), "X is backspace");
    }

    #[test]
    fn cursor_only_email_keyboards_keep_done_in_the_first_cell_of_the_last_row() {
        use crate::profile::{MONO_128X32, MONO_128X64};
        for profile in [&OLED, &MONO_128X64, &MONO_128X32] {
            let email = ModeLayout::new(profile, Mode::Email, DEFAULT_DOMAINS);
            let (rows, _) = email.size(0);
            for p in 0..email.pages() {
                assert_eq!(
                    email.key(p, rows - 1, 0, false),
                    Key::Done,
                    "{}",
                    profile.name
                );
                let dones = page(&email, p).iter().filter(|k| **k == Key::Done).count();
                assert_eq!(dones, 1, "{} page {p}", profile.name);
            }
            // The app-password letters keep Done among the controls at the end.
            let letters = ModeLayout::new(profile, Mode::AppPassword, DEFAULT_DOMAINS);
            let keys = page(&letters, 0);
            let done = keys.iter().position(|k| *k == Key::Done);
            assert!(done > Some(keys.len() / 2), "{}", profile.name);
        }
        // Profiles with a quick entry keep their arrangement.
        let zune = ModeLayout::new(&ZUNE, Mode::Email, DEFAULT_DOMAINS);
        assert_ne!(zune.key(0, 5, 0, false), Key::Done);
    }

    #[test]
    fn stick_layout_fills_columns_for_sectors() {
        let xbox = ModeLayout::new(&XBOX360, Mode::AppPassword, DEFAULT_DOMAINS);
        let column0: std::string::String = (0..4)
            .map(|r| match xbox.key(0, r, 0, false) {
                Key::Char(c) => c,
                _ => '?',
            })
            .collect();
        assert_eq!(column0, "abcd");
        assert_eq!(xbox.key(0, 0, 0, true), Key::Char('A'));
    }
}
