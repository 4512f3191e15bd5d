//! Controller input, reduced to logical buttons and a stick sector.
//!
//! Platforms report what their hardware does (`Pressed(Button::A)`, a stick position); this
//! module turns it into what the module reacts to:
//! - [`Button`]: the logical buttons of DESIGN.md section 5; a profile says which exist;
//! - [`StickSector`]: one of eight directions, or none inside the dead zone;
//! - [`AutoRepeat`]: held directions repeat after a delay, at a rate, both configurable;
//! - [`Controller`]: all of the above in one place: raw events in, [`Physical`] actions out.
//!
//! Nothing here knows about screens or keyboards; the profile's binding table
//! ([`crate::bindings`]) says what each button does, and [`crate::keyboard::controls`] maps
//! [`Physical`] actions onto keyboard actions per profile.

/// A logical button. Profiles name the physical buttons they map onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Button {
    /// D-pad (or click-pad) up.
    Up,
    /// D-pad down.
    Down,
    /// D-pad left.
    Left,
    /// D-pad right.
    Right,
    /// Confirm: Xbox A, Zune pad centre, the board's select.
    A,
    /// Back out: Xbox B.
    B,
    /// Xbox X.
    X,
    /// Xbox Y.
    Y,
    /// Left bumper.
    Lb,
    /// Right bumper.
    Rb,
    /// Left trigger.
    Lt,
    /// Right trigger.
    Rt,
    /// Start; Zune Play/Pause.
    Start,
    /// Back; Zune Back.
    Back,
}

impl Button {
    /// Every logical button, in declaration order.
    pub const ALL: [Button; 14] = [
        Button::Up,
        Button::Down,
        Button::Left,
        Button::Right,
        Button::A,
        Button::B,
        Button::X,
        Button::Y,
        Button::Lb,
        Button::Rb,
        Button::Lt,
        Button::Rt,
        Button::Start,
        Button::Back,
    ];

    /// The D-pad direction this button is, if it is one.
    pub const fn direction(self) -> Option<Direction> {
        match self {
            Button::Up => Some(Direction::Up),
            Button::Down => Some(Direction::Down),
            Button::Left => Some(Direction::Left),
            Button::Right => Some(Direction::Right),
            _ => None,
        }
    }

    /// The name printed on the controller (`A`, `LT`, `Start`): not translated.
    pub const fn label(self) -> &'static str {
        match self {
            Button::Up => "Up",
            Button::Down => "Down",
            Button::Left => "Left",
            Button::Right => "Right",
            Button::A => "A",
            Button::B => "B",
            Button::X => "X",
            Button::Y => "Y",
            Button::Lb => "LB",
            Button::Rb => "RB",
            Button::Lt => "LT",
            Button::Rt => "RT",
            Button::Start => "Start",
            Button::Back => "Back",
        }
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A set of logical buttons (which a profile has, which are held).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ButtonSet(u16);

impl ButtonSet {
    /// No buttons.
    pub const EMPTY: Self = Self(0);

    /// The set of `buttons`.
    pub const fn of(buttons: &[Button]) -> Self {
        let mut bits = 0;
        let mut rest = buttons;
        while let [first, tail @ ..] = rest {
            bits |= first.bit();
            rest = tail;
        }
        Self(bits)
    }

    /// The set with `button` added.
    pub const fn with(self, button: Button) -> Self {
        Self(self.0 | button.bit())
    }

    /// Whether `button` is in the set.
    pub const fn contains(self, button: Button) -> bool {
        self.0 & button.bit() != 0
    }

    /// The buttons in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Button> {
        Button::ALL.into_iter().filter(move |b| self.contains(*b))
    }
}

/// A grid direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Direction {
    /// Towards row 0.
    Up,
    /// Away from row 0.
    Down,
    /// Towards column 0.
    Left,
    /// Away from column 0.
    Right,
}

/// One of the eight stick directions, clockwise from up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StickSector(u8);

impl StickSector {
    /// Number of sectors.
    pub const COUNT: u8 = 8;

    /// Sector `index` (0 = up, 2 = right, 4 = down, 6 = left), if below [`Self::COUNT`].
    pub const fn new(index: u8) -> Option<Self> {
        if index < Self::COUNT {
            Some(Self(index))
        } else {
            None
        }
    }

    /// The sector's index, 0 = up, clockwise.
    pub const fn index(self) -> u8 {
        self.0
    }

    /// An arrow for the sector, for on-screen labels.
    pub const fn arrow(self) -> char {
        match self.0 {
            0 => '↑',
            1 => '↗',
            2 => '→',
            3 => '↘',
            4 => '↓',
            5 => '↙',
            6 => '←',
            _ => '↖',
        }
    }

    /// The sector of a stick position (`x` right, `y` up, each -32768..=32767), or `None`
    /// inside the dead zone of radius `dead_zone`.
    pub fn from_position(x: i16, y: i16, dead_zone: u16) -> Option<Self> {
        let (x, y) = (i64::from(x), i64::from(y));
        let dead = i64::from(dead_zone);
        if x * x + y * y <= dead * dead {
            return None;
        }
        // Sector boundaries sit at 22.5° off the axes; tan(22.5°) ≈ 0.41421 ≈ 53/128.
        let (ax, ay) = (x.abs(), y.abs());
        let diagonal_x = ax * 128 > ay * 53;
        let diagonal_y = ay * 128 > ax * 53;
        let index = match (x >= 0, y >= 0, diagonal_x, diagonal_y) {
            (_, true, false, _) => 0,
            (true, true, true, true) => 1,
            (true, _, _, false) => 2,
            (true, false, true, true) => 3,
            (_, false, false, _) => 4,
            (false, false, true, true) => 5,
            (false, _, _, false) => 6,
            _ => 7,
        };
        Some(Self(index))
    }
}

/// Auto-repeat for held directions: after `delay_ms` held, one more press every `interval_ms`.
#[derive(Debug, Clone)]
pub struct AutoRepeat {
    delay_ms: u32,
    interval_ms: u32,
    held: Option<(Button, u64)>,
}

impl AutoRepeat {
    /// Repeat after `delay_ms`, then every `interval_ms` (at least 1).
    pub const fn new(delay_ms: u32, interval_ms: u32) -> Self {
        Self {
            delay_ms,
            interval_ms: if interval_ms == 0 { 1 } else { interval_ms },
            held: None,
        }
    }

    /// Note a press at `now_ms`. Only directions repeat.
    pub fn press(&mut self, button: Button, now_ms: u64) {
        if button.direction().is_some() {
            self.held = Some((button, now_ms.saturating_add(u64::from(self.delay_ms))));
        }
    }

    /// Note a release.
    pub fn release(&mut self, button: Button) {
        if matches!(self.held, Some((b, _)) if b == button) {
            self.held = None;
        }
    }

    /// The repeated press due at `now_ms`, if any. Call from the main loop; at most one repeat
    /// per call, so a stalled loop does not fire a burst.
    pub fn poll(&mut self, now_ms: u64) -> Option<Button> {
        let (button, due) = self.held?;
        if now_ms < due {
            return None;
        }
        let interval = u64::from(self.interval_ms);
        let next = due
            .saturating_add(interval)
            .max(now_ms.saturating_add(interval));
        self.held = Some((button, next));
        Some(button)
    }

    /// When the next repeat is due, for the platform's sleep.
    pub fn next_due(&self) -> Option<u64> {
        self.held.map(|(_, due)| due)
    }
}

/// A physical action, what the screens react to: a button press (down, or an auto-repeat; a
/// release does nothing) or the stick entering a sector (`None`: back to centre).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Physical {
    /// A button went down, or auto-repeated.
    Press(Button),
    /// The stick entered a sector, or returned to centre.
    Stick(Option<StickSector>),
}

/// What a platform's input driver reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RawInput {
    /// A button went down.
    Down(Button),
    /// A button came up.
    Up(Button),
    /// The left stick's position (`x` right, `y` up, full scale ±32767).
    Stick {
        /// Horizontal deflection.
        x: i16,
        /// Vertical deflection.
        y: i16,
    },
}

/// Tuning of a [`Controller`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct InputConfig {
    /// Hold time before a direction repeats, in milliseconds.
    pub repeat_delay_ms: u32,
    /// Time between repeats, in milliseconds.
    pub repeat_interval_ms: u32,
    /// Stick radius, out of 32767, inside which the stick counts as centred.
    pub dead_zone: u16,
}

impl InputConfig {
    /// 400 ms, then 10 repeats a second; a quarter of the stick's travel as dead zone.
    pub const STANDARD: Self = Self {
        repeat_delay_ms: 400,
        repeat_interval_ms: 100,
        dead_zone: 8192,
    };
}

impl Default for InputConfig {
    /// [`InputConfig::STANDARD`].
    fn default() -> Self {
        Self::STANDARD
    }
}

/// Turns a platform's raw input into [`Physical`] actions: presses, auto-repeats of held
/// directions, and stick sector changes (a stick wobbling inside one sector is one action).
#[derive(Debug, Clone)]
pub struct Controller {
    config: InputConfig,
    repeat: AutoRepeat,
    sector: Option<StickSector>,
}

impl Controller {
    /// A controller with nothing held and the stick centred.
    pub const fn new(config: InputConfig) -> Self {
        Self {
            config,
            repeat: AutoRepeat::new(config.repeat_delay_ms, config.repeat_interval_ms),
            sector: None,
        }
    }

    /// The action a raw event at `now_ms` makes, if any.
    pub fn event(&mut self, raw: RawInput, now_ms: u64) -> Option<Physical> {
        match raw {
            RawInput::Down(button) => {
                self.repeat.press(button, now_ms);
                Some(Physical::Press(button))
            }
            RawInput::Up(button) => {
                self.repeat.release(button);
                None
            }
            RawInput::Stick { x, y } => {
                let sector = StickSector::from_position(x, y, self.config.dead_zone);
                (sector != self.sector).then(|| {
                    self.sector = sector;
                    Physical::Stick(sector)
                })
            }
        }
    }

    /// The auto-repeat due at `now_ms`, if any.
    pub fn poll(&mut self, now_ms: u64) -> Option<Physical> {
        self.repeat.poll(now_ms).map(Physical::Press)
    }

    /// When [`Controller::poll`] next has something, for the platform's sleep.
    pub fn next_due(&self) -> Option<u64> {
        self.repeat.next_due()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stick_sectors_and_dead_zone() {
        let s = |x, y| StickSector::from_position(x, y, 8000).map(StickSector::index);
        assert_eq!(s(0, 0), None);
        assert_eq!(s(5000, -5000), None);
        assert_eq!(s(0, 30000), Some(0));
        assert_eq!(s(20000, 20000), Some(1));
        assert_eq!(s(30000, 2000), Some(2));
        assert_eq!(s(20000, -20000), Some(3));
        assert_eq!(s(-1000, -30000), Some(4));
        assert_eq!(s(-20000, -20000), Some(5));
        assert_eq!(s(-30000, 0), Some(6));
        assert_eq!(s(-20000, 20000), Some(7));
        assert_eq!(s(i16::MIN, i16::MIN), Some(5));
    }

    #[test]
    fn held_direction_repeats_after_delay_at_rate() {
        let mut repeat = AutoRepeat::new(400, 100);
        repeat.press(Button::A, 0);
        assert_eq!(repeat.poll(1000), None, "only directions repeat");
        repeat.press(Button::Right, 0);
        assert_eq!(repeat.poll(399), None);
        assert_eq!(repeat.poll(400), Some(Button::Right));
        assert_eq!(repeat.poll(450), None);
        assert_eq!(repeat.poll(500), Some(Button::Right));
        assert_eq!(repeat.poll(5000), Some(Button::Right), "a stall fires once");
        assert_eq!(repeat.poll(5001), None);
        repeat.release(Button::Right);
        assert_eq!(repeat.poll(10_000), None);
        assert_eq!(repeat.next_due(), None);
    }

    #[test]
    fn controller_turns_raw_input_into_actions() {
        let mut pad = Controller::new(InputConfig::default());
        assert_eq!(
            pad.event(RawInput::Down(Button::Down), 0),
            Some(Physical::Press(Button::Down))
        );
        assert_eq!(pad.poll(399), None);
        assert_eq!(pad.poll(400), Some(Physical::Press(Button::Down)));
        assert_eq!(pad.event(RawInput::Up(Button::Down), 450), None);
        assert_eq!(pad.poll(1000), None);
        let right = StickSector::new(2);
        assert_eq!(
            pad.event(RawInput::Stick { x: 30000, y: 0 }, 0),
            Some(Physical::Stick(right))
        );
        assert_eq!(pad.event(RawInput::Stick { x: 31000, y: 900 }, 0), None);
        assert_eq!(
            pad.event(RawInput::Stick { x: 100, y: -50 }, 0),
            Some(Physical::Stick(None))
        );
    }

    #[test]
    fn button_sets() {
        let set = ButtonSet::of(&[Button::Up, Button::A, Button::Back]);
        assert!(set.contains(Button::A) && !set.contains(Button::B));
        assert_eq!(
            set.iter().collect::<std::vec::Vec<_>>(),
            [Button::Up, Button::A, Button::Back]
        );
    }
}
