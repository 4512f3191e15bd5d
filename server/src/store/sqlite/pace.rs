//! [`PaceStore`] on SQLite: the `pace` table, one row per budget being refilled, written
//! unsynced (a budget lost with the machine is a budget refilled, as at any restart).

use std::time::Duration;

use rusqlite::params;

use super::SqliteStore;
use crate::error::Error;
use crate::store::PaceStore;
use crate::time::UnixMillis;

impl PaceStore for SqliteStore {
    fn pace_full_at(&self, subject: &[u8]) -> Result<Option<UnixMillis>, Error> {
        self.read_one(
            "SELECT full_at FROM pace WHERE subject = ?1",
            [subject],
            |row| Ok(UnixMillis::from_sql(row.get(0)?)),
        )
    }

    fn spend_pace(&self, subject: &[u8], now: UnixMillis, every: Duration) -> Result<(), Error> {
        let every = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
        self.write_unsynced(|tx| {
            tx.prepare_cached(
                "INSERT INTO pace (subject, full_at) VALUES (?1, ?2 + ?3) ON CONFLICT (subject) \
                 DO UPDATE SET full_at = max(full_at, ?2) + ?3",
            )?
            .execute(params![subject, now.to_sql(), every])?;
            Ok(())
        })
    }

    fn forget_paces_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        self.write_unsynced(|tx| {
            Ok(tx
                .prepare_cached("DELETE FROM pace WHERE full_at < ?1")?
                .execute([cutoff.to_sql()])?)
        })
    }
}
