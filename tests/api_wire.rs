//! API clients against the simulator over real HTTP: paging, the demo walk, and every error kind.

mod api_common;

use api_common::{clients, faults_for, scenario, sim, stat};
use remedy::api::{
    ActionRequest, ActionRequestKind, ActionStatus, AlertQuery, ApiError, CloseAs, IsolationType,
    ScanType,
};
use remedy::sim::AlertSeed;

fn scan(comment: &str, key: &str) -> ActionRequest {
    ActionRequest {
        kind: ActionRequestKind::AntivirusScan {
            scan_type: ScanType::Full,
        },
        comment: comment.to_string(),
        external_id: Some(key.to_string()),
    }
}

#[tokio::test]
async fn pages_through_1000_alerts_within_the_quota() {
    let mut scenario = scenario(120.0);
    let policy = scenario.policies[0].id.clone();
    let user = scenario.users[0].upn.clone();
    scenario.alerts = (0..1000)
        .map(|i| AlertSeed {
            id: format!("{:024x}", 0xa000 + i),
            policy: policy.clone(),
            user: Some(user.clone()),
            title: format!("Alert {i}"),
            description: String::new(),
            severity: Some(1),
            minutes_ago: 2000.0 - f64::from(i),
            resolution_status: 0,
            read: false,
            ip: None,
        })
        .collect();
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);

    let query = AlertQuery::new()
        .open_only()
        .policies(&[policy])
        .sort_by_date_asc()
        .limit(100);
    let alerts = api.cas.list_alerts(&query).await.unwrap();

    assert_eq!(alerts.len(), 1000);
    let mut ids: Vec<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1000);
    assert!(alerts.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    assert!(
        alerts
            .iter()
            .all(|a| a.user_principal() == Some(user.as_str()))
    );
    let pages = stat(&sim, "/requests/POST ~1cas~1api~1v1~1alerts~1/200");
    assert!(
        (10..=11).contains(&pages),
        "{pages} list calls for 1000 alerts"
    );
    assert_eq!(
        stat(&sim, "/throttled"),
        0,
        "the client quota kept the service quota"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn demo_walk_from_alert_to_scan_and_close() {
    let scenario = scenario(3000.0);
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);

    let alert = api.cas.get_alert("66a1f0c2e4b0a1b2c3d4e5f6").await.unwrap();
    let upn = alert.user_principal().unwrap().to_string();
    assert_eq!(upn, "alice@contoso.com");
    let policies = api.cas.list_policies().await.unwrap();
    assert!(
        policies
            .iter()
            .any(|p| p.id == alert.policy.as_ref().unwrap().id)
    );

    let user = api.graph.user(&upn).await.unwrap();
    assert_eq!(
        user.user_principal_name.as_deref(),
        Some("alice@contoso.com")
    );
    let devices = api.graph.registered_devices(&upn).await.unwrap();
    assert!(devices.len() > 2, "more than one Graph page was followed");
    let mut machines = Vec::new();
    for device in &devices {
        let device_id = device.device_id.as_deref().unwrap();
        machines.extend(
            api.defender
                .machines_by_aad_device_id(device_id)
                .await
                .unwrap(),
        );
    }
    let machine = machines
        .iter()
        .find(|m| !m.is_excluded && m.merged_into_machine_id.is_none())
        .unwrap();

    let action = api
        .defender
        .run_action(
            &machine.id,
            &scan("Scan for alert 66a1f0c2e4b0a1b2c3d4e5f6", "k-walk"),
        )
        .await
        .unwrap();
    assert_eq!(action.idempotency_key(), Some("k-walk"));
    assert_eq!(
        action.external_id.as_deref(),
        Some("k-walk"),
        "the key is kept as externalID"
    );
    assert_eq!(action.machine_id.as_deref(), Some(machine.id.as_str()));
    let again = api.defender.machine_action(&action.id).await.unwrap();
    assert_eq!(again.id, action.id);
    let filter = format!(
        "machineId eq '{}' and type eq 'RunAntiVirusScan'",
        machine.id
    );
    let listed = api.defender.machine_actions(Some(&filter)).await.unwrap();
    assert!(listed.iter().any(|a| a.idempotency_key() == Some("k-walk")));

    api.cas.mark_read(&alert.id).await.unwrap();
    let outcome = api
        .cas
        .close_alerts(
            &[alert.id.clone(), "ffffffffffffffffffffffff".to_string()],
            CloseAs::TruePositive,
            "AV scan requested",
        )
        .await
        .unwrap();
    assert_eq!(outcome.closed, 1);
    assert_eq!(
        outcome.not_found,
        vec!["ffffffffffffffffffffffff".to_string()]
    );
    assert_eq!(stat(&sim, "/action_posts_total"), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn cancel_and_lookups_of_unknown_things() {
    let mut scenario = scenario(30.0);
    scenario.actions.pending_secs = [600.0, 600.0];
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    let machine = scenario.machines[0].id.clone();

    let action = api
        .defender
        .run_action(&machine, &scan("scan", "k-cancel"))
        .await
        .unwrap();
    assert_eq!(action.status, ActionStatus::Pending);
    let cancelled = api
        .defender
        .cancel_action(&action.id, "not needed")
        .await
        .unwrap();
    assert_eq!(cancelled.id, action.id);

    assert!(matches!(
        api.defender.machine("no-such-machine").await,
        Err(ApiError::NotFound { .. })
    ));
    assert!(matches!(
        api.graph.user("nobody@contoso.com").await,
        Err(ApiError::NotFound { .. })
    ));
    assert!(
        api.defender
            .machines_by_aad_device_id("00000000-0000-0000-0000-000000000000")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        api.cas.get_alert("000000000000000000000000").await,
        Err(ApiError::NotFound { .. })
    ));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_second_scan_is_action_already_in_progress() {
    let mut scenario = scenario(30.0);
    scenario.actions.pending_secs = [600.0, 600.0];
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    let machine = scenario.machines[0].id.clone();

    api.defender
        .run_action(&machine, &scan("first", "k1"))
        .await
        .unwrap();
    let second = api
        .defender
        .run_action(&machine, &scan("second", "k2"))
        .await;

    match second {
        Err(error @ ApiError::ActionAlreadyInProgress { .. }) => {
            assert!(error.to_string().contains("already in progress"), "{error}");
        }
        other => panic!("expected ActionAlreadyInProgress, got {other:?}"),
    }
    assert_eq!(
        stat(&sim, "/action_posts_total"),
        2,
        "the refused POST was not replayed"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn forbidden_names_the_missing_permission() {
    let mut scenario = scenario(30.0);
    scenario.roles.defender = vec!["Machine.Read.All".to_string()];
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    let isolate = ActionRequest {
        kind: ActionRequestKind::Isolate {
            isolation_type: IsolationType::Full,
        },
        comment: "contain".into(),
        external_id: None,
    };

    let result = api
        .defender
        .run_action(&scenario.machines[0].id, &isolate)
        .await;

    match result {
        Err(error @ ApiError::Forbidden { .. }) => {
            let text = error.to_string();
            assert!(text.contains("Machine.Isolate"), "{text}");
            assert!(text.contains("isolate machine"), "{text}");
        }
        other => panic!("expected Forbidden, got {other:?}"),
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_and_token_errors() {
    let scenario = scenario(30.0);
    let sim = sim(scenario.clone()).await;
    let mut settings = api_common::settings(&sim, &scenario);
    settings.cas_auth =
        remedy::api::CasAuth::ApiToken(remedy::config::Secret::new("not-the-token"));
    settings.client_secret = remedy::config::Secret::new("wrong-secret-value");
    let api = remedy::api::Clients::new(settings).unwrap();

    let cas = api
        .cas
        .list_alerts_page(&AlertQuery::new(), 0)
        .await
        .unwrap_err();
    assert!(matches!(cas, ApiError::Unauthorized { .. }), "{cas:?}");
    let text = cas.to_string();
    assert!(
        !text.contains("not-the-token") && text.contains("API token"),
        "{text}"
    );

    let mde = api.defender.machines(None).await.unwrap_err();
    let text = mde.to_string();
    assert!(matches!(mde, ApiError::Token { .. }), "{mde:?}");
    assert!(
        text.contains("AADSTS7000215") || text.contains("client secret"),
        "{text}"
    );
    assert!(!text.contains("wrong-secret-value"), "{text}");
    sim.shutdown().await;
}

#[tokio::test]
async fn quotas_report_headroom() {
    let scenario = scenario(30.0);
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    api.defender.machines(None).await.unwrap();
    api.graph.user("alice@contoso.com").await.unwrap();

    let quotas = api.quotas();
    let defender = quotas.iter().find(|q| q.service == "defender").unwrap();
    assert_eq!(defender.remaining, defender.limit - 1);
    let graph = quotas.iter().find(|q| q.service == "graph").unwrap();
    assert_eq!(
        graph.remaining,
        graph.limit - 2,
        "a user lookup costs two units"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_helper_targets_one_service() {
    let scenario = scenario(30.0);
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    sim.set_faults(remedy::sim::Faults {
        error_share: 1.0,
        ..faults_for("graph")
    });
    assert!(api.defender.machines(None).await.is_ok());
    assert!(matches!(
        api.graph.user("alice@contoso.com").await,
        Err(ApiError::Server { .. })
    ));
    sim.shutdown().await;
}

#[tokio::test]
async fn policies_page_with_skip_and_limit_and_carry_the_bound_flow() {
    let mut scenario = scenario(600.0);
    let template = scenario.policies[0].clone();
    let seeded = scenario.policies.len();
    scenario.policies.extend((0..230).map(|i| {
        let mut policy = template.clone();
        policy.id = format!("{:024x}", 0xbeef_0000_u64 + i);
        policy.name = format!("Policy {i}");
        policy.flow_id = None;
        policy
    }));
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);

    let policies = api.cas.list_policies().await.unwrap();

    assert_eq!(policies.len(), seeded + 230);
    assert_eq!(
        stat(&sim, "/requests/GET ~1cas~1api~1v1~1policies~1/200"),
        3
    );
    let first = api.cas.get_policy(&template.id).await.unwrap();
    assert_eq!(first.bound_flow_ids(), template.flow_id.as_slice());
    assert!(policies.last().unwrap().bound_flow_ids().is_empty());
    sim.shutdown().await;
}
