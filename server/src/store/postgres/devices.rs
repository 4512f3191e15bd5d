//! [`DeviceStore`] on PostgreSQL: the `known_devices` table. A sign-in is recorded by one upsert
//! whose condition is `KnownDevice::seen_within`, with its line of activity in the same
//! transaction.

use std::time::Duration;

use padlock_protocol::PublicKey;
use postgres::Row;

use super::{Isolation, PostgresStore, key_from, millis, rows, security};
use crate::error::Error;
use crate::store::security::ActivityKind;
use crate::store::tokens::STATE_ACTIVE;
use crate::store::{DeviceStore, KnownDevice};
use crate::time::UnixMillis;

const KNOWN_DEVICE: &str =
    "SELECT device_key, description, first_seen, last_seen FROM known_devices";

fn known_device_row(row: &Row) -> Result<KnownDevice, Error> {
    Ok(KnownDevice {
        device_key: key_from(row.try_get(0)?)?,
        description: row.try_get(1)?,
        first_seen: millis(row, 2)?,
        last_seen: millis(row, 3)?,
    })
}

impl DeviceStore for PostgresStore {
    fn known_device(
        &self,
        account_id: i64,
        device_key: &PublicKey,
    ) -> Result<Option<KnownDevice>, Error> {
        self.with(|db| {
            db.query_opt(
                &format!("{KNOWN_DEVICE} WHERE account_id = $1 AND device_key = $2"),
                &[&account_id, &&device_key.0[..]],
            )?
            .as_ref()
            .map(known_device_row)
            .transpose()
        })
    }

    fn known_devices(&self, account_id: i64) -> Result<Vec<KnownDevice>, Error> {
        self.with(|db| {
            rows(
                db.query(
                    &format!(
                        "{KNOWN_DEVICE} WHERE account_id = $1 ORDER BY first_seen, device_key"
                    ),
                    &[&account_id],
                )?,
                known_device_row,
            )
        })
    }

    fn device_signed_in(
        &self,
        account_id: i64,
        device_key: &PublicKey,
        description: &str,
        now: UnixMillis,
        resolution: Duration,
    ) -> Result<(), Error> {
        let resolution = i64::try_from(resolution.as_millis()).unwrap_or(i64::MAX);
        self.transaction(Isolation::Serializable, |db| {
            // `KnownDevice::seen_within` in SQL, so that two sign-ins racing each other record
            // one.
            let recorded = db.execute(
                "INSERT INTO known_devices (account_id, device_key, description, first_seen, \
                 last_seen) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (account_id, device_key) \
                 DO UPDATE SET description = $3, \
                 last_seen = GREATEST(known_devices.last_seen, $4) \
                 WHERE known_devices.description IS DISTINCT FROM $3 \
                 OR $4 - known_devices.last_seen >= $5",
                &[
                    &account_id,
                    &&device_key.0[..],
                    &description,
                    &now.to_sql(),
                    &resolution,
                ],
            )?;
            if recorded > 0 {
                security::insert_activity(
                    db,
                    account_id,
                    ActivityKind::DeviceSignIn,
                    description,
                    now,
                )?;
            }
            Ok(())
        })
    }

    fn forget_known_devices_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        self.with(|db| {
            db.execute(
                &format!(
                    "DELETE FROM known_devices WHERE last_seen < $1 AND NOT EXISTS (SELECT 1 FROM \
                     tokens WHERE tokens.account_id = known_devices.account_id AND \
                     tokens.device_key = known_devices.device_key AND state = {STATE_ACTIVE})"
                ),
                &[&cutoff.to_sql()],
            )
        })
    }
}
