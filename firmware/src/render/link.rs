//! The link code screen (sign in with your phone): where to go, the code in large letters, how
//! long it stays valid, and a QR code of the address with the code in it where it fits.
//!
//! ```text
//!  wide (TV)                              tall (media player)      small (128 × 64)
//!  ┌───────────────────────┬────────┐     ┌──────────────┐         ┌──────────────┐
//!  │ On your phone, go to  │ ▛▀▀▜ ▗ │     │ go to        │         │ gw.example/… │
//!  │   gw.example/link     │ ▌▐▌▐ ▚ │     │ gw.example/… │         │  WDJB-MJHT   │
//!  │ and enter this code:  │ ▙▄▄▟ ▞ │     │  WDJB-MJHT   │         │ valid: 9:58  │
//!  │     WDJB-MJHT         │        │     │ valid: 9:58  │         └──────────────┘
//!  │ Code valid for 9:58   │        │     │   ▛▀▀▜ ▗     │
//!  └───────────────────────┴────────┘     └──────────────┘
//! ```
//!
//! Every line is centred in its band and kept on one line in the largest face that fits the
//! width; the lines that only explain ("go to", "enter this code") are left out first when the
//! display is short. The QR code follows [`super::qr`]'s rules (modules of at least two pixels
//! and the quiet zone), so on the 128 × 64 OLED, where the address and code need more modules
//! than fit, the code and the address show alone. [`LinkLayout`] is computed the same way for
//! a full draw and for the countdown's redraw, so one second's change repaints one line.

use embedded_graphics::prelude::{DrawTarget, Point, Size, Transform};
use embedded_graphics::primitives::Rectangle;
use heapless::Vec;

use super::face::{FACES, Face};
use super::layout::Metrics;
use super::report::Report;
use super::screens::{Align, draw_line};
use super::theme::Themed;
use crate::ui::{Content, Part, Piece, Ui};

/// The text pieces of the link screen, in order: go to, address, enter, code, countdown.
const LINES: usize = 5;

/// Where each line of the link screen goes, and the QR code.
#[derive(Debug, Clone)]
pub struct LinkLayout {
    /// For each text piece in content order: its band and face, or `None` when left out.
    bands: Vec<Option<(Rectangle, Face)>, LINES>,
    /// Where the QR code goes, if it fits legibly.
    qr: Option<Rectangle>,
}

impl LinkLayout {
    /// The layout of `content` (a link code screen) in `body`.
    pub fn new(metrics: &Metrics, body: Rectangle, content: &Content<'_>, qr_text: &str) -> Self {
        let texts = texts(content);
        let gap = metrics.margin.max(1);
        let side = body.size.height;
        // Beside the text on a wide screen, where a square of the body's height leaves most of
        // the width for the lines.
        if body.size.width > side * 3 / 2 && qr_fits(qr_text, side) {
            let column = Rectangle::new(
                body.top_left,
                Size::new(body.size.width - side - gap, body.size.height),
            );
            let qr = Rectangle::new(
                body.top_left + Point::new((body.size.width - side) as i32, 0),
                Size::new(side, side),
            );
            let (bands, used) = stack(metrics, column, &texts, column.size.height / 4);
            // The lines centred vertically beside the code.
            let down = (column.size.height.saturating_sub(used) / 2) as i32;
            let bands = bands
                .into_iter()
                .map(|band| band.map(|(area, face)| (area.translate(Point::new(0, down)), face)))
                .collect();
            return Self {
                bands,
                qr: Some(qr),
            };
        }
        // Under the text, in what is left; the code's letters get at most a quarter of the
        // height so the QR code keeps room.
        let (bands, used) = stack(metrics, body, &texts, body.size.height / 4);
        let rest = Rectangle::new(
            body.top_left + Point::new(0, (used + gap) as i32),
            Size::new(body.size.width, body.size.height.saturating_sub(used + gap)),
        );
        let qr = qr_fits(qr_text, rest.size.width.min(rest.size.height)).then_some(rest);
        Self { bands, qr }
    }

    /// Where the QR code goes, if anywhere.
    pub fn qr(&self) -> Option<Rectangle> {
        self.qr
    }

    /// The countdown's band and face.
    fn countdown(&self) -> Option<(Rectangle, Face)> {
        self.bands.last().copied().flatten()
    }
}

/// The text pieces of a link code screen, in order.
fn texts<'c>(content: &'c Content<'_>) -> Vec<Piece<'c>, LINES> {
    content
        .pieces()
        .filter(|piece| {
            matches!(
                piece.part,
                Part::Message | Part::Link | Part::Code | Part::Hint
            )
        })
        .take(LINES)
        .collect()
}

/// What the QR code of `link` holds; nothing without the QR feature (the board's flash).
#[cfg(feature = "qr")]
fn qr_text(link: &crate::ui::Link) -> crate::ui::link::QrText {
    link.qr_text()
}

#[cfg(not(feature = "qr"))]
fn qr_text(_: &crate::ui::Link) -> &'static str {
    ""
}

#[cfg(feature = "qr")]
fn qr_fits(text: &str, side: u32) -> bool {
    super::qr::fits(text, side)
}

#[cfg(not(feature = "qr"))]
fn qr_fits(_: &str, _: u32) -> bool {
    false
}

/// The lines stacked from the top of `area`: the largest code face up to `code_max` pixels
/// high with which every line fits; the explanations are left out before the code is made
/// as small as the lines around it.
/// Returns each piece's band and the height used.
fn stack(
    metrics: &Metrics,
    area: Rectangle,
    texts: &[Piece<'_>],
    code_max: u32,
) -> (Vec<Option<(Rectangle, Face)>, LINES>, u32) {
    let width = area.size.width;
    let body = metrics.body.height();
    // `small`: the explanations and the countdown in the smallest face, to keep them on a
    // short display.
    let face_for = |piece: &Piece<'_>, code: Face, small: bool| match piece.part {
        Part::Code => code,
        // The address a little larger than the explanations: it is what the player types.
        Part::Link => Face::fitting(body + body / 2, width, &[piece.text]),
        _ if small => Face::SMALLEST,
        _ => Face::fitting(body, width, &[piece.text]),
    };
    let shown = |piece: &Piece<'_>, with_optional: bool| {
        with_optional || piece.fit != crate::ui::Fit::Optional
    };
    let height = |code: Face, with_optional: bool, small: bool| -> u32 {
        texts
            .iter()
            .filter(|piece| shown(piece, with_optional))
            .map(|piece| {
                let face = face_for(piece, code, small);
                face.height() + gap(face)
            })
            .sum()
    };
    let code_text = texts
        .iter()
        .find(|piece| piece.part == Part::Code)
        .map_or("", |piece| piece.text);
    let codes = FACES
        .iter()
        .rev()
        .filter(|face| face.height() <= code_max.max(body) && face.width(code_text) <= width);
    // The code larger than the lines around it comes first, with the explanations in the
    // body face, then in the smallest, then without them; then any code face that fits.
    let larger = |face: &&Face| face.height() > body;
    let tries = [
        (true, true, false),
        (true, true, true),
        (false, true, true),
        (true, false, true),
        (false, false, true),
    ];
    let (code, with_optional, small) = tries
        .into_iter()
        .find_map(|(with_optional, must_be_larger, small)| {
            codes
                .clone()
                .filter(|face| !must_be_larger || larger(face))
                .find(|face| height(**face, with_optional, small) <= area.size.height)
                .map(|face| (*face, with_optional, small))
        })
        .unwrap_or((Face::SMALLEST, false, true));
    let mut bands = Vec::new();
    let mut y = area.top_left.y;
    let bottom = area.top_left.y + area.size.height as i32;
    for piece in texts {
        let face = face_for(piece, code, small);
        let band = (shown(piece, with_optional) && y + face.height() as i32 <= bottom).then(|| {
            let band = Rectangle::new(
                Point::new(area.top_left.x, y),
                Size::new(width, face.height()),
            );
            y += (face.height() + gap(face)) as i32;
            (band, face)
        });
        // Cannot fail: at most LINES pieces.
        let _ = bands.push(band);
    }
    (bands, (y - area.top_left.y).max(0) as u32)
}

/// Space under a line of `face`.
fn gap(face: Face) -> u32 {
    (face.height() / 3).max(1)
}

/// Draws the link code screen's lines and QR code in `body`.
///
/// # Errors
/// Whatever the target returns.
pub fn draw<D>(
    target: &mut D,
    metrics: &Metrics,
    ui: &Ui,
    content: &Content<'_>,
    body: Rectangle,
    report: &mut dyn Report,
) -> Result<(), D::Error>
where
    D: DrawTarget,
    D::Color: Themed,
{
    let p = D::Color::PALETTE;
    let Some(link) = ui.link() else {
        return Ok(());
    };
    let qr_text = qr_text(link);
    let layout = LinkLayout::new(metrics, body, content, &qr_text);
    for (piece, band) in texts(content).iter().zip(layout.bands.iter()) {
        let color = match piece.part {
            Part::Link | Part::Code => p.focus,
            Part::Hint => p.dim,
            _ => p.text,
        };
        // The link screen's pieces are whole or optional, never cut for an ellipsis.
        draw_line(target, report, *piece, *band, color, Align::Centre)?;
    }
    #[cfg(feature = "qr")]
    if let Some(area) = layout.qr {
        super::screens::draw_qr(target, &qr_text, area)?;
    }
    Ok(())
}

/// Redraws the countdown line only, after [`draw`] drew the same screen.
///
/// # Errors
/// Whatever the target returns.
pub fn redraw_countdown<D>(
    target: &mut D,
    metrics: &Metrics,
    ui: &Ui,
    body: Rectangle,
) -> Result<(), D::Error>
where
    D: DrawTarget,
    D::Color: Themed,
{
    let p = D::Color::PALETTE;
    let Some(link) = ui.link() else {
        return Ok(());
    };
    let content = Content::of(ui);
    let layout = LinkLayout::new(metrics, body, &content, &qr_text(link));
    let (Some(piece), Some((area, face))) = (content.first(Part::Hint), layout.countdown()) else {
        return Ok(());
    };
    target.fill_solid(&area, p.background)?;
    draw_line(
        target,
        &mut (),
        piece,
        Some((area, face)),
        p.dim,
        Align::Centre,
    )
}
