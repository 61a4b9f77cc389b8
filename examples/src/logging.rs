//! The client's `tracing` events on stderr, filtered by `RUST_LOG`.
//!
//! The library prints nothing itself; it emits `tracing` events (connects, retries, metadata
//! refreshes, rebalances, commits, transaction state changes) and leaves it to the application
//! to install a subscriber. Every example installs this one, through [`app::run`](crate::app::run),
//! so that, for instance,
//!
//! ```text
//! RUST_LOG=kafkito=debug cargo run -p examples --bin consumer -- ...
//! ```
//!
//! shows the group joining and the partitions it is given. Without `RUST_LOG`, warnings and
//! errors are shown. Events go to stderr, so that records printed on stdout stay parseable.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter used when `RUST_LOG` is unset or empty.
pub const DEFAULT_FILTER: &str = "warn";

/// Installs a subscriber that writes events to stderr, filtered by `RUST_LOG` (the
/// `tracing-subscriber` env-filter syntax, e.g. `kafkito=debug` or
/// `kafkito::consumer=trace,info`). A `RUST_LOG` that does not parse falls back to
/// [`DEFAULT_FILTER`] with a note on stderr. Calling it again does nothing.
///
/// ```
/// examples::logging::init();
/// tracing_subscriber::fmt::try_init().unwrap_err(); // one subscriber is already installed
/// ```
pub fn init() {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|error| {
            eprintln!(
                "RUST_LOG={spec:?} is not a valid filter ({error}); using {DEFAULT_FILTER:?}"
            );
            EnvFilter::new(DEFAULT_FILTER)
        }),
        _ => EnvFilter::new(DEFAULT_FILTER),
    };
    // A second call (a test running two programs' bodies) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a terminal, so that a captured log stays plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
