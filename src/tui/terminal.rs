//! Owning the terminal: raw mode, alternate screen, optional mouse, restored on drop and on panic.

use std::io::{self, Stdout, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

/// Whether mouse capture is on, so the panic hook knows to turn it off.
static MOUSE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// The terminal in full-screen mode; dropping it puts the terminal back.
pub struct Screen {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Screen {
    /// Enters raw mode and the alternate screen, and installs a panic hook that restores the terminal first.
    pub fn enter(mouse: bool) -> io::Result<Screen> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        });
        enable_raw_mode()?;
        let mut out = stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen) {
            restore();
            return Err(e);
        }
        if mouse {
            MOUSE.store(true, Ordering::SeqCst);
            execute!(out, EnableMouseCapture)?;
        }
        let terminal = Terminal::new(CrosstermBackend::new(out)).inspect_err(|_| restore())?;
        Ok(Screen { terminal })
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
        if let Err(e) = self.terminal.show_cursor() {
            tracing::warn!("could not show the cursor again: {e}");
        }
    }
}

/// Puts the terminal back as it was; safe to call more than once.
fn restore() {
    let mut out = stdout();
    if MOUSE.swap(false, Ordering::SeqCst)
        && let Err(e) = execute!(out, DisableMouseCapture)
    {
        tracing::warn!("could not disable mouse capture: {e}");
    }
    if let Err(e) = disable_raw_mode() {
        tracing::warn!("could not leave raw mode: {e}");
    }
    if let Err(e) = execute!(out, LeaveAlternateScreen, ratatui::crossterm::cursor::Show) {
        tracing::warn!("could not leave the alternate screen: {e}");
    }
}
