//! Copying a gateway's whole state from one store to another (`padlock-server store copy`), and
//! checking the copy.
//!
//! A deployment that outgrew one SQLite file moves to PostgreSQL with every account, app
//! password, live token family, throttling counter, known device, replay record and Security
//! info page datum it had: devices keep their tokens and resume against the new database as if
//! nothing happened (their gateway keys move separately, sealed: `key export` / `key import`).
//!
//! The rules' traits ([`super::Store`]) never hand out a stored hash, so the copy speaks to each
//! backend through a trait of its own, [`CopyRows`]: every table of the schema as rows of plain
//! values ([`Value`]), in primary-key order, in the schema's own columns ([`TABLES`]). The
//! backends share one logical schema; each maps a [`Kind`] to its own column type (a `Bool` is
//! an `INTEGER` 0/1 in SQLite, a `boolean` in PostgreSQL).
//!
//! The check ([`copy`]): while copying, each table's rows are counted and hashed (SHA-256 of a
//! length-prefixed encoding of every value, in primary-key order); afterwards both sides are read
//! again and must give the same count and digest. A source a gateway wrote to during the copy
//! fails the check (stop its gateways first); a target that lost or changed a row fails it too.

use sha2::{Digest, Sha256};

use crate::error::Error;

/// How many rows go to the target per call of [`CopyRows::insert_rows`].
pub const BATCH_ROWS: usize = 1000;

/// A column's logical type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit signed integer (ids, times in Unix milliseconds, counters).
    Int,
    /// A truth value (0 or 1 as a [`Value::Int`]).
    Bool,
    /// UTF-8 text.
    Text,
    /// Bytes (keyed hashes, keys, sealed secrets).
    Blob,
}

/// One column of a copied table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Its name in both backends.
    pub name: &'static str,
    /// Its logical type.
    pub kind: Kind,
}

/// One table of the schema as the copy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// The table's name in both backends.
    pub name: &'static str,
    /// The store role it belongs to, as the copy's report names it.
    pub role: &'static str,
    /// Its columns, in the order [`CopyRows`] reads and writes them.
    pub columns: &'static [Column],
    /// The columns of its primary key: rows are read in this order.
    pub key: &'static [&'static str],
    /// Whether the backend generates its `id` column: the target must then hand out ids above
    /// every copied one ([`CopyRows::next_id`], [`CopyRows::reserve_ids_below`]).
    pub generated_id: bool,
}

impl Table {
    /// The columns' names, comma-separated, for SQL.
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
    }
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
    }
}

const fn blob(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Blob,
    }
}

/// Every table of the schema, parents before the tables that refer to them. A test checks that
/// it names every table and column the SQLite migrations make, so a new table cannot be left out
/// of the copy unnoticed.
pub const TABLES: &[Table] = &[
    Table {
        name: "accounts",
        role: "accounts",
        columns: &[
            int("id"),
            text("email"),
            text("email_key"),
            text("display_name"),
            text("password_hash"),
            Column {
                name: "two_step",
                kind: Kind::Bool,
            },
        ],
        key: &["id"],
        generated_id: true,
    },
    Table {
        name: "app_passwords",
        role: "app passwords",
        columns: &[
            int("id"),
            int("account_id"),
            text("name"),
            blob("hash"),
            int("created"),
            int("last_used"),
            text("last_device"),
        ],
        key: &["id"],
        generated_id: true,
    },
    Table {
        name: "tokens",
        role: "tokens",
        columns: &[
            int("id"),
            int("family"),
            int("account_id"),
            int("app_password_id"),
            blob("device_key"),
            blob("hash"),
            int("created"),
            int("expires"),
            int("state"),
            int("superseded_at"),
            blob("consumed_by"),
            int("successor"),
        ],
        key: &["id"],
        generated_id: true,
    },
    Table {
        name: "successor_answers",
        role: "tokens",
        columns: &[blob("message_1"), int("token_id")],
        key: &["message_1"],
        generated_id: false,
    },
    Table {
        name: "granted_sign_ins",
        role: "replays",
        columns: &[blob("message_1"), int("at")],
        key: &["message_1"],
        generated_id: false,
    },
    Table {
        name: "throttle",
        role: "throttle",
        columns: &[blob("subject"), int("failures"), int("last_failure")],
        key: &["subject"],
        generated_id: false,
    },
    Table {
        name: "known_devices",
        role: "devices",
        columns: &[
            int("account_id"),
            blob("device_key"),
            text("description"),
            int("first_seen"),
            int("last_seen"),
        ],
        key: &["account_id", "device_key"],
        generated_id: false,
    },
    Table {
        name: "pace",
        role: "pace",
        columns: &[blob("subject"), int("full_at")],
        key: &["subject"],
        generated_id: false,
    },
    Table {
        name: "attempts",
        role: "throttle",
        columns: &[blob("subject"), int("attempt"), int("lease_until")],
        key: &["subject", "attempt"],
        generated_id: false,
    },
    Table {
        name: "web_sessions",
        role: "web",
        columns: &[
            blob("hash"),
            int("account_id"),
            int("stage"),
            int("created"),
            int("last_seen"),
            int("last_auth"),
            blob("pending_totp"),
        ],
        key: &["hash"],
        generated_id: false,
    },
    Table {
        name: "totp",
        role: "web",
        columns: &[int("account_id"), blob("sealed"), int("last_step")],
        key: &["account_id"],
        generated_id: false,
    },
    Table {
        name: "recovery_codes",
        role: "web",
        columns: &[int("account_id"), blob("hash")],
        key: &["account_id", "hash"],
        generated_id: false,
    },
    Table {
        name: "activity",
        role: "web",
        columns: &[
            int("id"),
            int("account_id"),
            int("at"),
            int("kind"),
            text("detail"),
        ],
        key: &["id"],
        generated_id: true,
    },
    Table {
        name: "links",
        role: "links",
        columns: &[
            blob("code"),
            blob("device_key"),
            int("kind"),
            text("model"),
            text("firmware"),
            int("created"),
            int("expires"),
            int("interval_secs"),
            int("last_poll"),
            int("state"),
            blob("seed"),
        ],
        key: &["code"],
        generated_id: false,
    },
];

/// One value of a copied row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// An integer, or a truth value as 0 / 1.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// One row, its values in the table's column order.
pub type Row = Vec<Value>;

/// A store the copy can read every row of, and write rows into: the copy's own view of a backend,
/// beside the rules' traits.
pub trait CopyRows {
    /// Calls `each` with every row of `table`, in primary-key order, stopping at its first error.
    ///
    /// # Errors
    /// The backend's errors, or `each`'s.
    fn each_row(
        &self,
        table: &Table,
        each: &mut dyn FnMut(Row) -> Result<(), Error>,
    ) -> Result<(), Error>;

    /// Inserts `rows` into `table` in one transaction.
    ///
    /// # Errors
    /// The backend's errors (a row that breaks a constraint among them); nothing of the batch
    /// is written then.
    fn insert_rows(&self, table: &Table, rows: &[Row]) -> Result<(), Error>;

    /// The lowest id the backend would give a new row of `table` (one with `generated_id`).
    ///
    /// # Errors
    /// The backend's errors.
    fn next_id(&self, table: &Table) -> Result<i64, Error>;

    /// Makes the backend give new rows of `table` ids of `next` or more.
    ///
    /// # Errors
    /// The backend's errors.
    fn reserve_ids_below(&self, table: &Table, next: i64) -> Result<(), Error>;
}

/// What the copy found for one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCheck {
    /// The table.
    pub table: &'static Table,
    /// Rows copied.
    pub rows: u64,
    /// SHA-256 of the table's rows (see the module docs), in hex.
    pub digest: String,
}

/// The header line above [`TableCheck`]s printed one per line.
pub const REPORT_HEADER: &str = "role           table                   rows  sha256";

impl std::fmt::Display for TableCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<14} {:<18} {:>9}  {}",
            self.table.role, self.table.name, self.rows, self.digest
        )
    }
}

/// Why a copy was refused or failed its check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyError {
    /// The target already holds rows: the copy only fills an empty database.
    TargetNotEmpty {
        /// The first table found with rows.
        table: &'static str,
    },
    /// A table reads back differently than it was copied.
    Mismatch {
        /// The table.
        table: &'static str,
        /// Which side differs: `source` (it changed during the copy) or `target`.
        side: &'static str,
        /// Count and digest as copied.
        copied: (u64, String),
        /// Count and digest read back.
        found: (u64, String),
    },
}

impl std::fmt::Display for CopyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TargetNotEmpty { table } => write!(
                f,
                "the target database is not empty (table {table} has rows); copy into a new one"
            ),
            Self::Mismatch {
                table,
                side,
                copied,
                found,
            } => {
                let why = if *side == "source" {
                    "the source changed during the copy: stop every gateway on it and copy again \
                     into a new database"
                } else {
                    "the target does not hold what was written to it"
                };
                write!(
                    f,
                    "copy check failed for table {table}: copied {} rows (sha256 {}), the {side} \
                     now has {} rows (sha256 {}); {why}",
                    copied.0, copied.1, found.0, found.1
                )
            }
        }
    }
}

/// The running count and digest of a table's rows.
struct Tally {
    rows: u64,
    hash: Sha256,
}

impl Tally {
    fn new(table: &Table) -> Self {
        let mut hash = Sha256::new();
        hash.update(b"padlock copy v1\0");
        hash.update(table.name.as_bytes());
        Self { rows: 0, hash }
    }

    fn add(&mut self, row: &Row) {
        self.rows += 1;
        for value in row {
            match value {
                Value::Null => self.hash.update([0]),
                Value::Int(n) => {
                    self.hash.update([1]);
                    self.hash.update(n.to_be_bytes());
                }
                Value::Text(text) => self.bytes(2, text.as_bytes()),
                Value::Blob(bytes) => self.bytes(3, bytes),
            }
        }
    }

    fn bytes(&mut self, tag: u8, bytes: &[u8]) {
        self.hash.update([tag]);
        self.hash.update((bytes.len() as u64).to_be_bytes());
        self.hash.update(bytes);
    }

    fn finish(self) -> (u64, String) {
        (self.rows, crate::web::sessions::hex(&self.hash.finalize()))
    }
}

/// Count and digest of every row of `table` in `store`.
fn tally(store: &dyn CopyRows, table: &Table) -> Result<(u64, String), Error> {
    let mut tally = Tally::new(table);
    store.each_row(table, &mut |row| {
        tally.add(&row);
        Ok(())
    })?;
    Ok(tally.finish())
}

/// Copies every table of [`TABLES`] from `source` into the empty `target`, then checks both
/// sides (see the module docs). Returns each table's count and digest.
///
/// # Errors
/// [`CopyError`] (as [`Error::Copy`]) if the target is not empty or the check fails; the
/// backends' errors. A failed copy leaves a partly filled target: delete it and copy again.
pub fn copy(source: &dyn CopyRows, target: &dyn CopyRows) -> Result<Vec<TableCheck>, Error> {
    for table in TABLES {
        let mut any = false;
        target.each_row(table, &mut |_| {
            any = true;
            Ok(())
        })?;
        if any {
            return Err(CopyError::TargetNotEmpty { table: table.name }.into());
        }
    }
    let mut copied = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let mut tally = Tally::new(table);
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        source.each_row(table, &mut |row| {
            tally.add(&row);
            batch.push(row);
            if batch.len() == BATCH_ROWS {
                target.insert_rows(table, &batch)?;
                batch.clear();
            }
            Ok(())
        })?;
        if !batch.is_empty() {
            target.insert_rows(table, &batch)?;
        }
        if table.generated_id {
            target.reserve_ids_below(table, source.next_id(table)?)?;
        }
        copied.push((table, tally.finish()));
    }
    let mut checks = Vec::with_capacity(copied.len());
    for (table, expected) in copied {
        for (side, store) in [("source", source), ("target", target)] {
            let found = tally(store, table)?;
            if found != expected {
                return Err(CopyError::Mismatch {
                    table: table.name,
                    side,
                    copied: expected,
                    found,
                }
                .into());
            }
        }
        checks.push(TableCheck {
            table,
            rows: expected.0,
            digest: expected.1,
        });
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::store::AccountStore;
    use crate::store::SqliteStore;

    /// A source with one account.
    fn source() -> SqliteStore {
        let store = SqliteStore::in_memory().unwrap();
        store
            .insert_account(
                "ann@example.com",
                "ann@example.com",
                "Ann",
                "$argon2id$x",
                false,
            )
            .unwrap();
        store
    }

    /// A target that loses the last row of every batch it is given.
    struct Lossy(SqliteStore);

    impl CopyRows for Lossy {
        fn each_row(
            &self,
            table: &Table,
            each: &mut dyn FnMut(Row) -> Result<(), Error>,
        ) -> Result<(), Error> {
            self.0.each_row(table, each)
        }
        fn insert_rows(&self, table: &Table, rows: &[Row]) -> Result<(), Error> {
            self.0.insert_rows(table, &rows[..rows.len() - 1])
        }
        fn next_id(&self, table: &Table) -> Result<i64, Error> {
            self.0.next_id(table)
        }
        fn reserve_ids_below(&self, table: &Table, next: i64) -> Result<(), Error> {
            self.0.reserve_ids_below(table, next)
        }
    }

    /// A source a gateway writes to after its accounts were copied.
    struct Busy {
        store: SqliteStore,
        reads: Cell<usize>,
    }

    impl CopyRows for Busy {
        fn each_row(
            &self,
            table: &Table,
            each: &mut dyn FnMut(Row) -> Result<(), Error>,
        ) -> Result<(), Error> {
            self.reads.set(self.reads.get() + 1);
            if self.reads.get() == 2 {
                self.store
                    .insert_account(
                        "bob@example.com",
                        "bob@example.com",
                        "Bob",
                        "$argon2id$y",
                        true,
                    )
                    .unwrap();
            }
            self.store.each_row(table, each)
        }
        fn insert_rows(&self, table: &Table, rows: &[Row]) -> Result<(), Error> {
            self.store.insert_rows(table, rows)
        }
        fn next_id(&self, table: &Table) -> Result<i64, Error> {
            self.store.next_id(table)
        }
        fn reserve_ids_below(&self, table: &Table, next: i64) -> Result<(), Error> {
            self.store.reserve_ids_below(table, next)
        }
    }

    #[test]
    fn a_copy_reads_back_the_same_counts_and_digests_on_both_sides() {
        let target = SqliteStore::in_memory().unwrap();
        let checks = copy(&source(), &target).unwrap();
        assert_eq!(checks.len(), TABLES.len());
        assert_eq!(checks[0].table.name, "accounts");
        assert_eq!(checks[0].rows, 1);
        assert_eq!(checks[0].digest.len(), 64);
        assert_ne!(
            checks[0].digest, checks[1].digest,
            "the table name is hashed"
        );
        let again = copy(&source(), &SqliteStore::in_memory().unwrap()).unwrap();
        assert_eq!(again, checks, "the digest depends on the rows only");
    }

    #[test]
    fn a_non_empty_target_is_refused_untouched() {
        let target = source();
        let refused = copy(&source(), &target).unwrap_err();
        assert!(
            matches!(
                refused,
                Error::Copy(CopyError::TargetNotEmpty { table: "accounts" })
            ),
            "{refused}"
        );
        assert_eq!(target.accounts().unwrap().len(), 1);
    }

    #[test]
    fn a_lost_row_or_a_source_written_during_the_copy_fails_the_check() {
        let lost = copy(&source(), &Lossy(SqliteStore::in_memory().unwrap())).unwrap_err();
        assert!(
            matches!(
                &lost,
                Error::Copy(CopyError::Mismatch {
                    table: "accounts",
                    side: "target",
                    ..
                })
            ),
            "{lost}"
        );
        assert!(lost.to_string().contains("copied 1 rows"), "{lost}");

        let busy = Busy {
            store: source(),
            reads: Cell::new(0),
        };
        let changed = copy(&busy, &SqliteStore::in_memory().unwrap()).unwrap_err();
        assert!(
            matches!(
                &changed,
                Error::Copy(CopyError::Mismatch {
                    table: "accounts",
                    side: "source",
                    ..
                })
            ),
            "{changed}"
        );
        assert!(
            changed.to_string().contains("stop every gateway"),
            "{changed}"
        );
    }
}
