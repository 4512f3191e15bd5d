//! The thread pools that run [`Gateway::answer_staged`] for the listener.
//!
//! An answer always does the Noise handshake's X25519 work and may hash with argon2id
//! (milliseconds of CPU and megabytes of memory), so neither runs on the async threads that
//! move bytes for every other connection. The listener runs two pools of this kind:
//!
//! - the **answer** pool takes every request, with argon2id deferred
//!   ([`PasswordHashing::Defer`]): Resume, SignOut, app-password sign-ins, replays and throttled
//!   attempts are answered there and never queue behind a password hash;
//! - the **password** pool takes only the requests the answer pool found to need argon2id, and
//!   its queue is short: when it is full the request is refused at once (the listener answers
//!   `Busy`) instead of waiting behind a flood of guesses.
//!
//! A job carries its deadline and the channel its connection waits on. A worker drops a job
//! unrun when its deadline has passed or its connection has stopped waiting (timed out, or the
//! peer went away), so a backlog left by an attack is not worked off for nobody.
//!
//! Each pool is a fixed set of threads on one bounded queue. Against
//! `tokio::task::spawn_blocking` behind a semaphore of the same size, fixed threads carried about
//! a third more sign-ins per second on 2 cores in the `signin` bench (`cargo bench -p
//! padlock-server --bench signin`) when this was written: a busy worker takes the next request
//! without being woken.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::oneshot;

use crate::gateway::{PasswordHashing, Staged};
use crate::{Gateway, UnixMillis};

/// One request body, until when it is worth answering, and where its answer goes.
struct Job {
    body: Arc<[u8]>,
    deadline: Instant,
    answer: oneshot::Sender<Staged>,
}

/// Why a pool did not take a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Its queue is full.
    Full,
    /// No worker thread is left.
    Gone,
}

/// What a pool's workers did, counted for [`super::ServeSummary`].
#[derive(Debug, Default)]
pub(crate) struct PoolCounts {
    /// Jobs started (answered, or being answered).
    pub(crate) run: AtomicU64,
    /// Jobs dropped unrun: past their deadline, or their connection gone.
    pub(crate) dropped: AtomicU64,
    /// Jobs queued or running.
    pub(crate) in_flight: AtomicU64,
}

/// A fixed set of threads answering request bodies with one [`Gateway`]. The threads end once
/// this handle is dropped and the queue is empty.
pub(crate) struct Pool {
    queue: SyncSender<Job>,
    pub(crate) counts: Arc<PoolCounts>,
}

impl Pool {
    /// Starts `threads` workers (at least one is attempted) named `name-N`, answering with
    /// `hashing`, behind a queue of `depth` jobs. A thread the system refuses to start is
    /// logged; with none at all, every job is refused with [`Refused::Gone`].
    pub(crate) fn start(
        name: &str,
        gateway: &Arc<Gateway>,
        threads: usize,
        depth: usize,
        hashing: PasswordHashing,
    ) -> Pool {
        let (queue, jobs) = sync_channel::<Job>(depth);
        let jobs = Arc::new(Mutex::new(jobs));
        let counts = Arc::new(PoolCounts::default());
        for n in 0..threads.max(1) {
            let (gateway, jobs, counts) =
                (Arc::clone(gateway), Arc::clone(&jobs), Arc::clone(&counts));
            let started = std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || work(&gateway, &jobs, hashing, &counts));
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot start a {name} thread");
            }
        }
        Pool { queue, counts }
    }

    /// Resolves once no job is queued or running (polled: it is only awaited at shutdown).
    pub(crate) async fn idle(&self) {
        while self.counts.in_flight.load(Ordering::Relaxed) > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Queues `body` without waiting; the receiver gets its answer, or is closed if the job
    /// was dropped unrun (or the gateway panicked on it).
    pub(crate) fn submit(
        &self,
        body: Arc<[u8]>,
        deadline: Instant,
    ) -> Result<oneshot::Receiver<Staged>, Refused> {
        let (answer, answered) = oneshot::channel();
        match self.queue.try_send(Job {
            body,
            deadline,
            answer,
        }) {
            Ok(()) => {
                self.counts.in_flight.fetch_add(1, Ordering::Relaxed);
                Ok(answered)
            }
            Err(TrySendError::Full(_)) => Err(Refused::Full),
            Err(TrySendError::Disconnected(_)) => Err(Refused::Gone),
        }
    }
}

/// A worker's loop: answer jobs until the queue is closed.
fn work(
    gateway: &Gateway,
    jobs: &Mutex<Receiver<Job>>,
    hashing: PasswordHashing,
    counts: &PoolCounts,
) {
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(Job {
            body,
            deadline,
            answer,
        }) = job
        else {
            return;
        };
        if answer.is_closed() || Instant::now() >= deadline {
            counts.dropped.fetch_add(1, Ordering::Relaxed);
            counts.in_flight.fetch_sub(1, Ordering::Relaxed);
            continue;
        }
        counts.run.fetch_add(1, Ordering::Relaxed);
        // The core never panics on input; if it ever did, this request goes unanswered (its
        // connection is closed) and the thread lives on for the next one.
        let staged = catch_unwind(AssertUnwindSafe(|| {
            gateway.answer_staged(&body, UnixMillis::now(), hashing)
        }));
        counts.in_flight.fetch_sub(1, Ordering::Relaxed);
        match staged {
            // The connection may have gone meanwhile; nothing to do then.
            Ok(staged) => drop(answer.send(staged)),
            Err(_) => tracing::error!("the gateway panicked while answering a request"),
        }
    }
}
