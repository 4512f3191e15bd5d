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

pub use parse::{Scenario, Step};
pub use run::{DEMO, Failure, Report, RunOptions, run, run_demo, run_scenario, run_text};
