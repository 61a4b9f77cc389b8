//! The consumer's offset lookups (`beginning_offsets`, `end_offsets`, `offsets_for_times`)
//! against a scripted fake broker: what each sends in ListOffsets (timestamp spec, isolation
//! level) and how each reads the answer. Crafted responses, because no broker here keeps a
//! last stable offset in ListOffsets or a timestamp index (see integration-tests
//! `consumer_offsets_api`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kafkito_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafkito_protocol::messages::{
    ApiKey, ListOffsetsRequest, ListOffsetsResponse, MetadataRequest,
};

use super::{Consumer, ConsumerConfig, OffsetAndTimestamp, TopicPartition};
use crate::error::Error;
use crate::test_support::{cluster, one_partition_topic, respond, FakeBroker, Reply};

const TOPIC: &str = "t";
/// The fake partition's log: offsets 5..100, its open transaction starts at 90, record `o`
/// has timestamp `1000 * o`.
const LOG_START: i64 = 5;
const HIGH_WATERMARK: i64 = 100;
const LAST_STABLE: i64 = 90;

/// (timestamp spec, isolation level) of every ListOffsets partition the broker was asked.
type Asked = Arc<Mutex<Vec<(i64, i8)>>>;

async fn fake_cluster() -> (String, Asked) {
    let asked: Asked = Arc::default();
    let log = asked.clone();
    let apis = [
        (ApiKey::ApiVersions, 3),
        (ApiKey::Metadata, 12),
        (ApiKey::ListOffsets, 7),
    ];
    let broker = FakeBroker::start(&apis, move |request, address| match request.api() {
        ApiKey::Metadata => {
            respond::<MetadataRequest>(request, &cluster(address, vec![one_partition_topic(TOPIC)]))
        }
        ApiKey::ListOffsets => {
            let decoded: ListOffsetsRequest = request.decode();
            let spec = decoded.topics[0].partitions[0].timestamp;
            log.lock().unwrap().push((spec, decoded.isolation_level));
            let (offset, timestamp) = match spec {
                -2 => (LOG_START, -1),
                -1 if decoded.isolation_level == 1 => (LAST_STABLE, -1),
                -1 => (HIGH_WATERMARK, -1),
                // The first record at or after `spec`; none past the end.
                time => {
                    let first = (time + 999) / 1000;
                    if first < HIGH_WATERMARK {
                        (first.max(LOG_START), first.max(LOG_START) * 1000)
                    } else {
                        (-1, -1)
                    }
                }
            };
            let response = ListOffsetsResponse {
                topics: vec![ListOffsetsTopicResponse {
                    name: TOPIC.to_owned(),
                    partitions: vec![ListOffsetsPartitionResponse {
                        partition_index: 0,
                        timestamp,
                        offset,
                        leader_epoch: 3,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            };
            respond::<ListOffsetsRequest>(request, &response)
        }
        _ => Reply::Unhandled,
    })
    .await;
    (broker.address(), asked)
}

async fn consumer(bootstrap: &str, isolation: &str) -> Consumer {
    let config = ConsumerConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("isolation.level", isolation),
    ])
    .unwrap();
    Consumer::new(config).await.unwrap()
}

fn tp() -> TopicPartition {
    TopicPartition::new(TOPIC, 0)
}

#[tokio::test]
async fn end_offsets_ask_for_the_consumers_isolation_level() {
    let (bootstrap, asked) = fake_cluster().await;
    let tps = [tp()];
    let committed = consumer(&bootstrap, "read_committed").await;
    let uncommitted = consumer(&bootstrap, "read_uncommitted").await;
    assert_eq!(
        committed.end_offsets(&tps).await.unwrap()[&tp()],
        LAST_STABLE
    );
    assert_eq!(
        uncommitted.end_offsets(&tps).await.unwrap()[&tp()],
        HIGH_WATERMARK
    );
    assert_eq!(
        committed.beginning_offsets(&tps).await.unwrap()[&tp()],
        LOG_START
    );
    assert_eq!(*asked.lock().unwrap(), [(-1, 1), (-1, 0), (-2, 1)]);
}

#[tokio::test]
async fn offsets_for_times_returns_the_found_record_or_none() {
    let (bootstrap, asked) = fake_cluster().await;
    let consumer = consumer(&bootstrap, "read_uncommitted").await;
    let found = |time| {
        let consumer = &consumer;
        async move {
            consumer
                .offsets_for_times(HashMap::from([(tp(), time)]))
                .await
                .unwrap()[&tp()]
        }
    };
    assert_eq!(
        found(41_500).await,
        Some(OffsetAndTimestamp {
            offset: 42,
            timestamp: 42_000,
            leader_epoch: Some(3),
        })
    );
    assert_eq!(found(1_000_000).await, None, "past the last record");
    assert_eq!(*asked.lock().unwrap(), [(41_500, 0), (1_000_000, 0)]);
    let refused = consumer
        .offsets_for_times(HashMap::from([(tp(), -2)]))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Config { .. }), "{refused}");
    assert_eq!(
        asked.lock().unwrap().len(),
        2,
        "nothing sent for a negative time"
    );
}

/// A commit of the positions carries, for each partition, the leader epoch of the last
/// record consumed from it (KIP-320), and no epoch where none is known (after a seek).
#[tokio::test]
async fn positions_are_committed_with_the_epoch_of_the_last_consumed_record() {
    let (bootstrap, _) = fake_cluster().await;
    let mut consumer = consumer(&bootstrap, "read_uncommitted").await;
    let other = TopicPartition::new(TOPIC, 1);
    consumer.subscriptions.assign([tp(), other.clone()]);
    consumer.subscriptions.advance(&tp(), 42, Some(7));
    consumer.subscriptions.seek(&other, 3);
    let commits = consumer.positions_to_commit(|_| true);
    assert_eq!(commits[&tp()].offset, 42);
    assert_eq!(commits[&tp()].leader_epoch, Some(7));
    assert_eq!(commits[&other].offset, 3);
    assert_eq!(commits[&other].leader_epoch, None);
}
