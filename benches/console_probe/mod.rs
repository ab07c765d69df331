//! A program in a pseudo-terminal, with every chunk it writes kept and timed for measuring.

#[path = "../../tests/common/terminal.rs"]
mod terminal;

use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use portable_pty::Child;

use terminal::{Answerer, Spawned, Writer, nonzero};

/// Chunks closer together than this belong to the same frame (frames are at least 33 ms apart).
const FRAME_GAP: Duration = Duration::from_millis(5);

/// One read from the pty master: when it arrived and what it held.
pub struct Chunk {
    pub at: Instant,
    pub bytes: Vec<u8>,
}

/// One frame: consecutive chunks with no gap of `FRAME_GAP` between them.
pub struct Frame {
    pub start: Instant,
    pub bytes: usize,
    /// Indices of the frame's first and last chunks in the log.
    pub first_chunk: usize,
    pub last_chunk: usize,
}

struct Shared {
    parser: vt100::Parser<Answerer>,
    log: Vec<Chunk>,
    exited: bool,
}

/// `remedy` under a pseudo-terminal.
pub struct Probe {
    child: Box<dyn Child + Send + Sync>,
    writer: Writer,
    shared: Arc<(Mutex<Shared>, Condvar)>,
    pub rows: u16,
    pub cols: u16,
}

impl Probe {
    /// Starts `program args…` with `envs` in a `cols`×`rows` terminal.
    pub fn spawn(
        program: &str,
        args: &[&str],
        envs: &[(&str, &str)],
        cols: u16,
        rows: u16,
    ) -> Probe {
        let Spawned {
            child,
            master,
            writer,
            mut reader,
            parser,
        } = terminal::spawn(program, args, envs, cols, rows);
        let shared = Arc::new((
            Mutex::new(Shared {
                parser,
                log: Vec::new(),
                exited: false,
            }),
            Condvar::new(),
        ));
        let feed = shared.clone();
        std::thread::spawn(move || {
            let _master = master;
            let mut buf = [0u8; 65536];
            loop {
                let n = reader.read(&mut buf).unwrap_or(0);
                let at = Instant::now();
                let (lock, signal) = &*feed;
                let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
                if n == 0 {
                    state.exited = true;
                    signal.notify_all();
                    return;
                }
                state.parser.process(&buf[..n]);
                state.log.push(Chunk {
                    at,
                    bytes: buf[..n].to_vec(),
                });
                signal.notify_all();
            }
        });
        Probe {
            child,
            writer,
            shared,
            rows,
            cols,
        }
    }

    /// The child's process id (for `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("remedy has a pid")
    }

    /// Types `keys` in one write; returns when the write was done.
    pub fn send(&self, keys: &str) -> Instant {
        let mut w = self.writer.lock().unwrap();
        w.write_all(keys.as_bytes()).unwrap();
        w.flush().unwrap();
        Instant::now()
    }

    /// Waits until the screen satisfies `done`; the time it was first seen so, or `None` after `within`.
    pub fn wait_until(
        &self,
        within: Duration,
        done: impl Fn(&vt100::Screen) -> bool,
    ) -> Option<Instant> {
        let deadline = Instant::now() + within;
        let (lock, signal) = &*self.shared;
        let mut state = lock.lock().unwrap();
        loop {
            if done(state.parser.screen()) {
                return Some(Instant::now());
            }
            let now = Instant::now();
            if now >= deadline || state.exited {
                return None;
            }
            state = signal.wait_timeout(state, deadline - now).unwrap().0;
        }
    }

    /// Reads the current screen.
    pub fn with_screen<T>(&self, read: impl FnOnce(&vt100::Screen) -> T) -> T {
        read(self.shared.0.lock().unwrap().parser.screen())
    }

    /// The frames written since `since`, grouped from the chunk log.
    pub fn frames_since(&self, since: Instant) -> Vec<Frame> {
        let state = self.shared.0.lock().unwrap();
        let mut frames: Vec<Frame> = Vec::new();
        let mut last_at: Option<Instant> = None;
        for (n, chunk) in state.log.iter().enumerate() {
            if chunk.at < since {
                continue;
            }
            match (frames.last_mut(), last_at) {
                (Some(frame), Some(prev)) if chunk.at.duration_since(prev) < FRAME_GAP => {
                    frame.bytes += chunk.bytes.len();
                    frame.last_chunk = n;
                }
                _ => frames.push(Frame {
                    start: chunk.at,
                    bytes: chunk.bytes.len(),
                    first_chunk: n,
                    last_chunk: n,
                }),
            }
            last_at = Some(chunk.at);
        }
        frames
    }

    /// The screen's rows as text after replaying the log up to and including each chunk of `upto` (ascending).
    pub fn replay(&self, upto: &[usize]) -> Vec<Vec<String>> {
        let state = self.shared.0.lock().unwrap();
        let mut parser = vt100::Parser::new(nonzero(self.rows), nonzero(self.cols), 0);
        let mut screens = Vec::with_capacity(upto.len());
        let mut fed = 0;
        for &last in upto {
            for chunk in &state.log[fed..=last] {
                parser.process(&chunk.bytes);
            }
            fed = last + 1;
            screens.push(parser.screen().rows(0, self.cols).collect());
        }
        screens
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
