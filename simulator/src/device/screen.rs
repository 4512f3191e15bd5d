//! What the screen shows, for scenario expectations and the transcript: its name, the texts
//! the renderer actually drew, and where the focus is.
//!
//! Screen names are the firmware's slugs ([`Screen::slug`]: `account`, `password`,
//! `signing-in`, `signed-in`, `problem-wrong-credentials`, ...), plus `power-off` for a device
//! whose power was cut. The text is not kept here: it is what the renderer reports it put on
//! the display ([`Renderer::report`]), piece by piece as shortened, so a text the display
//! dropped or cut cannot pass `expect text`.

use padlock_firmware::render::Renderer;
use padlock_firmware::render::report::{Drawn, How};
use padlock_firmware::ui::{Choice, Focus, Screen, Ui};

/// The name of a device that has no power.
pub const POWER_OFF: &str = "power-off";

/// Every screen name, for checking a scenario's spelling.
pub fn names() -> impl Iterator<Item = &'static str> {
    Screen::all()
        .map(Screen::slug)
        .chain(std::iter::once(POWER_OFF))
}

/// What `renderer`'s display shows of `ui`'s screen, one drawn piece a line: each as the
/// renderer put it there (a shortened one as far as it is on the display; one left out not
/// at all).
pub fn drawn_text(renderer: &Renderer, ui: &Ui) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut report = |drawn: &Drawn<'_>| {
        if drawn.how != How::LeftOut && !drawn.shown.is_empty() {
            lines.push(drawn.shown.to_owned());
        }
    };
    renderer.report(ui, &mut report);
    lines.join("\n")
}

/// Every name [`focus`] gives, for checking a scenario's spelling.
pub const FOCUS: [&str; 10] = [
    "keyboard",
    "remember",
    "sign-in",
    "retry",
    "use-password",
    "ok",
    "back",
    "cancel",
    "sign-out",
    "new-code",
];

/// Where the focus is, by the control that has it: `keyboard` on the account screen and
/// while typing a password; `remember` or `sign-in` below the password; the chosen button
/// (`retry`, `use-password`, `ok`, `back`, `new-code`) on a problem screen; the one button of
/// the signing-in and link-starting (`cancel`), link-code (`back`) and signed-in (`sign-out`)
/// screens.
pub fn focus(ui: &Ui) -> Option<&'static str> {
    match ui.screen() {
        Screen::Account => Some("keyboard"),
        Screen::Password => Some(match ui.focus() {
            Focus::Keyboard => "keyboard",
            Focus::Remember => "remember",
            Focus::SignIn => "sign-in",
        }),
        Screen::SigningIn | Screen::LinkStarting => Some("cancel"),
        Screen::LinkCode => Some("back"),
        Screen::SignedIn => Some("sign-out"),
        Screen::Problem(_) => {
            let chosen = ui
                .choices()
                .get(usize::from(ui.choice()))
                .copied()
                .flatten()?;
            Some(match chosen {
                Choice::Retry => "retry",
                Choice::UsePassword => "use-password",
                Choice::Ok => "ok",
                Choice::Back => "back",
                Choice::NewCode => "new-code",
            })
        }
    }
}
