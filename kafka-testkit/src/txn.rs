//! The transaction coordinator: transactional ids with their producer id and epoch, the
//! partitions and groups of the open transaction, and its completion with COMMIT or ABORT
//! markers written to every partition (and the transaction's group offsets applied or
//! dropped).
//!
//! Kafka completes a transaction in two steps: EndTxn moves it to PrepareCommit or
//! PrepareAbort and is answered at once; the markers are then written to every partition by
//! the `TransactionMarkerChannelManager`, and only once they all are does the transaction
//! reach CompleteCommit or CompleteAbort. Meanwhile the coordinator answers InitProducerId,
//! AddPartitionsToTxn and AddOffsetsToTxn for that transactional id with the retriable
//! CONCURRENT_TRANSACTIONS (and a retried EndTxn of the same outcome too). Here the markers
//! land `marker_delay` after EndTxn (the cluster's ticker writes them then; zero: at once,
//! inside EndTxn), and not at all while `hold_markers` is set.
//!
//! When a producer re-initialises, or a transaction times out, the open transaction is
//! aborted with the epoch bumped, which fences the old producer (Kafka's rule); those aborts
//! write their markers at once. Transaction version 2 (KIP-890: epoch bump on every EndTxn)
//! is not advertised.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafkito_protocol::ErrorCode;

use crate::state::{now_ms, State};

/// Kafka's `transaction.max.timeout.ms` default (15 minutes).
pub const MAX_TRANSACTION_TIMEOUT_MS: i32 = 900_000;

/// Where a transactional id stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnState {
    Empty,
    Ongoing,
    /// EndTxn answered, markers not yet written.
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
}

/// One transactional id.
#[derive(Debug, Clone)]
pub(crate) struct Txn {
    pub producer_id: i64,
    pub epoch: i16,
    pub timeout: Duration,
    pub state: TxnState,
    pub partitions: BTreeSet<(String, i32)>,
    pub groups: BTreeSet<String>,
    /// When the open transaction began (its first AddPartitions/AddOffsets).
    pub started: Option<Instant>,
    /// In PrepareCommit/PrepareAbort: when its markers are due.
    pub markers_due: Option<Instant>,
}

/// Every transactional id of the cluster.
#[derive(Debug, Default)]
pub(crate) struct Transactions {
    pub by_id: HashMap<String, Txn>,
    /// Coordinator epoch written in markers (one coordinator incarnation here).
    pub coordinator_epoch: i32,
    /// How long after EndTxn the markers land (zero: inside EndTxn).
    pub marker_delay: Duration,
    /// While set, prepared transactions keep their markers (a test's fault control).
    pub hold_markers: bool,
    /// Woken when markers are scheduled, so the cluster's ticker writes them on time.
    pub markers_scheduled: Arc<tokio::sync::Notify>,
    /// How many requests were answered CONCURRENT_TRANSACTIONS.
    pub concurrent_answers: u64,
}

/// How an epoch refusal is answered: PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH for request
/// versions older than KIP-588's (clients that do not know PRODUCER_FENCED).
pub(crate) fn fenced(knows_producer_fenced: bool) -> ErrorCode {
    if knows_producer_fenced {
        ErrorCode::ProducerFenced
    } else {
        ErrorCode::InvalidProducerEpoch
    }
}

impl State {
    /// InitProducerId with a transactional id: a new id at epoch 0, or the next epoch of the
    /// existing one (aborting its open transaction first). `expected` is the producer id and
    /// epoch a KIP-360 client sends to resume; they must be the current ones.
    pub fn init_transactional_producer(
        &mut self,
        transactional_id: &str,
        timeout_ms: i32,
        expected: Option<(i64, i16)>,
        knows_producer_fenced: bool,
        now: Instant,
    ) -> Result<(i64, i16), ErrorCode> {
        if timeout_ms <= 0 || timeout_ms > MAX_TRANSACTION_TIMEOUT_MS {
            return Err(ErrorCode::InvalidTransactionTimeout);
        }
        let timeout = Duration::from_millis(timeout_ms as u64);
        let Some(txn) = self.txns.by_id.get(transactional_id).cloned() else {
            if expected.is_some() {
                return Err(ErrorCode::InvalidProducerIdMapping);
            }
            let producer_id = self.allocate_producer_id();
            self.txns.by_id.insert(
                transactional_id.to_owned(),
                Txn {
                    producer_id,
                    epoch: 0,
                    timeout,
                    state: TxnState::Empty,
                    partitions: BTreeSet::new(),
                    groups: BTreeSet::new(),
                    started: None,
                    markers_due: None,
                },
            );
            return Ok((producer_id, 0));
        };
        if let Some((pid, epoch)) = expected {
            if pid != txn.producer_id {
                return Err(ErrorCode::InvalidProducerIdMapping);
            }
            if epoch != txn.epoch {
                return Err(fenced(knows_producer_fenced));
            }
        }
        // Kafka: the client backs off and retries until the markers are written.
        self.check_not_completing(transactional_id)?;
        if txn.state == TxnState::Ongoing {
            // Fence the previous incarnation: abort its transaction under a bumped epoch.
            self.complete_transaction(transactional_id, false, true, now);
        }
        let exhausted = self
            .txns
            .by_id
            .get(transactional_id)
            .is_some_and(|t| t.epoch >= i16::MAX - 1);
        // Epoch exhausted: a new producer id at epoch 0 (Kafka's rule).
        let new_id = exhausted.then(|| self.allocate_producer_id());
        let txn = self
            .txns
            .by_id
            .get_mut(transactional_id)
            .ok_or(ErrorCode::UnknownServerError)?;
        match new_id {
            Some(id) => {
                txn.producer_id = id;
                txn.epoch = 0;
            }
            None => txn.epoch += 1,
        }
        txn.timeout = timeout;
        txn.state = TxnState::Empty;
        Ok((txn.producer_id, txn.epoch))
    }

    /// Checks that `producer_id`/`epoch` are the current ones of `transactional_id`.
    pub fn check_txn_producer(
        &self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        knows_producer_fenced: bool,
    ) -> Result<(), ErrorCode> {
        let txn = self
            .txns
            .by_id
            .get(transactional_id)
            .ok_or(ErrorCode::InvalidProducerIdMapping)?;
        if txn.producer_id != producer_id {
            return Err(ErrorCode::InvalidProducerIdMapping);
        }
        if epoch != txn.epoch {
            return Err(fenced(knows_producer_fenced));
        }
        Ok(())
    }

    /// CONCURRENT_TRANSACTIONS while `transactional_id`'s markers are being written
    /// (PrepareCommit/PrepareAbort), as Kafka's coordinator answers InitProducerId,
    /// AddPartitionsToTxn and AddOffsetsToTxn then; counted for tests.
    pub fn check_not_completing(&mut self, transactional_id: &str) -> Result<(), ErrorCode> {
        let completing =
            self.txns.by_id.get(transactional_id).is_some_and(|t| {
                matches!(t.state, TxnState::PrepareCommit | TxnState::PrepareAbort)
            });
        if completing {
            self.txns.concurrent_answers += 1;
            tracing::debug!(
                transactional_id,
                "markers not yet written: CONCURRENT_TRANSACTIONS"
            );
            return Err(ErrorCode::ConcurrentTransactions);
        }
        Ok(())
    }

    /// Opens the transaction (if it is not) and adds partitions or a group to it.
    pub fn add_to_transaction(
        &mut self,
        transactional_id: &str,
        partitions: &[(String, i32)],
        group: Option<&str>,
        now: Instant,
    ) {
        if let Some(txn) = self.txns.by_id.get_mut(transactional_id) {
            if txn.state != TxnState::Ongoing {
                txn.state = TxnState::Ongoing;
                txn.partitions.clear();
                txn.groups.clear();
                txn.started = Some(now);
            }
            txn.partitions.extend(partitions.iter().cloned());
            if let Some(g) = group {
                txn.groups.insert(g.to_owned());
            }
        }
    }

    /// Whether `producer_id` may write transactional data to the partition: its transaction
    /// is open and includes it (the verification Kafka 3.6+ does before such an append).
    pub fn partition_in_transaction(
        &self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        topic: &str,
        partition: i32,
    ) -> Result<(), ErrorCode> {
        let Some(t) = self.txns.by_id.get(transactional_id) else {
            return Err(ErrorCode::InvalidTxnState);
        };
        // A fenced producer (its epoch bumped by a newer InitProducerId, which aborted its
        // transaction) hears INVALID_PRODUCER_EPOCH on Produce: the partition's producer state
        // carries the bumped epoch from the abort marker, and Produce has no PRODUCER_FENCED.
        if t.producer_id == producer_id && producer_epoch < t.epoch {
            return Err(ErrorCode::InvalidProducerEpoch);
        }
        let added = t.producer_id == producer_id
            && t.state == TxnState::Ongoing
            && t.partitions.contains(&(topic.to_owned(), partition));
        if added {
            Ok(())
        } else {
            Err(ErrorCode::InvalidTxnState)
        }
    }

    /// EndTxn: commits or aborts the open transaction: PrepareCommit/PrepareAbort, with the
    /// markers written now (no delay, no hold) or when due. A retried EndTxn for a
    /// transaction already completed the same way succeeds, one still being completed the
    /// same way is CONCURRENT_TRANSACTIONS (Kafka's answer); anything else without an open
    /// transaction is INVALID_TXN_STATE.
    pub fn end_transaction(
        &mut self,
        transactional_id: &str,
        commit: bool,
        now: Instant,
    ) -> Result<(), ErrorCode> {
        let state = self
            .txns
            .by_id
            .get(transactional_id)
            .map(|t| t.state)
            .ok_or(ErrorCode::InvalidProducerIdMapping)?;
        match (state, commit) {
            (TxnState::Ongoing, _) => {
                if self.txns.marker_delay.is_zero() && !self.txns.hold_markers {
                    self.complete_transaction(transactional_id, commit, false, now);
                    return Ok(());
                }
                let due = now + self.txns.marker_delay;
                if let Some(t) = self.txns.by_id.get_mut(transactional_id) {
                    t.state = if commit {
                        TxnState::PrepareCommit
                    } else {
                        TxnState::PrepareAbort
                    };
                    t.markers_due = Some(due);
                }
                self.txns.markers_scheduled.notify_one();
                Ok(())
            }
            (TxnState::PrepareCommit, true) | (TxnState::PrepareAbort, false) => {
                self.check_not_completing(transactional_id)
            }
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => Ok(()),
            _ => Err(ErrorCode::InvalidTxnState),
        }
    }

    /// When the earliest prepared transaction's markers are due (`None`: none is, or they
    /// are held).
    pub fn next_markers_due(&self) -> Option<Instant> {
        if self.txns.hold_markers {
            return None;
        }
        self.txns.by_id.values().filter_map(|t| t.markers_due).min()
    }

    /// Writes the markers of every prepared transaction due by `now` (none while held).
    /// Returns whether any were written.
    pub fn write_due_markers(&mut self, now: Instant) -> bool {
        if self.txns.hold_markers {
            return false;
        }
        let due: Vec<(String, bool)> = self
            .txns
            .by_id
            .iter()
            .filter(|(_, t)| t.markers_due.is_some_and(|d| d <= now))
            .map(|(id, t)| (id.clone(), t.state == TxnState::PrepareCommit))
            .collect();
        for (id, commit) in &due {
            self.complete_transaction(id, *commit, false, now);
        }
        !due.is_empty()
    }

    /// Writes the markers of `transactional_id`'s open transaction and applies (commit) or
    /// drops (abort) its group offsets. With `bump_epoch`, the markers carry the next epoch,
    /// fencing the producer that opened the transaction.
    fn complete_transaction(
        &mut self,
        transactional_id: &str,
        commit: bool,
        bump_epoch: bool,
        _now: Instant,
    ) {
        let coordinator_epoch = self.txns.coordinator_epoch;
        let Some(txn) = self.txns.by_id.get_mut(transactional_id) else {
            return;
        };
        if bump_epoch {
            txn.epoch = txn.epoch.saturating_add(1);
        }
        let (pid, epoch) = (txn.producer_id, txn.epoch);
        let partitions = std::mem::take(&mut txn.partitions);
        let groups = std::mem::take(&mut txn.groups);
        txn.state = if commit {
            TxnState::CompleteCommit
        } else {
            TxnState::CompleteAbort
        };
        txn.started = None;
        txn.markers_due = None;
        let now = now_ms();
        for (topic, index) in &partitions {
            if let Some(p) = self
                .topics
                .get_mut(topic)
                .and_then(|t| t.partitions.get_mut(*index as usize))
            {
                let leader_epoch = p.leader_epoch;
                p.log
                    .write_marker(pid, epoch, commit, coordinator_epoch, leader_epoch, now);
            }
        }
        for group in &groups {
            self.groups
                .complete_transactional_offsets(group, pid, commit);
        }
        tracing::debug!(
            transactional_id,
            commit,
            partitions = partitions.len(),
            "transaction completed"
        );
    }

    /// Writes the markers now due, then aborts transactions open longer than their timeout,
    /// bumping the epoch (the producer learns it was fenced on its next request). Returns
    /// whether markers were written.
    pub fn expire_transactions(&mut self, now: Instant) -> bool {
        let wrote = self.write_due_markers(now);
        let expired: Vec<String> = self
            .txns
            .by_id
            .iter()
            .filter(|(_, t)| {
                t.state == TxnState::Ongoing && t.started.is_some_and(|s| now >= s + t.timeout)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in &expired {
            tracing::info!(transactional_id = %id, "transaction timed out: aborting");
            self.complete_transaction(id, false, true, now);
        }
        wrote || !expired.is_empty()
    }
}
