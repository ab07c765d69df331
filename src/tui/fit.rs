//! Fitting names into columns: middle truncation that keeps both ends apart, a shared domain dropped,
//! and column widths that give spare room to what needs it.

use unicode_width::UnicodeWidthChar;
use unicode_width::UnicodeWidthStr;

/// `text` within `width` columns, cut in the middle with `…` so both ends stay visible
/// (`tomas-obri…-lt3`): two machines that differ only at the end never look identical.
pub fn middle(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let keep = width - 1;
    let tail_budget = keep / 2;
    let head_budget = keep - tail_budget;
    let mut head = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > head_budget {
            break;
        }
        used += w;
        head.push(c);
    }
    let mut tail = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > tail_budget {
            break;
        }
        used += w;
        tail.push(c);
    }
    head.push('…');
    head.extend(tail.into_iter().rev());
    head
}

/// `text` within `width` columns, cut at the end with `…` (for names read from their start).
pub fn end(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// The `@domain` every one of `names` ends with, when there are at least two and all share it.
pub fn common_domain<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<String> {
    common_suffix(names, |name| name.rfind('@'))
}

/// The DNS suffix (`.contoso.com`) every one of `names` ends with after its first label, when there
/// are at least two and all share it.
pub fn common_dns_suffix<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<String> {
    common_suffix(names, |name| name.find('.'))
}

/// The suffix starting where `split` says, shared (case-insensitively) by at least two names and by all.
fn common_suffix<'a>(
    names: impl IntoIterator<Item = &'a str>,
    split: impl Fn(&str) -> Option<usize>,
) -> Option<String> {
    let mut shared: Option<&str> = None;
    let mut count = 0;
    for name in names {
        let suffix = &name[split(name)?..];
        match shared {
            None => shared = Some(suffix),
            Some(s) if s.eq_ignore_ascii_case(suffix) => {}
            Some(_) => return None,
        }
        count += 1;
    }
    shared
        .filter(|s| count >= 2 && s.len() > 1)
        .map(str::to_string)
}

/// `name` without `domain` at its end (shown once elsewhere), else unchanged.
pub fn without_domain<'a>(name: &'a str, domain: Option<&str>) -> &'a str {
    match domain {
        Some(d) if name.len() > d.len() && name[name.len() - d.len()..].eq_ignore_ascii_case(d) => {
            &name[..name.len() - d.len()]
        }
        _ => name,
    }
}

/// Widths for columns that each want `wanted` columns but at least `min`, sharing `available`:
/// every column first gets its minimum, then spare room goes to columns in the order given.
pub fn share(available: usize, columns: &[(usize, usize)]) -> Vec<usize> {
    let mut widths: Vec<usize> = columns.iter().map(|&(min, _)| min).collect();
    let mut spare = available.saturating_sub(widths.iter().sum());
    for (width, &(min, wanted)) in widths.iter_mut().zip(columns) {
        let extra = wanted.saturating_sub(min).min(spare);
        *width += extra;
        spare -= extra;
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn middle_truncation_keeps_both_ends() {
        assert_eq!(middle("tomas-obrien-lt3", 15), "tomas-o…ien-lt3");
        assert_eq!(middle("tomas-obrien-lt3", 16), "tomas-obrien-lt3");
        assert_ne!(middle("tomas-obrien-lt3", 9), middle("tomas-obrien-lt4", 9));
        assert_eq!(middle("abc", 1), "…");
        assert_eq!(middle("abc", 0), "");
        assert!(
            middle("日本語のマシン", 7).width() <= 7,
            "wide characters never overflow"
        );
    }

    #[test]
    fn end_truncation_keeps_the_start() {
        assert_eq!(end("Impossible travel", 9), "Impossib…");
        assert_eq!(end("short", 9), "short");
    }

    #[test]
    fn a_shared_domain_is_found_only_when_all_share_it() {
        let same = ["zoe@contoso.com", "ann@Contoso.com"];
        assert_eq!(common_domain(same).as_deref(), Some("@contoso.com"));
        assert_eq!(common_domain(["zoe@contoso.com", "x@fabrikam.com"]), None);
        assert_eq!(
            common_domain(["zoe@contoso.com"]),
            None,
            "one name keeps its domain"
        );
        assert_eq!(common_domain(["zoe@contoso.com", "no-domain"]), None);
        assert_eq!(
            without_domain("zoe@contoso.com", Some("@contoso.com")),
            "zoe"
        );
        assert_eq!(
            without_domain("zoe@fabrikam.com", Some("@contoso.com")),
            "zoe@fabrikam.com"
        );
    }

    #[test]
    fn a_shared_dns_suffix_is_found_only_when_all_share_it() {
        let hosts = ["kwame-mens-dt.contoso.com", "kwame-mens-lt.contoso.com"];
        assert_eq!(common_dns_suffix(hosts).as_deref(), Some(".contoso.com"));
        assert_eq!(common_dns_suffix(["a.contoso.com", "b.fabrikam.com"]), None);
        assert_eq!(common_dns_suffix(["a.contoso.com", "SHORTNAME"]), None);
    }

    #[test]
    fn spare_width_goes_first_to_the_first_columns() {
        assert_eq!(share(30, &[(5, 20), (5, 20)]), vec![20, 10]);
        assert_eq!(
            share(8, &[(5, 20), (5, 20)]),
            vec![5, 5],
            "minimums even when short"
        );
        assert_eq!(
            share(100, &[(5, 8), (5, 9)]),
            vec![8, 9],
            "never more than wanted"
        );
    }
}
