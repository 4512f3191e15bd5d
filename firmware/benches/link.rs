//! Sign in with your phone: controller presses from power-on to the signed-in screen on every
//! profile, beside the app-password path's presses for the same account, and the cost of one
//! poll on the network, against the real gateway core on the virtual wire.
//!
//! `cargo bench -p padlock-firmware --bench link` prints `figure` lines and rewrites the link
//! section of `docs/benchmarks.md`. It runs in well under a minute: virtual time only.

#[path = "../tests/rig/mod.rs"]
mod rig;

use padlock_figures::Report;
use padlock_firmware::input::{Button, Physical};
use padlock_firmware::keyboard::typing;
use padlock_firmware::module::player::press;
use padlock_firmware::net::NetBuffers;
use padlock_firmware::net::wire::Faults;
use padlock_firmware::profile::{OLED, Profile, XBOX360, ZUNE};
use padlock_firmware::ui::{Focus, Screen};
use padlock_server::link::LinkLookup;
use rig::{EMAIL, Flash, GatewayPair, TestModule, device_keys};

/// One-way latency of the measured link.
const LATENCY_MS: u64 = 100;
/// One round trip on it.
const ROUND_TRIP_MS: f64 = 2.0 * LATENCY_MS as f64;

/// Performs `actions`, counting presses as the keyboard benchmarks do: a button press or a
/// stick move into a sector is one, the stick's return to centre is free.
fn perform(rig: &GatewayPair, module: &mut TestModule<'_, '_>, actions: &[Physical]) -> u32 {
    let mut presses = 0;
    for action in actions {
        if *action != Physical::Stick(None) {
            presses += 1;
        }
        press(module, *action, rig.now_ms);
    }
    presses
}

fn rig() -> GatewayPair {
    GatewayPair::with_links(
        1,
        Faults {
            latency_ms: LATENCY_MS,
            ..Faults::default()
        },
    )
}

/// The player on the phone approves the code on screen.
fn approve(rig: &GatewayPair, module: &TestModule<'_, '_>) {
    let code = module.ui().link().expect("a code").shown_code().to_owned();
    let account = rig.gateway.account_id(EMAIL).expect("the account");
    let LinkLookup::Found(link) = rig
        .gateway
        .find_link(account, "192.0.2.7", &code, rig.unix())
        .expect("a lookup")
    else {
        panic!("no pending link {code}");
    };
    assert!(
        rig.gateway
            .approve_link(account, &link, rig.unix())
            .unwrap()
    );
}

/// Presses from power-on with nothing remembered to the signed-in screen, by phone link; and
/// the cost of one poll (wire bytes, payload bytes, round trips) while the code shows.
fn by_link(profile: &'static Profile) -> (u32, Poll) {
    let mut rig = rig();
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(profile, &keys, &mut buffers, Flash::new());
    rig.settle(&mut module);
    let choice = typing::finish(profile, module.ui().email()).expect("a Done");
    let presses = perform(&rig, &mut module, &choice);
    assert!(rig.run_until(&mut module, 30_000, |m| m.ui().screen() == Screen::LinkCode));
    let poll = one_poll(&mut rig, &mut module);
    approve(&rig, &module);
    assert!(rig.run_until(&mut module, 30_000, |m| m.ui().screen() == Screen::SignedIn));
    (presses, poll)
}

/// What one poll cost.
struct Poll {
    wire_bytes: u64,
    payload_bytes: u64,
    round_trips: f64,
}

/// Waits for the next poll and measures it, from the moment it starts until its connection's
/// last packet.
fn one_poll(rig: &mut GatewayPair, module: &mut TestModule<'_, '_>) -> Poll {
    assert!(rig.run_until(module, 30_000, |m| m.network().busy()));
    let start = rig.now_ms;
    let wire_before: u64 = rig.wire.delivered().iter().sum();
    let traffic = rig.far_end.traffic();
    let payload_before = traffic.received + traffic.sent;
    assert!(rig.run_until(module, 30_000, |m| !m.network().busy()));
    let elapsed = rig.now_ms - start;
    // The connection's last packets (FIN, reset), well before the next poll.
    rig.run_until(module, 1_000, |_| false);
    assert_eq!(module.ui().screen(), Screen::LinkCode, "still waiting");
    let traffic = rig.far_end.traffic();
    Poll {
        wire_bytes: rig.wire.delivered().iter().sum::<u64>() - wire_before,
        payload_bytes: traffic.received + traffic.sent - payload_before,
        round_trips: elapsed as f64 / ROUND_TRIP_MS,
    }
}

/// Presses from power-on with nothing remembered to the signed-in screen with the account's
/// address and an app password, "remember" ticked (the fewest presses the planner finds).
fn by_app_password(profile: &'static Profile) -> u32 {
    let mut rig = rig();
    let app_password = rig.app_password();
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(profile, &keys, &mut buffers, Flash::new());
    rig.settle(&mut module);
    let mut presses = 0;
    let email = typing::keystrokes_into(module.ui(), EMAIL).expect("typed");
    presses += perform(&rig, &mut module, &email);
    let done = typing::finish(profile, module.ui().email()).expect("a Done");
    presses += perform(&rig, &mut module, &done);
    assert_eq!(module.ui().screen(), Screen::Password);
    let password = typing::keystrokes_into(module.ui(), &app_password).expect("typed");
    presses += perform(&rig, &mut module, &password);
    // Sixteen letters move the focus to Sign in: up to the checkbox, tick, down, Sign in.
    assert_eq!(module.ui().focus(), Focus::SignIn);
    let remember = [Button::Up, Button::A, Button::Down, Button::A].map(Physical::Press);
    presses += perform(&rig, &mut module, &remember);
    assert!(module.ui().remember());
    assert!(rig.run_until(&mut module, 30_000, |m| m.ui().screen() == Screen::SignedIn));
    presses
}

fn main() {
    let mut report = Report::new(
        "padlock-firmware link",
        "cargo bench -p padlock-firmware --bench link",
    );
    report.note(
        "Sign in with your phone against the real gateway core (`padlock-server`, in-memory \
         SQLite, offering links) on the in-memory wire at 100 ms one-way latency, on virtual \
         time. Presses from power-on with nothing remembered to the signed-in screen, counted as \
         the keyboard benchmarks count them (a button press or a stick move into a sector is one; \
         the stick's return to centre is free). By link: the phone choice is Done on the empty \
         email keyboard (Start on the Xbox 360; two strokes to the Done key on the Zune; \
         one move up to the Done key on the board, whose five buttons all belong to the keyboard: \
         its email keyboard keeps Done in the first cell of the last row, where the cursor \
         wraps to from the first key), \
         then the approval on the phone, which takes no controller press. By app password, for \
         the same account (`alex@outlook.com`) and a fresh app password: the planner's fewest \
         presses for the address, Done, the sixteen letters, Remember ticked, Sign in. Bar: at \
         most 2 presses by link.",
    );
    report.note(
        "One poll: the bytes of the IP packets the wire delivered both ways (TCP/IP headers \
         included) and the TCP payload through the gateway's sockets (`LinkPoll` and \
         `LinkWaiting` frames with their length prefixes), from the poll's start until its \
         connection's last packet; round trips = its elapsed virtual time divided by one round \
         trip (200 ms): the TCP handshake and one Noise exchange.",
    );
    let mut poll = None;
    for profile in [&XBOX360, &ZUNE, &OLED] {
        let (link, measured) = by_link(profile);
        let password = by_app_password(profile);
        report.figure(
            &format!("presses_to_signed_in_by_link_{}", profile.name),
            f64::from(link),
            "presses",
        );
        report.figure(
            &format!("presses_to_signed_in_by_app_password_{}", profile.name),
            f64::from(password),
            "presses",
        );
        poll.get_or_insert(measured);
    }
    let poll = poll.expect("three profiles");
    report.figure("link_poll_wire_bytes", poll.wire_bytes as f64, "bytes");
    report.figure(
        "link_poll_payload_bytes",
        poll.payload_bytes as f64,
        "bytes",
    );
    report.figure("link_poll_round_trips", poll.round_trips, "round trips");
    match report.write_docs() {
        Ok(path) => println!("wrote {}", path.display()),
        Err(e) => eprintln!("could not update docs/benchmarks.md: {e}"),
    }
}
