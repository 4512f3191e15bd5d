//! [`CopyRows`] on SQLite: every table of [`TABLES`] read and written as plain values, for
//! `padlock-server store copy` (see [`crate::store::copy`]).

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{OptionalExtension, ToSql, params_from_iter};

use super::{SqliteStore, write_transaction};
use crate::error::Error;
use crate::store::copy::{CopyRows, Kind, Row, Table, Value};

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Value::Blob(bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
        })
    }
}

/// The value `raw` of a column of `kind`; a value of another storage class is an error naming
/// the column (the copy never carries a row it would have to guess about).
fn value(table: &Table, column: usize, kind: Kind, raw: ValueRef<'_>) -> Result<Value, Error> {
    match (kind, raw) {
        (_, ValueRef::Null) => Ok(Value::Null),
        (Kind::Int | Kind::Bool, ValueRef::Integer(n)) => Ok(Value::Int(n)),
        (Kind::Text, ValueRef::Text(text)) => std::str::from_utf8(text)
            .map(|text| Value::Text(text.to_owned()))
            .map_err(|_| unexpected(table, column, "text that is not UTF-8")),
        (Kind::Blob, ValueRef::Blob(bytes)) => Ok(Value::Blob(bytes.to_vec())),
        (_, other) => Err(unexpected(
            table,
            column,
            &format!("a value of type {}", other.data_type()),
        )),
    }
}

fn unexpected(table: &Table, column: usize, what: &str) -> Error {
    let name = table.columns.get(column).map_or("?", |c| c.name);
    Error::CorruptDatabase(format!("{}.{name} holds {what}", table.name))
}

impl CopyRows for SqliteStore {
    fn each_row(
        &self,
        table: &Table,
        each: &mut dyn FnMut(Row) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let connection = self.read()?;
        let mut statement = connection.prepare(&format!(
            "SELECT {} FROM {} ORDER BY {}",
            table.column_list(),
            table.name,
            table.key.join(", ")
        ))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(table.columns.len());
            for (i, column) in table.columns.iter().enumerate() {
                values.push(value(table, i, column.kind, row.get_ref(i)?)?);
            }
            each(values)?;
        }
        Ok(())
    }

    fn insert_rows(&self, table: &Table, rows: &[Row]) -> Result<(), Error> {
        let connection = self.lock()?;
        let tx = write_transaction(&connection)?;
        {
            let placeholders = vec!["?"; table.columns.len()].join(", ");
            let mut insert = tx.prepare(&format!(
                "INSERT INTO {} ({}) VALUES ({placeholders})",
                table.name,
                table.column_list()
            ))?;
            for row in rows {
                insert.execute(params_from_iter(row))?;
            }
        }
        Ok(tx.commit()?)
    }

    fn next_id(&self, table: &Table) -> Result<i64, Error> {
        let connection = self.read()?;
        let max_id: i64 = connection.query_row(
            &format!("SELECT coalesce(max(id), 0) FROM {}", table.name),
            [],
            |r| r.get(0),
        )?;
        let sequence: Option<i64> = connection
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                [table.name],
                |r| r.get(0),
            )
            .optional()?;
        Ok(max_id.max(sequence.unwrap_or(0)) + 1)
    }

    fn reserve_ids_below(&self, table: &Table, next: i64) -> Result<(), Error> {
        // Only an AUTOINCREMENT table remembers ids beyond its rows (in `sqlite_sequence`);
        // the others give max(id) + 1, which the copied rows already set.
        let connection = self.lock()?;
        let autoincrement: bool = connection.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1 \
             AND sql LIKE '%AUTOINCREMENT%')",
            [table.name],
            |r| r.get(0),
        )?;
        if autoincrement {
            let tx = write_transaction(&connection)?;
            tx.execute("DELETE FROM sqlite_sequence WHERE name = ?1", [table.name])?;
            tx.execute(
                &format!(
                    "INSERT INTO sqlite_sequence (name, seq) \
                     VALUES (?1, max(?2, (SELECT coalesce(max(id), 0) FROM {})))",
                    table.name
                ),
                rusqlite::params![table.name, next - 1],
            )?;
            tx.commit()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::copy::TABLES;

    #[test]
    fn the_copy_names_every_table_and_column_of_the_schema() {
        let store = SqliteStore::in_memory().unwrap();
        let connection = store.lock().unwrap();
        let mut schema: Vec<(String, Vec<String>)> = connection
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .map(|name| {
                let columns = connection
                    .prepare(&format!(
                        "SELECT name FROM pragma_table_info('{name}') ORDER BY cid"
                    ))
                    .unwrap()
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                (name, columns)
            })
            .collect();
        schema.sort();
        let mut copied: Vec<(String, Vec<String>)> = TABLES
            .iter()
            .map(|t| {
                let columns = t.columns.iter().map(|c| c.name.to_owned()).collect();
                (t.name.to_owned(), columns)
            })
            .collect();
        copied.sort();
        assert_eq!(
            copied, schema,
            "store::copy::TABLES must follow the migrations"
        );
    }
}
