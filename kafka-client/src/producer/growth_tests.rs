//! A topic that gains partitions while the producer runs: the partitioner must see the new
//! count once the metadata refreshes (every `metadata.max.age.ms`), so that keyed records
//! move to the partition every other Kafka client puts them on. Proven on a scripted fake broker
//! whose Metadata answers grow (what `CreatePartitions` does, as far as a client can see; neither
//! tansu nor librdkafka's mock serves CreatePartitions), under paused Tokio time moved by hand
//! so that `metadata.max.age.ms` costs no wall-clock time.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafkito_protocol::messages::metadata_response::{
    MetadataResponsePartition, MetadataResponseTopic,
};
use kafkito_protocol::messages::produce_response::{
    PartitionProduceResponse, TopicProduceResponse,
};
use kafkito_protocol::messages::{ApiKey, MetadataRequest, ProduceRequest, ProduceResponse};
use tokio::time::Instant;

use super::partitioner::{murmur2, to_positive};
use super::{Producer, ProducerConfig, ProducerRecord};
use crate::test_support::{cluster, respond, stepped, FakeBroker, Reply};

const MAX_AGE: Duration = Duration::from_secs(5);
const PATIENCE: Duration = Duration::from_secs(120);

#[derive(Default)]
struct Fake {
    /// Partition count of topic "events".
    partitions: i32,
    /// When each Metadata answer went out, with the count it gave.
    answers: Vec<(Instant, i32)>,
    /// The partitions Produce requests wrote to.
    produced: Vec<i32>,
}

async fn fake_broker(fake: Arc<Mutex<Fake>>) -> FakeBroker {
    let apis = [
        (ApiKey::ApiVersions, 3),
        (ApiKey::Metadata, 12),
        (ApiKey::Produce, 11),
    ];
    FakeBroker::start(&apis, move |request, address| {
        let mut fake = fake.lock().unwrap();
        match request.api() {
            ApiKey::Metadata => {
                let count = fake.partitions;
                fake.answers.push((Instant::now(), count));
                let topic = MetadataResponseTopic {
                    name: Some("events".into()),
                    partitions: (0..count)
                        .map(|p| MetadataResponsePartition {
                            partition_index: p,
                            leader_id: 1,
                            replica_nodes: vec![1],
                            isr_nodes: vec![1],
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                };
                respond::<MetadataRequest>(request, &cluster(address, vec![topic]))
            }
            ApiKey::Produce => {
                let decoded: ProduceRequest = request.decode();
                let mut responses = Vec::new();
                for topic in &decoded.topic_data {
                    let mut partitions = Vec::new();
                    for data in &topic.partition_data {
                        fake.produced.push(data.index);
                        partitions.push(PartitionProduceResponse {
                            index: data.index,
                            base_offset: 0,
                            log_append_time_ms: -1,
                            ..Default::default()
                        });
                    }
                    responses.push(TopicProduceResponse {
                        name: topic.name.clone(),
                        partition_responses: partitions,
                        ..Default::default()
                    });
                }
                let response = ProduceResponse {
                    responses,
                    ..Default::default()
                };
                respond::<ProduceRequest>(request, &response)
            }
            _ => Reply::Unhandled,
        }
    })
    .await
}

/// A producer over the fake broker refreshing every [`MAX_AGE`].
async fn producer(broker: &FakeBroker, extra: &[(&str, &str)]) -> Producer {
    let max_age = MAX_AGE.as_millis().to_string();
    let mut properties = vec![
        ("bootstrap.servers", broker.address()),
        ("metadata.max.age.ms", max_age),
        ("enable.idempotence", "false".to_owned()),
        ("linger.ms", "0".to_owned()),
    ];
    properties.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let config =
        ProducerConfig::from_properties(properties.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
    stepped(PATIENCE, Producer::new(config))
        .await
        .expect("started")
        .unwrap()
}

/// The partition a keyed record went to.
async fn send_keyed(producer: &Producer, key: &str) -> i32 {
    let delivery = producer
        .send(
            ProducerRecord::new("events")
                .key(key.to_owned())
                .value("v".to_owned()),
        )
        .await
        .expect("enqueued");
    let delivered = stepped(PATIENCE, delivery)
        .await
        .expect("delivered within the patience window")
        .expect("delivered");
    delivered.partition
}

/// Brief case (d): `events` grows from 2 to 4 partitions. Until the producer's metadata
/// refreshes, a key whose murmur2 hash is 3 mod 4 goes to partition `hash % 2`; after the next
/// periodic refresh (within `metadata.max.age.ms`) the partitioner is given the count 4 and the
/// key goes to partition 3, where the Java client and librdkafka put it too.
#[tokio::test(start_paused = true)]
async fn the_partitioner_sees_new_partitions_after_the_next_refresh() {
    let fake = Arc::new(Mutex::new(Fake {
        partitions: 2,
        ..Default::default()
    }));
    let broker = fake_broker(fake.clone()).await;
    let producer = producer(&broker, &[]).await;
    let key = (0..)
        .map(|i| format!("key-{i}"))
        .find(|k| to_positive(murmur2(k.as_bytes())) % 4 == 3)
        .unwrap();
    // hash ≡ 3 (mod 4), so hash ≡ 1 (mod 2).
    assert_eq!(send_keyed(&producer, &key).await, 1);

    stepped(
        MAX_AGE + Duration::from_millis(1234),
        std::future::pending::<()>(),
    )
    .await;
    assert_eq!(send_keyed(&producer, &key).await, 1, "nothing changed yet");
    let grown_at = Instant::now();
    fake.lock().unwrap().partitions = 4;
    // The producer's next periodic refresh brings the new count.
    let seen_at = stepped(PATIENCE, async {
        loop {
            let seen = fake
                .lock()
                .unwrap()
                .answers
                .iter()
                .find(|(at, count)| *at >= grown_at && *count == 4)
                .map(|(at, _)| *at);
            if let Some(at) = seen {
                return at;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("a refresh after the growth");
    assert!(seen_at - grown_at <= MAX_AGE, "{:?}", seen_at - grown_at);
    // Let the answer be read and merged (a few rounds of I/O).
    stepped(Duration::from_millis(500), std::future::pending::<()>()).await;
    assert_eq!(send_keyed(&producer, &key).await, 3);
    eprintln!(
        "producer: CreatePartitions → refreshed count {:?} (metadata.max.age.ms = {MAX_AGE:?})",
        seen_at - grown_at
    );
    let produced = fake.lock().unwrap().produced.clone();
    assert_eq!(produced, vec![1, 1, 3]);
    let partitions_used: BTreeMap<i32, usize> =
        produced.iter().fold(BTreeMap::new(), |mut m, p| {
            *m.entry(*p).or_default() += 1;
            m
        });
    assert_eq!(partitions_used.get(&3), Some(&1));
    stepped(PATIENCE, producer.close(Duration::from_secs(5))).await;
}

/// A record sent to an explicit partition the producer's metadata does not know yet (just
/// added by CreatePartitions) waits for a refresh that shows it, as Java's `waitOnMetadata`
/// does, instead of failing at once; a partition that never appears fails after
/// `max.block.ms` with a timeout naming it.
#[tokio::test(start_paused = true)]
async fn an_explicit_new_partition_waits_for_the_metadata_to_show_it() {
    let fake = Arc::new(Mutex::new(Fake {
        partitions: 2,
        ..Default::default()
    }));
    let broker = fake_broker(fake.clone()).await;
    let producer = producer(&broker, &[("max.block.ms", "3000")]).await;
    let to = |partition: i32| {
        ProducerRecord::new("events")
            .partition(partition)
            .value("v".to_owned())
    };
    let delivery = stepped(PATIENCE, producer.send(to(1)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stepped(PATIENCE, delivery)
            .await
            .unwrap()
            .unwrap()
            .partition,
        1
    );

    // Grown, but the producer's view (refreshed a moment ago) still says 2.
    fake.lock().unwrap().partitions = 4;
    let answers_before = fake.lock().unwrap().answers.len();
    let sent_at = Instant::now();
    let delivery = stepped(PATIENCE, producer.send(to(3)))
        .await
        .expect("send returns within the patience window")
        .expect("waits for the partition instead of failing");
    let delivered = stepped(PATIENCE, delivery).await.unwrap().unwrap();
    assert_eq!(delivered.partition, 3);
    assert!(
        fake.lock().unwrap().answers.len() > answers_before,
        "a refresh was asked for"
    );
    let took = Instant::now() - sent_at;
    eprintln!(
        "explicit new partition: delivered {took:?} after send (metadata.max.age.ms = {MAX_AGE:?})"
    );
    assert!(
        took < MAX_AGE,
        "asked for a refresh rather than waiting for the periodic one: {took:?}"
    );

    // Partition 7 never comes: a timeout after max.block.ms that names it.
    let started = Instant::now();
    let error = stepped(PATIENCE, producer.send(to(7)))
        .await
        .expect("fails within the patience window")
        .unwrap_err();
    let took = Instant::now() - started;
    assert!(matches!(error, crate::Error::Timeout { .. }), "{error:?}");
    assert!(
        error.to_string().contains("partition 7 of topic events"),
        "{error}"
    );
    assert!(
        took >= Duration::from_millis(3000) && took < Duration::from_millis(3500),
        "{took:?}"
    );
    // A negative partition is refused at once.
    let error = stepped(PATIENCE, producer.send(to(-1)))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        error.code(),
        Some(kafkito_protocol::ErrorCode::UnknownTopicOrPartition)
    );
    assert_eq!(fake.lock().unwrap().produced, vec![1, 3]);
    stepped(PATIENCE, producer.close(Duration::from_secs(5))).await;
}
