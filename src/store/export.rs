//! Audit trail export as JSON (exact, verifiable) or CSV (RFC 4180, for spreadsheets).

use std::io::Write;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::audit::{AUDIT_COLUMNS, AuditRecord, from_row};
use super::codec::ts;
use super::{Journal, StoreError};

/// Output format of [`Journal::export_audit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// A JSON array, one entry per line, text exactly as chained.
    Json,
    /// RFC 4180 CSV with a header row; control characters other than tab and line breaks become U+FFFD.
    Csv,
}

impl FromStr for ExportFormat {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(ExportFormat::Json),
            "csv" => Ok(ExportFormat::Csv),
            _ => Err(StoreError::InvalidValue {
                field: "export format",
                value: s.to_owned(),
                allowed: "json, csv",
            }),
        }
    }
}

const CSV_HEADER: &str = "seq,at,who,action,target,why,result,prev_hash,hash\r\n";

/// One CSV field: control characters neutralised, quoted when it holds a comma, quote or line break.
fn csv_field(value: &str) -> String {
    let clean: String = value
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c.is_control() => char::REPLACEMENT_CHARACTER,
            c => c,
        })
        .collect();
    if clean.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", clean.replace('"', "\"\""))
    } else {
        clean
    }
}

fn csv_line(r: &AuditRecord) -> String {
    let fields = [
        r.seq.to_string(),
        ts(r.at),
        csv_field(&r.who),
        csv_field(&r.action),
        csv_field(&r.target),
        csv_field(&r.why),
        csv_field(&r.result),
        r.prev_hash.clone(),
        r.hash.clone(),
    ];
    fields.join(",") + "\r\n"
}

/// One entry as a compact JSON object with every field exactly as chained (the export's and archives' line).
pub(crate) fn json_line(r: &AuditRecord) -> String {
    serde_json::json!({
        "seq": r.seq,
        "at": ts(r.at),
        "who": r.who,
        "action": r.action,
        "target": r.target,
        "why": r.why,
        "result": r.result,
        "prev_hash": r.prev_hash,
        "hash": r.hash,
    })
    .to_string()
}

impl Journal {
    /// The audit entries about one alert (its close and every act on its remediations), oldest first.
    /// The alert id is matched exactly: `alert ID` alone or followed by a space.
    pub fn audit_of_alert(&self, alert_id: &str) -> Result<Vec<AuditRecord>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE target = 'alert ' || CAST(?1 AS TEXT) \
             OR substr(target, 1, length(CAST(?1 AS TEXT)) + 7) = 'alert ' || CAST(?1 AS TEXT) || ' ' \
             ORDER BY seq"
        ))?;
        let rows = stmt.query_map([alert_id], from_row)?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::from)
    }

    /// Writes the audit entries at or after `since` (all when `None`) to `out`, oldest first;
    /// returns how many were written.
    pub fn export_audit(
        &self,
        format: ExportFormat,
        since: Option<DateTime<Utc>>,
        out: &mut dyn Write,
    ) -> Result<usize, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE at >= ?1 ORDER BY seq"
        ))?;
        let floor = since.map(ts).unwrap_or_default();
        let rows = stmt.query_map([floor], from_row)?;
        let mut written = 0usize;
        let (open, separator, close) = match format {
            ExportFormat::Json => ("[\n", ",\n", "\n]\n"),
            ExportFormat::Csv => (CSV_HEADER, "", ""),
        };
        out.write_all(open.as_bytes()).map_err(StoreError::Export)?;
        for row in rows {
            let r = row?;
            let line = match format {
                ExportFormat::Json => json_line(&r),
                ExportFormat::Csv => csv_line(&r),
            };
            let sep = if written == 0 { "" } else { separator };
            out.write_all(sep.as_bytes())
                .and_then(|()| out.write_all(line.as_bytes()))
                .map_err(StoreError::Export)?;
            written += 1;
        }
        let close = if written == 0 && format == ExportFormat::Json {
            "]\n"
        } else {
            close
        };
        out.write_all(close.as_bytes())
            .and_then(|()| out.flush())
            .map_err(StoreError::Export)?;
        Ok(written)
    }
}
