//! The simulated device: the real [`Module`] of `padlock-firmware`, with everything a console
//! would give it replaced by a simulated part.
//!
//! | the module asks for | the simulator gives it |
//! |---|---|
//! | a display (`DrawTarget`) | an RGB888 [`Framebuffer`], drawn in the profile's colour depth |
//! | buttons | [`Device::press`] with raw down/up/stick events |
//! | a smoltcp `phy::Device` | one end of the firmware's virtual wire; the gateway's host is at the other ([`Pair`]) |
//! | a `NorFlash` range | a [`SimFlash`]: NOR rules, power cuts, kept in a file per device |
//! | a device secret | 32 bytes in a file per device, made when the device is first created |
//! | entropy | ChaCha20 seeded from [`DeviceOptions::seed`] and the boot count |
//! | monotonic time | virtual milliseconds: [`Device::advance_to`], jumping to the next thing due ([`Pair`], the same harness the firmware's end-to-end tests run on) |
//!
//! Everything runs on virtual time, so a run with the same seed and the same inputs is the
//! same run, bit for bit, as fast as the CPU allows. [`Device::take_events`] tells what
//! happened (screens, outcomes, packets, power) for a transcript.
//!
//! ```text
//!  press ──▶ Module::input ──┐
//!  advance_to ─▶ Module::poll ┴▶ Step { redraw } ─▶ Renderer::redraw ─▶ Framebuffer
//!               wire ◀──▶ gateway's host (virtual network)
//! ```

pub mod frame;
pub mod screen;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use embedded_graphics::pixelcolor::{BinaryColor, Gray4, Rgb565};
use embedded_graphics::prelude::Size;
use padlock_firmware::input::RawInput;
use padlock_firmware::module::{Module, Step};
use padlock_firmware::net::NetBuffers;
use padlock_firmware::net::wire::{Capture, Faults, device_config};
use padlock_firmware::profile::{self, ColorDepth, Profile};
use padlock_firmware::render::Renderer;
use padlock_firmware::text::Language;
use padlock_firmware::ui::{Ending, Redraw, Screen, Ui, UiConfig};
use padlock_firmware::vault::Vault;
use padlock_pair::Pair;
use padlock_protocol::StaticKeypair;
use padlock_server::UnixMillis;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::flash::{FLASH_SIZE, SimFlash, write_private};
pub use crate::network::GatewayChoice;
use crate::network::{FarEnd, Service};
pub use frame::Framebuffer;

/// Where players create app passwords, as the simulated devices are provisioned.
pub const SECURITY_INFO_URL: &str = "https://account.example.com/security";

/// The firmware version the simulated devices report.
pub const FIRMWARE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How a simulated device is set up.
#[derive(Clone)]
pub struct DeviceOptions {
    /// The kind of device: [`profile::XBOX360`] (default), [`profile::ZUNE`], [`profile::OLED`].
    pub profile: &'static Profile,
    /// The language of its screens.
    pub lang: Language,
    /// Its name: its flash image and device secret live in `home/name/`.
    pub name: String,
    /// The folder holding every named device (see [`default_home`]).
    pub home: PathBuf,
    /// Wipe the device's flash before starting (forget the remembered sign-in).
    pub forget: bool,
    /// Seeds the network faults, the device's entropy and a new device's secret.
    pub seed: u64,
    /// The gateway at the other end of the virtual network.
    pub gateway: GatewayChoice,
    /// The embedded gateway's clock when the device's virtual clock reads zero:
    /// [`EPOCH`](crate::network::EPOCH) for reproducible runs, the wall clock's time for a
    /// gateway whose database outlives the run.
    pub clock_origin: UnixMillis,
}

impl DeviceOptions {
    /// An Xbox 360 in English named after its profile (`xbox360`, as the window's default),
    /// in [`default_home`], seed 1, talking to `gateway`.
    pub fn new(gateway: GatewayChoice) -> Self {
        Self {
            profile: &profile::XBOX360,
            lang: Language::English,
            name: profile::XBOX360.name.to_owned(),
            home: default_home(),
            forget: false,
            seed: 1,
            gateway,
            clock_origin: crate::network::EPOCH,
        }
    }

    /// The folder of this device.
    pub fn dir(&self) -> PathBuf {
        self.home.join(&self.name)
    }
}

/// Where named devices live: `$PADLOCK_SIMULATOR_HOME`, else
/// `$XDG_DATA_HOME/padlock-simulator`, else `~/.local/share/padlock-simulator`, else
/// `./.padlock-simulator`.
pub fn default_home() -> PathBuf {
    if let Some(dir) = std::env::var_os("PADLOCK_SIMULATOR_HOME") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("padlock-simulator");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/padlock-simulator"),
        None => PathBuf::from(".padlock-simulator"),
    }
}

/// Why a device could not start.
#[derive(Debug)]
pub enum Error {
    /// A file of the device could not be read or written.
    Io {
        /// Which file.
        path: PathBuf,
        /// What went wrong.
        error: io::Error,
    },
    /// The device's secret file is not 32 bytes.
    BadSecret(PathBuf),
    /// The device's static keys could not be derived from its secret.
    DeviceKey(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, error } => write!(f, "{}: {error}", path.display()),
            Error::BadSecret(path) => write!(
                f,
                "{}: not a device secret (32 bytes); delete it to make a new device",
                path.display()
            ),
            Error::DeviceKey(why) => write!(f, "device key: {why}"),
        }
    }
}

impl std::error::Error for Error {}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |error| Error::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Something that happened on the device, for a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The device started (power on or reboot) and shows its first screen.
    Boot,
    /// Another screen is shown.
    Screen(&'static str),
    /// A sign-in, resume or retry ended: `granted`, `token-invalid`, `cancelled`, or the
    /// problem (`wrong-credentials`, `cannot-reach`, `timed-out`, ...).
    Outcome(&'static str),
    /// A packet on the device's network.
    Packet(Capture),
    /// The power went during a flash write or erase: the device is off.
    PowerCut,
    /// The player backed out of the sign-in (the device's own menu would show).
    Left,
    /// The bridge could not relay a request to the real gateway (why).
    BridgeError(String),
}

/// An [`Event`] at a virtual time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed {
    /// Virtual milliseconds since the simulator started.
    pub at_ms: u64,
    /// What happened.
    pub event: Event,
}

type SimModule = Module<'static, 'static, SimFlash, ChaCha20Rng>;

/// A simulated device: the module, its display, flash and network.
pub struct Device {
    profile: &'static Profile,
    lang: Language,
    seed: u64,
    secret: [u8; 32],
    keys: &'static StaticKeypair,
    flash: SimFlash,
    /// The wire, the gateway's host on its far end, and virtual time.
    pair: Pair<Service>,
    far: FarEnd,
    /// `None` while the power is off.
    module: Option<SimModule>,
    boots: u64,
    link_up: bool,
    renderer: Renderer,
    frame: Framebuffer,
    frame_serial: u64,
    screen: &'static str,
    last_outcome: Option<&'static str>,
    events: Vec<Timed>,
}

impl Device {
    /// Creates (or opens) the device named in `opts` and boots it.
    ///
    /// # Errors
    /// The device's folder, flash image or secret cannot be read or written, or its keys
    /// cannot be derived.
    pub fn new(opts: DeviceOptions) -> Result<Device, Error> {
        let dir = opts.dir();
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        let flash_file = dir.join("flash.bin");
        if opts.forget {
            match std::fs::remove_file(&flash_file) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(io_error(&flash_file)(e));
                }
                _ => {}
            }
        }
        let flash = SimFlash::open(&flash_file).map_err(io_error(&flash_file))?;
        let secret = device_secret(&dir.join("secret"), &opts.name, opts.seed)?;
        let keys = StaticKeypair::derive_from_device_secret(&secret)
            .map_err(|e| Error::DeviceKey(format!("{e:?}")))?;
        // The module borrows its keys (and its socket buffers) for as long as it runs, as on
        // a device where they are statics; a simulated device lives until the process ends.
        let keys: &'static StaticKeypair = Box::leak(Box::new(keys));
        let (far, service) = FarEnd::new(&opts.gateway);
        let pair = Pair::new(opts.seed, Faults::default(), service, opts.clock_origin);
        pair.wire.capture(true);
        let display = opts.profile.display;
        let mut device = Device {
            profile: opts.profile,
            lang: opts.lang,
            seed: opts.seed,
            secret,
            keys,
            flash,
            pair,
            far,
            module: None,
            boots: 0,
            link_up: true,
            renderer: Renderer::new(Size::new(display.width, display.height)),
            frame: Framebuffer::new(display.width, display.height),
            frame_serial: 0,
            screen: screen::POWER_OFF,
            last_outcome: None,
            events: Vec::new(),
        };
        device.boot();
        Ok(device)
    }

    /// Turns the device on: a fresh module over the same flash (what a reboot keeps).
    fn boot(&mut self) {
        // Power comes back after a cut; a cut armed for a later write stays armed.
        if self.flash.power_was_cut() {
            self.flash.restore_power();
        }
        self.boots += 1;
        let ui = UiConfig {
            profile: self.profile,
            language: self.lang,
            security_info_url: SECURITY_INFO_URL,
        };
        let net = device_config(self.far.public_key());
        let range = 0..FLASH_SIZE as u32;
        let vault = match Vault::new(self.flash.clone(), range, &self.secret) {
            Ok(vault) => vault,
            // The range is whole sectors by construction; this cannot happen.
            Err(e) => unreachable!("the simulator's flash range is unusable: {e:?}"),
        };
        let rng = ChaCha20Rng::seed_from_u64(self.seed ^ self.boots.rotate_left(32));
        // Socket memory lives as long as the module, as a static does on a device; each boot
        // takes fresh buffers (about 1.6 KB, never freed: a simulator reboots a few times).
        let buffers: &'static mut NetBuffers<'static> = Box::leak(Box::new(NetBuffers::new()));
        self.pair.wire.set_time(self.pair.now_ms);
        let module = Module::new(
            ui,
            net,
            self.keys,
            &mut self.pair.device_end,
            buffers,
            vault,
            rng,
            FIRMWARE_VERSION,
            self.pair.now_ms,
        );
        let mut module = match module {
            Ok(module) => module,
            // Built-in profiles and a static address: `profile::tests` checks every one.
            Err(e) => unreachable!("the simulator's configuration does not start: {e:?}"),
        };
        module.network().set_link(self.link_up);
        self.module = Some(module);
        self.record(Event::Boot);
        self.after(Step {
            redraw: Redraw::Screen,
            leave: false,
        });
    }

    /// A button or stick event, at the current virtual time.
    pub fn press(&mut self, event: RawInput) {
        let now = self.pair.now_ms;
        if let Some(module) = self.module.as_mut() {
            let step = module.input(event, now);
            self.after(step);
        }
    }

    /// Runs the module, the wire and the gateway's host up to `now_ms` (virtual ms), jumping
    /// from one thing due to the next; earlier times do nothing.
    pub fn advance_to(&mut self, now_ms: u64) {
        loop {
            if let Some(step) = self.pair.poll(&mut self.module) {
                self.after(step);
            }
            for error in self.far.take_bridge_errors() {
                self.record(Event::BridgeError(error));
            }
            self.collect_packets();
            if self.pair.now_ms >= now_ms {
                return;
            }
            self.pair.advance(&mut self.module, now_ms);
        }
    }

    /// After the module acted: power, redraw, screen and outcome bookkeeping.
    fn after(&mut self, step: Step) {
        if self.flash.power_was_cut() {
            return self.power_off();
        }
        let Some(module) = self.module.as_ref() else {
            return;
        };
        let ui = module.ui();
        if step.redraw != Redraw::Nothing {
            draw(
                &self.renderer,
                &mut self.frame,
                ui,
                step.redraw,
                self.profile,
            );
            self.frame_serial += 1;
        }
        let shown = ui.screen().slug();
        if shown != self.screen {
            let outcome = (self.screen == Screen::SigningIn.slug()).then(|| Ending::of(ui).slug());
            self.screen = shown;
            self.record(Event::Screen(shown));
            if let Some(outcome) = outcome {
                self.last_outcome = Some(outcome);
                self.record(Event::Outcome(outcome));
            }
        }
        if step.leave {
            self.record(Event::Left);
        }
        self.collect_packets();
    }

    fn power_off(&mut self) {
        // The module dies with the power; the flash keeps what it held (torn bits included).
        self.module = None;
        self.frame.blank();
        self.frame_serial += 1;
        self.screen = screen::POWER_OFF;
        self.record(Event::PowerCut);
        self.record(Event::Screen(screen::POWER_OFF));
    }

    fn collect_packets(&mut self) {
        for capture in self.pair.take_captures() {
            self.events.push(Timed {
                at_ms: capture.at_ms,
                event: Event::Packet(capture),
            });
        }
    }

    fn record(&mut self, event: Event) {
        self.collect_packets();
        self.events.push(Timed {
            at_ms: self.pair.now_ms,
            event,
        });
    }

    /// The display as it is now.
    pub fn frame(&self) -> &Framebuffer {
        &self.frame
    }

    /// Counts redraws: it changes whenever [`Device::frame`] may have.
    pub fn frame_serial(&self) -> u64 {
        self.frame_serial
    }

    /// The name of the screen shown (see [`screen::names`]).
    pub fn screen_name(&self) -> &'static str {
        self.screen
    }

    /// Where the focus is (see [`screen::focus`]); `None` with the power off.
    pub fn focus_name(&self) -> Option<&'static str> {
        self.ui().and_then(screen::focus)
    }

    /// What the screen says, one piece a line (empty with the power off).
    pub fn screen_text(&self) -> String {
        self.ui()
            .map(|ui| screen::drawn_text(&self.renderer, ui))
            .unwrap_or_default()
    }

    /// The screens' state, while the power is on.
    pub fn ui(&self) -> Option<&Ui> {
        self.module.as_ref().map(Module::ui)
    }

    /// How the last sign-in, resume or retry ended (see [`Event::Outcome`]).
    pub fn last_outcome(&self) -> Option<&'static str> {
        self.last_outcome
    }

    /// Virtual milliseconds since the device was created.
    pub fn now_ms(&self) -> u64 {
        self.pair.now_ms
    }

    /// The gateway's clock now (the virtual time as a date).
    pub fn unix(&self) -> padlock_server::UnixMillis {
        self.pair.unix()
    }

    /// The device's profile.
    pub fn profile(&self) -> &'static Profile {
        self.profile
    }

    /// The language of its screens.
    pub fn language(&self) -> Language {
        self.lang
    }

    /// Whether the power is on.
    pub fn powered(&self) -> bool {
        self.module.is_some()
    }

    /// Restarts the device: a new module instance over the same flash (power back on if it
    /// was cut).
    pub fn reboot(&mut self) {
        self.module = None;
        self.boot();
    }

    /// The device's flash, to arm a power cut or read the image.
    pub fn flash(&self) -> &SimFlash {
        &self.flash
    }

    /// Sets what the virtual network does to packets from now on.
    pub fn set_faults(&mut self, faults: Faults) {
        self.pair.wire.set_faults(Faults {
            down: faults.down || !self.link_up,
            ..faults
        });
    }

    /// What the virtual network does to packets now (the link's state aside).
    pub fn faults(&self) -> Faults {
        Faults {
            down: false,
            ..self.pair.wire.faults()
        }
    }

    /// Plugs or unplugs the device's cable: nothing passes, and the module is told.
    pub fn set_link(&mut self, up: bool) {
        self.link_up = up;
        let faults = self.faults();
        self.set_faults(faults);
        if let Some(module) = self.module.as_mut() {
            module.network().set_link(up);
        }
    }

    /// Starts or stops the gateway's service on its host (stopped: connections are refused).
    pub fn set_gateway_running(&mut self, running: bool) {
        self.pair.far_end.set_accepting(running);
    }

    /// Whether the gateway's service is running.
    pub fn gateway_running(&self) -> bool {
        self.pair.far_end.accepting()
    }

    /// The embedded gateway, for server-side actions (`None` when bridged to a real one).
    pub fn gateway(&self) -> Option<&Arc<padlock_server::Gateway>> {
        self.far.embedded()
    }

    /// What happened since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<Timed> {
        self.collect_packets();
        std::mem::take(&mut self.events)
    }
}

/// Draws what `redraw` names on `frame`, in the profile's colour depth.
fn draw(renderer: &Renderer, frame: &mut Framebuffer, ui: &Ui, redraw: Redraw, profile: &Profile) {
    let Ok(()) = match profile.display.color {
        ColorDepth::Rgb565 => {
            renderer.redraw(&mut frame::FrameTarget::<Rgb565>::new(frame), ui, redraw)
        }
        ColorDepth::Gray4 => {
            renderer.redraw(&mut frame::FrameTarget::<Gray4>::new(frame), ui, redraw)
        }
        ColorDepth::Binary => renderer.redraw(
            &mut frame::FrameTarget::<BinaryColor>::new(frame),
            ui,
            redraw,
        ),
    };
}

/// The device secret in `file`, made (32 bytes drawn from `seed` and `name`) if there is none.
fn device_secret(file: &Path, name: &str, seed: u64) -> Result<[u8; 32], Error> {
    match std::fs::read(file) {
        Ok(bytes) => bytes
            .try_into()
            .map_err(|_| Error::BadSecret(file.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut mix = seed;
            for byte in name.bytes() {
                mix = mix.rotate_left(8) ^ u64::from(byte).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            }
            let mut secret = [0u8; 32];
            ChaCha20Rng::seed_from_u64(mix).fill_bytes(&mut secret);
            write_private(file, &secret).map_err(io_error(file))?;
            Ok(secret)
        }
        Err(e) => Err(io_error(file)(e)),
    }
}

#[cfg(test)]
mod tests;
