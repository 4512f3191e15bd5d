//! Hand-drawn letters for the smallest face, where the font's own read alike.
//!
//! embedded-graphics' 4×6 face is really a 3×5 font: its `m` is an `H` one row shorter and its
//! `w` the same shape with the bar one row lower, so on a 128 × 64 OLED "Remember" read
//! "ReHeHber"; its `h` is an `n` with one more pixel, `d` an `a` with one more, `v` a `u` with
//! one less. The letters below replace the font's in that face only; every other face draws
//! them properly. Each look-alike pair (`m`/`w`, `m`/`n`, `h`/`n`, `u`/`v`, `a`/`d`, ...) now
//! differs by a stroke, three pixels or more, which a test measures for every pair.
//!
//! `m` is a solid block on two legs and `w` its mirror, neither reaching the ascender row that
//! `H` starts in; `h` has a tall stem and a low shoulder, `d` a tall stem and a low bowl, `v`
//! closes to a point two rows high:
//!
//! ```text
//!   m     w     n (font)  h     u (font)  v     a (font)  d
//!  ...   ...   ...       #..   ...       ...   ...       ..#
//!  ###   #.#   ##.       #..   #.#       #.#   .##       ..#
//!  ###   #.#   #.#       ##.   #.#       #.#   #.#       .##
//!  ###   ###   #.#       #.#   #.#       .#.   #.#       #.#
//!  #.#   ###   #.#       #.#   .##       .#.   .##       .##
//! ```

use embedded_graphics::mono_font::MonoFont;

/// Rows of a 4×6 cell, top first; bit 3 is the left column (column 3 stays the gap).
type Rows = [u8; 6];

/// The replacements: the character and its rows.
const LETTERS: &[(char, Rows)] = &[
    ('m', [0b0000, 0b1110, 0b1110, 0b1110, 0b1010, 0b0000]),
    ('w', [0b0000, 0b1010, 0b1010, 0b1110, 0b1110, 0b0000]),
    ('h', [0b1000, 0b1000, 0b1100, 0b1010, 0b1010, 0b0000]),
    ('v', [0b0000, 0b1010, 0b1010, 0b0100, 0b0100, 0b0000]),
    ('d', [0b0010, 0b0010, 0b0110, 0b1010, 0b0110, 0b0000]),
];

/// The hand-drawn rows for `c` when drawn in `font`, if it has any: only the 4×6 face does.
pub fn rows(font: &MonoFont<'_>, c: char) -> Option<&'static Rows> {
    let size = font.character_size;
    if size.width != 4 || size.height != 6 {
        return None;
    }
    LETTERS.iter().find(|(l, _)| *l == c).map(|(_, rows)| rows)
}

/// Whether the pixel at column `x`, row `y` of `rows` is set.
pub fn is_set(rows: &Rows, x: u32, y: u32) -> bool {
    rows.get(y as usize)
        .is_some_and(|row| x < 4 && row & (0b1000 >> x) != 0)
}

#[cfg(test)]
mod tests {
    //! Every glyph the OLED can show is told apart from every other.
    //!
    //! The characters checked are a superset of what the OLED draws: every string in both
    //! languages and every key of every keyboard page are within printable ASCII and the
    //! Latin-1 letters listed, so checking all of them checks every string and layout page,
    //! including ones added later.

    use super::super::face::{FACES, Face};
    use embedded_graphics::pixelcolor::BinaryColor;
    use embedded_graphics::prelude::{Point, Size};
    use embedded_graphics_simulator::SimulatorDisplay;
    use std::vec::Vec;

    /// Pixels in which two look-alike letters must differ in the 4×6 face. One or two pixels is
    /// what read "Remember" as "ReHeHber" on the board: at arm's length a single pixel is lost in
    /// the panel's glow. Three pixels is a whole stroke segment in a 3×5 letter (a fifth of its 15
    /// pixels), which is what the eye goes by. (The 5×8 face's ascenders are two pixels, a whole
    /// stroke of its taller letters: its `h`/`n` and `a`/`d` differ by those.)
    const LOOK_ALIKE_MIN_PIXELS: usize = 3;

    /// The letter pairs that read alike where a face draws them too close: the shapes differ only
    /// in an ascender, a shoulder, a bar or a closing stroke.
    const LOOK_ALIKES: &[(char, char)] = &[
        ('m', 'w'),
        ('m', 'H'),
        ('m', 'M'),
        ('w', 'H'),
        ('w', 'W'),
        ('m', 'n'),
        ('h', 'n'),
        ('h', 'b'),
        ('u', 'v'),
        ('a', 'd'),
        ('d', 'q'),
    ];

    /// Latin-1 letters the Dutch strings (and names typed into them) use.
    const ACCENTED: &str = "éëèêïíöóüúäáàçÉËÏÖÜ";

    fn shown() -> Vec<char> {
        (' '..='~')
            .filter(|c| *c != ' ')
            .chain(ACCENTED.chars())
            .collect()
    }

    /// The pixels `face` draws for `c`, row by row.
    fn pixels(face: Face, c: char) -> Vec<bool> {
        let size = Size::new(face.advance(), face.height());
        let mut display = SimulatorDisplay::<BinaryColor>::new(size);
        let mut buffer = [0u8; 4];
        face.draw(
            &mut display,
            c.encode_utf8(&mut buffer),
            Point::zero(),
            BinaryColor::On,
        )
        .unwrap();
        (0..size.height as i32)
            .flat_map(|y| (0..size.width as i32).map(move |x| Point::new(x, y)))
            .map(|p| display.get_pixel(p) == BinaryColor::On)
            .collect()
    }

    fn difference(face: Face, a: char, b: char) -> usize {
        pixels(face, a)
            .iter()
            .zip(pixels(face, b))
            .filter(|(x, y)| **x != *y)
            .count()
    }

    /// The faces a 128 × 64 OLED uses: every face at most 8 pixels high (the body face is
    /// the 5×8, keys and labels fall back to the 4×6).
    fn oled_faces() -> impl Iterator<Item = Face> {
        FACES.iter().copied().filter(|f| f.height() <= 8)
    }

    #[test]
    fn no_two_glyphs_render_alike() {
        let chars = shown();
        for face in oled_faces() {
            for (i, a) in chars.iter().enumerate() {
                for b in &chars[i + 1..] {
                    assert_ne!(
                        difference(face, *a, *b),
                        0,
                        "{a:?} and {b:?} draw the same in {face:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_look_alike_pair_differs_by_a_stroke_in_the_smallest_face() {
        let mut too_close = Vec::new();
        for face in oled_faces().filter(|f| f.height() == 6) {
            for (a, b) in LOOK_ALIKES.iter().copied() {
                let d = difference(face, a, b);
                if d < LOOK_ALIKE_MIN_PIXELS {
                    too_close.push((a, b, d, face));
                }
            }
        }
        assert!(
            too_close.is_empty(),
            "closer than {LOOK_ALIKE_MIN_PIXELS} pixels: {too_close:?}"
        );
    }
}
