//! What the renderer actually drew: each piece of text, and how it was fitted.
//!
//! A screen's words come from its [`Content`](crate::ui::Content); whether they reach the
//! display depends on its size. [`Renderer::report`](super::Renderer::report) lays the screen
//! out as a full draw would and tells a [`Report`] every piece as it lands: the text that is on
//! the display, and [`How`] it got there (whole, cut, with an ellipsis, scrolled, or left out).
//! QA checks read this, so a text the display dropped cannot pass as shown.
//!
//! ```
//! use padlock_firmware::render::{Renderer, report::{Drawn, How}};
//! use padlock_firmware::ui::{Part, Ui, UiConfig};
//! use padlock_firmware::{profile, text::Language};
//! use embedded_graphics::prelude::Size;
//!
//! let ui = Ui::new(
//!     UiConfig {
//!         profile: &profile::ZUNE,
//!         language: Language::English,
//!         security_info_url: "https://account.example.com/security",
//!     },
//!     None,
//! );
//! let mut drawn: Vec<(Part, String, How)> = Vec::new();
//! let mut report = |d: &Drawn<'_>| drawn.push((d.part, d.shown.to_owned(), d.how));
//! Renderer::new(Size::new(240, 320)).report(&ui, &mut report);
//! assert!(drawn.contains(&(Part::Title, "Sign in".to_owned(), How::Whole)));
//! ```

use crate::ui::Part;

/// How a piece of text was fitted to the display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum How {
    /// All of it is on the display (on one line or wrapped over several).
    Whole,
    /// Only [`Drawn::shown`], the start of it, is on the display: the rest had no room.
    Cut,
    /// [`Drawn::shown`], the start of it, is on the display followed by an ellipsis (`…`).
    Ellipsis,
    /// A field scrolled to its text cursor: [`Drawn::shown`] is its visible end.
    Scrolled,
    /// None of it is on the display.
    LeftOut,
}

/// One piece of text as the renderer put it on the display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawn<'a> {
    /// What the piece is.
    pub part: Part,
    /// The characters on the display (a masked password as its dots), without the ellipsis.
    pub shown: &'a str,
    /// How it was fitted.
    pub how: How,
}

impl Drawn<'_> {
    /// `part` is not on the display.
    pub const fn left_out(part: Part) -> Drawn<'static> {
        Drawn {
            part,
            shown: "",
            how: How::LeftOut,
        }
    }
}

/// Hears what the renderer drew, piece by piece, from the top of the screen.
pub trait Report {
    /// `drawn` is on the display (or, for [`How::LeftOut`], is not).
    fn drawn(&mut self, drawn: &Drawn<'_>);
}

/// Hears nothing: drawing without a report.
impl Report for () {
    fn drawn(&mut self, _: &Drawn<'_>) {}
}

/// Any closure over [`Drawn`] is a report.
impl<F: FnMut(&Drawn<'_>)> Report for F {
    fn drawn(&mut self, drawn: &Drawn<'_>) {
        self(drawn)
    }
}
