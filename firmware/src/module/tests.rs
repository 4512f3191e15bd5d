//! The module end to end on the host: screens, network and vault together, against the test
//! gateway on a virtual wire, driven by button events as a player would press them.

use super::player;
use super::*;
use crate::input::{Button, Physical};
use crate::net::test_gateway::{Behaviour, Rig};
use crate::net::wire::Faults;
use crate::profile::XBOX360;
use crate::text::Language;
use crate::ui::Screen;
use crate::vault::mem_flash::MemFlash;
use rand_core::OsRng;

type Flash = MemFlash<4096, 1024, 4>;
const SECRET: &[u8] = b"module test device secret 32byte";

fn ui_config() -> UiConfig {
    UiConfig {
        profile: &XBOX360,
        language: Language::English,
        security_info_url: "https://account.example.com/security",
    }
}

/// Boots a module on `flash`, runs until the screens settle, and returns both.
fn boot<'a, 'k>(
    rig: &mut Rig,
    keys: &'k StaticKeypair,
    buffers: &'a mut NetBuffers<'a>,
    flash: Flash,
) -> Module<'a, 'k, Flash, OsRng> {
    let vault = Vault::new(flash, 0..4096, SECRET).unwrap();
    let mut module = Module::new(
        ui_config(),
        rig.config(),
        keys,
        &mut rig.device_end,
        buffers,
        vault,
        OsRng,
        "1.0.0",
        rig.now_ms,
    );
    settle(rig, &mut module);
    module
}

/// Runs the module and the gateway until nothing is in flight (virtual time, 60 s at most).
fn settle(rig: &mut Rig, module: &mut Module<'_, '_, Flash, OsRng>) {
    let limit = rig.now_ms + 60_000;
    while rig.now_ms < limit {
        rig.wire.set_time(rig.now_ms);
        module.poll(&mut rig.device_end, rig.now_ms);
        rig.gateway.poll(&mut rig.gateway_end, rig.now_ms);
        if !module.network().busy() && module.ui().screen() != Screen::SigningIn {
            return;
        }
        rig.now_ms += 10;
    }
}

fn press(rig: &mut Rig, module: &mut Module<'_, '_, Flash, OsRng>, physical: Physical) {
    player::press(module, physical, rig.now_ms);
}

fn type_text(rig: &mut Rig, module: &mut Module<'_, '_, Flash, OsRng>, text: &str) {
    player::type_text(module, text, rig.now_ms).expect("the keyboard types it");
}

#[test]
fn sign_in_remember_reboot_resume_sign_out() {
    let mut rig = Rig::new(true, Behaviour::Answer, Faults::default());
    let keys = StaticKeypair::derive_from_device_secret(SECRET).unwrap();

    // First boot: nothing remembered.
    let mut buffers = NetBuffers::new();
    let mut module = boot(&mut rig, &keys, &mut buffers, Flash::new());
    assert_eq!(module.ui().screen(), Screen::Account);
    type_text(&mut rig, &mut module, "alex@outlook.com");
    press(&mut rig, &mut module, Physical::Press(Button::Start));
    type_text(&mut rig, &mut module, "abcdefghijklmnop");
    press(&mut rig, &mut module, Physical::Press(Button::Up)); // to "Remember my info"
    press(&mut rig, &mut module, Physical::Press(Button::A)); // tick it
    press(&mut rig, &mut module, Physical::Press(Button::Down)); // to Sign in
    press(&mut rig, &mut module, Physical::Press(Button::A));
    assert_eq!(module.ui().screen(), Screen::SigningIn);
    settle(&mut rig, &mut module);
    assert_eq!(module.ui().screen(), Screen::SignedIn);
    assert_eq!(module.ui().display_name(), "Alex");
    let flash = module.into_flash();
    // Flash dump scan: neither the app password nor any 8 bytes of the token are in flash.
    let image = flash.image();
    let token = [2u8; 32];
    assert!(
        !image.windows(16).any(|w| w == b"abcdefghijklmnop"),
        "app password in flash"
    );
    assert!(
        !image.windows(8).any(|w| w == &token[..8]),
        "token bytes in flash"
    );
    assert!(image.iter().any(|b| *b != 0xFF), "something was remembered");

    // Reboot: resumes silently with the remembered token, which the gateway rotates.
    let mut buffers = NetBuffers::new();
    let module = boot(&mut rig, &keys, &mut buffers, flash);
    assert_eq!(module.ui().screen(), Screen::SignedIn);
    assert!(matches!(
        rig.gateway.requests.last(),
        Some(Request::Resume { token }) if token.as_bytes() == &[2; 32]
    ));
    let flash = module.into_flash();

    // Again: the rotated token (3) was stored and is the one presented.
    let mut buffers = NetBuffers::new();
    let mut module = boot(&mut rig, &keys, &mut buffers, flash);
    assert_eq!(module.ui().screen(), Screen::SignedIn);
    assert!(matches!(
        rig.gateway.requests.last(),
        Some(Request::Resume { token }) if token.as_bytes() == &[3; 32]
    ));

    // Sign out: SignOut reaches the gateway, the vault is erased.
    press(&mut rig, &mut module, Physical::Press(Button::A));
    assert_eq!(module.ui().screen(), Screen::Account);
    let limit = rig.now_ms + 5_000;
    while module.network().busy() && rig.now_ms < limit {
        rig.wire.set_time(rig.now_ms);
        module.poll(&mut rig.device_end, rig.now_ms);
        rig.gateway.poll(&mut rig.gateway_end, rig.now_ms);
        rig.now_ms += 10;
    }
    assert!(matches!(
        rig.gateway.requests.last(),
        Some(Request::SignOut { .. })
    ));
    let flash = module.into_flash();
    assert!(flash.image().iter().all(|b| *b == 0xFF));

    // Next boot asks for the account, with nothing remembered.
    let mut buffers = NetBuffers::new();
    let module = boot(&mut rig, &keys, &mut buffers, flash);
    assert_eq!(module.ui().screen(), Screen::Account);
}

#[test]
fn a_token_the_gateway_refuses_is_forgotten_and_the_email_kept() {
    let mut rig = Rig::new(true, Behaviour::Answer, Faults::default());
    let keys = StaticKeypair::derive_from_device_secret(SECRET).unwrap();
    let mut vault = Vault::new(Flash::new(), 0..4096, SECRET).unwrap();
    // Token 9 is not one the test gateway accepts.
    vault
        .store(
            "alex@outlook.com",
            &padlock_protocol::RememberToken::from_bytes([9; 32]),
            &mut OsRng,
        )
        .unwrap();
    let mut buffers = NetBuffers::new();
    let module = boot(&mut rig, &keys, &mut buffers, vault.into_flash());
    assert_eq!(module.ui().screen(), Screen::Password);
    assert_eq!(module.ui().email().text(), "alex@outlook.com");
    assert!(
        module.into_flash().image().iter().all(|b| *b == 0xFF),
        "forgotten"
    );
}

#[test]
fn an_unreachable_gateway_at_start_keeps_the_token() {
    let mut rig = Rig::new(false, Behaviour::Answer, Faults::default());
    let keys = StaticKeypair::derive_from_device_secret(SECRET).unwrap();
    let mut vault = Vault::new(Flash::new(), 0..4096, SECRET).unwrap();
    vault
        .store(
            "alex@outlook.com",
            &padlock_protocol::RememberToken::from_bytes([2; 32]),
            &mut OsRng,
        )
        .unwrap();
    let mut buffers = NetBuffers::new();
    let module = boot(&mut rig, &keys, &mut buffers, vault.into_flash());
    assert_eq!(
        module.ui().screen(),
        Screen::Problem(crate::ui::Problem::CannotReach)
    );
    let mut vault = Vault::new(module.into_flash(), 0..4096, SECRET).unwrap();
    assert!(vault.load().is_some(), "the token is kept for a retry");
}
