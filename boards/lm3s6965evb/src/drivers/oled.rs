//! The SSD0323 OLED (128 × 64, 16 grey levels) on SSI0, as an embedded-graphics
//! `DrawTarget<Gray4>`.
//!
//! Drawing goes to a RAM copy of the panel (4 KiB, two pixels a byte as the panel stores
//! them) and widens a dirty rectangle; [`Oled::flush`] sends only the rows and byte columns
//! inside it. PC7 selects data (high) or command (low); PD0 must stay high, or the SSI bus is
//! switched to the board's SD card slot. The SSI receive FIFO fills with a byte for every byte
//! sent, so it is drained after each one.

use core::convert::Infallible;

use embedded_graphics::pixelcolor::{Gray4, GrayColor};
use embedded_graphics::prelude::*;

use super::mmio::{GPIO_C, GPIO_D, SSI0, gpio};

const WIDTH: usize = 128;
const HEIGHT: usize = 64;
const ROW_BYTES: usize = WIDTH / 2;

const SSI_CR0: usize = 0x000;
const SSI_CR1: usize = 0x004;
const SSI_DR: usize = 0x008;
const SSI_SR: usize = 0x00C;
const SSI_CPSR: usize = 0x010;
const SR_TNF: u32 = 1 << 1;
const SR_RNE: u32 = 1 << 2;
const SR_BSY: u32 = 1 << 4;

const DC_PIN: u8 = 1 << 7; // PC7
const SELECT_PIN: u8 = 1 << 0; // PD0

/// The display.
pub struct Oled {
    frame: [u8; ROW_BYTES * HEIGHT],
    /// Dirty region in byte columns and rows, inclusive: (col0, row0, col1, row1).
    dirty: Option<(usize, usize, usize, usize)>,
    /// Bytes sent to the panel since start, for the display-traffic figure.
    pub bytes_sent: u64,
}

impl Oled {
    /// Sets up SSI0 and the control pins, and switches the panel on.
    pub fn new() -> Self {
        GPIO_C.reg(gpio::DIR).set(u32::from(DC_PIN));
        GPIO_C.reg(gpio::DEN).set(u32::from(DC_PIN));
        GPIO_D.reg(gpio::DIR).set(u32::from(SELECT_PIN));
        GPIO_D.reg(gpio::DEN).set(u32::from(SELECT_PIN));
        GPIO_D
            .reg(gpio::data(SELECT_PIN))
            .write(u32::from(SELECT_PIN));

        SSI0.reg(SSI_CR1).write(0); // disabled while configuring
        SSI0.reg(SSI_CPSR).write(2);
        // SPI mode 3 (SPO = SPH = 1), 8-bit frames.
        SSI0.reg(SSI_CR0).write((1 << 7) | (1 << 6) | 0x7);
        SSI0.reg(SSI_CR1).write(1 << 1); // enable

        let mut oled = Self {
            frame: [0; ROW_BYTES * HEIGHT],
            dirty: None,
            bytes_sent: 0,
        };
        // Horizontal address increment, display on.
        oled.command(&[0xA0, 0x00, 0xA4, 0xAF]);
        oled.dirty = Some((0, 0, ROW_BYTES - 1, HEIGHT - 1));
        oled.flush();
        oled
    }

    fn command(&mut self, bytes: &[u8]) {
        GPIO_C.reg(gpio::data(DC_PIN)).write(0);
        self.send(bytes);
    }

    fn data(&mut self, bytes: &[u8]) {
        GPIO_C.reg(gpio::data(DC_PIN)).write(u32::from(DC_PIN));
        self.send(bytes);
    }

    fn send(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            while SSI0.reg(SSI_SR).read() & SR_TNF == 0 {}
            SSI0.reg(SSI_DR).write(u32::from(byte));
            while SSI0.reg(SSI_SR).read() & SR_BSY != 0 {}
            while SSI0.reg(SSI_SR).read() & SR_RNE != 0 {
                let _ = SSI0.reg(SSI_DR).read();
            }
        }
        self.bytes_sent += bytes.len() as u64;
    }

    /// Sends the changed region to the panel.
    pub fn flush(&mut self) {
        let Some((c0, r0, c1, r1)) = self.dirty.take() else {
            return;
        };
        self.command(&[0x15, c0 as u8, c1 as u8, 0x75, r0 as u8, r1 as u8]);
        for row in r0..=r1 {
            let start = row * ROW_BYTES;
            // Copy out: `data` borrows self mutably.
            let mut line = [0u8; ROW_BYTES];
            line[..=c1 - c0].copy_from_slice(&self.frame[start + c0..=start + c1]);
            self.data(&line[..=c1 - c0]);
        }
    }

    fn mark(&mut self, col: usize, row: usize) {
        self.dirty = Some(match self.dirty {
            None => (col, row, col, row),
            Some((c0, r0, c1, r1)) => (c0.min(col), r0.min(row), c1.max(col), r1.max(row)),
        });
    }
}

impl OriginDimensions for Oled {
    fn size(&self) -> Size {
        Size::new(WIDTH as u32, HEIGHT as u32)
    }
}

impl DrawTarget for Oled {
    type Color = Gray4;
    type Error = Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Gray4>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Infallible> {
        for Pixel(point, color) in pixels {
            let (Ok(x), Ok(y)) = (usize::try_from(point.x), usize::try_from(point.y)) else {
                continue;
            };
            if x >= WIDTH || y >= HEIGHT {
                continue;
            }
            let index = y * ROW_BYTES + x / 2;
            let old = self.frame[index];
            let luma = color.luma() & 0x0F;
            // Left pixel in the high nibble, as the panel scans.
            let new = if x % 2 == 0 {
                (old & 0x0F) | (luma << 4)
            } else {
                (old & 0xF0) | luma
            };
            if new != old {
                self.frame[index] = new;
                self.mark(x / 2, y);
            }
        }
        Ok(())
    }
}
