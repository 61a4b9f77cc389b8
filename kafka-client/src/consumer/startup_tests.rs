//! The consumer's start against a scripted fake broker: which requests reach the wire, in
//! which order, before the first records. Asserted on the sequence of requests, not on
//! wall-clock time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use kafkito_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafkito_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafkito_protocol::messages::{
    ApiKey, FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse, MetadataRequest,
};
use kafkito_protocol::records::{Compression, RecordBatchBuilder};

use super::{Consumer, ConsumerConfig, TopicPartition};
use crate::test_support::{cluster, one_partition_topic, respond, FakeBroker, Reply};

const TOPIC: &str = "t";

/// What the fake broker received: the API, and for Metadata whether it named [`TOPIC`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Metadata { names_topic: bool },
    ListOffsets,
    Fetch,
}

/// One batch of two records at offset 0.
fn log() -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.base_offset(0);
    for value in [&b"a"[..], b"b"] {
        b.append(1000, None, Some(value), &[]).unwrap();
    }
    b.finish().unwrap()
}

/// A one-broker fake cluster (node 1) holding [`TOPIC`] with one partition and two records.
/// Fetches past the end are answered empty after a short wait, as a broker's long poll.
async fn fake_cluster() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let apis = [
        (ApiKey::ApiVersions, 3),
        (ApiKey::Metadata, 12),
        (ApiKey::ListOffsets, 7),
        (ApiKey::Fetch, 12),
    ];
    let broker = FakeBroker::start(&apis, move |request, address| match request.api() {
        ApiKey::Metadata => {
            let decoded: MetadataRequest = request.decode();
            let names_topic = decoded
                .topics
                .iter()
                .flatten()
                .any(|t| t.name.as_deref() == Some(TOPIC));
            record.lock().unwrap().push(Seen::Metadata { names_topic });
            let topics = if names_topic {
                vec![one_partition_topic(TOPIC)]
            } else {
                Vec::new()
            };
            respond::<MetadataRequest>(request, &cluster(address, topics))
        }
        ApiKey::ListOffsets => {
            record.lock().unwrap().push(Seen::ListOffsets);
            let response = ListOffsetsResponse {
                topics: vec![ListOffsetsTopicResponse {
                    name: TOPIC.to_owned(),
                    partitions: vec![ListOffsetsPartitionResponse {
                        partition_index: 0,
                        timestamp: -1,
                        offset: 0,
                        leader_epoch: -1,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            };
            respond::<ListOffsetsRequest>(request, &response)
        }
        ApiKey::Fetch => {
            record.lock().unwrap().push(Seen::Fetch);
            let decoded: FetchRequest = request.decode();
            let offset = decoded
                .topics
                .first()
                .and_then(|t| t.partitions.first())
                .map_or(0, |p| p.fetch_offset);
            let at_end = offset != 0;
            let response = FetchResponse {
                responses: vec![FetchableTopicResponse {
                    topic: TOPIC.to_owned(),
                    partitions: vec![PartitionData {
                        partition_index: 0,
                        high_watermark: 2,
                        last_stable_offset: 2,
                        records: Some(if at_end { Bytes::new() } else { log() }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            };
            match respond::<FetchRequest>(request, &response) {
                Reply::Frame(frame) if at_end => Reply::After(Duration::from_millis(50), frame),
                reply => reply,
            }
        }
        _ => Reply::Unhandled,
    })
    .await;
    (broker.address(), seen)
}

/// An assigned consumer needs one Metadata round trip for its topic before its first Fetch:
/// the offset lookup and the fetch both use it. A second one (the old behaviour: the lookup
/// refreshed, then the fetch path refreshed again) is held back by the metadata backoff, and
/// cost every consumer `retry.backoff.ms` before its first records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assigned_consumer_refreshes_metadata_once_before_its_first_fetch() {
    let (bootstrap, seen) = fake_cluster().await;
    let config = ConsumerConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("auto.offset.reset", "earliest"),
        // Long enough that a second refresh would be seen waiting; the test asserts on the
        // requests, not on this time.
        ("retry.backoff.ms", "300"),
    ])
    .unwrap();
    let mut consumer = Consumer::new(config).await.unwrap();
    // Let the client's first (topic-less) refresh finish and its backoff pass, so that
    // what follows does not depend on racing it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    consumer.assign([TopicPartition::new(TOPIC, 0)]).unwrap();
    let mut values = Vec::new();
    for _ in 0..50 {
        for record in consumer.poll(Duration::from_secs(5)).await.unwrap() {
            values.push(record.value.unwrap());
        }
        if values.len() >= 2 {
            break;
        }
    }
    assert_eq!(values, [&b"a"[..], b"b"]);

    let seen = seen.lock().unwrap().clone();
    let first_fetch = seen.iter().position(|s| *s == Seen::Fetch).unwrap();
    let before: Vec<Seen> = seen[..first_fetch]
        .iter()
        .copied()
        .filter(|s| *s != Seen::Metadata { names_topic: false })
        .collect();
    assert_eq!(
        before,
        [Seen::Metadata { names_topic: true }, Seen::ListOffsets],
        "requests before the first Fetch (topic-less bootstrap refreshes left out): {seen:?}"
    );
    consumer.close().await.unwrap();
}
