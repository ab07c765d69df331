//! Defender over HTTP: machine queries, users, actions and their rules, cancel, lifecycle, quotas, errors.

mod sim_common;

use remedy::sim::{Faults, Scenario, SimHandle};
use serde_json::{Value, json};
use sim_common::*;

async fn query(h: &SimHandle, mde: &str, path_and_query: &str) -> (u16, Value) {
    let r = get(&format!("{}{path_and_query}", h.defender_url()), mde).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn act(h: &SimHandle, mde: &str, machine: &str, action: &str, body: Value) -> (u16, Value) {
    let r = post(
        &format!("{}/api/machines/{machine}/{action}", h.defender_url()),
        mde,
        body,
    )
    .await;
    (r.status().as_u16(), r.json().await.unwrap())
}

fn live_machine(s: &Scenario, n: usize) -> String {
    s.machines
        .iter()
        .filter(|m| !m.offline && !m.excluded && m.aad_device_id.is_some())
        .nth(n)
        .unwrap()
        .id
        .clone()
}

fn values(v: &Value) -> &Vec<Value> {
    v["value"].as_array().unwrap()
}

#[tokio::test]
async fn machine_queries() {
    let s = fast();
    let dup = s
        .machines
        .iter()
        .find(|m| m.merged_into.is_some())
        .unwrap()
        .clone();
    let aad = dup.aad_device_id.clone().unwrap();
    let h = sim(s).await;
    let mde = token(&h, MDE_SCOPE).await;

    let (st, all) = query(&h, &mde, "/api/machines").await;
    assert_eq!(st, 200);
    assert_shape(&all, &fixture("mde-machines-list.json"), "machines");
    let n = values(&all).len();
    assert!(n >= 120);

    for q in [
        format!("aadDeviceId eq '{aad}'"),
        format!("aadDeviceId eq {aad}"),
    ] {
        let (st, v) = query(&h, &mde, &format!("/api/machines?$filter={q}")).await;
        assert_eq!(st, 200, "{q}");
        assert_eq!(
            values(&v).len(),
            2,
            "a live record and its stale duplicate: {q}"
        );
        assert!(
            values(&v)
                .iter()
                .any(|m| m["mergedIntoMachineId"] == dup.merged_into.clone().unwrap().as_str())
        );
    }
    let (_, none) = query(
        &h,
        &mde,
        "/api/machines?$filter=aadDeviceId eq '00000000-0000-0000-0000-000000000000'",
    )
    .await;
    assert!(values(&none).is_empty());

    let (_, tier0) = query(
        &h,
        &mde,
        "/api/machines?$filter=machineTags/any(t: t eq 'Tier0')",
    )
    .await;
    assert!(values(&tier0).len() >= 4);
    assert!(values(&tier0).iter().all(|m| {
        m["machineTags"]
            .as_array()
            .unwrap()
            .contains(&json!("Tier0"))
    }));
    let (_, dcs) = query(
        &h,
        &mde,
        "/api/machines?$filter=startswith(computerDnsName,'dc0')",
    )
    .await;
    assert_eq!(values(&dcs).len(), 4);
    let (_, or) = query(&h, &mde, "/api/machines?$filter=startswith(computerDnsName,'dc01') or startswith(computerDnsName,'dc02')").await;
    assert_eq!(values(&or).len(), 2);
    let (_, inactive) = query(
        &h,
        &mde,
        "/api/machines?$filter=healthStatus ne 'Active' and osPlatform eq 'Windows10'",
    )
    .await;
    assert!(
        values(&inactive)
            .iter()
            .all(|m| m["healthStatus"] != "Active" && m["osPlatform"] == "Windows10")
    );
    let (_, recent) = query(&h, &mde, "/api/machines?$filter=lastSeen gt 2018-08-01Z").await;
    assert_eq!(values(&recent).len(), n);
    let (_, no_aad) = query(&h, &mde, "/api/machines?$filter=aadDeviceId eq null").await;
    assert!(!values(&no_aad).is_empty());

    // paging with $top/$skip and @odata.nextLink
    let mut seen = Vec::new();
    let mut next = Some(format!("{}/api/machines?$top=50", h.defender_url()));
    while let Some(url) = next {
        let v: Value = get(&url, &mde).await.json().await.unwrap();
        seen.extend(values(&v).iter().map(|m| m["id"].clone()));
        next = v["@odata.nextLink"].as_str().map(str::to_string);
    }
    assert_eq!(
        seen,
        values(&all)
            .iter()
            .map(|m| m["id"].clone())
            .collect::<Vec<_>>()
    );
    let (st, v) = query(&h, &mde, "/api/machines?$top=10001").await;
    assert_eq!(st, 400);
    assert_eq!(v["error"]["code"], "InvalidInput");
    for bad in [
        "colour eq 'red'",
        "aadDeviceId eq",
        "aadDeviceId like 'x'",
        "startswith(computerDnsName",
    ] {
        let (st, v) = query(&h, &mde, &format!("/api/machines?$filter={bad}")).await;
        assert_eq!(st, 400, "{bad}");
        assert!(v["error"]["target"].is_string());
    }

    // by id, by computer name, unknown
    let id = values(&dcs)[0]["id"].as_str().unwrap().to_string();
    let dns = values(&dcs)[0]["computerDnsName"]
        .as_str()
        .unwrap()
        .to_string();
    for key in [
        id.clone(),
        dns.clone(),
        dns.split('.').next().unwrap().to_uppercase(),
    ] {
        let (st, m) = query(&h, &mde, &format!("/api/machines/{key}")).await;
        assert_eq!((st, m["id"].as_str().unwrap()), (200, id.as_str()), "{key}");
    }
    let (st, v) = query(
        &h,
        &mde,
        "/api/v1.0/machines/ffffffffffffffffffffffffffffffffffffffff",
    )
    .await;
    assert_eq!(
        (st, v["error"]["code"].as_str().unwrap()),
        (404, "ResourceNotFound")
    );

    // logon users
    let (st, users) = query(&h, &mde, &format!("/api/machines/{id}/logonusers")).await;
    assert_eq!(st, 200);
    assert!(
        values(&users)
            .iter()
            .all(|u| u["accountName"].is_string() && u["id"].as_str().unwrap().contains('\\'))
    );
    assert_eq!(
        query(&h, &mde, "/api/machines/nope/logonusers").await.0,
        404
    );

    // users/{account}/machines: account names only; UPN or unknown → 200 empty
    let (_, alice) = query(&h, &mde, "/api/users/alice/machines").await;
    assert!(!values(&alice).is_empty());
    for who in ["alice@contoso.com", "nobody"] {
        let (st, v) = query(&h, &mde, &format!("/api/users/{who}/machines")).await;
        assert_eq!((st, values(&v).len()), (200, 0), "{who}");
    }
    h.shutdown().await;
}

#[tokio::test]
async fn no_recent_machines_is_a_404() {
    let mut s = fast();
    for m in &mut s.machines {
        m.last_seen_hours_ago = 24.0 * 400.0;
    }
    let h = sim(s).await;
    let mde = token(&h, MDE_SCOPE).await;
    let (st, v) = query(&h, &mde, "/api/machines").await;
    assert_eq!(
        (st, v["error"]["code"].as_str().unwrap()),
        (404, "ResourceNotFound")
    );
    h.shutdown().await;
}

#[tokio::test]
async fn every_action_runs_and_one_per_family_is_open() {
    let s = fast();
    let (m0, m1) = (live_machine(&s, 0), live_machine(&s, 1));
    let h = sim(s).await;
    let mde = token(&h, MDE_SCOPE).await;
    let sha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
    let cases = [
        (
            "runAntiVirusScan",
            json!({ "Comment": "scan", "ScanType": "Quick" }),
            "RunAntiVirusScan",
            json!("Quick"),
        ),
        (
            "isolate",
            json!({ "Comment": "contain", "IsolationType": "Selective" }),
            "Isolate",
            json!("Selective"),
        ),
        (
            "restrictCodeExecution",
            json!({ "Comment": "restrict" }),
            "RestrictCodeExecution",
            Value::Null,
        ),
        (
            "collectInvestigationPackage",
            json!({ "Comment": "collect" }),
            "CollectInvestigationPackage",
            Value::Null,
        ),
        (
            "StopAndQuarantineFile",
            json!({ "Comment": "stop", "Sha1": sha1 }),
            "StopAndQuarantineFile",
            Value::Null,
        ),
    ];
    let mut ids = Vec::new();
    for (path, body, kind, scope) in &cases {
        let (st, a) = act(&h, &mde, &m0, path, body.clone()).await;
        assert_eq!(st, 201, "{path}: {a}");
        assert_shape(&a, &fixture("mde-machineaction-scan.json"), path);
        assert_eq!(a["type"], *kind);
        assert_eq!(a["scope"], *scope);
        assert_eq!(a["machineId"], m0.as_str());
        assert_eq!(a["requestor"], "remedy-demo");
        // a second request of the same family while the first is open
        let (st, e) = act(&h, &mde, &m0, path, body.clone()).await;
        assert_eq!(st, 400, "{path}");
        assert_shape(&e, &fixture("mde-error-active-request.json"), "active");
        assert_eq!(e["error"]["code"], "ActiveRequestAlreadyExists");
        assert_eq!(e["error"]["message"], "Action is already in progress");
        ids.push(a["id"].as_str().unwrap().to_string());
    }
    // unisolate is in the isolation family: refused while isolate is open
    let (st, _) = act(&h, &mde, &m0, "unisolate", json!({ "Comment": "release" })).await;
    assert_eq!(st, 400);
    // another machine is independent
    assert_eq!(
        act(
            &h,
            &mde,
            &m1,
            "isolate",
            json!({ "Comment": "c", "IsolationType": "Full" })
        )
        .await
        .0,
        201
    );

    for id in &ids {
        let seen = follow_action(&h, &mde, id).await;
        assert_eq!(seen.last().unwrap(), "Succeeded", "{seen:?}");
    }
    let (st, _) = act(&h, &mde, &m0, "unisolate", json!({ "Comment": "release" })).await;
    assert_eq!(st, 201, "after the isolate finished, release is accepted");
    assert_eq!(
        act(
            &h,
            &mde,
            &m0,
            "unrestrictCodeExecution",
            json!({ "Comment": "lift" })
        )
        .await
        .0,
        201
    );
    let (st, a) = act(
        &h,
        &mde,
        &m0,
        "StopAndQuarantineFile",
        json!({ "Comment": "again", "Sha1": sha1 }),
    )
    .await;
    assert_eq!(st, 201);
    assert_eq!(a["relatedFileInfo"]["fileIdentifier"], sha1);

    let (st, uri) = query(
        &h,
        &mde,
        &format!("/api/machineactions/{}/getPackageUri", ids[3]),
    )
    .await;
    assert_eq!(st, 200);
    assert!(uri["value"].as_str().unwrap().starts_with("https://"));
    assert_eq!(
        query(
            &h,
            &mde,
            &format!("/api/machineactions/{}/getPackageUri", ids[0])
        )
        .await
        .0,
        400
    );
    h.shutdown().await;
}

#[tokio::test]
async fn action_bodies_are_checked() {
    let s = fast();
    let m = live_machine(&s, 2);
    let h = sim(s).await;
    let mde = token(&h, MDE_SCOPE).await;
    let cases = [
        (
            "runAntiVirusScan",
            json!({ "ScanType": "Full" }),
            "MissingRequiredParameter",
        ),
        (
            "runAntiVirusScan",
            json!({ "comment": "lower case", "ScanType": "Full" }),
            "MissingRequiredParameter",
        ),
        (
            "runAntiVirusScan",
            json!({ "Comment": "x", "scanType": "Full" }),
            "MissingRequiredParameter",
        ),
        (
            "runAntiVirusScan",
            json!({ "Comment": "x", "ScanType": "Deep" }),
            "InvalidInput",
        ),
        (
            "isolate",
            json!({ "Comment": "x", "IsolationType": "Total" }),
            "InvalidInput",
        ),
        (
            "StopAndQuarantineFile",
            json!({ "Comment": "x", "Sha1": "zz" }),
            "InvalidHashValue",
        ),
        (
            "runAntiVirusScan",
            json!(["not", "an", "object"]),
            "InvalidRequestBody",
        ),
    ];
    for (path, body, code) in cases {
        let (st, e) = act(&h, &mde, &m, path, body.clone()).await;
        assert_eq!(
            (st, e["error"]["code"].as_str().unwrap()),
            (400, code),
            "{body}"
        );
    }
    let r = client()
        .post(format!(
            "{}/api/machines/{m}/runAntiVirusScan",
            h.defender_url()
        ))
        .bearer_auth(&mde)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(act(&h, &mde, &m, "offboard", json!({})).await.0, 400);
    let (st, a) = act(&h, &mde, &m, "offboard", json!({ "Comment": "retire" })).await;
    assert_eq!((st, a["type"].as_str().unwrap()), (201, "Offboard"));
    let (st, e) = act(
        &h,
        &mde,
        "ffffffffffffffffffffffffffffffffffffffff",
        "runAntiVirusScan",
        json!({ "Comment": "x", "ScanType": "Full" }),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str().unwrap()),
        (404, "ResourceNotFound")
    );
    // the versioned path and any capitalisation of the action name
    let (st, a) = post(
        &format!(
            "{}/api/v1.0/machines/{m}/RunAntiVirusScan",
            h.defender_url()
        ),
        &mde,
        json!({ "Comment": "versioned", "ScanType": "Full", "ExternalID": "ext-1" }),
    )
    .await
    .json::<Value>()
    .await
    .map(|v| (201, v))
    .unwrap();
    assert_eq!(st, 201);
    assert_eq!(a["externalID"], "ext-1");
    h.shutdown().await;
}

#[tokio::test]
async fn cancel_works_only_before_the_end() {
    let mut s = fast();
    s.time_scale = 1.0; // actions sit in Pending for a minute of wall time
    let m = live_machine(&s, 3);
    let h = sim(s).await;
    let mde = token(&h, MDE_SCOPE).await;
    let (_, a) = act(
        &h,
        &mde,
        &m,
        "runAntiVirusScan",
        json!({ "Comment": "scan", "ScanType": "Full" }),
    )
    .await;
    let id = a["id"].as_str().unwrap();
    let cancel = format!("{}/api/machineactions/{id}/cancel", h.defender_url());
    let r = post(&cancel, &mde, json!({ "Comment": "changed my mind" })).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "Cancelled");
    assert_eq!(v["cancellationComment"], "changed my mind");
    assert_eq!(v["cancellationRequestor"], "remedy-demo");
    assert!(v["cancellationDateTimeUtc"].is_string());
    let r = post(&cancel, &mde, json!({ "Comment": "again" })).await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "BadRequest");
    let r = post(
        &format!(
            "{}/api/machineactions/00000000-0000-0000-0000-000000000000/cancel",
            h.defender_url()
        ),
        &mde,
        json!({ "Comment": "x" }),
    )
    .await;
    assert_eq!(r.status(), 404);
    // once cancelled the family is free again
    assert_eq!(
        act(
            &h,
            &mde,
            &m,
            "runAntiVirusScan",
            json!({ "Comment": "scan 2", "ScanType": "Full" })
        )
        .await
        .0,
        201
    );
    h.shutdown().await;
}

#[tokio::test]
async fn offline_and_failing_machines() {
    let s = fast();
    let offline = s.machines.iter().find(|m| m.offline).unwrap().id.clone();
    let (m0, m1) = (live_machine(&s, 4), live_machine(&s, 5));
    let h = sim(s).await;
    let mde = token(&h, MDE_SCOPE).await;
    let (_, a) = act(
        &h,
        &mde,
        &offline,
        "runAntiVirusScan",
        json!({ "Comment": "scan", "ScanType": "Quick" }),
    )
    .await;
    let seen = follow_action(&h, &mde, a["id"].as_str().unwrap()).await;
    assert_eq!(seen, vec!["Pending", "TimeOut"]);

    h.set_faults(Faults {
        action_failure_share: Some(1.0),
        offline_machines: vec![m1.clone()],
        ..Faults::default()
    });
    let (_, a) = act(
        &h,
        &mde,
        &m0,
        "runAntiVirusScan",
        json!({ "Comment": "scan", "ScanType": "Quick" }),
    )
    .await;
    let seen = follow_action(&h, &mde, a["id"].as_str().unwrap()).await;
    assert_eq!(seen.last().unwrap(), "Failed");
    let (_, failed) = query(
        &h,
        &mde,
        &format!("/api/machineactions/{}", a["id"].as_str().unwrap()),
    )
    .await;
    assert_ne!(failed["errorHResult"], 0);
    let (_, a) = act(
        &h,
        &mde,
        &m1,
        "runAntiVirusScan",
        json!({ "Comment": "scan", "ScanType": "Quick" }),
    )
    .await;
    assert_eq!(
        follow_action(&h, &mde, a["id"].as_str().unwrap()).await,
        vec!["Pending", "TimeOut"]
    );
    h.shutdown().await;
}

#[tokio::test]
async fn action_list_filters_and_duplicates() {
    let s = fast();
    let (m0, m1) = (live_machine(&s, 6), live_machine(&s, 7));
    let h = sim(s).await;
    let mde = token(&h, MDE_SCOPE).await;
    let mut ids = Vec::new();
    for (m, key) in [(&m0, "k1"), (&m1, "k2")] {
        let (_, a) = act(
            &h,
            &mde,
            m,
            "runAntiVirusScan",
            json!({ "Comment": format!("scan [remedy:{key}]"), "ScanType": "Full" }),
        )
        .await;
        ids.push(a["id"].as_str().unwrap().to_string());
        follow_action(&h, &mde, ids.last().unwrap()).await;
    }
    // the same comment again on m0 is a duplicate submission; with an ExternalID the key is the ExternalID
    assert_eq!(
        act(
            &h,
            &mde,
            &m0,
            "runAntiVirusScan",
            json!({ "Comment": "scan [remedy:k1]", "ScanType": "Full" })
        )
        .await
        .0,
        201
    );
    assert_eq!(
        act(
            &h,
            &mde,
            &m1,
            "isolate",
            json!({ "Comment": "a", "IsolationType": "Full", "ExternalID": "x1" })
        )
        .await
        .0,
        201
    );
    let stats = h.stats();
    assert_eq!(stats["duplicate_submissions"], 1);
    assert_eq!(stats["action_posts"][m0.as_str()]["RunAntiVirusScan"], 2);
    assert_eq!(stats["duplicates"][0]["key"], "scan [remedy:k1]");

    let (st, all) = query(&h, &mde, "/api/machineactions").await;
    assert_eq!(st, 200);
    assert_shape(&all, &fixture("mde-machineactions-list.json"), "actions");
    assert_eq!(values(&all).len(), 4);
    for a in values(&all) {
        let short = a.get("lastUpdateTimeUtc").is_some();
        let long = a.get("lastUpdateDateTimeUtc").is_some();
        assert!(
            short != long,
            "exactly one spelling of the update time: {a}"
        );
    }
    for (f, n) in [
        (format!("machineId eq '{m0}'"), 2),
        (format!("id eq '{}'", ids[1]), 1),
        ("status eq 'Succeeded'".to_string(), 2),
        ("type eq 'Isolate'".to_string(), 1),
        (
            "requestor eq 'remedy-demo' and type eq 'RunAntiVirusScan'".to_string(),
            3,
        ),
        ("creationDateTimeUtc gt 2020-01-01T00:00:00Z".to_string(), 4),
        ("creationDateTimeUtc lt 2020-01-01T00:00:00Z".to_string(), 0),
    ] {
        let (st, v) = query(&h, &mde, &format!("/api/machineactions?$filter={f}")).await;
        assert_eq!((st, values(&v).len()), (200, n), "{f}");
    }
    let (st, _) = query(&h, &mde, "/api/machineactions?$filter=externalID eq 'x1'").await;
    assert_eq!(st, 400, "externalID is not a filterable field");
    let (_, page) = query(&h, &mde, "/api/machineactions?$top=3").await;
    assert_eq!(values(&page).len(), 3);
    assert!(
        page["@odata.nextLink"]
            .as_str()
            .unwrap()
            .contains("$skip=3")
    );
    assert_eq!(
        query(
            &h,
            &mde,
            "/api/machineactions/00000000-0000-0000-0000-000000000000"
        )
        .await
        .0,
        404
    );
    h.shutdown().await;
}

#[tokio::test]
async fn per_api_quota_answers_429_with_retry_after() {
    let mut s = fast();
    s.time_scale = 1.0;
    s.quotas.mde_per_minute = 2;
    let h = sim(s).await;
    let mde = token(&h, MDE_SCOPE).await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(query(&h, &mde, "/api/machines?$top=1").await.0);
    }
    assert_eq!(codes, vec![200, 200, 429]);
    let r = get(&format!("{}/api/machines?$top=1", h.defender_url()), &mde).await;
    assert_eq!(r.status(), 429);
    let secs: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&secs));
    let v: Value = r.json().await.unwrap();
    assert_shape(&v, &fixture("mde-error-too-many-requests.json"), "429");
    assert_eq!(v["error"]["code"], "TooManyRequests");
    // another API has its own budget
    assert_eq!(query(&h, &mde, "/api/machineactions").await.0, 200);
    assert_eq!(h.stats()["throttled_by_service"]["mde"], 2);
    h.shutdown().await;
}
