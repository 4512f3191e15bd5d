//! Sign in with your phone on the board: the firmware image in QEMU's lm3s6965evb against the
//! real `padlock-server serve` on the host, offering links and serving its Security info page.
//!
//! The player presses the board's way to the phone choice (the cursor to the empty keyboard's
//! Done key, which reads Phone), the board shows a link code; the test finds the code as
//! support staff would, with `padlock-server link list`, approves it on the page over HTTP as
//! a phone would, and checks that the board signs in and shows the signed-in screen pixel for
//! pixel as the host renders it. Outputs in `target/qemu-board/link/`. Where
//! `qemu-system-arm` is missing the test is listed as ignored with the install command
//! (`tests/build.rs`), except under `CI=true`, where it fails.

use std::time::Duration;

use padlock_firmware::input::Physical;
use padlock_firmware::keyboard::typing;
use padlock_firmware::profile::OLED;
use padlock_firmware::ui::{LinkAnswer, Screen};
use padlock_protocol::DisplayName;
use padlock_server::web::player::{LinkChoice, PlayerLogin, answer_link};
use padlock_tests::qemu;
use padlock_tests::screen::Frame;
use padlock_tests::signin::{
    BoardAndGateway, EMAIL, LINK_ADDRESS, NAME, PRIMARY_PASSWORD, Player, SIGN_IN_TIMEOUT, host_ui,
};

/// The code of the one pending link, from `link list` (a header line, then `CODE\tdevice...`).
fn pending_code(rig: &BoardAndGateway) -> String {
    let listed = rig.server.admin(&["link", "list"]).expect("link list");
    let codes: Vec<&str> = listed
        .lines()
        .skip(1)
        .filter_map(|line| line.split('\t').next())
        .collect();
    assert_eq!(codes.len(), 1, "one pending link: {listed}");
    codes[0].to_owned()
}

#[test]
#[cfg_attr(
    padlock_no_qemu,
    ignore = "needs qemu-system-arm (Debian: sudo apt-get install qemu-system-arm)"
)]
fn signs_in_by_phone_link_approved_on_the_page() {
    if !qemu::present_or_skip() {
        return;
    }
    let rig = BoardAndGateway::start_with_links(&qemu::repo_root().join("target/qemu-board/link"))
        .expect("image, gateway with links and provisioning");
    let page = rig.page.expect("the page is served");
    let mut board = rig.boot("1-link").expect("QEMU boots the image");
    board
        .wait_for_log(0, "screen Account", Duration::from_secs(10))
        .unwrap();
    board.arm_buttons().unwrap();
    let mut player = Player {
        board: &mut board,
        ui: host_ui(None),
    };
    assert!(player.ui.phone_choice());
    // The cursor to Done, each move checked against the host; then Done itself, checked
    // through the log (the next screen animates).
    let mut presses = typing::finish(&OLED, player.ui.email()).expect("a Done key");
    let Some(Physical::Press(last)) = presses.pop() else {
        panic!("the board has only buttons");
    };
    player.perform(&presses).unwrap();
    let before = player.board.log().unwrap().len();
    player.board.press(last).unwrap();
    player
        .board
        .wait_for_log(before, "screen LinkStarting", Duration::from_secs(5))
        .unwrap();
    player
        .board
        .wait_for_log(before, "screen LinkCode", SIGN_IN_TIMEOUT)
        .unwrap();

    // Support finds the code; the player approves it on the page.
    let code = pending_code(&rig);
    let login = PlayerLogin {
        email: EMAIL,
        password: PRIMARY_PASSWORD,
        code: "",
    };
    answer_link(page, &login, &code, LinkChoice::Approve).expect("approved on the page");

    // The board signs in at its next poll.
    let (at, _) = player
        .board
        .wait_for_log(before, "screen SignedIn", SIGN_IN_TIMEOUT)
        .unwrap();
    player
        .board
        .wait_for_log(at, &format!("signed in as {NAME}"), Duration::from_secs(2))
        .unwrap();
    let mut ui = player.ui.clone();
    ui.input(Physical::Press(last));
    assert_eq!(ui.screen(), Screen::LinkStarting);
    let letters: [u8; 8] = code
        .replace('-', "")
        .as_bytes()
        .try_into()
        .expect("eight letters");
    ui.link_answer(
        LinkAnswer::Offer {
            code: letters,
            address: LINK_ADDRESS.try_into().unwrap(),
            expires_in_secs: 600,
            poll_interval_secs: 5,
        },
        0,
    );
    ui.link_answer(
        LinkAnswer::Granted {
            display_name: DisplayName::try_from(NAME).unwrap(),
        },
        1_000,
    );
    assert_eq!(ui.screen(), Screen::SignedIn);
    let shown = board.screen("1-signed-in").expect("QMP screendump");
    let expected = Frame::of(&ui, 128, 64);
    assert_eq!(
        shown.differences(&expected),
        0,
        "the signed-in screen as the host renders it"
    );
}
