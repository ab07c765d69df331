//! Runs the real binary in a pseudo-terminal and keeps an emulated screen of what it draws.

use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, MasterPty, PtySize};

use super::terminal::{self, Answerer, Spawned, Writer, nonzero};

struct Shared {
    parser: vt100::Parser<Answerer>,
    bytes: usize,
    exited: bool,
}

/// The binary under a pseudo-terminal.
pub struct Tui {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Writer,
    shared: Arc<(Mutex<Shared>, Condvar)>,
}

impl Tui {
    /// Starts `remedy args…` with `envs` in a `cols`×`rows` terminal.
    pub fn spawn(args: &[&str], envs: &[(&str, &str)], cols: u16, rows: u16) -> Tui {
        let Spawned {
            child,
            master,
            writer,
            mut reader,
            parser,
        } = terminal::spawn(env!("CARGO_BIN_EXE_remedy"), args, envs, cols, rows);
        let shared = Arc::new((
            Mutex::new(Shared {
                parser,
                bytes: 0,
                exited: false,
            }),
            Condvar::new(),
        ));
        let feed = shared.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                let n = reader.read(&mut buf).unwrap_or(0);
                let (lock, signal) = &*feed;
                let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
                if n == 0 {
                    state.exited = true;
                    signal.notify_all();
                    return;
                }
                state.parser.process(&buf[..n]);
                state.bytes += n;
                signal.notify_all();
            }
        });
        Tui {
            child,
            master,
            writer,
            shared,
        }
    }

    /// Types `keys` (one write).
    pub fn send(&self, keys: &str) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(keys.as_bytes()).unwrap();
        w.flush().unwrap();
    }

    /// The screen's text, trailing blanks trimmed per line.
    pub fn contents(&self) -> String {
        self.shared.0.lock().unwrap().parser.screen().contents()
    }

    /// Bytes the program has written to the terminal so far.
    pub fn bytes_written(&self) -> usize {
        self.shared.0.lock().unwrap().bytes
    }

    /// Whether the program still shows the alternate screen.
    pub fn alternate_screen(&self) -> bool {
        self.shared
            .0
            .lock()
            .unwrap()
            .parser
            .screen()
            .alternate_screen()
    }

    /// Waits until the screen satisfies `done`; panics with the screen after `secs` seconds.
    pub fn wait_for(&self, secs: u64, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let (lock, signal) = &*self.shared;
        let mut state = lock.lock().unwrap();
        loop {
            let text = state.parser.screen().contents();
            if done(&text) {
                return text;
            }
            let now = Instant::now();
            if now >= deadline || state.exited {
                panic!("waiting for {what}; the screen shows:\n{text}");
            }
            state = signal.wait_timeout(state, deadline - now).unwrap().0;
        }
    }

    /// Resizes the terminal (the program gets SIGWINCH).
    pub fn resize(&self, cols: u16, rows: u16) {
        self.shared
            .0
            .lock()
            .unwrap()
            .parser
            .screen_mut()
            .set_size(nonzero(rows), nonzero(cols));
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    /// Waits for the program to exit; true when it exited with success.
    pub fn wait_exit(&mut self, secs: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "remedy did not exit; the screen shows:\n{}",
            self.contents()
        );
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
