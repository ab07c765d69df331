//! How times and JSON values are written to and read from journal columns.

use chrono::{DateTime, Utc};

use super::db::{DbError, DbResult, Row};

/// Fixed-width UTC timestamp with microseconds, so that text order is time order.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A column that holds something the journal cannot read as what it should be.
pub(crate) fn conversion(column: &str, problem: impl std::fmt::Display) -> DbError {
    DbError::Conversion {
        column: column.to_owned(),
        problem: problem.to_string(),
    }
}

fn parse_ts(idx: &str, s: &str) -> DbResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| conversion(idx, e))
}

/// Reads a non-null timestamp column.
pub(crate) fn ts_col(row: &Row, idx: &str) -> DbResult<DateTime<Utc>> {
    let s: String = row.get(idx)?;
    parse_ts(idx, &s)
}

/// Reads a nullable timestamp column.
pub(crate) fn opt_ts_col(row: &Row, idx: &str) -> DbResult<Option<DateTime<Utc>>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| parse_ts(idx, &s)).transpose()
}

/// Reads a JSON text column.
pub(crate) fn json_col(row: &Row, idx: &str) -> DbResult<serde_json::Value> {
    let s: String = row.get(idx)?;
    serde_json::from_str(&s).map_err(|e| conversion(idx, e))
}

/// Reads a JSON text column, checked but not parsed (see [`RawJson`](super::RawJson)).
pub(crate) fn raw_json_col(row: &Row, idx: &str) -> DbResult<super::RawJson> {
    let s: String = row.get(idx)?;
    super::RawJson::parse(s).map_err(|e| conversion(idx, e))
}

/// Reads a nullable JSON text column, checked but not parsed.
pub(crate) fn opt_raw_json_col(row: &Row, idx: &str) -> DbResult<Option<super::RawJson>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| super::RawJson::parse(s).map_err(|e| conversion(idx, e)))
        .transpose()
}
