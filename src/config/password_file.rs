//! A password kept in a file of its own (`[journal] password_file`, `journal copy --to-password-file`): its
//! first line is the password, and a file other users can read is warned about.

use std::path::Path;

use super::Secret;

/// A password read from a file, and a warning when other users can read that file.
#[derive(Debug)]
pub struct PasswordFile {
    pub password: Secret,
    pub warning: Option<String>,
}

/// Reads the password in `path` (its trailing line break dropped); `setting` names where the path came from
/// (`journal.password_file`, `--to-password-file`) in the warning.
pub fn read_password_file(path: &Path, setting: &str) -> std::io::Result<PasswordFile> {
    let text = std::fs::read_to_string(path)?;
    Ok(PasswordFile {
        password: Secret::new(text.trim_end_matches(['\r', '\n'])),
        warning: readable_by_others(path, setting),
    })
}

/// A warning when the password file can be read by other users (mode not 0600 or stricter).
#[cfg(unix)]
fn readable_by_others(path: &Path, setting: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{setting} {} is readable by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path, _setting: &str) -> Option<String> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn written(mode: u32) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\r\n").expect("written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("mode set");
        (dir, path)
    }

    #[test]
    fn the_first_line_is_the_password_and_a_private_file_is_not_warned_about() {
        let (_dir, path) = written(0o600);
        let read = read_password_file(&path, "journal.password_file").expect("read");
        assert_eq!(read.password.expose(), "s3cret");
        assert!(read.warning.is_none());
    }

    #[test]
    fn a_file_others_can_read_is_warned_about_naming_the_setting() {
        let (_dir, path) = written(0o640);
        let read = read_password_file(&path, "--to-password-file").expect("read");
        let warning = read.warning.expect("a warning");
        assert!(
            warning.starts_with("--to-password-file ")
                && warning.contains("(mode 640)")
                && warning.contains("chmod 600"),
            "{warning}"
        );
    }
}
