//! Record batches cross between our codec and librdkafka (kcat) through the real broker, in
//! both directions and for every compression codec: what we write, kcat reads (keys, values,
//! headers, timestamps); what kcat writes, we decode.

use std::time::Duration;

use bytes::Bytes;
use integration_tests::raw::RawConnection;
use integration_tests::{broker, kcat_consume, kcat_produce, unique_topic};
use kafkito_protocol::records::{decode_batches, Compression, RecordBatchBuilder, RecordHeader};
use kafkito_protocol::ErrorCode;

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

#[tokio::test]
async fn kcat_reads_batches_we_write() {
    let bootstrap = broker().await.bootstrap();
    let mut conn = RawConnection::connect(&bootstrap).await;
    for codec in CODECS {
        let topic = unique_topic(&format!("ours-to-kcat-{codec}"));
        conn.create_topic(&topic, 1).await;

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
        let produced = conn.produce(&topic, 0, builder.finish().unwrap()).await;
        let code = produced.error_code;
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
        conn.create_topic(&topic, 1).await;
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
            let partition = conn.fetch(&topic, 0, records.len() as i64).await;
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
