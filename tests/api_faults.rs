//! API clients under the simulator's fault switches: 429 storms, 5xx, resets, malformed JSON, expiring tokens.

mod api_common;

use std::time::Duration;

use api_common::{clients, faults_for, scenario, sim, stat};
use remedy::api::{ActionRequest, ActionRequestKind, AlertQuery, ApiError, ScanType};

fn scan(key: &str) -> ActionRequest {
    ActionRequest {
        kind: ActionRequestKind::AntivirusScan {
            scan_type: ScanType::Quick,
        },
        comment: "fault test".to_string(),
        external_id: Some(key.to_string()),
    }
}

#[tokio::test]
async fn a_429_storm_is_survived_without_exceeding_the_quota() {
    // 30 calls per simulated minute = 30 per second: a loop without the client quota would exceed it.
    let scenario = scenario(60.0);
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    sim.set_faults(remedy::sim::Faults {
        throttle_share: 0.1,
        ..faults_for("cas")
    });

    for _ in 0..60 {
        api.cas
            .list_alerts_page(&AlertQuery::new().limit(5), 0)
            .await
            .unwrap();
    }

    let storm = stat(&sim, "/faults_injected/throttle");
    assert!(storm > 0, "the storm happened");
    assert_eq!(
        stat(&sim, "/throttled_by_service/cas"),
        storm,
        "every 429 came from the storm, none from the service quota"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn server_errors_are_retried_for_reads() {
    let scenario = scenario(30.0);
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    sim.set_faults(remedy::sim::Faults {
        error_share: 0.4,
        ..faults_for("mde")
    });

    for _ in 0..10 {
        api.defender.machines(None).await.unwrap();
    }
    assert!(stat(&sim, "/faults_injected/server_error") > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn actions_are_not_replayed_after_a_server_error_or_reset() {
    let scenario = scenario(30.0);
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    let machines: Vec<String> = scenario.machines.iter().map(|m| m.id.clone()).collect();

    sim.set_faults(remedy::sim::Faults {
        error_share: 1.0,
        ..faults_for("mde")
    });
    let error = api
        .defender
        .run_action(&machines[0], &scan("k5xx"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ApiError::Server { attempts: 1, .. }),
        "{error:?}"
    );

    sim.set_faults(remedy::sim::Faults {
        reset_share: 1.0,
        ..faults_for("mde")
    });
    let error = api
        .defender
        .run_action(&machines[1], &scan("kreset"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::Transport {
                maybe_sent: true,
                ..
            }
        ),
        "{error:?}"
    );

    sim.set_faults(remedy::sim::Faults::default());
    let actions = api.defender.machine_actions(None).await.unwrap();
    assert!(
        actions
            .iter()
            .any(|a| a.idempotency_key() == Some("kreset")),
        "the reset POST took effect"
    );
    assert_eq!(stat(&sim, "/duplicate_submissions"), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn reads_survive_dropped_connections() {
    let scenario = scenario(30.0);
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    sim.set_faults(remedy::sim::Faults {
        reset_share: 0.4,
        ..faults_for("graph")
    });
    for _ in 0..8 {
        api.graph
            .registered_devices("alice@contoso.com")
            .await
            .unwrap();
    }
    assert!(stat(&sim, "/faults_injected/reset") > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let scenario = scenario(30.0);
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    sim.set_faults(remedy::sim::Faults {
        malformed_share: 1.0,
        ..faults_for("mde")
    });

    match api.defender.machines(None).await {
        Err(error @ ApiError::Decode { .. }) => {
            let ApiError::Decode { snippet, .. } = &error else {
                unreachable!()
            };
            assert!(!snippet.is_empty() && snippet.len() <= 210, "{snippet}");
            assert!(
                error
                    .to_string()
                    .contains("Defender for Endpoint list machines"),
                "{error}"
            );
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn an_expiring_token_is_renewed_mid_run() {
    let scenario = scenario(30.0);
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    sim.set_faults(remedy::sim::Faults {
        token_lifetime_secs: Some(2),
        ..faults_for("login")
    });

    // Tokens live 2 s and are renewed after 1 s: six calls 0.7 s apart span three tokens or more.
    for _ in 0..6 {
        api.defender.machines(None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert!(stat(&sim, "/tokens_issued") >= 3, "{}", sim.stats());
    assert_eq!(
        stat(&sim, "/requests/GET ~1mde~1api~1machines/401"),
        0,
        "renewed before expiry"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_then_unauthorized() {
    let scenario = scenario(30.0);
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);

    // Tokens that are dead on arrival (and claim no lifetime): the service refuses them.
    sim.set_faults(remedy::sim::Faults {
        token_lifetime_secs: Some(0),
        ..faults_for("login")
    });
    let error = api.defender.machines(None).await.unwrap_err();
    assert!(matches!(error, ApiError::Unauthorized { .. }), "{error:?}");
    assert_eq!(stat(&sim, "/tokens_issued"), 2, "one renewal, then give up");

    // The cached token is still refused; one renewal with good tokens fixes it.
    sim.set_faults(remedy::sim::Faults::default());
    api.defender.machines(None).await.unwrap();
    assert_eq!(stat(&sim, "/tokens_issued"), 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_throttled_action_post_is_sent_again_and_lands_once() {
    let scenario = scenario(30.0);
    let sim = sim(scenario.clone()).await;
    let api = clients(&sim, &scenario);
    sim.set_faults(remedy::sim::Faults {
        throttle_share: 0.5,
        ..faults_for("mde")
    });

    for (i, machine) in scenario.machines.iter().take(3).enumerate() {
        api.defender
            .run_action(&machine.id, &scan(&format!("k429-{i}")))
            .await
            .unwrap();
    }
    sim.set_faults(remedy::sim::Faults::default());

    assert_eq!(stat(&sim, "/action_posts_total"), 3, "{}", sim.stats());
    assert_eq!(stat(&sim, "/duplicate_submissions"), 0);
    sim.shutdown().await;
}

/// Real time and no client quota: the 31st call in a minute meets the service's own 429, whose
/// `Retry-After` (seconds, or an HTTP date) asks for more than the longest wait, so the call ends at once.
async fn throttled_at_once_by_a_long_retry_after(as_date: bool) {
    let scenario = scenario(1.0);
    let sim = sim(scenario.clone()).await;
    sim.set_faults(remedy::sim::Faults {
        retry_after_as_date: as_date,
        ..faults_for("cas")
    });
    let mut settings = api_common::settings(&sim, &scenario);
    settings.quotas.cas.clear();
    let api = remedy::api::Clients::new(settings).unwrap();

    let mut outcome = Ok(());
    for _ in 0..=scenario.quotas.cas_per_minute {
        outcome = api.cas.get_alert(&scenario.alerts[0].id).await.map(|_| ());
        if outcome.is_err() {
            break;
        }
    }

    match outcome {
        Err(ApiError::Throttled {
            attempts: 1,
            retry_after: Some(wait),
            ..
        }) => assert!(wait > Duration::from_secs(10), "{wait:?}"),
        other => panic!("expected Throttled at once, got {other:?}"),
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_retry_after_beyond_the_longest_wait_ends_the_call_at_once() {
    throttled_at_once_by_a_long_retry_after(false).await;
}

#[tokio::test]
async fn a_retry_after_given_as_an_http_date_is_read_over_the_wire() {
    throttled_at_once_by_a_long_retry_after(true).await;
}

#[tokio::test]
async fn slow_answers_time_out_and_actions_are_not_replayed() {
    let scenario = scenario(30.0);
    let sim = sim(scenario.clone()).await;
    let mut settings = api_common::settings(&sim, &scenario);
    settings.timeout = Duration::from_millis(300);
    settings.retry.max_attempts = 3;
    let api = remedy::api::Clients::new(settings).unwrap();
    api.defender.machines(None).await.unwrap();
    sim.set_faults(remedy::sim::Faults {
        latency_ms: 1500,
        ..faults_for("mde")
    });

    let read = api.defender.machines(None).await.unwrap_err();
    assert!(
        matches!(
            read,
            ApiError::Transport {
                maybe_sent: true,
                ..
            }
        ),
        "{read:?}"
    );
    assert!(read.to_string().contains("timed out"), "{read}");

    let action = api
        .defender
        .run_action(&scenario.machines[0].id, &scan("kslow"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            action,
            ApiError::Transport {
                maybe_sent: true,
                ..
            }
        ),
        "{action:?}"
    );
    sim.set_faults(remedy::sim::Faults::default());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        stat(&sim, "/action_posts_total") <= 1,
        "the action POST was sent once at most"
    );
    assert_eq!(stat(&sim, "/duplicate_submissions"), 0);
    sim.shutdown().await;
}
