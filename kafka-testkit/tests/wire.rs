//! The testkit's answers on the wire, request by request, checked against what Kafka answers
//! (Kafka's broker source: KafkaApis, ReplicaManager, UnifiedLog, the group coordinator).
//! A tiny raw client sends exactly the request under test, so nothing a client library does
//! (retries, version choice) hides the broker's answer.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use kafkito_protocol::frame::{decode_response, encode_request};
use kafkito_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafkito_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafkito_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafkito_protocol::messages::metadata_request::MetadataRequestTopic;
use kafkito_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use kafkito_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafkito_protocol::messages::{
    ApiVersionsRequest, FetchRequest, FetchResponse, FindCoordinatorRequest, JoinGroupRequest,
    ListOffsetsRequest, MetadataRequest, OffsetForLeaderEpochRequest, ProduceRequest,
    ProduceResponse, Request, SaslAuthenticateRequest, SaslAuthenticateResponse,
    SaslHandshakeRequest,
};
use kafkito_protocol::records::{decode_batches, Compression, RecordBatchBuilder};
use kafkito_testkit::{ApiKey, Cluster, ErrorCode, Mechanism};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One raw connection to one broker.
struct Raw {
    stream: TcpStream,
    correlation_id: i32,
}

impl Raw {
    async fn connect(cluster: &Cluster, node: i32) -> Raw {
        let address = cluster.broker_address(node).unwrap();
        Raw {
            stream: TcpStream::connect(address).await.unwrap(),
            correlation_id: 0,
        }
    }

    async fn send<R: Request>(&mut self, version: i16, request: &R) -> i32 {
        self.correlation_id += 1;
        let mut buf = BytesMut::new();
        encode_request(&mut buf, self.correlation_id, Some("raw"), version, request).unwrap();
        self.stream.write_all(&buf).await.unwrap();
        self.correlation_id
    }

    async fn read_frame(&mut self) -> Bytes {
        let size = tokio::time::timeout(Duration::from_secs(60), self.stream.read_i32())
            .await
            .expect("a response within 60 s")
            .unwrap();
        let mut body = vec![0u8; size as usize];
        self.stream.read_exact(&mut body).await.unwrap();
        Bytes::from(body)
    }

    /// Sends `request` at `version` and decodes the response at `answer_version`.
    async fn call_as<R: Request>(
        &mut self,
        version: i16,
        answer_version: i16,
        request: &R,
    ) -> (i32, R::Response) {
        let sent = self.send(version, request).await;
        let frame = self.read_frame().await;
        let (header, body) = decode_response::<R>(frame, answer_version).unwrap();
        (sent, assert_correlation(header.correlation_id, sent, body))
    }

    async fn call<R: Request>(&mut self, version: i16, request: &R) -> R::Response {
        self.call_as(version, version, request).await.1
    }
}

fn assert_correlation<T>(got: i32, sent: i32, body: T) -> T {
    assert_eq!(got, sent, "the response answers the request sent");
    body
}

fn batch(values: &[&str], timestamps: &[i64]) -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    for (v, ts) in values.iter().zip(timestamps) {
        b.append(*ts, None, Some(v.as_bytes()), &[]).unwrap();
    }
    b.finish().unwrap()
}

fn produce(topic: &str, partition: i32, acks: i16, records: Bytes) -> ProduceRequest {
    ProduceRequest {
        acks,
        timeout_ms: 30_000,
        topic_data: vec![TopicProduceData {
            name: topic.into(),
            partition_data: vec![PartitionProduceData {
                index: partition,
                records: Some(records),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn partition_result(r: &ProduceResponse) -> (ErrorCode, i64) {
    let p = &r.responses[0].partition_responses[0];
    (ErrorCode::from_code(p.error_code), p.base_offset)
}

fn fetch(
    topic: &str,
    partition: i32,
    offset: i64,
    epoch: i32,
    max_wait_ms: i32,
    min_bytes: i32,
) -> FetchRequest {
    FetchRequest {
        replica_id: -1,
        max_wait_ms,
        min_bytes,
        max_bytes: 50 << 20,
        session_epoch: -1,
        topics: vec![FetchTopic {
            topic: topic.into(),
            partitions: vec![FetchPartition {
                partition,
                current_leader_epoch: epoch,
                fetch_offset: offset,
                partition_max_bytes: 1 << 20,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn fetch_error(r: &FetchResponse) -> ErrorCode {
    ErrorCode::from_code(r.responses[0].partitions[0].error_code)
}

/// Proven on: the testkit. A client asking ApiVersions at a version newer than served gets
/// UNSUPPORTED_VERSION in a v0 body with the served ranges (Kafka's rule, so old brokers can
/// tell new clients what they speak); a served version gets the same list with no error.
#[tokio::test]
async fn api_versions_newer_than_served_is_answered_at_v0() {
    let cluster = Cluster::builder().brokers(1).build().await.unwrap();
    let mut raw = Raw::connect(&cluster, 0).await;
    let (_, quirk) = raw.call_as(4, 0, &ApiVersionsRequest::default()).await;
    assert_eq!(
        ErrorCode::from_code(quirk.error_code),
        ErrorCode::UnsupportedVersion
    );
    let versions = quirk
        .api_keys
        .iter()
        .find(|k| k.api_key == ApiKey::ApiVersions.key())
        .unwrap();
    assert_eq!((versions.min_version, versions.max_version), (0, 3));
    let ok = raw.call(3, &ApiVersionsRequest::default()).await;
    assert_eq!(ok.error_code, 0);
    assert_eq!(ok.api_keys, quirk.api_keys);
    assert_eq!(cluster.requests(0, ApiKey::ApiVersions), 2);
}

/// Proven on: the testkit. A `Cluster::changes` waiter wakes once a request is answered, and
/// what the request changed is visible then (the cluster's timers also wake it, at least ten
/// times a second, so this proves the wait, not which event ended it); once the cluster is
/// gone the waiter is told nothing will change any more, before its deadline.
#[tokio::test]
async fn changes_wake_after_each_answered_request() {
    let cluster = Cluster::builder().brokers(1).build().await.unwrap();
    let mut raw = Raw::connect(&cluster, 0).await;
    let mut changes = cluster.changes();
    let deadline = Instant::now() + Duration::from_secs(30);
    raw.call(3, &ApiVersionsRequest::default()).await;
    assert!(
        changes.next(deadline).await,
        "no change after an answered request"
    );
    assert_eq!(cluster.requests(0, ApiKey::ApiVersions), 1);
    drop(raw);
    drop(cluster);
    // Changes from before the drop may still be pending; then the end.
    while changes.next(deadline).await {}
    assert!(
        Instant::now() < deadline,
        "a dropped cluster kept its waiter to the deadline"
    );
}

/// Proven on: the testkit. Metadata auto-creates a missing topic (answering
/// LEADER_NOT_AVAILABLE that once, as Kafka does while creation is under way), refuses to
/// when the request does not allow it, and rejects an illegal name.
#[tokio::test]
async fn metadata_auto_creates_topics_when_allowed() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    let mut raw = Raw::connect(&cluster, 1).await;
    let ask = |name: &str, allow: bool| MetadataRequest {
        topics: Some(vec![MetadataRequestTopic {
            name: Some(name.into()),
            ..Default::default()
        }]),
        allow_auto_topic_creation: allow,
        ..Default::default()
    };
    let first = raw.call(12, &ask("auto", true)).await;
    assert_eq!(
        ErrorCode::from_code(first.topics[0].error_code),
        ErrorCode::LeaderNotAvailable
    );
    let second = raw.call(12, &ask("auto", true)).await;
    assert_eq!(second.topics[0].error_code, 0);
    assert_eq!(
        second.topics[0].partitions.len(),
        1,
        "num.partitions default 1"
    );
    assert_eq!(second.brokers.len(), 3);
    assert_eq!(
        second.cluster_id.as_deref(),
        Some(cluster.cluster_id().as_str())
    );
    let refused = raw.call(12, &ask("not-allowed", false)).await;
    assert_eq!(
        ErrorCode::from_code(refused.topics[0].error_code),
        ErrorCode::UnknownTopicOrPartition
    );
    let illegal = raw.call(12, &ask("bad name!", true)).await;
    assert_eq!(
        ErrorCode::from_code(illegal.topics[0].error_code),
        ErrorCode::InvalidTopicException
    );
    assert_eq!(cluster.topics(), vec!["auto".to_owned()]);
}

/// Proven on: the testkit. Produce: offsets assigned by the leader; a corrupted CRC is
/// CORRUPT_MESSAGE, two batches in one partition INVALID_RECORD, acks=2 INVALID_REQUIRED_ACKS,
/// a non-leader NOT_LEADER_OR_FOLLOWER naming the leader; acks=0 gets no response at all.
#[tokio::test]
async fn produce_validates_batches_and_assigns_offsets() {
    let cluster = Cluster::builder().brokers(2).build().await.unwrap();
    cluster.create_topic("p", 1, 2).unwrap();
    let (leader, epoch) = cluster.leader("p", 0).unwrap();
    let mut raw = Raw::connect(&cluster, leader).await;
    let ok = raw
        .call(9, &produce("p", 0, 1, batch(&["a", "b"], &[1, 2])))
        .await;
    assert_eq!(partition_result(&ok), (ErrorCode::None, 0));
    let ok = raw.call(9, &produce("p", 0, -1, batch(&["c"], &[3]))).await;
    assert_eq!(partition_result(&ok), (ErrorCode::None, 2));

    let mut corrupt = BytesMut::from(&batch(&["x"], &[1])[..]);
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0x55;
    let r = raw.call(9, &produce("p", 0, 1, corrupt.freeze())).await;
    assert_eq!(partition_result(&r).0, ErrorCode::CorruptMessage);
    let two = [batch(&["x"], &[1]), batch(&["y"], &[1])].concat();
    let r = raw.call(9, &produce("p", 0, 1, two.into())).await;
    assert_eq!(partition_result(&r).0, ErrorCode::InvalidRecord);
    let r = raw.call(9, &produce("p", 0, 2, batch(&["x"], &[1]))).await;
    assert_eq!(partition_result(&r).0, ErrorCode::InvalidRequiredAcks);

    let mut follower = Raw::connect(&cluster, 1 - leader).await;
    let r = follower
        .call(10, &produce("p", 0, 1, batch(&["x"], &[1])))
        .await;
    let p = &r.responses[0].partition_responses[0];
    assert_eq!(
        ErrorCode::from_code(p.error_code),
        ErrorCode::NotLeaderOrFollower
    );
    assert_eq!(
        (p.current_leader.leader_id, p.current_leader.leader_epoch),
        (leader, epoch)
    );
    assert_eq!(
        r.node_endpoints.len(),
        1,
        "v10+ names the leader's endpoint"
    );

    // acks=0: nothing comes back; the next response on the connection answers the next request.
    raw.send(9, &produce("p", 0, 0, batch(&["d"], &[4]))).await;
    let all_topics = MetadataRequest {
        topics: None,
        ..Default::default()
    };
    let next = raw.call(12, &all_topics).await;
    assert!(next.topics.iter().any(|t| t.name.as_deref() == Some("p")));
    assert_eq!(
        cluster.offsets("p", 0),
        Some((0, 4)),
        "the acks=0 batch was appended"
    );
}

/// Proven on: the testkit. A Fetch waiting at the high watermark (min_bytes 1) is answered
/// as soon as a produce lands, long before its max_wait; with nothing produced it waits its
/// max_wait and answers empty. A partition max of 1 byte still returns one whole batch.
#[tokio::test]
async fn fetch_long_polls_until_data_or_max_wait() {
    let cluster = Cluster::builder().brokers(1).build().await.unwrap();
    cluster.create_topic("f", 1, 1).unwrap();
    let mut consumer = Raw::connect(&cluster, 0).await;
    let start = Instant::now();
    let empty = consumer.call(12, &fetch("f", 0, 0, -1, 300, 1)).await;
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "max_wait honoured"
    );
    assert_eq!(
        empty.responses[0].partitions[0]
            .records
            .as_deref()
            .map(<[u8]>::len),
        Some(0)
    );

    let sent = consumer.send(12, &fetch("f", 0, 0, -1, 30_000, 1)).await;
    let start = Instant::now();
    let mut producer = Raw::connect(&cluster, 0).await;
    producer
        .call(9, &produce("f", 0, 1, batch(&["woke"], &[1])))
        .await;
    let frame = consumer.read_frame().await;
    let (header, woken) = decode_response::<FetchRequest>(frame, 12).unwrap();
    assert_eq!(header.correlation_id, sent);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "woken by the produce, not by max_wait"
    );
    let records = woken.responses[0].partitions[0].records.clone().unwrap();
    let decoded = decode_batches(records).unwrap();
    assert_eq!(
        decoded.batches[0].records[0].value.as_deref(),
        Some(&b"woke"[..])
    );

    producer
        .call(9, &produce("f", 0, 1, batch(&["second"], &[2])))
        .await;
    let mut tiny = fetch("f", 0, 0, -1, 0, 0);
    tiny.topics[0].partitions[0].partition_max_bytes = 1;
    let r = consumer.call(12, &tiny).await;
    let decoded = decode_batches(r.responses[0].partitions[0].records.clone().unwrap()).unwrap();
    assert_eq!(
        decoded.batches.len(),
        1,
        "at least (and here exactly) one batch"
    );
    assert_eq!(r.responses[0].partitions[0].high_watermark, 2);
}

/// Proven on: the testkit. Fetch errors: past the log end OFFSET_OUT_OF_RANGE; an older
/// leader epoch FENCED_LEADER_EPOCH, a newer UNKNOWN_LEADER_EPOCH (after a leader move that
/// bumped it); a pre-KIP-392 fetch (v10) from a follower NOT_LEADER_OR_FOLLOWER.
#[tokio::test]
async fn fetch_checks_offsets_epochs_and_leadership() {
    let cluster = Cluster::builder().brokers(2).build().await.unwrap();
    cluster.create_topic("e", 1, 2).unwrap();
    let (leader, epoch) = cluster.leader("e", 0).unwrap();
    let mut raw = Raw::connect(&cluster, leader).await;
    raw.call(9, &produce("e", 0, 1, batch(&["a"], &[1]))).await;
    let r = raw.call(12, &fetch("e", 0, 5, -1, 0, 0)).await;
    assert_eq!(fetch_error(&r), ErrorCode::OffsetOutOfRange);

    let other = 1 - leader;
    let new_epoch = cluster.move_leader("e", 0, other).unwrap();
    assert_eq!(new_epoch, epoch + 1);
    let mut new_leader = Raw::connect(&cluster, other).await;
    let r = new_leader.call(12, &fetch("e", 0, 0, epoch, 0, 0)).await;
    assert_eq!(fetch_error(&r), ErrorCode::FencedLeaderEpoch);
    let r = new_leader
        .call(12, &fetch("e", 0, 0, new_epoch + 1, 0, 0))
        .await;
    assert_eq!(fetch_error(&r), ErrorCode::UnknownLeaderEpoch);
    let r = new_leader
        .call(12, &fetch("e", 0, 0, new_epoch, 0, 0))
        .await;
    assert_eq!(fetch_error(&r), ErrorCode::None);
    let r = raw.call(10, &fetch("e", 0, 0, -1, 0, 0)).await;
    assert_eq!(fetch_error(&r), ErrorCode::NotLeaderOrFollower);
}

/// Proven on: the testkit. ListOffsets earliest/latest/max-timestamp/by-timestamp and
/// OffsetForLeaderEpoch across a leader move (the old epoch ends where the new one began).
#[tokio::test]
async fn list_offsets_and_offset_for_leader_epoch() {
    let cluster = Cluster::builder().brokers(2).build().await.unwrap();
    cluster.create_topic("l", 1, 2).unwrap();
    let (leader, epoch) = cluster.leader("l", 0).unwrap();
    let mut raw = Raw::connect(&cluster, leader).await;
    raw.call(
        9,
        &produce("l", 0, 1, batch(&["a", "b", "c"], &[100, 300, 200])),
    )
    .await;
    let list = |ts: i64| ListOffsetsRequest {
        replica_id: -1,
        topics: vec![ListOffsetsTopic {
            name: "l".into(),
            partitions: vec![ListOffsetsPartition {
                partition_index: 0,
                current_leader_epoch: -1,
                timestamp: ts,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let at = |r: kafkito_protocol::messages::ListOffsetsResponse| {
        let p = r.topics[0].partitions[0].clone();
        (p.offset, p.timestamp)
    };
    assert_eq!(at(raw.call(8, &list(-2)).await), (0, -1));
    assert_eq!(at(raw.call(8, &list(-1)).await), (3, -1));
    assert_eq!(
        at(raw.call(8, &list(-3)).await),
        (1, 300),
        "the record with the largest timestamp"
    );
    assert_eq!(
        at(raw.call(8, &list(150)).await),
        (1, 300),
        "first offset at or after 150"
    );
    assert_eq!(at(raw.call(8, &list(301)).await), (-1, -1));

    let new_epoch = cluster.move_leader("l", 0, 1 - leader).unwrap();
    let mut now_leader = Raw::connect(&cluster, 1 - leader).await;
    now_leader
        .call(9, &produce("l", 0, 1, batch(&["d"], &[400])))
        .await;
    let ask = |e: i32| OffsetForLeaderEpochRequest {
        replica_id: -1,
        topics: vec![OffsetForLeaderTopic {
            topic: "l".into(),
            partitions: vec![OffsetForLeaderPartition {
                partition: 0,
                current_leader_epoch: new_epoch,
                leader_epoch: e,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let r = now_leader.call(4, &ask(epoch)).await;
    let p = &r.topics[0].partitions[0];
    assert_eq!((p.error_code, p.leader_epoch, p.end_offset), (0, epoch, 3));
    let r = now_leader.call(4, &ask(new_epoch)).await;
    let p = &r.topics[0].partitions[0];
    assert_eq!((p.leader_epoch, p.end_offset), (new_epoch, 4));
}

/// Proven on: the testkit. With `min.insync.replicas=2` and one of two replicas stopped,
/// acks=all is refused NOT_ENOUGH_REPLICAS (nothing appended) while acks=1 still succeeds.
#[tokio::test]
async fn acks_all_needs_min_insync_replicas() {
    let cluster = Cluster::builder().brokers(2).build().await.unwrap();
    cluster
        .create_topic_with_config("m", 1, 2, &[("min.insync.replicas", "2")])
        .unwrap();
    let (leader, _) = cluster.leader("m", 0).unwrap();
    cluster.stop_broker(1 - leader).unwrap();
    assert_eq!(cluster.isr("m", 0).unwrap(), vec![leader]);
    let mut raw = Raw::connect(&cluster, leader).await;
    let r = raw.call(9, &produce("m", 0, -1, batch(&["x"], &[1]))).await;
    assert_eq!(partition_result(&r).0, ErrorCode::NotEnoughReplicas);
    let r = raw.call(9, &produce("m", 0, 1, batch(&["x"], &[1]))).await;
    assert_eq!(partition_result(&r), (ErrorCode::None, 0));
    cluster.start_broker(1 - leader).await.unwrap();
    let r = raw.call(9, &produce("m", 0, -1, batch(&["y"], &[1]))).await;
    assert_eq!(partition_result(&r), (ErrorCode::None, 1));
}

/// Proven on: the testkit. FindCoordinator names one broker for a group; a JoinGroup there
/// (v4+) without a member id gets MEMBER_ID_REQUIRED with the id to use, and the same join
/// at another broker gets NOT_COORDINATOR.
#[tokio::test]
async fn joins_need_a_member_id_and_the_coordinator() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    let mut any = Raw::connect(&cluster, 0).await;
    let found = any
        .call(
            4,
            &FindCoordinatorRequest {
                coordinator_keys: vec!["grp".into()],
                ..Default::default()
            },
        )
        .await;
    let coordinator = found.coordinators[0].node_id;
    assert!((0..3).contains(&coordinator));
    let join = JoinGroupRequest {
        group_id: "grp".into(),
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 10_000,
        protocol_type: "consumer".into(),
        protocols: vec![JoinGroupRequestProtocol {
            name: "range".into(),
            metadata: Bytes::from_static(b"\0\0"),
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut at = Raw::connect(&cluster, coordinator).await;
    let r = at.call(9, &join).await;
    assert_eq!(
        ErrorCode::from_code(r.error_code),
        ErrorCode::MemberIdRequired
    );
    assert!(
        r.member_id.starts_with("raw-"),
        "client id prefixes the member id: {}",
        r.member_id
    );
    let mut rejoin = join.clone();
    rejoin.member_id = r.member_id.clone();
    let r = at.call(9, &rejoin).await;
    assert_eq!((r.error_code, r.generation_id), (0, 1));
    assert_eq!(r.leader, rejoin.member_id);
    let mut elsewhere = Raw::connect(&cluster, (coordinator + 1) % 3).await;
    let r = elsewhere.call(9, &join).await;
    assert_eq!(
        ErrorCode::from_code(r.error_code),
        ErrorCode::NotCoordinator
    );
}

impl Raw {
    /// Whether the broker closed the connection (EOF within 10 s).
    async fn closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut byte)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    async fn plain_login(&mut self, user: &str, password: &str) -> SaslAuthenticateResponse {
        let handshake = self
            .call(
                1,
                &SaslHandshakeRequest {
                    mechanism: "PLAIN".into(),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(handshake.error_code, 0, "{:?}", handshake.mechanisms);
        self.call(
            2,
            &SaslAuthenticateRequest {
                auth_bytes: Bytes::from(format!("\0{user}\0{password}")),
                ..Default::default()
            },
        )
        .await
    }
}

fn sasl_cluster(lifetime_ms: i64) -> kafkito_testkit::ClusterBuilder {
    Cluster::builder()
        .brokers(1)
        .sasl_user(Mechanism::Plain, "alice", "pw")
        .sasl_session_lifetime_ms(lifetime_ms)
}

/// Proven on: the testkit's SASL listener. Before authentication only ApiVersions (which
/// now lists SaslHandshake v1 and SaslAuthenticate) and the SASL requests are served; any
/// other request closes the connection. An unknown mechanism is UNSUPPORTED_SASL_MECHANISM
/// with the enabled list, then the connection is closed; a wrong password is SASL_AUTHENTICATION_FAILED, then the
/// connection is closed.
#[tokio::test]
async fn sasl_listener_requires_authentication() {
    let cluster = sasl_cluster(0).build().await.unwrap();
    let mut raw = Raw::connect(&cluster, 0).await;
    let versions = raw.call(3, &ApiVersionsRequest::default()).await;
    assert!(versions
        .api_keys
        .iter()
        .any(|k| k.api_key == ApiKey::SaslHandshake.key() && k.min_version == 1));
    let wrong_mechanism = raw
        .call(
            1,
            &SaslHandshakeRequest {
                mechanism: "SCRAM-SHA-256".into(),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(
        ErrorCode::from_code(wrong_mechanism.error_code),
        ErrorCode::UnsupportedSaslMechanism
    );
    assert_eq!(wrong_mechanism.mechanisms, vec!["PLAIN".to_owned()]);
    assert!(
        raw.closed().await,
        "closed after a refused mechanism, as Kafka does"
    );
    let mut raw = Raw::connect(&cluster, 0).await;
    let ok = raw.plain_login("alice", "pw").await;
    assert_eq!((ok.error_code, ok.session_lifetime_ms), (0, 0));
    let metadata = raw
        .call(
            12,
            &MetadataRequest {
                topics: None,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(metadata.brokers.len(), 1, "served once authenticated");

    let mut early = Raw::connect(&cluster, 0).await;
    early.send(12, &MetadataRequest::default()).await;
    assert!(
        early.closed().await,
        "a request before authentication closes the connection"
    );

    let mut wrong = Raw::connect(&cluster, 0).await;
    let refused = wrong.plain_login("alice", "nope").await;
    assert_eq!(
        ErrorCode::from_code(refused.error_code),
        ErrorCode::SaslAuthenticationFailed
    );
    assert!(refused
        .error_message
        .unwrap()
        .contains("Invalid username or password"));
    assert!(wrong.closed().await, "closed after a failed authentication");
}

/// Proven on: the testkit with `connections.max.reauth.ms` = 3000 (KIP-368): the lifetime is
/// announced at login; a re-authentication on the same connection extends the session; a
/// connection used after its session ended is closed.
#[tokio::test]
async fn sasl_sessions_end_unless_renewed() {
    let cluster = sasl_cluster(3_000).build().await.unwrap();
    let all = MetadataRequest {
        topics: None,
        ..Default::default()
    };
    let mut renewed = Raw::connect(&cluster, 0).await;
    let login = renewed.plain_login("alice", "pw").await;
    assert_eq!(login.session_lifetime_ms, 3_000);
    let mut lapsed = Raw::connect(&cluster, 0).await;
    lapsed.plain_login("alice", "pw").await;
    // The thing under test is a timer: let most of the session pass, renew one connection,
    // then let the other's session end (margins of a second either way).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        renewed.plain_login("alice", "pw").await.error_code,
        0,
        "re-authenticated in place"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    renewed.call(12, &all).await;
    lapsed.send(12, &all).await;
    assert!(
        lapsed.closed().await,
        "an expired session is closed at its next request"
    );
}

/// Proven on: the testkit's fault controls. Dropped connections are closed while the broker
/// keeps accepting new ones; added latency delays a request by at least that long; a
/// shrunk ISR refuses acks=all below `min.insync.replicas`; a moved coordinator answers
/// NOT_COORDINATOR where it was and FindCoordinator names where it went.
#[tokio::test]
async fn fault_controls_drop_delay_shrink_and_move() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    let all = MetadataRequest {
        topics: None,
        ..Default::default()
    };
    let mut victim = Raw::connect(&cluster, 1).await;
    victim.call(12, &all).await;
    cluster.drop_connections(1).unwrap();
    assert!(victim.closed().await, "the open connection was cut");
    let mut fresh = Raw::connect(&cluster, 1).await;
    assert_eq!(
        fresh.call(12, &all).await.brokers.len(),
        3,
        "the broker still serves"
    );

    cluster.set_latency(ApiKey::Metadata, Some(1), Duration::from_millis(400));
    let start = Instant::now();
    fresh.call(12, &all).await;
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "delayed by the added latency"
    );
    cluster.set_latency(ApiKey::Metadata, Some(1), Duration::ZERO);

    cluster
        .create_topic_with_config("isr", 1, 3, &[("min.insync.replicas", "2")])
        .unwrap();
    let (leader, _) = cluster.leader("isr", 0).unwrap();
    assert!(
        cluster.set_isr("isr", 0, &[(leader + 1) % 3]).is_err(),
        "the ISR must hold the leader"
    );
    cluster.set_isr("isr", 0, &[leader]).unwrap();
    let mut to_leader = Raw::connect(&cluster, leader).await;
    let r = to_leader
        .call(9, &produce("isr", 0, -1, batch(&["x"], &[1])))
        .await;
    assert_eq!(partition_result(&r).0, ErrorCode::NotEnoughReplicas);

    let find = FindCoordinatorRequest {
        coordinator_keys: vec!["moving".into()],
        ..Default::default()
    };
    let before = fresh.call(4, &find).await.coordinators[0].node_id;
    let target = (before + 1) % 3;
    cluster.move_coordinator("moving", target).unwrap();
    assert_eq!(fresh.call(4, &find).await.coordinators[0].node_id, target);
    let mut old = Raw::connect(&cluster, before).await;
    let join = JoinGroupRequest {
        group_id: "moving".into(),
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 10_000,
        protocol_type: "consumer".into(),
        protocols: vec![JoinGroupRequestProtocol {
            name: "range".into(),
            metadata: Bytes::from_static(b"\0\0"),
            ..Default::default()
        }],
        ..Default::default()
    };
    let r = old.call(9, &join).await;
    assert_eq!(
        ErrorCode::from_code(r.error_code),
        ErrorCode::NotCoordinator
    );
}

/// Proven on: the testkit's transaction and group coordinators, request by request: an
/// offset committed inside a transaction (AddOffsetsToTxn, TxnOffsetCommit) makes an
/// OffsetFetch with `require_stable` answer UNSTABLE_OFFSET_COMMIT until the transaction's
/// commit completes (its markers held past EndTxn here, so the state is observed, not raced);
/// a stale producer epoch is fenced after the transactional id is initialised again.
#[tokio::test]
async fn transactional_offsets_are_unstable_until_the_transaction_commits() {
    use kafkito_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
    use kafkito_protocol::messages::txn_offset_commit_request::{
        TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
    };
    use kafkito_protocol::messages::{
        AddOffsetsToTxnRequest, EndTxnRequest, InitProducerIdRequest, OffsetFetchRequest,
        TxnOffsetCommitRequest,
    };
    let cluster = Cluster::builder().brokers(1).build().await.unwrap();
    cluster.create_topic("o", 1, 1).unwrap();
    let mut raw = Raw::connect(&cluster, 0).await;
    let init = InitProducerIdRequest {
        transactional_id: Some("tx-o".into()),
        transaction_timeout_ms: 60_000,
        producer_id: -1,
        producer_epoch: -1,
        ..Default::default()
    };
    let ids = raw.call(4, &init).await;
    assert_eq!(ids.error_code, 0);
    let (pid, epoch) = (ids.producer_id, ids.producer_epoch);
    let add = raw
        .call(
            3,
            &AddOffsetsToTxnRequest {
                transactional_id: "tx-o".into(),
                producer_id: pid,
                producer_epoch: epoch,
                group_id: "og".into(),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(add.error_code, 0);
    let commit = raw
        .call(
            3,
            &TxnOffsetCommitRequest {
                transactional_id: "tx-o".into(),
                group_id: "og".into(),
                producer_id: pid,
                producer_epoch: epoch,
                generation_id: -1,
                topics: vec![TxnOffsetCommitRequestTopic {
                    name: "o".into(),
                    partitions: vec![TxnOffsetCommitRequestPartition {
                        partition_index: 0,
                        committed_offset: 42,
                        committed_leader_epoch: -1,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
        .await;
    assert_eq!(commit.topics[0].partitions[0].error_code, 0);
    let fetch = OffsetFetchRequest {
        group_id: "og".into(),
        topics: Some(vec![OffsetFetchRequestTopic {
            name: "o".into(),
            partition_indexes: vec![0],
            ..Default::default()
        }]),
        require_stable: true,
        ..Default::default()
    };
    let unstable = raw.call(7, &fetch).await;
    let p = &unstable.topics[0].partitions[0];
    assert_eq!(
        ErrorCode::from_code(p.error_code),
        ErrorCode::UnstableOffsetCommit
    );
    cluster.hold_transaction_markers(true);
    let end = raw
        .call(
            3,
            &EndTxnRequest {
                transactional_id: "tx-o".into(),
                producer_id: pid,
                producer_epoch: epoch,
                committed: true,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(end.error_code, 0);
    let still = raw.call(7, &fetch).await;
    assert_eq!(
        ErrorCode::from_code(still.topics[0].partitions[0].error_code),
        ErrorCode::UnstableOffsetCommit,
        "committed by EndTxn, but not yet completed"
    );
    cluster.hold_transaction_markers(false);
    let stable = raw.call(7, &fetch).await;
    let p = &stable.topics[0].partitions[0];
    assert_eq!((p.error_code, p.committed_offset), (0, 42));
    assert_eq!(cluster.committed_offset("og", "o", 0), Some(42));

    // A new incarnation bumps the epoch; the old one is fenced.
    let again = raw.call(4, &init).await;
    assert_eq!((again.producer_id, again.producer_epoch), (pid, epoch + 1));
    let stale = raw
        .call(
            3,
            &EndTxnRequest {
                transactional_id: "tx-o".into(),
                producer_id: pid,
                producer_epoch: epoch,
                committed: true,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(
        ErrorCode::from_code(stale.error_code),
        ErrorCode::ProducerFenced
    );
}

/// Proven on: the testkit's transaction coordinator, request by request, against Kafka's
/// `TransactionCoordinator`: EndTxn is answered in PrepareCommit, and until the markers are
/// written (held here) InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn and a retried
/// EndTxn are CONCURRENT_TRANSACTIONS, an EndTxn with the other outcome is INVALID_TXN_STATE,
/// and the records stay above the last stable offset; once released, everything succeeds.
/// Then the default path: markers land by themselves after the configured delay.
#[tokio::test]
async fn concurrent_transactions_until_the_markers_are_written() {
    use kafkito_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
    use kafkito_protocol::messages::{
        AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, EndTxnRequest, InitProducerIdRequest,
    };
    for delay in [Duration::ZERO, Duration::from_secs(5)] {
        let cluster = Cluster::builder()
            .brokers(1)
            .transaction_marker_delay(delay)
            .build()
            .await
            .unwrap();
        cluster.create_topic("c", 1, 1).unwrap();
        let mut raw = Raw::connect(&cluster, 0).await;
        let init = InitProducerIdRequest {
            transactional_id: Some("tx-c".into()),
            transaction_timeout_ms: 60_000,
            producer_id: -1,
            producer_epoch: -1,
            ..Default::default()
        };
        let ids = raw.call(4, &init).await;
        assert_eq!(ids.error_code, 0);
        let (pid, epoch) = (ids.producer_id, ids.producer_epoch);
        let add_partitions = AddPartitionsToTxnRequest {
            v3_and_below_transactional_id: "tx-c".into(),
            v3_and_below_producer_id: pid,
            v3_and_below_producer_epoch: epoch,
            v3_and_below_topics: vec![AddPartitionsToTxnTopic {
                name: "c".into(),
                partitions: vec![0],
                ..Default::default()
            }],
            ..Default::default()
        };
        let add_code = |r: &kafkito_protocol::messages::AddPartitionsToTxnResponse| {
            ErrorCode::from_code(
                r.results_by_topic_v3_and_below[0].results_by_partition[0].partition_error_code,
            )
        };
        assert_eq!(
            add_code(&raw.call(3, &add_partitions).await),
            ErrorCode::None
        );
        let mut records = RecordBatchBuilder::new(Compression::None);
        records.producer_state(pid, epoch, 0).transactional(true);
        records.append(1, None, Some(b"in-txn"), &[]).unwrap();
        let mut request = produce("c", 0, -1, records.finish().unwrap());
        request.transactional_id = Some("tx-c".into());
        let produced = raw.call(9, &request).await;
        assert_eq!(partition_result(&produced), (ErrorCode::None, 0));
        let end = |committed| EndTxnRequest {
            transactional_id: "tx-c".into(),
            producer_id: pid,
            producer_epoch: epoch,
            committed,
            ..Default::default()
        };
        let add_offsets = AddOffsetsToTxnRequest {
            transactional_id: "tx-c".into(),
            producer_id: pid,
            producer_epoch: epoch,
            group_id: "cg".into(),
            ..Default::default()
        };

        if delay.is_zero() {
            cluster.hold_transaction_markers(true);
            assert_eq!(raw.call(3, &end(true)).await.error_code, 0);
            let concurrent = ErrorCode::ConcurrentTransactions;
            assert_eq!(
                ErrorCode::from_code(raw.call(4, &init).await.error_code),
                concurrent
            );
            assert_eq!(add_code(&raw.call(3, &add_partitions).await), concurrent);
            assert_eq!(
                ErrorCode::from_code(raw.call(3, &add_offsets).await.error_code),
                concurrent
            );
            assert_eq!(
                ErrorCode::from_code(raw.call(3, &end(true)).await.error_code),
                concurrent
            );
            assert_eq!(
                ErrorCode::from_code(raw.call(3, &end(false)).await.error_code),
                ErrorCode::InvalidTxnState,
                "abort while the commit completes"
            );
            assert_eq!(cluster.concurrent_transactions_answers(), 4);
            assert_eq!(cluster.last_stable_offset("c", 0), Some(0), "no marker yet");
            cluster.hold_transaction_markers(false);
            assert_eq!(
                cluster.last_stable_offset("c", 0),
                Some(2),
                "record and marker"
            );
            assert_eq!(
                raw.call(3, &end(true)).await.error_code,
                0,
                "a retried EndTxn"
            );
            assert_eq!(
                add_code(&raw.call(3, &add_partitions).await),
                ErrorCode::None
            );
            assert_eq!(raw.call(3, &add_offsets).await.error_code, 0);
        } else {
            // Markers five seconds after EndTxn (far longer than a request takes): the
            // AddPartitionsToTxn sent right after it is refused, and one sent again until it
            // succeeds gets through once they land, with no release by the test.
            assert_eq!(raw.call(3, &end(true)).await.error_code, 0);
            assert_eq!(
                add_code(&raw.call(3, &add_partitions).await),
                ErrorCode::ConcurrentTransactions
            );
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let code = add_code(&raw.call(3, &add_partitions).await);
                if code == ErrorCode::None {
                    break;
                }
                assert_eq!(code, ErrorCode::ConcurrentTransactions);
                assert!(Instant::now() < deadline, "markers never landed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(cluster.concurrent_transactions_answers() >= 1);
            assert_eq!(cluster.last_stable_offset("c", 0), Some(2));
        }
    }
}

/// Proven on: the testkit's KIP-848 coordinator, raw ConsumerGroupHeartbeats naming
/// `ServerAssignor=range` (our client has no `group.remote.assignor` setting yet): two members
/// of co-partitioned topics get the same contiguous ranges of both, the first in member id
/// order one more, as Kafka's server-side `RangeAssignor` deals them (sticky: the first
/// member keeps its lowest partitions); ConsumerGroupDescribe names the assignor, and an
/// unknown assignor is UNSUPPORTED_ASSIGNOR.
#[tokio::test]
async fn kip848_range_assignor_over_the_wire() {
    use kafkito_protocol::messages::consumer_group_heartbeat_request::TopicPartitions as Owned;
    use kafkito_protocol::messages::{
        ConsumerGroupDescribeRequest, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse,
    };
    use kafkito_protocol::wire::Uuid;
    let cluster = Cluster::builder().brokers(1).build().await.unwrap();
    cluster.create_topic("r1", 5, 1).unwrap();
    cluster.create_topic("r2", 5, 1).unwrap();
    let mut raw = Raw::connect(&cluster, 0).await;
    let metadata = raw
        .call(
            12,
            &MetadataRequest {
                topics: Some(
                    ["r1", "r2"]
                        .map(|t| MetadataRequestTopic {
                            name: Some(t.into()),
                            ..Default::default()
                        })
                        .to_vec(),
                ),
                ..Default::default()
            },
        )
        .await;
    let id = |name: &str| -> Uuid {
        metadata
            .topics
            .iter()
            .find(|t| t.name.as_deref() == Some(name))
            .unwrap()
            .topic_id
    };
    let (r1, r2) = (id("r1"), id("r2"));
    let join = |member: &str, assignor: &str| ConsumerGroupHeartbeatRequest {
        group_id: "rg".into(),
        member_id: member.into(),
        member_epoch: 0,
        rebalance_timeout_ms: 30_000,
        subscribed_topic_names: Some(vec!["r1".into(), "r2".into()]),
        server_assignor: Some(assignor.into()),
        topic_partitions: Some(Vec::new()),
        ..Default::default()
    };
    let owned = |ps: &[i32]| {
        Some(
            [r1, r2]
                .map(|topic_id| Owned {
                    topic_id,
                    partitions: ps.to_vec(),
                    ..Default::default()
                })
                .to_vec(),
        )
    };
    // Each topic's partitions in the response's assignment (`None`: no assignment sent).
    let assigned = |r: &ConsumerGroupHeartbeatResponse, topic: Uuid| -> Option<Vec<i32>> {
        r.assignment.as_ref().map(|a| {
            let mut ps: Vec<i32> = a
                .topic_partitions
                .iter()
                .filter(|t| t.topic_id == topic)
                .flat_map(|t| t.partitions.clone())
                .collect();
            ps.sort_unstable();
            ps
        })
    };

    let a = raw.call(1, &join("member-a", "range")).await;
    assert_eq!(a.error_code, 0);
    assert_eq!(assigned(&a, r1), Some(vec![0, 1, 2, 3, 4]));
    let b = raw.call(1, &join("member-b", "range")).await;
    assert_eq!((b.error_code, b.member_epoch), (0, 2));
    // a keeps 0-2 of both topics (revoking 3 and 4); b waits for them.
    let a2 = raw
        .call(
            1,
            &ConsumerGroupHeartbeatRequest {
                group_id: "rg".into(),
                member_id: "member-a".into(),
                member_epoch: 1,
                rebalance_timeout_ms: -1,
                topic_partitions: owned(&[0, 1, 2, 3, 4]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(assigned(&a2, r1), Some(vec![0, 1, 2]));
    assert_eq!(assigned(&a2, r2), Some(vec![0, 1, 2]));
    let a3 = raw
        .call(
            1,
            &ConsumerGroupHeartbeatRequest {
                group_id: "rg".into(),
                member_id: "member-a".into(),
                member_epoch: 1,
                rebalance_timeout_ms: -1,
                topic_partitions: owned(&[0, 1, 2]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(a3.member_epoch, 2, "revoked: a moves to the new epoch");
    let b2 = raw
        .call(
            1,
            &ConsumerGroupHeartbeatRequest {
                group_id: "rg".into(),
                member_id: "member-b".into(),
                member_epoch: 2,
                rebalance_timeout_ms: -1,
                topic_partitions: owned(&[]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(assigned(&b2, r1), Some(vec![3, 4]));
    assert_eq!(assigned(&b2, r2), Some(vec![3, 4]));

    let described = raw
        .call(
            0,
            &ConsumerGroupDescribeRequest {
                group_ids: vec!["rg".into()],
                ..Default::default()
            },
        )
        .await;
    let group = &described.groups[0];
    assert_eq!(
        (group.assignor_name.as_str(), group.group_state.as_str()),
        ("range", "Stable")
    );

    let refused = raw.call(1, &join("member-c", "sticky")).await;
    assert_eq!(
        ErrorCode::from_code(refused.error_code),
        ErrorCode::UnsupportedAssignor
    );
    assert_eq!(
        refused.error_message.as_deref(),
        Some("ServerAssignor sticky is not supported. Supported assignors: uniform, range.")
    );
}

/// Proven on: the testkit's KIP-848 coordinator, with `.consumer_session_timeout_ms(1_000)`
/// (`group.consumer.session.timeout.ms`): a member that joined with a raw
/// ConsumerGroupHeartbeat and then went silent (as a killed process does) is removed within
/// seconds, not after Kafka's default 45 s, and the group is empty again.
#[tokio::test]
async fn kip848_session_timeout_setting_removes_a_silent_member() {
    use kafkito_protocol::messages::ConsumerGroupHeartbeatRequest;
    let cluster = Cluster::builder()
        .brokers(1)
        .consumer_session_timeout_ms(1_000)
        .build()
        .await
        .unwrap();
    cluster.create_topic("st", 2, 1).unwrap();
    let mut raw = Raw::connect(&cluster, 0).await;
    let joined = raw
        .call(
            1,
            &ConsumerGroupHeartbeatRequest {
                group_id: "sg".into(),
                member_id: "silent".into(),
                member_epoch: 0,
                rebalance_timeout_ms: 30_000,
                subscribed_topic_names: Some(vec!["st".into()]),
                topic_partitions: Some(Vec::new()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(joined.error_code, 0);
    let started = Instant::now();
    assert_eq!(cluster.group("sg").map(|g| g.2), Some(1));
    // Bounded wait on the coordinator's state: far below the 45 s default.
    while cluster.group("sg").map(|g| g.2) != Some(0) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the silent member is still in the group: {:?}",
            cluster.group("sg")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "not before its session ended"
    );
}
