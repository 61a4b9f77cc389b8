//! The consumer's start against a scripted fake broker: which requests reach the wire, in
//! which order, before the first records. Asserted on the sequence of requests, not on
//! wall-clock time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, FetchRequest, FetchResponse,
    ListOffsetsRequest, ListOffsetsResponse, MetadataRequest, MetadataResponse,
};
use kafka_protocol::records::{Compression, RecordBatchBuilder};
use tokio::net::TcpListener;

use super::{Consumer, ConsumerConfig, TopicPartition};
use crate::net::test_peer::Peer;

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
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut peer = Peer::new(stream);
                while let Some(request) = peer.read_request().await {
                    let (id, version) = (request.correlation_id(), request.version());
                    match request.api() {
                        ApiKey::ApiVersions => {
                            let range = |api: ApiKey, max| ApiVersion {
                                api_key: api.key(),
                                min_version: 0,
                                max_version: max,
                                ..Default::default()
                            };
                            let response = ApiVersionsResponse {
                                api_keys: vec![
                                    range(ApiKey::ApiVersions, 3),
                                    range(ApiKey::Metadata, 12),
                                    range(ApiKey::ListOffsets, 7),
                                    range(ApiKey::Fetch, 12),
                                ],
                                ..Default::default()
                            };
                            peer.respond::<ApiVersionsRequest>(id, version, &response)
                                .await;
                        }
                        ApiKey::Metadata => {
                            let decoded: MetadataRequest = request.decode();
                            let names_topic = decoded
                                .topics
                                .iter()
                                .flatten()
                                .any(|t| t.name.as_deref() == Some(TOPIC));
                            record.lock().unwrap().push(Seen::Metadata { names_topic });
                            let topics = if names_topic {
                                vec![MetadataResponseTopic {
                                    name: Some(TOPIC.to_owned()),
                                    partitions: vec![MetadataResponsePartition {
                                        partition_index: 0,
                                        leader_id: 1,
                                        replica_nodes: vec![1],
                                        isr_nodes: vec![1],
                                        ..Default::default()
                                    }],
                                    ..Default::default()
                                }]
                            } else {
                                Vec::new()
                            };
                            let response = MetadataResponse {
                                brokers: vec![MetadataResponseBroker {
                                    node_id: 1,
                                    host: address.ip().to_string(),
                                    port: i32::from(address.port()),
                                    ..Default::default()
                                }],
                                controller_id: 1,
                                topics,
                                ..Default::default()
                            };
                            peer.respond::<MetadataRequest>(id, version, &response)
                                .await;
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
                            peer.respond::<ListOffsetsRequest>(id, version, &response)
                                .await;
                        }
                        ApiKey::Fetch => {
                            record.lock().unwrap().push(Seen::Fetch);
                            let decoded: FetchRequest = request.decode();
                            let offset = decoded
                                .topics
                                .first()
                                .and_then(|t| t.partitions.first())
                                .map_or(0, |p| p.fetch_offset);
                            let records = if offset == 0 {
                                log()
                            } else {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                Bytes::new()
                            };
                            let response = FetchResponse {
                                responses: vec![FetchableTopicResponse {
                                    topic: TOPIC.to_owned(),
                                    partitions: vec![PartitionData {
                                        partition_index: 0,
                                        high_watermark: 2,
                                        last_stable_offset: 2,
                                        records: Some(records),
                                        ..Default::default()
                                    }],
                                    ..Default::default()
                                }],
                                ..Default::default()
                            };
                            peer.respond::<FetchRequest>(id, version, &response).await;
                        }
                        other => panic!("fake cluster: unexpected {other:?}"),
                    }
                }
            });
        }
    });
    (address.to_string(), seen)
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
