//! Keyboard efficiency: presses per character and per email address, planned with the real
//! keyboard logic on each profile and on the anchor layouts of DESIGN.md section 8.
//!
//! `cargo bench -p padlock-firmware --bench keyboard` prints `figure` lines and rewrites the
//! keyboard section of `docs/benchmarks.md`. Presses count each button press and each move of
//! the stick into a sector; the stick's return to centre is free; the cursor starts where the
//! keyboard opens; typing ends when the field holds the text (the final Done is not counted,
//! for our keyboard or the anchors).

use padlock_figures::Report;
use padlock_firmware::input::{Button, ButtonSet};
use padlock_firmware::keyboard::layout::anchors::{self, GridLayout};
use padlock_firmware::keyboard::planner::plan;
use padlock_firmware::keyboard::{Keyboard, Layout, Mode};
use padlock_firmware::profile::{OLED, Profile, QuickEntry, XBOX360, ZUNE};

const APP_PASSWORDS: &str = include_str!("corpus/app_passwords.txt");
const EMAILS: &str = include_str!("corpus/emails.txt");

/// A controller for the anchors: the D-pad, select, and a shift button (`@` is behind shift
/// on the Switch-style page).
const ANCHOR_PAD: Profile = Profile {
    name: "anchor",
    buttons: ButtonSet::of(&[
        Button::Up,
        Button::Down,
        Button::Left,
        Button::Right,
        Button::A,
        Button::Lt,
    ]),
    stick: false,
    quick_entry: QuickEntry::None,
    ..OLED
};

/// Total presses to type every line of `corpus`, and the number of lines and characters.
fn presses<L: Layout + Clone>(
    profile: &Profile,
    start: &Keyboard<L>,
    corpus: &str,
) -> (u64, u64, u64) {
    let (mut presses, mut lines, mut chars) = (0, 0, 0);
    for line in corpus.lines().filter(|l| !l.is_empty()) {
        let plan = plan(profile, start, line)
            .unwrap_or_else(|| panic!("{} cannot type {line:?}", profile.name));
        presses += u64::from(plan.presses);
        lines += 1;
        chars += line.chars().count() as u64;
    }
    (presses, lines, chars)
}

fn ours(profile: &Profile, mode: Mode, corpus: &str) -> (u64, u64, u64) {
    presses(profile, &Keyboard::for_profile(profile, mode), corpus)
}

fn anchor(layout: GridLayout, corpus: &str) -> (u64, u64, u64) {
    // General mode: the anchors type what their keys say, shift included.
    presses(
        &ANCHOR_PAD,
        &Keyboard::new(layout, Mode::General, QuickEntry::None),
        corpus,
    )
}

fn per_char((presses, _, chars): (u64, u64, u64)) -> f64 {
    presses as f64 / chars as f64
}

fn per_line((presses, lines, _): (u64, u64, u64)) -> f64 {
    presses as f64 / lines as f64
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let (passwords, emails) = if quick {
        // `cargo test --benches`: a smoke run on the first lines.
        (
            APP_PASSWORDS.lines().take(5).collect::<Vec<_>>().join("\n"),
            EMAILS.lines().take(3).collect::<Vec<_>>().join("\n"),
        )
    } else {
        (APP_PASSWORDS.to_string(), EMAILS.to_string())
    };

    let mut report = Report::new(
        "padlock-firmware keyboard",
        "cargo bench -p padlock-firmware --bench keyboard",
    );
    report.note(
        "Corpora (committed, seeded: `firmware/benches/corpus/generate.py`): 1,000 random \
         16-letter app passwords and 500 email addresses. Every figure is the keyboard planner \
         (a 0-1 breadth-first search over the real keyboard state machine and button mapping) \
         typing each line from a fresh keyboard. Presses: each button press and each stick move \
         into a sector is one; the stick's return to centre is free; the final Done is not \
         counted. Anchors: the Switch-style 12 x 4 page (wrapping, `@` behind shift) and the \
         PS4-style 10 x 4 page (no wrap) of DESIGN.md section 8, on a D-pad with select and \
         shift. Bars: app passwords at most 2.0 per character on the Xbox 360 and 3.0 on the \
         Zune; email addresses at most 40% of the better anchor.",
    );

    let xbox_pw = per_char(ours(&XBOX360, Mode::AppPassword, &passwords));
    let zune_pw = per_char(ours(&ZUNE, Mode::AppPassword, &passwords));
    let oled_pw = per_char(ours(&OLED, Mode::AppPassword, &passwords));
    let switch_pw = per_char(anchor(anchors::SWITCH, &passwords));
    let ps4_pw = per_char(anchor(anchors::PS4, &passwords));
    report
        .figure(
            "presses_per_char_app_password_xbox360",
            xbox_pw,
            "presses/char",
        )
        .figure(
            "presses_per_char_app_password_zune",
            zune_pw,
            "presses/char",
        )
        .figure(
            "presses_per_char_app_password_oled",
            oled_pw,
            "presses/char",
        )
        .figure(
            "presses_per_char_app_password_anchor_switch",
            switch_pw,
            "presses/char",
        )
        .figure(
            "presses_per_char_app_password_anchor_ps4",
            ps4_pw,
            "presses/char",
        );

    let xbox_mail = per_line(ours(&XBOX360, Mode::Email, &emails));
    let zune_mail = per_line(ours(&ZUNE, Mode::Email, &emails));
    let oled_mail = per_line(ours(&OLED, Mode::Email, &emails));
    let switch_mail = per_line(anchor(anchors::SWITCH, &emails));
    let ps4_mail = per_line(anchor(anchors::PS4, &emails));
    let better_anchor = switch_mail.min(ps4_mail);
    report
        .figure("presses_per_email_xbox360", xbox_mail, "presses")
        .figure("presses_per_email_zune", zune_mail, "presses")
        .figure("presses_per_email_oled", oled_mail, "presses")
        .figure("presses_per_email_anchor_switch", switch_mail, "presses")
        .figure("presses_per_email_anchor_ps4", ps4_mail, "presses")
        .figure(
            "presses_per_email_xbox360_share_of_better_anchor",
            100.0 * xbox_mail / better_anchor,
            "%",
        )
        .figure(
            "presses_per_email_zune_share_of_better_anchor",
            100.0 * zune_mail / better_anchor,
            "%",
        );

    if quick {
        return;
    }
    if let Err(e) = report.write_docs() {
        eprintln!("could not update docs/benchmarks.md: {e}");
    }
}
