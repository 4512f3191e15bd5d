//! The interactive device: a desktop window showing the simulated device, driven by the PC
//! keyboard, in real time.
//!
//! The window is `minifb`, which loads X11 or Wayland at run time: the simulator builds with
//! nothing beyond the Rust toolchain and runs wherever a display is. Every frame of the loop:
//!
//! 1. key edges from the window (exact downs and ups, in order, through minifb's input
//!    callback) become [`RawInput`] through the profile's [`KeyMap`], and a gamepad's
//!    events (see [`gamepad`]) join them; the module's own controller does auto-repeat, as
//!    on a device;
//! 2. the device runs up to the wall clock's milliseconds since the window opened: real time
//!    is the device's virtual clock, so timeouts and the progress animation run at true speed;
//! 3. when the device's frame changed, it is scaled (nearest neighbour, whole factors, so
//!    pixels stay crisp) into the window, under a status line and, on request, the key map.
//!
//! [`Layout`] decides the window's size: a profile's display is magnified to about 720 pixels
//! high (at most eight times: the 128 × 64 OLED shows at 1024 × 512; the 720p display at its
//! own size), and on X11 the whole window grows by a whole factor while it still fits the
//! screen (minifb's `FitScreen`, which reads the screen size there; Wayland does not tell).

use std::cell::RefCell;
use std::convert::Infallible;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use embedded_graphics::mono_font::ascii::{FONT_6X10, FONT_8X13, FONT_10X20};
use embedded_graphics::mono_font::{MonoFont, MonoTextStyle};
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use embedded_graphics::text::{Baseline, Text};
use minifb::{InputCallback, Key, Scale, WindowOptions};
use padlock_firmware::input::RawInput;
use padlock_firmware::profile::Profile;

use crate::device::{Device, Event};
use crate::gamepad;
use crate::keymap::{KeyEvent, KeyMap, KeyboardController, WindowCommand};

/// The largest magnification a profile's display gets by default.
const MAX_DEVICE_SCALE: u32 = 8;
/// The height, in window pixels, a display is magnified towards.
const TARGET_HEIGHT: u32 = 720;
/// The status line's height at window scale 1.
const STATUS_HEIGHT: u32 = 22;

/// Why the window could not open.
#[derive(Debug)]
pub enum WindowError {
    /// Neither `DISPLAY` nor `WAYLAND_DISPLAY` is set.
    NoDisplay,
    /// The backend failed (no server at `DISPLAY`, no permission, ...).
    Backend(String),
}

impl std::fmt::Display for WindowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WindowError::NoDisplay => {
                write!(f, "no display (DISPLAY and WAYLAND_DISPLAY are unset)")
            }
            WindowError::Backend(e) => write!(f, "cannot open a window ({e})"),
        }
    }
}

impl std::error::Error for WindowError {}

/// Whether a display server is named in the environment at all.
pub fn display_present() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Where things go in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The window's size in pixels.
    pub window: Size,
    /// The device's display in the window.
    pub device: Rectangle,
    /// How many window pixels one device pixel is, across and down.
    pub scale: u32,
    /// The status line under the device.
    pub status: Rectangle,
}

impl Layout {
    /// The display magnification `profile` gets by default: about 720 pixels high, at most 8×.
    pub fn default_scale(profile: &Profile) -> u32 {
        (TARGET_HEIGHT / profile.display.height.max(1)).clamp(1, MAX_DEVICE_SCALE)
    }

    /// The layout with the display magnified `scale` times, the whole window then grown by
    /// `window_factor` (minifb's screen fit).
    pub fn new(profile: &Profile, scale: u32, window_factor: u32) -> Self {
        let k = window_factor.max(1);
        let scale = scale.max(1);
        let (w, h) = (
            profile.display.width * scale,
            profile.display.height * scale,
        );
        // A frame around a small display reads as a device; a 720p one fills the window.
        let bezel = if w >= 1280 { 0 } else { 16 };
        let device = Rectangle::new(
            Point::new((bezel * k) as i32, (bezel * k) as i32),
            Size::new(w * k, h * k),
        );
        let window = Size::new((w + 2 * bezel) * k, (h + 2 * bezel + STATUS_HEIGHT) * k);
        let status = Rectangle::new(
            Point::new(0, ((h + 2 * bezel) * k) as i32),
            Size::new(window.width, STATUS_HEIGHT * k),
        );
        Self {
            window,
            device,
            scale: scale * k,
            status,
        }
    }

    /// The layout of a window opened at base `scale` whose size turned out as `window`.
    pub fn fitted(profile: &Profile, scale: u32, window: Size) -> Self {
        let base = Self::new(profile, scale, 1).window;
        Self::new(profile, scale, window.width / base.width.max(1))
    }
}

/// An RGB framebuffer the size of the window, in minifb's `0RGB` words.
struct Canvas {
    size: Size,
    pixels: Vec<u32>,
}

impl Canvas {
    fn new(size: Size) -> Self {
        Self {
            size,
            pixels: vec![0; (size.width * size.height) as usize],
        }
    }

    /// Copies a `width × height` RGB888 image into `area`, each pixel `scale` times across
    /// and down.
    fn blit(&mut self, area: Rectangle, scale: u32, width: u32, height: u32, rgb: &[u8]) {
        let scale = scale.max(1) as usize;
        let stride = self.size.width as usize;
        let (x0, y0) = (
            area.top_left.x.max(0) as usize,
            area.top_left.y.max(0) as usize,
        );
        for (y, row) in rgb
            .chunks_exact(width as usize * 3)
            .take(height as usize)
            .enumerate()
        {
            let line: Vec<u32> = row
                .chunks_exact(3)
                .flat_map(|p| {
                    let word = match p {
                        [r, g, b] => u32::from_be_bytes([0, *r, *g, *b]),
                        _ => 0,
                    };
                    std::iter::repeat_n(word, scale)
                })
                .collect();
            for dy in 0..scale {
                let start = (y0 + y * scale + dy) * stride + x0;
                if let Some(dest) = self.pixels.get_mut(start..start + line.len()) {
                    dest.copy_from_slice(&line);
                }
            }
        }
    }

    /// Darkens `area` to a quarter, for text over the device.
    fn shade(&mut self, area: Rectangle) {
        let stride = self.size.width as usize;
        for p in area.points() {
            if let Some(px) = self
                .pixels
                .get_mut(p.y.max(0) as usize * stride + p.x.max(0) as usize)
            {
                *px = (*px >> 2) & 0x003f_3f3f;
            }
        }
    }
}

impl OriginDimensions for Canvas {
    fn size(&self) -> Size {
        self.size
    }
}

impl DrawTarget for Canvas {
    type Color = Rgb888;
    type Error = Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb888>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Infallible> {
        let (w, h) = (self.size.width as i32, self.size.height as i32);
        for Pixel(p, c) in pixels {
            if (0..w).contains(&p.x)
                && (0..h).contains(&p.y)
                && let Some(px) = self.pixels.get_mut((p.y * w + p.x) as usize)
            {
                *px = u32::from_be_bytes([0, c.r(), c.g(), c.b()]);
            }
        }
        Ok(())
    }
}

/// Key edges as minifb reports them, in order: `(key, down)`.
#[derive(Default, Clone)]
struct KeyEdges(Rc<RefCell<Vec<(Key, bool)>>>);

impl InputCallback for KeyEdges {
    fn add_char(&mut self, _uni_char: u32) {}

    fn set_key_state(&mut self, key: Key, state: bool) {
        self.0.borrow_mut().push((key, state));
    }
}

/// Prints the device's screens and outcomes since the last call (packets are left out: the
/// QA runner's transcript and pcap have them).
fn report(device: &mut Device) {
    for timed in device.take_events() {
        let what = match timed.event {
            Event::Boot => "boot".to_owned(),
            Event::Screen(name) => format!("screen {name}"),
            Event::Outcome(outcome) => format!("outcome {outcome}"),
            Event::PowerCut => "power cut".to_owned(),
            Event::Left => "left the sign-in".to_owned(),
            Event::BridgeError(why) => format!("bridge: {why}"),
            Event::Packet(_) => continue,
        };
        println!("[{:>8.3} s] {what}", timed.at_ms as f64 / 1000.0);
    }
}

/// Saves the display as `padlock-screenshot-N.png` in the current folder (the first free N)
/// and says where, or why not.
fn screenshot(device: &Device) {
    let free = (1..10_000)
        .map(|n| PathBuf::from(format!("padlock-screenshot-{n}.png")))
        .find(|path| !path.exists());
    match free {
        Some(path) => match crate::output::png::save(device.frame(), &path) {
            Ok(()) => println!("screenshot: {}", path.display()),
            Err(e) => eprintln!("screenshot: {}: {e}", path.display()),
        },
        None => eprintln!("screenshot: no free padlock-screenshot-N.png name here"),
    }
}

/// An open window for one profile.
pub struct DeviceWindow {
    window: minifb::Window,
    layout: Layout,
    canvas: Canvas,
    edges: KeyEdges,
    keys: KeyboardController,
    title: String,
    help: bool,
    pad: Receiver<RawInput>,
}

impl DeviceWindow {
    /// Opens the window for `profile`, its display magnified `scale` times (default:
    /// [`Layout::default_scale`]), the window grown to fit the screen where the backend can.
    pub fn open(profile: &Profile, scale: Option<u32>, title: &str) -> Result<Self, WindowError> {
        if !display_present() {
            return Err(WindowError::NoDisplay);
        }
        let scale = scale.unwrap_or_else(|| Layout::default_scale(profile));
        let base = Layout::new(profile, scale, 1).window;
        let options = WindowOptions {
            scale: Scale::FitScreen,
            ..WindowOptions::default()
        };
        let mut window =
            minifb::Window::new(title, base.width as usize, base.height as usize, options)
                .map_err(|e| WindowError::Backend(e.to_string()))?;
        let (w, h) = window.get_size();
        let layout = Layout::fitted(profile, scale, Size::new(w as u32, h as u32));
        window.set_target_fps(60);
        let edges = KeyEdges::default();
        window.set_input_callback(Box::new(edges.clone()));
        Ok(Self {
            window,
            canvas: Canvas::new(layout.window),
            layout,
            edges,
            keys: KeyboardController::new(KeyMap::for_profile(profile)),
            title: title.to_owned(),
            help: false,
            pad: gamepad::start(|path| println!("gamepad: {}", path.display())),
        })
    }

    /// Where things are in the window.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Runs `device` in the window until the window is closed, real time driving its
    /// virtual clock; screens and outcomes are reported on stdout as they happen.
    pub fn run(mut self, device: &mut Device) -> Result<(), WindowError> {
        let start = Instant::now();
        let origin_ms = device.now_ms();
        let mut shown_serial = None;
        let mut status = String::new();
        let mut dirty = true;
        let mut active = true;
        while self.window.is_open() {
            let elapsed = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            let now_ms = origin_ms.saturating_add(elapsed);
            // Input happens at the time it is read: run the device up to now first.
            device.advance_to(now_ms);
            let edges = std::mem::take(&mut *self.edges.0.borrow_mut());
            let mut events: Vec<KeyEvent> = edges
                .into_iter()
                .filter_map(|(key, down)| self.keys.key(key, down))
                .collect();
            let now_active = self.window.is_active();
            if active && !now_active {
                // Key-ups now go to another window: let go of everything held.
                events.extend(self.keys.release_all());
            }
            active = now_active;
            for event in events {
                match event {
                    KeyEvent::Device(raw) => device.press(raw),
                    KeyEvent::Window(WindowCommand::ToggleHelp) => {
                        self.help = !self.help;
                        dirty = true;
                    }
                    KeyEvent::Window(WindowCommand::Reboot) => device.reboot(),
                    KeyEvent::Window(WindowCommand::Screenshot) => screenshot(device),
                }
            }
            for raw in self.pad.try_iter() {
                device.press(raw);
            }
            device.advance_to(now_ms);

            if dirty || shown_serial != Some(device.frame_serial()) {
                shown_serial = Some(device.frame_serial());
                let frame = device.frame();
                let (area, scale) = (self.layout.device, self.layout.scale);
                self.canvas
                    .blit(area, scale, frame.width, frame.height, &frame.rgb);
                if self.help {
                    self.draw_help();
                }
                dirty = true;
            }
            let line = format!("{}   F1 or H: keys", device.screen_name());
            if dirty || line != status {
                status = line;
                self.draw_status(&status);
                dirty = true;
            }
            let result = if dirty {
                let size = self.layout.window;
                self.window.update_with_buffer(
                    &self.canvas.pixels,
                    size.width as usize,
                    size.height as usize,
                )
            } else {
                self.window.update();
                Ok(())
            };
            result.map_err(|e| WindowError::Backend(e.to_string()))?;
            // After the frame is up: a line saying a screen is shown means the window shows it.
            report(device);
            dirty = false;
        }
        Ok(())
    }

    fn draw_status(&mut self, text: &str) {
        let area = self.layout.status;
        let _ = area
            .into_styled(PrimitiveStyle::with_fill(Rgb888::new(24, 24, 24)))
            .draw(&mut self.canvas);
        let title_line = format!("{}   {text}", self.title);
        let font = font(title_line.len(), 1, area.size, 0);
        let style = MonoTextStyle::new(font, Rgb888::new(200, 200, 200));
        let y = area.top_left.y + (area.size.height as i32 - font.character_size.height as i32) / 2;
        let _ = Text::with_baseline(&title_line, Point::new(8, y), style, Baseline::Top)
            .draw(&mut self.canvas);
    }

    fn draw_help(&mut self) {
        let mut lines = vec!["Keys (F1 or H closes this)".to_owned(), String::new()];
        lines.extend(self.keys.map().lines());
        let area = self.layout.device;
        let columns = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let font = font(columns, lines.len(), area.size, 8);
        self.canvas.shade(area);
        let style = MonoTextStyle::new(font, Rgb888::WHITE);
        let line_height = font.character_size.height as i32 + 2;
        for (i, line) in lines.iter().enumerate() {
            let at = area.top_left + Point::new(8, 8 + i as i32 * line_height);
            let _ = Text::with_baseline(line, at, style, Baseline::Top).draw(&mut self.canvas);
        }
    }
}

/// The largest of the fonts that fits `columns` × `rows` characters in `area` with `margin`
/// pixels around.
fn font(columns: usize, rows: usize, area: Size, margin: u32) -> &'static MonoFont<'static> {
    [&FONT_10X20, &FONT_8X13, &FONT_6X10]
        .into_iter()
        .find(|f| {
            let w = (f.character_size.width + f.character_spacing) as usize * columns;
            let h = (f.character_size.height + 2) as usize * rows;
            w + 2 * margin as usize <= area.width as usize
                && h + 2 * margin as usize <= area.height as usize
        })
        .unwrap_or(&FONT_6X10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use padlock_firmware::profile;

    #[test]
    fn layouts_magnify_small_displays_and_keep_720p_at_its_size() {
        let xbox = Layout::new(
            &profile::XBOX360,
            Layout::default_scale(&profile::XBOX360),
            1,
        );
        assert_eq!(xbox.scale, 1);
        assert_eq!(xbox.window.width, 1280, "720p shown at most 1280 wide");
        assert_eq!(xbox.device.top_left, Point::zero());
        let oled = Layout::new(&profile::OLED, Layout::default_scale(&profile::OLED), 1);
        assert_eq!((oled.scale, oled.device.size), (8, Size::new(1024, 512)));
        let zune = Layout::new(&profile::ZUNE, Layout::default_scale(&profile::ZUNE), 1);
        assert_eq!(zune.device.size, Size::new(480, 640));
        for layout in [xbox, oled, zune] {
            let bottom = layout.status.top_left.y as u32 + layout.status.size.height;
            assert_eq!(bottom, layout.window.height);
            assert!(
                layout
                    .device
                    .bottom_right()
                    .is_some_and(|p| p.y < layout.status.top_left.y)
            );
        }
    }

    #[test]
    fn a_fitted_window_grows_everything_by_the_same_factor() {
        let base = Layout::new(&profile::ZUNE, 2, 1);
        let doubled = Layout::fitted(&profile::ZUNE, 2, base.window * 2);
        assert_eq!(doubled.scale, 4);
        assert_eq!(doubled.window, base.window * 2);
        assert_eq!(doubled.device.top_left, base.device.top_left * 2);
    }

    #[test]
    fn blit_magnifies_each_pixel_into_a_square() {
        let mut canvas = Canvas::new(Size::new(6, 4));
        let rgb = [255, 0, 0, 0, 0, 255];
        canvas.blit(
            Rectangle::new(Point::new(1, 1), Size::new(4, 2)),
            2,
            2,
            1,
            &rgb,
        );
        let red = 0xff_0000;
        let blue = 0x00_00ff;
        assert_eq!(
            canvas.pixels,
            [
                0, 0, 0, 0, 0, 0, //
                0, red, red, blue, blue, 0, //
                0, red, red, blue, blue, 0, //
                0, 0, 0, 0, 0, 0,
            ]
        );
    }
}
