//! Actions, their default keys, user overrides with conflict checks, and key lookup (also feeds the help).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::error::TuiError;

/// Something the analyst can ask for with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Back,
    Help,
    Filter,
    Command,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    NextPane,
    PrevPane,
    ShowAlerts,
    ShowPolicies,
    ShowMachines,
    ShowActivity,
    Open,
    Mark,
    Sort,
    Zoom,
    Refresh,
    Approve,
    ApproveAll,
    Reject,
    RejectAll,
    CancelAction,
    Retry,
    Release,
    CloseAlert,
    ModeCycle,
    ModeAuto,
}

impl Action {
    /// Every action, in the order the help lists them.
    pub const ALL: [Action; 32] = [
        Action::Help,
        Action::Quit,
        Action::Back,
        Action::Up,
        Action::Down,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::NextPane,
        Action::PrevPane,
        Action::ShowAlerts,
        Action::ShowPolicies,
        Action::ShowMachines,
        Action::ShowActivity,
        Action::Open,
        Action::Mark,
        Action::Filter,
        Action::Command,
        Action::Sort,
        Action::Zoom,
        Action::Refresh,
        Action::Approve,
        Action::ApproveAll,
        Action::Reject,
        Action::RejectAll,
        Action::CancelAction,
        Action::Retry,
        Action::Release,
        Action::CloseAlert,
        Action::ModeCycle,
        Action::ModeAuto,
    ];

    /// The name used in the `[keys]` table of the config file.
    pub fn name(self) -> &'static str {
        self.info().0
    }

    /// One line for the help overlay.
    pub fn description(self) -> &'static str {
        self.info().1
    }

    fn info(self) -> (&'static str, &'static str, &'static [&'static str]) {
        match self {
            Action::Quit => ("quit", "quit remedy", &["q", "ctrl-c"]),
            Action::Back => ("back", "back, clear filter/marks", &["esc"]),
            Action::Help => ("help", "show or hide this help", &["?"]),
            Action::Filter => ("filter", "filter alerts", &["/"]),
            Action::Command => ("command", "command line", &[":"]),
            Action::Up => ("up", "move up", &["k", "up"]),
            Action::Down => ("down", "move down", &["j", "down"]),
            Action::Top => ("top", "first row", &["g", "home"]),
            Action::Bottom => ("bottom", "last row", &["G", "end"]),
            Action::PageUp => ("page_up", "page up", &["pgup", "ctrl-u"]),
            Action::PageDown => ("page_down", "page down", &["pgdown", "ctrl-d"]),
            Action::NextPane => ("next_pane", "next pane", &["tab", "l"]),
            Action::PrevPane => ("prev_pane", "previous pane", &["backtab", "h"]),
            Action::ShowAlerts => ("alerts", "alerts pane", &["1"]),
            Action::ShowPolicies => ("policies", "policies pane", &["2"]),
            Action::ShowMachines => ("machines", "machines of the alert", &["3"]),
            Action::ShowActivity => ("activity", "activity pane", &["4"]),
            Action::Open => ("open", "open alert / policy alerts", &["enter"]),
            Action::Mark => ("mark", "mark a machine action and move down", &["space"]),
            Action::Sort => ("sort", "sort by time/severity", &["s"]),
            Action::Zoom => ("zoom", "zoom the pane in / out", &["z"]),
            Action::Refresh => ("refresh", "poll alerts now", &["ctrl-r", "f5"]),
            Action::Approve => ("approve", "approve selected/marked", &["a"]),
            Action::ApproveAll => ("approve_all", "approve all of the alert", &["A"]),
            Action::Reject => ("reject", "reject selected/marked", &["r"]),
            Action::RejectAll => ("reject_all", "reject all of the alert", &["R"]),
            Action::CancelAction => ("cancel", "cancel running action", &["x"]),
            Action::Retry => (
                "retry",
                "retry a failed, timed-out or cancelled action",
                &["t"],
            ),
            Action::Release => (
                "release",
                "release isolation / remove app restriction of the machine",
                &["u"],
            ),
            Action::CloseAlert => ("close_alert", "close the alert", &["c"]),
            Action::ModeCycle => ("mode", "policy mode off ⇄ approve", &["m"]),
            Action::ModeAuto => (
                "mode_auto",
                "switch the policy to auto (asks first)",
                &["M"],
            ),
        }
    }

    /// Whether the action asks the engine to change something (refused in read-only mode).
    pub fn writes(self) -> bool {
        matches!(
            self,
            Action::Approve
                | Action::ApproveAll
                | Action::Reject
                | Action::RejectAll
                | Action::CancelAction
                | Action::Retry
                | Action::Release
                | Action::CloseAlert
                | Action::ModeCycle
                | Action::ModeAuto
        )
    }
}

/// One key with its modifiers, as written in the config ("a", "ctrl-c", "enter", "pgdown").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    code: KeyCode,
    modifiers: KeyModifiers,
}

impl Key {
    /// Parses a key name; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Key> {
        let (modifiers, name) = match text.split_once('-') {
            Some(("ctrl", rest)) if !rest.is_empty() => (KeyModifiers::CONTROL, rest),
            Some(("alt", rest)) if !rest.is_empty() => (KeyModifiers::ALT, rest),
            _ => (KeyModifiers::NONE, text),
        };
        let code = match name {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" | "shift-tab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" => KeyCode::PageUp,
            "pgdown" => KeyCode::PageDown,
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') => KeyCode::F(f[1..].parse().ok()?),
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next()?),
            _ => return None,
        };
        Some(Key { code, modifiers })
    }

    /// The key of a terminal key event (Shift is folded into the character).
    pub fn from_event(event: &KeyEvent) -> Key {
        let mut modifiers = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match event.code {
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::BackTab => {
                modifiers = KeyModifiers::NONE;
                KeyCode::BackTab
            }
            code => code,
        };
        Key { code, modifiers }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdown"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The `[keys]` table of the config: action name → keys, replacing that action's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct KeymapOverrides(pub BTreeMap<String, Vec<String>>);

/// Which action each key runs; the help is generated from the same table.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(Action, Vec<Key>)>,
    lookup: HashMap<Key, Action>,
}

impl Keymap {
    /// The defaults with `overrides` applied; unknown actions, bad keys and two actions on one key are errors.
    pub fn new(overrides: &KeymapOverrides) -> Result<Keymap, TuiError> {
        let mut bindings: Vec<(Action, Vec<Key>)> = Action::ALL
            .iter()
            .map(|&action| {
                let keys = action
                    .info()
                    .2
                    .iter()
                    .filter_map(|k| Key::parse(k))
                    .collect();
                (action, keys)
            })
            .collect();
        for (name, keys) in &overrides.0 {
            let slot = bindings
                .iter_mut()
                .find(|(action, _)| action.name() == name)
                .ok_or_else(|| TuiError::UnknownAction(name.clone()))?;
            slot.1 = keys
                .iter()
                .map(|k| Key::parse(k).ok_or_else(|| TuiError::BadKey(name.clone(), k.clone())))
                .collect::<Result<_, _>>()?;
        }
        let mut lookup = HashMap::new();
        for (action, keys) in &bindings {
            for key in keys {
                if let Some(other) = lookup.insert(*key, *action) {
                    return Err(TuiError::KeyConflict {
                        key: key.to_string(),
                        first: other.name(),
                        second: action.name(),
                    });
                }
            }
        }
        if !lookup.values().any(|a| *a == Action::Quit) {
            return Err(TuiError::NoQuitKey);
        }
        Ok(Keymap { bindings, lookup })
    }

    /// The action bound to a key event, if any.
    pub fn action(&self, event: &KeyEvent) -> Option<Action> {
        self.lookup.get(&Key::from_event(event)).copied()
    }

    /// Keys of an action joined for display ("k/↑"); empty when unbound.
    /// The first key bound to `action`, as the help writes it (`None` when it has none).
    pub fn first_key_of(&self, action: Action) -> Option<String> {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, keys)| keys.first())
            .map(ToString::to_string)
    }

    pub fn keys_of(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, keys)| {
                keys.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    }

    /// Every action with its keys, for the help overlay.
    pub fn bindings(&self) -> impl Iterator<Item = (Action, String)> + '_ {
        self.bindings
            .iter()
            .map(move |(action, _)| (*action, self.keys_of(*action)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overrides(pairs: &[(&str, &[&str])]) -> KeymapOverrides {
        KeymapOverrides(
            pairs
                .iter()
                .map(|(a, ks)| (a.to_string(), ks.iter().map(|k| k.to_string()).collect()))
                .collect(),
        )
    }

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn defaults_have_vim_keys_and_arrows() {
        let map = Keymap::new(&KeymapOverrides::default()).unwrap();
        let none = KeyModifiers::NONE;
        assert_eq!(
            map.action(&press(KeyCode::Char('j'), none)),
            Some(Action::Down)
        );
        assert_eq!(map.action(&press(KeyCode::Down, none)), Some(Action::Down));
        assert_eq!(
            map.action(&press(KeyCode::Char('A'), KeyModifiers::SHIFT)),
            Some(Action::ApproveAll)
        );
        assert_eq!(
            map.action(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(map.keys_of(Action::Up), "k/↑");
    }

    #[test]
    fn partial_override_replaces_only_that_action() {
        let map = Keymap::new(&overrides(&[("approve", &["y"])])).unwrap();
        let none = KeyModifiers::NONE;
        assert_eq!(
            map.action(&press(KeyCode::Char('y'), none)),
            Some(Action::Approve)
        );
        assert_eq!(map.action(&press(KeyCode::Char('a'), none)), None);
        assert_eq!(
            map.action(&press(KeyCode::Char('r'), none)),
            Some(Action::Reject)
        );
    }

    #[test]
    fn two_actions_on_one_key_is_an_error() {
        let err = Keymap::new(&overrides(&[("approve", &["j"])])).unwrap_err();
        assert!(err.to_string().contains("key j"), "{err}");
    }

    #[test]
    fn unknown_action_and_bad_key_are_errors() {
        assert!(matches!(
            Keymap::new(&overrides(&[("launch", &["z"])])),
            Err(TuiError::UnknownAction(_))
        ));
        assert!(matches!(
            Keymap::new(&overrides(&[("approve", &["hyper-z"])])),
            Err(TuiError::BadKey(..))
        ));
        assert!(matches!(
            Keymap::new(&overrides(&[("quit", &[])])),
            Err(TuiError::NoQuitKey)
        ));
    }
}
