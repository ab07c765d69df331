//! Shared by the allocator tests: this process's resident anonymous memory.

/// This process's resident anonymous memory, in bytes (`RssAnon` of `/proc/self/status`).
pub fn resident_anon() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("RssAnon");
    kib * 1024
}
