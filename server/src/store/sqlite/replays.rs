//! [`ReplayStore`] on SQLite: the `granted_sign_ins` table, written by group commit.

use std::collections::HashSet;
use std::sync::MutexGuard;

use rusqlite::params;

use super::{SqliteStore, write_transaction};
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::store::ReplayStore;
use crate::time::UnixMillis;

/// Granted sign-ins being remembered ([`ReplayStore::remember_granted_sign_in`]): group commit. A
/// claim is recognised at once (in memory) and numbered; [`ReplayStore::commit_granted_sign_ins`]
/// writes every claim waiting in one synced transaction. The listener runs one committer that
/// takes whatever accumulated during the previous sync, so a busy gateway pays one fsync per
/// batch rather than one per sign-in, and no reply waits for more than about two syncs.
/// Dropping the store writes what is left.
#[derive(Default)]
pub(super) struct GrantLog {
    /// Claims waiting for the next batch.
    pub(super) pending: Vec<(KeyedHash, UnixMillis)>,
    /// Claims made and not yet written (pending or in the batch being written).
    pub(super) uncommitted: HashSet<KeyedHash>,
    /// Claims made since the store was opened.
    claimed: u64,
    /// Claims (counted like `claimed`) known durable.
    durable: u64,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        let claims = std::mem::take(&mut self.lock_grants().pending);
        if !claims.is_empty()
            && let Err(error) = self.insert_granted_sign_ins(&claims)
        {
            tracing::error!(%error, "granted sign-ins not written at shutdown");
        }
    }
}

impl SqliteStore {
    pub(super) fn lock_grants(&self) -> MutexGuard<'_, GrantLog> {
        self.grants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn granted_sign_in_stored(&self, message_1: &KeyedHash) -> Result<bool, Error> {
        let connection = self.read()?;
        let mut statement = connection.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM granted_sign_ins WHERE message_1 = ?1)",
        )?;
        Ok(statement.query_row([message_1], |r| r.get(0))?)
    }

    /// Writes a batch of claims in one synced transaction: one fsync for the whole batch.
    fn insert_granted_sign_ins(&self, claims: &[(KeyedHash, UnixMillis)]) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        for (message_1, at) in claims {
            tx.prepare_cached(
                "INSERT INTO granted_sign_ins (message_1, at) VALUES (?1, ?2) \
                 ON CONFLICT (message_1) DO NOTHING",
            )?
            .execute(params![message_1, at.to_sql()])?;
        }
        Ok(tx.commit()?)
    }
}

impl ReplayStore for SqliteStore {
    fn remember_granted_sign_in(
        &self,
        message_1: &KeyedHash,
        now: UnixMillis,
    ) -> Result<bool, Error> {
        let mut log = self.lock_grants();
        // Under the log's lock: the check and the claim are one step for this process.
        if log.uncommitted.contains(message_1) || self.granted_sign_in_stored(message_1)? {
            return Ok(false);
        }
        log.uncommitted.insert(*message_1);
        log.pending.push((*message_1, now));
        log.claimed += 1;
        Ok(true)
    }

    fn granted_sign_in_known(&self, message_1: &KeyedHash) -> Result<bool, Error> {
        if self.lock_grants().uncommitted.contains(message_1) {
            return Ok(true);
        }
        self.granted_sign_in_stored(message_1)
    }

    fn granted_sign_ins_claimed(&self) -> u64 {
        self.lock_grants().claimed
    }

    fn commit_granted_sign_ins(&self) -> Result<u64, Error> {
        let _committer = self
            .committing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (claims, upto) = {
            let mut log = self.lock_grants();
            if log.pending.is_empty() {
                return Ok(log.durable);
            }
            (std::mem::take(&mut log.pending), log.claimed)
        };
        let result = self.insert_granted_sign_ins(&claims);
        let mut log = self.lock_grants();
        match result {
            Ok(()) => {
                for (claim, _) in &claims {
                    log.uncommitted.remove(claim);
                }
                log.durable = upto;
                Ok(upto)
            }
            Err(error) => {
                // Still recognised in memory, and written with the next batch.
                log.pending.extend(claims);
                Err(error)
            }
        }
    }

    fn forget_granted_sign_ins_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        let connection = self.lock()?;
        Ok(connection
            .prepare_cached("DELETE FROM granted_sign_ins WHERE at < ?1")?
            .execute([cutoff.to_sql()])?)
    }
}
