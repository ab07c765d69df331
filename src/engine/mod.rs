//! The remediation engine: intake, resolve, plan, gate, dispatch, track, close.

mod budgets;
mod clock;
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
mod history;
mod intake;
pub mod interface;
mod job;
mod journal;
mod link;
mod modes;
mod plan;
mod proof;
mod provider;
mod rerun;
mod resolve;
mod retry;
mod runner;
mod send;
mod settings;
mod source;
mod submit;
mod track;
#[cfg(test)]
mod units;
mod views;
mod wait;
mod waits;

pub use clock::{Clock, SystemClock};
pub use error::EngineError;
pub use gate::{GateInput, Verdict, decide};
pub use interface::*;
pub use plan::{idempotency_key, render_comment};
pub use provider::{ActionProvider, DefenderProvider};
pub use resolve::pick_live;
pub use runner::{EngineHandle, start};
pub use settings::{Binding, EngineSettings, FlowPlan, os_user};
pub use source::{AlertSource, CasSource};
