//! Keyboard efficiency: presses per character and per email address, planned with the real
//! keyboard logic on each profile and on the anchor layouts of DESIGN.md section 8.
//!
//! `cargo bench -p padlock-firmware --bench keyboard` prints `figure` lines and rewrites the
//! keyboard section of `docs/benchmarks.md`. Presses count each button press and each move of
//! the stick into a sector; the stick's return to centre is free; the cursor starts where the
//! keyboard opens; typing ends when the field holds the text (the final Done is not counted,
//! for our keyboard or the anchors).
//!
//! It also measures display traffic: the bytes a D-pad move sends to the display, through the
//! real renderer's partial redraw and a counting draw target, as a share of a full frame.

use embedded_graphics::Pixel;
use embedded_graphics::pixelcolor::{Gray4, Rgb565};
use embedded_graphics::prelude::{DrawTarget, OriginDimensions, PixelColor, Size};
use padlock_figures::Report;
use padlock_firmware::bindings::{Action, Binding, Bindings, CURSOR};
use padlock_firmware::input::Button;
use padlock_firmware::input::Physical;
use padlock_firmware::keyboard::layout::anchors::{self, GridLayout};
use padlock_firmware::keyboard::planner::plan;
use padlock_firmware::keyboard::{KeyInput, Keyboard, Layout, Mode};
use padlock_firmware::profile::{OLED, Profile, QuickEntry, XBOX360, ZUNE};
use padlock_firmware::render::count::Counting;
use padlock_firmware::render::{Renderer, Themed};
use padlock_firmware::text::Language;
use padlock_firmware::ui::{Screen, Ui, UiConfig};

const APP_PASSWORDS: &str = include_str!("corpus/app_passwords.txt");
const EMAILS: &str = include_str!("corpus/emails.txt");

/// The anchors' buttons: the board's cursor and select, and LT for shift.
const ANCHOR_BUTTONS: &[Binding] = &[
    Binding {
        button: Button::Lt,
        name: "LT",
        action: Action::Type(KeyInput::Shift),
        quick: None,
    },
    CURSOR.lines()[0],
    CURSOR.lines()[1],
    CURSOR.lines()[2],
    CURSOR.lines()[3],
    CURSOR.lines()[4],
];

/// A controller for the anchors: the D-pad, select, and a shift button (`@` is behind shift
/// on the Switch-style page).
const ANCHOR_PAD: Profile = Profile {
    name: "anchor",
    bindings: Bindings::new(ANCHOR_BUTTONS),
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

    display_figures(&mut report, if quick { 20 } else { 2_000 });

    if quick {
        return;
    }
    if let Err(e) = report.write_docs() {
        eprintln!("could not update docs/benchmarks.md: {e}");
    }
}

/// A display that keeps nothing: the counting target around it is the measurement.
struct NullDisplay<C>(Size, core::marker::PhantomData<C>);

impl<C> OriginDimensions for NullDisplay<C> {
    fn size(&self) -> Size {
        self.0
    }
}

impl<C: PixelColor> DrawTarget for NullDisplay<C> {
    type Color = C;
    type Error = core::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<C>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        pixels.into_iter().for_each(drop);
        Ok(())
    }
}

/// Average bytes sent to the display per pad press, as a percentage of a full frame, over
/// `presses` presses of a seeded random walk on the email screen. On a cursor profile each
/// press moves the grid cursor; on the two-stroke Zune each press is a stroke (a row, then
/// a key, which types it), so its figure includes the typed character's field redraw.
fn dpad_share<C: PixelColor + Themed>(profile: &'static Profile, presses: u32) -> f64 {
    let config = UiConfig {
        profile,
        language: Language::English,
        security_info_url: "https://account.example.com/security",
    };
    let mut ui = Ui::new(config, None);
    ui.start();
    let size = Size::new(profile.display.width, profile.display.height);
    let renderer = Renderer::new(size);
    let mut display = Counting::new(NullDisplay::<C>(size, core::marker::PhantomData));
    let _ = renderer.draw(&mut display, &ui);
    display.reset();
    let directions = [Button::Up, Button::Down, Button::Left, Button::Right];
    // A fixed linear congruential sequence: the same walk on every run.
    let mut seed: u32 = 0x5eed;
    let mut counted = 0u64;
    for _ in 0..presses {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let button = directions[(seed >> 16) as usize % directions.len()];
        let effects = ui.input(Physical::Press(button));
        if ui.screen() != Screen::Account {
            break;
        }
        let _ = renderer.redraw(&mut display, &ui, effects.redraw);
        counted += 1;
    }
    let per_press = display.bytes() as f64 / counted.max(1) as f64;
    100.0 * per_press / display.frame_bytes() as f64
}

fn display_figures(report: &mut Report, presses: u32) {
    report.note(
        "Display traffic: a seeded random walk of D-pad presses on the email screen, each \
         redrawn through the renderer's partial redraw into a counting draw target; bytes are \
         pixels written x bits per pixel / 8 (RGB565: 2 bytes, 4-bit grey: half a byte), as a \
         share of one full frame. On the Zune the pad's presses are strokes (row, then key), \
         so its figure includes the picked row's highlight and each typed character's field. \
         Bar: at most 5% of a frame on the Xbox 360.",
    );
    report
        .figure(
            "display_bytes_per_dpad_move_xbox360",
            dpad_share::<Rgb565>(&XBOX360, presses),
            "% of a frame",
        )
        .figure(
            "display_bytes_per_dpad_move_zune",
            dpad_share::<Rgb565>(&ZUNE, presses),
            "% of a frame",
        )
        .figure(
            "display_bytes_per_dpad_move_oled",
            dpad_share::<Gray4>(&OLED, presses),
            "% of a frame",
        );
}
