//! Modal dialogs: confirmations (focus starts on Cancel), reason prompts and the close-alert form.

use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::engine::interface::{Closure, GraphClassification, GraphDetermination, Mode};
use GraphClassification::*;
use GraphDetermination::*;

/// What the dialog does once confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Approve(Vec<String>),
    Reject(Vec<String>),
    Cancel(String),
    Retry(String),
    Release(String),
    SetMode { policy_id: String, mode: Mode },
    CloseAlert(String),
}

/// The part of a dialog that has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Choice,
    Input,
    Cancel,
    Confirm,
}

/// Ways to close an alert, as offered by the form.
pub const CLOSURES: [(&str, Closure); 9] = [
    ("true positive", Closure::TruePositive),
    ("benign: lower severity", Closure::Benign { reason_id: 2 }),
    (
        "benign: confirmed with end user",
        Closure::Benign { reason_id: 5 },
    ),
    (
        "benign: triggered by test",
        Closure::Benign { reason_id: 6 },
    ),
    ("benign: other", Closure::Benign { reason_id: 4 }),
    (
        "false positive: not of interest",
        Closure::FalsePositive { reason_id: 0 },
    ),
    (
        "false positive: too many similar alerts",
        Closure::FalsePositive { reason_id: 1 },
    ),
    (
        "false positive: not accurate",
        Closure::FalsePositive { reason_id: 3 },
    ),
    (
        "false positive: other",
        Closure::FalsePositive { reason_id: 4 },
    ),
];

/// Graph's classification and determination, offered for alerts Graph saw.
pub const GRAPH_CLOSURES: [(&str, Closure); 11] = [
    ("true positive: malware", graph(TruePositive, Malware)),
    (
        "true positive: compromised user",
        graph(TruePositive, CompromisedUser),
    ),
    ("true positive: phishing", graph(TruePositive, Phishing)),
    (
        "true positive: malicious user activity",
        graph(TruePositive, MaliciousUserActivity),
    ),
    ("true positive: other", graph(TruePositive, Other)),
    (
        "expected activity: security testing",
        graph(InformationalExpectedActivity, SecurityTesting),
    ),
    (
        "expected activity: confirmed user activity",
        graph(InformationalExpectedActivity, ConfirmedUserActivity),
    ),
    (
        "expected activity: line-of-business application",
        graph(InformationalExpectedActivity, LineOfBusinessApplication),
    ),
    ("false positive: clean", graph(FalsePositive, Clean)),
    (
        "false positive: insufficient data",
        graph(FalsePositive, InsufficientData),
    ),
    ("false positive: other", graph(FalsePositive, Other)),
];

const fn graph(classification: GraphClassification, determination: GraphDetermination) -> Closure {
    Closure::Graph {
        classification,
        determination,
    }
}

/// What a key did to the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stay,
    Dismiss,
    Submit,
}

/// A modal dialog.
#[derive(Debug, Clone)]
pub struct Dialog {
    pub title: String,
    pub lines: Vec<String>,
    /// Label and text field, when the dialog asks for a reason or comment.
    pub input: Option<(String, Input)>,
    /// Selected index into `choices`, for the close-alert form.
    pub choice: Option<usize>,
    /// The closures offered: [`CLOSURES`], or [`GRAPH_CLOSURES`] for an alert Graph saw.
    pub choices: &'static [(&'static str, Closure)],
    pub confirm_label: String,
    pub focus: Focus,
    /// Destructive dialogs never submit from the text field: Enter there moves to Cancel.
    pub destructive: bool,
    pub pending: Pending,
}

impl Dialog {
    /// A confirmation of something disruptive: focus starts on Cancel.
    pub fn confirm(title: &str, lines: Vec<String>, confirm: &str, pending: Pending) -> Dialog {
        Dialog {
            title: title.into(),
            lines,
            input: None,
            choice: None,
            choices: &CLOSURES,
            confirm_label: confirm.into(),
            focus: Focus::Cancel,
            destructive: true,
            pending,
        }
    }

    /// Adds a text field (optional reason or comment) labelled `label`.
    pub fn with_input(mut self, label: &str) -> Dialog {
        self.input = Some((label.into(), Input::default()));
        if !self.destructive {
            self.focus = Focus::Input;
        }
        self
    }

    /// A prompt for an optional reason: focus starts in the text field, Enter submits.
    pub fn prompt(title: &str, lines: Vec<String>, confirm: &str, pending: Pending) -> Dialog {
        Dialog {
            destructive: false,
            ..Dialog::confirm(title, lines, confirm, pending)
        }
        .with_input("reason (optional)")
    }

    /// The close-alert form: a closure choice (Graph's words when `graph`) and a comment.
    pub fn close_alert(alert_id: &str, lines: Vec<String>, graph: bool) -> Dialog {
        Dialog {
            choice: Some(0),
            choices: if graph { &GRAPH_CLOSURES } else { &CLOSURES },
            focus: Focus::Choice,
            ..Dialog::prompt(
                "Close alert",
                lines,
                "Close alert",
                Pending::CloseAlert(alert_id.into()),
            )
        }
        .with_label("comment")
    }

    fn with_label(mut self, label: &str) -> Dialog {
        if let Some((l, _)) = &mut self.input {
            *l = label.into();
        }
        self
    }

    /// The typed text, trimmed.
    pub fn text(&self) -> String {
        self.input
            .as_ref()
            .map(|(_, input)| input.value().trim().to_string())
            .unwrap_or_default()
    }

    /// The chosen closure, for the close-alert form.
    pub fn closure(&self) -> Option<Closure> {
        self.choice.map(|i| self.choices[i].1)
    }

    fn order(&self) -> Vec<Focus> {
        let mut order = Vec::with_capacity(4);
        if self.choice.is_some() {
            order.push(Focus::Choice);
        }
        if self.input.is_some() {
            order.push(Focus::Input);
        }
        order.extend([Focus::Cancel, Focus::Confirm]);
        order
    }

    fn step_focus(&mut self, forward: bool) {
        let order = self.order();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = if forward {
            (at + 1) % order.len()
        } else {
            (at + order.len() - 1) % order.len()
        };
        self.focus = order[next];
    }

    /// Handles one key. Printable keys always go to the text field, wherever the focus is.
    pub fn handle_key(&mut self, key: KeyEvent) -> Outcome {
        let printable = matches!(key.code, KeyCode::Char(_))
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        if printable && let Some((_, input)) = &mut self.input {
            self.focus = Focus::Input;
            input.handle_event(&TermEvent::Key(key));
            return Outcome::Stay;
        }
        match (key.code, self.focus) {
            (KeyCode::Esc, _) => Outcome::Dismiss,
            (KeyCode::Tab, _) => {
                self.step_focus(true);
                Outcome::Stay
            }
            (KeyCode::BackTab, _) => {
                self.step_focus(false);
                Outcome::Stay
            }
            (KeyCode::Enter, Focus::Confirm) => Outcome::Submit,
            (KeyCode::Enter, Focus::Cancel) => Outcome::Dismiss,
            (KeyCode::Enter, Focus::Choice) => {
                self.step_focus(true);
                Outcome::Stay
            }
            (KeyCode::Enter, Focus::Input) if self.destructive => {
                self.focus = Focus::Cancel;
                Outcome::Stay
            }
            (KeyCode::Enter, Focus::Input) => Outcome::Submit,
            (KeyCode::Left | KeyCode::Right | KeyCode::Char('h' | 'l'), Focus::Cancel) => {
                self.focus = Focus::Confirm;
                Outcome::Stay
            }
            (KeyCode::Left | KeyCode::Right | KeyCode::Char('h' | 'l'), Focus::Confirm) => {
                self.focus = Focus::Cancel;
                Outcome::Stay
            }
            (KeyCode::Up | KeyCode::Left | KeyCode::Char('k'), Focus::Choice) => {
                self.choice = self.choice.map(|c| c.saturating_sub(1));
                Outcome::Stay
            }
            (KeyCode::Down | KeyCode::Right | KeyCode::Char('j'), Focus::Choice) => {
                self.choice = self.choice.map(|c| (c + 1).min(self.choices.len() - 1));
                Outcome::Stay
            }
            (KeyCode::Up, _) => {
                self.step_focus(false);
                Outcome::Stay
            }
            (KeyCode::Down, _) => {
                self.step_focus(true);
                Outcome::Stay
            }
            (_, Focus::Input) => {
                if let Some((_, input)) = &mut self.input {
                    input.handle_event(&TermEvent::Key(key));
                }
                Outcome::Stay
            }
            _ => Outcome::Stay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn printable_keys_always_go_to_the_text_field() {
        let mut d =
            Dialog::confirm("t", vec![], "Go", Pending::Cancel("r1".into())).with_input("comment");
        assert_eq!(d.focus, Focus::Cancel);
        for c in "held".chars() {
            assert_eq!(d.handle_key(key(KeyCode::Char(c))), Outcome::Stay);
        }
        assert_eq!(d.text(), "held", "h and l typed, not taken as moves");
        assert_eq!(d.focus, Focus::Input);
    }

    #[test]
    fn confirmation_starts_on_cancel_and_enter_dismisses() {
        let mut d = Dialog::confirm("t", vec![], "Go", Pending::Cancel("r1".into()));
        assert_eq!(d.focus, Focus::Cancel);
        assert_eq!(d.handle_key(key(KeyCode::Enter)), Outcome::Dismiss);
    }

    #[test]
    fn destructive_text_field_never_submits_on_enter() {
        let mut d =
            Dialog::confirm("t", vec![], "Go", Pending::Cancel("r1".into())).with_input("comment");
        assert_eq!(d.focus, Focus::Cancel);
        d.handle_key(key(KeyCode::BackTab));
        assert_eq!(d.focus, Focus::Input);
        d.handle_key(key(KeyCode::Char('x')));
        assert_eq!(d.handle_key(key(KeyCode::Enter)), Outcome::Stay);
        assert_eq!(d.focus, Focus::Cancel);
        d.handle_key(key(KeyCode::Right));
        assert_eq!(d.handle_key(key(KeyCode::Enter)), Outcome::Submit);
        assert_eq!(d.text(), "x");
    }

    #[test]
    fn a_graph_alert_is_closed_in_graph_words_to_the_last_one() {
        let mut d = Dialog::close_alert("graph:g1", vec!["title".into()], true);
        assert_eq!(d.choices.len(), GRAPH_CLOSURES.len());
        for _ in 0..GRAPH_CLOSURES.len() + 2 {
            d.handle_key(key(KeyCode::Down));
        }
        assert_eq!(
            d.closure(),
            Some(Closure::Graph {
                classification: GraphClassification::FalsePositive,
                determination: GraphDetermination::Other,
            })
        );
    }

    #[test]
    fn close_form_walks_choices_then_comment() {
        let mut d = Dialog::close_alert("a1", vec!["title".into()], false);
        d.handle_key(key(KeyCode::Down));
        d.handle_key(key(KeyCode::Down));
        assert_eq!(d.closure(), Some(Closure::Benign { reason_id: 5 }));
        d.handle_key(key(KeyCode::Enter));
        assert_eq!(d.focus, Focus::Input);
        d.handle_key(key(KeyCode::Char('k')));
        assert_eq!(d.handle_key(key(KeyCode::Enter)), Outcome::Submit);
        assert_eq!(d.text(), "k");
    }
}
