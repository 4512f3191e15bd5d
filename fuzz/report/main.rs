//! Runs every fuzz target from its corpus for a while and reports, per target, the inputs
//! executed and the crashes found, as `figure` lines (and, with `--write-docs`, in the `fuzz`
//! section of docs/benchmarks.md).
//!
//! Run from `fuzz/` after `cargo fuzz build` and the seed corpus (README.md):
//! `target/x86_64-unknown-linux-gnu/release/fuzz-report --seconds 600 --write-docs`.
//! `--runs N` bounds each target by inputs instead of time (what CI does).

use std::process::Command;

use padlock_figures::Report;

/// Every fuzz target, in the order they are run.
const TARGETS: [&str; 6] = [
    "frame_decoder",
    "read_request",
    "payloads",
    "gateway_answer",
    "vault_load",
    "scenario_parse",
];

/// The inputs libFuzzer executed, from its final statistics.
fn executed(stderr: &str) -> Option<f64> {
    stderr
        .lines()
        .find_map(|line| line.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let bound = match (value("--seconds"), value("--runs")) {
        (Some(seconds), _) => format!("-max_total_time={seconds}"),
        (None, Some(runs)) => format!("-runs={runs}"),
        (None, None) => "-max_total_time=60".to_owned(),
    };
    let command = format!(
        "cd fuzz && cargo fuzz build && target/x86_64-unknown-linux-gnu/release/seed-corpus && \
         target/x86_64-unknown-linux-gnu/release/fuzz-report {}",
        args.join(" ")
    );
    let mut report = Report::new("fuzz", &command);
    report.note(&format!(
        "Each target runs from its seed corpus (docs/protocol.md's vectors, vault images, the \
         simulator's scenarios) with `cargo fuzz run TARGET corpus/TARGET -- {bound}` \
         (libFuzzer, AddressSanitizer, release build with debug assertions), one after the \
         other on one core. `execs` counts the inputs run; `crashes` counts targets that \
         stopped on a failure (a panic, a failed check or a sanitizer report), whose input \
         libFuzzer leaves in `artifacts/`."
    ));
    let mut crashed = 0;
    for target in TARGETS {
        let output = Command::new("cargo")
            .args(["fuzz", "run", target, &format!("corpus/{target}"), "--"])
            .args([bound.as_str(), "-print_final_stats=1"])
            .output()
            .expect("cargo fuzz runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let crashes = u32::from(!output.status.success());
        if crashes > 0 {
            eprintln!("{target} failed:\n{stderr}");
        }
        crashed += crashes;
        report.figure(
            &format!("fuzz_{target}_execs"),
            executed(&stderr).unwrap_or(0.0),
            "execs",
        );
        report.figure(
            &format!("fuzz_{target}_crashes"),
            f64::from(crashes),
            "crashes",
        );
    }
    if args.iter().any(|a| a == "--write-docs") {
        report.write_docs().expect("docs/benchmarks.md is writable");
    }
    if crashed > 0 {
        std::process::exit(1);
    }
}
