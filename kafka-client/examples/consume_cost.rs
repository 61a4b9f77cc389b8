//! A consume micro-workload for counting instructions with callgrind (deterministic, unlike
//! wall-clock timings on a shared machine): `N` records produced exactly as `send_cost` does,
//! then read back by a consumer assigned the partition, against an in-process
//! `kafkito-testkit` broker, on one thread. The consumer's cost per record is the difference of
//! two runs of this example, minus the same difference of `send_cost`, divided by the
//! difference of their `N`:
//!
//! ```text
//! cargo build --release -p kafkito --example consume_cost --example send_cost
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/consume_cost 20000
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/consume_cost 120000
//! ```
//!
//! Used to check what the consumer's metrics and hooks cost its hot path (issue 21).

use std::time::Duration;

use kafkito::consumer::TopicPartition;
use kafkito::{Consumer, ConsumerConfig, Producer, ProducerConfig, ProducerRecord};
use kafkito_testkit::Cluster;

/// Each record's value: 100 bytes, no key (as in `send_cost`).
static VALUE: [u8; 100] = [7; 100];

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
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
        cluster.create_topic("cost", 1, 1).expect("topic");
        let config = ProducerConfig::from_properties([
            ("bootstrap.servers", cluster.bootstrap().as_str()),
            ("linger.ms", "5"),
        ])
        .expect("config");
        let producer = Producer::new(config).await.expect("producer");
        for _ in 0..n {
            producer
                .send_and_forget(ProducerRecord::new("cost").value(&VALUE[..]))
                .await
                .expect("send");
        }
        producer.flush().await.expect("flush");
        producer.close(Duration::from_secs(5)).await.expect("close");

        let config = ConsumerConfig::from_properties([
            ("bootstrap.servers", cluster.bootstrap().as_str()),
            ("auto.offset.reset", "earliest"),
        ])
        .expect("config");
        let mut consumer = Consumer::new(config).await.expect("consumer");
        consumer
            .assign([TopicPartition::new("cost", 0)])
            .expect("assign");
        let mut read = 0;
        while read < n {
            let records = consumer.poll(Duration::from_secs(5)).await.expect("poll");
            assert!(!records.is_empty(), "no records within 5 s after {read}");
            read += records.len();
        }
        assert_eq!(read, n, "read exactly what was produced");
        consumer.close().await.expect("close");
    });
}
