//! [`TokenStore`] on PostgreSQL: the `tokens` table (one row per generation, `family` the first
//! generation's id) and `successor_answers` (the retries of a used-up generation answered with
//! its successor). Rotation with its reuse record and the trimming of old generations, starting a
//! family with its credential check and its device's cap, and revoking a family are each one
//! SERIALIZABLE transaction: of two gateways rotating one token at once, one commits and the
//! other, run again, finds the token superseded (and answers as for a retry or a reuse).

use postgres::{GenericClient, Row};

use super::{
    Db, Isolation, Params, PostgresStore, hash_from, key_from, limit, millis, optional_millis, rows,
};
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

fn token_row(row: &Row) -> Result<TokenRecord, Error> {
    let state = TokenState::from_code(i64::from(row.try_get::<_, i16>(7)?));
    Ok(TokenRecord {
        id: row.try_get(0)?,
        family: row.try_get(1)?,
        account_id: row.try_get(2)?,
        app_password_id: row.try_get(3)?,
        device_key: key_from(row.try_get(4)?)?,
        created: millis(row, 5)?,
        expires: millis(row, 6)?,
        state,
        superseded_at: optional_millis(row, 8)?,
        consumed_by: row
            .try_get::<_, Option<Vec<u8>>>(9)?
            .map(hash_from)
            .transpose()?,
        successor: row.try_get(10)?,
    })
}

/// Inserts a token generation if the credential behind it still signs in (checked in the same
/// statement): its app password exists for the account or, for the primary password, the
/// account has two-step off (and, if `password_hash` is given, still that hash). A new family
/// (`family` `None`) is numbered by its first generation's id. `None`: the credential is gone
/// and nothing was written.
fn insert_generation(
    db: &mut Db<'_, impl GenericClient>,
    family: Option<i64>,
    token: &NewToken,
    password_hash: Option<&str>,
) -> Result<Option<i64>, Error> {
    db.inserted_id(
        "WITH new AS (SELECT nextval(pg_get_serial_sequence('tokens', 'id')) AS id) \
         INSERT INTO tokens (id, family, account_id, app_password_id, device_key, hash, created, \
         expires, state) SELECT new.id, COALESCE($1::bigint, new.id), $2, $3::bigint, $4, $5, \
         $6, $7, 0 FROM new WHERE CASE \
         WHEN $3::bigint IS NULL THEN EXISTS (SELECT 1 FROM accounts WHERE id = $2 \
             AND NOT two_step AND ($8::text IS NULL OR password_hash = $8::text)) \
         ELSE EXISTS (SELECT 1 FROM app_passwords WHERE id = $3::bigint AND account_id = $2) END \
         RETURNING id",
        &[
            &family,
            &token.account_id,
            &token.app_password_id,
            &&token.device_key.0[..],
            &&token.hash[..],
            &token.created.to_sql(),
            &token.expires.to_sql(),
            &password_hash,
        ],
    )
}

/// Starts a token family with its first generation if the credential behind it still signs in
/// (see [`insert_generation`]), and deletes the device key's oldest families beyond
/// [`FAMILIES_PER_DEVICE`]. Run inside a SERIALIZABLE transaction (the count and the trimming
/// must see one state).
pub(super) fn start_family(
    db: &mut Db<'_, impl GenericClient>,
    token: &NewToken,
    password_hash: Option<&str>,
) -> Result<Option<i64>, Error> {
    let id = insert_generation(db, None, token, password_hash)?;
    if id.is_some() {
        let evicted = delete_tokens_where(
            db,
            "device_key = $1 AND family NOT IN (SELECT family FROM tokens WHERE \
             device_key = $1 GROUP BY family ORDER BY max(id) DESC LIMIT $2)",
            &[&&token.device_key.0[..], &limit(FAMILIES_PER_DEVICE)],
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
    db: &mut Db<'_, impl GenericClient>,
    condition: &str,
    params: Params<'_>,
) -> Result<usize, Error> {
    db.execute(
        &format!(
            "DELETE FROM successor_answers WHERE token_id IN (SELECT id FROM tokens WHERE {condition})"
        ),
        params,
    )?;
    db.execute(&format!("DELETE FROM tokens WHERE {condition}"), params)
}

/// Revokes the tokens the account's primary password created (it changed, or stopped signing in).
pub(super) fn revoke_primary_password_tokens(
    db: &mut Db<'_, impl GenericClient>,
    account_id: i64,
) -> Result<(), Error> {
    db.execute(
        &format!(
            "UPDATE tokens SET state = {STATE_REVOKED} WHERE account_id = $1 \
             AND app_password_id IS NULL AND state != {STATE_REVOKED}"
        ),
        &[&account_id],
    )?;
    Ok(())
}

impl PostgresStore {
    /// Revokes every token whose `column` is `value`, in one transaction; returns how many of
    /// them were live (active).
    fn revoke_counting_live(&self, column: &str, value: i64) -> Result<usize, Error> {
        let live = format!(
            "UPDATE tokens SET state = {STATE_REVOKED} WHERE {column} = $1 AND state = {STATE_ACTIVE}"
        );
        let rest = format!(
            "UPDATE tokens SET state = {STATE_REVOKED} WHERE {column} = $1 AND state != {STATE_REVOKED}"
        );
        self.transaction(Isolation::Serializable, |db| {
            let count = db.execute(&live, &[&value])?;
            db.execute(&rest, &[&value])?;
            Ok(count)
        })
    }
}

impl TokenStore for PostgresStore {
    fn insert_token(&self, token: &NewToken, password_hash: &str) -> Result<Option<i64>, Error> {
        self.transaction(Isolation::Serializable, |db| {
            start_family(db, token, Some(password_hash))
        })
    }

    fn token_by_hash(&self, hash: &KeyedHash) -> Result<Option<TokenRecord>, Error> {
        self.with(|db| {
            db.query_opt(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = $1"),
                &[&&hash[..]],
            )?
            .as_ref()
            .map(token_row)
            .transpose()
        })
    }

    fn token_by_id(&self, id: i64) -> Result<Option<TokenRecord>, Error> {
        self.with(|db| {
            db.query_opt(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1"),
                &[&id],
            )?
            .as_ref()
            .map(token_row)
            .transpose()
        })
    }

    fn rotate_token(
        &self,
        old: i64,
        consumed_by: &KeyedHash,
        successor: &NewToken,
    ) -> Result<Option<i64>, Error> {
        self.transaction(Isolation::Serializable, |db| {
            let family: Option<i64> = db
                .query_opt(
                    &format!("SELECT family FROM tokens WHERE id = $1 AND state = {STATE_ACTIVE}"),
                    &[&old],
                )?
                .map(|row| row.try_get(0))
                .transpose()?;
            let Some(family) = family else {
                return Ok(None);
            };
            let Some(id) = insert_generation(db, Some(family), successor, None)? else {
                // Its credential no longer signs in: the family is dead.
                db.execute(
                    &format!(
                        "UPDATE tokens SET state = {STATE_REVOKED} WHERE family = $1 \
                         AND state != {STATE_REVOKED}"
                    ),
                    &[&family],
                )?;
                return Ok(None);
            };
            db.execute(
                &format!(
                    "UPDATE tokens SET state = {STATE_SUPERSEDED}, superseded_at = $2, \
                     consumed_by = $3, successor = $4 WHERE id = $1"
                ),
                &[&old, &successor.created.to_sql(), &&consumed_by[..], &id],
            )?;
            delete_tokens_where(
                db,
                "family = $1 AND id NOT IN (SELECT id FROM tokens WHERE family = $1 \
                 ORDER BY id DESC LIMIT $2)",
                &[&family, &limit(GENERATIONS_KEPT)],
            )?;
            Ok(Some(id))
        })
    }

    fn record_successor_answer(&self, token_id: i64, message_1: &KeyedHash) -> Result<(), Error> {
        self.with(|db| {
            db.execute(
                "INSERT INTO successor_answers (message_1, token_id) SELECT $1::bytea, $2::bigint \
                 WHERE (SELECT count(*) FROM successor_answers WHERE token_id = $2::bigint) < $3 \
                 ON CONFLICT (message_1) DO NOTHING",
                &[&&message_1[..], &token_id, &limit(ANSWERS_PER_TOKEN)],
            )
        })?;
        Ok(())
    }

    fn answered_with_successor(&self, token_id: i64, message_1: &KeyedHash) -> Result<bool, Error> {
        self.with(|db| {
            db.value(
                "SELECT EXISTS (SELECT 1 FROM tokens WHERE id = $1 AND consumed_by = $2) \
                 OR EXISTS (SELECT 1 FROM successor_answers WHERE message_1 = $2 AND token_id = $1)",
                &[&token_id, &&message_1[..]],
            )
        })
    }

    fn revoke_family(&self, family: i64) -> Result<usize, Error> {
        self.revoke_counting_live("family", family)
    }

    fn tokens(&self, account_id: i64, now: UnixMillis) -> Result<Vec<TokenRecord>, Error> {
        self.with(|db| {
            rows(
                db.query(
                    &format!(
                        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE account_id = $1 \
                         AND state = {STATE_ACTIVE} AND expires > $2 ORDER BY id"
                    ),
                    &[&account_id, &now.to_sql()],
                )?,
                token_row,
            )
        })
    }

    fn revoke_all_tokens(&self, account_id: i64) -> Result<usize, Error> {
        self.revoke_counting_live("account_id", account_id)
    }

    fn forget_tokens_expired_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        self.transaction(Isolation::Serializable, |db| {
            delete_tokens_where(db, "expires < $1", &[&cutoff.to_sql()])
        })
    }
}
