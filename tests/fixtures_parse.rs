//! Every API fixture parses into the client model its name (or content) calls for: the shared set in
//! `../shared/api/fixtures/` (next to the repository) and the copy kept in `tests/fixtures/api/`.

use std::path::{Path, PathBuf};

use remedy::api::models::{
    Alert, AlertComment, AlertPage, CasErrorBody, CloseResponse, GraphDevice, GraphUser, LogonUser,
    Machine, MachineAction, ODataErrorBody, ODataPage, Policy, PolicyPage, SecurityAlert,
    TokenErrorBody, TokenResponse,
};
use serde::de::DeserializeOwned;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/api/fixtures")
}

/// The fixture folders present: the shared one and the in-repository copy.
fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [fixtures_dir(), root.join("tests/fixtures/api")]
        .into_iter()
        .filter(|dir| dir.is_dir())
        .collect()
}

/// Parses a fixture's text as one model.
type Parser = fn(&str) -> Result<(), String>;

fn parse<T: DeserializeOwned>(text: &str) -> Result<(), String> {
    serde_json::from_str::<T>(text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Picks the model by file-name prefix, most specific first; `None` when no rule knows the file.
fn model_for(name: &str, json: &serde_json::Value) -> Option<(&'static str, Parser)> {
    let rules: &[(&str, &str, Parser)] = &[
        ("cas-error-", "CasErrorBody", parse::<CasErrorBody>),
        ("cas-alerts-", "AlertPage", parse::<AlertPage>),
        ("cas-alert-", "Alert", parse::<Alert>),
        ("cas-close-", "CloseResponse", parse::<CloseResponse>),
        ("cas-policies-", "PolicyPage", parse::<PolicyPage>),
        ("cas-policy-", "Policy", parse::<Policy>),
        ("mde-error-", "ODataErrorBody", parse::<ODataErrorBody>),
        ("graph-error-", "ODataErrorBody", parse::<ODataErrorBody>),
        (
            "graph-alerts-v2-",
            "ODataPage<SecurityAlert>",
            parse::<ODataPage<SecurityAlert>>,
        ),
        (
            "graph-alert-v2-comments",
            "ODataPage<AlertComment>",
            parse::<ODataPage<AlertComment>>,
        ),
        ("graph-alert-v2-", "SecurityAlert", parse::<SecurityAlert>),
        ("mde-token-error", "TokenErrorBody", parse::<TokenErrorBody>),
        ("mde-token", "TokenResponse", parse::<TokenResponse>),
        (
            "graph-token-error",
            "TokenErrorBody",
            parse::<TokenErrorBody>,
        ),
        ("graph-token", "TokenResponse", parse::<TokenResponse>),
        (
            "mde-machineactions-",
            "ODataPage<MachineAction>",
            parse::<ODataPage<MachineAction>>,
        ),
        (
            "mde-machineaction-",
            "MachineAction",
            parse::<MachineAction>,
        ),
        (
            "mde-logonusers",
            "ODataPage<LogonUser>",
            parse::<ODataPage<LogonUser>>,
        ),
        (
            "mde-machines-",
            "ODataPage<Machine>",
            parse::<ODataPage<Machine>>,
        ),
        (
            "mde-user-machines",
            "ODataPage<Machine>",
            parse::<ODataPage<Machine>>,
        ),
        ("mde-machine-", "Machine", parse::<Machine>),
        ("graph-user-", "GraphUser", parse::<GraphUser>),
        (
            "graph-registered-devices",
            "ODataPage<GraphDevice>",
            parse::<ODataPage<GraphDevice>>,
        ),
        (
            "graph-owned-devices",
            "ODataPage<GraphDevice>",
            parse::<ODataPage<GraphDevice>>,
        ),
    ];
    if let Some((_, model, parser)) = rules.iter().find(|(prefix, _, _)| name.starts_with(prefix)) {
        return Some((model, *parser));
    }
    // By content, for a new file whose name no rule knows yet.
    let has = |key: &str| json.get(key).is_some();
    let service = name.split('-').next().unwrap_or("");
    match service {
        "cas" if has("data") && has("hasNext") => Some(("AlertPage", parse::<AlertPage>)),
        "cas" if has("_id") => Some(("Alert", parse::<Alert>)),
        "cas" if has("filters") || has("error") => Some(("CasErrorBody", parse::<CasErrorBody>)),
        "mde" | "graph" if has("error") => Some(("ODataErrorBody", parse::<ODataErrorBody>)),
        _ if has("access_token") => Some(("TokenResponse", parse::<TokenResponse>)),
        "mde" if has("status") && has("type") => Some(("MachineAction", parse::<MachineAction>)),
        "mde" if has("computerDnsName") => Some(("Machine", parse::<Machine>)),
        "graph" if has("deviceId") => Some(("GraphDevice", parse::<GraphDevice>)),
        "graph" if has("userPrincipalName") => Some(("GraphUser", parse::<GraphUser>)),
        _ => None,
    }
}

#[test]
fn every_fixture_parses_into_its_model() {
    let mut entries: Vec<PathBuf> = fixture_dirs()
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).expect("a fixtures folder is readable"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    entries.sort();
    assert!(
        !entries.is_empty(),
        "no fixtures found in tests/fixtures/api or ../shared/api/fixtures"
    );

    let mut failures = Vec::new();
    for path in &entries {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let shown = path.display();
        let text = std::fs::read_to_string(path).unwrap();
        let json: serde_json::Value = match serde_json::from_str(&text) {
            Ok(json) => json,
            Err(e) => {
                failures.push(format!("{shown}: not JSON: {e}"));
                continue;
            }
        };
        match model_for(&name, &json) {
            Some((model, parser)) => {
                if let Err(e) = parser(&text) {
                    failures.push(format!("{shown} as {model}: {e}"));
                }
            }
            None => failures.push(format!(
                "{name}: no model rule matches; add one in tests/fixtures_parse.rs"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "fixtures that did not parse:\n{}",
        failures.join("\n")
    );
}

fn fixture(name: &str) -> String {
    let dir = fixture_dirs()
        .into_iter()
        .find(|dir| dir.join(name).is_file())
        .unwrap();
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn alert_page_fields_come_through() {
    let page: AlertPage = serde_json::from_str(&fixture("cas-alerts-list.json")).unwrap();
    assert!(page.has_next);
    assert_eq!(page.total, Some(248));
    assert_eq!(page.data.len(), 3);
    assert_eq!(page.data[0].user_principal(), Some("alice@contoso.com"));
    assert_eq!(
        page.data[1].user_principal(),
        Some("juergen.mueller@contoso.com")
    );
    assert_eq!(page.data[2].user_principal(), None);
    assert_eq!(
        page.data[0]
            .policy
            .as_ref()
            .and_then(|p| p.ms_flow_id.as_deref()),
        Some("0d6c1f7e-51c7-4a1c-9a0e-6f3a2b1c0d9e")
    );
    assert_eq!(
        page.data[2].severity,
        Some(remedy::api::Severity::Informational)
    );
}

#[test]
fn machine_actions_accept_both_update_spellings() {
    let single: MachineAction =
        serde_json::from_str(&fixture("mde-machineaction-scan.json")).unwrap();
    assert!(single.last_update_time.is_some());
    assert_eq!(single.idempotency_key(), Some("4f1c2a9e"));
    let list: ODataPage<MachineAction> =
        serde_json::from_str(&fixture("mde-machineactions-list.json")).unwrap();
    assert!(
        list.value
            .iter()
            .all(|action| action.last_update_time.is_some())
    );
    assert!(list.next_link.is_some());
    assert_eq!(list.value[2].status, remedy::api::ActionStatus::TimeOut);
}

#[test]
fn machines_keep_merge_and_exclusion_fields() {
    let list: ODataPage<Machine> =
        serde_json::from_str(&fixture("mde-machines-list.json")).unwrap();
    let stale = &list.value[1];
    assert!(stale.is_excluded);
    assert_eq!(
        stale.merged_into_machine_id.as_deref(),
        Some(list.value[0].id.as_str())
    );
    assert_eq!(list.value[2].aad_device_id, None);
}

#[test]
fn policies_expose_the_bound_flow() {
    let page: PolicyPage = serde_json::from_str(&fixture("cas-policies-list.json")).unwrap();
    assert_eq!(
        page.data[0].bound_flow_ids(),
        ["0d6c1f7e-51c7-4a1c-9a0e-6f3a2b1c0d9e".to_string()]
    );
    assert!(page.data[1].bound_flow_ids().is_empty());
    assert!(page.data[2].bound_flow_ids().is_empty());
}

#[test]
fn token_response_does_not_print_the_token() {
    let token: TokenResponse = serde_json::from_str(&fixture("mde-token.json")).unwrap();
    assert_eq!(token.expires_in, Some(3599));
    assert!(!format!("{token:?}").contains("eyJ0"));
}
