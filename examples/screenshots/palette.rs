//! Terminal colours as RGB for the screenshots: a dark terminal's palette, `Color::Reset` as its default fg/bg.

use ratatui::style::Color;

/// A colour as red, green, blue.
pub type Rgb = [u8; 3];

/// The terminal's default foreground (what `Color::Reset` means for text).
pub const DEFAULT_FG: Rgb = [0xd4, 0xd4, 0xd4];
/// The terminal's default background (what `Color::Reset` means behind text).
pub const DEFAULT_BG: Rgb = [0x1e, 0x1e, 0x1e];

/// The sixteen ANSI colours, in index order (black … bright white).
const ANSI: [Rgb; 16] = [
    [0x00, 0x00, 0x00],
    [0xcd, 0x31, 0x31],
    [0x0d, 0xbc, 0x79],
    [0xe5, 0xe5, 0x10],
    [0x24, 0x72, 0xc8],
    [0xbc, 0x3f, 0xbc],
    [0x11, 0xa8, 0xcd],
    [0xe5, 0xe5, 0xe5],
    [0x66, 0x66, 0x66],
    [0xf1, 0x4c, 0x4c],
    [0x23, 0xd1, 0x8b],
    [0xf5, 0xf5, 0x43],
    [0x3b, 0x8e, 0xea],
    [0xd6, 0x70, 0xd6],
    [0x29, 0xb8, 0xdb],
    [0xff, 0xff, 0xff],
];

/// The RGB of a foreground colour.
pub fn fg(colour: Color) -> Rgb {
    rgb(colour).unwrap_or(DEFAULT_FG)
}

/// The RGB of a background colour.
pub fn bg(colour: Color) -> Rgb {
    rgb(colour).unwrap_or(DEFAULT_BG)
}

/// `a` moved towards `b` by `t` (0 = a, 1 = b).
pub fn blend(a: Rgb, b: Rgb, t: f32) -> Rgb {
    let mix = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round() as u8;
    [mix(a[0], b[0]), mix(a[1], b[1]), mix(a[2], b[2])]
}

/// "#rrggbb".
pub fn hex(colour: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", colour[0], colour[1], colour[2])
}

/// The RGB of a colour, or `None` for `Color::Reset`.
fn rgb(colour: Color) -> Option<Rgb> {
    let ansi = |i: usize| Some(ANSI[i]);
    match colour {
        Color::Reset => None,
        Color::Black => ansi(0),
        Color::Red => ansi(1),
        Color::Green => ansi(2),
        Color::Yellow => ansi(3),
        Color::Blue => ansi(4),
        Color::Magenta => ansi(5),
        Color::Cyan => ansi(6),
        Color::Gray => ansi(7),
        Color::DarkGray => ansi(8),
        Color::LightRed => ansi(9),
        Color::LightGreen => ansi(10),
        Color::LightYellow => ansi(11),
        Color::LightBlue => ansi(12),
        Color::LightMagenta => ansi(13),
        Color::LightCyan => ansi(14),
        Color::White => ansi(15),
        Color::Rgb(r, g, b) => Some([r, g, b]),
        Color::Indexed(i) => Some(indexed(i)),
    }
}

/// The xterm 256-colour palette: 16 ANSI, a 6×6×6 cube, 24 greys.
fn indexed(i: u8) -> Rgb {
    match i {
        0..=15 => ANSI[usize::from(i)],
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            let n = i - 16;
            [level(n / 36), level(n / 6 % 6), level(n % 6)]
        }
        _ => {
            let grey = 8 + (i - 232) * 10;
            [grey, grey, grey]
        }
    }
}
