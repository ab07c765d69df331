//! Rasterises the SVG to PNG with resvg, loading DejaVu Sans Mono from explicit files (no system font scan).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use crate::encode;
use crate::svg::FAMILY;

/// The font files, regular then bold; DejaVu Sans Mono has box drawing and blocks but no braille.
const FONTS: [&str; 2] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
];

/// Why a screenshot could not be rasterised.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    #[error(
        "font file {0} cannot be read ({1}); install DejaVu Sans Mono (Debian/Ubuntu: apt-get install fonts-dejavu-core)"
    )]
    Font(PathBuf, std::io::Error),
    #[error("the generated SVG does not parse: {0}")]
    Svg(#[from] usvg::Error),
    #[error("a {0}×{1} pixel canvas cannot be allocated")]
    Canvas(u32, u32),
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
}

/// Turns SVG text into PNG bytes, with the same fonts every time.
pub struct Rasteriser {
    options: usvg::Options<'static>,
}

impl Rasteriser {
    /// Loads the font files; fails naming the first one that is missing.
    pub fn new() -> Result<Rasteriser, RasterError> {
        let mut db = fontdb::Database::new();
        for path in FONTS {
            let data =
                std::fs::read(path).map_err(|e| RasterError::Font(Path::new(path).into(), e))?;
            db.load_font_data(data);
        }
        db.set_monospace_family(FAMILY);
        let options = usvg::Options {
            font_family: FAMILY.into(),
            fontdb: Arc::new(db),
            ..usvg::Options::default()
        };
        Ok(Rasteriser { options })
    }

    /// The SVG drawn at its own size, as PNG bytes.
    pub fn png(&self, svg: &str) -> Result<Vec<u8>, RasterError> {
        let tree = usvg::Tree::from_str(svg, &self.options)?;
        let size = tree.size().to_int_size();
        let (w, h) = (size.width(), size.height());
        let mut pixmap = Pixmap::new(w, h).ok_or(RasterError::Canvas(w, h))?;
        resvg::render(&tree, Transform::identity(), &mut pixmap.as_mut());
        Ok(encode::png(w, h, pixmap.data())?)
    }
}
