//! The threads that run [`Gateway::answer`] for the listener.
//!
//! An answer may hash with argon2 (milliseconds of CPU and megabytes of memory) and always does
//! the Noise handshake's X25519 work, so it must not run on the async threads that move bytes
//! for every other connection. A fixed set of threads takes request bodies from one queue:
//!
//! - the number of threads caps how many answers (and argon2 hashes) run at once, with no
//!   semaphore in front: a request waits in the queue, and a busy thread picks up the next one
//!   without being woken;
//! - the queue's length is bounded by the listener's connection limit, since each connection
//!   queues at most one request.
//!
//! Against `tokio::task::spawn_blocking` behind a semaphore of the same size, the fixed threads
//! carried about a third more sign-ins per second on 2 cores in the `signin` bench
//! (`cargo bench -p padlock-server`) when this was written: a busy worker takes the next request
//! without being woken, and the semaphore's chain of hand-overs between threads is gone.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use crate::{Gateway, UnixMillis};

/// One request body and where its reply goes.
struct Job {
    body: Vec<u8>,
    reply: oneshot::Sender<Option<Vec<u8>>>,
}

/// Why a request got no answer from the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WorkersGone;

/// A fixed set of threads answering request bodies with one [`Gateway`]. The threads end once
/// this handle is dropped and the queue is empty.
pub(crate) struct AnswerWorkers {
    queue: Sender<Job>,
}

impl AnswerWorkers {
    /// Starts `threads` workers (at least one is attempted). A thread the system refuses to
    /// start is logged; with none at all, every request is refused with [`WorkersGone`].
    pub(crate) fn start(gateway: Arc<Gateway>, threads: usize) -> AnswerWorkers {
        let (queue, jobs) = channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads.max(1) {
            let (gateway, jobs) = (Arc::clone(&gateway), Arc::clone(&jobs));
            let started = std::thread::Builder::new()
                .name(format!("padlock-answer-{n}"))
                .spawn(move || work(&gateway, &jobs));
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot start an answer thread");
            }
        }
        AnswerWorkers { queue }
    }

    /// The gateway's answer to `body`, computed on a worker thread.
    pub(crate) async fn answer(&self, body: Vec<u8>) -> Result<Option<Vec<u8>>, WorkersGone> {
        let (reply, answered) = oneshot::channel();
        self.queue
            .send(Job { body, reply })
            .map_err(|_| WorkersGone)?;
        answered.await.map_err(|_| WorkersGone)
    }
}

/// A worker's loop: answer jobs until the queue is closed.
fn work(gateway: &Gateway, jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(Job { body, reply }) = job else {
            return;
        };
        // The core never panics on input; if it ever did, this request goes unanswered (its
        // connection is closed) and the thread lives on for the next one.
        let answer = catch_unwind(AssertUnwindSafe(|| {
            gateway.answer(&body, UnixMillis::now())
        }));
        match answer {
            Ok(answer) => {
                // The connection may have gone meanwhile; nothing to do then.
                let _ = reply.send(answer);
            }
            Err(_) => tracing::error!("the gateway panicked while answering a request"),
        }
    }
}
