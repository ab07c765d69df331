//! Defender machine actions: their kinds, families, lifecycle over simulated time, and JSON form.

use super::clock::{SimClock, iso7};
use super::indexed::Keyed;
use serde_json::{Value, json};

/// How an action will end once it leaves Pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Succeed,
    Fail,
    /// The machine never checks in: Pending until TimeOut.
    NeverCheckIn,
}

/// A cancellation request recorded on an action.
#[derive(Debug, Clone)]
pub(crate) struct Cancellation {
    pub at: f64,
    pub by: String,
    pub comment: String,
}

/// One machine action. Times are simulated seconds since start-up.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub id: String,
    pub kind: &'static str,
    pub scope: Option<String>,
    pub requestor: String,
    pub comment: String,
    pub external_id: Option<String>,
    pub machine_id: String,
    pub dns: String,
    pub created: f64,
    pub pending_for: f64,
    pub running_for: f64,
    pub timeout: f64,
    pub outcome: Outcome,
    pub cancelled: Option<Cancellation>,
    pub sha1: Option<String>,
}

/// The family an action type belongs to: one open action per machine and family.
pub(crate) fn family(kind: &str) -> &'static str {
    match kind {
        "Isolate" | "Unisolate" => "isolation",
        "RestrictCodeExecution" | "UnrestrictCodeExecution" => "restriction",
        "RunAntiVirusScan" => "scan",
        "CollectInvestigationPackage" => "collect",
        "StopAndQuarantineFile" => "quarantine",
        "Offboard" => "offboard",
        _ => "other",
    }
}

/// Defender's action states, in the order the lifecycle moves through them.
pub(crate) fn is_final(status: &str) -> bool {
    matches!(status, "Succeeded" | "Failed" | "TimeOut" | "Cancelled")
}

impl Keyed for Action {
    fn key(&self, key: &str) -> Option<&str> {
        match key {
            "id" => Some(&self.id),
            "machineId" => Some(&self.machine_id),
            _ => None,
        }
    }
}

impl Action {
    /// The status at simulated time `now`, and when it last changed.
    pub(crate) fn status_at(&self, now: f64) -> (&'static str, f64) {
        let natural = self.natural(now);
        match &self.cancelled {
            Some(c) if c.at <= now && !is_final(self.natural(c.at).0) => ("Cancelled", c.at),
            _ => natural,
        }
    }

    fn natural(&self, now: f64) -> (&'static str, f64) {
        let age = now - self.created;
        if self.outcome == Outcome::NeverCheckIn {
            return if age >= self.timeout {
                ("TimeOut", self.created + self.timeout)
            } else {
                ("Pending", self.created)
            };
        }
        if age < self.pending_for {
            ("Pending", self.created)
        } else if age < self.pending_for + self.running_for {
            ("InProgress", self.created + self.pending_for)
        } else {
            let end = self.created + self.pending_for + self.running_for;
            match self.outcome {
                Outcome::Fail => ("Failed", end),
                _ => ("Succeeded", end),
            }
        }
    }

    /// The properties `$filter` may name on `/api/machineactions`, at `now`, exactly as [`Action::to_json`]
    /// answers them: what a list judges every action on before answering the page's in full.
    pub(crate) fn filterable(&self, clock: &SimClock, now: f64) -> Value {
        json!({
            "id": self.id,
            "status": self.status_at(now).0,
            "machineId": self.machine_id,
            "type": self.kind,
            "requestor": self.requestor,
            "creationDateTimeUtc": iso7(clock.at(self.created)),
        })
    }

    /// The MachineAction object at `now`; `list_spelling` uses `lastUpdateTimeUtc` as the service's lists do.
    pub(crate) fn to_json(&self, clock: &SimClock, now: f64, list_spelling: bool) -> Value {
        let (status, changed) = self.status_at(now);
        let hresult = match status {
            "Failed" => -2_147_467_259_i64,
            "TimeOut" => -2_147_024_894,
            _ => 0,
        };
        let cancel = self.cancelled.as_ref().filter(|_| status == "Cancelled");
        let mut v = json!({
            "id": self.id,
            "type": self.kind,
            "title": null,
            "scope": self.scope,
            "requestor": self.requestor,
            "requestSource": "PublicApi",
            "requestorComment": self.comment,
            "status": status,
            "machineId": self.machine_id,
            "computerDnsName": self.dns,
            "creationDateTimeUtc": iso7(clock.at(self.created)),
            "cancellationRequestor": cancel.map(|c| c.by.clone()),
            "cancellationComment": cancel.map(|c| c.comment.clone()),
            "cancellationDateTimeUtc": cancel.map(|c| iso7(clock.at(c.at))),
            "errorHResult": hresult,
            "externalID": self.external_id,
            "relatedFileInfo": self.sha1.as_ref().map(|s| json!({"fileIdentifier": s, "fileIdentifierType": "Sha1"})),
            "commands": [],
            "troubleshootInfo": null,
        });
        let key = if list_spelling {
            "lastUpdateTimeUtc"
        } else {
            "lastUpdateDateTimeUtc"
        };
        v[key] = json!(iso7(clock.at(changed)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(outcome: Outcome) -> Action {
        Action {
            id: "a".into(),
            kind: "RunAntiVirusScan",
            scope: Some("Full".into()),
            requestor: "app".into(),
            comment: "c".into(),
            external_id: None,
            machine_id: "m".into(),
            dns: "m.contoso.com".into(),
            created: 100.0,
            pending_for: 10.0,
            running_for: 20.0,
            timeout: 1000.0,
            outcome,
            cancelled: None,
            sha1: None,
        }
    }

    #[test]
    fn lifecycle_moves_through_the_states() {
        let a = action(Outcome::Succeed);
        assert_eq!(a.status_at(105.0).0, "Pending");
        assert_eq!(a.status_at(115.0), ("InProgress", 110.0));
        assert_eq!(a.status_at(131.0), ("Succeeded", 130.0));
        assert_eq!(action(Outcome::Fail).status_at(131.0).0, "Failed");
    }

    #[test]
    fn offline_machines_time_out() {
        let a = action(Outcome::NeverCheckIn);
        assert_eq!(a.status_at(1000.0).0, "Pending");
        assert_eq!(a.status_at(1100.0).0, "TimeOut");
    }

    #[test]
    fn cancel_only_counts_before_the_end() {
        let mut a = action(Outcome::Succeed);
        a.cancelled = Some(Cancellation {
            at: 112.0,
            by: "x".into(),
            comment: "y".into(),
        });
        assert_eq!(a.status_at(200.0), ("Cancelled", 112.0));
        a.cancelled = Some(Cancellation {
            at: 150.0,
            by: "x".into(),
            comment: "y".into(),
        });
        assert_eq!(a.status_at(200.0).0, "Succeeded");
    }

    #[test]
    fn list_spelling_differs() {
        let a = action(Outcome::Succeed);
        let c = SimClock::new(1.0);
        assert!(a.to_json(&c, 0.0, true).get("lastUpdateTimeUtc").is_some());
        assert!(
            a.to_json(&c, 0.0, false)
                .get("lastUpdateDateTimeUtc")
                .is_some()
        );
    }

    #[test]
    fn what_a_filter_judges_is_what_the_answer_says() {
        let mut cancelled = action(Outcome::Fail);
        cancelled.cancelled = Some(Cancellation {
            at: 112.0,
            by: "x".into(),
            comment: "y".into(),
        });
        let c = SimClock::new(1.0);
        for a in [action(Outcome::Succeed), cancelled] {
            for now in [0.0, 105.0, 115.0, 131.0, 2000.0] {
                let small = a.filterable(&c, now);
                let whole = a.to_json(&c, now, false);
                let fields = small.as_object().unwrap();
                assert_eq!(fields.len(), 6);
                for (key, value) in fields {
                    assert_eq!(&whole[key], value, "{key} at {now}");
                }
            }
        }
    }
}
