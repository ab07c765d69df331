//! The gate (mode, auto limits, protection, staleness, read-only) and the planner (one remediation per
//! machine and step, the gate's state on each).

use chrono::{DateTime, Utc};

use super::super::gate::{GateInput, READ_ONLY_WOULD_APPROVE, decide};
use super::super::interface::{
    AlertView, MachineView, Mode, RemediationState, Resolution, Severity,
};
use super::super::plan::{idempotency_key, plan};
use super::super::settings::{Binding, FlowPlan};
use super::harness::{FLOW, scan, settings, start};

fn machine(id: &str, last_seen: DateTime<Utc>) -> MachineView {
    MachineView {
        id: id.into(),
        name: format!("{id}.contoso.com"),
        found_by: "test".into(),
        last_seen: Some(last_seen),
        health: "Active".into(),
        group: None,
        tags: Vec::new(),
        os: None,
        protected: false,
    }
}

fn binding(mode: Mode, max_per_alert: u32, max_per_hour: u32) -> Binding {
    Binding {
        flow_id: FLOW.into(),
        mode,
        max_per_alert,
        max_per_hour,
        rules: Vec::new(),
    }
}

fn states(
    mode: Mode,
    binding: &Binding,
    acted: u64,
    machines: &[MachineView],
) -> Vec<RemediationState> {
    let input = GateInput {
        mode,
        binding,
        acted_this_hour: acted,
        now: start(),
    };
    decide(&input, machines, &settings(false))
        .into_iter()
        .map(|v| v.state)
        .collect()
}

#[test]
fn the_mode_decides_proposal_or_approval() {
    use RemediationState::*;
    let machines = [machine("m1", start()), machine("m2", start())];
    let free = binding(Mode::Auto, 10, 100);
    assert_eq!(
        states(Mode::Approve, &free, 0, &machines),
        [Proposed, Proposed]
    );
    assert_eq!(
        states(Mode::Auto, &free, 0, &machines),
        [Approved, Approved]
    );
}

#[test]
fn auto_asks_for_approval_past_its_limits_and_on_protected_machines() {
    use RemediationState::*;
    let mut protected = machine("m3", start());
    protected.protected = true;
    let machines = [machine("m1", start()), machine("m2", start()), protected];
    let per_alert = binding(Mode::Auto, 1, 100);
    assert_eq!(
        states(Mode::Auto, &per_alert, 0, &machines),
        [Approved, Proposed, Proposed]
    );
    let per_hour = binding(Mode::Auto, 10, 5);
    assert_eq!(
        states(Mode::Auto, &per_hour, 4, &machines),
        [Approved, Proposed, Proposed]
    );
    assert_eq!(
        states(Mode::Auto, &per_hour, 5, &machines),
        [Proposed, Proposed, Proposed]
    );
}

#[test]
fn a_machine_defender_has_not_seen_lately_is_skipped_with_the_reason() {
    let old = start() - chrono::Duration::days(400);
    let input = GateInput {
        mode: Mode::Auto,
        binding: &binding(Mode::Auto, 10, 100),
        acted_this_hour: 0,
        now: start(),
    };
    let verdicts = decide(&input, &[machine("m1", old)], &settings(false));
    assert_eq!(verdicts[0].state, RemediationState::Skipped);
    assert!(
        verdicts[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("stale"))
    );
}

#[test]
fn read_only_approves_nothing_and_says_what_auto_would_do() {
    let input = GateInput {
        mode: Mode::Auto,
        binding: &binding(Mode::Auto, 10, 100),
        acted_this_hour: 0,
        now: start(),
    };
    let verdicts = decide(&input, &[machine("m1", start())], &settings(true));
    assert_eq!(verdicts[0].state, RemediationState::Proposed);
    assert_eq!(verdicts[0].reason.as_deref(), Some(READ_ONLY_WOULD_APPROVE));
}

#[test]
fn the_plan_has_every_step_on_every_machine_in_the_gates_state() {
    let alert = AlertView {
        id: "a1".into(),
        title: "t".into(),
        description: String::new(),
        severity: Severity::High,
        raised_at: start(),
        policy_id: "p1".into(),
        policy_name: "p".into(),
        user: None,
        note: None,
        resolution: Resolution::Open,
        read: false,
        url: None,
        entities: Vec::new(),
        seen_by: Vec::new(),
        graph_id: None,
        matched_by: None,
    };
    let flow = FlowPlan {
        id: FLOW.into(),
        name: "scan then isolate".into(),
        comment: String::new(),
        close_alert: false,
        cooldown: chrono::Duration::zero(),
        steps: vec![
            scan(),
            super::super::interface::ActionKind::Isolate {
                isolation_type: "Selective".into(),
            },
        ],
    };
    let stale = start() - chrono::Duration::days(400);
    let machines = [machine("m1", start()), machine("m2", stale)];
    let input = GateInput {
        mode: Mode::Auto,
        binding: &binding(Mode::Auto, 10, 100),
        acted_this_hour: 0,
        now: start(),
    };
    let verdicts = decide(&input, &machines, &settings(false));
    let planned = plan(&alert, &flow, &machines, &verdicts, "remedy auto", start());
    let shape: Vec<(&str, i64, RemediationState)> = planned
        .iter()
        .map(|p| (p.machine_id.as_str(), p.step, p.state))
        .collect();
    use RemediationState::*;
    assert_eq!(
        shape,
        [
            ("m1", 1, Approved),
            ("m1", 2, Approved),
            ("m2", 1, Skipped),
            ("m2", 2, Skipped)
        ]
    );
    assert_eq!(
        planned[1].idempotency_key,
        idempotency_key("a1", FLOW, 2, "m1")
    );
}
