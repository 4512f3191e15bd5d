//! Playing a scenario on a simulated device, headless, on virtual time.
//!
//! Each scenario gets a fresh embedded gateway (in-memory database, seeded) with the demo
//! account, and a fresh device in its output folder, so a run depends only on the file and
//! the seed. Everything the run produces goes to `OUT/<scenario name>/`:
//!
//! | file | what |
//! |---|---|
//! | `transcript.txt` | steps, screens, outcomes, packets, on virtual time |
//! | `run.gif` | the screen through the whole run, a frame per change |
//! | `NAME.png` | each `screenshot NAME` |
//! | `traffic.pcap` | the device's packets (`--pcap`) |
//! | `device/` | the device's flash image and secret |
//!
//! The first failed expectation stops the run: [`Failure`] says where (file:line) and why,
//! with the screen shown at the time.

use std::collections::{HashSet, VecDeque};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use padlock_firmware::input::{Physical, RawInput};
use padlock_firmware::keyboard::planner::{plan, plan_done};
use padlock_firmware::keyboard::{Keyboard, Mode, controls};
use padlock_firmware::module::player::raw_events;
use padlock_firmware::net::wire::{Capture, Faults};
use padlock_firmware::profile::Profile;
use padlock_firmware::ui::{Focus, Screen};

use super::Failure;
use super::parse::{self, Condition, Line, NetworkChange, Scenario, ServerAction, Step};
use crate::demo::{self, DemoAccount};
use crate::device::{Device, DeviceOptions, Event, GatewayChoice};
use crate::output::gif::GifRecorder;
use crate::output::transcript::{Transcript, seconds};
use crate::output::{pcap, png};

/// How long a button is held in a `press` (and in each press of `type`).
pub const PRESS_DOWN_MS: u64 = 50;
/// The pause after releasing it, before the next press.
pub const PRESS_GAP_MS: u64 = 50;
/// Time slice in which waits look at the screen (and the GIF takes frames).
const SLICE_MS: u64 = 50;
/// Seed when neither `--seed` nor the file gives one.
pub const DEFAULT_SEED: u64 = 1;

/// How to run scenarios.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where each scenario's folder of outputs goes.
    pub out: PathBuf,
    /// Seed for every scenario (else the file's `seed` line, else [`DEFAULT_SEED`]).
    pub seed: Option<u64>,
    /// Also write `traffic.pcap`.
    pub pcap: bool,
    /// Show a progress line on standard error while a scenario runs.
    pub progress: bool,
}

impl Default for RunOptions {
    /// Outputs in `./padlock-runs`, the scenario's seed, no pcap, progress shown.
    fn default() -> Self {
        Self {
            out: PathBuf::from("padlock-runs"),
            seed: None,
            pcap: false,
            progress: true,
        }
    }
}

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

/// Reads every scenario in `paths` (a folder stands for its `.scn` files, by name), then runs
/// them in turn and prints one line each; stops at the first failure. The exit code says whether all passed (the command line's `run`).
pub fn run(paths: &[PathBuf], options: &RunOptions) -> ExitCode {
    // Every file is read first, so a typo in the last one does not wait for the others to run.
    let files = match scenario_files(paths) {
        Ok(files) => files,
        Err(failure) => {
            eprintln!("FAIL {failure}");
            return ExitCode::FAILURE;
        }
    };
    let mut scenarios = Vec::with_capacity(files.len());
    for path in &files {
        match parse::read(path) {
            Ok(scenario) => scenarios.push(scenario),
            Err(failure) => {
                eprintln!("FAIL {failure}");
                return ExitCode::FAILURE;
            }
        }
    }
    for scenario in scenarios {
        match Runner::start(scenario, options).and_then(Runner::play) {
            Ok(report) => println!(
                "PASS {} ({} steps, {} virtual) -> {}",
                report.name,
                report.steps,
                seconds(report.virtual_ms),
                report.dir.display()
            ),
            Err(failure) => {
                eprintln!("FAIL {failure}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// `paths` with each folder replaced by the `.scn` files in it, sorted by name.
fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|e| Failure {
            path: path.clone(),
            line: 0,
            message: format!("cannot list the folder: {e}"),
        })?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "scn"))
            .collect();
        if found.is_empty() {
            return Err(Failure {
                path: path.clone(),
                line: 0,
                message: "no .scn files in this folder".to_owned(),
            });
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// Runs the scenario in `path`.
///
/// # Errors
/// The file cannot be read, a line is not a step, an expectation fails, or an output cannot
/// be written: where and why.
pub fn run_scenario(path: &Path, options: &RunOptions) -> Result<Report, Failure> {
    let scenario = parse::read(path)?;
    Runner::start(scenario, options)?.play()
}

/// Runs a scenario given as text; `name` stands for its file (the output folder's name and
/// where errors point).
///
/// # Errors
/// As [`run_scenario`].
pub fn run_text(name: &Path, source: &str, options: &RunOptions) -> Result<Report, Failure> {
    let scenario = parse::parse(name, source)?;
    Runner::start(scenario, options)?.play()
}

/// The built-in demo scenario (`simulator/scenarios/demo.scn`), what the simulator plays
/// headless when there is no display.
pub const DEMO: &str = include_str!("../../scenarios/demo.scn");

/// Plays [`DEMO`]; its outputs go to `options.out/demo/`.
///
/// # Errors
/// As [`run_scenario`].
pub fn run_demo(options: &RunOptions) -> Result<Report, Failure> {
    run_text(Path::new("demo.scn"), DEMO, options)
}

/// A scenario being played.
struct Runner {
    scenario: Scenario,
    name: String,
    dir: PathBuf,
    device: Device,
    demo: DemoAccount,
    /// `None` once closed.
    transcript: Option<Transcript<std::io::BufWriter<std::fs::File>>>,
    gif: Option<GifRecorder>,
    frame_seen: u64,
    captures: Option<Vec<Capture>>,
    /// Outcomes no `wait for outcome` / `expect outcome` has looked at yet.
    unclaimed: Vec<&'static str>,
    progress: Option<Progress>,
    /// The line being played, for errors.
    line: usize,
}

impl Runner {
    fn start(scenario: Scenario, options: &RunOptions) -> Result<Self, Failure> {
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
        let dir = options.out.join(&name);
        // A fresh folder: old screenshots must not pass for new ones. Only an earlier run's
        // folder is cleared (it has a transcript), never a folder that happens to share the name.
        if dir.exists() {
            let earlier_run = dir.join("transcript.txt").is_file()
                || std::fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_none());
            if !earlier_run {
                return Err(whole(format!(
                    "{} exists and is not the output of an earlier run; choose another --out",
                    dir.display()
                )));
            }
            std::fs::remove_dir_all(&dir)
                .map_err(|e| whole(format!("cannot clear {}: {e}", dir.display())))?;
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| whole(format!("cannot create {}: {e}", dir.display())))?;
        let seed = options.seed.or(scenario.seed).unwrap_or(DEFAULT_SEED);
        let (gateway, demo) =
            demo::embedded_gateway(seed).map_err(|e| whole(format!("gateway: {e}")))?;
        let device = Device::new(DeviceOptions {
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
        let transcript_path = dir.join("transcript.txt");
        let file = std::fs::File::create(&transcript_path)
            .map_err(|e| whole(format!("{}: {e}", transcript_path.display())))?;
        let mut transcript = Transcript::new(std::io::BufWriter::new(file));
        let header = format!(
            "padlock-simulator transcript\nscenario: {}\nseed: {seed}\nprofile: {}\nlanguage: {}\n\
             demo account: {} (two-step on); passwords are never written here\n",
            scenario.path.display(),
            scenario.profile.name,
            scenario.lang.code(),
            demo.email,
        );
        transcript
            .note(&header)
            .map_err(|e| whole(format!("transcript: {e}")))?;
        let frame = device.frame();
        let gif_path = dir.join("run.gif");
        let gif = GifRecorder::create(&gif_path, frame.width, frame.height)
            .map_err(|e| whole(format!("{}: {e}", gif_path.display())))?;
        let progress = options
            .progress
            .then(|| Progress::new(&name, scenario.steps.len()));
        let mut runner = Self {
            name,
            dir,
            device,
            demo,
            transcript: Some(transcript),
            gif: Some(gif),
            frame_seen: u64::MAX,
            captures: options.pcap.then(Vec::new),
            unclaimed: Vec::new(),
            progress,
            line: 0,
            scenario,
        };
        runner.record()?;
        Ok(runner)
    }

    fn play(mut self) -> Result<Report, Failure> {
        let steps = std::mem::take(&mut self.scenario.steps);
        let mut result = Ok(());
        for (index, line) in steps.iter().enumerate() {
            self.line = line.number;
            if let Some(progress) = self.progress.as_mut() {
                progress.show(index + 1, self.device.now_ms());
            }
            result = self.play_line(line);
            if result.is_err() {
                break;
            }
        }
        if let Some(progress) = self.progress.as_mut() {
            progress.clear();
        }
        let verdict = match &result {
            Ok(()) => "PASS".to_owned(),
            Err(failure) => format!("FAIL {failure}"),
        };
        let finished = self.finish(&verdict);
        result?;
        finished?;
        Ok(Report {
            name: self.name,
            dir: self.dir,
            steps: steps.len(),
            virtual_ms: self.device.now_ms(),
        })
    }

    fn play_line(&mut self, line: &Line) -> Result<(), Failure> {
        let now = self.device.now_ms();
        let mut shown = format!("step {}: {}", line.number, line.text);
        let written = match &line.step {
            Step::Type(text) => Some(text),
            Step::Expect(
                Condition::Text(text) | Condition::NoText(text) | Condition::FlashWithout(text),
            ) => Some(text),
            Step::WaitFor {
                until: Condition::Text(text) | Condition::NoText(text),
                ..
            } => Some(text),
            _ => None,
        };
        if let Some(text) = written.filter(|t| t.contains('{')) {
            // Check the placeholders now; show only those that are no secret.
            self.expand(text)?;
            let public = text
                .replace("{email}", &self.demo.email)
                .replace("{name}", &self.demo.display_name);
            if public != *text {
                shown.push_str(&format!("  ({public:?})"));
            }
        }
        self.write_line(now, &shown)?;
        match &line.step {
            Step::Press(buttons) => {
                for button in buttons {
                    self.tap(Physical::Press(*button))?;
                }
            }
            Step::Hold(button) => {
                self.device.press(RawInput::Down(*button));
                self.record()?;
            }
            Step::Release(button) => {
                self.device.press(RawInput::Up(*button));
                self.record()?;
            }
            Step::Stick { x, y } => {
                self.device.press(RawInput::Stick { x: *x, y: *y });
                self.record()?;
            }
            Step::Type(text) => self.type_text(text)?,
            Step::Done => self.done()?,
            Step::WaitFor { until, limit_ms } => self.wait_for(until, *limit_ms)?,
            Step::Wait(ms) => self.run_for(*ms)?,
            Step::Expect(condition) => {
                if let Err(why) = self.check(condition, true) {
                    let why = why.unwrap_or_else(|| format!("expected {}", describe(condition)));
                    return Err(self.fail(why));
                }
            }
            Step::Screenshot(name) => {
                let path = self.dir.join(format!("{name}.png"));
                png::save(self.device.frame(), &path)
                    .map_err(|e| self.fail(format!("{}: {e}", path.display())))?;
                self.write_line(
                    now,
                    &format!("screenshot {name}.png ({})", self.device.screen_name()),
                )?;
            }
            Step::Network(change) => {
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
            Step::Gateway(running) => {
                self.device.set_gateway_running(*running);
                self.record()?;
            }
            Step::Server(action) => self.server(*action)?,
            Step::PowerCut(n) => self.device.flash().cut_power_at(*n),
            Step::Reboot => {
                self.device.reboot();
                self.record()?;
            }
        }
        Ok(())
    }

    /// `{email}`, `{password}`, `{app-password}`, `{name}` filled in from the demo account.
    fn expand(&self, text: &str) -> Result<String, Failure> {
        let mut out = text
            .replace("{email}", &self.demo.email)
            .replace("{password}", &self.demo.password)
            .replace("{app-password}", &self.demo.app_password.replace(' ', ""))
            .replace("{name}", &self.demo.display_name);
        if let Some(at) = out.find('{')
            && out.get(at..).is_some_and(|rest| rest.contains('}'))
        {
            return Err(self.fail(format!(
                "unknown placeholder in {text:?}; expected {{email}}, {{password}}, \
                 {{app-password}} or {{name}}"
            )));
        }
        out.shrink_to_fit();
        Ok(out)
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

    /// The keyboard of the field on screen.
    fn keyboard(&self, doing: &str) -> Result<Keyboard, Failure> {
        let Some(ui) = self.device.ui() else {
            return Err(self.fail(format!("cannot {doing}: the device is off")));
        };
        match ui.screen() {
            Screen::Account => Ok(ui.email().clone()),
            Screen::Password if ui.focus() == Focus::Keyboard => Ok(ui.password().clone()),
            Screen::Password => Err(self.fail(format!(
                "cannot {doing}: the focus is on the password screen's controls, not the keyboard"
            ))),
            _ => Err(self.fail(format!(
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
        let Some(plan) = plan_done(self.device.profile(), &keyboard) else {
            return Err(self.fail("the keyboard has no way to finish the field".to_owned()));
        };
        for action in plan.actions {
            self.tap(action)?;
        }
        Ok(())
    }

    fn type_text(&mut self, written: &str) -> Result<(), Failure> {
        // Messages quote the text as written: a placeholder may stand for a password.
        let text = self.expand(written)?;
        let keyboard = self.keyboard("type")?;
        let target = format!("{}{text}", keyboard.text());
        let profile = self.device.profile();
        let mut planned = plan(profile, &keyboard, &target);
        if planned.is_none()
            && keyboard.mode() == Mode::AppPassword
            && let Some(switch) = full_keyboard(profile, &keyboard)
        {
            // An account password: the app-password letters first give way to the full
            // keyboard, as a player would switch.
            for action in switch {
                self.tap(action)?;
            }
            let keyboard = self.keyboard("type")?;
            planned = plan(profile, &keyboard, &target);
        }
        let Some(plan) = planned else {
            return Err(self.fail(format!(
                "the {} keyboard cannot type {written:?} (a character it lacks, or the text \
                 cursor is not at the end of what the field holds)",
                self.device.screen_name()
            )));
        };
        for action in plan.actions {
            self.tap(action)?;
        }
        Ok(())
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
                Ok(()) => return Ok(()),
                Err(Some(why)) => return Err(self.fail(why)),
                Err(None) => {}
            }
            if self.device.now_ms() >= end {
                let why = match condition {
                    Condition::Outcome(want) => {
                        format!(
                            "no sign-in ended within {} (waiting for {want})",
                            seconds(limit_ms)
                        )
                    }
                    _ => format!(
                        "{} not met within {}",
                        describe(condition),
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

    /// Whether `condition` holds: `Err(Some(why))` fails the step, `Err(None)` means "not
    /// yet" (only for waits, which call with `now == false`).
    fn check(&mut self, condition: &Condition, now: bool) -> Result<(), Option<String>> {
        let shows = |text: &str| -> Result<bool, Option<String>> {
            let text = self.expand(text).map_err(|f| Some(f.message))?;
            Ok(self.device.screen_text().contains(text.as_str()))
        };
        let holds = match condition {
            Condition::Screen(name) => self.device.screen_name() == name,
            Condition::Text(text) => shows(text)?,
            Condition::NoText(text) => !shows(text)?,
            Condition::FlashWithout(text) => {
                let secret = self.expand(text).map_err(|f| Some(f.message))?;
                let image = self.device.flash().image();
                secret.is_empty() || !image.windows(secret.len()).any(|w| w == secret.as_bytes())
            }
            Condition::Outcome(want) => {
                let got = if now {
                    self.unclaimed.clear();
                    self.device.last_outcome()
                } else if self.unclaimed.is_empty() {
                    return Err(None);
                } else {
                    let got = self.unclaimed.last().copied();
                    self.unclaimed.clear();
                    got
                };
                if got == Some(want.as_str()) {
                    return Ok(());
                }
                return Err(Some(match got {
                    Some(got) => format!("the sign-in ended {got}, expected {want}"),
                    None => format!("no sign-in has ended yet, expected {want}"),
                }));
            }
        };
        match (holds, now) {
            (true, _) => Ok(()),
            (false, true) => Err(Some(format!("expected {}", describe(condition)))),
            (false, false) => Err(None),
        }
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

    /// Takes the device's events into the transcript, the pcap list and the GIF.
    fn record(&mut self) -> Result<(), Failure> {
        for timed in self.device.take_events() {
            match &timed.event {
                Event::Outcome(outcome) => self.unclaimed.push(outcome),
                Event::Packet(capture) => {
                    if let Some(captures) = self.captures.as_mut() {
                        captures.push(capture.clone());
                    }
                }
                _ => {}
            }
            if let Some(transcript) = self.transcript.as_mut()
                && let Err(e) = transcript.event(&timed)
            {
                return Err(self.fail(format!("transcript: {e}")));
            }
        }
        if self.device.frame_serial() != self.frame_seen {
            self.frame_seen = self.device.frame_serial();
            let now = self.device.now_ms();
            if let Some(gif) = self.gif.as_mut()
                && let Err(e) = gif.add(now, self.device.frame())
            {
                return Err(self.fail(format!("run.gif: {e}")));
            }
        }
        Ok(())
    }

    fn write_line(&mut self, at_ms: u64, text: &str) -> Result<(), Failure> {
        match self.transcript.as_mut().map(|t| t.line(at_ms, text)) {
            Some(Err(e)) => Err(self.fail(format!("transcript: {e}"))),
            _ => Ok(()),
        }
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
            path: self.scenario.path.clone(),
            line: self.line,
            message,
        }
    }

    /// Closes the outputs: the verdict in the transcript, the GIF, the pcap file.
    fn finish(&mut self, verdict: &str) -> Result<(), Failure> {
        self.record()?;
        let mut problems = Vec::new();
        if let Some(mut transcript) = self.transcript.take() {
            let closed = transcript
                .note(&format!("\n{verdict}"))
                .and_then(|()| transcript.finish().map(drop));
            if let Err(e) = closed {
                problems.push(format!("transcript: {e}"));
            }
        }
        if let Some(gif) = self.gif.take()
            && let Err(e) = gif.finish()
        {
            problems.push(format!("run.gif: {e}"));
        }
        if let Some(captures) = &self.captures {
            let path = self.dir.join("traffic.pcap");
            let written = std::fs::File::create(&path).and_then(|file| {
                let mut out = std::io::BufWriter::new(file);
                pcap::write(&mut out, captures)?;
                out.flush()
            });
            if let Err(e) = written {
                problems.push(format!("{}: {e}", path.display()));
            }
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(Failure {
                path: self.scenario.path.clone(),
                line: 0,
                message: problems.join("; "),
            }),
        }
    }
}

/// The fewest presses that turn the app-password keyboard into the full keyboard (its key
/// for another kind of password) without typing anything, for an account password.
fn full_keyboard(profile: &Profile, start: &Keyboard) -> Option<Vec<Physical>> {
    let mut seen = HashSet::from([start.nav()]);
    let mut queue = VecDeque::from([(start.clone(), Vec::new())]);
    while let Some((keyboard, path)) = queue.pop_front() {
        for (action, _) in controls::actions(profile) {
            let mut next = keyboard.clone();
            let Some(input) = controls::map(profile, &next, action) else {
                continue;
            };
            let change = next.handle(input);
            if change.done || change.back || next.text() != keyboard.text() {
                continue;
            }
            let mut steps: Vec<Physical> = path.clone();
            steps.push(action);
            if next.mode() != keyboard.mode() {
                return Some(steps);
            }
            if seen.insert(next.nav()) {
                queue.push_back((next, steps));
            }
        }
    }
    None
}

/// The condition as QA wrote it.
fn describe(condition: &Condition) -> String {
    match condition {
        Condition::Screen(name) => format!("screen {name}"),
        Condition::Text(text) => format!("text {text:?} on screen"),
        Condition::NoText(text) => format!("no text {text:?} on screen"),
        Condition::Outcome(name) => format!("outcome {name}"),
        Condition::FlashWithout(text) => format!("the flash without {text:?}"),
    }
}

/// The progress line on standard error: rewritten in place on a terminal, else a line every
/// few seconds, and only for runs that take a while.
struct Progress {
    name: String,
    steps: usize,
    started: Instant,
    last: Option<Instant>,
    terminal: bool,
}

impl Progress {
    /// Runs shorter than this show no progress.
    const QUIET_FOR: Duration = Duration::from_secs(2);

    fn new(name: &str, steps: usize) -> Self {
        Self {
            name: name.to_owned(),
            steps,
            started: Instant::now(),
            last: None,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn show(&mut self, step: usize, virtual_ms: u64) {
        let now = Instant::now();
        if now.duration_since(self.started) < Self::QUIET_FOR {
            return;
        }
        let every = if self.terminal {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(5)
        };
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < every)
        {
            return;
        }
        self.last = Some(now);
        let line = format!(
            "{}: step {step} of {}, {} virtual",
            self.name,
            self.steps,
            seconds(virtual_ms)
        );
        if self.terminal {
            eprint!("\r\x1b[K{line}");
        } else {
            eprintln!("{line}");
        }
    }

    fn clear(&mut self) {
        if self.terminal && self.last.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_stands_for_its_scenarios_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.scn", "a.scn", "notes.txt"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let single = PathBuf::from("x.scn");
        let files = scenario_files(&[dir.path().to_path_buf(), single.clone()]).unwrap();
        assert_eq!(
            files,
            [dir.path().join("a.scn"), dir.path().join("b.scn"), single]
        );
        let empty = tempfile::tempdir().unwrap();
        let failure = scenario_files(&[empty.path().to_path_buf()]).unwrap_err();
        assert_eq!(failure.message, "no .scn files in this folder");
    }
}
