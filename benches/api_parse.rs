//! Benchmark: parsing one Cloud App Security page of 100 alerts into the client model.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use remedy::api::AlertPage;
use serde_json::{Value, json};

/// A 100-alert page built from the first alert of the reference fixture, with distinct ids.
fn hundred_alert_page() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/api/cas-alerts-list.json"
    );
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    let template = fixture["data"][0].clone();
    let data: Vec<Value> = (0..100)
        .map(|i| {
            let mut alert = template.clone();
            alert["_id"] = json!(format!("66a1f0c2e4b0a1b2c3d4{i:04x}"));
            alert["timestamp"] = json!(1_721_900_000_000_i64 + i * 1000);
            alert
        })
        .collect();
    json!({ "data": data, "hasNext": true, "max": 100, "total": 1000, "moreThanTotal": false })
        .to_string()
}

fn parse_page(c: &mut Criterion) {
    let body = hundred_alert_page();
    let mut group = c.benchmark_group("api_parse");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("cas_alert_page_100", |b| {
        b.iter(|| {
            let page: AlertPage =
                serde_json::from_str(std::hint::black_box(&body)).expect("parses");
            assert_eq!(page.data.len(), 100);
            page
        })
    });
    group.finish();
}

criterion_group!(benches, parse_page);
criterion_main!(benches);
