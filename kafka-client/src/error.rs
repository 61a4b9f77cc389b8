//! The crate's one error type, and the one place that classifies errors.
//!
//! Every fallible call in this crate returns [`Error`]. Variants carry the facts a caller or an
//! operator needs (which broker, which API, which config key) rather than a formatted string,
//! and [`Error::is_retriable`] answers the question retry loops ask.

use std::sync::Arc;
use std::time::Duration;

use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::ErrorCode;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to Kafka.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The broker answered with a Kafka error code.
    #[error("{}: broker returned {code}{}", api.name(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Protocol {
        /// The API whose response carried the code.
        api: ApiKey,
        /// The Kafka error code.
        code: ErrorCode,
        /// The broker's error message, when it sent one.
        message: Option<String>,
    },
    /// A socket operation failed (connect, read, write). Retriable: a new connection may work.
    #[error("I/O error talking to {broker}: {source}")]
    Io {
        /// `host:port` of the broker.
        broker: String,
        /// The underlying error (shared so that one broken connection can fail many requests).
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The connection closed or broke while requests were in flight. Retriable.
    #[error("connection to {broker} closed{}", if *mid_frame { " in the middle of a frame" } else { "" })]
    ConnectionClosed {
        /// `host:port` of the broker.
        broker: String,
        /// Whether the peer closed after sending part of a frame.
        mid_frame: bool,
    },
    /// No response within the deadline (`request.timeout.ms` and friends). Retriable.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// What was being waited for.
        what: String,
        /// How long we waited.
        after: Duration,
    },
    /// The peer sent bytes the codec could not decode: a broken or non-Kafka peer, or a TLS
    /// mismatch. The connection is dropped.
    #[error("malformed response from {broker}: {source}{}", hint.map(|h| format!(" ({h})")).unwrap_or_default())]
    Malformed {
        /// `host:port` of the broker.
        broker: String,
        /// What the decoder found.
        #[source]
        source: kafkito_protocol::DecodeError,
        /// A likely cause, e.g. "is the listener TLS?".
        hint: Option<&'static str>,
    },
    /// A request could not be encoded (a bug in the caller's values, e.g. a null where the
    /// version allows none).
    #[error("could not encode request: {0}")]
    Encode(#[from] kafkito_protocol::EncodeError),
    /// The broker supports no version of an API that we also support.
    #[error("broker {broker} supports {} versions {broker_min}-{broker_max}, this client {client_min}-{client_max}: no overlap", api.name())]
    UnsupportedVersion {
        /// `host:port` of the broker.
        broker: String,
        /// The API.
        api: ApiKey,
        /// Oldest version the broker accepts.
        broker_min: i16,
        /// Newest version the broker accepts.
        broker_max: i16,
        /// Oldest version this client speaks.
        client_min: i16,
        /// Newest version this client speaks.
        client_max: i16,
    },
    /// SASL or TLS authentication failed. Not retriable: the credentials or trust are wrong.
    #[error("authentication with {broker} failed: {reason}")]
    Authentication {
        /// `host:port` of the broker.
        broker: String,
        /// What failed.
        reason: String,
    },
    /// TLS could not be set up or the handshake failed (bad certificate, wrong CA, expired,
    /// hostname mismatch).
    #[error("TLS with {broker} failed: {reason}")]
    Tls {
        /// `host:port` of the broker.
        broker: String,
        /// What failed.
        reason: String,
    },
    /// A configuration key or value is invalid.
    #[error("invalid configuration `{key}`: {reason}")]
    Config {
        /// The Kafka-style key, e.g. `bootstrap.servers`.
        key: String,
        /// Why it was rejected.
        reason: String,
    },
    /// No broker of the bootstrap list (or the cluster) could be reached.
    #[error("no broker reachable (tried {tried}): {last_error}")]
    NoBrokerAvailable {
        /// The addresses tried.
        tried: String,
        /// The last failure seen.
        last_error: String,
    },
    /// A group consumer may not commit: it is not a member of the group's current generation
    /// (its partitions were lost to a rebalance, or it has not joined yet). Not retriable as
    /// such: the partitions may belong to another member now, so the application should
    /// re-read its assignment rather than commit again.
    #[error("commit failed: {reason}")]
    CommitFailed {
        /// Why the member could not commit.
        reason: String,
    },
    /// A key or value serializer refused a value.
    #[error("could not serialize the {what} of a record for {topic}: {reason}")]
    Serialization {
        /// `key` or `value`.
        what: &'static str,
        /// The record's topic.
        topic: String,
        /// What the serializer said.
        reason: String,
    },
    /// The client was closed.
    #[error("the client is closed")]
    Closed,
    /// A record is larger than `max.request.size` (or `buffer.memory`) allows: it can never
    /// be sent.
    #[error("record of {size} bytes is larger than {max} bytes ({key})")]
    RecordTooLarge {
        /// The record's size in a batch (upper bound).
        size: usize,
        /// The limit it broke.
        max: usize,
        /// The setting that sets the limit, e.g. `max.request.size`.
        key: &'static str,
    },
    /// `send` waited `max.block.ms` for `buffer.memory` to free up.
    #[error("no buffer space for {size} bytes within max.block.ms ({max_block:?}): the producer is sending slower than records arrive")]
    BufferExhausted {
        /// The bytes asked for.
        size: usize,
        /// How long `send` waited.
        max_block: Duration,
    },
    /// A record was not acknowledged within `delivery.timeout.ms` of its `send`.
    #[error("record for {topic}-{partition} not acknowledged within delivery.timeout.ms ({after:?}){}", last_error.as_deref().map(|e| format!("; last error: {e}")).unwrap_or_default())]
    DeliveryTimeout {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// `delivery.timeout.ms`.
        after: Duration,
        /// The last error a try of its batch saw, if any.
        last_error: Option<String>,
    },
    /// The consumer's position of a partition is outside the log and `auto.offset.reset` is
    /// `none`: the application must `seek`.
    #[error(
        "offset {offset} is out of range for {topic}-{partition} and auto.offset.reset is none"
    )]
    OffsetOutOfRange {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The position that was fetched.
        offset: i64,
    },
    /// The log of a consumer's partition was truncated below its position (KIP-320: the
    /// leader changed and the new leader's log diverges from what was consumed), and
    /// `auto.offset.reset` is `none`. The records from `divergent_offset` to `position` that
    /// were consumed are gone from the log. Not retriable: `poll` fails this way until the
    /// application seeks the partition (for instance to `divergent_offset`).
    #[error("log truncation detected for {topic}-{partition} at position {position}: {}", match (divergent_offset, epoch) {
        (Some(offset), Some(epoch)) => format!("the leader's log ends at {offset} for epoch {epoch}"),
        _ => "the leader has no record of the consumed leader epoch".to_owned(),
    })]
    LogTruncation {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The consumer's position when the truncation was found.
        position: i64,
        /// Where the consumer's log and the leader's part: the end offset of the last leader
        /// epoch both share. `None` when the leader knows no such epoch.
        divergent_offset: Option<i64>,
        /// That epoch.
        epoch: Option<i32>,
    },
    /// A consumer's partition has no committed offset and `auto.offset.reset` is `none`.
    #[error("no committed offset for {topic}-{partition} and auto.offset.reset is none")]
    NoOffsetForPartition {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
    },
    /// A fetched record batch could not be decoded (bad CRC, bad compression, bad lengths).
    #[error("corrupt record batch in {topic}-{partition} at offset {offset}: {reason}")]
    CorruptRecord {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The position the consumer was reading from.
        offset: i64,
        /// What the decoder said.
        reason: String,
    },
    /// A newer producer with the same `transactional.id` has initialised (its
    /// `init_transactions` bumped the epoch), so this one is a zombie: fatal, the producer can
    /// do nothing more and should be dropped. The broker said `PRODUCER_FENCED`, or
    /// `INVALID_PRODUCER_EPOCH` on a transactional request.
    #[error("producer with transactional.id `{transactional_id}` was fenced by a newer instance with the same id")]
    ProducerFenced {
        /// The `transactional.id`.
        transactional_id: String,
    },
    /// The broker refused the `transactional.id` (`TRANSACTIONAL_ID_AUTHORIZATION_FAILED`):
    /// fatal for the producer, the principal lacks WRITE on the transactional id.
    #[error("not authorized to use transactional.id `{transactional_id}`")]
    TransactionalIdAuthorizationFailed {
        /// The `transactional.id`.
        transactional_id: String,
    },
    /// The current transaction cannot commit: a send, an AddPartitionsToTxn or a
    /// send_offsets_to_transaction failed for good. The application must call
    /// `abort_transaction`, and may then retry the whole transaction. See
    /// [`Error::is_abortable`].
    #[error("transaction of `{transactional_id}` must be aborted: {source}")]
    TransactionAbortable {
        /// The `transactional.id`.
        transactional_id: String,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
    /// The record's batch was not sent because its transaction was aborted
    /// (`abort_transaction` fails every unsent batch with this).
    #[error("transaction of `{transactional_id}` was aborted before the record was sent")]
    TransactionAborted {
        /// The `transactional.id`.
        transactional_id: String,
    },
    /// A transactional call was made in a state that does not allow it (e.g. `send` outside
    /// a transaction, `commit_transaction` without `begin_transaction`, `begin_transaction`
    /// twice, anything but `abort_transaction` after an abortable error). `cause` is the error
    /// that put the producer in `AbortableError`, if that is the state. (After a fatal error,
    /// every call returns that error itself, e.g. [`Error::ProducerFenced`].)
    #[error("cannot {call} while the transaction is {state}{}", cause.as_ref().map(|c| format!(" (after: {c})")).unwrap_or_default())]
    InvalidTransactionState {
        /// The call, e.g. `begin_transaction`.
        call: &'static str,
        /// The transaction manager's state when it was made.
        state: crate::types::TransactionState,
        /// The error behind an `AbortableError` or `FatalError` state.
        cause: Option<Box<Error>>,
    },
}

impl Error {
    /// Whether retrying the same operation (maybe on a new connection, after a metadata
    /// refresh) may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Protocol { code, .. } => code.is_retriable(),
            Error::Io { .. } | Error::ConnectionClosed { .. } | Error::Timeout { .. } => true,
            Error::NoBrokerAvailable { .. } => true,
            Error::Malformed { .. }
            | Error::Encode(_)
            | Error::UnsupportedVersion { .. }
            | Error::Authentication { .. }
            | Error::Tls { .. }
            | Error::Config { .. }
            | Error::Closed => false,
            Error::RecordTooLarge { .. }
            | Error::CommitFailed { .. }
            | Error::Serialization { .. }
            | Error::BufferExhausted { .. }
            | Error::DeliveryTimeout { .. } => false,
            Error::OffsetOutOfRange { .. }
            | Error::NoOffsetForPartition { .. }
            | Error::LogTruncation { .. }
            | Error::CorruptRecord { .. } => false,
            Error::ProducerFenced { .. }
            | Error::TransactionalIdAuthorizationFailed { .. }
            | Error::TransactionAbortable { .. }
            | Error::TransactionAborted { .. }
            | Error::InvalidTransactionState { .. } => false,
        }
    }

    /// Whether no broker answered: it could not be reached ([`Error::Io`],
    /// [`Error::NoBrokerAvailable`]), the connection broke ([`Error::ConnectionClosed`]), or no
    /// answer came in time ([`Error::Timeout`]). The one predicate for "the transport failed":
    /// another attempt, on a new connection or another broker, may get an answer. (A broker's
    /// error code is classified by [`ErrorCode`] itself.)
    ///
    /// ```
    /// use std::time::Duration;
    /// use kafkito::Error;
    ///
    /// let timeout = Error::Timeout { what: "a Fetch response".into(), after: Duration::from_secs(30) };
    /// assert!(timeout.is_transport() && timeout.is_retriable());
    /// assert!(!Error::config("linger.ms", "not a number").is_transport());
    /// ```
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            Error::Io { .. }
                | Error::ConnectionClosed { .. }
                | Error::Timeout { .. }
                | Error::NoBrokerAvailable { .. }
        )
    }

    /// Whether the application should call `abort_transaction` (and may then run the
    /// transaction again): the current transaction cannot commit, but the producer is fine.
    pub fn is_abortable(&self) -> bool {
        match self {
            Error::TransactionAbortable { .. } | Error::TransactionAborted { .. } => true,
            Error::InvalidTransactionState { state, .. } => {
                *state == crate::types::TransactionState::AbortableError
            }
            _ => false,
        }
    }

    /// Whether the producer can do nothing more (fenced by a newer instance, not authorized,
    /// or refused a producer id for good): drop it and, if appropriate, start a new one.
    pub fn is_fatal_for_producer(&self) -> bool {
        match self {
            Error::ProducerFenced { .. } | Error::TransactionalIdAuthorizationFailed { .. } => true,
            Error::InvalidTransactionState { cause, .. } => {
                cause.as_deref().is_some_and(Error::is_fatal_for_producer)
            }
            // A producer id the broker will not give (authorization, unsupported version, …)
            // leaves the producer unable to send anything: Java treats it as fatal too.
            Error::Protocol {
                api: ApiKey::InitProducerId,
                code,
                ..
            } => !code.is_retriable(),
            _ => false,
        }
    }

    /// The Kafka error code, when the broker sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Protocol { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Builds a [`Error::Protocol`] from a response's error code, or `Ok` for code 0.
    pub fn check(api: ApiKey, code: i16, message: Option<&str>) -> Result<()> {
        let code = ErrorCode::from_code(code);
        if code.is_ok() {
            return Ok(());
        }
        Err(Error::Protocol {
            api,
            code,
            message: message.map(str::to_owned),
        })
    }

    /// Builds a [`Error::Config`].
    pub fn config(key: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Config {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_producer_id_is_fatal_for_the_producer() {
        let refused = |code| Error::Protocol {
            api: ApiKey::InitProducerId,
            code,
            message: None,
        };
        assert!(refused(ErrorCode::ClusterAuthorizationFailed).is_fatal_for_producer());
        assert!(!refused(ErrorCode::CoordinatorLoadInProgress).is_fatal_for_producer());
        let produce = Error::Protocol {
            api: ApiKey::Produce,
            code: ErrorCode::ClusterAuthorizationFailed,
            message: None,
        };
        assert!(!produce.is_fatal_for_producer());
    }

    #[test]
    fn classification() {
        let not_leader = Error::check(ApiKey::Produce, 6, None).unwrap_err();
        assert!(not_leader.is_retriable());
        assert_eq!(not_leader.code(), Some(ErrorCode::from_code(6)));
        let fenced = Error::check(ApiKey::Produce, 90, Some("fenced")).unwrap_err();
        assert!(!fenced.is_retriable());
        assert!(fenced.to_string().contains("fenced"));
        assert!(Error::check(ApiKey::Produce, 0, None).is_ok());
        assert!(!Error::config("linger.ms", "not a number").is_retriable());
    }
}
