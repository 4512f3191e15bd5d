//! A frame buffer for 1-bit displays 128 pixels wide (SSD1306, SH1106 and the like), in
//! their own memory layout, sent to the panel a page at a time.
//!
//! These controllers store the picture in *pages*: 8 rows high, 128 columns wide, one byte a
//! column with the top row in bit 0. The renderer draws into RAM; [`MonoFrame::flush`] sends
//! the pages that changed since the last flush through the board's [`Panel`], so a keypress
//! that redraws two keys costs one or two pages over the bus, not the whole screen.
//!
//! ```text
//!  Renderer ──draw──▶ MonoFrame (PAGES × 128 bytes, a dirty bit per page)
//!                        │ flush()
//!                        ▼
//!                     Panel::write_page(page, &[u8; 128])   ◀── the board's bus driver
//! ```
//!
//! RAM: 128 bytes a page, 1 KB for 128 × 64, 512 bytes for 128 × 32.

use embedded_graphics::Pixel;
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::{DrawTarget, OriginDimensions, Size};

/// Columns of every page.
pub const WIDTH: usize = 128;

/// The board's link to the panel: one page of 128 column bytes at a time.
pub trait Panel {
    /// What the bus can fail with.
    type Error;

    /// Writes page `page` (rows `8 × page` to `8 × page + 7`), one byte a column, the top row
    /// in bit 0 (SSD1306 and SH1106 horizontal page order).
    ///
    /// # Errors
    /// Whatever the bus returns; the page stays marked as changed and is sent again at the
    /// next flush.
    fn write_page(&mut self, page: u8, columns: &[u8; WIDTH]) -> Result<(), Self::Error>;
}

/// A 128 × (8 × `PAGES`) 1-bit frame (`PAGES` 8 for 128 × 64, 4 for 128 × 32; at most 16).
#[derive(Debug, Clone)]
pub struct MonoFrame<const PAGES: usize> {
    pages: [[u8; WIDTH]; PAGES],
    /// Bit `n`: page `n` changed since the last flush.
    dirty: u16,
}

impl<const PAGES: usize> Default for MonoFrame<PAGES> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const PAGES: usize> MonoFrame<PAGES> {
    /// A dark frame; every page is sent at the first flush.
    pub const fn new() -> Self {
        Self {
            pages: [[0; WIDTH]; PAGES],
            dirty: u16::MAX,
        }
    }

    /// Whether the pixel at (`x`, `y`) is lit (dark outside the frame).
    pub fn is_lit(&self, x: usize, y: usize) -> bool {
        self.pages
            .get(y / 8)
            .and_then(|page| page.get(x))
            .is_some_and(|column| column & (1 << (y % 8)) != 0)
    }

    /// Sends the pages that changed since the last flush to `panel`.
    ///
    /// # Errors
    /// The panel's first error; the pages not sent yet stay marked and go at the next flush.
    pub fn flush<P: Panel>(&mut self, panel: &mut P) -> Result<(), P::Error> {
        for (index, page) in (0u8..).zip(&self.pages) {
            let bit = 1u16 << index;
            if self.dirty & bit != 0 {
                panel.write_page(index, page)?;
                self.dirty &= !bit;
            }
        }
        Ok(())
    }
}

impl<const PAGES: usize> OriginDimensions for MonoFrame<PAGES> {
    fn size(&self) -> Size {
        // Cannot truncate: PAGES is at most 16.
        Size::new(WIDTH as u32, (PAGES * 8) as u32)
    }
}

impl<const PAGES: usize> DrawTarget for MonoFrame<PAGES> {
    type Color = BinaryColor;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(at, color) in pixels {
            let (Ok(x), Ok(y)) = (usize::try_from(at.x), usize::try_from(at.y)) else {
                continue;
            };
            let page = y / 8;
            let Some(column) = self.pages.get_mut(page).and_then(|p| p.get_mut(x)) else {
                continue;
            };
            let bit = 1u8 << (y % 8);
            let lit = if color.is_on() {
                *column | bit
            } else {
                *column & !bit
            };
            if lit != *column {
                *column = lit;
                self.dirty |= 1 << page;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::Drawable;
    use embedded_graphics::prelude::{Point, Primitive};
    use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
    use std::vec::Vec;

    /// Records the pages written.
    #[derive(Default)]
    struct Recorder(Vec<(u8, [u8; WIDTH])>);

    impl Panel for Recorder {
        type Error = ();
        fn write_page(&mut self, page: u8, columns: &[u8; WIDTH]) -> Result<(), ()> {
            self.0.push((page, *columns));
            Ok(())
        }
    }

    #[test]
    fn pixels_land_in_controller_order_and_only_changed_pages_are_sent() {
        let mut frame = MonoFrame::<8>::new();
        let mut panel = Recorder::default();
        frame.flush(&mut panel).unwrap();
        assert_eq!(panel.0.len(), 8, "the first flush sends every page");

        panel.0.clear();
        Rectangle::new(Point::new(3, 9), Size::new(2, 2))
            .into_styled(PrimitiveStyle::with_fill(BinaryColor::On))
            .draw(&mut frame)
            .unwrap();
        assert!(frame.is_lit(3, 9) && frame.is_lit(4, 10) && !frame.is_lit(5, 9));
        frame.flush(&mut panel).unwrap();
        assert_eq!(panel.0.len(), 1);
        let (page, columns) = panel.0[0];
        assert_eq!(page, 1);
        assert_eq!(columns[3], 0b0000_0110);
        assert_eq!(columns[4], 0b0000_0110);
        assert_eq!(columns[5], 0);

        // Drawing what is already there, or off the frame, sends nothing.
        panel.0.clear();
        frame
            .draw_iter([
                Pixel(Point::new(3, 9), BinaryColor::On),
                Pixel(Point::new(-1, 0), BinaryColor::On),
                Pixel(Point::new(0, 64), BinaryColor::On),
            ])
            .unwrap();
        frame.flush(&mut panel).unwrap();
        assert!(panel.0.is_empty());
    }
}
