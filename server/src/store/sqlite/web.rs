//! [`SecurityStore`] on SQLite: the tables of migration 5 (sessions, authenticator secrets,
//! recovery codes, activity), with the same connections and transactions as the rest
//! of [`SqliteStore`].

use rusqlite::{Row, params};

use super::tokens::revoke_primary_password_tokens;
use super::{SqliteStore, write_transaction};
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::store::security::{
    ACTIVITY_KEPT, ActivityKind, ActivityRecord, SecurityStore, SessionStage, TotpRecord,
    WebSessionRecord,
};
use crate::time::UnixMillis;

const STAGE_AWAITING_CODE: i64 = 0;
const STAGE_SIGNED_IN: i64 = 1;

fn session_row(row: &Row<'_>) -> rusqlite::Result<WebSessionRecord> {
    let stage: i64 = row.get(1)?;
    Ok(WebSessionRecord {
        account_id: row.get(0)?,
        stage: if stage == STAGE_SIGNED_IN {
            SessionStage::SignedIn
        } else {
            SessionStage::AwaitingCode
        },
        created: UnixMillis::from_sql(row.get(2)?),
        last_seen: UnixMillis::from_sql(row.get(3)?),
        last_auth: UnixMillis::from_sql(row.get(4)?),
        pending_totp: row.get(5)?,
    })
}

fn step_to_sql(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

impl SecurityStore for SqliteStore {
    fn insert_session(&self, hash: &KeyedHash, session: &WebSessionRecord) -> Result<(), Error> {
        let stage = match session.stage {
            SessionStage::AwaitingCode => STAGE_AWAITING_CODE,
            SessionStage::SignedIn => STAGE_SIGNED_IN,
        };
        self.lock()?
            .prepare_cached(
                "INSERT INTO web_sessions (hash, account_id, stage, created, last_seen, last_auth, pending_totp) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                hash,
                session.account_id,
                stage,
                session.created.to_sql(),
                session.last_seen.to_sql(),
                session.last_auth.to_sql(),
                session.pending_totp,
            ])?;
        Ok(())
    }

    fn session(&self, hash: &KeyedHash) -> Result<Option<WebSessionRecord>, Error> {
        self.read_one(
            "SELECT account_id, stage, created, last_seen, last_auth, pending_totp \
             FROM web_sessions WHERE hash = ?1",
            [hash],
            session_row,
        )
    }

    fn touch_session(&self, hash: &KeyedHash, now: UnixMillis) -> Result<(), Error> {
        self.lock()?
            .prepare_cached("UPDATE web_sessions SET last_seen = ?2 WHERE hash = ?1")?
            .execute(params![hash, now.to_sql()])?;
        Ok(())
    }

    fn reauthenticated(&self, hash: &KeyedHash, now: UnixMillis) -> Result<(), Error> {
        self.lock()?
            .prepare_cached("UPDATE web_sessions SET last_auth = ?2 WHERE hash = ?1")?
            .execute(params![hash, now.to_sql()])?;
        Ok(())
    }

    fn set_pending_totp(&self, hash: &KeyedHash, sealed: Option<&[u8]>) -> Result<(), Error> {
        self.lock()?
            .prepare_cached("UPDATE web_sessions SET pending_totp = ?2 WHERE hash = ?1")?
            .execute(params![hash, sealed])?;
        Ok(())
    }

    fn delete_session(&self, hash: &KeyedHash) -> Result<(), Error> {
        self.lock()?
            .prepare_cached("DELETE FROM web_sessions WHERE hash = ?1")?
            .execute([hash])?;
        Ok(())
    }

    fn forget_sessions_before(
        &self,
        idle_cutoff: UnixMillis,
        absolute_cutoff: UnixMillis,
    ) -> Result<usize, Error> {
        Ok(self
            .lock()?
            .prepare_cached("DELETE FROM web_sessions WHERE last_seen < ?1 OR created < ?2")?
            .execute([idle_cutoff.to_sql(), absolute_cutoff.to_sql()])?)
    }

    fn totp(&self, account_id: i64) -> Result<Option<TotpRecord>, Error> {
        self.read_one(
            "SELECT sealed, last_step FROM totp WHERE account_id = ?1",
            [account_id],
            |row| {
                Ok(TotpRecord {
                    sealed: row.get(0)?,
                    last_step: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                })
            },
        )
    }

    fn use_totp_step(&self, account_id: i64, step: u64) -> Result<bool, Error> {
        let changed = self
            .lock()?
            .prepare_cached(
                "UPDATE totp SET last_step = ?2 WHERE account_id = ?1 AND last_step < ?2",
            )?
            .execute([account_id, step_to_sql(step)])?;
        Ok(changed == 1)
    }

    fn enable_two_step(
        &self,
        account_id: i64,
        sealed: &[u8],
        step: u64,
        recovery: &[KeyedHash],
    ) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        tx.prepare_cached(
            "INSERT INTO totp (account_id, sealed, last_step) VALUES (?1, ?2, ?3) \
             ON CONFLICT (account_id) DO UPDATE SET sealed = ?2, last_step = ?3",
        )?
        .execute(params![account_id, sealed, step_to_sql(step)])?;
        tx.prepare_cached("DELETE FROM recovery_codes WHERE account_id = ?1")?
            .execute([account_id])?;
        for hash in recovery {
            tx.prepare_cached("INSERT INTO recovery_codes (account_id, hash) VALUES (?1, ?2)")?
                .execute(params![account_id, hash])?;
        }
        tx.prepare_cached("UPDATE accounts SET two_step = 1 WHERE id = ?1")?
            .execute([account_id])?;
        revoke_primary_password_tokens(&tx, account_id)?;
        Ok(tx.commit()?)
    }

    fn disable_two_step(&self, account_id: i64) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        tx.prepare_cached("DELETE FROM totp WHERE account_id = ?1")?
            .execute([account_id])?;
        tx.prepare_cached("DELETE FROM recovery_codes WHERE account_id = ?1")?
            .execute([account_id])?;
        tx.prepare_cached("UPDATE accounts SET two_step = 0 WHERE id = ?1")?
            .execute([account_id])?;
        Ok(tx.commit()?)
    }

    fn use_recovery_code(&self, account_id: i64, hash: &KeyedHash) -> Result<bool, Error> {
        let deleted = self
            .lock()?
            .prepare_cached("DELETE FROM recovery_codes WHERE account_id = ?1 AND hash = ?2")?
            .execute(params![account_id, hash])?;
        Ok(deleted == 1)
    }

    fn recovery_codes_left(&self, account_id: i64) -> Result<usize, Error> {
        let n: Option<i64> = self.read_one(
            "SELECT count(*) FROM recovery_codes WHERE account_id = ?1",
            [account_id],
            |row| row.get(0),
        )?;
        Ok(usize::try_from(n.unwrap_or(0)).unwrap_or(0))
    }

    fn change_password(
        &self,
        account_id: i64,
        password_hash: &str,
        keep: &KeyedHash,
    ) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        tx.prepare_cached("UPDATE accounts SET password_hash = ?2 WHERE id = ?1")?
            .execute(params![account_id, password_hash])?;
        revoke_primary_password_tokens(&tx, account_id)?;
        tx.prepare_cached("DELETE FROM web_sessions WHERE account_id = ?1 AND hash != ?2")?
            .execute(params![account_id, keep])?;
        Ok(tx.commit()?)
    }

    fn record_activity(
        &self,
        account_id: i64,
        kind: ActivityKind,
        detail: &str,
        now: UnixMillis,
    ) -> Result<(), Error> {
        insert_activity(&*self.lock()?, account_id, kind, detail, now)
    }

    fn activity(&self, account_id: i64, limit: usize) -> Result<Vec<ActivityRecord>, Error> {
        let rows = self.read_all(
            "SELECT at, kind, detail FROM activity WHERE account_id = ?1 \
             ORDER BY at DESC, id DESC LIMIT ?2",
            params![account_id, i64::try_from(limit).unwrap_or(i64::MAX)],
            |row| {
                Ok((
                    UnixMillis::from_sql(row.get(0)?),
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                ))
            },
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|(at, kind, detail)| {
                Some(ActivityRecord {
                    at,
                    kind: ActivityKind::from_code(kind)?,
                    detail,
                })
            })
            .collect())
    }
}

/// Adds a line of activity, and deletes the account's lines beyond the newest [`ACTIVITY_KEPT`].
pub(super) fn insert_activity(
    connection: &rusqlite::Connection,
    account_id: i64,
    kind: ActivityKind,
    detail: &str,
    now: UnixMillis,
) -> Result<(), Error> {
    connection
        .prepare_cached(
            "INSERT INTO activity (account_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![account_id, now.to_sql(), kind.code(), detail])?;
    connection
        .prepare_cached(
            "DELETE FROM activity WHERE account_id = ?1 AND id NOT IN \
             (SELECT id FROM activity WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2)",
        )?
        .execute([account_id, super::limit(ACTIVITY_KEPT)])?;
    Ok(())
}
