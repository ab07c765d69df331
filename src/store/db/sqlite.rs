//! Running a statement on SQLite: values bound through rusqlite, rows read into [`Row`].

use std::sync::Arc;

use rusqlite::types::{ToSqlOutput, Type, ValueRef};

use super::DbResult;
use super::row::Row;
use super::value::Value;

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Integer(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(r) => ToSqlOutput::Borrowed(ValueRef::Real(*r)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn value(column: usize, cell: ValueRef<'_>) -> rusqlite::Result<Value> {
    Ok(match cell {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(e))
                })?
                .to_owned(),
        ),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}

/// Every row `stmt` returns for `values`.
pub(super) fn rows(stmt: &mut rusqlite::Statement<'_>, values: &[Value]) -> DbResult<Vec<Row>> {
    let names: Arc<[String]> = stmt.column_names().iter().map(|n| n.to_string()).collect();
    let width = names.len();
    let rows = stmt.query_map(rusqlite::params_from_iter(values.iter()), |row| {
        (0..width)
            .map(|i| row.get_ref(i).and_then(|cell| value(i, cell)))
            .collect::<rusqlite::Result<Vec<_>>>()
    })?;
    Ok(rows
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .map(|values| Row::new(names.clone(), values))
        .collect())
}
