//! [`ThrottleStore`] on PostgreSQL: the `throttle` table, one counter row per subject, shared by
//! every gateway on the database. A failure is an upsert that adds one on the newest version of
//! the row (READ COMMITTED: guesses racing at one account queue on its row, none is lost and
//! none aborts).

use super::{Isolation, PostgresStore, millis};
use crate::error::Error;
use crate::store::{ThrottleRecord, ThrottleStore};
use crate::time::UnixMillis;

impl ThrottleStore for PostgresStore {
    fn throttle(&self, subject: &[u8]) -> Result<Option<ThrottleRecord>, Error> {
        self.with(|db| {
            db.query_opt(
                "SELECT failures, last_failure FROM throttle WHERE subject = $1",
                &[&subject],
            )?
            .map(|row| {
                Ok(ThrottleRecord {
                    failures: u32::try_from(row.try_get::<_, i32>(0)?).unwrap_or(0),
                    last_failure: millis(&row, 1)?,
                })
            })
            .transpose()
        })
    }

    fn record_failure(
        &self,
        subjects: &[&[u8]],
        now: UnixMillis,
        forget_before: UnixMillis,
    ) -> Result<(), Error> {
        // One order for every gateway: two transactions taking the same rows never deadlock.
        let mut ordered = subjects.to_vec();
        ordered.sort_unstable();
        ordered.dedup();
        self.transaction(Isolation::ReadCommitted, |db| {
            for subject in &ordered {
                // A counter idle since before `forget_before` is forgotten: this failure is its
                // first.
                db.execute(
                    "INSERT INTO throttle (subject, failures, last_failure) VALUES ($1, 1, $2) \
                     ON CONFLICT (subject) DO UPDATE SET failures = CASE WHEN \
                     throttle.last_failure < $3 THEN 1 ELSE throttle.failures + 1 END, \
                     last_failure = $2",
                    &[subject, &now.to_sql(), &forget_before.to_sql()],
                )?;
            }
            Ok(())
        })
    }

    fn rebase_throttle(&self, subject: &[u8], now: UnixMillis) -> Result<(), Error> {
        self.with(|db| {
            db.execute(
                "UPDATE throttle SET last_failure = $2 WHERE subject = $1 AND last_failure > $2",
                &[&subject, &now.to_sql()],
            )
        })?;
        Ok(())
    }

    fn clear_throttle(&self, subject: &[u8]) -> Result<(), Error> {
        self.with(|db| db.execute("DELETE FROM throttle WHERE subject = $1", &[&subject]))?;
        Ok(())
    }

    fn forget_throttle_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        self.with(|db| {
            db.execute(
                "DELETE FROM throttle WHERE last_failure < $1",
                &[&cutoff.to_sql()],
            )
        })
    }

    fn clear_throttle_prefix(&self, prefix: &[u8]) -> Result<usize, Error> {
        self.with(|db| {
            db.execute(
                "DELETE FROM throttle WHERE substring(subject FROM 1 FOR length($1::bytea)) = $1",
                &[&prefix],
            )
        })
    }
}
