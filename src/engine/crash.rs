//! Test hook for crash tests: the process kills itself (SIGKILL) at a named point of dispatch.

/// Dies at once, like a power cut, when `REMEDY_CRASH_AT` names `point`
/// (`before_post`, `after_post` or `tracking`). Does nothing otherwise.
pub(super) fn crash_point(point: &str) {
    if std::env::var("REMEDY_CRASH_AT").ok().as_deref() != Some(point) {
        return;
    }
    tracing::warn!(point, "REMEDY_CRASH_AT: killing this process");
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status();
    std::process::abort();
}
