//! [`AccountStore`] on PostgreSQL: the `accounts` table. Changing the primary password or turning
//! two-step on revokes the tokens the primary password created, in the same SERIALIZABLE
//! transaction.

use postgres::Row;

use super::tokens::revoke_primary_password_tokens;
use super::{Isolation, PostgresStore, rows};
use crate::error::Error;
use crate::store::{AccountRecord, AccountStore};

const ACCOUNT_COLUMNS: &str = "id, email, display_name, password_hash, two_step";

fn account_row(row: &Row) -> Result<AccountRecord, Error> {
    Ok(AccountRecord {
        id: row.try_get(0)?,
        email: row.try_get(1)?,
        display_name: row.try_get(2)?,
        password_hash: row.try_get(3)?,
        two_step: row.try_get(4)?,
    })
}

impl AccountStore for PostgresStore {
    fn account(&self, email_key: &str) -> Result<Option<AccountRecord>, Error> {
        self.with(|db| {
            db.query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email_key = $1"),
                &[&email_key],
            )?
            .as_ref()
            .map(account_row)
            .transpose()
        })
    }

    fn account_by_id(&self, id: i64) -> Result<Option<AccountRecord>, Error> {
        self.with(|db| {
            db.query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"),
                &[&id],
            )?
            .as_ref()
            .map(account_row)
            .transpose()
        })
    }

    fn accounts(&self) -> Result<Vec<AccountRecord>, Error> {
        // Byte order, as SQLite sorts, whatever the database's collation.
        self.with(|db| {
            rows(
                db.query(
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY email_key COLLATE \"C\""
                    ),
                    &[],
                )?,
                account_row,
            )
        })
    }

    fn insert_account(
        &self,
        email: &str,
        email_key: &str,
        display_name: &str,
        password_hash: &str,
        two_step: bool,
    ) -> Result<i64, Error> {
        let id = self.with(|db| {
            db.inserted_id(
                "INSERT INTO accounts (email, email_key, display_name, password_hash, two_step) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email_key) DO NOTHING RETURNING id",
                &[&email, &email_key, &display_name, &password_hash, &two_step],
            )
        })?;
        id.ok_or_else(|| Error::DuplicateAccount(email.to_owned()))
    }

    fn set_two_step(&self, account_id: i64, on: bool) -> Result<(), Error> {
        self.transaction(Isolation::Serializable, |db| {
            db.execute(
                "UPDATE accounts SET two_step = $2 WHERE id = $1",
                &[&account_id, &on],
            )?;
            if on {
                revoke_primary_password_tokens(db, account_id)?;
            }
            Ok(())
        })
    }

    fn set_password_hash(&self, account_id: i64, password_hash: &str) -> Result<(), Error> {
        self.transaction(Isolation::Serializable, |db| {
            db.execute(
                "UPDATE accounts SET password_hash = $2 WHERE id = $1",
                &[&account_id, &password_hash],
            )?;
            revoke_primary_password_tokens(db, account_id)
        })
    }

    fn rehash_password(&self, account_id: i64, old: &str, new: &str) -> Result<bool, Error> {
        let changed = self.with(|db| {
            db.execute(
                "UPDATE accounts SET password_hash = $3 WHERE id = $1 AND password_hash = $2",
                &[&account_id, &old, &new],
            )
        })?;
        Ok(changed == 1)
    }
}
