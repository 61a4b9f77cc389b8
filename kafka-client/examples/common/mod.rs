//! What the callgrind cost examples (`send_cost`, `consume_cost`) share: the record count from
//! the command line, a one-thread runtime, a one-broker in-process cluster with topic `cost`,
//! and the produce workload. Counting the same produce in both lets `consume_cost` subtract it.

use std::time::Duration;

use kafkito::{Producer, ProducerConfig, ProducerRecord};
use kafkito_testkit::Cluster;

/// Each record's value: 100 bytes, no key.
static VALUE: [u8; 100] = [7; 100];

/// The topic the records go to: one partition.
pub const TOPIC: &str = "cost";

/// `N`, the first argument (100,000 without one).
pub fn records() -> usize {
    std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000)
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
        cluster.create_topic(TOPIC, 1, 1).expect("topic");
        work(cluster).await;
    });
}

/// `n` records through `send_and_forget` (linger 5 ms), one `flush`, then `close`.
pub async fn produce(bootstrap: &str, n: usize) {
    let config =
        ProducerConfig::from_properties([("bootstrap.servers", bootstrap), ("linger.ms", "5")])
            .expect("config");
    let producer = Producer::new(config).await.expect("producer");
    for _ in 0..n {
        producer
            .send_and_forget(ProducerRecord::new(TOPIC).value(&VALUE[..]))
            .await
            .expect("send");
    }
    producer.flush().await.expect("flush");
    producer.close(Duration::from_secs(5)).await.expect("close");
}
