//! `remedy::allocator::release_free_memory` hands heap freed below memory still in use back to the system
//! (glibc keeps it otherwise); alone in its test binary, so no other test allocates meanwhile.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod rss_common;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
use rss_common::resident_anon;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn freed_memory_below_what_is_in_use_goes_back_to_the_system() {
    const MB: u64 = 1024 * 1024;
    let blocks: Vec<Vec<u8>> = (0..200_000).map(|i| vec![i as u8; 256]).collect();
    let in_use_above = vec![1u8; 256];
    drop(blocks);
    let freed = resident_anon();
    remedy::allocator::release_free_memory();
    let released = resident_anon();
    assert!(
        released + 20 * MB < freed,
        "resident {} MB after the free, {} MB after the release",
        freed / MB,
        released / MB
    );
    assert_eq!(in_use_above[0], 1);
}
