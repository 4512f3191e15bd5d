//! Rendering: the keyboard and the screens on any embedded-graphics `DrawTarget`.
//!
//! The integrator hands the module a display as a `DrawTarget` whose colour is the profile's
//! ([`Rgb565`](embedded_graphics::pixelcolor::Rgb565),
//! [`Gray4`](embedded_graphics::pixelcolor::Gray4) or
//! [`BinaryColor`](embedded_graphics::pixelcolor::BinaryColor); any colour with a
//! [`theme::Themed`] palette works). Everything drawn is computed from the display's size: nothing here names a
//! profile. Drawing allocates nothing and never reads the display back.
//!
//! ```text
//!  Ui event ──▶ Effects { redraw } ──▶ Renderer::redraw(display, &ui, redraw)
//!                                        │
//!          Screen ─▶ full draw           │  Keyboard(damage) ─▶ the keys / field named
//!          Controls ─▶ buttons, focus    │  Progress ─▶ the spinner's dots
//! ```
//!
//! - [`theme`]: colours by role, one palette per colour depth;
//! - [`face`]: mono fonts (ISO 8859-1, so Dutch renders) at integer scales, measuring,
//!   wrapping, with hand-drawn `m` and `w` for the smallest face (`tiny`); [`scaled`]: the
//!   magnifying `DrawTarget` behind scaled text; [`glyph`]: arrows and marks no font has,
//!   drawn as shapes;
//! - [`layout`]: margins, faces and bands from the display size; the keyboard grid;
//! - [`keyboard`]: the keyboard widget, full and partial redraws; [`legend`]: what each
//!   controller button does while typing;
//! - [`screens`]: every [`crate::ui::Screen`], full and partial redraws, its words taken from
//!   the screen's [`crate::ui::Content`]; [`report`]: what a draw put on the display, piece by
//!   piece, and how each was fitted;
//! - [`link`]: the phone link's code screen (code, address, countdown, QR code);
//! - `qr` (feature `qr`, on by default): the QR codes of the app-password page and the link;
//! - [`count`]: a counting `DrawTarget`, the proof that partial redraws are partial;
//! - [`mono_frame`]: a frame buffer for 128-pixel-wide 1-bit panels (SSD1306, SH1106) that
//!   sends only the pages that changed.
//!
//! # Example
//! ```
//! use embedded_graphics::{mock_display::MockDisplay, pixelcolor::Gray4, prelude::*};
//! # use embedded_graphics::primitives::Rectangle;
//! use padlock_firmware::{profile, render::{count::Counting, screens::Renderer}, text::Language};
//! use padlock_firmware::ui::{Ui, UiConfig};
//!
//! # struct Frame(Vec<Gray4>, Size);
//! # impl OriginDimensions for Frame { fn size(&self) -> Size { self.1 } }
//! # impl DrawTarget for Frame {
//! #     type Color = Gray4; type Error = core::convert::Infallible;
//! #     fn draw_iter<I: IntoIterator<Item = Pixel<Gray4>>>(&mut self, px: I) -> Result<(), Self::Error> {
//! #         for Pixel(p, c) in px { if self.bounding_box().contains(p) { self.0[(p.y as u32 * self.1.width + p.x as u32) as usize] = c; } }
//! #         Ok(())
//! #     }
//! # }
//! let config = UiConfig {
//!     profile: &profile::OLED,
//!     language: Language::Dutch,
//!     security_info_url: "https://account.example.com/security",
//! };
//! let mut ui = Ui::new(config, None);
//! let size = Size::new(config.profile.display.width, config.profile.display.height);
//! let mut display = Counting::new(Frame(vec![Gray4::BLACK; 128 * 64], size));
//! let renderer = Renderer::new(size);
//! renderer.draw(&mut display, &ui)?;
//!
//! // A D-pad move redraws the two keys it concerns, a small share of the frame.
//! display.reset();
//! let effects = ui.input(padlock_firmware::input::Physical::Press(padlock_firmware::input::Button::Right));
//! renderer.redraw(&mut display, &ui, effects.redraw)?;
//! assert!(display.bytes() * 10 < display.frame_bytes());
//! # Ok::<(), core::convert::Infallible>(())
//! ```

pub mod count;
pub mod face;
pub mod glyph;
pub mod keyboard;
pub mod layout;
pub mod legend;
pub mod link;
pub mod mono_frame;
#[cfg(feature = "qr")]
pub mod qr;
pub mod report;
pub mod scaled;
pub mod screens;
pub mod theme;
mod tiny;

pub use screens::Renderer;
pub use theme::{Palette, Themed};

#[cfg(test)]
mod tests;
