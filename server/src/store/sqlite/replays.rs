//! [`ReplayStore`] on SQLite: the `granted_sign_ins` table, with group commit.
//!
//! A claim is an `INSERT` committed at once but not synced (see
//! [`SqliteStore::write_unsynced`]): its row is there for every connection and every process
//! on the file as soon as the claim returns, so of two gateways claiming one message 1 only
//! one succeeds. [`ReplayStore::commit_granted_sign_ins`] then makes every claim so far durable
//! with one synced transaction (it bumps `grant_batches`: the fsync of the WAL covers the claims
//! appended before it, whichever process appended them). The listener runs one committer that
//! takes whatever accumulated during the previous sync, so a busy gateway pays one fsync per
//! batch rather than one per sign-in. Dropping the store commits what is left.

use std::sync::MutexGuard;

use rusqlite::params;

use super::{SqliteStore, write_transaction};
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::store::ReplayStore;
use crate::time::UnixMillis;

/// How far this store's claims are numbered and durable.
#[derive(Default)]
pub(super) struct GrantLog {
    /// Claims made since the store was opened (numbered under the writer's lock, so a claim
    /// numbered `n` is in the database before any transaction that reads `claimed >= n`).
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

    /// How many synced batches of claims the database has had, from any process.
    #[cfg(test)]
    pub(super) fn grant_batches(&self) -> Result<i64, Error> {
        Ok(super::take(&self.writer)
            .query_row("SELECT batches FROM grant_batches", [], |r| r.get(0))?)
    }
}

impl ReplayStore for SqliteStore {
    fn remember_granted_sign_in(
        &self,
        message_1: &KeyedHash,
        now: UnixMillis,
    ) -> Result<bool, Error> {
        self.write_unsynced(|tx| {
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO granted_sign_ins (message_1, at) VALUES (?1, ?2) \
                     ON CONFLICT (message_1) DO NOTHING",
                )?
                .execute(params![message_1, now.to_sql()])?;
            if inserted == 0 {
                return Ok(false);
            }
            self.lock_grants().claimed += 1;
            Ok(true)
        })
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
        {
            let log = self.lock_grants();
            if log.durable == log.claimed {
                // Every claim this store made so far (the caller's among them) is durable.
                return Ok(log.durable);
            }
        }
        let connection = self.lock()?;
        // Read under the writer's lock: every claim numbered up to here is in the WAL.
        let upto = self.lock_grants().claimed;
        let tx = write_transaction(&connection)?;
        tx.prepare_cached("UPDATE grant_batches SET batches = batches + 1")?
            .execute([])?;
        tx.commit()?;
        drop(connection);
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
