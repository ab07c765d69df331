//! The system allocator for a process that runs for months: on glibc, few heap arenas and freed memory handed
//! back, so the resident size follows what is in use rather than the largest it ever was.
//!
//! glibc gives each thread that allocates under contention an arena of its own (up to eight per core) and keeps
//! what is freed in them for reuse; a long-running engine whose tokio workers take turns allocating then holds
//! the high-water mark of every arena. It also raises its mmap threshold to the largest block ever freed (up to
//! 32 MB), so after one large response body every later one comes from the heap and stays resident when freed.
//! Elsewhere (musl, macOS) these calls do nothing.

/// Arenas glibc may create (its default is eight per core).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: libc::c_int = 2;

/// Blocks from this size up are mapped on their own and unmapped when freed (glibc's starting value, kept
/// fixed; setting it also fixes the trim threshold at its default).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_FROM_BYTES: libc::c_int = 128 * 1024;

/// Limits glibc to [`ARENAS`] heap arenas and fixes its mmap threshold at [`MMAP_FROM_BYTES`], so large
/// transient blocks (response bodies, pages of rows) go back to the system when freed. Call before any thread
/// is started.
pub fn tune_for_long_runs() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets tunables of the allocator; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_FROM_BYTES);
    }
}

/// Hands the allocator's free pages back to the system (glibc's `malloc_trim`): called when work left memory.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes the allocator's own locks; it frees nothing in use.
    unsafe {
        libc::malloc_trim(0);
    }
}
