//! The PostgreSQL [`Store`]: one database shared by several gateway processes.
//!
//! - **Driver.** The synchronous [`postgres`] client (rust-postgres, the well-kept driver the
//!   async `tokio-postgres` is the core of): the store's methods run on the gateway's worker
//!   threads, which block on the store as they do on SQLite, so an async client would only add
//!   a runtime hop per query. Connections come from an [`r2d2`] pool ([`POOL_SIZE`] at most),
//!   each with its own cache of prepared statements (one round trip per query instead of two).
//! - **Every limit in the database.** Throttling counters, the replay memory (granted sign-ins
//!   and retries answered with a successor), grace-window successors and web sessions are rows,
//!   written when the method returns: a second gateway on the same database sees them at once.
//!   Unlike the SQLite store, a granted sign-in is claimed by an `INSERT ... ON CONFLICT DO
//!   NOTHING` that is durable when [`Store::remember_granted_sign_in`] returns (PostgreSQL
//!   commits concurrent sessions' transactions with one WAL flush, its own group commit), so
//!   two gateways can never both claim one message 1.
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
//! - **Failures.** A lost connection (PostgreSQL restarted, the network cut) is an error, which
//!   the gateway answers with `ServerError`; the pool drops the broken connection when it comes
//!   back and opens a fresh one for a later request, so the gateway recovers without a restart.
//!   Getting a connection waits at most [`CONNECT_TIMEOUT`].
//! - **Transport.** The connection is not encrypted (no TLS): reach PostgreSQL over a unix
//!   socket or a private network. Only keyed hashes, argon2id strings and sealed secrets cross
//!   it, never a password or token in clear.

mod migrations;
mod security;

use std::collections::HashMap;
use std::time::Duration;

use padlock_protocol::PublicKey;
use postgres::types::ToSql;
use postgres::{GenericClient, IsolationLevel, NoTls, Row, Statement};

use super::{
    ANSWERS_PER_TOKEN, AccountRecord, AppPasswordRecord, FAMILIES_PER_DEVICE, GENERATIONS_KEPT,
    KnownDevice, NewToken, Store, ThrottleRecord, TokenRecord, TokenState,
};
use crate::error::Error;
use crate::hashing::KeyedHash;
use crate::store::security::ActivityKind;
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
    pool: r2d2::Pool<Manager>,
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
        })
    }

    fn is_valid(&self, connection: &mut Connection) -> Result<(), postgres::Error> {
        connection.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, connection: &mut Connection) -> bool {
        connection.client.is_closed()
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
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
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
        let store = Self { pool };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version of the database (how many migrations it has had).
    pub fn schema_version(&self) -> Result<u32, Error> {
        self.with(|db| {
            let version: i32 = db.value("SELECT version FROM padlock_schema", &[])?;
            Ok(u32::try_from(version).unwrap_or(0))
        })
    }

    fn migrate(&self) -> Result<(), Error> {
        let supported = MIGRATIONS.len();
        let mut applied = 0;
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
                return Ok(());
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
        work: impl FnOnce(&mut Db<'_, postgres::Client>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut pooled = self.pool.get()?;
        let Connection { client, statements } = &mut *pooled;
        work(&mut Db { client, statements })
    }

    /// Runs `work` in one transaction at `isolation` and commits it; a transaction aborted for
    /// a serialization conflict or a deadlock is run again, up to [`RETRIES`] times.
    fn transaction<T>(
        &self,
        isolation: Isolation,
        mut work: impl FnMut(&mut Db<'_, postgres::Transaction<'_>>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut pooled = self.pool.get()?;
        let Connection { client, statements } = &mut *pooled;
        let mut attempt = 0;
        loop {
            let result = (|| {
                let level = match isolation {
                    Isolation::ReadCommitted => IsolationLevel::ReadCommitted,
                    Isolation::Serializable => IsolationLevel::Serializable,
                };
                let mut tx = client.build_transaction().isolation_level(level).start()?;
                let value = work(&mut Db {
                    client: &mut tx,
                    statements: &mut *statements,
                })?;
                tx.commit()?;
                Ok(value)
            })();
            match result {
                Err(Error::Postgres(error)) if attempt < RETRIES && is_conflict(&error) => {
                    attempt += 1;
                    // Let the transaction that won finish before reading its result.
                    std::thread::sleep(Duration::from_millis(u64::from(attempt)));
                }
                other => return other,
            }
        }
    }

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

/// Whether PostgreSQL aborted the transaction for a conflict with another (running it again
/// may succeed).
fn is_conflict(error: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    matches!(
        error.code(),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE | &SqlState::T_R_DEADLOCK_DETECTED)
    )
}

const STATE_ACTIVE: i16 = 0;
const STATE_SUPERSEDED: i16 = 1;
const STATE_REVOKED: i16 = 2;

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

/// A row count as PostgreSQL's `LIMIT` takes it.
fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

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

const APP_PASSWORD_COLUMNS: &str = "id, account_id, name, created, last_used, last_device";

fn app_password_row(row: &Row) -> Result<AppPasswordRecord, Error> {
    Ok(AppPasswordRecord {
        id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        name: row.try_get(2)?,
        created: millis(row, 3)?,
        last_used: optional_millis(row, 4)?,
        last_device: row.try_get(5)?,
    })
}

const TOKEN_COLUMNS: &str = "id, family, account_id, app_password_id, device_key, created, \
                             expires, state, superseded_at, consumed_by, successor";

fn token_row(row: &Row) -> Result<TokenRecord, Error> {
    let state = match row.try_get::<_, i16>(7)? {
        STATE_ACTIVE => TokenState::Active,
        STATE_SUPERSEDED => TokenState::Superseded,
        _ => TokenState::Revoked,
    };
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

const KNOWN_DEVICE: &str =
    "SELECT device_key, description, first_seen, last_seen FROM known_devices";

fn known_device_row(row: &Row) -> Result<KnownDevice, Error> {
    Ok(KnownDevice {
        device_key: key_from(row.try_get(0)?)?,
        description: row.try_get(1)?,
        first_seen: millis(row, 2)?,
        last_seen: millis(row, 3)?,
    })
}

fn rows<T>(rows: Vec<Row>, read: impl Fn(&Row) -> Result<T, Error>) -> Result<Vec<T>, Error> {
    rows.iter().map(read).collect()
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
    let row = db.query_opt(
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
    )?;
    row.map(|row| Ok(row.try_get(0)?)).transpose()
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
fn revoke_primary_password_tokens(
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

impl Store for PostgresStore {
    fn security(&self) -> Option<&dyn super::SecurityStore> {
        Some(self)
    }

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
        let row = self.with(|db| {
            db.query_opt(
                "INSERT INTO accounts (email, email_key, display_name, password_hash, two_step) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email_key) DO NOTHING RETURNING id",
                &[&email, &email_key, &display_name, &password_hash, &two_step],
            )
        })?;
        match row {
            Some(row) => Ok(row.try_get(0)?),
            None => Err(Error::DuplicateAccount(email.to_owned())),
        }
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

    fn insert_app_password(
        &self,
        account_id: i64,
        name: &str,
        hash: &KeyedHash,
        now: UnixMillis,
    ) -> Result<i64, Error> {
        self.with(|db| {
            db.value(
                "INSERT INTO app_passwords (account_id, name, hash, created) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[&account_id, &name, &&hash[..], &now.to_sql()],
            )
        })
    }

    fn app_password_by_hash(
        &self,
        account_id: i64,
        hash: &KeyedHash,
    ) -> Result<Option<(AppPasswordRecord, KeyedHash)>, Error> {
        self.with(|db| {
            db.query_opt(
                &format!(
                    "SELECT {APP_PASSWORD_COLUMNS}, hash FROM app_passwords \
                     WHERE account_id = $1 AND hash = $2"
                ),
                &[&account_id, &&hash[..]],
            )?
            .map(|row| Ok((app_password_row(&row)?, hash_from(row.try_get(6)?)?)))
            .transpose()
        })
    }

    fn touch_app_password(&self, id: i64, now: UnixMillis, device: &str) -> Result<(), Error> {
        self.with(|db| {
            db.execute(
                "UPDATE app_passwords SET last_used = $2, last_device = $3 WHERE id = $1",
                &[&id, &now.to_sql(), &device],
            )
        })?;
        Ok(())
    }

    fn app_passwords(&self, account_id: i64) -> Result<Vec<AppPasswordRecord>, Error> {
        self.with(|db| {
            rows(
                db.query(
                    &format!(
                        "SELECT {APP_PASSWORD_COLUMNS} FROM app_passwords WHERE account_id = $1 \
                         ORDER BY id"
                    ),
                    &[&account_id],
                )?,
                app_password_row,
            )
        })
    }

    fn revoke_app_password(&self, account_id: i64, id: i64) -> Result<bool, Error> {
        self.transaction(Isolation::Serializable, |db| {
            let deleted = db.execute(
                "DELETE FROM app_passwords WHERE account_id = $1 AND id = $2",
                &[&account_id, &id],
            )?;
            if deleted == 0 {
                // Not this account's: touch no token.
                return Ok(false);
            }
            db.execute(
                &format!(
                    "UPDATE tokens SET state = {STATE_REVOKED} WHERE account_id = $1 \
                     AND app_password_id = $2 AND state != {STATE_REVOKED}"
                ),
                &[&account_id, &id],
            )?;
            Ok(true)
        })
    }

    fn revoke_all_app_passwords(&self, account_id: i64) -> Result<usize, Error> {
        self.transaction(Isolation::Serializable, |db| {
            db.execute(
                &format!(
                    "UPDATE tokens SET state = {STATE_REVOKED} WHERE account_id = $1 \
                     AND app_password_id IS NOT NULL AND state != {STATE_REVOKED}"
                ),
                &[&account_id],
            )?;
            db.execute(
                "DELETE FROM app_passwords WHERE account_id = $1",
                &[&account_id],
            )
        })
    }

    fn insert_token(&self, token: &NewToken, password_hash: &str) -> Result<Option<i64>, Error> {
        self.transaction(Isolation::Serializable, |db| {
            let id = insert_generation(db, None, token, Some(password_hash))?;
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

    fn remember_granted_sign_in(
        &self,
        message_1: &KeyedHash,
        now: UnixMillis,
    ) -> Result<bool, Error> {
        // Of two gateways inserting one message 1 at once, the second waits for the first's
        // commit and then inserts nothing.
        let inserted = self.with(|db| {
            db.execute(
                "INSERT INTO granted_sign_ins (message_1, at) VALUES ($1, $2) \
                 ON CONFLICT (message_1) DO NOTHING",
                &[&&message_1[..], &now.to_sql()],
            )
        })?;
        Ok(inserted == 1)
    }

    fn granted_sign_in_known(&self, message_1: &KeyedHash) -> Result<bool, Error> {
        self.with(|db| {
            db.value(
                "SELECT EXISTS (SELECT 1 FROM granted_sign_ins WHERE message_1 = $1)",
                &[&&message_1[..]],
            )
        })
    }

    fn forget_granted_sign_ins_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        self.with(|db| {
            db.execute(
                "DELETE FROM granted_sign_ins WHERE at < $1",
                &[&cutoff.to_sql()],
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

    fn throttle(&self, subject: &[u8]) -> Result<Option<ThrottleRecord>, Error> {
        self.with(|db| {
            db.query_opt(
                "SELECT failures, last_failure FROM throttle WHERE subject = $1",
                &[&subject],
            )?
            .map(|row| {
                Ok(ThrottleRecord {
                    failures: u32::try_from(row.try_get::<_, i32>(0)?).unwrap_or(0),
                    last_failure: millis(&row, 1)?,
                })
            })
            .transpose()
        })
    }

    fn record_failure(
        &self,
        subjects: &[&[u8]],
        now: UnixMillis,
        forget_before: UnixMillis,
    ) -> Result<(), Error> {
        // One order for every gateway: two transactions taking the same rows never deadlock.
        let mut ordered = subjects.to_vec();
        ordered.sort_unstable();
        ordered.dedup();
        self.transaction(Isolation::ReadCommitted, |db| {
            for subject in &ordered {
                // A counter idle since before `forget_before` is forgotten: this failure is its
                // first.
                db.execute(
                    "INSERT INTO throttle (subject, failures, last_failure) VALUES ($1, 1, $2) \
                     ON CONFLICT (subject) DO UPDATE SET failures = CASE WHEN \
                     throttle.last_failure < $3 THEN 1 ELSE throttle.failures + 1 END, \
                     last_failure = $2",
                    &[subject, &now.to_sql(), &forget_before.to_sql()],
                )?;
            }
            Ok(())
        })
    }

    fn rebase_throttle(&self, subject: &[u8], now: UnixMillis) -> Result<(), Error> {
        self.with(|db| {
            db.execute(
                "UPDATE throttle SET last_failure = $2 WHERE subject = $1 AND last_failure > $2",
                &[&subject, &now.to_sql()],
            )
        })?;
        Ok(())
    }

    fn clear_throttle(&self, subject: &[u8]) -> Result<(), Error> {
        self.with(|db| db.execute("DELETE FROM throttle WHERE subject = $1", &[&subject]))?;
        Ok(())
    }

    fn forget_throttle_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        self.with(|db| {
            db.execute(
                "DELETE FROM throttle WHERE last_failure < $1",
                &[&cutoff.to_sql()],
            )
        })
    }

    fn clear_throttle_prefix(&self, prefix: &[u8]) -> Result<usize, Error> {
        self.with(|db| {
            db.execute(
                "DELETE FROM throttle WHERE substring(subject FROM 1 FOR length($1::bytea)) = $1",
                &[&prefix],
            )
        })
    }

    fn known_device(
        &self,
        account_id: i64,
        device_key: &PublicKey,
    ) -> Result<Option<KnownDevice>, Error> {
        self.with(|db| {
            db.query_opt(
                &format!("{KNOWN_DEVICE} WHERE account_id = $1 AND device_key = $2"),
                &[&account_id, &&device_key.0[..]],
            )?
            .as_ref()
            .map(known_device_row)
            .transpose()
        })
    }

    fn known_devices(&self, account_id: i64) -> Result<Vec<KnownDevice>, Error> {
        self.with(|db| {
            rows(
                db.query(
                    &format!(
                        "{KNOWN_DEVICE} WHERE account_id = $1 ORDER BY first_seen, device_key"
                    ),
                    &[&account_id],
                )?,
                known_device_row,
            )
        })
    }

    fn device_signed_in(
        &self,
        account_id: i64,
        device_key: &PublicKey,
        description: &str,
        now: UnixMillis,
        resolution: Duration,
    ) -> Result<(), Error> {
        let resolution = i64::try_from(resolution.as_millis()).unwrap_or(i64::MAX);
        self.transaction(Isolation::Serializable, |db| {
            // `KnownDevice::seen_within` in SQL, so that two sign-ins racing each other record
            // one.
            let recorded = db.execute(
                "INSERT INTO known_devices (account_id, device_key, description, first_seen, \
                 last_seen) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (account_id, device_key) \
                 DO UPDATE SET description = $3, \
                 last_seen = GREATEST(known_devices.last_seen, $4) \
                 WHERE known_devices.description IS DISTINCT FROM $3 \
                 OR $4 - known_devices.last_seen >= $5",
                &[
                    &account_id,
                    &&device_key.0[..],
                    &description,
                    &now.to_sql(),
                    &resolution,
                ],
            )?;
            if recorded > 0 {
                security::insert_activity(
                    db,
                    account_id,
                    ActivityKind::DeviceSignIn,
                    description,
                    now,
                )?;
            }
            Ok(())
        })
    }

    fn forget_known_devices_before(&self, cutoff: UnixMillis) -> Result<usize, Error> {
        self.with(|db| {
            db.execute(
                &format!(
                    "DELETE FROM known_devices WHERE last_seen < $1 AND NOT EXISTS (SELECT 1 FROM \
                     tokens WHERE tokens.account_id = known_devices.account_id AND \
                     tokens.device_key = known_devices.device_key AND state = {STATE_ACTIVE})"
                ),
                &[&cutoff.to_sql()],
            )
        })
    }
}
