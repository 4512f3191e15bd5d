//! [`ThrottleStore`] on PostgreSQL: the `throttle` table, one counter row per subject, and the
//! attempts in flight (`attempts`), shared by every gateway on the database.
//!
//! - A failure is an upsert that adds one on the newest version of the row (READ COMMITTED:
//!   guesses racing at one account queue on its row, none is lost and none aborts).
//! - An attempt in flight is one row per subject in `attempts`, with its lease.
//! - Beginning an attempt reads each subject's counters and attempts in flight, asks the caller
//!   whether to admit, and counts the attempt, with no other attempt on those subjects beginning
//!   in between, whichever gateway begins it. A row lock cannot guard it (a subject's first
//!   attempt has no row to lock) and SERIALIZABLE would abort most of a burst of guesses at one
//!   account (each one's count conflicts with every other's insert), exactly when the throttle
//!   matters. So it runs at READ COMMITTED under one transaction-scoped advisory lock per subject
//!   ([`subject_lock`]), taken in one order: attempts on the same subjects queue for a moment,
//!   and each sees, in its next statement, the attempts counted before it. Attempts are
//!   written unsynced ([`PostgresStore::unsynced`]): a lease ends them anyway.

use postgres::{GenericClient, Row};
use sha2::{Digest, Sha256};

use super::{Db, Isolation, PostgresStore, millis};
use crate::error::Error;
use crate::store::{AttemptId, SubjectCount, ThrottleRecord, ThrottleStore};
use crate::time::UnixMillis;

fn throttle_row(row: &Row) -> Result<ThrottleRecord, Error> {
    Ok(ThrottleRecord {
        failures: u32::try_from(row.try_get::<_, i32>(0)?).unwrap_or(0),
        last_failure: millis(row, 1)?,
    })
}

/// The advisory lock key of a throttling subject: the first 8 bytes of its SHA-256. Two
/// subjects sharing a key (one pair in 2^64) only wait for each other.
fn subject_lock(subject: &[u8]) -> i64 {
    let digest = Sha256::digest(subject);
    let mut first = [0u8; 8];
    first.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    i64::from_be_bytes(first)
}

/// `subjects` without repeats, in one order for every gateway (so that two transactions taking
/// the same rows or locks never deadlock).
fn ordered<'a>(subjects: &[&'a [u8]]) -> Vec<&'a [u8]> {
    let mut ordered = subjects.to_vec();
    ordered.sort_unstable();
    ordered.dedup();
    ordered
}

/// The counters of `subject` and its attempts in flight.
fn subject_count(
    db: &mut Db<'_, impl GenericClient>,
    subject: &[u8],
) -> Result<SubjectCount, Error> {
    let record = db
        .query_opt(
            "SELECT failures, last_failure FROM throttle WHERE subject = $1",
            &[&subject],
        )?
        .as_ref()
        .map(throttle_row)
        .transpose()?;
    let in_flight: i64 = db.value(
        "SELECT count(*) FROM attempts WHERE subject = $1",
        &[&subject],
    )?;
    Ok(SubjectCount {
        record,
        in_flight: u32::try_from(in_flight).unwrap_or(u32::MAX),
    })
}

impl ThrottleStore for PostgresStore {
    fn throttle(&self, subject: &[u8]) -> Result<Option<ThrottleRecord>, Error> {
        self.with(|db| {
            db.query_opt(
                "SELECT failures, last_failure FROM throttle WHERE subject = $1",
                &[&subject],
            )?
            .as_ref()
            .map(throttle_row)
            .transpose()
        })
    }

    fn record_failure(
        &self,
        subjects: &[&[u8]],
        now: UnixMillis,
        forget_before: UnixMillis,
    ) -> Result<(), Error> {
        let ordered = ordered(subjects);
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

    fn begin_attempt(
        &self,
        subjects: &[&[u8]],
        now: UnixMillis,
        lease_until: UnixMillis,
        admit: &mut dyn FnMut(&[SubjectCount]) -> bool,
    ) -> Result<Option<AttemptId>, Error> {
        let locked = ordered(subjects);
        self.unsynced(|db| {
            for subject in &locked {
                db.query(
                    "SELECT pg_advisory_xact_lock($1)",
                    &[&subject_lock(subject)],
                )?;
            }
            // The attempts of a gateway that crashed stop counting when their lease runs out.
            db.execute(
                "DELETE FROM attempts WHERE lease_until <= $1",
                &[&now.to_sql()],
            )?;
            let mut counts = Vec::with_capacity(subjects.len());
            for subject in subjects {
                db.execute(
                    "UPDATE throttle SET last_failure = $2 WHERE subject = $1 AND last_failure > $2",
                    &[subject, &now.to_sql()],
                )?;
                counts.push(subject_count(db, subject)?);
            }
            if !admit(&counts) {
                return Ok(None);
            }
            let attempt: i64 = db.value("SELECT nextval('attempt_ids')", &[])?;
            for subject in &locked {
                db.execute(
                    "INSERT INTO attempts (subject, attempt, lease_until) VALUES ($1, $2, $3)",
                    &[subject, &attempt, &lease_until.to_sql()],
                )?;
            }
            Ok(Some(AttemptId(attempt)))
        })
    }

    fn end_attempt(&self, attempt: AttemptId) -> Result<(), Error> {
        self.unsynced(|db| db.execute("DELETE FROM attempts WHERE attempt = $1", &[&attempt.0]))?;
        Ok(())
    }
}
