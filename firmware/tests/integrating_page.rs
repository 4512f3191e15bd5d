//! `docs/integrating.md` and `boards/template/src/main.rs` agree line by line: every line of
//! the page's Rust code that a reader sees (not the hidden `# ` stand-ins) is a line of the
//! template's `main.rs`, in the same order. The page's code also compiles, as a doctest of
//! this crate (`IntegratingPage` in `lib.rs`).

use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The visible lines of the page's `rust` code blocks, blank lines left out.
fn page_code(page: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut in_rust = false;
    for line in page.lines() {
        if let Some(info) = line.strip_prefix("```") {
            in_rust = !in_rust && info.starts_with("rust");
            continue;
        }
        let hidden = line.trim_start() == "#" || line.trim_start().starts_with("# ");
        if in_rust && !hidden && !line.trim().is_empty() {
            lines.push(line);
        }
    }
    lines
}

#[test]
fn the_page_is_the_template_line_by_line() {
    let page = read("docs/integrating.md");
    let template = read("boards/template/src/main.rs");
    let code = page_code(&page);
    assert!(code.len() > 50, "the page shows the setup and the loop");
    let mut rest = template.lines();
    for line in code {
        assert!(
            rest.any(|t| t == line),
            "docs/integrating.md shows a line that boards/template/src/main.rs does not have \
             (or not in this order):\n{line}"
        );
    }
}
