//! The journal's words for remediation states and action kinds: the only place that maps them both ways.

use serde::Serialize;
use serde_json::Value;

use crate::lifecycle::{ActionKind, RemediationState};
use crate::text::sanitize;

/// A remediation's action as the journal holds it: a known kind, or what was stored and why it is refused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum StoredAction {
    Known(ActionKind),
    /// Never sent: not a kind remedy knows, or a kind contradicting its stored Defender type.
    Unknown {
        raw: String,
        why: String,
    },
}

impl StoredAction {
    /// The kind to act on, or why there is none.
    pub fn kind(&self) -> Result<&ActionKind, &str> {
        match self {
            StoredAction::Known(kind) => Ok(kind),
            StoredAction::Unknown { why, .. } => Err(why),
        }
    }
}

impl std::fmt::Display for StoredAction {
    /// Defender's type name of a known action; the cleaned stored word of an unknown one.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredAction::Known(kind) => f.write_str(kind.defender_type()),
            StoredAction::Unknown { raw, .. } => f.write_str(&sanitize(raw)),
        }
    }
}

/// The word stored for a state.
pub(crate) fn state_word(state: RemediationState) -> &'static str {
    state.as_str()
}

/// The state a stored word names, or why it cannot be used (never coerced into another state).
pub fn decode_state(word: &str) -> Result<RemediationState, String> {
    RemediationState::ALL
        .into_iter()
        .find(|s| state_word(*s) == word)
        .ok_or_else(|| format!("stored state '{}' is not a known state", sanitize(word)))
}

/// The stored columns of an action: Defender's type name and the kind's parameters as JSON.
pub(crate) fn encode_action(kind: &ActionKind) -> (&'static str, String) {
    let params = serde_json::to_string(kind).unwrap_or_else(|_| "{}".into());
    (kind.defender_type(), params)
}

/// Reads the stored action columns: an unknown kind, or one contradicting its Defender type, is refused.
pub fn decode_action(action: &str, params: &Value) -> StoredAction {
    let shown = params
        .get("kind")
        .and_then(Value::as_str)
        .map_or_else(|| params.to_string(), str::to_owned);
    match serde_json::from_value::<ActionKind>(params.clone()) {
        Err(_) => StoredAction::Unknown {
            why: format!(
                "stored action '{}' is not a known action kind",
                sanitize(&shown)
            ),
            raw: shown,
        },
        Ok(kind) if kind.defender_type() != action => StoredAction::Unknown {
            why: format!(
                "stored action '{}' does not match its parameters ({})",
                sanitize(action),
                kind.defender_type()
            ),
            raw: action.to_owned(),
        },
        Ok(kind) => StoredAction::Known(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_state_round_trips_and_unknown_words_are_refused() {
        for state in RemediationState::ALL {
            assert_eq!(decode_state(state_word(state)), Ok(state));
        }
        assert_eq!(
            decode_state("half-sent").unwrap_err(),
            "stored state 'half-sent' is not a known state"
        );
        assert!(decode_state("Approved").is_err(), "words are exact");
    }

    #[test]
    fn actions_round_trip_and_unknown_or_contradicting_ones_are_refused() {
        let scan = ActionKind::AntivirusScan {
            scan_type: "Quick".into(),
        };
        let (action, params) = encode_action(&scan);
        let params: Value = serde_json::from_str(&params).unwrap();
        assert_eq!(
            decode_action(action, &params),
            StoredAction::Known(scan.clone())
        );
        let wipe = decode_action("RunAntiVirusScan", &json!({"kind": "wipe_disk"}));
        assert_eq!(
            wipe.kind(),
            Err("stored action 'wipe_disk' is not a known action kind")
        );
        assert_eq!(wipe.to_string(), "wipe_disk");
        let mismatch = decode_action("Isolate", &params);
        assert!(mismatch.kind().unwrap_err().contains("does not match"));
    }
}
