//! What each screen says, described once: the renderer draws it, QA reads it.
//!
//! [`Content::of`] lists the text of the screen a [`Ui`] shows, in the player's language: the
//! title, the field's label, the account being signed in, hints and messages, the checkbox and
//! the buttons. Each [`Piece`] says what it is ([`Part`], which decides where the renderer puts
//! it) and how it may be fitted to a small display ([`Fit`]: shown whole, cut with an
//! ellipsis, or left out when there is no room). The renderer takes every word it draws on a
//! screen from here, and reports what it actually drew ([`crate::render::report`]), so a
//! test, or the simulator's `expect text`, checks the display and not a list kept beside it.
//!
//! ```text
//!  Ui ──▶ Content::of(&ui) ──▶ Renderer::draw ──▶ pixels
//!                                    └──────────▶ Report: (part, text drawn, how it was cut)
//! ```
//!
//! The text fields themselves (the email address being typed, the masked password) belong to
//! the keyboard: the renderer reports them as [`Part::Field`] as it draws them.

use heapless::{String, Vec};

use super::{Focus, Problem, Screen, Ui};
use crate::text::{self, Language, Text};

/// What a piece of a screen is; where the renderer puts it follows from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Part {
    /// The screen's title ("Sign in").
    Title,
    /// The label of the field being typed ("Email address", "Password").
    Label,
    /// The account the password is for: its email address.
    Account,
    /// The text typed in a field, as shown (a password masked, in groups of four).
    Field,
    /// A line under the field: why the player is asked again, or how to fill it in.
    Hint,
    /// What went wrong.
    Alert,
    /// A message: progress, welcome, an explanation.
    Message,
    /// An address the player may type elsewhere (the Security info page, the link page).
    Link,
    /// A code the player types elsewhere: the phone link's code, in large letters.
    Code,
    /// The remember checkbox's label.
    Checkbox,
    /// A button's label.
    Button,
}

/// How a piece may be fitted to the display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Fit {
    /// Shown in full, on as many lines as it takes.
    Whole,
    /// On one line, cut short with an ellipsis (`…`) where the line is too narrow.
    Ellipsis,
    /// Left out on displays without room for it.
    Optional,
    /// Shown whole; but on displays too small for it and the keyboard together, only while
    /// the focus is off the keyboard (the password screen's checkbox and Sign in).
    Controls,
}

/// One piece of a screen's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece<'c> {
    /// What it is.
    pub part: Part,
    /// Its words, in the screen's language, values filled in.
    pub text: &'c str,
    /// How it may be fitted.
    pub fit: Fit,
    /// Whether it has the focus (a button or the checkbox).
    pub selected: bool,
}

/// Most pieces a screen has.
pub const MAX_PIECES: usize = 8;

/// The longest filled-in line: a template and an email address.
const LINE_LEN: usize = 64 + crate::keyboard::MAX_TEXT_LEN;

/// Where a piece's words are: a string that outlives the content, or its filled-in line.
#[derive(Debug, Clone, Copy)]
enum Words<'a> {
    Str(&'a str),
    Line,
}

#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    part: Part,
    words: Words<'a>,
    fit: Fit,
    selected: bool,
}

/// The text of one screen, in order from the top.
#[derive(Debug, Clone)]
pub struct Content<'a> {
    screen: Screen,
    language: Language,
    entries: Vec<Entry<'a>, MAX_PIECES>,
    /// The one line a screen fills in with a value ("Welcome, Alex", "Try again in 5 min").
    line: String<LINE_LEN>,
}

impl<'a> Content<'a> {
    /// What the screen `ui` shows says.
    pub fn of(ui: &'a Ui) -> Self {
        let language = ui.config().language;
        let mut content = Content {
            screen: ui.screen(),
            language,
            entries: Vec::new(),
            line: String::new(),
        };
        let title =
            |content: &mut Self| content.text(Part::Title, Text::SignInTitle, Fit::Optional);
        match ui.screen() {
            Screen::Account => {
                title(&mut content);
                content.text(Part::Label, Text::EmailLabel, Fit::Optional);
            }
            Screen::Password => {
                title(&mut content);
                content.text(Part::Label, Text::PasswordLabel, Fit::Optional);
                content.push(Part::Account, Words::Str(ui.email().text()), Fit::Ellipsis);
                match ui.notice() {
                    // Why the player is asked again must be seen on every display.
                    Some(notice) => content.text(Part::Hint, notice, Fit::Whole),
                    None => content.text(Part::Hint, Text::PasswordHint, Fit::Optional),
                }
                content.text(Part::Checkbox, ui.remember_text(), Fit::Controls);
                content.select(ui.focus() == Focus::Remember);
                content.text(Part::Button, Text::SignInButton, Fit::Controls);
                content.select(ui.focus() == Focus::SignIn);
            }
            Screen::SigningIn => {
                title(&mut content);
                // A sign-in remembered by a phone link has no address to show.
                if ui.resuming() && !ui.email().text().is_empty() {
                    content.fill(Text::SigningInAs, ui.email().text());
                } else {
                    content.text(Part::Message, Text::SigningIn, Fit::Whole);
                }
                content.text(Part::Button, Text::Cancel, Fit::Whole);
                content.select(true);
            }
            Screen::SignedIn => {
                content.fill(Text::Welcome, ui.display_name());
                content.text(Part::Button, Text::SignOutButton, Fit::Whole);
                content.select(true);
            }
            Screen::LinkStarting => {
                content.text(Part::Title, Text::LinkTitle, Fit::Optional);
                content.text(Part::Message, Text::LinkAsking, Fit::Whole);
                content.text(Part::Button, Text::Cancel, Fit::Whole);
                content.select(true);
            }
            Screen::LinkCode => {
                content.text(Part::Title, Text::LinkTitle, Fit::Optional);
                if let Some(link) = ui.link() {
                    content.text(Part::Message, Text::LinkGoTo, Fit::Optional);
                    content.push(Part::Link, Words::Str(link.short_address()), Fit::Whole);
                    content.text(Part::Message, Text::LinkEnterCode, Fit::Optional);
                    content.push(Part::Code, Words::Str(link.shown_code()), Fit::Whole);
                    let mut left: String<8> = String::new();
                    let _ = super::link::clock(&mut left, link.shown_secs());
                    let _ = text::fill(&mut content.line, Text::LinkValidFor.get(language), &left);
                    content.push(Part::Hint, Words::Line, Fit::Whole);
                }
                content.text(Part::Button, Text::Back, Fit::Whole);
                content.select(true);
            }
            Screen::Problem(problem) => {
                title(&mut content);
                if let Problem::Throttled { retry_after_secs } = problem {
                    let mut wait: String<24> = String::new();
                    let _ = text::duration(&mut wait, language, retry_after_secs);
                    let _ = text::fill(&mut content.line, problem.text().get(language), &wait);
                    content.push(Part::Alert, Words::Line, Fit::Whole);
                } else {
                    content.text(Part::Alert, problem.text(), Fit::Whole);
                }
                if problem == Problem::WrongCredentials {
                    content.text(Part::Message, Text::AppPasswordExplained, Fit::Whole);
                    content.text(Part::Message, Text::CreateAppPasswordAt, Fit::Optional);
                    let url = ui.config().security_info_url;
                    content.push(Part::Link, Words::Str(url), Fit::Whole);
                }
                for (i, choice) in ui.choices().into_iter().flatten().enumerate() {
                    content.text(Part::Button, choice.text(), Fit::Whole);
                    content.select(usize::from(ui.choice()) == i);
                }
            }
        }
        content
    }

    fn push(&mut self, part: Part, words: Words<'a>, fit: Fit) {
        // Cannot fail: no screen has more than MAX_PIECES pieces (tested).
        let _ = self.entries.push(Entry {
            part,
            words,
            fit,
            selected: false,
        });
    }

    fn text(&mut self, part: Part, text: Text, fit: Fit) {
        self.push(part, Words::Str(text.get(self.language)), fit);
    }

    /// A message filled in with `value`, as the screen's one filled-in line.
    fn fill(&mut self, template: Text, value: &str) {
        self.line.clear();
        let _ = text::fill(&mut self.line, template.get(self.language), value);
        self.push(Part::Message, Words::Line, Fit::Whole);
    }

    /// Marks the last piece as having the focus, or not.
    fn select(&mut self, selected: bool) {
        if let Some(last) = self.entries.last_mut() {
            last.selected = selected;
        }
    }

    /// The screen this is the content of.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// Every piece, from the top of the screen.
    pub fn pieces(&self) -> impl Iterator<Item = Piece<'_>> + '_ {
        self.entries.iter().map(|entry| Piece {
            part: entry.part,
            text: match entry.words {
                Words::Str(text) => text,
                Words::Line => self.line.as_str(),
            },
            fit: entry.fit,
            selected: entry.selected,
        })
    }

    /// The first piece that is a `part`, if the screen has one.
    pub fn first(&self, part: Part) -> Option<Piece<'_>> {
        self.pieces().find(|piece| piece.part == part)
    }

    /// The pieces that are a `part`, from the top (the buttons, say).
    pub fn all(&self, part: Part) -> impl Iterator<Item = Piece<'_>> + '_ {
        self.pieces().filter(move |piece| piece.part == part)
    }
}
