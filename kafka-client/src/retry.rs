//! The client's retry policy: what is worth another try, for how long, and what happens
//! between attempts. Admin calls, offset commits and the transaction manager's requests all
//! go through `Retry`, so a change to the policy is one edit here.
//!
//! Produce requests are not retried here: a failed batch goes back through the producer's
//! accumulator with its sequence numbers (see `producer/sender.rs`), since a generic retry
//! would reorder or duplicate records. Reconnecting to a broker (`net/pool.rs`) waits
//! `reconnect.backoff.ms` through [`crate::backoff`], not this policy.
//!
//! # What is retriable
//!
//! The base answer is Kafka's error table ([`ErrorCode::is_retriable`], through
//! [`Error::is_retriable`]) plus the transport failures ([`Error::is_transport`]). Each
//! caller picks a rule over it:
//!
//! - **admin calls** ([`should_retry`]) retry only the table's "ask someone else, or ask again
//!   shortly" codes. Kafka marks `UNKNOWN_TOPIC_OR_PARTITION` retriable because a producer
//!   may be racing topic creation, but an admin asked to delete or describe a topic that does
//!   not exist should hear so at once, not after a minute of retries. So only:
//!   - the request went to the wrong broker: `NOT_CONTROLLER`, `NOT_LEADER_OR_FOLLOWER`,
//!     `LEADER_NOT_AVAILABLE`, `NOT_COORDINATOR`;
//!   - the right broker is not ready: `COORDINATOR_NOT_AVAILABLE`,
//!     `COORDINATOR_LOAD_IN_PROGRESS`;
//!   - the broker could not be reached, or the connection broke.
//! - **offset commits** widen the admin rule with `REQUEST_TIMED_OUT` (see
//!   [`OFFSET_COMMIT_RETRIABLE`]), which a coordinator answers when it could not write the
//!   commit to its offsets log in time. Re-sending the same offsets is harmless (a commit is
//!   idempotent), and the Java client retries it as a coordinator problem too. For other admin
//!   calls it stays final: a CreateTopics that timed out on the controller may still have
//!   happened, and a retry would only turn that into a confusing `TOPIC_ALREADY_EXISTS`.
//! - **transaction requests** use the transaction manager's classification
//!   (`producer/transaction`), which adds `CONCURRENT_TRANSACTIONS` and the other codes the
//!   coordinator answers while it finishes a previous transaction.
//!
//! # Between attempts, and when to stop
//!
//! A retry asks for a metadata refresh (the controller, leader or coordinator may have moved;
//! a restarted broker may have a new address), waits `retry.backoff.ms` growing to
//! `retry.backoff.max.ms` with Kafka's ±20% jitter ([`ExponentialBackoff`]), then waits for
//! that refresh — all within the call's deadline. When the next attempt would start after the
//! deadline, an admin call reports its last error; a transactional call reports
//! [`Error::Timeout`] (with the last error in its text), because a timed-out transactional
//! call leaves the transaction as it was and may be called again, as in Java.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use kafkito_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::backoff::ExponentialBackoff;
use crate::cluster::MetadataClient;
use crate::error::{Error, Result};

/// The codes an admin call retries: the routing and readiness subset of Kafka's retriable
/// codes (see the module docs).
const ADMIN_RETRIABLE: &[ErrorCode] = &[
    ErrorCode::NotController,
    ErrorCode::NotLeaderOrFollower,
    ErrorCode::LeaderNotAvailable,
    ErrorCode::NotCoordinator,
    ErrorCode::CoordinatorNotAvailable,
    ErrorCode::CoordinatorLoadInProgress,
];

/// Whether an admin call should try again after `error` (see the module docs).
pub fn should_retry(error: &Error) -> bool {
    match error {
        Error::Protocol { code, .. } => ADMIN_RETRIABLE.contains(code),
        error => error.is_transport(),
    }
}

/// The error codes OffsetCommit retries on top of [`should_retry`]'s (see the module docs).
pub const OFFSET_COMMIT_RETRIABLE: &[ErrorCode] = &[ErrorCode::RequestTimedOut];

/// What a call reports when the deadline passes between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GiveUp {
    /// The last attempt's error (admin calls: it says what went wrong).
    LastError,
    /// [`Error::Timeout`] naming the last error (transactional calls: may be called again).
    Timeout,
}

/// The retry budget of one call: its deadline, backoff and rule (see the module docs).
#[derive(Debug)]
pub(crate) struct Retry {
    /// What timed out, for [`Error::Timeout`].
    what: String,
    timeout: Duration,
    deadline: Instant,
    attempts: u32,
    backoff: ExponentialBackoff,
    rule: fn(&Error) -> bool,
    /// Protocol codes this call retries besides those of `rule`.
    also_retriable: &'static [ErrorCode],
    give_up: GiveUp,
}

impl Retry {
    /// An admin call (or a commit) named `op`: [`should_retry`]'s rule, `timeout` from now,
    /// the client's `retry.backoff.ms`; the last error when time runs out.
    pub(crate) fn new(op: &'static str, timeout: Duration, metadata: &MetadataClient) -> Retry {
        Retry {
            what: format!("admin {op}"),
            timeout,
            deadline: Instant::now() + timeout,
            attempts: 0,
            backoff: ExponentialBackoff::retry(metadata.pool().config()),
            rule: should_retry,
            also_retriable: &[],
            give_up: GiveUp::LastError,
        }
    }

    /// A call of the transactional producer named `what`, ending at `deadline` (`budget`
    /// after its start, `max.block.ms`): retries by `rule`, and reports [`Error::Timeout`]
    /// when time runs out.
    pub(crate) fn until(
        what: &'static str,
        deadline: Instant,
        budget: Duration,
        backoff: ExponentialBackoff,
        rule: fn(&Error) -> bool,
    ) -> Retry {
        Retry {
            what: what.to_owned(),
            timeout: budget,
            deadline,
            attempts: 0,
            backoff,
            rule,
            also_retriable: &[],
            give_up: GiveUp::Timeout,
        }
    }

    /// Also retries the protocol errors `codes` (a call's own rule, e.g.
    /// [`OFFSET_COMMIT_RETRIABLE`]).
    pub(crate) fn also_retrying(mut self, codes: &'static [ErrorCode]) -> Retry {
        self.also_retriable = codes;
        self
    }

    /// Whether this call tries again after `error`: its rule, or one of its own codes.
    pub(crate) fn retries(&self, error: &Error) -> bool {
        (self.rule)(error)
            || matches!(error, Error::Protocol { code, .. } if self.also_retriable.contains(code))
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
            what: self.what.clone(),
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

    /// Plain data: the wait before the next attempt after `error`, or the error to report
    /// (not retriable, or the deadline would pass first). Counts the attempt.
    pub(crate) fn next_delay(&mut self, error: Error, now: Instant) -> Result<Duration> {
        if !self.retries(&error) {
            return Err(error);
        }
        let delay = self.backoff.delay(self.attempts);
        if now + delay >= self.deadline {
            return Err(match self.give_up {
                GiveUp::LastError => error,
                // A timeout inside the attempt already says what it is.
                GiveUp::Timeout if matches!(error, Error::Timeout { .. }) => error,
                GiveUp::Timeout => {
                    warn!(what = %self.what, %error, "giving up: the call's timeout ran out");
                    Error::Timeout {
                        what: format!("{} (last error: {error})", self.what),
                        after: self.timeout,
                    }
                }
            });
        }
        self.attempts += 1;
        debug!(what = %self.what, attempt = self.attempts, %error, delay_ms = delay.as_millis() as u64, "will retry");
        Ok(delay)
    }

    /// After a failed attempt: `Ok` once it is time to try again (metadata refreshed, backoff
    /// waited), or the error to report when it is not worth retrying or the deadline would
    /// pass.
    pub(crate) async fn backoff(&mut self, error: Error, metadata: &MetadataClient) -> Result<()> {
        let delay = self.next_delay(error, Instant::now())?;
        // Asked before the wait, so that the refresh runs while the backoff waits.
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
    use kafkito_protocol::messages::ApiKey;

    use super::*;

    fn protocol(code: ErrorCode) -> Error {
        Error::Protocol {
            api: ApiKey::Produce,
            code,
            message: None,
        }
    }

    /// A metadata client whose cluster is never reached (the retry budget only reads its
    /// settings).
    fn unreachable_cluster() -> MetadataClient {
        let config = crate::config::ClientConfig::builder()
            .bootstrap_servers(["127.0.0.1:1"])
            .build()
            .unwrap();
        MetadataClient::from_config(config).unwrap()
    }

    #[test]
    fn only_routing_and_connection_errors_are_retried() {
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
            api: ApiKey::CreatePartitions,
            broker_min: -1,
            broker_max: -1,
            client_min: 0,
            client_max: 3,
        }));
        assert!(!should_retry(&Error::Closed));
    }

    /// The admin rule narrows Kafka's table, never widens it: each code it retries is one the
    /// table marks retriable.
    #[test]
    fn admin_codes_are_a_subset_of_the_table() {
        for code in ADMIN_RETRIABLE.iter().chain(OFFSET_COMMIT_RETRIABLE) {
            assert!(code.is_retriable(), "{code}");
            assert!(protocol(*code).is_retriable(), "{code}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn offset_commit_also_retries_request_timed_out() {
        let metadata = unreachable_cluster();
        let timed_out = protocol(ErrorCode::RequestTimedOut);
        let admin = Retry::new("create_topics", Duration::from_secs(1), &metadata);
        assert!(!admin.retries(&timed_out), "final for other admin calls");
        let commit = Retry::new("offset_commit", Duration::from_secs(1), &metadata)
            .also_retrying(OFFSET_COMMIT_RETRIABLE);
        assert!(commit.retries(&timed_out));
        assert!(!commit.retries(&protocol(ErrorCode::IllegalGeneration)));
        assert!(commit.retries(&protocol(ErrorCode::NotCoordinator)));
    }

    fn fixed_backoff() -> ExponentialBackoff {
        ExponentialBackoff::new(Duration::from_millis(100), Duration::from_secs(1)).without_jitter()
    }

    /// The delays grow with Kafka's formula, and the deadline decides what is reported:
    /// a transactional call times out, naming its last error.
    #[test]
    fn delays_grow_until_the_deadline_then_a_transactional_call_times_out() {
        let start = Instant::now();
        let budget = Duration::from_millis(1000);
        let mut retry = Retry::until(
            "EndTxn",
            start + budget,
            budget,
            fixed_backoff(),
            Error::is_retriable,
        );
        let busy = || protocol(ErrorCode::CoordinatorLoadInProgress);
        assert_eq!(
            retry.next_delay(busy(), start).unwrap(),
            Duration::from_millis(100)
        );
        assert_eq!(
            retry.next_delay(busy(), start).unwrap(),
            Duration::from_millis(200)
        );
        let late = start + Duration::from_millis(900);
        match retry.next_delay(busy(), late) {
            Err(Error::Timeout { what, after }) => {
                assert!(
                    what.contains("EndTxn") && what.contains("COORDINATOR_LOAD_IN_PROGRESS"),
                    "{what}"
                );
                assert_eq!(after, budget);
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        // Not retriable: reported as it is, whatever the time.
        let fenced = Error::ProducerFenced {
            transactional_id: "tx".into(),
        };
        assert!(matches!(
            retry.next_delay(fenced, start),
            Err(Error::ProducerFenced { .. })
        ));
    }

    /// An admin call out of time reports its last error itself.
    #[tokio::test(start_paused = true)]
    async fn an_admin_call_out_of_time_reports_its_last_error() {
        let metadata = unreachable_cluster();
        let mut retry = Retry::new("delete_topics", Duration::from_millis(50), &metadata);
        retry.backoff = fixed_backoff();
        let late = Instant::now() + Duration::from_millis(10);
        assert!(matches!(
            retry.next_delay(protocol(ErrorCode::NotController), late),
            Err(Error::Protocol {
                code: ErrorCode::NotController,
                ..
            })
        ));
    }
}
