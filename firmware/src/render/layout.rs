//! Where things go, computed from the display size alone.
//!
//! Nothing here knows a profile by name. [`Metrics`] derives the margin and the title and body
//! faces from the display's size; [`Stack`] hands out horizontal bands from the top and the
//! bottom of the screen, dropping optional lines (a title, a hint) when the display is too
//! short for them; [`Grid`] divides the keyboard's band into key cells, with a header row and
//! a gutter for quick-entry labels when the profile has a quick entry. A 1280×720 television,
//! a 240×320 portrait player and a 128×64 OLED come out of the same arithmetic.

use embedded_graphics::prelude::{Point, Size};
use embedded_graphics::primitives::Rectangle;

use super::face::Face;

/// Sizes that follow from the display size.
#[derive(Debug, Clone, Copy)]
pub struct Metrics {
    /// The whole screen.
    pub screen: Rectangle,
    /// Space around the screen's edges and between bands.
    pub margin: u32,
    /// Titles.
    pub title: Face,
    /// Body text, labels, fields and buttons.
    pub body: Face,
    /// Padding inside fields and buttons.
    pub pad: u32,
}

impl Metrics {
    /// The metrics of a `size` display.
    pub fn new(size: Size) -> Self {
        let h = size.height;
        // A title of about a fourteenth of the height, body text about a twenty-fourth: 40 and
        // 30 pixels on 720p (readable across a living room), 20 and 13 on a 320-pixel player.
        // Never below 10 and 8 pixels, the smallest a glance can read, except on displays under
        // 48 pixels (a 128×32 OLED), where 6-pixel body text leaves room for two rows of keys.
        let title = Face::at_most((h / 14).max(10));
        let body = Face::at_most((h / 24).max(if h < 48 { 6 } else { 8 }));
        Self {
            screen: Rectangle::new(Point::zero(), size),
            margin: (size.width.min(size.height) / 40).max(1),
            title,
            body,
            pad: (body.height() / 4).max(1),
        }
    }

    /// Height of a band holding one line of `face` in a box (a field, a button).
    pub fn boxed(&self, face: Face) -> u32 {
        face.height() + 2 * self.pad
    }

    /// The smallest legible key: a character of the smallest face with a pixel of gap on
    /// each side, and three pixels of gap under and over it (the keyboard screens keep at
    /// least this much height per row).
    pub const MIN_KEY: Size = Size::new(Face::SMALLEST.advance() + 2, Face::SMALLEST.height() + 3);

    /// Whether a `rows` × `cols` keyboard of keys at least [`Metrics::MIN_KEY`] fits on this
    /// display under its text field, inside the margins.
    pub fn fits_keyboard(&self, rows: u8, cols: u8) -> bool {
        let inner = self
            .screen
            .size
            .saturating_sub(Size::new(2 * self.margin, 2 * self.margin));
        let gap = (self.margin / 2).max(1);
        let height = inner.height.saturating_sub(self.boxed(self.body) + gap);
        u32::from(rows) * Self::MIN_KEY.height <= height
            && u32::from(cols) * Self::MIN_KEY.width <= inner.width
    }
}

/// Bands handed out from the top and bottom of an area.
#[derive(Debug, Clone, Copy)]
pub struct Stack {
    left: i32,
    width: u32,
    top: i32,
    bottom: i32,
    gap: u32,
}

impl Stack {
    /// Bands across `area`, `gap` pixels apart.
    pub fn new(area: Rectangle, gap: u32) -> Self {
        Self {
            left: area.top_left.x,
            width: area.size.width,
            top: area.top_left.y,
            bottom: area.top_left.y + area.size.height as i32,
            gap,
        }
    }

    /// Height left between the bands taken.
    pub fn left(&self) -> u32 {
        (self.bottom - self.top).max(0) as u32
    }

    /// A band of `height` from the top.
    pub fn top(&mut self, height: u32) -> Rectangle {
        let band = Rectangle::new(
            Point::new(self.left, self.top),
            Size::new(self.width, height.min(self.left())),
        );
        self.top += (height + self.gap) as i32;
        band
    }

    /// A band of `height` from the top if `keep` more pixels would still be left after it.
    pub fn top_if_room(&mut self, height: u32, keep: u32) -> Option<Rectangle> {
        (self.left() >= height + self.gap + keep).then(|| self.top(height))
    }

    /// A band of `height` from the bottom.
    pub fn bottom(&mut self, height: u32) -> Rectangle {
        let height = height.min(self.left());
        self.bottom -= height as i32;
        let band = Rectangle::new(
            Point::new(self.left, self.bottom),
            Size::new(self.width, height),
        );
        self.bottom -= self.gap as i32;
        band
    }

    /// Everything left.
    pub fn rest(&self) -> Rectangle {
        Rectangle::new(
            Point::new(self.left, self.top),
            Size::new(self.width, self.left()),
        )
    }
}

/// The keyboard's cells, and the header row and gutter for quick-entry labels.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    /// The whole keyboard band.
    pub area: Rectangle,
    /// Rows of keys.
    pub rows: u8,
    /// Columns of keys.
    pub cols: u8,
    /// Height of the column labels above the keys (0: none).
    pub header: u32,
    /// Width of the row labels left of the keys (0: none).
    pub gutter: u32,
    /// One cell, gap included.
    pub cell: Size,
    /// Space between keys.
    pub gap: u32,
    /// Face of single-character key labels (the largest any key uses).
    pub key_face: Face,
    /// Face of quick-entry labels.
    pub label_face: Face,
}

impl Grid {
    /// The cells of a `rows` × `cols` keyboard in `area`, with room for labels if `labelled`.
    pub fn new(area: Rectangle, rows: u8, cols: u8, labelled: bool) -> Self {
        let (rows_n, cols_n) = (u32::from(rows.max(1)), u32::from(cols.max(1)));
        // Labels take about half a cell's height (header) and width (gutter).
        let (header, gutter) = if labelled {
            let h = area.size.height / (2 * rows_n + 1);
            let w = (area.size.width / (2 * cols_n + 1)).min(h * 2);
            (h, w)
        } else {
            (0, 0)
        };
        let height = area.size.height.saturating_sub(header) / rows_n;
        // Keys at most twice as wide as high: on a wide screen the keyboard is centred rather
        // than stretched, which keeps the stick's columns close together.
        let width = (area.size.width.saturating_sub(gutter) / cols_n).min(height * 2);
        let cell = Size::new(width, height);
        let used = gutter + width * cols_n;
        let area = Rectangle::new(
            area.top_left + Point::new((area.size.width.saturating_sub(used) / 2) as i32, 0),
            Size::new(used, area.size.height),
        );
        let gap = (cell.height.min(cell.width) / 16).max(1);
        let key_face = Face::fitting(
            cell.height * 3 / 5,
            cell.width.saturating_sub(2 * gap),
            &["W"],
        );
        let label_face = Face::fitting(header.max(1) * 4 / 5, gutter.max(1), &["W"]);
        Self {
            area,
            rows,
            cols,
            header,
            gutter,
            cell,
            gap,
            key_face,
            label_face,
        }
    }

    /// The top left corner of the keys (after the header and gutter).
    fn origin(&self) -> Point {
        self.area.top_left + Point::new(self.gutter as i32, self.header as i32)
    }

    /// A key's whole cell: the key and the gap around it, which only that key's label may
    /// reach into (the smallest face's descenders do), so a key is redrawn over all of it.
    pub fn cell(&self, row: u8, col: u8) -> Rectangle {
        let key = self.key(row, col);
        Rectangle::new(
            key.top_left - Point::new(self.gap as i32, self.gap as i32),
            key.size + Size::new(2 * self.gap, 2 * self.gap),
        )
    }

    /// The gap around a key, as four strips (above, below, left, right) that with the key
    /// make up its [`cell`](Self::cell). A redrawn key clears these rather than its whole
    /// cell: the key's own fill covers the rest, so no pixel is sent twice.
    pub fn gap_around(&self, row: u8, col: u8) -> [Rectangle; 4] {
        let cell = self.cell(row, col);
        let key = self.key(row, col);
        let (gap, height) = (self.gap, key.size.height);
        [
            Rectangle::new(cell.top_left, Size::new(cell.size.width, gap)),
            Rectangle::new(
                cell.top_left + Point::new(0, (gap + height) as i32),
                Size::new(cell.size.width, gap),
            ),
            Rectangle::new(
                cell.top_left + Point::new(0, gap as i32),
                Size::new(gap, height),
            ),
            Rectangle::new(
                key.top_left + Point::new(key.size.width as i32, 0),
                Size::new(gap, height),
            ),
        ]
    }

    /// The area a key fills: its cell less the gap.
    pub fn key(&self, row: u8, col: u8) -> Rectangle {
        let at = self.origin()
            + Point::new(
                i32::from(col) * self.cell.width as i32,
                i32::from(row) * self.cell.height as i32,
            );
        Rectangle::new(
            at + Point::new(self.gap as i32, self.gap as i32),
            Size::new(
                self.cell.width.saturating_sub(2 * self.gap),
                self.cell.height.saturating_sub(2 * self.gap),
            ),
        )
    }

    /// The label cell above column `col`.
    pub fn column_label(&self, col: u8) -> Rectangle {
        let at = self.origin() + Point::new(i32::from(col) * self.cell.width as i32, 0);
        Rectangle::new(
            Point::new(at.x, self.area.top_left.y),
            Size::new(self.cell.width, self.header),
        )
    }

    /// The label cell left of row `row`.
    pub fn row_label(&self, row: u8) -> Rectangle {
        let at = self.origin() + Point::new(0, i32::from(row) * self.cell.height as i32);
        Rectangle::new(
            Point::new(self.area.top_left.x, at.y),
            Size::new(self.gutter, self.cell.height),
        )
    }

    /// Everything the keys and labels cover.
    pub fn used(&self) -> Rectangle {
        Rectangle::new(
            self.area.top_left,
            Size::new(
                self.gutter + self.cell.width * u32::from(self.cols),
                self.header + self.cell.height * u32::from(self.rows),
            ),
        )
    }
}
