//! Symbols no mono font has, drawn as shapes: the stick's arrows, the Zune's stroke marks, the
//! password bullet and the ellipsis.
//!
//! The ISO 8859-1 fonts cover the Dutch (and most Western European) text, but not `↑ ↗ → ● ▶ •`.
//! [`draw`] draws those inside the character cell they would occupy, scaled with it, so text
//! that mixes letters and symbols ("↑ abcd") lays out like plain text.

use embedded_graphics::Drawable;
use embedded_graphics::prelude::{DrawTarget, Point, Primitive, Size};
use embedded_graphics::primitives::{Circle, Line, PrimitiveStyle, Rectangle, Triangle};

/// Whether `c` is drawn as a shape rather than from the font.
pub fn is_shape(c: char) -> bool {
    direction(c).is_some() || matches!(c, '●' | '•' | '▶' | '…')
}

/// The arrow's direction as (dx, dy), y downwards.
fn direction(c: char) -> Option<(i32, i32)> {
    Some(match c {
        '↑' => (0, -1),
        '↗' => (1, -1),
        '→' => (1, 0),
        '↘' => (1, 1),
        '↓' => (0, 1),
        '↙' => (-1, 1),
        '←' => (-1, 0),
        '↖' => (-1, -1),
        _ => return None,
    })
}

/// Draws symbol `c` in the character cell `cell`; draws nothing for other characters.
///
/// # Errors
/// Whatever the target returns.
pub fn draw<D: DrawTarget>(
    target: &mut D,
    c: char,
    cell: Rectangle,
    color: D::Color,
) -> Result<(), D::Error> {
    let center = cell.center();
    // The symbol's extent: the smaller side of the cell, less a margin.
    let side = cell.size.width.min(cell.size.height) as i32;
    let fill = PrimitiveStyle::with_fill(color);
    if let Some((dx, dy)) = direction(c) {
        let half = side * 2 / 5;
        // Diagonals by 5/7 so every arrow looks the same length.
        let (dx, dy) = if dx != 0 && dy != 0 {
            (dx * 5, dy * 5)
        } else {
            (dx * 7, dy * 7)
        };
        let tip = center + Point::new(dx * half / 7, dy * half / 7);
        let tail = center - Point::new(dx * half / 7, dy * half / 7);
        let stroke = (side as u32 / 8).max(1);
        let head = (side / 3).max(2);
        let back = tip - Point::new(dx * head / 7, dy * head / 7);
        let across = Point::new(-dy * head / 7, dx * head / 7);
        Line::new(tail, back)
            .into_styled(PrimitiveStyle::with_stroke(color, stroke))
            .draw(target)?;
        return Triangle::new(tip, back + across, back - across)
            .into_styled(fill)
            .draw(target);
    }
    match c {
        '●' => Circle::with_center(center, (side as u32 * 3 / 5).max(3))
            .into_styled(fill)
            .draw(target),
        '•' => Circle::with_center(center, (side as u32 * 3 / 5).max(2))
            .into_styled(fill)
            .draw(target),
        '▶' => {
            let h = side * 3 / 10;
            Triangle::new(
                center + Point::new(-h, -h),
                center + Point::new(-h, h),
                center + Point::new(h, 0),
            )
            .into_styled(fill)
            .draw(target)
        }
        '…' => {
            let dot = (side as u32 / 8).max(1);
            let y = cell.top_left.y + cell.size.height as i32 * 3 / 4;
            let step = cell.size.width as i32 / 3;
            for i in 0..3 {
                let x = cell.top_left.x + step * i + (step - dot as i32) / 2;
                target.fill_solid(
                    &Rectangle::new(Point::new(x, y), Size::new(dot, dot)),
                    color,
                )?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
