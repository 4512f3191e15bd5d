//! The sign-in proof on the board: the firmware image in QEMU's lm3s6965evb signs in against
//! the real `padlock-server` running on the host, driven only through its five buttons.
//!
//! 1. The gateway gets an account with two-step verification on and a fresh app password; the
//!    device is provisioned with the gateway's address (10.0.2.2 is the host under QEMU's user
//!    networking) and its public key from `padlock-server key show`.
//! 2. First sign-in: the keyboard planner's presses type the address and the app password, the
//!    remember box is ticked, Sign in: the device logs the signed-in screen and the emulated
//!    OLED shows it, pixel for pixel as the host renders it.
//! 3. QEMU is restarted: the image finds the sealed token in its flash file and signs in
//!    silently, without a press.
//! 4. Sign out, then the account's primary password on the full keyboard: the gateway refuses
//!    it (two-step is on) and the screen explains app passwords.
//!
//! Every press is checked against the host's rendering (see `padlock_tests::signin`).
//! Screendumps (`.ppm`, QEMU's own at 512 × 256, and `.pgm` at the panel's 128 × 64), the
//! device logs (`.defmt`, decoded into `.log`) and the gateway's log are kept in
//! `target/qemu-board/signin/`. Where `qemu-system-arm` is missing the test is listed as
//! ignored with the install command (`tests/build.rs`), except under `CI=true`, where it fails.

use std::time::Duration;

use padlock_firmware::input::Button;
use padlock_firmware::ui::{Outcome, Screen, Ui};
use padlock_protocol::{DenyReason, DisplayName};
use padlock_tests::qemu::{self, Qemu};
use padlock_tests::screen::Frame;
use padlock_tests::signin::{
    BoardAndGateway, EMAIL, NAME, PRIMARY_PASSWORD, Player, SIGN_IN_TIMEOUT, host_ui,
};

/// The board's screen, saved as `name`, must equal the host's rendering of `ui`.
fn screen_is(board: &mut Qemu, ui: &Ui, name: &str) {
    let shown = board.screen(name).expect("QMP screendump");
    let expected = Frame::of(ui, 128, 64);
    let differences = shown.differences(&expected);
    if differences != 0 {
        let _ = expected.save_pgm(&board.dir.join(format!("{name}-expected.pgm")));
    }
    assert_eq!(
        differences,
        0,
        "{name}: {differences} pixels differ from the host rendering of {:?}",
        ui.screen()
    );
}

/// The device says it signed in and greets the account's name.
fn signed_in(board: &Qemu, from: usize) {
    let (at, _) = board
        .wait_for_log(from, "screen SignedIn", SIGN_IN_TIMEOUT)
        .unwrap();
    board
        .wait_for_log(at, &format!("signed in as {NAME}"), Duration::from_secs(2))
        .unwrap();
}

fn granted(ui: &mut Ui) {
    ui.outcome(Outcome::Granted {
        display_name: DisplayName::try_from(NAME).unwrap(),
    });
    assert_eq!(ui.screen(), Screen::SignedIn);
}

/// Keeps the decoded device log beside the encoded one.
fn keep_log(board: &Qemu, name: &str) {
    let lines = board.log().expect("decodable device log");
    let text: Vec<String> = lines
        .iter()
        .map(|l| match l.ms {
            Some(ms) => format!("{ms:>8} {}", l.text),
            None => l.text.clone(),
        })
        .collect();
    let _ = std::fs::write(
        board.dir.join(format!("{name}.log")),
        text.join("\n") + "\n",
    );
}

#[test]
#[cfg_attr(
    padlock_no_qemu,
    ignore = "needs qemu-system-arm (Debian: sudo apt-get install qemu-system-arm)"
)]
fn signs_in_resumes_and_explains_app_passwords() {
    if !qemu::present_or_skip() {
        return;
    }
    let rig = BoardAndGateway::start(&qemu::repo_root().join("target/qemu-board/signin"))
        .expect("image, gateway and provisioning");

    // First sign-in: address, app password, remember, Sign in.
    let mut board = rig.boot("1-first").expect("QEMU boots the image");
    board
        .wait_for_log(0, "screen Account", Duration::from_secs(10))
        .unwrap();
    board.arm_buttons().unwrap();
    let mut player = Player {
        board: &mut board,
        ui: host_ui(None),
    };
    player.fill_in(&rig.app_password, true).unwrap();
    screen_is(player.board, &player.ui, "1-password-remember");
    let before = player.sign_in().unwrap();
    signed_in(player.board, before);
    granted(&mut player.ui);
    screen_is(player.board, &player.ui, "1-signed-in");
    keep_log(&board, "1-first");
    drop(board);

    // Restart: the remembered token signs in without a press.
    let mut board = rig.boot("2-resume").expect("QEMU boots again");
    board
        .wait_for_log(
            0,
            "resuming the remembered sign-in",
            Duration::from_secs(10),
        )
        .unwrap();
    signed_in(&board, 0);
    let mut ui = host_ui(Some(EMAIL));
    ui.start();
    granted(&mut ui);
    screen_is(&mut board, &ui, "2-resumed");

    // Sign out, then the primary password: refused, and the screen explains app passwords.
    board.arm_buttons().unwrap();
    let mut player = Player {
        board: &mut board,
        ui,
    };
    player.press(Button::A).unwrap();
    assert_eq!(player.ui.screen(), Screen::Account);
    player.fill_in(PRIMARY_PASSWORD, false).unwrap();
    screen_is(player.board, &player.ui, "3-primary-password");
    let before = player.sign_in().unwrap();
    player
        .board
        .wait_for_log(before, "screen Problem(WrongCredentials)", SIGN_IN_TIMEOUT)
        .unwrap();
    player.ui.outcome(Outcome::Denied {
        reason: DenyReason::WrongCredentials,
        retry_after_secs: 0,
    });
    screen_is(player.board, &player.ui, "3-app-password-explained");
    keep_log(&board, "2-resume");
}
