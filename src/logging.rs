//! Logs go to a daily-rotated file (days of the log's clock, see `log_days.rs`) in the data directory (never the terminal the console draws on), or to
//! standard error for a supervisor such as journald; as text or JSON lines.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, LogRotation, LogSection};
use crate::log_days::DailyFiles;

/// Where log lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// Files named `remedy.log` (or `remedy.YYYY-MM-DD.log` when rotated daily) in this folder.
    Dir(PathBuf),
    /// Standard error, for journald or another supervisor that keeps and rotates logs itself.
    Stderr,
}

/// Why logging could not start.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot create the log folder {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open a log file in {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: tracing_appender::rolling::InitError,
    },
}

/// Lines waiting for the log writer thread. The default (128,000) reserves 4 MB up front; past this
/// many, a logging caller waits for the writer rather than the line being dropped.
const BUFFERED_LINES: usize = 8_192;

/// Starts logging (level from `REMEDY_LOG`, default `info`). Keep the guard alive until exit so buffered
/// lines are written.
pub fn init(target: &LogTarget, settings: &LogSection) -> Result<WorkerGuard, LogError> {
    let buffer = || {
        NonBlockingBuilder::default()
            .buffered_lines_limit(BUFFERED_LINES)
            .lossy(false)
    };
    let (writer, guard) = match target {
        LogTarget::Dir(dir) => buffer().finish(file_appender(dir, settings)?),
        LogTarget::Stderr => buffer().finish(std::io::stderr()),
    };
    let filter = EnvFilter::try_from_env("REMEDY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = match settings.format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(false)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(writer)
            .boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .try_init();
    Ok(guard)
}

/// The file appender: daily files keeping `keep` of them (days of the log's clock, see
/// [`crate::log_days::follow_clock`]), or one file that never rotates.
fn file_appender(
    dir: &Path,
    settings: &LogSection,
) -> Result<Box<dyn std::io::Write + Send>, LogError> {
    std::fs::create_dir_all(dir).map_err(|source| LogError::Folder {
        path: dir.to_path_buf(),
        source,
    })?;
    match settings.rotate {
        LogRotation::Daily => Ok(Box::new(DailyFiles::new(
            dir.to_path_buf(),
            usize::try_from(settings.keep).unwrap_or(usize::MAX),
        ))),
        LogRotation::Never => RollingFileAppender::builder()
            .filename_prefix("remedy")
            .filename_suffix("log")
            .rotation(Rotation::NEVER)
            .build(dir)
            .map(|appender| Box::new(appender) as Box<dyn std::io::Write + Send>)
            .map_err(|source| LogError::File {
                path: dir.to_path_buf(),
                source,
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(rotate: LogRotation, keep: u64) -> LogSection {
        LogSection {
            rotate,
            keep,
            format: LogFormat::Text,
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn daily_rotation_names_the_file_by_day_and_keeps_only_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        for day in 1..=5 {
            std::fs::write(
                dir.path().join(format!("remedy.2020-01-0{day}.log")),
                "old\n",
            )
            .unwrap();
        }
        let mut appender = file_appender(dir.path(), &section(LogRotation::Daily, 3)).unwrap();
        std::io::Write::write_all(&mut appender, b"line\n").unwrap();
        let today = chrono::Utc::now().format("remedy.%Y-%m-%d.log").to_string();
        let kept = names(dir.path());
        assert!(kept.contains(&today), "{kept:?}");
        assert!(kept.len() <= 3, "at most 3 files kept: {kept:?}");
        assert!(
            !kept.contains(&"remedy.2020-01-01.log".to_string()),
            "{kept:?}"
        );
    }

    #[test]
    fn never_rotating_writes_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut appender = file_appender(dir.path(), &section(LogRotation::Never, 14)).unwrap();
        std::io::Write::write_all(&mut appender, b"line\n").unwrap();
        assert_eq!(names(dir.path()), vec!["remedy.log".to_string()]);
    }
}
