//! Audit archives: the entries a prune removes, written as JSON lines next to the journal before they go, and
//! read back so that `remedy audit verify --archive` walks archive and journal as one chain.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::StoreError;
use super::audit::AuditRecord;
use super::export::json_line;

/// The archive file for entries `first..=last` of the journal at `journal`: `<journal>.audit-<first>-<last>.jsonl`
/// (zero-padded, so that name order is chain order).
pub fn archive_path(journal: &Path, first: i64, last: i64) -> PathBuf {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".audit-{first:012}-{last:012}.jsonl"));
    journal.with_file_name(name)
}

fn archive_error(path: &Path, problem: impl std::fmt::Display) -> StoreError {
    StoreError::Archive {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    }
}

/// Writes `records` to `path` (created new, owner-only) and syncs it to disk before returning.
pub(crate) fn write_archive(
    path: &Path,
    records: impl Iterator<Item = Result<AuditRecord, StoreError>>,
) -> Result<u64, StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(|e| archive_error(path, e))?;
    let mut out = std::io::BufWriter::new(file);
    let mut written = 0;
    for record in records {
        let line = json_line(&record?);
        writeln!(out, "{line}").map_err(|e| archive_error(path, e))?;
        written += 1;
    }
    let file = out
        .into_inner()
        .map_err(|e| archive_error(path, e.error()))?;
    file.sync_all().map_err(|e| archive_error(path, e))?;
    Ok(written)
}

/// One archived line as written by [`write_archive`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArchivedLine {
    seq: i64,
    at: String,
    who: String,
    action: String,
    target: String,
    why: String,
    result: String,
    prev_hash: String,
    hash: String,
}

/// Reads an archive line by line; a line that does not parse is an error naming the file and line.
pub struct ArchiveReader {
    path: PathBuf,
    lines: std::io::Lines<BufReader<File>>,
    line: usize,
}

impl ArchiveReader {
    pub fn open(path: &Path) -> Result<ArchiveReader, StoreError> {
        let file = File::open(path).map_err(|e| archive_error(path, e))?;
        Ok(ArchiveReader {
            path: path.to_path_buf(),
            lines: BufReader::new(file).lines(),
            line: 0,
        })
    }

    /// The sequence number of the archive's first entry (to put several archives in chain order).
    pub fn first_seq(path: &Path) -> Result<Option<i64>, StoreError> {
        ArchiveReader::open(path)?
            .next()
            .transpose()
            .map(|first| first.map(|r| r.seq))
    }

    fn parse(&self, text: &str) -> Result<AuditRecord, StoreError> {
        let bad =
            |problem: String| archive_error(&self.path, format!("line {}: {problem}", self.line));
        let l: ArchivedLine = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let at = DateTime::parse_from_rfc3339(&l.at)
            .map_err(|e| bad(format!("time {:?}: {e}", l.at)))?
            .with_timezone(&Utc);
        Ok(AuditRecord {
            seq: l.seq,
            at,
            who: l.who,
            action: l.action,
            target: l.target,
            why: l.why,
            result: l.result,
            prev_hash: l.prev_hash,
            hash: l.hash,
        })
    }
}

impl Iterator for ArchiveReader {
    type Item = Result<AuditRecord, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let text = match self.lines.next()? {
                Ok(text) => text,
                Err(e) => return Some(Err(archive_error(&self.path, e))),
            };
            self.line += 1;
            if !text.trim().is_empty() {
                return Some(self.parse(&text));
            }
        }
    }
}
