//! Board figures: flash and static RAM of the firmware image (from its ELF), and, on QEMU
//! against the real `padlock-server`, the time from Sign in to the signed-in screen and the
//! stack's high-water mark after whole sign-ins (both halves of the Noise handshake, the vault
//! storing the token, and the screens).
//!
//! `cargo bench -p padlock-tests --bench board` prints `figure` lines and rewrites the board's
//! section of `docs/benchmarks.md`. Needs `qemu-system-arm` for the QEMU figures.

use std::time::Duration;

use padlock_figures::Report;
use padlock_firmware::input::Button;
use padlock_tests::elf::image_size;
use padlock_tests::qemu;
use padlock_tests::signin::{BoardAndGateway, Player, SIGN_IN_TIMEOUT, host_ui};

/// Sign-ins timed; the median is reported.
const SIGN_INS: usize = 5;

/// What the QEMU run measures.
struct Run {
    /// Device milliseconds from the signing-in screen to the signed-in screen, per sign-in.
    signin_ms: Vec<u64>,
    /// Stack high-water mark after all of them.
    stack_peak: u64,
}

fn run_on_qemu() -> Result<Run, String> {
    let rig = BoardAndGateway::start(&qemu::repo_root().join("target/qemu-board/bench"))?;
    let mut board = rig.boot("bench")?;
    board.wait_for_log(0, "screen Account", Duration::from_secs(10))?;
    board.arm_buttons()?;
    let mut player = Player {
        board: &mut board,
        ui: host_ui(None),
    };
    let mut signin_ms = Vec::new();
    for round in 0..SIGN_INS {
        if round > 0 {
            // Sign out: back to the account screen, address kept.
            player.press(Button::A)?;
        }
        player.fill_in(&rig.app_password, true)?;
        let before = player.sign_in()?;
        let (at, start) =
            player
                .board
                .wait_for_log(before, "screen SigningIn", Duration::from_secs(5))?;
        let (_, end) = player
            .board
            .wait_for_log(at, "screen SignedIn", SIGN_IN_TIMEOUT)?;
        let (Some(start), Some(end)) = (start.ms, end.ms) else {
            return Err("the device log has no timestamps".into());
        };
        signin_ms.push(end - start);
        player.ui.outcome(padlock_firmware::ui::Outcome::Granted {
            display_name: padlock_tests::signin::NAME
                .try_into()
                .map_err(|_| "display name")?,
        });
    }
    let stats =
        std::fs::read_to_string(rig.dir.join("padlock-stats.txt")).map_err(|e| e.to_string())?;
    let stack_peak = stats
        .lines()
        .find_map(|l| l.strip_prefix("stack_peak_bytes="))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no stack figure in {stats:?}"))?;
    Ok(Run {
        signin_ms,
        stack_peak,
    })
}

fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("board bench: run with cargo bench");
        return;
    }
    let elf = qemu::build_image().expect("board image builds");
    let size = image_size(&elf, 0x2000_0000).expect("readable ELF");
    let mut report = Report::new(
        "boards/lm3s6965evb",
        "cargo bench -p padlock-tests --bench board",
    );
    report.note(&format!(
        "Release image (opt-level z, LTO, panic abort, firmware without its default features). \
         Flash counts the vector table, code, read-only data and the initial values of `.data`; \
         static RAM counts `.data`, `.bss` and `.uninit`, read from the ELF's section headers. \
         The QEMU figures come from {SIGN_INS} sign-ins in one boot against the real \
         `padlock-server serve` on the host (an account with two-step verification, an app \
         password typed with the planner's presses, remember ticked, signing out between \
         them). `board_signin_ms` is the median time on the device's clock (SysTick, which \
         QEMU runs at host speed) from its log line of the signing-in screen, drawn right \
         after the Sign in press is handled, to that of the signed-in screen, logged once \
         drawn: TCP connect through slirp, both Noise messages, the gateway's checks and \
         the vault storing the token. The stack peak is a painted-stack high-water mark \
         after those sign-ins, so it includes both halves of the handshake. Bars: flash at \
         most 128 KB; static RAM and stack together at most 40 KB.",
    ));
    report
        .figure("board_flash_bytes", size.flash as f64, "bytes")
        .figure("board_static_ram_bytes", size.static_ram as f64, "bytes");
    if qemu::available() {
        match run_on_qemu() {
            Ok(mut run) => {
                eprintln!("sign-ins (device ms): {:?}", run.signin_ms);
                report
                    .figure("board_signin_ms", median(&mut run.signin_ms) as f64, "ms")
                    .figure("board_stack_peak_bytes", run.stack_peak as f64, "bytes")
                    .figure(
                        "board_static_ram_plus_stack_bytes",
                        (size.static_ram + run.stack_peak) as f64,
                        "bytes",
                    );
            }
            Err(e) => eprintln!("no QEMU figures: {e}"),
        }
    } else {
        eprintln!("qemu-system-arm not found: no QEMU figures");
    }
    if let Err(e) = report.write_docs() {
        eprintln!("could not update docs/benchmarks.md: {e}");
    }
}
