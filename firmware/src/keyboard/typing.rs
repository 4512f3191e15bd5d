//! Typing as a player types: the presses that put a text in the field that has the focus, for
//! every host-side player (the simulator's `type` and `done`, the module's
//! [`player`](crate::module::player), the screen and golden tests, the board test's player).
//! When a text cannot be typed, [`CannotType`] names the character or the field's limit.
//! Host only (`std` feature).
//!
//! The presses come from the [planner](super::planner), which runs the keyboard's real state
//! machine, so replaying them types exactly what was planned. Two promises come on top of the
//! planner's:
//!
//! - **At rest afterwards.** On the Xbox 360 the quick wheel types with the stick held in a
//!   sector, and a plan may end there (letting go is free, so the planner does not bother).
//!   A stick left deflected turns the next face button into a wheel letter: `press X` would
//!   type instead of delete. So every plan here ends with the stick back in the centre (and
//!   presses always release their button): afterwards, a button means what the key map says.
//!
//! (An account password on the app-password keyboard needs nothing extra: the planner's
//! search crosses the switch to the full keyboard itself, as a player would.)

use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use super::planner::{plan, plan_done};
use super::{Keyboard, MAX_TEXT_LEN, Mode};
use crate::input::Physical;
use crate::profile::Profile;
use crate::ui::{Focus, Screen, Ui};

/// The keyboard that has the focus: the email's on the account screen, the password's while
/// the password screen's focus is on it; `None` elsewhere.
pub fn focused_field(ui: &Ui) -> Option<&Keyboard> {
    match ui.screen() {
        Screen::Account => Some(ui.email()),
        Screen::Password if ui.focus() == Focus::Keyboard => Some(ui.password()),
        _ => None,
    }
}

/// The presses that add `text` to the field that has the focus in `ui`, ending at rest.
///
/// # Errors
/// [`CannotType::NoField`] when no keyboard has the focus, else as [`keystrokes`].
pub fn keystrokes_into(ui: &Ui, text: &str) -> Result<Vec<Physical>, CannotType> {
    let field = focused_field(ui).ok_or(CannotType::NoField)?;
    keystrokes(ui.config().profile, field, text)
}

/// Why a text cannot be typed into a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CannotType {
    /// No keyboard has the focus (another screen, or the password screen's controls).
    NoField,
    /// The field's text cursor is not at the end of its text (`type` only appends).
    CursorNotAtEnd,
    /// The text would make the field longer than it holds.
    TooLong {
        /// Characters (bytes: addresses and passwords are typed in ASCII) the field holds at
        /// most.
        limit: usize,
        /// Characters it would hold.
        would_hold: usize,
    },
    /// No key (on any page, with any shift) types this character here.
    NoKey {
        /// The character.
        character: char,
        /// Its place in the text, from 1.
        position: usize,
    },
}

impl CannotType {
    /// The reason in words; `secret` hides the character (it belongs to a password).
    pub fn explain(&self, secret: bool) -> String {
        match self {
            CannotType::NoField => "no keyboard has the focus".to_string(),
            CannotType::CursorNotAtEnd => {
                "the text cursor is not at the end of what the field holds (`type` adds at the \
                 end: move it with RB first)"
                    .to_string()
            }
            CannotType::TooLong { limit, would_hold } => format!(
                "the field holds at most {limit} characters, and this would make {would_hold}"
            ),
            CannotType::NoKey { position, .. } if secret => {
                format!("the keyboard has no key for character {position} of the text")
            }
            CannotType::NoKey {
                character,
                position,
            } => format!(
                "the keyboard has no key for {character:?} (character {position} of the text)"
            ),
        }
    }
}

/// The presses that add `text` to `keyboard`'s field on `profile`, ending at rest.
///
/// # Errors
/// Why the text cannot be typed; nothing should be pressed then.
pub fn keystrokes(
    profile: &Profile,
    keyboard: &Keyboard,
    text: &str,
) -> Result<Vec<Physical>, CannotType> {
    let target = format!("{}{text}", keyboard.text());
    match plan(profile, keyboard, &target) {
        Some(planned) => Ok(at_rest(planned.actions)),
        None => Err(why_not(profile, keyboard, text)),
    }
}

/// The presses that finish the field (the keyboard's Done), ending at rest; `None` if the
/// keyboard has no way to.
pub fn finish(profile: &Profile, keyboard: &Keyboard) -> Option<Vec<Physical>> {
    plan_done(profile, keyboard).map(|planned| at_rest(planned.actions))
}

/// `actions`, then the stick back to the centre if they leave it deflected.
fn at_rest(mut actions: Vec<Physical>) -> Vec<Physical> {
    let last_stick = actions.iter().rev().find_map(|action| match action {
        Physical::Stick(sector) => Some(*sector),
        Physical::Press(_) => None,
    });
    if let Some(Some(_)) = last_stick {
        actions.push(Physical::Stick(None));
    }
    actions
}

/// Why `plan` found no way to add `text`: the cursor, the limit, or the first character no
/// key types.
fn why_not(profile: &Profile, keyboard: &Keyboard, text: &str) -> CannotType {
    if keyboard.text_cursor() != keyboard.text().len() {
        return CannotType::CursorNotAtEnd;
    }
    // A password field's app-password letters give way to the full keyboard, which holds more.
    let limit = match keyboard.mode() {
        Mode::AppPassword => MAX_TEXT_LEN,
        Mode::Email | Mode::General => keyboard.capacity(),
    };
    let would_hold = keyboard.text().len() + text.len();
    if would_hold > limit {
        return CannotType::TooLong { limit, would_hold };
    }
    // The first character after which no plan exists is the one no key types.
    let mut target = String::from(keyboard.text());
    for (index, character) in text.chars().enumerate() {
        target.push(character);
        if plan(profile, keyboard, &target).is_none() {
            return CannotType::NoKey {
                character,
                position: index + 1,
            };
        }
    }
    // Every prefix types but the whole does not: only the limit can be in the way.
    CannotType::TooLong { limit, would_hold }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyboard::controls;
    use crate::profile;

    fn email_keyboard(profile: &Profile) -> Keyboard {
        Keyboard::for_profile(profile, Mode::Email)
    }

    /// The keyboard after `actions` (its `group()` says whether the stick is held).
    fn replay(profile: &Profile, mut keyboard: Keyboard, actions: &[Physical]) -> Keyboard {
        for action in actions {
            if let Some(input) = controls::map(profile, &keyboard, *action) {
                keyboard.handle(input);
            }
        }
        keyboard
    }

    #[test]
    fn typing_ends_with_the_stick_in_the_centre() {
        let xbox = &profile::XBOX360;
        let keyboard = email_keyboard(xbox);
        // Plain planner plans end in a wheel sector for this text: the bug this module fixes.
        let planned = plan(xbox, &keyboard, "alex").unwrap();
        assert!(
            replay(xbox, keyboard.clone(), &planned.actions)
                .group()
                .is_some()
        );
        for text in ["alex", "alex.morgan@outlook.com", "q"] {
            let actions = keystrokes(xbox, &keyboard, text).unwrap();
            let typed = replay(xbox, keyboard.clone(), &actions);
            assert_eq!(typed.text(), text);
            assert_eq!(typed.group(), None, "{text}: the wheel let go");
        }
        let done = finish(xbox, &keyboard.clone().with_text("alex")).unwrap();
        assert_eq!(
            replay(xbox, keyboard.with_text("alex"), &done).group(),
            None
        );
    }

    #[test]
    fn a_character_without_a_key_is_named_with_its_place() {
        let zune = &profile::ZUNE;
        let keyboard = Keyboard::for_profile(zune, Mode::AppPassword);
        let why = keystrokes(zune, &keyboard, "ab\u{263a}c").unwrap_err();
        assert_eq!(
            why,
            CannotType::NoKey {
                character: '\u{263a}',
                position: 3
            }
        );
        assert_eq!(
            why.explain(false),
            "the keyboard has no key for '\u{263a}' (character 3 of the text)"
        );
        assert!(!why.explain(true).contains('\u{263a}'));
    }

    #[test]
    fn a_text_longer_than_the_field_names_the_limit() {
        let oled = &profile::OLED;
        let keyboard = email_keyboard(oled).with_text("a");
        let long = "b".repeat(keyboard.capacity());
        let why = keystrokes(oled, &keyboard, &long).unwrap_err();
        assert_eq!(
            why,
            CannotType::TooLong {
                limit: keyboard.capacity(),
                would_hold: keyboard.capacity() + 1
            }
        );
        assert!(why.explain(false).contains("at most 254 characters"));
    }

    #[test]
    fn an_account_password_switches_to_the_full_keyboard_first() {
        let xbox = &profile::XBOX360;
        let keyboard = Keyboard::for_profile(xbox, Mode::AppPassword);
        let actions = keystrokes(xbox, &keyboard, "Tulip-26").unwrap();
        let typed = replay(xbox, keyboard, &actions);
        assert_eq!(typed.text(), "Tulip-26");
        assert_eq!(typed.group(), None);
    }
}
