//! The journal: remediations, transitions, approvals, mode changes and the audit chain, in SQLite.
