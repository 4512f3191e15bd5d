//! The device on its own: boot, input, rendering, flash and power (the sign-in itself is
//! covered by the shipped scenarios, which run against the embedded gateway).

use super::*;
use padlock_firmware::input::Button;
use padlock_firmware::keyboard::typing::keystrokes_into;
use padlock_firmware::module::player::raw_events;

fn options(home: &Path, profile: &'static Profile) -> DeviceOptions {
    let (gateway, _) = crate::demo::embedded_gateway(1).unwrap();
    DeviceOptions {
        profile,
        home: home.to_path_buf(),
        name: "test".to_owned(),
        ..DeviceOptions::new(GatewayChoice::Embedded(Arc::new(gateway)))
    }
}

/// Types `text` into the field that has the focus.
fn type_text(device: &mut Device, text: &str) {
    for action in keystrokes_into(device.ui().unwrap(), text).unwrap() {
        for event in raw_events(action) {
            device.press(event);
        }
    }
}

#[test]
fn boots_on_the_account_screen_and_draws_it() {
    let home = tempfile::tempdir().unwrap();
    for profile in profile::ALL {
        let mut device = Device::new(options(home.path(), profile)).unwrap();
        assert_eq!(device.screen_name(), "account");
        assert!(device.screen_text().contains("Email address"));
        let frame = device.frame();
        assert_eq!(
            (frame.width, frame.height),
            (profile.display.width, profile.display.height)
        );
        assert!(
            frame.rgb.iter().any(|b| *b != frame.rgb[0]),
            "something drawn"
        );
        let events = device.take_events();
        assert_eq!(events[0].event, Event::Boot);
        assert_eq!(events[1].event, Event::Screen("account"));
        device.advance_to(500);
        assert_eq!(device.now_ms(), 500);
    }
}

fn press(device: &mut Device, buttons: &[Button]) {
    for button in buttons {
        device.press(RawInput::Down(*button));
        device.press(RawInput::Up(*button));
    }
}

/// Runs virtual time until the screen is not `signing-in` (30 s at most).
fn settle(device: &mut Device) {
    let limit = device.now_ms() + 30_000;
    while device.screen_name() == "signing-in" && device.now_ms() < limit {
        let next = device.now_ms() + 10;
        device.advance_to(next);
    }
}

/// An Xbox 360 in `home` with the demo's address and app password typed and "Remember my info"
/// ticked, the focus on Sign in.
fn remember_ticked(home: &Path) -> Device {
    let (gateway, demo) = crate::demo::embedded_gateway(5).unwrap();
    let opts = DeviceOptions {
        home: home.to_path_buf(),
        name: "remembering".to_owned(),
        ..DeviceOptions::new(GatewayChoice::Embedded(Arc::new(gateway)))
    };
    let mut device = Device::new(opts).unwrap();
    type_text(&mut device, &demo.email);
    press(&mut device, &[Button::Start]);
    type_text(&mut device, &demo.app_password.replace(' ', ""));
    press(&mut device, &[Button::Up, Button::A, Button::Down]);
    device
}

#[test]
fn a_power_cut_at_any_write_of_the_token_update_leaves_a_token_that_resumes() {
    let home = tempfile::tempdir().unwrap();
    let mut device = remember_ticked(home.path());
    press(&mut device, &[Button::A]);
    settle(&mut device);
    assert_eq!(device.screen_name(), "signed-in");

    // Each start resumes and writes the rotated token: cut the power at its 1st, 2nd, ...
    // write or erase until the update needs fewer.
    let mut cuts = 0;
    for n in 1..=32 {
        device.flash().cut_power_at(n);
        device.reboot();
        settle(&mut device);
        if device.powered() {
            // The update took fewer than n operations: every one of them was cut once.
            device.flash().restore_power();
            assert_eq!(device.screen_name(), "signed-in");
            break;
        }
        cuts += 1;
        device.reboot();
        settle(&mut device);
        assert_eq!(
            device.screen_name(),
            "signed-in",
            "after a cut at operation {n} the next start has the old token or the new one"
        );
    }
    assert!(cuts >= 1, "the token update writes the flash");
}

#[test]
fn typing_redraws_and_shows_in_the_field() {
    let home = tempfile::tempdir().unwrap();
    let mut device = Device::new(options(home.path(), &profile::ZUNE)).unwrap();
    let before = (device.frame_serial(), device.frame().clone());
    type_text(&mut device, "alex@");
    assert!(device.frame_serial() > before.0);
    assert_ne!(device.frame(), &before.1);
    assert!(
        device.screen_text().contains("alex@"),
        "{}",
        device.screen_text()
    );
    device.press(RawInput::Down(Button::Start));
    device.press(RawInput::Up(Button::Start));
    assert_eq!(device.screen_name(), "account", "an address needs a domain");
}

#[test]
fn the_device_keeps_its_secret_and_flash_and_forget_wipes_the_flash() {
    let home = tempfile::tempdir().unwrap();
    let opts = options(home.path(), &profile::OLED);
    drop(Device::new(opts.clone()).unwrap());
    let secret = std::fs::read(opts.dir().join("secret")).unwrap();
    assert_eq!(secret.len(), 32);
    std::fs::write(opts.dir().join("flash.bin"), vec![0u8; FLASH_SIZE]).unwrap();
    drop(Device::new(opts.clone()).unwrap());
    assert_eq!(std::fs::read(opts.dir().join("secret")).unwrap(), secret);
    assert!(std::fs::read(opts.dir().join("flash.bin")).is_ok());
    drop(
        Device::new(DeviceOptions {
            forget: true,
            ..opts.clone()
        })
        .unwrap(),
    );
    assert!(!opts.dir().join("flash.bin").exists(), "forgotten");
    std::fs::write(opts.dir().join("secret"), b"short").unwrap();
    let error = Device::new(opts).err().unwrap().to_string();
    assert!(error.contains("not a device secret"), "{error}");
}

/// What `docs/scenarios.md` tells QA for `power cut at flash write N`: how many flash writes
/// and erases a remembered sign-in makes, and each resume after it.
#[test]
fn a_remembered_sign_in_and_each_resume_write_the_flash_as_documented() {
    let home = tempfile::tempdir().unwrap();
    let mut device = remember_ticked(home.path());
    let before = device.flash().operations();
    press(&mut device, &[Button::A]);
    settle(&mut device);
    assert_eq!(device.screen_name(), "signed-in");
    let sign_in = device.flash().operations() - before;
    let mut resumes = Vec::new();
    for _ in 0..5 {
        let before = device.flash().operations();
        device.reboot();
        settle(&mut device);
        assert_eq!(device.screen_name(), "signed-in");
        resumes.push(device.flash().operations() - before);
    }
    assert_eq!(
        (sign_in, resumes),
        (4, vec![3; 5]),
        "update docs/scenarios.md"
    );
}
