//! Screenshots: a [`Framebuffer`] as an 8-bit RGB PNG, and back (for golden comparisons).

use std::io;
use std::path::Path;

use crate::device::Framebuffer;

/// Saves `frame` to `path` as a PNG.
///
/// # Errors
/// The file cannot be written.
pub fn save(frame: &Framebuffer, path: &Path) -> io::Result<()> {
    let file = io::BufWriter::new(std::fs::File::create(path)?);
    let mut encoder = ::png::Encoder::new(file, frame.width, frame.height);
    encoder.set_color(::png::ColorType::Rgb);
    encoder.set_depth(::png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(io::Error::other)?;
    writer
        .write_image_data(&frame.rgb)
        .map_err(io::Error::other)?;
    writer.finish().map_err(io::Error::other)
}

/// Loads an 8-bit RGB or RGBA PNG as a [`Framebuffer`] (alpha dropped).
///
/// # Errors
/// The file cannot be read or is not an 8-bit RGB(A) PNG.
pub fn load(path: &Path) -> io::Result<Framebuffer> {
    let file = io::BufReader::new(std::fs::File::open(path)?);
    let mut reader = ::png::Decoder::new(file)
        .read_info()
        .map_err(io::Error::other)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| io::Error::other("image too large"))?;
    let mut buffer = vec![0; size];
    let info = reader.next_frame(&mut buffer).map_err(io::Error::other)?;
    let bytes = buffer.get(..info.buffer_size()).unwrap_or_default();
    let rgb = match (info.color_type, info.bit_depth) {
        (::png::ColorType::Rgb, ::png::BitDepth::Eight) => bytes.to_vec(),
        (::png::ColorType::Rgba, ::png::BitDepth::Eight) => bytes
            .chunks_exact(4)
            .flat_map(|p| p.iter().take(3).copied())
            .collect(),
        (color, depth) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {color:?} {depth:?} PNG, not 8-bit RGB", path.display()),
            ));
        }
    };
    Ok(Framebuffer {
        width: info.width,
        height: info.height,
        rgb,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut frame = Framebuffer::new(3, 2);
        frame.rgb[4] = 200;
        let path = dir.path().join("f.png");
        save(&frame, &path).unwrap();
        assert_eq!(load(&path).unwrap(), frame);
    }
}
