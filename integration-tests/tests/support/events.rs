//! Counting our client's own `tracing` events, so that a fault test can show its fault was hit
//! and the client retried (e.g. "InitProducerId failed; retrying") when the fault source keeps
//! no counter of its own.
//!
//! Two ways:
//! - [`CountEvents`], a subscriber for `tracing::subscriber::set_default`: counts the events of
//!   the current thread only (a current-thread `#[tokio::test]`).
//! - [`count`]: a process-wide counter, seen from every thread (multi-thread runtimes, spawned
//!   tasks). It needs the process-wide subscriber of this module, which [`count`] installs
//!   (and which also prints events when `RELIABILITY_LOG` is set, see `support::log`). Counts
//!   are per process: nextest runs each test in its own process; under `cargo test` a test
//!   sharing the process could add to a count, never take from it.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Counts the `kafkito` events whose message is exactly `message` (thread-local use with
/// `tracing::subscriber::set_default`).
pub struct CountEvents {
    /// The event message to count.
    pub message: &'static str,
    /// How many were seen.
    pub seen: Arc<AtomicUsize>,
}

/// Finds an event's `message` field.
struct Message(Option<String>);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

fn message_of(event: &Event<'_>) -> Option<String> {
    let mut visit = Message(None);
    event.record(&mut visit);
    visit.0
}

impl Subscriber for CountEvents {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        integration_tests::is_client_target(metadata.target())
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if message_of(event).as_deref() == Some(self.message) {
            self.seen.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// The process-wide subscriber: prints `kafkito` events up to `max` (when set) and counts
/// the messages registered through [`count`].
struct Global {
    max: Option<Level>,
    next: AtomicU64,
}

/// The registered counters: (event message, count).
type Counters = Mutex<Vec<(&'static str, Arc<AtomicUsize>)>>;

fn counters() -> &'static Counters {
    static COUNTERS: OnceLock<Counters> = OnceLock::new();
    COUNTERS.get_or_init(|| Mutex::new(Vec::new()))
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Global {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Every level: a counted event may be a DEBUG one, and what is enabled is cached per
        // call site before any counter is registered.
        integration_tests::is_client_target(metadata.target())
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed))
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let counters = counters().lock().unwrap();
        if !counters.is_empty() {
            if let Some(message) = message_of(event) {
                for (wanted, seen) in counters.iter() {
                    if *wanted == message {
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }
        drop(counters);
        let m = event.metadata();
        if self.max.is_some_and(|max| *m.level() <= max) {
            let mut line = Line(String::new());
            event.record(&mut line);
            eprintln!("[{} {}]{}", m.level(), m.target(), line.0);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Installs the process-wide subscriber once; returns whether it is the one in place.
pub fn install() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        let max = match std::env::var("RELIABILITY_LOG").as_deref() {
            Ok("trace") => Some(Level::TRACE),
            Ok("debug") => Some(Level::DEBUG),
            Ok("info") => Some(Level::INFO),
            _ => None,
        };
        tracing::subscriber::set_global_default(Global {
            max,
            next: AtomicU64::new(1),
        })
        .is_ok()
    })
}

/// A counter of the `kafkito` events with message `message`, from every thread, starting
/// at 0 now. Panics when another process-wide subscriber is in place (the count would stay 0).
pub fn count(message: &'static str) -> Arc<AtomicUsize> {
    assert!(
        install(),
        "another global tracing subscriber is installed: cannot count {message:?}"
    );
    let seen = Arc::new(AtomicUsize::new(0));
    counters().lock().unwrap().push((message, seen.clone()));
    seen
}
