//! Simulator throughput on loopback: batches of concurrent requests against the main read endpoints.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use remedy::sim::{Scenario, SimOptions, start};
use serde_json::{Value, json};

const BATCH: usize = 256;
const CONCURRENCY: usize = 32;

/// One kind of request the benchmark repeats.
#[derive(Clone)]
enum Call {
    Get(String),
    Post(String, Value),
}

async fn run_batch(client: &reqwest::Client, auth: &str, call: &Call) {
    futures::stream::iter(0..BATCH)
        .map(|_| {
            let req = match call {
                Call::Get(url) => client.get(url),
                Call::Post(url, body) => client.post(url).json(body),
            };
            let req = req.header("Authorization", auth);
            async move {
                let r = req.send().await.expect("request reaches the simulator");
                assert!(r.status().is_success(), "unexpected status {}", r.status());
                r.bytes().await.expect("body arrives");
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut s = Scenario::quiet();
    s.quotas.cas_per_minute = u32::MAX;
    s.quotas.mde_per_minute = u32::MAX;
    s.quotas.mde_per_hour = u32::MAX;
    s.quotas.graph_bucket = u32::MAX;
    s.token_lifetime_secs = 86_400;
    let machine = s.machines[0].clone();
    let aad = machine
        .aad_device_id
        .clone()
        .expect("first machine has an Entra id");
    let (h, mde, graph) = rt.block_on(async {
        let h = start(SimOptions {
            port: 0,
            scenario: s,
        })
        .await
        .expect("simulator starts");
        let token = |scope: &'static str| {
            let url = format!("{}/contoso/oauth2/v2.0/token", h.authority_url());
            async move {
                let v: Value = reqwest::Client::new()
                    .post(url)
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", "remedy-demo"),
                        ("client_secret", "remedy-demo-secret"),
                        ("scope", scope),
                    ])
                    .send()
                    .await
                    .expect("token call")
                    .json()
                    .await
                    .expect("token body");
                format!(
                    "Bearer {}",
                    v["access_token"].as_str().expect("access token")
                )
            }
        };
        let mde = token("https://api.securitycenter.microsoft.com/.default").await;
        let graph = token("https://graph.microsoft.com/.default").await;
        (h, mde, graph)
    });
    let client = reqwest::Client::new();
    let cases = [
        (
            "mde_machine_by_id",
            mde.clone(),
            Call::Get(format!("{}/api/machines/{}", h.defender_url(), machine.id)),
        ),
        (
            "mde_machines_filter_aad",
            mde.clone(),
            Call::Get(format!(
                "{}/api/machines?$filter=aadDeviceId eq '{aad}'",
                h.defender_url()
            )),
        ),
        (
            "cas_alerts_filtered",
            "Token remedy-demo-token".to_string(),
            Call::Post(
                format!("{}/api/v1/alerts/", h.cas_url()),
                json!({ "filters": { "resolutionStatus": { "eq": [0] } }, "sortField": "date", "limit": 100 }),
            ),
        ),
        (
            "graph_registered_devices",
            graph,
            Call::Get(format!(
                "{}/v1.0/users/alice@contoso.com/registeredDevices",
                h.graph_url()
            )),
        ),
    ];
    let mut group = c.benchmark_group("sim_throughput");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);
    for (name, auth, call) in &cases {
        group.bench_function(*name, |b| {
            b.to_async(&rt).iter(|| run_batch(&client, auth, call))
        });
    }
    group.finish();
    rt.block_on(h.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
