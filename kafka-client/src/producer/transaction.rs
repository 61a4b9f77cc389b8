//! Transactions (Java's `TransactionManager`): the state machine of a transactional producer,
//! the classification of the transaction APIs' errors, and the requests to the transaction and
//! group coordinators.
//!
//! Split in two, as the style guide asks:
//!
//! - [`TransactionManager`] is plain data: the [`TransactionState`], the producer id and epoch
//!   from InitProducerId, which partitions the broker already has in the transaction and which
//!   still need an AddPartitionsToTxn, and the error that put the producer in `AbortableError`
//!   or `FatalError`. Every public call and every response goes through it, and it answers
//!   with a decision or an [`Error::InvalidTransactionState`]; it never does I/O.
//! - the `async fn`s at the bottom do the I/O: finding the coordinator (FindCoordinator with
//!   key type 1), InitProducerId, AddPartitionsToTxn (the v0–3 client form: v4+ is the
//!   broker-to-broker batch), AddOffsetsToTxn, TxnOffsetCommit (v3+ carries the member's
//!   generation, member id and `group.instance.id`, KIP-447) and EndTxn, each retried
//!   ([`retry`]) within the public call's `max.block.ms` while the error is retriable.
//!
//! Who drives what: `init_transactions`, `send_offsets_to_transaction`, `commit_transaction`
//! and `abort_transaction` run in the caller's task (they hold the `Transactions` call lock,
//! so two of them never interleave); the sender task sends AddPartitionsToTxn for the
//! partitions `send` named, before their first batch, and reports batch failures here (they
//! make the transaction abortable). Dropping any of the calls is safe: each state change is
//! made under a short lock, before or after an `.await`, never across one, and a call in
//! `CommittingTransaction`/`AbortingTransaction`/`Initializing` resumes when made again (a
//! timed-out commit is retried by calling commit again, as in Java).
//!
//! The protocol versions are kept at the "transaction version 1" forms (EndTxn ≤ 4,
//! TxnOffsetCommit ≤ 4, Produce ≤ 11 for transactional batches): with those, partitions and
//! offsets are added explicitly and the epoch stays the same across transactions, which is
//! what the idempotence bookkeeping (`idempotence.rs`) expects. KIP-890's implicit adds and
//! per-transaction epoch bumps are not used.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, ApiKey,
    EndTxnRequest, FindCoordinatorRequest, InitProducerIdRequest, TxnOffsetCommitRequest,
};
use kafka_protocol::ErrorCode;
use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::admin::TopicPartition;
use crate::backoff::ExponentialBackoff;
use crate::cluster::MetadataClient;
use crate::consumer::ConsumerGroupMetadata;
use crate::error::{Error, Result};
use crate::net::Connection;
use crate::producer::idempotence::ProducerIdAndEpoch;

/// FindCoordinator key type of a transactional id.
const TRANSACTION_KEY_TYPE: i8 = 1;
/// FindCoordinator key type of a consumer group.
const GROUP_KEY_TYPE: i8 = 0;
/// Highest AddPartitionsToTxn version a client sends: v4+ is the broker-to-broker form.
const MAX_ADD_PARTITIONS_VERSION: i16 = 3;
/// Highest EndTxn version used: v5 is KIP-890 part 2 (an epoch bump per transaction).
const MAX_END_TXN_VERSION: i16 = 4;
/// Highest TxnOffsetCommit version used: v5 implies AddOffsetsToTxn (KIP-890 part 2).
const MAX_TXN_OFFSET_COMMIT_VERSION: i16 = 4;
/// Highest Produce version for transactional batches: v12 implies AddPartitionsToTxn.
pub(crate) const MAX_TRANSACTIONAL_PRODUCE_VERSION: i16 = 11;

/// Where a transactional producer is, with the Java client's state names.
///
/// ```text
/// Uninitialized --init_transactions--> Initializing --> Ready
/// Ready --begin_transaction--> InTransaction
/// InTransaction --commit_transaction--> CommittingTransaction --> Ready
/// InTransaction | AbortableError --abort_transaction--> AbortingTransaction --> Ready
/// InTransaction | CommittingTransaction --(send/add/offsets failed)--> AbortableError
/// any --(fenced, not authorized, broker says the state is invalid)--> FatalError
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionState {
    /// `init_transactions` has not been called.
    Uninitialized,
    /// `init_transactions` is under way (or timed out, and may be called again).
    Initializing,
    /// Initialized, no transaction open.
    Ready,
    /// Between `begin_transaction` and commit/abort.
    InTransaction,
    /// `commit_transaction` is under way (or timed out, and may be called again).
    CommittingTransaction,
    /// `abort_transaction` is under way (or timed out, and may be called again).
    AbortingTransaction,
    /// Something in the transaction failed: only `abort_transaction` is allowed.
    AbortableError,
    /// The producer can do nothing more (fenced, not authorized).
    FatalError,
}

impl std::fmt::Display for TransactionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransactionState::Uninitialized => "UNINITIALIZED",
            TransactionState::Initializing => "INITIALIZING",
            TransactionState::Ready => "READY",
            TransactionState::InTransaction => "IN_TRANSACTION",
            TransactionState::CommittingTransaction => "COMMITTING_TRANSACTION",
            TransactionState::AbortingTransaction => "ABORTING_TRANSACTION",
            TransactionState::AbortableError => "ABORTABLE_ERROR",
            TransactionState::FatalError => "FATAL_ERROR",
        })
    }
}

/// How an error code from a transaction API is handled (the one place that decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnErrorKind {
    /// Try again after a backoff; `refind` when the coordinator moved.
    Retriable { refind: bool },
    /// The transaction must be aborted.
    Abortable,
    /// A newer producer owns the transactional id.
    Fenced,
    /// Not allowed to use the transactional id.
    Unauthorized,
    /// Anything else the producer cannot get past.
    Fatal,
}

/// Classifies a transaction API's error code (AddPartitionsToTxn, AddOffsetsToTxn,
/// TxnOffsetCommit, EndTxn, InitProducerId, and Produce of a transactional batch).
pub(crate) fn classify(code: ErrorCode) -> TxnErrorKind {
    match code {
        ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable => {
            TxnErrorKind::Retriable { refind: true }
        }
        ErrorCode::CoordinatorLoadInProgress
        | ErrorCode::ConcurrentTransactions
        | ErrorCode::OperationNotAttempted
        | ErrorCode::UnknownTopicOrPartition => TxnErrorKind::Retriable { refind: false },
        ErrorCode::ProducerFenced | ErrorCode::InvalidProducerEpoch => TxnErrorKind::Fenced,
        ErrorCode::TransactionalIdAuthorizationFailed => TxnErrorKind::Unauthorized,
        ErrorCode::InvalidTxnState
        | ErrorCode::InvalidProducerIdMapping
        | ErrorCode::InvalidTransactionTimeout
        | ErrorCode::TransactionCoordinatorFenced
        | ErrorCode::ClusterAuthorizationFailed
        | ErrorCode::UnsupportedVersion
        | ErrorCode::UnsupportedForMessageFormat => TxnErrorKind::Fatal,
        code if code.is_retriable() => TxnErrorKind::Retriable { refind: false },
        _ => TxnErrorKind::Abortable,
    }
}

/// The [`Error`] for `code` from `api`, by [`classify`].
pub(crate) fn txn_error(transactional_id: &str, api: &'static str, code: ErrorCode) -> Error {
    match classify(code) {
        TxnErrorKind::Fenced => Error::ProducerFenced {
            transactional_id: transactional_id.to_owned(),
        },
        TxnErrorKind::Unauthorized => Error::TransactionalIdAuthorizationFailed {
            transactional_id: transactional_id.to_owned(),
        },
        _ => Error::Protocol {
            api,
            code,
            message: None,
        },
    }
}

/// A partition, as the sender keys it.
pub(crate) type PartitionKey = (Arc<str>, i32);

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
    /// The transaction coordinator, once found.
    coordinator: Option<i32>,
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
            coordinator: None,
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

    /// The known transaction coordinator.
    pub fn coordinator(&self) -> Option<i32> {
        self.coordinator
    }

    /// Records the coordinator (or forgets it, after NOT_COORDINATOR).
    pub fn set_coordinator(&mut self, coordinator: Option<i32>) {
        self.coordinator = coordinator;
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
                if error.is_retriable() {
                    debug!(transactional_id = %self.transactional_id, %error, "AddPartitionsToTxn failed; retrying");
                    self.coordinator = None;
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
                TxnErrorKind::Retriable { refind } => {
                    debug!(transactional_id = %self.transactional_id, topic = %key.0, partition = key.1, %code, "AddPartitionsToTxn: retrying partition");
                    if refind {
                        self.coordinator = None;
                    }
                    self.new_partitions.insert(key);
                    retry = true;
                }
                _ => {
                    let error = txn_error(&self.transactional_id, "AddPartitionsToTxn", code);
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
}

/// What the producer handles and the sender share about transactions.
#[derive(Debug)]
pub(crate) struct Transactions {
    manager: Mutex<TransactionManager>,
    /// Serializes `init`/`send_offsets`/`commit`/`abort`.
    pub calls: tokio::sync::Mutex<()>,
    /// Woken when an AddPartitionsToTxn completes.
    pub changed: Notify,
}

impl Transactions {
    pub fn new(transactional_id: &str) -> Self {
        Transactions {
            manager: Mutex::new(TransactionManager::new(transactional_id)),
            calls: tokio::sync::Mutex::new(()),
            changed: Notify::new(),
        }
    }

    /// The state machine, under a short lock (never held across an `.await`; taken after the
    /// accumulator's lock when both are needed, never before).
    pub fn manager(&self) -> MutexGuard<'_, TransactionManager> {
        self.manager.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs `attempt` until it succeeds, fails for good, or `deadline` passes (then
/// [`Error::Timeout`] naming `what`). Retriable errors ([`classify`]d codes, broken
/// connections) wait the retry backoff; `on_refind` runs when the coordinator moved.
pub(crate) async fn retry<T, F, Fut>(
    what: &'static str,
    deadline: Instant,
    budget: Duration,
    backoff: &ExponentialBackoff,
    mut on_refind: impl FnMut(),
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempts = 0u32;
    loop {
        let error = match tokio::time::timeout_at(deadline, attempt()).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => error,
            Err(_) => {
                return Err(Error::Timeout {
                    what: what.to_owned(),
                    after: budget,
                })
            }
        };
        let retriable = match &error {
            Error::Protocol { code, .. } => match classify(*code) {
                TxnErrorKind::Retriable { refind } => {
                    if refind {
                        on_refind();
                    }
                    true
                }
                _ => false,
            },
            Error::Io { .. }
            | Error::ConnectionClosed { .. }
            | Error::Timeout { .. }
            | Error::NoBrokerAvailable { .. } => {
                on_refind();
                true
            }
            _ => false,
        };
        if !retriable {
            return Err(error);
        }
        let delay = backoff.delay(attempts);
        attempts += 1;
        if Instant::now() + delay >= deadline {
            warn!(what, %error, "giving up: the call's timeout (max.block.ms) ran out");
            return Err(Error::Timeout {
                what: format!("{what} (last error: {error})"),
                after: budget,
            });
        }
        debug!(what, attempt = attempts, %error, delay_ms = delay.as_millis() as u64, "retrying");
        tokio::time::sleep(delay).await;
    }
}

/// The coordinator of `key` (`key_type` 1: a transactional id, 0: a group).
pub(crate) async fn find_coordinator(
    metadata: &MetadataClient,
    key: &str,
    key_type: i8,
) -> Result<i32> {
    // The coordinator's address must be known to the pool: it comes from metadata.
    metadata.ready_cluster().await?;
    let (_, connection) = metadata.any_connection().await?;
    let version = connection.version_for(ApiKey::FindCoordinator)?;
    let request = FindCoordinatorRequest {
        key: key.to_owned(),
        key_type,
        coordinator_keys: vec![key.to_owned()],
        ..Default::default()
    };
    let response = connection.call(&request, version).await?;
    let node = if version >= 4 {
        let c = response
            .coordinators
            .iter()
            .find(|c| c.key == key)
            .ok_or_else(|| Error::Protocol {
                api: "FindCoordinator",
                code: ErrorCode::CoordinatorNotAvailable,
                message: Some(format!("no answer for {key}")),
            })?;
        Error::check("FindCoordinator", c.error_code, c.error_message.as_deref())?;
        c.node_id
    } else {
        Error::check(
            "FindCoordinator",
            response.error_code,
            response.error_message.as_deref(),
        )?;
        response.node_id
    };
    debug!(key, key_type, node, "found coordinator");
    Ok(node)
}

/// A connection to the transaction coordinator of `txn` (found and remembered if unknown).
pub(crate) async fn coordinator_connection(
    metadata: &MetadataClient,
    txn: &Transactions,
) -> Result<Connection> {
    let known = txn.manager().coordinator();
    let node = match known {
        Some(node) => node,
        None => {
            let id = txn.manager().transactional_id().to_owned();
            let node = find_coordinator(metadata, &id, TRANSACTION_KEY_TYPE).await?;
            txn.manager().set_coordinator(Some(node));
            node
        }
    };
    metadata.pool().connection(node).await
}

/// InitProducerId for a transactional id. `bump_from` names the current id and epoch
/// (KIP-360, v3+), so that a producer bumping its own epoch is not mistaken for a zombie.
pub(crate) async fn init_producer_id(
    connection: &Connection,
    transactional_id: &str,
    transaction_timeout: Duration,
    bump_from: Option<ProducerIdAndEpoch>,
) -> Result<ProducerIdAndEpoch> {
    let version = connection.version_for(ApiKey::InitProducerId)?;
    let mut request = InitProducerIdRequest {
        transactional_id: Some(transactional_id.to_owned()),
        transaction_timeout_ms: i32::try_from(transaction_timeout.as_millis()).unwrap_or(i32::MAX),
        producer_id: -1,
        producer_epoch: -1,
        ..Default::default()
    };
    if let (Some(from), true) = (bump_from, version >= 3) {
        request.producer_id = from.producer_id;
        request.producer_epoch = from.epoch;
    }
    let response = connection.call(&request, version).await?;
    let code = ErrorCode::from_code(response.error_code);
    if !code.is_ok() {
        return Err(txn_error(transactional_id, "InitProducerId", code));
    }
    Ok(ProducerIdAndEpoch {
        producer_id: response.producer_id,
        epoch: response.producer_epoch,
    })
}

/// The AddPartitionsToTxn request (client form, v0–3) for `partitions`.
pub(crate) fn add_partitions_request(
    transactional_id: &str,
    producer: ProducerIdAndEpoch,
    partitions: &[PartitionKey],
) -> AddPartitionsToTxnRequest {
    let mut topics: Vec<AddPartitionsToTxnTopic> = Vec::new();
    for (topic, partition) in partitions {
        match topics.iter_mut().find(|t| *t.name == **topic) {
            Some(t) => t.partitions.push(*partition),
            None => topics.push(AddPartitionsToTxnTopic {
                name: topic.to_string(),
                partitions: vec![*partition],
                ..Default::default()
            }),
        }
    }
    AddPartitionsToTxnRequest {
        v3_and_below_transactional_id: transactional_id.to_owned(),
        v3_and_below_producer_id: producer.producer_id,
        v3_and_below_producer_epoch: producer.epoch,
        v3_and_below_topics: topics,
        ..Default::default()
    }
}

/// Each partition's error code in an AddPartitionsToTxn (v0–3) response.
pub(crate) fn add_partitions_codes(
    response: &AddPartitionsToTxnResponse,
) -> HashMap<PartitionKey, ErrorCode> {
    let mut codes = HashMap::new();
    for topic in &response.results_by_topic_v3_and_below {
        let name: Arc<str> = Arc::from(topic.name.as_str());
        for p in &topic.results_by_partition {
            codes.insert(
                (name.clone(), p.partition_index),
                ErrorCode::from_code(p.partition_error_code),
            );
        }
    }
    codes
}

/// Sends AddPartitionsToTxn for `partitions` (finding the coordinator if needed).
pub(crate) async fn add_partitions(
    metadata: MetadataClient,
    txn: Arc<Transactions>,
    producer: ProducerIdAndEpoch,
    partitions: Vec<PartitionKey>,
) -> Result<HashMap<PartitionKey, ErrorCode>> {
    let connection = coordinator_connection(&metadata, &txn).await?;
    let version = connection
        .version_for(ApiKey::AddPartitionsToTxn)?
        .min(MAX_ADD_PARTITIONS_VERSION);
    let id = txn.manager().transactional_id().to_owned();
    let request = add_partitions_request(&id, producer, &partitions);
    debug!(transactional_id = %id, partitions = partitions.len(), "AddPartitionsToTxn");
    let response = connection.call(&request, version).await?;
    Ok(add_partitions_codes(&response))
}

/// AddOffsetsToTxn for `group` at the transaction coordinator.
pub(crate) async fn add_offsets(
    connection: &Connection,
    transactional_id: &str,
    producer: ProducerIdAndEpoch,
    group: &str,
) -> Result<()> {
    let version = connection.version_for(ApiKey::AddOffsetsToTxn)?;
    let request = AddOffsetsToTxnRequest {
        transactional_id: transactional_id.to_owned(),
        producer_id: producer.producer_id,
        producer_epoch: producer.epoch,
        group_id: group.to_owned(),
        ..Default::default()
    };
    let response = connection.call(&request, version).await?;
    check_code(transactional_id, "AddOffsetsToTxn", response.error_code)
}

fn check_code(transactional_id: &str, api: &'static str, code: i16) -> Result<()> {
    let code = ErrorCode::from_code(code);
    if code.is_ok() {
        Ok(())
    } else {
        Err(txn_error(transactional_id, api, code))
    }
}

/// The TxnOffsetCommit request for `offsets` of `group` (KIP-447 member fields on v3+).
pub(crate) fn txn_offset_commit_request(
    transactional_id: &str,
    producer: ProducerIdAndEpoch,
    offsets: &HashMap<TopicPartition, i64>,
    group: &ConsumerGroupMetadata,
) -> TxnOffsetCommitRequest {
    let mut topics: Vec<TxnOffsetCommitRequestTopic> = Vec::new();
    let mut sorted: Vec<_> = offsets.iter().collect();
    sorted.sort_by(|a, b| (&a.0.topic, a.0.partition).cmp(&(&b.0.topic, b.0.partition)));
    for (tp, offset) in sorted {
        let partition = TxnOffsetCommitRequestPartition {
            partition_index: tp.partition,
            committed_offset: *offset,
            committed_leader_epoch: -1,
            committed_metadata: Some(String::new()),
            ..Default::default()
        };
        match topics.iter_mut().find(|t| t.name == tp.topic) {
            Some(t) => t.partitions.push(partition),
            None => topics.push(TxnOffsetCommitRequestTopic {
                name: tp.topic.clone(),
                partitions: vec![partition],
                ..Default::default()
            }),
        }
    }
    TxnOffsetCommitRequest {
        transactional_id: transactional_id.to_owned(),
        group_id: group.group_id.clone(),
        producer_id: producer.producer_id,
        producer_epoch: producer.epoch,
        generation_id: group.generation_id,
        member_id: group.member_id.clone(),
        group_instance_id: group.group_instance_id.clone(),
        topics,
        ..Default::default()
    }
}

/// TxnOffsetCommit at the group coordinator. The first partition error is returned; member
/// errors (a zombie member: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID) are
/// abortable, as in Java.
pub(crate) async fn txn_offset_commit(
    metadata: &MetadataClient,
    transactional_id: &str,
    producer: ProducerIdAndEpoch,
    offsets: &HashMap<TopicPartition, i64>,
    group: &ConsumerGroupMetadata,
) -> Result<()> {
    let node = find_coordinator(metadata, &group.group_id, GROUP_KEY_TYPE).await?;
    let connection = metadata.pool().connection(node).await?;
    let version = connection
        .version_for(ApiKey::TxnOffsetCommit)?
        .min(MAX_TXN_OFFSET_COMMIT_VERSION);
    let request = txn_offset_commit_request(transactional_id, producer, offsets, group);
    let response = connection.call(&request, version).await?;
    for topic in &response.topics {
        for p in &topic.partitions {
            if p.error_code != 0 {
                debug!(topic = %topic.name, partition = p.partition_index, code = p.error_code, "TxnOffsetCommit partition error");
                return check_code(transactional_id, "TxnOffsetCommit", p.error_code);
            }
        }
    }
    Ok(())
}

/// EndTxn (commit or abort) at the transaction coordinator.
pub(crate) async fn end_txn(
    connection: &Connection,
    transactional_id: &str,
    producer: ProducerIdAndEpoch,
    commit: bool,
) -> Result<()> {
    let version = connection
        .version_for(ApiKey::EndTxn)?
        .min(MAX_END_TXN_VERSION);
    let request = EndTxnRequest {
        transactional_id: transactional_id.to_owned(),
        producer_id: producer.producer_id,
        producer_epoch: producer.epoch,
        committed: commit,
        ..Default::default()
    };
    let response = connection.call(&request, version).await?;
    check_code(transactional_id, "EndTxn", response.error_code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::add_partitions_to_txn_response::{
        AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
    };
    use kafka_protocol::messages::Message;

    const PID: ProducerIdAndEpoch = ProducerIdAndEpoch {
        producer_id: 7,
        epoch: 3,
    };

    fn key(p: i32) -> PartitionKey {
        (Arc::from("t"), p)
    }

    fn ready() -> TransactionManager {
        let mut tm = TransactionManager::new("tx");
        assert_eq!(tm.start_init().unwrap(), None);
        tm.set_producer(PID);
        assert_eq!(tm.state(), TransactionState::Ready);
        tm
    }

    fn assert_invalid(result: Result<()>, call: &str, state: TransactionState) {
        match result {
            Err(Error::InvalidTransactionState {
                call: c, state: s, ..
            }) => {
                assert_eq!((c, s), (call, state));
            }
            other => panic!("expected InvalidTransactionState for {call}, got {other:?}"),
        }
    }

    #[test]
    fn illegal_call_orders_are_rejected() {
        let mut tm = TransactionManager::new("tx");
        use TransactionState::*;
        // Before init.
        assert_invalid(tm.begin(), "begin_transaction", Uninitialized);
        assert_invalid(tm.check_send(), "send", Uninitialized);
        assert_invalid(tm.begin_commit(), "commit_transaction", Uninitialized);
        assert_invalid(tm.begin_abort(), "abort_transaction", Uninitialized);
        assert_invalid(
            tm.check_send_offsets(),
            "send_offsets_to_transaction",
            Uninitialized,
        );
        // Initialized, no transaction.
        let mut tm = ready();
        assert_invalid(tm.start_init().map(drop), "init_transactions", Ready);
        assert_invalid(tm.on_send("t", 0), "send", Ready);
        assert_invalid(tm.begin_commit(), "commit_transaction", Ready);
        assert_invalid(tm.begin_abort(), "abort_transaction", Ready);
        assert_invalid(
            tm.check_send_offsets(),
            "send_offsets_to_transaction",
            Ready,
        );
        // Begin twice.
        tm.begin().unwrap();
        assert_invalid(tm.begin(), "begin_transaction", InTransaction);
        // A commit under way: no send, no abort, no begin; commit again resumes.
        tm.begin_commit().unwrap();
        assert_invalid(tm.on_send("t", 0), "send", CommittingTransaction);
        assert_invalid(tm.begin_abort(), "abort_transaction", CommittingTransaction);
        assert_invalid(tm.begin(), "begin_transaction", CommittingTransaction);
        tm.begin_commit().unwrap();
        tm.end_done();
        assert_eq!(tm.state(), Ready);
        // Fatal: everything fails, carrying the cause.
        tm.set_fatal(Error::ProducerFenced {
            transactional_id: "tx".into(),
        });
        for result in [
            tm.begin(),
            tm.check_send(),
            tm.begin_commit(),
            tm.begin_abort(),
            tm.start_init().map(drop),
        ] {
            let err = result.unwrap_err();
            assert!(err.is_fatal_for_producer(), "{err}");
            assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
        }
    }

    #[test]
    fn abortable_error_allows_only_abort() {
        let mut tm = ready();
        tm.begin().unwrap();
        tm.on_send("t", 0).unwrap();
        tm.set_abortable(Error::Protocol {
            api: "Produce",
            code: ErrorCode::MessageTooLarge,
            message: None,
        });
        assert_eq!(tm.state(), TransactionState::AbortableError);
        let err = tm.begin_commit().unwrap_err();
        assert!(err.is_abortable(), "{err}");
        assert!(tm.on_send("t", 1).unwrap_err().is_abortable());
        assert!(tm.check_send_offsets().is_err());
        assert!(matches!(
            tm.abortable_error(),
            Some(Error::TransactionAbortable { .. })
        ));
        tm.begin_abort().unwrap();
        // Abort again (after a timeout) resumes.
        tm.begin_abort().unwrap();
        tm.end_done();
        assert_eq!(tm.state(), TransactionState::Ready);
        assert!(tm.last_error().is_none());
        tm.begin().unwrap();
        assert!(!tm.needs_end_txn(), "a new transaction starts empty");
    }

    #[test]
    fn partitions_are_added_once_in_one_batch_before_sending() {
        let mut tm = ready();
        tm.begin().unwrap();
        assert!(tm.partitions_to_add().is_none());
        tm.on_send("t", 0).unwrap();
        tm.on_send("t", 1).unwrap();
        tm.on_send("t", 0).unwrap();
        assert!(!tm.is_send_allowed(&key(0).0, 0));
        let (producer, parts) = tm.partitions_to_add().unwrap();
        assert_eq!(producer, PID);
        assert_eq!(parts, vec![key(0), key(1)]);
        assert!(tm.adding_partitions());
        // Another partition arrives while the request is in flight: it waits for the next.
        tm.on_send("t", 2).unwrap();
        tm.on_send("t", 1).unwrap();
        assert!(tm.partitions_to_add().is_none());
        let codes = HashMap::from([
            (key(0), ErrorCode::None),
            (key(1), ErrorCode::ConcurrentTransactions),
        ]);
        assert!(tm.on_add_partitions(Ok(codes)), "partition 1 is retried");
        assert!(tm.is_send_allowed(&key(0).0, 0));
        assert!(!tm.is_send_allowed(&key(0).0, 1));
        assert!(tm.needs_end_txn());
        let (_, parts) = tm.partitions_to_add().unwrap();
        assert_eq!(parts, vec![key(1), key(2)]);
        // The connection broke: retried, and the coordinator looked up again.
        tm.set_coordinator(Some(1));
        assert!(tm.on_add_partitions(Err(Error::ConnectionClosed {
            broker: "b".into(),
            mid_frame: false
        })));
        assert_eq!(tm.coordinator(), None);
        let (_, parts) = tm.partitions_to_add().unwrap();
        assert_eq!(parts.len(), 2);
        let codes = HashMap::from([(key(1), ErrorCode::None), (key(2), ErrorCode::None)]);
        assert!(!tm.on_add_partitions(Ok(codes)));
        assert!(tm.is_send_allowed(&key(0).0, 2));
        assert_eq!(tm.state(), TransactionState::InTransaction);
    }

    #[test]
    fn add_partition_errors_are_classified() {
        // NOT_COORDINATOR: retried after finding the coordinator again.
        let mut tm = ready();
        tm.begin().unwrap();
        tm.set_coordinator(Some(3));
        tm.on_send("t", 0).unwrap();
        tm.partitions_to_add().unwrap();
        assert!(tm.on_add_partitions(Ok(HashMap::from([(key(0), ErrorCode::NotCoordinator)]))));
        assert_eq!(tm.coordinator(), None);
        assert_eq!(tm.state(), TransactionState::InTransaction);
        // TOPIC_AUTHORIZATION_FAILED: abortable.
        tm.partitions_to_add().unwrap();
        assert!(!tm.on_add_partitions(Ok(HashMap::from([(
            key(0),
            ErrorCode::TopicAuthorizationFailed
        )]))));
        assert_eq!(tm.state(), TransactionState::AbortableError);
        // PRODUCER_FENCED: fatal.
        let mut tm = ready();
        tm.begin().unwrap();
        tm.on_send("t", 0).unwrap();
        tm.partitions_to_add().unwrap();
        tm.on_add_partitions(Ok(HashMap::from([(key(0), ErrorCode::ProducerFenced)])));
        assert_eq!(tm.state(), TransactionState::FatalError);
        assert!(matches!(
            tm.last_error(),
            Some(Error::ProducerFenced { .. })
        ));
        // An abortable error cannot undo a fatal one.
        tm.set_abortable(Error::Closed);
        assert_eq!(tm.state(), TransactionState::FatalError);
    }

    #[test]
    fn error_codes_are_classified() {
        use TxnErrorKind::*;
        for (code, kind) in [
            (
                ErrorCode::ConcurrentTransactions,
                Retriable { refind: false },
            ),
            (
                ErrorCode::CoordinatorLoadInProgress,
                Retriable { refind: false },
            ),
            (ErrorCode::NotCoordinator, Retriable { refind: true }),
            (
                ErrorCode::CoordinatorNotAvailable,
                Retriable { refind: true },
            ),
            (ErrorCode::ProducerFenced, Fenced),
            (ErrorCode::InvalidProducerEpoch, Fenced),
            (ErrorCode::TransactionalIdAuthorizationFailed, Unauthorized),
            (ErrorCode::InvalidTxnState, Fatal),
            (ErrorCode::TopicAuthorizationFailed, Abortable),
            (ErrorCode::UnknownMemberId, Abortable),
            (ErrorCode::IllegalGeneration, Abortable),
            (ErrorCode::FencedInstanceId, Abortable),
            (ErrorCode::TransactionAbortable, Abortable),
        ] {
            assert_eq!(classify(code), kind, "{code}");
        }
        assert!(matches!(
            txn_error("tx", "EndTxn", ErrorCode::ProducerFenced),
            Error::ProducerFenced { ref transactional_id } if transactional_id == "tx"
        ));
        assert!(matches!(
            txn_error(
                "tx",
                "EndTxn",
                ErrorCode::TransactionalIdAuthorizationFailed
            ),
            Error::TransactionalIdAuthorizationFailed { .. }
        ));
    }

    #[test]
    fn epoch_bump_blocks_sends_and_makes_the_transaction_abortable() {
        let mut tm = ready();
        tm.begin().unwrap();
        tm.on_send("t", 0).unwrap();
        tm.partitions_to_add().unwrap();
        tm.on_add_partitions(Ok(HashMap::from([(key(0), ErrorCode::None)])));
        tm.request_epoch_bump(Error::Protocol {
            api: "Produce",
            code: ErrorCode::OutOfOrderSequenceNumber,
            message: None,
        });
        assert!(!tm.is_send_allowed(&key(0).0, 0));
        assert_eq!(tm.state(), TransactionState::AbortableError);
        tm.begin_abort().unwrap();
        assert!(tm.epoch_bump_needed());
        tm.set_producer(ProducerIdAndEpoch {
            producer_id: 7,
            epoch: 4,
        });
        assert!(!tm.epoch_bump_needed());
        assert_eq!(tm.state(), TransactionState::AbortingTransaction);
        tm.end_done();
        assert_eq!(tm.state(), TransactionState::Ready);
    }

    #[test]
    fn only_offsets_maybe_added() {
        let mut tm = ready();
        tm.begin().unwrap();
        tm.check_send_offsets().unwrap();
        tm.mark_offsets_added();
        assert!(tm.needs_end_txn() && tm.only_offsets_maybe_added());
    }

    /// Crafted AddPartitionsToTxn answers through the real codec (v3), and the request's
    /// client form.
    #[test]
    fn add_partitions_wire_forms() {
        let request = add_partitions_request("tx", PID, &[key(0), (Arc::from("u"), 4), key(1)]);
        assert_eq!(request.v3_and_below_transactional_id, "tx");
        assert_eq!(request.v3_and_below_producer_epoch, 3);
        assert_eq!(request.v3_and_below_topics.len(), 2);
        assert_eq!(request.v3_and_below_topics[0].partitions, vec![0, 1]);
        let mut buf = bytes::BytesMut::new();
        Message::encode(&request, &mut buf, 3).unwrap();

        let response = AddPartitionsToTxnResponse {
            results_by_topic_v3_and_below: vec![AddPartitionsToTxnTopicResult {
                name: "t".into(),
                results_by_partition: vec![
                    AddPartitionsToTxnPartitionResult {
                        partition_index: 0,
                        partition_error_code: 0,
                        ..Default::default()
                    },
                    AddPartitionsToTxnPartitionResult {
                        partition_index: 1,
                        partition_error_code: ErrorCode::ConcurrentTransactions.code(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut buf = bytes::BytesMut::new();
        Message::encode(&response, &mut buf, 3).unwrap();
        let decoded =
            <AddPartitionsToTxnResponse as Message>::decode(&mut buf.freeze(), 3).unwrap();
        let codes = add_partitions_codes(&decoded);
        assert_eq!(codes[&key(0)], ErrorCode::None);
        assert_eq!(codes[&key(1)], ErrorCode::ConcurrentTransactions);
    }

    #[test]
    fn txn_offset_commit_carries_the_member() {
        let group = ConsumerGroupMetadata {
            group_id: "g".into(),
            generation_id: 5,
            member_id: "m-1".into(),
            group_instance_id: Some("i".into()),
        };
        let offsets = HashMap::from([
            (TopicPartition::new("b", 1), 10),
            (TopicPartition::new("a", 0), 3),
            (TopicPartition::new("b", 0), 7),
        ]);
        let request = txn_offset_commit_request("tx", PID, &offsets, &group);
        assert_eq!(
            (request.generation_id, request.member_id.as_str()),
            (5, "m-1")
        );
        assert_eq!(request.group_instance_id.as_deref(), Some("i"));
        assert_eq!(request.producer_id, 7);
        assert_eq!(request.topics[0].name, "a");
        assert_eq!(request.topics[1].partitions[0].committed_offset, 7);
        assert_eq!(request.topics[1].partitions[1].committed_offset, 10);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_retries_retriable_codes_within_the_deadline() {
        let backoff = ExponentialBackoff::new(Duration::from_millis(100), Duration::from_secs(1))
            .without_jitter();
        let budget = Duration::from_secs(10);
        // CONCURRENT_TRANSACTIONS twice, then success.
        let mut calls = 0;
        let mut refinds = 0;
        let result = retry(
            "EndTxn",
            Instant::now() + budget,
            budget,
            &backoff,
            || refinds += 1,
            || {
                calls += 1;
                let n = calls;
                async move {
                    match n {
                        1 => Err(Error::check("EndTxn", 51, None).unwrap_err()),
                        2 => Err(Error::check("EndTxn", 16, None).unwrap_err()),
                        _ => Ok(n),
                    }
                }
            },
        )
        .await;
        assert_eq!(result.unwrap(), 3);
        assert_eq!(refinds, 1, "NOT_COORDINATOR looks the coordinator up again");
        // Fenced: not retried.
        let mut calls = 0;
        let result: Result<()> = retry(
            "EndTxn",
            Instant::now() + budget,
            budget,
            &backoff,
            || {},
            || {
                calls += 1;
                async { Err(txn_error("tx", "EndTxn", ErrorCode::ProducerFenced)) }
            },
        )
        .await;
        assert!(matches!(result, Err(Error::ProducerFenced { .. })));
        assert_eq!(calls, 1);
        // Always retriable: a timeout at the deadline.
        let started = Instant::now();
        let result: Result<()> = retry(
            "EndTxn",
            Instant::now() + budget,
            budget,
            &backoff,
            || {},
            || async { Err(Error::check("EndTxn", 14, None).unwrap_err()) },
        )
        .await;
        assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
        assert!(started.elapsed() <= budget);
    }
}

/// A whole transactional [`Producer`](crate::producer::Producer) against a scripted fake
/// broker: what tansu cannot be made to answer (retriable coordinator errors, EndTxn with
/// PRODUCER_FENCED — tansu closes the connection there) proven on the wire.
#[cfg(test)]
mod wire_tests {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use kafka_protocol::messages::add_partitions_to_txn_response::{
        AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
    };
    use kafka_protocol::messages::find_coordinator_response::Coordinator;
    use kafka_protocol::messages::{
        AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, ApiKey, EndTxnRequest,
        EndTxnResponse, FindCoordinatorRequest, FindCoordinatorResponse, InitProducerIdRequest,
        InitProducerIdResponse, MetadataRequest, ProduceRequest,
    };
    use kafka_protocol::ErrorCode;

    use crate::error::Error;
    use crate::producer::{Producer, ProducerConfig, ProducerRecord, TransactionState};
    use crate::test_support::{
        cluster, one_partition_topic, pop, produced, produced_batches, respond, FakeBroker, Reply,
    };

    /// What the fake broker answers (error codes popped per request; 0 once empty) and
    /// what it saw.
    #[derive(Default)]
    struct Script {
        init: VecDeque<ErrorCode>,
        add: VecDeque<ErrorCode>,
        end: VecDeque<ErrorCode>,
        produce: VecDeque<ErrorCode>,
        /// (api, version) in arrival order.
        seen: Vec<(ApiKey, i16)>,
        /// Per Produce: its transactional id and whether its batches were transactional.
        produced: Vec<(Option<String>, bool)>,
        /// Per Produce: (epoch, base sequence) of its first batch.
        sequences: Vec<(i16, i32)>,
        /// Per InitProducerId: the (id, epoch) it named.
        inits: Vec<(i64, i16)>,
        /// Per EndTxn: committed?
        ended: Vec<bool>,
    }

    async fn fake_broker(script: Arc<Mutex<Script>>) -> String {
        let apis = [
            (ApiKey::ApiVersions, 3),
            (ApiKey::Metadata, 12),
            (ApiKey::FindCoordinator, 4),
            (ApiKey::InitProducerId, 5),
            (ApiKey::AddPartitionsToTxn, 5),
            (ApiKey::EndTxn, 5),
            (ApiKey::Produce, 12),
        ];
        let broker = FakeBroker::start(&apis, move |request, address| {
            script
                .lock()
                .unwrap()
                .seen
                .push((request.api(), request.version()));
            match request.api() {
                ApiKey::Metadata => respond::<MetadataRequest>(
                    request,
                    &cluster(address, vec![one_partition_topic("t")]),
                ),
                ApiKey::FindCoordinator => {
                    let decoded: FindCoordinatorRequest = request.decode();
                    assert_eq!(decoded.key_type, 1, "transaction coordinator");
                    let response = FindCoordinatorResponse {
                        coordinators: vec![Coordinator {
                            key: decoded.coordinator_keys[0].clone(),
                            node_id: 1,
                            host: address.ip().to_string(),
                            port: i32::from(address.port()),
                            ..Default::default()
                        }],
                        ..Default::default()
                    };
                    respond::<FindCoordinatorRequest>(request, &response)
                }
                ApiKey::InitProducerId => {
                    let decoded: InitProducerIdRequest = request.decode();
                    assert_eq!(decoded.transactional_id.as_deref(), Some("tx"));
                    assert_eq!(decoded.transaction_timeout_ms, 9000);
                    let code = {
                        let mut s = script.lock().unwrap();
                        s.inits.push((decoded.producer_id, decoded.producer_epoch));
                        pop(&mut s.init)
                    };
                    // A KIP-360 bump names the current epoch and gets the next.
                    let response = InitProducerIdResponse {
                        error_code: code,
                        producer_id: 7,
                        producer_epoch: decoded.producer_epoch.max(-1) + 1,
                        ..Default::default()
                    };
                    respond::<InitProducerIdRequest>(request, &response)
                }
                ApiKey::AddPartitionsToTxn => {
                    let decoded: AddPartitionsToTxnRequest = request.decode();
                    let code = pop(&mut script.lock().unwrap().add);
                    let mut response = AddPartitionsToTxnResponse::default();
                    for topic in &decoded.v3_and_below_topics {
                        response.results_by_topic_v3_and_below.push(
                            AddPartitionsToTxnTopicResult {
                                name: topic.name.clone(),
                                results_by_partition: topic
                                    .partitions
                                    .iter()
                                    .map(|p| AddPartitionsToTxnPartitionResult {
                                        partition_index: *p,
                                        partition_error_code: code,
                                        ..Default::default()
                                    })
                                    .collect(),
                                ..Default::default()
                            },
                        );
                    }
                    respond::<AddPartitionsToTxnRequest>(request, &response)
                }
                ApiKey::Produce => {
                    let decoded: ProduceRequest = request.decode();
                    let batches = produced_batches(&decoded);
                    let code = {
                        let mut s = script.lock().unwrap();
                        s.produced.push((
                            decoded.transactional_id.clone(),
                            batches.iter().all(|b| b.is_transactional),
                        ));
                        s.sequences
                            .push((batches[0].producer_epoch, batches[0].base_sequence));
                        pop(&mut s.produce)
                    };
                    respond::<ProduceRequest>(request, &produced("t", code))
                }
                ApiKey::EndTxn => {
                    let decoded: EndTxnRequest = request.decode();
                    let code = {
                        let mut s = script.lock().unwrap();
                        s.ended.push(decoded.committed);
                        pop(&mut s.end)
                    };
                    let response = EndTxnResponse {
                        error_code: code,
                        ..Default::default()
                    };
                    respond::<EndTxnRequest>(request, &response)
                }
                _ => Reply::Unhandled,
            }
        })
        .await;
        broker.address()
    }

    /// A fake broker following `script`, and a transactional producer on it past
    /// `init_transactions`.
    async fn initialized(script: Script) -> (Arc<Mutex<Script>>, Producer) {
        let script = Arc::new(Mutex::new(script));
        let bootstrap = fake_broker(script.clone()).await;
        let producer = producer(&bootstrap).await;
        producer.init_transactions().await.unwrap();
        (script, producer)
    }

    async fn producer(bootstrap: &str) -> Producer {
        let config = ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap),
            ("transactional.id", "tx"),
            ("transaction.timeout.ms", "9000"),
            ("retry.backoff.ms", "5"),
            ("retry.backoff.max.ms", "20"),
            ("linger.ms", "0"),
            ("max.block.ms", "10000"),
        ])
        .unwrap();
        Producer::new(config).await.unwrap()
    }

    fn count(script: &Arc<Mutex<Script>>, api: ApiKey) -> usize {
        script
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|(a, _)| *a == api)
            .count()
    }

    /// Retriable coordinator errors at every step are retried within the call; partitions
    /// are added before their first batch; batches carry the transactional attribute and the
    /// request the transactional id; client-form versions are used.
    #[tokio::test]
    async fn retriable_errors_are_retried_and_partitions_added_first() {
        let (script, producer) = initialized(Script {
            init: VecDeque::from([
                ErrorCode::ConcurrentTransactions,
                ErrorCode::CoordinatorLoadInProgress,
            ]),
            add: VecDeque::from([ErrorCode::ConcurrentTransactions]),
            end: VecDeque::from([
                ErrorCode::CoordinatorLoadInProgress,
                ErrorCode::NotCoordinator,
                ErrorCode::ConcurrentTransactions,
            ]),
            ..Script::default()
        })
        .await;
        assert_eq!(count(&script, ApiKey::InitProducerId), 3);

        producer.begin_transaction().unwrap();
        let delivery = producer
            .send(ProducerRecord::new("t").partition(0).value("v"))
            .await
            .unwrap();
        delivery.await.unwrap();
        producer.commit_transaction().await.unwrap();

        let s = script.lock().unwrap();
        let order: Vec<ApiKey> = s
            .seen
            .iter()
            .map(|(a, _)| *a)
            .filter(|a| {
                matches!(
                    a,
                    ApiKey::AddPartitionsToTxn | ApiKey::Produce | ApiKey::EndTxn
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                ApiKey::AddPartitionsToTxn,
                ApiKey::AddPartitionsToTxn,
                ApiKey::Produce,
                ApiKey::EndTxn,
                ApiKey::EndTxn,
                ApiKey::EndTxn,
                ApiKey::EndTxn
            ]
        );
        assert_eq!(s.produced, [(Some("tx".to_owned()), true)]);
        assert_eq!(s.ended, [true, true, true, true]);
        for (api, version) in &s.seen {
            match api {
                ApiKey::AddPartitionsToTxn => assert!(*version <= 3, "client form"),
                ApiKey::EndTxn => assert!(*version <= 4),
                ApiKey::Produce => assert!(*version <= 11),
                _ => {}
            }
        }
        // NOT_COORDINATOR made it look the coordinator up again.
        assert!(
            s.seen
                .iter()
                .filter(|(a, _)| *a == ApiKey::FindCoordinator)
                .count()
                >= 2
        );
    }

    /// EndTxn answered with PRODUCER_FENCED: the commit fails with ProducerFenced, and every
    /// later call too. A later abort with nothing sent asks the broker nothing.
    #[tokio::test]
    async fn fenced_end_txn_is_fatal() {
        let (script, producer) = initialized(Script {
            end: VecDeque::from([ErrorCode::ProducerFenced]),
            ..Script::default()
        })
        .await;
        producer.begin_transaction().unwrap();
        producer
            .send(ProducerRecord::new("t").partition(0).value("v"))
            .await
            .unwrap()
            .await
            .unwrap();
        let err = producer.commit_transaction().await.unwrap_err();
        assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
        assert_eq!(count(&script, ApiKey::EndTxn), 1, "not retried");
        let err = producer.begin_transaction().unwrap_err();
        assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
        let err = producer
            .send(ProducerRecord::new("t").value("late"))
            .await
            .unwrap_err();
        assert!(err.is_fatal_for_producer(), "{err}");
    }

    /// AddPartitionsToTxn answered with TOPIC_AUTHORIZATION_FAILED: the batch fails, the
    /// commit reports TransactionAbortable, and abort (EndTxn abort) brings the producer
    /// back to a usable state.
    #[tokio::test]
    async fn abortable_add_partitions_then_abort_and_retry() {
        let (script, producer) = initialized(Script {
            add: VecDeque::from([ErrorCode::TopicAuthorizationFailed]),
            ..Script::default()
        })
        .await;
        producer.begin_transaction().unwrap();
        let delivery = producer
            .send(ProducerRecord::new("t").partition(0).value("v"))
            .await
            .unwrap();
        let err = producer.commit_transaction().await.unwrap_err();
        assert!(err.is_abortable(), "{err}");
        assert!(matches!(err, Error::TransactionAbortable { .. }), "{err}");
        let failed = delivery.await.unwrap_err();
        assert!(failed.is_abortable(), "the unsent record fails: {failed}");
        let err = producer.commit_transaction().await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidTransactionState {
                    state: TransactionState::AbortableError,
                    ..
                }
            ),
            "{err}"
        );
        producer.abort_transaction().await.unwrap();
        // Nothing reached the transaction (the add failed): no EndTxn needed.
        assert_eq!(count(&script, ApiKey::EndTxn), 0);
        assert_eq!(count(&script, ApiKey::Produce), 0);

        // The retry of the whole transaction goes through.
        producer.begin_transaction().unwrap();
        producer
            .send(ProducerRecord::new("t").partition(0).value("again"))
            .await
            .unwrap()
            .await
            .unwrap();
        producer.commit_transaction().await.unwrap();
        assert_eq!(script.lock().unwrap().ended, [true]);
    }

    /// A batch sent, answered with a retriable error, and then aborted while waiting for its
    /// retry: its sequence may be a gap at the broker, so the abort bumps the epoch
    /// (InitProducerId naming the current id and epoch, KIP-360) and the next transaction
    /// starts every partition at sequence 0 under the new epoch. Without a gap, sequences
    /// continue across transactions on the same epoch.
    #[tokio::test]
    async fn abort_with_a_sequence_gap_bumps_the_epoch() {
        let (script, producer) = initialized(Script::default()).await;

        // Transaction 1 commits records with sequences 0 and 1.
        producer.begin_transaction().unwrap();
        for v in ["a", "b"] {
            producer
                .send(ProducerRecord::new("t").partition(0).value(v))
                .await
                .unwrap()
                .await
                .unwrap();
        }
        producer.commit_transaction().await.unwrap();

        // Transaction 2: its batch (sequence 2) gets NOT_ENOUGH_REPLICAS and waits to retry;
        // the application aborts.
        script.lock().unwrap().produce = VecDeque::from([ErrorCode::NotEnoughReplicas; 50]);
        producer.begin_transaction().unwrap();
        let delivery = producer
            .send(ProducerRecord::new("t").partition(0).value("c"))
            .await
            .unwrap();
        while count(&script, ApiKey::Produce) < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        producer.abort_transaction().await.unwrap();
        let err = delivery.await.unwrap_err();
        assert!(matches!(err, Error::TransactionAborted { .. }), "{err}");
        script.lock().unwrap().produce.clear();

        // Transaction 3 runs on epoch 1 from sequence 0.
        producer.begin_transaction().unwrap();
        producer
            .send(ProducerRecord::new("t").partition(0).value("d"))
            .await
            .unwrap()
            .await
            .unwrap();
        producer.commit_transaction().await.unwrap();

        let s = script.lock().unwrap();
        assert_eq!(
            s.inits,
            [(-1, -1), (7, 0)],
            "first init, then a KIP-360 bump"
        );
        assert_eq!(&s.sequences[..2], [(0, 0), (0, 1)]);
        assert!(s.sequences[2..s.sequences.len() - 1]
            .iter()
            .all(|seq| *seq == (0, 2)));
        assert_eq!(s.sequences.last(), Some(&(1, 0)));
        assert_eq!(s.ended, [true, false, true]);
    }
}
