//! The system allocator for a process that runs for months: on glibc, few heap arenas and freed memory handed
//! back, so the resident size follows what is in use rather than the largest it ever was.
//!
//! glibc gives each thread that allocates under contention an arena of its own (up to eight per core) and keeps
//! what is freed in them for reuse; a long-running engine whose tokio workers take turns allocating then holds
//! the high-water mark of every arena. Elsewhere (musl, macOS) both calls do nothing.

/// Arenas glibc may create (its default is eight per core).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: libc::c_int = 2;

/// Limits glibc to [`ARENAS`] heap arenas. Call before any thread is started.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a tunable of the allocator; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
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
