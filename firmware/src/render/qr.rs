//! A QR code of a short text (the app-password page's address), drawn where it fits.
//!
//! Encoding uses `qrcodegen-no-heap` with buffers on the stack, sized for QR version
//! [`MAX_VERSION`] (41×41 modules, up to 154 bytes of text at the low error-correction level
//! this uses), so the cost is two ~210-byte arrays for the duration of the call. Modules are
//! drawn as `fill_solid` squares of a whole number of pixels (at least [`MIN_MODULE`]) with a
//! quiet zone of [`QUIET`] modules, light, around them.
//!
//! Dark modules on a light field, whatever the screen's theme: standard decoders (zbarimg,
//! most phone cameras) do not read an inverted code, and they need the quiet zone of four
//! modules the QR standard asks for to find the code on a busy screen.

use embedded_graphics::prelude::{DrawTarget, Point, Size};
use embedded_graphics::primitives::Rectangle;
use qrcodegen_no_heap::{QrCode, QrCodeEcc, Version};

/// The largest QR version encoded (41×41 modules).
pub const MAX_VERSION: u8 = 6;
/// Buffer size for [`MAX_VERSION`].
const BUFFER: usize = Version::new(MAX_VERSION).buffer_len();
/// The smallest module drawn, in pixels: a phone camera cannot read smaller off a screen.
pub const MIN_MODULE: u32 = 2;
/// Light modules around the code: the QR standard's quiet zone.
pub const QUIET: u32 = 4;

/// Whether a QR code of `text` fits a square of `side` pixels with readable modules.
pub fn fits(text: &str, side: u32) -> bool {
    let mut temp = [0u8; BUFFER];
    let mut out = [0u8; BUFFER];
    encode(text, &mut temp, &mut out)
        .is_some_and(|code| side / (code.size().max(0) as u32 + 2 * QUIET) >= MIN_MODULE)
}

fn encode<'a>(text: &str, temp: &mut [u8], out: &'a mut [u8]) -> Option<QrCode<'a>> {
    QrCode::encode_text(
        text,
        temp,
        out,
        QrCodeEcc::Low,
        Version::MIN,
        Version::new(MAX_VERSION),
        None,
        true,
    )
    .ok()
}

/// Draws a QR code of `text` centred in `area`, dark modules on a light square. Returns
/// whether it was drawn: not if the text is too long for [`MAX_VERSION`] or the area too small
/// for modules of [`MIN_MODULE`] pixels.
///
/// # Errors
/// Whatever the target returns.
pub fn draw<D: DrawTarget>(
    target: &mut D,
    text: &str,
    area: Rectangle,
    dark: D::Color,
    light: D::Color,
) -> Result<bool, D::Error> {
    let mut temp = [0u8; BUFFER];
    let mut out = [0u8; BUFFER];
    let Some(code) = encode(text, &mut temp, &mut out) else {
        return Ok(false);
    };
    let modules = code.size().max(0) as u32 + 2 * QUIET;
    let side = area.size.width.min(area.size.height);
    let module = side / modules.max(1);
    if module < MIN_MODULE {
        return Ok(false);
    }
    let total = module * modules;
    let origin = area.center() - Point::new((total / 2) as i32, (total / 2) as i32);
    target.fill_solid(&Rectangle::new(origin, Size::new(total, total)), light)?;
    let quiet = (QUIET * module) as i32;
    let block = Size::new(module, module);
    for y in 0..code.size() {
        for x in 0..code.size() {
            if code.get_module(x, y) {
                let at = origin + Point::new(quiet + x * module as i32, quiet + y * module as i32);
                target.fill_solid(&Rectangle::new(at, block), dark)?;
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::pixelcolor::BinaryColor;
    use embedded_graphics::prelude::{OriginDimensions, Pixel};
    use std::vec::Vec;

    /// What was drawn where: `None` untouched, `Some(true)` dark.
    struct Canvas {
        side: u32,
        px: Vec<Option<bool>>,
    }

    impl OriginDimensions for Canvas {
        fn size(&self) -> Size {
            Size::new(self.side, self.side)
        }
    }

    impl DrawTarget for Canvas {
        type Color = BinaryColor;
        type Error = core::convert::Infallible;
        fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
            &mut self,
            pixels: I,
        ) -> Result<(), Self::Error> {
            for Pixel(p, c) in pixels {
                if let Some(slot) = self
                    .px
                    .get_mut((p.y as u32 * self.side + p.x as u32) as usize)
                {
                    *slot = Some(c.is_on());
                }
            }
            Ok(())
        }
    }

    #[test]
    fn dark_modules_on_a_light_field_with_a_four_module_quiet_zone() {
        let url = "https://account.example.com/security";
        let side = 200;
        let mut canvas = Canvas {
            side,
            px: std::vec![None; (side * side) as usize],
        };
        let area = Rectangle::new(Point::zero(), Size::new(side, side));
        assert!(draw(&mut canvas, url, area, BinaryColor::On, BinaryColor::Off).unwrap());
        let (mut temp, mut out) = ([0u8; BUFFER], [0u8; BUFFER]);
        let modules = encode(url, &mut temp, &mut out).unwrap().size() as u32;
        let module = side / (modules + 2 * QUIET);
        // The field drawn, and the dark modules' extent inside it.
        let bounds = |want: fn(Option<bool>) -> bool| {
            let at = |i: usize| (i as u32 % side, i as u32 / side);
            let hits: Vec<(u32, u32)> = (0..canvas.px.len())
                .filter(|i| want(canvas.px[*i]))
                .map(at)
                .collect();
            let min_x = hits.iter().map(|h| h.0).min().unwrap();
            let max_x = hits.iter().map(|h| h.0).max().unwrap();
            let min_y = hits.iter().map(|h| h.1).min().unwrap();
            let max_y = hits.iter().map(|h| h.1).max().unwrap();
            (min_x, min_y, max_x, max_y)
        };
        let field = bounds(|p| p.is_some());
        let dark = bounds(|p| p == Some(true));
        // The QR standard's quiet zone: four modules.
        let quiet = 4 * module;
        assert!(dark.0 - field.0 >= quiet && dark.1 - field.1 >= quiet);
        assert!(field.2 - dark.2 >= quiet && field.3 - dark.3 >= quiet);
        // Everything between the field's edge and the modules is light.
        for (i, p) in canvas.px.iter().enumerate() {
            let (x, y) = (i as u32 % side, i as u32 / side);
            let outside = x < dark.0 || x > dark.2 || y < dark.1 || y > dark.3;
            if outside && p.is_some() {
                assert_eq!(*p, Some(false), "dark pixel in the quiet zone at {x},{y}");
            }
        }
    }
}
