//! Cloud App Security over HTTP: list filters, paging, sorting, validation errors, fetch, close, read, policies, quota.

mod sim_common;

use remedy::sim::SimHandle;
use serde_json::{Value, json};
use sim_common::*;

const TOKEN: &str = "Token remedy-demo-token";
const P4150: &str = "5f01dce13de79160fbec4150";
const P4151: &str = "5f01dce13de79160fbec4151";

async fn cas_post(h: &SimHandle, path: &str, body: Value) -> (u16, Value) {
    let r = client()
        .post(format!("{}{path}", h.cas_url()))
        .header("Authorization", TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn cas_get(h: &SimHandle, path: &str) -> (u16, Value) {
    let r = client()
        .get(format!("{}{path}", h.cas_url()))
        .header("Authorization", TOKEN)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn list(h: &SimHandle, body: Value) -> Value {
    let (s, v) = cas_post(h, "/api/v1/alerts/", body).await;
    assert_eq!(s, 200, "{v}");
    v
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn filters_narrow_the_list() {
    let h = sim(fast()).await;
    let all = list(&h, json!({})).await;
    let total = all["total"].as_u64().unwrap();
    assert!(total >= 20);
    assert_eq!(all["max"], 100);
    assert_eq!(all["hasNext"], false);
    assert_eq!(all["moreThanTotal"], false);

    let open = list(
        &h,
        json!({ "filters": { "resolutionStatus": { "eq": [0] } } }),
    )
    .await;
    assert!(
        open["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["resolutionStatusValue"] == 0)
    );
    let open2 = list(&h, json!({ "filters": { "alertOpen": { "eq": true } } })).await;
    assert_eq!(open["total"], open2["total"]);
    let closed = list(
        &h,
        json!({ "filters": { "resolutionStatus": { "neq": [0] } } }),
    )
    .await;
    assert_eq!(
        open["total"].as_u64().unwrap() + closed["total"].as_u64().unwrap(),
        total
    );

    let high = list(&h, json!({ "filters": { "severity": { "eq": [2] } } })).await;
    assert!(
        high["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["severityValue"] == 2)
    );
    let read = list(&h, json!({ "filters": { "read": { "eq": true } } })).await;
    assert!(
        read["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["statusValue"] != 0)
    );

    let bound = list(
        &h,
        json!({ "filters": { "entity.policy": { "eq": [P4150, P4151] } } }),
    )
    .await;
    assert!(
        bound["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["policy"]["id"] == P4150 || a["policy"]["id"] == P4151)
    );
    let not_bound = list(
        &h,
        json!({ "filters": { "entity.policy": { "neq": [P4150, P4151] } } }),
    )
    .await;
    assert_eq!(
        bound["total"].as_u64().unwrap() + not_bound["total"].as_u64().unwrap(),
        total
    );

    let alice = list(&h, json!({ "filters": { "entity.entity": { "eq": [{ "id": "alice@contoso.com", "saas": 11161, "inst": 0 }] } } })).await;
    assert!(alice["total"].as_u64().unwrap() >= 1);

    let stamps: Vec<i64> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["timestamp"].as_i64().unwrap())
        .collect();
    let mid = stamps[stamps.len() / 2];
    let newer = list(&h, json!({ "filters": { "date": { "gte": mid } } })).await;
    assert!(
        newer["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["timestamp"].as_i64().unwrap() >= mid)
    );
    let ranged = list(
        &h,
        json!({ "filters": { "date": { "range": [{ "start": mid, "end": mid }] } } }),
    )
    .await;
    assert!(ranged["total"].as_u64().unwrap() >= 1);
    let older = list(&h, json!({ "filters": { "date": { "lte": mid - 1 } } })).await;
    assert_eq!(
        newer["total"].as_u64().unwrap() + older["total"].as_u64().unwrap(),
        total
    );

    let first = ids(&all)[0].clone();
    let one = list(&h, json!({ "filters": { "id": { "eq": [first] } } })).await;
    assert_eq!(ids(&one), vec![first.clone()]);
    let rest = list(&h, json!({ "filters": { "id": { "neq": [first] } } })).await;
    assert_eq!(rest["total"].as_u64().unwrap(), total - 1);
    h.shutdown().await;
}

#[tokio::test]
async fn paging_sorting_and_get_form() {
    let h = sim(fast()).await;
    let all = list(&h, json!({ "limit": 100 })).await;
    let total = all["total"].as_u64().unwrap() as usize;
    let mut paged = Vec::new();
    let mut skip = 0;
    loop {
        let page = list(&h, json!({ "skip": skip, "limit": 5 })).await;
        assert_eq!(page["total"].as_u64().unwrap() as usize, total);
        paged.extend(ids(&page));
        skip += 5;
        if page["hasNext"] == false {
            break;
        }
    }
    assert_eq!(paged, ids(&all));
    let desc: Vec<i64> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["timestamp"].as_i64().unwrap())
        .collect();
    assert!(
        desc.windows(2).all(|w| w[0] >= w[1]),
        "default is newest first"
    );

    let by_sev = list(
        &h,
        json!({ "sortField": "severity", "sortDirection": "asc" }),
    )
    .await;
    let sev: Vec<i64> = by_sev["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["severityValue"].as_i64().unwrap())
        .collect();
    assert!(sev.windows(2).all(|w| w[0] <= w[1]));

    let big = list(&h, json!({ "limit": 500 })).await;
    assert_eq!(big["max"], 100);

    // GET with query parameters, both prefixes, with and without the trailing slash
    for path in [
        "/api/v1/alerts/?skip=2&limit=3",
        "/cas/api/v1/alerts?skip=2&limit=3",
        "/api/v1/alerts?limit=3&skip=2",
    ] {
        let (s, v) = cas_get(&h, path).await;
        assert_eq!(s, 200, "{path}");
        assert_eq!(ids(&v), ids(&all)[2..5].to_vec(), "{path}");
    }
    let (s, v) = cas_get(
        &h,
        "/api/v1/alerts/?filters=%7B%22severity%22%3A%7B%22eq%22%3A%5B2%5D%7D%7D",
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["severityValue"] == 2)
    );
    h.shutdown().await;
}

#[tokio::test]
async fn bad_filters_get_the_validation_shape() {
    let h = sim(fast()).await;
    for (body, culprit) in [
        (
            json!({ "filters": { "colour": { "eq": ["red"] } } }),
            "colour",
        ),
        (json!({ "filters": { "severity": { "eq": [7] } } }), "7"),
        (json!({ "filters": { "id": { "eq": ["nope"] } } }), "nope"),
        (json!({ "filters": { "date": { "around": 5 } } }), "around"),
        (json!({ "sortField": "colour" }), "\"colour\""),
        (json!({ "sortDirection": "sideways" }), "\"sideways\""),
    ] {
        let (s, v) = cas_post(&h, "/api/v1/alerts/", body.clone()).await;
        assert_eq!(s, 400, "{body}");
        assert_shape(&v, &fixture("cas-error-filters.json"), "error");
        assert_eq!(v["error"], true);
        assert_eq!(
            v["filters"][0]["errorMessageParams"]["value"], culprit,
            "{v}"
        );
        assert_eq!(
            v["filters"][0]["errorMessageCode"],
            "CONSOLE_FORMS_NOT_VALID_VALUE"
        );
    }
    h.shutdown().await;
}

#[tokio::test]
async fn fetch_close_and_read() {
    let h = sim(fast()).await;
    let open = list(
        &h,
        json!({ "filters": { "resolutionStatus": { "eq": [0] } }, "sortDirection": "asc" }),
    )
    .await;
    let open_ids = ids(&open);
    let before = open["total"].as_u64().unwrap();

    let (s, a) = cas_get(&h, &format!("/api/v1/alerts/{}/", open_ids[0])).await;
    assert_eq!(s, 200);
    assert_eq!(a["_id"], open_ids[0].as_str());
    let (s, v) = cas_get(&h, "/api/v1/alerts/5f843e9cfe3f6d80fe58a962/").await;
    assert_eq!(s, 404);
    assert!(v["error"].is_string());

    // true positive, with the documented response and the closed alert's shape
    let (s, v) = cas_post(
        &h,
        "/api/v1/alerts/close_true_positive",
        json!({ "filters": { "id": { "eq": [open_ids[0]] } }, "comment": "scan 2e9d succeeded" }),
    )
    .await;
    assert_eq!(s, 200);
    assert_shape(&v, &fixture("cas-close-true-positive.json"), "tp");
    assert_eq!(v["closed_true_positive"], 1);
    let (_, closed) = cas_get(&h, &format!("/api/v1/alerts/{}/", open_ids[0])).await;
    assert_shape(&closed, &fixture("cas-alert-closed.json"), "closed");
    assert_eq!(closed["resolutionStatusValue"], 5);
    assert_eq!(closed["comment"], "scan 2e9d succeeded");
    assert_eq!(closed["handledByUser"], "analyst@contoso.com");
    assert!(closed["resolveTime"].is_string());

    // false positive with one unknown id
    let (s, v) = cas_post(
        &h,
        "/api/v1/alerts/close_false_positive/",
        json!({ "filters": { "id": { "eq": [open_ids[1], "5f843e9cfe3f6d80fe58a962"] } }, "reasonId": 1, "comment": "noise" }),
    )
    .await;
    assert_eq!(s, 200);
    assert_shape(&v, &fixture("cas-close-false-positive.json"), "fp");
    assert_eq!(v["closed_false_positive"], 1);
    assert_eq!(v["alertsNotFound"], json!(["5f843e9cfe3f6d80fe58a962"]));

    // benign, with a reason that belongs to false positives → validation error; then a proper one
    let body = |reason: i64| json!({ "filters": { "id": { "eq": [open_ids[2]] } }, "reasonId": reason, "comment": "test" });
    let (s, _) = cas_post(&h, "/api/v1/alerts/close_benign/", body(0)).await;
    assert_eq!(s, 400);
    let (s, v) = cas_post(&h, "/api/v1/alerts/close_benign/", body(6)).await;
    assert_eq!((s, v["closed_benign"].as_i64()), (200, Some(1)));
    // closing again finds nothing open
    let (_, v) = cas_post(&h, "/api/v1/alerts/close_benign/", body(6)).await;
    assert_eq!(v["closed_benign"], 0);

    // the legacy calls map onto false positive / true positive
    let (s, v) = cas_post(
        &h,
        &format!("/cas/api/v1/alerts/{}/dismiss/", open_ids[3]),
        json!({ "comment": "old" }),
    )
    .await;
    assert_eq!((s, v["closed_false_positive"].as_i64()), (200, Some(1)));
    let (s, v) = cas_post(
        &h,
        "/cas/api/v1/alerts/dismiss_bulk/",
        json!({ "filters": { "id": { "eq": [open_ids[4]] } }, "comment": "x" }),
    )
    .await;
    assert_eq!((s, v["closed_false_positive"].as_i64()), (200, Some(1)));
    let (s, v) = cas_post(
        &h,
        "/cas/api/v1/alerts/resolve/",
        json!({ "filters": { "id": { "eq": [open_ids[5]] } }, "comment": "x" }),
    )
    .await;
    assert_eq!((s, v["closed_true_positive"].as_i64()), (200, Some(1)));
    let (s, _) = cas_post(
        &h,
        "/api/v1/alerts/5f843e9cfe3f6d80fe58a962/dismiss/",
        json!({}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = cas_post(
        &h,
        "/api/v1/alerts/close_benign/",
        json!({ "comment": "everything" }),
    )
    .await;
    assert_eq!(s, 400, "a close without filters is refused");

    let after = list(
        &h,
        json!({ "filters": { "resolutionStatus": { "eq": [0] } } }),
    )
    .await;
    assert_eq!(after["total"].as_u64().unwrap(), before - 6);
    let statuses: Vec<(String, i64)> = open_ids[..6]
        .iter()
        .cloned()
        .zip([5, 3, 4, 3, 3, 5])
        .collect();
    for (id, want) in statuses {
        let (_, a) = cas_get(&h, &format!("/api/v1/alerts/{id}")).await;
        assert_eq!(a["resolutionStatusValue"], want, "{id}");
    }

    // read / unread
    let id = &open_ids[6];
    let (s, _) = cas_post(&h, &format!("/api/v1/alerts/{id}/read/"), json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(
        cas_get(&h, &format!("/api/v1/alerts/{id}/")).await.1["statusValue"],
        1
    );
    let (s, _) = cas_post(&h, &format!("/api/v1/alerts/{id}/unread"), json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(
        cas_get(&h, &format!("/api/v1/alerts/{id}/")).await.1["statusValue"],
        0
    );
    assert_eq!(
        cas_post(
            &h,
            "/api/v1/alerts/5f843e9cfe3f6d80fe58a962/read/",
            json!({})
        )
        .await
        .0,
        404
    );
    h.shutdown().await;
}

#[tokio::test]
async fn closing_needs_the_manage_role() {
    let mut s = fast();
    s.roles.cas = vec!["Investigation.read".into()];
    let h = sim(s).await;
    let bearer = token(&h, CAS_SCOPE).await;
    let r = post(
        &format!("{}/api/v1/alerts/", h.cas_url()),
        &bearer,
        json!({ "limit": 1 }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = post(
        &format!("{}/api/v1/alerts/close_benign/", h.cas_url()),
        &bearer,
        json!({ "filters": { "id": { "eq": ["66a1f0c2e4b0a1b2c3d4e5f6"] } } }),
    )
    .await;
    assert_eq!(r.status(), 403);
    h.shutdown().await;
}

#[tokio::test]
async fn policies_carry_their_flow_binding() {
    let h = sim(fast()).await;
    let (s, v) = cas_get(&h, "/cas/api/v1/policies/").await;
    assert_eq!(s, 200);
    assert_shape(&v, &fixture("cas-policies-list.json"), "policies");
    let policies = v["data"].as_array().unwrap();
    assert!(policies.len() >= 8);
    let types: std::collections::BTreeSet<&str> = policies
        .iter()
        .map(|p| p["policyType"].as_str().unwrap())
        .collect();
    assert!(types.len() >= 4, "{types:?}");
    for id in [
        P4150,
        P4151,
        "5f01dce13de79160fbec4152",
        "5f01dce13de79160fbec4153",
    ] {
        assert!(policies.iter().any(|p| p["_id"] == id), "{id}");
    }
    let (s, p) = cas_get(&h, &format!("/api/v1/policies/{P4150}/")).await;
    assert_eq!(s, 200);
    assert_eq!(p["name"], "Impossible travel");
    let flow = p["alertsSettings"]["msFlow"]["flowIds"][0].clone();
    let alerts = list(
        &h,
        json!({ "filters": { "entity.policy": { "eq": [P4150] } } }),
    )
    .await;
    for a in alerts["data"].as_array().unwrap() {
        assert_eq!(a["policy"]["msFlowId"], flow);
    }
    let (s, _) = cas_get(&h, "/api/v1/policies/000000000000000000000000/").await;
    assert_eq!(s, 404);
    let (_, page) = cas_get(&h, "/api/v1/policies/?skip=0&limit=3").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 3);
    assert_eq!(page["hasNext"], true);
    h.shutdown().await;
}

#[tokio::test]
async fn the_terminal_escape_title_is_served_verbatim() {
    let h = sim(fast()).await;
    let all = list(&h, json!({})).await;
    let evil = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains('\u{1b}'));
    let title = evil.expect("an alert with escape sequences")["title"]
        .as_str()
        .unwrap();
    assert!(title.contains("\u{1b}]0;pwned\u{7}") && title.contains("\u{1b}[2J"));
    h.shutdown().await;
}

#[tokio::test]
async fn tenant_quota_throttles_with_and_without_retry_after() {
    let mut s = fast();
    s.time_scale = 1.0;
    s.quotas.cas_per_minute = 3;
    let h = sim(s).await;
    let mut statuses = Vec::new();
    let mut retry = Vec::new();
    for _ in 0..7 {
        let r = client()
            .get(format!("{}/api/v1/alerts/?limit=1", h.cas_url()))
            .header("Authorization", TOKEN)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            retry.push(
                r.headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().parse::<u64>().unwrap()),
            );
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429, 429, 429]);
    assert!(
        retry.iter().any(Option::is_some) && retry.iter().any(Option::is_none),
        "{retry:?}"
    );
    assert!(retry.iter().flatten().all(|s| (1..=60).contains(s)));
    assert_eq!(h.stats()["throttled"], 4);
    h.shutdown().await;
}
