//! Errors the simulator reports to its caller (scenario loading and server start-up).

use std::path::PathBuf;

/// What went wrong while loading a scenario or starting the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario file could not be read.
    #[error("cannot read scenario file {path}: {source}; check the path and its permissions")]
    ReadScenario {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The scenario file is not valid TOML for a scenario.
    #[error("scenario file {path} is not a valid scenario: {message}")]
    ParseScenario { path: PathBuf, message: String },
    /// The scenario parsed but holds values the simulator cannot use.
    #[error("scenario {origin} is invalid: {message}")]
    InvalidScenario { origin: String, message: String },
    /// The listening socket could not be opened.
    #[error(
        "cannot listen on 127.0.0.1:{port}: {source}; pick another port or use 0 for any free one"
    )]
    Bind { port: u16, source: std::io::Error },
}
