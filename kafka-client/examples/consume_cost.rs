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
//! Optional arguments after `N`: the topic's partitions and the value size in bytes
//! (`consume_cost N [PARTITIONS [VALUE_BYTES]]`, default 1 and 100), to see what the consumer's
//! cost per record owes to the partition count or per byte to the value size.
//!
//! Used to check what the consumer's metrics and hooks cost its hot path (issue 21).

use std::time::Duration;

use kafkito::consumer::TopicPartition;
use kafkito::{Consumer, ConsumerConfig};

mod common;

fn main() {
    let n = common::records();
    common::with_cluster(|cluster| async move {
        let bootstrap = cluster.bootstrap();
        common::produce(&bootstrap, n).await;

        let config = ConsumerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("auto.offset.reset", "earliest"),
        ])
        .expect("config");
        let mut consumer = Consumer::new(config).await.expect("consumer");
        let partitions = i32::try_from(common::partitions()).expect("partitions");
        consumer
            .assign((0..partitions).map(|p| TopicPartition::new(common::TOPIC, p)))
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
