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

/// One alert's remediations in a few words, what needs a decision first: "1 proposed, 2/4 done, 1 running",
/// "3 proposed"; `None` when there are none.
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
    let mut parts = Vec::with_capacity(4);
    if proposed > 0 {
        parts.push(format!("{proposed} proposed"));
    }
    parts.push(format!("{done}/{total} done"));
    for (count, word) in [(running, "running"), (failed, "failed")] {
        if count > 0 {
            parts.push(format!("{count} {word}"));
        }
    }
    let text = parts.join(", ");
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

    #[test]
    fn summary_puts_decisions_first() {
        use crate::engine::interface::{ActionKind, MachineView, RemediationState as S};
        let r = |state| RemediationView {
            id: "r".into(),
            alert_id: "a".into(),
            policy_id: "p".into(),
            flow_id: "f".into(),
            step: 1,
            machine: MachineView {
                id: "m".into(),
                name: "PC".into(),
                found_by: String::new(),
                last_seen: None,
                health: String::new(),
                group: None,
                tags: vec![],
                os: None,
                protected: false,
            },
            action: ActionKind::Unisolate,
            state,
            reason: None,
            provider_action_id: None,
            created_at: at(0),
            updated_at: at(0),
            submitted_at: None,
            overdue: false,
        };
        let all = [r(S::Succeeded), r(S::InProgress), r(S::Succeeded)];
        assert_eq!(summary(all.iter()).as_deref(), Some("2/3 done, 1 running"));
        let all = [r(S::Proposed), r(S::Proposed)];
        assert_eq!(summary(all.iter()).as_deref(), Some("2 proposed"));
        let all = [r(S::Proposed), r(S::Failed), r(S::Pending)];
        assert_eq!(
            summary(all.iter()).as_deref(),
            Some("1 proposed, 1/3 done, 1 running, 1 failed")
        );
        assert_eq!(summary([].iter()), None);
    }
}
