//! The `padlock-server` binary as a child process: one-shot commands, and `serve` running
//! beside the test (its log read on a thread of its own, so a full pipe never stalls it).

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// How long `serve` may take to say where it listens.
const STARTUP: Duration = Duration::from_secs(10);

/// The binary, with the environment variables it reads secrets from removed (so the test's own
/// environment cannot leak in) and `info` logs.
pub fn padlock_server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_padlock-server"));
    command
        .env_remove("PADLOCK_PASSWORD")
        .env_remove("PADLOCK_KEK")
        .env_remove("PADLOCK_KEK_FILE")
        .env("RUST_LOG", "info");
    command
}

/// Runs the binary with `args` (and `stdin`, if any) to completion.
pub fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = padlock_server()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Runs `args`, asserts success and returns stdout.
pub fn ok(args: &[&str], stdin: Option<&str>) -> String {
    let output = run(args, stdin);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        stderr(&output)
    );
    stdout(&output)
}

/// Runs `args`, asserts failure with `code` and a one-line error containing `message`.
pub fn fails(args: &[&str], code: i32, message: &str) {
    let output = run(args, None);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {err}");
    assert!(
        err.contains(message),
        "{args:?}: expected {message:?} in {err:?}"
    );
    assert!(stdout(&output).is_empty(), "{args:?} printed to stdout");
}

/// Sends `frame` as is to `addr` and returns every byte the gateway sent before closing (a
/// replay of a granted message 1 gets none). Fails the test if the gateway keeps it open.
pub async fn replay(addr: SocketAddr, frame: &[u8]) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(frame).await.unwrap();
    let mut reply = Vec::new();
    match tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("the replay was not closed: {other:?}"),
    }
    reply
}

/// A running `padlock-server serve`.
pub struct Serving {
    pub child: Child,
    /// Where it listens for devices.
    pub addr: SocketAddr,
    log: Receiver<String>,
}

impl Serving {
    /// Starts `padlock-server serve --db DB --listen 127.0.0.1:0 EXTRA…`, through
    /// `sh -c "$shell_prefix exec …"` so a test can set limits first, with `env` added.
    pub fn start(db: &str, shell_prefix: &str, extra: &[&str], env: &[(&str, &str)]) -> Serving {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("{shell_prefix} exec \"$@\""))
            .arg("sh")
            .arg(padlock_server().get_program())
            .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("PADLOCK_PASSWORD")
            .env_remove("PADLOCK_KEK")
            .env_remove("PADLOCK_KEK_FILE")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (lines, log) = channel();
        std::thread::spawn(move || {
            for line in stderr.lines() {
                let Ok(line) = line else { return };
                if lines.send(line).is_err() {
                    return;
                }
            }
        });
        let addr = loop {
            let line = log
                .recv_timeout(STARTUP)
                .expect("serve exited or stalled before listening");
            if let Some((_, rest)) = line.split_once("listening on ") {
                break rest.split_whitespace().next().unwrap().parse().unwrap();
            }
        };
        Serving { child, addr, log }
    }

    /// Starts `serve` on the SQLite file `db` with no more arguments.
    pub fn on(db: &Path) -> Serving {
        Self::start(db.to_str().unwrap(), "", &[], &[])
    }

    /// Sends `signal` (`-TERM`, `-INT`, `-9`), waits for the process, and returns its exit
    /// status and its log since start.
    pub fn stop(mut self, signal: &str) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = self.child.wait().unwrap();
        // The log thread ends with the pipe; give it the moment it needs to pass the last lines.
        let mut log = Vec::new();
        while let Ok(line) = self.log.recv_timeout(Duration::from_secs(2)) {
            log.push(line);
        }
        (status, log.join("\n"))
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        // A test that failed half-way must not leave a gateway running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
