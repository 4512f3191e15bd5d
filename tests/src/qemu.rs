//! The board image under QEMU: build it, boot it with a QMP socket, press its buttons and read
//! its OLED.
//!
//! QEMU's `lm3s6965evb` maps the host keys `up`, `down`, `left`, `right` and `ctrl` to the
//! board's five buttons, and shows the OLED magnified four times with grey level `i` as
//! `i * 17`; [`Qemu::screen`] reads it back at the panel's own 128 × 64.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use padlock_firmware::input::{Button, Physical};

use crate::device_log::{self, LogLine};
use crate::screen::Frame;

/// Whether `qemu-system-arm` can be run here.
pub fn available() -> bool {
    Command::new("qemu-system-arm")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether a QEMU test can run: if `qemu-system-arm` is missing, says the test is skipped and
/// how to install QEMU, and returns false; under `CI=true` it fails instead.
pub fn present_or_skip() -> bool {
    if available() {
        return true;
    }
    let message = "qemu-system-arm not found: install it with `apt-get install qemu-system-arm`";
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    eprintln!("skipped: {message}");
    false
}

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Builds the board image (release) and returns its ELF.
pub fn build_image() -> Result<PathBuf, String> {
    build_board("lm3s6965evb", "thumbv7m-none-eabi", &[])
}

/// Builds the board crate `boards/<board>` (its own workspace) in release for `target` with
/// `features`, and returns its ELF.
pub fn build_board(board: &str, target: &str, features: &[&str]) -> Result<PathBuf, String> {
    let dir = repo_root().join("boards").join(board);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "--features",
            &features.join(","),
        ])
        .current_dir(&dir)
        // The outer test build's settings are for the host, not the board.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building boards/{board} failed: {status}"));
    }
    Ok(dir
        .join("target")
        .join(target)
        .join("release")
        .join(format!("padlock-board-{board}")))
}

/// Writes the provisioning record the image reads at boot (`padlock-provision.txt` in the
/// folder QEMU runs in): the gateway's address as the guest sees it, and its public key.
pub fn provision(dir: &Path, gateway: &str, gateway_key: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("padlock-provision.txt"),
        format!(
            "gateway = {gateway}\ngateway_key = {}\n",
            gateway_key.trim()
        ),
    )
    .map_err(|e| e.to_string())
}

/// How long a button is held down.
const HOLD_MS: u64 = 120;

/// A running emulator.
pub struct Qemu {
    child: Child,
    qmp: BufReader<UnixStream>,
    elf: PathBuf,
    log: PathBuf,
    /// Where the emulator runs: its semihosting files (flash, device secret) live here.
    pub dir: PathBuf,
    /// Presses [`Qemu::press_until`] had to make again because the board never saw them.
    pub repeated_presses: u32,
}

impl Qemu {
    /// Boots `elf` with its working folder `dir` (created if needed); the image's encoded log
    /// goes to `dir/<run>.defmt`.
    pub fn boot(elf: &Path, dir: &Path, run: &str, extra: &[&str]) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let socket = dir.join("qmp.sock");
        let _ = std::fs::remove_file(&socket);
        let log_path = dir.join(format!("{run}.defmt"));
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        let child = Command::new("qemu-system-arm")
            .args([
                "-cpu",
                "cortex-m3",
                "-machine",
                "lm3s6965evb",
                "-display",
                "none",
            ])
            .args(["-semihosting-config", "enable=on,target=native"])
            .args(["-nic", "user,model=stellaris"])
            .args(extra)
            .arg("-qmp")
            .arg(format!("unix:{},server,nowait", socket.display()))
            .arg("-kernel")
            .arg(elf)
            .current_dir(dir)
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start qemu-system-arm: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match UnixStream::connect(&socket) {
                Ok(stream) => break stream,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(e) => return Err(format!("no QMP socket: {e}")),
            }
        };
        let mut qemu = Self {
            child,
            qmp: BufReader::new(stream),
            elf: elf.to_path_buf(),
            log: log_path,
            dir: dir.to_path_buf(),
            repeated_presses: 0,
        };
        let mut greeting = String::new();
        qemu.qmp
            .read_line(&mut greeting)
            .map_err(|e| e.to_string())?;
        qemu.command(r#"{"execute":"qmp_capabilities"}"#)?;
        Ok(qemu)
    }

    fn command(&mut self, json: &str) -> Result<String, String> {
        let stream = self.qmp.get_mut();
        writeln!(stream, "{json}").map_err(|e| e.to_string())?;
        loop {
            let mut line = String::new();
            if self.qmp.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
                return Err("QMP closed".into());
            }
            if line.contains("\"return\"") {
                return Ok(line);
            }
            if line.contains("\"error\"") {
                return Err(line);
            }
        }
    }

    /// The image's log so far, decoded.
    pub fn log(&self) -> Result<Vec<LogLine>, String> {
        device_log::decode(&self.elf, &self.log)
    }

    /// Waits until a log line at or after index `from` contains `needle`; returns its index
    /// and the line. Gives up after `timeout`, with the log so far in the error.
    pub fn wait_for_log(
        &self,
        from: usize,
        needle: &str,
        timeout: Duration,
    ) -> Result<(usize, LogLine), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let lines = self.log()?;
            if let Some((at, line)) = device_log::find(&lines, from, needle) {
                return Ok((at, line.clone()));
            }
            if Instant::now() >= deadline {
                let shown: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
                return Err(format!(
                    "no {needle:?} in the device log after {timeout:?}; the log:\n{}",
                    shown.join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Presses and releases one of the board's buttons.
    pub fn press(&mut self, button: Button) -> Result<(), String> {
        let key = match button {
            Button::Up => "up",
            Button::Down => "down",
            Button::Left => "left",
            Button::Right => "right",
            Button::A => "ctrl",
            other => return Err(format!("the board has no {other:?} button")),
        };
        self.command(&format!(
            r#"{{"execute":"send-key","arguments":{{"keys":[{{"type":"qcode","data":"{key}"}}],"hold-time":{HOLD_MS}}}}}"#
        ))?;
        // The board samples every 10 ms and debounces over two samples; on a busy host its
        // loop runs slower, so the hold leaves room for several.
        std::thread::sleep(Duration::from_millis(HOLD_MS + 60));
        Ok(())
    }

    /// Performs a planner's actions (button presses only: the board has no stick).
    pub fn perform(&mut self, actions: &[Physical]) -> Result<(), String> {
        for action in actions {
            match action {
                Physical::Press(button) => self.press(*button)?,
                Physical::Stick(_) => return Err("the board has no stick".into()),
            }
        }
        Ok(())
    }

    /// Presses every button once: QEMU's model reads them as pressed until then.
    pub fn arm_buttons(&mut self) -> Result<(), String> {
        for button in [
            Button::Up,
            Button::Down,
            Button::Left,
            Button::Right,
            Button::A,
        ] {
            self.press(button)?;
        }
        Ok(())
    }

    /// What the OLED shows, at 128 × 64 and 16 grey levels; also saved as `name`.pgm.
    pub fn screen(&mut self, name: &str) -> Result<Frame, String> {
        // Let the image finish drawing what the last press changed.
        std::thread::sleep(Duration::from_millis(300));
        let frame = self.grab(&format!("{name}.ppm"))?;
        let _ = frame.save_pgm(&self.dir.join(format!("{name}.pgm")));
        Ok(frame)
    }

    /// A screendump into `file` in the run's folder, read back at the panel's resolution.
    fn grab(&mut self, file: &str) -> Result<Frame, String> {
        let path = self.dir.join(file);
        self.command(&format!(
            r#"{{"execute":"screendump","arguments":{{"filename":"{}"}}}}"#,
            path.display()
        ))?;
        read_ppm_oled(&path)
    }

    /// Presses `button` and waits until the OLED shows `after`; the screen showed `before`.
    ///
    /// A host that is busy can keep QEMU from running for the whole of a press, and then the
    /// board never sees it: when the screen still shows `before` after a while, the press is
    /// made again. A press that changes nothing on screen (`before == after`) is made once.
    pub fn press_until(
        &mut self,
        button: Button,
        before: &Frame,
        after: &Frame,
    ) -> Result<(), String> {
        const TRIES: u32 = 5;
        for attempt in 0..TRIES {
            if attempt > 0 {
                self.repeated_presses += 1;
                eprintln!("{button:?} not seen by the board: pressed again");
            }
            self.press(button)?;
            if before == after {
                return Ok(());
            }
            let deadline = Instant::now() + Duration::from_millis(1500);
            let mut shown = self.grab("live.ppm")?;
            while shown != *after && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(40));
                shown = self.grab("live.ppm")?;
            }
            if shown == *after {
                return Ok(());
            }
            if shown != *before {
                return Err(format!(
                    "after {button:?} the screen shows neither the state before nor the one \
                     expected ({} pixels differ)",
                    shown.differences(after)
                ));
            }
        }
        Err(format!("{button:?} was not taken in {TRIES} presses"))
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads QEMU's screendump of the OLED (512 × 256, magnified ×4) back to 128 × 64 levels.
fn read_ppm_oled(path: &Path) -> Result<Frame, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 && at < bytes.len() {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).to_string());
    }
    let (width, height): (usize, usize) = match fields.as_slice() {
        [magic, w, h, _] if magic == "P6" => (
            w.parse().map_err(|_| "bad width")?,
            h.parse().map_err(|_| "bad height")?,
        ),
        _ => return Err("not a P6 screendump".into()),
    };
    let pixels = &bytes[at + 1..];
    let mut frame = Frame::new(128, 64);
    let scale = width / 128;
    if scale == 0 || height / 64 != scale || pixels.len() < width * height * 3 {
        return Err(format!("unexpected screendump size {width} × {height}"));
    }
    for y in 0..64 {
        for x in 0..128 {
            let red = pixels[((y * scale) * width + x * scale) * 3];
            frame.levels[y * 128 + x] = red / 17;
        }
    }
    Ok(frame)
}
