//! The codec alone, over a plain `TcpStream`, against the real broker: ApiVersions,
//! CreateTopics, Metadata, Produce, then Fetch the batch back and ListOffsets. No client layer
//! is involved, so a failure here is the codec's (or the broker's).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::frame::{self, decode_response};
use kafka_protocol::messages::{
    create_topics_request, fetch_request, list_offsets_request,
    metadata_request, produce_request, ApiKey, ApiVersionsRequest, CreateTopicsRequest,
    FetchRequest, ListOffsetsRequest, Message, MetadataRequest, ProduceRequest, Request,
};
use kafka_protocol::records::{decode_batches, Compression, RecordBatchBuilder, RecordHeader};
use kafka_protocol::ErrorCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One connection speaking the codec, one request at a time.
struct RawConnection {
    stream: TcpStream,
    correlation_id: i32,
    /// Highest version the broker supports, by API key.
    broker_max: Vec<(i16, i16)>,
}

impl RawConnection {
    async fn connect(bootstrap: &str) -> RawConnection {
        let addr = bootstrap.split(',').next().expect("bootstrap address");
        let stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr))
            .await
            .expect("connect timed out")
            .expect("connect");
        RawConnection {
            stream,
            correlation_id: 0,
            broker_max: Vec::new(),
        }
    }

    /// The version to use: the highest both we and the broker speak.
    fn version_for(&self, key: ApiKey) -> i16 {
        let broker = self
            .broker_max
            .iter()
            .find(|(k, _)| *k == key.key())
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("broker does not advertise {}", key.name()));
        broker.min(key.max_version())
    }

    async fn call<R: Request>(&mut self, request: &R, version: i16) -> R::Response {
        self.correlation_id += 1;
        let mut buf = BytesMut::new();
        frame::encode_request(&mut buf, self.correlation_id, Some("raw-smoke"), version, request)
            .expect("encode");
        self.stream.write_all(&buf).await.expect("write");
        let size = tokio::time::timeout(Duration::from_secs(30), self.stream.read_i32())
            .await
            .expect("response timed out")
            .expect("read size");
        let mut body = vec![0u8; size as usize];
        self.stream.read_exact(&mut body).await.expect("read body");
        let (header, response) =
            decode_response::<R>(Bytes::from(body), version).unwrap_or_else(|e| {
                panic!("{} v{version}: {e}", <R::Response as Message>::NAME)
            });
        assert_eq!(header.correlation_id, self.correlation_id);
        response
    }
}

#[tokio::test]
async fn codec_speaks_to_the_broker_over_tcp() {
    let broker = integration_tests::broker().await;
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;

    // ApiVersions at our newest version (3+ is flexible in the body, header v0 in the response).
    let versions = conn
        .call(
            &ApiVersionsRequest {
                client_software_name: "kafka-sdk-raw-smoke".into(),
                client_software_version: "0.1.0".into(),
                ..Default::default()
            },
            3,
        )
        .await;
    assert_eq!(ErrorCode::from_code(versions.error_code), ErrorCode::None);
    conn.broker_max = versions
        .api_keys
        .iter()
        .map(|k| (k.api_key, k.max_version))
        .collect();
    for key in [ApiKey::Produce, ApiKey::Fetch, ApiKey::Metadata, ApiKey::CreateTopics] {
        assert!(conn.broker_max.iter().any(|(k, _)| *k == key.key()), "{key:?}");
    }

    // CreateTopics.
    let topic = integration_tests::unique_topic("raw-smoke");
    let version = conn.version_for(ApiKey::CreateTopics);
    let created = conn
        .call(
            &CreateTopicsRequest {
                topics: vec![create_topics_request::CreatableTopic {
                    name: topic.clone(),
                    num_partitions: 2,
                    replication_factor: 1,
                    ..Default::default()
                }],
                timeout_ms: 10_000,
                ..Default::default()
            },
            version,
        )
        .await;
    assert_eq!(created.topics.len(), 1);
    assert_eq!(
        ErrorCode::from_code(created.topics[0].error_code),
        ErrorCode::None,
        "{:?}",
        created.topics[0].error_message
    );

    // Metadata shows the topic with both partitions.
    let version = conn.version_for(ApiKey::Metadata);
    let metadata = conn
        .call(
            &MetadataRequest {
                topics: Some(vec![metadata_request::MetadataRequestTopic {
                    name: Some(topic.clone()),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            version,
        )
        .await;
    let described = metadata
        .topics
        .iter()
        .find(|t| t.name.as_deref() == Some(topic.as_str()))
        .expect("topic in metadata");
    assert_eq!(described.partitions.len(), 2);

    // Produce one batch of three records, with keys, headers and timestamps.
    let base_timestamp = 1_700_000_000_000;
    let mut builder = RecordBatchBuilder::new(Compression::None);
    for i in 0..3i64 {
        let key = format!("key-{i}");
        let value = format!("value-{i}");
        let header = RecordHeader::new("n", Some(Bytes::from(i.to_string())));
        builder
            .append(
                base_timestamp + i,
                Some(key.as_bytes()),
                Some(value.as_bytes()),
                &[header],
            )
            .expect("append");
    }
    let batch = builder.finish().expect("finish");
    let version = conn.version_for(ApiKey::Produce).min(12); // v13 addresses topics by id.
    let produced = conn
        .call(
            &ProduceRequest {
                acks: -1,
                timeout_ms: 10_000,
                topic_data: vec![produce_request::TopicProduceData {
                    name: topic.clone(),
                    partition_data: vec![produce_request::PartitionProduceData {
                        index: 1,
                        records: Some(batch),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            },
            version,
        )
        .await;
    let partition = &produced.responses[0].partition_responses[0];
    assert_eq!(ErrorCode::from_code(partition.error_code), ErrorCode::None);
    assert_eq!(partition.base_offset, 0);

    // Fetch it back from offset 0.
    let version = conn.version_for(ApiKey::Fetch).min(12); // v13+ addresses topics by id.
    let fetched = conn
        .call(
            &FetchRequest {
                replica_id: -1,
                max_wait_ms: 500,
                min_bytes: 1,
                max_bytes: 1 << 20,
                topics: vec![fetch_request::FetchTopic {
                    topic: topic.clone(),
                    partitions: vec![fetch_request::FetchPartition {
                        partition: 1,
                        fetch_offset: 0,
                        partition_max_bytes: 1 << 20,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            },
            version,
        )
        .await;
    let data = &fetched.responses[0].partitions[0];
    assert_eq!(ErrorCode::from_code(data.error_code), ErrorCode::None);
    let decoded = decode_batches(data.records.clone().expect("records")).expect("batches");
    let records: Vec<_> = decoded.batches.iter().flat_map(|b| b.records.iter()).collect();
    assert_eq!(records.len(), 3);
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.offset, i as i64);
        assert_eq!(record.timestamp, base_timestamp + i as i64);
        assert_eq!(record.key.as_deref(), Some(format!("key-{i}").as_bytes()));
        assert_eq!(record.value.as_deref(), Some(format!("value-{i}").as_bytes()));
        assert_eq!(record.headers[0].value.as_deref(), Some(i.to_string().as_bytes()));
    }

    // ListOffsets "earliest" (tansu's "latest" is wrong after multi-record batches, so this
    // test does not rely on it).
    let version = conn.version_for(ApiKey::ListOffsets);
    let offsets = conn
        .call(
            &ListOffsetsRequest {
                replica_id: -1,
                topics: vec![list_offsets_request::ListOffsetsTopic {
                    name: topic.clone(),
                    partitions: vec![list_offsets_request::ListOffsetsPartition {
                        partition_index: 1,
                        timestamp: -2,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            },
            version,
        )
        .await;
    let earliest = &offsets.topics[0].partitions[0];
    assert_eq!(ErrorCode::from_code(earliest.error_code), ErrorCode::None);
    assert_eq!(earliest.offset, 0);
}
