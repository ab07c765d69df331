//! The engine without a terminal: events as JSON lines on stdout.

use std::io::Write;

use tokio::sync::broadcast::error::RecvError;

use crate::engine::{Command, EngineHandle, Event};
use crate::headless_resync::ResyncAsk;

/// Why the headless loop ended other than by request.
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error("cannot write events to standard output: {0}")]
    Output(#[source] std::io::Error),
    #[error("the engine stopped: {0}")]
    EngineStopped(String),
}

/// Prints every engine event as one JSON object per line until `stop` resolves or stdout closes
/// (a closed pipe, as with `| head`, is a normal end). The engine's death is an error. When `stop` resolves
/// the engine drains, and the answers to submissions in flight are still printed, for at most `grace`.
pub async fn run(
    engine: &EngineHandle,
    stop: impl std::future::Future<Output = ()>,
    grace: std::time::Duration,
) -> Result<(), HeadlessError> {
    let mut events = engine.subscribe();
    let commands = engine.commands();
    tokio::pin!(stop);
    let drained = tokio::time::sleep(grace);
    tokio::pin!(drained);
    let mut draining = false;
    let mut resync = ResyncAsk::default();
    let stdout = std::io::stdout();
    loop {
        tokio::select! {
            _ = &mut stop, if !draining => {
                engine.begin_drain();
                draining = true;
                drained.as_mut().reset(tokio::time::Instant::now() + grace);
            }
            _ = engine.ended(), if draining => return Ok(()),
            _ = &mut drained, if draining => return Ok(()),
            event = events.recv() => match event {
                Ok(event) => {
                    resync.on_event(&event);
                    let stopped = match &event {
                        Event::EngineStopped { reason } => Some(reason.clone()),
                        _ => None,
                    };
                    let line = serde_json::to_string(&event)
                        .map_err(|e| HeadlessError::Output(std::io::Error::other(e)))?;
                    let mut out = stdout.lock();
                    match writeln!(out, "{line}").and_then(|()| out.flush()) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                        Err(e) => return Err(HeadlessError::Output(e)),
                    }
                    if let Some(reason) = stopped {
                        return Err(HeadlessError::EngineStopped(reason));
                    }
                }
                Err(RecvError::Lagged(missed)) if resync.on_lag() => {
                    tracing::warn!(missed, "headless output fell behind; asking for a snapshot");
                    let _ = commands.send(Command::Resync).await;
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "headless output still behind; the snapshot asked for is on its way");
                }
                Err(RecvError::Closed) => return Ok(()),
            },
        }
    }
}
