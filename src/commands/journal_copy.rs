//! `remedy journal copy --to URL_OR_PATH [--from URL_OR_PATH] [--to-password-file F] [--from-password-file F]`:
//! moves a journal between SQLite and PostgreSQL (or to a new file), then verifies the copy's audit chain and
//! compares the rows per table.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

use remedy::config::read_password_file;
use remedy::store::{Journal, JournalLocation};

use super::{EXIT_FAILED, EXIT_USAGE};

/// Environment variable with the PostgreSQL password, for URLs that carry none and sides without a password file.
pub const PASSWORD_VAR: &str = "REMEDY_JOURNAL_PASSWORD";

/// `--from`/`--to` as given, and the file holding that side's password (`--from-password-file`, …).
pub type SideArgs<'a> = (Option<&'a str>, Option<&'a Path>);

pub fn run(
    config_file: &Path,
    journal: Option<PathBuf>,
    (from, from_password_file): SideArgs<'_>,
    (to, to_password_file): (&str, Option<&Path>),
) -> Result<i32> {
    let source = match (from, from_password_file) {
        (Some(from), password_file) => match location("from", from, password_file)? {
            Ok(source) => source,
            Err(problem) => return Ok(usage(&problem)),
        },
        (None, Some(_)) => {
            return Ok(usage(
                "--from-password-file needs --from postgres://…: the config's own journal takes its password \
                 from [journal] password_file or password_env",
            ));
        }
        (None, None) => match super::existing_journal(config_file, journal) {
            Ok((target, _)) => remedy::wiring::journal_location(&target)?,
            Err(code) => return Ok(code),
        },
    };
    let target = match location("to", to, to_password_file)? {
        Ok(target) => target,
        Err(problem) => return Ok(usage(&problem)),
    };
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

fn usage(problem: &str) -> i32 {
    eprintln!("error: {problem}");
    EXIT_USAGE
}

/// The journal `--{flag}` names, its PostgreSQL password from `--{flag}-password-file` when given, else from
/// `REMEDY_JOURNAL_PASSWORD`; a usage problem naming the flag when the file cannot be used.
fn location(
    flag: &str,
    url_or_path: &str,
    password_file: Option<&Path>,
) -> Result<Result<JournalLocation, String>> {
    let location = JournalLocation::parse(url_or_path)?;
    let Some(path) = password_file else {
        return Ok(Ok(match std::env::var(PASSWORD_VAR) {
            Ok(password) if !password.is_empty() => location.with_password(&password),
            _ => location,
        }));
    };
    let setting = format!("--{flag}-password-file");
    if !location.is_postgres() {
        return Ok(Err(format!(
            "{setting} is for a PostgreSQL --{flag} (postgres://…), and {url_or_path} is a SQLite file"
        )));
    }
    let read = match read_password_file(path, &setting) {
        Ok(read) => read,
        Err(e) => {
            return Ok(Err(format!(
                "{setting} {}: cannot read it ({e}); point it at a file holding only the password",
                path.display()
            )));
        }
    };
    if let Some(warning) = read.warning {
        eprintln!("warning: {warning}");
    }
    Ok(Ok(location.with_password(read.password.expose())))
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
