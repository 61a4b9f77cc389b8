//! Poison messages: retry a failing record a few times with backoff, then park it on a
//! dead-letter topic (`<topic>.dlq`) with headers saying what went wrong, and move on.
//!
//! Without this, one record that can never be processed stops its partition for good (the
//! consumer retries it forever) or is silently skipped. Here it is written, with its key,
//! value and headers unchanged plus `dlq.*` headers (error, attempts, original topic,
//! partition, offset, timestamp), to the dead-letter topic, and only once the broker has
//! acknowledged that copy is the input position committed — so a poison record is never lost,
//! only moved aside for a person or another job to look at.
//!
//! "Processing" here fails for every record whose id `i` (of `value-i`) is a multiple of
//! `--poison-every` M, and for any value that is not `value-i`; the rest succeed.
//!
//! ```sh
//! cargo run --release -p examples --bin dead_letter -- --bootstrap localhost:9092 \
//!     --topic orders --group billing --count 100 --max-retries 3 --backoff-ms 50
//! ```

use std::process::ExitCode;
use std::time::Duration;

use examples::app::{self, AppError, AppResult};
use examples::cli::{Args, Opt, Spec};
use examples::records;
use kafkito::admin::{CreateTopicsOptions, NewTopic};
use kafkito::consumer::ConsumerRecord;
use kafkito::producer::{Producer, ProducerRecord};
use kafkito::protocol::ErrorCode;
use kafkito::{AdminClient, Error};

const SPEC: Spec = Spec {
    name: "dead_letter",
    about: "Consumes N records; a record whose processing keeps failing is retried with \
            exponential backoff, then sent with error headers to `<topic>.dlq` (created if \
            missing). Prints `processed=P dead_lettered=D`.",
    options: &[
        Opt::required("bootstrap", "H:P", "a broker to bootstrap from"),
        Opt::required("topic", "T", "the topic to consume (value-i records)"),
        Opt::required("group", "G", "consumer group committing the progress"),
        Opt::required("count", "N", "exit after handling this many records"),
        Opt::optional(
            "max-retries",
            "R",
            "retries after the first failed attempt (default 3)",
        ),
        Opt::optional(
            "backoff-ms",
            "MS",
            "wait before the first retry, doubled for each next one (default 100)",
        ),
        Opt::optional(
            "poison-every",
            "M",
            "records with id i % M == 0 fail to process (default 10; 0: none)",
        ),
    ],
};

/// Stand-in for the application's processing: fails for poison records.
fn process(record: &ConsumerRecord, poison_every: u64) -> Result<(), String> {
    let value = record.value.as_deref().unwrap_or_default();
    let id = records::input_id(value).ok_or_else(|| {
        format!(
            "cannot parse value {:?}",
            String::from_utf8_lossy(&value[..value.len().min(40)])
        )
    })?;
    if poison_every > 0 && id % poison_every == 0 {
        return Err(format!(
            "record {id} is poison (a multiple of {poison_every})"
        ));
    }
    Ok(())
}

/// The dead-letter copy of `record`: same key, value and headers, plus `dlq.*` headers.
fn dead_letter_record(
    dlq: &str,
    record: &ConsumerRecord,
    error: &str,
    attempts: u32,
) -> ProducerRecord {
    let mut out = ProducerRecord::new(dlq);
    out.key = record.key.clone();
    out.value = record.value.clone();
    // The original headers as they were (a null value stays null).
    out.headers = record.headers.clone();
    out.header("dlq.error", error.to_owned())
        .header("dlq.attempts", attempts.to_string())
        .header("dlq.original.topic", record.topic.to_string())
        .header("dlq.original.partition", record.partition.to_string())
        .header("dlq.original.offset", record.offset.to_string())
        .header("dlq.original.timestamp", record.timestamp.to_string())
}

/// Creates `<topic>.dlq` with as many partitions as the source unless it exists.
async fn ensure_topic(
    bootstrap: &str,
    properties: &[(String, String)],
    topic: &str,
    partitions: i32,
) -> AppResult {
    let mut all = vec![("bootstrap.servers".to_owned(), bootstrap.to_owned())];
    all.extend(app::properties_for(app::Role::Admin, properties));
    let admin = AdminClient::from_properties(all)?;
    let results = admin
        .create_topics(
            vec![NewTopic::new(topic, partitions, -1)],
            CreateTopicsOptions::default(),
        )
        .await;
    admin.close();
    match results?.remove(topic) {
        Some(Ok(_)) => {
            eprintln!("dead_letter: created {topic}");
            Ok(())
        }
        Some(Err(Error::Protocol {
            code: ErrorCode::TopicAlreadyExists,
            ..
        })) => Ok(()),
        Some(Err(error)) => Err(error.into()),
        None => Err(AppError::Failed(format!(
            "the broker did not answer for {topic}"
        ))),
    }
}

async fn run(args: Args) -> AppResult {
    let count: u64 = args.number("count")?.unwrap_or_default();
    let max_retries: u32 = args.number("max-retries")?.unwrap_or(3);
    let backoff = Duration::from_millis(args.number("backoff-ms")?.unwrap_or(100));
    let poison_every: u64 = args.number("poison-every")?.unwrap_or(10);
    let topic = args.required("topic");
    let bootstrap = args.required("bootstrap");
    let dlq = format!("{topic}.dlq");

    let partitions = app::partitions_of(bootstrap, args.properties(), topic).await?;
    ensure_topic(bootstrap, args.properties(), &dlq, partitions.len() as i32).await?;
    let mut consumer = app::consumer(
        bootstrap,
        &[
            ("group.id", args.required("group")),
            ("auto.offset.reset", "earliest"),
            ("enable.auto.commit", "false"),
        ],
        args.properties(),
        true,
    )
    .await?;
    consumer.assign(partitions)?;
    let producer: Producer = app::producer(bootstrap, &[], args.properties(), true).await?;

    let (mut handled, mut processed, mut dead_lettered) = (0u64, 0u64, 0u64);
    while handled < count {
        let batch = consumer.poll(Duration::from_secs(1)).await?;
        for record in &batch {
            let mut attempt = 0;
            let outcome = loop {
                attempt += 1;
                match process(record, poison_every) {
                    Ok(()) => break Ok(()),
                    Err(error) if attempt > max_retries => break Err(error),
                    Err(error) => {
                        let wait = backoff.saturating_mul(1 << (attempt - 1).min(16));
                        eprintln!(
                            "dead_letter: {}-{}@{} attempt {attempt} failed ({error}); retrying in {wait:?}",
                            record.topic, record.partition, record.offset
                        );
                        tokio::time::sleep(wait).await;
                    }
                }
            };
            match outcome {
                Ok(()) => processed += 1,
                Err(error) => {
                    // Wait for the broker to have the copy: only then may the position move
                    // past the original.
                    producer
                        .send(dead_letter_record(&dlq, record, &error, attempt))
                        .await?
                        .await?;
                    eprintln!(
                        "dead_letter: {}-{}@{} sent to {dlq} after {attempt} attempts",
                        record.topic, record.partition, record.offset
                    );
                    dead_lettered += 1;
                }
            }
            handled += 1;
        }
        if !batch.is_empty() {
            // Everything returned so far is processed or dead-lettered. (Records of the last
            // poll beyond N are handled too, so committing the position skips nothing.)
            consumer.commit_sync().await?;
        }
    }
    producer.close(Duration::from_secs(10)).await?;
    consumer.close().await?;
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
    use kafkito_protocol::records::{RecordHeader, TimestampType};

    fn record(value: &str) -> ConsumerRecord {
        ConsumerRecord {
            topic: "orders".into(),
            partition: 2,
            offset: 41,
            timestamp: 1_700_000_000_000,
            timestamp_type: TimestampType::CreateTime,
            key: Some(Bytes::from_static(b"key-7")),
            value: Some(Bytes::copy_from_slice(value.as_bytes())),
            headers: vec![RecordHeader {
                key: Bytes::from_static(b"trace"),
                value: Some(Bytes::from_static(b"abc")),
            }],
            leader_epoch: None,
        }
    }

    #[test]
    fn poison_records_fail_and_others_succeed() {
        assert!(process(&record("value-7"), 10).is_ok());
        assert!(process(&record("value-20"), 10).is_err());
        assert!(process(&record("value-20"), 0).is_ok());
        assert!(process(&record("garbage"), 10).is_err());
    }

    #[test]
    fn the_dead_letter_copy_keeps_the_record_and_says_why() {
        let out = dead_letter_record("orders.dlq", &record("value-20"), "boom", 4);
        assert_eq!(out.topic, "orders.dlq");
        assert_eq!(out.key.as_deref(), Some(&b"key-7"[..]));
        assert_eq!(out.value.as_deref(), Some(&b"value-20"[..]));
        let headers: Vec<(String, String)> = out
            .headers
            .iter()
            .map(|h| {
                (
                    String::from_utf8_lossy(&h.key).into_owned(),
                    String::from_utf8_lossy(h.value.as_deref().unwrap_or_default()).into_owned(),
                )
            })
            .collect();
        let get = |k: &str| {
            headers
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("trace"), Some("abc"));
        assert_eq!(get("dlq.error"), Some("boom"));
        assert_eq!(get("dlq.attempts"), Some("4"));
        assert_eq!(get("dlq.original.topic"), Some("orders"));
        assert_eq!(get("dlq.original.partition"), Some("2"));
        assert_eq!(get("dlq.original.offset"), Some("41"));
    }
}
