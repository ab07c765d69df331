//! `remedy journal copy --to URL_OR_PATH [--from URL_OR_PATH]`: moves a journal between SQLite and PostgreSQL
//! (or to a new file), then verifies the copy's audit chain and compares the rows per table.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

use remedy::store::{Journal, JournalLocation};

use super::{EXIT_FAILED, EXIT_USAGE};

/// Environment variable with the PostgreSQL password, for URLs that carry none.
pub const PASSWORD_VAR: &str = "REMEDY_JOURNAL_PASSWORD";

pub fn run(
    config_file: &Path,
    journal: Option<PathBuf>,
    from: Option<String>,
    to: &str,
) -> Result<i32> {
    let source = match from {
        Some(from) => location(&from)?,
        None => match super::existing_journal(config_file, journal) {
            Ok((target, _)) => remedy::wiring::journal_location(&target)?,
            Err(code) => return Ok(code),
        },
    };
    let target = location(to)?;
    if let (JournalLocation::Sqlite(a), JournalLocation::Sqlite(b)) = (&source, &target)
        && a == b
    {
        eprintln!(
            "error: --to names the journal being copied ({})",
            a.display()
        );
        return Ok(EXIT_USAGE);
    }
    if let JournalLocation::Sqlite(path) = &source
        && !path.exists()
    {
        eprintln!("error: no journal at {}", path.display());
        return Ok(EXIT_USAGE);
    }
    let from_journal = open(&source)?;
    let mut to_journal = open(&target)?;
    let copied = match from_journal.copy_into(&mut to_journal) {
        Ok(copied) => copied,
        Err(e @ remedy::store::StoreError::CopyTargetNotEmpty { .. }) => {
            eprintln!("error: {target}: {e}");
            return Ok(EXIT_USAGE);
        }
        Err(e) => return Err(e).wrap_err_with(|| format!("copying {source} to {target}")),
    };
    let in_target = to_journal.table_counts()?;
    println!("copied {source} → {target}");
    let mut equal = true;
    for ((table, rows), (_, now)) in copied.iter().zip(&in_target) {
        let mark = if rows == now { "" } else { "  ← differs" };
        equal &= rows == now;
        println!("  {table:<15} {rows:>9} rows{mark}");
    }
    let report = to_journal.verify_audit()?;
    match &report.fault {
        None => println!(
            "audit chain of the copy intact: {} entries, head {}:{}",
            report.entries, report.last_seq, report.last_hash
        ),
        Some(fault) => {
            eprintln!("error: the copy's audit chain does not verify: {fault}");
            return Ok(EXIT_FAILED);
        }
    }
    Ok(if equal { 0 } else { EXIT_FAILED })
}

fn location(url_or_path: &str) -> Result<JournalLocation> {
    let location = JournalLocation::parse(url_or_path)?;
    Ok(match std::env::var(PASSWORD_VAR) {
        Ok(password) if !password.is_empty() => location.with_password(&password),
        _ => location,
    })
}

/// Opens a journal keyed with `REMEDY_AUDIT_KEY` when it is set (as `remedy audit` does).
fn open(location: &JournalLocation) -> Result<Journal> {
    let mut journal =
        Journal::open_location(location).wrap_err_with(|| format!("journal {location}"))?;
    if let Some(key) = std::env::var_os(remedy::wiring::AUDIT_KEY_VAR)
        .and_then(|v| remedy::store::AuditKey::new(v.into_encoded_bytes()))
    {
        journal.set_audit_key(key);
    }
    Ok(journal)
}
