//! An integer-scaling [`DrawTarget`] adapter: how a 10×20 font becomes 20×40 on a television.
//!
//! embedded-graphics' mono fonts stop at 10×20 pixels, too small to read from a couch on a
//! 720p screen. Rather than carry bigger bitmaps in flash, text is drawn through [`Scaled`],
//! which turns every pixel the font draws into a `scale`×`scale` block of the target, placed
//! relative to an origin. Blocks go out as [`DrawTarget::fill_solid`], which display drivers
//! implement as one window write, so a scaled glyph costs no more bus traffic than its area.

use embedded_graphics::Pixel;
use embedded_graphics::prelude::{DrawTarget, OriginDimensions, Point, Size};
use embedded_graphics::primitives::Rectangle;

/// `target`, seen through a magnifying glass: pixel `(x, y)` drawn here lands as the block at
/// `origin + (x, y) * scale` of `target`.
pub struct Scaled<'a, D> {
    target: &'a mut D,
    origin: Point,
    scale: u32,
}

impl<'a, D: DrawTarget> Scaled<'a, D> {
    /// A view of `target` magnified `scale` times (at least 1) around `origin`.
    pub fn new(target: &'a mut D, origin: Point, scale: u32) -> Self {
        Self {
            target,
            origin,
            scale: scale.max(1),
        }
    }
}

impl<D: DrawTarget> OriginDimensions for Scaled<'_, D> {
    fn size(&self) -> Size {
        // The part of the target right and below the origin, in magnified pixels.
        let area = self.target.bounding_box();
        let bottom_right = area.top_left + area.size;
        let w = (bottom_right.x - self.origin.x).max(0) as u32 / self.scale;
        let h = (bottom_right.y - self.origin.y).max(0) as u32 / self.scale;
        Size::new(w, h)
    }
}

impl<D: DrawTarget> DrawTarget for Scaled<'_, D> {
    type Color = D::Color;
    type Error = D::Error;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        let block = Size::new(self.scale, self.scale);
        let scale = self.scale as i32;
        for Pixel(point, color) in pixels {
            let at = self.origin + point * scale;
            self.target.fill_solid(&Rectangle::new(at, block), color)?;
        }
        Ok(())
    }
}
