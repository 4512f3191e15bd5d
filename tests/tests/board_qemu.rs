//! The firmware image on QEMU's lm3s6965evb: it boots, draws the sign-in on the OLED and takes
//! key presses; what the emulated panel shows is compared pixel for pixel with the same screens
//! rendered on the host by the same renderer, after the same presses.
//!
//! Screens of every step are kept as PGM images under `target/qemu-board/typing/`. Where
//! `qemu-system-arm` is missing the test says so and passes as skipped, except under `CI=true`,
//! where it fails.

use padlock_firmware::keyboard::Mode;
use padlock_firmware::keyboard::planner::{plan, plan_done};
use padlock_firmware::profile::OLED;
use padlock_firmware::text::Language;
use padlock_firmware::ui::{Screen, Ui, UiConfig};
use padlock_tests::qemu::{self, Qemu};
use padlock_tests::screen::Frame;

/// What the image is built with (`boards/lm3s6965evb/src/main.rs`).
const SECURITY_INFO_URL: &str = "https://account.example.com/security";

fn host_ui() -> Ui {
    Ui::new(
        UiConfig {
            profile: &OLED,
            language: Language::English,
            security_info_url: SECURITY_INFO_URL,
        },
        None,
    )
}

fn same(board: &Frame, host: &Frame, step: &str) {
    let differences = board.differences(host);
    assert_eq!(
        differences, 0,
        "{step}: {differences} pixels differ from the host rendering"
    );
}

#[test]
fn boots_draws_and_types_like_the_host() {
    if !qemu::available() {
        let message =
            "qemu-system-arm not found: install it with `apt-get install qemu-system-arm`";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
        eprintln!("skipped: {message}");
        return;
    }
    let elf = qemu::build_image().expect("board image builds");
    let dir = qemu::repo_root().join("target/qemu-board/typing");
    let _ = std::fs::remove_dir_all(&dir);
    let mut board = Qemu::boot(&elf, &dir, "boot", &[]).expect("QEMU boots the image");
    let mut ui = host_ui();

    // Power-up: the account screen with an empty email field.
    std::thread::sleep(std::time::Duration::from_millis(700));
    same(
        &board.screen("1-account").unwrap(),
        &Frame::of(&ui, 128, 64),
        "power-up",
    );

    // Type an address with the planner's presses, on the board and on the host.
    board.arm_buttons().unwrap();
    let typing = plan(&OLED, ui.email(), "alex@outlook.com").expect("typeable");
    board.perform(&typing.actions).unwrap();
    for action in &typing.actions {
        ui.input(*action);
    }
    assert_eq!(ui.email().text(), "alex@outlook.com");
    same(
        &board.screen("2-typed").unwrap(),
        &Frame::of(&ui, 128, 64),
        "typed the address",
    );

    // Done: on to the password screen.
    let done = plan_done(&OLED, ui.email()).expect("a Done key");
    board.perform(&done.actions).unwrap();
    for action in &done.actions {
        ui.input(*action);
    }
    assert_eq!(ui.screen(), Screen::Password);
    assert_eq!(ui.password().mode(), Mode::AppPassword);
    same(
        &board.screen("3-password").unwrap(),
        &Frame::of(&ui, 128, 64),
        "password screen",
    );
    // The arming presses (one per button) went to the board only: had the board taken them
    // as input, its screens would differ from the host's above.
}
