//! Client metrics end to end: a producer writes N records, a consumer in a group reads them
//! and commits, and the snapshots (`Producer::metrics`, `Consumer::metrics`) must count
//! exactly what happened, cross-checked against the cluster's own request counters. With
//! kafkito's `metrics` feature (on in this crate) the same totals must reach a recorder
//! installed on the `metrics` facade (`metrics-util`'s `DebuggingRecorder`).
//!
//! Proven on: kafkito-testkit (an in-process cluster, one broker; no Docker).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use kafkito::consumer::{Consumer, ConsumerConfig};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito_testkit::{ApiKey, Cluster};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

const N: usize = 600;
const TOPIC: &str = "metered";
const PARTITIONS: i32 = 3;
const GROUP: &str = "metered-group";
/// Generous bound for anything that waits on the cluster or on a publish.
const WAIT: Duration = Duration::from_secs(60);

/// The counters the recorder saw, by name and labels, keeping the largest value of each:
/// `DebuggingRecorder` snapshots drain its counters (each read swaps them to 0), while the
/// clients publish totals (`absolute`).
struct Seen {
    snapshotter: Snapshotter,
    counters: HashMap<(String, BTreeSet<(String, String)>), u64>,
}

impl Seen {
    fn refresh(&mut self) {
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            if let DebugValue::Counter(n) = value {
                let key = key.key();
                let labels = key
                    .labels()
                    .map(|l| (l.key().to_owned(), l.value().to_owned()))
                    .collect();
                let seen = self
                    .counters
                    .entry((key.name().to_owned(), labels))
                    .or_default();
                *seen = (*seen).max(n);
            }
        }
    }

    /// Counter `name` whose labels include every one of `labels`, if published.
    fn counter(&mut self, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
        self.refresh();
        self.counters
            .iter()
            .find(|((n, l), _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.contains(&((*k).to_owned(), (*v).to_owned())))
            })
            .map(|(_, value)| *value)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_and_the_metrics_facade_count_what_happened() {
    let recorder = DebuggingRecorder::new();
    let mut seen = Seen {
        snapshotter: recorder.snapshotter(),
        counters: HashMap::new(),
    };
    recorder
        .install()
        .expect("the only recorder of this test binary");

    let cluster = Cluster::builder().brokers(1).build().await.unwrap();
    cluster.create_topic(TOPIC, PARTITIONS, 1).unwrap();
    let bootstrap = cluster.bootstrap();

    // --- produce N records ---
    let mut config = ProducerConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("client.id", "metered-producer"),
        ("linger.ms", "5"),
    ])
    .unwrap();
    config.client.metrics_publish_interval = Duration::from_millis(100);
    let producer = Producer::new(config).await.unwrap();
    for i in 0..N {
        producer
            .send_and_forget(
                ProducerRecord::new(TOPIC)
                    .key(format!("k{i}"))
                    .value(format!("v{i}")),
            )
            .await
            .unwrap();
    }
    producer.flush().await.unwrap();
    let p = producer.metrics();
    println!("{p:#?}");
    assert_eq!(p.records_sent, N as u64, "record-send-total");
    assert_eq!(p.errors, 0, "record-error-total");
    assert_eq!(p.record_retry_total, 0);
    assert_eq!(
        p.produce_requests,
        cluster.total_requests(ApiKey::Produce),
        "every Produce request the cluster served was counted, and no other"
    );
    assert!(p.batches_sent >= p.produce_requests && p.batches_sent > 0);
    assert!(p.batch_size_avg > 0.0 && p.batch_size_max > 0);
    assert!(p.records_per_request_avg >= 1.0);
    assert!(p.request_latency_max >= p.request_latency_avg && p.request_latency_avg > 0.0);
    assert!(p.record_send_rate > 0.0);
    assert_eq!(
        p.buffer_total_bytes,
        32 * 1024 * 1024,
        "buffer.memory's default"
    );
    assert_eq!(
        p.buffer_available_bytes, p.buffer_total_bytes,
        "all acknowledged"
    );
    let pc = p.connections;
    assert!(pc.connection_creation_total >= 1);
    assert!(pc.connection_count >= 1 && pc.connection_count <= pc.connection_creation_total);
    assert!(
        pc.request_total > p.produce_requests,
        "Metadata and ApiVersions are requests too"
    );
    assert!(pc.response_total >= p.produce_requests);
    assert!(pc.outgoing_byte_total > p.bytes_sent && pc.incoming_byte_total > 0);
    assert_eq!(
        pc.successful_authentication_total, 0,
        "no SASL on this cluster"
    );
    producer.close(Duration::from_secs(10)).await.unwrap();

    // --- consume them in a group and commit ---
    let mut config = ConsumerConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("client.id", "metered-consumer"),
        ("group.id", GROUP),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
    ])
    .unwrap();
    config.client.metrics_publish_interval = Duration::from_millis(100);
    let mut consumer = Consumer::new(config).await.unwrap();
    consumer.subscribe(&[TOPIC]).unwrap();
    let mut values = BTreeSet::new();
    let mut received = 0;
    let deadline = Instant::now() + WAIT;
    while received < N && Instant::now() < deadline {
        for record in consumer.poll(Duration::from_millis(500)).await.unwrap() {
            received += 1;
            values.insert(record.value.unwrap_or_default());
        }
    }
    assert_eq!((received, values.len()), (N, N), "every record once");
    consumer.commit_sync().await.unwrap();
    let committed: i64 = (0..PARTITIONS)
        .map(|p| cluster.committed_offset(GROUP, TOPIC, p).unwrap_or(0))
        .sum();
    assert_eq!(committed, N as i64, "the commit landed");

    let c = consumer.metrics();
    println!("{c:#?}");
    assert_eq!(c.records_consumed_total, N as u64, "records-consumed-total");
    assert_eq!(c.commit_total, 1, "commit-total: one commit_sync");
    assert!(c.commit_latency_max >= c.commit_latency_avg && c.commit_latency_avg > 0.0);
    assert!(c.rebalance_total >= 1, "rebalance-total: the member joined");
    assert_eq!(c.failed_rebalance_total, 0);
    assert!(c.rebalance_latency_avg > 0.0);
    assert_eq!(c.assigned_partitions, PARTITIONS as u64);
    assert_eq!(c.records_lag_max, Some(0), "records-lag-max: all read");
    assert!(c.fetch_total >= 1 && c.fetch_total <= cluster.total_requests(ApiKey::Fetch));
    assert!(c.bytes_consumed_total > 0 && c.fetch_size_avg > 0.0);
    assert!(c.last_poll_seconds_ago.is_some());
    assert!(c.connections.connection_creation_total >= 1);
    consumer.close().await.unwrap();

    // --- the same totals through the `metrics` facade ---
    // Both clients are closed: each publishes once more as it stops (the producer's sender
    // task, awaited by `close`; the consumer's handle, dropped by `close`), so the recorder
    // holds the final totals now, with no wait.
    let producer_labels = [("client_id", "metered-producer")];
    assert_eq!(
        seen.counter("kafka_producer_record_send_total", &producer_labels),
        Some(N as u64)
    );
    assert_eq!(
        seen.counter("kafka_producer_produce_request_total", &producer_labels),
        Some(p.produce_requests)
    );
    let consumer_labels = [("client_id", "metered-consumer"), ("group_id", GROUP)];
    assert_eq!(
        seen.counter("kafka_consumer_records_consumed_total", &consumer_labels),
        Some(N as u64)
    );
    assert_eq!(
        seen.counter("kafka_consumer_commit_total", &consumer_labels),
        Some(1)
    );
}
