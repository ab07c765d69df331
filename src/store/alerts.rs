//! Alerts seen from the alert sources: upserted on every poll, first and last sighting kept, with the form
//! their raw JSON is in (rows written before the neutral alert hold Cloud App Security's REST alert).

use super::db::{DbResult, OptionalExt, Row, params};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::codec::{conversion, json_col, ts, ts_col};
use super::{Journal, JournalTx, StoreError};

/// The form of an alert row's raw JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawFormat {
    /// Cloud App Security's REST alert, as rows written before schema version 6 hold it.
    CasRest,
    /// The source-neutral alert (`crate::alert::SourceAlert`).
    Neutral,
}

impl RawFormat {
    /// The journal's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            RawFormat::CasRest => "cas_rest",
            RawFormat::Neutral => "neutral",
        }
    }

    fn decode(word: &str) -> Result<RawFormat, String> {
        match word {
            "cas_rest" => Ok(RawFormat::CasRest),
            "neutral" => Ok(RawFormat::Neutral),
            other => Err(format!("unknown alert format {other:?}")),
        }
    }
}

/// An alert as seen on one poll.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    /// The alert's engine id (its `AlertKey` written out).
    pub id: String,
    pub policy_id: String,
    pub title: String,
    /// The user principal exactly as the alert names it (never cleaned: it is an identity).
    pub user: String,
    pub severity: i64,
    pub resolution: i64,
    /// The alert's own `timestamp`, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// The alert exactly as read, in `format`.
    pub raw: Value,
    pub format: RawFormat,
    pub seen_at: DateTime<Utc>,
}

/// An alert as the journal holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRow {
    pub id: String,
    pub policy_id: String,
    pub title: String,
    pub user: String,
    pub severity: i64,
    pub resolution: i64,
    pub timestamp_ms: i64,
    pub raw: Value,
    pub format: RawFormat,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// The columns [`alert_from_row`] reads.
pub(super) const ALERT_COLUMNS: &str = "id, policy_id, title, \"user\", severity, resolution, timestamp_ms, raw, raw_format, first_seen, last_seen";

pub(super) fn alert_from_row(row: &Row) -> DbResult<AlertRow> {
    Ok(AlertRow {
        id: row.get("id")?,
        policy_id: row.get("policy_id")?,
        title: row.get("title")?,
        user: row.get("user")?,
        severity: row.get("severity")?,
        resolution: row.get("resolution")?,
        timestamp_ms: row.get("timestamp_ms")?,
        raw: json_col(row, "raw")?,
        format: {
            let word: String = row.get("raw_format")?;
            RawFormat::decode(&word).map_err(|e| conversion("raw_format", e))?
        },
        first_seen: ts_col(row, "first_seen")?,
        last_seen: ts_col(row, "last_seen")?,
    })
}

impl JournalTx<'_> {
    /// Inserts a new alert or refreshes a known one (its fields and `last_seen`; `first_seen` stays).
    pub fn record_alert(&mut self, a: &AlertRecord) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO alerts (id, policy_id, title, \"user\", severity, resolution, timestamp_ms, \
                 raw, raw_format, first_seen, last_seen) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10, ?9, ?9) \
                 ON CONFLICT (id) DO UPDATE SET policy_id = excluded.policy_id, \
                 title = excluded.title, \"user\" = excluded.\"user\", severity = excluded.severity, \
                 resolution = excluded.resolution, timestamp_ms = excluded.timestamp_ms, \
                 raw = excluded.raw, raw_format = excluded.raw_format, \
                 last_seen = CASE WHEN excluded.last_seen > alerts.last_seen \
                 THEN excluded.last_seen ELSE alerts.last_seen END",
            )?
            .execute(params![
                a.id,
                a.policy_id,
                a.title,
                a.user,
                a.severity,
                a.resolution,
                a.timestamp_ms,
                a.raw.to_string(),
                ts(a.seen_at),
                a.format.as_str(),
            ])?;
        Ok(())
    }
}

impl Journal {
    /// See [`JournalTx::record_alert`].
    pub fn record_alert(&mut self, a: &AlertRecord) -> Result<(), StoreError> {
        self.atomic(|tx| tx.record_alert(a))
    }

    /// Records every alert of one poll in one transaction: all of them are durable, or none.
    pub fn record_alerts(&mut self, alerts: &[AlertRecord]) -> Result<(), StoreError> {
        self.atomic(|tx| alerts.iter().try_for_each(|a| tx.record_alert(a)))
    }

    /// One alert by its engine id.
    pub fn alert(&self, id: &str) -> Result<Option<AlertRow>, StoreError> {
        let row = self
            .conn
            .prepare_cached(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1"))?
            .query_row([id], alert_from_row)
            .optional()?;
        Ok(row)
    }

    /// The newest `limit` alerts filed under `binding`, newest first: what `remedy check` learns a bound policy's
    /// last known name and newest alert from.
    pub fn newest_alerts_under(
        &self,
        binding: &str,
        limit: usize,
    ) -> Result<Vec<AlertRow>, StoreError> {
        let wanted = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE policy_id = ?1 \
             ORDER BY timestamp_ms DESC, id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![binding, wanted], alert_from_row)?;
        Ok(rows.collect::<DbResult<Vec<_>>>()?)
    }
}
