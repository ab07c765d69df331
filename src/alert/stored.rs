//! The neutral alert in the journal: its row (the stored columns' codes) and back, rows written before the
//! neutral alert (Cloud App Security's REST JSON) included.

use chrono::{DateTime, Utc};

use crate::api::models::cas::Alert as CasAlert;
use crate::engine::interface::{Resolution, Severity};
use crate::store::{AlertRecord, AlertRow, RawFormat};

use super::SourceAlert;

/// The journal's row for `alert`, filed under `binding` (the binding it matched, else its policy id).
pub fn record(alert: &SourceAlert, binding: &str, seen_at: DateTime<Utc>) -> AlertRecord {
    AlertRecord {
        id: alert.key.to_string(),
        policy_id: binding.to_string(),
        title: alert.title.clone(),
        user: alert.user_principal.clone().unwrap_or_default(),
        severity: severity_code(alert.severity),
        resolution: resolution_code(alert.resolution),
        timestamp_ms: alert.raised_at.timestamp_millis(),
        raw: serde_json::to_value(alert).unwrap_or_default(),
        format: RawFormat::Neutral,
        seen_at,
    }
}

/// The neutral alert a journal row holds, whichever form it was written in.
pub fn from_row(row: &AlertRow) -> Result<SourceAlert, serde_json::Error> {
    match row.format {
        RawFormat::Neutral => serde_json::from_value(row.raw.clone()),
        RawFormat::CasRest => {
            serde_json::from_value::<CasAlert>(row.raw.clone()).map(|a| SourceAlert::from(&a))
        }
    }
}

/// The journal's severity codes (those of the first journals, which stored Cloud App Security's).
pub fn severity_code(severity: Severity) -> i64 {
    match severity {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Informational => 3,
        Severity::Unknown => -1,
    }
}

pub fn severity_of(code: i64) -> Severity {
    match code {
        0 => Severity::Low,
        1 => Severity::Medium,
        2 => Severity::High,
        3 => Severity::Informational,
        _ => Severity::Unknown,
    }
}

/// The journal's resolution codes (as [`severity_code`]).
pub fn resolution_code(resolution: Resolution) -> i64 {
    match resolution {
        Resolution::Open => 0,
        Resolution::Dismissed => 1,
        Resolution::Resolved => 2,
        Resolution::FalsePositive => 3,
        Resolution::Benign => 4,
        Resolution::TruePositive => 5,
        Resolution::Unknown => -1,
    }
}

pub fn resolution_of(code: i64) -> Resolution {
    match code {
        0 => Resolution::Open,
        1 => Resolution::Dismissed,
        2 => Resolution::Resolved,
        3 => Resolution::FalsePositive,
        4 => Resolution::Benign,
        5 => Resolution::TruePositive,
        _ => Resolution::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_written() {
        for s in [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Informational,
            Severity::Unknown,
        ] {
            assert_eq!(severity_of(severity_code(s)), s);
        }
        for r in [
            Resolution::Open,
            Resolution::Dismissed,
            Resolution::Resolved,
            Resolution::FalsePositive,
            Resolution::Benign,
            Resolution::TruePositive,
            Resolution::Unknown,
        ] {
            assert_eq!(resolution_of(resolution_code(r)), r);
        }
    }

    #[test]
    fn a_row_written_before_the_neutral_alert_reads_as_one() {
        let text = include_str!("../../tests/fixtures/api/cas-alerts-list.json");
        let page: crate::api::models::cas::AlertPage = serde_json::from_str(text).unwrap();
        let cas = &page.data[0];
        let row = AlertRow {
            id: cas.id.clone(),
            policy_id: String::new(),
            title: cas.title.clone(),
            user: String::new(),
            severity: 2,
            resolution: 0,
            timestamp_ms: cas.timestamp,
            raw: serde_json::to_value(cas).unwrap(),
            format: RawFormat::CasRest,
            first_seen: Utc::now(),
            last_seen: Utc::now(),
        };
        let neutral = from_row(&row).unwrap();
        assert_eq!(neutral, SourceAlert::from(cas));
        let written = record(&neutral, "p", Utc::now());
        let again = AlertRow {
            raw: written.raw,
            format: written.format,
            ..row
        };
        assert_eq!(from_row(&again).unwrap(), neutral);
    }
}
