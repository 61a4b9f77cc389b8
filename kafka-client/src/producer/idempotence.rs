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
//!   first batch has sequence 0. (Kafka brokers refuse InitProducerId naming an old id
//!   without a transactional id: librdkafka's mock says INVALID_PRODUCER_ID_MAPPING, tansu
//!   UNKNOWN_SERVER_ERROR.)
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

use kafka_protocol::ErrorCode;

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
            tm.producer(),
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
        tm.on_batch_failed(&tp(), 0, Some(&a));
        assert!(!tm.can_send());
        tm.on_batch_failed(&tp(), 0, None);
    }

    fn idempotent() -> SequenceManager {
        let mut tm = SequenceManager::idempotent();
        assert!(tm.needs_producer_id());
        assert!(!tm.bump_epoch_locally(), "no id yet: InitProducerId is due");
        tm.set_producer(ProducerIdAndEpoch {
            producer_id: 42,
            epoch: 3,
        });
        assert!(tm.can_send());
        tm
    }

    #[test]
    fn idempotent_failed_batch_bumps_the_epoch_locally() {
        let mut tm = idempotent();
        let a = tm.stamp(&tp(), 0, 5, None).unwrap();
        tm.on_success(&tp(), 0, 5, &a);
        let b = tm.stamp(&tp(), 0, 5, None).unwrap();
        let c = tm.stamp(&tp(), 0, 5, None).unwrap();
        let other = tm.stamp(&tp(), 1, 2, None).unwrap();
        assert_eq!((b.base_sequence, c.base_sequence), (5, 10));
        // `b` failed for good (TOPIC_AUTHORIZATION_FAILED, a delivery timeout): a gap.
        tm.on_batch_failed(&tp(), 0, Some(&b));
        assert!(tm.needs_producer_id() && !tm.can_send());
        // No InitProducerId: the epoch is bumped here, same id.
        assert!(tm.bump_epoch_locally());
        assert_eq!(
            tm.producer(),
            Some(ProducerIdAndEpoch {
                producer_id: 42,
                epoch: 4
            })
        );
        assert!(tm.can_send());
        // `c`, stamped under epoch 3 behind the gap, comes back and starts again from 0.
        assert_eq!(
            tm.on_error(&tp(), 0, &c, ErrorCode::NotLeaderOrFollower),
            SequenceDecision::Resequence
        );
        let c2 = tm.stamp(&tp(), 0, 5, Some(c)).unwrap();
        assert_eq!(
            (c2.producer_id, c2.producer_epoch, c2.base_sequence),
            (42, 4, 0)
        );
        // `other`'s partition had no gap: it keeps epoch 3 and its sequence (the broker may
        // have it already and must recognise the retry), and goes on under epoch 3.
        assert_eq!(
            tm.on_error(&tp(), 1, &other, ErrorCode::NotLeaderOrFollower),
            SequenceDecision::NotSequenceError
        );
        assert_eq!(tm.stamp(&tp(), 1, 2, Some(other)), Some(other));
        let next = tm.stamp(&tp(), 1, 1, None).unwrap();
        assert_eq!((next.producer_epoch, next.base_sequence), (3, 2));
        // A late ack of an old-epoch batch changes nothing.
        tm.on_success(&tp(), 0, 5, &a);
        assert_eq!(tm.stamp(&tp(), 0, 1, None).unwrap().base_sequence, 5);
    }

    #[test]
    fn idempotent_out_of_order_on_the_next_batch_is_resequenced_not_failed() {
        let mut tm = idempotent();
        let a = tm.stamp(&tp(), 0, 5, None).unwrap();
        tm.on_success(&tp(), 0, 5, &a);
        let b = tm.stamp(&tp(), 0, 5, None).unwrap();
        let c = tm.stamp(&tp(), 0, 5, None).unwrap();
        // `c` behind `b`: an expected rejection, retried as it is.
        assert_eq!(
            tm.on_error(&tp(), 0, &c, ErrorCode::OutOfOrderSequenceNumber),
            SequenceDecision::Retry
        );
        assert!(tm.can_send());
        // `b` is the next expected: a real gap. Bump, and send `b` again.
        assert_eq!(
            tm.on_error(&tp(), 0, &b, ErrorCode::OutOfOrderSequenceNumber),
            SequenceDecision::Resequence
        );
        assert!(tm.bump_epoch_locally());
        let b2 = tm.stamp(&tp(), 0, 5, Some(b)).unwrap();
        let c2 = tm.stamp(&tp(), 0, 5, Some(c)).unwrap();
        assert_eq!(
            (b2.producer_epoch, b2.base_sequence, c2.base_sequence),
            (4, 0, 5)
        );
        // Sequence 0 of the new epoch refused too: the broker lost our state. New id.
        assert_eq!(
            tm.on_error(&tp(), 0, &b2, ErrorCode::OutOfOrderSequenceNumber),
            SequenceDecision::Resequence
        );
        assert!(!tm.bump_epoch_locally(), "a reset needs InitProducerId");
        assert!(tm.needs_producer_id());
    }

    #[test]
    fn idempotent_unknown_producer_resets_the_id() {
        for code in [
            ErrorCode::UnknownProducerId,
            ErrorCode::InvalidProducerIdMapping,
            ErrorCode::InvalidProducerEpoch,
        ] {
            let mut tm = idempotent();
            let a = tm.stamp(&tp(), 0, 1, None).unwrap();
            let b = tm.stamp(&tp(), 0, 1, None).unwrap();
            assert_eq!(
                tm.on_error(&tp(), 0, &a, code),
                SequenceDecision::Resequence,
                "{code:?}"
            );
            // A gap reported afterwards does not downgrade the reset to a bump.
            tm.on_batch_failed(&tp(), 0, Some(&b));
            assert!(
                !tm.bump_epoch_locally(),
                "{code:?}: InitProducerId(-1) is due"
            );
            assert!(tm.needs_producer_id());
            tm.set_producer(ProducerIdAndEpoch {
                producer_id: 77,
                epoch: 0,
            });
            let a2 = tm.stamp(&tp(), 0, 1, Some(a)).unwrap();
            assert_eq!(
                (a2.producer_id, a2.producer_epoch, a2.base_sequence),
                (77, 0, 0)
            );
        }
    }

    #[test]
    fn idempotent_epoch_exhausted_resets_the_id() {
        let mut tm = SequenceManager::idempotent();
        tm.set_producer(ProducerIdAndEpoch {
            producer_id: 1,
            epoch: i16::MAX,
        });
        let a = tm.stamp(&tp(), 0, 1, None).unwrap();
        tm.on_batch_failed(&tp(), 0, Some(&a));
        assert!(!tm.bump_epoch_locally());
        assert!(tm.needs_producer_id());
        assert_eq!(tm.producer().unwrap().epoch, i16::MAX, "no overflow");
    }

    #[test]
    fn transactional_bookkeeping_never_bumps_locally() {
        let mut tm = started();
        let a = tm.stamp(&tp(), 0, 1, None).unwrap();
        assert_eq!(
            tm.on_error(&tp(), 0, &a, ErrorCode::UnknownProducerId),
            SequenceDecision::Resequence
        );
        assert!(!tm.bump_epoch_locally(), "the coordinator bumps the epoch");
        assert_eq!(tm.producer().unwrap().epoch, 0);
    }

    /// Found by the chaos run (integration-tests/tests/chaos.rs, seed 116): partition 1's
    /// batch was written but its answer lost, and while it waited for its retry partition 0's
    /// batch failed for good. The bump re-sequenced partition 1's batch under the new epoch,
    /// so the broker wrote it a second time.
    #[test]
    fn seed_116_a_local_bump_leaves_the_other_partitions_retries_as_they_were() {
        let mut tm = idempotent();
        let lost_answer = tm.stamp(&tp(), 1, 1, None).unwrap();
        let refused = tm.stamp(&tp(), 0, 1, None).unwrap();
        assert_eq!(
            tm.on_error(&tp(), 1, &lost_answer, ErrorCode::RequestTimedOut),
            SequenceDecision::NotSequenceError
        );
        tm.on_batch_failed(&tp(), 0, Some(&refused));
        assert!(tm.bump_epoch_locally());
        assert_eq!(tm.producer().unwrap().epoch, 4);
        // The retry goes out exactly as the first try: the broker answers it as a duplicate.
        assert_eq!(tm.stamp(&tp(), 1, 1, Some(lost_answer)), Some(lost_answer));
        tm.on_success(&tp(), 1, 1, &lost_answer);
        // Partition 0 starts again under the new epoch.
        let fresh = tm.stamp(&tp(), 0, 1, None).unwrap();
        assert_eq!((fresh.producer_epoch, fresh.base_sequence), (4, 0));
    }

    #[test]
    fn sequences_wrap() {
        assert_eq!(add_sequence(i32::MAX, 1), 0);
        assert_eq!(add_sequence(i32::MAX - 1, 5), 3);
        assert_eq!(add_sequence(-1, 1), 0);
    }
}
