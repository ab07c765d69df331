//! Colour themes (dark, light, mono) as ratatui styles; `NO_COLOR` selects mono.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// Which theme the console uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    Mono,
}

impl ThemeName {
    /// The theme to use given the `NO_COLOR` variable's value (any non-empty value forces mono).
    pub fn honouring_no_color(self, no_color: Option<&str>) -> ThemeName {
        match no_color {
            Some(value) if !value.is_empty() => ThemeName::Mono,
            _ => self,
        }
    }
}

/// Every style the views use. Meaning never rests on colour alone: symbols and words carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub base: Style,
    pub border: Style,
    pub border_focus: Style,
    pub title: Style,
    pub header: Style,
    pub selected: Style,
    pub dim: Style,
    pub high: Style,
    pub medium: Style,
    pub low: Style,
    pub good: Style,
    pub bad: Style,
    pub active: Style,
    pub badge: Style,
    pub warn: Style,
    pub button_focus: Style,
}

impl Theme {
    /// The styles of a named theme.
    pub fn named(name: ThemeName) -> Theme {
        match name {
            ThemeName::Dark => {
                Theme::coloured(Color::Gray, Color::Cyan, Color::DarkGray, Color::Yellow)
            }
            // On a light background the ANSI grey and yellow are near-white: muted text is dark grey and
            // caution a dark orange (256-colour 130), so both stay readable, also reversed.
            ThemeName::Light => Theme::coloured(
                Color::Black,
                Color::Blue,
                Color::DarkGray,
                Color::Indexed(130),
            ),
            ThemeName::Mono => Theme::mono(),
        }
    }

    fn coloured(text: Color, accent: Color, muted: Color, caution: Color) -> Theme {
        let bold = Modifier::BOLD;
        Theme {
            base: Style::new().fg(text),
            border: Style::new().fg(muted),
            border_focus: Style::new().fg(accent).add_modifier(bold),
            title: Style::new().fg(accent).add_modifier(bold),
            header: Style::new().fg(accent).add_modifier(Modifier::UNDERLINED),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            dim: Style::new().fg(muted),
            high: Style::new().fg(Color::Red).add_modifier(bold),
            medium: Style::new().fg(caution),
            low: Style::new().fg(Color::Green),
            good: Style::new().fg(Color::Green),
            bad: Style::new().fg(Color::Red).add_modifier(bold),
            active: Style::new().fg(accent),
            badge: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(bold),
            warn: Style::new().fg(caution).add_modifier(bold),
            button_focus: Style::new().add_modifier(Modifier::REVERSED | bold),
        }
    }

    fn mono() -> Theme {
        let plain = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            base: plain,
            border: plain,
            border_focus: bold,
            title: bold,
            header: Style::new().add_modifier(Modifier::UNDERLINED),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            dim: Style::new().add_modifier(Modifier::DIM),
            high: bold,
            medium: plain,
            low: plain,
            good: plain,
            bad: bold,
            active: plain,
            badge: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            warn: bold,
            button_focus: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Color, Theme, ThemeName};

    #[test]
    fn the_light_theme_has_no_text_colour_that_vanishes_on_white() {
        let light = Theme::named(ThemeName::Light);
        let styles = [
            light.base,
            light.border,
            light.border_focus,
            light.title,
            light.header,
            light.dim,
            light.high,
            light.medium,
            light.low,
            light.good,
            light.bad,
            light.active,
            light.warn,
        ];
        for style in styles {
            assert!(
                !matches!(
                    style.fg,
                    Some(Color::Gray | Color::Yellow | Color::White | Color::LightYellow)
                ),
                "{style:?}"
            );
        }
    }

    #[test]
    fn no_color_forces_mono_only_when_set_and_non_empty() {
        assert_eq!(
            ThemeName::Dark.honouring_no_color(Some("1")),
            ThemeName::Mono
        );
        assert_eq!(
            ThemeName::Light.honouring_no_color(Some("")),
            ThemeName::Light
        );
        assert_eq!(ThemeName::Light.honouring_no_color(None), ThemeName::Light);
    }
}
