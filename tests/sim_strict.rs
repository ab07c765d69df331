//! The strict profile over HTTP: refused query forms answer 400 with an OData error, the documented
//! forms work, every list pages small and completely, tokens are short-lived, and remedy's clients cope.

mod api_common;
mod sim_common;

use remedy::api::AlertQuery;
use remedy::sim::{Scenario, SimHandle};
use serde_json::{Value, json};
use sim_common::{CAS_SCOPE, GRAPH_SCOPE, MDE_SCOPE, client, fast, get, post, token, token_reply};

fn strict(mut s: Scenario) -> Scenario {
    s.strict = true;
    s
}

async fn query(h: &SimHandle, bearer: &str, path_and_query: &str) -> (u16, Value) {
    let r = get(&format!("{}{path_and_query}", h.defender_url()), bearer).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

fn values(v: &Value) -> &Vec<Value> {
    v["value"].as_array().unwrap()
}

/// Follows `@odata.nextLink` from `first`; returns every page's size and all items.
async fn pages(first: &str, bearer: &str) -> (Vec<usize>, Vec<Value>) {
    let (mut sizes, mut items) = (Vec::new(), Vec::new());
    let mut url = first.to_string();
    loop {
        let r = get(&url, bearer).await;
        assert_eq!(r.status(), 200, "{url}");
        let v: Value = r.json().await.unwrap();
        sizes.push(values(&v).len());
        items.extend(values(&v).iter().cloned());
        match v["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => return (sizes, items),
        }
        assert!(sizes.len() < 500, "paging does not end");
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// An Entra device id two machine records share (the live one and a stale duplicate merged into it).
fn duplicated_aad(s: &Scenario) -> String {
    s.machines
        .iter()
        .find(|m| m.merged_into.is_some())
        .and_then(|m| m.aad_device_id.clone())
        .unwrap()
}

/// Submits a quick scan on each of the first `n` live machines; returns their ids.
async fn scan_some(h: &SimHandle, s: &Scenario, mde: &str, n: usize) -> Vec<String> {
    let live: Vec<String> = s
        .machines
        .iter()
        .filter(|m| !m.offline && !m.excluded && m.merged_into.is_none())
        .take(n)
        .map(|m| m.id.clone())
        .collect();
    for id in &live {
        let r = post(
            &format!("{}/api/machines/{id}/runAntiVirusScan", h.defender_url()),
            mde,
            json!({"Comment": "strict profile test", "ScanType": "Quick"}),
        )
        .await;
        assert_eq!(r.status(), 201);
    }
    live
}

#[tokio::test]
async fn richer_queries_are_refused_with_an_odata_error_and_the_lenient_profile_takes_them() {
    let s = fast();
    let aad = duplicated_aad(&s);
    let refused_on_machines = [
        format!("aadDeviceId eq '{aad}' or aadDeviceId eq '{aad}'"),
        format!("aadDeviceId in ('{aad}')"),
        "healthStatus ne 'Active'".to_string(),
        "lastSeen gt 2018-08-01Z".to_string(),
        "lastSeen ge 2018-08-01Z".to_string(),
        "lastSeen lt 2099-08-01Z".to_string(),
        "lastSeen le 2099-08-01Z".to_string(),
        "not healthStatus eq 'Inactive'".to_string(),
        format!("(aadDeviceId eq '{aad}')"),
        "startswith(computerDnsName,'alice')".to_string(),
        "machineTags/any(t: t eq 'VIP')".to_string(),
    ];
    for profile_strict in [true, false] {
        let mut scenario = s.clone();
        scenario.strict = profile_strict;
        let h = api_common::sim(scenario.clone()).await;
        let mde = token(&h, MDE_SCOPE).await;
        let actions = scan_some(&h, &scenario, &mde, 2).await;
        let mut refused: Vec<String> = refused_on_machines
            .iter()
            .map(|f| format!("/api/machines?$filter={f}"))
            .collect();
        refused.extend([
            format!("/api/machineactions?$filter=id eq '{}'", actions[0]),
            "/api/machineactions?$filter=creationDateTimeUtc ge 2020-01-01T00:00:00Z".to_string(),
            "/api/machineactions?$filter=status eq 'Pending' or status eq 'InProgress'".to_string(),
            format!(
                "/api/machineactions?$filter=machineId eq '{}' and (type eq 'RunAntiVirusScan')",
                actions[0]
            ),
            "/api/users/alice/machines?$filter=healthStatus ne 'Active'".to_string(),
        ]);
        for path in &refused {
            let (status, body) = query(&h, &mde, path).await;
            if !profile_strict {
                // `in` is no OData Defender knows in either profile
                let expected = if path.contains(" in (") { 400 } else { 200 };
                assert_eq!(status, expected, "lenient: {path}: {body}");
                continue;
            }
            assert_eq!(status, 400, "strict: {path}: {body}");
            let code = body["error"]["code"].as_str().unwrap_or_default();
            assert!(
                ["ODataError", "BadRequest", "InvalidInput"].contains(&code),
                "{path}: {body}"
            );
            assert!(
                !body["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .is_empty(),
                "{path}: {body}"
            );
        }
        h.shutdown().await;
    }
}

#[tokio::test]
async fn the_documented_forms_work() {
    let s = strict(fast());
    let aad = duplicated_aad(&s);
    let h = api_common::sim(s.clone()).await;
    let mde = token(&h, MDE_SCOPE).await;
    for filter in [
        format!("aadDeviceId eq '{aad}'"),
        format!("aadDeviceId eq {aad}"),
    ] {
        let (_, found) = pages(
            &format!("{}/api/machines?$filter={filter}", h.defender_url()),
            &mde,
        )
        .await;
        assert_eq!(found.len(), 2, "live record and stale duplicate: {filter}");
        assert!(found.iter().all(|m| m["aadDeviceId"] == aad.as_str()));
    }
    let (status, v) = query(
        &h,
        &mde,
        "/api/machines?$filter=computerDnsName eq 'alice-lt1.contoso.com' and healthStatus eq 'Active'",
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(values(&v).len(), 1);

    let scanned = scan_some(&h, &s, &mde, 3).await;
    let filter = format!(
        "machineId eq '{}' and type eq 'RunAntiVirusScan' and status eq 'Pending'",
        scanned[1]
    );
    let (status, v) = query(&h, &mde, &format!("/api/machineactions?$filter={filter}")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(values(&v).len(), 1);
    assert_eq!(values(&v)[0]["machineId"], scanned[1].as_str());
    let id = values(&v)[0]["id"].as_str().unwrap().to_string();
    let (status, one) = query(&h, &mde, &format!("/api/machineactions/{id}")).await;
    assert_eq!((status, one["id"].as_str()), (200, Some(id.as_str())));
    h.shutdown().await;
}

#[tokio::test]
async fn defender_lists_page_small_and_completely_whatever_top_asks() {
    let base = fast();
    let lenient = api_common::sim(base.clone()).await;
    let strict_sim = api_common::sim(strict(base.clone())).await;
    let (lt, st) = (
        token(&lenient, MDE_SCOPE).await,
        token(&strict_sim, MDE_SCOPE).await,
    );
    scan_some(&strict_sim, &base, &st, 7).await;
    scan_some(&lenient, &base, &lt, 7).await;
    for (path, largest) in [
        ("/api/machines?$top=10000", 3),
        ("/api/machines", 3),
        ("/api/machineactions?$top=100", 2),
        ("/api/users/alice/machines", 2),
    ] {
        let (sizes, items) = pages(&format!("{}{path}", strict_sim.defender_url()), &st).await;
        let (_, all) = pages(&format!("{}{path}", lenient.defender_url()), &lt).await;
        assert!(sizes.iter().all(|n| *n <= largest), "{path}: {sizes:?}");
        assert!(sizes.len() > 1, "{path}: more than one page: {sizes:?}");
        if path.contains("machineactions") {
            // action ids are drawn per simulator; the count is what must match
            assert_eq!(items.len(), all.len(), "{path}");
        } else {
            assert_eq!(ids(&items), ids(&all), "{path}: every item, once");
        }
    }
    lenient.shutdown().await;
    strict_sim.shutdown().await;
}

#[tokio::test]
async fn graph_pages_one_device_and_cas_caps_its_alert_pages() {
    let s = strict(fast());
    let h = api_common::sim(s.clone()).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    let (sizes, devices) = pages(
        &format!(
            "{}/v1.0/users/alice@contoso.com/registeredDevices?$top=50",
            h.graph_url()
        ),
        &graph,
    )
    .await;
    let owned = s
        .devices
        .iter()
        .filter(|d| d.owner == "alice@contoso.com" && d.relation != "owned")
        .count();
    assert!(owned >= 2);
    assert_eq!(devices.len(), owned);
    assert!(sizes.iter().all(|n| *n == 1), "{sizes:?}");

    let (mut skip, mut seen) = (0, 0);
    let total = loop {
        let v: Value = client()
            .post(format!("{}/api/v1/alerts/", h.cas_url()))
            .header("Authorization", "Token remedy-demo-token")
            .json(&json!({"skip": skip, "limit": 100}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let n = v["data"].as_array().unwrap().len();
        assert!(n <= 5, "{n} alerts in one page");
        seen += n;
        skip += n;
        if v["hasNext"] != true {
            break v["total"].as_u64().unwrap();
        }
    };
    assert!(total > 5);
    assert_eq!(seen as u64, total);
    h.shutdown().await;
}

#[tokio::test]
async fn tokens_are_short_lived_only_under_the_strict_profile() {
    for (strict_profile, lifetime) in [(true, 120), (false, 300)] {
        let mut s = fast();
        s.strict = strict_profile;
        let h = api_common::sim(s).await;
        for scope in [MDE_SCOPE, GRAPH_SCOPE, CAS_SCOPE] {
            let v = token_reply(&h.authority_url(), scope).await;
            assert_eq!(v["expires_in"], lifetime, "{scope}");
        }
        h.shutdown().await;
    }
}

#[tokio::test]
async fn remedys_clients_follow_every_strict_page_on_one_token_per_service() {
    let s = strict(fast());
    let aad = duplicated_aad(&s);
    let h = api_common::sim(s.clone()).await;
    let clients = api_common::clients(&h, &s);
    let machines = clients.defender.machines(None).await.unwrap();
    assert!(machines.len() >= 120, "{}", machines.len());
    let alice = clients.defender.machines_by_aad_device_id(&aad).await;
    assert_eq!(alice.unwrap().len(), 2);
    assert!(
        !clients
            .defender
            .user_machines("alice")
            .await
            .unwrap()
            .is_empty()
    );
    let devices = clients
        .graph
        .registered_devices("alice@contoso.com")
        .await
        .unwrap();
    assert!(devices.len() >= 2);
    let alerts = clients.cas.list_alerts(&AlertQuery::new()).await.unwrap();
    assert_eq!(alerts.len(), s.alerts.len());
    // two services behind bearer tokens, each token lasting 120 s: one each, not one per call
    assert_eq!(api_common::stat(&h, "/tokens_issued"), 2);
    h.shutdown().await;
}

/// `remedy sim --strict` prints its base URL and serves the strict profile.
#[tokio::test]
async fn remedy_sim_strict_serves_the_strict_profile() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_remedy"))
        .args(["sim", "--strict"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    let v = token_reply(&format!("{base}/login"), MDE_SCOPE).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(v["expires_in"], 120, "{v}");
}
