//! The gateway on a real TCP socket: a tokio listener around the sans-IO [`Gateway`].
//!
//! One connection carries one exchange (docs/protocol.md section 2), so the adapter is short:
//!
//! ```text
//! accept ── slot free, and its source under its cap? ──no──▶ `Busy` status frame, close
//!              │yes
//!   read one request frame (FrameDecoder; request and idle timeouts)
//!              │
//!   answer pool: Gateway::answer_staged, argon2id deferred ──▶ reply ready ─────────┐
//!              │ needs argon2id                                                    │
//!   source's verifications/s left, and the password pool's queue not full? ─no─▶ `Busy`
//!              │yes                                                                │
//!   password pool: Gateway::answer_staged with argon2id ───────────────────────────┤
//!                                                                                  ▼
//!   a `Granted` waits for its replay record's group commit; write the reply frame, close
//! ```
//!
//! **Why each bound.** A peer costs the gateway a connection slot from accept to close, so every
//! step that waits on the peer is timed: the whole request must arrive within
//! [`ServeConfig::request_timeout`], no read or write may stall longer than
//! [`ServeConfig::idle_timeout`], and the answer must be ready within
//! [`ServeConfig::answer_timeout`]; a silent or trickling peer is cut off and its slot freed.
//! [`ServeConfig::max_connections`] caps the slots (and stays below the open-file limit,
//! [`open_files`]), [`ServeConfig::max_connections_per_source`] what one host may hold of
//! them (per IPv4 address or IPv6 /64, [`sources`]); past either a connection gets the plain
//! `Busy` status frame at once (nothing is spawned for it) and is closed. The frame decoder
//! rejects a length prefix above the largest request frame (544 bytes) before reading the body.
//!
//! **Two pools** (module `workers`). Every answer does X25519 work and runs on the answer pool's
//! threads, never on the async threads that move the bytes, with argon2id deferred: Resume,
//! SignOut, app-password sign-ins, replays of granted sign-ins and throttled attempts are
//! answered there and never wait behind a password hash. A request that does need one (a
//! primary password, a wrong password, an unknown account: a guess, most likely) goes to the
//! password pool, whose queue is as short as its thread count: when it is full, or the source
//! has used up its [`ServeConfig::password_hashes_per_source_per_s`], the answer is `Busy` at
//! once. A queued job whose connection has gone (the peer closed or reset; a device keeps its
//! side open until the reply, docs/protocol.md section 2) or whose deadline has passed is
//! dropped unrun.
//!
//! **Durable grants** (module `commit`). A `Granted` leaves only once the record that recognises a
//! replay of its message 1 is synced to disk; one commit thread syncs the records of every
//! grant that accumulated meanwhile in one transaction (group commit), so no answer thread
//! waits for the disk and a crash at any moment forgets no sign-in whose reply was sent.
//!
//! **Failure stays local.** Every error (a bad frame, a timeout, a reset, input the gateway will
//! not answer) ends that connection only, with a log line; nothing on the input path panics.
//!
//! **Shutdown.** [`serve`] stops accepting when its `shutdown` future resolves (the binary passes
//! [`shutdown_signal`]: SIGINT or SIGTERM), then waits up to [`ServeConfig::shutdown_grace`] for
//! the connections in flight and the pools' jobs, which are already bounded by the timeouts
//! above, and commits what grant records are left.
//!
//! **Logs** (`tracing`): one event per connection with the peer, the outcome and the duration.
//! Request and reply bytes are never logged: they are ciphertext at best and carry nothing an
//! operator needs.

pub mod client;
mod commit;
pub mod open_files;
pub mod sources;
mod workers;

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use padlock_protocol::frame::{FrameError, RequestFrameDecoder};
use padlock_protocol::session::{ReplyStatus, write_status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};
use tokio::time::{Instant, sleep_until, timeout, timeout_at};

use crate::Gateway;
use crate::gateway::{PasswordHashing, Reply, Staged};
use commit::Committer;
use sources::{OpenConnection, Source, SourceLimits};
use workers::{Pool, Refused};

/// Limits and timeouts of the listener. [`ServeConfig::default`] is what `padlock-server serve`
/// runs with unless told otherwise; each field says its default and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// Connections handled at once, from accept to close. One more is answered with the `Busy`
    /// status frame and closed. Default 1024, lowered at start to fit the open-file limit
    /// ([`open_files`]).
    pub max_connections: usize,
    /// Connections one source (an IPv4 address or an IPv6 /64) may hold at once; one more gets
    /// `Busy`. Default 64: a household or a small NAT of consoles never comes near it (an
    /// exchange lasts milliseconds), while a single host can hold at most a sixteenth of the
    /// default slots.
    pub max_connections_per_source: usize,
    /// Threads of the answer pool (X25519 work, and everything but argon2id). Default: the
    /// number of CPU cores.
    pub max_concurrent_answers: usize,
    /// Threads of the password pool: the most argon2id verifications at once (each holds its
    /// memory, 19 MiB with the production parameters), and the length of its queue. Default:
    /// half the CPU cores, at least one, so verifications alone cannot take every core from
    /// the answer pool.
    pub max_concurrent_password_hashes: usize,
    /// argon2id verifications one source may cause per second (a token bucket holding one
    /// second's worth); past it, requests needing one get `Busy`. Default 5: a person types a
    /// password in seconds, so even a few players behind one address stay far below it, while
    /// one host guessing from many device keys gets 5 of the pool's verifications a second,
    /// not all of them. 0: none at all (app passwords and tokens only).
    pub password_hashes_per_source_per_s: u32,
    /// Time from accept until the whole request frame has arrived. Default 2 s: a request
    /// (at most 546 bytes) is one TCP segment sent right after the handshake, so 2 s is many
    /// round trips even on a slow path, while a host that opens connections and trickles bytes
    /// holds each slot at most that long: holding all 1024 slots takes more than 500 new
    /// connections a second, from at least 16 sources.
    pub request_timeout: Duration,
    /// Time from the whole request to its reply being ready: queues, computation and the
    /// group commit of a grant. A request still queued then is dropped unrun. Default 2 s:
    /// together with `request_timeout` and one `idle_timeout` for the write it stays well inside
    /// a device's 10 s limit, and a reply later than that would reach a device that gave up.
    pub answer_timeout: Duration,
    /// Longest wait for any single read or write on the connection: a peer that goes silent
    /// mid-request, or does not take its reply, is dropped after this. Default 2 s.
    pub idle_timeout: Duration,
    /// After shutdown is asked for, how long connections in flight may take to finish before
    /// [`serve`] returns without them. Default 10 s.
    pub shutdown_grace: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            max_connections: 1024,
            max_connections_per_source: 64,
            max_concurrent_answers: cores,
            max_concurrent_password_hashes: (cores / 2).max(1),
            password_hashes_per_source_per_s: 5,
            request_timeout: Duration::from_secs(2),
            answer_timeout: Duration::from_secs(2),
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
    /// Connections answered with the `Busy` status frame (at accept, or for want of a
    /// password verification).
    pub busy: u64,
    /// Requests taken up by the password pool (each costs at most one argon2id verification).
    pub password_hashes: u64,
    /// Requests dropped unrun by either pool: their connection gone or their deadline passed.
    pub dropped_unrun: u64,
    /// Connections still open when the shutdown grace ran out (0 after a clean drain).
    pub unfinished: usize,
}

/// How one connection ended; logged, never sent.
#[derive(Debug)]
enum Outcome {
    /// A reply frame was written; its status byte (0: Noise message 2 follows).
    Replied { status: u8 },
    /// The gateway gave no reply (malformed request, or a replay): closed without one.
    NoReply,
    /// Told `Busy` after its request: no password verification could be spent on it now.
    Busy,
    /// The peer closed before sending a byte.
    ClosedEmpty,
    /// The framing was wrong: empty, oversize, or truncated by the peer's close.
    BadFrame(FrameError),
    /// The peer was too slow sending its request or taking its reply, or the answer was not
    /// ready in time.
    TimedOut,
    /// The peer closed or reset the connection while its answer was being computed.
    PeerGone,
    /// The socket failed (reset, broken pipe, ...).
    Io(io::ErrorKind),
    /// The answer could not be computed (no worker thread took it), or a grant could not be
    /// recorded.
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
            Self::NoReply => f.write_str("no reply (malformed or replayed), closed"),
            Self::Busy => f.write_str("busy: no password verification available"),
            Self::ClosedEmpty => f.write_str("closed by peer before a request"),
            Self::BadFrame(e) => write!(f, "bad frame: {e}"),
            Self::TimedOut => f.write_str("timed out"),
            Self::PeerGone => f.write_str("peer gone before its answer"),
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
/// Raises the process's soft open-file limit ([`open_files`]) and keeps the connections below
/// it. Errors of single connections, and of accepting one, are logged and never end the loop.
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    config: ServeConfig,
    shutdown: impl Future<Output = ()>,
) -> ServeSummary {
    let open_files = open_files::raise_open_file_limit();
    let capped = open_files::connection_cap(config.max_connections, open_files);
    if capped < config.max_connections {
        tracing::warn!(
            max_connections = capped,
            open_file_limit = open_files,
            "connections capped below the open-file limit"
        );
    }
    let max_connections = u32::try_from(capped).unwrap_or(u32::MAX);
    let answer_threads = config.max_concurrent_answers.max(1);
    let hash_threads = config.max_concurrent_password_hashes.max(1);
    let shared = Arc::new(Shared {
        slots: Arc::new(Semaphore::new(max_connections as usize)),
        sources: SourceLimits::new(
            config.max_connections_per_source,
            config.password_hashes_per_source_per_s,
        ),
        // Each connection queues at most one request: the queue never refuses one.
        answers: Pool::start(
            "padlock-answer",
            &gateway,
            answer_threads,
            max_connections as usize,
            PasswordHashing::Defer,
        ),
        // As many waiting as running: a queued verification waits for at most about one other.
        hashes: Pool::start(
            "padlock-argon2",
            &gateway,
            hash_threads,
            hash_threads,
            PasswordHashing::Run,
        ),
        committer: Committer::start(Arc::clone(&gateway)),
        busy: std::sync::atomic::AtomicU64::new(0),
        config,
    });
    let mut accepted = 0u64;
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
        let slot = Arc::clone(&shared.slots).try_acquire_owned().ok();
        let source = Source::from(peer.ip());
        let open = slot.and_then(|slot| Some((slot, shared.sources.open(source)?)));
        match open {
            Some((slot, counted)) => {
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    shared.connection(stream, peer, counted).await;
                    drop(slot);
                });
            }
            None => {
                shared.busy.fetch_add(1, Ordering::Relaxed);
                reply_busy(&stream, peer);
            }
        }
    }
    drop(listener);
    let in_flight = max_connections as usize - shared.slots.available_permits();
    tracing::info!(in_flight, "shutting down: no longer accepting");
    // The connections, then the jobs they left in the pools (each bounded by its deadline, or
    // dropped unrun), so the last commit below comes after the last claim.
    let drained = timeout(shared.config.shutdown_grace, async {
        let drained = shared.slots.acquire_many(max_connections).await;
        shared.answers.idle().await;
        shared.hashes.idle().await;
        drained
    })
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
    // Whatever grant records are still in memory (their replies were never sent) are written
    // too, so a restart recognises those message 1s as well.
    let flushed = tokio::task::spawn_blocking(move || gateway.commit_grants()).await;
    if !matches!(flushed, Ok(Ok(_))) {
        tracing::error!("granted sign-ins not recorded at shutdown");
    }
    ServeSummary {
        accepted,
        busy: shared.busy.load(Ordering::Relaxed),
        password_hashes: shared.hashes.counts.run.load(Ordering::Relaxed),
        dropped_unrun: shared.answers.counts.dropped.load(Ordering::Relaxed)
            + shared.hashes.counts.dropped.load(Ordering::Relaxed),
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
    if let Some(frame) = busy_frame() {
        let _ = stream.try_write(&frame);
    }
    let mut discard = [0u8; 1024];
    for _ in 0..4 {
        if !matches!(stream.try_read(&mut discard), Ok(n) if n > 0) {
            break;
        }
    }
    tracing::debug!(%peer, outcome = "busy", "connection");
}

/// The `Busy` status frame.
fn busy_frame() -> Option<Vec<u8>> {
    let mut frame = [0u8; 8];
    let n = write_status(ReplyStatus::Busy, &mut frame).ok()?;
    frame.get(..n).map(<[u8]>::to_vec)
}

/// What every connection task shares.
struct Shared {
    slots: Arc<Semaphore>,
    sources: Arc<SourceLimits>,
    answers: Pool,
    hashes: Pool,
    committer: Committer,
    busy: std::sync::atomic::AtomicU64,
    config: ServeConfig,
}

impl Shared {
    async fn connection(&self, mut stream: TcpStream, peer: SocketAddr, _counted: OpenConnection) {
        let started = Instant::now();
        let outcome = self.exchange(&mut stream, Source::from(peer.ip())).await;
        // FIN after the reply; errors here change nothing for the peer.
        let _ = timeout(self.config.idle_timeout, stream.shutdown()).await;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        match outcome {
            Outcome::Replied { .. } => tracing::info!(%peer, %outcome, ms, "connection"),
            Outcome::Internal => tracing::error!(%peer, %outcome, ms, "connection"),
            _ => tracing::debug!(%peer, %outcome, ms, "connection"),
        }
    }

    async fn exchange(&self, stream: &mut TcpStream, source: Source) -> Outcome {
        let body = match self.read_request(stream).await {
            Ok(body) => Arc::<[u8]>::from(body),
            Err(outcome) => return outcome,
        };
        let deadline = Instant::now() + self.config.answer_timeout;
        let reply = match self.answer(stream, body, source, deadline).await {
            Ok(reply) => reply,
            Err(outcome) => return outcome,
        };
        if reply.hold_for > 0 {
            match timeout_at(deadline, self.committer.durable(reply.hold_for)).await {
                Ok(true) => {}
                Ok(false) => return Outcome::Internal,
                Err(_) => return Outcome::TimedOut,
            }
        }
        let Some(frame) = reply.frame else {
            return Outcome::NoReply;
        };
        // Byte 2 of a reply frame is its status (after the 2-byte length).
        let status = frame.get(2).copied().unwrap_or(u8::MAX);
        match timeout(self.config.idle_timeout, stream.write_all(&frame)).await {
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

    /// The answer to `body`: on the answer pool, then, if it needs argon2id and `source` may
    /// have one now, on the password pool; `Busy` written here otherwise.
    async fn answer(
        &self,
        stream: &mut TcpStream,
        body: Arc<[u8]>,
        source: Source,
        deadline: Instant,
    ) -> Result<Reply, Outcome> {
        let queued = self.answers.submit(Arc::clone(&body), deadline.into_std());
        match wait_for_answer(stream, queued, deadline).await? {
            Staged::Reply(reply) => return Ok(reply),
            Staged::NeedsPasswordHash => {}
        }
        let queued = if self
            .sources
            .take_password_hash(source, std::time::Instant::now())
        {
            self.hashes.submit(body, deadline.into_std())
        } else {
            Err(Refused::Full)
        };
        let queued = match queued {
            Err(Refused::Full) => {
                self.busy.fetch_add(1, Ordering::Relaxed);
                return Err(match busy_frame() {
                    Some(frame) => {
                        match timeout(self.config.idle_timeout, stream.write_all(&frame)).await {
                            Ok(Ok(())) => Outcome::Busy,
                            Ok(Err(e)) => Outcome::Io(e.kind()),
                            Err(_) => Outcome::TimedOut,
                        }
                    }
                    None => Outcome::Internal,
                });
            }
            other => other,
        };
        match wait_for_answer(stream, queued, deadline).await? {
            Staged::Reply(reply) => Ok(reply),
            Staged::NeedsPasswordHash => Err(Outcome::Internal),
        }
    }
}

/// Waits for a pool's answer until `deadline`, giving up early if the peer closes or resets
/// (its job is then dropped unrun, [`workers`]).
async fn wait_for_answer(
    stream: &TcpStream,
    queued: Result<oneshot::Receiver<Staged>, Refused>,
    deadline: Instant,
) -> Result<Staged, Outcome> {
    let answered = queued.map_err(|_| Outcome::Internal)?;
    tokio::select! {
        answer = answered => answer.map_err(|_| Outcome::TimedOut),
        () = peer_gone(stream) => Err(Outcome::PeerGone),
        () = sleep_until(deadline) => Err(Outcome::TimedOut),
    }
}

/// Resolves once the peer has closed its side or reset the connection; bytes it sends after
/// its request are read and ignored (section 2).
async fn peer_gone(stream: &TcpStream) {
    let mut discard = [0u8; 256];
    loop {
        if stream.readable().await.is_err() {
            return;
        }
        match stream.try_read(&mut discard) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}
