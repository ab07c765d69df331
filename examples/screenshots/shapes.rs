//! Box-drawing, block and braille characters as SVG shapes, so lines join and blocks fill whatever the font.

use std::fmt::Write;

use crate::svg::{CELL_H, CELL_W};

/// Arms (up, right, down, left) of U+2500..=U+257F: 0 none, 1 light, 2 heavy, 3 double; `r` rounded
/// corner, `x` diagonal. Dashed lines are drawn solid.
const BOX: &str = "\
0101 0202 1010 2020 0101 0202 1010 2020 0101 0202 1010 2020 0110 0210 0120 0220 \
0011 0012 0021 0022 1100 1200 2100 2200 1001 1002 2001 2002 1110 1210 2110 1120 \
2120 2210 1220 2220 1011 1012 2011 1021 2021 2012 1022 2022 0111 0112 0211 0212 \
0121 0122 0221 0222 1101 1102 1201 1202 2101 2102 2201 2202 1111 1112 1211 1212 \
2111 1121 2121 2112 2211 1122 1221 2212 1222 2122 2221 2222 0101 0202 1010 2020 \
0303 3030 0310 0130 0330 0013 0031 0033 1300 3100 3300 1003 3001 3003 1310 3130 \
3330 1013 3031 3033 0313 0131 0333 1303 3101 3303 1313 3131 3333 rrrr rrrr rrrr \
rrrr xxxx xxxx xxxx 0001 1000 0100 0010 0002 2000 0200 0020 0201 1020 0102 2010";

/// Width in pixels of a light line; heavy is twice this, double is two light lines.
const LIGHT: f32 = 2.0;

/// The SVG elements drawing `ch` in the cell whose top-left pixel is (`x0`, `y0`), or `None` when the font
/// should draw it.
pub fn shape(ch: char, x0: f32, y0: f32, colour: &str) -> Option<String> {
    let cell = Cell { x0, y0, colour };
    match u32::from(ch) {
        c @ 0x2500..=0x257f => Some(cell.box_drawing(c - 0x2500)),
        c @ 0x2580..=0x259f => Some(cell.block(c - 0x2580)),
        c @ 0x2800..=0x28ff => Some(cell.braille(c - 0x2800)),
        _ => None,
    }
}

/// One cell being drawn.
struct Cell<'a> {
    x0: f32,
    y0: f32,
    colour: &'a str,
}

impl Cell<'_> {
    /// Centre of the lines, on whole pixels so light lines land crisp.
    fn centre(&self) -> (f32, f32) {
        (
            self.x0 + (CELL_W / 2.0).floor(),
            self.y0 + (CELL_H / 2.0).floor(),
        )
    }

    fn rect(&self, out: &mut String, x: f32, y: f32, w: f32, h: f32) {
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{}"/>"#,
            self.colour
        );
    }

    fn box_drawing(&self, index: u32) -> String {
        let code = &BOX[index as usize * 5..index as usize * 5 + 4];
        match code {
            "rrrr" => self.rounded(index),
            "xxxx" => self.diagonal(index),
            _ => {
                let arms: Vec<u8> = code.bytes().map(|b| b - b'0').collect();
                self.arms(&arms)
            }
        }
    }

    /// Straight arms from the centre to the edges; each overlaps the centre by half the widest arm.
    fn arms(&self, arms: &[u8]) -> String {
        let (cx, cy) = self.centre();
        let widest = arms.iter().map(|&a| width(a)).fold(0.0, f32::max);
        let reach = widest / 2.0;
        let mut out = String::new();
        for (dir, &weight) in arms.iter().enumerate() {
            let offsets: &[f32] = match weight {
                0 => &[],
                3 => &[-LIGHT, LIGHT],
                _ => &[0.0],
            };
            let w = if weight == 3 { LIGHT } else { width(weight) };
            for &off in offsets {
                match dir {
                    0 => self.rect(
                        &mut out,
                        cx + off - w / 2.0,
                        self.y0,
                        w,
                        cy - self.y0 + reach,
                    ),
                    1 => self.rect(
                        &mut out,
                        cx - reach,
                        cy + off - w / 2.0,
                        self.x0 + CELL_W - cx + reach,
                        w,
                    ),
                    2 => self.rect(
                        &mut out,
                        cx + off - w / 2.0,
                        cy - reach,
                        w,
                        self.y0 + CELL_H - cy + reach,
                    ),
                    _ => self.rect(
                        &mut out,
                        self.x0,
                        cy + off - w / 2.0,
                        cx - self.x0 + reach,
                        w,
                    ),
                }
            }
        }
        out
    }

    /// ╭ ╮ ╯ ╰ as a quarter circle joining two light arms.
    fn rounded(&self, index: u32) -> String {
        let (cx, cy) = self.centre();
        let r = (CELL_W / 2.0).floor();
        let (x1, y1, x2, y2) = (self.x0, self.y0, self.x0 + CELL_W, self.y0 + CELL_H);
        let (from, corner_a, corner_b, to, sweep) = match index {
            0x6d => ((x2, cy), (cx + r, cy), (cx, cy + r), (cx, y2), 0),
            0x6e => ((x1, cy), (cx - r, cy), (cx, cy + r), (cx, y2), 1),
            0x6f => ((x1, cy), (cx - r, cy), (cx, cy - r), (cx, y1), 0),
            _ => ((x2, cy), (cx + r, cy), (cx, cy - r), (cx, y1), 1),
        };
        format!(
            r#"<path d="M{} {}L{} {}A{r} {r} 0 0 {sweep} {} {}L{} {}" fill="none" stroke="{}" stroke-width="{LIGHT}"/>"#,
            from.0, from.1, corner_a.0, corner_a.1, corner_b.0, corner_b.1, to.0, to.1, self.colour
        )
    }

    /// ╱ ╲ ╳ as light strokes corner to corner.
    fn diagonal(&self, index: u32) -> String {
        let (x1, y1, x2, y2) = (self.x0, self.y0, self.x0 + CELL_W, self.y0 + CELL_H);
        let rising = format!("M{x1} {y2}L{x2} {y1}");
        let falling = format!("M{x1} {y1}L{x2} {y2}");
        let d = match index {
            0x71 => rising,
            0x72 => falling,
            _ => rising + &falling,
        };
        format!(
            r#"<path d="{d}" fill="none" stroke="{}" stroke-width="{LIGHT}"/>"#,
            self.colour
        )
    }

    /// U+2580..=U+259F: eighths, halves, shades and quadrants.
    fn block(&self, index: u32) -> String {
        let (ex, ey) = (CELL_W / 8.0, CELL_H / 8.0);
        let mut out = String::new();
        let mut eighths = |x: u32, y: u32, w: u32, h: u32| {
            let px = |v: u32, unit: f32| (v as f32 * unit).round();
            let (left, top) = (px(x, ex), px(y, ey));
            let (right, bottom) = (px(x + w, ex), px(y + h, ey));
            self.rect(
                &mut out,
                self.x0 + left,
                self.y0 + top,
                right - left,
                bottom - top,
            );
        };
        match index {
            0x00 => eighths(0, 0, 8, 4),
            0x01..=0x08 => eighths(0, 8 - index, 8, index),
            0x09..=0x0f => eighths(0, 0, 0x10 - index, 8),
            0x10 => eighths(4, 0, 4, 8),
            0x11..=0x13 => {
                let opacity = (index - 0x10) as f32 / 4.0;
                return format!(
                    r#"<rect x="{}" y="{}" width="{CELL_W}" height="{CELL_H}" fill="{}" fill-opacity="{opacity}"/>"#,
                    self.x0, self.y0, self.colour
                );
            }
            0x14 => eighths(0, 0, 8, 1),
            0x15 => eighths(7, 0, 1, 8),
            _ => {
                const QUADRANTS: [u8; 10] = [4, 8, 1, 13, 9, 7, 11, 2, 6, 14];
                let bits = QUADRANTS[(index - 0x16) as usize];
                for (bit, (x, y)) in [(1, (0, 0)), (2, (4, 0)), (4, (0, 4)), (8, (4, 4))] {
                    if bits & bit != 0 {
                        eighths(x, y, 4, 4);
                    }
                }
            }
        }
        out
    }

    /// U+2800..=U+28FF: up to eight dots in two columns of four (none for U+2800).
    fn braille(&self, dots: u32) -> String {
        const PLACES: [(f32, f32); 8] = [
            (0.0, 0.0),
            (0.0, 1.0),
            (0.0, 2.0),
            (1.0, 0.0),
            (1.0, 1.0),
            (1.0, 2.0),
            (0.0, 3.0),
            (1.0, 3.0),
        ];
        let radius = CELL_W / 8.0;
        let mut out = String::new();
        for (bit, (col, row)) in PLACES.iter().enumerate() {
            if dots & (1 << bit) != 0 {
                let x = self.x0 + CELL_W * (1.0 + 2.0 * col) / 4.0;
                let y = self.y0 + CELL_H * (1.0 + 2.0 * row) / 8.0;
                let _ = write!(
                    out,
                    r#"<circle cx="{x}" cy="{y}" r="{radius}" fill="{}"/>"#,
                    self.colour
                );
            }
        }
        out
    }
}

/// Pixel width of a light (1) or heavy (2) line; double lines are drawn as two light ones.
fn width(weight: u8) -> f32 {
    match weight {
        0 => 0.0,
        2 => LIGHT * 2.0,
        3 => LIGHT * 3.0,
        _ => LIGHT,
    }
}
