//! Sign in with your phone, end to end inside the test process: the device module, driven by
//! button presses, asks the real gateway core for a link code over the virtual wire and polls
//! it, as `tests/end_to_end.rs` signs in with an app password.

mod rig;

use padlock_firmware::input::{Button, Physical};
use padlock_firmware::module::player::press;
use padlock_firmware::net::NetBuffers;
use padlock_firmware::net::wire::Faults;
use padlock_firmware::profile::XBOX360;
use padlock_firmware::ui::Screen;
use rig::{Flash, Rig, device_keys};

#[test]
fn a_gateway_without_links_hides_the_phone_choice() {
    let mut rig = Rig::new(1, Faults::default());
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
