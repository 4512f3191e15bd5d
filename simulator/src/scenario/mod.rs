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
//! - [`parse`]: reading a file into steps, with errors that name the line;
//! - [`mod@run`]: playing the steps on a [`crate::device::Device`] with the embedded gateway, on
//!   virtual time, writing screenshots, a GIF, a transcript and optionally a pcap file.

pub mod parse;
pub mod run;

use std::fmt;
use std::path::PathBuf;

pub use parse::{Scenario, Step};
pub use run::{DEMO, Report, RunOptions, run, run_demo, run_scenario, run_text};

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
