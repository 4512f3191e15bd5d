//! Playing a scenario's steps on a simulated device, headless, on virtual time.
//!
//! Each scenario gets a fresh embedded gateway (in-memory database, seeded) with the demo
//! account, and a fresh device in its output folder, so a run depends only on the file and
//! the seed. Presses go at a player's pace ([`PRESS_DOWN_MS`] held, [`PRESS_GAP_MS`] apart);
//! time between steps runs only in `wait` and `wait for`. The first failed step stops the
//! run: its [`Failure`] says where (file:line) and why, with the screen shown at the time.

use std::path::PathBuf;
use std::sync::Arc;

use padlock_firmware::input::{Physical, RawInput};
use padlock_firmware::keyboard::Keyboard;
use padlock_firmware::keyboard::typing;
use padlock_firmware::module::player::raw_events;
use padlock_firmware::net::wire::Faults;
use padlock_firmware::ui::{Focus, Screen};

use super::Failure;
use super::expect::{self, Outcomes, Verdict};
use super::outputs::Outputs;
use super::parse::{Condition, Instruction, Line, NetworkChange, Scenario, ServerAction};
use super::placeholders::Placeholders;
use crate::demo::{self, DemoAccount};
use crate::device::{Device, DeviceOptions, GatewayChoice};
use crate::output::transcript::seconds;

/// How long a button is held in a `press` (and in each press of `type`).
pub const PRESS_DOWN_MS: u64 = 50;
/// The pause after releasing it, before the next press.
pub const PRESS_GAP_MS: u64 = 50;
/// Time slice in which waits look at the screen (and the GIF takes frames).
const SLICE_MS: u64 = 50;
/// Seed when neither `--seed` nor the file gives one.
pub const DEFAULT_SEED: u64 = 1;

/// A scenario that passed.
#[derive(Debug, Clone)]
pub struct Report {
    /// The scenario's name (its file name without `.scn`).
    pub name: String,
    /// Its folder of outputs.
    pub dir: PathBuf,
    /// Steps played.
    pub steps: usize,
    /// Virtual time the run took.
    pub virtual_ms: u64,
}

/// A scenario being played: the device, the demo account and the outputs.
pub struct Playthrough {
    path: PathBuf,
    name: String,
    steps: Vec<Line>,
    device: Device,
    demo: DemoAccount,
    placeholders: Placeholders,
    outputs: Outputs,
    outcomes: Outcomes,
    /// The line being played, for errors.
    line: usize,
    /// The Security info page, once a step acts as the player on a phone.
    page: Option<super::page::Page>,
}

impl Playthrough {
    /// Sets up `scenario` with its outputs in `out/<name>/`: a fresh gateway seeded by `seed`
    /// (else the file's, else [`DEFAULT_SEED`]), a fresh device.
    ///
    /// # Errors
    /// The gateway, the device or an output cannot be set up (line 0).
    pub fn start(
        scenario: Scenario,
        out: &std::path::Path,
        seed: Option<u64>,
        pcap: bool,
    ) -> Result<Self, Failure> {
        let whole = |message: String| Failure {
            path: scenario.path.clone(),
            line: 0,
            message,
        };
        let name = scenario
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".to_owned());
        let dir = out.join(&name);
        let seed = seed.or(scenario.seed).unwrap_or(DEFAULT_SEED);
        let (gateway, demo) =
            demo::embedded_gateway(seed).map_err(|e| whole(format!("gateway: {e}")))?;
        let header = format!(
            "padlock-simulator transcript\nscenario: {}\nseed: {seed}\nprofile: {}\nlanguage: {}\n\
             demo account: {} (two-step on); passwords are never written here\n",
            scenario.path.display(),
            scenario.profile.name,
            scenario.lang.code(),
            demo.email,
        );
        // The device keeps its flash in the output folder: clear it first.
        Outputs::clear_folder(&dir).map_err(whole)?;
        let mut device = Device::new(DeviceOptions {
            profile: scenario.profile,
            lang: scenario.lang,
            name: "device".to_owned(),
            home: dir.clone(),
            forget: true,
            seed,
            gateway: GatewayChoice::Embedded(Arc::new(gateway)),
            clock_origin: demo::EPOCH,
        })
        .map_err(|e| whole(e.to_string()))?;
        let mut outputs = Outputs::create(&dir, &header, &device, pcap).map_err(whole)?;
        let mut outcomes = Outcomes::default();
        outcomes.saw(outputs.record(&mut device).map_err(whole)?);
        Ok(Self {
            path: scenario.path,
            name,
            steps: scenario.steps,
            placeholders: Placeholders::new(&demo),
            device,
            demo,
            outputs,
            outcomes,
            line: 0,
            page: None,
        })
    }

    /// The scenario's name (its file name without `.scn`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many steps the scenario has.
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// Plays every step, calling `progress(step number, virtual ms)` before each; closes the
    /// outputs with the verdict.
    ///
    /// # Errors
    /// The first step that failed, or an output that could not be finished.
    pub fn play(mut self, mut progress: impl FnMut(usize, u64)) -> Result<Report, Failure> {
        let steps = std::mem::take(&mut self.steps);
        let mut result = Ok(());
        for (index, line) in steps.iter().enumerate() {
            self.line = line.number;
            progress(index + 1, self.device.now_ms());
            result = self.play_line(line);
            if result.is_err() {
                break;
            }
        }
        let recorded = self.record();
        let verdict = match &result {
            Ok(()) => "PASS".to_owned(),
            Err(failure) => format!("FAIL {failure}"),
        };
        let finished = self.outputs.finish(&verdict).map_err(|message| Failure {
            path: self.path.clone(),
            line: 0,
            message,
        });
        result?;
        recorded?;
        finished?;
        Ok(Report {
            name: self.name,
            dir: self.outputs.dir().to_path_buf(),
            steps: steps.len(),
            virtual_ms: self.device.now_ms(),
        })
    }

    fn play_line(&mut self, line: &Line) -> Result<(), Failure> {
        let now = self.device.now_ms();
        let mut shown = format!("step {}: {}", line.number, line.text);
        if let Some(text) = written_text(&line.instruction).filter(|t| t.contains('{')) {
            // Check the placeholders now; show only those that are no secret.
            self.placeholders
                .expand(text)
                .map_err(|why| self.fail(why))?;
            let public = self.placeholders.public(text);
            if public != *text {
                shown.push_str(&format!("  ({public:?})"));
            }
        }
        self.outputs
            .line(now, &shown)
            .map_err(|why| self.fail(why))?;
        match &line.instruction {
            Instruction::Press(buttons) => {
                for button in buttons {
                    self.tap(Physical::Press(*button))?;
                }
            }
            Instruction::Hold(button) => self.raw(RawInput::Down(*button))?,
            Instruction::Release(button) => self.raw(RawInput::Up(*button))?,
            Instruction::Stick { x, y } => self.raw(RawInput::Stick { x: *x, y: *y })?,
            Instruction::Type(text) => self.type_text(text)?,
            Instruction::Done => self.done()?,
            Instruction::WaitFor { until, limit_ms } => self.wait_for(until, *limit_ms)?,
            Instruction::Wait(ms) => self.run_for(*ms)?,
            Instruction::Expect(condition) => {
                let verdict = self.check(condition, true);
                match verdict {
                    Verdict::Holds => {}
                    Verdict::NotYet => {
                        return Err(self.fail(format!("expected {}", expect::describe(condition))));
                    }
                    Verdict::Fails(why) => return Err(self.fail(why)),
                }
            }
            Instruction::Screenshot(name) => self
                .outputs
                .screenshot(name, &self.device)
                .map_err(|why| self.fail(why))?,
            Instruction::Network(change) => {
                match change {
                    NetworkChange::Faults(settings) => {
                        let faults = settings.apply(self.device.faults());
                        self.device.set_faults(faults);
                    }
                    NetworkChange::Clear => self.device.set_faults(Faults::default()),
                    NetworkChange::Link(up) => self.device.set_link(*up),
                }
                self.record()?;
            }
            Instruction::Gateway(running) => {
                self.device.set_gateway_running(*running);
                self.record()?;
            }
            Instruction::Server(action) => self.server(*action)?,
            Instruction::AnswerLink(approve) => self.answer_link(*approve)?,
            Instruction::PowerCut(n) => self.device.flash().cut_power_at(*n),
            Instruction::Reboot => {
                self.device.reboot();
                self.record()?;
            }
        }
        Ok(())
    }

    /// One raw event (`hold`, `release`, `stick`), as written.
    fn raw(&mut self, event: RawInput) -> Result<(), Failure> {
        self.device.press(event);
        self.record()
    }

    /// Presses and releases (or moves the stick for) one physical action, at a player's pace:
    /// [`PRESS_DOWN_MS`] between its raw events, [`PRESS_GAP_MS`] after them.
    fn tap(&mut self, action: Physical) -> Result<(), Failure> {
        for (index, event) in raw_events(action).enumerate() {
            if index > 0 {
                self.run_for(PRESS_DOWN_MS)?;
            }
            self.device.press(event);
            self.record()?;
        }
        self.run_for(PRESS_GAP_MS)
    }

    fn taps(&mut self, actions: Vec<Physical>) -> Result<(), Failure> {
        actions.into_iter().try_for_each(|action| self.tap(action))
    }

    /// The keyboard of the field on screen.
    fn keyboard(&self, doing: &str) -> Result<Keyboard, Failure> {
        let Some(ui) = self.device.ui() else {
            return Err(self.fail(format!("cannot {doing}: the device is off")));
        };
        match (typing::focused_field(ui), ui.screen()) {
            (Some(field), _) => Ok(field.clone()),
            (None, Screen::Password) => Err(self.fail(format!(
                "cannot {doing}: the focus is on the password screen's controls, not the \
                 keyboard (`Up` from Sign in, then from Remember, returns to it)"
            ))),
            (None, _) => Err(self.fail(format!(
                "cannot {doing} on the {} screen: there is no keyboard",
                self.device.screen_name()
            ))),
        }
    }

    fn done(&mut self) -> Result<(), Failure> {
        if let Some(ui) = self.device.ui()
            && ui.screen() == Screen::Password
            && ui.focus() != Focus::Keyboard
        {
            // Already finished (an app password moves on by itself at its 16th letter).
            return Ok(());
        }
        let keyboard = self.keyboard("finish the field")?;
        let Some(actions) = typing::finish(self.device.profile(), &keyboard) else {
            return Err(self.fail("the keyboard has no way to finish the field".to_owned()));
        };
        self.taps(actions)
    }

    fn type_text(&mut self, written: &str) -> Result<(), Failure> {
        // Messages quote the text as written: a placeholder may stand for a password.
        let text = self
            .placeholders
            .expand(written)
            .map_err(|why| self.fail(why))?;
        let keyboard = self.keyboard("type")?;
        match typing::keystrokes(self.device.profile(), &keyboard, &text) {
            Ok(actions) => self.taps(actions),
            Err(why) => Err(self.fail(format!(
                "the {} screen's keyboard cannot type {written:?}: {}",
                self.device.screen_name(),
                why.explain(Placeholders::is_secret(written))
            ))),
        }
    }

    /// Lets virtual time run `ms`, watching the screen.
    fn run_for(&mut self, ms: u64) -> Result<(), Failure> {
        let end = self.device.now_ms() + ms;
        while self.device.now_ms() < end {
            let next = (self.device.now_ms() + SLICE_MS).min(end);
            self.device.advance_to(next);
            self.record()?;
        }
        Ok(())
    }

    fn wait_for(&mut self, condition: &Condition, limit_ms: u64) -> Result<(), Failure> {
        let end = self.device.now_ms() + limit_ms;
        loop {
            match self.check(condition, false) {
                Verdict::Holds => return Ok(()),
                Verdict::Fails(why) => return Err(self.fail(why)),
                Verdict::NotYet => {}
            }
            if self.device.now_ms() >= end {
                let why = match condition {
                    Condition::Outcome(want) => format!(
                        "no sign-in ended within {} (waiting for {want})",
                        seconds(limit_ms)
                    ),
                    _ => format!(
                        "{} not met within {}",
                        expect::describe(condition),
                        seconds(limit_ms)
                    ),
                };
                return Err(self.fail(why));
            }
            let next = (self.device.now_ms() + SLICE_MS).min(end);
            self.device.advance_to(next);
            self.record()?;
        }
    }

    fn check(&mut self, condition: &Condition, now: bool) -> Verdict {
        expect::check(
            condition,
            &self.device,
            &self.placeholders,
            &mut self.outcomes,
            now,
        )
    }

    fn server(&mut self, action: ServerAction) -> Result<(), Failure> {
        let Some(gateway) = self.device.gateway().cloned() else {
            return Err(self.fail("server actions need the embedded gateway".to_owned()));
        };
        let email = self.demo.email.clone();
        let result = match action {
            ServerAction::RevokeAppPassword => {
                gateway.revoke_app_password(&email, self.demo.app_password_id)
            }
            ServerAction::RevokeTokens => gateway.revoke_all_tokens(&email).map(|_| ()),
            ServerAction::TwoStep(on) => gateway.set_two_step(&email, on),
        };
        result.map_err(|e| self.fail(format!("the gateway refused: {e}")))?;
        self.record()
    }

    /// As the player on a phone: opens the link page of the code on screen, signs in as the
    /// demo account and approves or declines, over HTTP on the served Security info page.
    fn answer_link(&mut self, approve: bool) -> Result<(), Failure> {
        use padlock_server::web::player::{LinkChoice, PlayerLogin, answer_link};
        let Some(gateway) = self.device.gateway().cloned() else {
            return Err(self.fail("approving a link needs the embedded gateway".to_owned()));
        };
        let Some(code) = self
            .device
            .ui()
            .and_then(|ui| ui.link())
            .map(|link| link.shown_code().to_owned())
        else {
            return Err(self.fail(format!(
                "no link code on the screen (it shows {})",
                self.device.screen_name()
            )));
        };
        let now = self.device.unix();
        if self.page.is_none() {
            let page = super::page::Page::serve(gateway, now).map_err(|why| self.fail(why))?;
            self.page = Some(page);
        }
        let page = self.page.as_ref().map(|page| page.at(now));
        let login = PlayerLogin {
            email: &self.demo.email,
            password: &self.demo.password,
            code: "",
        };
        let choice = if approve {
            LinkChoice::Approve
        } else {
            LinkChoice::Decline
        };
        if let Some(page) = page {
            answer_link(page, &login, &code, choice)
                .map_err(|e| self.fail(format!("the link page: {e}")))?;
        }
        self.record()
    }

    /// Takes the device's events into the outputs and its outcomes into the expectations'.
    fn record(&mut self) -> Result<(), Failure> {
        let outcomes = self
            .outputs
            .record(&mut self.device)
            .map_err(|why| self.fail(why))?;
        self.outcomes.saw(outcomes);
        Ok(())
    }

    /// A failure of the line being played, with what the device shows.
    fn fail(&self, why: String) -> Failure {
        let text = self.device.screen_text().replace('\n', " | ");
        let message = if self.device.powered() {
            format!(
                "{why} (at {}; screen {}: \"{text}\")",
                seconds(self.device.now_ms()),
                self.device.screen_name()
            )
        } else {
            format!(
                "{why} (at {}; the device is off)",
                seconds(self.device.now_ms())
            )
        };
        Failure {
            path: self.path.clone(),
            line: self.line,
            message,
        }
    }
}

/// The text a step writes (to type or to look for), which may hold placeholders.
fn written_text(instruction: &Instruction) -> Option<&String> {
    match instruction {
        Instruction::Type(text)
        | Instruction::Expect(
            Condition::Text(text) | Condition::NoText(text) | Condition::FlashWithout(text),
        )
        | Instruction::WaitFor {
            until: Condition::Text(text) | Condition::NoText(text),
            ..
        } => Some(text),
        _ => None,
    }
}
