//! Device profiles: everything the module needs to know about a kind of device, in one place.
//!
//! A profile names the display (size, colour), its buttons and what each does (its binding
//! table, [`crate::bindings`]), whether there is a stick, how the keyboard is arranged for
//! that hardware, and how held buttons repeat.
//! The rest of the module reads only the profile, so an integrator adds a device by writing
//! one more `Profile` value; nothing else changes. The language is not a property of the
//! hardware: it is the device's setting, [`crate::ui::UiConfig::language`].
//!
//! [`Profile::check`] (run by [`crate::module::Module::new`]) refuses a profile the screens
//! cannot serve, with the reason; [`Display::check`] refuses a display that is not the one
//! the profile describes. Nothing is discovered later as a broken screen.
//!
//! ```
//! use padlock_firmware::profile::{self, ProfileError};
//! assert_eq!(profile::MONO_128X64.check(), Ok(()));
//! // Four rows of keys do not fit under the text field of a 32-pixel display.
//! let squeezed = profile::Profile { grid: (4, 10), ..profile::MONO_128X32 };
//! assert!(matches!(squeezed.check(), Err(ProfileError::GridTooLargeForDisplay { .. })));
//! ```

use embedded_graphics::prelude::{DrawTarget, Size};
use padlock_protocol::DeviceKind;

use crate::bindings::{self, Action, Bindings, Quick};
use crate::input::{Button, Direction, InputConfig};
use crate::keyboard::layout::{DEFAULT_DOMAINS, Mode, ModeLayout};
use crate::render::Themed;
use crate::render::layout::Metrics;

/// How the display shows colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ColorDepth {
    /// 16-bit colour (RGB565).
    Rgb565,
    /// 4-bit greyscale (16 levels), as the SSD0323 OLED.
    Gray4,
    /// 1 bit: on or off, as SSD1306 and SH1106 OLEDs and e-paper
    /// (embedded-graphics' `BinaryColor`).
    Binary,
}

/// The display a profile draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Display {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Colour depth: the display's `DrawTarget::Color` must be the matching type.
    pub color: ColorDepth,
}

impl Display {
    /// The size, for [`crate::render::Renderer::new`].
    pub const fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }

    /// Checks that `target` is this display (the same size, a colour of this depth) and
    /// returns its size, for [`crate::render::Renderer::new`].
    ///
    /// # Errors
    /// [`ProfileError::DisplaySize`] or [`ProfileError::DisplayColor`], naming both sides.
    pub fn check<D>(&self, target: &D) -> Result<Size, ProfileError>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let size = target.bounding_box().size;
        if size != self.size() {
            return Err(ProfileError::DisplaySize {
                profile: (self.width, self.height),
                display: (size.width, size.height),
            });
        }
        if D::Color::DEPTH != self.color {
            return Err(ProfileError::DisplayColor {
                profile: self.color,
                display: D::Color::DEPTH,
            });
        }
        Ok(size)
    }
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
    /// The buttons that exist and what each does: the one binding table
    /// ([`crate::bindings`]).
    pub bindings: Bindings,
    /// Whether there is a left stick.
    pub stick: bool,
    /// The keyboard's fast path.
    pub quick_entry: QuickEntry,
    /// Keyboard grid, rows × columns of keys (the same for every mode and page). It must hold
    /// the fullest page (about 40 keys with the controls) and fit the display under the text
    /// field at [`Metrics::MIN_KEY`] pixels a key or more.
    pub grid: (u8, u8),
    /// Auto-repeat of held directions (delay and interval in milliseconds) and the stick's
    /// dead zone (out of 32767). [`InputConfig::STANDARD`] suits most hands.
    pub input: InputConfig,
}

/// Why a profile, or a display for it, cannot be used. [`Profile::check`] and
/// [`Display::check`] return these; each names what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ProfileError {
    /// The display is 0 pixels wide or high.
    DisplayEmpty,
    /// The display handed to the renderer is not the profile's size (width, height).
    DisplaySize {
        /// The profile's display.
        profile: (u32, u32),
        /// The display's `DrawTarget`.
        display: (u32, u32),
    },
    /// The display's colour type is not the profile's colour depth.
    DisplayColor {
        /// The profile's colour depth.
        profile: ColorDepth,
        /// The depth of the display's `DrawTarget::Color`.
        display: ColorDepth,
    },
    /// No button does this action, which every keyboard needs (the four moves and select).
    MissingAction(Action),
    /// No button has this part in the profile's quick entry (the stick wheel's rows, the
    /// strokes that pick each row and column).
    MissingQuick(Quick),
    /// [`QuickEntry::StickWheel`] without a stick.
    QuickEntryNeedsStick,
    /// The grid is not the quick entry's: the stick wheel needs 8 columns (its sectors) and
    /// at most 4 rows (its face buttons).
    GridNotForQuickEntry {
        /// The profile's grid, rows × columns.
        grid: (u8, u8),
    },
    /// The grid has fewer cells than the fullest keyboard page needs.
    GridTooSmall {
        /// Cells in the grid.
        cells: usize,
        /// Cells the fullest page needs.
        needed: usize,
    },
    /// The grid's keys would be smaller than [`Metrics::MIN_KEY`] on the display.
    GridTooLargeForDisplay {
        /// The profile's grid, rows × columns.
        grid: (u8, u8),
        /// The display, width × height.
        display: (u32, u32),
    },
    /// `input.repeat_interval_ms` or `input.repeat_delay_ms` is 0 (a held button would
    /// repeat on every poll).
    RepeatTooFast,
    /// `input.dead_zone` is 32767 or more: the stick would never leave the centre.
    DeadZoneTooLarge,
}

impl Profile {
    /// Whether the profile has `button`.
    pub const fn has(&self, button: Button) -> bool {
        self.bindings.buttons().contains(button)
    }

    /// Checks that the screens can serve this profile: buttons for its keyboard, a grid that
    /// holds every page and fits the display, usable input timing.
    ///
    /// # Errors
    /// The first problem found, as a [`ProfileError`].
    pub fn check(&self) -> Result<(), ProfileError> {
        let Display { width, height, .. } = self.display;
        if width == 0 || height == 0 {
            return Err(ProfileError::DisplayEmpty);
        }
        let needed_actions = [
            Action::Move(Direction::Up),
            Action::Move(Direction::Down),
            Action::Move(Direction::Left),
            Action::Move(Direction::Right),
            Action::Select,
        ];
        if let Some(missing) = needed_actions
            .into_iter()
            .find(|action| self.bindings.for_action(*action).is_none())
        {
            return Err(ProfileError::MissingAction(missing));
        }
        let (rows, cols) = self.grid;
        if self.quick_entry == QuickEntry::StickWheel && !self.stick {
            return Err(ProfileError::QuickEntryNeedsStick);
        }
        if self.quick_entry == QuickEntry::StickWheel && (cols != 8 || !(1..=4).contains(&rows)) {
            return Err(ProfileError::GridNotForQuickEntry { grid: self.grid });
        }
        // The wheel's face buttons pick rows; a stroke picks a row, then a column.
        let (roles, role): (u8, fn(u8) -> Quick) = match self.quick_entry {
            QuickEntry::None => (0, Quick::WheelRow),
            QuickEntry::StickWheel => (rows, Quick::WheelRow),
            QuickEntry::TwoStroke => (rows.max(cols), Quick::Stroke),
        };
        if let Some(missing) = (0..roles)
            .map(role)
            .find(|role| self.bindings.for_quick(*role).is_none())
        {
            return Err(ProfileError::MissingQuick(missing));
        }
        let cells = usize::from(rows) * usize::from(cols);
        let needed = [Mode::Email, Mode::AppPassword, Mode::General]
            .into_iter()
            .map(|mode| ModeLayout::new(self, mode, DEFAULT_DOMAINS).cells_needed())
            .max()
            .unwrap_or(0);
        if cells < needed {
            return Err(ProfileError::GridTooSmall { cells, needed });
        }
        if !Metrics::new(self.display.size()).fits_keyboard(rows, cols) {
            return Err(ProfileError::GridTooLargeForDisplay {
                grid: self.grid,
                display: (width, height),
            });
        }
        if self.input.repeat_delay_ms == 0 || self.input.repeat_interval_ms == 0 {
            return Err(ProfileError::RepeatTooFast);
        }
        if self.input.dead_zone >= i16::MAX as u16 {
            return Err(ProfileError::DeadZoneTooLarge);
        }
        Ok(())
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
    bindings: bindings::XBOX360,
    stick: true,
    quick_entry: QuickEntry::StickWheel,
    // Eight columns for the stick's eight sectors, four rows for the four face buttons.
    grid: (4, 8),
    input: InputConfig::STANDARD,
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
    bindings: bindings::ZUNE,
    stick: false,
    quick_entry: QuickEntry::TwoStroke,
    // Six strokes (four directions, centre, Play) pick each of six rows and six columns.
    grid: (6, 6),
    input: InputConfig::STANDARD,
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
    bindings: bindings::CURSOR,
    stick: false,
    quick_entry: QuickEntry::None,
    grid: (4, 10),
    input: InputConfig::STANDARD,
};

/// A 128×64 monochrome OLED (SSD1306, SH1106), four directions, select and Back: the
/// template board's display.
pub const MONO_128X64: Profile = Profile {
    name: "mono128x64",
    model: "128x64 monochrome",
    display: Display {
        color: ColorDepth::Binary,
        ..OLED.display
    },
    bindings: bindings::CURSOR_WITH_BACK,
    ..OLED
};

/// A 128×32 monochrome OLED (SSD1306), four directions, select and Back: two long rows of
/// keys under a one-line field, in the 4×6 face.
pub const MONO_128X32: Profile = Profile {
    name: "mono128x32",
    model: "128x32 monochrome",
    display: Display {
        width: 128,
        height: 32,
        color: ColorDepth::Binary,
    },
    grid: (2, 20),
    ..MONO_128X64
};

/// The built-in profiles.
pub const ALL: [&Profile; 3] = [&XBOX360, &ZUNE, &OLED];

/// The built-in profile called `name`.
pub fn by_name(name: &str) -> Option<&'static Profile> {
    ALL.into_iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_profile_starts() {
        for profile in ALL.into_iter().chain([&MONO_128X64, &MONO_128X32]) {
            assert_eq!(profile.check(), Ok(()), "{}", profile.name);
        }
    }

    #[test]
    fn each_unusable_profile_is_refused_with_its_reason() {
        let base = MONO_128X64;
        let cases = [
            (
                Profile {
                    display: Display {
                        width: 0,
                        ..base.display
                    },
                    ..base
                },
                ProfileError::DisplayEmpty,
            ),
            (
                Profile {
                    bindings: Bindings::new(&bindings::CURSOR.lines()[1..]),
                    ..base
                },
                ProfileError::MissingAction(Action::Move(Direction::Up)),
            ),
            (
                Profile {
                    quick_entry: QuickEntry::TwoStroke,
                    ..base
                },
                ProfileError::MissingQuick(Quick::Stroke(0)),
            ),
            (
                Profile {
                    stick: false,
                    ..XBOX360
                },
                ProfileError::QuickEntryNeedsStick,
            ),
            (
                Profile {
                    grid: (4, 10),
                    ..XBOX360
                },
                ProfileError::GridNotForQuickEntry { grid: (4, 10) },
            ),
            (
                Profile {
                    grid: (3, 10),
                    ..base
                },
                ProfileError::GridTooSmall {
                    cells: 30,
                    needed: 35,
                },
            ),
            (
                Profile {
                    grid: (4, 10),
                    ..MONO_128X32
                },
                ProfileError::GridTooLargeForDisplay {
                    grid: (4, 10),
                    display: (128, 32),
                },
            ),
            (
                Profile {
                    grid: (2, 40),
                    ..base
                },
                ProfileError::GridTooLargeForDisplay {
                    grid: (2, 40),
                    display: (128, 64),
                },
            ),
            (
                Profile {
                    input: InputConfig {
                        repeat_interval_ms: 0,
                        ..InputConfig::STANDARD
                    },
                    ..base
                },
                ProfileError::RepeatTooFast,
            ),
            (
                Profile {
                    input: InputConfig {
                        dead_zone: 40_000,
                        ..InputConfig::STANDARD
                    },
                    ..base
                },
                ProfileError::DeadZoneTooLarge,
            ),
        ];
        for (profile, expected) in cases {
            assert_eq!(profile.check(), Err(expected), "{profile:?}");
        }
    }

    #[test]
    fn a_display_that_is_not_the_profiles_is_refused() {
        use embedded_graphics::mock_display::MockDisplay;
        use embedded_graphics::pixelcolor::{BinaryColor, Gray4};
        // MockDisplay is 64 × 64.
        let square = Display {
            width: 64,
            height: 64,
            color: ColorDepth::Binary,
        };
        assert_eq!(
            square.check(&MockDisplay::<BinaryColor>::new()),
            Ok(Size::new(64, 64))
        );
        assert_eq!(
            square.check(&MockDisplay::<Gray4>::new()),
            Err(ProfileError::DisplayColor {
                profile: ColorDepth::Binary,
                display: ColorDepth::Gray4,
            })
        );
        assert_eq!(
            MONO_128X64
                .display
                .check(&MockDisplay::<BinaryColor>::new()),
            Err(ProfileError::DisplaySize {
                profile: (128, 64),
                display: (64, 64),
            })
        );
    }
}
