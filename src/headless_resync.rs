//! When the headless stream asks for a snapshot after falling behind: once, until the snapshot is printed.

use crate::engine::Event;

/// Whether a snapshot was asked for and not printed yet. Each ask sends another whole snapshot, and a large
/// one makes the output fall behind again, so lag reports while one is on its way ask nothing more.
#[derive(Debug, Default)]
pub struct ResyncAsk {
    asked: bool,
}

impl ResyncAsk {
    /// The output fell behind: true when a snapshot is to be asked for now.
    pub fn on_lag(&mut self) -> bool {
        !std::mem::replace(&mut self.asked, true)
    }

    /// An event is being printed: a snapshot lets the next lag ask again.
    pub fn on_event(&mut self, event: &Event) {
        if matches!(event, Event::Snapshot { .. }) {
            self.asked = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Event {
        Event::Snapshot {
            alerts: Vec::new(),
            policies: Vec::new(),
            remediations: Vec::new(),
            read_only: false,
            demo: true,
            operator: "tester".into(),
        }
    }

    #[test]
    fn one_snapshot_per_lag_until_one_is_printed() {
        let mut ask = ResyncAsk::default();
        assert!(ask.on_lag(), "the first lag asks");
        assert!(
            !ask.on_lag(),
            "a second lag waits for the snapshot asked for"
        );
        assert!(!ask.on_lag());
        ask.on_event(&Event::Notice {
            level: crate::engine::interface::Level::Info,
            text: "not a snapshot".into(),
        });
        assert!(!ask.on_lag(), "only a snapshot ends the wait");
        ask.on_event(&snapshot());
        assert!(ask.on_lag(), "after the snapshot a new lag asks again");
    }
}
