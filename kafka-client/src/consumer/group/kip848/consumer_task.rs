//! The background task of a `group.protocol=consumer` member (KIP-848): it owns the
//! [`ConsumerGroupMember`] state machine and does its I/O (ApiVersions check, FindCoordinator,
//! ConsumerGroupHeartbeat, metadata refreshes for topic ids), speaking to the consumer through
//! the same [`GroupCommand`] / [`GroupEvent`] channels and commit-generation `watch` as the
//! classic task (the group's `handle` module), so that the `Consumer` is the same for both
//! protocols. [`GroupHandle::start_consumer_protocol`] starts it.
//!
//! Before anything else it checks that the broker advertises ConsumerGroupHeartbeat in its
//! ApiVersions; if not, it reports [`GroupEvent::Failed`] with an [`Error::Config`] on
//! `group.protocol` saying the broker lacks KIP-848, which the next `poll` returns.
//!
//! Tested end to end in integration-tests `consumer_group_api` (members joining, splitting
//! and committing; and the refusal by a broker without KIP-848).

use std::sync::Arc;
use std::time::Duration;

use kafkito_protocol::messages::{
    ApiKey, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse,
};
use kafkito_protocol::ErrorCode;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::consumer_protocol::{ConsumerDecision, ConsumerGroupMember, ConsumerProtocolConfig};
use crate::cluster::MetadataClient;
use crate::consumer::group::handle::{
    sleep_until_some, CommitRejected, CommitState, GroupCommand, GroupEvent, GroupHandle,
};
use crate::consumer::group::link::CoordinatorLink;
use crate::consumer::offsets;
use crate::error::{Error, Result};
use crate::metrics::ConsumerSensors;

/// Answers of requests the task sent from spawned sub-tasks.
enum Reply {
    Coordinator(Result<i32>),
    Heartbeat(Result<ConsumerGroupHeartbeatResponse>),
    MetadataRefreshed,
}

pub(in crate::consumer::group) struct ConsumerProtocolTask {
    pub(in crate::consumer::group) config: ConsumerProtocolConfig,
    pub(in crate::consumer::group) metadata: MetadataClient,
    /// The task's own connection to the coordinator (see the `link` module).
    pub(in crate::consumer::group) link: CoordinatorLink,
    pub(in crate::consumer::group) request_timeout: Duration,
    pub(in crate::consumer::group) max_poll_interval: Duration,
    pub(in crate::consumer::group) commands: mpsc::UnboundedReceiver<GroupCommand>,
    pub(in crate::consumer::group) events: mpsc::UnboundedSender<GroupEvent>,
    pub(in crate::consumer::group) generation: watch::Sender<CommitState>,
    /// A subscription that came before the ApiVersions check finished.
    pub(in crate::consumer::group) pending: Option<Vec<String>>,
    /// The consumer's metrics: heartbeats and assignments received.
    pub(in crate::consumer::group) sensors: Arc<ConsumerSensors>,
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

/// Whether the cluster speaks ConsumerGroupHeartbeat: `Ok(Some(version))`, `Ok(None)` when a
/// broker answered ApiVersions without it, `Err` when no broker could be asked.
async fn kip848_version(metadata: &MetadataClient) -> Result<Option<i16>> {
    let (_, connection) = metadata.any_connection().await?;
    match connection.version_for(ApiKey::ConsumerGroupHeartbeat) {
        Ok(version) => Ok(Some(version)),
        Err(Error::UnsupportedVersion { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// A member id for ConsumerGroupHeartbeat v1+ (KIP-1082: the client makes it up).
fn new_member_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No OS randomness: time-based is unique enough for one process's members.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes = nanos.to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ConsumerProtocolTask {
    pub(in crate::consumer::group) async fn run(mut self) {
        // The engine is used only if the broker has it.
        let version = loop {
            tokio::select! {
                command = self.commands.recv() => match command {
                    None | Some(GroupCommand::Leave(_)) => {
                        if let Some(GroupCommand::Leave(done)) = command {
                            let _ = done.send(());
                        }
                        return;
                    }
                    // Kept for after the check: the subscription is re-sent below.
                    Some(GroupCommand::Subscribe(topics)) => self.pending_subscribe(topics),
                    Some(GroupCommand::SubscribePattern(_)) => {
                        self.fail(Error::config(
                            "group.protocol",
                            "pattern subscriptions need group.protocol=classic for now",
                        ));
                        return;
                    }
                    Some(GroupCommand::Polled) => {}
                },
                checked = kip848_version(&self.metadata) => match checked {
                    Ok(Some(version)) => break version,
                    Ok(None) => {
                        self.fail(Error::config(
                            "group.protocol",
                            "group.protocol=consumer needs a broker with KIP-848 \
                             (ConsumerGroupHeartbeat, Kafka 4.0+); this broker does not \
                             advertise it in ApiVersions: use group.protocol=classic",
                        ));
                        return;
                    }
                    Err(error) => {
                        debug!(%error, "cannot ask a broker for ApiVersions yet; retrying");
                        tokio::time::sleep(self.config.retry_backoff.max(Duration::from_millis(100)))
                            .await;
                    }
                },
            }
        };
        info!(group = %self.config.group_id, version, "using the KIP-848 consumer group protocol");
        if version >= 1 && self.config.member_id.is_empty() {
            self.config.member_id = new_member_id();
        }
        let pending = self.pending.take();
        let mut driver = Driver {
            member: ConsumerGroupMember::new(self.config.clone()),
            task: self,
            coordinator: None,
            replies: mpsc::unbounded_channel(),
        };
        if let Some(topics) = pending {
            let decisions = driver.subscribe(topics);
            driver.execute(decisions, false).await;
        }
        driver.run().await;
    }

    fn pending_subscribe(&mut self, topics: Vec<String>) {
        self.pending = Some(topics);
    }

    fn fail(&self, error: Error) {
        warn!(group = %self.config.group_id, %error, "the group member cannot start");
        let _ = self.events.send(GroupEvent::Failed(error));
        let _ = self
            .generation
            .send(Err(CommitRejected::Fatal(ErrorCode::UnsupportedVersion)));
    }
}

/// The running member, once the broker was found to speak KIP-848.
struct Driver {
    member: ConsumerGroupMember,
    task: ConsumerProtocolTask,
    coordinator: Option<i32>,
    replies: (mpsc::UnboundedSender<Reply>, mpsc::UnboundedReceiver<Reply>),
}

impl Driver {
    async fn run(mut self) {
        loop {
            let deadline = self.member.next_deadline().map(Instant::from_std);
            let decisions = tokio::select! {
                command = self.task.commands.recv() => match command {
                    None | Some(GroupCommand::Leave(_)) => {
                        let decisions = self.member.leave(now());
                        self.execute(decisions, true).await;
                        if let Some(GroupCommand::Leave(done)) = command {
                            let _ = done.send(());
                        }
                        return;
                    }
                    Some(GroupCommand::Subscribe(topics)) => self.subscribe(topics),
                    Some(GroupCommand::SubscribePattern(_)) => {
                        self.task.fail(Error::config(
                            "group.protocol",
                            "pattern subscriptions need group.protocol=classic for now",
                        ));
                        Vec::new()
                    }
                    Some(GroupCommand::Polled) => self.member.application_polled(now()),
                },
                Some(reply) = self.replies.1.recv() => self.on_reply(reply),
                _ = sleep_until_some(deadline) => self.member.tick(now()),
            };
            self.execute(decisions, false).await;
        }
    }

    fn subscribe(&mut self, topics: Vec<String>) -> Vec<ConsumerDecision> {
        // Topic ids in assignments are resolved from the metadata: ask about these topics.
        let metadata = self.task.metadata.clone();
        let names = topics.clone();
        tokio::spawn(async move {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            if let Err(error) = metadata.refresh_topics(&names).await {
                debug!(%error, "metadata refresh for the subscription failed");
            }
        });
        self.member.subscribe(now(), topics)
    }

    fn on_reply(&mut self, reply: Reply) -> Vec<ConsumerDecision> {
        let at = now();
        match reply {
            Reply::Coordinator(Ok(id)) => {
                self.coordinator = Some(id);
                self.member.coordinator_found(at)
            }
            Reply::Coordinator(Err(error)) => {
                debug!(%error, "FindCoordinator failed; retrying");
                self.find_coordinator(self.task.config.retry_backoff);
                Vec::new()
            }
            Reply::Heartbeat(Ok(response)) => {
                let sensors = &self.task.sensors;
                sensors.heartbeats.add(1);
                // Under KIP-848 a rebalance ends for this member when a heartbeat brings its
                // new assignment (the broker reconciles; there is no JoinGroup to time).
                if response.error_code == 0 && response.assignment.is_some() {
                    sensors.rebalances.add(1);
                }
                let cluster = self.task.metadata.cluster();
                let resolve = |id| cluster.topic_by_id(id).map(|t| t.name.clone());
                self.member.on_heartbeat_response(at, &response, &resolve)
            }
            Reply::Heartbeat(Err(error)) => {
                warn!(%error, "ConsumerGroupHeartbeat failed; finding the coordinator again");
                self.coordinator = None;
                self.member.coordinator_lost(at)
            }
            Reply::MetadataRefreshed => {
                let cluster = self.task.metadata.cluster();
                let resolve = |id| cluster.topic_by_id(id).map(|t| t.name.clone());
                self.member.metadata_updated(at, &resolve)
            }
        }
    }

    /// Carries out `decisions` in order (as the classic task does).
    async fn execute(&mut self, decisions: Vec<ConsumerDecision>, closing: bool) {
        let before = self.task.generation.borrow().clone().ok();
        for decision in decisions {
            match decision {
                ConsumerDecision::FindCoordinator => self.find_coordinator(Duration::ZERO),
                ConsumerDecision::SendHeartbeat(request) => {
                    let sent = self.heartbeat(request);
                    if closing {
                        let _ = tokio::time::timeout(self.task.request_timeout, sent).await;
                    } else {
                        tokio::spawn(sent);
                    }
                }
                ConsumerDecision::RefreshMetadata(ids) => {
                    debug!(
                        ?ids,
                        "assignment names unknown topic ids; refreshing metadata"
                    );
                    let waiter = self.task.metadata.request_refresh();
                    let replies = self.replies.0.clone();
                    tokio::spawn(async move {
                        let _ = waiter.wait().await;
                        let _ = replies.send(Reply::MetadataRefreshed);
                    });
                }
                ConsumerDecision::RevokePartitions(partitions) => {
                    info!(?partitions, "revoking partitions");
                    let generation = before
                        .clone()
                        .or_else(|| self.member.commit_generation().ok());
                    let (done, applied) = if closing {
                        (None, None)
                    } else {
                        let (tx, rx) = tokio::sync::oneshot::channel();
                        (Some(tx), Some(rx))
                    };
                    let event = GroupEvent::Revoked {
                        partitions,
                        generation,
                        done,
                    };
                    if self.task.events.send(event).is_ok() {
                        if let Some(applied) = applied {
                            // The acknowledgement (the next heartbeat) waits for the revoke.
                            let _ =
                                tokio::time::timeout(self.task.max_poll_interval, applied).await;
                        }
                    }
                }
                ConsumerDecision::AssignPartitions(partitions) => {
                    info!(
                        epoch = self.member.member_epoch(),
                        ?partitions,
                        "assigned partitions"
                    );
                    let _ = self.task.events.send(GroupEvent::Assigned(partitions));
                }
                ConsumerDecision::LosePartitions(partitions) => {
                    warn!(?partitions, "lost partitions");
                    let _ = self.task.events.send(GroupEvent::Lost(partitions));
                }
                ConsumerDecision::Fatal(code) => {
                    warn!(%code, "fatal group error");
                    let _ = self
                        .task
                        .events
                        .send(GroupEvent::Fatal(ApiKey::ConsumerGroupHeartbeat, code));
                }
            }
        }
        let state = self.member.commit_generation();
        self.task.generation.send_if_modified(|current| {
            let changed = *current != state;
            *current = state;
            changed
        });
    }

    fn find_coordinator(&self, after: Duration) {
        let metadata = self.task.metadata.clone();
        let group = self.task.config.group_id.clone();
        let replies = self.replies.0.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let result = offsets::find_coordinator(&metadata, &group).await;
            let _ = replies.send(Reply::Coordinator(result));
        });
    }

    fn heartbeat(
        &self,
        request: ConsumerGroupHeartbeatRequest,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let link = self.task.link.clone();
        let coordinator = self.coordinator;
        let replies = self.replies.0.clone();
        async move {
            let result = async { link.connection(coordinator).await?.send(&request).await }.await;
            let _ = replies.send(Reply::Heartbeat(result));
        }
    }
}

impl GroupHandle {
    /// Starts the KIP-848 task (`group.protocol=consumer`, see
    /// the private `consumer_task` module): it first checks that the broker speaks
    /// ConsumerGroupHeartbeat, and reports [`GroupEvent::Failed`] if not.
    pub fn start_consumer_protocol(
        metadata: MetadataClient,
        config: ConsumerProtocolConfig,
        request_timeout: Duration,
    ) -> GroupHandle {
        let sensors = Arc::new(ConsumerSensors::new(metadata.pool().config()));
        GroupHandle::start_consumer_protocol_measured(metadata, config, request_timeout, sensors)
    }

    /// [`start_consumer_protocol`](Self::start_consumer_protocol), counting heartbeats and
    /// assignments in `sensors` (the consumer's).
    pub(crate) fn start_consumer_protocol_measured(
        metadata: MetadataClient,
        config: ConsumerProtocolConfig,
        request_timeout: Duration,
        sensors: Arc<ConsumerSensors>,
    ) -> GroupHandle {
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (generation_tx, generation) = watch::channel(Err(CommitRejected::CommitFailed));
        let task = ConsumerProtocolTask {
            max_poll_interval: config.rebalance_timeout,
            config,
            link: CoordinatorLink::new(metadata.clone()),
            metadata,
            request_timeout,
            commands: commands_rx,
            events: events_tx,
            generation: generation_tx,
            pending: None,
            sensors,
        };
        let task = tokio::spawn(task.run());
        GroupHandle {
            commands,
            events,
            generation,
            task,
        }
    }
}
