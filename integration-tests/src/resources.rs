//! What the test process holds right now: resident memory, open sockets, live Tokio tasks.
//! Read from `/proc/self` (Linux) and the runtime's stable metrics, so resource tests can
//! assert that a client gives back what it took.
//!
//! ```no_run
//! # async fn demo() {
//! use integration_tests::resources::{open_sockets, rss_bytes, alive_tasks};
//! let before = (open_sockets(), alive_tasks());
//! // ... build a client, use it, close it ...
//! assert_eq!((open_sockets(), alive_tasks()), before);
//! # let _ = rss_bytes();
//! # }
//! ```

use std::time::{Duration, Instant};

/// Resident set size of this process (`VmRSS` of `/proc/self/status`), in bytes; `None` where
/// `/proc` is not available.
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// File descriptors of this process that are sockets (`/proc/self/fd/*` → `socket:[…]`).
pub fn open_sockets() -> usize {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

/// Tasks alive in the current Tokio runtime (spawned and not yet finished).
///
/// # Panics
/// Outside a Tokio runtime.
pub fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Waits (at most `limit`) until `probe()` is at most `target`; returns the last value seen.
/// Closing a client lets its tasks and sockets go asynchronously: a test gives them a moment
/// rather than sampling once.
pub async fn settle(limit: Duration, target: usize, probe: impl Fn() -> usize) -> usize {
    let deadline = Instant::now() + limit;
    loop {
        let now = probe();
        if now <= target || Instant::now() >= deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
