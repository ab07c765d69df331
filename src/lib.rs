//! remedy: turns Cloud App Security alerts into Defender for Endpoint remediation, with a human in the loop.

pub mod alert;
pub mod allocator;
pub mod api;
pub mod config;
pub mod daily_prune;
pub mod engine;
pub mod filter;
pub mod headless;
pub mod headless_resync;
pub mod lifecycle;
pub mod log_days;
pub mod logging;
pub mod pg_connect;
pub mod sim;
pub mod sim_time;
pub mod store;
pub mod text;
pub mod tui;
pub mod wiring;
