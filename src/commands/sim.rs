//! `remedy sim`: the tenant simulator alone, until Ctrl-C.

use std::io::Write;
use std::path::PathBuf;

use color_eyre::eyre::{Result, WrapErr};

use remedy::config::LogSection;
use remedy::sim::{Scenario, SimOptions, start};

use crate::cli::LogTo;

pub async fn run(port: u16, scenario: Option<PathBuf>, strict: bool, log: LogTo) -> Result<i32> {
    let _logs = super::start_logging(log, &LogSection::default());
    let scenario = Scenario::load(scenario.as_deref(), strict)?;
    let sim = start(SimOptions { port, scenario })
        .await
        .wrap_err("the simulator could not start")?;
    let banner = [
        format!("remedy simulator listening on {}", sim.base_url()),
        format!(
            "  Cloud App Security  {}   (token remedy-demo-token)",
            sim.cas_url()
        ),
        format!("  Defender            {}", sim.defender_url()),
        format!("  Graph               {}", sim.graph_url()),
        format!(
            "  token authority     {}   (tenant contoso, client remedy-demo / remedy-demo-secret)",
            sim.authority_url()
        ),
        format!(
            "  faults and stats    {}/_sim/faults  {}/_sim/stats",
            sim.base_url(),
            sim.base_url()
        ),
        "Ctrl-C stops it.".to_string(),
    ];
    // A script that read the address and closed the pipe (`remedy sim | head -1`) still has its simulator:
    // the rest of the banner is dropped, never a reason to stop serving.
    let mut out = std::io::stdout().lock();
    for line in banner {
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    drop(out);
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(0)
}
