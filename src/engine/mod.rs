//! The remediation engine: intake, resolve, plan, gate, dispatch, track, close.

mod backoff;
mod close;
mod commands;
mod consider;
mod core;
mod cover;
mod crash;
mod dispatch;
mod error;
mod forms;
mod gate;
mod intake;
pub mod interface;
mod journal;
mod link;
mod modes;
mod plan;
mod proof;
mod resolve;
mod retry;
mod runner;
mod send;
mod settings;
mod submit;
mod track;
mod views;

pub use error::EngineError;
pub use gate::{GateInput, Verdict, decide};
pub use interface::*;
pub use plan::{idempotency_key, render_comment};
pub use resolve::pick_live;
pub use runner::{EngineHandle, start};
pub use settings::{Binding, EngineSettings, FlowPlan, os_user};
