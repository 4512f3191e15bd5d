//! Says which optional programs this machine has, for the end-to-end tests that need them, so
//! that a test which cannot run shows as `ignored` (with the reason and the install command) in
//! `cargo test`'s summary instead of passing quietly:
//!
//! | cfg | missing | tests |
//! |---|---|---|
//! | `padlock_no_qemu` | `qemu-system-arm` | the board image in QEMU |
//! | `padlock_no_x` | `Xvfb`, `xdotool`, `xwd` | the simulator's window |
//! | `padlock_no_browser` | `chromium`, `chromedriver` | the Security info page in Chromium |
//!
//! Under `CI=true` none is set: there every test runs, and one whose program is missing fails
//! naming it. Installing a program changes its folder, which runs this script again.

use std::path::{Path, PathBuf};

/// Where `program` is on `PATH`, if it is.
fn find(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

fn main() {
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=CI");
    for dir in ["/usr/bin", "/usr/local/bin"] {
        if Path::new(dir).is_dir() {
            println!("cargo::rerun-if-changed={dir}");
        }
    }
    let ci = std::env::var("CI").as_deref() == Ok("true");
    for (cfg, programs) in [
        ("padlock_no_qemu", &["qemu-system-arm"][..]),
        ("padlock_no_x", &["Xvfb", "xdotool", "xwd"][..]),
        ("padlock_no_browser", &["chromium", "chromedriver"][..]),
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if !ci && programs.iter().any(|p| find(p).is_none()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
