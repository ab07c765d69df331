//! Untrusted text made safe for terminals and logs: control and escape sequences removed.

/// Removes escape sequences (CSI, OSC, DCS and other ESC-introduced strings) and control characters.
/// Tabs and newlines become spaces so one field stays on one line.
pub fn sanitize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\u{9b}' => skip_until_final(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' | '\n' | '\r' => out.push(' '),
            c if is_hidden(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// True for characters a reader cannot see: C0/C1 controls (ESC included), zero-width characters,
/// bidi controls, the soft hyphen, word joiners and invisible operators, the byte-order mark.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fffb}'
                | '\u{e0000}'..='\u{e007f}'
        )
}

/// True when `identifier` holds a character [`is_hidden`] names: such an identifier is shown cleaned
/// but never looked up, since its cleaned form may name someone else.
pub fn has_hidden_chars(identifier: &str) -> bool {
    identifier.chars().any(is_hidden)
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars<'_>) {
    match chars.next() {
        Some('[') => skip_until_final(chars),
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => skip_string(chars),
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            // nF sequence: intermediates then one final byte.
            while let Some(&n) = chars.peek() {
                chars.next();
                if !('\u{20}'..='\u{2f}').contains(&n) {
                    break;
                }
            }
        }
        _ => {}
    }
}

/// CSI: parameters and intermediates, then a final byte in `@`..=`~`.
fn skip_until_final(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/APC/PM/SOS: until BEL or ST (`ESC \` or U+009C).
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{has_hidden_chars, sanitize};

    #[test]
    fn strips_osc_title_and_csi_clear() {
        assert_eq!(
            sanitize("Impossible\u{1b}]0;pwned\u{7} travel\u{1b}[2J!"),
            "Impossible travel!"
        );
    }

    #[test]
    fn strips_colours_controls_and_bidi() {
        assert_eq!(sanitize("\u{1b}[31mred\u{1b}[0m\u{8}\u{202e}x"), "redx");
        assert_eq!(sanitize("a\tb\nc"), "a b c");
        assert_eq!(sanitize("\u{1b}P1$r\u{1b}\\ok"), "ok");
    }

    #[test]
    fn keeps_unicode_text() {
        assert_eq!(sanitize("Zoë Ångström 東京"), "Zoë Ångström 東京");
    }

    #[test]
    fn unterminated_sequences_do_not_leak() {
        assert_eq!(sanitize("a\u{1b}]0;never ends"), "a");
        assert_eq!(sanitize("a\u{1b}["), "a");
    }

    #[test]
    fn hidden_characters_are_named() {
        assert!(has_hidden_chars("vic\u{200b}tim@contoso.com"));
        assert!(has_hidden_chars("victim\u{1b}[0m@contoso.com"));
        assert!(has_hidden_chars("victim\u{202e}@contoso.com"));
        assert!(has_hidden_chars("victim\u{85}@contoso.com"));
        assert!(has_hidden_chars("vic\u{ad}tim@contoso.com"));
        assert!(has_hidden_chars("\u{feff}victim@contoso.com"));
        assert!(!has_hidden_chars("victim@contoso.com"));
        assert!(!has_hidden_chars("zoë.ångström@contoso.com"));
    }
}
