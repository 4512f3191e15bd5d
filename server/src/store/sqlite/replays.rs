//! [`ReplayStore`] on SQLite: the `granted_sign_ins` table, with group commit.
//!
//! A claim is an `INSERT` committed at once but not synced (see
//! [`SqliteStore::write_unsynced`]): its row is there for every connection and every process
//! on the file as soon as the claim returns, so of two gateways claiming one message 1 only
//! one succeeds. [`ReplayStore::commit_granted_sign_ins`] then makes every claim so far durable
//! with one fsync of the write-ahead log, the file a committed transaction's pages are written
//! to before its commit returns (SQLite itself syncs it at a synced commit or a checkpoint, and
//! syncs the database file after a checkpoint, before the log is reused). The committer syncs
//! the log file itself rather than through a synced transaction, so that the sync does not hold
//! the write lock: claims, attempts and budgets keep committing during it. The listener runs
//! one committer that takes whatever accumulated during the previous sync, so a busy gateway
//! pays one fsync per batch rather than one per sign-in. Dropping the store syncs what is left.

use std::sync::MutexGuard;

use rusqlite::params;

use super::SqliteStore;
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::store::ReplayStore;
use crate::time::UnixMillis;

/// How far this store's claims are numbered and durable.
#[derive(Default)]
pub(super) struct GrantLog {
    /// Claims made since the store was opened, each counted once its transaction committed:
    /// a sync that starts after reading `claimed >= n` covers claim `n`.
    claimed: u64,
    /// Claims (counted like `claimed`) known durable.
    durable: u64,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Err(error) = self.commit_granted_sign_ins() {
            tracing::error!(%error, "granted sign-ins not synced at shutdown");
        }
    }
}

impl SqliteStore {
    fn lock_grants(&self) -> MutexGuard<'_, GrantLog> {
        self.grants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes every transaction committed so far durable: an fsync of the write-ahead log (see
    /// the module docs). An in-memory database has none, and nothing to make durable; a log
    /// that is gone was checkpointed into the database file, which the checkpoint synced.
    fn sync_log(&self) -> Result<(), Error> {
        let Some(log) = &self.log else {
            return Ok(());
        };
        let file = match crate::files::open_private(log) {
            Ok(file) => file,
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        file.sync_data().map_err(|source| Error::Io {
            path: log.clone(),
            source,
        })
    }
}

impl ReplayStore for SqliteStore {
    fn remember_granted_sign_in(
        &self,
        message_1: &KeyedHash,
        now: UnixMillis,
    ) -> Result<bool, Error> {
        let fresh = self.write_unsynced(|tx| {
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO granted_sign_ins (message_1, at) VALUES (?1, ?2) \
                     ON CONFLICT (message_1) DO NOTHING",
                )?
                .execute(params![message_1, now.to_sql()])?;
            Ok(inserted == 1)
        })?;
        if fresh {
            // Committed: from here a sync covers it.
            self.lock_grants().claimed += 1;
        }
        Ok(fresh)
    }

    fn granted_sign_in_known(&self, message_1: &KeyedHash) -> Result<bool, Error> {
        self.read_one(
            "SELECT 1 FROM granted_sign_ins WHERE message_1 = ?1",
            [message_1],
            |_| Ok(()),
        )
        .map(|row| row.is_some())
    }

    fn granted_sign_ins_claimed(&self) -> u64 {
        self.lock_grants().claimed
    }

    fn commit_granted_sign_ins(&self) -> Result<u64, Error> {
        // One committer at a time: a caller whose claim is in the batch being synced waits
        // here for that sync instead of syncing again.
        let _committer = self
            .committing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let upto = {
            let log = self.lock_grants();
            if log.durable == log.claimed {
                // Every claim this store made so far (the caller's among them) is durable.
                return Ok(log.durable);
            }
            log.claimed
        };
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.sync_log()?;
        let mut log = self.lock_grants();
        log.durable = log.durable.max(upto);
        Ok(log.durable)
    }

    fn forget_granted_sign_ins_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        let connection = self.lock()?;
        Ok(connection
            .prepare_cached("DELETE FROM granted_sign_ins WHERE at < ?1")?
            .execute([cutoff.to_sql()])?)
    }
}
