//! The source-neutral alert: what everything above an alert source reads, whichever source (Cloud App
//! Security's REST API, Graph `alerts_v2`, or both) saw it. Identifiers are kept exactly as sent.

mod binding;
mod from_cas;
mod from_graph;
mod merge;
pub mod stored;
mod succession;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::interface::{Resolution, Severity};

pub use binding::{BindingRule, MatchedBy, RuleKind, match_binding};
pub use merge::merge;
pub use succession::{BoundPolicy, PolicyState, SeenDetector, Succession, Successor, successions};

/// Where an alert was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Cloud App Security's REST API (`/api/v1/alerts/`).
    Cas,
    /// Microsoft Graph security alerts (`/security/alerts_v2`).
    Graph,
}

impl SourceKind {
    /// `cas` or `graph`, as config and JSON lines write it.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Cas => "cas",
            SourceKind::Graph => "graph",
        }
    }
}

/// An alert's identity across sources. A Cloud App Security alert read through Graph carries its REST id as
/// `providerAlertId`, so both reads have the same key; alerts of other products are known by their Graph id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "namespace", content = "id", rename_all = "snake_case")]
pub enum AlertKey {
    /// A Cloud App Security alert id, exactly as sent.
    Cas(String),
    /// A Graph security alert id of another product, exactly as sent.
    Graph(String),
}

/// The prefix of a Graph-keyed alert's engine id.
const GRAPH_PREFIX: &str = "graph:";

impl AlertKey {
    /// The key back from its engine id (the `Display` form): `graph:<id>` is a Graph id, anything else a
    /// Cloud App Security id, exactly as written.
    pub fn from_id(id: &str) -> AlertKey {
        match id.strip_prefix(GRAPH_PREFIX) {
            Some(graph) => AlertKey::Graph(graph.to_string()),
            None => AlertKey::Cas(id.to_string()),
        }
    }
}

impl fmt::Display for AlertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlertKey::Cas(id) => write!(f, "{id}"),
            AlertKey::Graph(id) => write!(f, "{GRAPH_PREFIX}{id}"),
        }
    }
}

/// A device the alert names (Graph `deviceEvidence`): acted on directly, without a user lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRef {
    /// The Defender machine id, exactly as sent.
    pub mde_device_id: String,
    pub dns_name: Option<String>,
    /// `active`, `inactive`, … as sent; anything but `active` is shown before approval.
    pub health_status: Option<String>,
    /// e.g. `notReporting`, as sent.
    pub defender_av_status: Option<String>,
}

impl DeviceRef {
    /// Why acting on this device may not work, for the analyst to see before approving.
    pub fn caveat(&self) -> Option<String> {
        let mut caveats = Vec::new();
        if let Some(health) = self
            .health_status
            .as_deref()
            .filter(|h| !h.eq_ignore_ascii_case("active"))
        {
            caveats.push(format!("health {health}"));
        }
        if let Some(av) = self
            .defender_av_status
            .as_deref()
            .filter(|s| s.eq_ignore_ascii_case("notReporting"))
        {
            caveats.push(format!("antivirus {av}"));
        }
        (!caveats.is_empty()).then(|| caveats.join(", "))
    }
}

/// Which detection raised the alert: what bindings match on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detection {
    /// The Cloud App Security policy id (REST `policy.id`), when known.
    pub policy_id: Option<String>,
    /// The policy's name as sent.
    pub policy_name: Option<String>,
    /// Graph's `detectorId`: survives a policy being renamed or migrated.
    pub detector_id: Option<String>,
    /// Graph's `serviceSource` as sent (e.g. `microsoftDefenderForCloudApps`).
    pub service_source: Option<String>,
}

/// One alert, whichever source read it. Text fields are as sent: views clean them for display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceAlert {
    pub key: AlertKey,
    /// Every source that has read it, in order.
    pub seen_by: Vec<SourceKind>,
    /// The Graph alert id, needed to close and comment through Graph.
    pub graph_id: Option<String>,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub resolution: Resolution,
    pub raised_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub detection: Detection,
    /// The user principal exactly as the alert names it: looked up as is, never cleaned.
    pub user_principal: Option<String>,
    /// Devices the alert names.
    pub devices: Vec<DeviceRef>,
    /// The portal link.
    pub url: Option<String>,
    /// Other entities and evidence, as (kind, label), for display.
    pub entities: Vec<(String, String)>,
    /// Marked read in Cloud App Security.
    #[serde(default)]
    pub read: bool,
}

impl SourceAlert {
    /// "cas", "graph" or "cas+graph": which sources saw it, for the console and the JSON lines.
    pub fn seen_by_text(&self) -> String {
        self.seen_by
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("+")
    }
}
