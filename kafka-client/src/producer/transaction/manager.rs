//! [`TransactionManager`]: the transactional producer's state machine, plain data. It
//! decides — which calls are allowed in which state, which partitions to add, what a commit or
//! abort does next ([`EndStep`]), and which state follows each answer — and never does I/O.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::ErrorCode;
use tracing::{debug, info, warn};

use super::{classify, txn_error, PartitionKey, TransactionState, TxnErrorKind};
use crate::error::{Error, Result};
use crate::producer::idempotence::ProducerIdAndEpoch;

/// What a commit or abort does next (decided by [`TransactionManager::next_end_step`],
/// performed by the producer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndStep {
    /// An AddPartitionsToTxn is in flight: wait for its answer, so that EndTxn does not race
    /// it.
    AwaitAddPartitions,
    /// Send EndTxn (commit or abort) as `producer`; its answer goes to
    /// [`TransactionManager::on_end_txn`].
    EndTxn {
        /// The producer id and epoch of the transaction.
        producer: ProducerIdAndEpoch,
        /// Commit (or abort).
        commit: bool,
    },
    /// A batch's sequence may have left a gap: bump the epoch (InitProducerId naming
    /// `current`, KIP-360), which resets every partition's sequence; the answer goes to
    /// [`TransactionManager::on_producer_id`].
    BumpEpoch {
        /// The id and epoch to bump from.
        current: Option<ProducerIdAndEpoch>,
    },
    /// The transaction is over: the producer is `Ready`.
    Done,
}

/// The public call a commit or an abort is.
fn end_call(commit: bool) -> &'static str {
    if commit {
        "commit_transaction"
    } else {
        "abort_transaction"
    }
}

/// The transactional producer's state: plain data (see the module docs).
#[derive(Debug)]
pub(crate) struct TransactionManager {
    transactional_id: String,
    state: TransactionState,
    producer: Option<ProducerIdAndEpoch>,
    /// Why the state is `AbortableError` or `FatalError`.
    last_error: Option<Error>,
    /// Partitions the broker has in the current transaction.
    in_transaction: HashSet<PartitionKey>,
    /// Partitions sent to but not yet added (AddPartitionsToTxn not yet sent).
    new_partitions: BTreeSet<PartitionKey>,
    /// Partitions of the AddPartitionsToTxn in flight.
    pending_partitions: BTreeSet<PartitionKey>,
    /// AddOffsetsToTxn was sent in this transaction (so it may be open at the coordinator).
    offsets_added: bool,
    /// EndTxn was answered for the current transaction (a commit or abort resumed after a
    /// timeout in its epoch bump does not end it twice).
    end_txn_done: bool,
    /// A batch's sequence may have left a gap: the epoch must be bumped (by the next abort)
    /// before anything else is sent.
    epoch_bump_needed: bool,
}

impl TransactionManager {
    /// A manager for `transactional_id`, `Uninitialized`.
    pub fn new(transactional_id: impl Into<String>) -> Self {
        TransactionManager {
            transactional_id: transactional_id.into(),
            state: TransactionState::Uninitialized,
            producer: None,
            last_error: None,
            in_transaction: HashSet::new(),
            new_partitions: BTreeSet::new(),
            pending_partitions: BTreeSet::new(),
            offsets_added: false,
            end_txn_done: false,
            epoch_bump_needed: false,
        }
    }

    /// The `transactional.id`.
    pub fn transactional_id(&self) -> &str {
        &self.transactional_id
    }

    /// The current state.
    pub fn state(&self) -> TransactionState {
        self.state
    }

    /// The producer id and epoch, once initialized.
    pub fn producer(&self) -> Option<ProducerIdAndEpoch> {
        self.producer
    }

    /// The error behind `AbortableError` / `FatalError`.
    pub fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }

    /// The error for `call` in the current state. After a fatal error every call returns
    /// that error itself (e.g. [`Error::ProducerFenced`]), as Java rethrows it.
    fn invalid(&self, call: &'static str) -> Error {
        if let (TransactionState::FatalError, Some(error)) = (self.state, &self.last_error) {
            return error.clone();
        }
        Error::InvalidTransactionState {
            call,
            state: self.state,
            cause: self.last_error.clone().map(Box::new),
        }
    }

    fn transition(&mut self, to: TransactionState) {
        if self.state != to {
            info!(transactional_id = %self.transactional_id, from = %self.state, to = %to, "transaction state change");
            self.state = to;
        }
    }

    /// `init_transactions` starts (or resumes after a timeout). Returns the id and epoch to
    /// name in a KIP-360 bump, if one is known.
    pub fn start_init(&mut self) -> Result<Option<ProducerIdAndEpoch>> {
        match self.state {
            TransactionState::Uninitialized | TransactionState::Initializing => {
                self.transition(TransactionState::Initializing);
                Ok(self.producer)
            }
            _ => Err(self.invalid("init_transactions")),
        }
    }

    /// InitProducerId answered: the producer is `Ready` (from `Initializing`), or — after an
    /// abort's epoch bump — keeps its state with the new epoch.
    pub fn set_producer(&mut self, producer: ProducerIdAndEpoch) {
        info!(transactional_id = %self.transactional_id, producer_id = producer.producer_id, epoch = producer.epoch, "producer id and epoch");
        self.producer = Some(producer);
        self.epoch_bump_needed = false;
        if self.state == TransactionState::Initializing {
            self.transition(TransactionState::Ready);
        }
    }

    /// `begin_transaction`.
    pub fn begin(&mut self) -> Result<()> {
        if self.state != TransactionState::Ready {
            return Err(self.invalid("begin_transaction"));
        }
        self.clear_transaction();
        self.transition(TransactionState::InTransaction);
        Ok(())
    }

    fn clear_transaction(&mut self) {
        self.in_transaction.clear();
        self.new_partitions.clear();
        self.pending_partitions.clear();
        self.offsets_added = false;
        self.end_txn_done = false;
        self.last_error = None;
    }

    /// A `send` to `partition`: allowed only in a transaction; remembers the partition so the
    /// sender adds it to the transaction before its first batch.
    pub fn on_send(&mut self, topic: &str, partition: i32) -> Result<()> {
        self.check_send()?;
        let known = |set: &BTreeSet<PartitionKey>| {
            set.iter().any(|(t, p)| **t == *topic && *p == partition)
        };
        if !self
            .in_transaction
            .iter()
            .any(|(t, p)| **t == *topic && *p == partition)
            && !known(&self.new_partitions)
            && !known(&self.pending_partitions)
        {
            debug!(transactional_id = %self.transactional_id, topic, partition, "partition joins the transaction");
            self.new_partitions.insert((Arc::from(topic), partition));
        }
        Ok(())
    }

    /// Whether a `send` is allowed now.
    pub fn check_send(&self) -> Result<()> {
        if self.state == TransactionState::InTransaction {
            Ok(())
        } else {
            Err(self.invalid("send"))
        }
    }

    /// Whether a batch of `partition` may be sent: the broker has the partition in the
    /// transaction.
    pub fn is_send_allowed(&self, topic: &Arc<str>, partition: i32) -> bool {
        matches!(
            self.state,
            TransactionState::InTransaction | TransactionState::CommittingTransaction
        ) && !self.epoch_bump_needed
            && self.in_transaction.contains(&(topic.clone(), partition))
    }

    /// The partitions to add now, if any wait and no AddPartitionsToTxn is in flight. They
    /// are pending until [`on_add_partitions`](Self::on_add_partitions).
    pub fn partitions_to_add(&mut self) -> Option<(ProducerIdAndEpoch, Vec<PartitionKey>)> {
        let sending = matches!(
            self.state,
            TransactionState::InTransaction | TransactionState::CommittingTransaction
        );
        if !sending
            || self.epoch_bump_needed
            || self.new_partitions.is_empty()
            || !self.pending_partitions.is_empty()
        {
            return None;
        }
        let producer = self.producer?;
        self.pending_partitions = std::mem::take(&mut self.new_partitions);
        Some((producer, self.pending_partitions.iter().cloned().collect()))
    }

    /// Whether an AddPartitionsToTxn is in flight.
    pub fn adding_partitions(&self) -> bool {
        !self.pending_partitions.is_empty()
    }

    /// The AddPartitionsToTxn answer: per partition, its error code (`None`: the whole
    /// request failed with `error`, e.g. the connection broke). Returns whether to retry the
    /// partitions that were not added (after a backoff).
    pub fn on_add_partitions(
        &mut self,
        result: std::result::Result<HashMap<PartitionKey, ErrorCode>, Error>,
    ) -> bool {
        let pending = std::mem::take(&mut self.pending_partitions);
        let codes = match result {
            Ok(codes) => codes,
            Err(error) => {
                if super::retriable(&error) {
                    debug!(transactional_id = %self.transactional_id, %error, "AddPartitionsToTxn failed; retrying");
                    self.new_partitions.extend(pending);
                    return true;
                }
                self.fail(error);
                return false;
            }
        };
        let mut retry = false;
        for key in pending {
            let code = codes
                .get(&key)
                .copied()
                .unwrap_or(ErrorCode::UnknownServerError);
            if code.is_ok() {
                self.in_transaction.insert(key);
                continue;
            }
            match classify(code) {
                TxnErrorKind::Retriable => {
                    debug!(transactional_id = %self.transactional_id, topic = %key.0, partition = key.1, %code, "AddPartitionsToTxn: retrying partition");
                    self.new_partitions.insert(key);
                    retry = true;
                }
                _ => {
                    let error = txn_error(&self.transactional_id, ApiKey::AddPartitionsToTxn, code);
                    warn!(transactional_id = %self.transactional_id, topic = %key.0, partition = key.1, %error, "could not add partition to the transaction");
                    self.fail(error);
                }
            }
        }
        retry
    }

    /// Records `error` where it belongs: fatal errors make the producer unusable, others make
    /// an open (or committing) transaction abortable.
    pub fn fail(&mut self, error: Error) {
        if error.is_fatal_for_producer()
            || matches!(&error, Error::Protocol { code, .. } if classify(*code) == TxnErrorKind::Fatal)
        {
            self.set_fatal(error);
        } else {
            self.set_abortable(error);
        }
    }

    /// The transaction can only be aborted now (unless the producer is already worse off, or
    /// no transaction is open).
    pub fn set_abortable(&mut self, error: Error) {
        if matches!(
            self.state,
            TransactionState::InTransaction | TransactionState::CommittingTransaction
        ) {
            warn!(transactional_id = %self.transactional_id, %error, "transaction must be aborted");
            self.last_error = Some(error);
            self.transition(TransactionState::AbortableError);
        }
    }

    /// The producer can do nothing more.
    pub fn set_fatal(&mut self, error: Error) {
        if self.state != TransactionState::FatalError {
            warn!(transactional_id = %self.transactional_id, %error, "transactional producer failed fatally");
            self.last_error = Some(error);
            self.transition(TransactionState::FatalError);
        }
    }

    /// A batch's sequence may be a gap (the idempotence bookkeeping wants a new epoch): the
    /// transaction is abortable, and the abort bumps the epoch.
    pub fn request_epoch_bump(&mut self, reason: Error) {
        if !self.epoch_bump_needed {
            debug!(transactional_id = %self.transactional_id, "epoch bump needed");
            self.epoch_bump_needed = true;
        }
        self.set_abortable(reason);
    }

    /// Whether the next abort must bump the epoch.
    #[cfg(test)]
    pub fn epoch_bump_needed(&self) -> bool {
        self.epoch_bump_needed
    }

    /// `send_offsets_to_transaction` may run.
    pub fn check_send_offsets(&self) -> Result<()> {
        if self.state == TransactionState::InTransaction {
            Ok(())
        } else {
            Err(self.invalid("send_offsets_to_transaction"))
        }
    }

    /// AddOffsetsToTxn is about to be sent: from here on the coordinator may hold the
    /// transaction open, so commit/abort must end it.
    pub fn mark_offsets_added(&mut self) {
        self.offsets_added = true;
    }

    /// `commit_transaction` starts (or resumes).
    pub fn begin_commit(&mut self) -> Result<()> {
        match self.state {
            TransactionState::InTransaction | TransactionState::CommittingTransaction => {
                self.transition(TransactionState::CommittingTransaction);
                Ok(())
            }
            _ => Err(self.invalid("commit_transaction")),
        }
    }

    /// `abort_transaction` starts (or resumes).
    pub fn begin_abort(&mut self) -> Result<()> {
        match self.state {
            TransactionState::InTransaction
            | TransactionState::AbortableError
            | TransactionState::AbortingTransaction => {
                self.transition(TransactionState::AbortingTransaction);
                Ok(())
            }
            _ => Err(self.invalid("abort_transaction")),
        }
    }

    /// Whether the coordinator may have the transaction open, so EndTxn is needed. A
    /// transaction that never reached the broker ends locally.
    pub fn needs_end_txn(&self) -> bool {
        !self.in_transaction.is_empty() || !self.pending_partitions.is_empty() || self.offsets_added
    }

    /// Whether only AddOffsetsToTxn (whose answer may have been lost) could have opened the
    /// transaction at the coordinator: then an INVALID_TXN_STATE from EndTxn means "nothing
    /// to end".
    pub fn only_offsets_maybe_added(&self) -> bool {
        self.in_transaction.is_empty() && self.pending_partitions.is_empty() && self.offsets_added
    }

    /// EndTxn succeeded (or was not needed): `Ready` for the next transaction.
    pub fn end_done(&mut self) {
        if matches!(
            self.state,
            TransactionState::CommittingTransaction | TransactionState::AbortingTransaction
        ) {
            self.clear_transaction();
            self.transition(TransactionState::Ready);
        }
    }

    /// The error a commit reports when the transaction turned abortable under it.
    pub fn abortable_error(&self) -> Option<Error> {
        (self.state == TransactionState::AbortableError).then(|| Error::TransactionAbortable {
            transactional_id: self.transactional_id.clone(),
            source: Box::new(
                self.last_error
                    .clone()
                    .unwrap_or_else(|| self.invalid("commit_transaction")),
            ),
        })
    }

    /// The error for a call made after the producer failed fatally: the fatal error itself
    /// (e.g. [`Error::ProducerFenced`]), as Java rethrows it.
    fn fatal_error(&self, call: &'static str) -> Option<Error> {
        (self.state == TransactionState::FatalError).then(|| self.invalid(call))
    }

    /// `send_offsets_to_transaction` starts: the producer id and epoch to send the offsets
    /// with. The caller marks the offsets added ([`mark_offsets_added`](Self::mark_offsets_added))
    /// before sending AddOffsetsToTxn.
    pub fn start_send_offsets(&self) -> Result<ProducerIdAndEpoch> {
        self.check_send_offsets()?;
        self.producer
            .ok_or_else(|| self.invalid("send_offsets_to_transaction"))
    }

    /// AddOffsetsToTxn + TxnOffsetCommit answered `result`: the error the call reports. A
    /// timeout leaves the transaction as it is (the call may be made again, or the transaction
    /// aborted); any other failure makes the transaction abortable, or the producer unusable
    /// when fenced.
    pub fn on_send_offsets(&mut self, result: Result<()>) -> Result<()> {
        match result {
            Ok(()) => Ok(()),
            Err(error @ Error::Timeout { .. }) => Err(error),
            Err(error) => {
                self.fail(error.clone());
                if error.is_fatal_for_producer() {
                    Err(error)
                } else {
                    Err(Error::TransactionAbortable {
                        transactional_id: self.transactional_id.clone(),
                        source: Box::new(error),
                    })
                }
            }
        }
    }

    /// InitProducerId (of `init_transactions`, or an abort's epoch bump) answered `result`.
    /// A timeout changes nothing (the call may be made again); another failure is fatal, as
    /// the producer cannot send without an id.
    pub fn on_producer_id(&mut self, result: Result<ProducerIdAndEpoch>) -> Result<()> {
        match result {
            Ok(producer) => {
                self.set_producer(producer);
                Ok(())
            }
            Err(error @ Error::Timeout { .. }) => Err(error),
            Err(error) => {
                self.set_fatal(error.clone());
                Err(error)
            }
        }
    }

    /// A commit (`commit`) or abort has waited for the transaction's records, which ended
    /// with `flushed`: whether it may go on to end the transaction. A commit never ends a
    /// transaction that lost a record or turned abortable; nothing goes on after a fatal
    /// error.
    pub fn on_flushed(&mut self, commit: bool, flushed: Result<()>) -> Result<()> {
        let call = end_call(commit);
        if commit {
            if let Some(error) = self.abortable_error() {
                return Err(error);
            }
        }
        if let Some(error) = self.fatal_error(call) {
            return Err(error);
        }
        if let (true, Err(error)) = (commit, flushed) {
            // A record failed without making the transaction abortable (it should have):
            // never commit a transaction with a lost record.
            self.set_abortable(error.clone());
            return Err(self.abortable_error().unwrap_or(error));
        }
        Ok(())
    }

    /// What a commit (`commit`) or abort does next, once its records are flushed
    /// ([`on_flushed`](Self::on_flushed)): wait for an AddPartitionsToTxn in flight, send
    /// EndTxn if the coordinator may have the transaction open, bump the epoch if a
    /// sequence may have a gap, and then be done (the producer is `Ready` again).
    pub fn next_end_step(&mut self, commit: bool) -> Result<EndStep> {
        let call = end_call(commit);
        if let Some(error) = self.fatal_error(call) {
            return Err(error);
        }
        if commit {
            // Partitions whose add failed while the commit waited: the transaction cannot
            // commit.
            if let Some(error) = self.abortable_error() {
                return Err(error);
            }
        }
        if self.adding_partitions() {
            return Ok(EndStep::AwaitAddPartitions);
        }
        if !self.end_txn_done && self.needs_end_txn() {
            if let Some(producer) = self.producer {
                return Ok(EndStep::EndTxn { producer, commit });
            }
        }
        if self.epoch_bump_needed {
            return Ok(EndStep::BumpEpoch {
                current: self.producer,
            });
        }
        self.end_done();
        Ok(EndStep::Done)
    }

    /// EndTxn answered `result` (the commit or abort `commit`): `Ok` to go on with the next
    /// step, or the error the call reports. A timeout leaves everything as it is (the call may
    /// be made again). A fatal error makes the producer unusable; a failed commit makes the
    /// transaction abortable.
    pub fn on_end_txn(&mut self, commit: bool, result: Result<()>) -> Result<()> {
        match result {
            Ok(()) => {
                self.end_txn_done = true;
                Ok(())
            }
            // AddOffsetsToTxn's answer was lost and it never reached the coordinator: there
            // is nothing to end.
            Err(Error::Protocol {
                code: ErrorCode::InvalidTxnState,
                ..
            }) if self.only_offsets_maybe_added() => {
                self.end_txn_done = true;
                Ok(())
            }
            Err(error @ Error::Timeout { .. }) => Err(error),
            Err(error) => {
                self.fail(error.clone());
                Err(if error.is_fatal_for_producer() || !commit {
                    error
                } else {
                    self.abortable_error().unwrap_or(error)
                })
            }
        }
    }
}
