//! Shared by the mock-cluster fault tests (`faults_producer`, `faults_consumer`, `soak`):
//! a librdkafka mock cluster with one topic, a preflight check that our client can talk to it,
//! an independent writer and reader (librdkafka's own producer and consumer), and the
//! reconciliation of what was sent against what was read.
//!
//! Lives under `tests/support/` (not `src/`) because `rdkafka` is a dev-dependency.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use kafkito::AdminClient;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DefaultProducerContext, Producer as _};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

/// librdkafka's in-process cluster.
pub type Mock = MockCluster<'static, DefaultProducerContext>;

/// A mock cluster of `brokers` brokers holding `topic` with `partitions` partitions; partition
/// p is led by broker `p % brokers + 1`. Fails the test at once, with our client's error, when
/// our client cannot read the mock's metadata.
pub async fn mock_with_topic(brokers: i32, topic: &str, partitions: i32) -> (Mock, String) {
    let mock = Mock::new(brokers).expect("librdkafka mock cluster");
    mock.create_topic(topic, partitions, brokers.min(3))
        .expect("mock topic");
    for p in 0..partitions {
        mock.partition_leader(topic, p, Some(p % brokers + 1))
            .expect("mock leader");
    }
    clamp_group_apis(&mock);
    let bootstrap = mock.bootstrap_servers();
    preflight(&bootstrap, topic, partitions).await;
    (mock, bootstrap)
}

/// The mock (librdkafka 2.12) advertises JoinGroup v6, SyncGroup v4 and LeaveGroup v4 but
/// parses only their non-flexible bodies: it reads the flexible (varint) protocol and
/// assignment array counts as INT32, finds "more than 1000" and closes the connection, and it
/// reads LeaveGroup v3+ (a members array) as v0-2. librdkafka's own client never sends those
/// versions, so it never notices. Advertise what the mock really parses.
pub fn clamp_group_apis(mock: &MockCluster<'_, DefaultProducerContext>) {
    use rdkafka::types::RDKafkaApiKey;
    for (api, max) in [
        (RDKafkaApiKey::JoinGroup, 5),
        (RDKafkaApiKey::SyncGroup, 3),
        (RDKafkaApiKey::LeaveGroup, 2),
    ] {
        mock.apiversion(api, Some(0), Some(max))
            .expect("mock api version range");
    }
}

/// Fails at once, saying why, when our client cannot read `topic`'s metadata from the mock.
pub async fn preflight(bootstrap: &str, topic: &str, partitions: i32) {
    let admin = AdminClient::from_properties([
        ("bootstrap.servers", bootstrap),
        ("default.api.timeout.ms", "5000"),
    ])
    .expect("admin config");
    let cluster = admin
        .metadata()
        .refresh_topics(&[topic])
        .await
        .unwrap_or_else(|e| panic!("kafkito cannot read the mock's metadata: {e}"));
    let found = cluster.topic(topic).map_or(0, |t| t.partitions.len());
    assert_eq!(found, partitions as usize, "mock topic {topic}");
    admin.close();
}

/// The key of record `i`: every record of a run is unique by key.
pub fn key(i: usize) -> String {
    format!("k{i:06}")
}

/// Index of a key made by [`key`].
pub fn index_of(key: &str) -> Option<usize> {
    key.strip_prefix('k')?.parse().ok()
}

/// Writes `count` records (keys `key(from..from+count)`, partition `i % partitions`) with
/// librdkafka's producer, an independent writer, and waits until all are acknowledged.
pub fn rd_produce(bootstrap: &str, topic: &str, partitions: i32, from: usize, count: usize) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "2")
        .set("acks", "all")
        .create()
        .expect("librdkafka producer");
    for i in from..from + count {
        let k = key(i);
        let v = format!("v{i}");
        let mut record = BaseRecord::to(topic)
            .key(&k)
            .payload(&v)
            .partition(i as i32 % partitions);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, r)) => {
                    record = r;
                    producer.poll(Duration::from_millis(10));
                }
            }
        }
    }
    producer
        .flush(Duration::from_secs(20))
        .expect("librdkafka producer flush");
}

/// Everything the mock holds for `topic`, per partition in offset order: `(offset, key)`, read
/// by librdkafka's consumer up to each partition's high watermark.
pub fn rd_read_back(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
) -> BTreeMap<i32, Vec<(i64, String)>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "reliability-readback")
        .set("enable.auto.commit", "false")
        .create()
        .expect("librdkafka consumer");
    let mut assignment = TopicPartitionList::new();
    let mut high = BTreeMap::new();
    for p in 0..partitions {
        let (_, hw) = consumer
            .fetch_watermarks(topic, p, Duration::from_secs(5))
            .expect("watermarks");
        high.insert(p, hw);
        assignment
            .add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut held: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
    let done = |held: &BTreeMap<i32, Vec<(i64, String)>>| {
        high.iter().all(|(p, &hw)| {
            held.get(p)
                .and_then(|r| r.last())
                .map_or(hw == 0, |(o, _)| o + 1 >= hw)
        })
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done(&held) {
        assert!(Instant::now() < deadline, "read back stalled: {high:?}");
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message.expect("consume");
            let key = String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned();
            held.entry(message.partition())
                .or_default()
                .push((message.offset(), key));
        }
    }
    held
}

/// Committed offsets of `group` for `topic`'s partitions, read with librdkafka.
pub fn rd_committed(bootstrap: &str, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("librdkafka consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    (0..partitions)
        .map(
            |p| match committed.find_partition(topic, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) => o,
                _ => -1,
            },
        )
        .collect()
}

/// Sent against received, by key.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Records the writer had acknowledged.
    pub sent: usize,
    /// Records read, copies included.
    pub received: usize,
    /// Acknowledged records never read.
    pub lost: usize,
    /// Extra copies read.
    pub duplicated: usize,
    /// Records read out of send order within their partition (first copies only).
    pub reordered: usize,
}

/// Reconciles `acked` (index → acknowledged?) with the `(partition, key)` pairs read, in the
/// order read per partition.
pub fn reconcile<'a>(acked: &[bool], read: impl IntoIterator<Item = (i32, &'a str)>) -> Tally {
    let mut copies = vec![0usize; acked.len()];
    let mut last: HashMap<i32, usize> = HashMap::new();
    let mut t = Tally {
        sent: acked.iter().filter(|a| **a).count(),
        ..Tally::default()
    };
    for (p, k) in read {
        t.received += 1;
        let i = index_of(k).unwrap_or_else(|| panic!("unexpected key {k:?}"));
        assert!(i < acked.len(), "key {k} was never sent");
        copies[i] += 1;
        if copies[i] > 1 {
            continue;
        }
        let prev = last.entry(p).or_insert(i);
        if i < *prev {
            t.reordered += 1;
        }
        *prev = (*prev).max(i);
    }
    t.lost = (0..acked.len())
        .filter(|&i| acked[i] && copies[i] == 0)
        .count();
    t.duplicated = copies.iter().map(|c| c.saturating_sub(1)).sum();
    t
}

/// Prints one row of the fault table (`--nocapture` shows it):
/// `| fault | injected | sent | received | lost | duplicated | recovery |`.
pub fn report(fault: &str, injected: usize, t: &Tally, recovery: Option<Duration>) {
    let recovery = recovery.map_or("-".to_owned(), |d| format!("{} ms", d.as_millis()));
    eprintln!(
        "FAULT-TABLE | {fault} | {injected} | {} | {} | {} | {} | {recovery} |",
        t.sent, t.received, t.lost, t.duplicated
    );
}
