//! The SQLite [`Store`].
//!
//! - **File or memory.** [`SqliteStore::open`] uses a file in WAL mode, created readable by its
//!   owner only (it holds password hashes); [`SqliteStore::in_memory`]
//!   a private in-memory database for embedding.
//! - **Durability.** `synchronous = FULL`: every acknowledged transaction is in the WAL on disk
//!   before the method returns, so neither a killed process nor a power cut loses it. It costs
//!   one fsync per write transaction (milliseconds on a virtual disk); the rules keep writes off
//!   the hot path (an app-password sign-in writes its "last used" record, and a device its
//!   known-device record, only when stale, see [`crate::rules`]; a failure writes both its
//!   throttling counters in one transaction). The exceptions are written unsynced
//!   ([`SqliteStore::write_unsynced`]): attempts in flight and success budgets, which may be
//!   lost with the machine, and the claims of granted sign-ins, which the gateway makes durable
//!   by group commit before it answers (see `replays`): one fsync per batch, not per sign-in.
//! - **One writer, several readers.** Writes go through one connection behind a mutex. With a
//!   file, reads go through [`READERS`] read-only connections of their own: in WAL mode a reader
//!   never waits for a writer, so the sign-in hot path (four indexed `SELECT`s) does not queue
//!   behind another request's fsync. Each method holds its connection for a few cached prepared
//!   statements, never across argon2 or Noise work. (An in-memory database is private to its
//!   connection: there, the one connection serves reads too.)
//! - **Other processes.** The admin CLI opens the same file. Every write transaction is
//!   `BEGIN IMMEDIATE` (it takes the write lock before reading) and every connection waits up to
//!   a busy timeout for a lock, so a `Resume` racing an admin command waits instead of failing.
//!   Several gateways may serve one file (on one machine): everything they must share is in it.
//!
//! One module per role, as every backend is laid out: [`migrations`] (the schema), `accounts`,
//! `app_passwords`, `tokens`, `replays`, `throttle`, `pace`, `devices`, `links` and `web` (the
//! Security info page's tables); this one holds the connections and what they share.

mod accounts;
mod app_passwords;
mod devices;
mod links;
mod migrations;
mod pace;
mod replays;
mod throttle;
mod tokens;
mod web;

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Params, Row, Transaction, TransactionBehavior,
};

use self::migrations::{APPLICATION_ID, MIGRATIONS};
use self::replays::GrantLog;
use super::{LinkStore, SecurityStore, Store, WriteCount};
use crate::error::Error;

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
    /// Write calls made (a synced commit each, unless they changed nothing), and those made
    /// unsynced ([`SqliteStore::write_unsynced`]).
    writes: AtomicU64,
    unsynced_writes: AtomicU64,
    /// Held while a batch of claims is written: one committer at a time, and a caller whose
    /// claim is in the batch being written waits here for its sync instead of writing again.
    committing: Mutex<()>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

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
            writes: AtomicU64::new(0),
            unsynced_writes: AtomicU64::new(0),
            committing: Mutex::new(()),
        })
    }

    /// The connection for a write (and for reads inside a write's transaction), counted in
    /// [`Store::writes`].
    fn lock(&self) -> Result<MutexGuard<'_, Connection>, Error> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        Ok(take(&self.writer))
    }

    /// Runs `work` in one write transaction that is not synced when it commits (`synchronous =
    /// NORMAL` for it): the commit is atomic and seen at once by every connection and process,
    /// survives a crash of the process, and becomes durable against a crash of the machine with
    /// the next synced commit, of whichever process (the WAL is synced as a whole). For state
    /// that may be lost with the machine but must be shared at once: attempts in flight, success
    /// budgets, claims of grants not yet answered ([`ReplayStore`](crate::store::ReplayStore)'s
    /// group commit). It costs no fsync, so it stays off the disk's queue.
    fn write_unsynced<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.unsynced_writes.fetch_add(1, Ordering::Relaxed);
        let connection = take(&self.writer);
        connection.execute_batch("PRAGMA synchronous = NORMAL")?;
        let result = write_transaction(&connection)
            .map_err(Error::from)
            .and_then(|tx| {
                let out = work(&tx)?;
                tx.commit()?;
                Ok(out)
            });
        // Back to synced before the lock is released, whatever happened: every other write
        // must be durable when it returns.
        connection.execute_batch("PRAGMA synchronous = FULL")?;
        result
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
            None => Ok(take(&self.writer)),
        }
    }

    /// The schema version of the open database (how many migrations it has had).
    pub fn schema_version(&self) -> Result<u32, Error> {
        user_version(&take(&self.writer))
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

/// A row count as SQLite's `LIMIT` takes it.
fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store for SqliteStore {
    fn security(&self) -> Option<&dyn SecurityStore> {
        Some(self)
    }

    fn links(&self) -> Option<&dyn LinkStore> {
        Some(self)
    }

    fn writes(&self) -> WriteCount {
        WriteCount {
            synced: self.writes.load(Ordering::Relaxed),
            unsynced: self.unsynced_writes.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests;
