//! The embedded tenant simulator: Cloud App Security, Defender, Graph and the token authority over HTTP.

mod actions;
mod analysts;
mod auth;
mod cas;
mod cas_filter;
mod cases;
mod clock;
mod collection;
mod control;
mod errors;
mod faults;
mod fleet;
mod graph;
mod graph_alert_json;
mod graph_alert_list;
mod graph_alerts;
mod graph_scenario;
mod history;
mod http;
mod indexed;
mod mde;
mod mde_actions;
mod migration;
mod odata;
mod quota;
mod scenario;
mod seed;
mod state;
mod stats;
mod strict;
mod wire;

pub use cases::{
    CaseAlert, LOOKALIKE_ACCOUNTS, MANY_DEVICE_COUNT, MANY_DEVICE_OWNER, SILENT_MACHINE,
    SILENT_OWNER, THREE_DEVICE_MACHINES, THREE_DEVICE_OWNER, UNKNOWN_ACCOUNT, VICTIM,
    VICTIM_MACHINE,
};
pub use errors::SimError;
pub use faults::Faults;
pub use fleet::FLEET_OWNER;
pub use graph_scenario::{GraphAlertsSeed, MigrationSeed};
pub use scenario::{
    ActionTiming, AlertSeed, Arrivals, Credentials, DeviceSeed, MachineSeed, PolicySeed, Quotas,
    Roles, Scenario, UserSeed,
};

use rand::Rng;
use state::Shared;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How to start the simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    pub scenario: Scenario,
}

/// A running simulator. Dropping it without [`SimHandle::shutdown`] leaves the server task running.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: oneshot::Sender<()>,
    server: JoinHandle<()>,
    arrivals: Option<JoinHandle<()>>,
}

/// Binds 127.0.0.1 and starts serving the scenario.
pub async fn start(opts: SimOptions) -> Result<SimHandle, SimError> {
    opts.scenario.validate("the given scenario")?;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, opts.port))
        .await
        .map_err(|source| SimError::Bind {
            port: opts.port,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        port: opts.port,
        source,
    })?;
    let arrivals_on = opts.scenario.arrivals.enabled;
    let shared = Arc::new(Shared::new(opts.scenario));
    let app = axum::Router::new()
        .fallback(http::entry)
        .with_state(shared.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let serving = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(e) = serving.await {
            tracing::warn!(error = %e, "simulator server stopped with an error");
        }
    });
    let arrivals = arrivals_on.then(|| tokio::spawn(arrive_forever(shared.clone())));
    tracing::info!(%addr, "simulator listening");
    Ok(SimHandle {
        addr,
        shared,
        stop,
        server,
        arrivals,
    })
}

/// How often (simulated seconds) the simulated analysts and the simulator's own retention run, when the
/// scenario asks for them.
const HOUSEKEEPING_EVERY_SIM_SECS: f64 = 3600.0;
/// The shortest real time between two arrivals (an interval of 0 would otherwise spin).
const LEAST_GAP_WALL_SECS: f64 = 0.001;
/// Arrivals raised at one wake-up at most; beyond that (the process was suspended) the rest are skipped.
const MOST_ARRIVALS_AT_ONCE: u32 = 1_000;

/// Raises new alerts at the scenario's pace (simulated intervals, with occasional bursts). Arrivals are due on
/// simulated time: a late wake-up (a busy state lock, a coarse timer at a high time scale) raises every
/// arrival that came due meanwhile, so the pace holds however fast the clock runs.
async fn arrive_forever(shared: Arc<Shared>) {
    let mut due = {
        let mut st = shared.lock();
        let range = st.scenario.arrivals.interval_secs;
        st.clock.elapsed()
            + st.between(range)
                .max(LEAST_GAP_WALL_SECS * st.scenario.time_scale)
    };
    let mut housekept_at = 0.0;
    loop {
        let wait = {
            let st = shared.lock();
            st.clock.wall_secs(due - st.clock.elapsed())
        };
        tokio::time::sleep(Duration::from_secs_f64(wait.max(0.0))).await;
        let mut st = shared.lock();
        let mut raised = 0;
        while due <= st.clock.elapsed() {
            if raised >= MOST_ARRIVALS_AT_ONCE {
                tracing::warn!(
                    raised,
                    "simulator arrivals fell behind; the rest are skipped"
                );
                due = st.clock.elapsed();
                break;
            }
            let a = st.scenario.arrivals.clone();
            let n = if st.rng.random_bool(a.burst_share.clamp(0.0, 1.0)) {
                st.rng.random_range(a.burst_size[0]..=a.burst_size[1])
            } else {
                1
            };
            for _ in 0..n {
                seed::arrive(&mut st);
            }
            raised += n;
            due += st
                .between(a.interval_secs)
                .max(LEAST_GAP_WALL_SECS * st.scenario.time_scale);
        }
        if st.clock.elapsed() - housekept_at >= HOUSEKEEPING_EVERY_SIM_SECS {
            housekept_at = st.clock.elapsed();
            analysts::close_stale(&mut st);
            history::forget_old(&mut st);
        }
    }
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cloud App Security base; clients append `/api/v1/alerts/`.
    pub fn cas_url(&self) -> String {
        format!("{}/cas", self.base_url())
    }

    /// Defender base; clients append `/api/machines`.
    pub fn defender_url(&self) -> String {
        format!("{}/mde", self.base_url())
    }

    /// Graph base; clients append `/v1.0/users/…`.
    pub fn graph_url(&self) -> String {
        format!("{}/graph", self.base_url())
    }

    /// Token authority base; clients append `/{tenant}/oauth2/v2.0/token`.
    pub fn authority_url(&self) -> String {
        format!("{}/login", self.base_url())
    }

    /// The counters `GET /_sim/stats` serves.
    pub fn stats(&self) -> serde_json::Value {
        self.shared.lock().stats.to_json()
    }

    /// Every machine action the simulator holds, as Defender would serve it now (the record a test keeps
    /// when it fails).
    pub fn actions(&self) -> Vec<serde_json::Value> {
        let st = self.shared.lock();
        let now = st.clock.elapsed();
        st.actions
            .iter()
            .map(|a| a.to_json(&st.clock, now, false))
            .collect()
    }

    /// Plays a policy migration now, as `POST /_sim/migrate` does: the policy is disabled and its later
    /// alerts reach Graph only, from the returned detector id. `None` when the policy is unknown.
    pub fn migrate(&self, policy: &str, detector_id: Option<&str>) -> Option<String> {
        let mut st = self.shared.lock();
        migration::migrate(&mut st, policy, detector_id.map(str::to_string)).map(|m| m.detector)
    }

    /// Raises one new alert now, as `POST /_sim/arrive` does.
    pub fn arrive(&self) {
        seed::arrive(&mut self.shared.lock());
    }

    /// Replaces the fault switches, as `POST /_sim/faults` does (out-of-range shares are clamped to 0..1).
    pub fn set_faults(&self, mut faults: Faults) {
        for share in [
            &mut faults.error_share,
            &mut faults.throttle_share,
            &mut faults.reset_share,
            &mut faults.malformed_share,
        ] {
            *share = share.clamp(0.0, 1.0);
        }
        self.shared.lock().faults = faults;
    }

    /// Stops accepting requests and ends the server and arrival tasks.
    pub async fn shutdown(self) {
        if let Some(a) = &self.arrivals {
            a.abort();
        }
        let _ = self.stop.send(());
        let mut server = self.server;
        if tokio::time::timeout(Duration::from_secs(2), &mut server)
            .await
            .is_err()
        {
            server.abort();
        }
    }
}
