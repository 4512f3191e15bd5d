//! A 128 × 64 greyscale frame on the host, drawn by the firmware's renderer: what the board's
//! OLED must show for the same screen state.

use core::convert::Infallible;

use embedded_graphics::pixelcolor::{Gray4, GrayColor};
use embedded_graphics::prelude::*;
use padlock_firmware::render::Renderer;
use padlock_firmware::ui::Ui;

/// Grey levels (0 to 15), row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// One grey level per pixel.
    pub levels: Vec<u8>,
}

impl Frame {
    /// A black frame.
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            levels: vec![0; (width * height) as usize],
        }
    }

    /// The screen `ui` shows, rendered as the firmware renders it.
    pub fn of(ui: &Ui, width: u32, height: u32) -> Self {
        let mut frame = Self::new(width, height);
        let _ = Renderer::new(Size::new(width, height)).draw(&mut frame, ui);
        frame
    }

    /// Pixels that differ from `other`.
    pub fn differences(&self, other: &Frame) -> usize {
        self.levels
            .iter()
            .zip(&other.levels)
            .filter(|(a, b)| a != b)
            .count()
            + self.levels.len().abs_diff(other.levels.len())
    }

    /// Writes the frame as a binary PGM image (for the test's output folder).
    pub fn save_pgm(&self, path: &std::path::Path) -> std::io::Result<()> {
        let mut bytes = format!("P5\n{} {}\n15\n", self.width, self.height).into_bytes();
        bytes.extend_from_slice(&self.levels);
        std::fs::write(path, bytes)
    }
}

impl OriginDimensions for Frame {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for Frame {
    type Color = Gray4;
    type Error = Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Gray4>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Infallible> {
        for Pixel(p, color) in pixels {
            if p.x >= 0 && p.y >= 0 && (p.x as u32) < self.width && (p.y as u32) < self.height {
                let at = (p.y as u32 * self.width + p.x as u32) as usize;
                self.levels[at] = color.luma();
            }
        }
        Ok(())
    }
}
