//! The engine without a terminal: events as JSON lines on stdout.

use std::io::Write;

use tokio::sync::broadcast::error::RecvError;

use crate::engine::{Command, EngineHandle};

/// Prints every engine event as one JSON object per line until `stop` resolves or stdout closes.
pub async fn run(
    engine: &EngineHandle,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let mut events = engine.subscribe();
    let commands = engine.commands();
    tokio::pin!(stop);
    let stdout = std::io::stdout();
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            event = events.recv() => match event {
                Ok(event) => {
                    let line = serde_json::to_string(&event).map_err(std::io::Error::other)?;
                    let mut out = stdout.lock();
                    writeln!(out, "{line}")?;
                    out.flush()?;
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "headless output fell behind; asking for a snapshot");
                    let _ = commands.send(Command::Resync).await;
                }
                Err(RecvError::Closed) => return Ok(()),
            },
        }
    }
}
