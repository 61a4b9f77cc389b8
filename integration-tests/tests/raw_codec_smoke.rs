//! The codec alone, over a plain `TcpStream`, against the real broker: ApiVersions,
//! CreateTopics, Metadata, Produce, then Fetch the batch back and ListOffsets. No client layer
//! is involved, so a failure here is the codec's (or the broker's).

use bytes::Bytes;
use integration_tests::raw::RawConnection;
use kafkito_protocol::messages::{
    list_offsets_request, metadata_request, ApiKey, ApiVersionsRequest, ListOffsetsRequest,
    MetadataRequest,
};
use kafkito_protocol::records::{decode_batches, Compression, RecordBatchBuilder, RecordHeader};
use kafkito_protocol::ErrorCode;

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
    for key in [
        ApiKey::Produce,
        ApiKey::Fetch,
        ApiKey::Metadata,
        ApiKey::CreateTopics,
    ] {
        assert!(
            versions.api_keys.iter().any(|k| k.api_key == key.key()),
            "{key:?}"
        );
    }

    // CreateTopics.
    let topic = integration_tests::unique_topic("raw-smoke");
    conn.create_topic(&topic, 2).await;

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
    let partition = conn.produce(&topic, 1, batch).await;
    assert_eq!(ErrorCode::from_code(partition.error_code), ErrorCode::None);
    assert_eq!(partition.base_offset, 0);

    // Fetch it back from offset 0.
    let data = conn.fetch(&topic, 1, 0).await;
    assert_eq!(ErrorCode::from_code(data.error_code), ErrorCode::None);
    let decoded = decode_batches(data.records.clone().expect("records")).expect("batches");
    let records: Vec<_> = decoded
        .batches
        .iter()
        .flat_map(|b| b.records.iter())
        .collect();
    assert_eq!(records.len(), 3);
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.offset, i as i64);
        assert_eq!(record.timestamp, base_timestamp + i as i64);
        assert_eq!(record.key.as_deref(), Some(format!("key-{i}").as_bytes()));
        assert_eq!(
            record.value.as_deref(),
            Some(format!("value-{i}").as_bytes())
        );
        assert_eq!(
            record.headers[0].value.as_deref(),
            Some(i.to_string().as_bytes())
        );
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
