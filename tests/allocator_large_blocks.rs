//! `remedy::allocator::tune_for_long_runs` keeps large blocks mapped on their own, so one freed after a larger
//! one was freed still goes back to the system; alone in its test binary, so no other test allocates meanwhile.

/// This process's resident anonymous memory, in bytes (`RssAnon` of `/proc/self/status`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn resident_anon() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("RssAnon");
    kib * 1024
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn a_large_block_freed_after_a_larger_one_leaves_nothing_resident() {
    const MB: usize = 1024 * 1024;
    remedy::allocator::tune_for_long_runs();
    // glibc alone would now raise its mmap threshold to 8 MB, and serve the next 6 MB from the heap
    drop(std::hint::black_box(vec![1u8; 8 * MB]));
    let before = resident_anon();
    let block = std::hint::black_box(vec![1u8; 6 * MB]);
    let while_held = resident_anon();
    drop(block);
    let after = resident_anon();
    assert!(
        while_held >= before + 5 * MB as u64,
        "the block was resident while held"
    );
    assert!(
        after < before + MB as u64,
        "resident {} MB before the block, {} MB after it was freed",
        before / MB as u64,
        after / MB as u64
    );
}
