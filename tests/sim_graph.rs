//! Graph over HTTP: users by UPN or id, device relationships with paging, 404 shape, token-bucket 429.

mod sim_common;

use serde_json::Value;
use sim_common::*;

#[tokio::test]
async fn users_and_their_devices() {
    let s = fast();
    let jurgen = s
        .users
        .iter()
        .find(|u| u.account_name == "juergen.mueller")
        .unwrap()
        .clone();
    let h = sim(s).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    for key in [
        jurgen.upn.clone(),
        jurgen.id.clone(),
        jurgen.upn.to_uppercase(),
    ] {
        let r = get(&format!("{}/v1.0/users/{key}", h.graph_url()), &graph).await;
        assert_eq!(r.status(), 200, "{key}");
        let u: Value = r.json().await.unwrap();
        assert_eq!(u["userPrincipalName"], jurgen.upn.as_str());
        assert_eq!(u["displayName"], "Jürgen Müller");
        assert!(
            u.get("onPremisesSamAccountName").is_none(),
            "not a default property"
        );
    }
    let r = get(
        &format!(
            "{}/v1.0/users/{}?$select=id,userPrincipalName,onPremisesSamAccountName",
            h.graph_url(),
            jurgen.upn
        ),
        &graph,
    )
    .await;
    let u: Value = r.json().await.unwrap();
    assert_eq!(u["onPremisesSamAccountName"], "juergen.mueller");
    assert!(u.get("displayName").is_none());

    // pages of two, joined by @odata.nextLink, for both relationships
    for rel in ["registeredDevices", "ownedDevices"] {
        let mut next = Some(format!("{}/v1.0/users/{}/{rel}", h.graph_url(), jurgen.upn));
        let mut all = Vec::new();
        while let Some(url) = next {
            let v: Value = get(&url, &graph).await.json().await.unwrap();
            assert!(v["value"].as_array().unwrap().len() <= 2);
            all.extend(v["value"].as_array().unwrap().iter().cloned());
            next = v["@odata.nextLink"].as_str().map(str::to_string);
            if let Some(n) = &next {
                assert!(n.contains("$skiptoken="), "{n}");
            }
        }
        for d in &all {
            assert_eq!(d["@odata.type"], "#microsoft.graph.device");
            assert!(d["deviceId"].is_string());
        }
    }
    let mut next = Some(format!(
        "{}/v1.0/users/alice@contoso.com/registeredDevices",
        h.graph_url()
    ));
    let mut pages = 0;
    while let Some(url) = next {
        let v: Value = get(&url, &graph).await.json().await.unwrap();
        pages += 1;
        next = v["@odata.nextLink"].as_str().map(str::to_string);
    }
    assert!(pages >= 2, "alice's three devices take two pages");
    h.shutdown().await;
}

#[tokio::test]
async fn unknown_users_get_request_resource_not_found() {
    let h = sim(fast()).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    for path in [
        "users/nobody@contoso.com",
        "users/guest@fabrikam.com/registeredDevices",
        "users/nobody/ownedDevices",
    ] {
        let r = get(&format!("{}/v1.0/{path}", h.graph_url()), &graph).await;
        assert_eq!(r.status(), 404, "{path}");
        let v: Value = r.json().await.unwrap();
        assert_shape(&v, &fixture("graph-error-not-found.json"), path);
        assert_eq!(v["error"]["code"], "Request_ResourceNotFound");
    }
    // a user with no devices is 200 with an empty list
    let r = get(
        &format!(
            "{}/v1.0/users/dana.scully@contoso.com/registeredDevices",
            h.graph_url()
        ),
        &graph,
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["value"].as_array().unwrap().is_empty());
    h.shutdown().await;
}

#[tokio::test]
async fn token_bucket_throttles_with_retry_after() {
    let mut s = fast();
    s.time_scale = 1.0;
    s.quotas.graph_bucket = 3;
    s.quotas.graph_refill_secs = 30.0;
    let h = sim(s).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    let url = format!(
        "{}/v1.0/users/alice@contoso.com/registeredDevices",
        h.graph_url()
    );
    let mut codes = Vec::new();
    for _ in 0..4 {
        codes.push(get(&url, &graph).await.status().as_u16());
    }
    assert_eq!(codes, vec![200, 200, 200, 429]);
    let r = get(&url, &graph).await;
    assert_eq!(r.status(), 429);
    let secs: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&secs));
    assert!(r.headers().contains_key("x-ms-throttle-scope"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "TooManyRequests");
    assert!(v["error"]["innerError"]["request-id"].is_string());
    h.shutdown().await;
}
