//! The `/` filter: free words and `severity:`, `policy:`, `user:`, `state:` terms (quoted values allowed),
//! all of which must match; an unknown key is reported, not searched for. The console filters its list with it
//! and the engine searches the journal's history with the same rules.

use serde::{Deserialize, Serialize};

use crate::engine::interface::{AlertView, Outcome, RemediationState, Resolution, Severity};

/// The keys a term may have, as the help lists them.
pub const KEYS: [&str; 4] = ["severity", "policy", "user", "state"];

/// A parsed filter; the empty filter matches everything. It travels (to the engine, in JSON) as the line typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct Filter {
    text: String,
    terms: Vec<Term>,
    error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Severity(String),
    Policy(String),
    User(String),
    State(StateTerm),
    Word(String),
}

/// What `state:` asks for: the alert's own status, a group of remediation states, or one state.
#[derive(Debug, Clone, PartialEq, Eq)]
enum StateTerm {
    /// The alert is open.
    Open,
    /// The alert was closed, however.
    Closed,
    /// A remediation Failed, timed out or was cancelled.
    Failed,
    /// A remediation is with Defender.
    Running,
    /// A remediation succeeded.
    Done,
    /// One remediation state by its word.
    Exactly(String),
}

impl StateTerm {
    fn parse(value: &str) -> StateTerm {
        match (value, Outcome::parse(value)) {
            ("open", _) => StateTerm::Open,
            ("closed", _) => StateTerm::Closed,
            (_, Some(Outcome::Failed)) => StateTerm::Failed,
            (_, Some(Outcome::Running)) => StateTerm::Running,
            (_, Some(Outcome::Done)) => StateTerm::Done,
            (other, _) => StateTerm::Exactly(other.to_string()),
        }
    }

    fn matches<I>(&self, alert: &AlertView, states: &impl Fn() -> I) -> bool
    where
        I: Iterator<Item = RemediationState>,
    {
        let any = |test: &dyn Fn(RemediationState) -> bool| states().any(test);
        match self {
            StateTerm::Open => alert.resolution == Resolution::Open,
            StateTerm::Closed => alert.resolution != Resolution::Open,
            StateTerm::Failed => any(&|s| {
                matches!(
                    s,
                    RemediationState::Failed
                        | RemediationState::TimeOut
                        | RemediationState::Cancelled
                )
            }),
            StateTerm::Running => any(&|s| s.is_in_flight()),
            StateTerm::Done => any(&|s| s == RemediationState::Succeeded),
            StateTerm::Exactly(word) => any(&|s| s.as_str().eq_ignore_ascii_case(word)),
        }
    }
}

/// Splits the filter line into words; `"…"` keeps spaces inside one word (`policy:"mass download"`).
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

impl Filter {
    /// Parses the filter line (case-insensitive).
    pub fn parse(text: &str) -> Filter {
        let mut error = None;
        let mut terms = Vec::new();
        for word in words(text) {
            let lower = word.to_lowercase();
            let term = match lower.split_once(':') {
                Some(("severity" | "sev", v)) => Term::Severity(v.into()),
                Some(("policy", v)) => Term::Policy(v.into()),
                Some(("user", v)) => Term::User(v.into()),
                Some(("state", v)) => Term::State(StateTerm::parse(v)),
                Some((key, _)) if !key.is_empty() && key.chars().all(char::is_alphabetic) => {
                    error.get_or_insert(format!(
                        "unknown filter key `{key}` (use {})",
                        KEYS.join(", ")
                    ));
                    continue;
                }
                _ => Term::Word(lower),
            };
            terms.push(term);
        }
        Filter {
            text: text.trim().to_string(),
            terms,
            error,
        }
    }

    /// The filter as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What is wrong with the filter as typed (an unknown key), shown next to it.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether the filter keeps every alert.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.error.is_none()
    }

    /// Whether a `state:` term needs the alert's remediations (else `matches` never asks for them).
    pub fn needs_states(&self) -> bool {
        self.terms.iter().any(|t| matches!(t, Term::State(_)))
    }

    /// Whether `alert` passes every term; `states` gives its remediations' states, asked only by `state:`.
    pub fn matches<I>(&self, alert: &AlertView, states: impl Fn() -> I) -> bool
    where
        I: Iterator<Item = RemediationState>,
    {
        self.terms.iter().all(|term| match term {
            Term::Severity(v) => severity_word(alert.severity).starts_with(v.as_str()),
            Term::Policy(v) => contains(&alert.policy_name, v) || alert.policy_id == *v,
            Term::User(v) => alert.user.as_deref().is_some_and(|u| contains(u, v)),
            Term::State(state) => state.matches(alert, &states),
            Term::Word(v) => {
                contains(&alert.title, v)
                    || contains(&alert.policy_name, v)
                    || alert.user.as_deref().is_some_and(|u| contains(u, v))
                    || alert.id.eq_ignore_ascii_case(v)
            }
        })
    }
}

/// The word `severity:` compares with.
fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Informational => "info",
        Severity::Unknown => "unknown",
    }
}

impl From<String> for Filter {
    fn from(text: String) -> Filter {
        Filter::parse(&text)
    }
}

impl From<Filter> for String {
    fn from(filter: Filter) -> String {
        filter.text
    }
}

fn contains(haystack: &str, lower_needle: &str) -> bool {
    haystack.to_lowercase().contains(lower_needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::interface::{Resolution, Severity};
    use chrono::Utc;

    /// No remediation.
    fn none() -> std::iter::Empty<RemediationState> {
        std::iter::empty()
    }

    fn alert(id: &str, severity: Severity, policy: &str, user: &str, title: &str) -> AlertView {
        AlertView {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            severity,
            raised_at: Utc::now(),
            policy_id: format!("p-{policy}"),
            policy_name: policy.into(),
            user: Some(user.into()),
            note: None,
            resolution: Resolution::Open,
            read: false,
            url: None,
            entities: vec![],
            seen_by: Vec::new(),
            graph_id: None,
            matched_by: None,
        }
    }

    #[test]
    fn terms_and_words_all_must_match() {
        let a = alert(
            "1",
            Severity::High,
            "Mass download",
            "zoe@contoso.com",
            "Unusual volume",
        );
        let b = alert(
            "2",
            Severity::Low,
            "Impossible travel",
            "bob@contoso.com",
            "Travel",
        );
        let f = Filter::parse("severity:high user:zoe");
        assert!(f.matches(&a, none) && !f.matches(&b, none));
        let f = Filter::parse("policy:travel");
        assert!(!f.matches(&a, none) && f.matches(&b, none));
        let f = Filter::parse("VOLUME");
        assert!(f.matches(&a, none) && !f.matches(&b, none));
        assert!(Filter::parse("  ").is_empty());
    }

    #[test]
    fn state_term_looks_at_the_alerts_remediations() {
        let a = alert("1", Severity::High, "p", "u", "t");
        let f = Filter::parse("state:proposed");
        assert!(f.needs_states() && !Filter::parse("user:u").needs_states());
        assert!(!f.matches(&a, none));
        assert!(f.matches(&a, || [RemediationState::Proposed].into_iter()));
        let failed = Filter::parse("state:failed");
        assert!(failed.matches(&a, || [RemediationState::TimeOut].into_iter()));
        assert!(!failed.matches(&a, || [RemediationState::Succeeded].into_iter()));
    }

    #[test]
    fn open_and_closed_look_at_the_alert_itself() {
        let open = alert("1", Severity::High, "p", "u", "t");
        let mut closed = alert("2", Severity::High, "p", "u", "t");
        closed.resolution = Resolution::Benign;
        let f = Filter::parse("state:open");
        assert!(f.matches(&open, none) && !f.matches(&closed, none));
        let f = Filter::parse("state:closed");
        assert!(!f.matches(&open, none) && f.matches(&closed, none));
    }

    #[test]
    fn quoted_values_keep_their_spaces() {
        let a = alert("1", Severity::High, "Mass download", "zoe@contoso.com", "t");
        let b = alert("2", Severity::High, "Mass delete", "zoe@contoso.com", "t");
        let f = Filter::parse("policy:\"mass download\"");
        assert!(f.matches(&a, none) && !f.matches(&b, none));
    }

    #[test]
    fn an_unknown_key_is_an_error_not_a_word() {
        let f = Filter::parse("sevrity:high");
        assert_eq!(
            f.error(),
            Some("unknown filter key `sevrity` (use severity, policy, user, state)")
        );
        assert!(!f.is_empty(), "an error keeps the filter line visible");
        assert_eq!(Filter::parse("10:42").error(), None, "times are words");
    }
}
