//! The `/` filter: free words and `severity:`, `policy:`, `user:`, `state:` terms, all of which must match.

use crate::engine::interface::AlertView;

use super::state::Model;
use super::symbols;

/// A parsed filter; the empty filter matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    text: String,
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Severity(String),
    Policy(String),
    User(String),
    State(String),
    Word(String),
}

impl Filter {
    /// Parses the filter line (case-insensitive).
    pub fn parse(text: &str) -> Filter {
        let terms = text
            .split_whitespace()
            .map(|word| {
                let lower = word.to_lowercase();
                match lower.split_once(':') {
                    Some(("severity" | "sev", v)) => Term::Severity(v.into()),
                    Some(("policy", v)) => Term::Policy(v.into()),
                    Some(("user", v)) => Term::User(v.into()),
                    Some(("state", v)) => Term::State(v.into()),
                    _ => Term::Word(lower),
                }
            })
            .collect();
        Filter {
            text: text.trim().to_string(),
            terms,
        }
    }

    /// The filter as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the filter keeps every alert.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether `alert` passes every term.
    pub fn matches(&self, alert: &AlertView, model: &Model) -> bool {
        self.terms.iter().all(|term| match term {
            Term::Severity(v) => symbols::severity_word(alert.severity).starts_with(v.as_str()),
            Term::Policy(v) => contains(&alert.policy_name, v) || alert.policy_id == *v,
            Term::User(v) => alert.user.as_deref().is_some_and(|u| contains(u, v)),
            Term::State(v) => model
                .remediations_of(&alert.id)
                .any(|r| r.state.as_str().eq_ignore_ascii_case(v)),
            Term::Word(v) => {
                contains(&alert.title, v)
                    || contains(&alert.policy_name, v)
                    || alert.user.as_deref().is_some_and(|u| contains(u, v))
                    || alert.id.eq_ignore_ascii_case(v)
            }
        })
    }
}

fn contains(haystack: &str, lower_needle: &str) -> bool {
    haystack.to_lowercase().contains(lower_needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::interface::{Event, Resolution, Severity};
    use chrono::Utc;

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
        }
    }

    #[test]
    fn terms_and_words_all_must_match() {
        let model = Model::default();
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
        assert!(f.matches(&a, &model) && !f.matches(&b, &model));
        let f = Filter::parse("policy:travel");
        assert!(!f.matches(&a, &model) && f.matches(&b, &model));
        let f = Filter::parse("VOLUME");
        assert!(f.matches(&a, &model) && !f.matches(&b, &model));
        assert!(Filter::parse("  ").is_empty());
    }

    #[test]
    fn state_term_looks_at_the_alerts_remediations() {
        let mut model = Model::default();
        model.apply(Event::AlertSeen(alert("1", Severity::High, "p", "u", "t")));
        assert!(!Filter::parse("state:proposed").matches(&model.alerts[0], &model));
    }
}
