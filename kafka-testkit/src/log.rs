//! One partition's log, in memory: the record batches as the leader stored them, the log start
//! offset, the leader-epoch history and the idempotent producers' state.
//!
//! It is separate from the request handlers because it holds Kafka's append and read rules
//! (validation, offset assignment, timestamps, sequence checks, epoch lookups) as plain data
//! with no I/O, so each rule is unit-tested without a socket.
//!
//! Replication is not simulated batch by batch: every replica in the ISR holds the same log
//! (as if followers fetched instantly), so the high watermark is the log end offset.

use std::collections::{HashMap, VecDeque};

use bytes::{Bytes, BytesMut};
use kafkito_protocol::records::{
    decode_batches, Compression, ControlRecord, RecordBatch, RecordBatchBuilder,
};
use kafkito_protocol::ErrorCode;

/// How many of a producer's most recent batches a partition remembers to answer a retried
/// batch with its original offset (Kafka's `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`).
pub const PRODUCER_BATCHES_RETAINED: usize = 5;

/// Offsets of the v2 batch header fields the broker reads or rewrites.
const BATCH_LENGTH_AT: usize = 8;
const LEADER_EPOCH_AT: usize = 12;
const MAGIC_AT: usize = 16;
const CRC_AT: usize = 17;
const ATTRIBUTES_AT: usize = 21;
const MAX_TIMESTAMP_AT: usize = 35;
const HEADER_LEN: usize = 61;
/// Attributes bit 3: the batch's timestamps are the broker's append time.
const LOG_APPEND_TIME_FLAG: i16 = 0x08;

/// One stored batch and what the broker indexes of it.
#[derive(Debug, Clone)]
pub(crate) struct StoredBatch {
    pub base_offset: i64,
    pub last_offset: i64,
    /// Largest timestamp of the batch (the append time under LogAppendTime).
    pub max_timestamp: i64,
    /// Each record's offset and timestamp, in order, for ListOffsets by time.
    pub records: Vec<(i64, i64)>,
    /// The leader epoch the batch was appended in.
    pub leader_epoch: i32,
    /// The batch exactly as a Fetch returns it (offsets and epoch stamped).
    pub bytes: Bytes,
}

/// What the log remembers of one idempotent producer.
#[derive(Debug, Clone, Default)]
struct ProducerEntry {
    epoch: i16,
    /// First offset of the producer's open transaction in this partition.
    txn_first_offset: Option<i64>,
    /// (first sequence, last sequence, base offset) of the most recent batches, oldest first.
    batches: VecDeque<(i32, i32, i64)>,
}

/// How a topic stamps timestamps (`message.timestamp.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    /// Keep the producer's timestamps (Kafka's default).
    #[default]
    CreateTime,
    /// Replace them with the broker's time at append.
    LogAppendTime,
}

/// The result of a successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Appended {
    pub base_offset: i64,
    /// The append time under LogAppendTime, else -1.
    pub log_append_time: i64,
    /// Whether the batch was a retry of one already in the log (answered, not appended).
    pub duplicate: bool,
}

/// Why an append was refused, with the Kafka error code it is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppendError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppendError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppendError {
            code,
            message: message.into(),
        }
    }
}

/// A partition's log.
#[derive(Debug, Clone, Default)]
pub(crate) struct Log {
    batches: Vec<StoredBatch>,
    log_start_offset: i64,
    log_end_offset: i64,
    /// (leader epoch, start offset), ascending: Kafka's leader-epoch checkpoint.
    epochs: Vec<(i32, i64)>,
    producers: HashMap<i64, ProducerEntry>,
    /// Aborted transactions: (producer id, first offset, offset of the ABORT marker).
    aborted: Vec<(i64, i64, i64)>,
}

impl Log {
    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }

    /// The high watermark: every ISR member holds the whole log, so it is the log end.
    pub fn high_watermark(&self) -> i64 {
        self.log_end_offset
    }

    /// Records that a new leader epoch starts at the current log end (what a new leader does
    /// when it takes over).
    pub fn start_epoch(&mut self, epoch: i32) {
        if self.epochs.last().is_some_and(|&(e, _)| e >= epoch) {
            return;
        }
        self.epochs.push((epoch, self.log_end_offset));
    }

    /// Validates `records` (one v2 batch, as Produce v3+ requires), checks its producer's
    /// sequence, assigns offsets and stores it.
    pub fn append(
        &mut self,
        records: &Bytes,
        leader_epoch: i32,
        timestamp_type: TimestampType,
        max_message_bytes: usize,
        now_ms: i64,
    ) -> Result<Appended, AppendError> {
        let batch = validate(records, max_message_bytes)?;
        let record_count = batch.records.len() as i64;
        if record_count == 0 {
            return Err(AppendError::new(
                ErrorCode::InvalidRecord,
                "a produced batch must hold at least one record",
            ));
        }
        if batch.is_control {
            return Err(AppendError::new(
                ErrorCode::InvalidRecord,
                "clients may not write control batches",
            ));
        }
        // Idempotence: a duplicate of a recent batch is answered with its first offset; a
        // stale epoch or a sequence gap is refused (Kafka's ProducerAppendInfo rules).
        if batch.producer_id >= 0 && batch.base_sequence >= 0 {
            let last_sequence = batch.last_sequence();
            if let Some(entry) = self.producers.get(&batch.producer_id) {
                if batch.producer_epoch < entry.epoch {
                    return Err(AppendError::new(
                        ErrorCode::InvalidProducerEpoch,
                        format!(
                            "producer {} epoch {} is older than the last seen epoch {}",
                            batch.producer_id, batch.producer_epoch, entry.epoch
                        ),
                    ));
                }
                if batch.producer_epoch == entry.epoch {
                    if let Some(&(_, _, offset)) =
                        entry.batches.iter().find(|&&(first, last, _)| {
                            first == batch.base_sequence && last == last_sequence
                        })
                    {
                        return Ok(Appended {
                            base_offset: offset,
                            log_append_time: -1,
                            duplicate: true,
                        });
                    }
                    let expected_after = entry.batches.back().map(|&(_, last, _)| last);
                    if let Some(last) = expected_after {
                        if !in_sequence(last, batch.base_sequence) {
                            return Err(AppendError::new(
                                ErrorCode::OutOfOrderSequenceNumber,
                                format!(
                                    "producer {}: sequence {} does not follow {last}",
                                    batch.producer_id, batch.base_sequence
                                ),
                            ));
                        }
                    }
                } else if batch.base_sequence != 0 {
                    return Err(AppendError::new(
                        ErrorCode::OutOfOrderSequenceNumber,
                        format!(
                            "producer {}: a new epoch {} must start at sequence 0, not {}",
                            batch.producer_id, batch.producer_epoch, batch.base_sequence
                        ),
                    ));
                }
            }
            // A producer the log does not know (new, or its state was removed with its
            // records) is accepted at any sequence, as Kafka does.
        }

        // A transaction's data must come as transactional batches until its marker.
        let open_txn = self
            .producers
            .get(&batch.producer_id)
            .and_then(|e| e.txn_first_offset)
            .is_some();
        if batch.producer_id >= 0 && open_txn && !batch.is_transactional {
            return Err(AppendError::new(
                ErrorCode::InvalidTxnState,
                format!(
                    "producer {} wrote a non-transactional batch inside its open transaction",
                    batch.producer_id
                ),
            ));
        }
        let (base_offset, log_append_time) =
            self.store(records, &batch, leader_epoch, timestamp_type, now_ms);
        if batch.producer_id >= 0 && batch.base_sequence >= 0 {
            let entry = self.producers.entry(batch.producer_id).or_default();
            if entry.epoch != batch.producer_epoch {
                entry.batches.clear();
                entry.epoch = batch.producer_epoch;
            }
            if batch.is_transactional && entry.txn_first_offset.is_none() {
                entry.txn_first_offset = Some(base_offset);
            }
            entry
                .batches
                .push_back((batch.base_sequence, batch.last_sequence(), base_offset));
            while entry.batches.len() > PRODUCER_BATCHES_RETAINED {
                entry.batches.pop_front();
            }
        }
        Ok(Appended {
            base_offset,
            log_append_time,
            duplicate: false,
        })
    }

    /// Stores a validated batch at the log end: stamps its base offset and leader epoch (and,
    /// under LogAppendTime, the append time, with the CRC recomputed) and indexes it.
    fn store(
        &mut self,
        records: &Bytes,
        batch: &RecordBatch,
        leader_epoch: i32,
        timestamp_type: TimestampType,
        now_ms: i64,
    ) -> (i64, i64) {
        let base_offset = self.log_end_offset;
        let mut bytes = BytesMut::from(&records[..]);
        bytes[..8].copy_from_slice(&base_offset.to_be_bytes());
        bytes[LEADER_EPOCH_AT..LEADER_EPOCH_AT + 4].copy_from_slice(&leader_epoch.to_be_bytes());
        let (max_timestamp, log_append_time) = match timestamp_type {
            TimestampType::CreateTime => (batch.max_timestamp, -1),
            TimestampType::LogAppendTime => {
                let attributes =
                    i16::from_be_bytes([bytes[ATTRIBUTES_AT], bytes[ATTRIBUTES_AT + 1]])
                        | LOG_APPEND_TIME_FLAG;
                bytes[ATTRIBUTES_AT..ATTRIBUTES_AT + 2].copy_from_slice(&attributes.to_be_bytes());
                bytes[MAX_TIMESTAMP_AT..MAX_TIMESTAMP_AT + 8]
                    .copy_from_slice(&now_ms.to_be_bytes());
                let crc = crc32c::crc32c(&bytes[ATTRIBUTES_AT..]);
                bytes[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
                (now_ms, now_ms)
            }
        };
        let records_index = batch
            .records
            .iter()
            .map(|r| {
                let offset = base_offset + (r.offset - batch.base_offset);
                let ts = if log_append_time >= 0 {
                    log_append_time
                } else {
                    r.timestamp
                };
                (offset, ts)
            })
            .collect();
        let last_offset = base_offset + i64::from(batch.last_offset_delta);
        self.batches.push(StoredBatch {
            base_offset,
            last_offset,
            max_timestamp,
            records: records_index,
            leader_epoch,
            bytes: bytes.freeze(),
        });
        self.log_end_offset = last_offset + 1;
        if self.epochs.last().is_none_or(|&(e, _)| e < leader_epoch) {
            self.epochs.push((leader_epoch, base_offset));
        }
        (base_offset, log_append_time)
    }

    /// Appends a transaction marker (a control batch with one COMMIT or ABORT record) for
    /// `producer_id`, closing its transaction in this partition; an aborted transaction is
    /// indexed for read_committed fetches. Returns the marker's offset.
    pub fn write_marker(
        &mut self,
        producer_id: i64,
        producer_epoch: i16,
        commit: bool,
        coordinator_epoch: i32,
        leader_epoch: i32,
        now_ms: i64,
    ) -> i64 {
        let mut builder = RecordBatchBuilder::new(Compression::None);
        builder
            .producer_state(producer_id, producer_epoch, -1)
            .transactional(true)
            .control(true);
        let marker = if commit {
            ControlRecord::commit(coordinator_epoch)
        } else {
            ControlRecord::abort(coordinator_epoch)
        };
        // Building a one-record control batch cannot fail; decoding what we just built
        // neither. Both are checked rather than assumed.
        let built = builder
            .append_control(now_ms, &marker)
            .and_then(|_| builder.finish())
            .and_then(|bytes| decode_batches(bytes.clone()).map(|d| (bytes, d)));
        let (bytes, mut decoded) = match built {
            Ok(built) => built,
            Err(e) => {
                tracing::error!(error = %e, "could not build a transaction marker");
                return -1;
            }
        };
        let batch = decoded.batches.remove(0);
        let (offset, _) = self.store(
            &bytes,
            &batch,
            leader_epoch,
            TimestampType::CreateTime,
            now_ms,
        );
        let entry = self.producers.entry(producer_id).or_default();
        if producer_epoch > entry.epoch {
            entry.epoch = producer_epoch;
            entry.batches.clear();
        }
        if let Some(first) = entry.txn_first_offset.take() {
            if !commit {
                self.aborted.push((producer_id, first, offset));
            }
        }
        offset
    }

    /// The last stable offset: the first offset of the oldest open transaction, or the high
    /// watermark when none is open.
    pub fn last_stable_offset(&self) -> i64 {
        self.producers
            .values()
            .filter_map(|e| e.txn_first_offset)
            .min()
            .unwrap_or(self.log_end_offset)
            .min(self.log_end_offset)
    }

    /// The aborted transactions a read_committed fetch of `[from, to)` must be told about:
    /// those whose range overlaps it (Kafka's transaction index lookup).
    pub fn aborted_between(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        self.aborted
            .iter()
            .filter(|&&(_, first, last)| last >= from && first < to)
            .map(|&(pid, first, _)| (pid, first))
            .collect()
    }

    /// Whole batches from the one holding `offset`, up to `max_bytes` — but always at least
    /// one batch when `at_least_one` (KIP-74: a fetch must make progress even if a batch is
    /// larger than the limits).
    #[cfg(test)]
    pub fn read(&self, offset: i64, max_bytes: usize, at_least_one: bool) -> Vec<Bytes> {
        self.read_below(offset, max_bytes, at_least_one, i64::MAX)
    }

    /// [`read`](Self::read) of the batches that start below `upper` (the last stable offset,
    /// for read_committed).
    pub fn read_below(
        &self,
        offset: i64,
        max_bytes: usize,
        at_least_one: bool,
        upper: i64,
    ) -> Vec<Bytes> {
        let start = self.batches.partition_point(|b| b.last_offset < offset);
        let mut out = Vec::new();
        let mut size = 0;
        for batch in self.batches[start..]
            .iter()
            .take_while(|b| b.base_offset < upper)
        {
            let len = batch.bytes.len();
            if size + len > max_bytes && !(at_least_one && out.is_empty()) {
                break;
            }
            size += len;
            out.push(batch.bytes.clone());
        }
        out
    }

    /// Moves the log start offset forward (DeleteRecords) and drops batches wholly below it.
    /// A batch straddling the new start is kept whole, as Kafka keeps its segment: readers
    /// skip the records below their fetch offset.
    pub fn delete_records_before(&mut self, offset: i64) {
        if offset <= self.log_start_offset {
            return;
        }
        self.log_start_offset = offset;
        let keep_from = self.batches.partition_point(|b| b.last_offset < offset);
        self.batches.drain(..keep_from);
        self.aborted.retain(|&(_, _, last)| last >= offset);
    }

    /// The first offset whose timestamp is at least `timestamp`, with that timestamp and its
    /// leader epoch; `None` when every record is older.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Option<(i64, i64, i32)> {
        self.batches
            .iter()
            .filter(|b| b.max_timestamp >= timestamp)
            .find_map(|b| {
                b.records
                    .iter()
                    .find(|&&(offset, ts)| ts >= timestamp && offset >= self.log_start_offset)
                    .map(|&(offset, ts)| (offset, ts, b.leader_epoch))
            })
    }

    /// The offset and timestamp of the record with the largest timestamp (the first such),
    /// with its leader epoch (ListOffsets `-3`, KIP-734).
    pub fn max_timestamp_offset(&self) -> Option<(i64, i64, i32)> {
        let mut best: Option<(i64, i64, i32)> = None;
        for batch in &self.batches {
            for &(offset, ts) in &batch.records {
                if offset >= self.log_start_offset && best.is_none_or(|(_, t, _)| ts > t) {
                    best = Some((offset, ts, batch.leader_epoch));
                }
            }
        }
        best
    }

    /// The leader epoch of the batch holding `offset`, or the latest epoch.
    pub fn epoch_at(&self, offset: i64) -> i32 {
        self.epochs
            .iter()
            .rev()
            .find(|&&(_, start)| start <= offset)
            .map_or(-1, |&(e, _)| e)
    }

    /// OffsetForLeaderEpoch: the largest epoch not above `epoch` and the offset where it ends
    /// (the start of the next epoch, or the log end for the latest one); `(-1, -1)` when the
    /// log knows no epoch that old.
    pub fn end_offset_for_epoch(&self, epoch: i32) -> (i32, i64) {
        let Some(i) = self.epochs.iter().rposition(|&(e, _)| e <= epoch) else {
            return (-1, -1);
        };
        let end = self
            .epochs
            .get(i + 1)
            .map_or(self.log_end_offset, |&(_, start)| start);
        (self.epochs[i].0, end)
    }
}

/// Kafka's `inSequence`: the next sequence follows the last one, wrapping at `i32::MAX`.
fn in_sequence(last: i32, next: i32) -> bool {
    i64::from(next) == i64::from(last) + 1 || (next == 0 && last == i32::MAX)
}

/// The decoded batch (for its facts) after Kafka's checks: exactly one complete magic-v2
/// batch, no larger than the topic's `max.message.bytes`, CRC and record count intact.
fn validate(
    records: &Bytes,
    max_message_bytes: usize,
) -> Result<kafkito_protocol::records::RecordBatch, AppendError> {
    if records.len() < HEADER_LEN {
        return Err(AppendError::new(
            ErrorCode::CorruptMessage,
            format!("{} bytes are too few for a record batch", records.len()),
        ));
    }
    let magic = records[MAGIC_AT] as i8;
    if magic != 2 {
        return Err(AppendError::new(
            ErrorCode::InvalidRecord,
            format!("Produce v3+ carries only magic-2 batches, not magic {magic}"),
        ));
    }
    let declared = i32::from_be_bytes([
        records[BATCH_LENGTH_AT],
        records[BATCH_LENGTH_AT + 1],
        records[BATCH_LENGTH_AT + 2],
        records[BATCH_LENGTH_AT + 3],
    ]);
    if declared < 0 || declared as usize + 12 != records.len() {
        return Err(AppendError::new(
            if declared >= 0 && (declared as usize + 12) < records.len() {
                ErrorCode::InvalidRecord
            } else {
                ErrorCode::CorruptMessage
            },
            format!(
                "batch length {declared} does not match the {} bytes sent (one batch per partition)",
                records.len()
            ),
        ));
    }
    if records.len() > max_message_bytes {
        return Err(AppendError::new(
            ErrorCode::MessageTooLarge,
            format!(
                "batch of {} bytes is larger than max.message.bytes {max_message_bytes}",
                records.len()
            ),
        ));
    }
    // A CRC mismatch, a record count that does not match, a malformed record or an
    // undecompressable payload: Kafka answers each CORRUPT_MESSAGE.
    let mut decoded = decode_batches(records.clone())
        .map_err(|e| AppendError::new(ErrorCode::CorruptMessage, e.to_string()))?;
    if decoded.batches.len() != 1 || decoded.truncated.is_some() {
        return Err(AppendError::new(
            ErrorCode::InvalidRecord,
            "a partition's records must be exactly one complete batch",
        ));
    }
    Ok(decoded.batches.remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(pid: i64, epoch: i16, seq: i32, n: usize) -> Bytes {
        let mut b = RecordBatchBuilder::new(Compression::None);
        if pid >= 0 {
            b.producer_state(pid, epoch, seq);
        }
        for i in 0..n {
            b.append(1_000 + i as i64, None, Some(b"v"), &[]).unwrap();
        }
        b.finish().unwrap()
    }

    fn append(log: &mut Log, bytes: &Bytes) -> Result<Appended, AppendError> {
        log.append(bytes, 0, TimestampType::CreateTime, 1 << 20, 5_000)
    }

    #[test]
    fn offsets_are_assigned_by_the_log() {
        let mut log = Log::default();
        assert_eq!(
            append(&mut log, &batch(-1, -1, -1, 3)).unwrap().base_offset,
            0
        );
        assert_eq!(
            append(&mut log, &batch(-1, -1, -1, 2)).unwrap().base_offset,
            3
        );
        assert_eq!(log.log_end_offset(), 5);
        let read = decode_batches(log.read(3, 1 << 20, true).concat().into()).unwrap();
        assert_eq!(read.batches[0].base_offset, 3);
        assert_eq!(read.batches[0].records[1].offset, 4);
    }

    #[test]
    fn corrupt_batches_are_refused() {
        let mut log = Log::default();
        let mut bytes = BytesMut::from(&batch(-1, -1, -1, 1)[..]);
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let err = append(&mut log, &bytes.freeze()).unwrap_err();
        assert_eq!(err.code, ErrorCode::CorruptMessage);
        let two = [batch(-1, -1, -1, 1), batch(-1, -1, -1, 1)].concat();
        assert_eq!(
            append(&mut log, &two.into()).unwrap_err().code,
            ErrorCode::InvalidRecord
        );
        let big = batch(-1, -1, -1, 100);
        let err = log
            .append(&big, 0, TimestampType::CreateTime, 100, 0)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::MessageTooLarge);
        assert_eq!(log.log_end_offset(), 0);
    }

    #[test]
    fn idempotent_sequences() {
        let mut log = Log::default();
        assert_eq!(append(&mut log, &batch(7, 0, 0, 2)).unwrap().base_offset, 0);
        assert_eq!(append(&mut log, &batch(7, 0, 2, 2)).unwrap().base_offset, 2);
        // A retry of the first batch is answered with its original offset, not appended.
        let dup = append(&mut log, &batch(7, 0, 0, 2)).unwrap();
        assert!(dup.duplicate);
        assert_eq!((dup.base_offset, log.log_end_offset()), (0, 4));
        // A gap.
        let gap = append(&mut log, &batch(7, 0, 9, 1)).unwrap_err();
        assert_eq!(gap.code, ErrorCode::OutOfOrderSequenceNumber);
        // A new epoch starts at 0; after it the old epoch is fenced.
        assert_eq!(
            append(&mut log, &batch(7, 1, 3, 1)).unwrap_err().code,
            ErrorCode::OutOfOrderSequenceNumber
        );
        append(&mut log, &batch(7, 1, 0, 1)).unwrap();
        assert_eq!(
            append(&mut log, &batch(7, 0, 4, 1)).unwrap_err().code,
            ErrorCode::InvalidProducerEpoch
        );
    }

    #[test]
    fn log_append_time_rewrites_the_header_and_keeps_the_crc_valid() {
        let mut log = Log::default();
        let appended = log
            .append(
                &batch(-1, -1, -1, 2),
                3,
                TimestampType::LogAppendTime,
                1 << 20,
                42_000,
            )
            .unwrap();
        assert_eq!(appended.log_append_time, 42_000);
        let read = decode_batches(log.read(0, 1 << 20, true).concat().into()).unwrap();
        let b = &read.batches[0];
        assert_eq!((b.max_timestamp, b.partition_leader_epoch), (42_000, 3));
        assert_eq!(b.records[1].timestamp, 42_000);
        assert_eq!(log.offset_for_timestamp(42_000).map(|t| t.0), Some(0));
    }

    #[test]
    fn epochs_and_timestamps() {
        let mut log = Log::default();
        log.start_epoch(0);
        append(&mut log, &batch(-1, -1, -1, 3)).unwrap(); // ts 1000..1002
        log.start_epoch(4);
        log.append(
            &batch(-1, -1, -1, 1),
            4,
            TimestampType::CreateTime,
            1 << 20,
            0,
        )
        .unwrap();
        assert_eq!(log.end_offset_for_epoch(0), (0, 3));
        assert_eq!(log.end_offset_for_epoch(2), (0, 3));
        assert_eq!(log.end_offset_for_epoch(4), (4, 4));
        assert_eq!(log.offset_for_timestamp(1_001).map(|t| t.0), Some(1));
        assert_eq!(log.offset_for_timestamp(5_000), None);
        assert_eq!(log.max_timestamp_offset().map(|t| t.0), Some(2));
        log.delete_records_before(2);
        assert_eq!(log.log_start_offset(), 2);
        assert_eq!(log.offset_for_timestamp(0).map(|t| t.0), Some(2));
    }

    fn txn_batch(pid: i64, seq: i32, n: usize) -> Bytes {
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.producer_state(pid, 0, seq).transactional(true);
        for i in 0..n {
            b.append(i as i64, None, Some(b"t"), &[]).unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn transactions_hold_the_last_stable_offset_and_index_aborts() {
        let mut log = Log::default();
        append(&mut log, &batch(-1, -1, -1, 2)).unwrap(); // 0..1
        append(&mut log, &txn_batch(9, 0, 3)).unwrap(); // 2..4, open
        append(&mut log, &batch(-1, -1, -1, 1)).unwrap(); // 5
        assert_eq!((log.last_stable_offset(), log.high_watermark()), (2, 6));
        assert_eq!(
            log.read_below(0, 1 << 20, true, 2).len(),
            1,
            "read_committed stops at the LSO"
        );
        // Non-transactional data from a producer with an open transaction is refused.
        assert_eq!(
            append(&mut log, &batch(9, 0, 3, 1)).unwrap_err().code,
            ErrorCode::InvalidTxnState
        );
        let marker = log.write_marker(9, 0, false, 0, 0, 0);
        assert_eq!((marker, log.last_stable_offset()), (6, 7));
        assert_eq!(log.aborted_between(0, 7), vec![(9, 2)]);
        assert_eq!(log.aborted_between(7, 8), vec![]);
        let control = decode_batches(log.read(6, 1 << 20, true).concat().into()).unwrap();
        assert!(control.batches[0].is_control && control.batches[0].is_transactional);
        // A committed transaction leaves no trace in the aborted index.
        append(&mut log, &txn_batch(9, 3, 1)).unwrap();
        log.write_marker(9, 0, true, 0, 0, 0);
        assert_eq!(log.aborted_between(0, 100).len(), 1);
        assert_eq!(log.last_stable_offset(), log.high_watermark());
    }

    #[test]
    fn reads_return_at_least_one_batch() {
        let mut log = Log::default();
        append(&mut log, &batch(-1, -1, -1, 50)).unwrap();
        append(&mut log, &batch(-1, -1, -1, 50)).unwrap();
        assert_eq!(log.read(0, 1, true).len(), 1);
        assert_eq!(log.read(0, 1, false).len(), 0);
        assert_eq!(log.read(0, 1 << 20, true).len(), 2);
        assert_eq!(log.read(60, 1 << 20, true).len(), 1);
    }
}
