//! The plain values every part of the client speaks in: a topic's partition, a committed
//! offset, an isolation level, a transactional producer's state. They sit below the producer, the consumer and the admin client,
//! which all re-export them, and depend on nothing else in the crate.

use std::fmt;

/// A partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// The topic's name.
    pub topic: String,
    /// The partition index.
    pub partition: i32,
}

impl TopicPartition {
    /// `topic`/`partition`.
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Which records a reader sees (`isolation.level`), and so which offset counts as the end of a
/// partition: the high watermark, or the last stable offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IsolationLevel {
    /// Every record (the high watermark).
    #[default]
    ReadUncommitted,
    /// Only committed transactional records (the last stable offset).
    ReadCommitted,
}

/// A committed offset: what a group commits for a partition, and what it reads back.
///
/// A plain offset converts into one without metadata:
///
/// ```
/// use kafkito::OffsetAndMetadata;
///
/// let plain = OffsetAndMetadata::from(42);
/// assert_eq!(plain.offset, 42);
/// let noted = OffsetAndMetadata::new(42).with_metadata("batch-7");
/// assert_eq!(noted.metadata.as_deref(), Some("batch-7"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetAndMetadata {
    /// The next offset the group will consume.
    pub offset: i64,
    /// The leader epoch of the last consumed record (v5+), when the committer sent it.
    pub leader_epoch: Option<i32>,
    /// The metadata string committed with it.
    pub metadata: Option<String>,
}

impl OffsetAndMetadata {
    /// `offset`, without a leader epoch or metadata.
    pub fn new(offset: i64) -> OffsetAndMetadata {
        OffsetAndMetadata {
            offset,
            leader_epoch: None,
            metadata: None,
        }
    }

    /// The same, with this metadata string (kept by the coordinator beside the offset, up to
    /// the broker's `offset.metadata.max.bytes`).
    pub fn with_metadata(mut self, metadata: impl Into<String>) -> OffsetAndMetadata {
        self.metadata = Some(metadata.into());
        self
    }

    /// The same, with the leader epoch of the last consumed record (KIP-320: lets the next
    /// owner detect a truncated log).
    pub fn with_leader_epoch(mut self, epoch: Option<i32>) -> OffsetAndMetadata {
        self.leader_epoch = epoch;
        self
    }
}

impl From<i64> for OffsetAndMetadata {
    fn from(offset: i64) -> OffsetAndMetadata {
        OffsetAndMetadata::new(offset)
    }
}

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
