//! An animated GIF of a whole run: one frame each time the screen changes, each shown for the
//! virtual time it was on screen (at most [`MAX_DELAY_MS`], so long waits do not stall the
//! animation).
//!
//! Frames are written as they come (only the latest is held back, until its duration is
//! known), so a long run does not fill memory. Sizes are made comfortable to watch: the 720p
//! screen is halved, the small screens magnified.
//!
//! The module's screens use few colours, so each frame gets an exact palette of the colours it
//! has; only a frame with more than 256 colours is quantised.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use crate::device::Framebuffer;

/// Longest a frame is shown, in milliseconds.
pub const MAX_DELAY_MS: u64 = 3_000;
/// How long the last frame is shown.
const LAST_FRAME_MS: u64 = 2_000;
/// Frames written at most; later screen changes are left out (the transcript has them all).
pub const MAX_FRAMES: usize = 2_000;

/// Records screen changes into a GIF file.
pub struct GifRecorder {
    encoder: ::gif::Encoder<BufWriter<File>>,
    /// The frame waiting for its duration: its time and its (scaled) pixels.
    pending: Option<(u64, Framebuffer)>,
    frames: usize,
}

impl GifRecorder {
    /// Starts a GIF at `path` for frames of `width` × `height`.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn create(path: &Path, width: u32, height: u32) -> io::Result<Self> {
        let (w, h) = scaled_size(width, height);
        let file = BufWriter::new(File::create(path)?);
        let mut encoder =
            ::gif::Encoder::new(file, dim(w)?, dim(h)?, &[]).map_err(io::Error::other)?;
        encoder
            .set_repeat(::gif::Repeat::Infinite)
            .map_err(io::Error::other)?;
        Ok(Self {
            encoder,
            pending: None,
            frames: 0,
        })
    }

    /// Adds `frame`, shown from `at_ms`; a frame equal to the previous one is skipped.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn add(&mut self, at_ms: u64, frame: &Framebuffer) -> io::Result<()> {
        let scaled = scale(frame);
        if let Some((_, last)) = &self.pending
            && *last == scaled
        {
            return Ok(());
        }
        if let Some((since, last)) = self.pending.take() {
            self.write(&last, at_ms.saturating_sub(since))?;
        }
        self.pending = Some((at_ms, scaled));
        Ok(())
    }

    /// Writes the last frame and closes the file.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn finish(mut self) -> io::Result<()> {
        if let Some((_, last)) = self.pending.take() {
            self.write(&last, LAST_FRAME_MS)?;
        }
        Ok(())
    }

    fn write(&mut self, frame: &Framebuffer, shown_ms: u64) -> io::Result<()> {
        if self.frames >= MAX_FRAMES {
            return Ok(());
        }
        self.frames += 1;
        let (w, h) = (dim(frame.width)?, dim(frame.height)?);
        let mut gif_frame = match exact_palette(frame) {
            Some((palette, indices)) => {
                ::gif::Frame::from_palette_pixels(w, h, indices, palette, None)
            }
            None => ::gif::Frame::from_rgb_speed(w, h, &frame.rgb, 10),
        };
        // Centiseconds; browsers show delays under 20 ms as 100 ms, so keep at least 2.
        gif_frame.delay = (shown_ms.min(MAX_DELAY_MS) / 10).max(2) as u16;
        self.encoder
            .write_frame(&gif_frame)
            .map_err(io::Error::other)
    }
}

fn dim(n: u32) -> io::Result<u16> {
    u16::try_from(n).map_err(|_| io::Error::other("frame too large for a GIF"))
}

/// The factor frames are scaled by: halved above 640 pixels wide, else magnified to about
/// 512 pixels wide. Returns (multiply, divide).
fn factor(width: u32) -> (u32, u32) {
    if width > 640 {
        (1, width.div_ceil(640))
    } else {
        ((512 / width.max(1)).max(1), 1)
    }
}

fn scaled_size(width: u32, height: u32) -> (u32, u32) {
    let (mul, div) = factor(width);
    (width * mul / div, height * mul / div)
}

/// `frame` at the GIF's size (nearest pixel).
fn scale(frame: &Framebuffer) -> Framebuffer {
    let (mul, div) = factor(frame.width);
    if (mul, div) == (1, 1) {
        return frame.clone();
    }
    let (w, h) = scaled_size(frame.width, frame.height);
    let mut out = Framebuffer::new(w, h);
    for (i, p) in out.rgb.chunks_exact_mut(3).enumerate() {
        let (x, y) = (i as u32 % w, i as u32 / w);
        p.copy_from_slice(&frame.pixel(x * div / mul, y * div / mul));
    }
    out
}

/// The frame's colours as a palette and each pixel's index, if there are at most 256.
fn exact_palette(frame: &Framebuffer) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut index: HashMap<[u8; 3], u8> = HashMap::new();
    let mut palette = Vec::new();
    let mut indices = Vec::with_capacity(frame.rgb.len() / 3);
    // Screens are mostly runs of one colour: look up only when the colour changes.
    let mut last: Option<([u8; 3], u8)> = None;
    for p in frame.rgb.chunks_exact(3) {
        let &[r, g, b] = p else { continue };
        let color = [r, g, b];
        if let Some((c, i)) = last
            && c == color
        {
            indices.push(i);
            continue;
        }
        let i = match index.get(&color) {
            Some(i) => *i,
            None => {
                let i = u8::try_from(index.len()).ok()?;
                index.insert(color, i);
                palette.extend_from_slice(&color);
                i
            }
        };
        last = Some((color, i));
        indices.push(i);
    }
    Some((palette, indices))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_written_once_per_change_with_their_duration() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.gif");
        let mut gif = GifRecorder::create(&path, 128, 64).unwrap();
        let black = Framebuffer::new(128, 64);
        let mut white = Framebuffer::new(128, 64);
        white.rgb.fill(255);
        gif.add(0, &black).unwrap();
        gif.add(100, &black).unwrap();
        gif.add(500, &white).unwrap();
        gif.add(60_000, &black).unwrap();
        gif.finish().unwrap();
        let mut decoder = ::gif::DecodeOptions::new()
            .read_info(File::open(&path).unwrap())
            .unwrap();
        assert_eq!((decoder.width(), decoder.height()), (512, 256));
        let mut delays = Vec::new();
        while let Some(frame) = decoder.read_next_frame().unwrap() {
            delays.push(frame.delay);
        }
        assert_eq!(delays, [50, 300, 200]);
    }
}
