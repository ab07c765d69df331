//! Daily log files named by the day of the log's clock: the wall clock, or a simulator's once `remedy run
//! --sim-clock` sets it, so a simulated week is seven files as a real one would be.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;

use crate::engine::Clock;

/// The clock the log's days follow, once one other than the wall clock is set.
static LOG_CLOCK: OnceLock<Arc<dyn Clock>> = OnceLock::new();

/// From now on the log's files change day on `clock`'s days (a simulated clock); set once per process.
pub fn follow_clock(clock: Arc<dyn Clock>) {
    let _ = LOG_CLOCK.set(clock);
}

/// Today as the log's clock tells it.
fn today() -> NaiveDate {
    LOG_CLOCK
        .get()
        .map_or_else(chrono::Utc::now, |clock| clock.now_utc())
        .date_naive()
}

/// `remedy.YYYY-MM-DD.log` files in `dir`, a new one each day of `day`'s clock, the newest `keep` kept.
pub struct DailyFiles {
    dir: PathBuf,
    keep: usize,
    day: fn() -> NaiveDate,
    open: Option<(NaiveDate, File)>,
}

impl DailyFiles {
    /// Files following the log's clock ([`follow_clock`]).
    pub fn new(dir: PathBuf, keep: usize) -> DailyFiles {
        DailyFiles::on_days_of(dir, keep, today)
    }

    /// Files following `day`'s days.
    pub fn on_days_of(dir: PathBuf, keep: usize, day: fn() -> NaiveDate) -> DailyFiles {
        DailyFiles {
            dir,
            keep: keep.max(1),
            day,
            open: None,
        }
    }

    /// The file of today, opened (and the oldest beyond `keep` deleted) when the day changed.
    fn file(&mut self) -> std::io::Result<&mut File> {
        let today = (self.day)();
        if self.open.as_ref().is_none_or(|(day, _)| *day != today) {
            let path = self
                .dir
                .join(format!("remedy.{}.log", today.format("%Y-%m-%d")));
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            self.open = Some((today, file));
            self.delete_oldest();
        }
        let (_, file) = self.open.as_mut().expect("opened above");
        Ok(file)
    }

    /// Deletes the oldest daily files beyond `keep` (names sort by day).
    fn delete_oldest(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut days: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_prefix("remedy.")?.strip_suffix(".log"))
                    .is_some_and(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok())
            })
            .collect();
        days.sort();
        let extra = days.len().saturating_sub(self.keep);
        for old in &days[..extra] {
            let _ = std::fs::remove_file(old);
        }
    }
}

impl Write for DailyFiles {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.open {
            Some((_, file)) => file.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// The test's simulated day, moved by hand.
    static SIM_DAY: AtomicU32 = AtomicU32::new(1);

    fn sim_day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, SIM_DAY.load(Ordering::SeqCst)).unwrap()
    }

    #[test]
    fn a_simulated_week_is_one_file_a_day_and_only_the_newest_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = DailyFiles::on_days_of(dir.path().to_path_buf(), 3, sim_day);
        for day in 1..=7 {
            SIM_DAY.store(day, Ordering::SeqCst);
            writeln!(files, "a line of day {day}").unwrap();
            writeln!(files, "another line of day {day}").unwrap();
        }
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "remedy.2026-12-05.log",
                "remedy.2026-12-06.log",
                "remedy.2026-12-07.log"
            ]
        );
        let last = std::fs::read_to_string(dir.path().join("remedy.2026-12-07.log")).unwrap();
        assert_eq!(last, "a line of day 7\nanother line of day 7\n");
    }
}
