//! `remedy sim`: the tenant simulator alone, until Ctrl-C.

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
    println!("remedy simulator listening on {}", sim.base_url());
    println!(
        "  Cloud App Security  {}   (token remedy-demo-token)",
        sim.cas_url()
    );
    println!("  Defender            {}", sim.defender_url());
    println!("  Graph               {}", sim.graph_url());
    println!(
        "  token authority     {}   (tenant contoso, client remedy-demo / remedy-demo-secret)",
        sim.authority_url()
    );
    println!(
        "  faults and stats    {}/_sim/faults  {}/_sim/stats",
        sim.base_url(),
        sim.base_url()
    );
    println!("Ctrl-C stops it.");
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(0)
}
