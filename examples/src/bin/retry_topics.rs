//! Non-blocking retries through retry topics, then a dead-letter topic
//! ([`kafkito::retry_topics`]): a record that fails is handed to `<topic>-retry-<n>` and
//! the records behind it go on at once; it is tried again once its backoff has passed (the
//! retry consumer pauses the partition meanwhile instead of sleeping), and after the last
//! attempt it lands on `<topic>-dlt` with headers saying where it came from and why.
//!
//! "Processing" here fails on purpose: a value containing `fail:always` fails every attempt,
//! one containing `fail:K` (K a number) fails its first K attempts, any other succeeds. Each
//! final outcome is printed as one JSON line, in the order they happen:
//! `{"value":"...","outcome":"processed"|"dead_lettered","attempts":N}`, then a last line
//! `processed=P dead_lettered=D` once nothing new has arrived for `--idle-exit-ms`.
//!
//! ```sh
//! printf 'ok\nfail:1\nfail:always\n' | kcat -P -b localhost:9092 -t orders
//! cargo run --release -p examples --bin retry_topics -- --bootstrap localhost:9092 \
//!     --topic orders --group billing --attempts 3 --backoff-ms 200,1000 --idle-exit-ms 3000
//! ```
//!
//! Per-key order is not kept across retries (a retried record is processed after the records
//! behind it); see the library's docs for the blocking mode that keeps it.

use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use examples::app::{self, AppError, AppResult};
use examples::cli::{Args, Opt, Spec};
use examples::records::json_string;
use kafkito::consumer::ConsumerRecord;
use kafkito::retry_topics::{
    now_ms, Backoff, OutcomeKind, RetryHeaders, RetryTopics, RetryTopicsConfig,
};

const SPEC: Spec = Spec {
    name: "retry_topics",
    about: "Consumes T with non-blocking retries: a failed record goes to T-retry-<n> (one topic \
            per retry, created if missing), the records behind it go on, and after the last \
            attempt it goes to T-dlt. A value containing `fail:always` fails every attempt, \
            `fail:K` its first K attempts. Prints one JSON line per final outcome, then \
            `processed=P dead_lettered=D`, and exits once nothing new arrived for \
            --idle-exit-ms.",
    options: &[
        Opt::required("bootstrap", "HOST:PORT", "a broker to bootstrap from"),
        Opt::required("topic", "T", "the topic to consume (must exist)"),
        Opt::required("group", "G", "consumer group committing the progress"),
        Opt::optional(
            "attempts",
            "N",
            "attempts in all, the first try included (default 3)",
        ),
        Opt::optional(
            "backoff-ms",
            "MS[,MS...]",
            "delay before each retry, the last value repeating (default 200)",
        ),
        Opt::optional(
            "idle-exit-ms",
            "MS",
            "exit once nothing new has arrived for this long (default 5000)",
        ),
    ],
};

/// How many first attempts of `value` fail: `None` for every one (`fail:always`), `Some(K)`
/// for `fail:K`, `Some(0)` for any other value.
fn failing_attempts(value: &str) -> Option<u32> {
    let Some((_, rest)) = value.split_once("fail:") else {
        return Some(0);
    };
    if rest.starts_with("always") {
        return None;
    }
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some(digits.parse().unwrap_or(0))
}

/// The stand-in for the application's work: fails as the value asks.
fn process(record: &ConsumerRecord) -> Result<(), String> {
    // The retry headers count the attempts made before this one (none on the source topic).
    let attempt = match RetryHeaders::read(&record.headers) {
        Ok(headers) => headers.map_or(0, |h| h.attempts) + 1,
        Err(why) => return Err(format!("unreadable retry headers: {why}")),
    };
    let value = String::from_utf8_lossy(record.value.as_deref().unwrap_or_default());
    match failing_attempts(&value) {
        None => Err(format!("attempt {attempt}: the value asks to fail always")),
        Some(k) if attempt <= k => Err(format!("attempt {attempt} of the first {k} that fail")),
        Some(_) => Ok(()),
    }
}

/// `{"value":"...","outcome":"processed"|"dead_lettered","attempts":N}`.
fn outcome_line(value: Option<&[u8]>, kind: OutcomeKind, attempts: u32) -> String {
    let value = value.map_or("null".to_owned(), |v| {
        json_string(&String::from_utf8_lossy(v))
    });
    let kind = match kind {
        OutcomeKind::Processed => "processed",
        OutcomeKind::DeadLettered => "dead_lettered",
    };
    format!(r#"{{"value":{value},"outcome":"{kind}","attempts":{attempts}}}"#)
}

async fn run(args: Args) -> AppResult {
    let bootstrap = args.required("bootstrap");
    let topic = args.required("topic");
    let attempts: u32 = args.number("attempts")?.unwrap_or(3);
    let backoff: Backoff = match args.value("backoff-ms") {
        Some(list) => list.parse().map_err(|_| {
            AppError::Cli(examples::cli::CliError::Usage(format!(
                "--backoff-ms takes MS[,MS...] (milliseconds), got `{list}`"
            )))
        })?,
        None => Backoff::default(),
    };
    let idle = Duration::from_millis(args.number("idle-exit-ms")?.unwrap_or(5000));
    if attempts == 0 {
        return Err(AppError::Cli(examples::cli::CliError::Usage(
            "--attempts counts the first try: at least 1".into(),
        )));
    }

    let consumer = app::consumer_config(
        bootstrap,
        &[
            ("group.id", args.required("group")),
            ("auto.offset.reset", "earliest"),
            ("fetch.max.wait.ms", "100"),
        ],
        args.properties(),
        true,
    )?;
    let producer = app::producer_config(bootstrap, &[], args.properties(), true)?;
    let config = RetryTopicsConfig::new(topic, consumer, producer)
        .attempts(attempts)
        .backoff(backoff);
    // Anything new — an attempt or an outcome — puts the idle exit off.
    let last_activity = Arc::new(AtomicI64::new(now_ms()));
    let seen = Arc::clone(&last_activity);
    let mut retry = RetryTopics::start(config, move |record| {
        seen.store(now_ms(), Ordering::Relaxed);
        std::future::ready(process(&record))
    })
    .await?;

    let (mut processed, mut dead_lettered) = (0u64, 0u64);
    loop {
        let quiet = now_ms() - last_activity.load(Ordering::Relaxed);
        let left = idle.saturating_sub(Duration::from_millis(quiet.max(0) as u64));
        if left.is_zero() || retry.has_stopped_task() {
            break;
        }
        // Wake at least every 100 ms to see attempts that produced no outcome yet.
        let wait = left.min(Duration::from_millis(100));
        if let Ok(Some(outcome)) = tokio::time::timeout(wait, retry.next_outcome()).await {
            last_activity.store(now_ms(), Ordering::Relaxed);
            match outcome.kind {
                OutcomeKind::Processed => processed += 1,
                OutcomeKind::DeadLettered => dead_lettered += 1,
            }
            println!(
                "{}",
                outcome_line(outcome.value.as_deref(), outcome.kind, outcome.attempts)
            );
        }
    }
    retry.stop().await?;
    println!("processed={processed} dead_lettered={dead_lettered}");
    Ok(())
}

fn main() -> ExitCode {
    app::run(&SPEC, run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use kafkito::retry_topics::Origin;
    use kafkito_protocol::records::TimestampType;

    fn record(value: &str, attempts_before: Option<u32>) -> ConsumerRecord {
        let headers = attempts_before.map_or_else(Vec::new, |attempts| {
            RetryHeaders {
                origin: Origin {
                    topic: "t".into(),
                    partition: 0,
                    offset: 1,
                    timestamp: 0,
                },
                attempts,
                error: "e".into(),
                error_kind: "handler".into(),
                due_ms: Some(0),
            }
            .write(&[])
        });
        ConsumerRecord {
            topic: "t".into(),
            partition: 0,
            offset: 1,
            timestamp: 0,
            timestamp_type: TimestampType::CreateTime,
            key: None,
            value: Some(Bytes::copy_from_slice(value.as_bytes())),
            headers,
            leader_epoch: None,
        }
    }

    #[test]
    fn values_say_how_often_they_fail() {
        assert_eq!(failing_attempts("order-1"), Some(0));
        assert_eq!(failing_attempts("x fail:2 y"), Some(2));
        assert_eq!(failing_attempts("fail:always"), None);
        assert_eq!(failing_attempts("fail:"), Some(0));
        assert!(process(&record("fail:1", None)).is_err());
        assert!(process(&record("fail:1", Some(1))).is_ok());
        assert!(process(&record("fail:always", Some(7))).is_err());
        assert!(process(&record("fine", None)).is_ok());
    }

    #[test]
    fn outcome_lines_follow_the_contract() {
        assert_eq!(
            outcome_line(Some(b"a\"b"), OutcomeKind::Processed, 1),
            r#"{"value":"a\"b","outcome":"processed","attempts":1}"#
        );
        assert_eq!(
            outcome_line(Some(b"fail:always"), OutcomeKind::DeadLettered, 3),
            r#"{"value":"fail:always","outcome":"dead_lettered","attempts":3}"#
        );
        assert_eq!(
            outcome_line(None, OutcomeKind::Processed, 2),
            r#"{"value":null,"outcome":"processed","attempts":2}"#
        );
    }
}
