//! The remediation engine: intake, resolve, plan, gate, dispatch, track, close.
