//! One batch of records for one partition (Java's `ProducerBatch`): the encoder the records
//! are appended into, the completion its records' delivery futures wait on, and its retry
//! state.
//!
//! A batch is *open* while records are appended, *closed* once full (or lingered out), and
//! *encoded* the first time the sender drains it: that is when an idempotent producer assigns
//! its sequence number, so the header and CRC are written exactly once. A retry resends the
//! same bytes; only an epoch bump rewrites the producer fields in place.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafkito_protocol::records::{
    rewrite_producer_state, Compression, RecordBatchBuilder, RecordHeader,
};
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::producer::delivery::{BatchCompletion, DeliveryFuture};

/// The idempotent producer fields a batch is sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProducerState {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
}

/// What [`ProducerBatch::try_append`] did.
#[derive(Debug)]
pub(crate) enum TryAppend {
    /// The batch is closed or has no room: nothing changed.
    NoRoom,
    /// Appended, with the record's delivery future if one was asked for.
    Appended(Option<DeliveryFuture>),
}

/// A batch of records for one partition.
#[derive(Debug)]
pub(crate) struct ProducerBatch {
    /// Creation order across the producer: orders retries and tells `flush` what to wait for.
    pub id: u64,
    pub topic: Arc<str>,
    pub partition: i32,
    /// `Some` until the batch is encoded.
    builder: Option<RecordBatchBuilder>,
    encoded: Option<Bytes>,
    /// The records' size before compression, set when encoded (for `compression-rate-avg`).
    /// A `u32` (a batch is below `max.request.size`, an `i32`) so that it fits the struct's
    /// padding: a larger batch struct cost the per-record append ~3 instructions (callgrind).
    pub uncompressed_size: u32,
    record_count: usize,
    /// Records appended by `send_and_forget` (no delivery future).
    forgotten: usize,
    /// What the records' delivery futures wait on; made with the first of them.
    completion: Option<BatchCompletion>,
    /// When the first record was appended: `linger.ms` and `delivery.timeout.ms` count from here.
    pub created: Instant,
    /// No more appends (full, lingered out, or drained).
    pub closed: bool,
    /// Times the batch was sent.
    pub attempts: u32,
    /// Not to be sent again before this instant (retry backoff).
    pub retry_at: Option<Instant>,
    /// `buffer.memory` bytes reserved by its records.
    pub reserved: usize,
    /// The producer id, epoch and sequence it was encoded with.
    pub producer_state: Option<ProducerState>,
    /// The error of the last failed try.
    pub last_error: Option<Error>,
    /// Whether it belongs to a transaction (set right after `new`): encoded with the
    /// transactional attribute from the start, so that sending it costs no copy.
    pub transactional: bool,
    /// Each record's timestamp, in append order, when the producer has hooks (see
    /// [`keep_record_timestamps`](Self::keep_record_timestamps)); `None` otherwise.
    record_timestamps: Option<Vec<i64>>,
}

impl ProducerBatch {
    pub fn new(
        id: u64,
        topic: Arc<str>,
        partition: i32,
        compression: Compression,
        compression_level: Option<i32>,
        capacity: usize,
        now: Instant,
    ) -> Self {
        let mut builder = RecordBatchBuilder::with_capacity(compression, capacity);
        builder.compression_level(compression_level);
        ProducerBatch {
            id,
            topic,
            partition,
            builder: Some(builder),
            encoded: None,
            uncompressed_size: 0,
            record_count: 0,
            forgotten: 0,
            completion: None,
            created: now,
            closed: false,
            attempts: 0,
            retry_at: None,
            reserved: 0,
            producer_state: None,
            last_error: None,
            transactional: false,
            record_timestamps: None,
        }
    }

    /// Keeps each record's timestamp from now on (set on a new, empty batch), so that the
    /// producer's hooks get every record's metadata at acknowledgement.
    pub fn keep_record_timestamps(&mut self) {
        self.record_timestamps.get_or_insert_with(Vec::new);
    }

    /// The timestamps kept by [`keep_record_timestamps`](Self::keep_record_timestamps), in
    /// offset-delta order; empty when none were kept.
    pub fn record_timestamps(&self) -> &[i64] {
        self.record_timestamps.as_deref().unwrap_or_default()
    }

    /// Upper bound of a record's bytes in a batch.
    pub fn record_size_hint(
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader],
    ) -> usize {
        RecordBatchBuilder::record_size_upper_bound(key, value, headers)
    }

    pub fn record_count(&self) -> usize {
        self.record_count
    }

    /// Uncompressed size so far (or the encoded size once encoded).
    pub fn estimated_size(&self) -> usize {
        match (&self.builder, &self.encoded) {
            (Some(b), _) => b.estimated_size(),
            (None, Some(e)) => e.len(),
            (None, None) => 0,
        }
    }

    /// What the batch should weigh in a request once encoded: its bytes if it was encoded
    /// before (a retry), else its uncompressed size times `compression_ratio`.
    pub fn expected_encoded_size(&self, compression_ratio: f64) -> usize {
        match (&self.builder, &self.encoded) {
            (Some(b), _) => (b.estimated_size() as f64 * compression_ratio).ceil() as usize,
            (None, Some(e)) => e.len(),
            (None, None) => 0,
        }
    }

    /// Whether the batch is still open to appends or waiting for its first encoding (its
    /// size then is uncompressed; after encoding it is the bytes sent).
    pub fn is_unencoded(&self) -> bool {
        self.builder.is_some()
    }

    /// Appends the record if it fits in `size_limit` (see
    /// [`RecordBatchBuilder::try_append`]), with a delivery future when `tracked`. One sizing
    /// of the record instead of the two of `has_room_for` + `append`.
    #[allow(clippy::too_many_arguments)]
    pub fn try_append(
        &mut self,
        size_limit: usize,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader],
        tracked: bool,
        reserved: usize,
    ) -> Result<TryAppend> {
        if self.closed {
            return Ok(TryAppend::NoRoom);
        }
        let Some(builder) = self.builder.as_mut() else {
            return Ok(TryAppend::NoRoom);
        };
        let Some(offset_delta) = builder
            .try_append(size_limit, timestamp, key, value, headers)
            .map_err(|e| Error::config("record", e.to_string()))?
        else {
            return Ok(TryAppend::NoRoom);
        };
        Ok(TryAppend::Appended(self.appended(
            offset_delta,
            timestamp,
            tracked,
            reserved,
        )))
    }

    /// Books an appended record (its count, its reserved bytes) and makes its delivery
    /// future when `tracked`.
    fn appended(
        &mut self,
        offset_delta: i32,
        timestamp: i64,
        tracked: bool,
        reserved: usize,
    ) -> Option<DeliveryFuture> {
        self.record_count += 1;
        self.reserved += reserved;
        if let Some(timestamps) = &mut self.record_timestamps {
            keep_timestamp(timestamps, timestamp);
        }
        if !tracked {
            self.forgotten += 1;
            return None;
        }
        let (topic, partition) = (&self.topic, self.partition);
        let completion = self
            .completion
            .get_or_insert_with(|| BatchCompletion::new(topic.clone(), partition));
        Some(completion.future(offset_delta, timestamp))
    }

    /// Appends a record to a batch that is still open (a new one), with a delivery future
    /// when `tracked`.
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader],
        tracked: bool,
        reserved: usize,
    ) -> Result<Option<DeliveryFuture>> {
        let builder = self.builder.as_mut().expect("append to an encoded batch");
        let offset_delta = builder
            .append(timestamp, key, value, headers)
            .map_err(|e| Error::config("record", e.to_string()))?;
        Ok(self.appended(offset_delta, timestamp, tracked, reserved))
    }

    /// The batch's bytes with `state` (the producer fields) in its header: encodes it the first
    /// time, rewrites the fields in place (a copy and a CRC) if an epoch bump changed them.
    pub fn encode(&mut self, state: Option<ProducerState>) -> Result<Bytes> {
        self.closed = true;
        if let Some(mut builder) = self.builder.take() {
            self.uncompressed_size = u32::try_from(builder.estimated_size()).unwrap_or(u32::MAX);
            builder.transactional(self.transactional);
            if let Some(s) = state {
                builder.producer_state(s.producer_id, s.producer_epoch, s.base_sequence);
            }
            let bytes = builder
                .finish()
                .map_err(|e| Error::config("record", e.to_string()))?;
            self.encoded = Some(bytes);
        } else if state != self.producer_state {
            if let (Some(s), Some(bytes)) = (state, &self.encoded) {
                let mut copy = BytesMut::from(&bytes[..]);
                rewrite_producer_state(
                    &mut copy,
                    s.producer_id,
                    s.producer_epoch,
                    s.base_sequence,
                    self.transactional,
                )
                .map_err(|e| Error::config("record", e.to_string()))?;
                self.encoded = Some(copy.freeze());
            }
        }
        self.producer_state = state;
        Ok(self.encoded.clone().expect("encoded above"))
    }

    /// Whether any record was sent without a delivery future (its failure goes to `flush`).
    pub fn has_forgotten_records(&self) -> bool {
        self.forgotten > 0
    }

    /// Completes every delivery future with its offset.
    pub fn complete(mut self, base_offset: i64, log_append_time: Option<i64>) {
        if let Some(completion) = self.completion.take() {
            completion.complete(base_offset, log_append_time);
        }
    }

    /// Fails every delivery future with `error`.
    pub fn fail(mut self, error: &Error) {
        if let Some(completion) = self.completion.take() {
            completion.fail(error);
        }
    }
}

/// Out of line: only a producer with hooks keeps timestamps, and inlined the push would weigh on
/// every append of the others (callgrind).
#[cold]
#[inline(never)]
fn keep_timestamp(timestamps: &mut Vec<i64>, timestamp: i64) {
    timestamps.push(timestamp);
}

#[cfg(test)]
mod tests {
    use kafkito_protocol::records::decode_batches;

    use super::*;

    #[tokio::test]
    async fn encodes_once_and_rewrites_on_epoch_change() {
        let mut batch = ProducerBatch::new(
            0,
            "t".into(),
            0,
            Compression::None,
            None,
            64,
            Instant::now(),
        );
        let delivery = batch
            .append(5, None, Some(b"a"), &[], true, 10)
            .unwrap()
            .expect("tracked");
        assert!(batch
            .append(6, None, Some(b"b"), &[], false, 10)
            .unwrap()
            .is_none());
        assert!(batch.has_forgotten_records());
        assert_eq!(batch.reserved, 20);
        let state = ProducerState {
            producer_id: 9,
            producer_epoch: 0,
            base_sequence: 4,
        };
        let first = batch.encode(Some(state)).unwrap();
        let again = batch.encode(Some(state)).unwrap();
        assert_eq!(
            first.as_ptr(),
            again.as_ptr(),
            "a retry resends the same bytes"
        );
        let bumped = ProducerState {
            producer_epoch: 1,
            base_sequence: 0,
            ..state
        };
        let rewritten = batch.encode(Some(bumped)).unwrap();
        let decoded = decode_batches(rewritten).unwrap().batches.remove(0);
        assert_eq!(
            (
                decoded.producer_id,
                decoded.producer_epoch,
                decoded.base_sequence
            ),
            (9, 1, 0)
        );
        batch.complete(100, None);
        let md = delivery.await.unwrap();
        assert_eq!((md.offset, md.timestamp, md.partition), (100, 5, 0));
        assert_eq!(&*md.topic, "t");
    }

    /// A transactional batch carries the attribute from its first encoding, and keeps it
    /// when an epoch bump rewrites its producer fields (the sender sends the bytes as they
    /// are, with no copy of its own).
    #[tokio::test]
    async fn transactional_batches_are_encoded_transactional() {
        let mut batch = ProducerBatch::new(
            0,
            "t".into(),
            0,
            Compression::None,
            None,
            64,
            Instant::now(),
        );
        batch.transactional = true;
        batch.append(5, None, Some(b"a"), &[], false, 10).unwrap();
        let state = ProducerState {
            producer_id: 9,
            producer_epoch: 0,
            base_sequence: 0,
        };
        let first = batch.encode(Some(state)).unwrap();
        let decoded = decode_batches(first).unwrap().batches.remove(0);
        assert!(decoded.is_transactional);
        let bumped = ProducerState {
            producer_epoch: 1,
            ..state
        };
        let rewritten = batch.encode(Some(bumped)).unwrap();
        let decoded = decode_batches(rewritten).unwrap().batches.remove(0);
        assert!(decoded.is_transactional);
        assert_eq!(decoded.producer_epoch, 1);
    }
}
