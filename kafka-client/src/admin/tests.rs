//! The admin client against a scripted fake broker: what tansu cannot show (CreatePartitions,
//! a controller that moved) is proven here on the wire.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use kafkito_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafkito_protocol::messages::{
    ApiKey, CreatePartitionsRequest, CreatePartitionsResponse, Message, MetadataRequest,
};
use kafkito_protocol::ErrorCode;
use tokio::net::TcpListener;

use super::topics::create_partitions_request;
use super::*;
use crate::error::Error;
use crate::test_support::{cluster, respond, FakeBroker, Reply};

/// A one-broker fake cluster (node 1, the controller) that offers CreatePartitions. The first
/// CreatePartitions gets NOT_CONTROLLER; later ones succeed for `grow`, fail for `shrink`.
/// Returns its address and the CreatePartitions requests it received.
async fn fake_cluster() -> (String, Arc<Mutex<Vec<(i16, CreatePartitionsRequest)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let apis = [
        (ApiKey::ApiVersions, 3),
        (ApiKey::Metadata, 12),
        (ApiKey::CreatePartitions, 3),
    ];
    let broker = FakeBroker::start(&apis, move |request, address| match request.api() {
        ApiKey::Metadata => respond::<MetadataRequest>(request, &cluster(address, Vec::new())),
        ApiKey::CreatePartitions => {
            let decoded: CreatePartitionsRequest = request.decode();
            let first = {
                let mut log = log.lock().unwrap();
                log.push((request.version(), decoded.clone()));
                log.len() == 1
            };
            let results = decoded
                .topics
                .iter()
                .map(|t| {
                    let (code, message) = if first {
                        (ErrorCode::NotController, None)
                    } else if t.name == "shrink" {
                        (
                            ErrorCode::InvalidPartitions,
                            Some("Topic currently has 3 partitions".to_owned()),
                        )
                    } else {
                        (ErrorCode::None, None)
                    };
                    CreatePartitionsTopicResult {
                        name: t.name.clone(),
                        error_code: code.code(),
                        error_message: message,
                        ..Default::default()
                    }
                })
                .collect();
            let response = CreatePartitionsResponse {
                results,
                ..Default::default()
            };
            respond::<CreatePartitionsRequest>(request, &response)
        }
        _ => Reply::Unhandled,
    })
    .await;
    (broker.address(), seen)
}

fn admin(bootstrap: &str) -> AdminClient {
    let config = ClientConfig::builder()
        .bootstrap_servers([bootstrap])
        .retry_backoff(Duration::from_millis(10))
        .retry_backoff_max(Duration::from_millis(50))
        .build()
        .unwrap();
    AdminClient::new(config).unwrap()
}

#[tokio::test]
async fn create_partitions_goes_to_the_controller_and_retries_not_controller() {
    let (bootstrap, seen) = fake_cluster().await;
    let admin = admin(&bootstrap);
    let results = admin
        .create_partitions(
            vec![("grow".into(), 6), ("shrink".into(), 1)],
            AdminOptions::with_timeout(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    assert!(results["grow"].is_ok(), "{results:?}");
    let error = results["shrink"].as_ref().unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::InvalidPartitions));
    assert!(error.to_string().contains("currently has 3"), "{error}");

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "NOT_CONTROLLER was retried once");
    let (version, first) = &seen[0];
    assert_eq!(*version, 3, "highest common version");
    let names: Vec<_> = first
        .topics
        .iter()
        .map(|t| (t.name.as_str(), t.count))
        .collect();
    assert_eq!(names, [("grow", 6), ("shrink", 1)]);
    assert!(first.topics.iter().all(|t| t.assignments.is_none()));
    assert!(first.timeout_ms > 9_000 && first.timeout_ms <= 10_000);
    assert!(!first.validate_only);
    // The retry carried both topics again (both got NOT_CONTROLLER).
    assert_eq!(seen[1].1.topics.len(), 2);
}

/// CreatePartitions v0 bytes written out by hand from the Kafka schema, so the encoding is
/// checked against something other than our own decoder.
#[test]
fn create_partitions_v0_bytes_match_the_schema() {
    let request = create_partitions_request([("t1", 4)], 30_000, true);
    let mut ours = BytesMut::new();
    request.encode(&mut ours, 0).unwrap();

    let mut expected = BytesMut::new();
    expected.put_i32(1); // topics: array of 1
    expected.put_i16(2); // name: STRING "t1"
    expected.put_slice(b"t1");
    expected.put_i32(4); // count
    expected.put_i32(-1); // assignments: null array
    expected.put_i32(30_000); // timeout_ms
    expected.put_u8(1); // validate_only
    assert_eq!(&ours[..], &expected[..]);

    // v2 is flexible: compact arrays and strings (length + 1), tagged fields after each struct.
    let mut ours = BytesMut::new();
    request.encode(&mut ours, 2).unwrap();
    let expected: &[u8] = &[
        2, // topics: compact array of 1
        3, b't', b'1', // name: compact string
        0, 0, 0, 4, // count
        0, // assignments: compact null
        0, // topic tagged fields
        0, 0, 0x75, 0x30, // timeout_ms 30000
        1,    // validate_only
        0,    // request tagged fields
    ];
    assert_eq!(&ours[..], expected);
}

#[tokio::test]
async fn an_unreachable_cluster_fails_within_the_deadline() {
    // Connection errors are retried until the deadline, then the last one surfaces.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = listener.local_addr().unwrap().to_string();
    drop(listener);
    let admin = admin(&dead);
    let started = std::time::Instant::now();
    let error = admin
        .describe_cluster(AdminOptions::with_timeout(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            error,
            Error::NoBrokerAvailable { .. } | Error::Io { .. } | Error::Timeout { .. }
        ),
        "{error:?}"
    );
}

/// tansu advertises DeleteRecords but panics on it and drops the connection, so the request
/// is checked against librdkafka's: the DeleteRecords v1 request librdkafka 2.12.1 sent
/// (captured in kafkito-protocol's golden fixtures) and ours for the same deletion must be the
/// same bytes.
#[test]
fn delete_records_request_matches_librdkafka() {
    use kafkito_protocol::header::RequestHeader;
    use kafkito_protocol::messages::DeleteRecordsRequest;
    use std::collections::BTreeMap;

    use super::offsets::{delete_records_request, TopicPartition};

    let captured: &[u8] = include_bytes!(
        "../../../kafka-protocol/tests/fixtures/golden/librdkafka-2.12.1-tansu-0.6.0/0064-21-DeleteRecords-v1-request.bin"
    );
    let mut frame = bytes::Bytes::copy_from_slice(captured);
    let header =
        RequestHeader::decode(&mut frame, ApiKey::DeleteRecords.request_header_version(1)).unwrap();
    assert_eq!((header.api_key, header.api_version), (21, 1));
    let body = frame.clone();
    let theirs = DeleteRecordsRequest::decode(&mut frame, 1).unwrap();

    // The same deletion, built by the admin client.
    let before: BTreeMap<TopicPartition, i64> = theirs
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| (TopicPartition::new(&t.name, p.partition_index), p.offset))
        })
        .collect();
    assert!(!before.is_empty());
    let partitions: Vec<_> = before.keys().cloned().collect();
    let ours = delete_records_request(&partitions, &before, theirs.timeout_ms);
    let mut encoded = BytesMut::new();
    ours.encode(&mut encoded, 1).unwrap();
    assert_eq!(&encoded[..], &body[..]);
}
