//! [`LinkStore`] on PostgreSQL: the `links` table (migration 3), one row per code, shared by
//! every gateway on the database, so a device may start its link on one gateway, poll on
//! another, and the player approve it on the page of a third.
//!
//! - **Isolation.** Storing a link (`INSERT ... ON CONFLICT DO NOTHING`: of two gateways drawing
//!   the same code, one stores it and the other draws again), recording a poll, declining and
//!   deleting expired links are each one statement at READ COMMITTED: a conditional `UPDATE`
//!   locks its row and re-checks `state` and `expires` on its newest version, so a decline and
//!   an approval racing on two gateways cannot both succeed. The counts a start is checked
//!   against are one statement too, so both come from one snapshot. Approving is one
//!   SERIALIZABLE transaction (retried on a conflict, as the token rules): it marks the link
//!   approved, inserts the credential and starts the token family with its device's cap of
//!   families, which must see one state, as [`TokenStore::insert_token`] does; a decline that
//!   won the race makes the retry find the link no longer pending, and nothing is written.
//! - **Unsynced polls.** A poll's record commits with `synchronous_commit = off`
//!   ([`PostgresStore::unsynced`]), as the SQLite store writes it unsynced: it is the one write
//!   of the hottest link path, and losing it with a PostgreSQL crash only forgets a slow-down.
//! - **The pending caps hold exactly across gateways.** A start
//!   ([`LinkStore::insert_link_admitted`]) counts the device's pending links and all pending
//!   links, has the gateway check its caps, and stores the link, in one READ COMMITTED
//!   transaction under one transaction-scoped advisory lock ([`LINK_STARTS_LOCK`]), the same
//!   for every gateway on the database. Starts therefore run one at a time across gateways, and
//!   each counts (its statements begin after the previous holder committed) every link started
//!   before it: no cap is exceeded, however many gateways there are. SERIALIZABLE would give
//!   the same outcome by aborting one of two racing starts instead of queueing it; the lock is
//!   cheaper and never fails a start. Starts are rare (a device asks at most a few times per
//!   lifetime of a code), so one lock for all of them costs nothing that matters; one per
//!   device would not protect the cap on all links. (The plain
//!   [`LinkStore::pending_link_counts`] and [`LinkStore::insert_link`] are exact each, but
//!   another gateway may store a link between the two.)
//!
//! [`TokenStore::insert_token`]: crate::store::TokenStore::insert_token

use padlock_protocol::{LinkCode, PublicKey};
use postgres::{GenericClient, Row};

use super::tokens::start_family;
use super::{
    Db, Isolation, PostgresStore, always_inserted, key_from, millis, optional_millis, rows,
};
use crate::error::Error;
use crate::link::rules::LinkState;
use crate::store::{LinkApproval, LinkRecord, LinkStore, NewToken};
use crate::time::UnixMillis;

const PENDING: i16 = 0;
const APPROVED: i16 = 1;
const DECLINED: i16 = 2;

/// The advisory lock every link start takes (`PLLK` in ASCII): one for all devices, since the
/// cap on links pending in all spans them.
const LINK_STARTS_LOCK: i64 = 0x504c_4c4b;

const LINK_COLUMNS: &str = "code, device_key, kind, model, firmware, created, expires, \
                            interval_secs, last_poll, state, seed";

fn damaged(what: &str) -> Error {
    Error::CorruptDatabase(format!("a stored link has a bad {what}"))
}

fn link_row(row: &Row) -> Result<LinkRecord, Error> {
    let code: [u8; 8] = row
        .try_get::<_, Vec<u8>>(0)?
        .try_into()
        .map_err(|_| damaged("code"))?;
    let state = match row.try_get::<_, i16>(9)? {
        PENDING => LinkState::Pending,
        APPROVED => LinkState::Approved,
        DECLINED => LinkState::Declined,
        _ => return Err(damaged("state")),
    };
    Ok(LinkRecord {
        code: LinkCode::from_bytes(code).ok_or_else(|| damaged("code"))?,
        device_key: key_from(row.try_get(1)?)?,
        kind: u8::try_from(row.try_get::<_, i16>(2)?).map_err(|_| damaged("kind"))?,
        model: row.try_get(3)?,
        firmware: row.try_get(4)?,
        created: millis(row, 5)?,
        expires: millis(row, 6)?,
        interval_secs: u8::try_from(row.try_get::<_, i16>(7)?)
            .map_err(|_| damaged("poll interval"))?,
        last_poll: optional_millis(row, 8)?,
        state,
        seed: row
            .try_get::<_, Vec<u8>>(10)?
            .try_into()
            .map_err(|_| damaged("seed"))?,
    })
}

/// Stores `link` unless its code is taken; whether it did.
fn insert(db: &mut Db<'_, impl GenericClient>, link: &LinkRecord) -> Result<bool, Error> {
    let inserted = db.execute(
        &format!(
            "INSERT INTO links ({LINK_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, {PENDING}, $9) \
             ON CONFLICT (code) DO NOTHING"
        ),
        &[
            &&link.code.as_bytes()[..],
            &&link.device_key.0[..],
            &i16::from(link.kind),
            &link.model,
            &link.firmware,
            &link.created.to_sql(),
            &link.expires.to_sql(),
            &i16::from(link.interval_secs),
            &&link.seed[..],
        ],
    )?;
    Ok(inserted == 1)
}

/// The expiry times of the links of `device_key` pending at `now`, and how many are pending in
/// all, in one statement (so from one snapshot).
fn pending_counts(
    db: &mut Db<'_, impl GenericClient>,
    device_key: &PublicKey,
    now: UnixMillis,
) -> Result<(Vec<UnixMillis>, usize), Error> {
    let row = db.query_opt(
        &format!(
            "SELECT (SELECT array_agg(expires ORDER BY expires) FROM links \
             WHERE device_key = $1 AND state = {PENDING} AND expires > $2), \
             (SELECT count(*) FROM links WHERE state = {PENDING} AND expires > $2)"
        ),
        &[&&device_key.0[..], &now.to_sql()],
    )?;
    let Some(row) = row else {
        return Ok((Vec::new(), 0));
    };
    let mine = row
        .try_get::<_, Option<Vec<i64>>>(0)?
        .unwrap_or_default()
        .into_iter()
        .map(UnixMillis::from_sql)
        .collect();
    let all: i64 = row.try_get(1)?;
    Ok((mine, usize::try_from(all).unwrap_or(usize::MAX)))
}

impl LinkStore for PostgresStore {
    fn insert_link(&self, link: &LinkRecord) -> Result<bool, Error> {
        self.with(|db| insert(db, link))
    }

    fn insert_link_admitted(
        &self,
        link: &LinkRecord,
        admit: &mut dyn FnMut(&[UnixMillis], usize) -> bool,
    ) -> Result<Option<bool>, Error> {
        self.transaction(Isolation::ReadCommitted, |db| {
            db.query("SELECT pg_advisory_xact_lock($1)", &[&LINK_STARTS_LOCK])?;
            let (mine, all) = pending_counts(db, &link.device_key, link.created)?;
            if !admit(&mine, all) {
                return Ok(None);
            }
            insert(db, link).map(Some)
        })
    }

    fn link(&self, code: &LinkCode) -> Result<Option<LinkRecord>, Error> {
        self.with(|db| {
            db.query_opt(
                &format!("SELECT {LINK_COLUMNS} FROM links WHERE code = $1"),
                &[&&code.as_bytes()[..]],
            )?
            .as_ref()
            .map(link_row)
            .transpose()
        })
    }

    fn pending_link_counts(
        &self,
        device_key: &PublicKey,
        now: UnixMillis,
    ) -> Result<(Vec<UnixMillis>, usize), Error> {
        self.with(|db| pending_counts(db, device_key, now))
    }

    fn record_link_poll(
        &self,
        code: &LinkCode,
        interval_secs: u8,
        now: UnixMillis,
    ) -> Result<(), Error> {
        self.unsynced(|db| {
            db.execute(
                &format!(
                    "UPDATE links SET interval_secs = $2, last_poll = $3 \
                     WHERE code = $1 AND state = {PENDING}"
                ),
                &[
                    &&code.as_bytes()[..],
                    &i16::from(interval_secs),
                    &now.to_sql(),
                ],
            )
        })?;
        Ok(())
    }

    fn approve_link(
        &self,
        code: &LinkCode,
        account_id: i64,
        approval: &LinkApproval,
        now: UnixMillis,
    ) -> Result<Option<i64>, Error> {
        self.transaction(Isolation::Serializable, |db| {
            let pending = db.execute(
                &format!(
                    "UPDATE links SET state = {APPROVED} WHERE code = $1 AND state = {PENDING} \
                     AND expires > $2"
                ),
                &[&&code.as_bytes()[..], &now.to_sql()],
            )?;
            if pending == 0 {
                return Ok(None);
            }
            let credential = always_inserted(db.inserted_id(
                "INSERT INTO app_passwords (account_id, name, hash, created) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[
                    &account_id,
                    &approval.name,
                    &&approval.credential_hash[..],
                    &now.to_sql(),
                ],
            )?)?;
            let token = NewToken {
                account_id,
                app_password_id: Some(credential),
                ..approval.token.clone()
            };
            if start_family(db, &token, None)?.is_none() {
                // The credential was inserted just above in this transaction, so this cannot
                // happen; if it did, failing rolls everything back.
                return Err(Error::CorruptDatabase(
                    "an approved link's credential vanished".into(),
                ));
            }
            Ok(Some(credential))
        })
    }

    fn decline_link(&self, code: &LinkCode, now: UnixMillis) -> Result<bool, Error> {
        let declined = self.with(|db| {
            db.execute(
                &format!(
                    "UPDATE links SET state = {DECLINED} WHERE code = $1 AND state = {PENDING} \
                     AND expires > $2"
                ),
                &[&&code.as_bytes()[..], &now.to_sql()],
            )
        })?;
        Ok(declined == 1)
    }

    fn pending_links(&self, now: UnixMillis) -> Result<Vec<LinkRecord>, Error> {
        self.with(|db| {
            rows(
                db.query(
                    &format!(
                        "SELECT {LINK_COLUMNS} FROM links WHERE state = {PENDING} \
                         AND expires > $1 ORDER BY created, code"
                    ),
                    &[&now.to_sql()],
                )?,
                link_row,
            )
        })
    }

    fn forget_links_expired_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        self.with(|db| db.execute("DELETE FROM links WHERE expires <= $1", &[&cutoff.to_sql()]))
    }
}
