//! Fault switches and counters over HTTP: /_sim/faults, /_sim/stats, /_sim/arrive, and alert arrivals.

mod sim_common;

use remedy::sim::{Faults, SimHandle};
use serde_json::{Value, json};
use sim_common::*;

async fn set_faults(h: &SimHandle, body: Value) -> (u16, Value) {
    let r = client()
        .post(format!("{}/_sim/faults", h.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn stats(h: &SimHandle) -> Value {
    client()
        .get(format!("{}/_sim/stats", h.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn alerts_total(h: &SimHandle) -> u64 {
    let v: Value = client()
        .get(format!("{}/api/v1/alerts/?limit=1", h.cas_url()))
        .header("Authorization", "Token remedy-demo-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["total"].as_u64().unwrap()
}

#[tokio::test]
async fn server_errors_and_storms_in_each_service_shape() {
    let h = sim(fast()).await;
    let mde = token(&h, MDE_SCOPE).await;
    let machines = format!("{}/api/machines?$top=1", h.defender_url());
    let alerts = format!("{}/api/v1/alerts/?limit=1", h.cas_url());

    let (s, v) = set_faults(&h, json!({ "error_share": 1.0, "service": "mde" })).await;
    assert_eq!((s, v["error_share"].as_f64()), (200, Some(1.0)));
    let r = get(&machines, &mde).await;
    assert_eq!(r.status(), 500);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "InternalServerError");
    let r = client()
        .get(&alerts)
        .header("Authorization", "Token remedy-demo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "faults aimed at mde leave cas alone");

    set_faults(&h, json!({ "throttle_share": 1.0 })).await;
    let r = get(&machines, &mde).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "TooManyRequests");
    let mut with = 0;
    for _ in 0..4 {
        let r = client()
            .get(&alerts)
            .header("Authorization", "Token remedy-demo-token")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 429);
        with += usize::from(r.headers().contains_key("retry-after"));
    }
    assert_eq!(
        with, 2,
        "Cloud App Security sends Retry-After on some 429s only"
    );

    let (s, v) = set_faults(&h, json!({})).await;
    assert_eq!(
        (s, v),
        (200, serde_json::to_value(Faults::default()).unwrap())
    );
    assert_eq!(get(&machines, &mde).await.status(), 200);
    let st = stats(&h).await;
    assert_eq!(st["throttled"], 5);
    assert_eq!(st["faults_injected"]["server_error"], 1);
    assert_eq!(st["faults_injected"]["throttle"], 5);
    assert_eq!(st["requests"]["GET /mde/api/machines"]["500"], 1);
    assert_eq!(st["requests"]["GET /mde/api/machines"]["429"], 1);
    assert_eq!(st["requests"]["GET /mde/api/machines"]["200"], 1);
    h.shutdown().await;
}

#[tokio::test]
async fn resets_and_malformed_bodies_break_the_client_read() {
    let h = sim(fast()).await;
    let mde = token(&h, MDE_SCOPE).await;
    let machines = format!("{}/api/machines?$top=1", h.defender_url());
    set_faults(&h, json!({ "reset_share": 1.0 })).await;
    let outcome = match client().get(&machines).bearer_auth(&mde).send().await {
        Err(_) => Err(()),
        Ok(r) => r.bytes().await.map(|_| ()).map_err(|_| ()),
    };
    assert!(
        outcome.is_err(),
        "a reset must surface as a transport error"
    );

    set_faults(&h, json!({ "malformed_share": 1.0, "latency_ms": 20 })).await;
    let r = get(&machines, &mde).await;
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.is_err(), "the body is cut short");
    h.set_faults(Faults::default());
    let r = get(&machines, &mde).await;
    assert!(r.json::<Value>().await.is_ok());
    let st = h.stats();
    assert_eq!(st["faults_injected"]["reset"], 1);
    assert_eq!(st["faults_injected"]["malformed"], 1);
    h.shutdown().await;
}

#[tokio::test]
async fn bad_fault_settings_are_refused() {
    let h = sim(fast()).await;
    for body in [
        json!({ "error_share": 2.0 }),
        json!({ "service": "smtp" }),
        json!({ "lightning": true }),
        json!("x"),
    ] {
        let (s, v) = set_faults(&h, body.clone()).await;
        assert_eq!(s, 400, "{body}");
        assert!(v["error"].is_string());
    }
    let r = client()
        .get(format!("{}/_sim/faults", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error_share"], 0.0);
    assert_eq!(
        client()
            .get(format!("{}/_sim/nothing", h.base_url()))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client()
            .get(format!("{}/elsewhere", h.base_url()))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    h.shutdown().await;
}

#[tokio::test]
async fn scenario_faults_apply_from_the_start() {
    let mut s = fast();
    s.faults.error_share = 1.0;
    s.faults.service = Some("login".into());
    let h = sim(s).await;
    let r = client()
        .post(format!("{}/contoso/oauth2/v2.0/token", h.authority_url()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "temporarily_unavailable");
    h.shutdown().await;
}

#[tokio::test]
async fn alerts_arrive_on_demand_and_over_time() {
    let h = sim(fast()).await;
    let before = alerts_total(&h).await;
    let r = client()
        .post(format!("{}/_sim/arrive", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(alerts_total(&h).await, before + 1);
    assert_eq!(h.stats()["alerts_arrived"], 1);
    h.shutdown().await;

    let mut s = fast();
    s.arrivals.enabled = true;
    s.time_scale = 10_000.0;
    let h = sim(s).await;
    let before = alerts_total(&h).await;
    while alerts_total(&h).await < before + 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let newest: Value = client()
        .post(format!("{}/api/v1/alerts/", h.cas_url()))
        .header("Authorization", "Token remedy-demo-token")
        .json(&json!({ "limit": 1, "sortField": "date", "sortDirection": "desc" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let a = &newest["data"][0];
    assert_eq!(a["resolutionStatusValue"], 0);
    assert_eq!(a["_id"].as_str().unwrap().len(), 24);
    assert_shape(&newest, &fixture("cas-alerts-list.json"), "new alert");
    h.shutdown().await;
}
