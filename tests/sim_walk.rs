//! Walks the demo path over HTTP: alert → user → devices → machines → scan → action lifecycle.

mod sim_common;

use serde_json::{Value, json};
use sim_common::*;

#[tokio::test]
async fn demo_path_end_to_end() {
    let h = sim(fast()).await;
    let mde = token(&h, MDE_SCOPE).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    let http = client();

    // 1. intake: open alerts of the two bound policies, oldest first, with the legacy token
    let r = http
        .post(format!("{}/api/v1/alerts/", h.cas_url()))
        .header("Authorization", "Token remedy-demo-token")
        .json(&json!({
            "filters": { "resolutionStatus": { "eq": [0] }, "date": { "gte": 0 },
                         "entity.policy": { "eq": ["5f01dce13de79160fbec4150", "5f01dce13de79160fbec4151"] } },
            "sortField": "date", "sortDirection": "asc", "limit": 100
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    assert_shape(&list, &fixture("cas-alerts-list.json"), "alerts");
    let alerts = list["data"].as_array().unwrap();
    assert!(alerts.len() >= 6, "backlog too small: {}", alerts.len());
    let ts: Vec<i64> = alerts
        .iter()
        .map(|a| a["timestamp"].as_i64().unwrap())
        .collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "not sorted ascending");
    let alice = alerts
        .iter()
        .find(|a| {
            a["entities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["id"] == "alice@contoso.com")
        })
        .expect("an alert for alice");
    assert_eq!(
        alice["policy"]["msFlowId"],
        "0d6c1f7e-51c7-4a1c-9a0e-6f3a2b1c0d9e"
    );

    // 2. devices of the user, following Graph's small pages
    let mut device_ids = Vec::new();
    let mut next = Some(format!(
        "{}/v1.0/users/alice@contoso.com/registeredDevices",
        h.graph_url()
    ));
    let mut pages = 0;
    while let Some(url) = next {
        let v: Value = get(&url, &graph).await.json().await.unwrap();
        assert_shape(&v, &fixture("graph-registered-devices.json"), "devices");
        for d in v["value"].as_array().unwrap() {
            device_ids.push(d["deviceId"].as_str().unwrap().to_string());
        }
        next = v["@odata.nextLink"].as_str().map(str::to_string);
        pages += 1;
    }
    assert!(!device_ids.is_empty());
    let owned: Value = get(
        &format!(
            "{}/v1.0/users/alice@contoso.com/ownedDevices",
            h.graph_url()
        ),
        &graph,
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(owned["value"].is_array());
    assert!(pages >= 1);

    // 3. machines by Entra device id; keep live records
    let mut live = Vec::new();
    for d in &device_ids {
        let url = format!(
            "{}/api/machines?$filter=aadDeviceId eq '{d}'",
            h.defender_url()
        );
        let v: Value = get(&url, &mde).await.json().await.unwrap();
        assert_shape(&v, &fixture("mde-machines-list.json"), "machines");
        for m in v["value"].as_array().unwrap() {
            assert_eq!(m["aadDeviceId"], d.as_str());
            if m["isExcluded"] == false {
                live.push(m["id"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(
        !live.is_empty() && live.len() <= 3,
        "alice has 1-3 live machines, got {}",
        live.len()
    );
    let by_account: Value = get(
        &format!("{}/api/users/alice/machines", h.defender_url()),
        &mde,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_shape(
        &by_account,
        &fixture("mde-user-machines.json"),
        "user machines",
    );
    for id in &live {
        assert!(
            by_account["value"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["id"] == id.as_str())
        );
    }

    // 4. scan each live machine and follow the action to its end
    for id in &live {
        let r = post(
            &format!("{}/api/machines/{id}/runAntiVirusScan", h.defender_url()),
            &mde,
            json!({ "Comment": format!("Antivirus scan for alert {} [remedy:{id}]", alice["_id"]), "ScanType": "Full" }),
        )
        .await;
        assert_eq!(r.status(), 201);
        let action: Value = r.json().await.unwrap();
        assert_shape(&action, &fixture("mde-machineaction-scan.json"), "action");
        assert_eq!(action["status"], "Pending");
        assert_eq!(action["scope"], "Full");
        let seen = follow_action(&h, &mde, action["id"].as_str().unwrap()).await;
        assert_eq!(seen.last().unwrap(), "Succeeded", "{seen:?}");
        let order = ["Pending", "InProgress", "Succeeded"];
        let idx: Vec<usize> = seen
            .iter()
            .map(|s| order.iter().position(|o| o == s).unwrap())
            .collect();
        assert!(
            idx.windows(2).all(|w| w[0] < w[1]),
            "states went backwards: {seen:?}"
        );
    }

    // 5. the action list filtered by machine
    let url = format!(
        "{}/api/machineactions?$filter=machineId eq '{}' and type eq 'RunAntiVirusScan'",
        h.defender_url(),
        live[0]
    );
    let v: Value = get(&url, &mde).await.json().await.unwrap();
    assert_shape(&v, &fixture("mde-machineactions-list.json"), "actions");
    assert_eq!(v["value"].as_array().unwrap().len(), 1);

    // 6. policies, and the counters
    let pol: Value = http
        .get(format!("{}/api/v1/policies/", h.cas_url()))
        .header("Authorization", "token remedy-demo-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_shape(&pol, &fixture("cas-policies-list.json"), "policies");
    let stats = h.stats();
    assert_eq!(stats["action_posts_total"], live.len());
    assert_eq!(stats["duplicate_submissions"], 0);
    assert_eq!(
        stats["requests"]["POST /mde/api/machines/{id}/runAntiVirusScan"]["201"],
        live.len()
    );
    h.shutdown().await;
}
