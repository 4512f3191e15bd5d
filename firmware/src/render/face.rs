//! Typefaces: a mono font and an integer scale, and how text is measured, wrapped and drawn.
//!
//! Every face is one of embedded-graphics' ISO 8859-1 mono fonts (the Latin-1 range covers the
//! Dutch strings, `é ë ï` and all), drawn at 1×, 2× or 3× through [`Scaled`]. Monospace keeps
//! layout arithmetic exact and cheap: a string is `chars × advance` wide, so the renderer
//! centres and wraps text without a glyph table. Symbols outside Latin-1 are drawn as shapes
//! ([`super::glyph`]); anything else shows the font's replacement character.
//!
//! [`FACES`] lists the faces from smallest to largest; layouts pick the largest that fits a
//! pixel budget ([`Face::fitting`]), so the same code gives 40-pixel key labels on a television
//! and 8-pixel ones on a 64-pixel OLED.

use embedded_graphics::Drawable;
use embedded_graphics::mono_font::{MonoFont, MonoTextStyle, iso_8859_1};
use embedded_graphics::prelude::{DrawTarget, Point, Size};
use embedded_graphics::primitives::Rectangle;
use embedded_graphics::text::{Baseline, Text};

use super::glyph;
use super::scaled::Scaled;
use super::tiny;

/// A mono font at an integer scale.
#[derive(Clone, Copy)]
pub struct Face {
    /// The font.
    pub font: &'static MonoFont<'static>,
    /// How many target pixels one font pixel becomes.
    pub scale: u32,
}

impl core::fmt::Debug for Face {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Face({}x{} x{})",
            self.font.character_size.width, self.font.character_size.height, self.scale
        )
    }
}

const fn face(font: &'static MonoFont<'static>, scale: u32) -> Face {
    Face { font, scale }
}

/// Every face, from the smallest to the largest (by height). Without the `large-text`
/// feature only the faces up to 13 pixels are built in: enough for small displays, and about
/// 15 KB less flash.
pub const FACES: &[Face] = &[
    face(&iso_8859_1::FONT_4X6, 1),
    face(&iso_8859_1::FONT_5X8, 1),
    face(&iso_8859_1::FONT_6X10, 1),
    face(&iso_8859_1::FONT_7X13_BOLD, 1),
    #[cfg(feature = "large-text")]
    face(&iso_8859_1::FONT_9X15_BOLD, 1),
    #[cfg(feature = "large-text")]
    face(&iso_8859_1::FONT_9X18_BOLD, 1),
    #[cfg(feature = "large-text")]
    face(&iso_8859_1::FONT_10X20, 1),
    #[cfg(feature = "large-text")]
    face(&iso_8859_1::FONT_8X13_BOLD, 2),
    #[cfg(feature = "large-text")]
    face(&iso_8859_1::FONT_9X15_BOLD, 2),
    #[cfg(feature = "large-text")]
    face(&iso_8859_1::FONT_9X18_BOLD, 2),
    #[cfg(feature = "large-text")]
    face(&iso_8859_1::FONT_10X20, 2),
    #[cfg(feature = "large-text")]
    face(&iso_8859_1::FONT_10X20, 3),
];

impl Face {
    /// The smallest face.
    pub const SMALLEST: Face = face(&iso_8859_1::FONT_4X6, 1);

    /// Height of a line of text, in pixels.
    pub const fn height(&self) -> u32 {
        self.font.character_size.height * self.scale
    }

    /// Horizontal distance from one character to the next, in pixels.
    pub const fn advance(&self) -> u32 {
        (self.font.character_size.width + self.font.character_spacing) * self.scale
    }

    /// Width of `text` in pixels.
    pub fn width(&self, text: &str) -> u32 {
        self.advance() * text.chars().count() as u32
    }

    /// How many characters fit in `width` pixels.
    pub fn columns(&self, width: u32) -> usize {
        (width / self.advance().max(1)) as usize
    }

    /// The largest face at most `height` pixels high in which every one of `texts` is at most
    /// `width` pixels wide; the smallest face if none is.
    pub fn fitting(height: u32, width: u32, texts: &[&str]) -> Face {
        FACES
            .iter()
            .rev()
            .find(|f| f.height() <= height && texts.iter().all(|t| f.width(t) <= width))
            .copied()
            .unwrap_or(Face::SMALLEST)
    }

    /// The largest face at most `height` pixels high.
    pub fn at_most(height: u32) -> Face {
        Self::fitting(height, u32::MAX, &[])
    }

    /// Draws `text` with its top left corner at `at`, in `color`, with no background (only
    /// the glyphs' pixels are written). Returns the point right after the text.
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw<D: DrawTarget>(
        &self,
        target: &mut D,
        text: &str,
        at: Point,
        color: D::Color,
    ) -> Result<Point, D::Error> {
        self.draw_chars(target, text.chars(), at, color)
    }

    /// [`Face::draw`] for characters that are not in one string (a masked field, say).
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw_chars<D: DrawTarget>(
        &self,
        target: &mut D,
        chars: impl Iterator<Item = char>,
        at: Point,
        color: D::Color,
    ) -> Result<Point, D::Error> {
        let style = MonoTextStyle::new(self.font, color);
        let cell = Size::new(self.advance(), self.height());
        let mut at = at;
        let mut buf = [0u8; 4];
        for c in chars {
            if glyph::is_shape(c) {
                glyph::draw(target, c, Rectangle::new(at, cell), color)?;
            } else if let Some(rows) = tiny::rows(self.font, c) {
                self.draw_rows(target, rows, at, color)?;
            } else if c != ' ' {
                let glyph = c.encode_utf8(&mut buf);
                if self.scale == 1 {
                    Text::with_baseline(glyph, at, style, Baseline::Top).draw(target)?;
                } else {
                    // Drawn at the magnified view's origin, which sits at `at`.
                    Text::with_baseline(glyph, Point::zero(), style, Baseline::Top)
                        .draw(&mut Scaled::new(target, at, self.scale))?;
                }
            }
            at.x += self.advance() as i32;
        }
        Ok(at)
    }

    /// Draws a hand-drawn letter ([`tiny`]) at `at`, each pixel magnified by the scale.
    fn draw_rows<D: DrawTarget>(
        &self,
        target: &mut D,
        rows: &[u8; 6],
        at: Point,
        color: D::Color,
    ) -> Result<(), D::Error> {
        let s = self.scale;
        for y in 0..6 {
            for x in 0..4 {
                if tiny::is_set(rows, x, y) {
                    let corner = at + Point::new((x * s) as i32, (y * s) as i32);
                    target.fill_solid(&Rectangle::new(corner, Size::new(s, s)), color)?;
                }
            }
        }
        Ok(())
    }

    /// Draws `text` centred in `area` (horizontally and vertically), cut to what fits.
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw_centered<D: DrawTarget>(
        &self,
        target: &mut D,
        text: &str,
        area: Rectangle,
        color: D::Color,
    ) -> Result<(), D::Error> {
        let text = fit(text, self.columns(area.size.width));
        let x = (area.size.width as i32 - self.width(text) as i32) / 2;
        let y = (area.size.height as i32 - self.height() as i32) / 2;
        self.draw(target, text, area.top_left + Point::new(x, y), color)
            .map(|_| ())
    }
}

/// The longest prefix of `text` with at most `columns` characters.
pub fn fit(text: &str, columns: usize) -> &str {
    match text.char_indices().nth(columns) {
        Some((end, _)) => text.get(..end).unwrap_or(text),
        None => text,
    }
}

/// Lines of `text` broken at spaces so that each has at most `columns` characters; a word
/// longer than a line is cut across lines.
pub fn wrap(text: &str, columns: usize) -> impl Iterator<Item = &str> {
    let columns = columns.max(1);
    let mut rest = text.trim_start();
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let line = fit(rest, columns);
        let (line, next) = if line.len() == rest.len() {
            (line, "")
        } else {
            // Break after the last space that fits, unless there is none.
            let after = rest.get(line.len()..).unwrap_or("");
            if after.starts_with(' ') {
                (line, after)
            } else {
                match line.rfind(' ') {
                    Some(space) if space > 0 => (
                        line.get(..space).unwrap_or(line),
                        rest.get(space..).unwrap_or(""),
                    ),
                    _ => (line, after),
                }
            }
        };
        rest = next.trim_start();
        Some(line.trim_end())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        let lines: Vec<&str> =
            wrap("Two-step verification on? Enter an app password.", 16).collect();
        assert_eq!(
            lines,
            ["Two-step", "verification on?", "Enter an app", "password."]
        );
        let lines: Vec<&str> = wrap("https://account.example.com", 10).collect();
        assert_eq!(lines, ["https://ac", "count.exam", "ple.com"]);
        assert_eq!(wrap("", 5).count(), 0);
    }

    #[test]
    fn faces_grow_and_fit() {
        for pair in FACES.windows(2) {
            assert!(pair[0].height() <= pair[1].height());
        }
        #[cfg(feature = "large-text")]
        assert_eq!(Face::at_most(40).height(), 40);
        assert_eq!(
            Face::at_most(3).height(),
            6,
            "the smallest when nothing fits"
        );
        let f = Face::fitting(40, 100, &["@outlook.com"]);
        assert!(f.width("@outlook.com") <= 100);
    }
}
