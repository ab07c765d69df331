//! `remedy audit verify|export`: the hash-chained audit trail in the journal.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

use remedy::store::ExportFormat;

use crate::cli::{AuditAction, ExportFormat as CliFormat};

pub fn run(config_file: &Path, journal: Option<PathBuf>, action: AuditAction) -> Result<i32> {
    let journal_path = journal.unwrap_or_else(|| match remedy::config::load(config_file) {
        Ok(loaded) => remedy::wiring::journal_path(&loaded.config),
        Err(_) => remedy::config::data_dir().join("journal.sqlite"),
    });
    if !journal_path.exists() {
        eprintln!(
            "error: no journal at {}; set [journal] path in the config or pass --journal FILE",
            journal_path.display()
        );
        return Ok(super::EXIT_CONFIG);
    }
    let journal = remedy::wiring::open_journal(&journal_path)
        .wrap_err_with(|| format!("journal {}", journal_path.display()))?;
    match action {
        AuditAction::Verify { expect_head } => {
            let report = journal.verify_audit_against(expect_head.as_ref())?;
            if report.ok() {
                let keyed = match report.keyed {
                    0 => String::new(),
                    n if n == report.entries => ", all keyed (HMAC)".to_string(),
                    n => format!(", the last {n} keyed (HMAC)"),
                };
                let expected = expect_head
                    .map(|e| format!(", holds the expected head {}", e.seq))
                    .unwrap_or_default();
                println!(
                    "audit trail intact: {} entries{keyed}{expected}, head {}:{}",
                    report.entries, report.entries, report.last_hash
                );
                Ok(0)
            } else {
                let fault = report.fault.map(|f| f.to_string()).unwrap_or_default();
                eprintln!("audit trail BROKEN in {}: {fault}", journal_path.display());
                Ok(1)
            }
        }
        AuditAction::Export { format, since } => {
            let format = match format {
                CliFormat::Json => ExportFormat::Json,
                CliFormat::Csv => ExportFormat::Csv,
            };
            let mut out = std::io::stdout().lock();
            journal.export_audit(format, since, &mut out)?;
            Ok(0)
        }
    }
}
