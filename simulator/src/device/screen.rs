//! Names and words of the screen shown, for scenario expectations and the transcript.
//!
//! Screen names are the ones the firmware's golden images use (`account`, `password`,
//! `signing-in`, `signed-in`, `problem-wrong-credentials`, ...), plus `power-off` for a device
//! whose power was cut. The text is what the screen says, taken from the same string table
//! and screen state the renderer draws from (before the renderer fits it to the display).

use padlock_firmware::text::{self, Text};
use padlock_firmware::ui::{Choice, Focus, Problem, Screen, Ui};

/// The name of a device that has no power.
pub const POWER_OFF: &str = "power-off";

/// Every screen name, for checking a scenario's spelling.
pub const ALL: [&str; 14] = [
    "account",
    "password",
    "signing-in",
    "signed-in",
    "problem-wrong-credentials",
    "problem-throttled",
    "problem-no-network",
    "problem-cannot-reach",
    "problem-timed-out",
    "problem-connection-lost",
    "problem-protocol-error",
    "problem-update-needed",
    "problem-service-unavailable",
    POWER_OFF,
];

/// The name of `screen`.
pub fn name(screen: Screen) -> &'static str {
    match screen {
        Screen::Account => "account",
        Screen::Password => "password",
        Screen::SigningIn => "signing-in",
        Screen::SignedIn => "signed-in",
        Screen::Problem(problem) => match problem {
            Problem::WrongCredentials => "problem-wrong-credentials",
            Problem::Throttled { .. } => "problem-throttled",
            Problem::NoNetwork => "problem-no-network",
            Problem::CannotReach => "problem-cannot-reach",
            Problem::TimedOut => "problem-timed-out",
            Problem::ConnectionLost => "problem-connection-lost",
            Problem::ProtocolError => "problem-protocol-error",
            Problem::UpdateNeeded => "problem-update-needed",
            Problem::ServiceUnavailable => "problem-service-unavailable",
        },
    }
}

/// Every name [`focus`] gives, for checking a scenario's spelling.
pub const FOCUS: [&str; 9] = [
    "keyboard",
    "remember",
    "sign-in",
    "retry",
    "use-password",
    "ok",
    "back",
    "cancel",
    "sign-out",
];

/// Where the focus is, by the control that has it: `keyboard` on the account screen and
/// while typing a password; `remember` or `sign-in` below the password; the chosen button
/// (`retry`, `use-password`, `ok`, `back`) on a problem screen; the one button of the
/// signing-in (`cancel`) and signed-in (`sign-out`) screens.
pub fn focus(ui: &Ui) -> Option<&'static str> {
    match ui.screen() {
        Screen::Account => Some("keyboard"),
        Screen::Password => Some(match ui.focus() {
            Focus::Keyboard => "keyboard",
            Focus::Remember => "remember",
            Focus::SignIn => "sign-in",
        }),
        Screen::SigningIn => Some("cancel"),
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
            })
        }
    }
}

/// What the screen says, one piece a line: title, labels, fields (a password masked as the
/// screen shows it), hints, messages and buttons.
pub fn words(ui: &Ui) -> String {
    let language = ui.config().language;
    let mut lines: Vec<String> = Vec::new();
    let text = |t: Text| t.get(language).to_owned();
    match ui.screen() {
        Screen::Account => {
            lines.push(text(Text::SignInTitle));
            lines.push(text(Text::EmailLabel));
            lines.push(ui.email().shown(false).collect());
        }
        Screen::Password => {
            lines.push(text(Text::SignInTitle));
            lines.push(text(Text::PasswordLabel));
            lines.push(ui.email().text().to_owned());
            lines.push(ui.password().shown(true).collect());
            lines.push(text(ui.notice().unwrap_or(Text::PasswordHint)));
            lines.push(text(ui.remember_text()));
            lines.push(text(Text::SignInButton));
        }
        Screen::SigningIn => {
            lines.push(text(Text::SignInTitle));
            if ui.resuming() {
                lines.push(ui.signing_in_line().as_str().to_owned());
            } else {
                lines.push(text(Text::SigningIn));
            }
            lines.push(text(Text::Cancel));
        }
        Screen::SignedIn => {
            let mut welcome = String::new();
            let _ = text::fill(&mut welcome, Text::Welcome.get(language), ui.display_name());
            lines.push(welcome);
            lines.push(text(Text::SignOutButton));
        }
        Screen::Problem(problem) => {
            lines.push(text(Text::SignInTitle));
            let mut headline = String::new();
            match problem {
                Problem::Throttled { retry_after_secs } => {
                    let mut wait = String::new();
                    let _ = text::duration(&mut wait, language, retry_after_secs);
                    let _ = text::fill(&mut headline, problem.text().get(language), &wait);
                }
                _ => headline.push_str(problem.text().get(language)),
            }
            lines.push(headline);
            if problem == Problem::WrongCredentials {
                lines.push(text(Text::AppPasswordExplained));
                lines.push(text(Text::CreateAppPasswordAt));
                lines.push(ui.config().security_info_url.to_owned());
            }
            for choice in ui.choices().into_iter().flatten() {
                lines.push(text(choice.text()));
            }
        }
    }
    lines.join("\n")
}
