//! A ratatui buffer as SVG: background runs, shapes for line and block characters, and one `<text>` per
//! run of same-styled cells with an explicit x for every character.

use std::fmt::Write;

use ratatui::buffer::{Buffer, Cell};
use ratatui::style::Modifier;

use crate::palette::{self, Backdrop, Rgb};
use crate::shapes::shape;

/// Cell width in pixels (DejaVu Sans Mono advances 0.602 em: 16.9 px at the font size below).
pub const CELL_W: f32 = 17.0;
/// Cell height in pixels.
pub const CELL_H: f32 = 34.0;
/// Font size in pixels.
const FONT_SIZE: f32 = 28.0;
/// Baseline below the cell's top (ascent 0.928 em, centred in the cell).
const BASELINE: f32 = 26.7;
/// The family name of the font files the rasteriser loads.
pub const FAMILY: &str = "DejaVu Sans Mono";

/// How one cell looks once reverse, dim and reset are resolved.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Look {
    fg: Rgb,
    bg: Rgb,
    bold: bool,
    underline: bool,
}

fn look(cell: &Cell, backdrop: &Backdrop) -> Look {
    let (mut fg, mut bg) = (
        palette::fg(cell.fg, backdrop),
        palette::bg(cell.bg, backdrop),
    );
    if cell.modifier.contains(Modifier::REVERSED) {
        std::mem::swap(&mut fg, &mut bg);
    }
    if cell.modifier.contains(Modifier::DIM) {
        fg = palette::blend(fg, bg, 0.4);
    }
    if cell.modifier.contains(Modifier::HIDDEN) {
        fg = bg;
    }
    Look {
        fg,
        bg,
        bold: cell.modifier.contains(Modifier::BOLD),
        underline: cell.modifier.contains(Modifier::UNDERLINED),
    }
}

/// The whole buffer on `backdrop` as an SVG document, `CELL_W`×`CELL_H` pixels per cell.
pub fn from_buffer(buffer: &Buffer, backdrop: &Backdrop) -> String {
    let area = buffer.area;
    let (width, height) = (
        f32::from(area.width) * CELL_W,
        f32::from(area.height) * CELL_H,
    );
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FAMILY}" font-size="{FONT_SIZE}"><rect width="{width}" height="{height}" fill="{}"/>"#,
        palette::hex(backdrop.bg)
    );
    for y in 0..area.height {
        let row: Vec<(&Cell, Look)> = (0..area.width)
            .map(|x| {
                let cell = &buffer[(area.x + x, area.y + y)];
                (cell, look(cell, backdrop))
            })
            .collect();
        let top = f32::from(y) * CELL_H;
        backgrounds(&mut out, &row, top, backdrop.bg);
        underlines(&mut out, &row, top);
        glyphs(&mut out, &row, top);
    }
    out.push_str("</svg>\n");
    out
}

/// Runs of cells, each run a start column and its length, grouped by `key`.
fn runs<K: PartialEq>(len: usize, key: impl Fn(usize) -> K) -> Vec<(usize, usize, K)> {
    let mut found: Vec<(usize, usize, K)> = Vec::new();
    for x in 0..len {
        let k = key(x);
        match found.last_mut() {
            Some((start, n, last)) if *last == k && *start + *n == x => *n += 1,
            _ => found.push((x, 1, k)),
        }
    }
    found
}

fn backgrounds(out: &mut String, row: &[(&Cell, Look)], top: f32, backdrop_bg: Rgb) {
    for (start, n, bg) in runs(row.len(), |x| row[x].1.bg) {
        if bg != backdrop_bg {
            let _ = write!(
                out,
                r#"<rect x="{}" y="{top}" width="{}" height="{CELL_H}" fill="{}"/>"#,
                start as f32 * CELL_W,
                n as f32 * CELL_W,
                palette::hex(bg)
            );
        }
    }
}

fn underlines(out: &mut String, row: &[(&Cell, Look)], top: f32) {
    let key = |x: usize| row[x].1.underline.then_some(row[x].1.fg);
    for (start, n, fg) in runs(row.len(), key) {
        if let Some(fg) = fg {
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="2" fill="{}"/>"#,
                start as f32 * CELL_W,
                top + BASELINE + 3.0,
                n as f32 * CELL_W,
                palette::hex(fg)
            );
        }
    }
}

/// Shapes for line and block characters; text runs (same colour and weight) for the rest, skipping spaces.
fn glyphs(out: &mut String, row: &[(&Cell, Look)], top: f32) {
    let mut text: Vec<(usize, &str)> = Vec::new();
    let mut current: Option<(Rgb, bool)> = None;
    for (x, (cell, look)) in row.iter().enumerate() {
        let symbol = cell.symbol();
        let left = x as f32 * CELL_W;
        let colour = palette::hex(look.fg);
        let mut chars = symbol.chars();
        let single = match (chars.next(), chars.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        };
        if symbol.trim().is_empty() {
            continue;
        }
        if let Some(drawn) = single.and_then(|c| shape(c, left, top, &colour)) {
            out.push_str(&drawn);
            continue;
        }
        let style = (look.fg, look.bold);
        if current != Some(style) || single.is_none() {
            write_text(out, &text, current, top);
            text.clear();
        }
        current = Some(style);
        text.push((x, symbol));
        if single.is_none() {
            write_text(out, &text, current, top);
            text.clear();
        }
    }
    write_text(out, &text, current, top);
}

/// One `<text>` with one x per character; a multi-character symbol comes alone with one x.
fn write_text(out: &mut String, text: &[(usize, &str)], style: Option<(Rgb, bool)>, top: f32) {
    let Some((fg, bold)) = style else { return };
    if text.is_empty() {
        return;
    }
    let xs: Vec<String> = text
        .iter()
        .map(|(x, _)| format!("{}", *x as f32 * CELL_W))
        .collect();
    let weight = if bold { r#" font-weight="bold""# } else { "" };
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" fill="{}"{weight}>"#,
        xs.join(" "),
        top + BASELINE,
        palette::hex(fg)
    );
    for (_, symbol) in text {
        for c in symbol.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                _ => out.push(c),
            }
        }
    }
    out.push_str("</text>");
}
