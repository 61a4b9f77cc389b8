//! `kafkito::retry_topics` against real brokers: non-blocking retries (measured against
//! the blocking mode), every record ending exactly once across a crash, the dead-letter copy
//! read back by librdkafka, exactly-once hand-offs killed mid-transaction, and records that
//! cannot be decoded.
//!
//! Brokers: the in-process `kafkito-testkit` cluster (3 brokers) for everything that asserts on
//! the broker's state (committed offsets, high watermarks, last stable offsets, transactions);
//! the harness broker (tansu, or whatever `BROKER` / `KAFKA_BOOTSTRAP_SERVERS` name) for the
//! dead-letter copy, so that the headers and raw bytes are proven on an independent broker and
//! read back by an independent client (librdkafka). Each test's doc comment says which.
//!
//! Processing fails on purpose: a value containing `fail:always` fails every attempt, one
//! containing `fail:K` its first K calls, any other succeeds. Waits are bounded and on events
//! or broker state.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use integration_tests::group::wait_until;
use integration_tests::{broker, create_topic, unique_topic};
use kafkito::consumer::{Consumer, ConsumerConfig, ConsumerRecord, TopicPartition};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito::protocol::records::RecordHeader;
use kafkito::retry_topics::{
    dead_letter_topic, retry_topic, Backoff, Outcome, OutcomeKind, RetryHeaders, RetryTopics,
    RetryTopicsConfig,
};
use kafkito::serdes::{StringDeserializer, TypedRecord};
use kafkito_testkit::Cluster;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::Headers as _;
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::sync::Notify;

/// Generous bound for anything that waits on the cluster or on outcomes.
const WAIT: Duration = Duration::from_secs(30);

async fn testkit_with_topic(topic: &str, partitions: i32) -> Cluster {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    cluster.create_topic(topic, partitions, 3).unwrap();
    cluster
}

fn config(bootstrap: &str, topic: &str, group: &str) -> RetryTopicsConfig {
    let consumer = ConsumerConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("group.id", group),
        ("auto.offset.reset", "earliest"),
        ("fetch.max.wait.ms", "50"),
    ])
    .unwrap();
    let producer =
        ProducerConfig::from_properties([("bootstrap.servers", bootstrap), ("linger.ms", "0")])
            .unwrap();
    RetryTopicsConfig::new(topic, consumer, producer)
}

/// Writes `records` (partition, value) in order, each acknowledged; returns their offsets.
async fn produce(bootstrap: &str, records: Vec<ProducerRecord>) -> Vec<i64> {
    let producer = Producer::new(
        ProducerConfig::from_properties([("bootstrap.servers", bootstrap), ("linger.ms", "0")])
            .unwrap(),
    )
    .await
    .unwrap();
    let mut offsets = Vec::new();
    for record in records {
        let delivery = producer.send(record).await.unwrap();
        offsets.push(delivery.await.unwrap().offset);
    }
    producer.close(Duration::from_secs(10)).await.unwrap();
    offsets
}

fn values(topic: &str, partition: i32, values: &[&str]) -> Vec<ProducerRecord> {
    values
        .iter()
        .map(|v| {
            ProducerRecord::new(topic)
                .partition(partition)
                .value(v.to_string())
        })
        .collect()
}

/// Every handler call: the value, when, and whether it succeeded.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<(String, Instant, bool)>>>);

impl Calls {
    /// The stand-in for processing: `fail:always` fails every call, `fail:K` its first K.
    fn attempt(&self, value: &str) -> Result<(), String> {
        let mut calls = self.0.lock().unwrap();
        let before = calls.iter().filter(|(v, _, _)| v == value).count();
        let fails = match value.split_once("fail:") {
            None => false,
            Some((_, rest)) if rest.starts_with("always") => true,
            Some((_, rest)) => {
                let k: usize = rest
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap();
                before < k
            }
        };
        calls.push((value.to_owned(), Instant::now(), !fails));
        if fails {
            Err(format!("call {} of {value} fails on purpose", before + 1))
        } else {
            Ok(())
        }
    }

    fn of(&self, value: &str) -> Vec<(Instant, bool)> {
        let calls = self.0.lock().unwrap();
        calls
            .iter()
            .filter(|(v, _, _)| v == value)
            .map(|(_, at, ok)| (*at, *ok))
            .collect()
    }

    fn handler(
        &self,
    ) -> impl Fn(ConsumerRecord) -> std::future::Ready<Result<(), String>> + Send + Sync + 'static
    {
        let calls = self.clone();
        move |record| {
            let value = String::from_utf8_lossy(record.value.as_deref().unwrap_or_default());
            std::future::ready(calls.attempt(&value))
        }
    }
}

fn text(outcome: &Outcome) -> String {
    String::from_utf8_lossy(outcome.value.as_deref().unwrap_or_default()).into_owned()
}

/// The next `n` outcomes, within [`WAIT`].
async fn outcomes(retry: &mut RetryTopics, n: usize) -> Vec<Outcome> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout_at(deadline, retry.next_outcome()).await {
            Ok(Some(outcome)) => got.push(outcome),
            Ok(None) => panic!(
                "the retry topics ended after {} outcomes: {got:?}",
                got.len()
            ),
            Err(_) => panic!(
                "only {} of {n} outcomes within {WAIT:?}: {:?}",
                got.len(),
                got.iter().map(text).collect::<Vec<_>>()
            ),
        }
    }
    got
}

/// Sum over `partitions` of the testkit's high watermarks of `topic`.
fn end(cluster: &Cluster, topic: &str, partitions: i32) -> i64 {
    (0..partitions)
        .map(|p| cluster.offsets(topic, p).map_or(0, |(_, hw)| hw))
        .sum()
}

/// Sum over `partitions` of what `group` committed for `topic`.
fn committed(cluster: &Cluster, group: &str, topic: &str, partitions: i32) -> i64 {
    (0..partitions)
        .map(|p| cluster.committed_offset(group, topic, p).unwrap_or(0))
        .sum()
}

/// Whether `group` committed the end of every partition of every topic in `topics`.
fn all_committed(cluster: &Cluster, group: &str, topics: &[String], partitions: i32) -> bool {
    topics.iter().all(|t| {
        (0..partitions).all(|p| {
            let hw = cluster.offsets(t, p).map_or(0, |(_, hw)| hw);
            cluster.committed_offset(group, t, p).unwrap_or(0) >= hw
        })
    })
}

/// Reads every record of `topic` (all `partitions`) up to the end the broker gives for
/// `isolation`, with our consumer.
async fn read_topic(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    isolation: &str,
) -> Vec<ConsumerRecord> {
    let config = ConsumerConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("auto.offset.reset", "earliest"),
        ("isolation.level", isolation),
        ("fetch.max.wait.ms", "50"),
    ])
    .unwrap();
    let mut consumer = Consumer::new(config).await.unwrap();
    let tps: Vec<TopicPartition> = (0..partitions)
        .map(|p| TopicPartition::new(topic, p))
        .collect();
    consumer.assign(tps.clone()).unwrap();
    let ends = consumer.end_offsets(&tps).await.unwrap();
    let deadline = Instant::now() + WAIT;
    let mut records = Vec::new();
    while tps
        .iter()
        .any(|tp| consumer.position(tp).is_none_or(|at| at < ends[tp]))
    {
        assert!(
            Instant::now() < deadline,
            "{topic}: not read to {ends:?} within {WAIT:?}"
        );
        records.extend(consumer.poll(Duration::from_millis(200)).await.unwrap());
    }
    consumer.close().await.unwrap();
    records
}

fn header<'a>(headers: &'a [RecordHeader], key: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|h| h.key == key.as_bytes())
        .and_then(|h| h.value.as_deref())
}

/// One run for the measurement: a poison record (`fail:always`) at the head of a partition,
/// then `HEALTHY` healthy records; returns (the poison's calls, each healthy record's
/// processing time).
async fn poison_at_the_head(blocking: bool) -> (Vec<(Instant, bool)>, Vec<Instant>) {
    const HEALTHY: usize = 20;
    let topic = unique_topic(if blocking { "rt-block" } else { "rt-nonblock" });
    let cluster = testkit_with_topic(&topic, 1).await;
    let bootstrap = cluster.bootstrap();
    let mut input = vec!["poison fail:always".to_owned()];
    input.extend((0..HEALTHY).map(|i| format!("healthy-{i}")));
    let input: Vec<&str> = input.iter().map(String::as_str).collect();
    produce(&bootstrap, values(&topic, 0, &input)).await;

    let mut config = config(&bootstrap, &topic, "g")
        .attempts(3)
        .backoff("300,600".parse().unwrap());
    if blocking {
        // max.poll.interval.ms 1300: both delays are under half of it, but the second retry
        // would end 900 ms after the poll, so the consumer seeks back and polls in between.
        config.consumer.max_poll_interval = Duration::from_millis(1300);
        config = config.blocking();
    }
    let calls = Calls::default();
    let mut retry = RetryTopics::start(config, calls.handler()).await.unwrap();
    let got = outcomes(&mut retry, HEALTHY + 1).await;
    retry.stop().await.unwrap();
    let poison: Vec<&Outcome> = got
        .iter()
        .filter(|o| text(o).starts_with("poison"))
        .collect();
    assert_eq!(poison.len(), 1, "{got:?}");
    assert_eq!(
        (poison[0].kind, poison[0].attempts),
        (OutcomeKind::DeadLettered, 3)
    );
    let healthy: Vec<Instant> = (0..HEALTHY)
        .map(|i| {
            let calls = calls.of(&format!("healthy-{i}"));
            assert_eq!(calls.len(), 1, "healthy-{i} was called {calls:?}");
            calls[0].0
        })
        .collect();
    (calls.of("poison fail:always"), healthy)
}

/// Non-blocking retries let the records behind a failing one through before it has finished
/// its retries; the blocking mode holds them until it has. Measured: the delay a poison record
/// at the head of a partition adds to the 20 healthy records behind it (from its first
/// attempt to the last healthy record processed), with 3 attempts 300 ms and 600 ms apart.
/// The blocking run's `max.poll.interval.ms` makes its last retry go back to poll first, so
/// the order is also proven across that seek back.
///
/// Broker: kafkito-testkit (in-process, 3 brokers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_behind_a_failing_one_are_processed_before_its_retries_end() {
    let (poison, healthy) = poison_at_the_head(false).await;
    assert_eq!(poison.len(), 3, "the poison record is tried 3 times");
    let last_poison_call = poison.last().unwrap().0;
    let second_poison_call = poison[1].0;
    assert!(
        healthy.iter().all(|at| *at < second_poison_call),
        "non-blocking: every healthy record is processed before the poison's first retry"
    );
    let non_blocking = healthy.iter().max().unwrap().duration_since(poison[0].0);

    let (poison_b, healthy_b) = poison_at_the_head(true).await;
    assert_eq!(poison_b.len(), 3);
    let last_b = poison_b.last().unwrap().0;
    assert!(
        healthy_b.iter().all(|at| *at > last_b),
        "blocking: every healthy record waits for the poison's last attempt"
    );
    let blocking = healthy_b
        .iter()
        .max()
        .unwrap()
        .duration_since(poison_b[0].0);
    // The blocking mode waits out both backoffs before the first healthy record.
    assert!(blocking >= Duration::from_millis(900), "{blocking:?}");
    eprintln!(
        "delay added to 20 healthy records by a poison record at the head of their partition \
         (3 attempts, backoff 300,600 ms): blocking {} ms, non-blocking {} ms \
         (the poison's retries ended {} ms after its first attempt)",
        blocking.as_millis(),
        non_blocking.as_millis(),
        last_poison_call.duration_since(poison[0].0).as_millis()
    );
}

/// Every record ends exactly once, processed or dead-lettered, when the retry consumers crash
/// (tasks aborted: no close, no commit) while they hold records that are not yet due, and
/// start again. Asserted on the outcomes of both runs and on the broker: each topic's high
/// watermark is exactly the hand-offs expected (no duplicate copy), and everything is
/// committed at the end.
///
/// Broker: kafkito-testkit (in-process, 3 brokers): committed offsets and high watermarks read
/// from the cluster's state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_ends_exactly_once_across_a_crash_of_the_retry_consumer() {
    const N: usize = 30;
    const PARTITIONS: i32 = 3;
    let topic = unique_topic("rt-crash");
    let cluster = testkit_with_topic(&topic, PARTITIONS).await;
    let bootstrap = cluster.bootstrap();
    let value = |i: usize| match i % 3 {
        0 => format!("r{i} fail:always"),
        1 => format!("r{i} fail:1"),
        _ => format!("r{i}"),
    };
    let records = (0..N)
        .map(|i| {
            ProducerRecord::new(topic.as_str())
                .partition((i % PARTITIONS as usize) as i32)
                .value(value(i))
        })
        .collect();
    produce(&bootstrap, records).await;
    let group = "crash";
    // The first retry waits 2 s: long enough that the crash finds its records held.
    let make = || {
        config(&bootstrap, &topic, group)
            .attempts(3)
            .backoff("2000,200".parse::<Backoff>().unwrap())
    };
    let retry_1 = retry_topic(&topic, 1);
    let calls = Calls::default();

    let mut first = RetryTopics::start(make(), calls.handler()).await.unwrap();
    let mut seen = outcomes(&mut first, N / 3).await;
    assert!(seen
        .iter()
        .all(|o| o.attempts == 1 && o.kind == OutcomeKind::Processed));
    wait_until(
        "the source committed and 20 records handed to retry-1",
        WAIT,
        || {
            all_committed(&cluster, group, std::slice::from_ref(&topic), PARTITIONS)
                && end(&cluster, &retry_1, PARTITIONS) == 20
        },
    )
    .await;
    // The fault: the retry consumer holds uncommitted records when it dies.
    let held = 20 - committed(&cluster, group, &retry_1, PARTITIONS);
    assert!(held > 0, "the crash must find records held in {retry_1}");
    first.abort();

    let mut second = RetryTopics::start(make(), calls.handler()).await.unwrap();
    seen.extend(outcomes(&mut second, N - seen.len()).await);
    wait_until("every topic committed to its end", WAIT, || {
        all_committed(&cluster, group, &make().stage_topics(), PARTITIONS)
    })
    .await;
    second.stop().await.unwrap();

    let mut by_value: BTreeMap<String, Vec<(OutcomeKind, u32)>> = BTreeMap::new();
    for o in &seen {
        by_value
            .entry(text(o))
            .or_default()
            .push((o.kind, o.attempts));
    }
    assert_eq!(by_value.len(), N, "{by_value:?}");
    for i in 0..N {
        let expected = match i % 3 {
            0 => (OutcomeKind::DeadLettered, 3),
            1 => (OutcomeKind::Processed, 2),
            _ => (OutcomeKind::Processed, 1),
        };
        assert_eq!(by_value[&value(i)], [expected], "{}", value(i));
    }
    // On the broker: each hand-off exactly once.
    assert_eq!(end(&cluster, &retry_1, PARTITIONS), 20);
    assert_eq!(end(&cluster, &retry_topic(&topic, 2), PARTITIONS), 10);
    assert_eq!(end(&cluster, &dead_letter_topic(&topic), PARTITIONS), 10);
    eprintln!("crash found {held} of 20 records held in {retry_1}");
}

/// The dead-letter copy carries the original key and value bytes (not UTF-8), the original
/// headers (a null-valued one included) in order, then the `retry.*` headers saying where it
/// came from and why — read back by librdkafka, an independent client.
///
/// Broker: the harness broker (tansu by default): an independent broker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dead_letter_record_keeps_the_original_bytes_and_headers() {
    let bootstrap = broker().await.bootstrap();
    let topic = unique_topic("rt-dlt");
    create_topic(&topic, 1).await;
    let key: &[u8] = &[0x00, 0xff, b'k'];
    let value: &[u8] = b"fail:always \xff\x00 raw";
    let mut record = ProducerRecord::new(topic.as_str())
        .partition(0)
        .key(Bytes::from_static(key))
        .value(Bytes::from_static(value))
        .header("trace", "abc")
        .timestamp(1_700_000_000_123);
    record.headers.push(RecordHeader {
        key: Bytes::from_static(b"nothing"),
        value: None,
    });
    let offset = produce(&bootstrap, vec![record]).await[0];

    let calls = Calls::default();
    let config = config(&bootstrap, &topic, "dlt")
        .attempts(2)
        .backoff(Backoff::fixed(Duration::from_millis(50)));
    let mut retry = RetryTopics::start(config, calls.handler()).await.unwrap();
    let got = outcomes(&mut retry, 1).await;
    retry.stop().await.unwrap();
    assert_eq!(
        (got[0].kind, got[0].attempts),
        (OutcomeKind::DeadLettered, 2)
    );

    let dlt = dead_letter_topic(&topic);
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "rt-dlt-reader")
        .set("enable.auto.commit", "false")
        .create()
        .expect("librdkafka consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&dlt, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + WAIT;
    let message = loop {
        assert!(
            Instant::now() < deadline,
            "librdkafka read nothing from {dlt}"
        );
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) => break message.detach(),
            Some(Err(error)) => panic!("librdkafka: {error}"),
            None => {}
        }
    };
    assert_eq!(message.key(), Some(key));
    assert_eq!(message.payload(), Some(value));
    let headers: Vec<(String, Option<Vec<u8>>)> = message
        .headers()
        .expect("headers")
        .iter()
        .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
        .collect();
    let text = |s: &str| Some(s.as_bytes().to_vec());
    let expected = vec![
        ("trace".to_owned(), text("abc")),
        ("nothing".to_owned(), None),
        ("retry.original.topic".to_owned(), text(&topic)),
        ("retry.original.partition".to_owned(), text("0")),
        (
            "retry.original.offset".to_owned(),
            text(&offset.to_string()),
        ),
        ("retry.original.timestamp".to_owned(), text("1700000000123")),
        ("retry.attempts".to_owned(), text("2")),
        (
            "retry.error".to_owned(),
            text(&format!(
                "call 2 of {} fails on purpose",
                String::from_utf8_lossy(value)
            )),
        ),
        ("retry.error.kind".to_owned(), text("handler")),
    ];
    assert_eq!(headers, expected);
}

/// Exactly-once hand-offs: the main consumer is killed while its transaction holds hand-offs
/// to the retry topic (the handler stalls on a record behind them; the retry topic's last
/// stable offset is below its high watermark), then started again with the same
/// `transactional.id`s. Read committed, the retry and dead-letter topics hold every failing
/// record exactly once, and every record has exactly one outcome; read uncommitted, the retry
/// topic also holds the aborted copies (so the kill really hit an open transaction).
///
/// Broker: kafkito-testkit (in-process, 3 brokers): transactions, markers, last stable offset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_once_hand_offs_lose_and_duplicate_nothing_when_killed_mid_transaction() {
    let topic = unique_topic("rt-eos");
    let cluster = testkit_with_topic(&topic, 1).await;
    let bootstrap = cluster.bootstrap();
    let input = [
        "e0 fail:always",
        "e1",
        "e2 fail:always",
        "e3 fail:always",
        "e4",
        "e5 fail:always",
        "stall",
        "e7 fail:always",
        "e8",
    ];
    produce(&bootstrap, values(&topic, 0, &input)).await;
    let calls = Calls::default();
    let stall = Arc::new(AtomicBool::new(true));
    let stalled = Arc::new(Notify::new());
    let handler = {
        let (calls, stall, stalled) = (calls.clone(), stall.clone(), stalled.clone());
        move |record: ConsumerRecord| {
            let value =
                String::from_utf8_lossy(record.value.as_deref().unwrap_or_default()).into_owned();
            let (calls, stall, stalled) = (calls.clone(), stall.clone(), stalled.clone());
            async move {
                if value == "stall" && stall.load(Ordering::SeqCst) {
                    stalled.notify_one();
                    std::future::pending::<()>().await;
                }
                calls.attempt(&value)
            }
        }
    };
    let make = || {
        config(&bootstrap, &topic, "eos")
            .attempts(2)
            .backoff(Backoff::fixed(Duration::from_millis(100)))
            .exactly_once("rt-eos")
    };
    let retry_1 = retry_topic(&topic, 1);

    let mut first = RetryTopics::start(make(), handler.clone()).await.unwrap();
    tokio::time::timeout(WAIT, stalled.notified())
        .await
        .expect("the handler never reached the stalling record");
    // The hand-offs of e0, e2, e3 and e5 are sent in the open transaction before it commits.
    wait_until(
        "the open transaction's hand-offs reach retry-1",
        WAIT,
        || cluster.offsets(&retry_1, 0).is_some_and(|(_, hw)| hw >= 4),
    )
    .await;
    let (_, hw) = cluster.offsets(&retry_1, 0).unwrap();
    let lso = cluster.last_stable_offset(&retry_1, 0).unwrap();
    assert!(
        lso < hw,
        "the kill must come mid-transaction (LSO {lso}, HW {hw})"
    );
    assert!(
        first.try_next_outcome().is_none(),
        "nothing is committed yet"
    );
    first.abort();

    stall.store(false, Ordering::SeqCst);
    let mut second = RetryTopics::start(make(), handler).await.unwrap();
    let seen = outcomes(&mut second, input.len()).await;
    wait_until("every topic committed to its end", WAIT, || {
        all_committed(&cluster, "eos", &make().stage_topics(), 1)
    })
    .await;
    second.stop().await.unwrap();

    let mut by_value: HashMap<String, Vec<(OutcomeKind, u32)>> = HashMap::new();
    for o in &seen {
        by_value
            .entry(text(o))
            .or_default()
            .push((o.kind, o.attempts));
    }
    for v in input {
        // (The handler's calls are outside the transaction: its call counts carry over the
        // kill, so only `fail:always` and healthy records are used here.)
        let expected = if v.contains("fail:always") {
            (OutcomeKind::DeadLettered, 2)
        } else {
            (OutcomeKind::Processed, 1)
        };
        assert_eq!(
            by_value.get(v).map(Vec::as_slice),
            Some(&[expected][..]),
            "{v}"
        );
    }
    let read = |records: Vec<ConsumerRecord>| {
        let mut values: Vec<String> = records
            .iter()
            .map(|r| String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned())
            .collect();
        values.sort();
        values
    };
    let committed_retry = read(read_topic(&bootstrap, &retry_1, 1, "read_committed").await);
    assert_eq!(
        committed_retry,
        [
            "e0 fail:always",
            "e2 fail:always",
            "e3 fail:always",
            "e5 fail:always",
            "e7 fail:always"
        ]
    );
    let committed_dlt =
        read(read_topic(&bootstrap, &dead_letter_topic(&topic), 1, "read_committed").await);
    assert_eq!(committed_dlt, committed_retry);
    let uncommitted_retry = read_topic(&bootstrap, &retry_1, 1, "read_uncommitted").await;
    assert!(
        uncommitted_retry.len() > committed_retry.len(),
        "the aborted transaction's copies are in the log: {} records",
        uncommitted_retry.len()
    );
}

/// A record whose value is not UTF-8 cannot be decoded by the typed handler's
/// `StringDeserializer`: it goes straight to the dead-letter topic with its raw bytes and the
/// decode error (0 attempts: the handler never sees it), and the records behind it on the same
/// partition are processed and committed.
///
/// Broker: kafkito-testkit (in-process, 3 brokers): committed offsets read from its state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_record_is_dead_lettered_and_the_partition_keeps_flowing() {
    let topic = unique_topic("rt-decode");
    let cluster = testkit_with_topic(&topic, 1).await;
    let bootstrap = cluster.bootstrap();
    let poison: &[u8] = &[0xff, 0xfe, 0xfd];
    let mut records = values(&topic, 0, &["ok-0"]);
    records.push(
        ProducerRecord::new(topic.as_str())
            .partition(0)
            .value(Bytes::from_static(poison)),
    );
    let healthy: Vec<String> = (1..10).map(|i| format!("ok-{i}")).collect();
    records.extend(values(
        &topic,
        0,
        &healthy.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let offsets = produce(&bootstrap, records).await;

    let seen_by_handler = Arc::new(Mutex::new(Vec::new()));
    let seen = seen_by_handler.clone();
    let mut retry = RetryTopics::start_typed(
        config(&bootstrap, &topic, "decode"),
        StringDeserializer,
        StringDeserializer,
        move |record: TypedRecord<String, String>| {
            seen.lock().unwrap().push(record.value.unwrap_or_default());
            std::future::ready(Ok::<(), String>(()))
        },
    )
    .await
    .unwrap();
    let got = outcomes(&mut retry, 11).await;
    wait_until("the source committed to its end", WAIT, || {
        cluster.committed_offset("decode", &topic, 0) == Some(offsets[10] + 1)
    })
    .await;
    retry.stop().await.unwrap();

    let dead: Vec<&Outcome> = got
        .iter()
        .filter(|o| o.kind == OutcomeKind::DeadLettered)
        .collect();
    assert_eq!(dead.len(), 1, "{got:?}");
    assert_eq!(dead[0].attempts, 0);
    assert_eq!(dead[0].origin.offset, offsets[1]);
    let error = dead[0].error.as_deref().unwrap();
    assert!(
        error.contains("value") && error.contains("not UTF-8"),
        "{error}"
    );
    let mut handled = seen_by_handler.lock().unwrap().clone();
    handled.sort();
    let mut expected: Vec<String> = std::iter::once("ok-0".to_owned()).chain(healthy).collect();
    expected.sort();
    assert_eq!(
        handled, expected,
        "every decodable record, the poison never"
    );

    let dlt = read_topic(
        &bootstrap,
        &dead_letter_topic(&topic),
        1,
        "read_uncommitted",
    )
    .await;
    assert_eq!(dlt.len(), 1);
    assert_eq!(dlt[0].value.as_deref(), Some(poison), "the raw bytes");
    assert_eq!(
        header(&dlt[0].headers, "retry.error.kind"),
        Some(&b"deserialization:value"[..])
    );
    assert_eq!(header(&dlt[0].headers, "retry.attempts"), Some(&b"0"[..]));
    let parsed = RetryHeaders::read(&dlt[0].headers).unwrap().unwrap();
    assert_eq!(parsed.origin.offset, offsets[1]);
    assert!(parsed.error.contains("not UTF-8"), "{}", parsed.error);
}
