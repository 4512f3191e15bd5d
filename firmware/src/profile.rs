//! Device profiles: everything the module needs to know about a kind of device, in one place.
//!
//! A profile names the display (size, colour), the logical buttons that exist, whether there
//! is a stick, how the keyboard is arranged for that hardware, and the defaults a fresh device
//! starts with. The rest of the module reads only the profile, so an integrator adds a device
//! by writing one more `Profile` value; nothing else changes.

use padlock_protocol::DeviceKind;

use crate::input::{Button, ButtonSet};
use crate::text::Language;

/// How the display shows colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ColorDepth {
    /// 16-bit colour (RGB565).
    Rgb565,
    /// 4-bit greyscale (16 levels), as the SSD0323 OLED.
    Gray4,
}

/// The display a profile draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Display {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Colour depth.
    pub color: ColorDepth,
}

/// The keyboard's fast path on this hardware, besides moving a cursor over the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QuickEntry {
    /// None: the cursor and a select button only.
    None,
    /// Stick wheel: the stick's sector picks a column of the grid, a face button (Y, X, B, A
    /// from the top) picks the row. The stick may stay in its sector for the next letter.
    StickWheel,
    /// Two strokes: the first of Up, Right, Down, Left, centre or Play picks a row, the second
    /// picks the column. For click-pads with no stick.
    TwoStroke,
}

/// Everything the module knows about a kind of device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Profile {
    /// Short name, as the simulator's `--profile` takes it.
    pub name: &'static str,
    /// What kind of device it reports to the gateway.
    pub kind: DeviceKind,
    /// Model name it reports to the gateway.
    pub model: &'static str,
    /// The display.
    pub display: Display,
    /// The logical buttons that exist.
    pub buttons: ButtonSet,
    /// Whether there is a left stick.
    pub stick: bool,
    /// The keyboard's fast path.
    pub quick_entry: QuickEntry,
    /// Keyboard grid, rows × columns (the same for every mode and page).
    pub grid: (u8, u8),
    /// Language of a fresh device.
    pub language: Language,
}

impl Profile {
    /// Whether the profile has `button`.
    pub const fn has(&self, button: Button) -> bool {
        self.buttons.contains(button)
    }
}

/// Xbox 360: 1280×720 colour, the full controller.
pub const XBOX360: Profile = Profile {
    name: "xbox360",
    kind: DeviceKind::Xbox360,
    model: "Xbox 360",
    display: Display {
        width: 1280,
        height: 720,
        color: ColorDepth::Rgb565,
    },
    buttons: ButtonSet::of(&Button::ALL),
    stick: true,
    quick_entry: QuickEntry::StickWheel,
    // Eight columns for the stick's eight sectors, four rows for the four face buttons.
    grid: (4, 8),
    language: Language::English,
};

/// Zune: 240×320 colour portrait; click-pad with centre, Back and Play/Pause.
pub const ZUNE: Profile = Profile {
    name: "zune",
    kind: DeviceKind::Zune,
    model: "Zune",
    display: Display {
        width: 240,
        height: 320,
        color: ColorDepth::Rgb565,
    },
    buttons: ButtonSet::of(&[
        Button::Up,
        Button::Down,
        Button::Left,
        Button::Right,
        Button::A,
        Button::Back,
        Button::Start,
    ]),
    stick: false,
    quick_entry: QuickEntry::TwoStroke,
    // Six strokes (four directions, centre, Play) pick each of six rows and six columns.
    grid: (6, 6),
    language: Language::English,
};

/// The QEMU lm3s6965evb board: 128×64 greyscale OLED, four directions and select.
pub const OLED: Profile = Profile {
    name: "oled",
    kind: DeviceKind::Other,
    model: "LM3S6965 EVB",
    display: Display {
        width: 128,
        height: 64,
        color: ColorDepth::Gray4,
    },
    buttons: ButtonSet::of(&[
        Button::Up,
        Button::Down,
        Button::Left,
        Button::Right,
        Button::A,
    ]),
    stick: false,
    quick_entry: QuickEntry::None,
    grid: (4, 10),
    language: Language::English,
};

/// The built-in profiles.
pub const ALL: [&Profile; 3] = [&XBOX360, &ZUNE, &OLED];

/// The built-in profile called `name`.
pub fn by_name(name: &str) -> Option<&'static Profile> {
    ALL.into_iter().find(|p| p.name == name)
}
