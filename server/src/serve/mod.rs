//! The gateway on a real TCP socket: a tokio listener around the sans-IO [`Gateway`].
//!
//! One connection carries one exchange (docs/protocol.md section 2), so the adapter is short:
//!
//! ```text
//! accept ── slot free? ──no──▶ write the `Busy` status frame, close
//!              │yes
//!   read one request frame (FrameDecoder; request and idle timeouts)
//!              │
//!   Gateway::answer on one of `max_concurrent_answers` worker threads
//!              │
//!   write the reply frame (or nothing, for malformed input), close
//! ```
//!
//! **Why each bound.** A peer costs the gateway a connection slot from accept to close, so every
//! step that waits on the peer is timed: the whole request must arrive within
//! [`ServeConfig::request_timeout`] and no read or write may stall longer than
//! [`ServeConfig::idle_timeout`]; a silent or trickling peer is cut off and its slot freed.
//! [`ServeConfig::max_connections`] caps the slots; past it a connection gets the plain `Busy`
//! status frame at once (nothing is spawned for it) and is closed. The frame decoder rejects a
//! length prefix above the largest request frame (544 bytes) before reading the body. `Gateway::answer` may
//! hash with argon2 and always does X25519 work, so it runs on a fixed set of worker threads
//! ([`ServeConfig::max_concurrent_answers`] of them), never on the async threads that move the
//! bytes, and a flood cannot start more hashes (and their memory) at once than there are
//! workers.
//!
//! **Failure stays local.** Every error (a bad frame, a timeout, a reset, input the gateway will
//! not answer) ends that connection only, with a log line; nothing on the input path panics.
//!
//! **Shutdown.** [`serve`] stops accepting when its `shutdown` future resolves (the binary passes
//! [`shutdown_signal`]: SIGINT or SIGTERM), then waits up to [`ServeConfig::shutdown_grace`] for
//! the connections in flight, which are already bounded by the timeouts above.
//!
//! **Logs** (`tracing`): one event per connection with the peer, the outcome and the duration.
//! Request and reply bytes are never logged: they are ciphertext at best and carry nothing an
//! operator needs.

pub mod client;
mod workers;

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use padlock_protocol::frame::{FrameError, RequestFrameDecoder};
use padlock_protocol::session::{ReplyStatus, write_status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, timeout, timeout_at};

use crate::Gateway;
use workers::AnswerWorkers;

/// Limits and timeouts of the listener. [`ServeConfig::default`] is what `padlock-server serve`
/// runs with unless told otherwise; each field says its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// Connections handled at once, from accept to close. One more is answered with the `Busy`
    /// status frame and closed. Default 1024.
    pub max_connections: usize,
    /// Worker threads computing gateway answers: the most answers (and argon2 hashes, with
    /// their memory) computed at once. Default: the number of CPU cores.
    pub max_concurrent_answers: usize,
    /// Time from accept until the whole request frame has arrived: the handshake timeout.
    /// Default 5 s (a request is at most 546 bytes).
    pub request_timeout: Duration,
    /// Longest wait for any single read or write on the connection: a peer that goes silent
    /// mid-request, or does not take its reply, is dropped after this. Default 2 s.
    pub idle_timeout: Duration,
    /// After shutdown is asked for, how long connections in flight may take to finish before
    /// [`serve`] returns without them. Default 10 s.
    pub shutdown_grace: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            max_concurrent_answers: std::thread::available_parallelism().map_or(2, usize::from),
            request_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(2),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// What a [`serve`] run did, returned once it has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeSummary {
    /// Connections accepted, including those answered `Busy`.
    pub accepted: u64,
    /// Connections answered with the `Busy` status frame.
    pub busy: u64,
    /// Connections still open when the shutdown grace ran out (0 after a clean drain).
    pub unfinished: usize,
}

/// How one connection ended; logged, never sent.
#[derive(Debug)]
enum Outcome {
    /// A reply frame was written; its status byte (0: Noise message 2 follows).
    Replied { status: u8 },
    /// The gateway gave no reply (malformed request): closed without one.
    NoReply,
    /// The peer closed before sending a byte.
    ClosedEmpty,
    /// The framing was wrong: empty, oversize, or truncated by the peer's close.
    BadFrame(FrameError),
    /// The peer was too slow sending its request or taking its reply.
    TimedOut,
    /// The socket failed (reset, broken pipe, ...).
    Io(io::ErrorKind),
    /// The answer could not be computed (no worker thread took it).
    Internal,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Replied { status } => match status {
                0 => f.write_str("answered"),
                1 => f.write_str("unsupported version"),
                2 => f.write_str("handshake rejected"),
                other => write!(f, "status {other}"),
            },
            Self::NoReply => f.write_str("malformed request, closed"),
            Self::ClosedEmpty => f.write_str("closed by peer before a request"),
            Self::BadFrame(e) => write!(f, "bad frame: {e}"),
            Self::TimedOut => f.write_str("timed out"),
            Self::Io(kind) => write!(f, "socket error: {kind}"),
            Self::Internal => f.write_str("internal error"),
        }
    }
}

/// Installs handlers for SIGINT (Ctrl-C) and SIGTERM now, and returns the future that resolves
/// on the first of them: the `shutdown` future the binary gives [`serve`].
///
/// The handlers are in place when this returns, so a signal that arrives before the future is
/// first polled still stops the server gracefully instead of killing the process. Call it
/// inside a tokio runtime.
///
/// # Errors
/// The operating system refused a signal handler.
#[cfg(unix)]
pub fn shutdown_signal() -> io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Elsewhere than on Unix: Ctrl-C only, its handler installed when the future is first polled.
///
/// # Errors
/// None here; the signature matches the Unix one.
#[cfg(not(unix))]
pub fn shutdown_signal() -> io::Result<impl Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}

/// Serves `gateway` on `listener` until `shutdown` resolves, then drains (see the module docs).
///
/// Errors of single connections, and of accepting one, are logged and never end the loop.
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    config: ServeConfig,
    shutdown: impl Future<Output = ()>,
) -> ServeSummary {
    let max_connections = u32::try_from(config.max_connections.max(1)).unwrap_or(u32::MAX);
    let shared = Arc::new(Shared {
        slots: Arc::new(Semaphore::new(max_connections as usize)),
        workers: AnswerWorkers::start(gateway, config.max_concurrent_answers),
        config,
    });
    let (mut accepted, mut busy) = (0u64, 0u64);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            result = listener.accept() => match result {
                Ok(connection) => connection,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
        };
        accepted += 1;
        match Arc::clone(&shared.slots).try_acquire_owned() {
            Ok(slot) => {
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    shared.connection(stream, peer).await;
                    drop(slot);
                });
            }
            Err(_) => {
                busy += 1;
                reply_busy(&stream, peer);
            }
        }
    }
    drop(listener);
    let in_flight = max_connections as usize - shared.slots.available_permits();
    tracing::info!(in_flight, "shutting down: no longer accepting");
    let drained = timeout(
        shared.config.shutdown_grace,
        shared.slots.acquire_many(max_connections),
    )
    .await;
    let unfinished = match drained {
        Ok(_) => 0,
        Err(_) => max_connections as usize - shared.slots.available_permits(),
    };
    if unfinished > 0 {
        tracing::warn!(
            unfinished,
            "shutdown grace over; leaving connections unfinished"
        );
    }
    ServeSummary {
        accepted,
        busy,
        unfinished,
    }
}

/// An accept error: per-connection ones (the peer gave up) pass; anything else (out of file
/// descriptors, typically) is logged and accepting pauses briefly instead of spinning.
async fn accept_failed(e: &io::Error) {
    match e.kind() {
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset => {}
        _ => {
            tracing::warn!(error = %e, "accept failed; pausing");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Over capacity: the `Busy` status frame in one non-blocking write (a fresh socket's send
/// buffer always has room for 3 bytes), then close. Nothing waits on this peer.
///
/// Whatever the peer has already sent is read and dropped first: closing a socket with unread
/// bytes sends a reset instead of a FIN, and a reset can make the peer discard the `Busy` frame
/// before reading it.
fn reply_busy(stream: &TcpStream, peer: SocketAddr) {
    let mut frame = [0u8; 8];
    if let Ok(n) = write_status(ReplyStatus::Busy, &mut frame) {
        let _ = stream.try_write(frame.get(..n).unwrap_or_default());
    }
    let mut discard = [0u8; 1024];
    for _ in 0..4 {
        if !matches!(stream.try_read(&mut discard), Ok(n) if n > 0) {
            break;
        }
    }
    tracing::debug!(%peer, outcome = "busy", "connection");
}

/// What every connection task shares.
struct Shared {
    slots: Arc<Semaphore>,
    workers: AnswerWorkers,
    config: ServeConfig,
}

impl Shared {
    async fn connection(&self, mut stream: TcpStream, peer: SocketAddr) {
        let started = Instant::now();
        let outcome = self.exchange(&mut stream).await;
        // FIN after the reply; errors here change nothing for the peer.
        let _ = timeout(self.config.idle_timeout, stream.shutdown()).await;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        match outcome {
            Outcome::Replied { .. } => tracing::info!(%peer, %outcome, ms, "connection"),
            Outcome::Internal => tracing::error!(%peer, %outcome, ms, "connection"),
            _ => tracing::debug!(%peer, %outcome, ms, "connection"),
        }
    }

    async fn exchange(&self, stream: &mut TcpStream) -> Outcome {
        let body = match self.read_request(stream).await {
            Ok(body) => body,
            Err(outcome) => return outcome,
        };
        let reply = match self.answer(body).await {
            Ok(Some(reply)) => reply,
            Ok(None) => return Outcome::NoReply,
            Err(outcome) => return outcome,
        };
        // Byte 2 of a reply frame is its status (after the 2-byte length).
        let status = reply.get(2).copied().unwrap_or(u8::MAX);
        match timeout(self.config.idle_timeout, stream.write_all(&reply)).await {
            Ok(Ok(())) => Outcome::Replied { status },
            Ok(Err(e)) => Outcome::Io(e.kind()),
            Err(_) => Outcome::TimedOut,
        }
    }

    /// Reads exactly one request frame's body; bytes after it are ignored (section 2).
    async fn read_request(&self, stream: &mut TcpStream) -> Result<Vec<u8>, Outcome> {
        let request_deadline = Instant::now() + self.config.request_timeout;
        let mut decoder = RequestFrameDecoder::new();
        let mut buf = [0u8; 1024];
        loop {
            let deadline = request_deadline.min(Instant::now() + self.config.idle_timeout);
            let n = match timeout_at(deadline, stream.read(&mut buf)).await {
                Err(_) => return Err(Outcome::TimedOut),
                Ok(Err(e)) => return Err(Outcome::Io(e.kind())),
                Ok(Ok(0)) => {
                    return Err(match decoder.finish() {
                        Ok(()) => Outcome::ClosedEmpty,
                        Err(e) => Outcome::BadFrame(e),
                    });
                }
                Ok(Ok(n)) => n,
            };
            let mut input = buf.get(..n).unwrap_or_default();
            match decoder.feed(&mut input) {
                Ok(Some(body)) => return Ok(body.to_vec()),
                Ok(None) => {}
                Err(e) => return Err(Outcome::BadFrame(e)),
            }
        }
    }

    /// `Gateway::answer` on a worker thread.
    async fn answer(&self, body: Vec<u8>) -> Result<Option<Vec<u8>>, Outcome> {
        self.workers
            .answer(body)
            .await
            .map_err(|_| Outcome::Internal)
    }
}
