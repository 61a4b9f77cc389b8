//! Record batches cross between our codec and librdkafka (kcat) through the real broker, in
//! both directions and for every compression codec: what we write, kcat reads (keys, values,
//! headers, timestamps); what kcat writes, we decode.

use std::time::Duration;

use bytes::Bytes;
use integration_tests::raw::RawConnection;
use integration_tests::{broker, kcat_consume, kcat_produce, unique_topic};
use kafka_protocol::messages::{
    create_topics_request, fetch_request, produce_request, ApiKey, CreateTopicsRequest,
    FetchRequest, ProduceRequest,
};
use kafka_protocol::records::{decode_batches, Compression, RecordBatchBuilder, RecordHeader};
use kafka_protocol::ErrorCode;

const CODECS: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];
const RECORDS: usize = 5;
const BASE_TIMESTAMP: i64 = 1_700_000_000_000;

/// A value long and repetitive enough that every codec shrinks it (librdkafka sends a batch
/// uncompressed when compression does not pay, which would make the check meaningless).
fn value(i: usize, codec: Compression) -> String {
    format!("value-{i}-{codec}-{}", "x".repeat(200))
}

async fn create_topic(conn: &mut RawConnection, topic: &str) {
    let version = conn.version_for(ApiKey::CreateTopics);
    let created = conn
        .call(
            &CreateTopicsRequest {
                topics: vec![create_topics_request::CreatableTopic {
                    name: topic.to_string(),
                    num_partitions: 1,
                    replication_factor: 1,
                    ..Default::default()
                }],
                timeout_ms: 10_000,
                ..Default::default()
            },
            version,
        )
        .await;
    assert_eq!(created.topics[0].error_code, 0, "create {topic}");
}

#[tokio::test]
async fn kcat_reads_batches_we_write() {
    let bootstrap = broker().await.bootstrap();
    let mut conn = RawConnection::connect(&bootstrap).await;
    for codec in CODECS {
        let topic = unique_topic(&format!("ours-to-kcat-{codec}"));
        create_topic(&mut conn, &topic).await;

        let mut builder = RecordBatchBuilder::new(codec);
        for i in 0..RECORDS {
            let headers = [
                RecordHeader::new("index", Some(Bytes::from(i.to_string()))),
                RecordHeader::new("codec", Some(Bytes::from(codec.to_string()))),
            ];
            builder
                .append(
                    BASE_TIMESTAMP + i as i64,
                    Some(format!("key-{i}").as_bytes()),
                    Some(value(i, codec).as_bytes()),
                    &headers,
                )
                .unwrap();
        }
        let version = conn.version_for(ApiKey::Produce).min(12);
        let produced = conn
            .call(
                &ProduceRequest {
                    acks: -1,
                    timeout_ms: 10_000,
                    topic_data: vec![produce_request::TopicProduceData {
                        name: topic.clone(),
                        partition_data: vec![produce_request::PartitionProduceData {
                            index: 0,
                            records: Some(builder.finish().unwrap()),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                version,
            )
            .await;
        let code = produced.responses[0].partition_responses[0].error_code;
        assert_eq!(ErrorCode::from_code(code), ErrorCode::None, "{codec}");

        let out = kcat_consume(&bootstrap, &topic, RECORDS, "%o|%k|%s|%T|%h\n").await;
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), RECORDS, "{codec}: {out}");
        for (i, line) in lines.iter().enumerate() {
            let expected = format!(
                "{i}|key-{i}|{}|{}|index={i},codec={codec}",
                value(i, codec),
                BASE_TIMESTAMP + i as i64
            );
            assert_eq!(*line, expected, "{codec}");
        }
    }
}

#[tokio::test]
async fn we_decode_batches_kcat_writes() {
    let bootstrap = broker().await.bootstrap();
    let mut conn = RawConnection::connect(&bootstrap).await;
    for codec in CODECS {
        let topic = unique_topic(&format!("kcat-to-ours-{codec}"));
        create_topic(&mut conn, &topic).await;
        let lines: Vec<String> = (0..RECORDS)
            .map(|i| format!("key-{i}:{}", value(i, codec)))
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let codec_name = codec.to_string();
        // One linger window so librdkafka puts all records in one batch.
        kcat_produce(
            &bootstrap,
            &topic,
            &lines,
            &[
                "-p",
                "0",
                "-K",
                ":",
                "-z",
                &codec_name,
                "-H",
                "origin=kcat",
                "-X",
                "linger.ms=200",
            ],
        )
        .await;

        let mut records = Vec::new();
        let mut compressions = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while records.len() < RECORDS {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{codec}: only {records:?}"
            );
            let version = conn.version_for(ApiKey::Fetch).min(12);
            let fetched = conn
                .call(
                    &FetchRequest {
                        replica_id: -1,
                        max_wait_ms: 200,
                        min_bytes: 1,
                        max_bytes: 1 << 20,
                        topics: vec![fetch_request::FetchTopic {
                            topic: topic.clone(),
                            partitions: vec![fetch_request::FetchPartition {
                                partition: 0,
                                fetch_offset: records.len() as i64,
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
            let partition = &fetched.responses[0].partitions[0];
            assert_eq!(partition.error_code, 0, "{codec}");
            let decoded = decode_batches(partition.records.clone().unwrap_or_default()).unwrap();
            for batch in decoded.batches {
                compressions.push(batch.compression);
                records.extend(batch.records);
            }
        }
        assert!(
            compressions.iter().all(|c| *c == codec),
            "{codec}: batches arrived as {compressions:?}"
        );
        for (i, record) in records.iter().enumerate() {
            assert_eq!(record.offset, i as i64);
            assert_eq!(record.key.as_deref(), Some(format!("key-{i}").as_bytes()));
            assert_eq!(
                record.value.as_deref(),
                Some(value(i, codec).as_bytes()),
                "{codec}"
            );
            assert_eq!(record.headers.len(), 1);
            assert_eq!(&record.headers[0].key[..], b"origin");
            assert_eq!(record.headers[0].value.as_deref(), Some(&b"kcat"[..]));
            assert!(
                record.timestamp > BASE_TIMESTAMP,
                "librdkafka stamps create time"
            );
        }
    }
}
