//! Text shown for times and remediation progress, computed from an injected `now`.

use chrono::{DateTime, TimeDelta, Utc};

use crate::engine::interface::{Outcome, RemediationView};

/// Milliseconds per frame of the in-flight spinner.
pub const SPINNER_MS: i64 = 250;

/// Ages on screen move together on this beat of the wall clock (see [`age_clock`]), so an idle console
/// wakes at most once per beat for them.
pub const AGE_BEAT_SECS: i64 = 10;

/// The clock ages are shown against: `now` rounded down to the age beat.
pub fn age_clock(now: DateTime<Utc>) -> DateTime<Utc> {
    let beat = now.timestamp().div_euclid(AGE_BEAT_SECS) * AGE_BEAT_SECS;
    DateTime::from_timestamp(beat, 0).unwrap_or(now)
}

/// The first beat of the age clock at or after `at`: when an age due to change at `at` is redrawn.
pub fn next_beat(at: DateTime<Utc>) -> DateTime<Utc> {
    let floor = age_clock(at);
    if floor == at {
        at
    } else {
        floor + TimeDelta::seconds(AGE_BEAT_SECS)
    }
}

/// A compact age: "now", "20s", "3m", "5h", "2d" (ten-second steps under a minute); future times read as "now".
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match secs {
        s if s < 10 => "now".to_string(),
        s if s < 60 => format!("{}s", s / 10 * 10),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// When the text of `age(since, now)` changes next.
pub fn age_changes(since: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    next_step(since, now, |s| match s {
        s if s < 60 => 10,
        s if s < 3600 => 60,
        s if s < 86_400 => 3600,
        _ => 86_400,
    })
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

/// A time this far ahead of our clock is shown as clock skew rather than as "just now".
const FUTURE_TOLERANCE_SECS: i64 = 60;

/// A spelled-out age for the status bar: "just now", "20 s ago", "2 min ago". Ten-second steps under a
/// minute: enough to judge poll health, and an idle console need not redraw every second.
pub fn ago(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if is_future(since, now) {
        return "in the future (clock skew)".to_string();
    }
    let secs = (now - since).num_seconds().max(0);
    match secs {
        s if s < 10 => "just now".to_string(),
        s if s < 60 => format!("{} s ago", s / 10 * 10),
        s if s < 3600 => format!("{} min ago", s / 60),
        s => format!("{} h ago", s / 3600),
    }
}

/// True when `since` is further ahead of `now` than clocks drift apart.
pub fn is_future(since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    since - now > TimeDelta::seconds(FUTURE_TOLERANCE_SECS)
}

/// When the text of `ago(since, now)` changes next.
pub fn ago_changes(since: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    next_step(since, now, |s| match s {
        s if s < 60 => 10,
        s if s < 3600 => 60,
        _ => 3600,
    })
}

/// The spinner frame shown at `now`, and when the next one is due (in-flight elapsed times move within it).
pub fn spinner_tick(now: DateTime<Utc>) -> (u64, DateTime<Utc>) {
    let tick = now.timestamp_millis().div_euclid(SPINNER_MS);
    let next = DateTime::from_timestamp_millis((tick + 1) * SPINNER_MS).unwrap_or(now);
    (u64::try_from(tick).unwrap_or(0), next)
}

/// The first whole second of the clock at or after the instant an age counted in units of `unit(seconds)`
/// seconds moves on: ages drawn together then change in one frame, at most one per second.
fn next_step(since: DateTime<Utc>, now: DateTime<Utc>, unit: impl Fn(i64) -> i64) -> DateTime<Utc> {
    let secs = (now - since).num_seconds().max(0);
    let unit = unit(secs);
    let at = since + TimeDelta::seconds((secs / unit + 1) * unit);
    if at.timestamp_subsec_nanos() == 0 {
        return at;
    }
    DateTime::from_timestamp(at.timestamp() + 1, 0).unwrap_or(at)
}

/// One alert's remediations in a few words, each outcome counted apart and what needs a decision
/// first: "1 proposed · 1 running · 1 done · 1 failed · 2 rejected"; `None` when there are none.
/// Rejections and skips are never counted as done.
pub fn summary<'a>(remediations: impl Iterator<Item = &'a RemediationView>) -> Option<String> {
    let mut counts = [0usize; Outcome::ALL.len()];
    let mut total = 0;
    for remediation in remediations {
        total += 1;
        let group = remediation.state.outcome();
        if let Some(i) = Outcome::ALL.iter().position(|o| *o == group) {
            counts[i] += 1;
        }
    }
    if total == 0 {
        return None;
    }
    let parts: Vec<String> = Outcome::ALL
        .iter()
        .zip(counts)
        .filter(|(_, count)| *count > 0)
        .map(|(outcome, count)| format!("{count} {}", outcome.label()))
        .collect();
    Some(parts.join(" · "))
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
        assert_eq!(age(at(0), at(45)), "40s");
        assert_eq!(age(at(0), at(4)), "now");
        assert_eq!(age(at(0), at(190)), "3m");
        assert_eq!(age(at(0), at(7300)), "2h");
        assert_eq!(age(at(0), at(200_000)), "2d");
        assert_eq!(age(at(10), at(0)), "now");
        assert_eq!(elapsed(at(0), at(125)), "2m05s");
        assert_eq!(elapsed(at(0), at(3780)), "1h03m");
        assert_eq!(ago(at(0), at(3)), "just now");
        assert_eq!(ago(at(0), at(27)), "20 s ago");
        assert_eq!(ago(at(0), at(130)), "2 min ago");
    }

    #[test]
    fn ages_say_when_their_text_changes_next() {
        assert_eq!(age_changes(at(0), at(45)), at(50));
        assert_eq!(age_changes(at(0), at(190)), at(240));
        assert_eq!(age_changes(at(0), at(7300)), at(10_800));
        assert_eq!(age_changes(at(10), at(0)), at(20));
        assert_eq!(ago_changes(at(0), at(3)), at(10));
        assert_eq!(ago_changes(at(0), at(27)), at(30));
        assert_eq!(ago_changes(at(0), at(61)), at(120));
        for (since, now) in [(0, 59), (0, 3599), (0, 86_399), (5, 64)] {
            let next = age_changes(at(since), at(now));
            assert_eq!(
                age(at(since), at(now)),
                age(at(since), next - TimeDelta::milliseconds(1))
            );
            assert_ne!(age(at(since), at(now)), age(at(since), next));
        }
    }

    #[test]
    fn ages_of_different_instants_change_on_the_same_second() {
        let since = at(0) + TimeDelta::milliseconds(300);
        let now = at(10) + TimeDelta::milliseconds(400);
        assert_eq!(age_changes(since, now), at(21));
        assert_eq!(age(since, at(21)), "20s");
        assert_eq!(ago_changes(at(0), now), at(20));
    }

    #[test]
    fn ages_are_shown_against_a_ten_second_beat() {
        assert_eq!(age_clock(at(37) + TimeDelta::milliseconds(900)), at(30));
        assert_eq!(next_beat(at(41)), at(50));
        assert_eq!(next_beat(at(40)), at(40));
    }

    #[test]
    fn the_spinner_moves_every_quarter_second() {
        let (tick, next) = spinner_tick(at(0) + TimeDelta::milliseconds(100));
        assert_eq!(next, at(0) + TimeDelta::milliseconds(250));
        assert_eq!(spinner_tick(next).0, tick + 1);
    }

    #[test]
    fn a_time_in_the_future_reads_as_clock_skew_never_as_now_ago() {
        assert_eq!(ago(at(600), at(0)), "in the future (clock skew)");
        assert_eq!(ago(at(5), at(0)), "just now");
        assert_eq!(ago(at(0), at(130)), "2 min ago");
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
            action: Some(ActionKind::Unisolate),
            state,
            reason: None,
            provider_action_id: None,
            created_at: at(0),
            updated_at: at(0),
            submitted_at: None,
            overdue: false,
            covered_by: None,
            waiting: None,
        };
        let all = [r(S::Succeeded), r(S::InProgress), r(S::Succeeded)];
        assert_eq!(summary(all.iter()).as_deref(), Some("1 running · 2 done"));
        let all = [r(S::Proposed), r(S::Proposed)];
        assert_eq!(summary(all.iter()).as_deref(), Some("2 proposed"));
        let all = [r(S::Proposed), r(S::Failed), r(S::Pending)];
        assert_eq!(
            summary(all.iter()).as_deref(),
            Some("1 proposed · 1 running · 1 failed")
        );
        let six_rejected = [S::Rejected; 6].map(r);
        assert_eq!(summary(six_rejected.iter()).as_deref(), Some("6 rejected"));
        let mixed = [
            S::Succeeded,
            S::TimeOut,
            S::Rejected,
            S::Expired,
            S::Approved,
        ]
        .map(r);
        assert_eq!(
            summary(mixed.iter()).as_deref(),
            Some("1 waiting · 1 done · 1 failed · 2 rejected")
        );
        assert_eq!(summary([].iter()), None);
    }
}
