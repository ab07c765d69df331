//! Graph's words for how an alert is closed: `classification` and `determination` (REFERENCE section 5).

use serde::{Deserialize, Serialize};

/// Graph's `classification` of a resolved alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GraphClassification {
    TruePositive,
    InformationalExpectedActivity,
    FalsePositive,
}

impl GraphClassification {
    /// The wire word.
    pub fn as_str(self) -> &'static str {
        match self {
            GraphClassification::TruePositive => "truePositive",
            GraphClassification::InformationalExpectedActivity => "informationalExpectedActivity",
            GraphClassification::FalsePositive => "falsePositive",
        }
    }
}

/// Graph's `determination` of a resolved alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GraphDetermination {
    Malware,
    CompromisedUser,
    Phishing,
    MaliciousUserActivity,
    UnwantedSoftware,
    SecurityTesting,
    ConfirmedUserActivity,
    LineOfBusinessApplication,
    Clean,
    InsufficientData,
    Other,
}

impl GraphDetermination {
    /// The wire word.
    pub fn as_str(self) -> &'static str {
        match self {
            GraphDetermination::Malware => "malware",
            GraphDetermination::CompromisedUser => "compromisedUser",
            GraphDetermination::Phishing => "phishing",
            GraphDetermination::MaliciousUserActivity => "maliciousUserActivity",
            GraphDetermination::UnwantedSoftware => "unwantedSoftware",
            GraphDetermination::SecurityTesting => "securityTesting",
            GraphDetermination::ConfirmedUserActivity => "confirmedUserActivity",
            GraphDetermination::LineOfBusinessApplication => "lineOfBusinessApplication",
            GraphDetermination::Clean => "clean",
            GraphDetermination::InsufficientData => "insufficientData",
            GraphDetermination::Other => "other",
        }
    }
}
