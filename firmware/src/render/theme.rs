//! Colours by role, so one drawing code serves every colour depth.
//!
//! Widgets never name a colour; they ask the [`Palette`] for a role (the background, a key,
//! the key under the cursor, …). Each colour type a display may use implements [`Themed`] once,
//! with a palette chosen for that depth: the 16-bit palette follows the console look (dark
//! background, green focus, the face buttons' own colours), the 4-bit grey one keeps the same
//! contrasts with grey levels, and the 1-bit one (SSD1306, SH1106, e-paper) draws text lit on
//! dark and shows the focus inverted. A new colour depth is one more `impl Themed` here (a
//! board crate cannot add one for embedded-graphics' own colour types).

use embedded_graphics::pixelcolor::{BinaryColor, Gray4, GrayColor, Rgb565, RgbColor};
use embedded_graphics::prelude::PixelColor;

use crate::profile::ColorDepth;

/// The colour of every role on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette<C> {
    /// Behind everything.
    pub background: C,
    /// Body text and titles.
    pub text: C,
    /// Secondary text: labels, hints, quick-entry legends.
    pub dim: C,
    /// A key, a field or a button at rest.
    pub surface: C,
    /// Text on a [`Palette::surface`].
    pub surface_text: C,
    /// The key or control that has the focus (the grid cursor, the selected button).
    pub focus: C,
    /// Text on a [`Palette::focus`].
    pub focus_text: C,
    /// Keys of the quick-entry group the player picked (stick column, first stroke row).
    pub group: C,
    /// Problems: the title line of an error screen.
    pub alert: C,
    /// The face buttons' labels Y, X, B, A (the controller's own colours where there is colour).
    pub face: [C; 4],
}

/// A colour type with a palette: the colour of a display Padlock can draw on.
pub trait Themed: PixelColor {
    /// The colour depth a profile names for displays of this colour.
    const DEPTH: ColorDepth;
    /// The palette for this colour depth.
    const PALETTE: Palette<Self>;
}

impl Themed for Rgb565 {
    const DEPTH: ColorDepth = ColorDepth::Rgb565;
    const PALETTE: Palette<Self> = Palette {
        background: Rgb565::new(2, 5, 5),
        text: Rgb565::WHITE,
        dim: Rgb565::new(22, 46, 24),
        surface: Rgb565::new(7, 15, 9),
        surface_text: Rgb565::WHITE,
        focus: Rgb565::new(13, 52, 4),
        focus_text: Rgb565::BLACK,
        group: Rgb565::new(10, 26, 17),
        alert: Rgb565::new(31, 44, 8),
        // Y yellow, X blue, B red, A green, as on the controller.
        face: [
            Rgb565::new(31, 55, 0),
            Rgb565::new(6, 30, 31),
            Rgb565::new(31, 12, 8),
            Rgb565::new(13, 52, 4),
        ],
    };
}

impl Themed for Gray4 {
    const DEPTH: ColorDepth = ColorDepth::Gray4;
    const PALETTE: Palette<Self> = Palette {
        background: Gray4::BLACK,
        text: Gray4::WHITE,
        dim: Gray4::new(10),
        surface: Gray4::new(3),
        surface_text: Gray4::WHITE,
        focus: Gray4::WHITE,
        focus_text: Gray4::BLACK,
        group: Gray4::new(6),
        alert: Gray4::WHITE,
        face: [Gray4::WHITE; 4],
    };
}

impl Themed for BinaryColor {
    const DEPTH: ColorDepth = ColorDepth::Binary;
    // Two levels: what is not lit is the background. Keys, fields and buttons at rest are
    // their lit text alone; the focus is inverted. A quick-entry group cannot be shaded: its
    // labels (drawn in `dim`, lit) show the pick instead.
    const PALETTE: Palette<Self> = Palette {
        background: BinaryColor::Off,
        text: BinaryColor::On,
        dim: BinaryColor::On,
        surface: BinaryColor::Off,
        surface_text: BinaryColor::On,
        focus: BinaryColor::On,
        focus_text: BinaryColor::Off,
        group: BinaryColor::Off,
        alert: BinaryColor::On,
        face: [BinaryColor::On; 4],
    };
}
