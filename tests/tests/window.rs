//! The interactive simulator for real: the built `padlock-simulator` binary opens its window on
//! an Xvfb display, `xdotool` presses keys as a player would, and `xwd` reads the window back.
//!
//! What the window shows is compared pixel for pixel with a headless [`Device`] of the same
//! profile after the same controller events: the sign-in's first screen at start, the keyboard
//! cursor one key to the right after a Right arrow, the key map over the device after F1 and
//! gone after a second F1. So the test proves the whole path: X11 key events → key map → raw
//! controller events → the real module → renderer → scaling → the window on the X server.
//!
//! Needs `Xvfb`, `xdotool` and `xwd` (Debian: `xvfb xdotool x11-apps`, which .ci/run installs).
//! Without them the tests are listed as ignored with the install command (`tests/build.rs`);
//! under `CI=true` they run and fail instead.
//! Screenshots of each step are kept under `target/window-test/` as PPM images.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use embedded_graphics::prelude::{PointsIter, Size};
use embedded_graphics::primitives::Rectangle;
use padlock_firmware::input::Physical;
use padlock_firmware::input::{Button, RawInput};
use padlock_firmware::keyboard::planner::{plan, plan_done};
use padlock_firmware::profile::{self, Profile};
use padlock_firmware::ui::{Focus, Screen};
use padlock_simulator::demo;
use padlock_simulator::device::{Device, DeviceOptions, Framebuffer, GatewayChoice};
use padlock_simulator::keymap::{KeyMap, key_name};
use padlock_simulator::output::png;
use padlock_simulator::window::Layout;
use padlock_tests::gateway::{self, Server, Serving};

/// How long to wait for something the simulator should do soon: generous, as a debug build on
/// a loaded machine is slow; a pass never waits for it.
const PATIENCE: Duration = Duration::from_secs(60);

const TOOLS: [(&str, &str); 3] = [
    ("Xvfb", "xvfb"),
    ("xdotool", "xdotool"),
    ("xwd", "x11-apps"),
];

/// Whether the X tools are missing: then the test is skipped (said on stderr), except under
/// `CI=true`, where it fails.
fn skip_without_x() -> bool {
    let missing = missing_tools();
    if missing.is_empty() {
        return false;
    }
    let message = format!(
        "the window test needs Xvfb, xdotool and xwd: apt-get install {}",
        missing.join(" ")
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    eprintln!("skipped: {message}");
    true
}

fn missing_tools() -> Vec<&'static str> {
    TOOLS
        .iter()
        .filter(|(tool, _)| {
            !std::env::var_os("PATH")
                .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(tool).is_file()))
        })
        .map(|(_, package)| *package)
        .collect()
}

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // SIGTERM first: Xvfb then removes its lock file and socket.
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where this test's files go: `target/window-test/`.
fn work_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    // target/<profile>/deps/window-<hash>
    let target = exe.ancestors().nth(3).expect("target folder").to_path_buf();
    target.join("window-test")
}

/// Builds the simulator binary in the profile this test was built in, and returns its path.
fn build_simulator() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .ancestors()
        .nth(2)
        .expect("profile folder")
        .to_path_buf();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build.args([
        "build",
        "--quiet",
        "-p",
        "padlock-simulator",
        "--bin",
        "padlock-simulator",
    ]);
    if release {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(
        status.success(),
        "building padlock-simulator failed: {status}"
    );
    profile_dir.join("padlock-simulator")
}

/// Starts Xvfb on a display number it finds free itself (`-displayfd`: it writes the number
/// once it accepts clients); returns the display and the process.
fn start_xvfb(screen: &str) -> (String, Killed) {
    let mut child = Command::new("Xvfb")
        // -noreset: the server would otherwise reset, refusing clients for a moment, each time
        // its last client (a simulator the test stops) goes.
        .args([
            "-displayfd",
            "1",
            "-noreset",
            "-screen",
            "0",
            screen,
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts");
    let stdout = child.stdout.take().expect("stdout");
    let xvfb = Killed(child);
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let number = rx
        .recv_timeout(PATIENCE)
        .expect("Xvfb says its display number");
    let number = number.trim();
    assert!(
        !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
        "Xvfb did not start (it said {number:?})"
    );
    (format!(":{number}"), xvfb)
}

fn x_tool(display: &str, tool: &str, args: &[&str]) -> std::process::Output {
    Command::new(tool)
        .args(args)
        .env("DISPLAY", display)
        .output()
        .unwrap_or_else(|e| panic!("{tool} runs: {e}"))
}

/// An RGB screenshot.
#[derive(Clone, PartialEq, Eq)]
struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Image {
    fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let at = ((y * self.width + x) * 3) as usize;
        [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
    }

    /// How many device pixels differ between `area` of this window image, where each device
    /// pixel is a `scale` × `scale` block, and `device`.
    fn differences(&self, area: Rectangle, scale: u32, device: &Framebuffer) -> usize {
        let mut different = 0;
        for y in 0..device.height {
            for x in 0..device.width {
                let (left, top) = (
                    area.top_left.x as u32 + x * scale,
                    area.top_left.y as u32 + y * scale,
                );
                let block_matches = (0..scale).all(|dy| {
                    (0..scale).all(|dx| {
                        let (wx, wy) = (left + dx, top + dy);
                        wx < self.width
                            && wy < self.height
                            && self.pixel(wx, wy) == device.pixel(x, y)
                    })
                });
                if !block_matches {
                    different += 1;
                }
            }
        }
        different
    }

    fn save_ppm(&self, path: &Path) {
        let mut bytes = format!("P6\n{} {}\n255\n", self.width, self.height).into_bytes();
        bytes.extend_from_slice(&self.rgb);
        std::fs::write(path, bytes).expect("screenshot written");
    }
}

/// Reads an XWD file (`xwd -silent`): a big-endian header, colours, then Z-pixmap rows.
fn parse_xwd(data: &[u8]) -> Image {
    let field = |i: usize| u32::from_be_bytes(data[i * 4..i * 4 + 4].try_into().unwrap());
    let (header_size, version, format) = (field(0), field(1), field(2));
    assert_eq!((version, format), (7, 2), "an XWD version 7 Z-pixmap");
    let (width, height) = (field(4), field(5));
    let byte_order = field(7);
    let bits_per_pixel = field(11);
    let bytes_per_line = field(12) as usize;
    let masks = [field(13 + 1), field(13 + 2), field(13 + 3)];
    let colours = field(19) as usize;
    assert_eq!(
        bits_per_pixel, 32,
        "a 24-bit TrueColor display (Xvfb -screen 0 WxHx24)"
    );
    let pixels = &data[header_size as usize + colours * 12..];
    let mut rgb = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height as usize {
        for x in 0..width as usize {
            let at = y * bytes_per_line + x * 4;
            let bytes: [u8; 4] = pixels[at..at + 4].try_into().unwrap();
            let value = if byte_order == 0 {
                u32::from_le_bytes(bytes)
            } else {
                u32::from_be_bytes(bytes)
            };
            for mask in masks {
                rgb.push(((value & mask) >> mask.trailing_zeros()) as u8);
            }
        }
    }
    Image { width, height, rgb }
}

/// The simulator under test: its window on the display, its stdout lines.
struct Simulator {
    _process: Killed,
    display: String,
    window: String,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Simulator {
    fn screenshot(&self) -> Image {
        let out = x_tool(&self.display, "xwd", &["-id", &self.window, "-silent"]);
        assert!(
            out.status.success(),
            "xwd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        parse_xwd(&out.stdout)
    }

    fn key(&self, name: &str) {
        // Down and up from one xdotool run: they reach the window together, so a busy
        // machine cannot stretch the press past the module's auto-repeat delay (400 ms).
        let out = x_tool(&self.display, "xdotool", &["key", name]);
        assert!(out.status.success(), "xdotool key {name}");
    }

    /// Waits until the stdout line `wanted` (a suffix match) has been printed.
    fn wait_line(&mut self, wanted: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.seen.iter().any(|l| l.ends_with(wanted)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "no `{wanted}` on stdout; it printed:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Waits until `check` holds for a screenshot; returns the last one either way.
    fn wait_screen(&self, timeout: Duration, check: impl Fn(&Image) -> bool) -> (bool, Image) {
        let deadline = Instant::now() + timeout;
        loop {
            let image = self.screenshot();
            if check(&image) {
                return (true, image);
            }
            if Instant::now() > deadline {
                return (false, image);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn start_simulator(binary: &Path, display: &str, home: &Path, profile: &Profile) -> Simulator {
    start_simulator_with(binary, display, home, profile, &["--forget"])
}

/// Starts the simulator as device `window-test` of `profile`, with `extra` arguments.
fn start_simulator_with(
    binary: &Path,
    display: &str,
    home: &Path,
    profile: &Profile,
    extra: &[&str],
) -> Simulator {
    std::fs::create_dir_all(home).expect("the simulator's home");
    let mut child = Command::new(binary)
        .args(["--profile", profile.name, "--device", "window-test"])
        // Should the window not open, the headless demo's outputs stay out of the source tree.
        .arg("--out")
        .arg(home.join("headless"))
        .args(extra)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env("PADLOCK_SIMULATOR_HOME", home)
        // Screenshots (F12) land in the current folder.
        .current_dir(home)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the simulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("simulator: {line}");
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let process = Killed(child);
    let deadline = Instant::now() + PATIENCE;
    let title = format!("^Padlock simulator: {}", profile.model);
    let mut seen = Vec::new();
    let window = loop {
        let out = x_tool(display, "xdotool", &["search", "--name", &title]);
        let found = String::from_utf8_lossy(&out.stdout);
        if let Some(id) = found.lines().next() {
            break id.trim().to_owned();
        }
        seen.extend(lines.try_iter());
        assert!(
            Instant::now() < deadline,
            "no simulator window appeared; it printed:\n{}",
            seen.join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // Keys go to the focused window; with no window manager, focus it ourselves.
    let _ = x_tool(display, "xdotool", &["windowfocus", "--sync", &window]);
    Simulator {
        _process: process,
        display: display.to_owned(),
        window,
        lines,
        seen,
    }
}

/// A headless device of `profile` with the same start, for the expected pictures.
fn reference_device(home: &Path, profile: &'static Profile) -> Device {
    let (gateway, _) = padlock_simulator::demo::embedded_gateway(1).expect("demo gateway");
    let mut opts = DeviceOptions::new(GatewayChoice::Embedded(std::sync::Arc::new(gateway)));
    opts.profile = profile;
    opts.name = "reference".to_owned();
    opts.home = home.to_path_buf();
    opts.forget = true;
    let mut device = Device::new(opts).expect("reference device");
    device.advance_to(100);
    device
}

#[test]
#[cfg_attr(
    padlock_no_x,
    ignore = "needs Xvfb, xdotool and xwd (Debian: sudo apt-get install xvfb xdotool x11-apps)"
)]
fn the_window_shows_the_sign_in_and_reacts_to_keys() {
    if skip_without_x() {
        return;
    }
    let dir = work_dir().join("profiles");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("work folder");
    let binary = build_simulator();
    // A screen large enough that every profile's window opens at its base size.
    let (display, _xvfb) = start_xvfb("1600x1000x24");
    for profile in profile::ALL {
        check_profile(&binary, &display, &dir.join(profile.name), profile);
    }
}

/// One profile's window: the first screen, a D-pad press, the key map on and off, a reboot.
fn check_profile(binary: &Path, display: &str, dir: &Path, profile: &'static Profile) {
    std::fs::create_dir_all(dir).expect("work folder");
    let mut reference = reference_device(&dir.join("reference-home"), profile);
    let at_start = reference.frame().clone();
    reference.press(RawInput::Down(Button::Right));
    reference.advance_to(160);
    reference.press(RawInput::Up(Button::Right));
    reference.advance_to(220);
    let after_right = reference.frame().clone();
    assert_ne!(
        at_start, after_right,
        "{}: Right changes the keyboard",
        profile.name
    );

    let mut sim = start_simulator(binary, display, &dir.join("home"), profile);
    sim.wait_line(&format!("screen {}", reference.screen_name()), PATIENCE);
    let first = sim.screenshot();
    let layout = Layout::fitted(
        profile,
        Layout::default_scale(profile),
        Size::new(first.width, first.height),
    );
    assert_eq!(
        Size::new(first.width, first.height),
        layout.window,
        "{}: the window has the layout's size",
        profile.name
    );
    let (area, scale) = (layout.device, layout.scale);
    // Waits until the window's device shows `frame`; keeps the screenshot as `name`.
    let expect = |sim: &Simulator, name: &str, frame: &Framebuffer, what: &str| {
        let (shown, image) = sim.wait_screen(PATIENCE, |i| i.differences(area, scale, frame) == 0);
        let path = dir.join(format!("{name}.ppm"));
        image.save_ppm(&path);
        assert!(
            shown,
            "{}: {what}: {} pixels differ from the device's own rendering (see {})",
            profile.name,
            image.differences(area, scale, frame),
            path.display()
        );
    };

    expect(&sim, "1-start", &at_start, "the sign-in's first screen");
    sim.key("Right");
    expect(&sim, "2-right", &after_right, "after Right");

    sim.key("F1");
    let (help, image) = sim.wait_screen(PATIENCE, |i| {
        i.differences(area, scale, &after_right) > after_right.rgb.len() / 3 / 10
    });
    image.save_ppm(&dir.join("3-help.ppm"));
    assert!(help, "{}: F1 does not show the key map", profile.name);
    // The key map's text is white on the darkened device.
    let white = area
        .points()
        .filter(|p| image.pixel(p.x as u32, p.y as u32) == [255, 255, 255])
        .count();
    assert!(
        white > 1000,
        "{}: the key map's text is missing ({white} white pixels)",
        profile.name
    );
    sim.key("F1");
    expect(&sim, "4-help-closed", &after_right, "a second F1");

    // F12 saves the display as the device drew it.
    sim.key("F12");
    sim.wait_line("screenshot: padlock-screenshot-1.png", PATIENCE);
    let saved = png::load(&dir.join("home").join("padlock-screenshot-1.png")).expect("a PNG");
    assert_eq!(
        saved, after_right,
        "{}: F12 saves the display",
        profile.name
    );

    // F5 restarts the module: nothing was remembered, so the first screen is back as it was.
    sim.key("F5");
    expect(&sim, "5-rebooted", &at_start, "after F5 (restart)");
}

#[test]
fn xwd_images_are_read_with_their_masks_and_byte_order() {
    let mut data = Vec::new();
    let header: [u32; 25] = [
        100, 7, 2, 24, 2, 1, 0, 0, 32, 0, 32, 32, 8, 4, 0xff0000, 0xff00, 0xff, 8, 0, 0, 2, 1, 0,
        0, 0,
    ];
    for v in header {
        data.extend_from_slice(&v.to_be_bytes());
    }
    data.extend_from_slice(&[0x30, 0x20, 0x10, 0, 0xff, 0, 0x80, 0]);
    let image = parse_xwd(&data);
    assert_eq!((image.width, image.height), (2, 1));
    assert_eq!(image.pixel(0, 0), [0x10, 0x20, 0x30]);
    assert_eq!(image.pixel(1, 0), [0x80, 0x00, 0xff]);
}

/// The X keysym `xdotool` sends for a key of the simulator's key map.
fn keysym(button: Button, profile: &Profile) -> String {
    let key = KeyMap::for_profile(profile)
        .key_for(button)
        .unwrap_or_else(|| panic!("{}: no key for {button:?}", profile.name));
    match key_name(key).as_str() {
        "Enter" => "Return".to_owned(),
        "Backspace" => "BackSpace".to_owned(),
        "Esc" => "Escape".to_owned(),
        other => other.to_owned(),
    }
}

/// Presses buttons on `reference` and, through their keys, in the window, in one `xdotool`
/// run: the two devices stay in step.
fn press_both(sim: &Simulator, reference: &mut Device, buttons: &[Button]) {
    let profile = reference.profile();
    let mut args = vec!["key".to_owned(), "--delay".to_owned(), "40".to_owned()];
    for &button in buttons {
        reference.press(RawInput::Down(button));
        reference.press(RawInput::Up(button));
        args.push(keysym(button, profile));
    }
    let now = reference.now_ms();
    reference.advance_to(now + 100);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = x_tool(&sim.display, "xdotool", &args);
    assert!(out.status.success(), "xdotool {args:?}");
}

/// Types `text` into the field on screen with the fewest presses, as the keyboard planner
/// finds them on the reference device.
fn type_both(sim: &Simulator, reference: &mut Device, text: &str) {
    let ui = reference.ui().expect("powered");
    let keyboard = if ui.screen() == Screen::Account {
        ui.email()
    } else {
        ui.password()
    };
    let planned = plan(reference.profile(), keyboard, text)
        .unwrap_or_else(|| panic!("the keyboard cannot type {text:?}"));
    press_both(sim, reference, &buttons(planned.actions));
}

/// The buttons of planned actions (the profiles typed with here have no stick).
fn buttons(actions: Vec<Physical>) -> Vec<Button> {
    actions
        .into_iter()
        .map(|action| match action {
            Physical::Press(button) => button,
            Physical::Stick(_) => panic!("a profile without a stick plans no stick moves"),
        })
        .collect()
}

/// Finishes the keyboard and presses Sign in with "Remember my info" ticked.
fn sign_in_both(sim: &Simulator, reference: &mut Device) {
    for _ in 0..8 {
        let ui = reference.ui().expect("powered");
        if ui.screen() != Screen::Password {
            return;
        }
        let buttons: Vec<Button> = match (ui.focus(), ui.remember()) {
            (Focus::Keyboard, _) => buttons(
                plan_done(reference.profile(), ui.password())
                    .expect("a way to Done")
                    .actions,
            ),
            (Focus::SignIn, false) => vec![Button::Up],
            (Focus::Remember, false) => vec![Button::A],
            (Focus::Remember, true) => vec![Button::Down],
            (Focus::SignIn, true) => {
                // The reference stops here: only the window's device talks to the gateway.
                let out = x_tool(
                    &sim.display,
                    "xdotool",
                    &["key", &keysym(Button::A, reference.profile())],
                );
                assert!(out.status.success());
                return;
            }
        };
        press_both(sim, reference, &buttons);
    }
    panic!("the password screen never reached Sign in");
}

/// A real `padlock-server serve` on a loopback port (built and run through its command line
/// by `padlock_tests::gateway`), with the demo account and an app password of its own.
fn start_server(dir: &Path) -> (Serving, String, String, String) {
    std::fs::create_dir_all(dir).expect("server folder");
    let server = Server::new(
        gateway::build_server().expect("padlock-server builds"),
        dir.join("gateway.sqlite"),
    );
    let admin = |args: &[&str]| server.admin(args).expect("admin command").trim().to_owned();
    admin(&[
        "account",
        "add",
        "--email",
        demo::EMAIL,
        "--name",
        demo::DISPLAY_NAME,
        "--password",
        demo::PASSWORD,
        "--two-step",
    ]);
    let app_password = admin(&[
        "app-password",
        "create",
        "--email",
        demo::EMAIL,
        "--name",
        "window test",
    ]);
    let key = admin(&["key", "show"]);
    let serving = server
        .serve(&dir.join("gateway.log"))
        .expect("padlock-server serve starts");
    let addr = serving.address().expect("its address").to_string();
    (serving, addr, key, app_password)
}

/// Signs the demo account in with its app password in the window of a Zune called
/// `window-test` (started with `gateway_args`), remembered; then restarts the simulator and
/// checks the device resumes by itself. `app_password`: the one to type, else the one the
/// simulator prints.
fn sign_in_then_resume_after_restart(
    dir: &Path,
    gateway_args: &[&str],
    app_password: Option<&str>,
) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("work folder");
    let binary = build_simulator();
    let (display, _xvfb) = start_xvfb("1600x1000x24");
    // The Zune: its keys are few and plain, and the planner types with them alone.
    let profile = &profile::ZUNE;
    let home = dir.join("home");

    let first_run = [gateway_args, &["--forget"]].concat();
    let mut sim = start_simulator_with(&binary, &display, &home, profile, &first_run);
    sim.wait_line("screen account", PATIENCE);
    let app_password = match app_password {
        Some(password) => password.to_owned(),
        None => sim
            .seen
            .iter()
            .find_map(|l| l.trim().strip_prefix("app password:"))
            .expect("the simulator prints the demo's app password")
            .trim()
            .to_owned(),
    };
    let mut reference = reference_device(&dir.join("reference-home"), profile);
    type_both(&sim, &mut reference, demo::EMAIL);
    let done = plan_done(profile, reference.ui().expect("powered").email()).expect("a Done");
    press_both(&sim, &mut reference, &buttons(done.actions));
    assert_eq!(reference.screen_name(), "password");
    sim.wait_line("screen password", PATIENCE);
    type_both(&sim, &mut reference, &app_password.replace(' ', ""));
    sign_in_both(&sim, &mut reference);
    sim.wait_line("outcome granted", PATIENCE);
    sim.wait_line("screen signed-in", PATIENCE);
    sim.screenshot().save_ppm(&dir.join("signed-in.ppm"));
    drop(sim);

    // Same device, restarted: its flash kept the token, the gateway takes it.
    let mut sim = start_simulator_with(&binary, &display, &home, profile, gateway_args);
    sim.wait_line("outcome granted", PATIENCE);
    sim.wait_line("screen signed-in", PATIENCE);
    sim.screenshot().save_ppm(&dir.join("resumed.ppm"));
}

#[test]
#[cfg_attr(
    padlock_no_x,
    ignore = "needs Xvfb, xdotool and xwd (Debian: sudo apt-get install xvfb xdotool x11-apps)"
)]
fn the_demo_account_signs_in_with_the_printed_app_password_and_is_remembered() {
    if skip_without_x() {
        return;
    }
    sign_in_then_resume_after_restart(&work_dir().join("embedded"), &[], None);
}

#[test]
#[cfg_attr(
    padlock_no_x,
    ignore = "needs Xvfb, xdotool and xwd (Debian: sudo apt-get install xvfb xdotool x11-apps)"
)]
fn a_player_signs_in_with_a_real_gateway_and_is_remembered_after_a_restart() {
    if skip_without_x() {
        return;
    }
    let dir = work_dir().join("bridged");
    let _ = std::fs::remove_dir_all(&dir);
    let (_server, addr, key, app_password) = start_server(&dir.join("server"));
    let bridged = ["--gateway", addr.as_str(), "--gateway-key", key.as_str()];
    sign_in_then_resume_after_restart(&dir.join("device"), &bridged, Some(&app_password));
}

#[test]
fn without_a_display_it_says_so_in_one_line_and_plays_the_demo_headless() {
    let dir = work_dir().join("headless");
    let _ = std::fs::remove_dir_all(&dir);
    let binary = build_simulator();
    let out = Command::new(&binary)
        .arg("--out")
        .arg(dir.join("out"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("PADLOCK_SIMULATOR_HOME", dir.join("home"))
        .output()
        .expect("the simulator runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the headless demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let folder = dir.join("out").join("demo");
    let first = stdout.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "no display (DISPLAY and WAYLAND_DISPLAY are unset): playing the demo scenario \
             headless; screenshots and GIF in {}",
            folder.display()
        )
    );
    let files: Vec<String> = std::fs::read_dir(&folder)
        .expect("the folder it named")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with(".png")),
        "no screenshot in {files:?}"
    );
    assert!(
        files.iter().any(|f| f.ends_with(".gif")),
        "no GIF in {files:?}"
    );
}
