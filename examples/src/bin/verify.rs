//! Reads an output topic from the beginning (read_committed by default) and counts its
//! `processed-i` records against the ids `0..N`. The final line is exactly
//! `expected=N delivered=D lost=L duplicated=U`: D records read, L ids with no record, U extra
//! copies (records beyond the first of each id).
//!
//! ```sh
//! cargo run --release -p examples --bin verify -- --bootstrap localhost:9092 --topic out \
//!     --expected 1000
//! ```
//!
//! When is the topic read to its end? When every partition's lag, as the last Fetch reported
//! it (high watermark, or last stable offset under read_committed), is zero. The broker's
//! ListOffsets is not asked (tansu's "latest" is wrong after multi-record batches). Should a
//! lag never reach zero — a transaction left open keeps the last stable offset back until
//! the broker aborts it — reading stops after `--idle-ms` without a record, and says so.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use examples::app::{self, AppResult};
use examples::cli::{Args, Opt, Spec};
use examples::records::Tally;

const SPEC: Spec = Spec {
    name: "verify",
    about: "Counts the `processed-i` records of a topic and prints \
            `expected=N delivered=D lost=L duplicated=U` as its last line.",
    options: &[
        Opt::required("bootstrap", "H:P", "a broker to bootstrap from"),
        Opt::required("topic", "O", "the topic to check"),
        Opt::required("expected", "N", "ids 0..N are expected, once each"),
        Opt::optional(
            "isolation",
            "read_committed|read_uncommitted",
            "which records to count (default read_committed: not those of aborted or open \
             transactions)",
        ),
        Opt::optional(
            "idle-ms",
            "MS",
            "stop after this long without a record even if a lag is not zero (default 5000)",
        ),
    ],
};

async fn verify(args: Args) -> AppResult {
    let expected: u64 = args.number("expected")?.unwrap_or_default();
    let idle = Duration::from_millis(args.number("idle-ms")?.unwrap_or(5_000));
    let isolation = args
        .choice("isolation", &["read_committed", "read_uncommitted"])?
        .unwrap_or("read_committed");
    let topic = args.required("topic");
    let bootstrap = args.required("bootstrap");
    let partitions = app::partitions_of(bootstrap, args.properties(), topic).await?;
    let mut consumer = app::consumer(
        bootstrap,
        &[
            ("isolation.level", isolation),
            ("auto.offset.reset", "earliest"),
            ("fetch.max.wait.ms", "100"),
        ],
        args.properties(),
        false,
    )
    .await?;
    // No group: every partition starts at its earliest record (`auto.offset.reset`).
    consumer.assign(partitions.clone())?;

    let mut tally = Tally::new(expected);
    let mut last_record = Instant::now();
    let ended_by_idle = loop {
        let records = consumer.poll(Duration::from_millis(200)).await?;
        if records.is_empty() {
            let at_end = partitions.iter().all(|tp| consumer.lag(tp) == Some(0));
            if at_end {
                break false;
            }
            if last_record.elapsed() >= idle {
                break true;
            }
            continue;
        }
        last_record = Instant::now();
        for record in &records {
            tally.add(record.value.as_deref());
        }
    };
    let ends: Vec<String> = partitions
        .iter()
        .map(|tp| {
            let position = consumer
                .position(tp)
                .map_or_else(|| "-".to_owned(), |p| p.to_string());
            let lag = consumer
                .lag(tp)
                .map_or_else(|| "-".to_owned(), |l| l.to_string());
            format!("p{}@{position} (lag {lag})", tp.partition)
        })
        .collect();
    consumer.close().await?;
    tally.finish();
    eprintln!("verify: {topic} ({isolation}) read to {}", ends.join(", "));
    if ended_by_idle {
        eprintln!(
            "verify: stopped after {idle:?} without a record although a lag is not zero (an \
             open transaction, or a broker reporting a stale end)"
        );
    }
    if tally.unexpected > 0 {
        eprintln!(
            "verify: {} records are not `processed-i` with i < {expected} (counted in \
             delivered only)",
            tally.unexpected
        );
    }
    println!("{}", tally.summary());
    Ok(())
}

fn main() -> ExitCode {
    app::run(&SPEC, verify)
}
