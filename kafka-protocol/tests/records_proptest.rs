//! Property tests for `kafkito_protocol::records`: every batch we write decodes to what was
//! appended, for every codec and attribute; and no input, however mangled, makes the decoder
//! panic or over-allocate.

use bytes::{Bytes, BytesMut};
use kafkito_protocol::records::{
    decode_batches, decode_batches_with, BatchDecoder, Compression, DecodeOptions,
    RecordBatchBuilder, RecordHeader, RecordsError, TimestampType,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct InputRecord {
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<RecordHeader>,
}

#[derive(Debug, Clone)]
struct InputBatch {
    compression: Compression,
    base_offset: i64,
    partition_leader_epoch: i32,
    producer: (i64, i16, i32),
    transactional: bool,
    control: bool,
    log_append_time: Option<i64>,
    delete_horizon: Option<i64>,
    records: Vec<InputRecord>,
}

fn arb_compression() -> impl Strategy<Value = Compression> {
    prop_oneof![
        Just(Compression::None),
        Just(Compression::Gzip),
        Just(Compression::Snappy),
        Just(Compression::Lz4),
        Just(Compression::Zstd),
    ]
}

/// Random bytes, or long runs from a tiny alphabet that the codecs really compress.
fn arb_payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![vec(any::<u8>(), 0..200), vec(0u8..3, 0..3000)]
}

fn arb_header() -> impl Strategy<Value = RecordHeader> {
    (vec(any::<u8>(), 0..12), option::of(vec(any::<u8>(), 0..24)))
        .prop_map(|(k, v)| RecordHeader::new(k, v))
}

fn arb_record() -> impl Strategy<Value = InputRecord> {
    (
        prop_oneof![any::<i64>(), 1_600_000_000_000i64..1_600_000_100_000],
        option::of(vec(any::<u8>(), 0..32)),
        option::of(arb_payload()),
        vec(arb_header(), 0..4),
    )
        .prop_map(|(timestamp, key, value, headers)| InputRecord {
            timestamp,
            key,
            value,
            headers,
        })
}

fn arb_batch() -> impl Strategy<Value = InputBatch> {
    (
        arb_compression(),
        any::<i64>(),
        any::<i32>(),
        (any::<i64>(), any::<i16>(), any::<i32>()),
        any::<bool>(),
        any::<bool>(),
        option::of(any::<i64>()),
        option::of(any::<i64>()),
        vec(arb_record(), 1..20),
    )
        .prop_map(
            |(
                compression,
                base_offset,
                partition_leader_epoch,
                producer,
                transactional,
                control,
                log_append_time,
                delete_horizon,
                records,
            )| InputBatch {
                compression,
                base_offset,
                partition_leader_epoch,
                producer,
                transactional,
                control,
                log_append_time,
                delete_horizon,
                records,
            },
        )
}

fn build(input: &InputBatch) -> Bytes {
    let mut b = RecordBatchBuilder::new(input.compression);
    b.base_offset(input.base_offset)
        .partition_leader_epoch(input.partition_leader_epoch)
        .producer_state(input.producer.0, input.producer.1, input.producer.2)
        .transactional(input.transactional)
        .control(input.control);
    if let Some(t) = input.log_append_time {
        b.log_append_time(t);
    }
    if let Some(h) = input.delete_horizon {
        b.delete_horizon_ms(h).unwrap();
    }
    for (i, r) in input.records.iter().enumerate() {
        let delta = b
            .append(
                r.timestamp,
                r.key.as_deref(),
                r.value.as_deref(),
                &r.headers,
            )
            .unwrap();
        assert_eq!(delta, i as i32);
    }
    b.finish().unwrap()
}

fn check_decoded(input: &InputBatch, batch: &kafkito_protocol::records::RecordBatch, size: usize) {
    assert_eq!(batch.magic, 2);
    assert_eq!(batch.size_in_bytes, size);
    assert_eq!(batch.compression, input.compression);
    assert_eq!(batch.base_offset, input.base_offset);
    assert_eq!(batch.partition_leader_epoch, input.partition_leader_epoch);
    assert_eq!(
        (batch.producer_id, batch.producer_epoch, batch.base_sequence),
        input.producer
    );
    assert_eq!(batch.is_transactional, input.transactional);
    assert_eq!(batch.is_control, input.control);
    assert_eq!(batch.last_offset_delta as usize, input.records.len() - 1);
    let expected_type = if input.log_append_time.is_some() {
        TimestampType::LogAppendTime
    } else {
        TimestampType::CreateTime
    };
    assert_eq!(batch.timestamp_type, expected_type);
    assert_eq!(batch.delete_horizon_ms(), input.delete_horizon);
    let max_ts = input.records.iter().map(|r| r.timestamp).max().unwrap();
    assert_eq!(batch.max_timestamp, input.log_append_time.unwrap_or(max_ts));
    assert_eq!(
        batch.base_timestamp,
        input.delete_horizon.unwrap_or(input.records[0].timestamp)
    );
    assert_eq!(batch.records.len(), input.records.len());
    for (i, (got, want)) in batch.records.iter().zip(&input.records).enumerate() {
        assert_eq!(got.offset, input.base_offset.wrapping_add(i as i64));
        assert_eq!(
            got.timestamp,
            input.log_append_time.unwrap_or(want.timestamp)
        );
        assert_eq!(got.key.as_deref(), want.key.as_deref());
        assert_eq!(got.value.as_deref(), want.value.as_deref());
        assert_eq!(got.headers, want.headers);
    }
}

/// Decoding must not panic; an error is fine. Exercise both CRC settings: without the CRC
/// check, mutations reach the record parser and the decompressors.
fn decode_never_panics(bytes: Bytes) {
    for verify_crc in [true, false] {
        let opts = DecodeOptions::default()
            .verify_crc(verify_crc)
            .max_decompressed_bytes(1 << 20);
        let _ = decode_batches_with(bytes.clone(), &opts);
        let decoder = BatchDecoder::with_options(bytes.clone(), opts);
        // The decoder stops after an error, so flatten() sees every batch it produced.
        for batch in decoder.flatten() {
            // Touch everything the consumer would.
            for r in &batch.records {
                let _ = (r.offset, r.timestamp, r.key.as_deref(), r.value.as_deref());
                for h in &r.headers {
                    let _ = h.key_str();
                }
            }
            let _ = (batch.next_offset(), batch.last_sequence());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn roundtrip_every_codec_and_attribute(input in arb_batch()) {
        let bytes = build(&input);
        let decoded = decode_batches(bytes.clone()).unwrap();
        prop_assert!(decoded.truncated.is_none());
        prop_assert_eq!(decoded.batches.len(), 1);
        check_decoded(&input, &decoded.batches[0], bytes.len());
    }

    #[test]
    fn concatenated_batches_and_every_truncation(inputs in vec(arb_batch(), 1..4)) {
        let built: Vec<Bytes> = inputs.iter().map(build).collect();
        let mut all = BytesMut::new();
        for b in &built {
            all.extend_from_slice(b);
        }
        let all = all.freeze();
        let decoded = decode_batches(all.clone()).unwrap();
        prop_assert!(decoded.truncated.is_none());
        for ((input, batch), bytes) in inputs.iter().zip(&decoded.batches).zip(&built) {
            check_decoded(input, batch, bytes.len());
        }

        // Cut the input anywhere: every batch wholly before the cut decodes, the rest is
        // reported as a partial tail, nothing errors.
        let mut boundaries = vec![0usize];
        for b in &built {
            boundaries.push(boundaries.last().unwrap() + b.len());
        }
        let step = (all.len() / 40).max(1);
        for cut in (0..all.len()).step_by(step).chain(boundaries.iter().copied()) {
            let part = decode_batches(all.slice(..cut)).unwrap();
            let complete = boundaries.iter().filter(|&&b| b > 0 && b <= cut).count();
            prop_assert_eq!(part.batches.len(), complete);
            let at_boundary = boundaries.contains(&cut);
            prop_assert_eq!(part.truncated.is_none(), at_boundary);
            if let Some(t) = part.truncated {
                prop_assert_eq!(t.position, boundaries[complete]);
                prop_assert_eq!(t.available, cut - t.position);
                if let Some(size) = t.declared_size {
                    prop_assert_eq!(size, built[complete].len());
                }
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        decode_never_panics(Bytes::from(bytes));
    }

    #[test]
    fn arbitrary_payload_behind_a_plausible_header_never_panics(
        base_offset in any::<i64>(),
        magic in 0i8..=2,
        attributes in any::<u16>(),
        count in prop_oneof![any::<i32>(), 0i32..50],
        body in vec(any::<u8>(), 0..400),
    ) {
        // A frame whose length, magic and record count are consistent, with random content,
        // so that decoding gets past the framing into records and codecs.
        let mut v = Vec::new();
        v.extend_from_slice(&base_offset.to_be_bytes());
        let len = if magic == 2 { 49 + body.len() } else { 2 + body.len() + 4 };
        v.extend_from_slice(&(len as i32).to_be_bytes());
        if magic == 2 {
            v.extend_from_slice(&[0, 0, 0, 0, 2, 0, 0, 0, 0]);
            v.extend_from_slice(&attributes.to_be_bytes());
            v.extend_from_slice(&[0u8; 40]);
            v.extend_from_slice(&count.to_be_bytes());
        } else {
            v.extend_from_slice(&[0, 0, 0, 0, magic as u8, attributes as u8]);
        }
        v.extend_from_slice(&body);
        decode_never_panics(Bytes::from(v));
    }

    #[test]
    fn mutated_batches_never_panic(
        input in arb_batch(),
        mutations in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = build(&input).to_vec();
        for (at, byte) in mutations {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        decode_never_panics(Bytes::from(bytes));
    }
}

#[test]
fn flipped_payload_bits_are_caught_by_the_crc() {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(1, Some(b"key"), Some(b"value"), &[]).unwrap();
    let bytes = b.finish().unwrap();
    // Every byte the CRC covers: attributes onwards.
    for i in 21..bytes.len() {
        let mut corrupt = bytes.to_vec();
        corrupt[i] ^= 0x04;
        assert!(
            matches!(
                decode_batches(Bytes::from(corrupt)),
                Err(RecordsError::CrcMismatch { .. })
            ),
            "byte {i}"
        );
    }
}

#[test]
fn a_huge_declared_record_count_does_not_allocate() {
    // recordsCount = i32::MAX over an 8-byte payload: must fail fast, not reserve 2^31 slots.
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(1, None, None, &[]).unwrap();
    let mut bytes = b.finish().unwrap().to_vec();
    bytes[57..61].copy_from_slice(&i32::MAX.to_be_bytes());
    let opts = DecodeOptions::default().verify_crc(false);
    assert!(matches!(
        decode_batches_with(Bytes::from(bytes), &opts),
        Err(RecordsError::RecordCountMismatch {
            declared: i32::MAX,
            actual: 1
        })
    ));
}

#[test]
fn a_compression_bomb_is_refused() {
    // 64 MiB of zeros, compressed by each codec to a few hundred KiB at most.
    let zeros = vec![0u8; 64 << 20];
    for c in [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let mut b = RecordBatchBuilder::new(c);
        b.append(0, None, Some(&zeros), &[]).unwrap();
        let bytes = b.finish().unwrap();
        assert!(bytes.len() < 4 << 20, "{c}: {}", bytes.len());
        let opts = DecodeOptions::default().max_decompressed_bytes(1 << 20);
        assert_eq!(
            decode_batches_with(bytes.clone(), &opts),
            Err(RecordsError::DecompressedTooLarge {
                codec: c,
                limit: 1 << 20
            }),
            "{c}"
        );
        // With the default limit the same batch is fine.
        let decoded = decode_batches(bytes).unwrap();
        assert_eq!(
            decoded.batches[0].records[0].value.as_ref().unwrap().len(),
            64 << 20
        );
    }
}

#[test]
fn uncompressed_fields_are_slices_of_the_input() {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(
        1,
        Some(b"key"),
        Some(b"value"),
        &[RecordHeader::new("h", Some(Bytes::from_static(b"hv")))],
    )
    .unwrap();
    let input = b.finish().unwrap();
    let range = input.as_ptr() as usize..input.as_ptr() as usize + input.len();
    let batch = decode_batches(input.clone()).unwrap().batches.remove(0);
    let r = &batch.records[0];
    for field in [
        r.key.as_ref().unwrap(),
        r.value.as_ref().unwrap(),
        &r.headers[0].key,
        r.headers[0].value.as_ref().unwrap(),
    ] {
        assert!(
            range.contains(&(field.as_ptr() as usize)),
            "{field:?} was copied"
        );
    }
}
