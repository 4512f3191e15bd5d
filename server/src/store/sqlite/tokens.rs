//! [`TokenStore`] on SQLite: the `tokens` table (one row per generation, `family` the first
//! generation's id) and `successor_answers` (the retries of a used-up generation answered with
//! its successor). Rotation, its reuse record and the trimming of old generations are one
//! `BEGIN IMMEDIATE` transaction.

use padlock_protocol::PublicKey;
use rusqlite::{Connection, OptionalExtension, Params, Row, params};

use super::{SqliteStore, limit, write_transaction};
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::store::tokens::{STATE_ACTIVE, STATE_REVOKED, STATE_SUPERSEDED};
use crate::store::{
    ANSWERS_PER_TOKEN, FAMILIES_PER_DEVICE, GENERATIONS_KEPT, NewToken, TokenRecord, TokenState,
    TokenStore,
};
use crate::time::UnixMillis;

const TOKEN_COLUMNS: &str = "id, family, account_id, app_password_id, device_key, created, \
                             expires, state, superseded_at, consumed_by, successor";

fn token_row(row: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    let state = TokenState::from_code(row.get::<_, i64>(7)?);
    Ok(TokenRecord {
        id: row.get(0)?,
        family: row.get(1)?,
        account_id: row.get(2)?,
        app_password_id: row.get(3)?,
        device_key: PublicKey(row.get(4)?),
        created: UnixMillis::from_sql(row.get(5)?),
        expires: UnixMillis::from_sql(row.get(6)?),
        state,
        superseded_at: row.get::<_, Option<i64>>(8)?.map(UnixMillis::from_sql),
        consumed_by: row.get(9)?,
        successor: row.get(10)?,
    })
}

/// Inserts a token generation if the credential behind it still signs in (checked in the same
/// statement): its app password exists for the account or, for the primary password, the
/// account has two-step off (and, if `password_hash` is given, still that hash). `None`: the
/// credential is gone and nothing was written.
fn insert_generation(
    connection: &Connection,
    family: Option<i64>,
    token: &NewToken,
    password_hash: Option<&str>,
) -> Result<Option<i64>, Error> {
    let inserted = connection
        .prepare_cached(
            "INSERT INTO tokens (family, account_id, app_password_id, device_key, hash, created, \
             expires, state) SELECT COALESCE(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, 0 WHERE CASE \
             WHEN ?3 IS NULL THEN EXISTS (SELECT 1 FROM accounts WHERE id = ?2 \
                 AND two_step = 0 AND (?8 IS NULL OR password_hash = ?8)) \
             ELSE EXISTS (SELECT 1 FROM app_passwords WHERE id = ?3 AND account_id = ?2) END",
        )?
        .execute(params![
            family,
            token.account_id,
            token.app_password_id,
            token.device_key.0,
            token.hash,
            token.created.to_sql(),
            token.expires.to_sql(),
            password_hash,
        ])?;
    if inserted == 0 {
        return Ok(None);
    }
    let id = connection.last_insert_rowid();
    if family.is_none() {
        connection
            .prepare_cached("UPDATE tokens SET family = id WHERE id = ?1")?
            .execute([id])?;
    }
    Ok(Some(id))
}

/// Starts a token family with `token` (as [`insert_generation`]) and deletes the device's
/// oldest families beyond [`FAMILIES_PER_DEVICE`], in the caller's transaction.
pub(super) fn start_family(
    connection: &Connection,
    token: &NewToken,
    password_hash: Option<&str>,
) -> Result<Option<i64>, Error> {
    let id = insert_generation(connection, None, token, password_hash)?;
    if id.is_some() {
        let evicted = delete_tokens_where(
            connection,
            "device_key = ?1 AND family NOT IN (SELECT family FROM tokens WHERE \
             device_key = ?1 GROUP BY family ORDER BY max(id) DESC LIMIT ?2)",
            params![token.device_key.0, limit(FAMILIES_PER_DEVICE)],
        )?;
        if evicted > 0 {
            tracing::info!(evicted, "oldest token families of a device deleted");
        }
    }
    Ok(id)
}

/// Deletes the token generations `condition` selects (with `params`), and the retries recorded
/// for them; returns how many generations.
fn delete_tokens_where(
    connection: &Connection,
    condition: &str,
    params: impl Params + Copy,
) -> Result<usize, Error> {
    connection
        .prepare_cached(&format!(
            "DELETE FROM successor_answers WHERE token_id IN (SELECT id FROM tokens WHERE {condition})"
        ))?
        .execute(params)?;
    Ok(connection
        .prepare_cached(&format!("DELETE FROM tokens WHERE {condition}"))?
        .execute(params)?)
}

fn revoke_tokens_where(
    connection: &Connection,
    condition: &str,
    value: i64,
) -> Result<usize, Error> {
    Ok(connection
        .prepare_cached(&format!(
            "UPDATE tokens SET state = {STATE_REVOKED} WHERE {condition} = ?1 AND state != {STATE_REVOKED}"
        ))?
        .execute([value])?)
}

/// Revokes the tokens the account's primary password created (it changed, or stopped signing in).
pub(super) fn revoke_primary_password_tokens(
    connection: &Connection,
    account_id: i64,
) -> Result<(), Error> {
    connection
        .prepare_cached(&format!(
            "UPDATE tokens SET state = {STATE_REVOKED} WHERE account_id = ?1 \
             AND app_password_id IS NULL AND state != {STATE_REVOKED}"
        ))?
        .execute([account_id])?;
    Ok(())
}

impl SqliteStore {
    /// Revokes every token whose `column` is `value`, in one transaction; returns how many of
    /// them were live (active).
    fn revoke_counting_live(&self, column: &str, value: i64) -> Result<usize, Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        let live = tx
            .prepare_cached(&format!(
                "UPDATE tokens SET state = {STATE_REVOKED} WHERE {column} = ?1 AND state = {STATE_ACTIVE}"
            ))?
            .execute([value])?;
        revoke_tokens_where(&tx, column, value)?;
        tx.commit()?;
        Ok(live)
    }
}

impl TokenStore for SqliteStore {
    fn insert_token(&self, token: &NewToken, password_hash: &str) -> Result<Option<i64>, Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        let id = start_family(&tx, token, Some(password_hash))?;
        tx.commit()?;
        Ok(id)
    }

    fn token_by_hash(&self, hash: &KeyedHash) -> Result<Option<TokenRecord>, Error> {
        self.read_one(
            &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = ?1"),
            [hash],
            token_row,
        )
    }

    fn token_by_id(&self, id: i64) -> Result<Option<TokenRecord>, Error> {
        self.read_one(
            &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1"),
            [id],
            token_row,
        )
    }

    fn rotate_token(
        &self,
        old: i64,
        consumed_by: &KeyedHash,
        successor: &NewToken,
    ) -> Result<Option<i64>, Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        let family: Option<i64> = tx
            .prepare_cached(&format!(
                "SELECT family FROM tokens WHERE id = ?1 AND state = {STATE_ACTIVE}"
            ))?
            .query_row([old], |r| r.get(0))
            .optional()?;
        let Some(family) = family else {
            return Ok(None);
        };
        let Some(id) = insert_generation(&tx, Some(family), successor, None)? else {
            // Its credential no longer signs in: the family is dead.
            revoke_tokens_where(&tx, "family", family)?;
            tx.commit()?;
            return Ok(None);
        };
        tx.prepare_cached(&format!(
            "UPDATE tokens SET state = {STATE_SUPERSEDED}, superseded_at = ?2, consumed_by = ?3, \
             successor = ?4 WHERE id = ?1"
        ))?
        .execute(params![old, successor.created.to_sql(), consumed_by, id])?;
        delete_tokens_where(
            &tx,
            "family = ?1 AND id NOT IN (SELECT id FROM tokens WHERE family = ?1 \
             ORDER BY id DESC LIMIT ?2)",
            params![family, limit(GENERATIONS_KEPT)],
        )?;
        tx.commit()?;
        Ok(Some(id))
    }

    fn record_successor_answer(&self, token_id: i64, message_1: &KeyedHash) -> Result<(), Error> {
        let connection = self.lock()?;
        connection
            .prepare_cached(
                "INSERT INTO successor_answers (message_1, token_id) SELECT ?1, ?2 \
                 WHERE (SELECT count(*) FROM successor_answers WHERE token_id = ?2) < ?3 \
                 ON CONFLICT (message_1) DO NOTHING",
            )?
            .execute(params![message_1, token_id, limit(ANSWERS_PER_TOKEN)])?;
        Ok(())
    }

    fn answered_with_successor(&self, token_id: i64, message_1: &KeyedHash) -> Result<bool, Error> {
        let connection = self.read()?;
        let mut statement = connection.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM tokens WHERE id = ?1 AND consumed_by = ?2) \
             OR EXISTS (SELECT 1 FROM successor_answers WHERE message_1 = ?2 AND token_id = ?1)",
        )?;
        Ok(statement.query_row(params![token_id, message_1], |r| r.get(0))?)
    }
    fn revoke_family(&self, family: i64) -> Result<usize, Error> {
        self.revoke_counting_live("family", family)
    }

    fn tokens(&self, account_id: i64, now: UnixMillis) -> Result<Vec<TokenRecord>, Error> {
        self.read_all(
            &format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens WHERE account_id = ?1 \
                 AND state = {STATE_ACTIVE} AND expires > ?2 ORDER BY id"
            ),
            [account_id, now.to_sql()],
            token_row,
        )
    }

    fn revoke_all_tokens(&self, account_id: i64) -> Result<usize, Error> {
        self.revoke_counting_live("account_id", account_id)
    }

    fn forget_tokens_expired_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        let forgotten = delete_tokens_where(&tx, "expires < ?1", [cutoff.to_sql()])?;
        tx.commit()?;
        Ok(forgotten)
    }
}
