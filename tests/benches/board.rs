//! Board figures: flash and static RAM of the firmware image (from its ELF), and the stack's
//! high-water mark on QEMU after typing an address and an app password and pressing Sign in
//! (which runs the Noise handshake's first half).
//!
//! `cargo bench -p padlock-tests --bench board` prints `figure` lines and rewrites the board's
//! section of `docs/benchmarks.md`. Needs `qemu-system-arm` for the stack figure.

use std::time::Duration;

use padlock_figures::Report;
use padlock_firmware::keyboard::planner::{plan, plan_done};
use padlock_firmware::profile::OLED;
use padlock_firmware::text::Language;
use padlock_firmware::ui::{Ui, UiConfig};
use padlock_tests::elf::image_size;
use padlock_tests::qemu::{self, Qemu};

fn stack_peak(elf: &std::path::Path) -> Result<u64, String> {
    let dir = qemu::repo_root().join("target/qemu-board-bench");
    let _ = std::fs::remove_dir_all(&dir);
    let mut board = Qemu::boot(elf, &dir, &[])?;
    std::thread::sleep(Duration::from_millis(700));
    board.arm_buttons()?;
    // Drive a host Ui alongside, so the planner plans from the board's real state.
    let mut ui = Ui::new(
        UiConfig {
            profile: &OLED,
            language: Language::English,
            security_info_url: "https://account.example.com/security",
        },
        None,
    );
    let steps = [plan(&OLED, ui.email(), "alex@outlook.com")
        .ok_or("plan email")?
        .actions];
    for actions in steps {
        board.perform(&actions)?;
        actions.iter().for_each(|a| {
            ui.input(*a);
        });
    }
    let done = plan_done(&OLED, ui.email()).ok_or("plan done")?.actions;
    board.perform(&done)?;
    done.iter().for_each(|a| {
        ui.input(*a);
    });
    let password = plan(&OLED, ui.password(), "abcdefghijklmnop")
        .ok_or("plan password")?
        .actions;
    board.perform(&password)?;
    // The 16th letter moves the focus to Sign in: press it.
    board.press(padlock_firmware::input::Button::A)?;
    // No gateway listens: the attempt ends on a problem screen after its retries.
    std::thread::sleep(Duration::from_secs(4));
    let stats =
        std::fs::read_to_string(dir.join("padlock-stats.txt")).map_err(|e| e.to_string())?;
    stats
        .lines()
        .find_map(|l| l.strip_prefix("stack_peak_bytes="))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no stack figure in {stats:?}"))
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
    report.note(
        "Release image (opt-level z, LTO, panic abort, firmware without its default features). \
         Flash counts the vector table, code, read-only data and the initial values of `.data`; \
         static RAM counts `.data`, `.bss` and `.uninit`, read from the ELF's section headers. \
         The stack peak is a painted-stack high-water mark read on QEMU after typing an address \
         and an app password and pressing Sign in with no gateway listening (the handshake's \
         first half runs; the reply's half does not). Bars: flash at most 128 KB; static RAM \
         and stack together at most 40 KB.",
    );
    report
        .figure("board_flash_bytes", size.flash as f64, "bytes")
        .figure("board_static_ram_bytes", size.static_ram as f64, "bytes");
    if qemu::available() {
        match stack_peak(&elf) {
            Ok(peak) => {
                report
                    .figure("board_stack_peak_bytes", peak as f64, "bytes")
                    .figure(
                        "board_static_ram_plus_stack_bytes",
                        (size.static_ram + peak) as f64,
                        "bytes",
                    );
            }
            Err(e) => eprintln!("no stack figure: {e}"),
        }
    } else {
        eprintln!("qemu-system-arm not found: no stack figure");
    }
    if let Err(e) = report.write_docs() {
        eprintln!("could not update docs/benchmarks.md: {e}");
    }
}
