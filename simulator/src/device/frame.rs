//! The device's display as the simulator sees it: an RGB888 framebuffer that the firmware's
//! renderer draws on through [`FrameTarget`], in the profile's own colour depth.
//!
//! The renderer draws in the colour the device's panel has (RGB565 on the Xbox 360 and Zune,
//! 4-bit grey on the OLED); each pixel is converted to RGB888 as it lands, so what the window
//! blits and what a screenshot saves is exactly what that panel would show.

use core::convert::Infallible;
use core::marker::PhantomData;

use embedded_graphics::Pixel;
use embedded_graphics::pixelcolor::{Rgb888, RgbColor};
use embedded_graphics::prelude::{Dimensions, DrawTarget, OriginDimensions, PixelColor, Size};
use embedded_graphics::primitives::Rectangle;

/// A whole screen of RGB888 pixels, row by row, three bytes a pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framebuffer {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes: red, green, blue, left to right, top to bottom.
    pub rgb: Vec<u8>,
}

impl Framebuffer {
    /// A black frame of `width` × `height`.
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            rgb: vec![0; width as usize * height as usize * 3],
        }
    }

    /// The pixel at (`x`, `y`) as red, green, blue; black outside the frame.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        if x >= self.width || y >= self.height {
            return [0; 3];
        }
        let at = (y as usize * self.width as usize + x as usize) * 3;
        match self.rgb.get(at..at + 3) {
            Some([r, g, b]) => [*r, *g, *b],
            _ => [0; 3],
        }
    }

    /// Every pixel as `0x00RRGGBB`, as window libraries (minifb) take a buffer.
    pub fn to_0rgb(&self) -> Vec<u32> {
        self.rgb
            .chunks_exact(3)
            .map(|p| match *p {
                [r, g, b] => u32::from_be_bytes([0, r, g, b]),
                _ => 0,
            })
            .collect()
    }

    /// Paints the whole frame black (the panel is off).
    pub fn blank(&mut self) {
        self.rgb.fill(0);
    }

    fn set(&mut self, x: u32, y: u32, color: Rgb888) {
        let at = (y as usize * self.width as usize + x as usize) * 3;
        if let Some(p) = self.rgb.get_mut(at..at + 3) {
            p.copy_from_slice(&[color.r(), color.g(), color.b()]);
        }
    }
}

/// A `DrawTarget` in colour `C` (the panel's) over a [`Framebuffer`].
pub struct FrameTarget<'a, C> {
    frame: &'a mut Framebuffer,
    color: PhantomData<C>,
}

impl<'a, C> FrameTarget<'a, C> {
    /// Draws on `frame`.
    pub fn new(frame: &'a mut Framebuffer) -> Self {
        Self {
            frame,
            color: PhantomData,
        }
    }
}

impl<C> OriginDimensions for FrameTarget<'_, C> {
    fn size(&self) -> Size {
        Size::new(self.frame.width, self.frame.height)
    }
}

impl<C: PixelColor + Into<Rgb888>> DrawTarget for FrameTarget<'_, C> {
    type Color = C;
    type Error = Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Infallible>
    where
        I: IntoIterator<Item = Pixel<C>>,
    {
        let (width, height) = (self.frame.width as i32, self.frame.height as i32);
        for Pixel(p, color) in pixels {
            if (0..width).contains(&p.x) && (0..height).contains(&p.y) {
                self.frame.set(p.x as u32, p.y as u32, color.into());
            }
        }
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, color: C) -> Result<(), Infallible> {
        let area = area.intersection(&self.bounding_box());
        let Some(bottom_right) = area.bottom_right() else {
            return Ok(());
        };
        let color: Rgb888 = color.into();
        let rgb = [color.r(), color.g(), color.b()];
        let width = self.frame.width as usize;
        for y in area.top_left.y..=bottom_right.y {
            let start = (y as usize * width + area.top_left.x as usize) * 3;
            let end = (y as usize * width + bottom_right.x as usize + 1) * 3;
            if let Some(row) = self.frame.rgb.get_mut(start..end) {
                for p in row.chunks_exact_mut(3) {
                    p.copy_from_slice(&rgb);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::pixelcolor::{Gray4, GrayColor, Rgb565};
    use embedded_graphics::prelude::{Point, WebColors};

    #[test]
    fn pixels_land_converted_and_clipped() {
        let mut frame = Framebuffer::new(4, 3);
        let mut target = FrameTarget::<Rgb565>::new(&mut frame);
        target
            .fill_solid(
                &Rectangle::new(Point::new(2, 1), Size::new(10, 10)),
                Rgb565::CSS_WHITE,
            )
            .unwrap();
        target
            .draw_iter([
                Pixel(Point::new(0, 0), Rgb565::RED),
                Pixel(Point::new(-1, 9), Rgb565::RED),
            ])
            .unwrap();
        assert_eq!(frame.pixel(0, 0), [255, 0, 0]);
        assert_eq!(frame.pixel(1, 1), [0, 0, 0]);
        assert_eq!(frame.pixel(3, 2), [255, 255, 255]);
        let mut grey = Framebuffer::new(1, 1);
        FrameTarget::<Gray4>::new(&mut grey)
            .draw_iter([Pixel(Point::zero(), Gray4::WHITE)])
            .unwrap();
        assert_eq!(grey.pixel(0, 0), [255, 255, 255]);
        assert_eq!(grey.to_0rgb(), [0x00FF_FFFF]);
    }
}
