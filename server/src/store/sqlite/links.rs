//! [`LinkStore`] on SQLite: the `links` table (migration 7), one row per code. An approval's
//! credential, token family and state change are one `BEGIN IMMEDIATE` transaction, and so is a
//! start's check of the pending caps with its insert: the caps hold exactly, for every gateway
//! process on the file.

use padlock_protocol::{LinkCode, PublicKey};
use rusqlite::{Connection, Row, params};

use super::tokens::start_family;
use super::{SqliteStore, write_transaction};
use crate::error::Error;
use crate::link::rules::LinkState;
use crate::store::{LinkApproval, LinkRecord, LinkStore, NewToken};
use crate::time::UnixMillis;

const PENDING: i64 = 0;
const APPROVED: i64 = 1;
const DECLINED: i64 = 2;

const LINK_COLUMNS: &str = "code, device_key, kind, model, firmware, created, expires, interval_secs, last_poll, state, seed";

fn link_row(row: &Row<'_>) -> rusqlite::Result<LinkRecord> {
    let bad = |column: usize| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Blob,
            "not a link code".into(),
        )
    };
    let code: [u8; 8] = row.get(0)?;
    let state = match row.get::<_, i64>(9)? {
        PENDING => LinkState::Pending,
        APPROVED => LinkState::Approved,
        _ => LinkState::Declined,
    };
    Ok(LinkRecord {
        code: LinkCode::from_bytes(code).ok_or_else(|| bad(0))?,
        device_key: PublicKey(row.get(1)?),
        kind: row.get(2)?,
        model: row.get(3)?,
        firmware: row.get(4)?,
        created: UnixMillis::from_sql(row.get(5)?),
        expires: UnixMillis::from_sql(row.get(6)?),
        interval_secs: row.get(7)?,
        last_poll: row.get::<_, Option<i64>>(8)?.map(UnixMillis::from_sql),
        state,
        seed: row.get(10)?,
    })
}

/// Stores `link` unless its code is taken; whether it did.
fn insert(connection: &Connection, link: &LinkRecord) -> Result<bool, Error> {
    let inserted = connection
        .prepare_cached(&format!(
            "INSERT OR IGNORE INTO links ({LINK_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, {PENDING}, ?9)"
        ))?
        .execute(params![
            link.code.as_bytes(),
            link.device_key.0,
            link.kind,
            link.model,
            link.firmware,
            link.created.to_sql(),
            link.expires.to_sql(),
            link.interval_secs,
            link.seed,
        ])?;
    Ok(inserted == 1)
}

/// The expiry times of the links of `device_key` pending at `now`, and how many are pending in
/// all.
fn pending_counts(
    connection: &Connection,
    device_key: &PublicKey,
    now: UnixMillis,
) -> Result<(Vec<UnixMillis>, usize), Error> {
    let mine = connection
        .prepare_cached(&format!(
            "SELECT expires FROM links WHERE device_key = ?1 AND state = {PENDING} \
             AND expires > ?2 ORDER BY expires"
        ))?
        .query_map(params![device_key.0, now.to_sql()], |row| {
            Ok(UnixMillis::from_sql(row.get(0)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let all: i64 = connection
        .prepare_cached(&format!(
            "SELECT count(*) FROM links WHERE state = {PENDING} AND expires > ?1"
        ))?
        .query_row([now.to_sql()], |row| row.get(0))?;
    Ok((mine, usize::try_from(all).unwrap_or(usize::MAX)))
}

impl LinkStore for SqliteStore {
    fn insert_link(&self, link: &LinkRecord) -> Result<bool, Error> {
        insert(&*self.lock()?, link)
    }

    /// One `BEGIN IMMEDIATE` transaction: the database's one writer lock keeps every other
    /// start, of this process or another on the file, out between the counts and the insert.
    fn insert_link_admitted(
        &self,
        link: &LinkRecord,
        admit: &mut dyn FnMut(&[UnixMillis], usize) -> bool,
    ) -> Result<Option<bool>, Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        let (mine, all) = pending_counts(&tx, &link.device_key, link.created)?;
        if !admit(&mine, all) {
            return Ok(None);
        }
        let inserted = insert(&tx, link)?;
        tx.commit()?;
        Ok(Some(inserted))
    }

    fn link(&self, code: &LinkCode) -> Result<Option<LinkRecord>, Error> {
        self.read_one(
            &format!("SELECT {LINK_COLUMNS} FROM links WHERE code = ?1"),
            [code.as_bytes()],
            link_row,
        )
    }

    fn pending_link_counts(
        &self,
        device_key: &PublicKey,
        now: UnixMillis,
    ) -> Result<(Vec<UnixMillis>, usize), Error> {
        pending_counts(&*self.read()?, device_key, now)
    }

    fn record_link_poll(
        &self,
        code: &LinkCode,
        interval_secs: u8,
        now: UnixMillis,
    ) -> Result<(), Error> {
        // Unsynced: a poll is the one write of the hottest link path (every device, every few
        // seconds), and losing its record with the machine only forgets a slow-down.
        self.write_unsynced(|tx| {
            tx.prepare_cached(&format!(
                "UPDATE links SET interval_secs = ?2, last_poll = ?3 \
                 WHERE code = ?1 AND state = {PENDING}"
            ))?
            .execute(params![code.as_bytes(), interval_secs, now.to_sql()])?;
            Ok(())
        })
    }

    fn approve_link(
        &self,
        code: &LinkCode,
        account_id: i64,
        approval: &LinkApproval,
        now: UnixMillis,
    ) -> Result<Option<i64>, Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        let pending = tx
            .prepare_cached(&format!(
                "UPDATE links SET state = {APPROVED} WHERE code = ?1 AND state = {PENDING} \
                 AND expires > ?2"
            ))?
            .execute(params![code.as_bytes(), now.to_sql()])?;
        if pending == 0 {
            return Ok(None);
        }
        tx.prepare_cached(
            "INSERT INTO app_passwords (account_id, name, hash, created) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            account_id,
            approval.name,
            approval.credential_hash,
            now.to_sql()
        ])?;
        let credential = tx.last_insert_rowid();
        let token = NewToken {
            account_id,
            app_password_id: Some(credential),
            ..approval.token.clone()
        };
        if start_family(&tx, &token, None)?.is_none() {
            // The credential was inserted just above, so this cannot happen; if it did, nothing
            // is written.
            return Ok(None);
        }
        tx.commit()?;
        Ok(Some(credential))
    }

    fn decline_link(&self, code: &LinkCode, now: UnixMillis) -> Result<bool, Error> {
        let connection = self.lock()?;
        let declined = connection
            .prepare_cached(&format!(
                "UPDATE links SET state = {DECLINED} WHERE code = ?1 AND state = {PENDING} \
                 AND expires > ?2"
            ))?
            .execute(params![code.as_bytes(), now.to_sql()])?;
        Ok(declined == 1)
    }

    fn pending_links(&self, now: UnixMillis) -> Result<Vec<LinkRecord>, Error> {
        self.read_all(
            &format!(
                "SELECT {LINK_COLUMNS} FROM links WHERE state = {PENDING} AND expires > ?1 \
                 ORDER BY created, code"
            ),
            [now.to_sql()],
            link_row,
        )
    }

    fn forget_links_expired_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        let connection = self.lock()?;
        Ok(connection
            .prepare_cached("DELETE FROM links WHERE expires <= ?1")?
            .execute([cutoff.to_sql()])?)
    }
}
