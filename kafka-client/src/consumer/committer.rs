//! The ordered commit queue: every offset commit of one consumer — `commit_sync`,
//! `commit_async`, auto commits, the commit of revoked partitions — goes through one background
//! task that sends them one at a time, in the order they were made.
//!
//! Why: a commit is retried (a moved or loading coordinator, `REQUEST_TIMED_OUT`), so two
//! commits sent side by side can land in either order, and an older position landing last
//! moves the group's committed offset backwards — after a restart those records are read
//! again. Kafka only orders requests on one connection, and a retried request is a new one.
//! Java gets the order from its single network thread (and its new consumer makes
//! `commitSync` wait for earlier async commits); here one task per consumer does the same:
//! a commit starts only once the one before it succeeded or failed for good.
//!
//! Each commit keeps the deadline its caller gave it (counted from the call, not from when
//! its turn comes), and its outcome is sent back on a oneshot: awaiting it is optional, and a
//! dropped future does not cancel the commit. When the consumer is dropped the queue is
//! drained and the task ends.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, warn};

use super::group::membership::CommitGeneration;
use super::hook::{self, ConsumerHook};
use super::offsets;
use super::TopicPartition;
use crate::cluster::MetadataClient;
use crate::error::{Error, Result};
use crate::metrics::ConsumerSensors;
use crate::types::OffsetAndMetadata;

/// One commit waiting for its turn.
struct CommitJob {
    offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    generation: Option<CommitGeneration>,
    deadline: Instant,
    timeout: Duration,
    done: oneshot::Sender<Result<()>>,
}

/// The consumer's end of the queue.
#[derive(Debug)]
pub(crate) struct Committer {
    jobs: mpsc::UnboundedSender<CommitJob>,
}

impl Committer {
    /// Starts the task that commits for `group`, counting commits in `sensors` and telling
    /// `hooks` each commit's outcome.
    pub(crate) fn start(
        metadata: MetadataClient,
        group: String,
        sensors: Arc<ConsumerSensors>,
        hooks: Vec<Arc<dyn ConsumerHook>>,
    ) -> Committer {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(metadata, group, hooks, queue, sensors));
        Committer { jobs }
    }

    /// Queues a commit of `offsets`, to be done within `timeout` from now, after every commit
    /// queued before it. The returned future resolves with its outcome; dropping it does not
    /// cancel the commit.
    pub(crate) fn submit(
        &self,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
        generation: Option<CommitGeneration>,
        timeout: Duration,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let (done, outcome) = oneshot::channel();
        let job = CommitJob {
            offsets,
            generation,
            deadline: Instant::now() + timeout,
            timeout,
            done,
        };
        let queued = self.jobs.send(job).is_ok();
        async move {
            if !queued {
                return Err(Error::Closed);
            }
            outcome.await.unwrap_or(Err(Error::Closed))
        }
    }
}

async fn run(
    metadata: MetadataClient,
    group: String,
    hooks: Vec<Arc<dyn ConsumerHook>>,
    mut queue: mpsc::UnboundedReceiver<CommitJob>,
    sensors: Arc<ConsumerSensors>,
) {
    while let Some(job) = queue.recv().await {
        let remaining = job.deadline.saturating_duration_since(Instant::now());
        let result = if remaining.is_zero() {
            // Its time went by while earlier commits were retried.
            Err(Error::Timeout {
                what: format!(
                    "committing offsets of group {group} (queued behind earlier commits)"
                ),
                after: job.timeout,
            })
        } else {
            let started = Instant::now();
            let result = offsets::commit(
                &metadata,
                &group,
                job.generation.as_ref(),
                &job.offsets,
                remaining,
            )
            .await;
            // Java's `commit-total` and `commit-latency`: commits that succeeded, timed
            // from sending to success (retries included).
            if result.is_ok() {
                sensors.commits.add(1);
                sensors
                    .commit_latency
                    .record(started.elapsed().as_micros() as u64);
            }
            result
        };
        if let Err(error) = &result {
            warn!(group, %error, partitions = job.offsets.len(), "offset commit failed");
        }
        hook::committed(&hooks, &job.offsets, result.as_ref().map(drop));
        // The caller may have dropped its future: the outcome is then only logged.
        let _ = job.done.send(result);
    }
    debug!(group, "commit queue closed");
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use kafkito_protocol::messages::offset_commit_response::{
        OffsetCommitResponsePartition, OffsetCommitResponseTopic,
    };
    use kafkito_protocol::messages::{
        ApiKey, MetadataRequest, OffsetCommitRequest, OffsetCommitResponse,
    };
    use kafkito_protocol::ErrorCode;

    use super::*;
    use crate::config::ClientConfig;
    use crate::test_support::{cluster, coordinator_here, respond, FakeBroker, Reply};

    fn tp() -> TopicPartition {
        TopicPartition::new("t", 0)
    }

    fn sensors() -> Arc<ConsumerSensors> {
        Arc::new(ConsumerSensors::new(&ClientConfig::default()))
    }

    fn offsets(offset: i64, metadata: &str) -> BTreeMap<TopicPartition, OffsetAndMetadata> {
        BTreeMap::from([(
            tp(),
            OffsetAndMetadata {
                offset,
                leader_epoch: None,
                metadata: Some(metadata.into()),
            },
        )])
    }

    /// Every OffsetCommit the fake coordinator received: (offset, metadata, answered code).
    type Log = Arc<Mutex<Vec<(i64, Option<String>, ErrorCode)>>>;
    /// The committed leader epoch of every OffsetCommit received.
    type Epochs = Arc<Mutex<Vec<i32>>>;

    /// A one-broker fake cluster, its own group coordinator, whose OffsetCommit answers the
    /// first `load_errors` commits with COORDINATOR_LOAD_IN_PROGRESS (retriable).
    async fn coordinator(load_errors: usize) -> (FakeBroker, Log) {
        let (broker, log, _) = coordinator_with_epochs(load_errors).await;
        (broker, log)
    }

    async fn coordinator_with_epochs(load_errors: usize) -> (FakeBroker, Log, Epochs) {
        let log: Log = Arc::default();
        let seen = log.clone();
        let epochs: Epochs = Arc::default();
        let epochs_seen = epochs.clone();
        let apis = [
            (ApiKey::ApiVersions, 3),
            (ApiKey::Metadata, 12),
            (ApiKey::FindCoordinator, 4),
            (ApiKey::OffsetCommit, 9),
        ];
        let broker = FakeBroker::start(&apis, move |request, address| match request.api() {
            ApiKey::Metadata => respond::<MetadataRequest>(request, &cluster(address, Vec::new())),
            ApiKey::FindCoordinator => coordinator_here(request, address),
            ApiKey::OffsetCommit => {
                let commit: OffsetCommitRequest = request.decode();
                let partition = &commit.topics[0].partitions[0];
                epochs_seen
                    .lock()
                    .unwrap()
                    .push(partition.committed_leader_epoch);
                let code = {
                    let mut seen = seen.lock().unwrap();
                    let code = if seen.len() < load_errors {
                        ErrorCode::CoordinatorLoadInProgress
                    } else {
                        ErrorCode::None
                    };
                    seen.push((
                        partition.committed_offset,
                        partition.committed_metadata.clone(),
                        code,
                    ));
                    code
                };
                let response = OffsetCommitResponse {
                    topics: vec![OffsetCommitResponseTopic {
                        name: commit.topics[0].name.clone(),
                        partitions: vec![OffsetCommitResponsePartition {
                            partition_index: partition.partition_index,
                            error_code: code.code(),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                respond::<OffsetCommitRequest>(request, &response)
            }
            _ => Reply::Unhandled,
        })
        .await;
        (broker, log, epochs)
    }

    fn metadata(broker: &FakeBroker) -> MetadataClient {
        let config = ClientConfig::builder()
            .bootstrap_servers([broker.address()])
            .retry_backoff(Duration::from_millis(20))
            .retry_backoff_max(Duration::from_millis(50))
            .build()
            .unwrap();
        MetadataClient::from_config(config).unwrap()
    }

    /// Crafted responses (scripted fake coordinator): the first commit is answered
    /// COORDINATOR_LOAD_IN_PROGRESS twice and so retried; the second, made while the first
    /// still retries, must reach the coordinator only after the first succeeded, so the
    /// offset the group ends with is the newer one. Without the queue (one task per commit)
    /// the second lands first and the retried first one overwrites it with 10.
    #[tokio::test]
    async fn commits_land_in_call_order_when_the_first_is_retried() {
        let (broker, log) = coordinator(2).await;
        let sensors = sensors();
        let committer =
            Committer::start(metadata(&broker), "g".into(), sensors.clone(), Vec::new());
        let first = committer.submit(offsets(10, "first"), None, Duration::from_secs(10));
        let second = committer.submit(offsets(20, "second"), None, Duration::from_secs(10));
        // Awaited in reverse: the order is the queue's, not the caller's.
        second.await.unwrap();
        first.await.unwrap();
        let log = log.lock().unwrap().clone();
        let failed = log
            .iter()
            .filter(|(_, _, code)| *code == ErrorCode::CoordinatorLoadInProgress)
            .count();
        assert_eq!(failed, 2, "the injected errors were hit: {log:?}");
        let landed: Vec<(i64, Option<String>)> = log
            .iter()
            .filter(|(_, _, code)| code.is_ok())
            .map(|(offset, metadata, _)| (*offset, metadata.clone()))
            .collect();
        assert_eq!(
            landed,
            [(10, Some("first".into())), (20, Some("second".into()))],
            "commits (with their metadata strings) land in call order"
        );
        assert!(
            log[..2].iter().all(|(offset, _, _)| *offset == 10),
            "nothing of the second commit was sent while the first retried: {log:?}"
        );
        // `commit-total` counts commits, not OffsetCommit attempts: two, though four were sent.
        assert_eq!(sensors.commits.get(), 2);
        assert_eq!(sensors.commit_latency.count(), 2);
    }

    /// A dropped future does not cancel its commit: the next one still lands after it.
    #[tokio::test]
    async fn a_dropped_commit_still_lands_before_the_next() {
        let (broker, log) = coordinator(1).await;
        let committer = Committer::start(metadata(&broker), "g".into(), sensors(), Vec::new());
        drop(committer.submit(offsets(5, ""), None, Duration::from_secs(10)));
        committer
            .submit(offsets(6, ""), None, Duration::from_secs(10))
            .await
            .unwrap();
        let landed: Vec<i64> = log
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, _, code)| code.is_ok())
            .map(|(offset, _, _)| *offset)
            .collect();
        assert_eq!(landed, [5, 6]);
    }

    /// The leader epoch of a commit reaches the wire (KIP-320); none is sent as -1.
    #[tokio::test]
    async fn the_leader_epoch_of_a_commit_is_sent() {
        let (broker, _, epochs) = coordinator_with_epochs(0).await;
        let committer = Committer::start(metadata(&broker), "g".into(), sensors(), Vec::new());
        let with_epoch =
            BTreeMap::from([(tp(), OffsetAndMetadata::new(7).with_leader_epoch(Some(4)))]);
        committer
            .submit(with_epoch, None, Duration::from_secs(10))
            .await
            .unwrap();
        committer
            .submit(offsets(8, ""), None, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(*epochs.lock().unwrap(), [4, -1]);
    }

    /// Crafted responses: every commit's outcome reaches the hooks before its caller hears
    /// of it — a success, and one whose time ran out in the queue (never sent).
    #[tokio::test]
    async fn hooks_hear_every_commit_outcome() {
        #[derive(Default)]
        struct Outcomes(std::sync::Mutex<Vec<(i64, bool)>>);
        impl ConsumerHook for Outcomes {
            fn on_commit(
                &self,
                offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
                result: std::result::Result<(), &Error>,
            ) {
                let offset = offsets.values().next().map_or(-1, |o| o.offset);
                self.0.lock().unwrap().push((offset, result.is_ok()));
            }
        }
        let (broker, _) = coordinator(0).await;
        let hook = Arc::new(Outcomes::default());
        let committer = Committer::start(
            metadata(&broker),
            "g".into(),
            sensors(),
            vec![hook.clone() as Arc<dyn ConsumerHook>],
        );
        committer
            .submit(offsets(3, ""), None, Duration::from_secs(10))
            .await
            .unwrap();
        let late = committer.submit(offsets(4, ""), None, Duration::ZERO).await;
        assert!(matches!(late, Err(Error::Timeout { .. })), "{late:?}");
        assert_eq!(*hook.0.lock().unwrap(), [(3, true), (4, false)]);
    }
}
