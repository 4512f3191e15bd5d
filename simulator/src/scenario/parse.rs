//! Reading scenario files: one step a line, `#` starts a comment. The format is documented for
//! QA in `docs/scenarios.md`; every error names the line and says what was expected.

use std::path::{Path, PathBuf};

use padlock_firmware::input::Button;
use padlock_firmware::net::wire::Faults;
use padlock_firmware::profile::{self, Profile};
use padlock_firmware::text::Language;
use padlock_firmware::ui::Ending;

use super::Failure;
use crate::device::screen;

/// How long `wait for` waits when the line gives no limit.
pub const DEFAULT_WAIT_LIMIT_MS: u64 = 60_000;

/// Most presses one `BUTTON*COUNT` may ask for: far more than any screen needs, and a bound on
/// what a scenario file can make the runner hold (a count of 10^13 once asked for terabytes).
pub const MAX_PRESS_REPEAT: usize = 1_000;

/// A scenario file, read.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from.
    pub path: PathBuf,
    /// `profile` line, else the Xbox 360.
    pub profile: &'static Profile,
    /// `language` line, else English.
    pub lang: Language,
    /// `seed` line, if any (the runner's `--seed` otherwise).
    pub seed: Option<u64>,
    /// The steps, in order.
    pub steps: Vec<Line>,
}

/// One step and where it is.
#[derive(Debug, Clone)]
pub struct Line {
    /// Line number, from 1.
    pub number: usize,
    /// The line as written (comments removed, trimmed).
    pub text: String,
    /// What it says to do.
    pub instruction: Instruction,
}

/// What a line says to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Instruction {
    /// Press and release each button in turn.
    Press(Vec<Button>),
    /// Push a button down and keep it down (directions auto-repeat).
    Hold(Button),
    /// Let a held button go.
    Release(Button),
    /// Move the left stick (`x` right, `y` up, ±32767; 0 0 is centred).
    Stick {
        /// Horizontal.
        x: i16,
        /// Vertical.
        y: i16,
    },
    /// Type text into the field on screen with the fewest presses (the keyboard planner);
    /// `{email}`, `{password}`, `{app-password}` and `{name}` stand for the demo account's.
    Type(String),
    /// Finish the field on screen (the keyboard's Done, by the fewest presses).
    Done,
    /// Let virtual time run until the condition holds, failing after `limit_ms`.
    WaitFor {
        /// What to wait for.
        until: Condition,
        /// How long at most.
        limit_ms: u64,
    },
    /// Let virtual time run.
    Wait(u64),
    /// Check a condition now.
    Expect(Condition),
    /// Save the screen as `NAME.png`.
    Screenshot(String),
    /// Change the virtual network.
    Network(NetworkChange),
    /// Start (`true`) or stop the gateway's service.
    Gateway(bool),
    /// Act on the demo account on the gateway, as an administrator would.
    Server(ServerAction),
    /// Act as the player on a phone: open the link page, sign in, and approve (`true`) or
    /// decline the link code on the device's screen.
    AnswerLink(bool),
    /// Lose power during the n-th flash write or erase from now (1: the next).
    PowerCut(usize),
    /// Restart the device (power back on if it was cut).
    Reboot,
}

/// Something a scenario waits for or expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The screen shown has this name.
    Screen(String),
    /// The focus is on this control (see [`screen::FOCUS`]).
    Focus(String),
    /// The screen says this (a part of its text, case-sensitive).
    Text(String),
    /// The screen does not say this.
    NoText(String),
    /// The last sign-in ended this way.
    Outcome(String),
    /// The device's flash holds these bytes nowhere (a secret never stored in clear).
    FlashWithout(String),
}

/// A change to the virtual network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NetworkChange {
    /// Set the named faults, keep the others.
    Faults(FaultSettings),
    /// A perfect network again (the link's state aside).
    Clear,
    /// Plug (`true`) or unplug the device's cable.
    Link(bool),
}

/// The faults a `network` line names.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FaultSettings {
    /// `latency`.
    pub latency_ms: Option<u64>,
    /// `jitter`.
    pub jitter_ms: Option<u64>,
    /// `loss`.
    pub loss: Option<f64>,
    /// `corruption`.
    pub corruption: Option<f64>,
    /// `reorder`.
    pub reorder: Option<f64>,
    /// `bandwidth` (0: unlimited).
    pub bandwidth_bps: Option<u64>,
}

impl FaultSettings {
    /// `faults` with these settings applied.
    pub fn apply(&self, faults: Faults) -> Faults {
        Faults {
            latency_ms: self.latency_ms.unwrap_or(faults.latency_ms),
            jitter_ms: self.jitter_ms.unwrap_or(faults.jitter_ms),
            loss: self.loss.unwrap_or(faults.loss),
            corruption: self.corruption.unwrap_or(faults.corruption),
            reorder: self.reorder.unwrap_or(faults.reorder),
            bandwidth_bps: self.bandwidth_bps.unwrap_or(faults.bandwidth_bps),
            down: faults.down,
        }
    }
}

/// An administrator's action on the demo account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerAction {
    /// Revoke the demo app password (and the tokens it gave).
    RevokeAppPassword,
    /// Revoke every remember-me token of the account.
    RevokeTokens,
    /// Turn two-step verification on or off.
    TwoStep(bool),
}

/// Reads the scenario in `path`.
///
/// # Errors
/// The file cannot be read (line 0), or a line is not a step (its number and why).
pub fn read(path: &Path) -> Result<Scenario, Failure> {
    let source = std::fs::read_to_string(path).map_err(|e| Failure {
        path: path.to_path_buf(),
        line: 0,
        message: format!("cannot read the scenario: {e}"),
    })?;
    parse(path, &source)
}

/// Reads a scenario from `source` (`path` names it in errors).
///
/// # Errors
/// A line is not a step: its number and why.
pub fn parse(path: &Path, source: &str) -> Result<Scenario, Failure> {
    let mut scenario = Scenario {
        path: path.to_path_buf(),
        profile: &profile::XBOX360,
        lang: Language::English,
        seed: None,
        steps: Vec::new(),
    };
    for (index, raw) in source.lines().enumerate() {
        let number = index + 1;
        let error = |message: String| Failure {
            path: path.to_path_buf(),
            line: number,
            message,
        };
        let text = strip_comment(raw).trim();
        if text.is_empty() {
            continue;
        }
        let (word, rest) = split_word(text);
        match word {
            "profile" | "language" | "seed" => {
                if !scenario.steps.is_empty() {
                    return Err(error(format!(
                        "`{word}` sets up the device: put it before the first step"
                    )));
                }
                match word {
                    "profile" => {
                        scenario.profile = profile::by_name(rest).ok_or_else(|| {
                            error(format!(
                                "unknown profile {rest:?}; expected one of {}",
                                names(profile::ALL.iter().map(|p| p.name))
                            ))
                        })?;
                    }
                    "language" => {
                        scenario.lang = Language::from_code(rest).ok_or_else(|| {
                            error(format!(
                                "unknown language {rest:?}; expected one of {}",
                                names(Language::ALL.iter().map(|l| l.code()))
                            ))
                        })?;
                    }
                    _ => {
                        scenario.seed = Some(rest.parse().map_err(|_| {
                            error(format!("seed: expected a whole number, got {rest:?}"))
                        })?);
                    }
                }
            }
            _ => {
                let instruction = parse_step(word, rest).map_err(error)?;
                scenario.steps.push(Line {
                    number,
                    text: text.to_owned(),
                    instruction,
                });
            }
        }
    }
    Ok(scenario)
}

/// Everything before a `#` that is not inside double quotes.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (at, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return line.get(..at).unwrap_or(line),
            _ => {}
        }
    }
    line
}

fn split_word(text: &str) -> (&str, &str) {
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim()),
        None => (text, ""),
    }
}

fn names<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

fn parse_step(word: &str, rest: &str) -> Result<Instruction, String> {
    match word {
        "press" => {
            let mut buttons = Vec::new();
            for item in rest.split_whitespace() {
                let (name, times) = match item.split_once('*') {
                    Some((name, n)) => (
                        name,
                        n.parse::<usize>()
                            .ok()
                            .filter(|&times| times <= MAX_PRESS_REPEAT)
                            .ok_or_else(|| {
                                format!(
                                    "{item:?}: expected BUTTON*COUNT with a count of at most \
                                     {MAX_PRESS_REPEAT}, e.g. Down*3"
                                )
                            })?,
                    ),
                    None => (item, 1),
                };
                let button = button(name)?;
                buttons.extend(std::iter::repeat_n(button, times));
            }
            if buttons.is_empty() {
                return Err(
                    "press: name at least one button, e.g. `press A` or `press Down*3 A`".into(),
                );
            }
            Ok(Instruction::Press(buttons))
        }
        "hold" => Ok(Instruction::Hold(button(rest)?)),
        "release" => Ok(Instruction::Release(button(rest)?)),
        "stick" => {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            let axis = |s: &str| {
                s.parse::<i16>()
                    .map_err(|_| format!("stick: expected `stick X Y` with numbers from -32767 to 32767, got {rest:?}"))
            };
            match parts.as_slice() {
                [x, y] => Ok(Instruction::Stick {
                    x: axis(x)?,
                    y: axis(y)?,
                }),
                _ => Err(format!("stick: expected `stick X Y`, got {rest:?}")),
            }
        }
        "type" => {
            let text = unquote(rest)?;
            if text.is_empty() {
                return Err(
                    "type: expected the text to type, e.g. `type {email}` or `type \"alex\"`"
                        .into(),
                );
            }
            Ok(Instruction::Type(text))
        }
        "wait" => match rest.strip_prefix("for ") {
            Some(what) => {
                let (what, limit_ms) = match what.rsplit_once(" within ") {
                    Some((what, limit)) => (what, duration(limit)?),
                    None => (what, DEFAULT_WAIT_LIMIT_MS),
                };
                Ok(Instruction::WaitFor {
                    until: condition(what)?,
                    limit_ms,
                })
            }
            None => Ok(Instruction::Wait(duration(rest)?)),
        },
        "expect" => Ok(Instruction::Expect(condition(rest)?)),
        "screenshot" => {
            let ok = !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(format!(
                    "screenshot: expected a name of letters, digits, - and _, got {rest:?}"
                ));
            }
            Ok(Instruction::Screenshot(rest.to_owned()))
        }
        "network" => network(rest).map(Instruction::Network),
        "gateway" => match rest {
            "start" => Ok(Instruction::Gateway(true)),
            "stop" => Ok(Instruction::Gateway(false)),
            _ => Err(format!("gateway: expected `start` or `stop`, got {rest:?}")),
        },
        "server" => match rest {
            "revoke app-password" => Ok(Instruction::Server(ServerAction::RevokeAppPassword)),
            "revoke tokens" => Ok(Instruction::Server(ServerAction::RevokeTokens)),
            "two-step on" => Ok(Instruction::Server(ServerAction::TwoStep(true))),
            "two-step off" => Ok(Instruction::Server(ServerAction::TwoStep(false))),
            _ => Err(format!(
                "server: expected `revoke app-password`, `revoke tokens`, `two-step on` or \
                 `two-step off`, got {rest:?}"
            )),
        },
        "power" => {
            let at = match rest {
                "cut at next flash write" => Some(1),
                _ => rest
                    .strip_prefix("cut at flash write ")
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| *n >= 1),
            };
            at.map(Instruction::PowerCut).ok_or_else(|| {
                format!(
                    "power: expected `power cut at next flash write` or `power cut at flash \
                     write N` (N from 1), got {rest:?}"
                )
            })
        }
        "reboot" if rest.is_empty() => Ok(Instruction::Reboot),
        "approve" if rest == "link" => Ok(Instruction::AnswerLink(true)),
        "decline" if rest == "link" => Ok(Instruction::AnswerLink(false)),
        "done" if rest.is_empty() => Ok(Instruction::Done),
        _ => Err(format!(
            "unknown step {word:?}; expected press, hold, release, stick, type, done, wait, \
             expect, screenshot, network, gateway, server, approve link, decline link, power, \
             reboot (or profile, language, seed before the first step)"
        )),
    }
}

fn button(name: &str) -> Result<Button, String> {
    Button::ALL
        .into_iter()
        .find(|b| b.label().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            format!(
                "unknown button {name:?}; expected one of {}",
                names(Button::ALL.iter().map(|b| b.label()))
            )
        })
}

/// `"text"` (quotes kept out, `\"` and `\\` escapes) or the bare rest of the line.
fn unquote(text: &str) -> Result<String, String> {
    let Some(inner) = text.strip_prefix('"') else {
        return Ok(text.to_owned());
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(c @ ('"' | '\\')) => out.push(c),
                _ => return Err(format!("{text}: only \\\" and \\\\ may follow a backslash")),
            },
            '"' if chars.as_str().trim().is_empty() => return Ok(out),
            '"' => return Err(format!("{text}: text after the closing quote")),
            c => out.push(c),
        }
    }
    Err(format!("{text}: the closing quote is missing"))
}

fn condition(text: &str) -> Result<Condition, String> {
    let (kind, rest) = split_word(text);
    match kind {
        "screen" => {
            if !screen::names().any(|name| name == rest) {
                return Err(format!(
                    "unknown screen {rest:?}; expected one of {}",
                    names(screen::names())
                ));
            }
            Ok(Condition::Screen(rest.to_owned()))
        }
        "focus" => {
            if !screen::FOCUS.contains(&rest) {
                return Err(format!(
                    "unknown focus {rest:?}; expected one of {}",
                    names(screen::FOCUS.into_iter())
                ));
            }
            Ok(Condition::Focus(rest.to_owned()))
        }
        "text" => Ok(Condition::Text(unquote(rest)?)),
        "no" => match rest.strip_prefix("text ") {
            Some(t) => Ok(Condition::NoText(unquote(t.trim())?)),
            None => Err(format!("expected `no text \"...\"`, got {text:?}")),
        },
        "flash" => match rest.strip_prefix("without ") {
            Some(t) => Ok(Condition::FlashWithout(unquote(t.trim())?)),
            None => Err(format!("expected `flash without \"...\"`, got {text:?}")),
        },
        "outcome" => {
            if Ending::from_slug(rest).is_none() {
                return Err(format!(
                    "unknown outcome {rest:?}; expected one of {}",
                    names(Ending::all().map(Ending::slug))
                ));
            }
            Ok(Condition::Outcome(rest.to_owned()))
        }
        _ => Err(format!(
            "expected `screen NAME`, `focus NAME`, `text \"...\"`, `no text \"...\"`, \
             `outcome NAME` or `flash without \"...\"`, got {text:?}"
        )),
    }
}

/// `300ms`, `2s`, `1.5s`, `2min`.
pub fn duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("expected a duration such as 300ms, 2s or 1min, got {text:?}"))?;
    let scale = match unit.trim() {
        "ms" => 1.0,
        "s" => 1000.0,
        "min" => 60_000.0,
        _ => {
            return Err(format!(
                "{text:?}: a duration needs a unit: ms, s or min (e.g. 300ms)"
            ));
        }
    };
    Ok((value * scale).round() as u64)
}

/// `10%` or `0.1`.
fn share(text: &str) -> Result<f64, String> {
    let value = match text.strip_suffix('%') {
        Some(percent) => percent.parse::<f64>().map(|p| p / 100.0),
        None => text.parse::<f64>(),
    }
    .map_err(|_| format!("expected a share such as 10% or 0.1, got {text:?}"))?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!("{text:?}: a share is between 0% and 100%"));
    }
    Ok(value)
}

/// `64kbit`, `1mbit`, `9600bit`, `unlimited`.
fn bandwidth(text: &str) -> Result<u64, String> {
    if text == "unlimited" {
        return Ok(0);
    }
    let error = || format!("expected a bandwidth such as 64kbit, 2mbit or unlimited, got {text:?}");
    let (number, scale) = if let Some(n) = text.strip_suffix("mbit") {
        (n, 1_000_000.0)
    } else if let Some(n) = text.strip_suffix("kbit") {
        (n, 1_000.0)
    } else if let Some(n) = text.strip_suffix("bit") {
        (n, 1.0)
    } else {
        return Err(error());
    };
    let value: f64 = number.parse().map_err(|_| error())?;
    let bps = (value * scale).round() as u64;
    if bps == 0 {
        return Err(error());
    }
    Ok(bps)
}

fn network(text: &str) -> Result<NetworkChange, String> {
    match text {
        "clear" => return Ok(NetworkChange::Clear),
        "link down" => return Ok(NetworkChange::Link(false)),
        "link up" => return Ok(NetworkChange::Link(true)),
        _ => {}
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return Err(format!(
            "network: expected `clear`, `link down`, `link up`, or pairs such as `loss 10% \
             latency 300ms` (latency, jitter, loss, corruption, reorder, bandwidth), got {text:?}"
        ));
    }
    let mut settings = FaultSettings::default();
    for pair in words.chunks_exact(2) {
        let [name, value] = pair else { continue };
        match *name {
            "latency" => settings.latency_ms = Some(duration(value)?),
            "jitter" => settings.jitter_ms = Some(duration(value)?),
            "loss" => settings.loss = Some(share(value)?),
            "corruption" => settings.corruption = Some(share(value)?),
            "reorder" => settings.reorder = Some(share(value)?),
            "bandwidth" => settings.bandwidth_bps = Some(bandwidth(value)?),
            _ => {
                return Err(format!(
                    "network: unknown fault {name:?}; expected latency, jitter, loss, \
                     corruption, reorder or bandwidth"
                ));
            }
        }
    }
    Ok(NetworkChange::Faults(settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(source: &str) -> Vec<Instruction> {
        parse(Path::new("t.scn"), source)
            .unwrap()
            .steps
            .into_iter()
            .map(|l| l.instruction)
            .collect()
    }

    fn error(source: &str) -> String {
        parse(Path::new("t.scn"), source).unwrap_err().to_string()
    }

    #[test]
    fn a_press_count_is_bounded() {
        assert_eq!(steps("press Down*1000").len(), 1);
        // Found by the scenario_parse fuzz target: this once asked for terabytes.
        let refused = error("# ld\npress X*000000000008000000000000\n");
        assert!(refused.contains("at most 1000"), "{refused}");
        assert!(refused.contains(":2"), "names the line: {refused}");
    }

    #[test]
    fn every_kind_of_step_reads() {
        let s = parse(
            Path::new("t.scn"),
            "# a comment\nprofile zune\nlanguage nl\nseed 9\n\npress A down*2 # inline\n\
             hold Right\nrelease right\nstick 0 30000\ntype \"a # b\"\ntype {email}\n\
             wait for screen signed-in within 30s\nwait for outcome granted\nwait 1.5s\n\
             expect text \"Welkom\"\nexpect no text \"Oops\"\nexpect flash without {password}\n\
             screenshot done-1\n\
             network loss 10% latency 300ms jitter 20ms bandwidth 64kbit\nnetwork link down\n\
             network clear\ngateway stop\nserver revoke tokens\nserver two-step off\n\
             power cut at flash write 3\npower cut at next flash write\nreboot\n",
        )
        .unwrap();
        assert_eq!(s.profile.name, "zune");
        assert_eq!(s.lang, Language::Dutch);
        assert_eq!(s.seed, Some(9));
        assert_eq!(s.steps[0].number, 6);
        let steps: Vec<Instruction> = s.steps.into_iter().map(|l| l.instruction).collect();
        assert_eq!(
            steps[..5],
            [
                Instruction::Press(vec![Button::A, Button::Down, Button::Down]),
                Instruction::Hold(Button::Right),
                Instruction::Release(Button::Right),
                Instruction::Stick { x: 0, y: 30000 },
                Instruction::Type("a # b".into()),
            ]
        );
        assert_eq!(
            steps[6],
            Instruction::WaitFor {
                until: Condition::Screen("signed-in".into()),
                limit_ms: 30_000
            }
        );
        assert_eq!(steps[8], Instruction::Wait(1500));
        assert_eq!(
            steps[11],
            Instruction::Expect(Condition::FlashWithout("{password}".into()))
        );
        assert_eq!(
            steps[13],
            Instruction::Network(NetworkChange::Faults(FaultSettings {
                loss: Some(0.1),
                latency_ms: Some(300),
                jitter_ms: Some(20),
                bandwidth_bps: Some(64_000),
                ..FaultSettings::default()
            }))
        );
        assert_eq!(steps[19], Instruction::PowerCut(3));
        assert_eq!(steps[20], Instruction::PowerCut(1));
        assert_eq!(steps[21], Instruction::Reboot);
    }

    #[test]
    fn mistakes_name_the_line_and_what_was_expected() {
        assert_eq!(
            error("press A\n\npress Q"),
            "t.scn:3: unknown button \"Q\"; expected one of Up, Down, Left, Right, A, B, X, Y, \
             LB, RB, LT, RT, Start, Back"
        );
        assert!(error("expect screen welcome").contains("unknown screen \"welcome\""));
        assert!(error("wait 5").contains("needs a unit"));
        assert!(error("network loss 150%").contains("between 0% and 100%"));
        assert!(error("press A\nprofile zune").contains("before the first step"));
        assert!(error("typ alex").starts_with("t.scn:1: unknown step \"typ\""));
        assert!(error("type \"alex").contains("closing quote"));
        assert!(error("power cut at flash write 0").contains("N from 1"));
        assert_eq!(
            steps("reboot\ndone"),
            [Instruction::Reboot, Instruction::Done]
        );
    }
}
