//! The producer against a real broker (tansu), asserting on what the broker holds afterwards as
//! read back by an independent client: kcat on librdkafka 2.16. What our producer says it did
//! (`RecordMetadata`, metrics) is checked against that, never on its own.
//!
//! Reading back: tansu's ListOffsets "latest" is wrong after multi-record batches and kcat's
//! `-e` is not trusted either (see integration-tests/README.md), so kcat waits for a count. To
//! catch records that should *not* be there (duplicates), [`read_back_exactly`] first appends a
//! sentinel record to every partition with kcat and then reads `expected + partitions`
//! records: any extra record pushes a sentinel out of the read, and the test fails.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::future::join_all;
use integration_tests::{broker, kcat_consume, kcat_produce, unique_topic};
use kafkito::admin::AdminClient;
use kafkito::producer::partitioner::{murmur2, to_positive};
use kafkito::producer::{
    Producer, ProducerConfig, ProducerRecord, RecordMetadata, RecordRef, Topic,
};
use kafkito::protocol::records::RecordHeader;
use kafkito::protocol::ErrorCode;
use kafkito::Error;

/// The key of the sentinel record [`read_back_exactly`] appends to each partition.
const SENTINEL: &str = "__sentinel__";

async fn bootstrap() -> String {
    broker().await.bootstrap()
}

/// A producer on the shared broker with `extra` settings on top of a fast-test base.
async fn producer(extra: &[(&str, &str)]) -> Producer {
    let bootstrap = bootstrap().await;
    let mut props = vec![
        ("bootstrap.servers", bootstrap.as_str()),
        // delivery.timeout.ms must cover linger.ms + request.timeout.ms (Java's rule).
        ("request.timeout.ms", "10000"),
        ("delivery.timeout.ms", "30000"),
        ("max.block.ms", "10000"),
    ];
    props.extend_from_slice(extra);
    let config = ProducerConfig::from_properties(props).unwrap();
    Producer::new(config).await.unwrap()
}

/// One record as kcat printed it with `%p|%o|%k|%s\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Consumed {
    partition: i32,
    offset: i64,
    key: String,
    value: String,
}

fn parse_consumed(out: &str) -> Vec<Consumed> {
    out.lines()
        .map(|line| {
            let mut f = line.splitn(4, '|');
            let mut next = || f.next().unwrap_or_else(|| panic!("bad kcat line {line:?}"));
            Consumed {
                partition: next().parse().unwrap(),
                offset: next().parse().unwrap(),
                key: next().to_owned(),
                value: next().to_owned(),
            }
        })
        .collect()
}

/// Reads back everything in `topic` (which must hold exactly `expected` records of ours in
/// `partitions` partitions), per partition in offset order, without the sentinels. Fails if
/// the topic holds more or fewer records than `expected` (see the module docs).
async fn read_back_exactly(
    topic: &str,
    partitions: i32,
    expected: usize,
) -> BTreeMap<i32, Vec<Consumed>> {
    let bootstrap = bootstrap().await;
    for p in 0..partitions {
        let line = format!("{SENTINEL}|end-{p}");
        kcat_produce(
            &bootstrap,
            topic,
            &[&line],
            &["-p", &p.to_string(), "-K", "|"],
        )
        .await;
    }
    let total = expected + partitions as usize;
    let out = kcat_consume(&bootstrap, topic, total, "%p|%o|%k|%s\n").await;
    let mut by_partition: BTreeMap<i32, Vec<Consumed>> = BTreeMap::new();
    for record in parse_consumed(&out) {
        by_partition
            .entry(record.partition)
            .or_default()
            .push(record);
    }
    for p in 0..partitions {
        let records = by_partition.entry(p).or_default();
        records.sort_by_key(|r| r.offset);
        let last = records.pop();
        assert_eq!(
            last.as_ref().map(|r| r.key.as_str()),
            Some(SENTINEL),
            "{topic}-{p}: the sentinel is not the last of the first {total} records: the topic \
             holds more records than the {expected} we sent (duplicates?)"
        );
        assert!(
            records.iter().all(|r| r.key != SENTINEL),
            "{topic}-{p}: sentinel out of place"
        );
    }
    by_partition
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// 1. Everything we send lands exactly once, in send order per partition, at the offsets our
///    `RecordMetadata` reported, on the partition the key hashes to.
#[tokio::test]
async fn keyed_records_land_once_in_order_at_reported_offsets() {
    const N: usize = 2000;
    const P: i32 = 4;
    let topic = unique_topic("producer-exactly-once");
    integration_tests::create_topic(&topic, P).await;
    let producer = producer(&[
        ("linger.ms", "20"),
        ("acks", "all"),
        ("enable.idempotence", "true"),
    ])
    .await;

    let mut deliveries = Vec::with_capacity(N);
    for i in 0..N {
        let record = ProducerRecord::new(&topic)
            .key(format!("key-{i}"))
            .value(format!("value-{i}"));
        deliveries.push(producer.send(record).await.unwrap());
    }
    let acked: Vec<RecordMetadata> = join_all(deliveries)
        .await
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|e| panic!("record {i} failed: {e}")))
        .collect();
    producer.close(Duration::from_secs(5)).await.unwrap();

    for (i, md) in acked.iter().enumerate() {
        assert_eq!(&*md.topic, topic);
        let hashed = to_positive(murmur2(format!("key-{i}").as_bytes())) % P;
        assert_eq!(md.partition, hashed, "key-{i} not on its murmur2 partition");
        assert!(md.offset >= 0, "key-{i}: offset {}", md.offset);
    }

    let held = read_back_exactly(&topic, P, N).await;
    let mut seen = HashSet::new();
    for (p, records) in &held {
        // The order our producer sent this partition's records in.
        let sent: Vec<usize> = (0..N).filter(|&i| acked[i].partition == *p).collect();
        let got: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
        let want: Vec<String> = sent.iter().map(|i| format!("key-{i}")).collect();
        assert_eq!(got, want, "partition {p}: not the send order");
        for (r, &i) in records.iter().zip(&sent) {
            assert_eq!(r.value, format!("value-{i}"));
            assert_eq!(
                r.offset, acked[i].offset,
                "key-{i}: kcat sees offset {}, we were told {}",
                r.offset, acked[i].offset
            );
            assert!(seen.insert(i), "key-{i} twice");
        }
    }
    assert_eq!(seen.len(), N);
}

/// 2. A keyed record lands on the same partition whether librdkafka (`murmur2_random`, the Java
///    client's partitioner) or we produced it.
#[tokio::test]
async fn keyed_partitioning_matches_librdkafka_murmur2() {
    // A partition count that is not a power of two, so the modulus matters.
    const P: i32 = 7;
    // Keys of every length 1..=24 (all tail-byte cases of murmur2) and non-ASCII bytes.
    let keys: Vec<String> = (0..600)
        .map(|i| {
            let base = format!("k{i}-{}", "ü€x".repeat(i % 5));
            base.chars().take(1 + i % 24).collect::<String>() + &format!("#{i}")
        })
        .collect();
    let (theirs, ours) = (unique_topic("murmur2-kcat"), unique_topic("murmur2-ours"));
    integration_tests::create_topic(&theirs, P).await;
    integration_tests::create_topic(&ours, P).await;
    let bootstrap = bootstrap().await;

    let lines: Vec<String> = keys.iter().map(|k| format!("{k}|v")).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    kcat_produce(
        &bootstrap,
        &theirs,
        &lines,
        &["-K", "|", "-X", "partitioner=murmur2_random"],
    )
    .await;

    let producer = producer(&[("linger.ms", "10")]).await;
    let mut deliveries = Vec::new();
    for k in &keys {
        let record = ProducerRecord::new(&ours).key(k.clone()).value("v");
        deliveries.push(producer.send(record).await.unwrap());
    }
    for d in join_all(deliveries).await {
        d.unwrap();
    }
    producer.close(Duration::from_secs(5)).await.unwrap();

    let partition_of = |out: String| -> HashMap<String, i32> {
        out.lines()
            .map(|l| {
                let (p, k) = l.split_once('|').unwrap();
                (k.to_owned(), p.parse().unwrap())
            })
            .collect()
    };
    let by_kcat = partition_of(kcat_consume(&bootstrap, &theirs, keys.len(), "%p|%k\n").await);
    let by_us = partition_of(kcat_consume(&bootstrap, &ours, keys.len(), "%p|%k\n").await);
    assert_eq!(by_kcat.len(), keys.len());
    let differ: Vec<_> = keys
        .iter()
        .filter(|k| by_kcat.get(*k) != by_us.get(*k))
        .map(|k| (k, by_kcat.get(k), by_us.get(k)))
        .collect();
    assert!(
        differ.is_empty(),
        "{} of {} keys on another partition than librdkafka's (key, kcat, ours): {:?}",
        differ.len(),
        keys.len(),
        &differ[..differ.len().min(10)]
    );
    // The spread is real: every partition got keys.
    let used: HashSet<i32> = by_us.values().copied().collect();
    assert_eq!(used.len(), P as usize);
}

/// 3. Headers (order, repeated keys, empty values) and explicit create timestamps reach the
///    broker as given.
#[tokio::test]
async fn headers_and_timestamps_are_preserved() {
    const N: usize = 50;
    const BASE_TS: i64 = 1_600_000_000_000;
    let topic = unique_topic("producer-headers");
    integration_tests::create_topic(&topic, 1).await;
    let producer = producer(&[("linger.ms", "5")]).await;
    let mut deliveries = Vec::new();
    for i in 0..N {
        let ts = BASE_TS + (i as i64) * 1_000 + 7;
        let mut record = ProducerRecord::new(&topic)
            .key(format!("key-{i}"))
            .value(format!("value-{i}"))
            .header("trace", format!("t-{i}"))
            .header("dup", "first")
            .header("dup", "second")
            .partition(0)
            .timestamp(ts);
        if i % 2 == 0 {
            record = record.header("empty", "");
        }
        deliveries.push((ts, producer.send(record).await.unwrap()));
    }
    for (ts, d) in deliveries {
        let md = d.await.unwrap();
        assert_eq!(
            md.timestamp, ts,
            "RecordMetadata.timestamp (CreateTime topic)"
        );
        assert_eq!(md.partition, 0);
    }
    producer.close(Duration::from_secs(5)).await.unwrap();

    let out = kcat_consume(&bootstrap().await, &topic, N, "%k|%T|%h|%s\n").await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), N, "{out}");
    for (i, line) in lines.iter().enumerate() {
        let empty = if i % 2 == 0 { ",empty=" } else { "" };
        let expected = format!(
            "key-{i}|{}|trace=t-{i},dup=first,dup=second{empty}|value-{i}",
            BASE_TS + (i as i64) * 1_000 + 7
        );
        assert_eq!(*line, expected);
    }
}

/// `send_ref` copies a lent record during the call: the same key and value buffers, rewritten
/// for every record, still land as distinct records, with their headers, in order.
#[tokio::test]
async fn lent_records_are_copied_at_send() {
    const N: usize = 200;
    let topic_name = unique_topic("producer-send-ref");
    integration_tests::create_topic(&topic_name, 1).await;
    let topic = Topic::from(topic_name.as_str());
    let producer = producer(&[("linger.ms", "20")]).await;
    let mut key = Vec::new();
    let mut value = Vec::new();
    let mut deliveries = Vec::new();
    for i in 0..N {
        key.clear();
        key.extend_from_slice(format!("key-{i}").as_bytes());
        value.clear();
        value.extend_from_slice(format!("value-{i}").as_bytes());
        let headers = [RecordHeader {
            key: Bytes::from_static(b"n"),
            value: Some(Bytes::from(i.to_string())),
        }];
        let record = RecordRef::new(&topic)
            .key(&key)
            .value(&value)
            .headers(&headers)
            .partition(0);
        deliveries.push(producer.send_ref(record).await.unwrap());
    }
    let mut offsets = Vec::new();
    for d in deliveries {
        let md = d.await.unwrap();
        assert_eq!(md.topic, topic);
        offsets.push(md.offset);
    }
    assert!(
        offsets.windows(2).all(|w| w[1] == w[0] + 1),
        "acknowledged offsets are consecutive: {offsets:?}"
    );
    producer.close(Duration::from_secs(5)).await.unwrap();

    let out = kcat_consume(&bootstrap().await, &topic_name, N, "%k|%h|%s\n").await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), N, "{out}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(*line, format!("key-{i}|n={i}|value-{i}"));
    }
}

/// 4. Every codec round-trips through librdkafka, and compression really shrinks what we send.
#[tokio::test]
async fn every_compression_codec_round_trips_through_kcat() {
    const N: usize = 300;
    let bootstrap = bootstrap().await;
    let mut bytes_sent = BTreeMap::new();
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let topic = unique_topic(&format!("producer-codec-{codec}"));
        integration_tests::create_topic(&topic, 2).await;
        let producer = producer(&[("linger.ms", "20"), ("compression.type", codec)]).await;
        let value = |i: usize| format!("{codec}-{i}-{}", "abcdefgh".repeat(40));
        let mut deliveries = Vec::new();
        for i in 0..N {
            let record = ProducerRecord::new(&topic)
                .key(format!("key-{i}"))
                .value(value(i))
                .header("codec", codec);
            deliveries.push(producer.send(record).await.unwrap());
        }
        for d in join_all(deliveries).await {
            d.unwrap_or_else(|e| panic!("{codec}: {e}"));
        }
        producer.flush().await.unwrap();
        bytes_sent.insert(codec, producer.metrics().bytes_sent);
        producer.close(Duration::from_secs(5)).await.unwrap();

        let out = kcat_consume(&bootstrap, &topic, N, "%k|%h|%s\n").await;
        let mut got: Vec<&str> = out.lines().collect();
        got.sort();
        let mut want: Vec<String> = (0..N)
            .map(|i| format!("key-{i}|codec={codec}|{}", value(i)))
            .collect();
        want.sort();
        assert_eq!(got, want, "{codec}");
    }
    let plain = bytes_sent["none"];
    for (codec, sent) in &bytes_sent {
        assert!(*sent > 0, "{codec}: metrics().bytes_sent is 0");
        if *codec != "none" {
            assert!(
                *sent * 2 < plain,
                "{codec}: {sent} bytes sent, uncompressed {plain}: was it compressed?"
            );
        }
    }
}

/// 5. acks=0, 1 and all: records land; with acks=0 the offset is unknown (-1).
#[tokio::test]
async fn every_acks_setting_lands_records() {
    const N: usize = 100;
    let bootstrap = bootstrap().await;
    for acks in ["0", "1", "all"] {
        let topic = unique_topic(&format!("producer-acks-{acks}"));
        integration_tests::create_topic(&topic, 1).await;
        let idempotence = if acks == "all" { "true" } else { "false" };
        let producer = producer(&[
            ("linger.ms", "5"),
            ("acks", acks),
            ("enable.idempotence", idempotence),
        ])
        .await;
        let mut deliveries = Vec::new();
        for i in 0..N {
            let record = ProducerRecord::new(&topic).value(format!("{acks}-{i}"));
            deliveries.push(producer.send(record).await.unwrap());
        }
        for (i, d) in join_all(deliveries).await.into_iter().enumerate() {
            let md = d.unwrap_or_else(|e| panic!("acks={acks}: {e}"));
            assert_eq!(md.partition, 0);
            if acks == "0" {
                assert_eq!(md.offset, -1, "acks=0 cannot know the offset");
            } else {
                assert_eq!(md.offset, i as i64, "acks={acks}");
            }
        }
        producer.close(Duration::from_secs(5)).await.unwrap();

        let out = kcat_consume(&bootstrap, &topic, N, "%o|%s\n").await;
        let want: String = (0..N).map(|i| format!("{i}|{acks}-{i}\n")).collect();
        assert_eq!(out, want, "acks={acks}");
    }
}

/// 6a. With linger.ms=50, thousands of concurrent small records go out in far fewer requests.
#[tokio::test]
async fn linger_batches_many_records_into_few_requests() {
    const N: usize = 5000;
    const P: i32 = 4;
    let topic = unique_topic("producer-batching");
    integration_tests::create_topic(&topic, P).await;
    let producer = producer(&[("linger.ms", "50"), ("batch.size", "16384")]).await;
    // Many tasks sending at once, as an application would.
    let tasks: Vec<_> = (0..10)
        .map(|t| {
            let (producer, topic) = (producer.clone(), topic.clone());
            tokio::spawn(async move {
                let mut deliveries = Vec::new();
                for i in (t..N).step_by(10) {
                    let record = ProducerRecord::new(&topic)
                        .key(format!("key-{i}"))
                        .value(format!("v{i}"));
                    deliveries.push(producer.send(record).await.unwrap());
                }
                for d in join_all(deliveries).await {
                    d.unwrap();
                }
            })
        })
        .collect();
    for t in join_all(tasks).await {
        t.unwrap();
    }
    let m = producer.metrics();
    producer.close(Duration::from_secs(5)).await.unwrap();
    eprintln!(
        "batching: records={} batches={} produce_requests={} bytes_sent={}",
        m.records_sent, m.batches_sent, m.produce_requests, m.bytes_sent
    );
    assert_eq!(m.records_sent, N as u64);
    assert!(
        m.produce_requests < (N / 10) as u64,
        "{} Produce requests for {N} records: linger.ms is not batching",
        m.produce_requests
    );
    assert!(m.batches_sent >= m.produce_requests.min(P as u64));

    let held = read_back_exactly(&topic, P, N).await;
    let keys: HashSet<String> = held.values().flatten().map(|r| r.key.clone()).collect();
    assert_eq!(keys.len(), N);
}

/// 6b. With linger.ms=0 a lone record is sent at once: low delivery latency. A correctness bound
///     (the record must not wait for a batch to fill), not a benchmark.
#[tokio::test]
async fn linger_zero_sends_a_lone_record_at_once() {
    let topic = unique_topic("producer-latency");
    integration_tests::create_topic(&topic, 1).await;
    let producer = producer(&[("linger.ms", "0")]).await;
    // Warm up: metadata, connection, producer id.
    producer
        .send(ProducerRecord::new(&topic).value("warm-up"))
        .await
        .unwrap()
        .await
        .unwrap();
    let mut latencies = Vec::new();
    for i in 0..20 {
        let started = Instant::now();
        let delivery = producer
            .send(ProducerRecord::new(&topic).value(format!("v{i}")))
            .await
            .unwrap();
        delivery.await.unwrap();
        latencies.push(started.elapsed());
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
    let median = median(latencies.clone());
    eprintln!("linger.ms=0 delivery latency: median {median:?}, all {latencies:?}");
    // A record that waited for its batch to fill would wait out delivery.timeout.ms (30 s):
    // the bound sits far from that and from a normal delivery (milliseconds), so load on the
    // machine cannot decide the outcome.
    assert!(
        median < Duration::from_secs(1),
        "median delivery latency {median:?} with linger.ms=0"
    );
    kcat_consume(&bootstrap().await, &topic, 21, "%s\n").await;
}

/// 7. buffer.memory is a hard bound: `send` waits for space (it neither fails nor overshoots)
///    while 20 MB go through a 64 KiB buffer, and everything lands.
#[tokio::test]
async fn send_waits_for_buffer_memory_and_never_exceeds_it() {
    const BUFFER: u64 = 64 * 1024;
    const RECORD: usize = 10 * 1024;
    const N: usize = 2000; // 20 MB
    let topic = unique_topic("producer-backpressure");
    integration_tests::create_topic(&topic, 1).await;
    let buffer = BUFFER.to_string();
    let producer = producer(&[
        ("linger.ms", "5"),
        ("buffer.memory", &buffer),
        ("batch.size", "16384"),
    ])
    .await;

    // Sample buffered_bytes as fast as we can while one task sends.
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (producer, done, peak) = (producer.clone(), done.clone(), peak.clone());
        tokio::spawn(async move {
            let mut samples = 0u64;
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(producer.metrics().buffered_bytes, Ordering::Relaxed);
                samples += 1;
                tokio::task::yield_now().await;
            }
            samples
        })
    };
    let started = Instant::now();
    let mut longest_wait = Duration::ZERO;
    for i in 0..N {
        let mut value = format!("{i:08}|").into_bytes();
        value.resize(RECORD, b'x');
        let record = ProducerRecord::new(&topic).key(format!("{i}")).value(value);
        let asked = Instant::now();
        producer.send_and_forget(record).await.unwrap();
        longest_wait = longest_wait.max(asked.elapsed());
        peak.fetch_max(producer.metrics().buffered_bytes, Ordering::Relaxed);
    }
    producer.flush().await.unwrap();
    done.store(true, Ordering::Relaxed);
    let samples = sampler.await.unwrap();
    let m = producer.metrics();
    producer.close(Duration::from_secs(5)).await.unwrap();
    let peak = peak.load(Ordering::Relaxed);
    eprintln!(
        "backpressure: {N} x {RECORD} B in {:?}, peak buffered {peak} of {BUFFER} ({samples} \
         samples), longest send() wait {longest_wait:?}",
        started.elapsed()
    );
    assert!(
        peak <= BUFFER,
        "buffered_bytes reached {peak} > buffer.memory {BUFFER}"
    );
    // The buffer really filled, so send() must have waited for it to drain.
    assert!(
        peak > BUFFER / 2,
        "peak {peak}: the buffer never filled, backpressure untested"
    );
    assert_eq!(m.buffered_bytes, 0, "after flush nothing is buffered");
    assert_eq!(m.records_sent, N as u64);
    assert_eq!(m.errors, 0);

    let out = kcat_consume(&bootstrap().await, &topic, N, "%o|%k|%S\n").await;
    let want: String = (0..N).map(|i| format!("{i}|{i}|{RECORD}\n")).collect();
    assert!(
        out == want,
        "what the broker holds differs from what was sent"
    );
}

/// 8. A record over max.request.size fails at once with a typed error; records before and after
///    it are unaffected.
#[tokio::test]
async fn oversized_record_fails_at_once_and_harms_nothing_else() {
    let topic = unique_topic("producer-too-large");
    integration_tests::create_topic(&topic, 1).await;
    // max.block.ms far above the bound below: a refusal that waited (for buffer space, for
    // metadata) instead of failing at once would take up to a minute.
    let producer = producer(&[
        ("linger.ms", "5"),
        ("max.request.size", "1048576"),
        ("max.block.ms", "60000"),
    ])
    .await;
    let before = producer
        .send(ProducerRecord::new(&topic).value("before"))
        .await
        .unwrap();

    let started = Instant::now();
    let big = ProducerRecord::new(&topic).value(vec![b'x'; 2 * 1024 * 1024]);
    let err = producer.send(big).await.unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(
            err,
            Error::RecordTooLarge {
                key: "max.request.size",
                max: 1_048_576,
                size,
                ..
            } if size > 2 * 1024 * 1024
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("max.request.size"), "{err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");

    let after = producer
        .send(ProducerRecord::new(&topic).value("after"))
        .await
        .unwrap();
    assert_eq!(before.await.unwrap().offset, 0);
    assert_eq!(after.await.unwrap().offset, 1);
    producer.flush().await.unwrap();
    assert_eq!(producer.metrics().errors, 0);
    producer.close(Duration::from_secs(5)).await.unwrap();
    // Had the big record been written, it would sit between them.
    let out = kcat_consume(&bootstrap().await, &topic, 2, "%o|%s\n").await;
    assert_eq!(out, "0|before\n1|after\n");
}

/// 9a. A topic that does not exist (our producer never asks for auto-creation): a clear error
///     within max.block.ms, and the topic is not created behind our back.
#[tokio::test]
async fn unknown_topic_fails_within_max_block() {
    let topic = unique_topic("producer-no-such-topic");
    let producer = producer(&[("max.block.ms", "1500")]).await;
    let started = Instant::now();
    let err = producer
        .send(ProducerRecord::new(&topic).value("v"))
        .await
        .unwrap_err();
    let took = started.elapsed();
    eprintln!("unknown topic after {took:?}: {err}");
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_millis(3000),
        "took {took:?} with max.block.ms=1500"
    );
    assert!(
        matches!(err, Error::Timeout { .. })
            || err.code() == Some(ErrorCode::UnknownTopicOrPartition),
        "{err:?}"
    );
    assert!(err.to_string().contains(&topic), "names the topic: {err}");
    producer.close(Duration::from_secs(5)).await.unwrap();

    let admin = AdminClient::from_properties([("bootstrap.servers", bootstrap().await)]).unwrap();
    let cluster = admin.metadata().refresh_topics(&[&topic]).await.unwrap();
    let info = cluster.topic(&topic);
    assert!(
        info.is_none_or(|t| t.partitions.is_empty()),
        "the producer created {topic}: {info:?}"
    );
    admin.close();
}

/// 9b. Invalid topic names fail at once with the broker's INVALID_TOPIC_EXCEPTION, naming the
///     topic.
#[tokio::test]
async fn invalid_topic_name_fails_clearly() {
    let producer = producer(&[("max.block.ms", "60000")]).await;
    for topic in ["bad topic name!", "", &"x".repeat(300)] {
        let started = Instant::now();
        let err = producer
            .send(ProducerRecord::new(topic).value("v"))
            .await
            .unwrap_err();
        let took = started.elapsed();
        let shown: String = topic.chars().take(40).collect();
        eprintln!("invalid topic {shown:?} after {took:?}: {err}");
        // The broker says INVALID_TOPIC_EXCEPTION, which no retry heals: fail at once rather
        // than wait out max.block.ms (60 s, far from this bound).
        assert!(took < Duration::from_secs(5), "{shown:?}: took {took:?}");
        assert_eq!(
            err.code(),
            Some(ErrorCode::InvalidTopicException),
            "{shown:?}: {err:?}"
        );
        if !topic.is_empty() {
            assert!(err.to_string().contains(&shown), "names the topic: {err}");
        }
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
}
