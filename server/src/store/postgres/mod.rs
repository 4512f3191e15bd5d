//! The PostgreSQL [`Store`]: one database shared by several gateway processes.
//!
//! - **Driver.** The synchronous [`postgres`] client (rust-postgres, the well-kept driver the
//!   async `tokio-postgres` is the core of): the store's methods run on the gateway's worker
//!   threads, which block on the store as they do on SQLite, so an async client would only add
//!   a runtime hop per query. Connections come from an [`r2d2`] pool ([`POOL_SIZE`] at most),
//!   each with its own cache of prepared statements (one round trip per query instead of two).
//! - **Every limit in the database.** Throttling counters and attempts in flight, the pacing of
//!   successes, the replay memory (granted sign-ins and retries answered with a successor),
//!   grace-window successors and web sessions are rows, written when the method returns: a
//!   second gateway on the same database sees them at once.
//!   A granted sign-in is claimed by an `INSERT ... ON CONFLICT DO NOTHING`, durable when
//!   [`ReplayStore::remember_granted_sign_in`](super::ReplayStore::remember_granted_sign_in)
//!   returns: the SQLite store syncs its claims in batches, PostgreSQL already flushes the
//!   commits of concurrent sessions together (its own group commit). Of two gateways claiming
//!   one message 1, exactly one succeeds.
//! - **Nothing else in memory.** A store holds its pooled connections and the statements
//!   prepared on them, nothing that decides a request: a gateway process can crash or be added
//!   at any moment (what the gateway itself keeps in memory, and why that is safe, is in
//!   [`crate::store`]).
//! - **Isolation, per transaction.** A method that is one statement runs on its own, at READ
//!   COMMITTED: a conditional `UPDATE` or an `INSERT ... ON CONFLICT DO UPDATE` locks the row it
//!   changes and re-checks its condition on the newest version, so it is atomic against any
//!   other gateway. Recording a failure (one upsert per throttling subject) is one READ
//!   COMMITTED transaction for the same reason, with its subjects in a fixed order: guesses
//!   racing at one account queue on its counter row and each adds one, where SERIALIZABLE would
//!   abort all but one under exactly the load throttling exists for. Every other rule that
//!   spans statements (token rotation with its reuse record, starting a family with its
//!   credential check, revoking a family, an app password and its tokens, two-step and password
//!   changes with their token revocations) runs SERIALIZABLE: PostgreSQL then guarantees the
//!   outcome of running them one at a time, as SQLite's single writer does, and a transaction
//!   it aborts for a conflict (`40001`, or a deadlock, `40P01`) is run again from the start
//!   ([`RETRIES`] times), reading the other's result. So a rotation that races a revocation of
//!   its app password either sees the password gone or is seen by the revocation.
//! - **Failures.** While PostgreSQL cannot be reached, every method fails (after at most
//!   [`CONNECT_TIMEOUT`] waiting for a connection) and the gateway answers `ServerError`; a
//!   connection lost in the middle of a statement is an error too (its outcome is unknown, so it
//!   is not run again). Pooled connections that died while idle (a PostgreSQL restart ends them
//!   all) are dropped when next used and the request moves on to a fresh one, so the gateway
//!   recovers by itself, without a restart and without a failure per dead connection.
//! - **Transport.** The connection is not encrypted (no TLS): reach PostgreSQL over a unix
//!   socket or a private network. Only keyed hashes, argon2id strings and sealed secrets cross
//!   it, never a password or token in clear.

mod accounts;
mod app_passwords;
mod copy;
mod devices;
mod links;
mod migrations;
mod pace;
mod replays;
mod security;
mod throttle;
mod tokens;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use padlock_protocol::PublicKey;
use postgres::types::ToSql;
use postgres::{GenericClient, IsolationLevel, NoTls, Row, Statement};

use super::{LinkStore, SecurityStore, Store, WriteCount};
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::time::UnixMillis;
use migrations::{CREATE_SCHEMA_TABLE, MIGRATION_LOCK, MIGRATIONS};

/// The most connections one store (one gateway process) holds.
pub const POOL_SIZE: u32 = 16;

/// How long a method waits for a connection (an open one to come free, or a new one to be made)
/// before it fails.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How many times a SERIALIZABLE transaction aborted for a conflict is run again.
pub const RETRIES: u32 = 10;

/// Whether `db` names a PostgreSQL database (a `postgres://` or `postgresql://` URL) rather than
/// a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The PostgreSQL implementation of [`Store`].
pub struct PostgresStore {
    /// `None` only while the store is dropped (see its `Drop`).
    pool: Option<r2d2::Pool<Manager>>,
    /// Calls whose commit wrote something: synced ones (the commit waited for the WAL flush),
    /// and unsynced ones ([`PostgresStore::unsynced`]).
    synced_writes: AtomicU64,
    unsynced_writes: AtomicU64,
    /// Whether [`PostgresStore::open`] found the database empty and created the schema.
    created: bool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostgresStore")
    }
}

/// One pooled connection and the statements prepared on it.
struct Connection {
    client: postgres::Client,
    statements: HashMap<String, Statement>,
    /// Found dead: the pool drops it instead of handing it out again.
    broken: bool,
}

/// Opens connections for the pool, and tells it which ones broke.
struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Connection, postgres::Error> {
        Ok(Connection {
            client: self.config.connect(NoTls)?,
            statements: HashMap::new(),
            broken: false,
        })
    }

    fn is_valid(&self, connection: &mut Connection) -> Result<(), postgres::Error> {
        connection.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, connection: &mut Connection) -> bool {
        connection.broken || connection.client.is_closed()
    }
}

/// Logs the pool's failures to connect (they also reach the caller as [`Error::PostgresPool`]).
#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<postgres::Error> for LogErrors {
    fn handle_error(&self, error: postgres::Error) {
        tracing::warn!(%error, "PostgreSQL connection failed");
    }
}

/// A client (a connection, or a transaction on it) and the connection's prepared statements.
struct Db<'a, C> {
    client: &'a mut C,
    statements: &'a mut HashMap<String, Statement>,
    /// Rows the statements run here wrote (counted by [`Db::execute`]; a statement that writes
    /// through `RETURNING` adds its own).
    written: u64,
}

/// Query parameters as the driver takes them.
type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl<C: GenericClient> Db<'_, C> {
    /// `sql` prepared on this connection, once.
    fn statement(&mut self, sql: &str) -> Result<Statement, Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, Error> {
        let statement = self.statement(sql)?;
        Ok(self.client.query(&statement, params)?)
    }

    fn query_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>, Error> {
        let statement = self.statement(sql)?;
        Ok(self.client.query_opt(&statement, params)?)
    }

    /// Runs `sql`; returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<usize, Error> {
        let statement = self.statement(sql)?;
        let changed = self.client.execute(&statement, params)?;
        self.written += changed;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    /// Runs `sql`, an `INSERT ... RETURNING id` (of one row at most); the id of the row it
    /// inserted, if it did.
    fn inserted_id(&mut self, sql: &str, params: Params<'_>) -> Result<Option<i64>, Error> {
        let row = self.query_opt(sql, params)?;
        self.written += u64::from(row.is_some());
        row.map(|row| Ok(row.try_get(0)?)).transpose()
    }

    /// The first column of the one row `sql` returns.
    fn value<T: for<'r> postgres::types::FromSql<'r>>(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<T, Error> {
        let statement = self.statement(sql)?;
        Ok(self.client.query_one(&statement, params)?.try_get(0)?)
    }
}

/// Which isolation level a transaction runs at (see the module docs for which gets which).
#[derive(Clone, Copy)]
enum Isolation {
    ReadCommitted,
    Serializable,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host/db`, or with the host a
    /// percent-encoded socket folder) and brings its schema up to date.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a URL the driver cannot read, [`Error::PostgresPool`] if no
    /// connection could be made, [`Error::CorruptDatabase`] for a database holding another
    /// program's tables, [`Error::NewerDatabase`] for one from a newer gateway,
    /// [`Error::Postgres`] otherwise.
    pub fn open(url: &str) -> Result<Self, Error> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| Error::InvalidInput(format!("PostgreSQL URL: {e}")))?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .application_name("padlock-server");
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(CONNECT_TIMEOUT)
            // A broken connection is found when it fails (and dropped then), not by a round
            // trip on every checkout.
            .test_on_check_out(false)
            .error_handler(Box::new(LogErrors))
            .build(Manager { config })?;
        let mut store = Self {
            pool: Some(pool),
            synced_writes: AtomicU64::new(0),
            unsynced_writes: AtomicU64::new(0),
            created: false,
        };
        store.created = store.migrate()?;
        // The schema's own bookkeeping is not the gateway's work.
        store.synced_writes.store(0, Ordering::Relaxed);
        Ok(store)
    }

    /// Whether opening found the database empty and made it a gateway's (its first gateway:
    /// the one that may create the gateway's keys).
    pub fn created(&self) -> bool {
        self.created
    }

    /// The schema version this gateway brings a database to (how many migrations it knows).
    pub fn latest_schema_version() -> u32 {
        u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX)
    }

    /// The schema version of the database (how many migrations it has had).
    pub fn schema_version(&self) -> Result<u32, Error> {
        self.with(|db| {
            let version: i32 = db.value("SELECT version FROM padlock_schema", &[])?;
            Ok(u32::try_from(version).unwrap_or(0))
        })
    }

    /// Applies the missing migrations; returns whether the database was empty (this call made
    /// it a gateway's).
    fn migrate(&self) -> Result<bool, Error> {
        let supported = MIGRATIONS.len();
        let mut applied = 0;
        let mut created = false;
        loop {
            let done = self.transaction(Isolation::ReadCommitted, |db| {
                // One migrating gateway at a time; the lock ends with the transaction.
                db.query("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
                let ours: bool = db.value(
                    "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() \
                     AND tablename = 'padlock_schema')",
                    &[],
                )?;
                if !ours {
                    let tables: i64 = db.value(
                        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                        &[],
                    )?;
                    if tables > 0 {
                        return Err(Error::CorruptDatabase(
                            "the database holds another program's tables".into(),
                        ));
                    }
                    db.client.batch_execute(CREATE_SCHEMA_TABLE)?;
                    db.client
                        .batch_execute("INSERT INTO padlock_schema (version) VALUES (0)")?;
                    created = true;
                }
                let found: i32 = db.value("SELECT version FROM padlock_schema", &[])?;
                let found = usize::try_from(found).unwrap_or(usize::MAX);
                if found > supported {
                    return Err(Error::NewerDatabase {
                        found: u32::try_from(found).unwrap_or(u32::MAX),
                        supported: u32::try_from(supported).unwrap_or(u32::MAX),
                    });
                }
                let Some(sql) = MIGRATIONS.get(found) else {
                    return Ok(true);
                };
                db.client.batch_execute(sql)?;
                let version = i32::try_from(found + 1).unwrap_or(i32::MAX);
                db.execute("UPDATE padlock_schema SET version = $1", &[&version])?;
                tracing::info!(version, "PostgreSQL schema migrated");
                Ok(false)
            })?;
            if done {
                return Ok(created);
            }
            applied += 1;
            if applied > supported {
                return Err(Error::CorruptDatabase(
                    "the schema version does not advance".into(),
                ));
            }
        }
    }

    /// Runs `work` on a pooled connection, each statement on its own (autocommit).
    fn with<T>(
        &self,
        mut work: impl FnMut(&mut Db<'_, postgres::Client>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.on_connection(|connection| {
            let Connection {
                client, statements, ..
            } = connection;
            let mut db = Db {
                client,
                statements,
                written: 0,
            };
            let value = work(&mut db)?;
            self.count_write(db.written, true);
            Ok(value)
        })
    }

    /// Runs `work` in one transaction at `isolation` and commits it; a transaction aborted for
    /// a serialization conflict or a deadlock is run again, up to [`RETRIES`] times.
    fn transaction<T>(
        &self,
        isolation: Isolation,
        work: impl FnMut(&mut Db<'_, postgres::Transaction<'_>>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.run_transaction(isolation, true, work)
    }

    /// Runs `work` in one READ COMMITTED transaction whose commit does not wait for the WAL to
    /// reach the disk (`synchronous_commit = off`): it is visible to every gateway at once and
    /// durable with the next synced commit of any session, a fraction of a second later. A
    /// PostgreSQL crash in between loses it, and never anything else. For what is transient
    /// anyway, on the hot path of every password attempt (as the SQLite store's unsynced
    /// writes): attempts in flight, which a lease ends, and the pacing of successes.
    fn unsynced<T>(
        &self,
        mut work: impl FnMut(&mut Db<'_, postgres::Transaction<'_>>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.run_transaction(Isolation::ReadCommitted, false, |db| {
            db.client
                .batch_execute("SET LOCAL synchronous_commit = off")?;
            work(db)
        })
    }

    fn run_transaction<T>(
        &self,
        isolation: Isolation,
        synced: bool,
        mut work: impl FnMut(&mut Db<'_, postgres::Transaction<'_>>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let level = match isolation {
            Isolation::ReadCommitted => IsolationLevel::ReadCommitted,
            Isolation::Serializable => IsolationLevel::Serializable,
        };
        self.on_connection(|connection| {
            let Connection {
                client, statements, ..
            } = connection;
            let mut attempt = 0;
            loop {
                let mut once = || {
                    let mut tx = client.build_transaction().isolation_level(level).start()?;
                    let mut db = Db {
                        client: &mut tx,
                        statements: &mut *statements,
                        written: 0,
                    };
                    let value = work(&mut db)?;
                    let written = db.written;
                    tx.commit()?;
                    self.count_write(written, synced);
                    Ok(value)
                };
                match once() {
                    Err(Error::Postgres(error)) if attempt < RETRIES && is_conflict(&error) => {
                        attempt += 1;
                        // Let the transaction that won finish before reading its result.
                        std::thread::sleep(Duration::from_millis(u64::from(attempt)));
                    }
                    other => return other,
                }
            }
        })
    }

    /// Counts a committed call that wrote `rows` rows (one that wrote none commits nothing).
    fn count_write(&self, rows: u64, synced: bool) {
        if rows == 0 {
            return;
        }
        let calls = if synced {
            &self.synced_writes
        } else {
            &self.unsynced_writes
        };
        calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `work` on a pooled connection. A connection that died while it sat in the pool
    /// (PostgreSQL restarted, or ended it) fails before anything `work` sent was run: it is
    /// dropped and `work` runs again on the next, so that a restart costs the requests made
    /// while PostgreSQL was down, not one failure per pooled connection afterwards. Any other
    /// failure (a connection lost in the middle of a statement, whose outcome is unknown) is
    /// the caller's.
    fn on_connection<T>(
        &self,
        mut work: impl FnMut(&mut Connection) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // Taken only by `drop`, when no method can run any more.
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| Error::InvalidInput("the PostgreSQL store is closed".into()))?;
        let mut stale = 0;
        loop {
            let mut connection = pool.get()?;
            match work(&mut connection) {
                Err(Error::Postgres(error)) if stale < POOL_SIZE && died_idle(&error) => {
                    stale += 1;
                    connection.broken = true;
                    tracing::info!(%error, "a pooled PostgreSQL connection had died; trying another");
                }
                other => return other,
            }
        }
    }
}

impl Drop for PostgresStore {
    /// Closes the pooled connections off any tokio runtime. The synchronous client closes a
    /// connection by blocking on a runtime of its own, which panics on a thread of another
    /// runtime, and the last handle on a gateway can go there: `serve --web` drops the page's
    /// router, and the gateway in it, as its runtime shuts down.
    fn drop(&mut self) {
        let Some(pool) = self.pool.take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            // Joined: once the store is gone its connections are closed (a test drops its
            // scratch database next).
            let closing = std::thread::Builder::new()
                .name("postgres-close".into())
                .spawn(move || drop(pool));
            if let Ok(closing) = closing {
                let _ = closing.join();
            }
        }
    }
}

/// Whether `error` says the connection had been ended before the request reached PostgreSQL
/// (so nothing of it ran): closed on our side already, or ended by PostgreSQL's shutdown, crash
/// recovery or start-up, whose notice is the first thing read after sending.
fn died_idle(error: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    error.is_closed()
        || matches!(
            error.code(),
            Some(
                &SqlState::ADMIN_SHUTDOWN
                    | &SqlState::CRASH_SHUTDOWN
                    | &SqlState::CANNOT_CONNECT_NOW
            )
        )
}

/// Whether PostgreSQL aborted the transaction for a conflict with another (running it again
/// may succeed).
fn is_conflict(error: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    matches!(
        error.code(),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE | &SqlState::T_R_DEADLOCK_DETECTED)
    )
}

/// A stored hash as the gateway's fixed-size form; another length means the row is damaged.
fn hash_from(bytes: Vec<u8>) -> Result<KeyedHash, Error> {
    bytes
        .try_into()
        .map_err(|_| Error::CorruptDatabase("a stored hash has the wrong length".into()))
}

fn key_from(bytes: Vec<u8>) -> Result<PublicKey, Error> {
    Ok(PublicKey(hash_from(bytes)?))
}

fn millis(row: &Row, column: usize) -> Result<UnixMillis, Error> {
    Ok(UnixMillis::from_sql(row.try_get(column)?))
}

fn optional_millis(row: &Row, column: usize) -> Result<Option<UnixMillis>, Error> {
    Ok(row
        .try_get::<_, Option<i64>>(column)?
        .map(UnixMillis::from_sql))
}

/// The id of a row an unconditional insert made (it returns one, or fails).
fn always_inserted(id: Option<i64>) -> Result<i64, Error> {
    id.ok_or_else(|| Error::CorruptDatabase("an insert returned no row".into()))
}

/// A row count as PostgreSQL's `LIMIT` takes it.
fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn rows<T>(rows: Vec<Row>, read: impl Fn(&Row) -> Result<T, Error>) -> Result<Vec<T>, Error> {
    rows.iter().map(read).collect()
}

impl Store for PostgresStore {
    fn security(&self) -> Option<&dyn SecurityStore> {
        Some(self)
    }

    fn links(&self) -> Option<&dyn LinkStore> {
        Some(self)
    }

    fn writes(&self) -> WriteCount {
        WriteCount {
            synced: self.synced_writes.load(Ordering::Relaxed),
            unsynced: self.unsynced_writes.load(Ordering::Relaxed),
        }
    }
}
