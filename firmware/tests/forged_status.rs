//! Plain status frames (unsupported version, handshake rejected, busy) carry no authentication:
//! anyone on the network path can send one in place of the gateway's reply. Here a scripted far
//! end forges each of them in front of the real gateway, and the device must treat it as one
//! failed attempt the player can retry, never as "this device needs an update" (a dead end, and
//! a lure for a fake update). Only the gateway's own authenticated `Denied { UnsupportedVersion }`
//! may say that.

mod rig;

use std::sync::Arc;

use padlock_firmware::input::{Button, Physical};
use padlock_firmware::module::player::{press, sign_in, type_text};
use padlock_firmware::net::NetBuffers;
use padlock_firmware::net::wire::Faults;
use padlock_firmware::profile::XBOX360;
use padlock_firmware::ui::{Choice, Problem, Screen};
use padlock_protocol::session::{ReplyStatus, write_status};
use padlock_server::{Gateway, UnixMillis};
use rig::{DISPLAY_NAME, EMAIL, Flash, GatewayPair, device_keys};

/// A far end made up in the test: frames in, a reply frame (or nothing) out.
type Script = Box<dyn FnMut(&[u8], UnixMillis) -> Option<Vec<u8>> + Send>;

/// The far end answers the first `forged` requests with the plain `status` frame, then lets the
/// gateway answer.
fn forging(status: ReplyStatus, forged: usize) -> impl FnOnce(Arc<Gateway>) -> Script {
    move |gateway| {
        let mut left = forged;
        Box::new(move |body: &[u8], now: UnixMillis| {
            if left > 0 {
                left -= 1;
                let mut frame = [0u8; 8];
                let n = write_status(status, &mut frame).ok()?;
                return Some(frame[..n].to_vec());
            }
            gateway.answer(body, now)
        })
    }
}

#[test]
fn a_forged_status_is_a_failed_attempt_and_try_again_signs_in() {
    for status in [
        ReplyStatus::UnsupportedVersion,
        ReplyStatus::HandshakeRejected,
        ReplyStatus::Busy,
    ] {
        let mut rig = GatewayPair::scripted(1, Faults::default(), forging(status, 1));
        let app_password = rig
            .gateway
            .create_app_password(EMAIL, "Xbox 360", rig.unix())
            .expect("an app password")
            .formatted
            .replace(' ', "");
        let keys = device_keys();
        let mut buffers = NetBuffers::new();
        let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, Flash::new());
        rig.settle(&mut module);
        type_text(&mut module, EMAIL, rig.now_ms).expect("the email keyboard types it");
        press(&mut module, Physical::Press(Button::Start), rig.now_ms);
        type_text(&mut module, &app_password, rig.now_ms).expect("the keyboard types it");
        sign_in(&mut module, false, rig.now_ms);
        rig.settle(&mut module);

        let Screen::Problem(problem) = module.ui().screen() else {
            panic!(
                "{status:?}: {:?} instead of a problem",
                module.ui().screen()
            );
        };
        assert_ne!(problem, Problem::UpdateNeeded, "{status:?}");
        assert_eq!(
            module.ui().choices(),
            [Some(Choice::Retry), Some(Choice::Back)],
            "{status:?}: the player can try again"
        );

        // Try again: this time the gateway's own answer arrives.
        press(&mut module, Physical::Press(Button::A), rig.now_ms);
        rig.settle(&mut module);
        assert_eq!(module.ui().screen(), Screen::SignedIn, "{status:?}");
        assert_eq!(module.ui().display_name(), DISPLAY_NAME);
    }
}
