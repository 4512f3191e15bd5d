//! The screens, as a state machine.
//!
//! ```text
//!  Account ──A/Done──▶ Password ──Sign in──▶ SigningIn ──Granted──▶ SignedIn ──Sign out──▶ Account
//!     ▲                  │  ▲                  │   │                                        
//!     └──────Back────────┘  └────Cancel────────┘   └─Denied / failure──▶ Problem ──▶ Password or Account
//!
//!  start with a remembered account: SigningIn ("Signing in as …") ──Granted──▶ SignedIn
//!                                   token no longer valid ──▶ Password, email filled in
//!                                   unreachable ──▶ Problem [Try again] [Use password]
//!
//!  Account ──Phone (Done on an empty field)──▶ LinkStarting ──▶ LinkCode ──approved──▶ SignedIn
//!                                                (see [`link`]: polling, expiry, the ways on)
//! ```
//!
//! [`Ui`] takes physical input ([`Physical`]), sign-in [`Outcome`]s and the time, and answers
//! with [`Effects`]: a [`UiRequest`] for the sign-in below (sign in, resume, cancel, sign out) and
//! what to [`Redraw`]. It draws nothing and opens no socket; the renderer reads its state
//! through the accessors, the sign-in client reads the fields when asked to sign in.

pub mod content;
pub mod link;
pub mod outcome;

use heapless::String;
use padlock_protocol::{DenyReason, DisplayName};

use crate::bindings::Action;
use crate::input::{Direction, Physical};
use crate::keyboard::controls;
use crate::keyboard::{Damage, Keyboard, Mode};
use crate::profile::Profile;
use crate::text::{Language, Text};
pub use content::{Content, Fit, Part, Piece};
pub use link::{Link, LinkAnswer};
pub use outcome::Outcome;

/// What every problem screen's slug starts with.
const PROBLEM_PREFIX: &str = "problem-";

/// How long one frame of the signing-in animation lasts.
pub const PROGRESS_FRAME_MS: u64 = 150;

/// Frames in the signing-in animation before it repeats.
pub const PROGRESS_FRAMES: u8 = 8;

/// What the module is configured with.
#[derive(Debug, Clone, Copy)]
pub struct UiConfig {
    /// The device profile.
    pub profile: &'static Profile,
    /// The language of the strings: the device's language setting (a profile has none).
    pub language: Language,
    /// Where players create app passwords (the account's Security info page).
    pub security_info_url: &'static str,
}

/// The screen shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Screen {
    /// Enter the email address.
    Account,
    /// Enter the password; remember checkbox and Sign in button.
    Password,
    /// Waiting for the gateway.
    SigningIn,
    /// Signed in; Sign out button.
    SignedIn,
    /// Asking the gateway for a link code (sign in with your phone).
    LinkStarting,
    /// The link code, its address and QR code, and how long it stays valid; polling.
    LinkCode,
    /// Something went wrong; one or two buttons.
    Problem(Problem),
}

/// What went wrong, as the player is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Problem {
    /// Wrong email or password; explains app passwords and where to make one.
    WrongCredentials,
    /// Too many tries; wait this long.
    Throttled {
        /// Seconds to wait.
        retry_after_secs: u32,
    },
    /// No network.
    NoNetwork,
    /// The gateway cannot be reached.
    CannotReach,
    /// The gateway did not answer in time.
    TimedOut,
    /// The connection dropped.
    ConnectionLost,
    /// The gateway's answer was not understood.
    ProtocolError,
    /// The device needs an update: the gateway said so in an authenticated reply.
    UpdateNeeded,
    /// The gateway failed or is busy.
    ServiceUnavailable,
    /// The link code expired before the player approved it.
    LinkExpired,
    /// The player declined the link on the phone.
    LinkDeclined,
}

impl Screen {
    /// The screens without a problem, in the order a sign-in meets them.
    const FLOW: [Screen; 6] = [
        Screen::Account,
        Screen::Password,
        Screen::SigningIn,
        Screen::SignedIn,
        Screen::LinkStarting,
        Screen::LinkCode,
    ];

    /// Every screen, once (a throttled problem with no wait stands for all waits).
    pub fn all() -> impl Iterator<Item = Screen> {
        Self::FLOW
            .into_iter()
            .chain(Problem::ALL.into_iter().map(Screen::Problem))
    }

    /// The screen's one name, as golden images, scenarios and transcripts spell it
    /// (`account`, `signing-in`, `problem-wrong-credentials`). Compare screens by slug: a
    /// throttled problem's slug does not depend on its wait.
    pub const fn slug(self) -> &'static str {
        match self {
            Screen::Account => "account",
            Screen::Password => "password",
            Screen::SigningIn => "signing-in",
            Screen::SignedIn => "signed-in",
            Screen::LinkStarting => "link-starting",
            Screen::LinkCode => "link-code",
            Screen::Problem(problem) => problem.screen_slug(),
        }
    }

    /// The screen called `slug` (see [`Screen::slug`]).
    pub fn from_slug(slug: &str) -> Option<Screen> {
        Self::all().find(|screen| screen.slug() == slug)
    }
}

/// How a sign-in attempt (a sign-in, a resume, a retry) ended, as the player sees it: by the
/// screen that replaced "signing in".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Ending {
    /// Signed in.
    Granted,
    /// The remembered sign-in no longer works: the password screen asks again.
    TokenInvalid,
    /// The player cancelled it.
    Cancelled,
    /// A problem screen.
    Problem(Problem),
}

impl Ending {
    /// Every ending, once (a throttled problem with no wait stands for all waits).
    pub fn all() -> impl Iterator<Item = Ending> {
        [Ending::Granted, Ending::TokenInvalid, Ending::Cancelled]
            .into_iter()
            .chain(Problem::ALL.into_iter().map(Ending::Problem))
    }

    /// How the attempt that `ui` was waiting for ended, from the screen it shows now.
    pub fn of(ui: &Ui) -> Ending {
        match ui.screen() {
            Screen::SignedIn => Ending::Granted,
            Screen::Password if ui.notice() == Some(Text::TokenInvalid) => Ending::TokenInvalid,
            Screen::Problem(problem) => Ending::Problem(problem),
            _ => Ending::Cancelled,
        }
    }

    /// The ending's one name (`granted`, `token-invalid`, `cancelled`, or the problem's
    /// `wrong-credentials`, `timed-out`, ...). Compare endings by slug.
    pub fn slug(self) -> &'static str {
        match self {
            Ending::Granted => "granted",
            Ending::TokenInvalid => "token-invalid",
            Ending::Cancelled => "cancelled",
            Ending::Problem(problem) => problem.slug(),
        }
    }

    /// The ending called `slug` (see [`Ending::slug`]).
    pub fn from_slug(slug: &str) -> Option<Ending> {
        Self::all().find(|ending| ending.slug() == slug)
    }
}

impl Problem {
    /// Every problem, once (throttled with no wait stands for all waits).
    pub const ALL: [Problem; 11] = [
        Problem::WrongCredentials,
        Problem::Throttled {
            retry_after_secs: 0,
        },
        Problem::NoNetwork,
        Problem::CannotReach,
        Problem::TimedOut,
        Problem::ConnectionLost,
        Problem::ProtocolError,
        Problem::UpdateNeeded,
        Problem::ServiceUnavailable,
        Problem::LinkExpired,
        Problem::LinkDeclined,
    ];

    /// The slug of the problem's screen: `problem-` and the problem's own slug.
    const fn screen_slug(self) -> &'static str {
        match self {
            Problem::WrongCredentials => "problem-wrong-credentials",
            Problem::Throttled { .. } => "problem-throttled",
            Problem::NoNetwork => "problem-no-network",
            Problem::CannotReach => "problem-cannot-reach",
            Problem::TimedOut => "problem-timed-out",
            Problem::ConnectionLost => "problem-connection-lost",
            Problem::ProtocolError => "problem-protocol-error",
            Problem::UpdateNeeded => "problem-update-needed",
            Problem::ServiceUnavailable => "problem-service-unavailable",
            Problem::LinkExpired => "problem-link-expired",
            Problem::LinkDeclined => "problem-link-declined",
        }
    }

    /// The problem's one name (`wrong-credentials`, `throttled`, ...), also its
    /// [`Ending`]'s.
    pub fn slug(self) -> &'static str {
        let slug = self.screen_slug();
        slug.get(PROBLEM_PREFIX.len()..).unwrap_or(slug)
    }

    /// The line that says what happened.
    pub const fn text(self) -> Text {
        match self {
            Problem::WrongCredentials => Text::WrongCredentialsTitle,
            Problem::Throttled { .. } => Text::Throttled,
            Problem::NoNetwork => Text::NoNetwork,
            Problem::CannotReach => Text::CannotReach,
            Problem::TimedOut => Text::TimedOut,
            Problem::ConnectionLost => Text::ConnectionLost,
            Problem::ProtocolError => Text::ProtocolError,
            Problem::UpdateNeeded => Text::UpdateNeeded,
            Problem::ServiceUnavailable => Text::ServiceUnavailable,
            Problem::LinkExpired => Text::LinkExpired,
            Problem::LinkDeclined => Text::LinkDeclined,
        }
    }

    /// Whether trying the same again may help.
    const fn retryable(self) -> bool {
        !matches!(
            self,
            Problem::WrongCredentials
                | Problem::Throttled { .. }
                | Problem::UpdateNeeded
                | Problem::LinkExpired
                | Problem::LinkDeclined
        )
    }

    /// The problem an attempt's `outcome` is, if it is one: not a grant, and not the
    /// remembered token's refusal (which asks for the password instead).
    fn of(outcome: Outcome) -> Option<Problem> {
        Some(match outcome {
            Outcome::Granted { .. }
            | Outcome::Denied {
                reason: DenyReason::TokenInvalid,
                ..
            } => return None,
            Outcome::Denied {
                reason: DenyReason::WrongCredentials,
                ..
            } => Problem::WrongCredentials,
            Outcome::Denied {
                reason: DenyReason::Throttled,
                retry_after_secs,
            } => Problem::Throttled { retry_after_secs },
            // Only from an authenticated reply: a plain status frame saying the same is a
            // `ProtocolError`, which anyone on the path could forge.
            Outcome::Denied {
                reason: DenyReason::UnsupportedVersion,
                ..
            } => Problem::UpdateNeeded,
            Outcome::Denied {
                reason: DenyReason::LinkExpired,
                ..
            } => Problem::LinkExpired,
            Outcome::Denied {
                reason: DenyReason::LinkDeclined,
                ..
            } => Problem::LinkDeclined,
            Outcome::Denied {
                reason: DenyReason::ServerError,
                ..
            }
            | Outcome::Busy => Problem::ServiceUnavailable,
            Outcome::NoNetwork => Problem::NoNetwork,
            Outcome::CannotReach => Problem::CannotReach,
            Outcome::TimedOut => Problem::TimedOut,
            Outcome::ConnectionLost => Problem::ConnectionLost,
            Outcome::ProtocolError => Problem::ProtocolError,
        })
    }
}

/// Where the focus is on the password screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Focus {
    /// On the keyboard (typing).
    Keyboard,
    /// On the remember checkbox.
    Remember,
    /// On the Sign in button.
    SignIn,
}

/// What the screens ask of the sign-in below them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum UiRequest {
    /// Sign in with [`Ui::email`], [`Ui::password`] and [`Ui::remember`].
    SignIn,
    /// Sign in with the remembered token.
    Resume,
    /// Stop the attempt in progress.
    Cancel,
    /// Sign out: revoke and forget the remembered token.
    SignOut,
    /// The player left the sign-in (back from the first screen): the device's own menu.
    Leave,
    /// Ask the gateway for a link code (sign in with your phone).
    LinkStart,
    /// Ask whether the link with [`Ui::link`]'s code is approved yet.
    LinkPoll,
}

impl UiRequest {
    /// Whether this is a request of the phone link.
    const fn is_link(self) -> bool {
        matches!(self, UiRequest::LinkStart | UiRequest::LinkPoll)
    }
}

/// What to redraw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Redraw {
    /// Nothing changed.
    #[default]
    Nothing,
    /// The whole screen.
    Screen,
    /// Part of the keyboard or its field.
    Keyboard(Damage),
    /// The focus moved between controls (checkbox, buttons), or the checkbox changed.
    Controls,
    /// The progress animation advanced.
    Progress,
    /// The link code's countdown shows another second.
    Countdown,
}

impl Redraw {
    /// What to redraw for this change followed by `later`, when the screen showed neither:
    /// keyboard damages combine; different kinds become the whole screen.
    pub fn merge(self, later: Redraw) -> Redraw {
        match (self, later) {
            (Redraw::Nothing, other) | (other, Redraw::Nothing) => other,
            (Redraw::Keyboard(first), Redraw::Keyboard(second)) => {
                Redraw::Keyboard(first.merge(second))
            }
            (first, second) if first == second => first,
            _ => Redraw::Screen,
        }
    }
}

/// The answer to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Effects {
    /// A request for the sign-in below.
    pub request: Option<UiRequest>,
    /// What to redraw.
    pub redraw: Redraw,
}

impl Effects {
    fn screen() -> Self {
        Self {
            request: None,
            redraw: Redraw::Screen,
        }
    }

    fn request(request: UiRequest) -> Self {
        Self {
            request: Some(request),
            redraw: Redraw::Screen,
        }
    }
}

/// The button on a problem screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Choice {
    /// Try the same request again.
    Retry,
    /// Back to the password screen.
    UsePassword,
    /// Acknowledge: back to the password screen.
    Ok,
    /// Back to the screen before.
    Back,
    /// Ask for a new link code.
    NewCode,
}

impl Choice {
    /// The button's label.
    pub const fn text(self) -> Text {
        match self {
            Choice::Retry => Text::Retry,
            Choice::UsePassword => Text::UsePassword,
            Choice::Ok => Text::Ok,
            Choice::Back => Text::Back,
            Choice::NewCode => Text::NewCode,
        }
    }
}

/// The screens' state machine.
#[derive(Debug, Clone)]
pub struct Ui {
    config: UiConfig,
    screen: Screen,
    email: Keyboard,
    password: Keyboard,
    remember: bool,
    focus: Focus,
    /// Selected button on a problem screen (index into [`Ui::choices`]).
    choice: u8,
    /// The request in flight or last made, for Try again.
    last: UiRequest,
    display_name: DisplayName,
    notice: Option<Text>,
    frame: u8,
    next_frame_ms: u64,
    /// The link code on screen, while [`Screen::LinkCode`] shows.
    link: Option<Link>,
    /// Whether the gateway offers links (until it answers a `LinkStart` it does not know).
    links: bool,
}

impl Ui {
    /// The screens at power-up. With a `remembered` account the module resumes at once (call
    /// [`Ui::start`] for the request); otherwise it asks for the email address.
    pub fn new(config: UiConfig, remembered: Option<&str>) -> Self {
        let email =
            Keyboard::for_profile(config.profile, Mode::Email).with_text(remembered.unwrap_or(""));
        Self {
            config,
            screen: if remembered.is_some() {
                Screen::SigningIn
            } else {
                Screen::Account
            },
            email,
            password: Keyboard::for_profile(config.profile, Mode::AppPassword),
            remember: false,
            focus: Focus::Keyboard,
            choice: 0,
            last: UiRequest::Resume,
            display_name: DisplayName::new(),
            notice: None,
            frame: 0,
            next_frame_ms: 0,
            link: None,
            links: true,
        }
    }

    /// The first effects: a resume when starting on a remembered account.
    pub fn start(&mut self) -> Effects {
        if self.screen == Screen::SigningIn {
            self.last = UiRequest::Resume;
            Effects::request(UiRequest::Resume)
        } else {
            Effects::screen()
        }
    }

    /// Reacts to a button or the stick.
    pub fn input(&mut self, physical: Physical) -> Effects {
        match self.screen {
            Screen::Account => self.type_into_email(physical),
            Screen::Password => self.on_password(physical),
            Screen::SigningIn => match self.action(physical) {
                Some(Action::Select | Action::Back | Action::Undo) => {
                    self.show_password_screen();
                    Effects::request(UiRequest::Cancel)
                }
                _ => Effects::default(),
            },
            // The one button is Cancel or Back: select or back goes back to the keyboard.
            Screen::LinkStarting | Screen::LinkCode => match self.action(physical) {
                Some(Action::Select | Action::Back | Action::Undo) => {
                    self.link = None;
                    self.screen = Screen::Account;
                    Effects::request(UiRequest::Cancel)
                }
                _ => Effects::default(),
            },
            Screen::SignedIn => match self.action(physical) {
                Some(Action::Select) => {
                    self.password.wipe();
                    self.display_name.clear();
                    self.screen = Screen::Account;
                    Effects::request(UiRequest::SignOut)
                }
                Some(Action::Back | Action::Undo) => Effects::request(UiRequest::Leave),
                _ => Effects::default(),
            },
            Screen::Problem(problem) => self.on_problem(problem, physical),
        }
    }

    /// Reacts to how the requested sign-in went.
    pub fn outcome(&mut self, outcome: Outcome) -> Effects {
        if self.screen != Screen::SigningIn {
            // A late answer to a cancelled attempt: nothing to show.
            return Effects::default();
        }
        let problem = match Problem::of(outcome.clone()) {
            Some(problem) => problem,
            None => {
                if let Outcome::Granted { display_name } = outcome {
                    self.signed_in(display_name);
                } else if self.email.text().is_empty() {
                    // Remembered by a phone link: no address to ask a password for.
                    self.notice = Some(Text::TokenInvalid);
                    self.screen = Screen::Account;
                } else {
                    self.notice = Some(Text::TokenInvalid);
                    self.show_password_screen();
                }
                return Effects::screen();
            }
        };
        if problem == Problem::WrongCredentials {
            self.password.wipe();
        }
        self.show_problem(problem)
    }

    /// Reacts to the gateway's answer to a link request, which arrived at `now_ms`.
    pub fn link_answer(&mut self, answer: LinkAnswer, now_ms: u64) -> Effects {
        if !matches!(self.screen, Screen::LinkStarting | Screen::LinkCode) {
            // A late answer to a cancelled link: nothing to show.
            return Effects::default();
        }
        match answer {
            LinkAnswer::Offer {
                code,
                address,
                expires_in_secs,
                poll_interval_secs,
            } if self.screen == Screen::LinkStarting => {
                let offered =
                    Link::new(code, &address, expires_in_secs, poll_interval_secs, now_ms);
                match offered {
                    Some(link) => {
                        self.link = Some(link);
                        self.screen = Screen::LinkCode;
                        Effects::screen()
                    }
                    None => self.show_problem(Problem::ProtocolError),
                }
            }
            LinkAnswer::Waiting { poll_interval_secs } if self.screen == Screen::LinkCode => {
                if let Some(link) = &mut self.link {
                    link.waiting(poll_interval_secs, now_ms);
                }
                Effects::default()
            }
            // An offer while polling, or a poll's answer while asking for a code: the gateway
            // answered something else than was asked.
            LinkAnswer::Offer { .. } | LinkAnswer::Waiting { .. } => {
                self.show_problem(Problem::ProtocolError)
            }
            LinkAnswer::Granted { display_name } => {
                self.signed_in(display_name);
                Effects::screen()
            }
            LinkAnswer::Declined => self.show_problem(Problem::LinkDeclined),
            LinkAnswer::Expired => self.show_problem(Problem::LinkExpired),
            LinkAnswer::Unsupported => {
                self.links = false;
                self.link = None;
                self.screen = Screen::Account;
                Effects::screen()
            }
            LinkAnswer::Failed(outcome) => {
                let problem = Problem::of(outcome).unwrap_or(Problem::ProtocolError);
                self.show_problem(problem)
            }
        }
    }

    fn signed_in(&mut self, display_name: DisplayName) {
        self.display_name = display_name;
        self.password.wipe();
        self.link = None;
        self.screen = Screen::SignedIn;
    }

    fn show_problem(&mut self, problem: Problem) -> Effects {
        self.link = None;
        self.screen = Screen::Problem(problem);
        self.choice = 0;
        Effects::screen()
    }

    /// Asks for a link code: the phone choice, or a new code.
    fn start_link(&mut self) -> Effects {
        self.link = None;
        self.notice = None;
        self.screen = Screen::LinkStarting;
        self.last = UiRequest::LinkStart;
        Effects::request(UiRequest::LinkStart)
    }

    /// Advances the progress animation and the link code's countdown, and polls for the
    /// link's approval when due; call from the main loop.
    pub fn tick(&mut self, now_ms: u64) -> Effects {
        if self.screen == Screen::LinkCode {
            return self.tick_link(now_ms);
        }
        let animated = matches!(self.screen, Screen::SigningIn | Screen::LinkStarting);
        if !animated || now_ms < self.next_frame_ms {
            return Effects::default();
        }
        self.frame = (self.frame + 1) % PROGRESS_FRAMES;
        self.next_frame_ms = now_ms.saturating_add(PROGRESS_FRAME_MS);
        Effects {
            request: None,
            redraw: Redraw::Progress,
        }
    }

    fn tick_link(&mut self, now_ms: u64) -> Effects {
        let Some(link) = &mut self.link else {
            return Effects::default();
        };
        match link.due(now_ms) {
            link::Due::Nothing => Effects::default(),
            link::Due::Countdown => Effects {
                request: None,
                redraw: Redraw::Countdown,
            },
            link::Due::Poll => Effects {
                request: Some(UiRequest::LinkPoll),
                redraw: Redraw::Nothing,
            },
            link::Due::Expired => {
                let polling = link.polling();
                let mut effects = self.show_problem(Problem::LinkExpired);
                effects.request = polling.then_some(UiRequest::Cancel);
                effects
            }
        }
    }

    /// When [`Ui::tick`] next has something to do, for the platform's sleep.
    pub fn next_tick(&self) -> Option<u64> {
        match self.screen {
            Screen::SigningIn | Screen::LinkStarting => Some(self.next_frame_ms),
            Screen::LinkCode => self.link.as_ref().map(Link::next_due),
            _ => None,
        }
    }

    /// What a press means off the keyboard, from the profile's binding table: the stick and
    /// unbound buttons mean nothing there.
    fn action(&self, physical: Physical) -> Option<Action> {
        match physical {
            Physical::Press(button) => self.config.profile.bindings.action(button),
            Physical::Stick(_) => None,
        }
    }

    fn type_into_email(&mut self, physical: Physical) -> Effects {
        let Some(input) = controls::map(self.config.profile, &self.email, physical) else {
            return Effects::default();
        };
        let phone = self.phone_choice();
        let change = self.email.handle(input);
        if change.back {
            return Effects::request(UiRequest::Leave);
        }
        if change.done && phone {
            return self.start_link();
        }
        if change.done && !self.email.text().is_empty() {
            self.notice = None;
            self.show_password_screen();
            return Effects::screen();
        }
        let damage = if phone == self.phone_choice() {
            change.damage
        } else {
            // The first letter typed or the last one deleted: Done's label changes, on its key
            // or in the legend, which are redrawn with every key.
            Damage {
                all_keys: true,
                field: true,
                ..change.damage
            }
        };
        Effects {
            request: None,
            redraw: Redraw::Keyboard(damage),
        }
    }

    fn on_password(&mut self, physical: Physical) -> Effects {
        // The stick always reaches the keyboard: its sector is the quick-entry group, and a
        // stick let go while the focus is on Sign in must still let the group go, or the
        // face buttons would keep typing from it once the focus is back.
        let stick = matches!(physical, Physical::Stick(_));
        if self.focus == Focus::Keyboard || stick {
            let Some(input) = controls::map(self.config.profile, &self.password, physical) else {
                return Effects::default();
            };
            let change = self.password.handle(input);
            if change.back {
                self.screen = Screen::Account;
                return Effects::screen();
            }
            if change.done {
                self.focus = Focus::SignIn;
                return Effects {
                    request: None,
                    redraw: Redraw::Controls,
                };
            }
            return Effects {
                request: None,
                redraw: Redraw::Keyboard(change.damage),
            };
        }
        let Some(action) = self.action(physical) else {
            return Effects::default();
        };
        let focus = match (self.focus, action) {
            (Focus::Remember, Action::Move(Direction::Up)) => Focus::Keyboard,
            (Focus::Remember, Action::Move(Direction::Down | Direction::Right)) => Focus::SignIn,
            (Focus::SignIn, Action::Move(Direction::Up | Direction::Left)) => Focus::Remember,
            (Focus::Remember, Action::Select) => {
                self.remember = !self.remember;
                Focus::Remember
            }
            (Focus::SignIn, Action::Select | Action::Done) => {
                if self.password.text().is_empty() {
                    Focus::Keyboard
                } else {
                    self.screen = Screen::SigningIn;
                    self.notice = None;
                    self.last = UiRequest::SignIn;
                    return Effects::request(UiRequest::SignIn);
                }
            }
            (_, Action::Back | Action::Undo) => Focus::Keyboard,
            (focus, _) => focus,
        };
        self.focus = focus;
        Effects {
            request: None,
            redraw: Redraw::Controls,
        }
    }

    fn on_problem(&mut self, problem: Problem, physical: Physical) -> Effects {
        let choices = self.choices();
        // Every problem screen has at least one button.
        let count = (choices.iter().flatten().count() as u8).max(1);
        let Some(action) = self.action(physical) else {
            return Effects::default();
        };
        let chosen = match action {
            Action::Move(Direction::Up | Direction::Left) => {
                self.choice = (self.choice + count - 1) % count;
                return Effects {
                    request: None,
                    redraw: Redraw::Controls,
                };
            }
            Action::Move(Direction::Down | Direction::Right) => {
                self.choice = (self.choice + 1) % count;
                return Effects {
                    request: None,
                    redraw: Redraw::Controls,
                };
            }
            Action::Select | Action::Done => choices
                .get(usize::from(self.choice))
                .copied()
                .flatten()
                .unwrap_or(Choice::Ok),
            Action::Back | Action::Undo => choices
                .iter()
                .flatten()
                .last()
                .copied()
                .unwrap_or(Choice::Back),
            _ => return Effects::default(),
        };
        match chosen {
            Choice::NewCode => self.start_link(),
            Choice::Back if self.last.is_link() => {
                self.screen = Screen::Account;
                Effects::screen()
            }
            Choice::Retry if problem.retryable() => {
                self.screen = Screen::SigningIn;
                Effects::request(self.last)
            }
            Choice::Back if problem == Problem::WrongCredentials => {
                self.screen = Screen::Account;
                Effects::screen()
            }
            _ => {
                self.show_password_screen();
                Effects::screen()
            }
        }
    }

    /// Opens the password screen as DESIGN.md section 5 asks, however it is reached (the
    /// account's Done, a refusal's OK, Back from a problem, a cancel, an expired token): on
    /// the app-password letters, empty, with the focus on the keyboard. An account password
    /// typed on the full keyboard before does not leave the next player there.
    fn show_password_screen(&mut self) {
        self.screen = Screen::Password;
        self.focus = Focus::Keyboard;
        self.password.reopen(Mode::AppPassword);
    }

    /// The buttons of the problem screen shown, first selected by default.
    pub fn choices(&self) -> [Option<Choice>; 2] {
        match self.screen {
            // A link's problems: a new code, or back to the keyboard.
            Screen::Problem(p) if self.last.is_link() => match p {
                Problem::Throttled { .. } | Problem::UpdateNeeded => [Some(Choice::Back), None],
                _ => [Some(Choice::NewCode), Some(Choice::Back)],
            },
            Screen::Problem(p) if p.retryable() && self.last == UiRequest::Resume => {
                [Some(Choice::Retry), Some(Choice::UsePassword)]
            }
            Screen::Problem(p) if p.retryable() => [Some(Choice::Retry), Some(Choice::Back)],
            Screen::Problem(Problem::WrongCredentials) => [Some(Choice::Ok), Some(Choice::Back)],
            Screen::Problem(_) => [Some(Choice::Ok), None],
            _ => [None, None],
        }
    }

    /// The screen shown.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The configuration.
    pub fn config(&self) -> &UiConfig {
        &self.config
    }

    /// The email field's keyboard.
    pub fn email(&self) -> &Keyboard {
        &self.email
    }

    /// The password field's keyboard.
    pub fn password(&self) -> &Keyboard {
        &self.password
    }

    /// Whether "remember my info" is ticked.
    pub fn remember(&self) -> bool {
        self.remember
    }

    /// Focus on the password screen.
    pub fn focus(&self) -> Focus {
        self.focus
    }

    /// The selected button on a problem screen.
    pub fn choice(&self) -> u8 {
        self.choice
    }

    /// The signed-in account's display name.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// A line to show on the password screen (why the player is asked again), if any.
    pub fn notice(&self) -> Option<Text> {
        self.notice
    }

    /// The link code on screen ([`Screen::LinkCode`]).
    pub fn link(&self) -> Option<&Link> {
        self.link.as_ref()
    }

    /// Whether Done on the email keyboard is the phone choice now: the field is empty and the
    /// gateway has not said it has no links. The key's label and the legend say "Phone" then.
    pub fn phone_choice(&self) -> bool {
        self.links && self.screen == Screen::Account && self.email.text().is_empty()
    }

    /// The progress animation's frame, `0..PROGRESS_FRAMES`.
    pub fn progress_frame(&self) -> u8 {
        self.frame
    }

    /// Whether the signing-in screen is a resume ("Signing in as …").
    pub fn resuming(&self) -> bool {
        self.last == UiRequest::Resume
    }

    /// The remember checkbox's label for this kind of device.
    pub fn remember_text(&self) -> Text {
        match self.config.profile.kind {
            padlock_protocol::DeviceKind::Zune => Text::RememberMyIdAndPassword,
            _ => Text::RememberMyInfo,
        }
    }

    /// The signing-in line for this attempt, filled in: "Signing in as alex@outlook.com".
    pub fn signing_in_line(&self) -> String<{ 32 + crate::keyboard::MAX_TEXT_LEN }> {
        let mut line = String::new();
        let language = self.config.language;
        let _ = crate::text::fill(
            &mut line,
            Text::SigningInAs.get(language),
            self.email.text(),
        );
        line
    }
}

#[cfg(test)]
mod tests;
