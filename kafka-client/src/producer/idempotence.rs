//! The idempotent producer's bookkeeping (the sequence half of Java's `TransactionManager`;
//! the transaction half is `transaction.rs`): the producer id
//! and epoch, and per partition the next sequence number and the last acknowledged one.
//!
//! Plain data: the sender asks it what to stamp on a batch and tells it how each try ended;
//! it answers with decisions, and never does I/O. The rules, as in the Java client:
//!
//! - a batch gets its sequence when it is *drained* the first time, never at append, and keeps
//!   it on retry (same bytes), so the broker can drop duplicates and reject gaps;
//! - `OUT_OF_ORDER_SEQUENCE_NUMBER` on a batch that is *not* the next one expected just means an
//!   earlier batch failed: retry it as it is. On the next expected batch it is a real gap: the
//!   batch fails, and the epoch is bumped;
//! - `UNKNOWN_PRODUCER_ID` (the broker forgot us, e.g. after retention removed our last
//!   batch), `INVALID_PRODUCER_EPOCH`, or a sequenced batch failing for good (a gap the broker
//!   would reject) all bump the epoch (KIP-360: InitProducerId with the current id and epoch).
//!   A new epoch starts every partition at sequence 0, so batches stamped under the old one
//!   are re-sequenced when drained again;
//! - `DUPLICATE_SEQUENCE_NUMBER` is a success (the broker already has the batch).

use std::collections::HashMap;
use std::sync::Arc;

use kafka_protocol::ErrorCode;

use crate::producer::batch::ProducerState;

/// A producer id and epoch from InitProducerId.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProducerIdAndEpoch {
    pub producer_id: i64,
    pub epoch: i16,
}

/// What to do with a sequenced batch whose partition answered with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SequenceDecision {
    /// Retry with the same sequence.
    Retry,
    /// Retry, with a new sequence under the (new) epoch.
    Resequence,
    /// Fail the batch.
    Fail,
    /// Not a sequence error: the sender's usual classification applies.
    NotSequenceError,
}

#[derive(Debug, Clone, Copy)]
struct PartitionSequences {
    next_sequence: i32,
    /// -1: nothing acknowledged under this epoch.
    last_acked: i32,
}

impl Default for PartitionSequences {
    fn default() -> Self {
        PartitionSequences {
            next_sequence: 0,
            last_acked: -1,
        }
    }
}

/// Producer id, epoch and sequences.
#[derive(Debug, Default)]
pub(crate) struct SequenceManager {
    producer: Option<ProducerIdAndEpoch>,
    bump_requested: bool,
    partitions: HashMap<(Arc<str>, i32), PartitionSequences>,
}

/// Sequences wrap at `i32::MAX` to 0, as the broker expects.
fn add_sequence(base: i32, count: i32) -> i32 {
    ((i64::from(base) + i64::from(count)) % (i64::from(i32::MAX) + 1)) as i32
}

impl SequenceManager {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether batches may be drained: an id is known and no epoch bump is pending.
    #[cfg(test)]
    pub fn can_send(&self) -> bool {
        self.producer.is_some() && !self.bump_requested
    }

    /// The id and epoch batches are stamped with now.
    pub fn producer(&self) -> Option<ProducerIdAndEpoch> {
        self.producer
    }

    /// Whether an epoch bump was asked for (a sequence gap, an unknown producer id).
    pub fn bump_requested(&self) -> bool {
        self.bump_requested
    }

    /// Whether an InitProducerId is due (first one, or an epoch bump).
    pub fn needs_producer_id(&self) -> bool {
        self.producer.is_none() || self.bump_requested
    }

    /// The id and epoch to send in InitProducerId v3+ for a bump (KIP-360), or `None` for a
    /// first request.
    pub fn bump_from(&self) -> Option<ProducerIdAndEpoch> {
        self.producer.filter(|_| self.bump_requested)
    }

    /// Installs the id and epoch InitProducerId returned. Every partition starts again at 0.
    pub fn set_producer(&mut self, producer: ProducerIdAndEpoch) {
        self.producer = Some(producer);
        self.bump_requested = false;
        self.partitions.clear();
    }

    /// Asks for an epoch bump (sends stop until it is done).
    pub fn request_epoch_bump(&mut self) {
        if self.producer.is_some() {
            self.bump_requested = true;
        }
    }

    /// The producer fields for a batch being drained: its current ones if it was stamped under
    /// the current epoch (a retry), else a fresh sequence.
    pub fn stamp(
        &mut self,
        topic: &Arc<str>,
        partition: i32,
        record_count: usize,
        current: Option<ProducerState>,
    ) -> Option<ProducerState> {
        let producer = self.producer?;
        if let Some(state) = current {
            if state.producer_id == producer.producer_id && state.producer_epoch == producer.epoch {
                return Some(state);
            }
        }
        let seqs = self
            .partitions
            .entry((topic.clone(), partition))
            .or_default();
        let base_sequence = seqs.next_sequence;
        seqs.next_sequence = add_sequence(base_sequence, record_count as i32);
        Some(ProducerState {
            producer_id: producer.producer_id,
            producer_epoch: producer.epoch,
            base_sequence,
        })
    }

    fn is_current(&self, state: &ProducerState) -> bool {
        self.producer
            .is_some_and(|p| p.producer_id == state.producer_id && p.epoch == state.producer_epoch)
    }

    /// A batch was acknowledged.
    pub fn on_success(
        &mut self,
        topic: &Arc<str>,
        partition: i32,
        record_count: usize,
        state: &ProducerState,
    ) {
        if !self.is_current(state) {
            return;
        }
        let last = add_sequence(state.base_sequence, record_count as i32 - 1);
        let seqs = self
            .partitions
            .entry((topic.clone(), partition))
            .or_default();
        // A partition's acks arrive in sequence order: its requests share one connection.
        seqs.last_acked = last;
    }

    /// Whether `state` is the batch the broker expects next for the partition.
    fn is_next_sequence(&self, topic: &Arc<str>, partition: i32, state: &ProducerState) -> bool {
        let last = self
            .partitions
            .get(&(topic.clone(), partition))
            .map_or(-1, |s| s.last_acked);
        add_sequence(last, 1) == state.base_sequence || (last == -1 && state.base_sequence == 0)
    }

    /// A sequenced batch's partition answered with `code`.
    pub fn on_error(
        &mut self,
        topic: &Arc<str>,
        partition: i32,
        state: &ProducerState,
        code: ErrorCode,
    ) -> SequenceDecision {
        let sequence_error = matches!(
            code,
            ErrorCode::OutOfOrderSequenceNumber
                | ErrorCode::UnknownProducerId
                | ErrorCode::InvalidProducerEpoch
        );
        if !self.is_current(state) {
            // Stamped under an epoch since replaced: whatever went wrong, it goes out again
            // under the new one.
            return if sequence_error || code.is_retriable() {
                SequenceDecision::Resequence
            } else {
                SequenceDecision::NotSequenceError
            };
        }
        match code {
            ErrorCode::OutOfOrderSequenceNumber => {
                if self.is_next_sequence(topic, partition, state) {
                    self.request_epoch_bump();
                    SequenceDecision::Fail
                } else {
                    SequenceDecision::Retry
                }
            }
            ErrorCode::UnknownProducerId | ErrorCode::InvalidProducerEpoch => {
                self.request_epoch_bump();
                SequenceDecision::Resequence
            }
            _ => SequenceDecision::NotSequenceError,
        }
    }

    /// A sequenced batch failed for good (fatal error, delivery timeout, retries exhausted):
    /// its sequence may be a gap the broker will never see filled, so the epoch is bumped.
    pub fn on_batch_failed(&mut self, state: Option<&ProducerState>) {
        if state.is_some_and(|s| self.is_current(s)) {
            self.request_epoch_bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp() -> Arc<str> {
        Arc::from("t")
    }

    fn started() -> SequenceManager {
        let mut tm = SequenceManager::new();
        assert!(!tm.can_send() && tm.needs_producer_id());
        tm.set_producer(ProducerIdAndEpoch {
            producer_id: 42,
            epoch: 0,
        });
        assert!(tm.can_send());
        tm
    }

    #[test]
    fn sequences_are_assigned_at_drain_and_kept_on_retry() {
        let mut tm = started();
        let a = tm.stamp(&tp(), 0, 10, None).unwrap();
        let b = tm.stamp(&tp(), 0, 5, None).unwrap();
        let other = tm.stamp(&tp(), 1, 3, None).unwrap();
        assert_eq!(
            (a.base_sequence, b.base_sequence, other.base_sequence),
            (0, 10, 0)
        );
        assert_eq!(a.producer_id, 42);
        // A retry of `a` keeps its sequence; the next new batch continues after `b`.
        assert_eq!(tm.stamp(&tp(), 0, 10, Some(a)), Some(a));
        assert_eq!(tm.stamp(&tp(), 0, 1, None).unwrap().base_sequence, 15);
    }

    #[test]
    fn out_of_order_behind_a_failed_batch_is_retried() {
        let mut tm = started();
        let a = tm.stamp(&tp(), 0, 10, None).unwrap();
        let b = tm.stamp(&tp(), 0, 10, None).unwrap();
        // `a` failed with NOT_LEADER (not a sequence error); `b` was rejected behind it.
        assert_eq!(
            tm.on_error(&tp(), 0, &a, ErrorCode::NotLeaderOrFollower),
            SequenceDecision::NotSequenceError
        );
        assert_eq!(
            tm.on_error(&tp(), 0, &b, ErrorCode::OutOfOrderSequenceNumber),
            SequenceDecision::Retry
        );
        assert!(tm.can_send(), "no bump for an expected rejection");
        tm.on_success(&tp(), 0, 10, &a);
        tm.on_success(&tp(), 0, 10, &b);
        let c = tm.stamp(&tp(), 0, 1, None).unwrap();
        assert_eq!(c.base_sequence, 20);
    }

    #[test]
    fn a_real_gap_fails_the_batch_and_bumps_the_epoch() {
        let mut tm = started();
        let a = tm.stamp(&tp(), 0, 10, None).unwrap();
        tm.on_success(&tp(), 0, 10, &a);
        let b = tm.stamp(&tp(), 0, 10, None).unwrap();
        let c = tm.stamp(&tp(), 0, 10, None).unwrap();
        assert_eq!(
            tm.on_error(&tp(), 0, &b, ErrorCode::OutOfOrderSequenceNumber),
            SequenceDecision::Fail
        );
        assert!(!tm.can_send() && tm.needs_producer_id());
        assert_eq!(
            tm.bump_from(),
            Some(ProducerIdAndEpoch {
                producer_id: 42,
                epoch: 0
            })
        );
        tm.set_producer(ProducerIdAndEpoch {
            producer_id: 42,
            epoch: 1,
        });
        // `c`, stamped under epoch 0, comes back and is re-sequenced from 0 under epoch 1.
        assert_eq!(
            tm.on_error(&tp(), 0, &c, ErrorCode::OutOfOrderSequenceNumber),
            SequenceDecision::Resequence
        );
        let c2 = tm.stamp(&tp(), 0, 10, Some(c)).unwrap();
        assert_eq!((c2.producer_epoch, c2.base_sequence), (1, 0));
        // Every partition restarts at 0 under the new epoch.
        assert_eq!(tm.stamp(&tp(), 7, 1, None).unwrap().base_sequence, 0);
    }

    #[test]
    fn unknown_producer_id_bumps_and_resequences() {
        let mut tm = started();
        let a = tm.stamp(&tp(), 0, 1, None).unwrap();
        assert_eq!(
            tm.on_error(&tp(), 0, &a, ErrorCode::UnknownProducerId),
            SequenceDecision::Resequence
        );
        assert!(tm.needs_producer_id());
        tm.set_producer(ProducerIdAndEpoch {
            producer_id: 42,
            epoch: 1,
        });
        let a2 = tm.stamp(&tp(), 0, 1, Some(a)).unwrap();
        assert_eq!((a2.producer_epoch, a2.base_sequence), (1, 0));
    }

    #[test]
    fn failed_sequenced_batch_bumps_the_epoch() {
        let mut tm = started();
        let a = tm.stamp(&tp(), 0, 1, None).unwrap();
        tm.on_batch_failed(Some(&a));
        assert!(!tm.can_send());
        tm.on_batch_failed(None);
    }

    #[test]
    fn sequences_wrap() {
        assert_eq!(add_sequence(i32::MAX, 1), 0);
        assert_eq!(add_sequence(i32::MAX - 1, 5), 3);
        assert_eq!(add_sequence(-1, 1), 0);
    }
}
