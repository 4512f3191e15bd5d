//! The device on its own: boot, input, rendering, flash and power (the sign-in itself is
//! covered by the shipped scenarios, which run against the embedded gateway).

use super::*;
use padlock_firmware::input::Button;
use padlock_firmware::keyboard::planner::plan;
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

fn type_text(device: &mut Device, text: &str) {
    let keyboard = device.ui().unwrap().email().clone();
    for action in plan(device.profile(), &keyboard, text).unwrap().actions {
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
