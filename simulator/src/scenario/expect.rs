//! Expectations: whether a [`Condition`] holds on the device now, for `expect` (which fails at
//! once) and `wait for` (which lets time run until it holds).
//!
//! Outcomes are claimed: `wait for outcome X` waits for a sign-in that ends *after* the last
//! outcome a step looked at, so two sign-ins in a row each need their own wait.

use super::parse::Condition;
use super::placeholders::Placeholders;
use crate::device::Device;

/// Whether a condition holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It holds.
    Holds,
    /// Not (yet): a wait goes on, an `expect` fails with [`describe`].
    NotYet,
    /// It cannot hold any more, or was written wrong: why.
    Fails(String),
}

/// The outcomes the device reported that no outcome step has looked at yet.
#[derive(Debug, Default)]
pub struct Outcomes {
    unclaimed: Vec<&'static str>,
}

impl Outcomes {
    /// Notes outcomes the device reported, oldest first.
    pub fn saw(&mut self, outcomes: Vec<&'static str>) {
        self.unclaimed.extend(outcomes);
    }
}

/// Whether `condition` holds on `device`; `now` for an `expect` (an outcome is then the last
/// one, claimed or not), else for a wait (only an unclaimed outcome counts).
pub fn check(
    condition: &Condition,
    device: &Device,
    placeholders: &Placeholders,
    outcomes: &mut Outcomes,
    now: bool,
) -> Verdict {
    let shows = |written: &str| -> Result<bool, String> {
        let text = placeholders.expand(written)?;
        Ok(device.screen_text().contains(text.as_str()))
    };
    let holds = match condition {
        Condition::Screen(name) => Ok(device.screen_name() == name),
        Condition::Focus(name) => Ok(device.focus_name() == Some(name.as_str())),
        Condition::Text(text) => shows(text),
        Condition::NoText(text) => shows(text).map(|shown| !shown),
        Condition::FlashWithout(text) => placeholders.expand(text).map(|secret| {
            let image = device.flash().image();
            secret.is_empty() || !image.windows(secret.len()).any(|w| w == secret.as_bytes())
        }),
        Condition::Outcome(want) => return outcome(want, device, outcomes, now),
    };
    match holds {
        Ok(true) => Verdict::Holds,
        Ok(false) => Verdict::NotYet,
        Err(why) => Verdict::Fails(why),
    }
}

fn outcome(want: &str, device: &Device, outcomes: &mut Outcomes, now: bool) -> Verdict {
    let got = if now {
        outcomes.unclaimed.clear();
        device.last_outcome()
    } else if outcomes.unclaimed.is_empty() {
        return Verdict::NotYet;
    } else {
        let got = outcomes.unclaimed.last().copied();
        outcomes.unclaimed.clear();
        got
    };
    match got {
        Some(got) if got == want => Verdict::Holds,
        Some(got) => Verdict::Fails(format!("the sign-in ended {got}, expected {want}")),
        None => Verdict::Fails(format!("no sign-in has ended yet, expected {want}")),
    }
}

/// The condition as QA wrote it.
pub fn describe(condition: &Condition) -> String {
    match condition {
        Condition::Screen(name) => format!("screen {name}"),
        Condition::Focus(name) => format!("focus {name}"),
        Condition::Text(text) => format!("text {text:?} on screen"),
        Condition::NoText(text) => format!("no text {text:?} on screen"),
        Condition::Outcome(name) => format!("outcome {name}"),
        Condition::FlashWithout(text) => format!("the flash without {text:?}"),
    }
}
