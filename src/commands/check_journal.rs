//! `remedy check`'s journal line: which journal this config uses and whether it can be reached.

use std::path::Path;

use remedy::config::{Config, JournalTarget};

/// Prints which journal the config uses and whether it is reachable; false when it is not.
pub async fn check_journal(config: &Config, file: &Path) -> bool {
    let target = match remedy::wiring::journal_target(config, file) {
        Ok(target) => target,
        Err(e) => {
            println!("journal  FAILED   {e}");
            return false;
        }
    };
    match &target {
        JournalTarget::Sqlite(path) if path.exists() => {
            println!("journal  ok       {target}");
            true
        }
        JournalTarget::Sqlite(_) => {
            println!("journal  ok       {target} (created at the first start)");
            true
        }
        JournalTarget::Postgres(pg) => match remedy::pg_connect::probe(pg).await {
            Ok(version) => {
                println!("journal  ok       {target}: reachable (PostgreSQL {version})");
                true
            }
            Err(e) => {
                println!("journal  FAILED   {target}: {e}");
                false
            }
        },
    }
}
