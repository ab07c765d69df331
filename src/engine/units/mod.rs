//! Unit tests of the engine's rules (gate, planner, dispatcher, tracker) with a fake clock and a fake
//! provider: no sleeps, no HTTP.

mod alert_text;
mod batch_reads;
mod close_cover;
mod dispatcher;
mod fakes;
mod gate_plan;
mod harness;
mod intake_resolver;
mod journal_checkpoints;
mod journal_outage;
mod leader_pulse;
mod lease_fence;
mod lease_lapse;
mod machine_queue;
mod poll;
mod read_shares;
mod sim_pacing;
mod test_database;
mod tracker;
mod turn_horizon;
mod wait_sweeps;
