//! A minimal `tracing` subscriber printing events to stderr, for diagnosing a failing fault

#![allow(dead_code)]
//! test (`RELIABILITY_LOG=debug`); the workspace has no tracing-subscriber.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

struct Stderr {
    max: Level,
    next: AtomicU64,
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Stderr {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max && metadata.target().starts_with("kafka_client")
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed))
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line(String::new());
        event.record(&mut line);
        let m = event.metadata();
        eprintln!("[{} {}]{}", m.level(), m.target(), line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Installs the subscriber when `RELIABILITY_LOG` is `debug`, `info` or `trace`.
pub fn init() {
    let max = match std::env::var("RELIABILITY_LOG").as_deref() {
        Ok("trace") => Level::TRACE,
        Ok("debug") => Level::DEBUG,
        Ok("info") => Level::INFO,
        _ => return,
    };
    let _ = tracing::subscriber::set_global_default(Stderr {
        max,
        next: AtomicU64::new(1),
    });
}
