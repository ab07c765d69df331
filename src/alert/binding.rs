//! Which binding an alert falls under: by Cloud App Security policy id, then Graph detector id, then service
//! source, then title pattern, and which rule matched.

use serde::{Deserialize, Serialize};
use wildmatch::WildMatch;

use crate::text::has_hidden_chars;

use super::SourceAlert;

/// One way a binding matches alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BindingRule {
    /// A Cloud App Security policy id, compared exactly.
    PolicyId(String),
    /// A Graph `detectorId`, compared exactly.
    DetectorId(String),
    /// A Graph `serviceSource`, compared exactly.
    ServiceSource(String),
    /// A title pattern (`*` any run, `?` one character), case-insensitive.
    TitlePattern(String),
}

/// The kinds of rule, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    PolicyId,
    DetectorId,
    ServiceSource,
    TitlePattern,
}

impl BindingRule {
    pub fn kind(&self) -> RuleKind {
        match self {
            BindingRule::PolicyId(_) => RuleKind::PolicyId,
            BindingRule::DetectorId(_) => RuleKind::DetectorId,
            BindingRule::ServiceSource(_) => RuleKind::ServiceSource,
            BindingRule::TitlePattern(_) => RuleKind::TitlePattern,
        }
    }

    /// True when this rule matches `alert`. A title with hidden or control characters matches no pattern:
    /// what it looks like is not what it is.
    pub fn matches(&self, alert: &SourceAlert) -> bool {
        let detection = &alert.detection;
        match self {
            BindingRule::PolicyId(id) => detection.policy_id.as_ref() == Some(id),
            BindingRule::DetectorId(id) => detection.detector_id.as_ref() == Some(id),
            BindingRule::ServiceSource(source) => detection.service_source.as_ref() == Some(source),
            BindingRule::TitlePattern(pattern) => {
                !has_hidden_chars(&alert.title)
                    && WildMatch::new(&pattern.to_lowercase()).matches(&alert.title.to_lowercase())
            }
        }
    }
}

/// Which binding matched an alert, by which rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedBy {
    /// The binding's name (for a `[policies.<id>]` section, the policy id).
    pub binding: String,
    pub rule: BindingRule,
}

impl MatchedBy {
    /// "policy id 5f01…", "detector 7d7b…", "service source …", "title \"Ransomware*\"".
    pub fn describe(&self) -> String {
        match &self.rule {
            BindingRule::PolicyId(id) => format!("policy id {id}"),
            BindingRule::DetectorId(id) => format!("detector {id}"),
            BindingRule::ServiceSource(source) => format!("service source {source}"),
            BindingRule::TitlePattern(pattern) => format!("title {pattern:?}"),
        }
    }
}

/// The binding `alert` falls under: the first rule of the highest-precedence kind that matches, over
/// bindings in the order given.
pub fn match_binding<'a>(
    alert: &SourceAlert,
    bindings: impl IntoIterator<Item = (&'a str, &'a [BindingRule])> + Clone,
) -> Option<MatchedBy> {
    [
        RuleKind::PolicyId,
        RuleKind::DetectorId,
        RuleKind::ServiceSource,
        RuleKind::TitlePattern,
    ]
    .into_iter()
    .find_map(|kind| {
        bindings.clone().into_iter().find_map(|(name, rules)| {
            rules
                .iter()
                .find(|rule| rule.kind() == kind && rule.matches(alert))
                .map(|rule| MatchedBy {
                    binding: name.to_string(),
                    rule: rule.clone(),
                })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertKey, Detection, SourceKind};
    use crate::engine::interface::{Resolution, Severity};

    fn alert(title: &str, detection: Detection) -> SourceAlert {
        SourceAlert {
            key: AlertKey::Graph("g1".into()),
            seen_by: vec![SourceKind::Graph],
            graph_id: Some("g1".into()),
            title: title.into(),
            description: String::new(),
            severity: Severity::High,
            resolution: Resolution::Open,
            raised_at: chrono::DateTime::default(),
            updated_at: None,
            detection,
            user_principal: None,
            devices: Vec::new(),
            url: None,
            entities: Vec::new(),
            read: false,
        }
    }

    fn detected(policy: Option<&str>, detector: Option<&str>) -> Detection {
        Detection {
            policy_id: policy.map(Into::into),
            policy_name: None,
            detector_id: detector.map(Into::into),
            service_source: Some("microsoftDefenderForCloudApps".into()),
        }
    }

    #[test]
    fn precedence_is_policy_then_detector_then_source_then_title() {
        let by_title = [BindingRule::TitlePattern("ransomware*".into())];
        let by_source = [BindingRule::ServiceSource(
            "microsoftDefenderForCloudApps".into(),
        )];
        let by_detector = [BindingRule::DetectorId("d-1".into())];
        let by_policy = [BindingRule::PolicyId("p-1".into())];
        let bindings: Vec<(&str, &[BindingRule])> = vec![
            ("title", &by_title),
            ("source", &by_source),
            ("detector", &by_detector),
            ("policy", &by_policy),
        ];
        let both = alert("Ransomware activity", detected(Some("p-1"), Some("d-1")));
        let matched = match_binding(&both, bindings.iter().copied()).unwrap();
        assert_eq!(matched.binding, "policy");
        let graph_only = alert("Ransomware activity", detected(None, Some("d-1")));
        assert_eq!(
            match_binding(&graph_only, bindings.iter().copied())
                .unwrap()
                .describe(),
            "detector d-1"
        );
        let migrated = alert("Ransomware activity", detected(None, Some("d-2")));
        assert_eq!(
            match_binding(&migrated, bindings.iter().copied())
                .unwrap()
                .binding,
            "source"
        );
        let only_title: Vec<(&str, &[BindingRule])> = vec![("title", &by_title)];
        let matched = match_binding(&migrated, only_title.iter().copied()).unwrap();
        assert_eq!(matched.describe(), "title \"ransomware*\"");
    }

    #[test]
    fn ids_match_exactly_and_a_disguised_title_matches_no_pattern() {
        let rules = [
            BindingRule::PolicyId("p-1".into()),
            BindingRule::TitlePattern("ransomware*".into()),
        ];
        let bindings: Vec<(&str, &[BindingRule])> = vec![("b", &rules)];
        let near = alert("Other", detected(Some("p-1\u{200b}"), None));
        assert_eq!(match_binding(&near, bindings.iter().copied()), None);
        let disguised = alert("Ransom\u{200b}ware activity", detected(None, None));
        assert_eq!(match_binding(&disguised, bindings.iter().copied()), None);
        let hidden_in_title = alert("Ransomware\u{1b}[0m activity", detected(None, None));
        assert_eq!(
            match_binding(&hidden_in_title, bindings.iter().copied()),
            None
        );
    }
}
