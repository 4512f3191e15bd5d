//! Group commit for the listener: one thread syncs the replay records of granted sign-ins, and
//! the replies waiting on them leave when their record is durable.
//!
//! A `Granted` must not leave before the record that recognises its replay is on disk
//! (`docs/protocol.md` section 10), or a crash right after the reply would let the recording
//! sign in again. An fsync per grant would cap sign-ins at the disk's sync rate, so the answer
//! threads only claim records, unsynced
//! ([`ReplayStore::remember_granted_sign_in`](crate::store::ReplayStore::remember_granted_sign_in):
//! the claim is in the database for every gateway at once), and this thread makes whatever has
//! accumulated durable with one sync ([`Gateway::commit_grants`]), then publishes how far
//! records are durable. Batches start at most every [`MIN_COMMIT_GAP`]: syncs cost the machine
//! CPU as well as time (on a virtual disk above all), and under load a wider batch serves more
//! replies per sync. A reply waits about one gap and one sync; an answer thread waits for no
//! sync, at most for the store's write lock while one is under way.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::Gateway;

/// The shortest time from the start of one batch to the start of the next.
const MIN_COMMIT_GAP: Duration = Duration::from_millis(10);
/// How long the committer waits before trying again after the store failed to write.
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(100);

/// What the connections ask of the commit thread.
#[derive(Debug, Default)]
struct Requests {
    /// The highest record number a reply waits for.
    wanted: u64,
    /// Records up to this are durable.
    durable: u64,
    /// The thread is waiting for a request (and must be woken for one).
    idle: bool,
    /// The listener is gone: commit once more and end.
    closed: bool,
}

/// What the listener and its commit thread share.
#[derive(Debug, Default)]
struct Shared {
    requests: Mutex<Requests>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Requests> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The listener's handle on its commit thread. The thread commits once more and ends when the
/// handle is dropped.
pub(crate) struct Committer {
    shared: Arc<Shared>,
    durable: watch::Receiver<u64>,
}

impl Committer {
    /// Starts the commit thread for `gateway`.
    pub(crate) fn start(gateway: Arc<Gateway>) -> Committer {
        let shared = Arc::new(Shared::default());
        let (published, durable) = watch::channel(0);
        let thread_shared = Arc::clone(&shared);
        let started = std::thread::Builder::new()
            .name("padlock-commit".into())
            .spawn(move || commit(&gateway, &thread_shared, &published));
        if let Err(e) = started {
            tracing::error!(error = %e, "cannot start the commit thread; grants will go unanswered");
        }
        Committer { shared, durable }
    }

    /// Waits until replay records up to `hold_for` are durable; `false` if the commit thread
    /// is gone. The caller bounds the wait with its own deadline.
    pub(crate) async fn durable(&self, hold_for: u64) -> bool {
        let mut durable = self.durable.clone();
        if *durable.borrow() >= hold_for {
            return true;
        }
        {
            let mut requests = self.shared.lock();
            if hold_for > requests.wanted {
                requests.wanted = hold_for;
                if requests.idle {
                    self.shared.wake.notify_one();
                }
            }
        }
        durable.wait_for(|d| *d >= hold_for).await.is_ok()
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
    }
}

/// The commit thread: a batch whenever a reply waits for a record not yet durable, at most one
/// per [`MIN_COMMIT_GAP`], retried after a failure; a last one when the listener is gone.
fn commit(gateway: &Gateway, shared: &Shared, published: &watch::Sender<u64>) {
    let mut last_start: Option<Instant> = None;
    loop {
        {
            let mut requests = shared.lock();
            while requests.wanted <= requests.durable && !requests.closed {
                requests.idle = true;
                requests = shared
                    .wake
                    .wait(requests)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            requests.idle = false;
            if requests.closed {
                break;
            }
        }
        if let Some(since) = last_start.map(|t| t.elapsed())
            && since < MIN_COMMIT_GAP
        {
            std::thread::sleep(MIN_COMMIT_GAP - since);
        }
        last_start = Some(Instant::now());
        match gateway.commit_grants() {
            Ok(durable) => {
                shared.lock().durable = durable;
                published.send_replace(durable);
            }
            Err(error) => {
                tracing::error!(%error, "cannot record granted sign-ins; their replies wait");
                std::thread::sleep(RETRY_AFTER_FAILURE);
            }
        }
    }
    if let Err(error) = gateway.commit_grants() {
        tracing::error!(%error, "granted sign-ins not recorded at shutdown");
    }
}
