//! Terminal colours as RGB for the screenshots: the ANSI palette, and a dark or light terminal's default fg/bg
//! (what `Color::Reset` means).

use ratatui::style::Color;

/// A colour as red, green, blue.
pub type Rgb = [u8; 3];

/// A terminal's default colours: what `Color::Reset` means for text (`fg`) and behind it (`bg`).
#[derive(Clone, Copy)]
pub struct Backdrop {
    pub fg: Rgb,
    pub bg: Rgb,
}

/// A dark terminal (the default theme is made for it).
pub const DARK: Backdrop = Backdrop {
    fg: [0xd4, 0xd4, 0xd4],
    bg: [0x1e, 0x1e, 0x1e],
};

/// A light terminal (for the light theme).
pub const LIGHT: Backdrop = Backdrop {
    fg: [0x1f, 0x1f, 0x1f],
    bg: [0xfa, 0xfa, 0xfa],
};

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

/// The RGB of a foreground colour on `backdrop`.
pub fn fg(colour: Color, backdrop: &Backdrop) -> Rgb {
    rgb(colour).unwrap_or(backdrop.fg)
}

/// The RGB of a background colour on `backdrop`.
pub fn bg(colour: Color, backdrop: &Backdrop) -> Rgb {
    rgb(colour).unwrap_or(backdrop.bg)
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
