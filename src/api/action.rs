//! `ActionRequest`: which Defender machine action to run, its body, and the idempotency tag in its comment.

use serde_json::{Value, json};

use super::call::Call;
use super::models::defender::idempotency_tag;

/// Antivirus scan depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanType {
    /// Quick scan.
    Quick,
    /// Full scan.
    Full,
}

/// Isolation depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationType {
    /// Full isolation.
    Full,
    /// Selective (Outlook, Teams, Skype stay connected).
    Selective,
    /// Unmanaged device.
    UnManagedDevice,
}

/// Which machine action to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionRequestKind {
    /// `runAntiVirusScan`.
    AntivirusScan {
        /// Quick or full.
        scan_type: ScanType,
    },
    /// `isolate`.
    Isolate {
        /// Full, selective, unmanaged.
        isolation_type: IsolationType,
    },
    /// `unisolate`.
    Unisolate,
    /// `restrictCodeExecution`.
    RestrictCodeExecution,
    /// `unrestrictCodeExecution`.
    UnrestrictCodeExecution,
    /// `collectInvestigationPackage`.
    CollectInvestigationPackage,
    /// `StopAndQuarantineFile`.
    StopAndQuarantineFile {
        /// SHA-1 of the file.
        sha1: String,
    },
}

/// A machine action to request, with its comment and remedy's idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    /// Which action.
    pub kind: ActionRequestKind,
    /// Comment shown in the Action center.
    pub comment: String,
    /// Idempotency key; sent as `ExternalID` (kept on the action as `externalID`) and inside the comment
    /// as `[remedy:<key>]`, since `externalID` cannot be filtered on, so a lost answer can be reconciled
    /// by reading the actions back.
    pub external_id: Option<String>,
}

impl ActionRequest {
    /// The comment as sent: the given comment with the idempotency tag appended once.
    pub fn comment_text(&self) -> String {
        match &self.external_id {
            Some(key) => {
                let tag = idempotency_tag(key);
                if self.comment.contains(&tag) {
                    self.comment.clone()
                } else if self.comment.is_empty() {
                    tag
                } else {
                    format!("{} {tag}", self.comment)
                }
            }
            None => self.comment.clone(),
        }
    }

    /// The API this request spends quota on.
    pub fn call(&self) -> Call {
        self.call_and_path().0
    }

    pub(crate) fn call_and_path(&self) -> (Call, &'static str) {
        match self.kind {
            ActionRequestKind::AntivirusScan { .. } => (Call::RunAntivirusScan, "runAntiVirusScan"),
            ActionRequestKind::Isolate { .. } => (Call::Isolate, "isolate"),
            ActionRequestKind::Unisolate => (Call::Unisolate, "unisolate"),
            ActionRequestKind::RestrictCodeExecution => {
                (Call::RestrictCodeExecution, "restrictCodeExecution")
            }
            ActionRequestKind::UnrestrictCodeExecution => {
                (Call::UnrestrictCodeExecution, "unrestrictCodeExecution")
            }
            ActionRequestKind::CollectInvestigationPackage => (
                Call::CollectInvestigationPackage,
                "collectInvestigationPackage",
            ),
            ActionRequestKind::StopAndQuarantineFile { .. } => {
                (Call::StopAndQuarantineFile, "StopAndQuarantineFile")
            }
        }
    }

    /// The request body; parameter names are case-sensitive on the service.
    pub(crate) fn body(&self) -> Value {
        let mut body = json!({ "Comment": self.comment_text() });
        if let Some(key) = &self.external_id {
            body["ExternalID"] = json!(key);
        }
        match &self.kind {
            ActionRequestKind::AntivirusScan { scan_type } => {
                body["ScanType"] = json!(match scan_type {
                    ScanType::Quick => "Quick",
                    ScanType::Full => "Full",
                });
            }
            ActionRequestKind::Isolate { isolation_type } => {
                body["IsolationType"] = json!(match isolation_type {
                    IsolationType::Full => "Full",
                    IsolationType::Selective => "Selective",
                    IsolationType::UnManagedDevice => "UnManagedDevice",
                });
            }
            ActionRequestKind::StopAndQuarantineFile { sha1 } => body["Sha1"] = json!(sha1),
            _ => {}
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::MachineAction;

    fn scan(key: Option<&str>) -> ActionRequest {
        ActionRequest {
            kind: ActionRequestKind::AntivirusScan {
                scan_type: ScanType::Full,
            },
            comment: "Scan for alert 66a1".into(),
            external_id: key.map(str::to_string),
        }
    }

    #[test]
    fn body_uses_the_case_sensitive_names_and_carries_the_key() {
        assert_eq!(
            scan(Some("4f1c")).body(),
            json!({"Comment": "Scan for alert 66a1 [remedy:4f1c]", "ScanType": "Full", "ExternalID": "4f1c"})
        );
        let isolate = ActionRequest {
            kind: ActionRequestKind::Isolate {
                isolation_type: IsolationType::Selective,
            },
            comment: "c".into(),
            external_id: None,
        };
        assert_eq!(
            isolate.body(),
            json!({"Comment": "c", "IsolationType": "Selective"})
        );
    }

    #[test]
    fn the_tag_is_not_added_twice_and_reads_back() {
        let mut request = scan(Some("k1"));
        request.comment = request.comment_text();
        assert_eq!(request.comment_text(), "Scan for alert 66a1 [remedy:k1]");
        let action: MachineAction = serde_json::from_value(json!({
            "id": "a", "type": "RunAntiVirusScan", "status": "Pending",
            "requestorComment": "Scan [remedy:k1] more"
        }))
        .unwrap();
        assert_eq!(action.idempotency_key(), Some("k1"));
    }
}
