//! What a stalled multi-process run leaves for diagnosis: every live remedy process's threads (gdb), the
//! journal's lease row and the last log lines, written into the kept directory and summed up on stderr.

use std::path::Path;
use std::process::{Command, Stdio};

/// Log lines of the shared log file shown on stderr (all are kept in the directory).
const LOG_TAIL: usize = 40;

/// Writes `threads-PID.txt` (every thread's backtrace, by gdb) for each of `pids` into `kept`, and prints
/// the lease row and the last log lines; returns a one-line summary for the failure message.
pub fn dump_stall(kept: &Path, pids: &[u32]) -> String {
    let mut summary = Vec::new();
    for pid in pids {
        let file = kept.join(format!("threads-{pid}.txt"));
        let dumped = Command::new("gdb")
            .args([
                "-p",
                &pid.to_string(),
                "-batch",
                "-ex",
                "thread apply all bt",
            ])
            .stdin(Stdio::null())
            .output();
        match dumped {
            Ok(out) => {
                let mut text = out.stdout;
                text.extend_from_slice(&out.stderr);
                let _ = std::fs::write(&file, &text);
                eprintln!("threads of {pid}: {}", file.display());
                eprintln!("{}", engine_frames(&String::from_utf8_lossy(&text)));
                summary.push(format!("threads of {pid} in {}", file.display()));
            }
            Err(e) => summary.push(format!("gdb not run for {pid}: {e}")),
        }
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let _ = std::fs::write(kept.join(format!("status-{pid}.txt")), status);
        }
    }
    if let Ok(journal) = remedy::store::Journal::open(&kept.join("journal.sqlite")) {
        eprintln!("lease: {:?}", journal.lease());
    }
    for log in log_files(&kept.join("data")) {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        eprintln!("last lines of {}:", log.display());
        for line in &lines[lines.len().saturating_sub(LOG_TAIL)..] {
            eprintln!("  {line}");
        }
    }
    summary.join("; ")
}

/// The frames of gdb's dump that are remedy's own code (with their thread headers), to read at a glance.
fn engine_frames(dump: &str) -> String {
    dump.lines()
        .filter(|l| l.starts_with("Thread ") || l.contains("remedy::"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `.log` file under `dir`.
fn log_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(log_files(&path));
        } else if path.extension().is_some_and(|e| e == "log") {
            found.push(path);
        }
    }
    found
}
