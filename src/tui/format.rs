//! Text shown for times and remediation progress, computed from an injected `now`.

use chrono::{DateTime, Utc};

use crate::engine::interface::{RemediationState, RemediationView};

/// A compact age: "12s", "3m", "5h", "2d"; future times read as "0s".
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Elapsed time with seconds for running work: "45s", "2m05s", "1h03m".
pub fn elapsed(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// A spelled-out age for the status bar: "3 s ago", "2 min ago".
pub fn ago(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s} s ago"),
        s if s < 3600 => format!("{} min ago", s / 60),
        s => format!("{} h ago", s / 3600),
    }
}

/// One alert's remediations in a few words: "2/3 done, 1 running", "3 proposed"; `None` when there are none.
pub fn summary<'a>(remediations: impl Iterator<Item = &'a RemediationView>) -> Option<String> {
    let (mut total, mut done, mut running, mut proposed, mut failed) = (0, 0, 0, 0, 0);
    for remediation in remediations {
        total += 1;
        let state = remediation.state;
        if state.is_final() {
            done += 1;
        }
        if state.is_in_flight() {
            running += 1;
        }
        if state == RemediationState::Proposed {
            proposed += 1;
        }
        if matches!(state, RemediationState::Failed | RemediationState::TimeOut) {
            failed += 1;
        }
    }
    if total == 0 {
        return None;
    }
    if proposed == total {
        return Some(format!("{total} proposed"));
    }
    let mut text = format!("{done}/{total} done");
    for (count, word) in [
        (running, "running"),
        (proposed, "proposed"),
        (failed, "failed"),
    ] {
        if count > 0 {
            text.push_str(&format!(", {count} {word}"));
        }
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).single().unwrap()
    }

    #[test]
    fn ages_are_compact_and_never_negative() {
        assert_eq!(age(at(0), at(45)), "45s");
        assert_eq!(age(at(0), at(190)), "3m");
        assert_eq!(age(at(0), at(7300)), "2h");
        assert_eq!(age(at(0), at(200_000)), "2d");
        assert_eq!(age(at(10), at(0)), "0s");
        assert_eq!(elapsed(at(0), at(125)), "2m05s");
        assert_eq!(elapsed(at(0), at(3780)), "1h03m");
        assert_eq!(ago(at(0), at(3)), "3 s ago");
    }
}
