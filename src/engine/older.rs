//! Alerts older than the memory window on demand: a console scrolling past the last alert it holds (or
//! searching with a `/` filter) asks for the next page, read from the journal with its remediations a page of
//! rows at a time; nothing of it enters the engine's memory.

use std::collections::{HashMap, HashSet};

use crate::filter::Filter;
use crate::store::{AlertSummary, Journal, PageMark, RemediationRow, StoreError};

use super::core::Engine;
use super::error::EngineError;
use super::interface::{AlertView, Event, Level, RemediationView};
use super::journal::JournalHandle;
use super::views::remediation_view;
use super::window::summary_view;

/// Alerts per page sent to a front end.
const PAGE: usize = 200;
/// At most this many journal rows are read for one page (alerts already in memory, or not matching the
/// filter, are skipped); a search that reaches it sends what it found and where to go on.
const MAX_SCANNED: usize = 10_000;

/// What one journal read gives: a page of alerts with their remediations, and whether older ones exist.
type Rows = (Vec<(AlertSummary, Vec<RemediationRow>)>, Option<PageMark>);

/// A page for the front end: matching alerts, their remediations, and where the next page starts.
type Found = (Vec<AlertView>, Vec<RemediationView>, Option<PageMark>);

impl Engine {
    /// Reads the page of alerts after `after` that the engine does not hold and that pass `filter`, and
    /// sends it.
    pub(super) fn send_older_alerts(&self, after: Option<PageMark>, filter: Filter) {
        let ctx = self.ctx.clone();
        let events = self.events.clone();
        let held: HashSet<String> = self.alerts.ids().cloned().collect();
        let policy_names: HashMap<String, String> = self
            .policies
            .views()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect();
        let (now, overdue_after) = (self.now(), self.settings().overdue_after);
        tokio::spawn(async move {
            let to_view = |s: &AlertSummary| {
                summary_view(
                    s,
                    policy_names.get(&s.policy_id).cloned().unwrap_or_default(),
                )
            };
            let to_remediation = |r: &RemediationRow| remediation_view(r, now, overdue_after);
            match search(&ctx.journal, after, &held, &filter, to_view, to_remediation).await {
                Ok((alerts, remediations, next)) => {
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

/// Reads the journal from `after`, newest first, a page of rows per call (the writer is never held for a whole
/// search), until [`PAGE`] alerts not `held` pass `filter`, the journal ends, or [`MAX_SCANNED`] rows were read.
async fn search(
    journal: &JournalHandle,
    mut after: Option<PageMark>,
    held: &HashSet<String>,
    filter: &Filter,
    to_view: impl Fn(&AlertSummary) -> AlertView,
    to_remediation: impl Fn(&RemediationRow) -> RemediationView,
) -> Result<Found, EngineError> {
    let (mut alerts, mut remediations, mut scanned) = (Vec::new(), Vec::new(), 0);
    loop {
        let from = after.clone();
        let (page, next) = journal.call(move |j| read_rows(j, from.as_ref())).await?;
        scanned += page.len();
        let mut rows = page.into_iter();
        for (summary, rows_of) in rows.by_ref() {
            let mark = PageMark {
                timestamp_ms: summary.timestamp_ms,
                id: summary.id.clone(),
            };
            if !held.contains(&summary.id) {
                let view = to_view(&summary);
                if filter.matches(&view, || rows_of.iter().map(|r| r.state)) {
                    alerts.push(view);
                    remediations.extend(rows_of.iter().map(&to_remediation));
                }
            }
            after = Some(mark);
            if alerts.len() >= PAGE {
                break;
            }
        }
        // The page ended early (a full page found) unless every row was examined; then older rows exist only
        // when the journal said so.
        let consumed = rows.next().is_none();
        if consumed && next.is_none() {
            return Ok((alerts, remediations, None));
        }
        if alerts.len() >= PAGE || scanned >= MAX_SCANNED {
            return Ok((alerts, remediations, after));
        }
    }
}

/// One page of alert rows after `after`, each with its remediations.
fn read_rows(journal: &mut Journal, after: Option<&PageMark>) -> Result<Rows, StoreError> {
    let (page, next) = journal.alerts_before(after, PAGE)?;
    let mut rows = Vec::with_capacity(page.len());
    for alert in page {
        let of = journal.remediations_for_alert(&alert.id)?;
        rows.push((alert, of));
    }
    Ok((rows, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AlertRecord;
    use chrono::{TimeZone, Utc};

    fn record(j: &mut Journal, n: i64, title: &str) {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(n);
        j.record_alert(&AlertRecord {
            id: format!("a{n:05}"),
            policy_id: "p".into(),
            title: title.into(),
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

    /// A journal of `count` alerts, every `every`-th titled "needle", the others "hay".
    fn journal(count: i64, every: i64) -> JournalHandle {
        let mut j = Journal::open_in_memory().unwrap();
        for n in 0..count {
            let title = if n % every == 0 { "needle" } else { "hay" };
            record(&mut j, n, title);
        }
        JournalHandle::spawn(j)
    }

    async fn page(
        journal: &JournalHandle,
        after: Option<PageMark>,
        held: &HashSet<String>,
        filter: &str,
    ) -> Found {
        let now = Utc::now();
        search(
            journal,
            after,
            held,
            &Filter::parse(filter),
            |s| summary_view(s, String::new()),
            |r| remediation_view(r, now, chrono::Duration::minutes(30)),
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn pages_skip_held_alerts_go_newest_first_and_end() {
        let j = journal(450, 1);
        let held: HashSet<String> = (300..450).map(|n| format!("a{n:05}")).collect();
        let (first, _, next) = page(&j, None, &held, "").await;
        assert_eq!(first.len(), PAGE);
        assert_eq!(
            first[0].id, "a00299",
            "the newest alert not held comes first"
        );
        assert_eq!(first[PAGE - 1].id, "a00100");
        let (second, _, end) = page(&j, next, &held, "").await;
        assert_eq!(second.len(), 100);
        assert_eq!(second.last().unwrap().id, "a00000");
        assert_eq!(end, None, "no older alert: no next page");
    }

    #[tokio::test]
    async fn a_filter_searches_history_across_pages_of_rows_and_goes_on_where_it_stopped() {
        // One alert in 7 matches: a page of 200 matches needs about 1,400 rows, several reads.
        let j = journal(3_000, 7);
        let none = HashSet::new();
        let (first, _, next) = page(&j, None, &none, "needle").await;
        assert_eq!(first.len(), PAGE);
        assert!(first.iter().all(|a| a.title == "needle"));
        assert_eq!(first[0].id, "a02996", "the newest match first");
        let mark = next.clone().expect("more matches are older");
        assert_eq!(
            mark.id,
            first[PAGE - 1].id,
            "the next page starts after the last match sent"
        );
        let (second, _, _) = page(&j, next, &none, "needle").await;
        assert_eq!(
            second[0].id,
            format!("a{:05}", 2996 - 7 * PAGE as i64),
            "no match skipped or repeated"
        );
    }

    #[tokio::test]
    async fn a_search_that_finds_nothing_in_its_budget_says_where_to_go_on() {
        let j = journal(MAX_SCANNED as i64 + 500, 1_000_000);
        let none = HashSet::new();
        let (found, _, next) = page(&j, None, &none, "needle").await;
        assert!(found.is_empty());
        let next = next.expect("rows are left to search");
        let (found, _, end) = page(&j, Some(next), &none, "needle").await;
        assert_eq!(
            found.len(),
            1,
            "the one needle, alert a00000, is found on going on"
        );
        assert_eq!(end, None);
    }
}
