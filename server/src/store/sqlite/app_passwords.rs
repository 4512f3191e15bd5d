//! [`AppPasswordStore`] on SQLite: the `app_passwords` table. Revoking one revokes its tokens
//! in the same transaction.

use rusqlite::{Row, params};

use super::{SqliteStore, write_transaction};
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::store::tokens::STATE_REVOKED;
use crate::store::{AppPasswordRecord, AppPasswordStore};
use crate::time::UnixMillis;

fn app_password_row(row: &Row<'_>) -> rusqlite::Result<AppPasswordRecord> {
    Ok(AppPasswordRecord {
        id: row.get(0)?,
        account_id: row.get(1)?,
        name: row.get(2)?,
        created: UnixMillis::from_sql(row.get(3)?),
        last_used: row.get::<_, Option<i64>>(4)?.map(UnixMillis::from_sql),
        last_device: row.get(5)?,
    })
}

const APP_PASSWORD_COLUMNS: &str = "id, account_id, name, created, last_used, last_device";

impl AppPasswordStore for SqliteStore {
    fn insert_app_password(
        &self,
        account_id: i64,
        name: &str,
        hash: &KeyedHash,
        now: UnixMillis,
    ) -> Result<i64, Error> {
        let connection = self.lock()?;
        connection
            .prepare_cached(
                "INSERT INTO app_passwords (account_id, name, hash, created) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![account_id, name, hash, now.to_sql()])?;
        Ok(connection.last_insert_rowid())
    }

    fn app_password_by_hash(
        &self,
        account_id: i64,
        hash: &KeyedHash,
    ) -> Result<Option<(AppPasswordRecord, KeyedHash)>, Error> {
        self.read_one(
            &format!(
                "SELECT {APP_PASSWORD_COLUMNS}, hash FROM app_passwords \
                 WHERE account_id = ?1 AND hash = ?2"
            ),
            params![account_id, hash],
            |row| Ok((app_password_row(row)?, row.get::<_, KeyedHash>(6)?)),
        )
    }

    fn touch_app_password(&self, id: i64, now: UnixMillis, device: &str) -> Result<(), Error> {
        let connection = self.lock()?;
        connection
            .prepare_cached(
                "UPDATE app_passwords SET last_used = ?2, last_device = ?3 WHERE id = ?1",
            )?
            .execute(params![id, now.to_sql(), device])?;
        Ok(())
    }

    fn app_passwords(&self, account_id: i64) -> Result<Vec<AppPasswordRecord>, Error> {
        self.read_all(
            &format!(
                "SELECT {APP_PASSWORD_COLUMNS} FROM app_passwords WHERE account_id = ?1 ORDER BY id"
            ),
            [account_id],
            app_password_row,
        )
    }

    fn revoke_app_password(&self, account_id: i64, id: i64) -> Result<bool, Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        let deleted = tx
            .prepare_cached("DELETE FROM app_passwords WHERE account_id = ?1 AND id = ?2")?
            .execute([account_id, id])?;
        if deleted == 0 {
            // Not this account's: touch no token (dropping `tx` rolls back).
            return Ok(false);
        }
        tx.prepare_cached(&format!(
            "UPDATE tokens SET state = {STATE_REVOKED} WHERE account_id = ?1 \
             AND app_password_id = ?2 AND state != {STATE_REVOKED}"
        ))?
        .execute([account_id, id])?;
        tx.commit()?;
        Ok(true)
    }

    fn revoke_all_app_passwords(&self, account_id: i64) -> Result<usize, Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        tx.prepare_cached(&format!(
            "UPDATE tokens SET state = {STATE_REVOKED} WHERE account_id = ?1 \
             AND app_password_id IS NOT NULL AND state != {STATE_REVOKED}"
        ))?
        .execute([account_id])?;
        let deleted = tx
            .prepare_cached("DELETE FROM app_passwords WHERE account_id = ?1")?
            .execute([account_id])?;
        tx.commit()?;
        Ok(deleted)
    }
}
