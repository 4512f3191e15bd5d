//! [`AppPasswordStore`] on PostgreSQL: the `app_passwords` table. Revoking one revokes its
//! tokens in the same SERIALIZABLE transaction, so a rotation or a sign-in racing the revocation
//! either sees the app password gone or is seen by the revocation.

use postgres::Row;

use super::{Isolation, PostgresStore, always_inserted, hash_from, millis, optional_millis, rows};
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::store::tokens::STATE_REVOKED;
use crate::store::{AppPasswordRecord, AppPasswordStore};
use crate::time::UnixMillis;

const APP_PASSWORD_COLUMNS: &str = "id, account_id, name, created, last_used, last_device";

fn app_password_row(row: &Row) -> Result<AppPasswordRecord, Error> {
    Ok(AppPasswordRecord {
        id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        name: row.try_get(2)?,
        created: millis(row, 3)?,
        last_used: optional_millis(row, 4)?,
        last_device: row.try_get(5)?,
    })
}

impl AppPasswordStore for PostgresStore {
    fn insert_app_password(
        &self,
        account_id: i64,
        name: &str,
        hash: &KeyedHash,
        now: UnixMillis,
    ) -> Result<i64, Error> {
        self.with(|db| {
            always_inserted(db.inserted_id(
                "INSERT INTO app_passwords (account_id, name, hash, created) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[&account_id, &name, &&hash[..], &now.to_sql()],
            )?)
        })
    }

    fn app_password_by_hash(
        &self,
        account_id: i64,
        hash: &KeyedHash,
    ) -> Result<Option<(AppPasswordRecord, KeyedHash)>, Error> {
        self.with(|db| {
            db.query_opt(
                &format!(
                    "SELECT {APP_PASSWORD_COLUMNS}, hash FROM app_passwords \
                     WHERE account_id = $1 AND hash = $2"
                ),
                &[&account_id, &&hash[..]],
            )?
            .map(|row| Ok((app_password_row(&row)?, hash_from(row.try_get(6)?)?)))
            .transpose()
        })
    }

    fn touch_app_password(&self, id: i64, now: UnixMillis, device: &str) -> Result<(), Error> {
        self.with(|db| {
            db.execute(
                "UPDATE app_passwords SET last_used = $2, last_device = $3 WHERE id = $1",
                &[&id, &now.to_sql(), &device],
            )
        })?;
        Ok(())
    }

    fn app_passwords(&self, account_id: i64) -> Result<Vec<AppPasswordRecord>, Error> {
        self.with(|db| {
            rows(
                db.query(
                    &format!(
                        "SELECT {APP_PASSWORD_COLUMNS} FROM app_passwords WHERE account_id = $1 \
                         ORDER BY id"
                    ),
                    &[&account_id],
                )?,
                app_password_row,
            )
        })
    }

    fn revoke_app_password(&self, account_id: i64, id: i64) -> Result<bool, Error> {
        self.transaction(Isolation::Serializable, |db| {
            let deleted = db.execute(
                "DELETE FROM app_passwords WHERE account_id = $1 AND id = $2",
                &[&account_id, &id],
            )?;
            if deleted == 0 {
                // Not this account's: touch no token.
                return Ok(false);
            }
            db.execute(
                &format!(
                    "UPDATE tokens SET state = {STATE_REVOKED} WHERE account_id = $1 \
                     AND app_password_id = $2 AND state != {STATE_REVOKED}"
                ),
                &[&account_id, &id],
            )?;
            Ok(true)
        })
    }

    fn revoke_all_app_passwords(&self, account_id: i64) -> Result<usize, Error> {
        self.transaction(Isolation::Serializable, |db| {
            db.execute(
                &format!(
                    "UPDATE tokens SET state = {STATE_REVOKED} WHERE account_id = $1 \
                     AND app_password_id IS NOT NULL AND state != {STATE_REVOKED}"
                ),
                &[&account_id],
            )?;
            db.execute(
                "DELETE FROM app_passwords WHERE account_id = $1",
                &[&account_id],
            )
        })
    }
}
