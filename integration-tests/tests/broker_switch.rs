//! The harness's broker switch: `broker()` gives the broker the environment names
//! (`KAFKA_BOOTSTRAP_SERVERS`, else `BROKER=testkit` or `BROKER=tansu`, tansu by default), so
//! one test body runs on each. `scripts/test` runs this binary (with the consumer, producer
//! and admin basics) once on tansu and once with `BROKER=testkit`.
//!
//! Proven on: whichever broker the run names; the broker's own state is the independent check
//! (the testkit's log, tansu's container id).

use std::time::Duration;

use integration_tests::{broker, create_topic, unique_topic, BrokerKind};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};

/// The shared broker is the kind the environment asks for, and records written to it are in
/// that broker: on the testkit its own log counts them, on tansu a container serves them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_broker_is_the_one_the_environment_names() {
    let broker = broker().await;
    let kind = BrokerKind::from_env();
    assert_eq!(broker.kind(), kind, "{broker:?}");
    let topic = unique_topic("switch");
    create_topic(&topic, 2).await;
    let bootstrap = broker.bootstrap();
    let producer = Producer::new(
        ProducerConfig::from_properties([("bootstrap.servers", bootstrap.as_str())]).unwrap(),
    )
    .await
    .unwrap();
    for i in 0..5 {
        let record = ProducerRecord::new(topic.as_str())
            .partition(1)
            .value(format!("v{i}"));
        producer.send(record).await.unwrap().await.unwrap();
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
    match kind {
        BrokerKind::Testkit => {
            let cluster = broker.testkit().expect("the testkit's controls");
            assert_eq!(cluster.partition_count(&topic), Some(2));
            assert_eq!(cluster.offsets(&topic, 1), Some((0, 5)));
            assert_eq!(broker.container_id(), None);
        }
        BrokerKind::Tansu => {
            assert!(broker.container_id().is_some(), "{broker:?}");
            assert!(broker.testkit().is_none());
        }
        BrokerKind::External => assert!(broker.is_external()),
    }
}
