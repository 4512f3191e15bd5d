//! [`PaceStore`] on PostgreSQL: the `pace` table, one row per device key and kind of success,
//! shared by every gateway on the database so that a device cannot multiply its budget by the
//! number of gateways. Spending is one upsert, atomic at READ COMMITTED: two gateways spending
//! at once queue on the row, and the second adds its interval to the first's result. Written
//! unsynced ([`PostgresStore::unsynced`], as the SQLite store does): a PostgreSQL crash may
//! forget the last fraction of a second of spending, which only lets a device succeed a little
//! sooner once.

use std::time::Duration;

use super::{PostgresStore, millis};
use crate::error::Error;
use crate::store::PaceStore;
use crate::time::UnixMillis;

impl PaceStore for PostgresStore {
    fn pace_full_at(&self, subject: &[u8]) -> Result<Option<UnixMillis>, Error> {
        self.with(|db| {
            db.query_opt("SELECT full_at FROM pace WHERE subject = $1", &[&subject])?
                .map(|row| millis(&row, 0))
                .transpose()
        })
    }

    fn spend_pace(&self, subject: &[u8], now: UnixMillis, every: Duration) -> Result<(), Error> {
        let every = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
        self.unsynced(|db| {
            db.execute(
                "INSERT INTO pace (subject, full_at) VALUES ($1, $2::bigint + $3::bigint) ON CONFLICT (subject) \
                 DO UPDATE SET full_at = GREATEST(pace.full_at, $2) + $3",
                &[&subject, &now.to_sql(), &every],
            )
        })?;
        Ok(())
    }

    fn forget_paces_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        self.unsynced(|db| db.execute("DELETE FROM pace WHERE full_at < $1", &[&cutoff.to_sql()]))
    }
}
