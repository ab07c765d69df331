//! Alerts older than the memory window on demand: a console scrolling past the last alert it holds asks for
//! the next page, read from the journal with its remediations; nothing of it enters the engine's memory.

use std::collections::{HashMap, HashSet};

use crate::store::{AlertSummary, Journal, PageMark, RemediationRow, StoreError};

use super::core::Engine;
use super::interface::{Event, Level};
use super::views::remediation_view;
use super::window::summary_view;

/// Alerts per page sent to a front end.
const PAGE: usize = 200;
/// At most this many journal rows are read for one page (alerts already in memory are skipped).
const MAX_SCANNED: usize = 10_000;

impl Engine {
    /// Reads the page of alerts after `after` that the engine does not hold, and sends it.
    pub(super) fn send_older_alerts(&self, after: Option<PageMark>) {
        let ctx = self.ctx.clone();
        let events = self.events.clone();
        let held: HashSet<String> = self.alerts.keys().cloned().collect();
        let policy_names: HashMap<String, String> = self
            .policies
            .views()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect();
        let (now, overdue_after) = (self.now(), self.settings().overdue_after);
        tokio::spawn(async move {
            let read = ctx.journal.call(move |j| older_page(j, after, &held)).await;
            match read {
                Ok((alerts, rows, next)) => {
                    let alerts = alerts
                        .iter()
                        .map(|s| {
                            let name = policy_names.get(&s.policy_id).cloned().unwrap_or_default();
                            summary_view(s, name)
                        })
                        .collect();
                    let remediations = rows
                        .iter()
                        .map(|r| remediation_view(r, now, overdue_after))
                        .collect();
                    let _ = events.send(Event::OlderAlerts {
                        alerts,
                        remediations,
                        next,
                    });
                }
                Err(e) => ctx.notice(Level::Error, format!("older alerts not read: {e}")),
            }
        });
    }
}

/// Up to [`PAGE`] alerts after `after` that are not in `held`, their remediations, and where the next page
/// starts.
type Page = (Vec<AlertSummary>, Vec<RemediationRow>, Option<PageMark>);

fn older_page(
    journal: &mut Journal,
    mut after: Option<PageMark>,
    held: &HashSet<String>,
) -> Result<Page, StoreError> {
    let mut alerts = Vec::new();
    let mut scanned = 0;
    loop {
        let (page, next) = journal.alerts_before(after.as_ref(), PAGE)?;
        scanned += page.len();
        alerts.extend(page.into_iter().filter(|a| !held.contains(&a.id)));
        after = next;
        if alerts.len() >= PAGE || after.is_none() || scanned >= MAX_SCANNED {
            break;
        }
    }
    if alerts.len() > PAGE {
        alerts.truncate(PAGE);
        after = alerts.last().map(|last| PageMark {
            timestamp_ms: last.timestamp_ms,
            id: last.id.clone(),
        });
    }
    let mut rows = Vec::new();
    for alert in &alerts {
        rows.extend(journal.remediations_for_alert(&alert.id)?);
    }
    Ok((alerts, rows, after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AlertRecord;
    use chrono::{TimeZone, Utc};

    fn record(j: &mut Journal, n: i64) {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(n);
        j.record_alert(&AlertRecord {
            id: format!("a{n:04}"),
            policy_id: "p".into(),
            title: format!("alert {n}"),
            user: String::new(),
            severity: 1,
            resolution: 1,
            timestamp_ms: at.timestamp_millis(),
            raw: serde_json::json!({}),
            format: crate::store::RawFormat::CasRest,
            seen_at: at,
        })
        .unwrap();
    }

    #[test]
    fn pages_skip_held_alerts_go_newest_first_and_end() {
        let mut j = Journal::open_in_memory().unwrap();
        for n in 0..450 {
            record(&mut j, n);
        }
        let held: HashSet<String> = (300..450).map(|n| format!("a{n:04}")).collect();
        let (first, _, next) = older_page(&mut j, None, &held).unwrap();
        assert_eq!(first.len(), PAGE);
        assert_eq!(
            first[0].id, "a0299",
            "the newest alert not held comes first"
        );
        assert_eq!(first[PAGE - 1].id, "a0100");
        let (second, _, end) = older_page(&mut j, next, &held).unwrap();
        assert_eq!(second.len(), 100);
        assert_eq!(second.last().unwrap().id, "a0000");
        assert_eq!(end, None, "no older alert: no next page");
    }
}
