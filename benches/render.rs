//! Render cost of the console: the alerts view drawn into a TestBackend with 10k and 100k alerts.

#[path = "../tests/tui_common/mod.rs"]
mod tui_common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use remedy::tui::{App, UiOptions, draw};

fn loaded(count: usize) -> App {
    let mut app = UiOptions::default().build_app(None).unwrap();
    app.set_now(tui_common::now());
    app.apply(tui_common::many(count));
    app.prepare();
    app
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("alerts_view");
    for count in [10_000, 100_000] {
        for (w, h) in [(80, 24), (120, 36)] {
            let mut app = loaded(count);
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
            let id = BenchmarkId::new(format!("frame_{w}x{h}"), count);
            group.bench_with_input(id, &count, |b, _| {
                b.iter(|| {
                    terminal.draw(|frame| draw(frame, &mut app)).unwrap();
                    black_box(terminal.backend().buffer().area);
                });
            });
            let down = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
            let id = BenchmarkId::new(format!("key_j_then_frame_{w}x{h}"), count);
            group.bench_with_input(id, &count, |b, _| {
                b.iter(|| {
                    black_box(app.handle_key(down));
                    terminal.draw(|frame| draw(frame, &mut app)).unwrap();
                });
            });
        }
        let mut app = loaded(count);
        group.bench_with_input(
            BenchmarkId::new("refilter_and_sort", count),
            &count,
            |b, _| {
                b.iter(|| {
                    app.invalidate();
                    app.prepare();
                    black_box(app.visible_alerts().len());
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
