//! The group coordinator request manager: one background task per subscribed consumer that owns
//! the [`Membership`] state machine and does its I/O (FindCoordinator, JoinGroup, SyncGroup,
//! Heartbeat, LeaveGroup on a connection to the coordinator of its own, not the pool's: see
//! the private `link` module for why).
//!
//! It is separate from the consumer so that heartbeats go on however slowly the application
//! polls (Java's heartbeat thread, in the shape of the new consumer's background request
//! managers). The consumer talks to it through channels only:
//!
//! - [`GroupCommand`]s in: subscribe (to topics or to a pattern), "the application polled",
//!   leave;
//! - [`GroupEvent`]s out: revoke / assign / lose partitions, fatal errors, which the consumer
//!   applies to its `SubscriptionState` in `poll`;
//! - a `watch` of what an offset commit must carry ([`CommitGeneration`]) or why none may be
//!   sent.
//!
//! A revocation is handed to the consumer *before* the JoinGroup that follows it is sent, and
//! the task waits (up to `max.poll.interval.ms`) for the consumer to have applied it, so that the
//! consumer may commit the revoked partitions' offsets while the generation is still valid —
//! as Java's `onJoinPrepare` does inside `poll`.
//!
//! A pattern subscription ([`GroupCommand::SubscribePattern`]) is resolved here: the task
//! lists the cluster's topics (a Metadata request for all topics) at once and then every
//! `metadata.max.age.ms`, and when the matching set changes it resubscribes the membership to
//! it, which rejoins the group — so a topic created later joins the subscription within one
//! `metadata.max.age.ms`.
//!
//! Partitions added to a subscribed topic later, and subscribed topics created after the group
//! formed, reach the assignment as in Java: the task hands every new metadata view (the
//! metadata client refreshes the member's topics every `metadata.max.age.ms`, and sooner
//! after errors) to [`Membership::on_metadata`], and the group leader rejoins when the
//! partition counts it assigned from changed (see the membership module docs). The member
//! registers its [watched topics](Membership::watched_topics) with the metadata client so that
//! those refreshes cover them, even a topic that does not exist yet. From `CreatePartitions` to
//! the new partition's assignment thus takes at most `metadata.max.age.ms` (until the
//! leader's next refresh) plus one rebalance.
//!
//! When the consumer is dropped without `close`, the command channel closes and the task
//! leaves the group on its own (a LeaveGroup for a dynamic member, bounded by
//! `request.timeout.ms`; nothing for a static one, KIP-345) and then ends.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use kafkito_protocol::messages::{
    ApiKey, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse,
    LeaveGroupRequest, MetadataRequest, Request, SyncGroupRequest, SyncGroupResponse,
};
use kafkito_protocol::ErrorCode;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::membership::{Decision, GroupConfig, Membership};
use crate::cluster::metadata::Cluster;
use crate::cluster::MetadataClient;
use crate::consumer::group::handle::{sleep_until_some, CommitGeneration, CommitRejected};
use crate::consumer::group::link::CoordinatorLink;
use crate::consumer::group::protocol::Subscription;
use crate::consumer::group::{
    CooperativeStickyAssignor, PartitionAssignor, RangeAssignor, RoundRobinAssignor,
};
use crate::consumer::offsets;
use crate::consumer::subscription::TopicPattern;
use crate::error::{Error, Result};
use crate::metrics::ConsumerSensors;

pub use crate::consumer::group::handle::{CommitState, GroupCommand, GroupEvent, GroupHandle};

impl GroupHandle {
    /// Starts the task for `config` with the assignors named in
    /// `partition.assignment.strategy`; a pattern subscription is re-evaluated every
    /// `metadata_max_age`.
    pub fn start(
        metadata: MetadataClient,
        config: GroupConfig,
        strategies: &[String],
        request_timeout: Duration,
        metadata_max_age: Duration,
    ) -> Result<GroupHandle> {
        let sensors = Arc::new(ConsumerSensors::new(metadata.pool().config()));
        GroupHandle::start_measured(
            metadata,
            config,
            strategies,
            request_timeout,
            metadata_max_age,
            sensors,
        )
    }

    /// [`start`](Self::start), counting rebalances and heartbeats in `sensors` (the
    /// consumer's).
    pub(crate) fn start_measured(
        metadata: MetadataClient,
        config: GroupConfig,
        strategies: &[String],
        request_timeout: Duration,
        metadata_max_age: Duration,
        sensors: Arc<ConsumerSensors>,
    ) -> Result<GroupHandle> {
        let assignors = assignors(strategies)?;
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (generation_tx, generation) = watch::channel(Err(CommitRejected::CommitFailed));
        let (replies_tx, replies) = mpsc::unbounded_channel();
        let task = GroupTask {
            max_poll_interval: config.max_poll_interval,
            heartbeat_interval: config.heartbeat_interval,
            group_instance_id: config.group_instance_id.clone(),
            retry_backoff: config.retry_backoff,
            group_id: config.group_id.clone(),
            membership: Membership::new(config, assignors),
            link: CoordinatorLink::new(metadata.clone()),
            updates: metadata.updates(),
            tracked: BTreeSet::new(),
            metadata,
            request_timeout,
            metadata_max_age,
            pattern: None,
            next_listing: None,
            listing_in_flight: false,
            coordinator: None,
            commands: commands_rx,
            events: events_tx,
            generation: generation_tx,
            replies_tx,
            replies,
            sensors,
            rebalance_started: None,
        };
        let task = tokio::spawn(task.run());
        Ok(GroupHandle {
            commands,
            events,
            generation,
            task,
        })
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
    /// The cluster's topics (name, internal), for a pattern subscription.
    Topics(Result<Vec<(String, bool)>>),
    /// The task cannot go on (the membership is failed with the code).
    Unsupported(Error, ErrorCode),
}

struct GroupTask {
    membership: Membership,
    metadata: MetadataClient,
    /// Marked changed by each new metadata view (see [`MetadataClient::updates`]).
    updates: watch::Receiver<u64>,
    /// The topics the task asked the metadata client to cover (its refreshes then do).
    tracked: BTreeSet<String>,
    /// The task's own connection to the coordinator.
    link: CoordinatorLink,
    group_id: String,
    max_poll_interval: Duration,
    /// `heartbeat.interval.ms`, for the heartbeats sent while a revocation is handled.
    heartbeat_interval: Duration,
    group_instance_id: Option<String>,
    retry_backoff: Duration,
    request_timeout: Duration,
    /// `metadata.max.age.ms`: how often a pattern subscription lists the topics.
    metadata_max_age: Duration,
    /// The pattern subscription, if any.
    pattern: Option<TopicPattern>,
    /// When the next topic listing for the pattern is due.
    next_listing: Option<Instant>,
    listing_in_flight: bool,
    coordinator: Option<i32>,
    commands: mpsc::UnboundedReceiver<GroupCommand>,
    events: mpsc::UnboundedSender<GroupEvent>,
    generation: watch::Sender<CommitState>,
    replies_tx: mpsc::UnboundedSender<Reply>,
    replies: mpsc::UnboundedReceiver<Reply>,
    /// The consumer's metrics: rebalances and heartbeats.
    sensors: Arc<ConsumerSensors>,
    /// When the first JoinGroup of the rebalance under way was sent.
    rebalance_started: Option<Instant>,
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
            let listing = self.next_listing.filter(|_| !self.listing_in_flight);
            let decisions = tokio::select! {
                command = self.commands.recv() => match command {
                    None | Some(GroupCommand::Leave(_)) => {
                        if command.is_none() {
                            info!(group = %self.group_id, "consumer dropped without close; leaving the group");
                        }
                        let decisions = self.membership.leave(now(), "the consumer is closing");
                        self.execute(decisions, true).await;
                        self.link.close();
                        if let Some(GroupCommand::Leave(done)) = command {
                            let _ = done.send(());
                        }
                        return;
                    }
                    Some(GroupCommand::Subscribe(topics)) => {
                        self.pattern = None;
                        self.next_listing = None;
                        self.membership.subscribe(now(), topics)
                    }
                    Some(GroupCommand::SubscribePattern(pattern)) => {
                        info!(group = %self.group_id, pattern = pattern.as_str(), "subscribing by pattern");
                        self.pattern = Some(pattern);
                        // List at once (a listing in flight is for the old pattern, but its
                        // answer is matched against the new one when it lands).
                        self.next_listing = Some(Instant::now());
                        Vec::new()
                    }
                    Some(GroupCommand::Polled) => self.membership.application_polled(now()),
                },
                Some(reply) = self.replies.recv() => self.on_reply(reply),
                _ = tokio::time::sleep_until(deadline) => self.membership.tick(now()),
                Ok(()) = self.updates.changed() => self.on_metadata(),
                _ = sleep_until_some(listing) => {
                    self.list_topics();
                    Vec::new()
                }
            };
            self.execute(decisions, false).await;
            self.track_watched_topics();
        }
    }

    /// A new metadata view: the membership compares its topics' partition counts with what
    /// it assigned from (a leader rejoins when they changed).
    fn on_metadata(&mut self) -> Vec<Decision> {
        let cluster = self.metadata.cluster();
        let count = |topic: &str| {
            let n = cluster.partitions_for(topic).map_or(0, <[_]>::len);
            i32::try_from(n).ok()
        };
        let assigned = self.membership.assignment_snapshot().cloned();
        let decisions = self.membership.on_metadata(now(), &count);
        if decisions
            .iter()
            .any(|d| matches!(d, Decision::SendJoinGroup(_)))
        {
            let current: BTreeMap<String, i32> = self
                .membership
                .watched_topics()
                .into_iter()
                .filter_map(|t| Some((t.clone(), count(&t).filter(|n| *n > 0)?)))
                .collect();
            info!(group = %self.group_id, ?assigned, ?current, "the group's topics changed partitions since the assignment; rejoining");
        }
        decisions
    }

    /// Makes the metadata client's refreshes cover every topic the membership watches (a
    /// topic not created yet included: the refresh asks for it by name until it exists).
    fn track_watched_topics(&mut self) {
        let added: Vec<String> = self
            .membership
            .watched_topics()
            .into_iter()
            .filter(|t| !self.tracked.contains(t))
            .collect();
        if added.is_empty() {
            return;
        }
        debug!(group = %self.group_id, topics = ?added, "watching the partitions of these topics");
        self.tracked.extend(added.iter().cloned());
        let metadata = self.metadata.clone();
        tokio::spawn(async move {
            let names: Vec<&str> = added.iter().map(String::as_str).collect();
            if let Err(error) = metadata.refresh_topics(&names).await {
                // The periodic refresh asks again: nothing is lost.
                debug!(%error, "metadata refresh for the watched topics failed");
            }
        });
    }

    /// A SyncGroup brought the member's assignment: Java's `rebalance-total` and
    /// `rebalance-latency`, from the rebalance's first JoinGroup.
    fn rebalance_completed(&mut self) {
        self.sensors.rebalances.add(1);
        if let Some(started) = self.rebalance_started.take() {
            self.sensors
                .rebalance_latency
                .record(started.elapsed().as_micros() as u64);
        }
    }

    /// A JoinGroup or SyncGroup failed: Java's `failed-rebalance-total`. The next JoinGroup
    /// starts the next rebalance's clock.
    fn rebalance_failed(&mut self) {
        self.sensors.failed_rebalances.add(1);
        self.rebalance_started = None;
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
                let code = ErrorCode::from_code(response.error_code);
                // MEMBER_ID_REQUIRED is the first step of every join (KIP-394), not a failure.
                if !code.is_ok() && code != ErrorCode::MemberIdRequired {
                    self.rebalance_failed();
                }
                self.membership.on_join_response(at, &response, &partitions)
            }
            Reply::Sync(Ok(response)) => {
                debug!(group = %self.group_id, code = response.error_code, "SyncGroup answered");
                if response.error_code == 0 {
                    self.rebalance_completed();
                } else {
                    self.rebalance_failed();
                }
                self.membership.on_sync_response(at, &response)
            }
            Reply::Heartbeat(Ok(response)) => {
                self.sensors.heartbeats.add(1);
                if response.error_code != 0 {
                    debug!(group = %self.group_id, code = response.error_code, "Heartbeat answered");
                }
                self.membership.on_heartbeat_response(at, &response)
            }
            Reply::Topics(result) => self.on_topics(at, result),
            Reply::Unsupported(error, code) => {
                warn!(group = %self.group_id, %error, "the group member cannot go on");
                let _ = self.events.send(GroupEvent::Failed(error));
                self.membership.fail_with(ApiKey::JoinGroup, code)
            }
            Reply::Join(Err(error)) | Reply::Sync(Err(error)) | Reply::Heartbeat(Err(error)) => {
                if self.rebalance_started.is_some() {
                    self.rebalance_failed();
                }
                // The request did not get an answer: the coordinator (or our connection to it)
                // is gone; membership takes what was in flight as failed and finds it again.
                warn!(group = %self.group_id, %error, "group request failed; finding the coordinator again");
                self.coordinator = None;
                self.membership.coordinator_lost(at)
            }
        }
    }

    /// Waits (up to `max.poll.interval.ms`) for the consumer to have handled a revocation,
    /// heartbeating meanwhile with the generation being given up, so that a slow
    /// `on_revoked` does not cost the member its session (Java's heartbeat thread goes on
    /// during `onJoinPrepare` likewise). The answers (REBALANCE_IN_PROGRESS, mostly) change
    /// nothing: the JoinGroup that follows settles the member's place.
    async fn await_revocation(
        &self,
        applied: oneshot::Receiver<()>,
        generation: Option<CommitGeneration>,
    ) {
        let deadline = Instant::now() + self.max_poll_interval;
        let applied = tokio::time::timeout_at(deadline, applied);
        tokio::pin!(applied);
        let interval = self.heartbeat_interval.max(Duration::from_millis(10));
        loop {
            tokio::select! {
                _ = &mut applied => return,
                _ = tokio::time::sleep(interval) => {}
            }
            let (Some(generation), Some(_)) = (&generation, self.coordinator) else {
                continue;
            };
            let request = HeartbeatRequest {
                group_id: self.group_id.clone(),
                generation_id: generation.generation_id,
                member_id: generation.member_id.clone(),
                group_instance_id: self.group_instance_id.clone(),
                ..Default::default()
            };
            let link = self.link.clone();
            let coordinator = self.coordinator;
            tokio::spawn(async move {
                let result =
                    async { link.connection(coordinator).await?.send(&request).await }.await;
                match result {
                    Ok(response) => debug!(code = response.error_code, "heartbeat while revoking"),
                    Err(error) => debug!(%error, "heartbeat while revoking failed"),
                }
            });
        }
    }

    /// The cluster's topics arrived: resubscribe when the pattern's matches changed.
    fn on_topics(
        &mut self,
        at: std::time::Instant,
        result: Result<Vec<(String, bool)>>,
    ) -> Vec<Decision> {
        self.listing_in_flight = false;
        let Some(pattern) = &self.pattern else {
            return Vec::new(); // subscribed by name since
        };
        let topics = match result {
            Ok(topics) => topics,
            Err(error) => {
                warn!(group = %self.group_id, %error, "listing topics for the pattern subscription failed; retrying");
                self.next_listing =
                    Some(Instant::now() + self.retry_backoff.max(Duration::from_millis(100)));
                return Vec::new();
            }
        };
        self.next_listing = Some(Instant::now() + self.metadata_max_age);
        let matched = pattern.select(
            topics
                .iter()
                .map(|(name, internal)| (name.as_str(), *internal)),
        );
        if &matched == self.membership.subscribed_topics() {
            return Vec::new();
        }
        info!(group = %self.group_id, pattern = pattern.as_str(), topics = ?matched, "pattern subscription changed");
        // An empty match leaves the group (Java would join with no topics; a member with no
        // topics can own nothing, so we stay out until a topic matches).
        self.membership.subscribe(at, matched)
    }

    /// Lists the cluster's topics in a sub-task (answer: [`Reply::Topics`]).
    fn list_topics(&mut self) {
        self.listing_in_flight = true;
        let metadata = self.metadata.clone();
        let replies = self.replies_tx.clone();
        let timeout = self.request_timeout;
        tokio::spawn(async move {
            let result = async {
                let (_, connection) = metadata.any_connection().await?;
                let version = connection.version_for(ApiKey::Metadata)?;
                let request = MetadataRequest {
                    topics: None, // all topics
                    allow_auto_topic_creation: false,
                    ..Default::default()
                };
                let response = connection
                    .call_with_timeout(&request, version, timeout)
                    .await?;
                let cluster = Cluster::from_response(&response, version)?;
                Ok(cluster
                    .topics
                    .into_values()
                    .filter(|t| t.error.is_none())
                    .map(|t| (t.name, t.is_internal))
                    .collect())
            }
            .await;
            let _ = replies.send(Reply::Topics(result));
        });
    }

    /// Carries out `decisions` in order. When `closing`, the LeaveGroup is awaited and
    /// revocations are not waited for (the consumer is the one waiting for us).
    async fn execute(&mut self, decisions: Vec<Decision>, closing: bool) {
        let before = self.generation.borrow().clone().ok();
        for decision in decisions {
            match decision {
                Decision::FindCoordinator => self.find_coordinator(Duration::ZERO),
                Decision::SendJoinGroup(request) => {
                    // Java logs every (re-)join with its reason at info, too.
                    info!(group = %self.group_id, reason = request.reason.as_deref().unwrap_or("none"), "(re-)joining the group");
                    self.rebalance_started.get_or_insert_with(Instant::now);
                    self.send_join(request)
                }
                Decision::SendSyncGroup(request) => {
                    debug!(group = %self.group_id, generation = request.generation_id, assignments = request.assignments.len(), "sending SyncGroup");
                    self.send_sync(request)
                }
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
                    // The generation they were owned in: the one commits carried before these
                    // decisions, or (a cooperative revocation after a SyncGroup, when commits
                    // were refused during the rebalance) the one the member is still in.
                    let generation = before
                        .clone()
                        .or_else(|| self.membership.current_generation());
                    let generation_for_heartbeats = generation.clone();
                    let event = GroupEvent::Revoked {
                        partitions,
                        generation,
                        done,
                    };
                    if self.events.send(event).is_ok() {
                        if let Some(applied) = applied {
                            // Java revokes inside poll before rejoining; waiting here keeps the
                            // generation valid for the consumer's commit of the revoked offsets.
                            self.await_revocation(applied, generation_for_heartbeats)
                                .await;
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
                Decision::Fatal(api, code) => {
                    warn!(group = %self.group_id, api = api.name(), %code, "fatal group error");
                    let _ = self.events.send(GroupEvent::Fatal(api, code));
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
        let link = self.link.clone();
        let coordinator = self.coordinator;
        let replies = self.replies_tx.clone();
        // The coordinator holds a JoinGroup until every member rejoined or the rebalance
        // timeout ran out: wait that long, and a little more for the answer to travel.
        let timeout = Duration::from_millis(request.rebalance_timeout_ms.max(0) as u64)
            + self.request_timeout;
        tokio::spawn(async move {
            let started = Instant::now();
            let result = async {
                let connection = link.connection(coordinator).await?;
                let version = connection.version_for(ApiKey::JoinGroup)?;
                if request.group_instance_id.is_some() && version < 5 {
                    // The field would be dropped by the encoder: the member would silently be
                    // dynamic. Java fails the same way (UnsupportedVersionException).
                    return Err(static_membership_unsupported(version));
                }
                let response = connection
                    .call_with_timeout(&request, version, timeout)
                    .await?;
                debug!(
                    elapsed = ?started.elapsed(),
                    code = response.error_code,
                    generation = response.generation_id,
                    member = %response.member_id,
                    leader = %response.leader,
                    members = response.members.len(),
                    "JoinGroup answered"
                );
                let partitions =
                    if response.error_code == 0 && response.leader == response.member_id {
                        leader_partitions(&metadata, &response).await?
                    } else {
                        BTreeMap::new()
                    };
                Ok((response, partitions))
            }
            .await;
            let reply = match result {
                Err(error @ Error::Config { .. }) => {
                    Reply::Unsupported(error, ErrorCode::UnsupportedVersion)
                }
                other => Reply::Join(other),
            };
            let _ = replies.send(reply);
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
        let link = self.link.clone();
        let coordinator = self.coordinator;
        let replies = self.replies_tx.clone();
        tokio::spawn(async move {
            let result = async { link.connection(coordinator).await?.send(&request).await }.await;
            let _ = replies.send(reply(result));
        });
    }

    fn send_leave(
        &self,
        request: LeaveGroupRequest,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let link = self.link.clone();
        let coordinator = self.coordinator;
        let group = self.group_id.clone();
        async move {
            let result = async {
                let response = link.connection(coordinator).await?.send(&request).await?;
                Error::check(ApiKey::LeaveGroup, response.error_code, None)?;
                // v3+ answers per member too: a refusal there is not in the top-level code.
                for member in &response.members {
                    Error::check(ApiKey::LeaveGroup, member.error_code, None)?;
                }
                Ok::<(), Error>(())
            }
            .await;
            match result {
                Ok(()) => info!(group, "left the group"),
                Err(error) => warn!(group, %error, "LeaveGroup failed"),
            }
        }
    }
}

fn static_membership_unsupported(version: i16) -> Error {
    Error::config(
        "group.instance.id",
        format!(
            "the group coordinator speaks JoinGroup up to v{version}; static membership \
             (KIP-345) needs v5 (Kafka 2.3+)"
        ),
    )
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
    // The cached view is enough when it knows every topic: a Metadata round trip here would
    // hold the SyncGroup (and so every member's assignment) for nothing. Only topics it does
    // not know yet are asked for.
    let mut cluster = metadata.cluster();
    let unknown: Vec<&str> = topics
        .iter()
        .filter(|t| cluster.partitions_for(t).is_none_or(|p| p.is_empty()))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        debug!(topics = ?unknown, "refreshing metadata for the leader's assignment");
        cluster = metadata.refresh_topics(&unknown).await?;
    }
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
    use crate::config::ClientConfig;

    /// A task that never runs: its pattern handling is driven by hand.
    fn task(pattern: &str) -> GroupTask {
        let client = ClientConfig::builder()
            .bootstrap_servers(["127.0.0.1:1"])
            .build()
            .unwrap();
        let config = GroupConfig {
            group_id: "g".into(),
            ..Default::default()
        };
        let (_, commands) = mpsc::unbounded_channel();
        let (events, _) = mpsc::unbounded_channel();
        let (generation, _) = watch::channel(Err(CommitRejected::CommitFailed));
        let (replies_tx, replies) = mpsc::unbounded_channel();
        let sensors = Arc::new(ConsumerSensors::new(&client));
        let metadata = MetadataClient::from_config(client).unwrap();
        GroupTask {
            max_poll_interval: config.max_poll_interval,
            heartbeat_interval: config.heartbeat_interval,
            group_instance_id: None,
            retry_backoff: config.retry_backoff,
            group_id: config.group_id.clone(),
            membership: Membership::new(config, assignors(&["range".to_owned()]).unwrap()),
            link: CoordinatorLink::new(metadata.clone()),
            updates: metadata.updates(),
            tracked: BTreeSet::new(),
            metadata,
            request_timeout: Duration::from_secs(1),
            metadata_max_age: Duration::from_secs(30),
            pattern: Some(TopicPattern::new(pattern).unwrap()),
            next_listing: None,
            listing_in_flight: true,
            coordinator: None,
            commands,
            events,
            generation,
            replies_tx,
            replies,
            sensors,
            rebalance_started: None,
        }
    }

    #[tokio::test]
    async fn a_revocation_is_awaited_until_handled_or_max_poll_interval() {
        // Real time, short: the metadata client's refresher does real (failing) I/O.
        let mut task = task(".*");
        task.max_poll_interval = Duration::from_millis(400);
        task.heartbeat_interval = Duration::from_millis(20);
        let (done, applied) = oneshot::channel();
        let started = Instant::now();
        let waited = tokio::spawn(async move {
            task.await_revocation(applied, None).await;
            task
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(
            !waited.is_finished(),
            "returned before the revocation was handled"
        );
        done.send(()).unwrap();
        let task = waited.await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(400));

        // Never handled: given up after max.poll.interval.ms.
        let (_done, applied) = oneshot::channel();
        let started = Instant::now();
        task.await_revocation(applied, None).await;
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_secs(2),
            "{took:?}"
        );
    }

    fn topics(names: &[&str]) -> Result<Vec<(String, bool)>> {
        Ok(names.iter().map(|n| ((*n).to_owned(), false)).collect())
    }

    #[tokio::test]
    async fn pattern_listings_resubscribe_only_when_the_matches_change() {
        let mut task = task("orders-.*");
        let at = now();
        // Nothing matches yet: the member stays out of the group.
        assert!(task.on_topics(at, topics(&["payments"])).is_empty());
        assert!(task.membership.subscribed_topics().is_empty());
        assert!(!task.listing_in_flight);
        let next = task.next_listing.expect("the next listing is scheduled");
        assert!(next > Instant::now() + Duration::from_secs(29));

        // A matching topic appears: subscribe (and so join).
        let decisions = task.on_topics(at, topics(&["payments", "orders-eu", "__orders-x"]));
        assert_eq!(decisions, vec![Decision::FindCoordinator]);
        let subscribed: Vec<&str> = task
            .membership
            .subscribed_topics()
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(subscribed, ["orders-eu"]);
        // The same listing again changes nothing.
        assert!(task
            .on_topics(at, topics(&["orders-eu", "payments"]))
            .is_empty());
        // A second matching topic changes the subscription.
        task.on_topics(at, topics(&["orders-eu", "orders-us"]));
        assert_eq!(task.membership.subscribed_topics().len(), 2);
        // A failed listing is retried soon, changing nothing.
        let failed = Err(Error::Closed);
        assert!(task.on_topics(at, failed).is_empty());
        assert!(task.next_listing.unwrap() < Instant::now() + Duration::from_secs(1));
        assert_eq!(task.membership.subscribed_topics().len(), 2);
    }

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

#[cfg(test)]
mod growth_tests;
