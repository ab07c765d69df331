//! What can go wrong starting or running the console, each with what to do about it.

use thiserror::Error;

/// Console errors.
#[derive(Debug, Error)]
pub enum TuiError {
    #[error("[ui.keys]: unknown action `{0}`; see the help (?) for the action names")]
    UnknownAction(String),
    #[error(
        "[ui.keys]: action `{0}` has key `{1}`, which is not a key name (try \"a\", \"ctrl-r\", \"enter\", \"f5\")"
    )]
    BadKey(String, String),
    #[error("[ui.keys]: key {key} is bound to both `{first}` and `{second}`; rebind one of them")]
    KeyConflict {
        key: String,
        first: &'static str,
        second: &'static str,
    },
    #[error("[ui.keys]: `quit` has no key left; give it at least one")]
    NoQuitKey,
    #[error(
        "terminal: {0} (is this an interactive terminal? use `remedy run` for the engine without a terminal)"
    )]
    Terminal(#[from] std::io::Error),
    #[error("the engine stopped listening for commands; see the log file for why")]
    EngineGone,
    #[error("the engine stopped: {0}")]
    EngineStopped(String),
}
