//! Benchmark figures, reported one way everywhere.
//!
//! Every Padlock benchmark collects its figures in a [`Report`], which prints each as a
//! `figure <name> <value> <unit>` line (what scripts grep for) and rewrites the bench's own
//! section of `docs/benchmarks.md`, between `<!-- NAME:begin -->` and `<!-- NAME:end -->`
//! markers, with the command that produced it. Other sections are left as they are.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Figures from one benchmark run.
#[derive(Debug, Default)]
pub struct Report {
    section: String,
    command: String,
    notes: String,
    rows: Vec<(String, String, String)>,
}

impl Report {
    /// A report for the `section` of `docs/benchmarks.md`, produced by `command`.
    pub fn new(section: &str, command: &str) -> Self {
        Self {
            section: section.into(),
            command: command.into(),
            ..Self::default()
        }
    }

    /// Adds a paragraph saying what was measured and how.
    pub fn note(&mut self, text: &str) -> &mut Self {
        self.notes.push_str(text.trim());
        self.notes.push_str("\n\n");
        self
    }

    /// Records a figure and prints its `figure` line now.
    pub fn figure(&mut self, name: &str, value: f64, unit: &str) -> &mut Self {
        // Whole numbers and large values need no decimals; small ones keep two.
        let value = if value.fract() == 0.0 || value.abs() >= 100.0 {
            format!("{value:.0}")
        } else {
            format!("{value:.2}")
        };
        println!("figure {name} {value} {unit}");
        self.rows.push((name.into(), value, unit.into()));
        self
    }

    /// The Markdown section body.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "Command: `{}` (this machine: {} cores).\n\n{}",
            self.command,
            std::thread::available_parallelism().map_or(0, usize::from),
            self.notes
        );
        out.push_str("| figure | value | unit |\n|---|---|---|\n");
        for (name, value, unit) in &self.rows {
            let _ = writeln!(out, "| `{name}` | {value} | {unit} |");
        }
        out
    }

    /// Rewrites this report's section of `docs/benchmarks.md` at the workspace root.
    ///
    /// # Errors
    /// Any error reading or writing the file.
    pub fn write_docs(&self) -> std::io::Result<PathBuf> {
        let path = workspace_root().join("docs/benchmarks.md");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".into());
        std::fs::write(
            &path,
            replace_section(&text, &self.section, &self.markdown()),
        )?;
        Ok(path)
    }
}

/// The workspace root: the nearest ancestor of this crate with a `docs/` folder.
fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|dir| dir.join("docs").is_dir())
        .unwrap_or(here)
        .to_path_buf()
}

/// `text` with the section `name` replaced by `body`, or appended if it is not there yet.
pub fn replace_section(text: &str, name: &str, body: &str) -> String {
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let block = format!("{begin}\n## {name}\n\n{body}{end}");
    match (text.find(&begin), text.find(&end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{block}{}", &text[..b], &text[e + end.len()..])
        }
        _ => format!("{}\n\n{block}\n", text.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_section;

    #[test]
    fn sections_are_replaced_in_place_or_appended() {
        let text = replace_section("# Benchmarks\n", "a", "one\n");
        let text = replace_section(&text, "b", "two\n");
        let text = replace_section(&text, "a", "three\n");
        assert_eq!(
            text,
            "# Benchmarks\n\n<!-- a:begin -->\n## a\n\nthree\n<!-- a:end -->\n\n\
             <!-- b:begin -->\n## b\n\ntwo\n<!-- b:end -->\n"
        );
    }
}
