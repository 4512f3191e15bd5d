//! The firmware image on QEMU's lm3s6965evb: it boots, draws the sign-in on the OLED and takes
//! key presses; what the emulated panel shows is compared pixel for pixel with the same screens
//! rendered on the host by the same renderer, after every one of the same presses.
//!
//! Screens of every step are kept as PGM images under `target/qemu-board/typing/`. Where
//! `qemu-system-arm` is missing the test is listed as ignored with the install command (see
//! `tests/build.rs`), except under `CI=true`, where it runs and fails.

use std::time::Duration;

use padlock_firmware::keyboard::Mode;
use padlock_firmware::ui::Screen;
use padlock_tests::qemu::{self, Qemu};
use padlock_tests::screen::Frame;
use padlock_tests::signin::{EMAIL, Player, host_ui};

fn same(board: &Frame, host: &Frame, step: &str) {
    let differences = board.differences(host);
    assert_eq!(
        differences, 0,
        "{step}: {differences} pixels differ from the host rendering"
    );
}

#[test]
#[cfg_attr(
    padlock_no_qemu,
    ignore = "needs qemu-system-arm (Debian: sudo apt-get install qemu-system-arm)"
)]
fn boots_draws_and_types_like_the_host() {
    if !qemu::present_or_skip() {
        return;
    }
    let elf = qemu::build_image().expect("board image builds");
    let dir = qemu::repo_root().join("target/qemu-board/typing");
    let _ = std::fs::remove_dir_all(&dir);
    let mut board = Qemu::boot(&elf, &dir, "boot", &[]).expect("QEMU boots the image");
    let ui = host_ui(None);

    // Power-up: the account screen with an empty email field.
    board
        .wait_for_log(0, "screen Account", Duration::from_secs(10))
        .unwrap();
    same(
        &board.screen("1-account").unwrap(),
        &Frame::of(&ui, 128, 64),
        "power-up",
    );

    // The arming presses (one per button) go to the board only: had the board taken them as
    // input, its screens would differ from the host's below.
    board.arm_buttons().unwrap();
    let mut player = Player {
        board: &mut board,
        ui,
    };

    // Type an address with the planner's presses, on the board and on the host.
    player.type_text(EMAIL).unwrap();
    assert_eq!(player.ui.email().text(), EMAIL);
    same(
        &player.board.screen("2-typed").unwrap(),
        &Frame::of(&player.ui, 128, 64),
        "typed the address",
    );

    // Done: on to the password screen.
    player.done().unwrap();
    assert_eq!(player.ui.screen(), Screen::Password);
    assert_eq!(player.ui.password().mode(), Mode::AppPassword);
    same(
        &player.board.screen("3-password").unwrap(),
        &Frame::of(&player.ui, 128, 64),
        "password screen",
    );
}
