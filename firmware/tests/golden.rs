//! Golden images: every screen, on every profile, in English and Dutch, rendered into an
//! in-memory display and compared pixel for pixel with the PNGs committed under
//! `firmware/tests/golden/` (named `<profile>-<language>-<screen>.png`).
//!
//! The screens are reached as a player reaches them: through [`Ui`], with the keyboard
//! planner typing and buttons pressed, so the images show real states (a half-typed email
//! address, a masked app password in groups of four, a picked stick column).
//!
//! # Regenerating
//! After a deliberate change to the look, regenerate the images and review them before
//! committing (every changed PNG is a visible change):
//!
//! ```sh
//! PADLOCK_BLESS=1 cargo test -p padlock-firmware --test golden
//! ```
//!
//! `PADLOCK_PREVIEW=<dir>` also writes every image magnified (×4 for the small displays) into
//! `<dir>`, for reviewing the small screens by eye.
//!
//! On a mismatch the test writes what it rendered next to the target directory's temporary
//! folder (the path is in the failure message) so the two can be compared side by side.

use std::path::PathBuf;

use embedded_graphics::Drawable;
use embedded_graphics::pixelcolor::{BinaryColor, Gray4, Rgb565, Rgb888};
use embedded_graphics::prelude::{Dimensions, PixelColor, Point, Size};
use embedded_graphics_simulator::{OutputSettings, SimulatorDisplay};
use padlock_firmware::bindings::Quick;
use padlock_firmware::input::{Button, Physical, StickSector};
use padlock_firmware::keyboard::planner::plan;
use padlock_firmware::keyboard::{Cell, Key, Layout};
use padlock_firmware::profile::{
    ColorDepth, MONO_128X32, MONO_128X64, OLED, Profile, QuickEntry, XBOX360, ZUNE,
};
use padlock_firmware::render::report::{Drawn, How};
use padlock_firmware::render::{Renderer, Themed};
use padlock_firmware::text::Language;
use padlock_firmware::ui::{
    Choice, Content, Fit, Focus, LinkAnswer, Outcome, Part, Screen, Ui, UiConfig,
};
use padlock_protocol::DenyReason;

const URL: &str = "https://account.example.com/security";
const EMAIL: &str = "alex.morgan@outlook.com";
/// The gateway's link page, and what the QR code of the code on screen holds.
const LINK_ADDRESS: &str = "https://gw.example/link";
const LINK_QR: &str = "https://gw.example/link?code=WDJBMJHT";

fn config(profile: &'static Profile, language: Language) -> UiConfig {
    UiConfig {
        profile,
        language,
        security_info_url: URL,
    }
}

/// Types `text` into the focused field with the planner's presses.
fn type_text(ui: &mut Ui, text: &str) {
    let keyboard = if ui.screen() == Screen::Account {
        ui.email().clone()
    } else {
        ui.password().clone()
    };
    let plan = plan(ui.config().profile, &keyboard, text)
        .unwrap_or_else(|| panic!("cannot type {text:?}"));
    for action in plan.actions {
        ui.input(action);
    }
}

fn press(ui: &mut Ui, button: Button) {
    ui.input(Physical::Press(button));
}

/// The password screen with the email filled in: a remembered account, cancelled.
fn password_screen(c: UiConfig) -> Ui {
    let mut ui = Ui::new(c, Some(EMAIL));
    ui.start();
    press(&mut ui, Button::B);
    if ui.screen() != Screen::Password {
        press(&mut ui, Button::A);
    }
    assert_eq!(ui.screen(), Screen::Password);
    ui
}

/// Presses on-screen `key` of the password keyboard as a player would: the controller's
/// button where it has one (RT symbols, LT shift), else strokes or cursor moves to the key.
fn press_key(ui: &mut Ui, key: Key, button: Button) {
    let profile = ui.config().profile;
    if profile.has(button) && profile.quick_entry != QuickEntry::TwoStroke {
        return press(ui, button);
    }
    let kb = ui.password().clone();
    let (rows, cols) = kb.layout().size(kb.page());
    let cell = (0..rows)
        .flat_map(|row| (0..cols).map(move |col| Cell { row, col }))
        .find(|c| kb.key(*c) == key)
        .expect("an on-screen key");
    if profile.quick_entry == QuickEntry::TwoStroke {
        let stroke = |i| {
            profile
                .bindings
                .for_quick(Quick::Stroke(i))
                .expect("a stroke")
                .button
        };
        press(ui, stroke(cell.row));
        return press(ui, stroke(cell.col));
    }
    while ui.password().cell().row != cell.row {
        press(ui, Button::Down);
    }
    while ui.password().cell().col != cell.col {
        press(ui, Button::Right);
    }
    press(ui, Button::A);
}

/// Picks "sign in with your phone" on the empty email keyboard: the fewest presses to its
/// Done, which is the phone choice while the field is empty.
fn choose_phone(ui: &mut Ui) {
    assert!(ui.phone_choice());
    let presses = padlock_firmware::keyboard::typing::finish(ui.config().profile, ui.email())
        .expect("the email keyboard has a Done");
    for action in presses {
        ui.input(action);
    }
    assert_eq!(ui.screen(), Screen::LinkStarting);
}

/// The link code screen, two seconds after the code came.
fn link_code(c: UiConfig) -> Ui {
    let mut ui = Ui::new(c, None);
    ui.start();
    choose_phone(&mut ui);
    ui.link_answer(
        LinkAnswer::Offer {
            code: *b"WDJBMJHT",
            address: LINK_ADDRESS.try_into().unwrap(),
            expires_in_secs: 600,
            poll_interval_secs: 5,
        },
        0,
    );
    ui.tick(2_000);
    assert_eq!(ui.screen(), Screen::LinkCode);
    ui
}

fn resumed(c: UiConfig) -> Ui {
    let mut ui = Ui::new(c, Some(EMAIL));
    ui.start();
    ui
}

/// Every screen state the goldens show, by name.
fn screens(profile: &'static Profile, language: Language) -> Vec<(&'static str, Ui)> {
    let c = config(profile, language);
    let mut out = Vec::new();

    let mut ui = Ui::new(c, None);
    ui.start();
    out.push(("account-empty", ui.clone()));
    type_text(&mut ui, "alex.m");
    out.push(("account-typing", ui.clone()));
    match profile.quick_entry {
        QuickEntry::StickWheel => {
            let mut picked = ui.clone();
            picked.input(Physical::Stick(StickSector::new(2)));
            out.push(("account-group", picked));
        }
        QuickEntry::TwoStroke => {
            let mut picked = ui.clone();
            press(&mut picked, Button::Down);
            out.push(("account-group", picked));
        }
        QuickEntry::None => {}
    }
    // A whole address: the cursor rests on the domain key it ended with.
    let mut domain = ui.clone();
    type_text(&mut domain, EMAIL);
    out.push(("account-domain", domain));
    // Typing a digit leaves the keyboard on its digits page.
    type_text(&mut ui, "alex.m7");
    out.push(("account-digits", ui));

    let mut ui = password_screen(c);
    out.push(("password-empty", ui.clone()));
    type_text(&mut ui, "abcdefg");
    out.push(("password-typing", ui.clone()));
    // The full keyboard, for an account password, with shift on.
    let mut full = ui.clone();
    press_key(&mut full, Key::Symbols, Button::Rt);
    press_key(&mut full, Key::Shift, Button::Lt);
    out.push(("password-full-keyboard", full));
    type_text(&mut ui, "abcdefghijklmnop");
    press(&mut ui, Button::Up);
    press(&mut ui, Button::A);
    out.push(("password-remember", ui));

    let mut ui = resumed(c);
    for t in 0..4 {
        ui.tick(t * 1000);
    }
    out.push(("signing-in", ui.clone()));
    ui.outcome(Outcome::Granted {
        display_name: "Alex Morgan".try_into().unwrap(),
    });
    out.push(("signed-in", ui));

    // The remembered sign-in expired: the password screen says why it asks again.
    let mut ui = resumed(c);
    ui.outcome(Outcome::Denied {
        reason: DenyReason::TokenInvalid,
        retry_after_secs: 0,
    });
    out.push(("password-token-invalid", ui));

    let mut ui = resumed(c);
    ui.outcome(Outcome::Denied {
        reason: DenyReason::WrongCredentials,
        retry_after_secs: 0,
    });
    out.push(("problem-wrong-credentials", ui));
    let mut ui = resumed(c);
    ui.outcome(Outcome::Denied {
        reason: DenyReason::Throttled,
        retry_after_secs: 300,
    });
    out.push(("problem-throttled", ui));
    let mut ui = resumed(c);
    ui.outcome(Outcome::CannotReach);
    out.push(("problem-cannot-reach", ui));

    let mut ui = Ui::new(c, None);
    ui.start();
    choose_phone(&mut ui);
    out.push(("link-starting", ui));
    let ui = link_code(c);
    out.push(("link-code", ui.clone()));
    let mut expired = ui.clone();
    expired.tick(600_000);
    out.push(("problem-link-expired", expired));
    let mut declined = ui;
    declined.link_answer(LinkAnswer::Declined, 7_000);
    out.push(("problem-link-declined", declined));
    out
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Renders `ui` on a display of the profile's size and colour, as RGB for the PNG.
fn render<C>(ui: &Ui) -> SimulatorDisplay<Rgb888>
where
    C: PixelColor + Themed + Into<Rgb888>,
{
    let d = ui.config().profile.display;
    let size = Size::new(d.width, d.height);
    let mut display = SimulatorDisplay::<C>::with_default_color(size, C::PALETTE.background);
    Renderer::new(size).draw(&mut display, ui).unwrap();
    let mut rgb = SimulatorDisplay::<Rgb888>::new(size);
    for y in 0..size.height as i32 {
        for x in 0..size.width as i32 {
            let p = Point::new(x, y);
            embedded_graphics::Pixel(p, display.get_pixel(p).into())
                .draw(&mut rgb)
                .unwrap();
        }
    }
    rgb
}

#[test]
fn every_screen_matches_its_golden_image() {
    let bless = std::env::var_os("PADLOCK_BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut count = 0;
    for profile in [&XBOX360, &ZUNE, &OLED, &MONO_128X64, &MONO_128X32] {
        for language in Language::ALL {
            for (name, ui) in screens(profile, language) {
                let rendered = match profile.display.color {
                    ColorDepth::Rgb565 => render::<Rgb565>(&ui),
                    ColorDepth::Gray4 => render::<Gray4>(&ui),
                    ColorDepth::Binary => render::<BinaryColor>(&ui),
                };
                let file = format!("{}-{}-{}.png", profile.name, language.code(), name);
                let path = golden_dir().join(&file);
                count += 1;
                if let Some(dir) = std::env::var_os("PADLOCK_PREVIEW") {
                    let scale = if profile.display.width >= 640 { 1 } else { 4 };
                    let settings = embedded_graphics_simulator::OutputSettingsBuilder::new()
                        .scale(scale)
                        .build();
                    rendered
                        .to_rgb_output_image(&settings)
                        .save_png(PathBuf::from(dir).join(&file))
                        .unwrap();
                }
                if bless {
                    rendered
                        .to_rgb_output_image(&OutputSettings::default())
                        .save_png(&path)
                        .unwrap();
                    continue;
                }
                let same = SimulatorDisplay::<Rgb888>::load_png(&path)
                    .ok()
                    .is_some_and(|golden| {
                        golden.bounding_box() == rendered.bounding_box()
                            && golden.diff(&rendered).is_none()
                    });
                if !same {
                    let actual = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(&file);
                    rendered
                        .to_rgb_output_image(&OutputSettings::default())
                        .save_png(&actual)
                        .unwrap();
                    failures.push(format!("{file} (rendered: {})", actual.display()));
                }
            }
        }
    }
    assert!(count >= 60, "only {count} screens");
    assert!(
        failures.is_empty(),
        "{} of {count} screens differ from tests/golden (regenerate with PADLOCK_BLESS=1 if \
         the change is intended):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The QR codes found in `image`, decoded, as a phone camera would read the screen.
fn decoded_qr_codes(image: &SimulatorDisplay<Rgb888>) -> Vec<String> {
    use embedded_graphics::pixelcolor::RgbColor;
    let size = image.bounding_box().size;
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        size.width as usize,
        size.height as usize,
        |x, y| {
            let c = image.get_pixel(Point::new(x as i32, y as i32));
            // Luma, as a camera sees it.
            ((u32::from(c.r()) * 299 + u32::from(c.g()) * 587 + u32::from(c.b()) * 114) / 1000)
                as u8
        },
    );
    prepared
        .detect_grids()
        .into_iter()
        .map(|grid| grid.decode().map(|(_, text)| text).unwrap_or_default())
        .collect()
}

#[test]
fn the_app_password_qr_code_in_the_goldens_reads_back_as_the_url() {
    for profile in [&XBOX360, &ZUNE, &OLED] {
        for language in Language::ALL {
            let file = format!(
                "{}-{}-problem-wrong-credentials.png",
                profile.name,
                language.code()
            );
            let golden = SimulatorDisplay::<Rgb888>::load_png(golden_dir().join(&file))
                .unwrap_or_else(|e| panic!("{file}: {e:?}"));
            let codes = decoded_qr_codes(&golden);
            if profile.display.height < 100 {
                // The OLED has no room for a readable code: the URL is written out instead.
                assert!(codes.is_empty(), "{file}: {codes:?}");
            } else {
                assert_eq!(codes, [URL], "{file}: one code, dark on light, read back");
            }
        }
    }
}

#[test]
fn the_link_qr_code_reads_back_as_the_address_with_the_code() {
    for profile in [&XBOX360, &ZUNE, &OLED] {
        for language in Language::ALL {
            let file = format!("{}-{}-link-code.png", profile.name, language.code());
            let golden = SimulatorDisplay::<Rgb888>::load_png(golden_dir().join(&file))
                .unwrap_or_else(|e| panic!("{file}: {e:?}"));
            let codes = decoded_qr_codes(&golden);
            if profile.display.height < 100 {
                // Two pixels a module do not fit the address and code: they are written out.
                assert!(codes.is_empty(), "{file}: {codes:?}");
            } else {
                assert_eq!(codes, [LINK_QR], "{file}: one code, read back");
            }
            // The code and the address are on every display, whole.
            let drawn = reported(&link_code(config(profile, language)));
            for (part, text) in [(Part::Code, "WDJB-MJHT"), (Part::Link, "gw.example/link")] {
                assert!(
                    drawn.contains(&(part, text.to_owned(), How::Whole)),
                    "{file}: {drawn:?}"
                );
            }
        }
    }
}

/// What a full draw of `ui` reports, piece by piece.
fn reported(ui: &Ui) -> Vec<(Part, String, How)> {
    let d = ui.config().profile.display;
    let mut drawn = Vec::new();
    let mut report = |d: &Drawn<'_>| drawn.push((d.part, d.shown.to_owned(), d.how));
    Renderer::new(Size::new(d.width, d.height)).report(ui, &mut report);
    drawn
}

#[test]
fn every_piece_of_a_screen_is_reported_as_drawn_and_the_account_always_shows() {
    for profile in [&XBOX360, &ZUNE, &OLED] {
        for language in Language::ALL {
            for (name, ui) in screens(profile, language) {
                let at = format!("{}-{}-{name}", profile.name, language.code());
                let content = Content::of(&ui);
                let drawn = reported(&ui);
                // The content's pieces, in order, each reported once (fields come besides).
                let parts: Vec<Part> = drawn
                    .iter()
                    .map(|d| d.0)
                    .filter(|p| *p != Part::Field)
                    .collect();
                let expected: Vec<Part> = content.pieces().map(|p| p.part).collect();
                assert_eq!(parts, expected, "{at}");
                for (piece, (_, shown, how)) in content
                    .pieces()
                    .zip(drawn.iter().filter(|d| d.0 != Part::Field))
                {
                    match how {
                        How::Whole => assert_eq!(shown, piece.text, "{at}"),
                        How::LeftOut => {
                            assert_eq!(shown, "", "{at}");
                            let hidden = match piece.fit {
                                Fit::Optional => true,
                                Fit::Controls => ui.focus() == Focus::Keyboard,
                                Fit::Whole | Fit::Ellipsis => false,
                            };
                            assert!(hidden, "{at}: {:?} dropped", piece.part);
                        }
                        How::Cut | How::Ellipsis | How::Scrolled => {
                            assert!(piece.text.starts_with(shown.as_str()), "{at}");
                            assert!(shown.len() < piece.text.len(), "{at}");
                        }
                    }
                }
                if ui.screen() == Screen::Password {
                    let account = drawn.iter().find(|d| d.0 == Part::Account).unwrap();
                    assert!(
                        account.2 == How::Whole && account.1 == EMAIL
                            || account.2 == How::Ellipsis && account.1.len() >= 8,
                        "{at}: the account is on the display: {account:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn an_expired_sign_in_says_why_it_asks_again_on_every_display() {
    for profile in [&XBOX360, &ZUNE, &OLED] {
        for language in Language::ALL {
            let mut ui = resumed(config(profile, language));
            ui.outcome(Outcome::Denied {
                reason: DenyReason::TokenInvalid,
                retry_after_secs: 0,
            });
            let why = padlock_firmware::text::Text::TokenInvalid.get(language);
            let drawn = reported(&ui);
            assert!(
                drawn.contains(&(Part::Hint, why.to_owned(), How::Whole)),
                "{} {}: {drawn:?}",
                profile.name,
                language.code()
            );
            // Once the player types, a notice with no band of its own gives way.
            if profile.display.height < 100 {
                type_text(&mut ui, "abc");
                let drawn = reported(&ui);
                assert!(drawn.contains(&(Part::Hint, String::new(), How::LeftOut)));
            }
        }
    }
}

#[test]
fn a_dropped_text_is_reported_as_not_on_the_display() {
    // The OLED has no room for the app-password hint: it must not count as shown.
    let ui = password_screen(config(&OLED, Language::English));
    let drawn = reported(&ui);
    assert!(
        drawn.contains(&(Part::Hint, String::new(), How::LeftOut)),
        "{drawn:?}"
    );
    assert!(!drawn.iter().any(|d| d.1.contains("app password")));
}

#[test]
fn every_button_label_shown_is_drawn_whole_on_every_display() {
    for profile in [&XBOX360, &ZUNE, &OLED] {
        for language in Language::ALL {
            // Every golden screen, and a problem after a sign-in (Try again, Back) besides the
            // one after a resume (Try again, Use password).
            let mut after_sign_in = resumed(config(profile, language));
            after_sign_in.outcome(Outcome::CannotReach);
            // Use password (the second button), then sign in with an app password.
            press(&mut after_sign_in, Button::Down);
            press(&mut after_sign_in, Button::A);
            type_text(&mut after_sign_in, "abcdabcdabcdabcd");
            press(&mut after_sign_in, Button::A);
            after_sign_in.outcome(Outcome::CannotReach);
            assert_eq!(
                after_sign_in.choices(),
                [Some(Choice::Retry), Some(Choice::Back)]
            );
            let mut all = screens(profile, language);
            all.push(("problem-after-sign-in", after_sign_in));
            for (name, ui) in all {
                for (part, shown, how) in reported(&ui) {
                    // Left out while the player types is the content's rule (tested above);
                    // a button that shows reads whole.
                    if part == Part::Button {
                        assert!(
                            matches!(how, How::Whole | How::LeftOut),
                            "{}-{}-{name}: the button reads {shown:?}",
                            profile.name,
                            language.code()
                        );
                    }
                }
            }
        }
    }
}
