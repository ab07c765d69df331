//! PNG encoding of an opaque RGBA canvas: an indexed palette when it has at most 256 colours, RGB otherwise.

use std::collections::HashMap;

use png::{AdaptiveFilterType, BitDepth, ColorType, Compression, Encoder, EncodingError};

/// The canvas (`width`×`height`, RGBA, opaque) as PNG bytes; the same pixels always give the same bytes.
pub fn png(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>, EncodingError> {
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, width, height);
    encoder.set_depth(BitDepth::Eight);
    encoder.set_compression(Compression::Default);
    encoder.set_adaptive_filter(AdaptiveFilterType::NonAdaptive);
    let data = match palette(rgba) {
        Some((colours, indices)) => {
            encoder.set_color(ColorType::Indexed);
            encoder.set_palette(colours);
            indices
        }
        None => {
            encoder.set_color(ColorType::Rgb);
            encoder.set_adaptive_filter(AdaptiveFilterType::Adaptive);
            rgba.chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect()
        }
    };
    encoder.write_header()?.write_image_data(&data)?;
    Ok(out)
}

/// The palette (RGB triples in order of first appearance) and one index per pixel, or `None` past 256.
fn palette(rgba: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut seen: HashMap<[u8; 3], u8> = HashMap::new();
    let mut colours = Vec::new();
    let mut indices = Vec::with_capacity(rgba.len() / 4);
    for pixel in rgba.chunks_exact(4) {
        let rgb = [pixel[0], pixel[1], pixel[2]];
        let index = match seen.get(&rgb) {
            Some(&index) => index,
            None => {
                let index = u8::try_from(seen.len()).ok()?;
                seen.insert(rgb, index);
                colours.extend_from_slice(&rgb);
                index
            }
        };
        indices.push(index);
    }
    Some((colours, indices))
}
