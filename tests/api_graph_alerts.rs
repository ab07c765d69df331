//! The Graph security alerts client against the simulator over HTTP, in both profiles: paging to the
//! end, the watermark, get/update/comment, a 429 honoured, the client budget, unknown values kept.

mod api_common;

use std::time::Duration;

use api_common::*;
use chrono::{DateTime, Utc};
use remedy::api::models::{Evidence, SecurityAlertStatus, ServiceSource};
use remedy::api::{ApiError, QuotaWindow, SecurityAlertQuery, SecurityAlertUpdate};
use remedy::sim::Scenario;

fn profiles() -> [Scenario; 2] {
    let lenient = scenario(30.0);
    let mut strict = scenario(30.0);
    strict.strict = true;
    [lenient, strict]
}

fn cloud_apps() -> SecurityAlertQuery {
    SecurityAlertQuery::sources([ServiceSource::DefenderForCloudApps])
}

#[tokio::test]
async fn lists_every_page_of_every_source() {
    for scenario in profiles() {
        let backlog = scenario.alerts.len();
        let sim = sim(scenario.clone()).await;
        let api = clients(&sim, &scenario);
        let cas = api.graph_alerts.list_alerts(&cloud_apps()).await.unwrap();
        assert_eq!(cas.len(), backlog, "strict={}", scenario.strict);
        assert!(
            cas.iter()
                .all(|a| a.service_source == "microsoftDefenderForCloudApps")
        );
        let pages = stat(
            &sim,
            "/requests/GET \\/graph\\/v1.0\\/security\\/alerts_v2/200",
        );
        let both = SecurityAlertQuery::sources([
            ServiceSource::DefenderForCloudApps,
            ServiceSource::DefenderForEndpoint,
        ])
        .page_size(5);
        let all = api.graph_alerts.list_alerts(&both).await.unwrap();
        assert!(all.len() > backlog, "endpoint alerts too");
        if scenario.strict {
            let stats = sim.stats();
            let total = stats["requests"]["GET /graph/v1.0/security/alerts_v2"]["200"]
                .as_u64()
                .unwrap();
            assert!(
                total - pages >= (all.len() as u64).div_ceil(2),
                "strict pages hold 2 at most"
            );
        }
        assert_eq!(stat(&sim, "/throttled"), 0);
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn the_watermark_keeps_only_what_changed_since() {
    for scenario in profiles() {
        let sim = sim(scenario.clone()).await;
        let api = clients(&sim, &scenario);
        let everything = api.graph_alerts.list_alerts(&cloud_apps()).await.unwrap();
        let newest: DateTime<Utc> = everything
            .iter()
            .filter_map(|a| a.last_update_date_time)
            .max()
            .unwrap();
        let recent = api
            .graph_alerts
            .list_alerts(&cloud_apps().updated_since(newest))
            .await
            .unwrap();
        assert!(!recent.is_empty() && recent.len() < everything.len());
        let open = api
            .graph_alerts
            .list_alerts(&cloud_apps().status(SecurityAlertStatus::New))
            .await
            .unwrap();
        assert!(open.iter().all(|a| a.status == SecurityAlertStatus::New));

        let target = &open[0];
        let change = SecurityAlertUpdate {
            status: Some(SecurityAlertStatus::Resolved),
            classification: Some("truePositive".into()),
            determination: Some("malware".into()),
            ..SecurityAlertUpdate::default()
        };
        let updated = api.graph_alerts.update(&target.id, &change).await.unwrap();
        assert_eq!(updated.status, SecurityAlertStatus::Resolved);
        let comments = api
            .graph_alerts
            .comment(&target.id, "remedy: scan Succeeded")
            .await
            .unwrap();
        assert_eq!(comments.last().unwrap().comment, "remedy: scan Succeeded");
        let since = api
            .graph_alerts
            .list_alerts(&cloud_apps().updated_since(newest))
            .await
            .unwrap();
        assert!(
            since.iter().any(|a| a.id == target.id),
            "the update moved the watermark"
        );
        let again = api.graph_alerts.get(&target.id).await.unwrap();
        assert_eq!(again.determination.as_deref(), Some("malware"));
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn unknown_enum_values_and_evidence_types_are_kept() {
    for scenario in profiles() {
        let sim = sim(scenario.clone()).await;
        let api = clients(&sim, &scenario);
        let query = SecurityAlertQuery::sources([ServiceSource::DefenderForEndpoint]);
        let alerts = api.graph_alerts.list_alerts(&query).await.unwrap();
        assert!(
            alerts
                .iter()
                .any(|a| a.detection_source.as_deref() == Some("microsoftThreatIntelligence")),
            "Prefer: include-unknown-enum-members was sent"
        );
        let kinds: Vec<&Evidence> = alerts.iter().flat_map(|a| &a.evidence).collect();
        assert!(
            kinds
                .iter()
                .any(|e| matches!(e, Evidence::Device(d) if d.mde_device_id.is_some()))
        );
        assert!(kinds.iter().any(
            |e| matches!(e, Evidence::Other { odata_type, .. } if odata_type.ends_with("kubernetesPodEvidence"))
        ));
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_429_is_honoured_and_the_call_succeeds() {
    let mut scenario = scenario(60.0);
    scenario.quotas.graph_alerts_per_minute = 2;
    let sim = sim(scenario.clone()).await;
    let mut settings = settings(&sim, &scenario);
    settings.retry.max_attempts = 10;
    let api = remedy::api::Clients::new(settings).unwrap();
    let alerts = api
        .graph_alerts
        .list_alerts(&cloud_apps().page_size(4))
        .await
        .unwrap();
    assert_eq!(alerts.len(), scenario.alerts.len());
    assert!(
        stat(&sim, "/throttled_by_service/graph") >= 1,
        "the simulator refused some"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_client_budget_keeps_under_the_service_limit() {
    let mut scenario = scenario(60.0);
    scenario.quotas.graph_alerts_per_minute = 3;
    let sim = sim(scenario.clone()).await;
    let mut settings = settings(&sim, &scenario);
    settings.security_alerts_quota = vec![QuotaWindow::window(3, Duration::from_secs(1))];
    let api = remedy::api::Clients::new(settings).unwrap();
    let alerts = api
        .graph_alerts
        .list_alerts(&cloud_apps().page_size(4))
        .await
        .unwrap();
    assert_eq!(alerts.len(), scenario.alerts.len());
    assert_eq!(stat(&sim, "/throttled"), 0, "paced, never refused");
    assert!(api.graph_alerts.quota()[0].remaining < 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn errors_name_the_call_and_the_permission() {
    let mut scenario = scenario(30.0);
    scenario.roles.graph = vec!["User.Read.All".into(), "SecurityAlert.Read.All".into()];
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    let missing = api.graph_alerts.get("nope").await.unwrap_err();
    assert!(matches!(missing, ApiError::NotFound { .. }), "{missing}");
    let alerts = api.graph_alerts.list_alerts(&cloud_apps()).await.unwrap();
    let refused = api
        .graph_alerts
        .comment(&alerts[0].id, "x")
        .await
        .unwrap_err();
    let text = refused.to_string();
    assert!(matches!(refused, ApiError::Forbidden { .. }), "{text}");
    assert!(text.contains("comment on security alert"), "{text}");
    assert!(text.contains("SecurityAlert.ReadWrite.All"), "{text}");
    sim.shutdown().await;
}
