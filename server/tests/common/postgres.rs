//! A scratch PostgreSQL database per test, on the server `PADLOCK_TEST_POSTGRES` names (see
//! `.ci/postgres`): created empty, dropped (with its connections) when the test ends, so tests
//! running at once never see each other's rows. Include with
//! `#[path = "common/postgres.rs"] mod postgres;`.
#![allow(dead_code, reason = "each test file uses part of it")]

use std::sync::atomic::{AtomicU32, Ordering};

/// Why a PostgreSQL test is ignored here (see `server/build.rs`).
pub const NEEDS_POSTGRES: &str =
    "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")";

/// The URL of the test server's maintenance database; fails the test when it is not set (under
/// `CI=true` the tests are not ignored without it).
pub fn server_url() -> String {
    std::env::var("PADLOCK_TEST_POSTGRES").unwrap_or_else(|_| panic!("{NEEDS_POSTGRES}"))
}

/// An empty database, dropped on drop.
pub struct ScratchDatabase {
    server: String,
    name: String,
    /// Its URL, for `PostgresStore::open` or `--db`.
    pub url: String,
}

impl ScratchDatabase {
    pub fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server = server_url();
        let name = format!(
            "padlock_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = postgres::Client::connect(&server, postgres::NoTls).unwrap();
        // Two statements: neither may run inside the transaction a batch would be.
        for statement in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin.batch_execute(&statement).unwrap();
        }
        let url = with_database(&server, &name);
        Self { server, name, url }
    }

    /// A plain client on it, to look at or damage its rows behind the store's back.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// `url` with its database (the path) replaced by `name`; the query, if any, kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    format!("{}/{name}{query}", &base[..host_end])
}

/// A PostgreSQL cluster of this test's own (`.ci/postgres start`), which it may stop and start
/// again (`halt`, `resume`) without disturbing other tests; deleted on drop.
pub struct PrivateCluster {
    dir: String,
    /// The URL of its database `padlock`.
    pub url: String,
}

impl PrivateCluster {
    pub fn start() -> Self {
        let output = ci_postgres(&["start"]);
        let exported = |name: &str| {
            output
                .lines()
                .find_map(|line| line.strip_prefix(&format!("export {name}=")))
                .unwrap_or_else(|| panic!("no {name} in {output:?}"))
                .to_owned()
        };
        Self {
            dir: exported("PADLOCK_TEST_POSTGRES_DIR"),
            url: exported("PADLOCK_TEST_POSTGRES"),
        }
    }

    /// Stops the server (a fast shutdown: every connection is ended), keeping the data.
    pub fn halt(&self) {
        ci_postgres(&["halt", &self.dir]);
    }

    /// Starts the server again.
    pub fn resume(&self) {
        ci_postgres(&["resume", &self.dir]);
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(script())
            .args(["stop", &self.dir])
            .status();
    }
}

fn script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/postgres")
}

/// Runs `.ci/postgres` with `args`; its stdout.
fn ci_postgres(args: &[&str]) -> String {
    let output = std::process::Command::new(script())
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        ".ci/postgres {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
