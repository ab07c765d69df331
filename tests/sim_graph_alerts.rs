//! Graph security alerts (`alerts_v2`) of the simulator against their contract: shape, filters, paging,
//! strict refusals, PATCH, comments, roles, 429 past the budget, and a policy migration.

mod sim_common;

use remedy::sim::Scenario;
use serde_json::{Value, json};
use sim_common::*;

const CAS: &str = "microsoftDefenderForCloudApps";
const MDE: &str = "microsoftDefenderForEndpoint";

fn alerts_url(h: &remedy::sim::SimHandle) -> String {
    format!("{}/v1.0/security/alerts_v2", h.graph_url())
}

async fn list(url: &str, bearer: &str, query: &[(&str, &str)]) -> reqwest::Response {
    client()
        .get(url)
        .query(query)
        .bearer_auth(bearer)
        .header("prefer", "include-unknown-enum-members")
        .send()
        .await
        .unwrap()
}

/// Every alert of a listing, following `@odata.nextLink`; also the number of pages.
async fn all(url: &str, bearer: &str, query: &[(&str, &str)]) -> (Vec<Value>, usize) {
    let mut page: Value = list(url, bearer, query).await.json().await.unwrap();
    let mut items = Vec::new();
    let mut pages = 1;
    loop {
        items.extend(page["value"].as_array().unwrap().iter().cloned());
        let Some(next) = page["@odata.nextLink"].as_str() else {
            return (items, pages);
        };
        page = get(next, bearer).await.json().await.unwrap();
        pages += 1;
    }
}

fn strict() -> Scenario {
    let mut s = fast();
    s.strict = true;
    s
}

#[tokio::test]
async fn every_cas_alert_is_a_graph_alert_and_endpoint_alerts_carry_devices() {
    let s = fast();
    let cas_ids: Vec<String> = s.alerts.iter().map(|a| a.id.clone()).collect();
    let machine_ids: Vec<String> = s.machines.iter().map(|m| m.id.clone()).collect();
    let h = sim(s).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    let (items, _) = all(&alerts_url(&h), &graph, &[]).await;
    let fixture = fixture("graph-alerts-v2-list.json");
    let mut expected = fixture["value"][0].clone();
    expected["evidence"] = json!([]);
    for cas_id in &cas_ids {
        let alert = items
            .iter()
            .find(|a| a["providerAlertId"] == cas_id.as_str())
            .unwrap_or_else(|| panic!("CAS alert {cas_id} has no Graph alert"));
        assert_eq!(alert["serviceSource"], CAS);
        assert_shape(alert, &expected, "alert");
    }
    let with_user = items
        .iter()
        .filter(|a| a["serviceSource"] == CAS)
        .flat_map(|a| a["evidence"].as_array().unwrap())
        .find(|e| e["@odata.type"] == "#microsoft.graph.security.userEvidence")
        .expect("user evidence");
    assert!(with_user["userAccount"]["userPrincipalName"].is_string());
    let mde: Vec<&Value> = items.iter().filter(|a| a["serviceSource"] == MDE).collect();
    assert!(mde.len() >= 2, "a few Defender for Endpoint alerts");
    for alert in mde {
        let device = alert["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["@odata.type"] == "#microsoft.graph.security.deviceEvidence")
            .expect("device evidence");
        let id = device["mdeDeviceId"].as_str().unwrap();
        assert!(
            machine_ids.iter().any(|m| m == id),
            "{id} is a scenario machine"
        );
    }
    h.shutdown().await;
}

#[tokio::test]
async fn detectors_follow_policies() {
    let s = fast();
    let h = sim(s.clone()).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    let (items, _) = all(&alerts_url(&h), &graph, &[]).await;
    let detector_of = |cas_id: &str| {
        items
            .iter()
            .find(|a| a["providerAlertId"] == cas_id)
            .unwrap()["detectorId"]
            .clone()
    };
    let a = &s.alerts[0];
    let same = s
        .alerts
        .iter()
        .skip(1)
        .find(|b| b.policy == a.policy)
        .unwrap();
    let other = s.alerts.iter().find(|b| b.policy != a.policy).unwrap();
    assert_eq!(detector_of(&a.id), detector_of(&same.id));
    assert_ne!(detector_of(&a.id), detector_of(&other.id));
    h.shutdown().await;
}

#[tokio::test]
async fn filters_watermark_and_paging_in_both_profiles() {
    for scenario in [fast(), strict()] {
        let strict = scenario.strict;
        let h = sim(scenario).await;
        let graph = token(&h, GRAPH_SCOPE).await;
        let url = alerts_url(&h);
        let (everything, _) = all(&url, &graph, &[]).await;
        let cas_filter = format!("serviceSource eq '{CAS}'");
        let (cas, pages) = all(&url, &graph, &[("$filter", &cas_filter), ("$top", "50")]).await;
        let expected = everything
            .iter()
            .filter(|a| a["serviceSource"] == CAS)
            .count();
        assert_eq!(cas.len(), expected, "strict={strict}");
        assert!(cas.iter().all(|a| a["serviceSource"] == CAS));
        if strict {
            assert!(pages >= expected.div_ceil(2), "strict pages hold 2 at most");
        }
        let newest = cas
            .iter()
            .filter_map(|a| a["lastUpdateDateTime"].as_str())
            .max()
            .unwrap()
            .to_string();
        let watermark = format!("{cas_filter} and lastUpdateDateTime ge {newest}");
        let (recent, _) = all(&url, &graph, &[("$filter", &watermark)]).await;
        assert!(
            !recent.is_empty() && recent.len() < cas.len(),
            "strict={strict}"
        );
        assert!(
            recent
                .iter()
                .all(|a| a["lastUpdateDateTime"].as_str().unwrap() >= newest.as_str())
        );
        let open = format!("{cas_filter} and status eq 'new'");
        let (new, _) = all(&url, &graph, &[("$filter", &open)]).await;
        assert!(new.iter().all(|a| a["status"] == "new") && new.len() < cas.len());
        h.shutdown().await;
    }
}

#[tokio::test]
async fn strict_refuses_what_is_not_documented_and_lenient_takes_it() {
    let rich = [
        format!("serviceSource eq '{CAS}' or serviceSource eq '{MDE}'"),
        "startswith(title,'Impossible')".to_string(),
        "detectorId eq 'x'".to_string(),
        "severity ge 'low'".to_string(),
    ];
    let h = sim(strict()).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    for filter in &rich {
        let r = list(&alerts_url(&h), &graph, &[("$filter", filter)]).await;
        assert_eq!(r.status(), 400, "{filter}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "BadRequest", "{filter}");
    }
    h.shutdown().await;
    let h = sim(fast()).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    for filter in &rich[..3] {
        let r = list(&alerts_url(&h), &graph, &[("$filter", filter)]).await;
        assert_eq!(r.status(), 200, "{filter}");
    }
    let r = list(&alerts_url(&h), &graph, &[("$filter", "nope eq 1")]).await;
    assert_eq!(r.status(), 400);
    h.shutdown().await;
}

#[tokio::test]
async fn get_patch_and_comments() {
    let s = fast();
    let open = s
        .alerts
        .iter()
        .find(|a| a.resolution_status == 0)
        .unwrap()
        .id
        .clone();
    let h = sim(s).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    let url = alerts_url(&h);
    let (items, _) = all(&url, &graph, &[]).await;
    let id = items
        .iter()
        .find(|a| a["providerAlertId"] == open.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let one: Value = get(&format!("{url}/{id}"), &graph)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], id.as_str());
    let missing = get(&format!("{url}/nope"), &graph).await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NotFound");

    let patch = |body: Value| {
        client()
            .patch(format!("{url}/{id}"))
            .bearer_auth(&graph)
            .json(&body)
            .send()
    };
    let bad = patch(json!({ "classification": "probablyFine" }))
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad = patch(json!({ "title": "renamed" })).await.unwrap();
    assert_eq!(bad.status(), 400);
    let r = patch(
        json!({ "status": "resolved", "classification": "truePositive",
        "determination": "malware", "assignedTo": "remedy" }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_shape(&updated, &fixture("graph-alert-v2-updated.json"), "updated");
    assert_eq!(updated["status"], "resolved");
    assert_eq!(updated["determination"], "malware");
    assert!(updated["resolvedDateTime"].is_string());
    let cas = token(&h, CAS_SCOPE).await;
    let closed: Value = get(&format!("{}/api/v1/alerts/{open}/", h.cas_url()), &cas)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(closed["resolutionStatusValue"], 5, "one alert, two APIs");

    let comments = format!("{url}/{id}/comments");
    let comment =
        json!({ "@odata.type": "microsoft.graph.security.alertComment", "comment": "scanned" });
    post(&comments, &graph, comment.clone()).await;
    let r = post(&comments, &graph, json!({ "comment": "closed by remedy" })).await;
    assert_eq!(r.status(), 200);
    let all_comments: Value = r.json().await.unwrap();
    assert_shape(
        &all_comments,
        &fixture("graph-alert-v2-comments.json"),
        "comments",
    );
    let texts: Vec<&str> = all_comments["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["comment"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["scanned", "closed by remedy"]);
    assert_eq!(post(&comments, &graph, json!({})).await.status(), 400);

    let stats = h.stats();
    let counted = |label: &str| stats["requests"][label]["200"].as_u64().unwrap_or(0);
    assert!(counted("GET /graph/v1.0/security/alerts_v2") >= 1);
    assert_eq!(counted("PATCH /graph/v1.0/security/alerts_v2/{id}"), 1);
    assert_eq!(
        counted("POST /graph/v1.0/security/alerts_v2/{id}/comments"),
        2
    );
    h.shutdown().await;
}

#[tokio::test]
async fn roles_are_checked() {
    let mut s = fast();
    s.roles.graph = vec!["User.Read.All".into(), "SecurityAlert.Read.All".into()];
    let h = sim(s).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    let url = alerts_url(&h);
    assert_eq!(list(&url, &graph, &[]).await.status(), 200);
    let r = post(
        &format!("{url}/x/comments"),
        &graph,
        json!({ "comment": "c" }),
    )
    .await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SecurityAlert.ReadWrite.All")
    );
    h.shutdown().await;

    let mut s = fast();
    s.roles.graph = vec!["User.Read.All".into()];
    let h = sim(s).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    assert_eq!(list(&alerts_url(&h), &graph, &[]).await.status(), 403);
    h.shutdown().await;
}

#[tokio::test]
async fn past_the_budget_a_429_with_retry_after() {
    let mut s = fast();
    s.time_scale = 1.0;
    s.quotas.graph_alerts_per_minute = 3;
    let h = sim(s).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    for _ in 0..3 {
        assert_eq!(list(&alerts_url(&h), &graph, &[]).await.status(), 200);
    }
    let r = list(&alerts_url(&h), &graph, &[]).await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = r.json().await.unwrap();
    assert_shape(&body, &fixture("graph-error-throttled.json"), "throttled");
    assert_eq!(h.stats()["throttled_by_service"]["graph"], 1);
    h.shutdown().await;
}

#[tokio::test]
async fn newer_enum_members_only_for_clients_that_prefer_them() {
    let h = sim(fast()).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    let url = alerts_url(&h);
    let filter = format!("serviceSource eq '{MDE}'");
    let (asked, _) = all(&url, &graph, &[("$filter", &filter)]).await;
    assert!(
        asked
            .iter()
            .any(|a| a["detectionSource"] == "microsoftThreatIntelligence")
    );
    let plain: Value = get(&format!("{url}?$filter={filter}"), &graph)
        .await
        .json()
        .await
        .unwrap();
    let sources: Vec<&Value> = plain["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["detectionSource"])
        .collect();
    assert!(
        sources.contains(&&json!("unknownFutureValue")),
        "{sources:?}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn a_migrated_policy_is_disabled_and_its_alerts_come_from_a_new_detector() {
    let s = fast();
    let policy = s.alerts[0].policy.clone();
    let first_title = s.alerts[0].title.clone();
    let mut s = s;
    s.arrivals.policies = vec![policy.clone()];
    let h = sim(s).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    let (before, _) = all(&alerts_url(&h), &graph, &[]).await;
    let first_cas = &before[0];
    assert_eq!(first_cas["title"].as_str(), Some(first_title.as_str()));
    let old_detector = first_cas["detectorId"].clone();
    let r = client()
        .post(format!("{}/_sim/migrate", h.base_url()))
        .json(&json!({ "policy": policy, "detector_id": "successor-detector" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cas = token(&h, CAS_SCOPE).await;
    let p: Value = get(&format!("{}/api/v1/policies/{policy}/", h.cas_url()), &cas)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["enabled"], false);
    let cas_before: Value = get(&format!("{}/api/v1/alerts/", h.cas_url()), &cas)
        .await
        .json()
        .await
        .unwrap();
    h.arrive();
    h.arrive();
    let cas_after: Value = get(&format!("{}/api/v1/alerts/", h.cas_url()), &cas)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cas_before["total"], cas_after["total"], "no new CAS alert");
    let (after, _) = all(&alerts_url(&h), &graph, &[]).await;
    let new: Vec<&Value> = after.iter().skip(before.len()).collect();
    assert_eq!(new.len(), 2);
    for alert in new {
        assert_eq!(alert["detectorId"], "successor-detector");
        assert_eq!(alert["serviceSource"], CAS);
        assert_ne!(alert["detectorId"], old_detector);
        assert!(!alert["title"].as_str().unwrap().is_empty());
    }
    assert_eq!(h.stats()["migrated_alerts"], 2);
    h.shutdown().await;
}

#[tokio::test]
async fn the_scenario_can_schedule_the_migration() {
    let mut s = fast();
    let policy = s.alerts[0].policy.clone();
    s.graph_alerts.migration = Some(remedy::sim::MigrationSeed {
        policy: policy.clone(),
        after_minutes: 0.0,
        detector_id: None,
    });
    let h = sim(s).await;
    let cas = token(&h, CAS_SCOPE).await;
    let p: Value = get(&format!("{}/api/v1/policies/{policy}/", h.cas_url()), &cas)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["enabled"], false);
    h.shutdown().await;

    let mut bad = fast();
    bad.graph_alerts.migration = Some(remedy::sim::MigrationSeed {
        policy: "nope".into(),
        after_minutes: 0.0,
        detector_id: None,
    });
    assert!(bad.validate("t").unwrap_err().to_string().contains("nope"));
}
