//! A produce micro-workload for counting instructions with callgrind (deterministic, unlike
//! wall-clock timings on a shared machine): `N` records through `send_and_forget` and one
//! `flush`, against an in-process `kafkito-testkit` broker, on one thread. The per-record cost
//! is the difference of two runs divided by the difference of their `N`:
//!
//! ```text
//! cargo build --release -p kafkito --example send_cost [--features metrics]
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/send_cost 20000
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/send_cost 120000
//! ```
//!
//! (`Collected` in the summary is the instruction count.) Used to check that the metrics cost
//! the hot path nothing measurable (issue 21).

use std::time::Duration;

use kafkito::{Producer, ProducerConfig, ProducerRecord};
use kafkito_testkit::Cluster;

/// Each record's value: 100 bytes, no key.
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
    });
}
