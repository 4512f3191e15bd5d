//! Template board figures: flash and static RAM of `boards/template` (Cortex-M0+,
//! `thumbv6m-none-eabi`, opt-level z, LTO) per feature set, read from its ELF; the differences
//! from the build without features are what each feature costs in flash.
//!
//! `cargo bench -p padlock-tests --bench template` prints `figure` lines and rewrites the
//! template's section of `docs/benchmarks.md`. Needs only the `thumbv6m-none-eabi` target.

use padlock_figures::Report;
use padlock_tests::elf::image_size;
use padlock_tests::qemu::build_board;

/// Feature sets: the figure's suffix and the template's features.
const SETS: [(&str, &[&str]); 5] = [
    ("no_logging", &[]),
    ("defmt", &["defmt"]),
    ("dhcp", &["dhcp"]),
    ("large_text", &["large-text"]),
    ("qr", &["qr"]),
];

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("template bench: run with cargo bench");
        return;
    }
    let mut report = Report::new(
        "boards/template",
        "cargo bench -p padlock-tests --bench template",
    );
    report.note(
        "Release image of `boards/template` for `thumbv6m-none-eabi` (opt-level z, LTO, one \
         codegen unit, panic abort, firmware without its default features), one build per \
         feature set. Flash counts the vector table, code, read-only data and the initial \
         values of `.data`; static RAM counts `.data`, `.bss` and `.uninit`, read from the \
         ELF's section headers: the keypair and the network buffers, which `singleton!` \
         places there. The module itself (with the vault and its 2 KB in-RAM flash) and the \
         1 KB frame buffer are locals of `main`, on its stack (`size_of` figures: \
         `static_ram_bytes_oled` in the signin section). `*_cost_*` is a feature set's flash \
         less the build without features. Stack: see `board_stack_peak_bytes` (the same \
         module and main-loop shape, painted-stack peak measured on the QEMU board during whole \
         sign-ins; Cortex-M3 code, not the M0+'s).",
    );
    let mut base = None;
    for (name, features) in SETS {
        let elf =
            build_board("template", "thumbv6m-none-eabi", features).expect("the template builds");
        let size = image_size(&elf, 0x2000_0000).expect("readable ELF");
        report
            .figure(
                &format!("template_flash_bytes_{name}"),
                size.flash as f64,
                "bytes",
            )
            .figure(
                &format!("template_static_ram_bytes_{name}"),
                size.static_ram as f64,
                "bytes",
            );
        match base {
            None => base = Some(size.flash),
            Some(base) => {
                report.figure(
                    &format!("template_flash_cost_{name}"),
                    size.flash as f64 - base as f64,
                    "bytes",
                );
            }
        }
    }
    if let Err(e) = report.write_docs() {
        eprintln!("could not update docs/benchmarks.md: {e}");
    }
}
