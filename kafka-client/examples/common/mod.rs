//! What the callgrind cost examples (`send_cost`, `consume_cost`) share: the record count, the
//! partition count and the value size from the command line (`N [PARTITIONS [VALUE_BYTES]]`), a
//! one-thread runtime, a one-broker in-process cluster with topic `cost`, and the produce
//! workload. Counting the same produce in both lets `consume_cost` subtract it.

use std::time::Duration;

use kafkito::{Producer, ProducerConfig, ProducerRecord};
use kafkito_testkit::Cluster;

/// The topic the records go to: [`partitions`] partitions.
pub const TOPIC: &str = "cost";

/// The `i`-th argument parsed, or `default` without one.
fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// `N`, the first argument (100,000 without one).
pub fn records() -> usize {
    arg(1, 100_000)
}

/// The partitions of [`TOPIC`], the second argument (1 without one).
pub fn partitions() -> usize {
    arg(2, 1).max(1)
}

/// Each record's value size in bytes (no key), the third argument (100 without one).
pub fn value_size() -> usize {
    arg(3, 100)
}

/// Runs `work` on a one-thread runtime against a fresh one-broker cluster holding [`TOPIC`].
pub fn with_cluster<F: std::future::Future<Output = ()>>(work: impl FnOnce(Cluster) -> F) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let cluster = Cluster::builder()
            .brokers(1)
            .build()
            .await
            .expect("cluster");
        let partitions = i32::try_from(partitions()).expect("partitions");
        cluster.create_topic(TOPIC, partitions, 1).expect("topic");
        work(cluster).await;
    });
}

/// `n` records through `send_and_forget` (linger 5 ms), one `flush`, then `close`. With more
/// than one partition, record `i` goes to partition `i % partitions` (so every partition holds
/// records); with one, the partitioner chooses, as before the partition argument existed.
// `send_ref_cost` has its own loop (the benchmark's).
#[allow(dead_code)]
pub async fn produce(bootstrap: &str, n: usize) {
    let config =
        ProducerConfig::from_properties([("bootstrap.servers", bootstrap), ("linger.ms", "5")])
            .expect("config");
    let producer = Producer::new(config).await.expect("producer");
    // Static, as the 100-byte value was before the size argument: `value` takes it without a
    // copy or a reference count.
    let value: &'static [u8] = Vec::leak(vec![7u8; value_size()]);
    let partitions = partitions();
    for i in 0..n {
        let record = ProducerRecord::new(TOPIC).value(value);
        let record = if partitions > 1 {
            record.partition(i32::try_from(i % partitions).expect("partition"))
        } else {
            record
        };
        producer.send_and_forget(record).await.expect("send");
    }
    producer.flush().await.expect("flush");
    producer.close(Duration::from_secs(5)).await.expect("close");
}
