//! A [`DrawTarget`] wrapper that counts what is drawn: the proof that partial redraws are
//! partial, and the measure behind the display-traffic figure.
//!
//! [`Counting`] forwards every call to the display it wraps and tallies the pixels each call
//! writes (a `fill_solid` of a 10×4 rectangle is 40 pixels, whether or not the colour changes:
//! the bus carries them all) and the bounding box of everything touched since the last
//! [`Counting::reset`]. It also keeps the first [`MAX_AREAS`] call areas, so a test can check
//! that a D-pad move touched the two keys and nothing else. No heap: the areas are a
//! fixed-size `heapless::Vec`.

use embedded_graphics::Pixel;
use embedded_graphics::pixelcolor::raw::RawData;
use embedded_graphics::prelude::{Dimensions, DrawTarget, PixelColor, Point, Size};
use embedded_graphics::primitives::Rectangle;
use heapless::Vec;

/// How many call areas [`Counting`] keeps.
pub const MAX_AREAS: usize = 128;

/// A display that counts what is drawn on it.
pub struct Counting<D> {
    inner: D,
    pixels: u64,
    bounds: Option<Rectangle>,
    areas: Vec<Rectangle, MAX_AREAS>,
}

impl<D: DrawTarget> Counting<D> {
    /// Wraps `inner`, with nothing counted yet.
    pub fn new(inner: D) -> Self {
        Self {
            inner,
            pixels: 0,
            bounds: None,
            areas: Vec::new(),
        }
    }

    /// Forgets what was counted.
    pub fn reset(&mut self) {
        self.pixels = 0;
        self.bounds = None;
        self.areas.clear();
    }

    /// Pixels written since the last reset.
    pub fn pixels(&self) -> u64 {
        self.pixels
    }

    /// Bytes those pixels take on the display's bus: pixels × bits per pixel / 8, rounded up.
    pub fn bytes(&self) -> u64 {
        (self.pixels * u64::from(bits_per_pixel::<D::Color>())).div_ceil(8)
    }

    /// Bytes of one full frame of the wrapped display.
    pub fn frame_bytes(&self) -> u64 {
        let size = self.inner.bounding_box().size;
        (u64::from(size.width) * u64::from(size.height) * u64::from(bits_per_pixel::<D::Color>()))
            .div_ceil(8)
    }

    /// The smallest rectangle holding everything drawn since the last reset.
    pub fn bounds(&self) -> Option<Rectangle> {
        self.bounds
    }

    /// The areas of the first [`MAX_AREAS`] drawing calls since the last reset (single pixels
    /// count as 1×1 areas).
    pub fn areas(&self) -> &[Rectangle] {
        &self.areas
    }

    /// The wrapped display.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped display, to draw on it without counting.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// Unwraps the display.
    pub fn into_inner(self) -> D {
        self.inner
    }

    fn touch(&mut self, area: Rectangle, pixels: u64) {
        self.pixels += pixels;
        self.bounds = Some(match self.bounds {
            Some(b) => union(b, area),
            None => area,
        });
        // Past the limit the areas are a sample; the totals stay exact.
        let _ = self.areas.push(area);
    }
}

/// Bits per pixel of colour type `C`.
pub fn bits_per_pixel<C: PixelColor>() -> u32 {
    <C::Raw as RawData>::BITS_PER_PIXEL as u32
}

/// The smallest rectangle holding `a` and `b`.
pub fn union(a: Rectangle, b: Rectangle) -> Rectangle {
    let (a0, b0) = (a.top_left, b.top_left);
    let a1 = a0 + a.size;
    let b1 = b0 + b.size;
    let top_left = Point::new(a0.x.min(b0.x), a0.y.min(b0.y));
    let bottom_right = Point::new(a1.x.max(b1.x), a1.y.max(b1.y));
    let size = bottom_right - top_left;
    Rectangle::new(top_left, Size::new(size.x as u32, size.y as u32))
}

impl<D: DrawTarget> Dimensions for Counting<D> {
    fn bounding_box(&self) -> Rectangle {
        self.inner.bounding_box()
    }
}

impl<D: DrawTarget> DrawTarget for Counting<D> {
    type Color = D::Color;
    type Error = D::Error;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        // One pass: count and record each pixel as it goes through.
        let mut seen: Option<Rectangle> = None;
        let mut count = 0u64;
        let result = self
            .inner
            .draw_iter(pixels.into_iter().inspect(|Pixel(p, _)| {
                count += 1;
                let one = Rectangle::new(*p, Size::new(1, 1));
                seen = Some(seen.map_or(one, |s| union(s, one)));
            }));
        if let Some(area) = seen {
            self.touch(area, count);
        }
        result
    }

    fn fill_contiguous<I>(&mut self, area: &Rectangle, colors: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Self::Color>,
    {
        self.touch(
            *area,
            u64::from(area.size.width) * u64::from(area.size.height),
        );
        self.inner.fill_contiguous(area, colors)
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Self::Color) -> Result<(), Self::Error> {
        self.touch(
            *area,
            u64::from(area.size.width) * u64::from(area.size.height),
        );
        self.inner.fill_solid(area, color)
    }

    fn clear(&mut self, color: Self::Color) -> Result<(), Self::Error> {
        let area = self.inner.bounding_box();
        self.touch(
            area,
            u64::from(area.size.width) * u64::from(area.size.height),
        );
        self.inner.clear(color)
    }
}
