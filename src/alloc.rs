//! Allocator settings the process needs before it allocates much: mimalloc
//! reads its options from the environment once, when the process is loaded.

/// mimalloc's purge delay: how long freed memory stays mapped before it is
/// given back to the OS.
pub const PURGE_DELAY_ENV: &str = "MIMALLOC_PURGE_DELAY";

/// 10 s instead of mimalloc's 1 s. librdkafka decompresses every fetched batch
/// into a fresh buffer of up to a batch's size (1 MB by default), and frees it
/// once the batch's records are read; at 1 s those pages were handed back and
/// faulted in (and zeroed) again all the time: 12% of the bridge bench's CPU
/// was the kernel clearing pages, and 27k–38k page faults per 200k events
/// became ~1k. Idle memory still goes back to the OS, 10 s later.
const PURGE_DELAY_MS: &str = "10000";

/// mimalloc's eager commit of its arenas.
pub const ARENA_EAGER_COMMIT_ENV: &str = "MIMALLOC_ARENA_EAGER_COMMIT";

/// Off: with it on (mimalloc's default where the OS overcommits) the arena's
/// first gigabyte became resident as it was used and stayed so: the demo
/// console sat at 276 MB RSS 25 s after start, 52 MB with it off
/// (`benches/demo_memory.sh` measures the curve).
const ARENA_EAGER_COMMIT: &str = "0";

/// Restarts this program in place (same pid, arguments and streams) with
/// [`PURGE_DELAY_ENV`] and [`ARENA_EAGER_COMMIT_ENV`] set, unless both are set
/// already (so a user's own value
/// wins, and the restarted process goes on). Linux only, where mimalloc also
/// serves librdkafka's allocations; if the restart fails the program just goes
/// on with the default. Call first thing in `main`, before any thread starts.
pub fn restart_with_allocator_settings() {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let purge_set = std::env::var_os(PURGE_DELAY_ENV).is_some();
        let arena_set = std::env::var_os(ARENA_EAGER_COMMIT_ENV).is_some();
        if purge_set && arena_set {
            return;
        }
        let mut args = std::env::args_os();
        // The resolved path, not /proc/self/exe itself: the process is named
        // after the file it runs (`ps`, `pgrep eventdeck`).
        let exe =
            std::env::current_exe().unwrap_or_else(|_| std::path::PathBuf::from("/proc/self/exe"));
        let mut cmd = std::process::Command::new(exe);
        if let Some(argv0) = args.next() {
            cmd.arg0(argv0);
        }
        // Returns only when the exec failed; the program then runs as it is.
        cmd.args(args);
        // The user's own values win; the restarted process has both set and
        // goes on.
        if !purge_set {
            cmd.env(PURGE_DELAY_ENV, PURGE_DELAY_MS);
        }
        if !arena_set {
            cmd.env(ARENA_EAGER_COMMIT_ENV, ARENA_EAGER_COMMIT);
        }
        let _ = cmd.exec();
    }
}
