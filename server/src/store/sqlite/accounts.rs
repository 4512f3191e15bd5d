//! [`AccountStore`] on SQLite: the `accounts` table.

use rusqlite::{Row, params};

use super::tokens::revoke_primary_password_tokens;
use super::{SqliteStore, write_transaction};
use crate::error::Error;
use crate::store::{AccountRecord, AccountStore};

fn account_row(row: &Row<'_>) -> rusqlite::Result<AccountRecord> {
    Ok(AccountRecord {
        id: row.get(0)?,
        email: row.get(1)?,
        display_name: row.get(2)?,
        password_hash: row.get(3)?,
        two_step: row.get(4)?,
    })
}

const ACCOUNT_COLUMNS: &str = "id, email, display_name, password_hash, two_step";

impl AccountStore for SqliteStore {
    fn account(&self, email_key: &str) -> Result<Option<AccountRecord>, Error> {
        self.read_one(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email_key = ?1"),
            [email_key],
            account_row,
        )
    }

    fn account_by_id(&self, id: i64) -> Result<Option<AccountRecord>, Error> {
        self.read_one(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
            [id],
            account_row,
        )
    }

    fn accounts(&self) -> Result<Vec<AccountRecord>, Error> {
        self.read_all(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY email_key"),
            [],
            account_row,
        )
    }

    fn insert_account(
        &self,
        email: &str,
        email_key: &str,
        display_name: &str,
        password_hash: &str,
        two_step: bool,
    ) -> Result<i64, Error> {
        let connection = self.lock()?;
        let inserted = connection
            .prepare_cached(
                "INSERT INTO accounts (email, email_key, display_name, password_hash, two_step) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (email_key) DO NOTHING",
            )?
            .execute(params![
                email,
                email_key,
                display_name,
                password_hash,
                two_step
            ])?;
        if inserted == 0 {
            return Err(Error::DuplicateAccount(email.to_owned()));
        }
        Ok(connection.last_insert_rowid())
    }

    fn set_two_step(&self, account_id: i64, on: bool) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        tx.prepare_cached("UPDATE accounts SET two_step = ?2 WHERE id = ?1")?
            .execute(params![account_id, on])?;
        if on {
            revoke_primary_password_tokens(&tx, account_id)?;
        }
        Ok(tx.commit()?)
    }

    fn set_password_hash(&self, account_id: i64, password_hash: &str) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        tx.prepare_cached("UPDATE accounts SET password_hash = ?2 WHERE id = ?1")?
            .execute(params![account_id, password_hash])?;
        revoke_primary_password_tokens(&tx, account_id)?;
        Ok(tx.commit()?)
    }

    fn rehash_password(&self, account_id: i64, old: &str, new: &str) -> Result<bool, Error> {
        let connection = self.lock()?;
        let changed = connection
            .prepare_cached(
                "UPDATE accounts SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2",
            )?
            .execute(params![account_id, old, new])?;
        Ok(changed == 1)
    }
}
