//! [`SecurityStore`] on PostgreSQL: web sessions, authenticator secrets, recovery codes and
//! activity in the database, so that a player's session works through whichever gateway the
//! page's requests reach. Isolation as in the rest of the store ([`super`]): single statements
//! on their own (a code spent or a step used is a conditional `DELETE`/`UPDATE`, so two
//! gateways cannot both accept it), rules spanning statements SERIALIZABLE.

use postgres::{GenericClient, Row};

use super::tokens::revoke_primary_password_tokens;
use super::{Db, Isolation, PostgresStore, millis};
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::store::security::{
    ACTIVITY_KEPT, ActivityKind, ActivityRecord, SecurityStore, SessionStage, TotpRecord,
    WebSessionRecord,
};
use crate::time::UnixMillis;

fn session_row(row: &Row) -> Result<WebSessionRecord, Error> {
    Ok(WebSessionRecord {
        account_id: row.try_get(0)?,
        stage: SessionStage::from_code(i64::from(row.try_get::<_, i16>(1)?)),
        created: millis(row, 2)?,
        last_seen: millis(row, 3)?,
        last_auth: millis(row, 4)?,
        pending_totp: row.try_get(5)?,
    })
}

fn step_to_sql(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

impl SecurityStore for PostgresStore {
    fn insert_session(&self, hash: &KeyedHash, session: &WebSessionRecord) -> Result<(), Error> {
        self.with(|db| {
            db.execute(
                "INSERT INTO web_sessions (hash, account_id, stage, created, last_seen, \
                 last_auth, pending_totp) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &&hash[..],
                    &session.account_id,
                    &session.stage.code(),
                    &session.created.to_sql(),
                    &session.last_seen.to_sql(),
                    &session.last_auth.to_sql(),
                    &session.pending_totp,
                ],
            )
        })?;
        Ok(())
    }

    fn session(&self, hash: &KeyedHash) -> Result<Option<WebSessionRecord>, Error> {
        self.with(|db| {
            db.query_opt(
                "SELECT account_id, stage, created, last_seen, last_auth, pending_totp \
                 FROM web_sessions WHERE hash = $1",
                &[&&hash[..]],
            )?
            .as_ref()
            .map(session_row)
            .transpose()
        })
    }

    fn touch_session(&self, hash: &KeyedHash, now: UnixMillis) -> Result<(), Error> {
        self.with(|db| {
            db.execute(
                "UPDATE web_sessions SET last_seen = $2 WHERE hash = $1",
                &[&&hash[..], &now.to_sql()],
            )
        })?;
        Ok(())
    }

    fn reauthenticated(&self, hash: &KeyedHash, now: UnixMillis) -> Result<(), Error> {
        self.with(|db| {
            db.execute(
                "UPDATE web_sessions SET last_auth = $2 WHERE hash = $1",
                &[&&hash[..], &now.to_sql()],
            )
        })?;
        Ok(())
    }

    fn set_pending_totp(&self, hash: &KeyedHash, sealed: Option<&[u8]>) -> Result<(), Error> {
        self.with(|db| {
            db.execute(
                "UPDATE web_sessions SET pending_totp = $2 WHERE hash = $1",
                &[&&hash[..], &sealed],
            )
        })?;
        Ok(())
    }

    fn delete_session(&self, hash: &KeyedHash) -> Result<(), Error> {
        self.with(|db| db.execute("DELETE FROM web_sessions WHERE hash = $1", &[&&hash[..]]))?;
        Ok(())
    }

    fn forget_sessions_before(
        &self,
        idle_cutoff: UnixMillis,
        absolute_cutoff: UnixMillis,
    ) -> Result<usize, Error> {
        self.with(|db| {
            db.execute(
                "DELETE FROM web_sessions WHERE last_seen < $1 OR created < $2",
                &[&idle_cutoff.to_sql(), &absolute_cutoff.to_sql()],
            )
        })
    }

    fn totp(&self, account_id: i64) -> Result<Option<TotpRecord>, Error> {
        self.with(|db| {
            db.query_opt(
                "SELECT sealed, last_step FROM totp WHERE account_id = $1",
                &[&account_id],
            )?
            .map(|row| {
                Ok(TotpRecord {
                    sealed: row.try_get(0)?,
                    last_step: u64::try_from(row.try_get::<_, i64>(1)?).unwrap_or(0),
                })
            })
            .transpose()
        })
    }

    fn use_totp_step(&self, account_id: i64, step: u64) -> Result<bool, Error> {
        let changed = self.with(|db| {
            db.execute(
                "UPDATE totp SET last_step = $2 WHERE account_id = $1 AND last_step < $2",
                &[&account_id, &step_to_sql(step)],
            )
        })?;
        Ok(changed == 1)
    }

    fn enable_two_step(
        &self,
        account_id: i64,
        sealed: &[u8],
        step: u64,
        recovery: &[KeyedHash],
    ) -> Result<(), Error> {
        self.transaction(Isolation::Serializable, |db| {
            db.execute(
                "INSERT INTO totp (account_id, sealed, last_step) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id) DO UPDATE SET sealed = $2, last_step = $3",
                &[&account_id, &sealed, &step_to_sql(step)],
            )?;
            db.execute(
                "DELETE FROM recovery_codes WHERE account_id = $1",
                &[&account_id],
            )?;
            for hash in recovery {
                db.execute(
                    "INSERT INTO recovery_codes (account_id, hash) VALUES ($1, $2)",
                    &[&account_id, &&hash[..]],
                )?;
            }
            db.execute(
                "UPDATE accounts SET two_step = true WHERE id = $1",
                &[&account_id],
            )?;
            revoke_primary_password_tokens(db, account_id)
        })
    }

    fn disable_two_step(&self, account_id: i64) -> Result<(), Error> {
        self.transaction(Isolation::Serializable, |db| {
            db.execute("DELETE FROM totp WHERE account_id = $1", &[&account_id])?;
            db.execute(
                "DELETE FROM recovery_codes WHERE account_id = $1",
                &[&account_id],
            )?;
            db.execute(
                "UPDATE accounts SET two_step = false WHERE id = $1",
                &[&account_id],
            )?;
            Ok(())
        })
    }

    fn use_recovery_code(&self, account_id: i64, hash: &KeyedHash) -> Result<bool, Error> {
        let deleted = self.with(|db| {
            db.execute(
                "DELETE FROM recovery_codes WHERE account_id = $1 AND hash = $2",
                &[&account_id, &&hash[..]],
            )
        })?;
        Ok(deleted == 1)
    }

    fn recovery_codes_left(&self, account_id: i64) -> Result<usize, Error> {
        let n: i64 = self.with(|db| {
            db.value(
                "SELECT count(*) FROM recovery_codes WHERE account_id = $1",
                &[&account_id],
            )
        })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn change_password(
        &self,
        account_id: i64,
        password_hash: &str,
        keep: &KeyedHash,
    ) -> Result<(), Error> {
        self.transaction(Isolation::Serializable, |db| {
            db.execute(
                "UPDATE accounts SET password_hash = $2 WHERE id = $1",
                &[&account_id, &password_hash],
            )?;
            revoke_primary_password_tokens(db, account_id)?;
            db.execute(
                "DELETE FROM web_sessions WHERE account_id = $1 AND hash != $2",
                &[&account_id, &&keep[..]],
            )?;
            Ok(())
        })
    }

    fn record_activity(
        &self,
        account_id: i64,
        kind: ActivityKind,
        detail: &str,
        now: UnixMillis,
    ) -> Result<(), Error> {
        self.transaction(Isolation::ReadCommitted, |db| {
            insert_activity(db, account_id, kind, detail, now)
        })
    }

    fn activity(&self, account_id: i64, limit: usize) -> Result<Vec<ActivityRecord>, Error> {
        let lines = self.with(|db| {
            db.query(
                "SELECT at, kind, detail FROM activity WHERE account_id = $1 \
                 ORDER BY at DESC, id DESC LIMIT $2",
                &[&account_id, &super::limit(limit)],
            )
        })?;
        let mut records = Vec::with_capacity(lines.len());
        for row in &lines {
            // A kind this gateway does not know (written by a newer one) is left out.
            if let Some(kind) = ActivityKind::from_code(i64::from(row.try_get::<_, i16>(1)?)) {
                records.push(ActivityRecord {
                    at: millis(row, 0)?,
                    kind,
                    detail: row.try_get(2)?,
                });
            }
        }
        Ok(records)
    }
}

/// Adds a line of activity, and deletes the account's lines beyond the newest [`ACTIVITY_KEPT`].
/// Callers run it in a transaction: the trim is about the line it adds.
pub(super) fn insert_activity(
    db: &mut Db<'_, impl GenericClient>,
    account_id: i64,
    kind: ActivityKind,
    detail: &str,
    now: UnixMillis,
) -> Result<(), Error> {
    let code = i16::try_from(kind.code()).unwrap_or(i16::MAX);
    db.execute(
        "INSERT INTO activity (account_id, at, kind, detail) VALUES ($1, $2, $3, $4)",
        &[&account_id, &now.to_sql(), &code, &detail],
    )?;
    db.execute(
        "DELETE FROM activity WHERE account_id = $1 AND id NOT IN \
         (SELECT id FROM activity WHERE account_id = $1 ORDER BY id DESC LIMIT $2)",
        &[&account_id, &super::limit(ACTIVITY_KEPT)],
    )?;
    Ok(())
}
