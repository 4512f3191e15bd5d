//! The write-ahead log of a file database, as the group commit of claims ([`super::replays`])
//! handles it: synced and checkpointed by the committer, off the writer's lock.
//!
//! - **Sync.** A committed transaction's pages are written to the log before its commit returns;
//!   SQLite itself syncs the log at a synced commit or before a checkpoint, and syncs the
//!   database file after a checkpoint, before the log is reused. So an fsync of the log file
//!   makes every transaction committed before it durable, whichever process committed it. The
//!   committer does that itself rather than through a synced transaction, so that the sync does
//!   not hold the write lock: claims, attempts and budgets keep committing during it.
//! - **Checkpoint.** Every unsynced write appends a page or two to the log; left to the writer,
//!   SQLite's automatic checkpoint (two syncs and a copy of the log into the database) would run
//!   inside a sign-in's commit, under the write lock, every few hundred sign-ins. The committer
//!   runs a passive checkpoint on a connection of its own every [`CHECKPOINT_EVERY`] unsynced
//!   writes instead (a passive checkpoint does not stop writers); the writer's automatic one
//!   stays, further out ([`AUTOCHECKPOINT_PAGES`]), for a process that makes no group commits.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, OpenFlags};

use super::{BUSY_TIMEOUT, take};
use crate::error::Error;

/// Unsynced writes between two of the committer's checkpoints (at a few pages each, about the
/// thousand pages SQLite checkpoints at by default).
const CHECKPOINT_EVERY: u64 = 256;

/// The writer's own automatic checkpoint, in log pages: a safety net.
pub(super) const AUTOCHECKPOINT_PAGES: u32 = 8192;

/// A file database's write-ahead log.
pub(super) struct Log {
    path: PathBuf,
    checkpointer: Mutex<Connection>,
    /// The count of unsynced writes at the last checkpoint.
    checkpointed_at: AtomicU64,
}

impl Log {
    /// The log of the database at `database`, with a connection for checkpoints.
    pub(super) fn open(database: &Path) -> Result<Self, Error> {
        let checkpointer = Connection::open_with_flags(
            database,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )?;
        checkpointer.busy_timeout(BUSY_TIMEOUT)?;
        let mut path = database.as_os_str().to_owned();
        path.push("-wal");
        Ok(Self {
            path: path.into(),
            checkpointer: Mutex::new(checkpointer),
            checkpointed_at: AtomicU64::new(0),
        })
    }

    /// Makes every transaction committed so far durable. A log that is gone was checkpointed
    /// into the database file, which the checkpoint synced.
    pub(super) fn sync(&self) -> Result<(), Error> {
        let file = match crate::files::open_private(&self.path) {
            Ok(file) => file,
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        file.sync_data().map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Checkpoints the log (passively) if `unsynced_writes` grew by [`CHECKPOINT_EVERY`] since
    /// the last time. A failure is logged and left to the next time: the log only grows.
    pub(super) fn checkpoint_now_and_then(&self, unsynced_writes: u64) {
        let last = self.checkpointed_at.load(Ordering::Relaxed);
        if unsynced_writes.saturating_sub(last) < CHECKPOINT_EVERY {
            return;
        }
        self.checkpointed_at
            .store(unsynced_writes, Ordering::Relaxed);
        let result =
            take(&self.checkpointer).query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        if let Err(error) = result {
            tracing::warn!(%error, "log checkpoint failed; the next one will try again");
        }
    }
}
