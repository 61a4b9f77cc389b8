//! The classic group-membership state machine of one consumer, as plain data.
//!
//! [`Membership`] owns the member's place in the group: member id, generation, the partitions it
//! owns, when the next heartbeat is due and whether the application still polls. It does no I/O:
//! the task around it feeds it responses, timer expiries and the application's calls, each with
//! `now`, and carries out the [`Decision`]s it returns, **in order** (a revocation listed before
//! a JoinGroup must run before that JoinGroup is sent). Coordinator lookup, offset commits and
//! fetching live elsewhere, like the Java client's request managers.
//!
//! ```text
//!   Unjoined ──subscribe──▶ PreparingRebalance ──(coordinator known)──▶ Joining
//!       ▲                        ▲    ▲                                   │ JoinGroup ok
//!       │ leave / poll timeout   │    └──── errors, REBALANCE_IN_PROGRESS │
//!       │                        │                                        ▼
//!       └──────────────────── Stable ◀──────── SyncGroup ok ─────── AwaitingSync
//! ```
//!
//! Error handling follows the Java client (`AbstractCoordinator`, `ConsumerCoordinator`):
//!
//! | error                                    | effect |
//! |------------------------------------------|--------|
//! | `MEMBER_ID_REQUIRED` (JoinGroup)         | rejoin at once with the id the broker gave (KIP-394) |
//! | `REBALANCE_IN_PROGRESS`                  | rejoin; partitions kept (cooperative) or revoked (eager) |
//! | `UNKNOWN_MEMBER_ID`, `ILLEGAL_GENERATION`| partitions **lost** (not revoked: a commit would fail), generation reset, rejoin |
//! | `COORDINATOR_NOT_AVAILABLE`, `NOT_COORDINATOR` | find the coordinator again, then carry on |
//! | `FENCED_INSTANCE_ID` and other fatal codes | [`MemberState::Fatal`]: nothing more is sent |
//! | other retriable codes                    | retry the JoinGroup after `retry.backoff.ms` |
//!
//! # Partitions added later, topics created later
//!
//! The classic protocol has no broker-side assignor: the group leader assigns from *its*
//! metadata, and nobody else looks again. So, as in Java's `ConsumerCoordinator`, the leader
//! keeps the [`MetadataSnapshot`] it assigned from (`assignmentSnapshot`: the partition count
//! of every topic any member subscribes to, a topic the metadata does not know being absent).
//! The task feeds every new metadata view to [`Membership::on_metadata`]; when the counts
//! differ from the snapshot (a topic gained partitions, was created after the group formed,
//! or was deleted) the leader rejoins, and the rebalance assigns from the new counts. Only the
//! leader does: a follower's own view changes nothing (Java clears the snapshot of a member
//! that did not assign, in `onJoinComplete`). A change seen during a rebalance is checked again
//! once the member is stable, so it is not lost. The metadata client refreshes every
//! `metadata.max.age.ms` (sooner after errors), so a new partition is assigned within that
//! plus one rebalance.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafkito_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafkito_protocol::messages::leave_group_request::MemberIdentity;
use kafkito_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::messages::{
    HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
    SyncGroupRequest, SyncGroupResponse,
};
use kafkito_protocol::ErrorCode;

use crate::consumer::group::assignor::{PartitionAssignor, RebalanceProtocol};
pub use crate::consumer::group::handle::{CommitGeneration, CommitRejected};
use crate::consumer::group::protocol::{Assignment, Subscription, TopicPartition};

/// The protocol type of every consumer group using the classic protocol.
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

/// The settings membership needs, named after Kafka's consumer configuration keys.
#[derive(Clone, Debug)]
pub struct GroupConfig {
    /// `group.id`.
    pub group_id: String,
    /// `group.instance.id`: set for a static member (KIP-345).
    pub group_instance_id: Option<String>,
    /// `session.timeout.ms`: how long the coordinator waits for a heartbeat before evicting us.
    pub session_timeout: Duration,
    /// `max.poll.interval.ms`: the most time between application polls, and the rebalance
    /// timeout sent in JoinGroup.
    pub max_poll_interval: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `retry.backoff.ms`: the wait before retrying a JoinGroup after a retriable error.
    pub retry_backoff: Duration,
    /// `client.rack`, sent in the subscription (v3).
    pub client_rack: Option<String>,
}

impl Default for GroupConfig {
    /// Kafka's defaults, with an empty group id.
    fn default() -> Self {
        GroupConfig {
            group_id: String::new(),
            group_instance_id: None,
            session_timeout: Duration::from_millis(45_000),
            max_poll_interval: Duration::from_millis(300_000),
            heartbeat_interval: Duration::from_millis(3_000),
            retry_backoff: Duration::from_millis(100),
            client_rack: None,
        }
    }
}

/// Where the member stands in the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberState {
    /// Not in the group: not subscribed, left, or the application stopped polling.
    Unjoined,
    /// A rebalance is needed; the JoinGroup waits for the coordinator or for a backoff.
    PreparingRebalance,
    /// A JoinGroup is in flight.
    Joining,
    /// Joined; a SyncGroup is in flight.
    AwaitingSync,
    /// Has a generation and an assignment; heartbeating.
    Stable,
    /// A fatal error (e.g. `FENCED_INSTANCE_ID`): the member must be closed.
    Fatal(ErrorCode),
}

/// What the task around [`Membership`] must do, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Look up the group coordinator, then call [`Membership::coordinator_found`].
    FindCoordinator,
    /// Send this JoinGroup to the coordinator; answer with [`Membership::on_join_response`].
    SendJoinGroup(JoinGroupRequest),
    /// Send this SyncGroup (with the leader's assignments, or empty from a follower); answer
    /// with [`Membership::on_sync_response`].
    SendSyncGroup(SyncGroupRequest),
    /// Send this Heartbeat; answer with [`Membership::on_heartbeat_response`].
    SendHeartbeat(HeartbeatRequest),
    /// Send this LeaveGroup; its answer changes nothing here.
    SendLeaveGroup(LeaveGroupRequest),
    /// The member gives these up in good order: commit their offsets if needed, stop fetching
    /// them, call the application's `on_partitions_revoked`.
    RevokePartitions(Vec<TopicPartition>),
    /// The member now consumes these (possibly none): call `on_partitions_assigned`.
    AssignPartitions(Vec<TopicPartition>),
    /// The member lost these: someone else may own them already, so their offsets must not be
    /// committed; call `on_partitions_lost`.
    LosePartitions(Vec<TopicPartition>),
    /// The member cannot continue: surface this error, from the answer to this API, to the
    /// application.
    Fatal(ApiKey, ErrorCode),
}

/// What the metadata says about the partitions of a group's topics: topic → partition count;
/// a topic the metadata does not know (not created yet, or deleted) is absent. Java's
/// `ConsumerCoordinator.MetadataSnapshot` without the racks (no assignor here is rack-aware).
pub type MetadataSnapshot = BTreeMap<String, i32>;

/// The membership of one consumer in a classic group. See the module docs.
///
/// ```
/// # use std::sync::Arc;
/// # use std::time::Instant;
/// # use kafkito::consumer::group::{Decision, GroupConfig, Membership, RangeAssignor};
/// let config = GroupConfig { group_id: "g".into(), ..Default::default() };
/// let mut member = Membership::new(config, vec![Arc::new(RangeAssignor)]);
/// let now = Instant::now();
/// assert_eq!(member.subscribe(now, ["orders".to_owned()]), vec![Decision::FindCoordinator]);
/// let decisions = member.coordinator_found(now);
/// assert!(matches!(decisions[0], Decision::SendJoinGroup(_)));
/// ```
pub struct Membership {
    config: GroupConfig,
    assignors: Vec<Arc<dyn PartitionAssignor>>,
    rebalance_protocol: RebalanceProtocol,
    topics: BTreeSet<String>,
    state: MemberState,
    member_id: String,
    generation_id: i32,
    protocol_name: Option<String>,
    owned: BTreeSet<TopicPartition>,
    coordinator_known: bool,
    finding_coordinator: bool,
    rejoin_reason: Option<String>,
    join_retry_at: Option<Instant>,
    heartbeat_due: Option<Instant>,
    heartbeat_in_flight: bool,
    last_heartbeat_ok: Option<Instant>,
    poll_deadline: Option<Instant>,
    poll_expired: bool,
    /// Leader only: every topic some member subscribed to when it last assigned (Java's
    /// group subscription, which the leader's metadata covers).
    group_topics: BTreeSet<String>,
    /// Leader only: the metadata its last assignment was computed from (Java's
    /// `assignmentSnapshot`); `None` for a member that did not assign.
    assignment_snapshot: Option<MetadataSnapshot>,
    /// The latest metadata seen for [`Membership::watched_topics`] (Java's
    /// `metadataSnapshot`).
    metadata_snapshot: MetadataSnapshot,
}

/// The JoinGroup reason (KIP-800) of a leader's rejoin for changed metadata, Java's words.
pub const METADATA_CHANGED: &str = "cached metadata has changed";

/// No generation: Java's `Generation.NO_GENERATION`.
const NO_GENERATION: i32 = -1;

/// Errors after which the member cannot go on (Java raises them to the application).
fn is_fatal(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::FencedInstanceId
            | ErrorCode::GroupAuthorizationFailed
            | ErrorCode::InconsistentGroupProtocol
            | ErrorCode::InvalidSessionTimeout
            | ErrorCode::GroupMaxSizeReached
            | ErrorCode::InvalidGroupId
            | ErrorCode::UnsupportedVersion
    )
}

impl Membership {
    /// A member that has not joined, offering `assignors` in order of preference (each becomes
    /// one JoinGroup protocol). The group rebalances cooperatively only if every assignor is
    /// cooperative, as in Java.
    ///
    /// # Panics
    /// If `assignors` is empty.
    pub fn new(config: GroupConfig, assignors: Vec<Arc<dyn PartitionAssignor>>) -> Self {
        assert!(
            !assignors.is_empty(),
            "a consumer group member needs an assignor"
        );
        let rebalance_protocol = if assignors
            .iter()
            .all(|a| a.protocol() == RebalanceProtocol::Cooperative)
        {
            RebalanceProtocol::Cooperative
        } else {
            RebalanceProtocol::Eager
        };
        Membership {
            config,
            assignors,
            rebalance_protocol,
            topics: BTreeSet::new(),
            state: MemberState::Unjoined,
            member_id: String::new(),
            generation_id: NO_GENERATION,
            protocol_name: None,
            owned: BTreeSet::new(),
            coordinator_known: false,
            finding_coordinator: false,
            rejoin_reason: None,
            join_retry_at: None,
            heartbeat_due: None,
            heartbeat_in_flight: false,
            last_heartbeat_ok: None,
            poll_deadline: None,
            poll_expired: false,
            group_topics: BTreeSet::new(),
            assignment_snapshot: None,
            metadata_snapshot: MetadataSnapshot::new(),
        }
    }

    /// The current state.
    pub fn state(&self) -> &MemberState {
        &self.state
    }

    /// The member id the coordinator gave us ("" before the first JoinGroup).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The current generation, -1 when none.
    pub fn generation_id(&self) -> i32 {
        self.generation_id
    }

    /// The partitions the member owns now.
    pub fn owned_partitions(&self) -> &BTreeSet<TopicPartition> {
        &self.owned
    }

    /// Whether the group rebalances eagerly or cooperatively.
    pub fn rebalance_protocol(&self) -> RebalanceProtocol {
        self.rebalance_protocol
    }

    /// What an offset commit must carry, or why none may be sent now.
    pub fn commit_generation(&self) -> Result<CommitGeneration, CommitRejected> {
        match &self.state {
            MemberState::Fatal(code) => Err(CommitRejected::Fatal(*code)),
            MemberState::Stable => Ok(CommitGeneration {
                generation_id: self.generation_id,
                member_id: self.member_id.clone(),
                group_instance_id: self.config.group_instance_id.clone(),
            }),
            _ if self.generation_id == NO_GENERATION => Err(CommitRejected::CommitFailed),
            _ => Err(CommitRejected::RebalanceInProgress),
        }
    }

    /// The generation the member is in (even mid-rebalance), for a commit of partitions it is
    /// giving up in good order; `None` without one. Unlike
    /// [`Membership::commit_generation`] this does not refuse during a rebalance: while the
    /// group prepares a rebalance the coordinator still accepts commits of the generation
    /// that is ending (Java commits in `onJoinPrepare` the same way).
    pub fn current_generation(&self) -> Option<CommitGeneration> {
        if self.generation_id == NO_GENERATION || matches!(self.state, MemberState::Fatal(_)) {
            return None;
        }
        Some(CommitGeneration {
            generation_id: self.generation_id,
            member_id: self.member_id.clone(),
            group_instance_id: self.config.group_instance_id.clone(),
        })
    }

    /// The topics the member subscribes to now.
    pub fn subscribed_topics(&self) -> &BTreeSet<String> {
        &self.topics
    }

    /// The topics whose partition counts the member watches in the metadata: its own
    /// subscription and, while it is the leader, every topic of the group's (the metadata must
    /// cover these; feed each new view to [`Membership::on_metadata`]).
    pub fn watched_topics(&self) -> BTreeSet<String> {
        self.topics.union(&self.group_topics).cloned().collect()
    }

    /// The leader's snapshot of the metadata it last assigned from; `None` when the member
    /// did not compute the last assignment.
    pub fn assignment_snapshot(&self) -> Option<&MetadataSnapshot> {
        self.assignment_snapshot.as_ref()
    }

    /// A new metadata view: `partitions(topic)` is the topic's partition count, `None` (or 0)
    /// when the metadata does not know the topic. A leader whose group's topics now differ
    /// from what it assigned from rejoins (see the module docs); anything else only records
    /// the view.
    ///
    /// ```
    /// # use std::collections::BTreeMap;
    /// # use std::sync::Arc;
    /// # use std::time::Instant;
    /// # use kafkito::consumer::group::{GroupConfig, Membership, RangeAssignor};
    /// let config = GroupConfig { group_id: "g".into(), ..Default::default() };
    /// let mut member = Membership::new(config, vec![Arc::new(RangeAssignor)]);
    /// member.subscribe(Instant::now(), ["orders".to_owned()]);
    /// let counts = BTreeMap::from([("orders".to_owned(), 4)]);
    /// // Not the leader of an assignment: nothing to do.
    /// assert!(member.on_metadata(Instant::now(), &|t| counts.get(t).copied()).is_empty());
    /// ```
    pub fn on_metadata(
        &mut self,
        now: Instant,
        partitions: &dyn Fn(&str) -> Option<i32>,
    ) -> Vec<Decision> {
        self.metadata_snapshot = self
            .watched_topics()
            .into_iter()
            .filter_map(|topic| {
                let count = partitions(&topic).filter(|n| *n > 0)?;
                Some((topic, count))
            })
            .collect();
        let mut out = Vec::new();
        self.rejoin_if_metadata_changed(now, &mut out);
        out
    }

    /// The task around the member met an error after which it cannot go on (e.g. the
    /// coordinator's JoinGroup is too old for `group.instance.id`): loses the partitions and
    /// stops, as for a fatal error code in a response.
    pub fn fail_with(&mut self, api: ApiKey, code: ErrorCode) -> Vec<Decision> {
        let mut out = Vec::new();
        if !matches!(self.state, MemberState::Fatal(_)) {
            self.fail(&mut out, api, code);
        }
        out
    }

    /// Subscribes to `topics` (replacing the previous subscription). A change rejoins the
    /// group; an empty subscription leaves it.
    pub fn subscribe(
        &mut self,
        now: Instant,
        topics: impl IntoIterator<Item = String>,
    ) -> Vec<Decision> {
        let topics: BTreeSet<String> = topics.into_iter().collect();
        if topics.is_empty() {
            return self.leave(now, "the consumer unsubscribed");
        }
        if topics == self.topics && self.state != MemberState::Unjoined {
            return Vec::new();
        }
        self.topics = topics;
        self.poll_deadline
            .get_or_insert(now + self.config.max_poll_interval);
        let mut out = Vec::new();
        self.request_rejoin("the subscription changed");
        self.drive(now, &mut out);
        out
    }

    /// The coordinator is known (again): send what was waiting for it.
    pub fn coordinator_found(&mut self, now: Instant) -> Vec<Decision> {
        self.coordinator_known = true;
        self.finding_coordinator = false;
        let mut out = Vec::new();
        self.drive(now, &mut out);
        out
    }

    /// The coordinator is gone (connection lost, or the task learnt it moved): any JoinGroup,
    /// SyncGroup or Heartbeat in flight is taken as failed.
    pub fn coordinator_lost(&mut self, now: Instant) -> Vec<Decision> {
        let mut out = Vec::new();
        self.lose_coordinator(&mut out);
        self.drive(now, &mut out);
        out
    }

    /// The application polled: it is alive, so `max.poll.interval.ms` starts again, and a member
    /// that left for a poll timeout rejoins.
    pub fn application_polled(&mut self, now: Instant) -> Vec<Decision> {
        self.poll_deadline = Some(now + self.config.max_poll_interval);
        let mut out = Vec::new();
        if self.poll_expired {
            self.poll_expired = false;
            self.request_rejoin("the application polled again after a poll timeout");
        }
        self.drive(now, &mut out);
        out
    }

    /// The earliest time [`Membership::tick`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let in_group = matches!(self.state, MemberState::Stable | MemberState::AwaitingSync);
        let mut deadlines = vec![self.poll_deadline.filter(|_| !self.poll_expired)];
        if in_group {
            deadlines.push(self.heartbeat_due.filter(|_| !self.heartbeat_in_flight));
            deadlines.push(
                self.last_heartbeat_ok
                    .map(|t| t + self.config.session_timeout),
            );
        }
        if self.state == MemberState::PreparingRebalance {
            deadlines.push(self.join_retry_at);
        }
        deadlines.into_iter().flatten().min()
    }

    /// Timers: poll timeout, session expiry, heartbeats, JoinGroup retries.
    pub fn tick(&mut self, now: Instant) -> Vec<Decision> {
        let mut out = Vec::new();
        if matches!(self.state, MemberState::Fatal(_) | MemberState::Unjoined) {
            return out;
        }
        if self.poll_deadline.is_some_and(|d| d <= now) {
            // Java's heartbeat thread: "consumer poll timeout has expired" — leave, so that the
            // group rebalances without us rather than waiting for the session to run out.
            self.poll_expired = true;
            self.leave_group(&mut out, "consumer poll timeout has expired");
            self.lose_all(&mut out);
            self.reset_generation(self.config.group_instance_id.is_none());
            self.state = MemberState::Unjoined;
            return out;
        }
        let in_group = matches!(self.state, MemberState::Stable | MemberState::AwaitingSync);
        let session_over = self
            .last_heartbeat_ok
            .is_some_and(|t| t + self.config.session_timeout <= now);
        if in_group && session_over {
            // No heartbeat got through for a whole session: the coordinator has evicted us, so
            // our partitions may be someone else's already.
            self.lose_all(&mut out);
            self.reset_generation(false);
            self.request_rejoin("the session timed out");
            self.lose_coordinator(&mut out);
            self.drive(now, &mut out);
            return out;
        }
        if in_group
            && self.coordinator_known
            && !self.heartbeat_in_flight
            && self.heartbeat_due.is_some_and(|d| d <= now)
        {
            self.heartbeat_in_flight = true;
            self.heartbeat_due = Some(now + self.config.heartbeat_interval);
            out.push(Decision::SendHeartbeat(HeartbeatRequest {
                group_id: self.config.group_id.clone(),
                generation_id: self.generation_id,
                member_id: self.member_id.clone(),
                group_instance_id: self.config.group_instance_id.clone(),
                ..Default::default()
            }));
        }
        self.drive(now, &mut out);
        out
    }

    /// The answer to our JoinGroup. As leader, runs the chosen assignor over the members'
    /// subscriptions with `partitions_per_topic` (topic → partition count, from the consumer's
    /// metadata; topics missing from it get no partitions).
    pub fn on_join_response(
        &mut self,
        now: Instant,
        response: &JoinGroupResponse,
        partitions_per_topic: &BTreeMap<String, i32>,
    ) -> Vec<Decision> {
        let mut out = Vec::new();
        if self.state != MemberState::Joining {
            return out; // a late answer to a JoinGroup we gave up on
        }
        match ErrorCode::from_code(response.error_code) {
            ErrorCode::None => {
                self.member_id = response.member_id.clone();
                self.generation_id = response.generation_id;
                self.protocol_name = response.protocol_name.clone();
                self.state = MemberState::AwaitingSync;
                // Heartbeats run again from here, so that the coordinator keeps us while the
                // leader assigns.
                self.heartbeat_due = Some(now + self.config.heartbeat_interval);
                self.last_heartbeat_ok = Some(now);
                let leader = response.leader == self.member_id;
                self.take_assignment_snapshot(leader, response, partitions_per_topic);
                let assignments = if leader && !response.skip_assignment {
                    match self.leader_assign(response, partitions_per_topic) {
                        Ok(assignments) => assignments,
                        Err(code) => {
                            self.fail(&mut out, ApiKey::JoinGroup, code);
                            return out;
                        }
                    }
                } else {
                    Vec::new()
                };
                out.push(Decision::SendSyncGroup(SyncGroupRequest {
                    group_id: self.config.group_id.clone(),
                    generation_id: self.generation_id,
                    member_id: self.member_id.clone(),
                    group_instance_id: self.config.group_instance_id.clone(),
                    protocol_type: Some(CONSUMER_PROTOCOL_TYPE.to_owned()),
                    protocol_name: self.protocol_name.clone(),
                    assignments,
                    ..Default::default()
                }));
            }
            ErrorCode::MemberIdRequired => {
                // KIP-394: the broker gave us an id and waits for us to join with it.
                self.member_id = response.member_id.clone();
                self.send_join(now, &mut out);
            }
            code => self.on_group_error(now, ApiKey::JoinGroup, code, &mut out),
        }
        out
    }

    /// The answer to our SyncGroup: the assignment.
    pub fn on_sync_response(
        &mut self,
        now: Instant,
        response: &SyncGroupResponse,
    ) -> Vec<Decision> {
        let mut out = Vec::new();
        if self.state != MemberState::AwaitingSync {
            return out;
        }
        match ErrorCode::from_code(response.error_code) {
            ErrorCode::None => {}
            code => {
                self.on_group_error(now, ApiKey::SyncGroup, code, &mut out);
                return out;
            }
        }
        let assignment = match Assignment::decode(&response.assignment) {
            Ok(a) => a,
            Err(_) => {
                // The leader wrote something we cannot read: try another rebalance.
                self.request_rejoin("the assignment could not be decoded");
                self.join_retry_at = Some(now + self.config.retry_backoff);
                return out;
            }
        };
        let assigned: BTreeSet<TopicPartition> = assignment.partitions.into_iter().collect();
        self.state = MemberState::Stable;
        let revoked: Vec<TopicPartition> = self.owned.difference(&assigned).cloned().collect();
        let added: Vec<TopicPartition> = assigned.difference(&self.owned).cloned().collect();
        if !revoked.is_empty() {
            out.push(Decision::RevokePartitions(revoked.clone()));
        }
        out.push(Decision::AssignPartitions(added));
        self.owned = assigned;
        if !revoked.is_empty() && self.rebalance_protocol == RebalanceProtocol::Cooperative {
            // KIP-429: what we gave up goes to its new owner in a follow-up rebalance.
            self.request_rejoin("partitions were revoked in a cooperative rebalance");
            self.drive(now, &mut out);
        }
        // Metadata that changed while the group rebalanced (Java checks
        // `rejoinNeededOrPending` again once the join completes).
        self.rejoin_if_metadata_changed(now, &mut out);
        out
    }

    /// The answer to our Heartbeat.
    pub fn on_heartbeat_response(
        &mut self,
        now: Instant,
        response: &HeartbeatResponse,
    ) -> Vec<Decision> {
        self.heartbeat_in_flight = false;
        let mut out = Vec::new();
        let code = ErrorCode::from_code(response.error_code);
        match code {
            ErrorCode::None => self.last_heartbeat_ok = Some(now),
            // While a JoinGroup or SyncGroup is under way its own answer will settle these.
            ErrorCode::RebalanceInProgress
            | ErrorCode::IllegalGeneration
            | ErrorCode::UnknownMemberId
                if self.state != MemberState::Stable => {}
            ErrorCode::RebalanceInProgress => {
                self.last_heartbeat_ok = Some(now);
                self.request_rejoin("the group is rebalancing");
                self.drive(now, &mut out);
            }
            code if is_fatal(code)
                || matches!(
                    code,
                    ErrorCode::IllegalGeneration
                        | ErrorCode::UnknownMemberId
                        | ErrorCode::CoordinatorNotAvailable
                        | ErrorCode::NotCoordinator
                ) =>
            {
                self.on_group_error(now, ApiKey::Heartbeat, code, &mut out)
            }
            // Anything else: the next heartbeat tries again.
            _ => {}
        }
        out
    }

    /// Leaves the group (close or unsubscribe): revokes the partitions (lost if we have no
    /// generation), and sends LeaveGroup unless the member is static — a static member keeps
    /// its place until its session expires, so that a restart does not rebalance (KIP-345).
    pub fn leave(&mut self, _now: Instant, reason: &str) -> Vec<Decision> {
        let mut out = Vec::new();
        if matches!(self.state, MemberState::Fatal(_)) {
            return out;
        }
        if !self.owned.is_empty() {
            let owned: Vec<TopicPartition> = std::mem::take(&mut self.owned).into_iter().collect();
            if self.generation_id == NO_GENERATION {
                out.push(Decision::LosePartitions(owned));
            } else {
                out.push(Decision::RevokePartitions(owned));
            }
        }
        self.leave_group(&mut out, reason);
        self.topics.clear();
        self.group_topics.clear();
        self.assignment_snapshot = None;
        self.reset_generation(true);
        self.state = MemberState::Unjoined;
        self.rejoin_reason = None;
        self.poll_deadline = None;
        self.poll_expired = false;
        out
    }

    /// A static member's leave for good (Java's `CloseOptions` with `LEAVE_GROUP`): sends a
    /// LeaveGroup carrying `group.instance.id` even though the member is static.
    pub fn leave_static(&mut self, now: Instant, reason: &str) -> Vec<Decision> {
        let member_id = self.member_id.clone();
        let joined = self.state != MemberState::Unjoined;
        let mut out = self.leave(now, reason);
        if self.config.group_instance_id.is_some() && joined && self.coordinator_known {
            out.push(Decision::SendLeaveGroup(
                self.leave_request(member_id, reason),
            ));
        }
        out
    }

    // ----------------------------------------------------------------------------------------

    /// After a successful JoinGroup: the leader remembers the group's topics and the metadata
    /// it assigns from (`partitions_per_topic`, which holds exactly the group's topics the
    /// metadata knows); a follower forgets both, for only the leader watches (Java's
    /// `onLeaderElected` and `onJoinComplete`). A returning static leader that skips the
    /// assignment still watches, as in Java.
    fn take_assignment_snapshot(
        &mut self,
        leader: bool,
        response: &JoinGroupResponse,
        partitions_per_topic: &BTreeMap<String, i32>,
    ) {
        if !leader {
            self.group_topics.clear();
            self.assignment_snapshot = None;
            return;
        }
        self.group_topics = response
            .members
            .iter()
            .filter_map(|m| Subscription::decode(&m.metadata).ok())
            .flat_map(|s| s.topics)
            .chain(self.topics.iter().cloned())
            .collect();
        let snapshot: MetadataSnapshot = partitions_per_topic
            .iter()
            .filter(|(topic, n)| **n > 0 && self.group_topics.contains(*topic))
            .map(|(topic, n)| (topic.clone(), *n))
            .collect();
        // The assignment's view is the newest the member has seen: later views are compared
        // with it, not with an older one the task may still have queued.
        for topic in &self.group_topics {
            match snapshot.get(topic) {
                Some(n) => self.metadata_snapshot.insert(topic.clone(), *n),
                None => self.metadata_snapshot.remove(topic),
            };
        }
        self.assignment_snapshot = Some(snapshot);
    }

    /// Java's `rejoinNeededOrPending` check of the assignment snapshot: a stable leader whose
    /// group's topics changed partition counts (or appeared, or vanished) since it assigned
    /// rejoins. During a rebalance nothing is done: the check runs again once stable.
    fn rejoin_if_metadata_changed(&mut self, now: Instant, out: &mut Vec<Decision>) {
        if self.state != MemberState::Stable {
            return;
        }
        let Some(assigned) = &self.assignment_snapshot else {
            return;
        };
        let current: MetadataSnapshot = self
            .metadata_snapshot
            .iter()
            .filter(|(topic, _)| self.group_topics.contains(*topic))
            .map(|(topic, n)| (topic.clone(), *n))
            .collect();
        if &current == assigned {
            return;
        }
        // The short reason goes on the wire, as Java's; the task logs the two snapshots.
        self.request_rejoin(METADATA_CHANGED);
        self.drive(now, out);
    }

    fn leave_request(&self, member_id: String, reason: &str) -> LeaveGroupRequest {
        LeaveGroupRequest {
            group_id: self.config.group_id.clone(),
            // v0–2 carry the member id alone; v3+ a list (KIP-345), with the instance id.
            member_id: member_id.clone(),
            members: vec![MemberIdentity {
                member_id,
                group_instance_id: self.config.group_instance_id.clone(),
                reason: Some(reason.to_owned()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    /// Sends LeaveGroup if a dynamic member is in the group (Java's `maybeLeaveGroup`).
    fn leave_group(&mut self, out: &mut Vec<Decision>, reason: &str) {
        let dynamic = self.config.group_instance_id.is_none();
        if dynamic
            && self.coordinator_known
            && !self.member_id.is_empty()
            && self.state != MemberState::Unjoined
        {
            out.push(Decision::SendLeaveGroup(
                self.leave_request(self.member_id.clone(), reason),
            ));
        }
    }

    fn lose_all(&mut self, out: &mut Vec<Decision>) {
        if !self.owned.is_empty() {
            let owned = std::mem::take(&mut self.owned).into_iter().collect();
            out.push(Decision::LosePartitions(owned));
        }
    }

    fn reset_generation(&mut self, reset_member_id: bool) {
        self.generation_id = NO_GENERATION;
        self.protocol_name = None;
        if reset_member_id {
            self.member_id.clear();
        }
        self.heartbeat_due = None;
        self.heartbeat_in_flight = false;
        self.last_heartbeat_ok = None;
    }

    fn fail(&mut self, out: &mut Vec<Decision>, api: ApiKey, code: ErrorCode) {
        self.lose_all(out);
        self.state = MemberState::Fatal(code);
        self.heartbeat_due = None;
        out.push(Decision::Fatal(api, code));
    }

    fn lose_coordinator(&mut self, out: &mut Vec<Decision>) {
        self.coordinator_known = false;
        self.heartbeat_in_flight = false;
        if matches!(self.state, MemberState::Joining | MemberState::AwaitingSync) {
            // The request in flight is lost with the connection: join again once found. The
            // generation (if any) stays; the coordinator tells us if it is stale.
            self.request_rejoin("the coordinator was lost during a rebalance");
        }
        if !self.finding_coordinator && !matches!(self.state, MemberState::Fatal(_)) {
            self.finding_coordinator = true;
            out.push(Decision::FindCoordinator);
        }
    }

    /// The shared error handling of JoinGroup, SyncGroup and Heartbeat answers.
    fn on_group_error(
        &mut self,
        now: Instant,
        api: ApiKey,
        code: ErrorCode,
        out: &mut Vec<Decision>,
    ) {
        match code {
            ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration => {
                // Our generation is gone: the partitions may already be someone else's.
                self.lose_all(out);
                self.reset_generation(code == ErrorCode::UnknownMemberId);
                self.request_rejoin(code.name());
                self.drive(now, out);
            }
            ErrorCode::RebalanceInProgress => {
                self.request_rejoin(code.name());
                self.drive(now, out);
            }
            ErrorCode::CoordinatorNotAvailable | ErrorCode::NotCoordinator => {
                if matches!(self.state, MemberState::Joining | MemberState::AwaitingSync) {
                    self.request_rejoin(code.name());
                }
                self.lose_coordinator(out);
            }
            code if is_fatal(code) => self.fail(out, api, code),
            _ => {
                // Retriable (e.g. COORDINATOR_LOAD_IN_PROGRESS) or unexpected: back off, rejoin.
                self.request_rejoin(code.name());
                self.join_retry_at = Some(now + self.config.retry_backoff);
                self.drive(now, out);
            }
        }
    }

    fn request_rejoin(&mut self, reason: &str) {
        if matches!(self.state, MemberState::Fatal(_)) {
            return;
        }
        self.state = MemberState::PreparingRebalance;
        self.rejoin_reason = Some(reason.to_owned());
    }

    /// Sends the JoinGroup when one is due and possible.
    fn drive(&mut self, now: Instant, out: &mut Vec<Decision>) {
        if self.state != MemberState::PreparingRebalance || self.poll_expired {
            return;
        }
        if !self.coordinator_known {
            if !self.finding_coordinator {
                self.finding_coordinator = true;
                out.push(Decision::FindCoordinator);
            }
            return;
        }
        if self.join_retry_at.is_some_and(|t| t > now) {
            return;
        }
        self.send_join(now, out);
    }

    fn send_join(&mut self, _now: Instant, out: &mut Vec<Decision>) {
        self.join_retry_at = None;
        if self.rebalance_protocol == RebalanceProtocol::Eager && !self.owned.is_empty() {
            // Eager: everything is given up before joining (Java's `onJoinPrepare`).
            let owned = std::mem::take(&mut self.owned).into_iter().collect();
            out.push(Decision::RevokePartitions(owned));
        }
        if self.rebalance_protocol == RebalanceProtocol::Cooperative {
            // Cooperative: partitions of topics we no longer subscribe to are given up now
            // (Java's `onJoinPrepare`); the rest are kept through the rebalance.
            let unsubscribed: Vec<TopicPartition> = self
                .owned
                .iter()
                .filter(|tp| !self.topics.contains(&tp.topic))
                .cloned()
                .collect();
            if !unsubscribed.is_empty() {
                for tp in &unsubscribed {
                    self.owned.remove(tp);
                }
                out.push(Decision::RevokePartitions(unsubscribed));
            }
        }
        self.state = MemberState::Joining;
        // No heartbeats while the JoinGroup is in flight: the coordinator waits for it.
        self.heartbeat_due = None;
        let protocols = self
            .assignors
            .iter()
            .map(|a| {
                let subscription = Subscription {
                    topics: self.topics.iter().cloned().collect(),
                    user_data: a.subscription_user_data(self.generation_id),
                    owned_partitions: self.owned.iter().cloned().collect(),
                    generation_id: self.generation_id,
                    rack_id: self.config.client_rack.clone(),
                };
                JoinGroupRequestProtocol {
                    name: a.name().to_owned(),
                    metadata: subscription
                        .encode(Subscription::LATEST_VERSION)
                        .expect("the latest version encodes"),
                    ..Default::default()
                }
            })
            .collect();
        out.push(Decision::SendJoinGroup(JoinGroupRequest {
            group_id: self.config.group_id.clone(),
            session_timeout_ms: duration_ms(self.config.session_timeout),
            rebalance_timeout_ms: duration_ms(self.config.max_poll_interval),
            member_id: self.member_id.clone(),
            group_instance_id: self.config.group_instance_id.clone(),
            protocol_type: CONSUMER_PROTOCOL_TYPE.to_owned(),
            protocols,
            reason: self.rejoin_reason.take(),
            ..Default::default()
        }));
    }

    /// The leader's work: decode every member's subscription, run the group's assignor, encode
    /// each assignment at the oldest version any member spoke (so every member can read it).
    fn leader_assign(
        &self,
        response: &JoinGroupResponse,
        partitions_per_topic: &BTreeMap<String, i32>,
    ) -> Result<Vec<SyncGroupRequestAssignment>, ErrorCode> {
        let name = response.protocol_name.as_deref().unwrap_or_default();
        let assignor = self
            .assignors
            .iter()
            .find(|a| a.name() == name)
            .ok_or(ErrorCode::InconsistentGroupProtocol)?;
        let mut version = Assignment::LATEST_VERSION;
        let mut subscriptions = BTreeMap::new();
        for member in &response.members {
            // A member whose subscription we cannot read gets nothing, rather than failing the
            // whole group.
            let subscription = Subscription::decode(&member.metadata).unwrap_or_default();
            if member.metadata.len() >= 2 {
                let v = i16::from_be_bytes([member.metadata[0], member.metadata[1]]);
                version = version.min(v.max(0));
            }
            subscriptions.insert(member.member_id.clone(), subscription);
        }
        let assignments = assignor.assign(partitions_per_topic, &subscriptions);
        Ok(assignments
            .into_iter()
            .map(|(member_id, a)| SyncGroupRequestAssignment {
                member_id,
                assignment: a.encode(version).expect("versions 0-3 encode"),
                ..Default::default()
            })
            .collect())
    }
}

fn duration_ms(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests;
