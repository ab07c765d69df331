//! The remediation engine: intake, resolve, plan, gate, dispatch, track, close.

pub mod interface;

pub use interface::*;
