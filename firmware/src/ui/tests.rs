use super::*;
use crate::bindings::Quick;
use crate::input::Button;
use crate::keyboard::planner::plan;
use crate::keyboard::typing::keystrokes_into;
use crate::profile::{OLED, QuickEntry, XBOX360, ZUNE};

const URL: &str = "https://account.example.com/security";

fn new_ui(profile: &'static Profile, remembered: Option<&str>) -> Ui {
    Ui::new(
        UiConfig {
            profile,
            language: Language::English,
            security_info_url: URL,
        },
        remembered,
    )
}

fn press(ui: &mut Ui, button: Button) -> Effects {
    ui.input(Physical::Press(button))
}

/// Types `text` into the focused field with the planner's presses, as a player would.
fn type_text(ui: &mut Ui, text: &str) {
    for action in keystrokes_into(ui, text).expect("typeable") {
        ui.input(action);
    }
}

/// From a fresh device to the Sign in request, on any profile.
fn sign_in(ui: &mut Ui, email: &str, password: &str) -> Effects {
    type_text(ui, email);
    finish_with_on_screen_done(ui);
    assert_eq!(ui.screen(), Screen::Password);
    type_text(ui, password);
    assert_eq!(ui.focus(), Focus::SignIn, "16 letters move on to Sign in");
    press(ui, Button::A)
}

fn finish_with_on_screen_done(ui: &mut Ui) {
    press_on_screen(ui, crate::keyboard::Key::Done);
}

/// Presses `key` of the focused field's keyboard as a player would: through the grid, or with
/// Start for Done where there is no Done key.
fn press_on_screen(ui: &mut Ui, key: crate::keyboard::Key) {
    use crate::keyboard::Cell;
    let field = |ui: &Ui| {
        if ui.screen() == Screen::Account {
            ui.email().clone()
        } else {
            ui.password().clone()
        }
    };
    let kb = field(ui);
    let (rows, cols) = crate::keyboard::Layout::size(kb.layout(), kb.page());
    let target = (0..rows)
        .flat_map(|row| (0..cols).map(move |col| Cell { row, col }))
        .find(|c| kb.key(*c) == key);
    let Some(target) = target else {
        // The Xbox 360 has Start for Done, and no Done key.
        press(ui, Button::Start);
        return;
    };
    if ui.config().profile.quick_entry == QuickEntry::TwoStroke {
        // The row's stroke, then the column's.
        let bindings = ui.config().profile.bindings;
        let stroke = |i| {
            bindings
                .for_quick(Quick::Stroke(i))
                .expect("a stroke")
                .button
        };
        press(ui, stroke(target.row));
        press(ui, stroke(target.col));
        return;
    }
    // Walk there: down then right; the grid wraps, so this always arrives.
    while field(ui).cell().row != target.row {
        press(ui, Button::Down);
    }
    while field(ui).cell().col != target.col {
        press(ui, Button::Right);
    }
    press(ui, Button::A);
}

#[test]
fn first_sign_in_on_every_profile() {
    for profile in [&XBOX360, &ZUNE, &OLED] {
        let mut ui = new_ui(profile, None);
        assert_eq!(ui.start(), Effects::screen());
        let effects = sign_in(&mut ui, "alex@outlook.com", "abcdefghijklmnop");
        assert_eq!(effects.request, Some(UiRequest::SignIn), "{}", profile.name);
        assert_eq!(ui.screen(), Screen::SigningIn);
        assert_eq!(ui.email().text(), "alex@outlook.com");
        assert_eq!(ui.password().text(), "abcdefghijklmnop");
        let effects = ui.outcome(Outcome::Granted {
            display_name: "Alex".try_into().unwrap(),
        });
        assert_eq!(effects.redraw, Redraw::Screen);
        assert_eq!(ui.screen(), Screen::SignedIn);
        assert_eq!(ui.display_name(), "Alex");
        assert_eq!(ui.password().text(), "", "the password is not kept");
    }
}

#[test]
fn remember_checkbox_is_reached_and_toggled() {
    let mut ui = new_ui(&XBOX360, None);
    type_text(&mut ui, "a@b.c");
    press(&mut ui, Button::Start);
    type_text(&mut ui, "abcdefghijklmnop");
    assert_eq!(ui.focus(), Focus::SignIn);
    assert_eq!(press(&mut ui, Button::Up).redraw, Redraw::Controls);
    assert_eq!(ui.focus(), Focus::Remember);
    press(&mut ui, Button::A);
    assert!(ui.remember());
    press(&mut ui, Button::Down);
    assert_eq!(press(&mut ui, Button::A).request, Some(UiRequest::SignIn));
}

#[test]
fn wrong_credentials_explain_app_passwords_and_lead_back() {
    let mut ui = new_ui(&XBOX360, None);
    sign_in(&mut ui, "alex@outlook.com", "abcdefghijklmnop");
    ui.outcome(Outcome::Denied {
        reason: DenyReason::WrongCredentials,
        retry_after_secs: 0,
    });
    assert_eq!(ui.screen(), Screen::Problem(Problem::WrongCredentials));
    assert_eq!(ui.password().text(), "", "a wrong password is wiped");
    assert_eq!(ui.choices(), [Some(Choice::Ok), Some(Choice::Back)]);
    press(&mut ui, Button::A);
    assert_eq!(ui.screen(), Screen::Password);
    assert_eq!(ui.email().text(), "alex@outlook.com");

    // B on the explanation goes back to the account, to fix a mistyped address.
    sign_in_again(&mut ui);
    ui.outcome(Outcome::Denied {
        reason: DenyReason::WrongCredentials,
        retry_after_secs: 0,
    });
    press(&mut ui, Button::B);
    assert_eq!(ui.screen(), Screen::Account);
}

fn sign_in_again(ui: &mut Ui) {
    type_text(ui, "abcdefghijklmnop");
    press(ui, Button::A);
    assert_eq!(ui.screen(), Screen::SigningIn);
}

#[test]
fn throttled_says_when_and_goes_back_to_the_password() {
    let mut ui = new_ui(&ZUNE, None);
    sign_in(&mut ui, "alex@outlook.com", "abcdefghijklmnop");
    ui.outcome(Outcome::Denied {
        reason: DenyReason::Throttled,
        retry_after_secs: 300,
    });
    assert_eq!(
        ui.screen(),
        Screen::Problem(Problem::Throttled {
            retry_after_secs: 300
        })
    );
    assert_eq!(ui.choices(), [Some(Choice::Ok), None]);
    press(&mut ui, Button::A);
    assert_eq!(ui.screen(), Screen::Password);
}

#[test]
fn only_the_gateway_s_authenticated_denial_says_the_device_needs_an_update() {
    let mut ui = new_ui(&XBOX360, None);
    sign_in(&mut ui, "alex@outlook.com", "abcdefghijklmnop");
    ui.outcome(Outcome::Denied {
        reason: DenyReason::UnsupportedVersion,
        retry_after_secs: 0,
    });
    assert_eq!(ui.screen(), Screen::Problem(Problem::UpdateNeeded));
    assert_eq!(ui.choices(), [Some(Choice::Ok), None]);
}

#[test]
fn network_failures_offer_retry_which_asks_again() {
    for outcome in [
        Outcome::NoNetwork,
        Outcome::CannotReach,
        Outcome::TimedOut,
        Outcome::ConnectionLost,
        Outcome::ProtocolError,
        Outcome::Busy,
    ] {
        let mut ui = new_ui(&XBOX360, None);
        sign_in(&mut ui, "alex@outlook.com", "abcdefghijklmnop");
        ui.outcome(outcome.clone());
        assert!(matches!(ui.screen(), Screen::Problem(_)), "{outcome:?}");
        assert_eq!(ui.choices(), [Some(Choice::Retry), Some(Choice::Back)]);
        let effects = press(&mut ui, Button::A);
        assert_eq!(effects.request, Some(UiRequest::SignIn), "{outcome:?}");
        assert_eq!(
            ui.password().text(),
            "abcdefghijklmnop",
            "kept for the retry"
        );
        ui.outcome(outcome);
        press(&mut ui, Button::Right);
        assert_eq!(ui.choice(), 1);
        press(&mut ui, Button::A);
        assert_eq!(ui.screen(), Screen::Password);
    }
}

#[test]
fn remembered_account_resumes_silently() {
    let mut ui = new_ui(&XBOX360, Some("alex@outlook.com"));
    assert_eq!(ui.screen(), Screen::SigningIn);
    assert_eq!(ui.start().request, Some(UiRequest::Resume));
    assert!(ui.resuming());
    assert_eq!(ui.signing_in_line(), "Signing in as alex@outlook.com");
    ui.outcome(Outcome::Granted {
        display_name: "Alex".try_into().unwrap(),
    });
    assert_eq!(ui.screen(), Screen::SignedIn);
    // Sign out forgets, and the next player starts at the account with the email kept.
    assert_eq!(press(&mut ui, Button::A).request, Some(UiRequest::SignOut));
    assert_eq!(ui.screen(), Screen::Account);
    assert_eq!(ui.email().text(), "alex@outlook.com");
}

#[test]
fn invalid_token_goes_to_the_password_with_the_email_filled_in() {
    let mut ui = new_ui(&ZUNE, Some("alex@outlook.com"));
    ui.start();
    ui.outcome(Outcome::Denied {
        reason: DenyReason::TokenInvalid,
        retry_after_secs: 0,
    });
    assert_eq!(ui.screen(), Screen::Password);
    assert_eq!(ui.email().text(), "alex@outlook.com");
    assert_eq!(ui.notice(), Some(Text::TokenInvalid));
}

#[test]
fn unreachable_on_resume_offers_retry_or_password() {
    let mut ui = new_ui(&XBOX360, Some("alex@outlook.com"));
    ui.start();
    ui.outcome(Outcome::CannotReach);
    assert_eq!(
        ui.choices(),
        [Some(Choice::Retry), Some(Choice::UsePassword)]
    );
    assert_eq!(press(&mut ui, Button::A).request, Some(UiRequest::Resume));
    ui.outcome(Outcome::CannotReach);
    press(&mut ui, Button::B);
    assert_eq!(ui.screen(), Screen::Password);
}

#[test]
fn cancel_and_late_answers() {
    let mut ui = new_ui(&OLED, None);
    sign_in(&mut ui, "alex@outlook.com", "abcdefghijklmnop");
    assert_eq!(press(&mut ui, Button::A).request, Some(UiRequest::Cancel));
    assert_eq!(ui.screen(), Screen::Password);
    let late = ui.outcome(Outcome::Granted {
        display_name: "Alex".try_into().unwrap(),
    });
    assert_eq!(late, Effects::default());
    assert_eq!(ui.screen(), Screen::Password);
}

#[test]
fn back_always_leads_somewhere() {
    let mut ui = new_ui(&XBOX360, None);
    assert_eq!(press(&mut ui, Button::B).request, Some(UiRequest::Leave));
    type_text(&mut ui, "a@b.c");
    press(&mut ui, Button::Start);
    assert_eq!(press(&mut ui, Button::B).redraw, Redraw::Screen);
    assert_eq!(ui.screen(), Screen::Account);
    // On the board, with no back button, an on-screen Back key does it.
    let mut ui = new_ui(&OLED, None);
    type_text(&mut ui, "a@b.c");
    finish_with_on_screen_done(&mut ui);
    assert_eq!(ui.screen(), Screen::Password);
    press_on_screen(&mut ui, crate::keyboard::Key::Back);
    assert_eq!(ui.screen(), Screen::Account);
    press_on_screen(&mut ui, crate::keyboard::Key::Back);
    assert_eq!(
        ui.screen(),
        Screen::Account,
        "leaving is the device's business"
    );
}

#[test]
fn progress_ticks_only_while_signing_in() {
    let mut ui = new_ui(&XBOX360, Some("a@b.c"));
    ui.start();
    assert_eq!(ui.tick(0).redraw, Redraw::Progress);
    assert_eq!(ui.tick(100).redraw, Redraw::Nothing);
    assert_eq!(ui.tick(150).redraw, Redraw::Progress);
    assert_eq!(ui.progress_frame(), 2);
    assert_eq!(ui.next_tick(), Some(300));
    ui.outcome(Outcome::Busy);
    assert_eq!(ui.tick(1000).redraw, Redraw::Nothing);
    assert_eq!(ui.next_tick(), None);
}

#[test]
fn an_empty_password_cannot_be_submitted() {
    let mut ui = new_ui(&XBOX360, None);
    type_text(&mut ui, "a@b.c");
    press(&mut ui, Button::Start);
    press(&mut ui, Button::Start);
    assert_eq!(ui.focus(), Focus::SignIn);
    assert_eq!(press(&mut ui, Button::A).request, None);
    assert_eq!(ui.focus(), Focus::Keyboard);
}

#[test]
fn redraws_merge_to_what_covers_both() {
    use crate::keyboard::Damage;
    let keys = Redraw::Keyboard(Damage {
        field: true,
        ..Damage::default()
    });
    assert_eq!(Redraw::Nothing.merge(keys), keys);
    assert_eq!(keys.merge(Redraw::Nothing), keys);
    assert_eq!(Redraw::Controls.merge(Redraw::Controls), Redraw::Controls);
    assert_eq!(keys.merge(Redraw::Controls), Redraw::Screen);
    assert_eq!(Redraw::Progress.merge(Redraw::Screen), Redraw::Screen);
}

/// The demo account's primary password: it needs the full keyboard's symbols page.
const ACCOUNT_PASSWORD: &str = "couch-potato-42";
const APP_PASSWORD: &str = "abcdefghijklmnop";

/// The password screen, refused with an account password typed on the full keyboard, then
/// OK: the story of a two-step account's first try.
fn refused_then_ok(profile: &'static Profile) -> Ui {
    let mut ui = new_ui(profile, None);
    type_text(&mut ui, "alex.morgan@outlook.com");
    finish_with_on_screen_done(&mut ui);
    type_text(&mut ui, ACCOUNT_PASSWORD);
    assert_eq!(ui.password().mode(), crate::keyboard::Mode::General);
    press_on_screen(&mut ui, crate::keyboard::Key::Done);
    assert_eq!(ui.focus(), Focus::SignIn);
    assert_eq!(press(&mut ui, Button::A).request, Some(UiRequest::SignIn));
    ui.outcome(Outcome::Denied {
        reason: DenyReason::WrongCredentials,
        retry_after_secs: 0,
    });
    assert_eq!(press(&mut ui, Button::A).redraw, Redraw::Screen, "OK");
    ui
}

/// The app password typed on the screen as it opened, then A, as a player does it.
fn app_password_then_a(ui: &mut Ui) {
    let name = ui.config().profile.name;
    assert_eq!(ui.screen(), Screen::Password, "{name}");
    assert_eq!(
        ui.password().mode(),
        crate::keyboard::Mode::AppPassword,
        "{name}: the password screen opens on the app-password letters"
    );
    assert_eq!(ui.focus(), Focus::Keyboard, "{name}");
    type_text(ui, APP_PASSWORD);
    assert_eq!(
        ui.focus(),
        Focus::SignIn,
        "{name}: the 16th letter moves on"
    );
    assert_eq!(
        press(ui, Button::A).request,
        Some(UiRequest::SignIn),
        "{name}: A signs in"
    );
    assert_eq!(ui.password().text(), APP_PASSWORD, "{name}");
}

#[test]
fn after_a_refusal_the_app_password_keyboard_is_back() {
    for profile in [&XBOX360, &ZUNE] {
        let mut ui = refused_then_ok(profile);
        app_password_then_a(&mut ui);
    }
}

#[test]
fn every_way_to_the_password_screen_opens_on_the_app_password_letters() {
    for profile in [&XBOX360, &ZUNE, &OLED] {
        // Back to the account from the full keyboard, and Done again.
        let mut ui = new_ui(profile, None);
        type_text(&mut ui, "a@b.c");
        finish_with_on_screen_done(&mut ui);
        type_text(&mut ui, "a1");
        if profile.has(Button::B) {
            press(&mut ui, Button::B);
        } else if profile.has(Button::Back) {
            // The Zune's Back deletes first, then leaves.
            for _ in 0..3 {
                press(&mut ui, Button::Back);
            }
        } else {
            press_on_screen(&mut ui, crate::keyboard::Key::Back);
        }
        assert_eq!(ui.screen(), Screen::Account, "{}", profile.name);
        finish_with_on_screen_done(&mut ui);
        app_password_then_a(&mut ui);

        // Cancelled while signing in with an account password.
        let mut ui = new_ui(profile, None);
        type_text(&mut ui, "a@b.c");
        finish_with_on_screen_done(&mut ui);
        type_text(&mut ui, "a1");
        press_on_screen(&mut ui, crate::keyboard::Key::Done);
        press(&mut ui, Button::A);
        assert_eq!(ui.screen(), Screen::SigningIn);
        assert_eq!(press(&mut ui, Button::A).request, Some(UiRequest::Cancel));
        app_password_then_a(&mut ui);
    }
}

#[test]
fn the_stick_let_go_on_sign_in_is_seen_by_the_keyboard() {
    let mut ui = new_ui(&XBOX360, None);
    type_text(&mut ui, "a@b.c");
    press(&mut ui, Button::Start);
    // The planner's own presses, which end with the stick held (`type_text` lets go).
    let planned = plan(&XBOX360, ui.password(), APP_PASSWORD).expect("typeable");
    for action in planned.actions {
        ui.input(action);
    }
    assert_eq!(ui.focus(), Focus::SignIn);
    assert!(
        ui.password().group().is_some(),
        "the 16th letter came from the wheel, the stick still deflected"
    );
    ui.input(Physical::Stick(None));
    assert_eq!(ui.password().group(), None, "let go while on Sign in");
    press(&mut ui, Button::Up);
    press(&mut ui, Button::Up);
    assert_eq!(ui.focus(), Focus::Keyboard);
    press(&mut ui, Button::X);
    assert_eq!(ui.password().text(), &APP_PASSWORD[..15], "X deletes");
}

#[test]
fn screens_and_endings_have_one_slug_each_that_reads_back() {
    let screens: std::vec::Vec<&str> = Screen::all().map(Screen::slug).collect();
    let endings: std::vec::Vec<&str> = Ending::all().map(Ending::slug).collect();
    for slugs in [&screens, &endings] {
        let mut unique = slugs.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), slugs.len(), "{slugs:?}");
    }
    for screen in Screen::all() {
        assert_eq!(
            Screen::from_slug(screen.slug()).map(Screen::slug),
            Some(screen.slug())
        );
    }
    for ending in Ending::all() {
        assert_eq!(
            Ending::from_slug(ending.slug()).map(Ending::slug),
            Some(ending.slug())
        );
    }
    assert_eq!(screens.len(), 17);
    assert_eq!(
        Screen::Problem(Problem::Throttled {
            retry_after_secs: 300
        })
        .slug(),
        "problem-throttled"
    );
    assert_eq!(Ending::Problem(Problem::TimedOut).slug(), "timed-out");
    assert_eq!(Screen::from_slug("nonsense"), None);
}

#[test]
fn endings_follow_the_screen_that_replaced_signing_in() {
    let mut ui = new_ui(&ZUNE, Some("alex@outlook.com"));
    ui.start();
    ui.outcome(Outcome::Denied {
        reason: DenyReason::TokenInvalid,
        retry_after_secs: 0,
    });
    assert_eq!(Ending::of(&ui), Ending::TokenInvalid);
    let mut ui = new_ui(&ZUNE, Some("alex@outlook.com"));
    ui.start();
    ui.outcome(Outcome::TimedOut);
    assert_eq!(Ending::of(&ui).slug(), "timed-out");
}

#[test]
fn every_screen_fits_its_content() {
    // Content::of drops what does not fit MAX_PIECES: the fullest screens keep every piece.
    let mut ui = new_ui(&XBOX360, Some("alex@outlook.com"));
    ui.start();
    ui.outcome(Outcome::Denied {
        reason: DenyReason::WrongCredentials,
        retry_after_secs: 0,
    });
    let parts: std::vec::Vec<Part> = Content::of(&ui).pieces().map(|p| p.part).collect();
    assert_eq!(
        parts,
        [
            Part::Title,
            Part::Alert,
            Part::Message,
            Part::Message,
            Part::Link,
            Part::Button,
            Part::Button
        ]
    );
    let mut ui = new_ui(&XBOX360, Some("alex@outlook.com"));
    ui.start();
    press(&mut ui, Button::B);
    let content = Content::of(&ui);
    assert_eq!(content.pieces().count(), 6);
    let account = content.first(Part::Account).unwrap();
    assert_eq!(
        (account.text, account.fit),
        ("alex@outlook.com", Fit::Ellipsis)
    );
}

/// Every profile with a table of its own, the board templates' included.
const ALL_TABLES: [&Profile; 4] = [&XBOX360, &ZUNE, &OLED, &crate::profile::MONO_128X64];

#[test]
fn every_button_does_on_the_screens_what_its_binding_says() {
    for profile in ALL_TABLES {
        for binding in profile.bindings.iter() {
            // Signed in: Select signs out, Back (or Undo) leaves, the rest does nothing.
            let mut ui = new_ui(profile, Some("alex@outlook.com"));
            ui.start();
            ui.outcome(Outcome::Granted {
                display_name: "Alex".try_into().unwrap(),
            });
            let expected = match binding.action {
                Action::Select => Some(UiRequest::SignOut),
                Action::Back | Action::Undo => Some(UiRequest::Leave),
                _ => None,
            };
            assert_eq!(
                press(&mut ui, binding.button).request,
                expected,
                "{}: {binding:?} when signed in",
                profile.name
            );
            // A problem screen with two buttons: moves select, Back takes the last.
            let mut ui = new_ui(profile, Some("alex@outlook.com"));
            ui.start();
            ui.outcome(Outcome::CannotReach);
            let effects = press(&mut ui, binding.button);
            let (choice, request) = match binding.action {
                Action::Move(_) => (1, None),
                Action::Select | Action::Done => (0, Some(UiRequest::Resume)),
                Action::Back | Action::Undo => (0, None),
                _ => (0, None),
            };
            assert_eq!(
                (ui.choice(), effects.request),
                (choice, request),
                "{}: {binding:?} on a problem",
                profile.name
            );
            if matches!(binding.action, Action::Back | Action::Undo) {
                assert_eq!(ui.screen(), Screen::Password, "Use password, the last");
            }
        }
    }
}

#[test]
fn every_button_does_on_the_keyboard_what_its_binding_says() {
    use crate::keyboard::KeyInput;
    use crate::keyboard::controls::map;
    for profile in ALL_TABLES {
        let ui = new_ui(profile, None);
        let empty = ui.email();
        let typed = empty.clone().with_text("a");
        for binding in profile.bindings.iter() {
            let press = Physical::Press(binding.button);
            let expected = match (profile.quick_entry, binding.quick, binding.action) {
                (QuickEntry::TwoStroke, Some(Quick::Stroke(s)), _) => KeyInput::Group(Some(s)),
                (_, _, Action::Move(direction)) => KeyInput::Move(direction),
                (_, _, Action::Select) => KeyInput::Press,
                (_, _, Action::Back | Action::Undo) => KeyInput::Back,
                (_, _, Action::Type(input)) => input,
                (_, _, Action::Done) => KeyInput::Done,
            };
            assert_eq!(
                map(profile, empty, press),
                Some(expected),
                "{}: {binding:?}",
                profile.name
            );
            if binding.action == Action::Undo {
                assert_eq!(map(profile, &typed, press), Some(KeyInput::Backspace));
            }
        }
        for button in Button::ALL.into_iter().filter(|b| !profile.has(*b)) {
            assert_eq!(map(profile, empty, Physical::Press(button)), None);
        }
    }
}

/// The phone choice: Done on the empty email keyboard, the fewest presses to it.
fn choose_phone(ui: &mut Ui) -> Effects {
    let presses = crate::keyboard::typing::finish(ui.config().profile, ui.email()).unwrap();
    let mut effects = Effects::default();
    for action in presses {
        effects = ui.input(action);
    }
    effects
}

fn offer(expires_in_secs: u16, poll_interval_secs: u8) -> LinkAnswer {
    LinkAnswer::Offer {
        code: *b"WDJBMJHT",
        address: "https://gw.example/link".try_into().unwrap(),
        expires_in_secs,
        poll_interval_secs,
    }
}

/// A fresh device showing a link code offered at `now`.
fn showing_code(profile: &'static Profile, now: u64) -> Ui {
    let mut ui = new_ui(profile, None);
    let effects = choose_phone(&mut ui);
    assert_eq!(effects.request, Some(UiRequest::LinkStart));
    assert_eq!(ui.screen(), Screen::LinkStarting);
    let effects = ui.link_answer(offer(600, 5), now);
    assert_eq!(effects.redraw, Redraw::Screen);
    assert_eq!(ui.screen(), Screen::LinkCode);
    ui
}

#[test]
fn the_phone_choice_is_done_on_the_empty_keyboard_and_asks_for_a_code() {
    // Start on the Xbox 360, two strokes on the Zune (its Done key), one move up and select on
    // the board, whose five buttons all belong to the keyboard: the bar is 2 everywhere.
    for (profile, most) in [(&XBOX360, 1), (&ZUNE, 2), (&OLED, 2)] {
        let mut ui = new_ui(profile, None);
        assert!(ui.phone_choice());
        let presses = crate::keyboard::typing::finish(profile, ui.email()).unwrap();
        assert!(presses.len() <= most, "{}: {presses:?}", profile.name);
        let effects = choose_phone(&mut ui);
        assert_eq!(
            effects.request,
            Some(UiRequest::LinkStart),
            "{}",
            profile.name
        );
        assert_eq!(ui.screen(), Screen::LinkStarting);
    }
}

#[test]
fn done_on_a_typed_address_still_goes_to_the_password() {
    let mut ui = new_ui(&XBOX360, None);
    type_text(&mut ui, "a");
    assert!(!ui.phone_choice());
    press(&mut ui, Button::Start);
    assert_eq!(ui.screen(), Screen::Password);
}

#[test]
fn the_code_screen_polls_at_the_interval_and_slows_down_when_told() {
    let mut ui = showing_code(&XBOX360, 1_000);
    let link = ui.link().unwrap();
    assert_eq!(link.shown_code(), "WDJB-MJHT");
    assert_eq!(ui.next_tick(), Some(2_000), "the countdown's next second");
    assert_eq!(ui.tick(2_000).redraw, Redraw::Countdown);
    assert_eq!(ui.tick(5_999).request, None);
    assert_eq!(ui.tick(6_000).request, Some(UiRequest::LinkPoll));
    // One poll at a time.
    assert_eq!(ui.tick(9_000).request, None);
    ui.link_answer(
        LinkAnswer::Waiting {
            poll_interval_secs: 10,
        },
        9_000,
    );
    assert_eq!(ui.screen(), Screen::LinkCode);
    assert_eq!(ui.tick(18_999).request, None);
    assert_eq!(ui.tick(19_000).request, Some(UiRequest::LinkPoll));
    let effects = ui.link_answer(
        LinkAnswer::Granted {
            display_name: "Alex".try_into().unwrap(),
        },
        19_500,
    );
    assert_eq!(effects.redraw, Redraw::Screen);
    assert_eq!(ui.screen(), Screen::SignedIn);
    assert_eq!(ui.display_name(), "Alex");
    assert!(ui.link().is_none());
}

#[test]
fn a_code_expires_on_the_device_clock_and_a_new_one_is_one_press() {
    let mut ui = showing_code(&ZUNE, 0);
    assert_eq!(ui.tick(5_000).request, Some(UiRequest::LinkPoll));
    // Past expiry with a poll in flight: the poll is cancelled, the problem shown.
    let effects = ui.tick(600_000);
    assert_eq!(effects.request, Some(UiRequest::Cancel));
    assert_eq!(ui.screen(), Screen::Problem(Problem::LinkExpired));
    assert_eq!(ui.choices(), [Some(Choice::NewCode), Some(Choice::Back)]);
    let effects = press(&mut ui, Button::A);
    assert_eq!(effects.request, Some(UiRequest::LinkStart));
    assert_eq!(ui.screen(), Screen::LinkStarting);
}

#[test]
fn declined_and_expired_answers_offer_a_new_code_or_the_keyboard() {
    for (answer, problem) in [
        (LinkAnswer::Declined, Problem::LinkDeclined),
        (LinkAnswer::Expired, Problem::LinkExpired),
        (
            LinkAnswer::Failed(Outcome::CannotReach),
            Problem::CannotReach,
        ),
        (
            LinkAnswer::Failed(Outcome::Busy),
            Problem::ServiceUnavailable,
        ),
    ] {
        let mut ui = showing_code(&OLED, 0);
        ui.link_answer(answer.clone(), 6_000);
        assert_eq!(ui.screen(), Screen::Problem(problem), "{answer:?}");
        assert_eq!(ui.choices(), [Some(Choice::NewCode), Some(Choice::Back)]);
        // Back (the last choice) is the keyboard again, the phone choice still there.
        press(&mut ui, Button::Right);
        let effects = press(&mut ui, Button::A);
        assert_eq!(effects.request, None);
        assert_eq!(ui.screen(), Screen::Account);
        assert!(ui.phone_choice());
    }
    // Asked to wait: only Back.
    let mut ui = showing_code(&OLED, 0);
    ui.link_answer(
        LinkAnswer::Failed(Outcome::Denied {
            reason: DenyReason::Throttled,
            retry_after_secs: 60,
        }),
        1_000,
    );
    assert_eq!(ui.choices(), [Some(Choice::Back), None]);
}

#[test]
fn back_cancels_the_link_at_any_time() {
    for button in [Button::A, Button::B, Button::Back] {
        let mut ui = new_ui(&XBOX360, None);
        choose_phone(&mut ui);
        assert_eq!(press(&mut ui, button).request, Some(UiRequest::Cancel));
        assert_eq!(ui.screen(), Screen::Account);
        let mut ui = showing_code(&XBOX360, 0);
        assert_eq!(press(&mut ui, button).request, Some(UiRequest::Cancel));
        assert_eq!(ui.screen(), Screen::Account);
        assert!(ui.link().is_none());
        // A late answer to the cancelled link changes nothing.
        let late = ui.link_answer(
            LinkAnswer::Granted {
                display_name: "Alex".try_into().unwrap(),
            },
            1_000,
        );
        assert_eq!(late, Effects::default());
        assert_eq!(ui.screen(), Screen::Account);
    }
}

#[test]
fn a_gateway_without_links_hides_the_phone_choice() {
    let mut ui = new_ui(&XBOX360, None);
    choose_phone(&mut ui);
    ui.link_answer(LinkAnswer::Unsupported, 0);
    assert_eq!(ui.screen(), Screen::Account);
    assert!(!ui.phone_choice());
    // Done on the empty field does nothing again.
    assert_eq!(press(&mut ui, Button::Start).request, None);
    assert_eq!(ui.screen(), Screen::Account);
}

#[test]
fn answers_out_of_turn_are_protocol_errors() {
    let mut ui = showing_code(&XBOX360, 0);
    ui.link_answer(offer(600, 5), 1_000);
    assert_eq!(ui.screen(), Screen::Problem(Problem::ProtocolError));
    let mut ui = new_ui(&XBOX360, None);
    choose_phone(&mut ui);
    ui.link_answer(
        LinkAnswer::Waiting {
            poll_interval_secs: 5,
        },
        0,
    );
    assert_eq!(ui.screen(), Screen::Problem(Problem::ProtocolError));
    // A code that is not eight capitals is not shown.
    let mut ui = new_ui(&XBOX360, None);
    choose_phone(&mut ui);
    ui.link_answer(
        LinkAnswer::Offer {
            code: *b"wdjb-mjh",
            address: "https://gw.example/link".try_into().unwrap(),
            expires_in_secs: 600,
            poll_interval_secs: 5,
        },
        0,
    );
    assert_eq!(ui.screen(), Screen::Problem(Problem::ProtocolError));
}

#[test]
fn a_sign_in_remembered_by_link_resumes_without_an_address() {
    let mut ui = new_ui(&XBOX360, Some(""));
    assert_eq!(ui.start().request, Some(UiRequest::Resume));
    assert_eq!(
        Content::of(&ui).first(Part::Message).map(|p| p.text),
        Some(Text::SigningIn.get(Language::English))
    );
    // Its token refused: back to the keyboard, where the phone choice is.
    ui.outcome(Outcome::Denied {
        reason: DenyReason::TokenInvalid,
        retry_after_secs: 0,
    });
    assert_eq!(ui.screen(), Screen::Account);
    assert!(ui.phone_choice());
}

#[test]
fn the_code_screen_says_where_what_and_how_long() {
    let mut ui = showing_code(&ZUNE, 0);
    ui.tick(2_000);
    let content = Content::of(&ui);
    let texts: std::vec::Vec<(Part, &str)> = content.pieces().map(|p| (p.part, p.text)).collect();
    assert_eq!(
        texts,
        [
            (Part::Title, "Sign in by phone"),
            (Part::Message, "On your phone, go to"),
            (Part::Link, "gw.example/link"),
            (Part::Message, "and enter this code:"),
            (Part::Code, "WDJB-MJHT"),
            (Part::Hint, "Code valid for 9:58"),
            (Part::Button, "Back"),
        ]
    );
}
