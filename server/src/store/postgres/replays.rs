//! [`ReplayStore`] on PostgreSQL: the `granted_sign_ins` table. A claim is an `INSERT ... ON
//! CONFLICT DO NOTHING`, durable when it returns: of two gateways claiming one message 1 at
//! once, the second waits for the first's commit and then inserts nothing, so a replay sent to
//! the other gateway is recognised. There is no batch in memory (the trait's defaults for
//! `granted_sign_ins_claimed` and `commit_granted_sign_ins` say every claim is durable):
//! PostgreSQL flushes the WAL of concurrent commits together, its own group commit.

use super::PostgresStore;
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::store::ReplayStore;
use crate::time::UnixMillis;

impl ReplayStore for PostgresStore {
    fn remember_granted_sign_in(
        &self,
        message_1: &KeyedHash,
        now: UnixMillis,
    ) -> Result<bool, Error> {
        // Of two gateways inserting one message 1 at once, the second waits for the first's
        // commit and then inserts nothing.
        let inserted = self.with(|db| {
            db.execute(
                "INSERT INTO granted_sign_ins (message_1, at) VALUES ($1, $2) \
                 ON CONFLICT (message_1) DO NOTHING",
                &[&&message_1[..], &now.to_sql()],
            )
        })?;
        Ok(inserted == 1)
    }

    fn granted_sign_in_known(&self, message_1: &KeyedHash) -> Result<bool, Error> {
        self.with(|db| {
            db.value(
                "SELECT EXISTS (SELECT 1 FROM granted_sign_ins WHERE message_1 = $1)",
                &[&&message_1[..]],
            )
        })
    }

    fn forget_granted_sign_ins_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        self.with(|db| {
            db.execute(
                "DELETE FROM granted_sign_ins WHERE at < $1",
                &[&cutoff.to_sql()],
            )
        })
    }
}
