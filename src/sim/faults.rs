//! Fault switches: injected latency, errors, throttling storms, resets, malformed bodies, offline machines.

use serde::{Deserialize, Serialize};

/// Faults to inject. Set in the scenario (`[faults]`) or live with `POST /_sim/faults` (the whole set is replaced).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Only inject into this service (`cas`, `mde`, `graph`, `login`); all services when absent.
    pub service: Option<String>,
    /// Added delay before every answer, in wall-clock milliseconds.
    pub latency_ms: u64,
    /// Share (0..1) of requests answered with a 5xx in the service's error shape.
    pub error_share: f64,
    /// Share (0..1) of requests answered 429 regardless of quota (a throttling storm).
    pub throttle_share: f64,
    /// Share (0..1) of requests whose connection is dropped after the request took effect (response lost).
    pub reset_share: f64,
    /// Share (0..1) of successful answers whose JSON body is cut in half.
    pub malformed_share: f64,
    /// Overrides the scenario's token lifetime (wall-clock seconds) for tokens issued from now on.
    pub token_lifetime_secs: Option<u64>,
    /// Defender machine ids that never check in: their new actions stay Pending until TimeOut.
    pub offline_machines: Vec<String>,
    /// Every machine stops checking in (new actions stay Pending until TimeOut).
    pub all_machines_offline: bool,
    /// Overrides the scenario's share (0..1) of new actions that end Failed.
    pub action_failure_share: Option<f64>,
    /// `Retry-After` on 429s is an HTTP date (`Fri, 27 Nov 2026 10:42:07 GMT`) instead of seconds.
    pub retry_after_as_date: bool,
}

impl Faults {
    /// The `Retry-After` value for a wait of `wall_secs` on `service`: seconds, or an HTTP date when asked.
    pub(crate) fn retry_after(&self, service: &str, wall_secs: f64) -> String {
        let secs = super::wire::retry_after(wall_secs);
        if !(self.retry_after_as_date && self.applies_to(service)) {
            return secs;
        }
        let wait = std::time::Duration::from_secs(secs.parse().unwrap_or(1));
        httpdate::fmt_http_date(std::time::SystemTime::now() + wait)
    }

    /// Whether these faults apply to requests for `service`.
    pub(crate) fn applies_to(&self, service: &str) -> bool {
        self.service.as_deref().is_none_or(|s| s == service)
    }

    /// The problem with out-of-range values, if any.
    pub(crate) fn problem(&self) -> Option<String> {
        let shares = [
            ("error_share", self.error_share),
            ("throttle_share", self.throttle_share),
            ("reset_share", self.reset_share),
            ("malformed_share", self.malformed_share),
            (
                "action_failure_share",
                self.action_failure_share.unwrap_or(0.0),
            ),
        ];
        if let Some((name, v)) = shares.iter().find(|(_, v)| !(0.0..=1.0).contains(v)) {
            return Some(format!("faults.{name} = {v} must be between 0 and 1"));
        }
        match self.service.as_deref() {
            None | Some("cas" | "mde" | "graph" | "login") => None,
            Some(other) => Some(format!(
                "faults.service = {other:?} must be one of cas, mde, graph, login"
            )),
        }
    }
}

/// The fault drawn for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Injected {
    None,
    ServerError,
    Throttle,
    Reset,
    Malformed,
}

impl Faults {
    /// Picks the fault for one request from a uniform draw in 0..1.
    pub(crate) fn draw(&self, roll: f64) -> Injected {
        let mut edge = self.error_share;
        if roll < edge {
            return Injected::ServerError;
        }
        edge += self.throttle_share;
        if roll < edge {
            return Injected::Throttle;
        }
        edge += self.reset_share;
        if roll < edge {
            return Injected::Reset;
        }
        edge += self.malformed_share;
        if roll < edge {
            return Injected::Malformed;
        }
        Injected::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draw_splits_the_unit_interval() {
        let f = Faults {
            error_share: 0.1,
            throttle_share: 0.2,
            reset_share: 0.1,
            malformed_share: 0.1,
            ..Faults::default()
        };
        assert_eq!(f.draw(0.05), Injected::ServerError);
        assert_eq!(f.draw(0.25), Injected::Throttle);
        assert_eq!(f.draw(0.35), Injected::Reset);
        assert_eq!(f.draw(0.45), Injected::Malformed);
        assert_eq!(f.draw(0.55), Injected::None);
    }

    #[test]
    fn out_of_range_share_is_a_problem() {
        let f = Faults {
            error_share: 1.5,
            ..Faults::default()
        };
        assert!(f.problem().unwrap().contains("error_share"));
    }
}
