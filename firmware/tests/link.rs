//! Sign in with your phone, end to end inside the test process: the device module, driven by
//! button presses, asks the real gateway core for a link code over the virtual wire and polls
//! it, as `tests/end_to_end.rs` signs in with an app password.

mod rig;

use padlock_firmware::input::{Button, Physical};
use padlock_firmware::module::player::press;
use padlock_firmware::net::NetBuffers;
use padlock_firmware::net::wire::Faults;
use padlock_firmware::profile::XBOX360;
use padlock_firmware::ui::{Problem, Screen};
use padlock_firmware::vault::Vault;
use padlock_server::link::LinkLookup;
use rig::{
    DEVICE_SECRET, DISPLAY_NAME, EMAIL, Flash, GatewayPair, LINK_ADDRESS, TestModule, device_keys,
    lossy,
};

/// A source address for the page's throttle.
const SOURCE: &str = "192.0.2.7";

/// Presses the phone choice on the empty keyboard and waits for the code screen; returns the
/// code shown.
fn show_code(rig: &mut GatewayPair, module: &mut TestModule<'_, '_>) -> String {
    rig.settle(module);
    assert!(module.ui().phone_choice());
    press(module, Physical::Press(Button::Start), rig.now_ms);
    assert_eq!(module.ui().screen(), Screen::LinkStarting);
    let shown = rig.run_until(module, 120_000, |m| m.ui().screen() != Screen::LinkStarting);
    assert!(shown, "the gateway answered");
    assert_eq!(module.ui().screen(), Screen::LinkCode);
    let link = module.ui().link().expect("a code on screen");
    assert_eq!(link.address(), LINK_ADDRESS);
    link.shown_code().to_owned()
}

/// The player on the page: finds the code as typed and approves or declines it.
fn answer(rig: &GatewayPair, code: &str, approve: bool) {
    let account = rig.gateway.account_id(EMAIL).expect("the account");
    let now = rig.unix();
    let LinkLookup::Found(link) = rig
        .gateway
        .find_link(account, SOURCE, code, now)
        .expect("a lookup")
    else {
        panic!("{code} is not a pending link");
    };
    let done = if approve {
        rig.gateway.approve_link(account, &link, now)
    } else {
        rig.gateway.decline_link(&link, now)
    };
    assert!(done.expect("an answer"), "still pending");
}

fn remembered(flash: Flash) -> (bool, Flash) {
    let mut vault = Vault::new(flash, 0..4096, DEVICE_SECRET).expect("a vault");
    let kept = vault.load().is_some_and(|r| r.email.is_empty());
    (kept, vault.into_flash())
}

/// Approved on the phone: signed in with the gateway's remember-me token, which the next
/// power-on resumes with; revoked later, the device asks again from the keyboard.
fn approve_and_resume(mut rig: GatewayPair) {
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, Flash::new());
    let code = show_code(&mut rig, &mut module);
    // Polling while the player reads the code.
    let start = rig.now_ms;
    rig.run_until(&mut module, 12_000, |_| false);
    assert_eq!(module.ui().screen(), Screen::LinkCode);
    assert!(rig.now_ms >= start + 12_000);
    answer(&rig, &code, true);
    let signed_in = rig.run_until(&mut module, 60_000, |m| m.ui().screen() == Screen::SignedIn);
    assert!(
        signed_in,
        "signed in at the next poll: {:?}",
        module.ui().screen()
    );
    assert_eq!(module.ui().display_name(), DISPLAY_NAME);
    rig.settle(&mut module);
    let (kept, flash) = remembered(module.into_flash());
    assert!(kept, "the token is in the vault, with no address");
    assert!(rig.gateway.pending_links(rig.unix()).unwrap().is_empty());

    // Power on again: resumed with the link's token.
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, flash);
    assert_eq!(module.ui().screen(), Screen::SigningIn);
    rig.settle(&mut module);
    assert_eq!(module.ui().screen(), Screen::SignedIn);
    let flash = module.into_flash();

    // The approval revoked on the page: refused at the next start, back to the keyboard.
    // The approval is listed with the app passwords; revoking it revokes its tokens.
    assert_eq!(
        rig.gateway
            .revoke_all_app_passwords(EMAIL)
            .expect("revoked"),
        1
    );
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, flash);
    rig.settle(&mut module);
    assert_eq!(module.ui().screen(), Screen::Account);
    assert!(module.ui().phone_choice());
    let (kept, _) = remembered(module.into_flash());
    assert!(!kept, "forgotten");
}

#[test]
fn approved_on_the_phone_the_device_signs_in_and_resumes_later() {
    approve_and_resume(GatewayPair::with_links(1, Faults::default()));
}

#[test]
fn approved_on_the_phone_over_a_lossy_slow_network() {
    for seed in [3, 5] {
        approve_and_resume(GatewayPair::with_links(seed, lossy()));
    }
}

#[test]
fn declined_on_the_phone_offers_a_new_code() {
    let mut rig = GatewayPair::with_links(1, Faults::default());
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, Flash::new());
    let code = show_code(&mut rig, &mut module);
    answer(&rig, &code, false);
    let told = rig.run_until(&mut module, 60_000, |m| m.ui().screen() != Screen::LinkCode);
    assert!(told);
    assert_eq!(module.ui().screen(), Screen::Problem(Problem::LinkDeclined));
    // New code: another code on screen.
    press(&mut module, Physical::Press(Button::A), rig.now_ms);
    let shown = rig.run_until(&mut module, 60_000, |m| m.ui().screen() == Screen::LinkCode);
    assert!(shown);
    assert_ne!(module.ui().link().unwrap().shown_code(), code);
}

#[test]
fn a_code_left_alone_expires_and_back_leaves_no_poll_behind() {
    let mut rig = GatewayPair::with_links(1, Faults::default());
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, Flash::new());
    show_code(&mut rig, &mut module);
    let expired = rig.run_until(&mut module, 11 * 60_000, |m| {
        m.ui().screen() != Screen::LinkCode
    });
    assert!(expired);
    assert_eq!(module.ui().screen(), Screen::Problem(Problem::LinkExpired));
    // Back to the keyboard; then a new code, cancelled with Back at once.
    press(&mut module, Physical::Press(Button::B), rig.now_ms);
    assert_eq!(module.ui().screen(), Screen::Account);
    show_code(&mut rig, &mut module);
    press(&mut module, Physical::Press(Button::B), rig.now_ms);
    assert_eq!(module.ui().screen(), Screen::Account);
    rig.run_until(&mut module, 30_000, |_| false);
    assert!(!module.network().busy(), "no poll after Back");
    assert_eq!(module.ui().screen(), Screen::Account);
}

#[test]
fn a_gateway_without_links_hides_the_phone_choice() {
    let mut rig = GatewayPair::new(1, Faults::default());
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, Flash::new());
    rig.settle(&mut module);
    assert!(module.ui().phone_choice());
    // Start on the empty email keyboard: the phone choice.
    press(&mut module, Physical::Press(Button::Start), rig.now_ms);
    assert_eq!(module.ui().screen(), Screen::LinkStarting);
    let answered = rig.run_until(&mut module, 60_000, |m| {
        m.ui().screen() != Screen::LinkStarting
    });
    assert!(answered, "the gateway answered");
    assert_eq!(module.ui().screen(), Screen::Account);
    assert!(
        !module.ui().phone_choice(),
        "hidden once the gateway said so"
    );
    press(&mut module, Physical::Press(Button::Start), rig.now_ms);
    assert_eq!(module.ui().screen(), Screen::Account);
}
