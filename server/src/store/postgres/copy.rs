//! [`CopyRows`] on PostgreSQL: the target (or source) of `padlock-server store copy`. Each
//! logical [`Kind`] is cast to and from the column's own type in the SQL (`bigint` for every
//! integer the copy carries, `boolean` ↔ 0/1), so one row shape serves every table.

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::{Isolation, PostgresStore};
use crate::error::Error;
use crate::store::copy::{CopyRows, Kind, Row, Table, Value};

/// How the copy reads `column` of kind `kind`, as a value the driver returns as `i64`, `String`
/// or `Vec<u8>`.
fn select_expression(name: &str, kind: Kind) -> String {
    match kind {
        Kind::Int => format!("{name}::bigint"),
        Kind::Bool => format!("(CASE WHEN {name} THEN 1 ELSE 0 END)::bigint"),
        Kind::Text | Kind::Blob => name.to_owned(),
    }
}

/// How the copy writes parameter `$n` into a column of kind `kind`.
fn insert_expression(n: usize, kind: Kind) -> String {
    match kind {
        Kind::Int => format!("${n}::bigint"),
        Kind::Bool => format!("(${n}::bigint <> 0)"),
        Kind::Text => format!("${n}::text"),
        Kind::Blob => format!("${n}::bytea"),
    }
}

/// `value` as a parameter for a column of `kind`; a value of another kind is refused.
fn parameter(table: &Table, column: usize, value: &Value) -> Result<Box<dyn ToSql + Sync>, Error> {
    let kind = table.columns.get(column).map(|c| c.kind);
    Ok(match (kind, value) {
        (Some(Kind::Int | Kind::Bool), Value::Int(n)) => Box::new(Some(*n)),
        (Some(Kind::Int | Kind::Bool), Value::Null) => Box::new(None::<i64>),
        (Some(Kind::Text), Value::Text(text)) => Box::new(Some(text.clone())),
        (Some(Kind::Text), Value::Null) => Box::new(None::<String>),
        (Some(Kind::Blob), Value::Blob(bytes)) => Box::new(Some(bytes.clone())),
        (Some(Kind::Blob), Value::Null) => Box::new(None::<Vec<u8>>),
        _ => {
            return Err(Error::InvalidInput(format!(
                "copy: row for {} has {value:?} in column {column}",
                table.name
            )));
        }
    })
}

fn value(row: &postgres::Row, column: usize, kind: Kind) -> Result<Value, Error> {
    Ok(match kind {
        Kind::Int | Kind::Bool => row
            .try_get::<_, Option<i64>>(column)?
            .map_or(Value::Null, Value::Int),
        Kind::Text => row
            .try_get::<_, Option<String>>(column)?
            .map_or(Value::Null, Value::Text),
        Kind::Blob => row
            .try_get::<_, Option<Vec<u8>>>(column)?
            .map_or(Value::Null, Value::Blob),
    })
}

impl CopyRows for PostgresStore {
    fn each_row(
        &self,
        table: &Table,
        each: &mut dyn FnMut(Row) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|c| select_expression(c.name, c.kind))
            .collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns.join(", "),
            table.name,
            table.key.join(", ")
        );
        self.with(|db| {
            let statement = db.statement(&sql)?;
            let mut rows = db
                .client
                .query_raw(&statement, std::iter::empty::<&(dyn ToSql + Sync)>())?;
            while let Some(row) = rows.next()? {
                let mut values = Vec::with_capacity(table.columns.len());
                for (i, column) in table.columns.iter().enumerate() {
                    values.push(value(&row, i, column.kind)?);
                }
                each(values)?;
            }
            Ok(())
        })
    }

    fn insert_rows(&self, table: &Table, rows: &[Row]) -> Result<(), Error> {
        let values: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| insert_expression(i + 1, c.kind))
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table.name,
            table.column_list(),
            values.join(", ")
        );
        let mut parameters = Vec::with_capacity(rows.len());
        for row in rows {
            let row: Vec<Box<dyn ToSql + Sync>> = row
                .iter()
                .enumerate()
                .map(|(i, value)| parameter(table, i, value))
                .collect::<Result<_, _>>()?;
            parameters.push(row);
        }
        self.transaction(Isolation::ReadCommitted, |db| {
            for row in &parameters {
                let params: Vec<&(dyn ToSql + Sync)> = row.iter().map(|p| &**p).collect();
                db.execute(&sql, &params)?;
            }
            Ok(())
        })
    }

    fn next_id(&self, table: &Table) -> Result<i64, Error> {
        let sql = format!(
            "SELECT greatest(coalesce(max(id), 0), coalesce(pg_sequence_last_value(\
             pg_get_serial_sequence('{0}', 'id')::regclass), 0)) + 1 FROM {0}",
            table.name
        );
        self.with(|db| db.value(&sql, &[]))
    }

    fn reserve_ids_below(&self, table: &Table, next: i64) -> Result<(), Error> {
        if next <= 1 {
            return Ok(());
        }
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{}', 'id'), greatest($1::bigint, \
             (SELECT coalesce(max(id), 0) FROM {})))",
            table.name, table.name
        );
        self.with(|db| db.value::<i64>(&sql, &[&(next - 1)]).map(drop))
    }
}
