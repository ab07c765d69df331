//! Checks a parsed config for what serde cannot: required keys, safe URLs, known flows and modes.

use std::path::Path;

use super::sections::{DEFENDER_CALLS_PER_HOUR, DEFENDER_CALLS_PER_MINUTE};
use super::{Config, ConfigError};

const MODES: [&str; 3] = ["off", "approve", "auto"];
const THEMES: [&str; 3] = ["dark", "light", "mono"];

/// Returns the first problem found, naming its key and the fix.
pub(super) fn validate(config: &Config, path: &Path) -> Result<(), ConfigError> {
    let missing = |key: &str, fix: &str| ConfigError::Missing {
        path: path.to_path_buf(),
        key: key.into(),
        fix: fix.into(),
    };
    let invalid = |key: &str, problem: String, fix: &str| ConfigError::Invalid {
        path: path.to_path_buf(),
        key: key.into(),
        problem,
        fix: fix.into(),
    };
    if config.tenant.id.is_empty() {
        return Err(missing(
            "tenant.id",
            "set it to your Entra tenant id (GUID) or primary domain",
        ));
    }
    if config.tenant.client_id.is_empty() {
        return Err(missing(
            "tenant.client_id",
            "set it to the application (client) id of your Entra app registration",
        ));
    }
    if config.tenant.client_secret.is_empty() {
        return Err(missing(
            "tenant.client_secret",
            "set it, or export REMEDY_CLIENT_SECRET",
        ));
    }
    if config.cas.url.is_empty() {
        return Err(missing(
            "cas.url",
            "set it to your portal URL from Settings > Cloud Apps > System > About",
        ));
    }
    if config.cas.auth == super::CasAuthKind::Token && config.cas.token.is_empty() {
        return Err(missing(
            "cas.token",
            "generate one in Settings > Cloud Apps > System > API tokens, or export REMEDY_CAS_TOKEN; \
             or sign in with the [tenant] app instead: [cas] auth = \"entra\"",
        ));
    }
    for (key, url) in [
        ("cas.url", &config.cas.url),
        ("defender.url", &config.defender.url),
        ("graph.url", &config.graph.url),
        ("auth.authority", &config.auth.authority),
    ] {
        check_url(url).map_err(|problem| {
            invalid(
                key,
                problem,
                "use an https:// URL (plain http is allowed only for 127.0.0.1 or localhost)",
            )
        })?;
    }
    for bound in numeric_bounds(config) {
        if !(bound.min..=bound.max).contains(&bound.value) {
            return Err(invalid(
                bound.key,
                format!(
                    "{} is out of range (allowed {}..={})",
                    bound.value, bound.min, bound.max
                ),
                bound.fix,
            ));
        }
    }
    if !THEMES.contains(&config.ui.theme.as_str()) {
        return Err(invalid(
            "ui.theme",
            format!("unknown theme {:?}", config.ui.theme),
            "use dark, light or mono",
        ));
    }
    for (id, flow) in &config.flows {
        if flow.steps.is_empty() {
            return Err(invalid(
                &format!("flows.{id}.steps"),
                "a flow needs at least one step".into(),
                "add a step such as { action = \"antivirus_scan\", scan_type = \"Full\" }",
            ));
        }
        if let Some(problem) = flow.cooldown_problem() {
            return Err(invalid(
                &format!("flows.{id}.cooldown_minutes"),
                problem,
                "use minutes from 0 to 10080",
            ));
        }
    }
    for (policy, binding) in &config.policies {
        if !config.flows.contains_key(&binding.flow) {
            let known: Vec<&str> = config.flows.keys().map(String::as_str).collect();
            return Err(invalid(
                &format!("policies.{policy}.flow"),
                format!("no flow named {:?}", binding.flow),
                &format!("use one of: {}", known.join(", ")),
            ));
        }
        if !MODES.contains(&binding.mode.as_str()) {
            return Err(invalid(
                &format!("policies.{policy}.mode"),
                format!("unknown mode {:?}", binding.mode),
                "use off, approve or auto",
            ));
        }
    }
    super::alerts::validate_alerts(config, path)
}

/// One numeric key with the range its time arithmetic and its meaning allow.
struct Bound {
    key: &'static str,
    value: u64,
    min: u64,
    max: u64,
    fix: &'static str,
}

/// Every numeric key of the config: out of range, a value would overflow a duration or make no sense.
fn numeric_bounds(config: &Config) -> [Bound; 17] {
    let engine = &config.engine;
    let guards = &config.guards;
    let bound = |key, value, min, max, fix| Bound {
        key,
        value,
        min,
        max,
        fix,
    };
    [
        bound(
            "auth.timeout_secs",
            config.auth.timeout_secs,
            1,
            600,
            "use a few seconds, e.g. 30",
        ),
        bound(
            "defender.calls_per_minute",
            u64::from(config.defender.calls_per_minute),
            1,
            u64::from(DEFENDER_CALLS_PER_MINUTE),
            "use 1 to 100 (Microsoft's limit per API and minute), e.g. 100",
        ),
        bound(
            "defender.calls_per_hour",
            u64::from(config.defender.calls_per_hour),
            1,
            u64::from(DEFENDER_CALLS_PER_HOUR),
            "use 1 to 1500 (Microsoft's limit per API and hour), e.g. 1500",
        ),
        bound(
            "engine.poll_interval_secs",
            engine.poll_interval_secs,
            2,
            3_600,
            "use 2 or more (Cloud App Security allows 30 calls a minute), at most an hour",
        ),
        bound(
            "engine.lookback_hours",
            engine.lookback_hours,
            0,
            24 * 90,
            "use at most 2160 (90 days), e.g. 24",
        ),
        bound(
            "engine.overlap_secs",
            engine.overlap_secs,
            0,
            86_400,
            "use at most 86400 (a day), e.g. 120",
        ),
        bound(
            "engine.proposal_ttl_hours",
            engine.proposal_ttl_hours,
            1,
            24 * 90,
            "use 1 to 2160 hours, e.g. 24",
        ),
        bound(
            "engine.overdue_minutes",
            engine.overdue_minutes,
            1,
            60 * 24 * 30,
            "use 1 to 43200 minutes (30 days), e.g. 60",
        ),
        bound(
            "engine.track_interval_secs",
            engine.track_interval_secs,
            1,
            3_600,
            "use 1 to 3600 seconds, e.g. 10",
        ),
        bound(
            "engine.resolve_cache_secs",
            engine.resolve_cache_secs,
            0,
            86_400,
            "use 0 (no reuse) to 86400 seconds, e.g. 300",
        ),
        bound(
            "engine.stale_after_days",
            engine.stale_after_days,
            1,
            3_650,
            "use 1 to 3650 days, e.g. 30",
        ),
        bound(
            "journal.lease_seconds",
            config.journal.lease_seconds,
            3,
            600,
            "use 3 to 600 seconds, e.g. 10 (a follower takes over this long after the leader stops)",
        ),
        bound(
            "guards.max_machines_per_alert",
            u64::from(guards.max_machines_per_alert),
            0,
            100_000,
            "use 0 (auto never acts alone) to 100000",
        ),
        bound(
            "guards.max_machines_per_hour",
            u64::from(guards.max_machines_per_hour),
            0,
            1_000_000,
            "use 0 (auto never acts alone) to 1000000",
        ),
        bound(
            "journal.retain_days",
            config.journal.retain_days,
            0,
            36_500,
            "use 0 (keep forever) or a number of days, e.g. 180",
        ),
        bound(
            "journal.memory_hours",
            config.journal.memory_hours,
            1,
            24 * 90,
            "use 1 to 2160 hours, e.g. 48",
        ),
        bound(
            "log.keep",
            config.log.keep,
            1,
            3_650,
            "use 1 to 3650 files, e.g. 14",
        ),
    ]
}

/// https anywhere; http only on loopback.
fn check_url(raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => match url.host_str() {
            Some("127.0.0.1" | "localhost" | "[::1]") => Ok(()),
            _ => Err(format!(
                "{raw:?} is plain http to a host that is not loopback; secrets would travel unencrypted"
            )),
        },
        other => Err(format!("{raw:?} has scheme {other:?}")),
    }
}
