//! What notices call things: an alert by its title and a policy by its name, never by an id an analyst
//! cannot read (the id only when nothing better is known).

use super::core::Engine;

/// Titles longer than this are cut in notices.
const MAX_TITLE: usize = 48;

impl Engine {
    /// `alert “Mass download of 412 files”`, or `alert <id>` when the alert is not in memory.
    pub(super) fn alert_label(&self, alert_id: &str) -> String {
        match self.alerts.get(alert_id) {
            Some(alert) => format!("alert “{}”", shorten(&alert.title)),
            None => format!("alert {alert_id}"),
        }
    }

    /// `policy “Mass download”`, or `policy <id>` when the policy is not known.
    pub(super) fn policy_label(&self, policy_id: &str) -> String {
        match self.policies.view(policy_id) {
            Some(policy) => format!("policy “{}”", shorten(&policy.name)),
            None => format!("policy {policy_id}"),
        }
    }
}

fn shorten(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= MAX_TITLE {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX_TITLE - 1).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn long_titles_are_cut_on_a_character_boundary() {
        assert_eq!(shorten("  Mass download  "), "Mass download");
        let long = "é".repeat(60);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), super::MAX_TITLE);
        assert!(cut.ends_with('…'));
    }
}
