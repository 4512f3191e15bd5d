//! The command line's `run SCENARIO|FOLDER...`: every scenario played, each result printed,
//! and a closing count.
//!
//! ```text
//! PASS demo (24 steps, 61.350 s virtual) -> padlock-runs/demo
//! FAIL simulator/scenarios/throttled.scn:12: expected screen problem-throttled (at ...)
//! 13 passed, 1 failed
//! ```
//!
//! A folder stands for its `.scn` files in name order. Every file is read before the first
//! runs, so a typo in the last one does not wait for the others; a file that does not read
//! counts as failed and the others still run. A failure never hides the scenarios after it;
//! the exit status is non-zero if any failed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::Failure;
use super::parse;
use super::play::{Playthrough, Report};
use crate::output::transcript::seconds;

/// How to run scenarios.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where each scenario's folder of outputs goes.
    pub out: PathBuf,
    /// Seed for every scenario (else the file's `seed` line, else
    /// [`DEFAULT_SEED`](super::play::DEFAULT_SEED)).
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

/// What a batch came to.
#[derive(Debug, Default)]
pub struct Summary {
    /// The scenarios that passed.
    pub passed: Vec<Report>,
    /// Why each other one failed (a file that could not be read or parsed counts).
    pub failed: Vec<Failure>,
}

impl Summary {
    /// The closing line: `N passed, N failed`.
    pub fn line(&self) -> String {
        format!("{} passed, {} failed", self.passed.len(), self.failed.len())
    }
}

/// Runs every scenario in `paths` (a folder stands for its `.scn` files, by name), printing a
/// `PASS` or `FAIL` line for each as it ends and the [`Summary::line`] last. The exit code
/// says whether all passed.
pub fn run(paths: &[PathBuf], options: &RunOptions) -> ExitCode {
    let summary = run_all(paths, options, |result| match result {
        Ok(report) => println!(
            "PASS {} ({} steps, {} virtual) -> {}",
            report.name,
            report.steps,
            seconds(report.virtual_ms),
            report.dir.display()
        ),
        Err(failure) => println!("FAIL {failure}"),
    });
    println!("{}", summary.line());
    match summary.failed.is_empty() && !summary.passed.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    }
}

/// Runs every scenario in `paths`, telling `each` every result as it comes.
pub fn run_all(
    paths: &[PathBuf],
    options: &RunOptions,
    mut each: impl FnMut(&Result<Report, Failure>),
) -> Summary {
    let mut summary = Summary::default();
    let mut note = |result: Result<Report, Failure>| {
        each(&result);
        match result {
            Ok(report) => summary.passed.push(report),
            Err(failure) => summary.failed.push(failure),
        }
    };
    let mut scenarios = Vec::new();
    for file in scenario_files(paths) {
        match file.and_then(|path| parse::read(&path)) {
            Ok(scenario) => scenarios.push(scenario),
            Err(failure) => note(Err(failure)),
        }
    }
    for scenario in scenarios {
        note(play(scenario, options));
    }
    summary
}

/// Runs the scenario in `path`.
///
/// # Errors
/// The file cannot be read, a line is not a step, an expectation fails, or an output cannot
/// be written: where and why.
pub fn run_scenario(path: &Path, options: &RunOptions) -> Result<Report, Failure> {
    play(parse::read(path)?, options)
}

/// Runs a scenario given as text; `name` stands for its file (the output folder's name and
/// where errors point).
///
/// # Errors
/// As [`run_scenario`].
pub fn run_text(name: &Path, source: &str, options: &RunOptions) -> Result<Report, Failure> {
    play(parse::parse(name, source)?, options)
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

fn play(scenario: parse::Scenario, options: &RunOptions) -> Result<Report, Failure> {
    let playthrough = Playthrough::start(scenario, &options.out, options.seed, options.pcap)?;
    let mut progress = options
        .progress
        .then(|| Progress::new(playthrough.name(), playthrough.step_count()));
    let result = playthrough.play(|step, virtual_ms| {
        if let Some(progress) = progress.as_mut() {
            progress.show(step, virtual_ms);
        }
    });
    if let Some(progress) = progress.as_mut() {
        progress.clear();
    }
    result
}

/// `paths` with each folder replaced by the `.scn` files in it, sorted by name; a folder that
/// cannot be listed or holds none is a failure in its place.
fn scenario_files(paths: &[PathBuf]) -> Vec<Result<PathBuf, Failure>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(Ok(path.clone()));
            continue;
        }
        let folder_failure = |message: String| Failure {
            path: path.clone(),
            line: 0,
            message,
        };
        let entries = match std::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => {
                files.push(Err(folder_failure(format!("cannot list the folder: {e}"))));
                continue;
            }
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "scn"))
            .collect();
        if found.is_empty() {
            files.push(Err(folder_failure(
                "no .scn files in this folder".to_owned(),
            )));
        }
        found.sort();
        files.extend(found.into_iter().map(Ok));
    }
    files
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
        let files: Vec<PathBuf> = scenario_files(&[dir.path().to_path_buf(), single.clone()])
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            files,
            [dir.path().join("a.scn"), dir.path().join("b.scn"), single]
        );
        let empty = tempfile::tempdir().unwrap();
        let failure = scenario_files(&[empty.path().to_path_buf()])
            .pop()
            .unwrap()
            .unwrap_err();
        assert_eq!(failure.message, "no .scn files in this folder");
    }

    #[test]
    fn every_scenario_runs_and_the_summary_counts_both_kinds() {
        let scenarios = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            std::fs::write(scenarios.path().join(name), text).unwrap();
        };
        write("1-fails.scn", "expect screen signed-in\n");
        write("2-typo.scn", "typ alex\n");
        write("3-passes.scn", "expect screen account\n");
        let out = tempfile::tempdir().unwrap();
        let options = RunOptions {
            out: out.path().to_path_buf(),
            progress: false,
            ..RunOptions::default()
        };
        let mut seen = Vec::new();
        let summary = run_all(&[scenarios.path().to_path_buf()], &options, |result| {
            seen.push(result.is_ok());
        });
        assert_eq!(summary.line(), "1 passed, 2 failed");
        // The unreadable file is reported first, then the runs in name order: a failure
        // does not hide the scenario after it.
        assert_eq!(seen, [false, false, true]);
        assert_eq!(summary.passed[0].name, "3-passes");
        assert_eq!(summary.failed[0].line, 1);
        assert!(summary.failed[0].path.ends_with("2-typo.scn"));
        assert!(summary.failed[1].path.ends_with("1-fails.scn"));
    }
}
