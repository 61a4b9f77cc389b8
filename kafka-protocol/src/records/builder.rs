//! Writing magic-v2 record batches one record at a time.
//!
//! The producer appends records as the application sends them, and closes the batch when it
//! reaches `batch.size` or `linger.ms` runs out. So the builder writes each record straight
//! into one growing buffer, behind a placeholder for the fixed header; nothing is allocated
//! per record beyond that buffer's growth. [`RecordBatchBuilder::finish`] then compresses the
//! records (if a codec is set), fills in the header and the CRC, and returns the bytes that go
//! into a Produce request.

use bytes::{BufMut, Bytes, BytesMut};

use super::batch::{
    self, HeaderFields, ATTRIBUTES_OFFSET, COMPRESSION_CODEC_MASK, CONTROL_FLAG_MASK,
    DELETE_HORIZON_FLAG_MASK, MAGIC_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_ID_OFFSET,
    RECORD_BATCH_OVERHEAD, TIMESTAMP_TYPE_MASK, TRANSACTIONAL_FLAG_MASK,
};
use super::compression::{self, Compression};
use super::varint::{put_varint, put_varlong, varint_len, varlong_len, MAX_VARINT_LEN};
use super::{
    ControlRecord, RecordHeader, RecordsError, TimestampType, NO_PARTITION_LEADER_EPOCH,
    NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, NO_TIMESTAMP,
};

/// Worst-case bytes of a record's fixed fields: length (5), attributes (1), timestampDelta
/// (10) and offsetDelta (5) — the Java client's `MAX_RECORD_OVERHEAD`.
const MAX_RECORD_OVERHEAD: usize = 21;

/// Builds one magic-v2 record batch.
///
/// Configure it (all settings have the defaults of a plain, non-idempotent producer), append
/// records, then [`finish`](Self::finish). Settings may change at any time before `finish`,
/// except [`delete_horizon_ms`](Self::delete_horizon_ms), which fixes the base timestamp and
/// must come before the first record.
///
/// ```
/// use kafkito_protocol::records::{decode_batches, Compression, RecordBatchBuilder};
///
/// let batch_size = 16 * 1024;
/// let mut builder = RecordBatchBuilder::new(Compression::Snappy);
/// builder.producer_state(1234, 0, 0);
/// let mut appended = 0;
/// while builder.has_room_for(batch_size, None, Some(&[0u8; 1000]), &[]) {
///     builder.append(1_700_000_000_000 + appended, None, Some(&[0u8; 1000]), &[])?;
///     appended += 1;
/// }
/// assert_eq!(builder.record_count(), 16);
/// let bytes = builder.finish()?;
/// // Snappy shrank 16 KB of zeros to well under a kilobyte.
/// assert!(bytes.len() < 1024);
/// assert_eq!(decode_batches(bytes)?.batches[0].records.len(), 16);
/// # Ok::<(), kafkito_protocol::records::RecordsError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RecordBatchBuilder {
    /// `[0..61)`: header placeholder; then the uncompressed records.
    buf: BytesMut,
    compression: Compression,
    compression_level: Option<i32>,
    base_offset: i64,
    partition_leader_epoch: i32,
    log_append_time: Option<i64>,
    transactional: bool,
    control: bool,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    delete_horizon_ms: Option<i64>,
    record_count: i32,
    /// Set by the first record (or the delete horizon); record deltas are relative to it.
    base_timestamp: Option<i64>,
    max_timestamp: i64,
}

impl RecordBatchBuilder {
    /// A builder for a batch compressed with `compression`.
    pub fn new(compression: Compression) -> Self {
        Self::with_capacity(compression, 1024)
    }

    /// A builder whose buffer starts with room for `capacity` bytes of records (e.g.
    /// `batch.size`), so that appends up to that size never reallocate.
    pub fn with_capacity(compression: Compression, capacity: usize) -> Self {
        let mut buf = BytesMut::with_capacity(RECORD_BATCH_OVERHEAD + capacity);
        buf.put_bytes(0, RECORD_BATCH_OVERHEAD);
        RecordBatchBuilder {
            buf,
            compression,
            compression_level: None,
            base_offset: 0,
            partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
            log_append_time: None,
            transactional: false,
            control: false,
            producer_id: NO_PRODUCER_ID,
            producer_epoch: NO_PRODUCER_EPOCH,
            base_sequence: NO_SEQUENCE,
            delete_horizon_ms: None,
            record_count: 0,
            base_timestamp: None,
            max_timestamp: NO_TIMESTAMP,
        }
    }

    /// Changes the codec used by [`finish`](Self::finish).
    pub fn compression(&mut self, compression: Compression) -> &mut Self {
        self.compression = compression;
        self
    }

    /// Sets the codec level (`compression.gzip.level` etc., KIP-390); `None` is the codec's
    /// default. Levels a codec does not support fall back to its default.
    pub fn compression_level(&mut self, level: Option<i32>) -> &mut Self {
        self.compression_level = level;
        self
    }

    /// Sets the base offset (0 in produce requests: the broker assigns offsets).
    pub fn base_offset(&mut self, base_offset: i64) -> &mut Self {
        self.base_offset = base_offset;
        self
    }

    /// Sets the partition leader epoch (-1 in produce requests: the leader stamps it).
    pub fn partition_leader_epoch(&mut self, epoch: i32) -> &mut Self {
        self.partition_leader_epoch = epoch;
        self
    }

    /// Sets the idempotent producer state: producer id, epoch and the sequence number of the
    /// first record. `(-1, -1, -1)`, the default, is a non-idempotent producer.
    pub fn producer_state(
        &mut self,
        producer_id: i64,
        producer_epoch: i16,
        base_sequence: i32,
    ) -> &mut Self {
        self.producer_id = producer_id;
        self.producer_epoch = producer_epoch;
        self.base_sequence = base_sequence;
        self
    }

    /// Marks the batch as written inside a transaction.
    pub fn transactional(&mut self, transactional: bool) -> &mut Self {
        self.transactional = transactional;
        self
    }

    /// Marks the batch as a control batch (see [`append_control`](Self::append_control)).
    pub fn control(&mut self, control: bool) -> &mut Self {
        self.control = control;
        self
    }

    /// Makes it a `LogAppendTime` batch stamped with `timestamp`, as a broker does; records
    /// then all report that timestamp. (Producers leave the default, `CreateTime`.)
    pub fn log_append_time(&mut self, timestamp: i64) -> &mut Self {
        self.log_append_time = Some(timestamp);
        self
    }

    /// Sets the delete horizon (KIP-534, written by the log cleaner): the batch's base
    /// timestamp becomes `delete_horizon_ms`. Must be called before the first append, since
    /// record timestamps are stored relative to the base timestamp.
    pub fn delete_horizon_ms(&mut self, delete_horizon_ms: i64) -> Result<&mut Self, RecordsError> {
        if self.record_count > 0 {
            return Err(RecordsError::InvalidBuilderState {
                reason: "the delete horizon must be set before the first record",
            });
        }
        self.delete_horizon_ms = Some(delete_horizon_ms);
        self.base_timestamp = Some(delete_horizon_ms);
        Ok(self)
    }

    /// Records appended so far.
    pub fn record_count(&self) -> usize {
        self.record_count as usize
    }

    /// Whether no record has been appended.
    pub fn is_empty(&self) -> bool {
        self.record_count == 0
    }

    /// The codec [`finish`](Self::finish) will use.
    pub fn compression_type(&self) -> Compression {
        self.compression
    }

    /// Size of the batch so far, uncompressed: header plus records.
    pub fn uncompressed_size(&self) -> usize {
        self.buf.len()
    }

    /// Estimated size of the finished batch, for closing it at `batch.size`. It is the
    /// uncompressed size: an upper bound for compressible data, exact without a codec (a codec
    /// can add a few bytes of framing to incompressible data). A producer that tracks the
    /// topic's compression ratio, as the Java client does, can scale this by it.
    pub fn estimated_size(&self) -> usize {
        self.uncompressed_size()
    }

    /// Whether a record of this shape still fits in `size_limit` bytes (an upper-bound check,
    /// [`record_size_upper_bound`](Self::record_size_upper_bound)). An empty batch always has
    /// room, so that one record larger than `batch.size` still gets a batch of its own.
    pub fn has_room_for(
        &self,
        size_limit: usize,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader],
    ) -> bool {
        self.record_count == 0
            || self
                .estimated_size()
                .saturating_add(Self::record_size_upper_bound(key, value, headers))
                <= size_limit
    }

    /// The most bytes a record of this shape can take in a batch, whatever its offset and
    /// timestamp deltas (the Java client's `DefaultRecord.recordSizeUpperBound`). A batch of
    /// one such record takes at most [`RECORD_BATCH_OVERHEAD`] more.
    #[inline]
    pub fn record_size_upper_bound(
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader],
    ) -> usize {
        MAX_RECORD_OVERHEAD.saturating_add(key_value_headers_size(key, value, headers))
    }

    /// Appends a record and returns its offset delta (its offset is the base offset plus
    /// that). `timestamp` is milliseconds since the epoch.
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader],
    ) -> Result<i32, RecordsError> {
        let fields_size = key_value_headers_size(key, value, headers);
        self.append_sized(fields_size, timestamp, key, value, headers)
    }

    /// [`has_room_for`](Self::has_room_for) and [`append`](Self::append) in one: appends the
    /// record and returns its offset delta if it fits in `size_limit`, else returns `None` and
    /// leaves the batch as it was. Cheaper than the two calls, which each size the record.
    ///
    /// ```
    /// use kafkito_protocol::records::{Compression, RecordBatchBuilder};
    ///
    /// let mut batch = RecordBatchBuilder::new(Compression::None);
    /// // An empty batch takes any record, even one over the limit.
    /// assert_eq!(batch.try_append(100, 0, None, Some(&[0u8; 200]), &[]).unwrap(), Some(0));
    /// assert_eq!(batch.try_append(100, 0, None, Some(b"x"), &[]).unwrap(), None);
    /// assert_eq!(batch.record_count(), 1);
    /// ```
    pub fn try_append(
        &mut self,
        size_limit: usize,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader],
    ) -> Result<Option<i32>, RecordsError> {
        let fields_size = key_value_headers_size(key, value, headers);
        if self.record_count > 0
            && self
                .estimated_size()
                .saturating_add(MAX_RECORD_OVERHEAD.saturating_add(fields_size))
                > size_limit
        {
            return Ok(None);
        }
        self.append_sized(fields_size, timestamp, key, value, headers)
            .map(Some)
    }

    /// [`append`](Self::append) given `key_value_headers_size` of the record.
    ///
    /// The producer calls this once per record, so the common case is kept short: each size
    /// is computed once, one range check covers every field, and the bytes go out in a few
    /// `put_slice`s. The per-field checks run only when that range check fails, to name the
    /// field at fault.
    // Always inlined: into `try_append` it saves, for each record, a call that passes seven
    // arguments, most of them on the stack.
    #[inline(always)]
    fn append_sized(
        &mut self,
        fields_size: usize,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader],
    ) -> Result<i32, RecordsError> {
        let offset_delta = self.record_count;
        let base_timestamp = self.base_timestamp.unwrap_or(timestamp);
        // Wrapping, like the Java client: the decoder adds it back with the same wrap.
        let timestamp_delta = timestamp.wrapping_sub(base_timestamp);
        let body_size = (1 + varlong_len(timestamp_delta) + varint_len(offset_delta))
            .saturating_add(fields_size);
        // Every field is part of the body, so a body within i32 range means every length and
        // count in it is too.
        let Ok(body_size_i32) = i32::try_from(body_size) else {
            return Err(self.oversized_record(key, value, headers, body_size));
        };
        let total = varint_len(body_size_i32) + body_size;
        if offset_delta == i32::MAX || self.buf.len().saturating_add(total) > i32::MAX as usize {
            return Err(self.oversized_record(key, value, headers, body_size));
        }

        let buf = &mut self.buf;
        let before = buf.len();
        buf.reserve(total);
        // The fields before the key bytes are gathered on the stack and written with one
        // `put_slice`, rather than with a capacity check and a length update a byte
        // (`BytesMut::put_u8`). `prefix` has room for the largest value of every field.
        let mut prefix = [0u8; MAX_RECORD_PREFIX];
        let prefix_len = {
            let mut slot = &mut prefix[..];
            put_varint(&mut slot, body_size_i32);
            slot.put_u8(0); // record attributes: unused
            put_varlong(&mut slot, timestamp_delta);
            put_varint(&mut slot, offset_delta);
            put_varint(&mut slot, nullable_len(key));
            MAX_RECORD_PREFIX - slot.len()
        };
        buf.put_slice(&prefix[..prefix_len]);
        if let Some(key) = key {
            buf.put_slice(key);
        }
        put_nullable(buf, value);
        if headers.is_empty() {
            buf.put_u8(0); // varint 0: no headers
        } else {
            put_headers(buf, headers);
        }
        debug_assert_eq!(buf.len() - before, total, "record size computed wrong");

        self.base_timestamp = Some(base_timestamp);
        self.record_count += 1;
        self.max_timestamp = if self.record_count == 1 {
            timestamp
        } else {
            self.max_timestamp.max(timestamp)
        };
        Ok(offset_delta)
    }

    /// Why a record cannot be appended, once [`append_sized`](Self::append_sized) has found
    /// that something is out of `i32` range: the checks in the order a reader expects (the
    /// field first, then the batch), each naming what is too large.
    #[cold]
    #[inline(never)]
    fn oversized_record(
        &self,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader],
        body_size: usize,
    ) -> RecordsError {
        let too_large = |context, size| RecordsError::TooLarge { context, size };
        let i32_max = i32::MAX as usize;
        if let Some(field) = [key, value]
            .into_iter()
            .flatten()
            .find(|f| f.len() > i32_max)
        {
            return too_large("record key or value", field.len());
        }
        for h in headers {
            if h.key.len() > i32_max {
                return too_large("record header key", h.key.len());
            }
            if let Some(v) = h.value.as_ref().filter(|v| v.len() > i32_max) {
                return too_large("record header value", v.len());
            }
        }
        if headers.len() > i32_max {
            return too_large("record header count", headers.len());
        }
        if self.record_count == i32::MAX {
            return too_large("record count", self.record_count as usize);
        }
        let Ok(body_size_i32) = i32::try_from(body_size) else {
            return too_large("record", body_size);
        };
        let total = varint_len(body_size_i32) + body_size;
        too_large("record batch", self.buf.len().saturating_add(total))
    }

    /// Appends a control record (key: version and type; value as given). The batch must be a
    /// [`control`](Self::control) batch.
    pub fn append_control(
        &mut self,
        timestamp: i64,
        record: &ControlRecord,
    ) -> Result<i32, RecordsError> {
        if !self.control {
            return Err(RecordsError::InvalidBuilderState {
                reason: "control records go in control batches (call control(true))",
            });
        }
        self.append(
            timestamp,
            Some(&record.encode_key()),
            record.value.as_deref(),
            &[],
        )
    }

    /// Compresses the records, writes the header and CRC-32C, and returns the batch.
    ///
    /// Fails with [`RecordsError::InvalidBuilderState`] if no record was appended: an empty
    /// batch is never what a producer means to send.
    pub fn finish(self) -> Result<Bytes, RecordsError> {
        if self.record_count == 0 {
            return Err(RecordsError::InvalidBuilderState {
                reason: "cannot finish a batch without records",
            });
        }
        let header = self.header_fields();
        let mut out = if self.compression == Compression::None {
            self.buf
        } else {
            let records = &self.buf[RECORD_BATCH_OVERHEAD..];
            let mut out = BytesMut::with_capacity(RECORD_BATCH_OVERHEAD + records.len() / 2 + 64);
            out.put_bytes(0, RECORD_BATCH_OVERHEAD);
            compression::compress(self.compression, self.compression_level, records, &mut out)?;
            out
        };
        batch::write_header(&mut out, &header)?;
        Ok(out.freeze())
    }

    fn header_fields(&self) -> HeaderFields {
        let mut attributes = i16::from(self.compression.id()) & COMPRESSION_CODEC_MASK;
        if self.log_append_time.is_some() {
            attributes |= TIMESTAMP_TYPE_MASK;
        }
        if self.transactional {
            attributes |= TRANSACTIONAL_FLAG_MASK;
        }
        if self.control {
            attributes |= CONTROL_FLAG_MASK;
        }
        if self.delete_horizon_ms.is_some() {
            attributes |= DELETE_HORIZON_FLAG_MASK;
        }
        HeaderFields {
            base_offset: self.base_offset,
            partition_leader_epoch: self.partition_leader_epoch,
            attributes,
            last_offset_delta: self.record_count - 1,
            base_timestamp: self.base_timestamp.unwrap_or(NO_TIMESTAMP),
            max_timestamp: self.log_append_time.unwrap_or(self.max_timestamp),
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            base_sequence: self.base_sequence,
            records_count: self.record_count,
        }
    }

    /// The timestamp type the batch will carry.
    pub fn timestamp_type(&self) -> TimestampType {
        if self.log_append_time.is_some() {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }
}

/// Rewrites the producer id, epoch, base sequence and transactional flag of a finished v2
/// batch in place and recomputes its CRC — what the producer needs when a batch must be
/// resent under a new epoch (KIP-360) without rebuilding it.
///
/// ```
/// use bytes::BytesMut;
/// use kafkito_protocol::records::{decode_batches, rewrite_producer_state, Compression, RecordBatchBuilder};
///
/// let mut builder = RecordBatchBuilder::new(Compression::Zstd);
/// builder.producer_state(7, 0, 10);
/// builder.append(1, None, Some(b"v"), &[])?;
/// let mut batch = BytesMut::from(&builder.finish()?[..]);
/// rewrite_producer_state(&mut batch, 7, 1, 0, false)?;
/// let decoded = decode_batches(batch.freeze())?.batches.remove(0);
/// assert_eq!((decoded.producer_epoch, decoded.base_sequence), (1, 0));
/// # Ok::<(), kafkito_protocol::records::RecordsError>(())
/// ```
pub fn rewrite_producer_state(
    batch: &mut [u8],
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    transactional: bool,
) -> Result<(), RecordsError> {
    check_v2_batch(batch)?;
    let mut attributes =
        i16::from_be_bytes([batch[ATTRIBUTES_OFFSET], batch[ATTRIBUTES_OFFSET + 1]]);
    if transactional {
        attributes |= TRANSACTIONAL_FLAG_MASK;
    } else {
        attributes &= !TRANSACTIONAL_FLAG_MASK;
    }
    batch[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&attributes.to_be_bytes());
    let p = PRODUCER_ID_OFFSET;
    batch[p..p + 8].copy_from_slice(&producer_id.to_be_bytes());
    batch[p + 8..p + 10].copy_from_slice(&producer_epoch.to_be_bytes());
    batch[p + 10..p + 14].copy_from_slice(&base_sequence.to_be_bytes());
    batch::update_crc(batch);
    Ok(())
}

/// Sets the partition leader epoch of a finished v2 batch in place. The field is outside the
/// CRC (the leader stamps it on append), so nothing else changes.
pub fn set_partition_leader_epoch(batch: &mut [u8], epoch: i32) -> Result<(), RecordsError> {
    check_v2_batch(batch)?;
    let p = PARTITION_LEADER_EPOCH_OFFSET;
    batch[p..p + 4].copy_from_slice(&epoch.to_be_bytes());
    Ok(())
}

fn check_v2_batch(batch: &[u8]) -> Result<(), RecordsError> {
    if batch.len() < RECORD_BATCH_OVERHEAD {
        return Err(RecordsError::UnexpectedEof {
            context: "record batch header",
            needed: RECORD_BATCH_OVERHEAD,
            remaining: batch.len(),
        });
    }
    match batch[MAGIC_OFFSET] as i8 {
        2 => Ok(()),
        magic => Err(RecordsError::UnknownMagic { magic }),
    }
}

/// Most bytes of the fields before the key bytes: [`MAX_RECORD_OVERHEAD`] and the key length.
const MAX_RECORD_PREFIX: usize = MAX_RECORD_OVERHEAD + MAX_VARINT_LEN;

/// The length a nullable field is written with: -1 for null. Callers have checked that the
/// record, hence the field, is within `i32` range.
#[inline]
fn nullable_len(field: Option<&[u8]>) -> i32 {
    field.map_or(-1, |b| b.len() as i32)
}

#[inline]
fn nullable_size(field: Option<&[u8]>) -> usize {
    match field {
        None => 1, // varint -1
        // No overflow: a slice holds at most `isize::MAX` bytes.
        Some(b) => varint_len(b.len().min(i32::MAX as usize) as i32) + b.len(),
    }
}

/// Bytes of a record's key, value and headers (with their lengths and the header count),
/// saturating rather than overflowing so that a huge field fails the `i32` range check.
#[inline]
fn key_value_headers_size(
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[RecordHeader],
) -> usize {
    let key_value = nullable_size(key).saturating_add(nullable_size(value));
    if headers.is_empty() {
        return key_value.saturating_add(1); // varint 0: no headers
    }
    let mut size =
        key_value.saturating_add(varint_len(headers.len().min(i32::MAX as usize) as i32));
    for h in headers {
        size = size
            .saturating_add(nullable_size(Some(&h.key)))
            .saturating_add(nullable_size(h.value.as_deref()));
    }
    size
}

#[inline]
fn put_nullable(buf: &mut BytesMut, field: Option<&[u8]>) {
    put_varint(buf, nullable_len(field));
    if let Some(b) = field {
        buf.put_slice(b);
    }
}

/// The header count and the headers; kept out of line, as most records have none.
#[inline(never)]
fn put_headers(buf: &mut BytesMut, headers: &[RecordHeader]) {
    put_varint(buf, headers.len() as i32);
    for h in headers {
        put_nullable(buf, Some(&h.key));
        put_nullable(buf, h.value.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{decode_batches, Record};

    #[test]
    fn golden_uncompressed_batch() {
        // One record, value "123", timestamp 1503229838908, base offset 0: the first batch of
        // the Kafka 0.11 broker capture in tests/fixtures (written by the Java producer).
        let mut builder = RecordBatchBuilder::new(Compression::None);
        builder.partition_leader_epoch(1);
        builder
            .append(1_503_229_838_908, None, Some(b"123"), &[])
            .unwrap();
        let bytes = builder.finish().unwrap();
        let expected: &[u8] =
            b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00;\x00\x00\x00\x01\x02\x03\
            \x18\xa2p\x00\x00\x00\x00\x00\x00\x00\x00\x01]\xff{\x06<\x00\x00\x01]\
            \xff{\x06<\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\
            \x00\x00\x01\x12\x00\x00\x00\x01\x06123\x00";
        assert_eq!(&bytes[..], expected);
    }

    #[test]
    fn header_fields_are_written_where_the_decoder_reads_them() {
        let mut b = RecordBatchBuilder::new(Compression::Gzip);
        b.base_offset(1000)
            .partition_leader_epoch(9)
            .producer_state(77, 5, 2_147_483_000)
            .transactional(true)
            .log_append_time(5_000);
        b.append(100, Some(b"k1"), Some(b"v1"), &[]).unwrap();
        b.append(50, None, None, &[RecordHeader::new("h", None::<Bytes>)])
            .unwrap();
        let batch = decode_batches(b.finish().unwrap())
            .unwrap()
            .batches
            .remove(0);
        assert_eq!(batch.base_offset, 1000);
        assert_eq!(batch.partition_leader_epoch, 9);
        assert_eq!(
            (batch.producer_id, batch.producer_epoch, batch.base_sequence),
            (77, 5, 2_147_483_000)
        );
        assert!(batch.is_transactional && !batch.is_control && !batch.has_delete_horizon);
        assert_eq!(batch.timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(batch.base_timestamp, 100);
        assert_eq!(batch.max_timestamp, 5_000);
        assert_eq!(batch.last_offset_delta, 1);
        // LogAppendTime: every record reports the broker's timestamp.
        assert!(batch.records.iter().all(|r| r.timestamp == 5_000));
        assert_eq!(batch.records[1].offset, 1001);
        assert_eq!(batch.records[1].headers[0].value, None);
    }

    #[test]
    fn max_timestamp_is_the_largest_not_the_last() {
        let mut b = RecordBatchBuilder::new(Compression::None);
        for ts in [10, 30, 20] {
            b.append(ts, None, None, &[]).unwrap();
        }
        let batch = decode_batches(b.finish().unwrap())
            .unwrap()
            .batches
            .remove(0);
        assert_eq!((batch.base_timestamp, batch.max_timestamp), (10, 30));
        let ts: Vec<i64> = batch.records.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [10, 30, 20]);
    }

    #[test]
    fn delete_horizon_is_the_base_timestamp() {
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.delete_horizon_ms(99_999).unwrap();
        b.append(5, None, Some(b"x"), &[]).unwrap();
        assert!(b.delete_horizon_ms(1).is_err());
        let batch = decode_batches(b.finish().unwrap())
            .unwrap()
            .batches
            .remove(0);
        assert_eq!(batch.delete_horizon_ms(), Some(99_999));
        assert_eq!(batch.records[0].timestamp, 5);
    }

    #[test]
    fn empty_batch_cannot_be_finished() {
        assert!(matches!(
            RecordBatchBuilder::new(Compression::None).finish(),
            Err(RecordsError::InvalidBuilderState { .. })
        ));
    }

    #[test]
    fn control_records_need_a_control_batch() {
        let mut b = RecordBatchBuilder::new(Compression::None);
        assert!(b.append_control(0, &ControlRecord::abort(1)).is_err());
        b.control(true);
        b.append_control(0, &ControlRecord::abort(1)).unwrap();
    }

    #[test]
    fn sizes_are_exact_and_bounded() {
        let headers = [RecordHeader::new("a", Some(Bytes::from_static(b"bb")))];
        let mut b = RecordBatchBuilder::new(Compression::None);
        assert_eq!(b.estimated_size(), RECORD_BATCH_OVERHEAD);
        let mut last = b.estimated_size();
        for i in 0..100i64 {
            let key = i.to_be_bytes();
            let bound =
                RecordBatchBuilder::record_size_upper_bound(Some(&key), Some(b"value"), &headers);
            b.append(i * 1_000_000, Some(&key), Some(b"value"), &headers)
                .unwrap();
            let grew = b.estimated_size() - last;
            assert!(grew <= bound, "{grew} > {bound}");
            last = b.estimated_size();
        }
        let bytes = b.finish().unwrap();
        assert_eq!(bytes.len(), last);
    }

    #[test]
    fn first_record_always_has_room() {
        let b = RecordBatchBuilder::new(Compression::None);
        assert!(b.has_room_for(10, None, Some(&[0; 100]), &[]));
    }

    #[test]
    fn rewriting_state_keeps_the_crc_valid() {
        let mut b = RecordBatchBuilder::new(Compression::Lz4);
        b.append(1, Some(b"k"), Some(b"v"), &[]).unwrap();
        let mut bytes = BytesMut::from(&b.finish().unwrap()[..]);
        rewrite_producer_state(&mut bytes, 5, 6, 7, true).unwrap();
        set_partition_leader_epoch(&mut bytes, 12).unwrap();
        let batch = decode_batches(bytes.freeze()).unwrap().batches.remove(0);
        assert_eq!(
            (batch.producer_id, batch.producer_epoch, batch.base_sequence),
            (5, 6, 7)
        );
        assert!(batch.is_transactional);
        assert_eq!(batch.partition_leader_epoch, 12);
        assert_eq!(batch.compression, Compression::Lz4);
        assert_eq!(
            batch.records,
            vec![Record {
                offset: 0,
                timestamp: 1,
                key: Some(Bytes::from_static(b"k")),
                value: Some(Bytes::from_static(b"v")),
                headers: vec![],
            }]
        );
        assert!(rewrite_producer_state(&mut [0u8; 10], 1, 1, 1, false).is_err());
    }

    /// The byte-for-byte checks below compare the builder with this: the v2 record written
    /// the plain way, one field at a time into a `Vec`, without the builder's precomputed
    /// sizes, stack prefix or shared varint code.
    mod reference {
        use crate::records::RecordHeader;

        pub struct Input<'a> {
            pub timestamp: i64,
            pub key: Option<&'a [u8]>,
            pub value: Option<&'a [u8]>,
            pub headers: &'a [RecordHeader],
        }

        /// Zig-zag, then 7 bits a byte, low first. A varint of an `i32` is the varlong of the
        /// same value, so one writer serves both.
        fn varlong(out: &mut Vec<u8>, v: i64) {
            let mut z = ((v << 1) ^ (v >> 63)) as u64;
            loop {
                let low = (z & 0x7f) as u8;
                z >>= 7;
                if z == 0 {
                    out.push(low);
                    return;
                }
                out.push(low | 0x80);
            }
        }

        fn nullable(out: &mut Vec<u8>, field: Option<&[u8]>) {
            match field {
                None => varlong(out, -1),
                Some(b) => {
                    varlong(out, b.len() as i64);
                    out.extend_from_slice(b);
                }
            }
        }

        /// The records section of a batch whose base timestamp is `base_timestamp`.
        pub fn records(base_timestamp: i64, records: &[Input]) -> Vec<u8> {
            let mut out = Vec::new();
            for (offset_delta, r) in records.iter().enumerate() {
                let mut body = vec![0]; // attributes
                varlong(&mut body, r.timestamp.wrapping_sub(base_timestamp));
                varlong(&mut body, offset_delta as i64);
                nullable(&mut body, r.key);
                nullable(&mut body, r.value);
                varlong(&mut body, r.headers.len() as i64);
                for h in r.headers {
                    nullable(&mut body, Some(&h.key));
                    nullable(&mut body, h.value.as_deref());
                }
                varlong(&mut out, body.len() as i64);
                out.extend_from_slice(&body);
            }
            out
        }
    }

    /// Builds `records` with `append` (or `try_append` with no limit) and checks the finished
    /// batch against the reference encoding, header included.
    fn assert_matches_reference(records: &[reference::Input], use_try_append: bool) {
        let mut builder = RecordBatchBuilder::new(Compression::None);
        builder.producer_state(42, 3, 7);
        for (i, r) in records.iter().enumerate() {
            let offset_delta = if use_try_append {
                builder
                    .try_append(usize::MAX, r.timestamp, r.key, r.value, r.headers)
                    .unwrap()
                    .unwrap()
            } else {
                builder
                    .append(r.timestamp, r.key, r.value, r.headers)
                    .unwrap()
            };
            assert_eq!(offset_delta, i as i32);
        }
        let base_timestamp = records[0].timestamp;
        let mut expected = vec![0u8; RECORD_BATCH_OVERHEAD];
        expected.extend(reference::records(base_timestamp, records));
        batch::write_header(
            &mut expected,
            &HeaderFields {
                base_offset: 0,
                partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
                attributes: 0,
                last_offset_delta: records.len() as i32 - 1,
                base_timestamp,
                max_timestamp: records.iter().map(|r| r.timestamp).max().unwrap(),
                producer_id: 42,
                producer_epoch: 3,
                base_sequence: 7,
                records_count: records.len() as i32,
            },
        )
        .unwrap();
        assert_eq!(builder.uncompressed_size(), expected.len());
        let actual = builder.finish().unwrap();
        if actual[..] != expected[..] {
            let at = actual.iter().zip(&expected).position(|(a, e)| a != e);
            panic!(
                "batch differs from the reference at byte {at:?} (lengths {} and {})",
                actual.len(),
                expected.len()
            );
        }
    }

    #[test]
    fn records_match_the_reference_encoding() {
        let big = vec![7u8; 3 << 20]; // a 4-byte length, and a 4-byte record length
        let mid = vec![1u8; 9000]; // 3-byte lengths
        let headers = [
            RecordHeader::new("trace", Some(Bytes::from_static(b"abc"))),
            RecordHeader::new("", None::<Bytes>),
            RecordHeader::new("empty", Some(Bytes::new())),
        ];
        let many_headers: Vec<RecordHeader> = (0..200)
            .map(|i| RecordHeader::new(format!("h{i}"), Some(vec![i as u8; i])))
            .collect();
        let base = 1_700_000_000_000;
        let input = |timestamp, key, value, headers| reference::Input {
            timestamp,
            key,
            value,
            headers,
        };
        let shapes: Vec<reference::Input> = vec![
            input(base, None, None, &[]),
            input(base, Some(b""), Some(b""), &[]),
            input(base + 1, Some(b"k"), None, &[]),
            input(base, None, Some(b"v"), &headers),
            input(base - 1, Some(&[0xff; 63]), Some(&[0; 64]), &[]),
            input(base + 63, Some(&[1; 64]), Some(&mid), &many_headers),
            input(base - 64, None, Some(&big), &headers),
            input(base + (1 << 40), Some(b"far future"), Some(b"x"), &[]),
            input(base - (1 << 40), Some(b"far past"), Some(b"x"), &[]),
            input(i64::MAX, None, Some(b"wraps"), &[]),
            input(i64::MIN, None, Some(b"wraps"), &[]),
            input(-1, Some(b"no timestamp"), Some(b""), &[]),
        ];
        for use_try_append in [false, true] {
            assert_matches_reference(&shapes, use_try_append);
            // Each shape also as the first record, whose delta is 0.
            for first in 0..shapes.len() {
                assert_matches_reference(&shapes[first..=first], use_try_append);
            }
        }
    }

    #[test]
    fn many_records_match_the_reference_encoding() {
        // Offset deltas of 1, 2 and 3 bytes; timestamps that go back and forth.
        let keys: Vec<[u8; 8]> = (0..20_000u64).map(u64::to_be_bytes).collect();
        let records: Vec<reference::Input> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| reference::Input {
                timestamp: 1_000_000 + (i as i64 % 301) * if i % 2 == 0 { 1 } else { -1000 },
                key: (i % 5 != 0).then_some(&key[..]),
                value: (i % 7 != 0).then_some(&key[..i % 8]),
                headers: &[],
            })
            .collect();
        assert_matches_reference(&records, false);
        assert_matches_reference(&records, true);
    }

    #[test]
    fn delete_horizon_base_matches_the_reference_encoding() {
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.delete_horizon_ms(10_000).unwrap();
        b.append(5, Some(b"k"), Some(b"v"), &[]).unwrap();
        b.append(20_000, None, Some(b"w"), &[]).unwrap();
        let records = [
            reference::Input {
                timestamp: 5,
                key: Some(b"k"),
                value: Some(b"v"),
                headers: &[],
            },
            reference::Input {
                timestamp: 20_000,
                key: None,
                value: Some(b"w"),
                headers: &[],
            },
        ];
        let bytes = b.finish().unwrap();
        assert_eq!(
            &bytes[RECORD_BATCH_OVERHEAD..],
            &reference::records(10_000, &records)[..]
        );
    }

    #[test]
    fn failed_append_leaves_the_batch_as_it_was() {
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.append(100, None, Some(b"v"), &[]).unwrap();
        let size = b.uncompressed_size();
        // A full batch (2^31 - 1 records) cannot be reached in a test; pretend it is.
        b.record_count = i32::MAX;
        assert!(matches!(
            b.append(200, None, Some(b"v"), &[]),
            Err(RecordsError::TooLarge {
                context: "record count",
                ..
            })
        ));
        assert_eq!(b.uncompressed_size(), size);
        assert_eq!((b.base_timestamp, b.max_timestamp), (Some(100), 100));
    }

    #[test]
    fn failed_first_append_does_not_fix_the_base_timestamp() {
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.record_count = i32::MAX;
        assert!(b.append(100, None, None, &[]).is_err());
        assert_eq!(b.base_timestamp, None);
    }

    #[test]
    fn try_append_refusal_leaves_the_batch_as_it_was() {
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.append(100, None, Some(b"v"), &[]).unwrap();
        let limit = b.uncompressed_size() + 21 + 3; // a 1-byte value needs 21 + 4
        assert_eq!(b.try_append(limit, 5, None, Some(b"w"), &[]).unwrap(), None);
        assert_eq!(b.record_count(), 1);
        assert_eq!(
            b.try_append(limit + 1, 5, None, Some(b"w"), &[]).unwrap(),
            Some(1)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_records_match_the_reference_encoding(
            records in proptest::collection::vec(
                (
                    proptest::prelude::any::<i64>(),
                    proptest::option::of(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)),
                    proptest::option::of(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)),
                    proptest::collection::vec(
                        ("[a-z]{0,10}", proptest::option::of(proptest::collection::vec(0u8..3, 0..70))),
                        0..3,
                    ),
                ),
                1..40,
            ),
            use_try_append in proptest::prelude::any::<bool>(),
        ) {
            let headers: Vec<Vec<RecordHeader>> = records
                .iter()
                .map(|(_, _, _, hs)| {
                    hs.iter().map(|(k, v)| RecordHeader::new(k.clone(), v.clone())).collect()
                })
                .collect();
            let inputs: Vec<reference::Input> = records
                .iter()
                .zip(&headers)
                .map(|((timestamp, key, value, _), headers)| reference::Input {
                    timestamp: *timestamp,
                    key: key.as_deref(),
                    value: value.as_deref(),
                    headers,
                })
                .collect();
            assert_matches_reference(&inputs, use_try_append);
        }
    }
}
