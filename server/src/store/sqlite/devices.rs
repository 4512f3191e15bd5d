//! [`DeviceStore`] on SQLite: the `known_devices` table. A recorded sign-in adds its line of
//! activity ([`super::web`]) in the same transaction.

use padlock_protocol::PublicKey;
use rusqlite::{Row, params};

use super::{SqliteStore, web, write_transaction};
use crate::error::Error;
use crate::store::security::ActivityKind;
use crate::store::tokens::STATE_ACTIVE;
use crate::store::{DeviceStore, KnownDevice};
use crate::time::UnixMillis;

/// The columns [`known_device_row`] reads.
const KNOWN_DEVICE: &str =
    "SELECT device_key, description, first_seen, last_seen FROM known_devices";

fn known_device_row(row: &Row<'_>) -> rusqlite::Result<KnownDevice> {
    Ok(KnownDevice {
        device_key: PublicKey(row.get(0)?),
        description: row.get(1)?,
        first_seen: UnixMillis::from_sql(row.get(2)?),
        last_seen: UnixMillis::from_sql(row.get(3)?),
    })
}

impl DeviceStore for SqliteStore {
    fn known_device(
        &self,
        account_id: i64,
        device_key: &PublicKey,
    ) -> Result<Option<KnownDevice>, Error> {
        self.read_one(
            &format!("{KNOWN_DEVICE} WHERE account_id = ?1 AND device_key = ?2"),
            params![account_id, device_key.0],
            known_device_row,
        )
    }

    fn known_devices(&self, account_id: i64) -> Result<Vec<KnownDevice>, Error> {
        self.read_all(
            &format!("{KNOWN_DEVICE} WHERE account_id = ?1 ORDER BY first_seen, device_key"),
            [account_id],
            known_device_row,
        )
    }

    fn device_signed_in(
        &self,
        account_id: i64,
        device_key: &PublicKey,
        description: &str,
        now: UnixMillis,
        resolution: std::time::Duration,
    ) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        // `KnownDevice::seen_within` in SQL, so that two sign-ins racing each other record one.
        let recorded = tx
            .prepare_cached(
                "INSERT INTO known_devices (account_id, device_key, description, first_seen, \
                 last_seen) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (account_id, device_key) \
                 DO UPDATE SET description = ?3, last_seen = max(last_seen, ?4) \
                 WHERE description IS NOT ?3 OR ?4 - last_seen >= ?5",
            )?
            .execute(params![
                account_id,
                device_key.0,
                description,
                now.to_sql(),
                i64::try_from(resolution.as_millis()).unwrap_or(i64::MAX),
            ])?;
        if recorded > 0 {
            web::insert_activity(
                &tx,
                account_id,
                ActivityKind::DeviceSignIn,
                description,
                now,
            )?;
        }
        Ok(tx.commit()?)
    }

    fn forget_known_devices_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        let connection = self.lock()?;
        Ok(connection
            .prepare_cached(&format!(
                "DELETE FROM known_devices WHERE last_seen < ?1 AND NOT EXISTS (SELECT 1 FROM \
                 tokens WHERE tokens.account_id = known_devices.account_id AND \
                 tokens.device_key = known_devices.device_key AND state = {STATE_ACTIVE})"
            ))?
            .execute([cutoff.to_sql()])?)
    }
}
