//! Counts and times of the journal's database calls by statement kind, for benchmarks: off unless started on
//! the thread that runs the journal (one call is one round trip to PostgreSQL, one statement step on SQLite).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

thread_local! {
    static METER: RefCell<Option<Meter>> = const { RefCell::new(None) };
}

/// What the calls of one statement kind cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KindCost {
    pub calls: u64,
    pub time: Duration,
}

/// The calls made since [`start`], by statement kind (e.g. `UPDATE remediations`, `SAVEPOINT`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meter {
    pub by_kind: BTreeMap<String, KindCost>,
}

impl Meter {
    /// Every call, of every kind.
    pub fn calls(&self) -> u64 {
        self.by_kind.values().map(|k| k.calls).sum()
    }

    /// The time spent inside calls.
    pub fn time(&self) -> Duration {
        self.by_kind.values().map(|k| k.time).sum()
    }
}

/// Starts counting this thread's journal calls (from zero).
pub fn start() {
    METER.with(|m| *m.borrow_mut() = Some(Meter::default()));
}

/// Stops counting on this thread; what was counted since [`start`].
pub fn take() -> Option<Meter> {
    METER.with(|m| m.borrow_mut().take())
}

/// Runs one database call (`sql`, or a batch of statements), counting it when this thread's meter runs.
pub(super) fn timed<T>(sql: &str, call: impl FnOnce() -> T) -> T {
    if !METER.with(|m| m.borrow().is_some()) {
        return call();
    }
    let started = Instant::now();
    let value = call();
    let spent = started.elapsed();
    METER.with(|m| {
        if let Some(meter) = m.borrow_mut().as_mut() {
            let cost = meter.by_kind.entry(kind(sql)).or_default();
            cost.calls += 1;
            cost.time += spent;
        }
    });
    value
}

/// The kind of a call: each statement's first keyword and the table it works on, `; `-separated in a batch.
pub fn kind(sql: &str) -> String {
    sql.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(statement_kind)
        .collect::<Vec<_>>()
        .join("; ")
}

fn statement_kind(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let first = words[0].to_ascii_uppercase();
    // The word after the first of `keywords` (a leading parenthesis ignored).
    let after = |keywords: &[&str]| {
        words
            .iter()
            .position(|w| {
                let w = w.trim_start_matches('(');
                keywords.iter().any(|k| w.eq_ignore_ascii_case(k))
            })
            .and_then(|i| words.get(i + 1))
            .map(|w| w.trim_start_matches('(').to_owned())
    };
    let target = match first.as_str() {
        "INSERT" => after(&["INTO"]),
        "UPDATE" => words.get(1).map(|w| (*w).to_owned()),
        "WITH" => after(&["UPDATE", "INTO"]),
        "SELECT" | "DELETE" => after(&["FROM"]).or_else(|| {
            let call = words.get(1).map(|w| w.split('(').next().unwrap_or(w));
            call.map(str::to_owned)
        }),
        "RELEASE" | "ROLLBACK" => words.get(1).map(|w| w.to_ascii_uppercase()),
        _ => None,
    };
    match target {
        Some(target) => format!("{first} {target}"),
        None => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_the_keyword_and_the_table() {
        assert_eq!(
            kind("SELECT id, state FROM remediations WHERE id = ?1"),
            "SELECT remediations"
        );
        assert_eq!(
            kind("INSERT INTO transitions (remediation_id) VALUES (?1)"),
            "INSERT transitions"
        );
        assert_eq!(
            kind("UPDATE remediations SET state = ?2"),
            "UPDATE remediations"
        );
        assert_eq!(
            kind("BEGIN; SELECT pg_advisory_xact_lock(42)"),
            "BEGIN; SELECT pg_advisory_xact_lock"
        );
        assert_eq!(
            kind("WITH bumped AS (UPDATE change_counter SET value = value + 1) SELECT 1"),
            "WITH change_counter"
        );
        assert_eq!(
            kind(
                "WITH appended AS (INSERT INTO audit (seq) VALUES (?1) RETURNING seq) \
                 INSERT INTO audit_head (id) SELECT 1 FROM appended ON CONFLICT (id) DO UPDATE SET seq = 1"
            ),
            "WITH audit"
        );
        assert_eq!(
            kind("ROLLBACK TO SAVEPOINT remedy_atomic; RELEASE SAVEPOINT remedy_atomic"),
            "ROLLBACK TO; RELEASE SAVEPOINT"
        );
    }

    #[test]
    fn only_a_started_meter_counts_and_take_stops_it() {
        timed("SELECT 1", || ());
        assert_eq!(take(), None);
        start();
        timed("SELECT x FROM lease", || ());
        timed("SELECT x FROM lease", || ());
        timed("COMMIT", || ());
        let meter = take().expect("started");
        assert_eq!(meter.calls(), 3);
        assert_eq!(meter.by_kind["SELECT lease"].calls, 2);
        assert_eq!(meter.by_kind["COMMIT"].calls, 1);
        assert_eq!(take(), None);
    }
}
