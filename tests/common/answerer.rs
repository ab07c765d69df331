//! Answers the terminal queries crossterm makes, for a program run under a pseudo-terminal (tests, benches).

use std::io::Write;
use std::sync::{Arc, Mutex};

/// The pty master's writing end, shared with whoever types into the program.
pub type Writer = Arc<Mutex<Box<dyn Write + Send>>>;

/// A terminal size in cells; never zero.
pub fn nonzero(n: u16) -> std::num::NonZero<u16> {
    std::num::NonZero::new(n).expect("terminal sizes are not zero")
}

/// Answers the terminal queries crossterm makes (cursor position, device attributes), as a real terminal would.
pub struct Answerer {
    pub writer: Writer,
}

impl vt100::Callbacks for Answerer {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let reply = match (i1, params, c) {
            (None, [[6]], 'n') => {
                let (row, col) = screen.cursor_position();
                Some(format!("\x1b[{};{}R", row + 1, col + 1))
            }
            (None, _, 'c') | (Some(b'?'), _, 'c') => Some("\x1b[?1;2c".to_string()),
            _ => None,
        };
        if let Some(reply) = reply
            && let Ok(mut w) = self.writer.lock()
        {
            let _ = w.write_all(reply.as_bytes());
            let _ = w.flush();
        }
    }
}
