//! A QR code of a short text (the app-password page's address), drawn where it fits.
//!
//! Encoding uses `qrcodegen-no-heap` with buffers on the stack, sized for QR version
//! [`MAX_VERSION`] (41×41 modules, up to 154 bytes of text at the low error-correction level
//! this uses), so the cost is two ~210-byte arrays for the duration of the call. Modules are
//! drawn as `fill_solid` squares of a whole number of pixels (at least [`MIN_MODULE`]) with a
//! quiet zone of [`QUIET`] modules, light, around them.

use embedded_graphics::prelude::{DrawTarget, Point, Size};
use embedded_graphics::primitives::Rectangle;
use qrcodegen_no_heap::{QrCode, QrCodeEcc, Version};

/// The largest QR version encoded (41×41 modules).
pub const MAX_VERSION: u8 = 6;
/// Buffer size for [`MAX_VERSION`].
const BUFFER: usize = Version::new(MAX_VERSION).buffer_len();
/// The smallest module drawn, in pixels: a phone camera cannot read smaller off a screen.
pub const MIN_MODULE: u32 = 2;
/// Light modules around the code.
pub const QUIET: u32 = 2;

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
