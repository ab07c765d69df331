//! Remediation flows: the built-ins of config/flows.toml and the user's own, as declared in TOML.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

const BUILTIN_FLOWS: &str = include_str!("../../config/flows.toml");

/// One Defender action of a flow step, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionSpec {
    AntivirusScan {
        #[serde(default = "default_scan_type")]
        scan_type: ScanType,
    },
    Isolate {
        #[serde(default = "default_isolation_type")]
        isolation_type: IsolationType,
    },
    Unisolate,
    RestrictCodeExecution,
    UnrestrictCodeExecution,
    CollectInvestigationPackage,
}

/// Defender antivirus scan type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScanType {
    Full,
    Quick,
}

/// Defender isolation type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IsolationType {
    Full,
    Selective,
}

fn default_scan_type() -> ScanType {
    ScanType::Full
}

fn default_isolation_type() -> IsolationType {
    IsolationType::Selective
}

/// A remediation recipe: steps run in order on each of the alert user's machines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Comment template sent with each action; see config/flows.toml for placeholders.
    pub comment: String,
    /// Close the alert as true positive when every step succeeded on every machine.
    #[serde(default)]
    pub close_alert: bool,
    /// Minutes after the same action succeeded on a machine during which it is not run there again
    /// (0 disables); unset: [`DEFAULT_SCAN_COOLDOWN_MINUTES`] for flows with a scan, else 0.
    #[serde(default)]
    pub cooldown_minutes: Option<u32>,
    pub steps: Vec<ActionSpec>,
}

/// The cool-down of a flow with an antivirus scan when the flow does not set one.
pub const DEFAULT_SCAN_COOLDOWN_MINUTES: u32 = 60;
/// The longest cool-down a flow may set (one week).
pub const MAX_COOLDOWN_MINUTES: u32 = 7 * 24 * 60;

impl Flow {
    /// The effective cool-down in minutes.
    pub fn cooldown_minutes(&self) -> u32 {
        self.cooldown_minutes.unwrap_or_else(|| {
            let scans = self
                .steps
                .iter()
                .any(|s| matches!(s, ActionSpec::AntivirusScan { .. }));
            if scans {
                DEFAULT_SCAN_COOLDOWN_MINUTES
            } else {
                0
            }
        })
    }

    /// Why `cooldown_minutes` cannot be used, naming the allowed range.
    pub fn cooldown_problem(&self) -> Option<String> {
        let minutes = self.cooldown_minutes?;
        (minutes > MAX_COOLDOWN_MINUTES).then(|| {
            format!("cooldown_minutes = {minutes} is out of range: allowed 0 to {MAX_COOLDOWN_MINUTES} (0 disables)")
        })
    }
}

#[derive(Deserialize)]
struct FlowFile {
    flows: BTreeMap<String, Flow>,
}

/// The flows shipped with remedy (config/flows.toml, compiled in).
pub fn builtin_flows() -> BTreeMap<String, Flow> {
    toml::from_str::<FlowFile>(BUILTIN_FLOWS)
        .expect("config/flows.toml is valid; a unit test checks it")
        .flows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_mirror_the_templates() {
        let flows = builtin_flows();
        let scan = &flows["antivirus-scan-full"];
        assert_eq!(
            scan.steps,
            vec![ActionSpec::AntivirusScan {
                scan_type: ScanType::Full
            }]
        );
        assert_eq!(
            flows["isolate-machine"].steps,
            vec![ActionSpec::Isolate {
                isolation_type: IsolationType::Selective
            }]
        );
        assert!(flows["scan-then-collect"].close_alert);
        assert_eq!(flows["scan-then-collect"].steps.len(), 2);
    }

    #[test]
    fn cooldown_defaults_to_an_hour_for_scans_and_is_bounded() {
        let flows = builtin_flows();
        assert_eq!(flows["antivirus-scan-full"].cooldown_minutes(), 60);
        assert_eq!(flows["isolate-machine"].cooldown_minutes(), 0);
        let mut flow = flows["antivirus-scan-quick"].clone();
        flow.cooldown_minutes = None;
        assert_eq!(flow.cooldown_minutes(), DEFAULT_SCAN_COOLDOWN_MINUTES);
        flow.cooldown_minutes = Some(0);
        assert_eq!(flow.cooldown_minutes(), 0);
        assert_eq!(flow.cooldown_problem(), None);
        flow.cooldown_minutes = Some(MAX_COOLDOWN_MINUTES + 1);
        let problem = flow.cooldown_problem().expect("out of range");
        assert!(problem.contains("cooldown_minutes") && problem.contains("0 to 10080"));
    }
}
