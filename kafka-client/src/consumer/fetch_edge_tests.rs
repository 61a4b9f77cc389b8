//! The fetch path's edges on crafted answers: follower fetching (KIP-392), truncation
//! detection (KIP-320) and offsets out of range. The first tests feed crafted Fetch answers
//! to [`Consumer::handle_outcome`] (no broker); the last runs the whole validation path
//! (Metadata, Fetch, OffsetForLeaderEpoch) against a scripted fake broker.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use kafkito_protocol::messages::fetch_response::{
    EpochEndOffset as WireEpochEndOffset, FetchableTopicResponse, PartitionData,
};
use kafkito_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafkito_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset as WireAnswer, OffsetForLeaderTopicResult,
};
use kafkito_protocol::messages::{
    ApiKey, FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse, MetadataRequest,
    OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse,
};
use kafkito_protocol::records::{Compression, RecordBatchBuilder};
use kafkito_protocol::ErrorCode;

use super::fetcher::FetchOutcome;
use super::subscription::{LogTruncation, PositionSource};
use super::{Consumer, ConsumerConfig, OffsetReset, TopicPartition};
use crate::error::Error;
use crate::test_support::{cluster, one_partition_topic, respond, FakeBroker, Reply};

const TOPIC: &str = "t";

fn tp() -> TopicPartition {
    TopicPartition::new(TOPIC, 0)
}

async fn consumer(reset: &str) -> Consumer {
    // Nothing listens there; these tests feed the answers in directly.
    let config = ConsumerConfig::from_properties([
        ("bootstrap.servers", "127.0.0.1:1"),
        ("auto.offset.reset", reset),
    ])
    .unwrap();
    let mut consumer = Consumer::new(config).await.unwrap();
    consumer.assign([tp()]).unwrap();
    consumer.seek(&tp(), 5).unwrap();
    consumer
}

/// A batch at `base` in leader epoch `epoch`, one record per value.
fn batch(base: i64, epoch: i32, values: &[&str]) -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.base_offset(base);
    b.partition_leader_epoch(epoch);
    for v in values {
        b.append(1000, None, Some(v.as_bytes()), &[]).unwrap();
    }
    b.finish().unwrap()
}

fn answer(data: PartitionData) -> FetchResponse {
    FetchResponse {
        responses: vec![FetchableTopicResponse {
            topic: TOPIC.into(),
            partitions: vec![PartitionData {
                partition_index: 0,
                ..data
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn outcome(node: i32, fetch_offset: i64, data: PartitionData) -> FetchOutcome {
    FetchOutcome {
        node,
        partitions: vec![(tp(), fetch_offset)],
        result: Ok(answer(data)),
    }
}

fn error(code: ErrorCode) -> PartitionData {
    PartitionData {
        error_code: code.code(),
        high_watermark: -1,
        last_stable_offset: -1,
        ..Default::default()
    }
}

fn replica(consumer: &Consumer) -> Option<i32> {
    consumer
        .subscriptions
        .get(&tp())
        .unwrap()
        .preferred_read_replica
        .map(|(id, _)| id)
}

/// A Fetch answer with records for a partition puts that partition last in the next Fetch,
/// as Java's consumer does (KIP-74): a broker fills its answer in request order, and tansu
/// caps an answer at 5 MiB and ignores `max.partition.fetch.bytes`, so with a fixed order the
/// first partition with data took each whole answer. An answer without records for a
/// partition leaves it where it is.
#[tokio::test]
async fn a_partition_that_got_records_is_fetched_last() {
    let mut consumer = consumer("earliest").await;
    let p1 = TopicPartition::new(TOPIC, 1);
    let p2 = TopicPartition::new(TOPIC, 2);
    consumer.assign([tp(), p1.clone(), p2.clone()]).unwrap();
    consumer.seek(&tp(), 5).unwrap();
    consumer.seek(&p1, 0).unwrap();
    consumer.seek(&p2, 0).unwrap();
    let order = |consumer: &Consumer| -> Vec<i32> {
        let request = super::fetcher::build_fetch_request(
            &consumer.settings,
            &consumer.subscriptions.fetchable(),
            |_| (-1, -1),
        );
        request.topics[0]
            .partitions
            .iter()
            .map(|p| p.partition)
            .collect()
    };
    assert_eq!(order(&consumer), vec![0, 1, 2]);
    let empty = |partition_index| PartitionData {
        partition_index,
        high_watermark: 7,
        last_stable_offset: 7,
        ..Default::default()
    };
    consumer.handle_outcome(FetchOutcome {
        node: 0,
        partitions: vec![(tp(), 5), (p1.clone(), 0), (p2.clone(), 0)],
        result: Ok(FetchResponse {
            responses: vec![FetchableTopicResponse {
                topic: TOPIC.into(),
                partitions: vec![
                    PartitionData {
                        records: Some(batch(5, 0, &["a", "b"])),
                        ..empty(0)
                    },
                    empty(1),
                    empty(2),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }),
    });
    assert_eq!(order(&consumer), vec![1, 2, 0]);
}

/// The leader's redirect (no records, a preferred read replica) is recorded; the replica's
/// OFFSET_OUT_OF_RANGE / OFFSET_NOT_AVAILABLE / NOT_LEADER_OR_FOLLOWER and a failed fetch
/// from it send the partition back to the leader and never reset the position, even under
/// `auto.offset.reset=none`. Crafted responses.
#[tokio::test]
async fn a_replicas_errors_fall_back_to_the_leader_and_never_reset() {
    let mut consumer = consumer("none").await;
    let redirect = || PartitionData {
        high_watermark: 10,
        last_stable_offset: 10,
        preferred_read_replica: 2,
        records: None,
        ..Default::default()
    };
    for code in [
        ErrorCode::OffsetOutOfRange,
        ErrorCode::OffsetNotAvailable,
        ErrorCode::NotLeaderOrFollower,
    ] {
        consumer.handle_outcome(outcome(1, 5, redirect()));
        assert_eq!(replica(&consumer), Some(2), "redirect recorded");
        let expires = consumer
            .subscriptions
            .get(&tp())
            .unwrap()
            .preferred_read_replica
            .unwrap()
            .1;
        assert!(
            expires > tokio::time::Instant::now() + Duration::from_secs(60),
            "kept for metadata.max.age.ms (5 minutes by default)"
        );
        consumer.handle_outcome(outcome(2, 5, error(code)));
        assert_eq!(replica(&consumer), None, "{code}: back to the leader");
        assert_eq!(consumer.position(&tp()), Some(5), "{code}: no reset");
        assert!(consumer.subscriptions.pending_positions().is_empty());
        assert!(consumer.pending_error.is_none(), "{code}: not an error");
    }
    // A fetch from the replica that fails outright (connection lost) also goes back.
    consumer.handle_outcome(outcome(1, 5, redirect()));
    consumer.handle_outcome(FetchOutcome {
        node: 2,
        partitions: vec![(tp(), 5)],
        result: Err(Error::ConnectionClosed {
            broker: "replica:9092".into(),
            mid_frame: false,
        }),
    });
    assert_eq!(replica(&consumer), None);
    assert_eq!(consumer.position(&tp()), Some(5));
    // The same OFFSET_OUT_OF_RANGE from the leader (no replica named) is a real one.
    consumer.handle_outcome(outcome(1, 5, error(ErrorCode::OffsetOutOfRange)));
    let error = consumer.pending_error.take().expect("reported under none");
    assert!(
        matches!(error, Error::OffsetOutOfRange { offset: 5, .. }),
        "{error}"
    );
}

/// OFFSET_OUT_OF_RANGE from the leader — the position is past the end (a seek beyond the
/// high watermark) or before the log start (DeleteRecords or retention moved it) — resets by
/// `auto.offset.reset`, fails poll under `none`, and is ignored when the position moved
/// while the fetch was in flight. Crafted responses (tansu 0.6 cannot DeleteRecords).
#[tokio::test]
async fn out_of_range_from_the_leader_resets_by_policy() {
    for (reset, expected) in [
        ("earliest", Some(OffsetReset::Earliest)),
        ("latest", Some(OffsetReset::Latest)),
        ("none", None),
    ] {
        let mut consumer = consumer(reset).await;
        consumer.handle_outcome(outcome(1, 5, error(ErrorCode::OffsetOutOfRange)));
        match expected {
            Some(to) => {
                assert_eq!(
                    consumer.subscriptions.pending_positions(),
                    vec![(tp(), PositionSource::Reset(to))],
                    "{reset}"
                );
                assert!(consumer.pending_error.is_none());
            }
            None => {
                assert_eq!(consumer.position(&tp()), Some(5));
                let error = consumer.pending_error.take().unwrap();
                assert!(matches!(error, Error::OffsetOutOfRange { .. }), "{error}");
            }
        }
        // Stale: sought to 7 while a fetch at 3 was in flight.
        let mut consumer = consumer_at(reset, 7).await;
        consumer.handle_outcome(outcome(1, 3, error(ErrorCode::OffsetOutOfRange)));
        assert_eq!(consumer.position(&tp()), Some(7));
        assert!(consumer.pending_error.is_none());
    }
}

async fn consumer_at(reset: &str, position: i64) -> Consumer {
    let mut consumer = consumer(reset).await;
    consumer.seek(&tp(), position).unwrap();
    consumer
}

/// FENCED_LEADER_EPOCH (which refreshes the metadata) and UNKNOWN_LEADER_EPOCH (a plain
/// retry) on Fetch and on OffsetForLeaderEpoch: the position stays and nothing is reported.
/// Crafted responses.
#[tokio::test]
async fn stale_leader_epochs_never_reset() {
    let mut consumer = consumer("earliest").await;
    for code in [ErrorCode::FencedLeaderEpoch, ErrorCode::UnknownLeaderEpoch] {
        consumer.handle_outcome(outcome(1, 5, error(code)));
        assert_eq!(consumer.position(&tp()), Some(5));
        assert!(consumer.subscriptions.pending_positions().is_empty());
        assert!(consumer.pending_error.is_none());
    }
    // The same on OffsetForLeaderEpoch: a retry is scheduled, no reset.
    consumer.seek_with_epoch(&tp(), 5, 3).unwrap();
    for code in [ErrorCode::FencedLeaderEpoch, ErrorCode::UnknownLeaderEpoch] {
        consumer.validation_retry_at = None;
        consumer
            .apply_epoch_end_offset(&tp(), 5, Err(code), tokio::time::Instant::now())
            .unwrap();
        assert!(consumer.validation_retry_at.is_some(), "{code}: retried");
        assert!(consumer.subscriptions.is_awaiting_validation(&tp()));
        assert_eq!(consumer.position(&tp()), Some(5));
    }
    // A code no retry heals reaches the caller.
    let denied = consumer
        .apply_epoch_end_offset(
            &tp(),
            5,
            Err(ErrorCode::TopicAuthorizationFailed),
            tokio::time::Instant::now(),
        )
        .unwrap_err();
    assert_eq!(denied.code(), Some(ErrorCode::TopicAuthorizationFailed));
}

/// Records carry their batch's leader epoch into the position, and the next Fetch sends it
/// as `last_fetched_epoch`; a Fetch answer's `diverging_epoch` then moves the position back
/// to the end of the shared epoch and reports the truncation (or fails poll under `none`).
/// Crafted responses.
#[tokio::test]
async fn a_diverging_epoch_moves_back_and_is_reported() {
    for reset in ["earliest", "none"] {
        let mut consumer = consumer(reset).await;
        consumer.handle_outcome(outcome(
            1,
            5,
            PartitionData {
                high_watermark: 8,
                last_stable_offset: 8,
                records: Some(batch(5, 3, &["a", "b", "c"])),
                ..Default::default()
            },
        ));
        let records = consumer
            .buffer
            .collect(100, &mut consumer.subscriptions)
            .unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(consumer.position(&tp()), Some(8));
        assert_eq!(consumer.subscriptions.fetch_epochs(&tp()), (-1, 3));
        let request = super::fetcher::build_fetch_request(&consumer.settings, &[(tp(), 8)], |tp| {
            consumer.subscriptions.fetch_epochs(tp)
        });
        assert_eq!(request.topics[0].partitions[0].last_fetched_epoch, 3);

        // The new leader's epoch 3 ended at 6.
        consumer.handle_outcome(outcome(
            1,
            8,
            PartitionData {
                high_watermark: 9,
                last_stable_offset: 9,
                diverging_epoch: WireEpochEndOffset {
                    epoch: 3,
                    end_offset: 6,
                    ..Default::default()
                },
                ..Default::default()
            },
        ));
        let expected = LogTruncation {
            tp: tp(),
            position: 8,
            reset_to: Some(6),
            epoch: Some(3),
        };
        if reset == "none" {
            let error = consumer.pending_error.take().expect("poll fails");
            assert!(
                matches!(
                    &error,
                    Error::LogTruncation {
                        position: 8,
                        divergent_offset: Some(6),
                        ..
                    }
                ),
                "{error}"
            );
            assert_eq!(consumer.position(&tp()), Some(8));
            assert!(consumer.subscriptions.fetchable().is_empty());
            assert!(consumer.log_truncations().is_empty());
        } else {
            assert_eq!(consumer.log_truncations(), [expected]);
            assert!(consumer.log_truncations().is_empty(), "drained");
            assert_eq!(consumer.position(&tp()), Some(6));
            assert_eq!(consumer.subscriptions.fetchable(), vec![(tp(), 6)]);
            assert!(consumer.pending_error.is_none());
        }
    }
}

/// What the scripted broker saw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// A Fetch: offset, current_leader_epoch, last_fetched_epoch.
    Fetch(i64, i32, i32),
    /// An OffsetForLeaderEpoch: leader_epoch asked about, current_leader_epoch.
    Validate(i32, i32),
}

/// A one-broker cluster whose partition is led in epoch `epoch` (shared with the test).
/// Epoch 1's log is offsets 0-3 ("a".."d"). When the test moves to epoch 2 the log is what
/// an unclean election leaves: epoch 1 ends at 2, then epoch 2 wrote "x", "y", "z" at 2-4.
async fn truncating_cluster(epoch: Arc<AtomicI32>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let apis = [
        (ApiKey::ApiVersions, 3),
        (ApiKey::Metadata, 12),
        (ApiKey::ListOffsets, 7),
        (ApiKey::Fetch, 12),
        (ApiKey::OffsetForLeaderEpoch, 4),
    ];
    let broker = FakeBroker::start(&apis, move |request, address| {
        let current = epoch.load(Ordering::SeqCst);
        match request.api() {
            ApiKey::Metadata => {
                let mut topic = one_partition_topic(TOPIC);
                topic.partitions[0].leader_epoch = current;
                respond::<MetadataRequest>(request, &cluster(address, vec![topic]))
            }
            ApiKey::ListOffsets => {
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
            ApiKey::OffsetForLeaderEpoch => {
                let decoded: OffsetForLeaderEpochRequest = request.decode();
                let p = &decoded.topics[0].partitions[0];
                record
                    .lock()
                    .unwrap()
                    .push(Seen::Validate(p.leader_epoch, p.current_leader_epoch));
                let (error_code, end_offset) = if p.current_leader_epoch != current {
                    (ErrorCode::FencedLeaderEpoch.code(), -1)
                } else if current == 2 && p.leader_epoch == 1 {
                    (0, 2)
                } else {
                    (0, 5)
                };
                let response = OffsetForLeaderEpochResponse {
                    topics: vec![OffsetForLeaderTopicResult {
                        topic: TOPIC.into(),
                        partitions: vec![WireAnswer {
                            error_code,
                            partition: 0,
                            leader_epoch: p.leader_epoch,
                            end_offset,
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                respond::<OffsetForLeaderEpochRequest>(request, &response)
            }
            ApiKey::Fetch => {
                let decoded: FetchRequest = request.decode();
                let p = &decoded.topics[0].partitions[0];
                record.lock().unwrap().push(Seen::Fetch(
                    p.fetch_offset,
                    p.current_leader_epoch,
                    p.last_fetched_epoch,
                ));
                let (error_code, high, records) = if p.current_leader_epoch != current {
                    (ErrorCode::FencedLeaderEpoch.code(), -1, None)
                } else if current == 1 {
                    let log = (p.fetch_offset < 4).then(|| batch(0, 1, &["a", "b", "c", "d"]));
                    (0, 4, log)
                } else {
                    let mut log = Vec::new();
                    log.extend_from_slice(&batch(0, 1, &["a", "b"]));
                    log.extend_from_slice(&batch(2, 2, &["x", "y", "z"]));
                    (0, 5, (p.fetch_offset < 5).then(|| Bytes::from(log)))
                };
                let response = answer(PartitionData {
                    error_code,
                    high_watermark: high,
                    last_stable_offset: high,
                    records,
                    ..Default::default()
                });
                match respond::<FetchRequest>(request, &response) {
                    // Nothing new: a broker's long poll, shortened.
                    Reply::Frame(frame)
                        if response.responses[0].partitions[0].records.is_none() =>
                    {
                        Reply::After(Duration::from_millis(20), frame)
                    }
                    reply => reply,
                }
            }
            _ => Reply::Unhandled,
        }
    })
    .await;
    (broker.address(), seen)
}

/// Polls until `count` records were read or 10 s passed (then the caller's comparison
/// fails, showing what came).
async fn values_until(consumer: &mut Consumer, count: usize) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while out.len() < count && tokio::time::Instant::now() < deadline {
        for r in consumer.poll(Duration::from_millis(200)).await.unwrap() {
            out.push((
                r.offset,
                String::from_utf8(r.value.unwrap().to_vec()).unwrap(),
            ));
        }
    }
    out
}

/// The whole KIP-320 path on a scripted broker: records read in epoch 1 up to offset 4; the
/// leader epoch moves to 2 with a log truncated to 2 (then new records). The consumer's
/// Fetch with the old epoch is fenced, the refreshed metadata shows epoch 2, the position
/// (4, epoch 1) is validated with OffsetForLeaderEpoch, found truncated at 2, moved back
/// there and reported; the new leader's records 2-4 follow. Under `none`, poll fails with
/// the typed error instead. Crafted responses (a scripted fake broker).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_change_validates_the_position_and_recovers_from_truncation() {
    for reset in ["earliest", "none"] {
        let epoch = Arc::new(AtomicI32::new(1));
        let (bootstrap, seen) = truncating_cluster(epoch.clone()).await;
        let config = ConsumerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("auto.offset.reset", reset),
            ("fetch.max.wait.ms", "50"),
            ("retry.backoff.ms", "20"),
        ])
        .unwrap();
        let mut consumer = Consumer::new(config).await.unwrap();
        consumer.assign([tp()]).unwrap();
        consumer.seek(&tp(), 0).unwrap();
        let first = values_until(&mut consumer, 4).await;
        assert_eq!(
            first,
            [
                (0, "a".into()),
                (1, "b".into()),
                (2, "c".into()),
                (3, "d".into())
            ]
        );
        assert!(consumer.log_truncations().is_empty());

        epoch.store(2, Ordering::SeqCst);
        if reset == "none" {
            let mut failed = None;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while tokio::time::Instant::now() < deadline {
                match consumer.poll(Duration::from_millis(200)).await {
                    Ok(records) => assert!(records.is_empty(), "{records:?}"),
                    Err(error) => {
                        failed = Some(error);
                        break;
                    }
                }
            }
            let error = failed.expect("poll fails with the truncation");
            assert!(
                matches!(
                    &error,
                    Error::LogTruncation {
                        position: 4,
                        divergent_offset: Some(2),
                        epoch: Some(1),
                        ..
                    }
                ),
                "{error}"
            );
            assert_eq!(consumer.position(&tp()), Some(4), "stays until a seek");
            continue;
        }
        let after = values_until(&mut consumer, 3).await;
        assert_eq!(after, [(2, "x".into()), (3, "y".into()), (4, "z".into())]);
        assert_eq!(
            consumer.log_truncations(),
            [LogTruncation {
                tp: tp(),
                position: 4,
                reset_to: Some(2),
                epoch: Some(1),
            }]
        );
        let seen = seen.lock().unwrap().clone();
        assert!(
            seen.contains(&Seen::Fetch(4, 1, 1)),
            "fetched at 4 with the old epoch: {seen:?}"
        );
        assert!(
            seen.contains(&Seen::Validate(1, 2)),
            "validated epoch 1 against the new leader epoch 2: {seen:?}"
        );
        assert!(
            seen.contains(&Seen::Fetch(2, 2, 1)),
            "fetched from the divergence point with the shared epoch: {seen:?}"
        );
    }
}
