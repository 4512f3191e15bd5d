//! [`ThrottleStore`] on SQLite: the `throttle` table, one row per subject.

use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, write_transaction};
use crate::error::Error;
use crate::store::{ThrottleRecord, ThrottleStore};
use crate::time::UnixMillis;

fn throttle_row(row: &Row<'_>) -> rusqlite::Result<ThrottleRecord> {
    Ok(ThrottleRecord {
        failures: row.get(0)?,
        last_failure: UnixMillis::from_sql(row.get(1)?),
    })
}

impl ThrottleStore for SqliteStore {
    fn throttle(&self, subject: &[u8]) -> Result<Option<ThrottleRecord>, Error> {
        let connection = self.read()?;
        let mut statement = connection
            .prepare_cached("SELECT failures, last_failure FROM throttle WHERE subject = ?1")?;
        Ok(statement.query_row([subject], throttle_row).optional()?)
    }

    fn record_failure(
        &self,
        subjects: &[&[u8]],
        now: UnixMillis,
        forget_before: UnixMillis,
    ) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        for subject in subjects {
            // A counter idle since before `forget_before` is forgotten: this failure is its first.
            tx.prepare_cached(
                "INSERT INTO throttle (subject, failures, last_failure) VALUES (?1, 1, ?2) \
                 ON CONFLICT (subject) DO UPDATE SET failures = CASE WHEN last_failure < ?3 \
                 THEN 1 ELSE failures + 1 END, last_failure = ?2",
            )?
            .execute(params![subject, now.to_sql(), forget_before.to_sql()])?;
        }
        Ok(tx.commit()?)
    }

    fn rebase_throttle(&self, subject: &[u8], now: UnixMillis) -> Result<(), Error> {
        let connection = self.lock()?;
        connection
            .prepare_cached(
                "UPDATE throttle SET last_failure = ?2 WHERE subject = ?1 AND last_failure > ?2",
            )?
            .execute(params![subject, now.to_sql()])?;
        Ok(())
    }

    fn clear_throttle(&self, subject: &[u8]) -> Result<(), Error> {
        let connection = self.lock()?;
        connection
            .prepare_cached("DELETE FROM throttle WHERE subject = ?1")?
            .execute([subject])?;
        Ok(())
    }

    fn forget_throttle_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        let connection = self.lock()?;
        Ok(connection
            .prepare_cached("DELETE FROM throttle WHERE last_failure < ?1")?
            .execute([cutoff.to_sql()])?)
    }

    fn clear_throttle_prefix(&self, prefix: &[u8]) -> Result<usize, Error> {
        let connection = self.lock()?;
        Ok(connection
            .prepare_cached("DELETE FROM throttle WHERE substr(subject, 1, length(?1)) = ?1")?
            .execute([prefix])?)
    }
}
