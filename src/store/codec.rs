//! How times and JSON values are written to and read from journal columns.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use rusqlite::types::Type;

/// Fixed-width UTC timestamp with microseconds, so that text order is time order.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn conversion_error(
    idx: &str,
    row: &Row<'_>,
    ty: Type,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    let column = row.as_ref().column_index(idx).unwrap_or(usize::MAX);
    rusqlite::Error::FromSqlConversionFailure(column, ty, Box::new(e))
}

fn parse_ts(idx: &str, row: &Row<'_>, s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| conversion_error(idx, row, Type::Text, e))
}

/// Reads a non-null timestamp column.
pub(crate) fn ts_col(row: &Row<'_>, idx: &str) -> rusqlite::Result<DateTime<Utc>> {
    let s: String = row.get(idx)?;
    parse_ts(idx, row, &s)
}

/// Reads a nullable timestamp column.
pub(crate) fn opt_ts_col(row: &Row<'_>, idx: &str) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| parse_ts(idx, row, &s)).transpose()
}

/// Reads a JSON text column.
pub(crate) fn json_col(row: &Row<'_>, idx: &str) -> rusqlite::Result<serde_json::Value> {
    let s: String = row.get(idx)?;
    serde_json::from_str(&s).map_err(|e| conversion_error(idx, row, Type::Text, e))
}

/// Reads a nullable JSON text column.
pub(crate) fn opt_json_col(
    row: &Row<'_>,
    idx: &str,
) -> rusqlite::Result<Option<serde_json::Value>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| serde_json::from_str(&s).map_err(|e| conversion_error(idx, row, Type::Text, e)))
        .transpose()
}
