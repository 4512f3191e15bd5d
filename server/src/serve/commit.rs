//! Group commit for the listener: one thread syncs the replay records of granted sign-ins, and
//! the replies waiting on them leave when their record is durable.
//!
//! A `Granted` must not leave before the record that recognises its replay is on disk
//! (`docs/protocol.md` section 10), or a crash right after the reply would let the recording
//! sign in again. An fsync per grant would cap sign-ins at the disk's sync rate, so the answer
//! threads only claim records in memory ([`crate::Store::remember_granted_sign_in`]), and this
//! thread writes whatever has accumulated in one transaction with one sync
//! ([`Gateway::commit_grants`]), then publishes how far records are durable. While it syncs,
//! the next batch gathers; a reply waits at most about two syncs, and no answer thread waits at
//! all.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::time::Duration;

use tokio::sync::watch;

use crate::Gateway;

/// How long the committer waits before trying again after the store failed to write.
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(100);

/// The listener's handle on its commit thread. The thread commits once more and ends when the
/// handle is dropped.
pub(crate) struct Committer {
    wake: Sender<()>,
    durable: watch::Receiver<u64>,
}

impl Committer {
    /// Starts the commit thread for `gateway`.
    pub(crate) fn start(gateway: Arc<Gateway>) -> Committer {
        let (wake, woken) = channel();
        let (published, durable) = watch::channel(0);
        let started = std::thread::Builder::new()
            .name("padlock-commit".into())
            .spawn(move || commit(&gateway, &woken, &published));
        if let Err(e) = started {
            tracing::error!(error = %e, "cannot start the commit thread; grants will go unanswered");
        }
        Committer { wake, durable }
    }

    /// Waits until replay records up to `hold_for` are durable; `false` if the commit thread
    /// is gone. The caller bounds the wait with its own deadline.
    pub(crate) async fn durable(&self, hold_for: u64) -> bool {
        let mut durable = self.durable.clone();
        if *durable.borrow() >= hold_for {
            return true;
        }
        if self.wake.send(()).is_err() {
            return false;
        }
        durable.wait_for(|d| *d >= hold_for).await.is_ok()
    }
}

/// The commit thread: a batch per wake-up (wake-ups that arrived meanwhile are folded in),
/// retried after a failure while anyone waits; a last one when the listener is gone.
fn commit(gateway: &Gateway, woken: &Receiver<()>, published: &watch::Sender<u64>) {
    let mut retry = false;
    loop {
        if !retry && woken.recv().is_err() {
            break;
        }
        loop {
            match woken.try_recv() {
                Ok(()) => {}
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => break,
            }
        }
        match gateway.commit_grants() {
            Ok(durable) => {
                published.send_replace(durable);
                retry = false;
            }
            Err(error) => {
                tracing::error!(%error, "cannot record granted sign-ins; their replies wait");
                std::thread::sleep(RETRY_AFTER_FAILURE);
                retry = published.receiver_count() > 1;
            }
        }
    }
    if let Err(error) = gateway.commit_grants() {
        tracing::error!(%error, "granted sign-ins not recorded at shutdown");
    }
}
