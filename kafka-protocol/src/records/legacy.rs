//! Legacy message sets, magic v0 and v1 (read only).
//!
//! Brokers still return these for topics written long ago (or with an old
//! `log.message.format.version`). Each entry is a single message:
//!
//! ```text
//! offset: i64, messageSize: i32,
//! crc: u32 (CRC-32 IEEE of magic..end), magic: i8, attributes: i8 (bits 0-2 codec,
//! v1 bit 3 timestamp type), [timestamp: i64, v1 only], key: i32-length bytes,
//! value: i32-length bytes
//! ```
//!
//! A compressed message is a *wrapper*: its value is a whole compressed message set. In v1
//! (KIP-31) the inner offsets are relative (0, 1, 2, …) and the wrapper's offset is the
//! absolute offset of the last inner message; in v0 inner offsets are absolute. A v1 wrapper
//! with `LogAppendTime` gives its timestamp to every inner message.
//!
//! Each shallow message decodes to one [`RecordBatch`], as the Java client models them, so the
//! consumer sees the same shape as for v2.

use bytes::Bytes;

use super::batch::LOG_OVERHEAD;
use super::compression::{self, Compression};
use super::reader::Reader;
use super::{
    DecodeOptions, Record, RecordBatch, RecordsError, TimestampType, NO_PARTITION_LEADER_EPOCH,
    NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, NO_TIMESTAMP,
};

const COMPRESSION_CODEC_MASK: i8 = 0x07;
const TIMESTAMP_TYPE_MASK: i8 = 0x08;
/// crc, magic, attributes, key length, value length.
const RECORD_OVERHEAD_V0: i32 = 14;
/// ... plus the timestamp.
const RECORD_OVERHEAD_V1: i32 = 22;
/// Where the CRC-covered part of an entry starts (after offset, size and the crc itself).
const CRC_COVERED_FROM: usize = LOG_OVERHEAD + 4;

struct Message {
    offset: i64,
    crc: u32,
    magic: i8,
    attributes: i8,
    timestamp: i64,
    key: Option<Bytes>,
    value: Option<Bytes>,
}

/// Parses one complete entry (`offset`, `messageSize` and exactly `messageSize` bytes).
fn parse_message(entry: &Bytes, opts: &DecodeOptions) -> Result<Message, RecordsError> {
    let mut r = Reader::new(entry, 0, entry.len(), "legacy message");
    let offset = r.i64()?;
    let size = r.i32()?;
    let crc = r.u32()?;
    let magic = r.i8()?;
    let min_size = match magic {
        0 => RECORD_OVERHEAD_V0,
        1 => RECORD_OVERHEAD_V1,
        _ => return Err(RecordsError::UnknownMagic { magic }),
    };
    if size < min_size {
        return Err(RecordsError::InvalidLength {
            context: "legacy message size",
            length: size.into(),
        });
    }
    if opts.verify_crc {
        let actual = crc32fast::hash(&entry[CRC_COVERED_FROM..]);
        if actual != crc {
            return Err(RecordsError::CrcMismatch {
                expected: crc,
                actual,
                base_offset: offset,
            });
        }
    }
    let attributes = r.i8()?;
    let timestamp = if magic == 1 { r.i64()? } else { NO_TIMESTAMP };
    let key_len = r.i32()?;
    let key = r.nullable_bytes(key_len.into())?;
    let value_len = r.i32()?;
    let value = r.nullable_bytes(value_len.into())?;
    // Bytes after the value are covered by the CRC and ignored, as the Java client does.
    Ok(Message {
        offset,
        crc,
        magic,
        attributes,
        timestamp,
        key,
        value,
    })
}

fn timestamp_type(magic: i8, attributes: i8) -> TimestampType {
    match (magic, attributes & TIMESTAMP_TYPE_MASK) {
        (0, _) => TimestampType::NoTimestampType,
        (_, 0) => TimestampType::CreateTime,
        _ => TimestampType::LogAppendTime,
    }
}

/// Decodes one complete shallow entry of a v0/v1 message set.
pub(crate) fn decode_message(
    entry: Bytes,
    opts: &DecodeOptions,
) -> Result<RecordBatch, RecordsError> {
    let size_in_bytes = entry.len();
    let wrapper = parse_message(&entry, opts)?;
    let compression = Compression::from_id((wrapper.attributes & COMPRESSION_CODEC_MASK) as u8)?;
    let ts_type = timestamp_type(wrapper.magic, wrapper.attributes);

    let mut batch = RecordBatch {
        base_offset: wrapper.offset,
        partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
        magic: wrapper.magic,
        crc: wrapper.crc,
        attributes: i16::from(wrapper.attributes as u8),
        compression,
        timestamp_type: ts_type,
        is_transactional: false,
        is_control: false,
        has_delete_horizon: false,
        last_offset_delta: 0,
        base_timestamp: wrapper.timestamp,
        max_timestamp: wrapper.timestamp,
        producer_id: NO_PRODUCER_ID,
        producer_epoch: NO_PRODUCER_EPOCH,
        base_sequence: NO_SEQUENCE,
        size_in_bytes,
        records: Vec::new(),
    };

    if compression == Compression::None {
        batch.records.push(Record {
            offset: wrapper.offset,
            timestamp: wrapper.timestamp,
            key: wrapper.key,
            value: wrapper.value,
            headers: Vec::new(),
        });
        return Ok(batch);
    }

    if compression == Compression::Zstd {
        return Err(RecordsError::InvalidRecord {
            reason: "zstd compression in a v0/v1 message",
        });
    }
    let value = wrapper.value.as_ref().ok_or(RecordsError::InvalidRecord {
        reason: "compressed v0/v1 message with a null value",
    })?;
    let inner = Bytes::from(compression::decompress(
        compression,
        value,
        opts.max_decompressed_bytes,
        wrapper.magic,
    )?);

    let mut records = Vec::new();
    let mut pos = 0;
    while inner.len() - pos >= LOG_OVERHEAD {
        let b = &inner[pos + 8..pos + 12];
        let size = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        if size < RECORD_OVERHEAD_V0 {
            return Err(RecordsError::InvalidLength {
                context: "inner legacy message size",
                length: size.into(),
            });
        }
        let end = pos + LOG_OVERHEAD + size as usize;
        if end > inner.len() {
            // A partial inner message: the Java client stops here without an error.
            break;
        }
        let msg = parse_message(&inner.slice(pos..end), opts)?;
        pos = end;
        if msg.attributes & COMPRESSION_CODEC_MASK != 0 {
            return Err(RecordsError::InvalidRecord {
                reason: "compressed message nested in a compressed message",
            });
        }
        let timestamp = match (msg.magic, ts_type) {
            (0, _) => NO_TIMESTAMP,
            (_, TimestampType::LogAppendTime) => wrapper.timestamp,
            _ => msg.timestamp,
        };
        records.push(Record {
            offset: msg.offset,
            timestamp,
            key: msg.key,
            value: msg.value,
            headers: Vec::new(),
        });
    }
    let Some(last_inner_offset) = records.last().map(|r| r.offset) else {
        return Err(RecordsError::InvalidRecord {
            reason: "compressed v0/v1 message with no inner messages",
        });
    };

    if wrapper.magic == 1 {
        // Relative inner offsets. Some librdkafka versions wrote 0 as the wrapper offset in
        // produce requests; the Java client then takes the inner offsets as they are.
        let absolute_base = if wrapper.offset == 0 {
            0
        } else {
            if wrapper.offset < last_inner_offset {
                return Err(RecordsError::InvalidRecord {
                    reason: "v1 wrapper offset is less than its last inner offset",
                });
            }
            wrapper.offset.wrapping_sub(last_inner_offset)
        };
        for r in &mut records {
            r.offset = absolute_base.wrapping_add(r.offset);
        }
    }
    let (first_offset, last_offset) = (records[0].offset, records[records.len() - 1].offset);
    batch.base_offset = first_offset;
    batch.last_offset_delta = last_offset.wrapping_sub(first_offset) as i32;
    batch.base_timestamp = records[0].timestamp;
    batch.records = records;
    Ok(batch)
}

/// Test support: writes one legacy entry, as a v0/v1 producer would.
#[cfg(test)]
pub(crate) fn encode_message(
    out: &mut Vec<u8>,
    offset: i64,
    magic: i8,
    attributes: i8,
    timestamp: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
) {
    let mut body = vec![magic as u8, attributes as u8];
    if magic == 1 {
        body.extend_from_slice(&timestamp.to_be_bytes());
    }
    for field in [key, value] {
        match field {
            None => body.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(b) => {
                body.extend_from_slice(&(b.len() as i32).to_be_bytes());
                body.extend_from_slice(b);
            }
        }
    }
    out.extend_from_slice(&offset.to_be_bytes());
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    out.extend_from_slice(&body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{decode_batches, BatchDecoder};
    use bytes::BytesMut;

    /// A compressed wrapper around `inner` (an encoded inner message set).
    fn wrapper(
        offset: i64,
        magic: i8,
        codec: Compression,
        ts_type_bit: i8,
        ts: i64,
        inner: &[u8],
    ) -> Vec<u8> {
        let mut compressed = BytesMut::new();
        compression::compress(codec, None, inner, &mut compressed).unwrap();
        if codec == Compression::Lz4 && magic == 0 {
            // Pre-0.10 clients computed the LZ4 header checksum over the magic too.
            compressed[6] = (super::super::compression::test_xxh32(&compressed[..6]) >> 8) as u8;
        }
        let mut out = Vec::new();
        encode_message(
            &mut out,
            offset,
            magic,
            codec.id() as i8 | ts_type_bit,
            ts,
            None,
            Some(&compressed),
        );
        out
    }

    #[test]
    fn uncompressed_v0_and_v1() {
        let mut input = Vec::new();
        encode_message(&mut input, 5, 0, 0, 0, Some(b"k"), Some(b"v0"));
        encode_message(&mut input, 6, 1, 0, 1234, None, None);
        encode_message(&mut input, 7, 1, TIMESTAMP_TYPE_MASK, 999, None, Some(b""));
        let decoded = decode_batches(Bytes::from(input)).unwrap();
        assert_eq!(decoded.batches.len(), 3);
        let [a, b, c] = &decoded.batches[..] else {
            panic!()
        };
        assert_eq!(
            (a.magic, a.timestamp_type, a.records[0].timestamp),
            (0, TimestampType::NoTimestampType, -1)
        );
        assert_eq!(a.records[0].key.as_deref(), Some(&b"k"[..]));
        assert_eq!(
            (b.magic, b.records[0].offset, b.records[0].timestamp),
            (1, 6, 1234)
        );
        assert_eq!(
            (b.records[0].key.clone(), b.records[0].value.clone()),
            (None, None)
        );
        assert_eq!(c.timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(c.records[0].value.as_deref(), Some(&b""[..]));
        assert_eq!(c.producer_id, -1);
    }

    #[test]
    fn compressed_v1_wrapper_with_relative_offsets() {
        for codec in [Compression::Gzip, Compression::Snappy, Compression::Lz4] {
            let mut inner = Vec::new();
            for i in 0..3 {
                encode_message(
                    &mut inner,
                    i,
                    1,
                    0,
                    100 + i,
                    None,
                    Some(format!("m{i}").as_bytes()),
                );
            }
            // The wrapper carries the absolute offset of the last inner message.
            let input = wrapper(52, 1, codec, 0, 102, &inner);
            let batch = decode_batches(Bytes::from(input))
                .unwrap()
                .batches
                .remove(0);
            let offsets: Vec<i64> = batch.records.iter().map(|r| r.offset).collect();
            assert_eq!(offsets, [50, 51, 52], "{codec}");
            assert_eq!(
                (batch.base_offset, batch.last_offset(), batch.next_offset()),
                (50, 52, 53)
            );
            let ts: Vec<i64> = batch.records.iter().map(|r| r.timestamp).collect();
            assert_eq!(ts, [100, 101, 102]);
            assert_eq!(batch.compression, codec);
            assert_eq!(batch.records[2].value.as_deref(), Some(&b"m2"[..]));
        }
    }

    #[test]
    fn v1_log_append_time_wrapper_stamps_inner_messages() {
        let mut inner = Vec::new();
        encode_message(&mut inner, 0, 1, 0, 1, None, Some(b"a"));
        encode_message(&mut inner, 1, 1, 0, 2, None, Some(b"b"));
        let input = wrapper(11, 1, Compression::Gzip, TIMESTAMP_TYPE_MASK, 777, &inner);
        let batch = decode_batches(Bytes::from(input))
            .unwrap()
            .batches
            .remove(0);
        assert!(batch.records.iter().all(|r| r.timestamp == 777));
        assert_eq!(batch.max_timestamp, 777);
    }

    #[test]
    fn v1_wrapper_offset_zero_as_some_librdkafka_wrote_it() {
        let mut inner = Vec::new();
        encode_message(&mut inner, 0, 1, 0, 1, None, Some(b"a"));
        encode_message(&mut inner, 1, 1, 0, 2, None, Some(b"b"));
        let input = wrapper(0, 1, Compression::Snappy, 0, 2, &inner);
        let batch = decode_batches(Bytes::from(input))
            .unwrap()
            .batches
            .remove(0);
        assert_eq!(batch.records[1].offset, 1);
    }

    #[test]
    fn compressed_v0_wrapper_with_absolute_offsets_and_broken_lz4_checksum() {
        for codec in [Compression::Gzip, Compression::Snappy, Compression::Lz4] {
            let mut inner = Vec::new();
            encode_message(&mut inner, 20, 0, 0, 0, Some(b"k"), Some(b"x"));
            encode_message(&mut inner, 21, 0, 0, 0, None, Some(b"y"));
            let input = wrapper(21, 0, codec, 0, 0, &inner);
            let batch = decode_batches(Bytes::from(input))
                .unwrap()
                .batches
                .remove(0);
            let offsets: Vec<i64> = batch.records.iter().map(|r| r.offset).collect();
            assert_eq!(offsets, [20, 21], "{codec}");
            assert!(batch.records.iter().all(|r| r.timestamp == -1));
        }
    }

    #[test]
    fn corrupt_legacy_messages_are_errors() {
        let mut input = Vec::new();
        encode_message(&mut input, 0, 1, 0, 5, None, Some(b"hello"));
        let mut bad_crc = input.clone();
        let n = bad_crc.len();
        bad_crc[n - 1] ^= 0x20;
        assert!(matches!(
            decode_batches(Bytes::from(bad_crc)),
            Err(RecordsError::CrcMismatch { base_offset: 0, .. })
        ));

        // Nested compression.
        let mut innermost = Vec::new();
        encode_message(&mut innermost, 0, 1, 0, 1, None, Some(b"a"));
        let nested = wrapper(0, 1, Compression::Gzip, 0, 1, &innermost);
        let outer = wrapper(0, 1, Compression::Gzip, 0, 1, &nested);
        assert!(matches!(
            decode_batches(Bytes::from(outer)),
            Err(RecordsError::InvalidRecord { .. })
        ));

        // zstd is not a legacy codec; an empty wrapper is invalid.
        let zstd = wrapper(0, 1, Compression::Zstd, 0, 1, &innermost);
        assert!(decode_batches(Bytes::from(zstd)).is_err());
        let empty = wrapper(0, 1, Compression::Gzip, 0, 1, &[]);
        assert!(decode_batches(Bytes::from(empty)).is_err());

        // A v1 wrapper whose offset is below its last inner relative offset.
        let mut inner = Vec::new();
        for i in 0..5 {
            encode_message(&mut inner, i, 1, 0, 1, None, None);
        }
        let bad = wrapper(3, 1, Compression::Gzip, 0, 1, &inner);
        assert!(decode_batches(Bytes::from(bad)).is_err());
    }

    #[test]
    fn mixed_magic_in_one_input() {
        let mut input = Vec::new();
        encode_message(&mut input, 0, 0, 0, 0, None, Some(b"v0"));
        encode_message(&mut input, 1, 1, 0, 10, None, Some(b"v1"));
        let mut b = crate::records::RecordBatchBuilder::new(Compression::Lz4);
        b.base_offset(2);
        b.append(20, None, Some(b"v2"), &[]).unwrap();
        input.extend_from_slice(&b.finish().unwrap());
        let values: Vec<(i8, i64, Bytes)> = BatchDecoder::new(Bytes::from(input))
            .map(|b| b.unwrap())
            .flat_map(|b| {
                let magic = b.magic;
                b.records
                    .into_iter()
                    .map(move |r| (magic, r.offset, r.value.unwrap()))
            })
            .collect();
        assert_eq!(
            values,
            [
                (0, 0, Bytes::from_static(b"v0")),
                (1, 1, Bytes::from_static(b"v1")),
                (2, 2, Bytes::from_static(b"v2")),
            ]
        );
    }
}
