//! Fixed console data and a fixed clock for the console's snapshot tests, key tests and render benchmark.

#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use remedy::engine::interface::{
    ActionKind, AlertView, EntityView, Event, Level, MachineView, Mode, PolicyView, QuotaView,
    RemediationState, RemediationView, Resolution, Service, Severity,
};
use remedy::tui::{App, UiOptions};

/// The clock every test uses.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()
}

fn ago(secs: i64) -> DateTime<Utc> {
    now() - Duration::seconds(secs)
}

pub fn policies() -> Vec<PolicyView> {
    let policy = |id: &str, name: &str, kind: &str, flow: Option<&str>, mode| PolicyView {
        id: id.into(),
        name: name.into(),
        policy_type: kind.into(),
        enabled: true,
        flow_id: flow.map(|f| f.to_lowercase().replace(' ', "-")),
        flow_name: flow.map(Into::into),
        mode,
        steps: match flow {
            Some("Isolate machine") => vec![ActionKind::Isolate {
                isolation_type: "Selective".into(),
            }],
            Some(_) => vec![ActionKind::AntivirusScan {
                scan_type: "Full".into(),
            }],
            None => Vec::new(),
        },
        closes_alert: false,
        max_per_alert: if flow.is_some() { 5 } else { 0 },
        max_per_hour: if flow.is_some() { 20 } else { 0 },
        rules: Vec::new(),
        warning: None,
    };
    vec![
        policy(
            "pol-mass",
            "Mass download by a single user",
            "activity",
            Some("Antivirus scan"),
            Mode::Approve,
        ),
        policy(
            "pol-travel",
            "Impossible travel",
            "anomaly",
            Some("Isolate machine"),
            Mode::Approve,
        ),
        policy(
            "pol-country",
            "Activity from infrequent country",
            "anomaly",
            None,
            Mode::Off,
        ),
        policy(
            "pol-ransom",
            "Ransomware activity",
            "anomaly",
            Some("Isolate machine"),
            Mode::Auto,
        ),
    ]
}

pub fn alert(
    id: &str,
    severity: Severity,
    policy: &PolicyView,
    user: Option<&str>,
    title: &str,
    age_secs: i64,
) -> AlertView {
    AlertView {
        id: id.into(),
        title: title.into(),
        description: format!(
            "{title}. The user performed an unusual number of actions; review the activity log."
        ),
        severity,
        raised_at: ago(age_secs),
        policy_id: policy.id.clone(),
        policy_name: policy.name.clone(),
        user: user.map(Into::into),
        note: None,
        resolution: Resolution::Open,
        read: false,
        url: Some(format!(
            "https://contoso.portal.cloudappsecurity.com/#/alerts/{id}"
        )),
        entities: vec![
            EntityView {
                kind: "user".into(),
                label: user.unwrap_or("—").into(),
            },
            EntityView {
                kind: "ip".into(),
                label: "203.0.113.7".into(),
            },
        ],
        seen_by: vec![remedy::alert::SourceKind::Cas],
        graph_id: None,
        matched_by: None,
    }
}

pub fn alerts() -> Vec<AlertView> {
    let p = policies();
    let mut list = vec![
        alert(
            "a-mass",
            Severity::High,
            &p[0],
            Some("zoe@contoso.com"),
            "Mass download of 412 files",
            180,
        ),
        alert(
            "a-travel",
            Severity::Medium,
            &p[1],
            Some("bob@contoso.com"),
            "\u{1b}]0;pwned\u{7}Impossible travel\u{1b}[2J from Paris and Sydney",
            600,
        ),
        alert(
            "a-country",
            Severity::Low,
            &p[2],
            Some("eve@contoso.com"),
            "Sign-in from an infrequent country",
            3_600,
        ),
        alert(
            "a-ransom",
            Severity::High,
            &p[3],
            Some("ann@contoso.com"),
            "Ransomware activity: 80 files renamed",
            7_200,
        ),
        alert(
            "a-nouser",
            Severity::Informational,
            &p[0],
            None,
            "Mass download by a service account",
            90_000,
        ),
    ];
    list[2].read = true;
    list[2].note = Some("mode off: nothing is proposed".into());
    list[4].note = Some("no user on this alert".into());
    list
}

pub fn machine(id: &str, name: &str, group: &str, tags: &[&str], protected: bool) -> MachineView {
    MachineView {
        id: id.into(),
        name: name.into(),
        found_by: format!("Graph registeredDevices → aadDeviceId {id}"),
        last_seen: Some(ago(420)),
        health: "Active".into(),
        group: Some(group.into()),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        os: Some("Windows 11".into()),
        protected,
    }
}

pub fn remediation(
    id: &str,
    alert: &AlertView,
    m: MachineView,
    action: ActionKind,
    state: RemediationState,
    age_secs: i64,
) -> RemediationView {
    let submitted = state.is_in_flight() || state.is_final();
    RemediationView {
        id: id.into(),
        alert_id: alert.id.clone(),
        policy_id: alert.policy_id.clone(),
        flow_id: "flow".into(),
        step: 1,
        machine: m,
        action: Some(action),
        state,
        reason: None,
        provider_action_id: submitted.then(|| format!("mde-{id}")),
        created_at: ago(age_secs + 60),
        updated_at: ago(age_secs),
        submitted_at: submitted.then(|| ago(age_secs + 30)),
        overdue: false,
        covered_by: None,
        waiting: None,
    }
}

fn scan() -> ActionKind {
    ActionKind::AntivirusScan {
        scan_type: "Full".into(),
    }
}

fn isolate() -> ActionKind {
    ActionKind::Isolate {
        isolation_type: "Full".into(),
    }
}

pub fn remediations() -> Vec<RemediationView> {
    let a = alerts();
    let laptop = machine("m-zoe-1", "ZOE-LAPTOP", "Finance", &["vip"], false);
    let desk = machine("m-zoe-2", "ZOE-DESKTOP", "Finance", &[], false);
    let vdi = machine("m-zoe-3", "VDI-0042", "Shared", &["vdi", "pool"], true);
    let bob = machine("m-bob-1", "BOB-SURFACE", "Sales", &[], false);
    let bob2 = machine("m-bob-2", "BOB-WORKSTATION", "Sales", &[], false);
    let ann = machine("m-ann-1", "ANN-LAPTOP", "Legal", &[], false);
    let mut running = remediation("r-2", &a[0], desk, scan(), RemediationState::InProgress, 20);
    running.overdue = true;
    running.submitted_at = Some(ago(1_900));
    let mut failed = remediation(
        "r-9",
        &a[3],
        ann.clone(),
        isolate(),
        RemediationState::Failed,
        5_000,
    );
    failed.reason = Some("Defender: machine offline".into());
    vec![
        remediation(
            "r-1",
            &a[0],
            laptop,
            scan(),
            RemediationState::Succeeded,
            90,
        ),
        running,
        remediation("r-3", &a[0], vdi, scan(), RemediationState::Proposed, 170),
        remediation(
            "r-4",
            &a[1],
            bob.clone(),
            isolate(),
            RemediationState::Proposed,
            590,
        ),
        remediation(
            "r-5",
            &a[1],
            bob2,
            isolate(),
            RemediationState::Proposed,
            590,
        ),
        remediation("r-6", &a[1], bob, scan(), RemediationState::Proposed, 590),
        failed,
        remediation("r-10", &a[3], ann, scan(), RemediationState::Pending, 40),
    ]
}

pub fn snapshot() -> Event {
    Event::Snapshot {
        alerts: alerts(),
        policies: policies(),
        remediations: remediations(),
        read_only: false,
        demo: false,
        operator: "analyst@contoso.com".into(),
    }
}

pub fn status_events() -> Vec<Event> {
    vec![
        Event::Poll {
            ok: true,
            at: ago(3),
            error: None,
            new_alerts: 1,
        },
        Event::Quota {
            quotas: vec![
                QuotaView {
                    service: Service::Cas,
                    remaining: 28,
                    limit: 30,
                    per: "min".into(),
                },
                QuotaView {
                    service: Service::Defender,
                    remaining: 95,
                    limit: 100,
                    per: "min".into(),
                },
                QuotaView {
                    service: Service::Graph,
                    remaining: 2,
                    limit: 60,
                    per: "min".into(),
                },
            ],
        },
    ]
}

/// A console loaded with the fixed data at the fixed clock.
pub fn app_with(options: UiOptions) -> App {
    let mut app = options.build_app(None).unwrap();
    app.set_now(now());
    app.apply(snapshot());
    for e in status_events() {
        app.apply(e);
    }
    app
}

pub fn app() -> App {
    app_with(UiOptions::default())
}

/// A notice, to show a toast.
pub fn notice(text: &str) -> Event {
    Event::Notice {
        level: Level::Info,
        text: text.into(),
    }
}

/// `count` alerts spread over policies and severities, a third with a remediation, for benchmarks.
pub fn many(count: usize) -> Event {
    let p = policies();
    let severities = [
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ];
    let mut alerts = Vec::with_capacity(count);
    let mut remediations = Vec::new();
    for i in 0..count {
        let a = alert(
            &format!("a-{i:06}"),
            severities[i % 4],
            &p[i % p.len()],
            Some(&format!("user{}@contoso.com", i % 977)),
            &format!("Alert number {i} with a reasonably long title"),
            (i as i64) * 7,
        );
        if i % 3 == 0 {
            let m = machine(
                &format!("m-{i}"),
                &format!("PC-{i:06}"),
                "Group",
                &[],
                false,
            );
            remediations.push(remediation(
                &format!("r-{i}"),
                &a,
                m,
                scan(),
                RemediationState::ALL[i % 14],
                30,
            ));
        }
        alerts.push(a);
    }
    Event::Snapshot {
        alerts,
        policies: p,
        remediations,
        read_only: false,
        demo: true,
        operator: "bench".into(),
    }
}

/// The text `app` draws on a `width`×`height` screen, one line per row.
pub fn screen_text(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| remedy::tui::draw(frame, app))
        .unwrap();
    let buffer = terminal.backend().buffer();
    buffer
        .content()
        .chunks(usize::from(buffer.area.width))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}
