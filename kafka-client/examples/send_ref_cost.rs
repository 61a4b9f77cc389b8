//! The benchmark's produce loop for counting instructions with callgrind: `N` records lent with
//! `send_ref` (a shared [`Topic`], a 16-byte key that differs per record, the value), every
//! delivery future kept in send order and the finished ones dropped from the front every 1024
//! records, then one `flush`: what `bench`'s `produce` workload does for this SDK, on one
//! thread against an in-process `kafkito-testkit` broker. Per-record cost as for `send_cost`:
//!
//! ```text
//! cargo build --release -p kafkito --example send_ref_cost
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/send_ref_cost 20000
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/send_ref_cost 120000
//! ```

mod common;

use std::collections::VecDeque;
use std::time::Duration;

use futures::FutureExt;
use kafkito::producer::{Producer, ProducerConfig, RecordRef, Topic};

fn main() {
    let n = common::records();
    common::with_cluster(|cluster| async move {
        let config = ProducerConfig::from_properties([
            ("bootstrap.servers", cluster.bootstrap().as_str()),
            ("linger.ms", "5"),
        ])
        .expect("config");
        let producer = Producer::new(config).await.expect("producer");
        let topic = Topic::from(common::TOPIC);
        let value = vec![7u8; common::value_size()];
        let mut key = *b"key-000000000000";
        let mut pending = VecDeque::new();
        for i in 0..n {
            let mut rest = i;
            for digit in key[4..].iter_mut().rev() {
                *digit = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            let record = RecordRef::new(&topic).key(&key).value(&value);
            pending.push_back(producer.send_ref(record).await.expect("send"));
            if i % 1024 == 1023 {
                while let Some(Some(delivery)) = pending.front_mut().map(|f| f.now_or_never()) {
                    delivery.expect("delivery");
                    pending.pop_front();
                }
            }
        }
        producer.flush().await.expect("flush");
        for delivery in pending {
            delivery.await.expect("delivery");
        }
        producer.close(Duration::from_secs(5)).await.expect("close");
    });
}
