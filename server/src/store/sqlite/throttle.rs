//! [`ThrottleStore`] on SQLite: the `throttle` table, one row per subject, and the attempts in
//! flight (`attempts`, one row per attempt with its lease, and `attempt_subjects`), written
//! unsynced: they begin and end with every password check, and may be lost with the machine.

use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, write_transaction};
use crate::error::Error;
use crate::store::{AttemptId, SubjectCount, ThrottleRecord, ThrottleStore};
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

    fn begin_attempt(
        &self,
        subjects: &[&[u8]],
        now: UnixMillis,
        lease_until: UnixMillis,
        admit: &mut dyn FnMut(&[SubjectCount]) -> bool,
    ) -> Result<Option<AttemptId>, Error> {
        self.write_unsynced(|tx| {
            // The attempts of a gateway that crashed stop counting when their lease runs out.
            tx.prepare_cached("DELETE FROM attempts WHERE lease_until <= ?1")?
                .execute([now.to_sql()])?;
            let mut counts = Vec::with_capacity(subjects.len());
            for subject in subjects {
                tx.prepare_cached(
                    "UPDATE throttle SET last_failure = ?2 WHERE subject = ?1 AND last_failure > ?2",
                )?
                .execute(params![subject, now.to_sql()])?;
                let record = tx
                    .prepare_cached(
                        "SELECT failures, last_failure FROM throttle WHERE subject = ?1",
                    )?
                    .query_row([subject], throttle_row)
                    .optional()?;
                let in_flight: u32 = tx
                    .prepare_cached("SELECT count(*) FROM attempt_subjects WHERE subject = ?1")?
                    .query_row([subject], |r| r.get(0))?;
                counts.push(SubjectCount { record, in_flight });
            }
            if !admit(&counts) {
                return Ok(None);
            }
            tx.prepare_cached("INSERT INTO attempts (lease_until) VALUES (?1)")?
                .execute([lease_until.to_sql()])?;
            let attempt = tx.last_insert_rowid();
            for subject in subjects {
                tx.prepare_cached(
                    "INSERT INTO attempt_subjects (subject, attempt) VALUES (?1, ?2) \
                     ON CONFLICT DO NOTHING",
                )?
                .execute(params![subject, attempt])?;
            }
            Ok(Some(AttemptId(attempt)))
        })
    }

    fn end_attempt(&self, attempt: AttemptId) -> Result<(), Error> {
        self.write_unsynced(|tx| {
            // Its subjects go with it (ON DELETE CASCADE).
            tx.prepare_cached("DELETE FROM attempts WHERE id = ?1")?
                .execute([attempt.0])?;
            Ok(())
        })
    }
}
