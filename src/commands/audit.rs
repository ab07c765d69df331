//! `remedy audit verify|export`: the hash-chained audit trail in the journal.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

use remedy::store::ExportFormat;

use crate::cli::{AuditAction, ExportFormat as CliFormat};

pub fn run(config_file: &Path, journal: Option<PathBuf>, action: AuditAction) -> Result<i32> {
    let target = match super::existing_journal(config_file, journal) {
        Ok((target, _)) => target,
        Err(code) => return Ok(code),
    };
    let journal =
        remedy::wiring::open_target(&target).wrap_err_with(|| format!("journal {target}"))?;
    match action {
        AuditAction::Verify {
            expect_head,
            archive,
        } => {
            let report = journal.verify_audit_with_archives(expect_head.as_ref(), &archive)?;
            if report.ok() {
                let keyed = match report.keyed {
                    0 => String::new(),
                    n if n == report.entries => ", all keyed (HMAC)".to_string(),
                    n => format!(", the last {n} keyed (HMAC)"),
                };
                let expected = expect_head
                    .map(|e| format!(", holds the expected head {}", e.seq))
                    .unwrap_or_default();
                let from = match report.first_seq {
                    first if first > 1 => format!(" (from entry {first}, after a checkpoint)"),
                    _ => String::new(),
                };
                println!(
                    "audit trail intact: {} entries{from}{keyed}{expected}, head {}:{}",
                    report.entries, report.last_seq, report.last_hash
                );
                Ok(0)
            } else {
                let fault = report.fault.map(|f| f.to_string()).unwrap_or_default();
                eprintln!("audit trail BROKEN in {target}: {fault}");
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
