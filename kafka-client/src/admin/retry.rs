//! What an admin call retries, for how long, and what it does between attempts.
//!
//! Kept in one place so every admin call answers "is this worth another try?" the same way.
//! The answer is narrower than [`Error::is_retriable`]: Kafka marks
//! `UNKNOWN_TOPIC_OR_PARTITION` retriable because a producer may be racing topic creation, but
//! an admin asked to delete or describe a topic that does not exist should hear so at once, not
//! after a minute of retries. Only errors that mean "ask someone else, or ask again shortly"
//! are retried:
//!
//! - the request went to the wrong broker: `NOT_CONTROLLER`, `NOT_LEADER_OR_FOLLOWER`,
//!   `LEADER_NOT_AVAILABLE`, `NOT_COORDINATOR`;
//! - the right broker is not ready: `COORDINATOR_NOT_AVAILABLE`,
//!   `COORDINATOR_LOAD_IN_PROGRESS`;
//! - the broker could not be reached, or the connection broke ([`Error::Io`],
//!   [`Error::ConnectionClosed`], [`Error::Timeout`], [`Error::NoBrokerAvailable`]).
//!
//! One call widens that rule: OffsetCommit also retries `REQUEST_TIMED_OUT` (see
//! [`OFFSET_COMMIT_RETRIABLE`]), which a coordinator answers when it could not write the
//! commit to its offsets log in time. Re-sending the same offsets is harmless (a commit is
//! idempotent), and the Java client retries it as a coordinator problem too. For other admin
//! calls it stays final: a CreateTopics that timed out on the controller may still have
//! happened, and a retry would only turn that into a confusing `TOPIC_ALREADY_EXISTS`.
//!
//! Between attempts the call asks for a metadata refresh (the controller or leader may have
//! moved; a restarted broker may have a new address), waits `retry.backoff.ms` growing to
//! `retry.backoff.max.ms`, then waits for that refresh — all within the call's deadline.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use kafka_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::debug;

use crate::backoff::ExponentialBackoff;
use crate::cluster::MetadataClient;
use crate::error::{Error, Result};

/// Whether an admin call should try again after `error` (see the module docs).
pub fn should_retry(error: &Error) -> bool {
    match error {
        Error::Protocol { code, .. } => matches!(
            code,
            ErrorCode::NotController
                | ErrorCode::NotLeaderOrFollower
                | ErrorCode::LeaderNotAvailable
                | ErrorCode::NotCoordinator
                | ErrorCode::CoordinatorNotAvailable
                | ErrorCode::CoordinatorLoadInProgress
        ),
        Error::Io { .. }
        | Error::ConnectionClosed { .. }
        | Error::Timeout { .. }
        | Error::NoBrokerAvailable { .. } => true,
        _ => false,
    }
}

/// [`should_retry`], widened by a call's own retriable protocol codes `also`.
fn retriable_with(error: &Error, also: &[ErrorCode]) -> bool {
    should_retry(error) || matches!(error, Error::Protocol { code, .. } if also.contains(code))
}

/// The error codes OffsetCommit retries on top of [`should_retry`]'s (see the module docs).
pub const OFFSET_COMMIT_RETRIABLE: &[ErrorCode] = &[ErrorCode::RequestTimedOut];

/// The retry budget of one admin call.
#[derive(Debug)]
pub(crate) struct Retry {
    op: &'static str,
    timeout: Duration,
    deadline: Instant,
    attempts: u32,
    backoff: ExponentialBackoff,
    /// Protocol codes this call retries besides those of [`should_retry`].
    also_retriable: &'static [ErrorCode],
}

impl Retry {
    pub(crate) fn new(op: &'static str, timeout: Duration, metadata: &MetadataClient) -> Retry {
        Retry {
            op,
            timeout,
            deadline: Instant::now() + timeout,
            attempts: 0,
            backoff: ExponentialBackoff::retry(metadata.pool().config()),
            also_retriable: &[],
        }
    }

    /// Also retries the protocol errors `codes` (a call's own rule, e.g.
    /// [`OFFSET_COMMIT_RETRIABLE`]).
    pub(crate) fn also_retrying(mut self, codes: &'static [ErrorCode]) -> Retry {
        self.also_retriable = codes;
        self
    }

    /// Whether this call tries again after `error`: [`should_retry`], or one of its own codes.
    pub(crate) fn retries(&self, error: &Error) -> bool {
        retriable_with(error, self.also_retriable)
    }

    /// Time left before the deadline.
    pub(crate) fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// The deadline as milliseconds for a request's `timeout_ms` field.
    pub(crate) fn remaining_ms(&self) -> i32 {
        i32::try_from(self.remaining().as_millis()).unwrap_or(i32::MAX)
    }

    fn timed_out(&self) -> Error {
        Error::Timeout {
            what: format!("admin {}", self.op),
            after: self.timeout,
        }
    }

    /// Runs one attempt, cut short at the deadline.
    pub(crate) async fn run<T>(&self, attempt: impl Future<Output = Result<T>>) -> Result<T> {
        match tokio::time::timeout_at(self.deadline, attempt).await {
            Ok(result) => result,
            Err(_) => Err(self.timed_out()),
        }
    }

    /// After a failed attempt: `Ok` once it is time to try again (metadata refreshed, backoff
    /// waited), or the error back when it is not worth retrying or the deadline would pass.
    pub(crate) async fn backoff(&mut self, error: Error, metadata: &MetadataClient) -> Result<()> {
        if !self.retries(&error) {
            return Err(error);
        }
        let delay = self.backoff.delay(self.attempts);
        if Instant::now() + delay >= self.deadline {
            return Err(error);
        }
        self.attempts += 1;
        debug!(op = self.op, attempt = self.attempts, %error, delay_ms = delay.as_millis() as u64, "admin call will retry");
        let refresh = metadata.request_refresh();
        tokio::time::sleep(delay).await;
        // A failed refresh is not this call's failure: the next attempt reports what matters.
        let _ = tokio::time::timeout_at(self.deadline, refresh.wait()).await;
        Ok(())
    }

    /// Runs `attempt` until it succeeds, fails for good, or the deadline passes.
    pub(crate) async fn whole<T, F, Fut>(
        mut self,
        metadata: &MetadataClient,
        mut attempt: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        loop {
            match self.run(attempt()).await {
                Ok(value) => return Ok(value),
                Err(error) => self.backoff(error, metadata).await?,
            }
        }
    }

    /// Runs `attempt` over `items` until every item has a final result: items whose result is
    /// a retriable error go into the next attempt, the others are done. An attempt that fails
    /// as a whole is retried like [`whole`](Self::whole) (with the items still pending).
    ///
    /// When the deadline passes, pending items get their last error (the call itself fails
    /// only if no attempt ever got an answer).
    pub(crate) async fn per_item<K, V, F, Fut>(
        mut self,
        metadata: &MetadataClient,
        items: Vec<K>,
        mut attempt: F,
    ) -> Result<BTreeMap<K, Result<V>>>
    where
        K: Ord + Clone,
        F: FnMut(Vec<K>) -> Fut,
        Fut: Future<Output = Result<Vec<(K, Result<V>)>>>,
    {
        let mut done = BTreeMap::new();
        let mut pending = items;
        while !pending.is_empty() {
            match self.run(attempt(pending.clone())).await {
                Ok(results) => {
                    let mut retry_error = None;
                    pending.clear();
                    for (key, result) in results {
                        match result {
                            Err(error) if self.retries(&error) => {
                                pending.push(key.clone());
                                done.insert(key, Err(error.clone()));
                                retry_error = Some(error);
                            }
                            result => {
                                done.insert(key, result);
                            }
                        }
                    }
                    if let Some(error) = retry_error {
                        if self.backoff(error, metadata).await.is_err() {
                            // Out of time: the pending items keep their last error.
                            break;
                        }
                    }
                }
                Err(error) => {
                    if let Err(error) = self.backoff(error, metadata).await {
                        if done.is_empty() {
                            return Err(error);
                        }
                        for key in pending.drain(..) {
                            done.insert(key, Err(error.clone()));
                        }
                    }
                }
            }
        }
        Ok(done)
    }
}

/// The `(key, Err(..))` pairs for items an attempt could not even send (no leader, no
/// coordinator), so that they are retried or reported with the rest.
pub(crate) fn fail_all<K: Clone, V>(keys: &[K], error: &Error) -> Vec<(K, Result<V>)> {
    keys.iter()
        .map(|k| (k.clone(), Err(error.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_routing_and_connection_errors_are_retried() {
        let protocol = |code| Error::Protocol {
            api: "X",
            code,
            message: None,
        };
        for code in [
            ErrorCode::NotController,
            ErrorCode::NotLeaderOrFollower,
            ErrorCode::CoordinatorNotAvailable,
            ErrorCode::NotCoordinator,
            ErrorCode::CoordinatorLoadInProgress,
            ErrorCode::LeaderNotAvailable,
        ] {
            assert!(should_retry(&protocol(code)), "{code}");
        }
        for code in [
            ErrorCode::TopicAlreadyExists,
            ErrorCode::UnknownTopicOrPartition,
            ErrorCode::InvalidPartitions,
            ErrorCode::GroupIdNotFound,
        ] {
            assert!(!should_retry(&protocol(code)), "{code}");
        }
        assert!(should_retry(&Error::ConnectionClosed {
            broker: "b".into(),
            mid_frame: false
        }));
        assert!(!should_retry(&Error::UnsupportedVersion {
            broker: "b".into(),
            api: "CreatePartitions",
            broker_min: -1,
            broker_max: -1,
            client_min: 0,
            client_max: 3,
        }));
        assert!(!should_retry(&Error::Closed));
    }

    #[test]
    fn offset_commit_also_retries_request_timed_out() {
        let timed_out = Error::Protocol {
            api: "OffsetCommit",
            code: ErrorCode::RequestTimedOut,
            message: None,
        };
        assert!(!should_retry(&timed_out), "final for other admin calls");
        assert!(!retriable_with(&timed_out, &[]));
        assert!(retriable_with(&timed_out, OFFSET_COMMIT_RETRIABLE));
        let fenced = Error::Protocol {
            api: "OffsetCommit",
            code: ErrorCode::IllegalGeneration,
            message: None,
        };
        assert!(!retriable_with(&fenced, OFFSET_COMMIT_RETRIABLE));
        assert!(retriable_with(
            &Error::Protocol {
                api: "OffsetCommit",
                code: ErrorCode::NotCoordinator,
                message: None,
            },
            OFFSET_COMMIT_RETRIABLE
        ));
    }
}
