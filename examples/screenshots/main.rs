//! Regenerates `screenshots/*.png` of the console's main views, from a real demo session and from the
//! snapshot tests' fixed data and clock (the SVG each comes from goes to `target/screenshots/`):
//! `cargo run --release --example screenshots`.

#[path = "../../tests/tui_common/mod.rs"]
mod tui_common;

mod encode;
mod live;
mod palette;
mod raster;
mod scenes;
mod shapes;
mod svg;

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("screenshots: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let rasteriser = raster::Rasteriser::new()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pngs = root.join("screenshots");
    let svgs = root.join("target").join("screenshots");
    for dir in [&pngs, &svgs] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut recordings = HashMap::new();
    for scene in &scenes::ALL {
        if let scenes::Source::Demo(session) = scene.source
            && let std::collections::hash_map::Entry::Vacant(slot) = recordings.entry(session)
        {
            println!("running the {session:?} demo session…");
            slot.insert(live::record(session)?);
        }
    }
    for scene in &scenes::ALL {
        let started = Instant::now();
        let recording = match scene.source {
            scenes::Source::Demo(session) => recordings.get(&session),
            scenes::Source::Fixed => None,
        };
        let svg = svg::from_buffer(&scene.draw(recording)?, scene.backdrop());
        let png = rasteriser.png(&svg)?;
        let elapsed = started.elapsed();
        for (dir, ext, bytes) in [
            (&svgs, "svg", svg.as_bytes()),
            (&pngs, "png", png.as_slice()),
        ] {
            let path = dir.join(format!("{}.{ext}", scene.name));
            std::fs::write(&path, bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        println!(
            "screenshots/{}.png  {} bytes  {:.0} ms  {}",
            scene.name,
            png.len(),
            elapsed.as_secs_f64() * 1000.0,
            scene.shows
        );
    }
    Ok(())
}
