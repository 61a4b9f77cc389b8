//! The magic-v2 record batch (KIP-98): its fixed header, its attributes, and decoding one
//! complete batch into a [`RecordBatch`].
//!
//! ```text
//! offset  size  field
//!      0     8  baseOffset
//!      8     4  batchLength            (bytes after this field)
//!     12     4  partitionLeaderEpoch   (not covered by the CRC: the leader stamps it)
//!     16     1  magic = 2
//!     17     4  crc                    (CRC-32C of bytes 21..end)
//!     21     2  attributes
//!     23     4  lastOffsetDelta
//!     27     8  baseTimestamp
//!     35     8  maxTimestamp
//!     43     8  producerId
//!     51     2  producerEpoch
//!     53     4  baseSequence
//!     57     4  recordsCount           (outside the compressed part)
//!     61     …  records, compressed as a whole when the codec is not `none`
//! ```

use bytes::Bytes;

use super::compression::{self, Compression};
use super::reader::Reader;
use super::{DecodeOptions, Record, RecordHeader, RecordsError, TimestampType};

/// Bytes of a v2 batch before its first record (the fixed header, through `recordsCount`).
pub const RECORD_BATCH_OVERHEAD: usize = 61;

/// `baseOffset` + `batchLength`: the part of every batch, of every magic, that precedes the
/// part its length field counts.
pub(crate) const LOG_OVERHEAD: usize = 12;

pub(crate) const LENGTH_OFFSET: usize = 8;
pub(crate) const PARTITION_LEADER_EPOCH_OFFSET: usize = 12;
/// The magic byte sits at the same place in v0, v1 and v2 (after offset, length and a
/// 4-byte field: the leader epoch in v2, the CRC in v0/v1), so it can be read before the
/// format is known.
pub(crate) const MAGIC_OFFSET: usize = 16;
pub(crate) const CRC_OFFSET: usize = 17;
pub(crate) const ATTRIBUTES_OFFSET: usize = 21;
pub(crate) const PRODUCER_ID_OFFSET: usize = 43;

pub(crate) const COMPRESSION_CODEC_MASK: i16 = 0x07;
pub(crate) const TIMESTAMP_TYPE_MASK: i16 = 0x08;
pub(crate) const TRANSACTIONAL_FLAG_MASK: i16 = 0x10;
pub(crate) const CONTROL_FLAG_MASK: i16 = 0x20;
pub(crate) const DELETE_HORIZON_FLAG_MASK: i16 = 0x40;

/// The smallest encoded v2 record: length, attributes, timestampDelta, offsetDelta, null key,
/// null value and header count, one byte each. Used to bound allocations by the input size.
const MIN_RECORD_SIZE: usize = 7;
/// The smallest encoded header: key length 0 and value length -1.
const MIN_HEADER_SIZE: usize = 2;

/// A decoded record batch: the header fields of a magic-v2 batch and its records.
///
/// Legacy v0/v1 message sets decode to the same type so the consumer handles one shape: each
/// shallow message becomes a batch (a compressed wrapper message becomes one batch holding its
/// inner messages), with `producer_id`, `producer_epoch`, `base_sequence` and
/// `partition_leader_epoch` set to -1.
///
/// ```
/// use kafkito_protocol::records::{decode_batches, Compression, RecordBatchBuilder, TimestampType};
///
/// let mut builder = RecordBatchBuilder::new(Compression::Gzip);
/// builder.base_offset(10).producer_state(7, 1, 100).transactional(true);
/// builder.append(1_000, None, Some(b"a"), &[])?;
/// builder.append(1_005, None, Some(b"b"), &[])?;
/// let batch = decode_batches(builder.finish()?)?.batches.remove(0);
///
/// assert_eq!((batch.base_offset, batch.last_offset(), batch.next_offset()), (10, 11, 12));
/// assert_eq!((batch.producer_id, batch.producer_epoch), (7, 1));
/// assert_eq!(batch.last_sequence(), 101);
/// assert!(batch.is_transactional && !batch.is_control);
/// assert_eq!(batch.timestamp_type, TimestampType::CreateTime);
/// assert_eq!(batch.max_timestamp, 1_005);
/// # Ok::<(), kafkito_protocol::records::RecordsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordBatch {
    /// Offset of the first record the batch was written with (compaction may since have
    /// removed that record).
    pub base_offset: i64,
    /// Epoch of the leader that appended the batch; -1 for legacy batches.
    pub partition_leader_epoch: i32,
    /// 0, 1 or 2.
    pub magic: i8,
    /// The stored CRC (CRC-32C for v2, CRC-32 of the outer message for v0/v1).
    pub crc: u32,
    /// The raw attributes (v2: 16 bits; v0/v1: the message's 8 bits).
    pub attributes: i16,
    /// Codec of the batch payload.
    pub compression: Compression,
    /// Meaning of the timestamps.
    pub timestamp_type: TimestampType,
    /// Written by a transactional producer.
    pub is_transactional: bool,
    /// Holds control records (transaction markers) rather than user data.
    pub is_control: bool,
    /// The log cleaner has set the delete horizon; `base_timestamp` then holds it.
    pub has_delete_horizon: bool,
    /// `lastOffset - baseOffset`; survives compaction.
    pub last_offset_delta: i32,
    /// Timestamp the record deltas are relative to: the first record's timestamp, or the
    /// delete horizon when [`has_delete_horizon`](Self::has_delete_horizon), or -1 when empty.
    pub base_timestamp: i64,
    /// Largest record timestamp (CreateTime) or the broker's append time (LogAppendTime).
    pub max_timestamp: i64,
    /// Idempotent/transactional producer id, or -1.
    pub producer_id: i64,
    /// Producer epoch, or -1.
    pub producer_epoch: i16,
    /// Sequence number of the first record, or -1.
    pub base_sequence: i32,
    /// Bytes the batch took in the input, including the 12-byte offset and length prefix.
    pub size_in_bytes: usize,
    /// The records, with absolute offsets and effective timestamps.
    pub records: Vec<Record>,
}

impl RecordBatch {
    /// Offset of the last record the batch was written with.
    pub fn last_offset(&self) -> i64 {
        self.base_offset
            .wrapping_add(i64::from(self.last_offset_delta))
    }

    /// The offset to fetch next after this batch (`last_offset() + 1`), even when compaction
    /// has removed the last records or the batch is empty.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    /// Sequence number of the last record, wrapping past `i32::MAX` to 0 as the broker does;
    /// -1 when the batch has no sequence.
    pub fn last_sequence(&self) -> i32 {
        if self.base_sequence < 0 {
            return super::NO_SEQUENCE;
        }
        increment_sequence(self.base_sequence, self.last_offset_delta)
    }

    /// The delete horizon the log cleaner stamped on the batch, if any (KIP-534).
    pub fn delete_horizon_ms(&self) -> Option<i64> {
        self.has_delete_horizon.then_some(self.base_timestamp)
    }

    /// Whether the payload was compressed.
    pub fn is_compressed(&self) -> bool {
        self.compression != Compression::None
    }
}

/// `sequence + increment`, wrapping from `i32::MAX` to 0 (sequences are never negative).
pub(crate) fn increment_sequence(sequence: i32, increment: i32) -> i32 {
    if increment < 0 {
        return sequence;
    }
    let sum = i64::from(sequence) + i64::from(increment);
    if sum > i64::from(i32::MAX) {
        (sum - i64::from(i32::MAX) - 1) as i32
    } else {
        sum as i32
    }
}

/// The fixed-header fields the builder writes; the same layout the decoder reads.
pub(crate) struct HeaderFields {
    pub base_offset: i64,
    pub partition_leader_epoch: i32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records_count: i32,
}

/// Writes the fixed header into `batch[..61]` and the CRC over `batch[21..]`; `batch` is the
/// complete batch (header placeholder followed by the possibly compressed records).
pub(crate) fn write_header(batch: &mut [u8], h: &HeaderFields) -> Result<(), RecordsError> {
    let batch_length =
        i32::try_from(batch.len() - LOG_OVERHEAD).map_err(|_| RecordsError::TooLarge {
            context: "record batch",
            size: batch.len(),
        })?;
    batch[0..8].copy_from_slice(&h.base_offset.to_be_bytes());
    batch[8..12].copy_from_slice(&batch_length.to_be_bytes());
    batch[12..16].copy_from_slice(&h.partition_leader_epoch.to_be_bytes());
    batch[16] = 2;
    batch[21..23].copy_from_slice(&h.attributes.to_be_bytes());
    batch[23..27].copy_from_slice(&h.last_offset_delta.to_be_bytes());
    batch[27..35].copy_from_slice(&h.base_timestamp.to_be_bytes());
    batch[35..43].copy_from_slice(&h.max_timestamp.to_be_bytes());
    batch[43..51].copy_from_slice(&h.producer_id.to_be_bytes());
    batch[51..53].copy_from_slice(&h.producer_epoch.to_be_bytes());
    batch[53..57].copy_from_slice(&h.base_sequence.to_be_bytes());
    batch[57..61].copy_from_slice(&h.records_count.to_be_bytes());
    update_crc(batch);
    Ok(())
}

/// Recomputes and stores the CRC-32C of a complete v2 batch.
pub(crate) fn update_crc(batch: &mut [u8]) {
    let crc = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..]);
    batch[CRC_OFFSET..ATTRIBUTES_OFFSET].copy_from_slice(&crc.to_be_bytes());
}

/// Decodes one complete magic-v2 batch; `batch` spans exactly `12 + batchLength` bytes.
pub(crate) fn decode_v2(batch: Bytes, opts: &DecodeOptions) -> Result<RecordBatch, RecordsError> {
    let size_in_bytes = batch.len();
    if size_in_bytes < RECORD_BATCH_OVERHEAD {
        return Err(RecordsError::InvalidLength {
            context: "v2 batch length (smaller than the batch header)",
            length: (size_in_bytes - LOG_OVERHEAD) as i64,
        });
    }

    let mut r = Reader::new(&batch, 0, size_in_bytes, "record batch header");
    let base_offset = r.i64()?;
    let _batch_length = r.i32()?;
    let partition_leader_epoch = r.i32()?;
    let magic = r.i8()?;
    let crc = r.u32()?;
    let attributes = r.i16()?;
    let last_offset_delta = r.i32()?;
    let base_timestamp = r.i64()?;
    let max_timestamp = r.i64()?;
    let producer_id = r.i64()?;
    let producer_epoch = r.i16()?;
    let base_sequence = r.i32()?;
    let records_count = r.i32()?;
    debug_assert_eq!(r.position(), RECORD_BATCH_OVERHEAD);

    if opts.verify_crc {
        let actual = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..]);
        if actual != crc {
            return Err(RecordsError::CrcMismatch {
                expected: crc,
                actual,
                base_offset,
            });
        }
    }

    let compression = Compression::from_id((attributes & COMPRESSION_CODEC_MASK) as u8)?;
    let timestamp_type = if attributes & TIMESTAMP_TYPE_MASK == 0 {
        TimestampType::CreateTime
    } else {
        TimestampType::LogAppendTime
    };
    if records_count < 0 {
        return Err(RecordsError::InvalidLength {
            context: "record count",
            length: records_count.into(),
        });
    }

    let mut out = RecordBatch {
        base_offset,
        partition_leader_epoch,
        magic,
        crc,
        attributes,
        compression,
        timestamp_type,
        is_transactional: attributes & TRANSACTIONAL_FLAG_MASK != 0,
        is_control: attributes & CONTROL_FLAG_MASK != 0,
        has_delete_horizon: attributes & DELETE_HORIZON_FLAG_MASK != 0,
        last_offset_delta,
        base_timestamp,
        max_timestamp,
        producer_id,
        producer_epoch,
        base_sequence,
        size_in_bytes,
        records: Vec::new(),
    };

    // Uncompressed records are slices of the input; compressed ones slices of one
    // decompressed buffer that the records then share.
    if records_count == 0 {
        // Compaction can leave empty batches behind to keep producer state; like the Java
        // client, ignore whatever payload they carry.
        return Ok(out);
    }
    let payload = if compression == Compression::None {
        batch.slice(RECORD_BATCH_OVERHEAD..)
    } else {
        let compressed = &batch[RECORD_BATCH_OVERHEAD..];
        Bytes::from(compression::decompress(
            compression,
            compressed,
            opts.max_decompressed_bytes,
            magic,
        )?)
    };

    let log_append_time = (timestamp_type == TimestampType::LogAppendTime).then_some(max_timestamp);
    let count = records_count as usize;
    let mut r = Reader::new(&payload, 0, payload.len(), "record");
    // Never reserve more records than the payload could possibly hold.
    let mut records = Vec::with_capacity(count.min(payload.len() / MIN_RECORD_SIZE));
    for _ in 0..count {
        if r.remaining() == 0 {
            return Err(RecordsError::RecordCountMismatch {
                declared: records_count,
                actual: records.len(),
            });
        }
        records.push(decode_record(
            &mut r,
            base_offset,
            base_timestamp,
            log_append_time,
        )?);
    }
    if r.remaining() != 0 {
        return Err(RecordsError::TrailingBytes {
            context: "the last record of the batch",
            count: r.remaining(),
        });
    }
    out.records = records;
    Ok(out)
}

/// Decodes one v2 record from the front of `r`.
fn decode_record(
    r: &mut Reader<'_>,
    base_offset: i64,
    base_timestamp: i64,
    log_append_time: Option<i64>,
) -> Result<Record, RecordsError> {
    let length = r.varint()?;
    let length = usize::try_from(length).map_err(|_| RecordsError::InvalidLength {
        context: "record length",
        length: length.into(),
    })?;
    // Everything below reads inside the declared record, so a lying inner length cannot
    // reach into the next record.
    let mut rec = r.sub(length, "record")?;
    let _attributes = rec.i8()?;
    let timestamp_delta = rec.varlong()?;
    let offset_delta = rec.varint()?;
    let key_len = rec.varint()?;
    let key = rec.nullable_bytes(key_len.into())?;
    let value_len = rec.varint()?;
    let value = rec.nullable_bytes(value_len.into())?;
    let header_count = rec.varint()?;
    let header_count = usize::try_from(header_count).map_err(|_| RecordsError::InvalidLength {
        context: "record header count",
        length: header_count.into(),
    })?;
    if header_count > rec.remaining() / MIN_HEADER_SIZE {
        return Err(RecordsError::InvalidLength {
            context: "record header count (larger than the record)",
            length: header_count as i64,
        });
    }
    // `Vec::new()` for the usual no headers: `with_capacity(0)` is still a call.
    let mut headers = if header_count == 0 {
        Vec::new()
    } else {
        Vec::with_capacity(header_count)
    };
    for _ in 0..header_count {
        let key_len = rec.varint()?;
        if key_len < 0 {
            return Err(RecordsError::InvalidLength {
                context: "record header key length",
                length: key_len.into(),
            });
        }
        let key = rec.bytes(key_len as usize)?;
        let value_len = rec.varint()?;
        let value = rec.nullable_bytes(value_len.into())?;
        headers.push(RecordHeader { key, value });
    }
    if rec.remaining() != 0 {
        return Err(RecordsError::TrailingBytes {
            context: "the headers of a record",
            count: rec.remaining(),
        });
    }
    Ok(Record {
        offset: base_offset.wrapping_add(offset_delta.into()),
        timestamp: log_append_time.unwrap_or(base_timestamp.wrapping_add(timestamp_delta)),
        key,
        value,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_wraps_like_the_broker() {
        assert_eq!(increment_sequence(5, 3), 8);
        assert_eq!(increment_sequence(i32::MAX, 1), 0);
        assert_eq!(increment_sequence(i32::MAX - 1, 3), 1);
    }

    #[test]
    fn header_layout_offsets_add_up() {
        assert_eq!(LENGTH_OFFSET + 4, PARTITION_LEADER_EPOCH_OFFSET);
        assert_eq!(PARTITION_LEADER_EPOCH_OFFSET + 4, MAGIC_OFFSET);
        assert_eq!(MAGIC_OFFSET + 1, CRC_OFFSET);
        assert_eq!(CRC_OFFSET + 4, ATTRIBUTES_OFFSET);
        assert_eq!(ATTRIBUTES_OFFSET + 2 + 4 + 8 + 8, PRODUCER_ID_OFFSET);
        assert_eq!(PRODUCER_ID_OFFSET + 8 + 2 + 4 + 4, RECORD_BATCH_OVERHEAD);
    }
}
