//! The SQLite [`Store`].
//!
//! - **File or memory.** [`SqliteStore::open`] uses a file in WAL mode, created readable by its
//!   owner only (it holds password hashes); [`SqliteStore::in_memory`]
//!   a private in-memory database for embedding.
//! - **Durability.** `synchronous = FULL`: every acknowledged transaction is in the WAL on disk
//!   before the method returns, so neither a killed process nor a power cut loses it. (Claims
//!   of granted sign-ins, made on every one, are the exception: they are kept in memory until
//!   [`Store::commit_granted_sign_ins`] writes all those waiting in one synced transaction:
//!   group commit, see `GrantLog`. The gateway holds each `Granted` until its claim is
//!   committed, so a crash loses only claims whose reply was never sent.) It costs
//!   one fsync per write transaction (milliseconds on a virtual disk); the rules keep writes off
//!   the hot path (an app-password sign-in writes its "last used" record, and a device its
//!   known-device record, only when stale, see [`crate::rules`]; a failure writes both its
//!   throttling counters in one transaction).
//! - **One writer, several readers.** Writes go through one connection behind a mutex. With a
//!   file, reads go through [`READERS`] read-only connections of their own: in WAL mode a reader
//!   never waits for a writer, so the sign-in hot path (four indexed `SELECT`s) does not queue
//!   behind another request's fsync. Each method holds its connection for a few cached prepared
//!   statements, never across argon2 or Noise work. (An in-memory database is private to its
//!   connection: there, the one connection serves reads too.)
//! - **Other processes.** The admin CLI opens the same file. Every write transaction is
//!   `BEGIN IMMEDIATE` (it takes the write lock before reading) and every connection waits up to
//!   a busy timeout for a lock, so a `Resume` racing an admin command waits instead of failing.

mod copy;
mod web;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use padlock_protocol::PublicKey;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Params, Row, Transaction, TransactionBehavior, params,
};

use super::migrations::{APPLICATION_ID, MIGRATIONS};
use super::{
    ANSWERS_PER_TOKEN, AccountRecord, AppPasswordRecord, FAMILIES_PER_DEVICE, GENERATIONS_KEPT,
    KnownDevice, NewToken, Store, ThrottleRecord, TokenRecord, TokenState,
};
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::store::security::ActivityKind;
use crate::time::UnixMillis;

/// How long a connection waits for another's lock before a method fails with `SQLITE_BUSY`.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Read-only connections a file database gets besides its writer.
pub const READERS: usize = 4;

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    grants: Mutex<GrantLog>,
    /// Held while a batch of claims is written: one committer at a time, and a caller whose
    /// claim is in the batch being written waits here for its sync instead of writing again.
    committing: Mutex<()>,
}

/// Granted sign-ins being remembered ([`Store::remember_granted_sign_in`]): group commit. A
/// claim is recognised at once (in memory) and numbered; [`Store::commit_granted_sign_ins`]
/// writes every claim waiting in one synced transaction. The listener runs one committer that
/// takes whatever accumulated during the previous sync, so a busy gateway pays one fsync per
/// batch rather than one per sign-in, and no reply waits for more than about two syncs.
/// Dropping the store writes what is left.
#[derive(Default)]
struct GrantLog {
    /// Claims waiting for the next batch.
    pending: Vec<(KeyedHash, UnixMillis)>,
    /// Claims made and not yet written (pending or in the batch being written).
    uncommitted: std::collections::HashSet<KeyedHash>,
    /// Claims made since the store was opened.
    claimed: u64,
    /// Claims (counted like `claimed`) known durable.
    durable: u64,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        let claims = std::mem::take(&mut self.lock_grants().pending);
        if !claims.is_empty()
            && let Err(error) = self.insert_granted_sign_ins(&claims)
        {
            tracing::error!(%error, "granted sign-ins not written at shutdown");
        }
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

const STATE_ACTIVE: i64 = 0;
const STATE_SUPERSEDED: i64 = 1;
const STATE_REVOKED: i64 = 2;

impl SqliteStore {
    /// Opens (creating it if needed) the database file at `path` and brings its schema up to
    /// date.
    ///
    /// # Errors
    /// [`Error::CorruptDatabase`] for a file that is not a Padlock gateway database,
    /// [`Error::NewerDatabase`] for one from a newer gateway, [`Error::Database`] otherwise.
    pub fn open(path: &Path) -> Result<Self, Error> {
        create_private(path)?;
        crate::files::check_private(path)?;
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )?;
        // Wait for another process's lock (the admin CLI writing) instead of failing at once.
        connection.busy_timeout(BUSY_TIMEOUT)?;
        // The first statement reads the header: a file that is not SQLite fails here.
        let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::CorruptDatabase(format!(
                "cannot switch to WAL (journal mode {mode})"
            )));
        }
        let mut store = Self::prepare(connection)?;
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_NOFOLLOW,
            )?;
            reader.busy_timeout(BUSY_TIMEOUT)?;
            store.readers.push(Mutex::new(reader));
        }
        Ok(store)
    }

    /// A fresh private in-memory database.
    pub fn in_memory() -> Result<Self, Error> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(connection: Connection) -> Result<Self, Error> {
        connection.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        migrate(&connection)?;
        Ok(Self {
            writer: Mutex::new(connection),
            readers: Vec::new(),
            next_reader: AtomicUsize::new(0),
            grants: Mutex::default(),
            committing: Mutex::new(()),
        })
    }

    /// The connection for writes (and for reads inside a write's transaction).
    fn lock(&self) -> Result<MutexGuard<'_, Connection>, Error> {
        Ok(take(&self.writer))
    }

    /// The first row `sql` selects with `params`, read by `row`, on a reader connection.
    fn read_one<T>(
        &self,
        sql: &str,
        params: impl Params,
        row: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, Error> {
        let connection = self.read()?;
        let mut statement = connection.prepare_cached(sql)?;
        Ok(statement.query_row(params, row).optional()?)
    }

    /// Every row `sql` selects with `params`, read by `row`, on a reader connection.
    fn read_all<T>(
        &self,
        sql: &str,
        params: impl Params,
        row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, Error> {
        let connection = self.read()?;
        let mut statement = connection.prepare_cached(sql)?;
        let rows = statement.query_map(params, row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A connection for a read outside any transaction: a free reader if there is one, else
    /// the next in turn (or the writer, for an in-memory database).
    fn read(&self) -> Result<MutexGuard<'_, Connection>, Error> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let count = self.readers.len();
        for i in 0..count {
            if let Some(Ok(free)) = self.readers.get((start + i) % count).map(Mutex::try_lock) {
                return Ok(free);
            }
        }
        match self.readers.get(start % count.max(1)) {
            Some(reader) => Ok(take(reader)),
            None => self.lock(),
        }
    }

    fn lock_grants(&self) -> MutexGuard<'_, GrantLog> {
        self.grants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn granted_sign_in_stored(&self, message_1: &KeyedHash) -> Result<bool, Error> {
        let connection = self.read()?;
        let mut statement = connection.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM granted_sign_ins WHERE message_1 = ?1)",
        )?;
        Ok(statement.query_row([message_1], |r| r.get(0))?)
    }

    /// Writes a batch of claims in one synced transaction: one fsync for the whole batch.
    fn insert_granted_sign_ins(&self, claims: &[(KeyedHash, UnixMillis)]) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        for (message_1, at) in claims {
            tx.prepare_cached(
                "INSERT INTO granted_sign_ins (message_1, at) VALUES (?1, ?2) \
                 ON CONFLICT (message_1) DO NOTHING",
            )?
            .execute(params![message_1, at.to_sql()])?;
        }
        Ok(tx.commit()?)
    }

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

    /// The schema version of the open database (how many migrations it has had).
    pub fn schema_version(&self) -> Result<u32, Error> {
        user_version(&*self.lock()?)
    }
}

/// Creates the database file, empty and readable by its owner only (0600), unless it exists:
/// SQLite would create it with the process's umask, and gives its `-wal` and `-shm` files the
/// database file's mode.
fn create_private(path: &Path) -> Result<(), Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(Error::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Locks `connection`. A panic while holding it cannot leave a half-done transaction behind
/// (rusqlite rolls back on drop), so a poisoned lock is safe to take over.
fn take(connection: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    connection
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Begins a write transaction that takes the database's write lock at once (`BEGIN IMMEDIATE`).
/// A deferred one would read first and then fail with `SQLITE_BUSY` (no retry: its snapshot is
/// stale) if another process (the admin CLI) wrote in between; an immediate one waits for the
/// lock under the busy timeout instead.
fn write_transaction(connection: &Connection) -> rusqlite::Result<Transaction<'_>> {
    Transaction::new_unchecked(connection, TransactionBehavior::Immediate)
}

fn user_version(connection: &Connection) -> Result<u32, Error> {
    let version: i64 = connection.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    u32::try_from(version).map_err(|_| Error::CorruptDatabase(format!("schema version {version}")))
}

fn migrate(connection: &Connection) -> Result<(), Error> {
    let supported = u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX);
    let found = user_version(connection)?;
    let application_id: i32 = connection.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if found == 0 {
        let tables: i64 =
            connection.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        if tables > 0 {
            return Err(Error::CorruptDatabase(
                "the file holds another program's tables".into(),
            ));
        }
    } else if application_id != APPLICATION_ID {
        return Err(Error::CorruptDatabase(
            "the file belongs to another application".into(),
        ));
    }
    if found > supported {
        return Err(Error::NewerDatabase { found, supported });
    }
    for (version, sql) in (1u32..)
        .zip(MIGRATIONS)
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let tx = write_transaction(connection)?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {version};"
        ))?;
        tx.commit()?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(())
}

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

const TOKEN_COLUMNS: &str = "id, family, account_id, app_password_id, device_key, created, \
                             expires, state, superseded_at, consumed_by, successor";

fn token_row(row: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    let state = match row.get::<_, i64>(7)? {
        STATE_ACTIVE => TokenState::Active,
        STATE_SUPERSEDED => TokenState::Superseded,
        _ => TokenState::Revoked,
    };
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

/// A row count as SQLite's `LIMIT` takes it.
fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
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
fn revoke_primary_password_tokens(connection: &Connection, account_id: i64) -> Result<(), Error> {
    connection
        .prepare_cached(&format!(
            "UPDATE tokens SET state = {STATE_REVOKED} WHERE account_id = ?1 \
             AND app_password_id IS NULL AND state != {STATE_REVOKED}"
        ))?
        .execute([account_id])?;
    Ok(())
}

impl Store for SqliteStore {
    fn security(&self) -> Option<&dyn super::SecurityStore> {
        Some(self)
    }

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

    fn insert_token(&self, token: &NewToken, password_hash: &str) -> Result<Option<i64>, Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        let id = insert_generation(&tx, None, token, Some(password_hash))?;
        if id.is_some() {
            let evicted = delete_tokens_where(
                &tx,
                "device_key = ?1 AND family NOT IN (SELECT family FROM tokens WHERE \
                 device_key = ?1 GROUP BY family ORDER BY max(id) DESC LIMIT ?2)",
                params![token.device_key.0, limit(FAMILIES_PER_DEVICE)],
            )?;
            if evicted > 0 {
                tracing::info!(evicted, "oldest token families of a device deleted");
            }
        }
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

    fn remember_granted_sign_in(
        &self,
        message_1: &KeyedHash,
        now: UnixMillis,
    ) -> Result<bool, Error> {
        let mut log = self.lock_grants();
        // Under the log's lock: the check and the claim are one step for this process.
        if log.uncommitted.contains(message_1) || self.granted_sign_in_stored(message_1)? {
            return Ok(false);
        }
        log.uncommitted.insert(*message_1);
        log.pending.push((*message_1, now));
        log.claimed += 1;
        Ok(true)
    }

    fn granted_sign_in_known(&self, message_1: &KeyedHash) -> Result<bool, Error> {
        if self.lock_grants().uncommitted.contains(message_1) {
            return Ok(true);
        }
        self.granted_sign_in_stored(message_1)
    }

    fn granted_sign_ins_claimed(&self) -> u64 {
        self.lock_grants().claimed
    }

    fn commit_granted_sign_ins(&self) -> Result<u64, Error> {
        let _committer = self
            .committing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (claims, upto) = {
            let mut log = self.lock_grants();
            if log.pending.is_empty() {
                return Ok(log.durable);
            }
            (std::mem::take(&mut log.pending), log.claimed)
        };
        let result = self.insert_granted_sign_ins(&claims);
        let mut log = self.lock_grants();
        match result {
            Ok(()) => {
                for (claim, _) in &claims {
                    log.uncommitted.remove(claim);
                }
                log.durable = upto;
                Ok(upto)
            }
            Err(error) => {
                // Still recognised in memory, and written with the next batch.
                log.pending.extend(claims);
                Err(error)
            }
        }
    }

    fn forget_granted_sign_ins_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        let connection = self.lock()?;
        Ok(connection
            .prepare_cached("DELETE FROM granted_sign_ins WHERE at < ?1")?
            .execute([cutoff.to_sql()])?)
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

    fn throttle(&self, subject: &[u8]) -> Result<Option<ThrottleRecord>, Error> {
        let connection = self.read()?;
        let mut statement = connection
            .prepare_cached("SELECT failures, last_failure FROM throttle WHERE subject = ?1")?;
        Ok(statement.query_row([subject], throttle_row).optional()?)
    }

    fn record_failure(
        &self,
        subjects: &[&[u8]],
        now: UnixMillis,
        forget_before: UnixMillis,
    ) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        for subject in subjects {
            // A counter idle since before `forget_before` is forgotten: this failure is its first.
            tx.prepare_cached(
                "INSERT INTO throttle (subject, failures, last_failure) VALUES (?1, 1, ?2) \
                 ON CONFLICT (subject) DO UPDATE SET failures = CASE WHEN last_failure < ?3 \
                 THEN 1 ELSE failures + 1 END, last_failure = ?2",
            )?
            .execute(params![subject, now.to_sql(), forget_before.to_sql()])?;
        }
        Ok(tx.commit()?)
    }

    fn rebase_throttle(&self, subject: &[u8], now: UnixMillis) -> Result<(), Error> {
        let connection = self.lock()?;
        connection
            .prepare_cached(
                "UPDATE throttle SET last_failure = ?2 WHERE subject = ?1 AND last_failure > ?2",
            )?
            .execute(params![subject, now.to_sql()])?;
        Ok(())
    }

    fn clear_throttle(&self, subject: &[u8]) -> Result<(), Error> {
        let connection = self.lock()?;
        connection
            .prepare_cached("DELETE FROM throttle WHERE subject = ?1")?
            .execute([subject])?;
        Ok(())
    }

    fn forget_throttle_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        let connection = self.lock()?;
        Ok(connection
            .prepare_cached("DELETE FROM throttle WHERE last_failure < ?1")?
            .execute([cutoff.to_sql()])?)
    }

    fn clear_throttle_prefix(&self, prefix: &[u8]) -> Result<usize, Error> {
        let connection = self.lock()?;
        Ok(connection
            .prepare_cached("DELETE FROM throttle WHERE substr(subject, 1, length(?1)) = ?1")?
            .execute([prefix])?)
    }

    fn known_device(
        &self,
        account_id: i64,
        device_key: &PublicKey,
    ) -> Result<Option<KnownDevice>, Error> {
        self.read_one(
            &format!("{KNOWN_DEVICE} WHERE account_id = ?1 AND device_key = ?2"),
            params![account_id, device_key.0],
            known_device_row,
        )
    }

    fn known_devices(&self, account_id: i64) -> Result<Vec<KnownDevice>, Error> {
        self.read_all(
            &format!("{KNOWN_DEVICE} WHERE account_id = ?1 ORDER BY first_seen, device_key"),
            [account_id],
            known_device_row,
        )
    }

    fn device_signed_in(
        &self,
        account_id: i64,
        device_key: &PublicKey,
        description: &str,
        now: UnixMillis,
        resolution: std::time::Duration,
    ) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        // `KnownDevice::seen_within` in SQL, so that two sign-ins racing each other record one.
        let recorded = tx
            .prepare_cached(
                "INSERT INTO known_devices (account_id, device_key, description, first_seen, \
                 last_seen) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (account_id, device_key) \
                 DO UPDATE SET description = ?3, last_seen = max(last_seen, ?4) \
                 WHERE description IS NOT ?3 OR ?4 - last_seen >= ?5",
            )?
            .execute(params![
                account_id,
                device_key.0,
                description,
                now.to_sql(),
                i64::try_from(resolution.as_millis()).unwrap_or(i64::MAX),
            ])?;
        if recorded > 0 {
            web::insert_activity(
                &tx,
                account_id,
                ActivityKind::DeviceSignIn,
                description,
                now,
            )?;
        }
        Ok(tx.commit()?)
    }

    fn forget_known_devices_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        let connection = self.lock()?;
        Ok(connection
            .prepare_cached(&format!(
                "DELETE FROM known_devices WHERE last_seen < ?1 AND NOT EXISTS (SELECT 1 FROM \
                 tokens WHERE tokens.account_id = known_devices.account_id AND \
                 tokens.device_key = known_devices.device_key AND state = {STATE_ACTIVE})"
            ))?
            .execute([cutoff.to_sql()])?)
    }
}

/// The columns [`known_device_row`] reads.
const KNOWN_DEVICE: &str =
    "SELECT device_key, description, first_seen, last_seen FROM known_devices";

fn known_device_row(row: &Row<'_>) -> rusqlite::Result<KnownDevice> {
    Ok(KnownDevice {
        device_key: PublicKey(row.get(0)?),
        description: row.get(1)?,
        first_seen: UnixMillis::from_sql(row.get(2)?),
        last_seen: UnixMillis::from_sql(row.get(3)?),
    })
}

fn throttle_row(row: &Row<'_>) -> rusqlite::Result<ThrottleRecord> {
    Ok(ThrottleRecord {
        failures: row.get(0)?,
        last_failure: UnixMillis::from_sql(row.get(1)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(hash_byte: u8, at: u64) -> NewToken {
        NewToken {
            account_id: 1,
            app_password_id: Some(1),
            device_key: PublicKey([9; 32]),
            hash: [hash_byte; 32],
            created: UnixMillis(at),
            expires: UnixMillis(at + 1000),
        }
    }

    fn store_with_account() -> SqliteStore {
        let store = SqliteStore::in_memory().unwrap();
        store
            .insert_account("a@b", "a@b", "A", "$argon2id$", true)
            .unwrap();
        store
            .insert_app_password(1, "Xbox", &[1; 32], UnixMillis(0))
            .unwrap();
        store
    }

    #[test]
    fn a_file_database_is_private_wal_with_full_sync_and_migrates_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let store = SqliteStore::open(&path).unwrap();
        let connection = store.lock().unwrap();
        let mode: String = connection
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = connection
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 2), "WAL, synchronous = FULL");
        drop(connection);
        #[cfg(unix)]
        for file in ["g.db", "g.db-wal", "g.db-shm"] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        drop(store);
        // Opening again applies nothing twice.
        assert_eq!(
            SqliteStore::open(&path).unwrap().schema_version().unwrap(),
            MIGRATIONS.len() as u32
        );
    }

    #[test]
    fn a_rotation_waits_for_another_process_writing_instead_of_failing_busy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let store = SqliteStore::open(&path).unwrap();
        store
            .insert_account("a@b", "a@b", "A", "$argon2id$", true)
            .unwrap();
        store
            .insert_app_password(1, "Xbox", &[1; 32], UnixMillis(0))
            .unwrap();
        let first = store.insert_token(&token(1, 0), "").unwrap().unwrap();
        // The admin CLI, in its own process, holds the write lock for a while.
        let admin = Connection::open(&path).unwrap();
        admin
            .execute_batch("BEGIN IMMEDIATE; UPDATE accounts SET display_name = 'B';")
            .unwrap();
        std::thread::scope(|scope| {
            let rotation = scope.spawn(|| store.rotate_token(first, &[7; 32], &token(2, 10)));
            std::thread::sleep(std::time::Duration::from_millis(300));
            admin.execute_batch("COMMIT").unwrap();
            assert!(rotation.join().unwrap().unwrap().is_some());
        });
    }

    #[test]
    fn app_password_ids_are_never_reused_also_after_migrating_a_version_1_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let v1 = Connection::open(&path).unwrap();
        v1.execute_batch(MIGRATIONS[0]).unwrap();
        v1.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;
             INSERT INTO accounts VALUES (1, 'a@b', 'a@b', 'A', '$argon2id$', 1);
             INSERT INTO app_passwords (id, account_id, name, hash, created)
                 VALUES (1, 1, 'Xbox', x'01', 0), (2, 1, 'Zune', x'02', 0);
             INSERT INTO tokens (family, account_id, app_password_id, device_key, hash, created,
                 expires, state) VALUES (1, 1, 3, x'09', x'03', 0, 1, 2);"
        ))
        .unwrap();
        drop(v1);
        make_private(&path);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as u32);
        assert_eq!(store.app_passwords(1).unwrap().len(), 2, "rows kept");
        // Id 3 was held by a revoked app password that only a token row remembers.
        let next = store
            .insert_app_password(1, "Wii", &[4; 32], UnixMillis(0))
            .unwrap();
        assert_eq!(next, 4);
        assert!(store.revoke_app_password(1, next).unwrap());
        let after = store
            .insert_app_password(1, "Wii U", &[5; 32], UnixMillis(0))
            .unwrap();
        assert_eq!(
            after, 5,
            "the id of a revoked app password is not given out again"
        );
    }

    /// Gives a database made here by hand the mode the gateway creates its databases with
    /// (private to its user), which it insists on at open.
    fn make_private(path: &std::path::Path) {
        #[cfg(unix)]
        std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
    }

    #[test]
    fn devices_given_a_token_before_version_4_are_known_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let v3 = Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..3] {
            v3.execute_batch(sql).unwrap();
        }
        v3.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 3;
             INSERT INTO accounts VALUES (1, 'a@b', 'a@b', 'A', '$argon2id$', 1);
             INSERT INTO tokens (family, account_id, app_password_id, device_key, hash, created,
                 expires, state) VALUES (1, 1, 1, x'{key}', x'03', 40, 99, 1),
                 (1, 1, 1, x'{key}', x'04', 70, 99, 0);",
            key = "09".repeat(32)
        ))
        .unwrap();
        drop(v3);
        make_private(&path);
        let store = SqliteStore::open(&path).unwrap();
        let known = KnownDevice {
            device_key: PublicKey([9; 32]),
            description: None,
            first_seen: UnixMillis(40),
            last_seen: UnixMillis(70),
        };
        assert_eq!(
            store.known_device(1, &PublicKey([9; 32])).unwrap(),
            Some(known.clone())
        );
        assert_eq!(store.known_device(1, &PublicKey([8; 32])).unwrap(), None);
        assert_eq!(store.known_devices(1).unwrap(), [known]);
    }

    #[test]
    fn a_device_sign_in_is_one_record_written_at_most_once_per_resolution() {
        use crate::store::SecurityStore;
        let store = store_with_account();
        let key = PublicKey([9; 32]);
        let minute = std::time::Duration::from_secs(60);
        let sign_in = |description: &str, at: u64| {
            store
                .device_signed_in(1, &key, description, UnixMillis(at), minute)
                .unwrap();
        };
        let lines = || {
            store
                .activity(1, 100)
                .unwrap()
                .into_iter()
                .map(|line| (line.at.0, line.kind, line.detail))
                .collect::<Vec<_>>()
        };
        sign_in("Xbox", 1_000);
        // Again within the resolution (as two racing sign-ins would): nothing more is written.
        sign_in("Xbox", 1_000);
        sign_in("Xbox", 60_999);
        // The clock set back: nothing is written, the last sighting does not move back.
        sign_in("Xbox", 500);
        let device = |last_seen: u64, description: &str| KnownDevice {
            device_key: key,
            description: Some(description.into()),
            first_seen: UnixMillis(1_000),
            last_seen: UnixMillis(last_seen),
        };
        assert_eq!(store.known_devices(1).unwrap(), [device(1_000, "Xbox")]);
        assert_eq!(
            lines(),
            [(1_000, ActivityKind::DeviceSignIn, "Xbox".into())]
        );
        assert!(device(1_000, "Xbox").seen_within("Xbox", UnixMillis(60_999), minute));
        assert!(!device(1_000, "Xbox").seen_within("Xbox", UnixMillis(61_000), minute));
        assert!(!device(1_000, "Xbox").seen_within("Wii", UnixMillis(1_000), minute));

        // Stale, or described otherwise (new firmware): recorded, with a line of activity.
        sign_in("Xbox", 61_000);
        sign_in("Xbox 2.0", 61_001);
        assert_eq!(
            store.known_devices(1).unwrap(),
            [device(61_001, "Xbox 2.0")]
        );
        assert_eq!(lines().len(), 3);
        assert_eq!(store.known_device(2, &key).unwrap(), None, "per account");

        // Idle since before the cutoff and holding no live token: forgotten.
        assert_eq!(
            store
                .forget_known_devices_before(UnixMillis(61_001))
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .forget_known_devices_before(UnixMillis(61_002))
                .unwrap(),
            1
        );
        assert_eq!(store.known_device(1, &key).unwrap(), None);
    }

    #[test]
    fn rotation_is_all_or_nothing_and_only_once() {
        let store = store_with_account();
        let first = store.insert_token(&token(1, 0), "").unwrap().unwrap();
        let second = store.rotate_token(first, &[7; 32], &token(2, 10)).unwrap();
        let second = second.unwrap();
        let old = store.token_by_id(first).unwrap().unwrap();
        assert_eq!(old.state, TokenState::Superseded);
        assert_eq!(
            (old.consumed_by, old.successor, old.superseded_at),
            (Some([7; 32]), Some(second), Some(UnixMillis(10)))
        );
        let new = store.token_by_hash(&[2; 32]).unwrap().unwrap();
        assert_eq!((new.family, new.state), (first, TokenState::Active));

        // The used-up generation cannot be rotated again: nothing is written.
        assert_eq!(
            store.rotate_token(first, &[8; 32], &token(3, 20)).unwrap(),
            None
        );
        assert_eq!(store.token_by_hash(&[3; 32]).unwrap(), None);
        assert_eq!(
            store.token_by_id(first).unwrap().unwrap().consumed_by,
            Some([7; 32])
        );

        // A successor whose hash collides with an existing token aborts the whole rotation.
        assert!(store.rotate_token(second, &[9; 32], &token(1, 30)).is_err());
        assert_eq!(
            store.token_by_id(second).unwrap().unwrap().state,
            TokenState::Active
        );
    }

    #[test]
    fn a_token_is_inserted_and_rotated_only_while_its_credential_signs_in() {
        let store = store_with_account();
        // Account 1 has two-step on: its primary password issues nothing.
        let primary = NewToken {
            app_password_id: None,
            ..token(1, 0)
        };
        assert_eq!(store.insert_token(&primary, "$argon2id$").unwrap(), None);
        store.set_two_step(1, false).unwrap();
        assert_eq!(
            store.insert_token(&primary, "$argon2id$other").unwrap(),
            None
        );
        assert!(
            store
                .insert_token(&primary, "$argon2id$")
                .unwrap()
                .is_some()
        );
        // App password 2 does not exist (or was revoked before the insert).
        let stray = NewToken {
            app_password_id: Some(2),
            ..token(2, 0)
        };
        assert_eq!(store.insert_token(&stray, "").unwrap(), None);
        assert_eq!(store.token_by_hash(&[2; 32]).unwrap(), None);
        // A family whose app password vanished (a database from before this check): rotation
        // revokes it instead.
        let live = store.insert_token(&token(3, 0), "").unwrap().unwrap();
        store
            .lock()
            .unwrap()
            .execute("DELETE FROM app_passwords WHERE id = 1", [])
            .unwrap();
        assert_eq!(
            store.rotate_token(live, &[7; 32], &token(4, 10)).unwrap(),
            None
        );
        assert_eq!(
            store.token_by_id(live).unwrap().unwrap().state,
            TokenState::Revoked
        );
        assert_eq!(store.token_by_hash(&[4; 32]).unwrap(), None);
    }

    #[test]
    fn revoking_cascades_and_counts_live_families() {
        let store = store_with_account();
        let a = store.insert_token(&token(1, 0), "").unwrap().unwrap();
        store.rotate_token(a, &[7; 32], &token(2, 10)).unwrap();
        store.insert_token(&token(3, 0), "").unwrap().unwrap();
        assert_eq!(store.tokens(1, UnixMillis(0)).unwrap().len(), 2);
        assert_eq!(store.revoke_family(a).unwrap(), 1);
        assert_eq!(
            store.token_by_id(a).unwrap().unwrap().state,
            TokenState::Revoked
        );
        assert!(store.revoke_app_password(1, 1).unwrap());
        assert!(store.tokens(1, UnixMillis(0)).unwrap().is_empty());
        assert!(!store.revoke_app_password(1, 1).unwrap());
    }

    #[test]
    fn a_granted_sign_in_is_remembered_once_until_forgotten() {
        let store = SqliteStore::in_memory().unwrap();
        assert!(
            store
                .remember_granted_sign_in(&[1; 32], UnixMillis(10))
                .unwrap()
        );
        assert!(
            !store
                .remember_granted_sign_in(&[1; 32], UnixMillis(20))
                .unwrap()
        );
        assert!(
            store
                .remember_granted_sign_in(&[2; 32], UnixMillis(30))
                .unwrap()
        );
        assert!(
            store.granted_sign_in_known(&[2; 32]).unwrap(),
            "known before its commit"
        );
        assert_eq!(store.commit_granted_sign_ins().unwrap(), 2);
        assert!(store.granted_sign_in_known(&[2; 32]).unwrap(), "and after");
        assert!(!store.granted_sign_in_known(&[3; 32]).unwrap());
        assert_eq!(
            store
                .forget_granted_sign_ins_before(UnixMillis(30))
                .unwrap(),
            1
        );
        assert!(
            store
                .remember_granted_sign_in(&[1; 32], UnixMillis(40))
                .unwrap()
        );
        assert!(
            !store
                .remember_granted_sign_in(&[2; 32], UnixMillis(40))
                .unwrap()
        );
    }

    #[test]
    fn concurrent_claims_succeed_once_each_and_are_committed_together() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let store = SqliteStore::open(&path).unwrap();
        // 8 threads claim the same 50 message 1s: each is granted to exactly one of them.
        let granted: usize = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        (0..50u8)
                            .filter(|i| {
                                store
                                    .remember_granted_sign_in(&[*i; 32], UnixMillis(1))
                                    .unwrap()
                            })
                            .count()
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).sum()
        });
        assert_eq!(granted, 50);
        assert_eq!(store.granted_sign_ins_claimed(), 50);
        let stored = |path: &Path| -> i64 {
            Connection::open(path)
                .unwrap()
                .query_row("SELECT count(*) FROM granted_sign_ins", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(stored(&path), 0, "nothing written before the commit");
        assert_eq!(store.commit_granted_sign_ins().unwrap(), 50);
        assert_eq!(stored(&path), 50, "one commit wrote them all");
        assert!(
            !store
                .remember_granted_sign_in(&[7; 32], UnixMillis(200))
                .unwrap()
        );
        assert!(
            store
                .remember_granted_sign_in(&[200; 32], UnixMillis(200))
                .unwrap()
        );
        assert_eq!(store.commit_granted_sign_ins().unwrap(), 51);
        assert_eq!(store.commit_granted_sign_ins().unwrap(), 51, "nothing new");
        let log = store.lock_grants();
        assert!(log.pending.is_empty() && log.uncommitted.is_empty());
        drop(log);
        assert_eq!(stored(&path), 51);
    }

    #[test]
    fn failures_add_up_atomically() {
        let store = store_with_account();
        let subject = [b'a'; 33];
        let other = [b'd'; 33];
        for n in 1..=3 {
            store
                .record_failure(&[&subject, &other], UnixMillis(n * 10), UnixMillis(0))
                .unwrap();
            assert_eq!(
                store.throttle(&subject).unwrap(),
                store.throttle(&other).unwrap()
            );
            let record = store.throttle(&subject).unwrap().unwrap();
            assert_eq!(
                record,
                ThrottleRecord {
                    failures: u32::try_from(n).unwrap(),
                    last_failure: UnixMillis(n * 10)
                }
            );
        }
        store.clear_throttle(&subject).unwrap();
        assert_eq!(store.throttle(&subject).unwrap(), None);
        store
            .record_failure(&[&subject], UnixMillis(100), UnixMillis(0))
            .unwrap();
        // `other` last failed at 30, `subject` at 100.
        assert_eq!(store.forget_throttle_before(UnixMillis(100)).unwrap(), 1);
        assert_eq!(store.throttle(&other).unwrap(), None);
        assert_eq!(store.forget_throttle_before(UnixMillis(101)).unwrap(), 1);
    }
}
