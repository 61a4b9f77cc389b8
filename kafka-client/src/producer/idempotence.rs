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
//!   earlier batch failed: retry it as it is;
//! - `DUPLICATE_SEQUENCE_NUMBER` is a success (the broker already has the batch).
//!
//! When the sequence of a partition can no longer continue, the producer recovers in one of
//! two ways ([`Recovery`]), and which one depends on who owns the epoch:
//!
//! - **Epoch bump.** A sequenced batch failed for good (fatal error, delivery timeout, retries
//!   exhausted: its sequence may be a gap the broker will never see filled), or the batch the
//!   broker expects next was refused as out of order. A *transactional* producer bumps through
//!   the coordinator (InitProducerId naming its id and epoch, KIP-360, done by the next
//!   abort). A *non-transactional* idempotent producer bumps its epoch itself, as Java's
//!   `bumpIdempotentEpochAndResetIdIfNeeded` does: no coordinator tracks a non-transactional
//!   epoch, and a broker accepts a higher epoch of a producer id it knows when that epoch's
//!   first batch has sequence 0. (Kafka refuses an InitProducerId that names an old id
//!   without a transactional id.)
//! - **Reset.** The broker no longer knows the producer: `UNKNOWN_PRODUCER_ID`,
//!   `INVALID_PRODUCER_ID_MAPPING`, `INVALID_PRODUCER_EPOCH`, or an out-of-order answer to
//!   the first batch of an epoch (sequence 0 refused: the broker lost our state, e.g. it
//!   restarted empty). A non-transactional producer then forgets its id and asks for a new
//!   one (InitProducerId with id and epoch -1); so does an epoch bump past `i16::MAX`.
//!
//! After a reset (or a transactional bump, which fences the old epoch everywhere) every
//! partition starts again at sequence 0, and the batches not yet acknowledged (queued, or
//! coming back from the broker) are re-sequenced when drained again, in their original order.
//! After a *local* bump only the partitions whose sequence broke start again under the new
//! epoch; every other partition keeps the epoch and sequences its batches were sent under,
//! as Java's idempotent producer does. A broker keeps producer state per partition, so a
//! retry there is still recognised as a duplicate: re-sequencing it would write again a batch
//! whose first try was written but whose answer was lost (found by the chaos run, seed 116).
//! The sender waits until nothing is in flight before applying either, so no batch of the old
//! epoch of a restarted partition is on the wire when the new one starts.
//!
//! Duplicates: the protocol drops a retried batch only while the broker keeps the producer
//! state it was first sent under. A batch of a restarted partition that the broker wrote but
//! whose acknowledgement was lost (a timeout, a dropped connection), re-sent after the bump
//! or a reset, is written again: that is the one case where this producer can duplicate, and
//! only on a partition with a gap or on a broker that lost its producer state, where no client
//! can tell what was written.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kafkito_protocol::ErrorCode;

use tracing::{info, warn};

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
    /// The id and epoch the partition's sequences run under: the producer's, or an older
    /// epoch of the same id that a local bump left this partition on.
    producer: ProducerIdAndEpoch,
    next_sequence: i32,
    /// -1: nothing acknowledged under this epoch.
    last_acked: i32,
}

impl PartitionSequences {
    fn new(producer: ProducerIdAndEpoch) -> Self {
        PartitionSequences {
            producer,
            next_sequence: 0,
            last_acked: -1,
        }
    }
}

/// How the producer gets past a sequence it cannot continue (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recovery {
    /// Same producer id, next epoch.
    BumpEpoch,
    /// A new producer id (InitProducerId with id and epoch -1).
    ResetProducerId,
}

/// Producer id, epoch and sequences.
#[derive(Debug, Default)]
pub(crate) struct SequenceManager {
    producer: Option<ProducerIdAndEpoch>,
    /// A recovery is due before the next batch is stamped.
    recovery: Option<Recovery>,
    /// Non-transactional: bumps the epoch itself and resets its id when the broker forgot it.
    /// Transactional: the transaction manager bumps through the coordinator.
    local_epoch: bool,
    partitions: HashMap<(Arc<str>, i32), PartitionSequences>,
    /// The partitions whose sequence broke since the last bump: a local bump restarts them
    /// (and only them) under the new epoch.
    broken: HashSet<(Arc<str>, i32)>,
}

/// Sequences wrap at `i32::MAX` to 0, as the broker expects.
fn add_sequence(base: i32, count: i32) -> i32 {
    ((i64::from(base) + i64::from(count)) % (i64::from(i32::MAX) + 1)) as i32
}

impl SequenceManager {
    /// The bookkeeping of a transactional producer: epoch bumps are the transaction
    /// manager's (InitProducerId naming the current id and epoch, at the next abort).
    pub fn new() -> Self {
        Self::default()
    }

    /// The bookkeeping of a non-transactional idempotent producer: it bumps its epoch
    /// locally and asks for a new id when the broker no longer knows it.
    pub fn idempotent() -> Self {
        SequenceManager {
            local_epoch: true,
            ..Self::default()
        }
    }

    /// Whether batches may be drained: an id is known and no recovery is pending.
    #[cfg(test)]
    pub fn can_send(&self) -> bool {
        self.producer.is_some() && self.recovery.is_none()
    }

    /// The id and epoch batches are stamped with now.
    pub fn producer(&self) -> Option<ProducerIdAndEpoch> {
        self.producer
    }

    /// Whether an epoch bump (or reset) was asked for (a sequence gap, an unknown producer).
    pub fn bump_requested(&self) -> bool {
        self.recovery.is_some()
    }

    /// Whether sends must wait: no id yet, or a recovery is pending.
    pub fn needs_producer_id(&self) -> bool {
        self.producer.is_none() || self.recovery.is_some()
    }

    /// Applies a pending local epoch bump (non-transactional only; the sender calls it once
    /// nothing is in flight). Returns whether the producer can send again without an
    /// InitProducerId; `false` means one (with id -1) is due: no id yet, a reset was asked
    /// for, or the epoch cannot go higher.
    pub fn bump_epoch_locally(&mut self) -> bool {
        let Some(producer) = self.producer else {
            return false;
        };
        match self.recovery {
            None => true,
            Some(Recovery::BumpEpoch) if self.local_epoch && producer.epoch < i16::MAX => {
                let bumped = ProducerIdAndEpoch {
                    producer_id: producer.producer_id,
                    epoch: producer.epoch + 1,
                };
                info!(
                    producer_id = bumped.producer_id,
                    epoch = bumped.epoch,
                    partitions = self.broken.len(),
                    "idempotent producer bumped its epoch: the broken partitions' unacknowledged batches are re-sequenced from 0"
                );
                self.producer = Some(bumped);
                self.recovery = None;
                for tp in std::mem::take(&mut self.broken) {
                    self.partitions.remove(&tp);
                }
                true
            }
            Some(Recovery::BumpEpoch) if self.local_epoch => {
                // Epoch exhausted: only a new producer id helps.
                self.recovery = Some(Recovery::ResetProducerId);
                false
            }
            Some(_) => false,
        }
    }

    /// Installs the id and epoch InitProducerId returned (or a local bump). Every partition
    /// starts again at 0.
    pub fn set_producer(&mut self, producer: ProducerIdAndEpoch) {
        self.producer = Some(producer);
        self.recovery = None;
        self.partitions.clear();
        self.broken.clear();
    }

    /// Asks for an epoch bump because the sequence of `topic`-`partition` broke (sends stop
    /// until it is done).
    pub fn request_epoch_bump(&mut self, topic: &Arc<str>, partition: i32) {
        self.broken.insert((topic.clone(), partition));
        if self.producer.is_some() && self.recovery.is_none() {
            self.recovery = Some(Recovery::BumpEpoch);
        }
    }

    /// Asks for a new producer id (non-transactional; a transactional producer bumps its
    /// epoch through the coordinator instead).
    fn request_reset(&mut self, topic: &Arc<str>, partition: i32) {
        if !self.local_epoch {
            return self.request_epoch_bump(topic, partition);
        }
        if self.producer.is_some() && self.recovery != Some(Recovery::ResetProducerId) {
            warn!(
                producer = ?self.producer,
                "the broker no longer knows this idempotent producer: asking for a new producer id"
            );
            self.recovery = Some(Recovery::ResetProducerId);
        }
    }

    /// The producer fields for a batch being drained: its current ones if it was stamped under
    /// the epoch its partition runs under now (a retry), else a fresh sequence under it.
    pub fn stamp(
        &mut self,
        topic: &Arc<str>,
        partition: i32,
        record_count: usize,
        current: Option<ProducerState>,
    ) -> Option<ProducerState> {
        let producer = self.producer?;
        let seqs = self
            .partitions
            .entry((topic.clone(), partition))
            .or_insert_with(|| PartitionSequences::new(producer));
        if let Some(state) = current {
            if runs_under(&state, seqs.producer) {
                return Some(state);
            }
        }
        let base_sequence = seqs.next_sequence;
        seqs.next_sequence = add_sequence(base_sequence, record_count as i32);
        Some(ProducerState {
            producer_id: seqs.producer.producer_id,
            producer_epoch: seqs.producer.epoch,
            base_sequence,
        })
    }

    /// Whether `state` was stamped under the id and epoch its partition runs under now.
    pub fn is_current(&self, topic: &Arc<str>, partition: i32, state: &ProducerState) -> bool {
        match self.partitions.get(&(topic.clone(), partition)) {
            Some(seqs) => runs_under(state, seqs.producer),
            None => self.producer.is_some_and(|p| runs_under(state, p)),
        }
    }

    /// A batch was acknowledged.
    pub fn on_success(
        &mut self,
        topic: &Arc<str>,
        partition: i32,
        record_count: usize,
        state: &ProducerState,
    ) {
        if !self.is_current(topic, partition, state) {
            return;
        }
        let last = add_sequence(state.base_sequence, record_count as i32 - 1);
        let Some(seqs) = self.partitions.get_mut(&(topic.clone(), partition)) else {
            return;
        };
        // A partition's acks arrive in sequence order: its requests share one connection.
        seqs.last_acked = last;
    }

    /// The last sequence acknowledged for the partition under this epoch, -1 for none.
    fn last_acked(&self, topic: &Arc<str>, partition: i32) -> i32 {
        self.partitions
            .get(&(topic.clone(), partition))
            .map_or(-1, |s| s.last_acked)
    }

    /// Whether `state` is the batch the broker expects next for the partition.
    fn is_next_sequence(&self, topic: &Arc<str>, partition: i32, state: &ProducerState) -> bool {
        let last = self.last_acked(topic, partition);
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
                | ErrorCode::InvalidProducerIdMapping
        );
        if !self.is_current(topic, partition, state) {
            // Stamped under an epoch since replaced: whatever went wrong, it goes out again
            // under the new one.
            return if sequence_error || code.is_retriable() {
                SequenceDecision::Resequence
            } else {
                SequenceDecision::NotSequenceError
            };
        }
        match code {
            ErrorCode::OutOfOrderSequenceNumber if !self.local_epoch => {
                if self.is_next_sequence(topic, partition, state) {
                    self.request_epoch_bump(topic, partition);
                    SequenceDecision::Fail
                } else {
                    SequenceDecision::Retry
                }
            }
            ErrorCode::OutOfOrderSequenceNumber => {
                if state.base_sequence == 0 && self.last_acked(topic, partition) == -1 {
                    // Even sequence 0 of this epoch is refused: the broker has lost (or
                    // never had) our state, and only a new producer id gets past it.
                    self.request_reset(topic, partition);
                    SequenceDecision::Resequence
                } else if self.is_next_sequence(topic, partition, state) {
                    // A real gap (the broker lost batches it had, or never got one we gave
                    // up on): as Java's idempotent producer, bump the epoch and send this
                    // batch again from sequence 0, rather than fail it.
                    warn!(
                        topic = %topic,
                        partition,
                        base_sequence = state.base_sequence,
                        "out-of-order sequence on the next expected batch: bumping the epoch"
                    );
                    self.request_epoch_bump(topic, partition);
                    SequenceDecision::Resequence
                } else {
                    SequenceDecision::Retry
                }
            }
            ErrorCode::UnknownProducerId
            | ErrorCode::InvalidProducerIdMapping
            | ErrorCode::InvalidProducerEpoch
                if self.local_epoch =>
            {
                self.request_reset(topic, partition);
                SequenceDecision::Resequence
            }
            ErrorCode::UnknownProducerId | ErrorCode::InvalidProducerEpoch => {
                self.request_epoch_bump(topic, partition);
                SequenceDecision::Resequence
            }
            _ => SequenceDecision::NotSequenceError,
        }
    }

    /// A sequenced batch failed for good (fatal error, delivery timeout, retries exhausted):
    /// its sequence may be a gap the broker will never see filled, so the epoch is bumped.
    pub fn on_batch_failed(
        &mut self,
        topic: &Arc<str>,
        partition: i32,
        state: Option<&ProducerState>,
    ) {
        if state.is_some_and(|s| self.is_current(topic, partition, s)) {
            self.request_epoch_bump(topic, partition);
        }
    }
}

/// Whether `state` was stamped under `producer`'s id and epoch.
fn runs_under(state: &ProducerState, producer: ProducerIdAndEpoch) -> bool {
    state.producer_id == producer.producer_id && state.producer_epoch == producer.epoch
}

#[cfg(test)]
mod tests;
