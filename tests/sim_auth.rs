//! The token authority and bearer checks: scopes, v1 resources, Entra error bodies, audiences, expiry.

mod sim_common;

use remedy::sim::Faults;
use serde_json::{Value, json};
use sim_common::*;

async fn token_call(h: &remedy::sim::SimHandle, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = client()
        .post(format!("{}{path}", h.authority_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn creds<'a>(scope: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", "remedy-demo"),
        ("client_secret", secret),
        ("scope", scope),
    ]
}

#[tokio::test]
async fn every_documented_scope_gets_a_token() {
    let h = sim(fast()).await;
    for scope in [
        MDE_SCOPE,
        "https://api.security.microsoft.com/.default",
        "https://securitycenter.onmicrosoft.com/windowsatpservice/.default",
        GRAPH_SCOPE,
        CAS_SCOPE,
    ] {
        let (status, v) = token_call(
            &h,
            "/contoso/oauth2/v2.0/token",
            &creds(scope, "remedy-demo-secret"),
        )
        .await;
        assert_eq!(status, 200, "{scope}: {v}");
        assert_shape(&v, &fixture("mde-token.json"), scope);
        assert_eq!(v["expires_in"], 300);
    }
    let (status, v) = token_call(
        &h,
        "/contoso.onmicrosoft.com/oauth2/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "remedy-demo"),
            ("client_secret", "remedy-demo-secret"),
            ("resource", "https://api.securitycenter.microsoft.com"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["access_token"].is_string() && v["expires_on"].is_string());
    assert_eq!(h.stats()["tokens_issued"], 6);
    h.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_get_entra_errors() {
    let h = sim(fast()).await;
    let path = "/contoso/oauth2/v2.0/token";
    let (s, v) = token_call(&h, path, &creds(MDE_SCOPE, "wrong")).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (401, "invalid_client"));
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215"),
        "{v}"
    );
    assert_eq!(v["error_codes"], json!([7000215]));

    let (s, v) = token_call(
        &h,
        "/fabrikam/oauth2/v2.0/token",
        &creds(MDE_SCOPE, "remedy-demo-secret"),
    )
    .await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_request"));
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS90002")
    );

    let mut form = creds(MDE_SCOPE, "remedy-demo-secret");
    form[1] = ("client_id", "someone-else");
    let (s, v) = token_call(&h, path, &form).await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "unauthorized_client")
    );

    let (s, v) = token_call(
        &h,
        path,
        &creds("https://example.com/.default", "remedy-demo-secret"),
    )
    .await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_scope"));

    let (s, v) = token_call(&h, path, &creds(MDE_SCOPE, "remedy-demo-secret")[1..]).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_request"));
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("grant_type")
    );
    h.shutdown().await;
}

#[tokio::test]
async fn tokens_only_open_their_own_service() {
    let h = sim(fast()).await;
    let graph = token(&h, GRAPH_SCOPE).await;
    let r = get(&format!("{}/api/machines", h.defender_url()), &graph).await;
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "Unauthorized");
    assert!(v["error"]["target"].is_string());

    let r = get(&format!("{}/api/machines", h.defender_url()), "made-up").await;
    assert_eq!(r.status(), 401);
    let r = get(
        &format!("{}/v1.0/users/alice@contoso.com", h.graph_url()),
        "made-up",
    )
    .await;
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "InvalidAuthenticationToken");
    assert!(v["error"]["innerError"]["request-id"].is_string());

    // Cloud App Security takes its legacy token (any scheme case) and its own OAuth bearer
    let cas = token(&h, CAS_SCOPE).await;
    let alerts = format!("{}/cas/api/v1/alerts/?limit=1", h.cas_url());
    for auth in [
        "Token remedy-demo-token",
        "token remedy-demo-token",
        "TOKEN remedy-demo-token",
        &format!("Bearer {cas}"),
    ] {
        let r = client()
            .get(&alerts)
            .header("Authorization", auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{auth}");
    }
    for auth in [
        "Token nope",
        &format!("Bearer {graph}"),
        "remedy-demo-token",
    ] {
        let r = client()
            .get(&alerts)
            .header("Authorization", auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{auth}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"].is_string());
    }
    h.shutdown().await;
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let h = sim(fast()).await;
    h.set_faults(Faults {
        token_lifetime_secs: Some(0),
        ..Faults::default()
    });
    let mde = token(&h, MDE_SCOPE).await;
    let r = get(&format!("{}/api/machines", h.defender_url()), &mde).await;
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("expired"));
    h.set_faults(Faults::default());
    let mde = token(&h, MDE_SCOPE).await;
    assert_eq!(
        get(&format!("{}/api/machines", h.defender_url()), &mde)
            .await
            .status(),
        200
    );
    h.shutdown().await;
}

#[tokio::test]
async fn roles_come_from_the_scenario() {
    let mut s = fast();
    s.roles.defender.retain(|r| r != "Machine.Isolate");
    s.roles.graph.clear();
    let h = sim(s).await;
    let mde = token(&h, MDE_SCOPE).await;
    let machine = "alice-lt1";
    let r = post(
        &format!("{}/api/machines/{machine}/isolate", h.defender_url()),
        &mde,
        json!({ "Comment": "contain", "IsolationType": "Full" }),
    )
    .await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_shape(&v, &fixture("mde-error-forbidden.json"), "forbidden");
    assert_eq!(v["error"]["code"], "Forbidden");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Machine.Isolate")
    );

    let graph = token(&h, GRAPH_SCOPE).await;
    let r = get(
        &format!("{}/v1.0/users/alice@contoso.com", h.graph_url()),
        &graph,
    )
    .await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "Authorization_RequestDenied");
    h.shutdown().await;
}
