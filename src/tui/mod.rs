//! The terminal console: state, views, keymap and theme; renders engine events, sends commands.

mod actions;
#[cfg(test)]
mod alert_text_units;
mod app;
mod containment;
mod dialog;
mod error;
mod fit;
mod format;
mod keymap;
mod notify;
mod panes;
mod requests;
mod state;
mod symbols;
mod terminal;
mod theme;
mod views;

use std::io::Write;
use std::task::Poll;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use ratatui::crossterm::event::{Event as TermEvent, EventStream};
use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::crossterm::{execute, queue};
use tokio::sync::{broadcast, mpsc};
use tokio::time::{Instant, sleep_until};

use crate::engine::interface::{Command, Event};

pub use app::{App, Pane};
pub use dialog::{Dialog, Focus};
pub use error::TuiError;
pub use keymap::{Action, Keymap, KeymapOverrides};
pub use notify::NotifyOptions;
use notify::{Attention, Notifier};
pub use theme::{Theme, ThemeName};
pub use views::draw;

/// Shortest time between two frames drawn for engine events or clocks (about 30 per second); keys draw at once.
const FRAME: Duration = Duration::from_millis(33);
/// Drawn this long after a time on screen changes, so the new text is surely due.
const SLACK: Duration = Duration::from_millis(2);

/// How the console starts.
#[derive(Debug, Clone, Default)]
pub struct UiOptions {
    pub theme: ThemeName,
    pub keymap: KeymapOverrides,
    pub mouse: bool,
    pub read_only: bool,
    pub demo: bool,
    pub notify: NotifyOptions,
}

impl UiOptions {
    /// The app these options describe (the keymap is checked here), with `NO_COLOR` given by the caller.
    pub fn build_app(&self, no_color: Option<&str>) -> Result<App, TuiError> {
        let keymap = Keymap::new(&self.keymap)?;
        let theme = Theme::named(self.theme.honouring_no_color(no_color));
        Ok(App::new(keymap, theme, self.read_only, self.demo))
    }
}

/// Sends the commands a key produced; a full channel drops them with a toast instead of blocking the UI.
pub fn send_commands(
    app: &mut App,
    commands: &mpsc::Sender<Command>,
    batch: Vec<Command>,
) -> Result<(), TuiError> {
    for command in batch {
        match commands.try_send(command) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(command)) => {
                tracing::warn!(?command, "engine busy, command dropped");
                app.toast(
                    crate::engine::interface::Level::Warn,
                    "the engine is busy; nothing was sent, try again",
                );
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(TuiError::EngineGone),
        }
    }
    Ok(())
}

/// Handles one terminal event: keys and mouse produce commands, which are sent.
pub fn process_input(
    app: &mut App,
    event: TermEvent,
    commands: &mpsc::Sender<Command>,
    mouse: bool,
) -> Result<(), TuiError> {
    let batch = match event {
        TermEvent::Key(key) => app.handle_key(key),
        TermEvent::Mouse(m) if mouse => app.handle_mouse(m),
        _ => Vec::new(),
    };
    send_commands(app, commands, batch)
}

/// Runs the console until the analyst quits: owns the terminal, renders events, sends commands.
pub async fn run(
    commands: mpsc::Sender<Command>,
    mut events: broadcast::Receiver<Event>,
    options: UiOptions,
) -> Result<(), TuiError> {
    let no_color = std::env::var("NO_COLOR").ok();
    let mut app = options.build_app(no_color.as_deref())?;
    let mut screen = terminal::Screen::enter(options.mouse)?;
    let mut notifier = Notifier::new(options.notify);
    let mut input = EventStream::new();
    let mut dirty = true;
    let mut typed = false;
    let mut last_draw = Instant::now() - FRAME;
    while !app.quit {
        if dirty && (typed || last_draw.elapsed() >= FRAME) {
            app.set_now(Utc::now());
            signal_attention(&mut screen, &mut notifier, &app)?;
            queue!(screen.terminal.backend_mut(), BeginSynchronizedUpdate)?;
            screen.terminal.draw(|frame| draw(frame, &mut app))?;
            execute!(screen.terminal.backend_mut(), EndSynchronizedUpdate)?;
            last_draw = Instant::now();
            dirty = false;
            typed = false;
        }
        let wake = if dirty {
            Some(last_draw + FRAME)
        } else {
            app.next_redraw()
                .map(|at| last_draw + (at - app.now).to_std().unwrap_or_default() + SLACK)
        };
        let timer = async {
            match wake {
                Some(at) => sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            term = input.next() => {
                let Some(term) = term else { break };
                app.set_now(Utc::now());
                let term = term?;
                typed |= matches!(term, TermEvent::Key(_) | TermEvent::Resize(..));
                process_input(&mut app, term, &commands, options.mouse)?;
                // Polled with this task's waker: crossterm keeps the waker of the first pending poll, so a
                // no-op waker here (`now_or_never`) would leave the next key unseen until a timer fires.
                while let Poll::Ready(Some(more)) = futures::poll!(input.next()) {
                    process_input(&mut app, more?, &commands, options.mouse)?;
                }
                dirty = true;
            }
            event = events.recv() => {
                app.set_now(Utc::now());
                if !receive_event(&mut app, event, &commands)? {
                    break;
                }
                drain_events(&mut app, &mut events, &commands)?;
                dirty = true;
            }
            () = timer => dirty = true,
        }
    }
    drop(screen);
    Ok(())
}

/// Writes the window title and notifications the model's attention calls for.
fn signal_attention(
    screen: &mut terminal::Screen,
    notifier: &mut Notifier,
    app: &App,
) -> Result<(), TuiError> {
    let bytes = notifier.update(Attention::of(&app.model));
    if !bytes.is_empty() {
        let out = screen.terminal.backend_mut();
        out.write_all(&bytes)?;
        out.flush()?;
    }
    Ok(())
}

/// Applies every event already waiting, so a burst costs one frame; a lag asks for a resync.
pub fn drain_events(
    app: &mut App,
    events: &mut broadcast::Receiver<Event>,
    commands: &mpsc::Sender<Command>,
) -> Result<(), TuiError> {
    loop {
        match events.try_recv() {
            Ok(event) => apply_event(app, event)?,
            Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                receive_event(
                    app,
                    Err(broadcast::error::RecvError::Lagged(missed)),
                    commands,
                )?;
            }
            Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed) => {
                return Ok(());
            }
        }
    }
}

/// Applies one engine event; the engine's death ends the console with its reason.
fn apply_event(app: &mut App, event: Event) -> Result<(), TuiError> {
    if let Event::EngineStopped { reason } = event {
        return Err(TuiError::EngineStopped(reason));
    }
    app.apply(event);
    Ok(())
}

/// Applies one received event; asks for a resync after lagging. `false` when the engine has gone.
pub fn receive_event(
    app: &mut App,
    event: Result<Event, broadcast::error::RecvError>,
    commands: &mpsc::Sender<Command>,
) -> Result<bool, TuiError> {
    match event {
        Ok(event) => apply_event(app, event)?,
        Err(broadcast::error::RecvError::Lagged(missed)) => {
            tracing::warn!(
                missed,
                "console fell behind the engine; asking for a snapshot"
            );
            send_commands(app, commands, vec![Command::Resync])?;
        }
        Err(broadcast::error::RecvError::Closed) => {
            tracing::info!("engine event channel closed; leaving the console");
            return Ok(false);
        }
    }
    Ok(true)
}
