//! Sign-in cost on the network: round trips and bytes, measured on the virtual wire against
//! the real gateway core, and the RAM the module needs.
//!
//! `cargo bench -p padlock-firmware --bench signin` prints `figure` lines and rewrites the
//! sign-in section of `docs/benchmarks.md`.
//!
//! The device module and `padlock-server`'s core (in-memory SQLite, fast argon2 parameters so
//! hashing does not cost virtual time; virtual time does not see CPU time anyway) run on the
//! two ends of the in-memory wire (`padlock_firmware::net::wire`) at 100 ms one-way latency and
//! no loss, on virtual time: each step jumps to the next packet arrival or timer, so elapsed
//! virtual time is network time only.

#[path = "../tests/rig/mod.rs"]
mod rig;

use std::mem::size_of;

use padlock_figures::Report;
use padlock_firmware::input::{Button, Physical};
use padlock_firmware::module::player::{press, sign_in, type_text};
use padlock_firmware::net::NetBuffers;
use padlock_firmware::net::wire::{Fate, Faults};
use padlock_firmware::profile::{OLED, XBOX360};
use padlock_firmware::render::Renderer;
use padlock_firmware::ui::Screen;
use padlock_protocol::StaticKeypair;
use rig::{EMAIL, Flash, GatewayPair, TestModule, device_keys};

/// One-way latency of the measured link.
const LATENCY_MS: u64 = 100;
/// One round trip on it.
const ROUND_TRIP_MS: f64 = 2.0 * LATENCY_MS as f64;

/// What one exchange cost, from its start until every packet of it has arrived.
struct Cost {
    /// Virtual time from the start to the signed-in screen.
    elapsed_ms: u64,
    /// Bytes of the IP packets delivered, both ways, TCP/IP headers included.
    wire_bytes: u64,
    /// IP packets delivered, both ways.
    wire_packets: usize,
    /// TCP payload through the gateway's sockets, both ways.
    payload_bytes: u64,
}

/// Measures from now until the module shows the signed-in screen, then lets the connection's
/// last packets (the gateway's FIN, the device's reset) arrive and counts them too.
fn measure(rig: &mut GatewayPair, module: &mut TestModule<'_, '_>, start_ms: u64) -> Cost {
    let wire_before: u64 = rig.wire.delivered().iter().sum();
    rig.wire.capture(true);
    let traffic = rig.far_end.traffic();
    let payload_before = traffic.received + traffic.sent;
    let signed_in = rig.run_until(module, 30_000, |m| m.ui().screen() == Screen::SignedIn);
    assert!(
        signed_in,
        "no sign-in within 30 s: {:?}",
        module.ui().screen()
    );
    let elapsed_ms = rig.now_ms - start_ms;
    rig.run_until(module, 5_000, |_| false);
    let traffic = rig.far_end.traffic();
    let wire_packets = rig.take_packets(Fate::Delivered);
    rig.wire.capture(false);
    Cost {
        elapsed_ms,
        wire_bytes: rig.wire.delivered().iter().sum::<u64>() - wire_before,
        wire_packets,
        payload_bytes: traffic.received + traffic.sent - payload_before,
    }
}

/// A sign-in with an app password and "remember", timed from the press of Sign in, then a
/// reboot that resumes with the remembered token, timed from power-on.
fn sign_in_then_resume() -> (Cost, Cost) {
    let link = Faults {
        latency_ms: LATENCY_MS,
        ..Faults::default()
    };
    let mut rig = GatewayPair::new(1, link);
    let app_password = rig.app_password();
    let keys = device_keys();

    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, Flash::new());
    rig.settle(&mut module);
    type_text(&mut module, EMAIL, rig.now_ms).expect("typed");
    press(&mut module, Physical::Press(Button::Start), rig.now_ms);
    type_text(&mut module, &app_password, rig.now_ms).expect("typed");
    // Sign in is pressed now: the clock starts.
    let start = rig.now_ms;
    sign_in(&mut module, true, start);
    let signin = measure(&mut rig, &mut module, start);
    let flash = module.into_flash();

    let mut buffers = NetBuffers::new();
    let start = rig.now_ms;
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, flash);
    let resume = measure(&mut rig, &mut module, start);
    (signin, resume)
}

/// Bytes the platform allocates for the module: the module itself (less the platform's own
/// flash driver and random generator, which are its types, not ours), its network buffers and
/// socket slots, the device keys it borrows, and the renderer. The profile is a value the
/// module reads, not part of any type, so every profile needs the same.
fn static_ram_bytes() -> usize {
    size_of::<TestModule<'static, 'static>>() - size_of::<Flash>()
        + size_of::<NetBuffers<'static>>()
        + size_of::<StaticKeypair>()
        + size_of::<Renderer>()
}

fn main() {
    let (signin, resume) = sign_in_then_resume();
    let mut report = Report::new(
        "padlock-firmware signin",
        "cargo bench -p padlock-firmware --bench signin",
    );
    report.note(&format!(
        "The device module (driven by button presses) and the real gateway core \
         (`padlock-server`, in-memory SQLite, fast argon2 parameters) on the two ends of the \
         in-memory wire at {LATENCY_MS} ms one-way latency, no loss, on virtual time: the rig \
         jumps from one packet arrival or timer to the next, so elapsed time is network time \
         only. Round trips = elapsed virtual time from the press of Sign in (for a resume: from \
         power-on with a remembered token) to the signed-in screen, divided by one round trip \
         ({ROUND_TRIP_MS:.0} ms). Bar: 2 (the TCP handshake and the Noise exchange)."
    ));
    report.note(
        "Wire bytes and packets: the IP packets the wire delivered both ways, TCP/IP headers \
         included, from Sign in until the connection's last packet. A sign-in is five packets: \
         SYN and SYN-ACK (52 bytes each, with TCP options), the handshake's ACK carrying the \
         request, the reply carrying the gateway's FIN, and the device's reset. Payload bytes: \
         the TCP payload through the gateway's sockets (request and reply frames with their \
         length prefixes). DESIGN.md's 400-byte budget is met by the payload; with \
         headers no TCP/IPv4 exchange of this payload fits in 400 (even four bare packets add \
         160 bytes of headers).",
    );
    report.note(
        "Static RAM: `size_of` of what the platform allocates for the module: the `Module` (less \
         the platform's own flash driver and random generator), `NetBuffers` with its socket \
         slots and buffers, the `StaticKeypair` the module borrows, and the `Renderer`; the \
         display's frame buffer is the platform's and not counted. The profile is a value the \
         module reads, not part of a type, so both profiles need the same.",
    );
    report.figure(
        "signin_round_trips",
        signin.elapsed_ms as f64 / ROUND_TRIP_MS,
        "round trips",
    );
    report.figure("signin_wire_bytes", signin.wire_bytes as f64, "bytes");
    report.figure("signin_wire_packets", signin.wire_packets as f64, "packets");
    report.figure("signin_payload_bytes", signin.payload_bytes as f64, "bytes");
    report.figure(
        "resume_round_trips",
        resume.elapsed_ms as f64 / ROUND_TRIP_MS,
        "round trips",
    );
    report.figure("resume_wire_bytes", resume.wire_bytes as f64, "bytes");
    for profile in [&OLED, &XBOX360] {
        report.figure(
            &format!("static_ram_bytes_{}", profile.name),
            static_ram_bytes() as f64,
            "bytes",
        );
    }
    match report.write_docs() {
        Ok(path) => println!("wrote {}", path.display()),
        Err(e) => eprintln!("could not update docs/benchmarks.md: {e}"),
    }
}
