//! Tells the analyst's terminal what needs attention: counts in the window title, and a bell with a
//! desktop notification (OSC 9 and OSC 777, passed through tmux) when a proposal waits or an action fails.

use crate::engine::interface::RemediationState;

use super::state::Model;

/// What needs an analyst, counted over the model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attention {
    pub to_approve: usize,
    pub failed: usize,
}

impl Attention {
    pub fn of(model: &Model) -> Attention {
        let mut attention = Attention::default();
        for remediation in &model.remediations {
            match remediation.state {
                RemediationState::Proposed => attention.to_approve += 1,
                RemediationState::Failed | RemediationState::TimeOut => attention.failed += 1,
                _ => {}
            }
        }
        attention
    }

    /// The window title: "remedy · 3 to approve · 1 failed", or "remedy" when nothing waits.
    pub fn title(self) -> String {
        let mut title = String::from("remedy");
        if self.to_approve > 0 {
            title.push_str(&format!(" · {} to approve", self.to_approve));
        }
        if self.failed > 0 {
            title.push_str(&format!(" · {} failed", self.failed));
        }
        title
    }
}

/// Which signals the analyst wants (`[ui] title` and `[ui] notify`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotifyOptions {
    pub title: bool,
    pub notify: bool,
    /// Inside tmux: desktop notifications are wrapped so tmux passes them on.
    pub tmux: bool,
}

/// Remembers what was signalled, so each change is signalled once.
#[derive(Debug, Default)]
pub struct Notifier {
    options: NotifyOptions,
    last: Option<Attention>,
}

impl Notifier {
    pub fn new(options: NotifyOptions) -> Notifier {
        Notifier {
            options,
            last: None,
        }
    }

    /// The bytes to write for the model's attention now: a new title when the counts changed, and a
    /// bell with a notification when more proposals wait or more actions failed than before (not
    /// for what was already there when the console started).
    pub fn update(&mut self, attention: Attention) -> Vec<u8> {
        let mut out = Vec::new();
        let Some(last) = self.last.replace(attention) else {
            if self.options.title {
                out.extend(osc(&format!("0;{}", attention.title())));
            }
            return out;
        };
        if last == attention {
            return out;
        }
        if self.options.title {
            out.extend(osc(&format!("0;{}", attention.title())));
        }
        let more_waiting = attention.to_approve > last.to_approve;
        let more_failed = attention.failed > last.failed;
        if self.options.notify && (more_waiting || more_failed) {
            let body = attention.title();
            out.push(0x07);
            for notification in [format!("9;{body}"), format!("777;notify;remedy;{body}")] {
                let sequence = osc(&notification);
                out.extend(if self.options.tmux {
                    tmux_passthrough(&sequence)
                } else {
                    sequence
                });
            }
        }
        out
    }
}

/// An operating system command: `ESC ] text BEL`, control characters removed from the text.
fn osc(text: &str) -> Vec<u8> {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let mut out = b"\x1b]".to_vec();
    out.extend(clean.as_bytes());
    out.push(0x07);
    out
}

/// tmux forwards a sequence to the outer terminal when wrapped as `ESC P tmux; … ESC \`, with each ESC
/// inside doubled.
fn tmux_passthrough(sequence: &[u8]) -> Vec<u8> {
    let mut out = b"\x1bPtmux;".to_vec();
    for &byte in sequence {
        if byte == 0x1b {
            out.push(0x1b);
        }
        out.push(byte);
    }
    out.extend(b"\x1b\\");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(to_approve: usize, failed: usize) -> Attention {
        Attention { to_approve, failed }
    }

    fn all_on() -> NotifyOptions {
        NotifyOptions {
            title: true,
            notify: true,
            tmux: false,
        }
    }

    #[test]
    fn the_title_carries_the_counts() {
        assert_eq!(counts(0, 0).title(), "remedy");
        assert_eq!(counts(3, 1).title(), "remedy · 3 to approve · 1 failed");
    }

    #[test]
    fn what_was_there_at_start_sets_the_title_but_rings_nothing() {
        let mut notifier = Notifier::new(all_on());
        let out = notifier.update(counts(2, 1));
        assert_eq!(
            out,
            "\x1b]0;remedy · 2 to approve · 1 failed\x07".as_bytes()
        );
    }

    #[test]
    fn a_new_proposal_or_failure_rings_once() {
        let mut notifier = Notifier::new(all_on());
        notifier.update(counts(0, 0));
        let out = String::from_utf8(notifier.update(counts(1, 0))).unwrap();
        assert!(out.contains('\x07') && out.contains("\x1b]9;remedy · 1 to approve\x07"));
        assert!(out.contains("\x1b]777;notify;remedy;remedy · 1 to approve\x07"));
        assert!(
            notifier.update(counts(1, 0)).is_empty(),
            "no change, nothing sent"
        );
        let fewer = String::from_utf8(notifier.update(counts(0, 0))).unwrap();
        assert_eq!(
            fewer, "\x1b]0;remedy\x07",
            "an approval updates the title only"
        );
    }

    #[test]
    fn off_means_silent() {
        let mut notifier = Notifier::new(NotifyOptions::default());
        notifier.update(counts(0, 0));
        assert!(notifier.update(counts(5, 5)).is_empty());
    }

    #[test]
    fn inside_tmux_notifications_are_wrapped_for_passthrough() {
        let mut notifier = Notifier::new(NotifyOptions {
            tmux: true,
            ..all_on()
        });
        notifier.update(counts(0, 0));
        let out = String::from_utf8(notifier.update(counts(0, 1))).unwrap();
        assert!(
            out.contains("\x1bPtmux;\x1b\x1b]9;remedy · 1 failed\x07\x1b\\"),
            "{out:?}"
        );
    }
}
