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
    pub steps: Vec<ActionSpec>,
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
}
