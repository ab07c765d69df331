//! Symbol and word for every severity, state, mode and notice level (never colour alone).

use crate::engine::interface::{Level, Mode, RemediationState, Resolution, Severity};

/// Frames of the spinner shown next to in-flight remediations.
const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// "▲ high", "◆ medium", …
pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "▲ high",
        Severity::Medium => "◆ medium",
        Severity::Low => "▼ low",
        Severity::Informational => "· info",
        Severity::Unknown => "? unknown",
    }
}

/// The symbol of a state; in-flight states take a spinner frame chosen by `tick`.
pub fn state_symbol(state: RemediationState, tick: u64) -> &'static str {
    match state {
        RemediationState::Proposed => "○",
        RemediationState::Approved => "✓",
        RemediationState::Rejected => "✗",
        RemediationState::Expired => "⊖",
        RemediationState::Queued => "…",
        RemediationState::Skipped => "–",
        RemediationState::Submitted
        | RemediationState::Attached
        | RemediationState::Pending
        | RemediationState::InProgress => SPINNER[(tick % SPINNER.len() as u64) as usize],
        RemediationState::Succeeded => "✔",
        RemediationState::Failed => "✘",
        RemediationState::TimeOut => "⊗",
        RemediationState::Cancelled => "⊘",
    }
}

/// "○ off", "◐ approve", "● auto".
pub fn mode(mode: Mode) -> &'static str {
    match mode {
        Mode::Off => "○ off",
        Mode::Approve => "◐ approve",
        Mode::Auto => "● auto",
    }
}

/// "i info", "! warn", "✗ error".
pub fn level(level: Level) -> &'static str {
    match level {
        Level::Info => "i info",
        Level::Warn => "! warn",
        Level::Error => "✗ error",
    }
}

/// The alert's resolution in words: "open", "true positive", …
pub fn resolution(resolution: Resolution) -> &'static str {
    match resolution {
        Resolution::Open => "open",
        Resolution::Dismissed => "dismissed",
        Resolution::Resolved => "resolved",
        Resolution::FalsePositive => "false positive",
        Resolution::Benign => "benign",
        Resolution::TruePositive => "true positive",
        Resolution::Unknown => "resolution unknown",
    }
}
