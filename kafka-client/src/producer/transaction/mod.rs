//! Transactions (Java's `TransactionManager`): the state machine of a transactional producer,
//! the classification of the transaction APIs' errors, and the requests to the transaction and
//! group coordinators. Split by job:
//!
//! - this file: the [`TransactionState`]s, how each error code of the transaction APIs is
//!   handled ([`classify`]: retried, abortable, fenced, fatal — the one place that decides),
//!   and [`Transactions`], what the producer handles and the sender task share;
//! - `manager`: [`TransactionManager`], plain data. Every public call and every response goes
//!   through it, and it answers with a decision: the next step of a commit or abort
//!   ([`EndStep`]), the state that follows an answer, or an [`Error`]. It never does I/O;
//! - `requests`: the I/O it asks for. InitProducerId, AddPartitionsToTxn (the v0–3 client
//!   form: v4+ is the broker-to-broker batch), AddOffsetsToTxn and EndTxn at the transaction
//!   coordinator, TxnOffsetCommit (v3+ carries the member's generation, member id and
//!   `group.instance.id`, KIP-447) at the group coordinator. Coordinators are found and
//!   cached by `cluster/coordinator.rs`; requests are retried within the public call's
//!   `max.block.ms` by the client's retry policy (`crate::retry`) with [`retriable`] as the
//!   rule;
//! - `tests` (the state machine, no sockets) and `wire_tests` (a whole producer against a
//!   scripted fake broker).
//!
//! Who drives what: `init_transactions`, `send_offsets_to_transaction`, `commit_transaction`
//! and `abort_transaction` (`producer/transactional.rs`) run in the caller's task (they hold
//! the `Transactions` call lock, so two of them never interleave); the sender task sends
//! AddPartitionsToTxn for the partitions `send` named, before their first batch, and reports
//! batch failures here (they make the transaction abortable). Dropping any of the calls is
//! safe: each state change is made under a short lock, before or after an `.await`, never
//! across one, and a call in `CommittingTransaction`/`AbortingTransaction`/`Initializing`
//! resumes when made again (a timed-out commit is retried by calling commit again, as in
//! Java).
//!
//! The protocol versions are kept at the "transaction version 1" forms (EndTxn ≤ 4,
//! TxnOffsetCommit ≤ 4, Produce ≤ 11 for transactional batches): with those, partitions and
//! offsets are added explicitly and the epoch stays the same across transactions, which is
//! what the idempotence bookkeeping (`idempotence.rs`) expects. KIP-890's implicit adds and
//! per-transaction epoch bumps are not used.

mod manager;
mod requests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod wire_tests;

use std::sync::{Arc, Mutex, MutexGuard};

use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::ErrorCode;
use tokio::sync::Notify;

use crate::cluster::coordinator::Coordinators;
use crate::error::Error;

pub(crate) use manager::{EndStep, TransactionManager};
pub(crate) use requests::{
    add_offsets, add_partitions, end_txn, init_producer_id, txn_offset_commit,
};

/// Highest Produce version for transactional batches: v12 implies AddPartitionsToTxn.
pub(crate) const MAX_TRANSACTIONAL_PRODUCE_VERSION: i16 = 11;

pub use crate::types::TransactionState;

/// How an error code from a transaction API is handled (the one place that decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnErrorKind {
    /// Try again after a backoff (whether the coordinator is looked up again first is
    /// `cluster/coordinator.rs`'s decision).
    Retriable,
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
/// TxnOffsetCommit, EndTxn, InitProducerId). A transactional batch's Produce error goes through
/// [`classify_produce`].
pub(crate) fn classify(code: ErrorCode) -> TxnErrorKind {
    match code {
        ErrorCode::NotCoordinator
        | ErrorCode::CoordinatorNotAvailable
        | ErrorCode::CoordinatorLoadInProgress
        | ErrorCode::ConcurrentTransactions
        | ErrorCode::OperationNotAttempted
        | ErrorCode::UnknownTopicOrPartition => TxnErrorKind::Retriable,
        ErrorCode::ProducerFenced | ErrorCode::InvalidProducerEpoch => TxnErrorKind::Fenced,
        ErrorCode::TransactionalIdAuthorizationFailed => TxnErrorKind::Unauthorized,
        ErrorCode::InvalidTxnState
        | ErrorCode::InvalidProducerIdMapping
        | ErrorCode::InvalidTransactionTimeout
        | ErrorCode::TransactionCoordinatorFenced
        | ErrorCode::ClusterAuthorizationFailed
        | ErrorCode::UnsupportedVersion
        | ErrorCode::UnsupportedForMessageFormat => TxnErrorKind::Fatal,
        code if code.is_retriable() => TxnErrorKind::Retriable,
        _ => TxnErrorKind::Abortable,
    }
}

/// Classifies the error code of a transactional batch's Produce. As [`classify`], except
/// `INVALID_PRODUCER_EPOCH`: from a partition leader it is abortable, not fencing (KIP-588, as
/// Java's `InvalidProducerEpochException`). The leader only knows the epoch is not the latest:
/// the coordinator may have bumped it when it aborted a transaction that ran past its timeout.
/// The abort that follows asks the coordinator (InitProducerId naming our id and epoch), which
/// either hands out the next epoch or answers `PRODUCER_FENCED`.
pub(crate) fn classify_produce(code: ErrorCode) -> TxnErrorKind {
    match code {
        ErrorCode::InvalidProducerEpoch => TxnErrorKind::Abortable,
        code => classify(code),
    }
}

/// The [`Error`] for `code` from `api`, by [`classify`].
pub(crate) fn txn_error(transactional_id: &str, api: ApiKey, code: ErrorCode) -> Error {
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

/// Whether a transaction request that failed with `error` is tried again (the rule the
/// client's retry policy applies to them): a [`classify`]d retriable code, or a transport
/// failure.
pub(crate) fn retriable(error: &Error) -> bool {
    match error {
        Error::Protocol { code, .. } => classify(*code) == TxnErrorKind::Retriable,
        error => error.is_transport(),
    }
}

/// A partition, as the sender keys it.
pub(crate) type PartitionKey = (Arc<str>, i32);

/// What the producer handles and the sender share about transactions.
#[derive(Debug)]
pub(crate) struct Transactions {
    manager: Mutex<TransactionManager>,
    /// Serializes `init`/`send_offsets`/`commit`/`abort`.
    pub calls: tokio::sync::Mutex<()>,
    /// Woken when an AddPartitionsToTxn completes.
    pub changed: Notify,
    /// The transaction coordinator of the transactional id, and the group coordinators
    /// TxnOffsetCommit goes to.
    pub coordinators: Coordinators,
}

impl Transactions {
    /// The shared state of a producer with `transactional.id` `transactional_id`.
    pub fn new(transactional_id: &str) -> Self {
        Transactions {
            manager: Mutex::new(TransactionManager::new(transactional_id)),
            calls: tokio::sync::Mutex::new(()),
            changed: Notify::new(),
            coordinators: Coordinators::default(),
        }
    }

    /// The state machine, under a short lock (never held across an `.await`; taken after the
    /// accumulator's lock when both are needed, never before).
    pub fn manager(&self) -> MutexGuard<'_, TransactionManager> {
        self.manager.lock().unwrap_or_else(|e| e.into_inner())
    }
}
