//! End to end inside the test process: the device module, driven by button presses, signs in
//! over its own smoltcp interface to the real gateway core (`padlock-server` with in-memory
//! SQLite) listening on a second smoltcp interface, the two joined by the virtual wire on
//! virtual time. Each scenario runs on a perfect wire and again with 10% packet loss and
//! 200 ms latency each way, over several seeds.

mod rig;

use padlock_firmware::input::{Button, Physical};
use padlock_firmware::module::player::{press, sign_in, type_text};
use padlock_firmware::net::NetBuffers;
use padlock_firmware::net::wire::{Fate, Faults};
use padlock_firmware::profile::XBOX360;
use padlock_firmware::ui::{Choice, Problem, Screen};
use padlock_firmware::vault::Vault;
use rig::{
    DEVICE_SECRET, DISPLAY_NAME, EMAIL, Flash, GatewayPair, PRIMARY_PASSWORD, TestModule,
    device_keys,
};

/// Seeds of the bad network's losses (odd: the wire's generator takes `seed | 1`).
const LOSSY_SEEDS: [u64; 6] = [1, 3, 5, 7, 9, 11];

/// Types the account and `password`, sets "Remember my info" to `remember`, presses Sign in
/// and waits for the answer.
fn sign_in_as_player(
    rig: &mut GatewayPair,
    module: &mut TestModule<'_, '_>,
    password: &str,
    remember: bool,
) {
    assert_eq!(module.ui().screen(), Screen::Account);
    type_text(module, EMAIL, rig.now_ms).expect("the email keyboard types the address");
    press(module, Physical::Press(Button::Start), rig.now_ms);
    assert_eq!(module.ui().screen(), Screen::Password);
    type_text(module, password, rig.now_ms).expect("the password keyboard types it");
    sign_in(module, remember, rig.now_ms);
    assert_eq!(module.ui().screen(), Screen::SigningIn);
    rig.settle(module);
}

/// The remembered token, read back from `flash` as the module would at start.
fn remembered(flash: Flash) -> (Option<[u8; 32]>, Flash) {
    let mut vault = Vault::new(flash, 0..4096, DEVICE_SECRET).expect("a vault");
    let token = vault.load().map(|r| {
        assert_eq!(r.email.as_str(), EMAIL);
        *r.token.as_bytes()
    });
    (token, vault.into_flash())
}

/// Token families the gateway still honours for the account, each bound to this device.
fn live_tokens(rig: &GatewayPair) -> usize {
    let tokens = rig
        .gateway
        .tokens_at(EMAIL, rig.unix())
        .expect("the account's tokens");
    let device = device_keys().public();
    assert!(
        tokens.iter().all(|t| t.device_key == device),
        "bound to the device key"
    );
    tokens.len()
}

/// First sign-in with an app password and "remember": signed in, a token in the vault
/// (sealed: neither it nor the app password appears in flash), one token on the gateway.
/// Returns the flash.
fn first_sign_in(rig: &mut GatewayPair) -> Flash {
    let app_password = rig.app_password();
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, Flash::new());
    rig.settle(&mut module);
    sign_in_as_player(rig, &mut module, &app_password, true);
    assert_eq!(module.ui().screen(), Screen::SignedIn);
    assert_eq!(module.ui().display_name(), DISPLAY_NAME);
    assert_eq!(live_tokens(rig), 1);
    let used = rig.gateway.app_passwords(EMAIL).expect("app passwords");
    assert!(used.iter().all(|p| p.last_used.is_some()), "{used:?}");

    let (token, flash) = remembered(module.into_flash());
    let token = token.expect("the token is remembered");
    let image = flash.image();
    assert!(
        !image.windows(16).any(|w| w == app_password.as_bytes()),
        "the app password is in flash"
    );
    assert!(
        !token.windows(8).any(|t| image.windows(8).any(|w| w == t)),
        "token bytes are in flash in clear"
    );
    flash
}

/// Power on with `flash` and let the module do what it does at start.
fn reboot(
    rig: &mut GatewayPair,
    flash: Flash,
    check: impl FnOnce(&mut GatewayPair, &mut TestModule<'_, '_>),
) -> Flash {
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, flash);
    rig.settle(&mut module);
    check(rig, &mut module);
    module.into_flash()
}

fn remember_and_resume(rig: &mut GatewayPair) {
    let flash = first_sign_in(rig);
    let (before, flash) = remembered(flash);
    // A new module instance on the same flash: the gateway rotates the token on resume.
    let flash = reboot(rig, flash, |_, module| {
        assert_eq!(module.ui().screen(), Screen::SignedIn);
        assert_eq!(module.ui().display_name(), DISPLAY_NAME);
    });
    let (after, flash) = remembered(flash);
    assert!(
        after.is_some() && after != before,
        "the rotated token replaced the old one"
    );
    assert_eq!(live_tokens(rig), 1);
    // And again, with the rotated token.
    reboot(rig, flash, |_, module| {
        assert_eq!(module.ui().screen(), Screen::SignedIn);
    });
}

fn primary_password_on_a_two_step_account(rig: &mut GatewayPair) {
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, Flash::new());
    rig.settle(&mut module);
    sign_in_as_player(rig, &mut module, PRIMARY_PASSWORD, true);
    // The generic answer, with the screen that explains app passwords.
    assert_eq!(
        module.ui().screen(),
        Screen::Problem(Problem::WrongCredentials)
    );
    assert_eq!(live_tokens(rig), 0);
    let (token, flash) = remembered(module.into_flash());
    assert_eq!(token, None, "nothing remembered");

    // Without two-step, the same password signs in: the refusal was the two-step rule.
    rig.gateway
        .set_two_step(EMAIL, false)
        .expect("two-step off");
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, flash);
    rig.settle(&mut module);
    sign_in_as_player(rig, &mut module, PRIMARY_PASSWORD, false);
    assert_eq!(module.ui().screen(), Screen::SignedIn);
}

fn token_revoked_on_the_server(rig: &mut GatewayPair) {
    let flash = first_sign_in(rig);
    assert_eq!(rig.gateway.revoke_all_tokens(EMAIL).expect("revoked"), 1);
    let flash = reboot(rig, flash, |_, module| {
        assert_eq!(module.ui().screen(), Screen::Password);
        assert_eq!(module.ui().email().text(), EMAIL);
    });
    let (token, flash) = remembered(flash);
    assert_eq!(token, None, "the refused token is forgotten");
    assert!(flash.image().iter().all(|b| *b == 0xFF), "and erased");
}

fn sign_out(rig: &mut GatewayPair) {
    let flash = first_sign_in(rig);
    let flash = reboot(rig, flash, |rig, module| {
        assert_eq!(module.ui().screen(), Screen::SignedIn);
        press(module, Physical::Press(Button::A), rig.now_ms);
        assert_eq!(module.ui().screen(), Screen::Account);
        rig.settle(module);
    });
    assert_eq!(live_tokens(rig), 0, "the gateway revoked the token");
    assert!(
        flash.image().iter().all(|b| *b == 0xFF),
        "the vault is erased"
    );
    // The next start asks for the account.
    reboot(rig, flash, |_, module| {
        assert_eq!(module.ui().screen(), Screen::Account);
    });
}

fn gateway_down_at_start(rig: &mut GatewayPair) {
    let flash = first_sign_in(rig);
    let (before, flash) = remembered(flash);
    // The gateway's host is up but its server is not: connections are refused.
    rig.far_end.set_accepting(false);
    let flash = reboot(rig, flash, |rig, module| {
        assert_eq!(module.ui().screen(), Screen::Problem(Problem::CannotReach));
        assert_eq!(module.ui().choices()[0], Some(Choice::Retry));
        rig.far_end.set_accepting(true);
        press(module, Physical::Press(Button::A), rig.now_ms);
        rig.settle(module);
        assert_eq!(module.ui().screen(), Screen::SignedIn);
    });
    let (after, _) = remembered(flash);
    assert!(
        before.is_some() && after.is_some() && after != before,
        "kept, then rotated"
    );
}

/// A scenario: a name for the log, and the run.
type Scenario = (&'static str, fn(&mut GatewayPair));

const SCENARIOS: [Scenario; 5] = [
    ("remember and resume", remember_and_resume),
    (
        "primary password on a two-step account",
        primary_password_on_a_two_step_account,
    ),
    ("token revoked on the server", token_revoked_on_the_server),
    ("sign out", sign_out),
    ("gateway down at start", gateway_down_at_start),
];

#[test]
fn first_sign_in_with_an_app_password_is_remembered_and_resumes_after_a_reboot() {
    remember_and_resume(&mut GatewayPair::new(0, Faults::default()));
}

#[test]
fn the_primary_password_of_a_two_step_account_gets_the_app_password_explanation() {
    primary_password_on_a_two_step_account(&mut GatewayPair::new(0, Faults::default()));
}

#[test]
fn a_token_revoked_on_the_server_leads_to_the_password_screen_and_is_forgotten() {
    token_revoked_on_the_server(&mut GatewayPair::new(0, Faults::default()));
}

#[test]
fn sign_out_revokes_the_token_on_the_server_and_erases_it_from_flash() {
    sign_out(&mut GatewayPair::new(0, Faults::default()));
}

#[test]
fn a_gateway_down_at_start_keeps_the_token_and_a_retry_resumes() {
    gateway_down_at_start(&mut GatewayPair::new(0, Faults::default()));
}

#[test]
fn every_scenario_succeeds_through_10_percent_loss_and_200_ms_latency() {
    let mut lost = 0;
    for seed in LOSSY_SEEDS {
        for (name, scenario) in SCENARIOS {
            let mut rig = GatewayPair::new(seed, rig::lossy());
            rig.wire.capture(true);
            scenario(&mut rig);
            let dropped = rig.take_packets(Fate::Lost);
            eprintln!(
                "{name}, seed {seed}: {dropped} packets lost, done at {} ms",
                rig.now_ms
            );
            lost += dropped;
        }
    }
    assert!(lost > 0, "the wire lost nothing: the test proves nothing");
}
