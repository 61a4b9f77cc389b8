//! A bare connection that speaks only the codec: one request at a time over a `TcpStream`.
//!
//! Used by tests that must prove the codec against a real peer without the client layer in
//! between, so that a failure points at the codec (or the broker).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafkito_protocol::frame::{self, decode_response};
use kafkito_protocol::messages::{
    create_topics_request, fetch_request, fetch_response, produce_request, ApiKey,
    ApiVersionsRequest, CreateTopicsRequest, FetchRequest, Message, ProduceRequest, Request,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One connection speaking the codec, one request at a time.
pub struct RawConnection {
    stream: TcpStream,
    correlation_id: i32,
    /// Highest version the broker supports, by API key.
    broker_max: Vec<(i16, i16)>,
}

impl RawConnection {
    /// Connects to the first address of `bootstrap` and negotiates API versions.
    pub async fn connect(bootstrap: &str) -> RawConnection {
        let addr = bootstrap.split(',').next().expect("bootstrap address");
        let stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr))
            .await
            .expect("connect timed out")
            .expect("connect");
        let mut conn = RawConnection {
            stream,
            correlation_id: 0,
            broker_max: Vec::new(),
        };
        let versions = conn
            .call(
                &ApiVersionsRequest {
                    client_software_name: "kafka-sdk-raw".into(),
                    client_software_version: "0.1.0".into(),
                    ..Default::default()
                },
                3,
            )
            .await;
        assert_eq!(versions.error_code, 0, "ApiVersions failed");
        conn.broker_max = versions
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.max_version))
            .collect();
        conn
    }

    /// The broker's newest version of `key`, if it advertises the API.
    pub fn broker_max_version(&self, key: ApiKey) -> Option<i16> {
        self.broker_max
            .iter()
            .find(|(k, _)| *k == key.key())
            .map(|(_, v)| *v)
    }

    /// The version to use: the highest both we and the broker speak.
    pub fn version_for(&self, key: ApiKey) -> i16 {
        let broker = self
            .broker_max
            .iter()
            .find(|(k, _)| *k == key.key())
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("broker does not advertise {}", key.name()));
        broker.min(key.max_version())
    }

    /// Sends one request and waits for its response.
    pub async fn call<R: Request>(&mut self, request: &R, version: i16) -> R::Response {
        self.correlation_id += 1;
        let mut buf = BytesMut::new();
        frame::encode_request(
            &mut buf,
            self.correlation_id,
            Some("raw-smoke"),
            version,
            request,
        )
        .expect("encode");
        self.stream.write_all(&buf).await.expect("write");
        let size = tokio::time::timeout(Duration::from_secs(30), self.stream.read_i32())
            .await
            .expect("response timed out")
            .expect("read size");
        let mut body = vec![0u8; size as usize];
        self.stream.read_exact(&mut body).await.expect("read body");
        let (header, response) = decode_response::<R>(Bytes::from(body), version)
            .unwrap_or_else(|e| panic!("{} v{version}: {e}", <R::Response as Message>::NAME));
        assert_eq!(header.correlation_id, self.correlation_id);
        response
    }

    /// Creates `topic` with `partitions` partitions (replication factor 1) and asserts that the
    /// broker reports success.
    pub async fn create_topic(&mut self, topic: &str, partitions: i32) {
        let version = self.version_for(ApiKey::CreateTopics);
        let created = self
            .call(
                &CreateTopicsRequest {
                    topics: vec![create_topics_request::CreatableTopic {
                        name: topic.to_string(),
                        num_partitions: partitions,
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
            created.topics[0].error_code, 0,
            "create {topic}: {:?}",
            created.topics[0].error_message
        );
    }

    /// Produces one record batch to `topic`/`partition` with acks=all and returns the
    /// partition's response. Produce v13+ addresses topics by id, so at most v12 is used.
    pub async fn produce(
        &mut self,
        topic: &str,
        partition: i32,
        batch: Bytes,
    ) -> kafkito_protocol::messages::produce_response::PartitionProduceResponse {
        let version = self.version_for(ApiKey::Produce).min(12);
        let mut produced = self
            .call(
                &ProduceRequest {
                    acks: -1,
                    timeout_ms: 10_000,
                    topic_data: vec![produce_request::TopicProduceData {
                        name: topic.to_string(),
                        partition_data: vec![produce_request::PartitionProduceData {
                            index: partition,
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
        produced.responses.remove(0).partition_responses.remove(0)
    }

    /// Fetches `topic`/`partition` from `offset` (up to 1 MiB, waiting up to 200 ms for
    /// data). Fetch v13+ addresses topics by id, so at most v12 is used.
    pub async fn fetch(
        &mut self,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> fetch_response::PartitionData {
        let version = self.version_for(ApiKey::Fetch).min(12);
        let mut fetched = self
            .call(
                &FetchRequest {
                    replica_id: -1,
                    max_wait_ms: 200,
                    min_bytes: 1,
                    max_bytes: 1 << 20,
                    topics: vec![fetch_request::FetchTopic {
                        topic: topic.to_string(),
                        partitions: vec![fetch_request::FetchPartition {
                            partition,
                            fetch_offset: offset,
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
        fetched.responses.remove(0).partitions.remove(0)
    }
}
