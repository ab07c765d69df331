//! The terminal side of a program run under a pseudo-terminal (tests, benches): starting it, and an emulated
//! screen that answers the queries crossterm makes.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

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

/// A program started in a fresh pseudo-terminal.
pub struct Spawned {
    pub child: Box<dyn Child + Send + Sync>,
    /// Keep it alive while the program runs: dropping it hangs up the terminal.
    pub master: Box<dyn MasterPty + Send>,
    pub writer: Writer,
    pub reader: Box<dyn Read + Send>,
    /// An emulated screen of the terminal's size, answering the program's queries through `writer`.
    pub parser: vt100::Parser<Answerer>,
}

/// Starts `program args…` with `envs` (and `TERM=xterm-256color`) in a `cols`×`rows` terminal.
pub fn spawn(program: &str, args: &[&str], envs: &[(&str, &str)], cols: u16, rows: u16) -> Spawned {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pty opens");
    let mut cmd = CommandBuilder::new(program);
    cmd.args(args);
    cmd.env("TERM", "xterm-256color");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = pty.slave.spawn_command(cmd).expect("the program starts");
    drop(pty.slave);
    let writer: Writer = Arc::new(Mutex::new(pty.master.take_writer().expect("pty writer")));
    let reader = pty.master.try_clone_reader().expect("pty reader");
    let parser = vt100::Parser::new_with_callbacks(
        nonzero(rows),
        nonzero(cols),
        0,
        Answerer {
            writer: writer.clone(),
        },
    );
    Spawned {
        child,
        master: pty.master,
        writer,
        reader,
        parser,
    }
}
