//! Printing our client's `tracing` events to stderr, for diagnosing a failing fault test
//! (`RELIABILITY_LOG=debug`, `info` or `trace`); the workspace has no tracing-subscriber. The
//! subscriber is the process-wide one of `support::events`, which also counts events.

#![allow(dead_code)]

/// Installs the process-wide subscriber of `support::events` (it prints only when
/// `RELIABILITY_LOG` is `debug`, `info` or `trace`).
pub fn init() {
    super::events::install();
}
