//! Signing in on the board: the real gateway beside QEMU, and the player's presses.
//!
//! [`BoardAndGateway::start`] builds the image and `padlock-server`, gives the gateway an account with
//! two-step verification and a fresh app password, serves it on a loopback port and provisions
//! the device with its address (10.0.2.2, the host under QEMU's user networking) and key.
//! [`Player`] presses the board's buttons as the keyboard planner says, keeping a host copy of
//! the screens in step, and checks after every press that the emulated OLED shows what the
//! host renders.

use std::path::{Path, PathBuf};
use std::time::Duration;

use padlock_firmware::input::{Button, Physical};
use padlock_firmware::keyboard::typing;
use padlock_firmware::profile::OLED;
use padlock_firmware::text::Language;
use padlock_firmware::ui::{Focus, Screen, Ui, UiConfig};

use crate::gateway::{Server, Serving, build_server};
use crate::qemu::{self, Qemu};
use crate::screen::Frame;

/// What the image is built with (`boards/lm3s6965evb/src/main.rs`).
pub const SECURITY_INFO_URL: &str = "https://account.example.com/security";
/// The test account.
pub const EMAIL: &str = "alex@outlook.com";
/// Its display name, which the signed-in screen greets.
pub const NAME: &str = "Alex";
/// Its primary password; two-step verification is on, so devices must use app passwords.
pub const PRIMARY_PASSWORD: &str = "Tulip 2026";
/// A sign-in takes one TCP connect and one Noise exchange; the gateway's password hashing and
/// slirp's first packets add to it. Generous, so a busy machine does not fail the proof.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(60);

/// The board image, a serving gateway, and a provisioned device folder.
pub struct BoardAndGateway {
    /// The board image.
    pub elf: PathBuf,
    /// Where QEMU runs (provisioning record, flash file, screendumps, logs).
    pub dir: PathBuf,
    /// The account's app password, as the gateway printed it (`abcd efgh ijkl mnop`).
    pub app_password: String,
    /// The gateway's database and command line.
    pub server: Server,
    /// Its Security info page, where phone links are approved ([`BoardAndGateway::start_with_links`]).
    pub page: Option<std::net::SocketAddr>,
    _serving: Serving,
}

/// The link page a gateway of [`BoardAndGateway::start_with_links`] offers devices.
pub const LINK_ADDRESS: &str = "https://gw.example/link";

impl BoardAndGateway {
    /// Builds everything and starts the gateway; `dir` is emptied first.
    pub fn start(dir: &Path) -> Result<Self, String> {
        Self::start_with(dir, false)
    }

    /// [`BoardAndGateway::start`], the gateway also serving its Security info page on a free loopback
    /// port and offering phone links ([`LINK_ADDRESS`]).
    pub fn start_with_links(dir: &Path) -> Result<Self, String> {
        Self::start_with(dir, true)
    }

    fn start_with(dir: &Path, links: bool) -> Result<Self, String> {
        let elf = qemu::build_image()?;
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let server = Server::new(build_server()?, dir.join("gateway.sqlite"));
        server.admin_with(
            &[
                "account",
                "add",
                "--email",
                EMAIL,
                "--name",
                NAME,
                "--two-step",
            ],
            &[("PADLOCK_PASSWORD", PRIMARY_PASSWORD)],
        )?;
        let app_password = server
            .admin(&[
                "app-password",
                "create",
                "--email",
                EMAIL,
                "--name",
                "lm3s6965evb",
            ])?
            .trim()
            .to_string();
        if app_password.len() != 19 {
            return Err(format!("not an app password: {app_password:?}"));
        }
        let key = server.admin(&["key", "show"])?;
        let page = if links {
            // A free port: bound by the test for a moment, then given to the gateway.
            let free = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            Some(free.local_addr().map_err(|e| e.to_string())?)
        } else {
            None
        };
        let options: Vec<String> = match page {
            Some(page) => vec![
                "--web".into(),
                page.to_string(),
                "--link-address".into(),
                LINK_ADDRESS.into(),
            ],
            None => Vec::new(),
        };
        let serving = server.serve_with(&dir.join("gateway.log"), &options)?;
        qemu::provision(dir, &format!("10.0.2.2:{}", serving.port()), &key)?;
        Ok(Self {
            elf,
            dir: dir.to_path_buf(),
            app_password,
            server,
            page,
            _serving: serving,
        })
    }

    /// Boots the image in the rig's folder; its log goes to `<run>.defmt`.
    pub fn boot(&self, run: &str) -> Result<Qemu, String> {
        Qemu::boot(&self.elf, &self.dir, run, &[])
    }
}

/// The host's copy of the board's screens at power-up.
pub fn host_ui(remembered: Option<&str>) -> Ui {
    Ui::new(
        UiConfig {
            profile: &OLED,
            language: Language::English,
            security_info_url: SECURITY_INFO_URL,
        },
        remembered,
    )
}

/// Presses the board's buttons with a host copy of its screens in step.
pub struct Player<'q> {
    /// The board.
    pub board: &'q mut Qemu,
    /// The host's copy of its screens.
    pub ui: Ui,
}

impl Player<'_> {
    /// Presses, checking after each that the board's screen becomes the host's.
    pub fn perform(&mut self, actions: &[Physical]) -> Result<(), String> {
        for action in actions {
            let Physical::Press(button) = *action else {
                return Err("the board has no stick".into());
            };
            let before = Frame::of(&self.ui, 128, 64);
            self.ui.input(*action);
            let after = Frame::of(&self.ui, 128, 64);
            self.board.press_until(button, &before, &after)?;
        }
        Ok(())
    }

    /// One press.
    pub fn press(&mut self, button: Button) -> Result<(), String> {
        self.perform(&[Physical::Press(button)])
    }

    /// Types `text` into the focused field with the planner's presses (switching an
    /// app-password field to the full keyboard first where the text needs it).
    pub fn type_text(&mut self, text: &str) -> Result<(), String> {
        let typing = typing::keystrokes_into(&self.ui, text)
            .map_err(|why| format!("cannot type {text:?}: {}", why.explain(false)))?;
        self.perform(&typing)
    }

    /// Finishes the focused field (its Done key).
    pub fn done(&mut self) -> Result<(), String> {
        let field = typing::focused_field(&self.ui).ok_or("no keyboard has the focus")?;
        let done = typing::finish(&OLED, field).ok_or("no Done key")?;
        self.perform(&done)
    }

    /// From the account screen: the address, then `password` (an app password on the
    /// app-password keyboard, anything else on the full keyboard), the remember box as asked,
    /// and the focus on Sign in.
    pub fn fill_in(&mut self, password: &str, remember: bool) -> Result<(), String> {
        if self.ui.email().text() != EMAIL {
            self.type_text(EMAIL)?;
        }
        self.done()?;
        let letters: String = password.split_whitespace().collect();
        let is_app_password =
            letters.len() == 16 && letters.chars().all(|c| c.is_ascii_lowercase());
        if is_app_password {
            // The sixteenth letter moves the focus to Sign in.
            self.type_text(&letters)?;
        } else {
            self.type_text(password)?;
            self.done()?;
        }
        if self.ui.focus() != Focus::SignIn {
            return Err(format!("focus on {:?}, not Sign in", self.ui.focus()));
        }
        if remember != self.ui.remember() {
            self.press(Button::Up)?;
            self.press(Button::A)?;
            self.press(Button::Down)?;
        }
        Ok(())
    }

    /// Presses Sign in. The screen animates from then on, so the press is checked through the
    /// device's log (and made again if the board never saw it, see [`Qemu::press_until`]);
    /// returns the log's length before the press.
    pub fn sign_in(&mut self) -> Result<usize, String> {
        let before = self.board.log()?.len();
        self.ui.input(Physical::Press(Button::A));
        if self.ui.screen() != Screen::SigningIn {
            return Err(format!("Sign in led to {:?} on the host", self.ui.screen()));
        }
        let mut last = String::new();
        for _ in 0..3 {
            self.board.press(Button::A)?;
            match self
                .board
                .wait_for_log(before, "screen SigningIn", Duration::from_secs(3))
            {
                Ok(_) => return Ok(before),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}
