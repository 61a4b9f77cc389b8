//! The group coordinator request manager: one background task per subscribed consumer that owns
//! the [`Membership`] state machine and does its I/O (FindCoordinator, JoinGroup, SyncGroup,
//! Heartbeat, LeaveGroup at the coordinator's connection from the pool).
//!
//! It is separate from the consumer so that heartbeats go on however slowly the application
//! polls (Java's heartbeat thread, in the shape of the new consumer's background request
//! managers). The consumer talks to it through channels only:
//!
//! - [`GroupCommand`]s in: subscribe, "the application polled", leave;
//! - [`GroupEvent`]s out: revoke / assign / lose partitions, fatal errors, which the consumer
//!   applies to its `SubscriptionState` in `poll`;
//! - a `watch` of what an offset commit must carry ([`CommitGeneration`]) or why none may be
//!   sent.
//!
//! A revocation is handed to the consumer *before* the JoinGroup that follows it is sent, and
//! the task waits (up to `max.poll.interval.ms`) for the consumer to have applied it, so that the
//! consumer may commit the revoked partitions' offsets while the generation is still valid —
//! as Java's `onJoinPrepare` does inside `poll`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::{
    ApiKey, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse,
    LeaveGroupRequest, Request, SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::ErrorCode;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::membership::{CommitGeneration, CommitRejected, Decision, GroupConfig, Membership};
use super::protocol::{Subscription, TopicPartition};
use super::{CooperativeStickyAssignor, PartitionAssignor, RangeAssignor, RoundRobinAssignor};
use crate::cluster::MetadataClient;
use crate::consumer::offsets;
use crate::error::{Error, Result};

/// What an offset commit may carry now (see [`Membership::commit_generation`]).
pub type CommitState = std::result::Result<CommitGeneration, CommitRejected>;

/// The application's requests to the group task.
#[derive(Debug)]
pub enum GroupCommand {
    /// Subscribe to these topics (replacing the previous subscription).
    Subscribe(Vec<String>),
    /// The application polled (restarts `max.poll.interval.ms`).
    Polled,
    /// Leave the group and stop; answered once the LeaveGroup was sent (or failed).
    Leave(oneshot::Sender<()>),
}

/// Assignment changes for the consumer to apply, in order.
#[derive(Debug)]
pub enum GroupEvent {
    /// Give these up in good order. `generation` is what a commit of their offsets must carry
    /// (the generation they were owned in); `done` is answered once they are given up, and the
    /// task holds the next JoinGroup until then.
    Revoked {
        /// The partitions.
        partitions: Vec<TopicPartition>,
        /// The generation they were owned in, when there was one.
        generation: Option<CommitGeneration>,
        /// Answered when applied; `None` when the task does not wait (closing).
        done: Option<oneshot::Sender<()>>,
    },
    /// These are now the member's too.
    Assigned(Vec<TopicPartition>),
    /// These were lost: their offsets must not be committed.
    Lost(Vec<TopicPartition>),
    /// The member cannot go on.
    Fatal(ErrorCode),
}

/// The consumer's end of the group task.
#[derive(Debug)]
pub struct GroupHandle {
    commands: mpsc::UnboundedSender<GroupCommand>,
    /// Assignment changes, in order.
    pub events: mpsc::UnboundedReceiver<GroupEvent>,
    /// What a commit must carry now.
    pub generation: watch::Receiver<CommitState>,
    task: JoinHandle<()>,
}

impl GroupHandle {
    /// Starts the task for `config` with the assignors named in
    /// `partition.assignment.strategy`.
    pub fn start(
        metadata: MetadataClient,
        config: GroupConfig,
        strategies: &[String],
        request_timeout: Duration,
    ) -> Result<GroupHandle> {
        let assignors = assignors(strategies)?;
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (generation_tx, generation) = watch::channel(Err(CommitRejected::CommitFailed));
        let (replies_tx, replies) = mpsc::unbounded_channel();
        let task = GroupTask {
            max_poll_interval: config.max_poll_interval,
            retry_backoff: config.retry_backoff,
            group_id: config.group_id.clone(),
            membership: Membership::new(config, assignors),
            metadata,
            request_timeout,
            coordinator: None,
            commands: commands_rx,
            events: events_tx,
            generation: generation_tx,
            replies_tx,
            replies,
        };
        let task = tokio::spawn(task.run());
        Ok(GroupHandle {
            commands,
            events,
            generation,
            task,
        })
    }

    /// Sends `command` (lost if the task has stopped).
    pub fn send(&self, command: GroupCommand) {
        let _ = self.commands.send(command);
    }

    /// Leaves the group, waiting at most `timeout` for the LeaveGroup to go out.
    pub async fn leave(self, timeout: Duration) {
        let (tx, rx) = oneshot::channel();
        self.send(GroupCommand::Leave(tx));
        let _ = tokio::time::timeout(timeout, rx).await;
        self.task.abort();
    }
}

impl Drop for GroupHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The assignors named by `partition.assignment.strategy` (short names or Java class names).
pub fn assignors(strategies: &[String]) -> Result<Vec<Arc<dyn PartitionAssignor>>> {
    let mut out: Vec<Arc<dyn PartitionAssignor>> = Vec::new();
    for name in strategies {
        let short = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
        let assignor: Arc<dyn PartitionAssignor> = match short.as_str() {
            "range" | "rangeassignor" => Arc::new(RangeAssignor),
            "roundrobin" | "roundrobinassignor" => Arc::new(RoundRobinAssignor),
            "cooperative-sticky" | "cooperativestickyassignor" => {
                Arc::new(CooperativeStickyAssignor)
            }
            _ => {
                return Err(Error::config(
                    "partition.assignment.strategy",
                    format!("unknown assignor {name}"),
                ))
            }
        };
        out.push(assignor);
    }
    if out.is_empty() {
        return Err(Error::config(
            "partition.assignment.strategy",
            "at least one assignor is needed",
        ));
    }
    Ok(out)
}

/// Answers of requests the task sent from spawned sub-tasks.
enum Reply {
    Coordinator(Result<i32>),
    Join(Result<(JoinGroupResponse, BTreeMap<String, i32>)>),
    Sync(Result<SyncGroupResponse>),
    Heartbeat(Result<HeartbeatResponse>),
}

struct GroupTask {
    membership: Membership,
    metadata: MetadataClient,
    group_id: String,
    max_poll_interval: Duration,
    retry_backoff: Duration,
    request_timeout: Duration,
    coordinator: Option<i32>,
    commands: mpsc::UnboundedReceiver<GroupCommand>,
    events: mpsc::UnboundedSender<GroupEvent>,
    generation: watch::Sender<CommitState>,
    replies_tx: mpsc::UnboundedSender<Reply>,
    replies: mpsc::UnboundedReceiver<Reply>,
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

impl GroupTask {
    async fn run(mut self) {
        loop {
            let deadline = self
                .membership
                .next_deadline()
                .map(Instant::from_std)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            let decisions = tokio::select! {
                command = self.commands.recv() => match command {
                    None | Some(GroupCommand::Leave(_)) => {
                        let decisions = self.membership.leave(now(), "the consumer is closing");
                        self.execute(decisions, true).await;
                        if let Some(GroupCommand::Leave(done)) = command {
                            let _ = done.send(());
                        }
                        return;
                    }
                    Some(GroupCommand::Subscribe(topics)) => self.membership.subscribe(now(), topics),
                    Some(GroupCommand::Polled) => self.membership.application_polled(now()),
                },
                Some(reply) = self.replies.recv() => self.on_reply(reply),
                _ = tokio::time::sleep_until(deadline) => self.membership.tick(now()),
            };
            self.execute(decisions, false).await;
        }
    }

    fn on_reply(&mut self, reply: Reply) -> Vec<Decision> {
        let at = now();
        match reply {
            Reply::Coordinator(Ok(id)) => {
                debug!(group = %self.group_id, coordinator = id, "found the group coordinator");
                self.coordinator = Some(id);
                self.membership.coordinator_found(at)
            }
            Reply::Coordinator(Err(error)) => {
                // Membership still waits for a coordinator: look again after a backoff.
                debug!(group = %self.group_id, %error, "FindCoordinator failed; retrying");
                self.find_coordinator(self.retry_backoff);
                Vec::new()
            }
            Reply::Join(Ok((response, partitions))) => {
                self.membership.on_join_response(at, &response, &partitions)
            }
            Reply::Sync(Ok(response)) => self.membership.on_sync_response(at, &response),
            Reply::Heartbeat(Ok(response)) => self.membership.on_heartbeat_response(at, &response),
            Reply::Join(Err(error)) | Reply::Sync(Err(error)) | Reply::Heartbeat(Err(error)) => {
                // The request did not get an answer: the coordinator (or our connection to it)
                // is gone; membership takes what was in flight as failed and finds it again.
                warn!(group = %self.group_id, %error, "group request failed; finding the coordinator again");
                self.coordinator = None;
                self.membership.coordinator_lost(at)
            }
        }
    }

    /// Carries out `decisions` in order. When `closing`, the LeaveGroup is awaited and
    /// revocations are not waited for (the consumer is the one waiting for us).
    async fn execute(&mut self, decisions: Vec<Decision>, closing: bool) {
        let before = self.generation.borrow().clone().ok();
        for decision in decisions {
            match decision {
                Decision::FindCoordinator => self.find_coordinator(Duration::ZERO),
                Decision::SendJoinGroup(request) => self.send_join(request),
                Decision::SendSyncGroup(request) => self.send_sync(request),
                Decision::SendHeartbeat(request) => self.send_heartbeat(request),
                Decision::SendLeaveGroup(request) => {
                    let sent = self.send_leave(request);
                    if closing {
                        let _ = tokio::time::timeout(self.request_timeout, sent).await;
                    } else {
                        tokio::spawn(sent);
                    }
                }
                Decision::RevokePartitions(partitions) => {
                    info!(group = %self.group_id, ?partitions, "revoking partitions");
                    let (done, applied) = if closing {
                        (None, None)
                    } else {
                        let (tx, rx) = oneshot::channel();
                        (Some(tx), Some(rx))
                    };
                    let event = GroupEvent::Revoked {
                        partitions,
                        generation: before.clone(),
                        done,
                    };
                    if self.events.send(event).is_ok() {
                        if let Some(applied) = applied {
                            // Java revokes inside poll before rejoining; waiting here keeps the
                            // generation valid for the consumer's commit of the revoked offsets.
                            let _ = tokio::time::timeout(self.max_poll_interval, applied).await;
                        }
                    }
                }
                Decision::AssignPartitions(partitions) => {
                    info!(group = %self.group_id, generation = self.membership.generation_id(), ?partitions, "assigned partitions");
                    let _ = self.events.send(GroupEvent::Assigned(partitions));
                }
                Decision::LosePartitions(partitions) => {
                    warn!(group = %self.group_id, ?partitions, "lost partitions");
                    let _ = self.events.send(GroupEvent::Lost(partitions));
                }
                Decision::Fatal(code) => {
                    warn!(group = %self.group_id, %code, "fatal group error");
                    let _ = self.events.send(GroupEvent::Fatal(code));
                }
            }
        }
        let state = self.membership.commit_generation();
        self.generation.send_if_modified(|current| {
            let changed = *current != state;
            *current = state;
            changed
        });
    }

    fn find_coordinator(&self, after: Duration) {
        let metadata = self.metadata.clone();
        let group = self.group_id.clone();
        let replies = self.replies_tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let result = offsets::find_coordinator(&metadata, &group).await;
            let _ = replies.send(Reply::Coordinator(result));
        });
    }

    fn send_join(&self, request: JoinGroupRequest) {
        let metadata = self.metadata.clone();
        let coordinator = self.coordinator;
        let replies = self.replies_tx.clone();
        // The coordinator holds a JoinGroup until every member rejoined or the rebalance
        // timeout ran out: wait that long, and a little more for the answer to travel.
        let timeout = Duration::from_millis(request.rebalance_timeout_ms.max(0) as u64)
            + self.request_timeout;
        tokio::spawn(async move {
            let started = Instant::now();
            let result = async {
                let connection = connect(&metadata, coordinator).await?;
                let version = connection.version_for(ApiKey::JoinGroup)?;
                let response = connection
                    .call_with_timeout(&request, version, timeout)
                    .await?;
                debug!(elapsed = ?started.elapsed(), code = response.error_code, "JoinGroup answered");
                let partitions = if response.error_code == 0 && response.leader == response.member_id
                {
                    leader_partitions(&metadata, &response).await?
                } else {
                    BTreeMap::new()
                };
                Ok((response, partitions))
            }
            .await;
            let _ = replies.send(Reply::Join(result));
        });
    }

    fn send_sync(&self, request: SyncGroupRequest) {
        self.spawn_call(request, Reply::Sync);
    }

    fn send_heartbeat(&self, request: HeartbeatRequest) {
        self.spawn_call(request, Reply::Heartbeat);
    }

    /// Sends `request` to the coordinator at the negotiated version in a task of its own, and
    /// hands the outcome back to the group task's loop as `reply(outcome)`.
    fn spawn_call<R>(&self, request: R, reply: fn(Result<R::Response>) -> Reply)
    where
        R: Request + Send + Sync + 'static,
        R::Response: Send,
    {
        let metadata = self.metadata.clone();
        let coordinator = self.coordinator;
        let replies = self.replies_tx.clone();
        tokio::spawn(async move {
            let result =
                async { connect(&metadata, coordinator).await?.send(&request).await }.await;
            let _ = replies.send(reply(result));
        });
    }

    fn send_leave(
        &self,
        request: LeaveGroupRequest,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let metadata = self.metadata.clone();
        let coordinator = self.coordinator;
        let group = self.group_id.clone();
        async move {
            let result = async {
                let response = connect(&metadata, coordinator)
                    .await?
                    .send(&request)
                    .await?;
                Error::check("LeaveGroup", response.error_code, None)
            }
            .await;
            match result {
                Ok(()) => info!(group, "left the group"),
                Err(error) => warn!(group, %error, "LeaveGroup failed"),
            }
        }
    }
}

async fn connect(
    metadata: &MetadataClient,
    coordinator: Option<i32>,
) -> Result<crate::net::Connection> {
    let id = coordinator.ok_or_else(|| Error::Protocol {
        api: "FindCoordinator",
        code: ErrorCode::CoordinatorNotAvailable,
        message: Some("the group coordinator is not known".into()),
    })?;
    metadata.pool().connection(id).await
}

/// The partition counts of every topic some member subscribes to, for the leader's assignor.
async fn leader_partitions(
    metadata: &MetadataClient,
    response: &JoinGroupResponse,
) -> Result<BTreeMap<String, i32>> {
    let mut topics = BTreeSet::new();
    for member in &response.members {
        match Subscription::decode(&member.metadata) {
            Ok(subscription) => topics.extend(subscription.topics),
            Err(error) => {
                warn!(member = %member.member_id, %error, "undecodable member subscription")
            }
        }
    }
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    let cluster = metadata.refresh_topics(&names).await?;
    Ok(topics
        .iter()
        .filter_map(|t| {
            let n = cluster.partitions_for(t)?.len();
            (n > 0).then(|| (t.clone(), n as i32))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignors_by_short_or_java_name() {
        let names = |strategies: &[&str]| -> Vec<&'static str> {
            let strategies: Vec<String> = strategies.iter().map(|s| s.to_string()).collect();
            assignors(&strategies)
                .unwrap()
                .iter()
                .map(|a| a.name())
                .collect()
        };
        assert_eq!(
            names(&["range", "cooperative-sticky"]),
            ["range", "cooperative-sticky"]
        );
        assert_eq!(
            names(&["org.apache.kafka.clients.consumer.RoundRobinAssignor"]),
            ["roundrobin"]
        );
        assert!(assignors(&["sticky-ish".to_owned()]).is_err());
        assert!(assignors(&[]).is_err());
    }
}
