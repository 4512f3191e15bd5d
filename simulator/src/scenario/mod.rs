//! Scenario files: QA's scripts for the simulated device, and the headless runner that plays
//! them (`padlock-simulator run SCENARIO...`).
//!
//! A scenario is plain text, one step a line (the format is in `docs/scenarios.md`):
//!
//! ```text
//! profile zune
//! type {email}
//! press Start
//! type {app-password}
//! press Up A Down A            # tick "Remember", then Sign in
//! wait for screen signed-in within 30s
//! screenshot signed-in
//! ```
//!
//! One job a module:
//!
//! - [`parse`]: reading a file into steps, with errors that name the line;
//! - [`placeholders`]: `{email}`, `{password}`, `{app-password}`, `{name}`, and which are secret;
//! - [`expect`]: whether a condition holds, for `expect` and `wait for`;
//! - [`outputs`]: the run's folder: transcript, GIF, screenshots, pcap;
//! - [`play`]: playing the steps on a [`crate::device::Device`] with the embedded gateway, on
//!   virtual time;
//! - [`batch`]: the command line's `run`: many scenarios, each result, a closing count.

pub mod batch;
pub mod expect;
pub mod outputs;
pub mod page;
pub mod parse;
pub mod placeholders;
pub mod play;

use std::fmt;
use std::path::PathBuf;

pub use batch::{DEMO, RunOptions, Summary, run, run_all, run_demo, run_scenario, run_text};
pub use parse::{Instruction, Scenario};
pub use play::Report;

/// Where and why a scenario stopped: a line that is not a step, a failed expectation, an
/// output that could not be written. Shown as `file:line: why`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The scenario file.
    pub path: PathBuf,
    /// The line, from 1 (0: the file as a whole).
    pub line: usize,
    /// Why, with what the device showed for a failed expectation.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.path.display(), self.message),
            line => write!(f, "{}:{line}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for Failure {}
