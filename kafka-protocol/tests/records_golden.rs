//! Golden tests for `kafkito_protocol::records`: bytes written by other implementations (a real
//! broker, kafka-python with the C codec libraries) and hand-checked bytes. See
//! `tests/fixtures/records/README.md` for where each fixture comes from.

use bytes::Bytes;
use kafkito_protocol::records::{
    decode_batches, BatchDecoder, Compression, ControlRecord, ControlRecordType,
    RecordBatchBuilder, RecordHeader, RecordsError, TimestampType,
};

fn fixture(name: &str) -> Bytes {
    let path = format!(
        "{}/tests/fixtures/records/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}

fn b(s: &'static [u8]) -> Option<Bytes> {
    Some(Bytes::from_static(s))
}

#[test]
fn crc32c_check_value() {
    // The CRC-32C check value from the Castagnoli/iSCSI specification (RFC 3720).
    assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
}

/// Four v2 batches a Kafka 0.11 broker returned (written by the Java producer).
#[test]
fn broker_capture_v2() {
    let decoded = decode_batches(fixture("broker-capture-v2.bin")).unwrap();
    assert!(decoded.truncated.is_none());
    let batches = decoded.batches;
    assert_eq!(batches.len(), 4);

    let first = &batches[0];
    assert_eq!(first.crc, 0x0318_a270);
    assert_eq!((first.magic, first.partition_leader_epoch), (2, 1));
    assert_eq!(first.compression, Compression::None);
    assert_eq!(first.timestamp_type, TimestampType::CreateTime);
    assert_eq!(
        (first.producer_id, first.producer_epoch, first.base_sequence),
        (-1, -1, -1)
    );
    assert_eq!(first.records.len(), 1);
    let r = &first.records[0];
    assert_eq!((r.offset, r.timestamp), (0, 1_503_229_838_908));
    assert_eq!((r.key.clone(), r.value.clone()), (None, b(b"123")));
    assert!(r.headers.is_empty());

    let second = &batches[1];
    assert_eq!(second.records.len(), 2);
    assert_eq!(second.records[1].offset, 2);
    assert!(second.records.iter().all(|r| r.value == b(b"")));
    assert_eq!(second.next_offset(), 3);

    let fourth = &batches[3];
    assert_eq!(fourth.records[0].value, b(b"hdr"));
    assert_eq!(
        fourth.records[0].headers,
        vec![RecordHeader::new("hkey", b(b"hval"))]
    );
    assert_eq!(fourth.records[0].headers[0].key_str(), Ok("hkey"));
}

/// Our encoder writes, byte for byte, the first batch of that capture.
#[test]
fn builder_reproduces_the_broker_capture() {
    let capture = fixture("broker-capture-v2.bin");
    let mut builder = RecordBatchBuilder::new(Compression::None);
    builder.partition_leader_epoch(1);
    builder
        .append(1_503_229_838_908, None, Some(b"123"), &[])
        .unwrap();
    assert_eq!(builder.finish().unwrap(), capture.slice(..71));
}

/// v1 and v0 messages from Kafka 0.10/0.11 brokers.
#[test]
fn broker_capture_legacy() {
    let v1 = decode_batches(fixture("broker-capture-v1.bin")).unwrap();
    assert_eq!(v1.batches.len(), 4);
    assert_eq!(v1.batches[0].crc, 1_199_974_594);
    let r = &v1.batches[0].records[0];
    assert_eq!(
        (r.offset, r.timestamp, r.value.clone()),
        (0, 1_503_648_000_942, b(b"123"))
    );
    assert_eq!(v1.batches[3].records[0].offset, 3);

    let v0 = decode_batches(fixture("broker-capture-v0.bin")).unwrap();
    assert_eq!(v0.batches.len(), 4);
    assert_eq!(v0.batches[0].crc, (-22_012_481i32) as u32);
    assert_eq!(v0.batches[0].timestamp_type, TimestampType::NoTimestampType);
    let r = &v0.batches[0].records[0];
    assert_eq!(
        (r.offset, r.timestamp, r.key.clone(), r.value.clone()),
        (0, -1, None, b(b"123"))
    );
}

/// A broker-style partial tail: the same bytes plus four zero bytes (a cut-off offset).
#[test]
fn broker_capture_with_partial_tail() {
    for name in [
        "broker-capture-v2.bin",
        "broker-capture-v1.bin",
        "broker-capture-v0.bin",
    ] {
        let full = fixture(name);
        let mut with_tail = full.to_vec();
        with_tail.extend_from_slice(&[0, 0, 0, 0]);
        let decoded = decode_batches(Bytes::from(with_tail)).unwrap();
        assert_eq!(decoded.batches.len(), 4, "{name}");
        let tail = decoded.truncated.expect(name);
        assert_eq!((tail.position, tail.available), (full.len(), 4));
        assert_eq!((tail.declared_size, tail.base_offset), (None, None));
    }
}

/// The records every kafka-python fixture holds (see gen_kafka_python_fixtures.py).
fn check_kafka_python_records(name: &str, magic: i8) {
    let decoded = decode_batches(fixture(name)).unwrap();
    assert!(decoded.truncated.is_none(), "{name}");
    assert_eq!(decoded.batches.len(), 1, "{name}");
    let batch = &decoded.batches[0];
    assert_eq!(batch.magic, magic, "{name}");
    let ts = 1_600_000_000_000i64;
    let values = [
        b(b"value-0 value-0 value-0 value-0 value-0 value-0 value-0 value-0 value-0 value-0 "),
        b(b""),
        None,
    ];
    let keys = [b(b"key-0"), None, b(b"key-2")];
    assert_eq!(batch.records.len(), 3, "{name}");
    for (i, r) in batch.records.iter().enumerate() {
        assert_eq!(r.key, keys[i], "{name} key {i}");
        assert_eq!(r.value, values[i], "{name} value {i}");
        let expected_offset = if magic == 2 { i as i64 } else { 100 + i as i64 };
        assert_eq!(r.offset, expected_offset, "{name} offset {i}");
        let expected_ts = if magic == 0 { -1 } else { ts + i as i64 };
        assert_eq!(r.timestamp, expected_ts, "{name} timestamp {i}");
    }
    if magic == 2 {
        assert_eq!(
            batch.records[0].headers,
            vec![RecordHeader::new("h1", b(b"v1"))]
        );
        assert_eq!(
            batch.records[2].headers,
            vec![
                RecordHeader::new("h2", b(b"")),
                RecordHeader::new("h3", b(b"\x00\xff"))
            ]
        );
        assert_eq!(
            (batch.producer_id, batch.producer_epoch, batch.base_sequence),
            (123_456, 7, 42)
        );
        assert!(batch.is_transactional);
        assert_eq!(batch.last_sequence(), 44);
    }
}

#[test]
fn kafka_python_v2_every_codec() {
    for (codec, c) in [
        ("gzip", Compression::Gzip),
        ("snappy", Compression::Snappy),
        ("lz4", Compression::Lz4),
        ("zstd", Compression::Zstd),
    ] {
        let name = format!("kafka-python-v2-{codec}.bin");
        check_kafka_python_records(&name, 2);
        assert_eq!(
            decode_batches(fixture(&name)).unwrap().batches[0].compression,
            c
        );
    }
}

#[test]
fn kafka_python_legacy_compressed_wrappers() {
    // v1: relative inner offsets under a wrapper at the last offset (102).
    // v0: absolute inner offsets; its LZ4 frame carries the KAFKA-3160 header checksum.
    for magic in [0, 1] {
        for codec in ["gzip", "snappy", "lz4"] {
            check_kafka_python_records(&format!("kafka-python-v{magic}-{codec}.bin"), magic);
        }
    }
}

/// A COMMIT marker batch, bytes written out field by field (CRC computed independently with
/// the Python `crc32c` package).
#[test]
fn golden_control_batch() {
    let expected: &[u8] = &[
        0, 0, 0, 0, 0, 0, 0, 5, // baseOffset 5
        0, 0, 0, 0x42, // batchLength 66
        0, 0, 0, 3, // partitionLeaderEpoch 3
        2, // magic
        0xdb, 0xc3, 0xb9, 0xad, // crc
        0x00, 0x30, // attributes: control | transactional
        0, 0, 0, 0, // lastOffsetDelta
        0, 0, 0, 0, 0, 0, 0x03, 0xe8, // baseTimestamp 1000
        0, 0, 0, 0, 0, 0, 0x03, 0xe8, // maxTimestamp 1000
        0, 0, 0, 0, 0, 0, 0, 0x2a, // producerId 42
        0, 3, // producerEpoch 3
        0xff, 0xff, 0xff, 0xff, // baseSequence -1
        0, 0, 0, 1,    // records count
        0x20, // record length 16 (zig-zag)
        0,    // attributes
        0,    // timestampDelta 0
        0,    // offsetDelta 0
        0x08, 0, 0, 0, 1, // key: 4 bytes, version 0, type 1 (COMMIT)
        0x0c, 0, 0, 0, 0, 0, 7, // value: 6 bytes, version 0, coordinatorEpoch 7
        0, // no headers
    ];
    let mut builder = RecordBatchBuilder::new(Compression::None);
    builder
        .base_offset(5)
        .partition_leader_epoch(3)
        .control(true)
        .transactional(true)
        .producer_state(42, 3, -1);
    builder
        .append_control(1000, &ControlRecord::commit(7))
        .unwrap();
    assert_eq!(&builder.finish().unwrap()[..], expected);

    let batch = decode_batches(Bytes::from_static(expected))
        .unwrap()
        .batches
        .remove(0);
    assert!(batch.is_control && batch.is_transactional);
    let control = ControlRecord::parse(&batch.records[0]).unwrap();
    assert_eq!(
        (control.version, control.kind),
        (0, ControlRecordType::Commit)
    );
    let marker = control.end_transaction_marker().unwrap().unwrap();
    assert_eq!((marker.version, marker.coordinator_epoch), (0, 7));
}

#[test]
fn crc_mismatch_is_reported_with_both_values() {
    let mut bytes = fixture("broker-capture-v2.bin").to_vec();
    bytes[70] ^= 0x01; // last byte of the first batch
    match decode_batches(Bytes::from(bytes.clone())) {
        Err(RecordsError::CrcMismatch {
            expected,
            actual,
            base_offset,
        }) => {
            assert_eq!(expected, 0x0318_a270);
            assert_ne!(actual, expected);
            assert_eq!(base_offset, 0);
        }
        other => panic!("{other:?}"),
    }
    // The decoder yields the error, then stops.
    let mut decoder = BatchDecoder::new(Bytes::from(bytes));
    assert!(decoder.next().unwrap().is_err());
    assert!(decoder.next().is_none());
}

/// Writes one batch per codec into `$RECORDS_DUMP_DIR`, for an independent decoder to check
/// (`tests/fixtures/records/check_with_kafka_python.py`; see the README there). Not part of
/// the normal run: `RECORDS_DUMP_DIR=/tmp/x cargo test -p kafkito-protocol --test
/// records_golden -- --ignored`.
#[test]
#[ignore = "writes files for an external decoder; see tests/fixtures/records/README.md"]
fn dump_batches_for_external_decoders() {
    let dir = std::env::var("RECORDS_DUMP_DIR").expect("set RECORDS_DUMP_DIR");
    for c in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let mut builder = RecordBatchBuilder::new(c);
        builder.producer_state(99, 3, 17).transactional(true);
        for i in 0..2000i64 {
            let key = format!("k{i}");
            let value = format!("value-{i}-").repeat((i % 50) as usize + 1);
            let headers = [RecordHeader::new(
                format!("h{i}"),
                Some(Bytes::from(format!("hv{i}"))),
            )];
            let key = (i % 3 != 0).then_some(key.as_bytes());
            builder
                .append(1_600_000_000_000 + i, key, Some(value.as_bytes()), &headers)
                .unwrap();
        }
        let path = format!("{dir}/ours-{c}.bin");
        std::fs::write(&path, builder.finish().unwrap()).unwrap();
    }
}
