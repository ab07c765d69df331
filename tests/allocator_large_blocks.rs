//! `remedy::allocator::tune_for_long_runs` keeps large blocks mapped on their own, so one freed after a larger
//! one was freed still goes back to the system; alone in its test binary, so no other test allocates meanwhile.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod rss_common;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
use rss_common::resident_anon;

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
