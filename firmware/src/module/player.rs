//! A player at the controller, for host tests, benchmarks and scripted runs: presses buttons
//! and types text into a [`Module`] as a person would, through the same raw events a
//! controller driver reports.
//!
//! Typing uses [`crate::keyboard::typing`] over the keyboard planner: the fewest
//! presses that put the text in the field on screen, ending with the stick at rest, so a test
//! types an address the way a practised player would, and a benchmark counts what a player
//! would press.
//!
//! ```text
//! type_text(module, "alex@outlook.com", now)  // account screen: the email field
//! press(module, Physical::Press(Button::Start), now)
//! type_text(module, "abcdefghijklmnop", now)  // password screen: the password field
//! sign_in(module, true, now)                  // tick "Remember my info", press Sign in
//! ```

use embedded_storage::nor_flash::NorFlash;
use rand_core::{CryptoRng, RngCore};

use super::{Module, Step};
use crate::input::{Button, Physical, RawInput, StickSector};
use crate::keyboard::typing;
use crate::ui::{Focus, Screen};

/// The raw events of one physical action: a button goes down and comes up; the stick points
/// into the middle of its sector (or back to the centre).
pub fn raw_events(action: Physical) -> impl Iterator<Item = RawInput> {
    let events = match action {
        Physical::Press(button) => [Some(RawInput::Down(button)), Some(RawInput::Up(button))],
        Physical::Stick(sector) => {
            let (x, y) = sector.map_or((0, 0), stick_point);
            [Some(RawInput::Stick { x, y }), None]
        }
    };
    events.into_iter().flatten()
}

/// A stick position well inside `sector`, away from the dead zone and the sector edges.
fn stick_point(sector: StickSector) -> (i16, i16) {
    const AXIS: i16 = 30_000;
    const DIAGONAL: i16 = 21_000;
    match sector.index() {
        0 => (0, AXIS),
        1 => (DIAGONAL, DIAGONAL),
        2 => (AXIS, 0),
        3 => (DIAGONAL, -DIAGONAL),
        4 => (0, -AXIS),
        5 => (-DIAGONAL, -DIAGONAL),
        6 => (-AXIS, 0),
        _ => (-DIAGONAL, DIAGONAL),
    }
}

/// Performs `action` on `module` at `now_ms`.
pub fn press<F: NorFlash, R: RngCore + CryptoRng>(
    module: &mut Module<'_, '_, F, R>,
    action: Physical,
    now_ms: u64,
) -> Step {
    let mut step = Step::default();
    for event in raw_events(action) {
        step.merge(module.input(event, now_ms));
    }
    step
}

/// Types `text` into the field that has the focus, after what it already holds, with the
/// fewest presses ([`typing::keystrokes_into`]: at rest afterwards). `None` if it cannot be
/// typed there; then nothing was pressed.
pub fn type_text<F: NorFlash, R: RngCore + CryptoRng>(
    module: &mut Module<'_, '_, F, R>,
    text: &str,
    now_ms: u64,
) -> Option<Step> {
    let actions = typing::keystrokes_into(module.ui(), text).ok()?;
    let mut step = Step::default();
    for action in actions {
        step.merge(press(module, action, now_ms));
    }
    Some(step)
}

/// On the password screen: finishes typing (the fewest presses to the keyboard's Done), sets
/// "Remember my info" to `remember` and presses Sign in (D-pad and A, which every profile has).
pub fn sign_in<F: NorFlash, R: RngCore + CryptoRng>(
    module: &mut Module<'_, '_, F, R>,
    remember: bool,
    now_ms: u64,
) -> Step {
    let mut step = Step::default();
    // At most a handful of presses: done typing, up to the checkbox, tick, down, sign in.
    for _ in 0..8 {
        let ui = module.ui();
        if ui.screen() != Screen::Password {
            break;
        }
        let button = match (ui.focus(), ui.remember() == remember) {
            (Focus::Keyboard, _) => {
                let Some(done) = typing::finish(ui.config().profile, ui.password()) else {
                    break;
                };
                for action in done {
                    step.merge(press(module, action, now_ms));
                }
                continue;
            }
            (Focus::SignIn, false) => Button::Up,
            (Focus::Remember, false) => Button::A,
            (Focus::Remember, true) => Button::Down,
            (Focus::SignIn, true) => Button::A,
        };
        step.merge(press(module, Physical::Press(button), now_ms));
    }
    step
}
