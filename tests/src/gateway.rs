//! The real gateway for end-to-end tests: the `padlock-server` binary, built by cargo and run
//! through its command line (`padlock-server --help` names the commands), with its SQLite
//! database and its log in the test's output folder.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::qemu::repo_root;

/// Builds the `padlock-server` binary (the workspace's debug profile; its crypto dependencies
/// are optimised there) and returns its path.
pub fn build_server() -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "padlock-server",
            "--bin",
            "padlock-server",
        ])
        .current_dir(repo_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building padlock-server failed: {status}"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    Ok(target.join("debug/padlock-server"))
}

/// A gateway database and the binary that administers and serves it.
pub struct Server {
    binary: PathBuf,
    db: PathBuf,
}

impl Server {
    /// A server on the database `db` (created by the first command).
    pub fn new(binary: PathBuf, db: PathBuf) -> Self {
        Self { binary, db }
    }

    /// Runs one administration command (`account add ...`) and returns its standard output.
    pub fn admin(&self, args: &[&str]) -> Result<String, String> {
        self.admin_with(args, &[])
    }

    /// [`Server::admin`] with environment variables (`PADLOCK_PASSWORD` keeps a password off
    /// the command line).
    pub fn admin_with(&self, args: &[&str], env: &[(&str, &str)]) -> Result<String, String> {
        let (command, rest) = args.split_at(args.len().min(2));
        let output = Command::new(&self.binary)
            .args(command)
            .arg("--db")
            .arg(&self.db)
            .args(rest)
            .envs(env.iter().copied())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.binary.display()))?;
        if !output.status.success() {
            return Err(format!(
                "padlock-server {}: {}\n{}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        String::from_utf8(output.stdout).map_err(|e| e.to_string())
    }

    /// Starts `serve` on a free loopback port; its log goes to `log`.
    pub fn serve(&self, log: &Path) -> Result<Serving, String> {
        self.serve_with(log, &[])
    }

    /// [`Server::serve`] with more of `serve`'s options (`--web ADDR`, `--link-address URL`).
    pub fn serve_with(&self, log: &Path, options: &[String]) -> Result<Serving, String> {
        let mut child = Command::new(&self.binary)
            .arg("serve")
            .arg("--db")
            .arg(&self.db)
            .args(["--listen", "127.0.0.1:0"])
            .args(options)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start padlock-server serve: {e}"))?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let mut log = std::fs::File::create(log).map_err(|e| e.to_string())?;
        let (bound, address) = mpsc::channel();
        // Keep draining the log for the server's whole life (a full pipe would stall it), and
        // report the address from its "listening on ADDR" line.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = writeln!(log, "{line}");
                if let Some((_, after)) = line.split_once("listening on ") {
                    let address: String = after
                        .chars()
                        .take_while(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']'))
                        .collect();
                    if let Ok(address) = address.parse() {
                        let _ = bound.send(address);
                    }
                }
            }
        });
        let mut serving = Serving {
            child,
            address: None,
        };
        let address: SocketAddr = address
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| "padlock-server serve did not report its address".to_string())?;
        serving.address = Some(address);
        Ok(serving)
    }
}

/// A running `padlock-server serve`, stopped when dropped.
pub struct Serving {
    child: Child,
    address: Option<SocketAddr>,
}

impl Serving {
    /// Its TCP port on the loopback interface.
    pub fn port(&self) -> u16 {
        self.address.map_or(0, |a| a.port())
    }

    /// Its loopback address (`127.0.0.1:PORT`), as a device on the host reaches it.
    pub fn address(&self) -> Option<SocketAddr> {
        self.address
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
