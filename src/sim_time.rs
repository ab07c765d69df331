//! `remedy run --sim-clock` (demo and benchmarks only): the engine on a simulator's faster clock, with the
//! quotas and intervals scaled alike, so a simulated week passes in minutes through the real binary.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::api::{ApiSettings, QuotaWindow};
use crate::config::Config;
use crate::engine::EngineSettings;

/// The shortest real interval a scaled poll or track round gets (a faster one would only spin).
const SHORTEST_ROUND: Duration = Duration::from_millis(200);

/// The simulator's time as it reported it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimTime {
    /// Simulated now.
    pub now: DateTime<Utc>,
    /// Simulated seconds per real second.
    pub scale: f64,
}

/// Why remedy cannot run on the simulator's clock.
#[derive(Debug, thiserror::Error)]
pub enum SimTimeError {
    #[error(
        "--sim-clock is for a simulator on this machine only, but {key} is {url:?}: point every service at a loopback simulator (`remedy sim`)"
    )]
    NotLoopback { key: &'static str, url: String },
    #[error("the simulator's clock could not be read at {url}: {reason}")]
    Unreadable { url: String, reason: String },
}

/// The simulator's clock endpoint, when every service of `config` is on loopback (a simulator serves them all
/// under one listener, its controls under `/_sim`).
pub fn clock_url(config: &Config) -> Result<String, SimTimeError> {
    let services = [
        ("cas.url", &config.cas.url),
        ("defender.url", &config.defender.url),
        ("graph.url", &config.graph.url),
        ("auth.authority", &config.auth.authority),
    ];
    for (key, raw) in services {
        let loopback = url::Url::parse(raw)
            .ok()
            .is_some_and(|url| matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")));
        if !loopback {
            return Err(SimTimeError::NotLoopback {
                key,
                url: raw.clone(),
            });
        }
    }
    let cas = url::Url::parse(&config.cas.url).map_err(|e| SimTimeError::NotLoopback {
        key: "cas.url",
        url: format!("{} ({e})", config.cas.url),
    })?;
    Ok(format!("{}/_sim/clock", cas.origin().ascii_serialization()))
}

/// Reads the simulator's now and time scale (`GET /_sim/clock`).
pub async fn read(url: &str) -> Result<SimTime, SimTimeError> {
    let unreadable = |reason: String| SimTimeError::Unreadable {
        url: url.to_string(),
        reason,
    };
    let reply: serde_json::Value = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| unreadable(e.to_string()))?
        .json()
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    let now = reply["now"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(|| unreadable(format!("no RFC 3339 `now` in {reply}")))?
        .with_timezone(&Utc);
    let scale = reply["time_scale"]
        .as_f64()
        .filter(|s| s.is_finite() && *s > 0.0)
        .ok_or_else(|| unreadable(format!("no positive `time_scale` in {reply}")))?;
    Ok(SimTime { now, scale })
}

/// Scales what runs on real time to the simulator's: every client quota window is `scale` times shorter, the
/// engine's poll, track, forget and resolve-cache intervals are read as simulated seconds, and the lease
/// lasts as long in real time as the config says (its heartbeat beats `scale` times faster in simulated time).
pub fn scale_to(scale: f64, api: &mut ApiSettings, engine: &mut EngineSettings) {
    let quotas = [
        &mut api.quotas.cas,
        &mut api.quotas.defender,
        &mut api.quotas.graph,
        &mut api.security_alerts_quota,
    ];
    for windows in quotas {
        for window in windows.iter_mut() {
            *window = QuotaWindow {
                per: window.per.div_f64(scale),
                ..*window
            };
        }
    }
    engine.poll_interval = engine.poll_interval.div_f64(scale).max(SHORTEST_ROUND);
    engine.track_interval = engine.track_interval.div_f64(scale).max(SHORTEST_ROUND);
    engine.forget_every = engine.forget_every.div_f64(scale).max(SHORTEST_ROUND);
    engine.resolve_cache_ttl = engine.resolve_cache_ttl.div_f64(scale);
    engine.lease_ttl = engine.lease_ttl.mul_f64(scale);
    engine.time_scale = scale;
    engine.demo = true;
}

/// What the JSON stream and the log say at start: time is simulated.
pub fn notice(time: &SimTime) -> String {
    format!(
        "time is simulated: the engine runs on the simulator's clock, {}× real time (now {}; --sim-clock, \
         for demos and benchmarks only)",
        time.scale,
        time.now.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(defender: &str) -> Config {
        let mut config = crate::wiring::demo_config("http://127.0.0.1:4321").expect("demo config");
        config.defender.url = defender.to_string();
        config
    }

    #[test]
    fn the_clock_is_read_from_the_loopback_simulator_serving_cas() {
        assert_eq!(
            clock_url(&config("http://127.0.0.1:4321/mde")).unwrap(),
            "http://127.0.0.1:4321/_sim/clock"
        );
    }

    #[test]
    fn a_service_off_loopback_refuses_the_simulated_clock() {
        let refused = clock_url(&config("https://api.security.microsoft.com")).unwrap_err();
        assert!(refused.to_string().contains("defender.url"), "{refused}");
    }

    #[test]
    fn scaling_shortens_quotas_and_rounds_but_keeps_the_lease_real() {
        let config = config("http://127.0.0.1:4321/mde");
        let mut api = crate::wiring::api_settings(&config);
        let mut engine = crate::wiring::engine_settings(&config, false, false);
        let lease = engine.lease_ttl;
        scale_to(600.0, &mut api, &mut engine);
        assert_eq!(api.quotas.defender[0].per, Duration::from_millis(100));
        assert_eq!(api.quotas.defender[0].limit, 100);
        assert_eq!(engine.poll_interval, SHORTEST_ROUND);
        assert_eq!(engine.lease_ttl, lease * 600);
        assert_eq!(engine.time_scale, 600.0);
        assert!(engine.demo, "the snapshot says demo");
    }
}
