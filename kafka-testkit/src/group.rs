//! The classic group coordinator (JoinGroup / SyncGroup / Heartbeat / LeaveGroup and the
//! group's committed offsets), as plain data: each call takes the request and `now` and
//! returns the response, or a receiver the response is sent on once the rebalance completes.
//!
//! The rules follow Kafka's classic group state machine (`ClassicGroup` in Kafka's group
//! coordinator): states Empty → PreparingRebalance → CompletingRebalance → Stable; a dynamic
//! member's first JoinGroup (v4+) is answered MEMBER_ID_REQUIRED with its id; a rebalance
//! completes as soon as every known member has rejoined (and every id handed out has
//! joined), or when the rebalance timeout expires, dropping the members that did not rejoin;
//! a member that does not heartbeat within its session timeout is removed. Unlike a real
//! broker there is no `group.initial.rebalance.delay.ms`: the first join of an empty group
//! completes at once, which keeps tests fast and is a legal Kafka configuration (delay 0).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafkito_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafkito_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafkito_protocol::messages::leave_group_response::MemberResponse;
use kafkito_protocol::messages::list_groups_response::ListedGroup;
use kafkito_protocol::messages::{
    HeartbeatRequest, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, SyncGroupRequest,
    SyncGroupResponse,
};
use kafkito_protocol::ErrorCode;
use tokio::sync::oneshot;

use crate::consumer_group::ConsumerGroup;

/// A response now, or one that arrives when the group's rebalance reaches it.
#[derive(Debug)]
pub(crate) enum Reply<T> {
    Now(T),
    Later(oneshot::Receiver<T>),
}

/// The classic group states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
        }
    }
}

/// A committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Committed {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
}

#[derive(Debug)]
struct Member {
    instance_id: Option<String>,
    client_id: String,
    client_host: String,
    session_timeout: Duration,
    rebalance_timeout: Duration,
    protocols: Vec<(String, Bytes)>,
    assignment: Bytes,
    /// Order of first join: the earliest member still present leads.
    joined_seq: u64,
    session_deadline: Instant,
    join_waiter: Option<(i16, oneshot::Sender<JoinGroupResponse>)>,
    sync_waiter: Option<oneshot::Sender<SyncGroupResponse>>,
}

/// One group.
#[derive(Debug)]
pub(crate) struct Group {
    state: GroupState,
    protocol_type: Option<String>,
    protocol: Option<String>,
    generation: i32,
    leader: Option<String>,
    members: BTreeMap<String, Member>,
    /// Ids handed out with MEMBER_ID_REQUIRED, and until when they may join.
    pending: HashMap<String, Instant>,
    /// group.instance.id → member id.
    statics: HashMap<String, String>,
    rebalance_deadline: Option<Instant>,
    pub offsets: BTreeMap<(String, i32), Committed>,
    /// Offsets committed inside open transactions, by producer id, until the marker.
    pending_txn: HashMap<i64, BTreeMap<(String, i32), Committed>>,
}

impl Group {
    fn new() -> Self {
        Group {
            state: GroupState::Empty,
            protocol_type: None,
            protocol: None,
            generation: 0,
            leader: None,
            members: BTreeMap::new(),
            pending: HashMap::new(),
            statics: HashMap::new(),
            rebalance_deadline: None,
            offsets: BTreeMap::new(),
            pending_txn: HashMap::new(),
        }
    }

    pub fn state(&self) -> GroupState {
        self.state
    }

    pub fn generation(&self) -> i32 {
        self.generation
    }

    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// A protocol every member supports, by vote: each member votes for the first of its
    /// protocols that all support; the most votes wins (ties: the first name).
    fn select_protocol(&self) -> Option<String> {
        let mut candidates: Option<Vec<String>> = None;
        for m in self.members.values() {
            let names: Vec<String> = m.protocols.iter().map(|(n, _)| n.clone()).collect();
            candidates = Some(match candidates {
                None => names,
                Some(c) => c.into_iter().filter(|n| names.contains(n)).collect(),
            });
        }
        let candidates = candidates?;
        let mut votes: BTreeMap<&String, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some((n, _)) = m.protocols.iter().find(|(n, _)| candidates.contains(n)) {
                *votes.entry(n).or_default() += 1;
            }
        }
        let max = votes.values().copied().max()?;
        votes
            .into_iter()
            .find(|&(_, v)| v == max)
            .map(|(n, _)| n.clone())
    }

    /// Whether a joining member's protocols fit the group's.
    fn supports(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.members.is_empty() {
            return true;
        }
        if self.protocol_type.as_deref() != Some(protocol_type) {
            return false;
        }
        // Some protocol every current member and the newcomer support.
        protocols.iter().any(|(name, _)| {
            self.members
                .values()
                .all(|m| m.protocols.iter().any(|(n, _)| n == name))
        })
    }

    fn prepare_rebalance(&mut self, now: Instant, reason: &str) {
        if self.state == GroupState::CompletingRebalance {
            for m in self.members.values_mut() {
                if let Some(waiter) = m.sync_waiter.take() {
                    let _ = waiter.send(SyncGroupResponse {
                        error_code: ErrorCode::RebalanceInProgress.code(),
                        ..Default::default()
                    });
                }
            }
        }
        let timeout = self
            .members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or_default();
        self.state = GroupState::PreparingRebalance;
        self.rebalance_deadline = Some(now + timeout);
        tracing::debug!(generation = self.generation, reason, "preparing rebalance");
    }

    fn all_joined(&self) -> bool {
        self.pending.is_empty() && self.members.values().all(|m| m.join_waiter.is_some())
    }

    /// Completes the join phase if every member has rejoined.
    fn maybe_complete_join(&mut self, now: Instant) {
        if self.state == GroupState::PreparingRebalance && self.all_joined() {
            self.complete_join(now);
        }
    }

    fn complete_join(&mut self, now: Instant) {
        self.generation += 1;
        self.rebalance_deadline = None;
        if self.members.is_empty() {
            self.state = GroupState::Empty;
            self.leader = None;
            self.protocol = None;
            self.protocol_type = None;
            return;
        }
        self.protocol = self.select_protocol();
        if self
            .leader
            .as_ref()
            .is_none_or(|l| !self.members.contains_key(l))
        {
            self.leader = self
                .members
                .iter()
                .min_by_key(|(_, m)| m.joined_seq)
                .map(|(id, _)| id.clone());
        }
        self.state = GroupState::CompletingRebalance;
        let protocol = self.protocol.clone().unwrap_or_default();
        let all: Vec<JoinGroupResponseMember> = self
            .members
            .iter()
            .map(|(id, m)| JoinGroupResponseMember {
                member_id: id.clone(),
                group_instance_id: m.instance_id.clone(),
                metadata: m
                    .protocols
                    .iter()
                    .find(|(n, _)| *n == protocol)
                    .map(|(_, b)| b.clone())
                    .unwrap_or_default(),
                ..Default::default()
            })
            .collect();
        let leader = self.leader.clone().unwrap_or_default();
        for (id, m) in self.members.iter_mut() {
            m.assignment = Bytes::new();
            m.session_deadline = now + m.session_timeout;
            if let Some((_, waiter)) = m.join_waiter.take() {
                let _ = waiter.send(JoinGroupResponse {
                    generation_id: self.generation,
                    protocol_type: self.protocol_type.clone(),
                    protocol_name: Some(protocol.clone()),
                    leader: leader.clone(),
                    member_id: id.clone(),
                    members: if *id == leader {
                        all.clone()
                    } else {
                        Vec::new()
                    },
                    ..Default::default()
                });
            }
        }
        tracing::debug!(
            generation = self.generation,
            members = self.members.len(),
            %leader,
            "join phase complete"
        );
    }

    /// The current generation's join answer for a member (a rejoin that changes nothing).
    fn current_join_response(&self, member_id: &str) -> JoinGroupResponse {
        let leader = self.leader.clone().unwrap_or_default();
        let protocol = self.protocol.clone().unwrap_or_default();
        let members = if member_id == leader {
            self.members
                .iter()
                .map(|(id, m)| JoinGroupResponseMember {
                    member_id: id.clone(),
                    group_instance_id: m.instance_id.clone(),
                    metadata: m
                        .protocols
                        .iter()
                        .find(|(n, _)| *n == protocol)
                        .map(|(_, b)| b.clone())
                        .unwrap_or_default(),
                    ..Default::default()
                })
                .collect()
        } else {
            Vec::new()
        };
        JoinGroupResponse {
            generation_id: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol_name: Some(protocol),
            leader,
            member_id: member_id.to_owned(),
            members,
            ..Default::default()
        }
    }

    fn remove_member(&mut self, member_id: &str, now: Instant, why: &str) {
        let Some(member) = self.members.remove(member_id) else {
            return;
        };
        tracing::debug!(member_id, why, "member removed");
        if let Some(instance) = &member.instance_id {
            if self.statics.get(instance).map(String::as_str) == Some(member_id) {
                self.statics.remove(instance);
            }
        }
        if let Some((_, waiter)) = member.join_waiter {
            let _ = waiter.send(JoinGroupResponse {
                error_code: ErrorCode::UnknownMemberId.code(),
                member_id: member_id.to_owned(),
                ..Default::default()
            });
        }
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(now, why)
            }
            GroupState::PreparingRebalance => {}
            GroupState::Empty => {}
        }
        self.maybe_complete_join(now);
    }

    /// Checks a member's identity as Heartbeat, SyncGroup and OffsetCommit do.
    fn check_member(&self, member_id: &str, instance_id: Option<&str>) -> Result<(), ErrorCode> {
        if let Some(instance) = instance_id {
            if let Some(current) = self.statics.get(instance) {
                if current != member_id {
                    return Err(ErrorCode::FencedInstanceId);
                }
            }
        }
        if !self.members.contains_key(member_id) {
            return Err(ErrorCode::UnknownMemberId);
        }
        Ok(())
    }
}

/// Everything a JoinGroup needs besides the request.
#[derive(Debug, Clone)]
pub(crate) struct JoinContext {
    pub version: i16,
    pub client_id: String,
    pub client_host: String,
    pub min_session_timeout_ms: i32,
    pub max_session_timeout_ms: i32,
}

/// Every group of the cluster.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    groups: BTreeMap<String, Group>,
    /// KIP-848 groups (their committed offsets live in `groups`, in an Empty classic entry).
    pub consumer: BTreeMap<String, ConsumerGroup>,
    seq: u64,
}

fn join_error(error: ErrorCode, member_id: &str) -> Reply<JoinGroupResponse> {
    Reply::Now(JoinGroupResponse {
        error_code: error.code(),
        member_id: member_id.to_owned(),
        generation_id: -1,
        ..Default::default()
    })
}

fn new_member_id(prefix: &str) -> String {
    let uuid = crate::state::random_uuid().0;
    let hex: String = uuid.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{prefix}-{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

impl Groups {
    pub fn get(&self, group_id: &str) -> Option<&Group> {
        self.groups.get(group_id)
    }

    /// JoinGroup.
    pub fn join(
        &mut self,
        req: JoinGroupRequest,
        ctx: &JoinContext,
        now: Instant,
    ) -> Reply<JoinGroupResponse> {
        if req.group_id.is_empty() {
            return join_error(ErrorCode::InvalidGroupId, &req.member_id);
        }
        if req.session_timeout_ms < ctx.min_session_timeout_ms
            || req.session_timeout_ms > ctx.max_session_timeout_ms
        {
            return join_error(ErrorCode::InvalidSessionTimeout, &req.member_id);
        }
        let protocols: Vec<(String, Bytes)> = req
            .protocols
            .iter()
            .map(|p| (p.name.clone(), p.metadata.clone()))
            .collect();
        if req.protocol_type.is_empty() || protocols.is_empty() {
            return join_error(ErrorCode::InconsistentGroupProtocol, &req.member_id);
        }
        if self
            .consumer
            .get(&req.group_id)
            .is_some_and(|g| !g.is_empty())
        {
            // A KIP-848 group with members takes no classic members.
            return join_error(ErrorCode::InconsistentGroupProtocol, &req.member_id);
        }
        if !req.member_id.is_empty() && !self.groups.contains_key(&req.group_id) {
            return join_error(ErrorCode::UnknownMemberId, &req.member_id);
        }
        self.seq += 1;
        let seq = self.seq;
        let group = self
            .groups
            .entry(req.group_id.clone())
            .or_insert_with(Group::new);
        if !group.supports(&req.protocol_type, &protocols) {
            return join_error(ErrorCode::InconsistentGroupProtocol, &req.member_id);
        }
        let session_timeout = Duration::from_millis(req.session_timeout_ms.max(0) as u64);
        // v0 has no rebalance timeout: it is the session timeout.
        let rebalance_timeout = if ctx.version == 0 || req.rebalance_timeout_ms < 0 {
            session_timeout
        } else {
            Duration::from_millis(req.rebalance_timeout_ms as u64)
        };
        let instance_id = req.group_instance_id.clone().filter(|_| ctx.version >= 5);

        let mut member_id = req.member_id.clone();
        if let Some(instance) = &instance_id {
            match group.statics.get(instance).cloned() {
                Some(current) if !member_id.is_empty() && member_id != current => {
                    return join_error(ErrorCode::FencedInstanceId, &member_id);
                }
                Some(current) if member_id.is_empty() => {
                    // A static member restarting: it takes over the old member's place under
                    // a new id; the old id is fenced.
                    let new_id = new_member_id(instance);
                    if let Some(mut old) = group.members.remove(&current) {
                        if let Some((_, w)) = old.join_waiter.take() {
                            let _ = w.send(JoinGroupResponse {
                                error_code: ErrorCode::FencedInstanceId.code(),
                                member_id: current.clone(),
                                ..Default::default()
                            });
                        }
                        if let Some(w) = old.sync_waiter.take() {
                            let _ = w.send(SyncGroupResponse {
                                error_code: ErrorCode::FencedInstanceId.code(),
                                ..Default::default()
                            });
                        }
                        group.members.insert(new_id.clone(), old);
                    }
                    if group.leader.as_deref() == Some(current.as_str()) {
                        group.leader = Some(new_id.clone());
                    }
                    group.statics.insert(instance.clone(), new_id.clone());
                    member_id = new_id;
                }
                Some(_) => {}
                None => {
                    if member_id.is_empty() {
                        member_id = new_member_id(instance);
                    } else if !group.members.contains_key(&member_id) {
                        return join_error(ErrorCode::UnknownMemberId, &member_id);
                    }
                    group.statics.insert(instance.clone(), member_id.clone());
                }
            }
        } else if member_id.is_empty() {
            member_id = new_member_id(&ctx.client_id);
            if ctx.version >= 4 {
                // KIP-394: the member must come back with this id.
                group
                    .pending
                    .insert(member_id.clone(), now + session_timeout);
                return join_error(ErrorCode::MemberIdRequired, &member_id);
            }
        } else if !group.members.contains_key(&member_id)
            && group.pending.remove(&member_id).is_none()
        {
            return join_error(ErrorCode::UnknownMemberId, &member_id);
        }

        let (tx, rx) = oneshot::channel();
        let known = group.members.contains_key(&member_id);
        let unchanged = known
            && group
                .members
                .get(&member_id)
                .is_some_and(|m| m.protocols == protocols);
        if group.members.is_empty() {
            group.protocol_type = Some(req.protocol_type.clone());
        }
        let member = group
            .members
            .entry(member_id.clone())
            .or_insert_with(|| Member {
                instance_id: instance_id.clone(),
                client_id: ctx.client_id.clone(),
                client_host: ctx.client_host.clone(),
                session_timeout,
                rebalance_timeout,
                protocols: protocols.clone(),
                assignment: Bytes::new(),
                joined_seq: seq,
                session_deadline: now + session_timeout,
                join_waiter: None,
                sync_waiter: None,
            });
        member.protocols = protocols;
        member.session_timeout = session_timeout;
        member.rebalance_timeout = rebalance_timeout;
        member.session_deadline = now + session_timeout;
        if let Some((_, old)) = member.join_waiter.take() {
            // A second JoinGroup while the first is parked: the first is superseded.
            let _ = old.send(JoinGroupResponse {
                error_code: ErrorCode::UnknownMemberId.code(),
                member_id: member_id.clone(),
                ..Default::default()
            });
        }

        match group.state {
            GroupState::Stable | GroupState::CompletingRebalance
                if unchanged && group.leader.as_deref() != Some(member_id.as_str()) =>
            {
                // A follower rejoining with the same metadata: nothing to rebalance.
                return Reply::Now(group.current_join_response(&member_id));
            }
            GroupState::Stable | GroupState::CompletingRebalance | GroupState::Empty => {
                if let Some(m) = group.members.get_mut(&member_id) {
                    m.join_waiter = Some((ctx.version, tx));
                }
                group.prepare_rebalance(
                    now,
                    if known {
                        "member rejoined"
                    } else {
                        "member joined"
                    },
                );
            }
            GroupState::PreparingRebalance => {
                if let Some(m) = group.members.get_mut(&member_id) {
                    m.join_waiter = Some((ctx.version, tx));
                }
            }
        }
        group.maybe_complete_join(now);
        Reply::Later(rx)
    }

    /// SyncGroup.
    pub fn sync(&mut self, req: SyncGroupRequest, now: Instant) -> Reply<SyncGroupResponse> {
        let error = |code: ErrorCode| {
            Reply::Now(SyncGroupResponse {
                error_code: code.code(),
                ..Default::default()
            })
        };
        let Some(group) = self.groups.get_mut(&req.group_id) else {
            return error(ErrorCode::UnknownMemberId);
        };
        if let Err(e) = group.check_member(&req.member_id, req.group_instance_id.as_deref()) {
            return error(e);
        }
        if req.generation_id != group.generation {
            return error(ErrorCode::IllegalGeneration);
        }
        if req
            .protocol_type
            .as_ref()
            .is_some_and(|t| Some(t) != group.protocol_type.as_ref())
            || req
                .protocol_name
                .as_ref()
                .is_some_and(|n| Some(n) != group.protocol.as_ref())
        {
            return error(ErrorCode::InconsistentGroupProtocol);
        }
        let ok = |group: &Group, assignment: Bytes| SyncGroupResponse {
            protocol_type: group.protocol_type.clone(),
            protocol_name: group.protocol.clone(),
            assignment,
            ..Default::default()
        };
        match group.state {
            GroupState::Empty => error(ErrorCode::UnknownMemberId),
            GroupState::PreparingRebalance => error(ErrorCode::RebalanceInProgress),
            GroupState::Stable => {
                let assignment = group.members[&req.member_id].assignment.clone();
                Reply::Now(ok(group, assignment))
            }
            GroupState::CompletingRebalance => {
                let (tx, rx) = oneshot::channel();
                if let Some(m) = group.members.get_mut(&req.member_id) {
                    m.sync_waiter = Some(tx);
                    m.session_deadline = now + m.session_timeout;
                }
                if group.leader.as_deref() == Some(req.member_id.as_str()) {
                    let assignments: HashMap<String, Bytes> = req
                        .assignments
                        .into_iter()
                        .map(|a| (a.member_id, a.assignment))
                        .collect();
                    group.state = GroupState::Stable;
                    let (ptype, pname) = (group.protocol_type.clone(), group.protocol.clone());
                    for (id, m) in group.members.iter_mut() {
                        m.assignment = assignments.get(id).cloned().unwrap_or_default();
                        if let Some(w) = m.sync_waiter.take() {
                            let _ = w.send(SyncGroupResponse {
                                protocol_type: ptype.clone(),
                                protocol_name: pname.clone(),
                                assignment: m.assignment.clone(),
                                ..Default::default()
                            });
                        }
                    }
                    tracing::debug!(generation = group.generation, "group stable");
                }
                Reply::Later(rx)
            }
        }
    }

    /// Heartbeat.
    pub fn heartbeat(&mut self, req: &HeartbeatRequest, now: Instant) -> ErrorCode {
        let Some(group) = self.groups.get_mut(&req.group_id) else {
            return ErrorCode::UnknownMemberId;
        };
        if group.state == GroupState::Empty {
            return ErrorCode::UnknownMemberId;
        }
        if let Err(e) = group.check_member(&req.member_id, req.group_instance_id.as_deref()) {
            return e;
        }
        if req.generation_id != group.generation {
            return ErrorCode::IllegalGeneration;
        }
        if let Some(m) = group.members.get_mut(&req.member_id) {
            m.session_deadline = now + m.session_timeout;
        }
        match group.state {
            GroupState::PreparingRebalance => ErrorCode::RebalanceInProgress,
            _ => ErrorCode::None,
        }
    }

    /// LeaveGroup: v0-2 name one member; v3+ a batch with a result each.
    pub fn leave(
        &mut self,
        req: &LeaveGroupRequest,
        version: i16,
        now: Instant,
    ) -> (ErrorCode, Vec<MemberResponse>) {
        let Some(group) = self.groups.get_mut(&req.group_id) else {
            return (ErrorCode::UnknownMemberId, Vec::new());
        };
        if version < 3 {
            if !group.members.contains_key(&req.member_id) {
                return (ErrorCode::UnknownMemberId, Vec::new());
            }
            group.remove_member(&req.member_id, now, "member left");
            return (ErrorCode::None, Vec::new());
        }
        let mut results = Vec::new();
        for m in &req.members {
            let target = match (&m.group_instance_id, m.member_id.as_str()) {
                (Some(instance), member) => match group.statics.get(instance) {
                    None => Err(ErrorCode::UnknownMemberId),
                    Some(current) if !member.is_empty() && member != current => {
                        Err(ErrorCode::FencedInstanceId)
                    }
                    Some(current) => Ok(current.clone()),
                },
                (None, member) if group.members.contains_key(member) => Ok(member.to_owned()),
                (None, _) => Err(ErrorCode::UnknownMemberId),
            };
            let code = match target {
                Ok(id) => {
                    group.remove_member(&id, now, "member left");
                    ErrorCode::None
                }
                Err(e) => e,
            };
            results.push(MemberResponse {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                error_code: code.code(),
                ..Default::default()
            });
        }
        (ErrorCode::None, results)
    }

    /// Whether an OffsetCommit from this member at this generation may commit
    /// (a standalone commit — generation -1, no member — only to an empty group).
    pub fn check_commit(
        &mut self,
        group_id: &str,
        generation: i32,
        member_id: &str,
        instance_id: Option<&str>,
        now: Instant,
    ) -> Result<(), ErrorCode> {
        if group_id.is_empty() {
            return Err(ErrorCode::InvalidGroupId);
        }
        // A KIP-848 group: the commit carries the member's epoch.
        if let Some(cg) = self.consumer.get(group_id).filter(|g| !g.is_empty()) {
            if !cg.has_member(member_id) {
                return Err(ErrorCode::UnknownMemberId);
            }
            if cg.member_epoch(member_id) != Some(generation) {
                return Err(ErrorCode::StaleMemberEpoch);
            }
            self.groups
                .entry(group_id.to_owned())
                .or_insert_with(Group::new);
            return Ok(());
        }
        let group = match self.groups.get_mut(group_id) {
            Some(g) => g,
            None if generation < 0 => self
                .groups
                .entry(group_id.to_owned())
                .or_insert_with(Group::new),
            None => return Err(ErrorCode::IllegalGeneration),
        };
        if generation < 0 && member_id.is_empty() && group.state == GroupState::Empty {
            return Ok(());
        }
        group.check_member(member_id, instance_id)?;
        if generation != group.generation {
            return Err(ErrorCode::IllegalGeneration);
        }
        if group.state == GroupState::CompletingRebalance {
            return Err(ErrorCode::RebalanceInProgress);
        }
        if let Some(m) = group.members.get_mut(member_id) {
            m.session_deadline = now + m.session_timeout;
        }
        Ok(())
    }

    /// Stores a committed offset (after [`check_commit`](Self::check_commit)).
    pub fn commit(&mut self, group_id: &str, topic: &str, partition: i32, committed: Committed) {
        if let Some(g) = self.groups.get_mut(group_id) {
            g.offsets.insert((topic.to_owned(), partition), committed);
        }
    }

    /// TxnOffsetCommit: checks the member (when the request names a generation) and holds
    /// the offsets until the transaction completes. The group is created if unknown.
    pub fn check_txn_commit(
        &mut self,
        group_id: &str,
        generation: i32,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<(), ErrorCode> {
        if group_id.is_empty() {
            return Err(ErrorCode::InvalidGroupId);
        }
        let group = self
            .groups
            .entry(group_id.to_owned())
            .or_insert_with(Group::new);
        if generation < 0 && member_id.is_empty() {
            return Ok(());
        }
        // A KIP-848 group: as for OffsetCommit, the member must be one of the group's and the
        // generation is its member epoch (Kafka's ConsumerGroup validates a transactional
        // commit the same way). Its members are not in the classic group.
        if let Some(cg) = self.consumer.get(group_id).filter(|g| !g.is_empty()) {
            if !cg.has_member(member_id) {
                return Err(ErrorCode::UnknownMemberId);
            }
            if cg.member_epoch(member_id) != Some(generation) {
                return Err(ErrorCode::StaleMemberEpoch);
            }
            return Ok(());
        }
        group.check_member(member_id, instance_id)?;
        if generation != group.generation {
            return Err(ErrorCode::IllegalGeneration);
        }
        Ok(())
    }

    /// Holds a transactional offset (after [`check_txn_commit`](Self::check_txn_commit)).
    pub fn commit_transactional(
        &mut self,
        group_id: &str,
        producer_id: i64,
        topic: &str,
        partition: i32,
        committed: Committed,
    ) {
        if let Some(g) = self.groups.get_mut(group_id) {
            g.pending_txn
                .entry(producer_id)
                .or_default()
                .insert((topic.to_owned(), partition), committed);
        }
    }

    /// Applies (commit) or drops (abort) a producer's transactional offsets.
    pub fn complete_transactional_offsets(
        &mut self,
        group_id: &str,
        producer_id: i64,
        commit: bool,
    ) {
        if let Some(g) = self.groups.get_mut(group_id) {
            if let Some(pending) = g.pending_txn.remove(&producer_id) {
                if commit {
                    g.offsets.extend(pending);
                }
            }
        }
    }

    /// Whether a transaction holds an uncommitted offset for the partition (OffsetFetch
    /// with `require_stable` answers UNSTABLE_OFFSET_COMMIT then).
    pub fn has_pending_offset(&self, group_id: &str, topic: &str, partition: i32) -> bool {
        self.groups.get(group_id).is_some_and(|g| {
            let key = (topic.to_owned(), partition);
            g.pending_txn.values().any(|p| p.contains_key(&key))
        })
    }

    /// Drops every committed offset of a deleted topic.
    pub fn forget_topic(&mut self, topic: &str) {
        for g in self.groups.values_mut() {
            g.offsets.retain(|(t, _), _| t != topic);
        }
    }

    /// DescribeGroups for one group.
    pub fn describe(&self, group_id: &str, version: i16) -> DescribedGroup {
        let Some(group) = self.groups.get(group_id) else {
            return DescribedGroup {
                error_code: if version >= 6 {
                    ErrorCode::GroupIdNotFound.code()
                } else {
                    ErrorCode::None.code()
                },
                group_id: group_id.to_owned(),
                group_state: "Dead".into(),
                ..Default::default()
            };
        };
        let stable = group.state == GroupState::Stable;
        let protocol = group.protocol.clone().unwrap_or_default();
        DescribedGroup {
            group_id: group_id.to_owned(),
            group_state: group.state.name().into(),
            protocol_type: group.protocol_type.clone().unwrap_or_default(),
            protocol_data: if stable {
                protocol.clone()
            } else {
                String::new()
            },
            members: group
                .members
                .iter()
                .map(|(id, m)| DescribedGroupMember {
                    member_id: id.clone(),
                    group_instance_id: m.instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    member_metadata: if stable {
                        m.protocols
                            .iter()
                            .find(|(n, _)| *n == protocol)
                            .map(|(_, b)| b.clone())
                            .unwrap_or_default()
                    } else {
                        Bytes::new()
                    },
                    member_assignment: if stable {
                        m.assignment.clone()
                    } else {
                        Bytes::new()
                    },
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    /// ListGroups, filtered by state names (case-insensitive) when given.
    pub fn list(&self, states: &[String], types: &[String]) -> Vec<ListedGroup> {
        let wanted = |state: &str, kind: &str| {
            (states.is_empty() || states.iter().any(|s| s.eq_ignore_ascii_case(state)))
                && (types.is_empty() || types.iter().any(|t| t.eq_ignore_ascii_case(kind)))
        };
        let consumer = self
            .consumer
            .iter()
            .filter(|(_, g)| wanted(g.state_name(), "consumer"))
            .map(|(id, g)| ListedGroup {
                group_id: id.clone(),
                protocol_type: "consumer".into(),
                group_state: g.state_name().into(),
                group_type: "consumer".into(),
                ..Default::default()
            });
        self.groups
            .iter()
            .filter(|(id, _)| !self.consumer.contains_key(*id))
            .filter(|(_, g)| {
                states.is_empty()
                    || states
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(g.state.name()))
            })
            .filter(|_| types.is_empty() || types.iter().any(|t| t.eq_ignore_ascii_case("classic")))
            .map(|(id, g)| ListedGroup {
                group_id: id.clone(),
                protocol_type: g.protocol_type.clone().unwrap_or_default(),
                group_state: g.state.name().into(),
                group_type: "classic".into(),
                ..Default::default()
            })
            .chain(consumer)
            .collect()
    }

    /// Expires sessions, pending member ids and rebalance timeouts.
    pub fn tick(&mut self, now: Instant) {
        for group in self.consumer.values_mut() {
            group.tick(now);
        }
        for group in self.groups.values_mut() {
            let before = group.pending.len();
            group.pending.retain(|_, deadline| *deadline > now);
            if group.pending.len() != before {
                group.maybe_complete_join(now);
            }
            if group.state == GroupState::PreparingRebalance
                && group.rebalance_deadline.is_some_and(|d| d <= now)
            {
                let late: Vec<String> = group
                    .members
                    .iter()
                    .filter(|(_, m)| m.join_waiter.is_none())
                    .map(|(id, _)| id.clone())
                    .collect();
                group.pending.clear();
                for id in late {
                    group.remove_member(&id, now, "did not rejoin within the rebalance timeout");
                }
                if group.state == GroupState::PreparingRebalance {
                    group.complete_join(now);
                }
            }
            let expired: Vec<String> = group
                .members
                .iter()
                .filter(|(_, m)| {
                    m.join_waiter.is_none() && m.sync_waiter.is_none() && m.session_deadline <= now
                })
                .map(|(id, _)| id.clone())
                .collect();
            for id in expired {
                group.remove_member(&id, now, "session timeout expired");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafkito_protocol::messages::join_group_request::JoinGroupRequestProtocol;
    use kafkito_protocol::messages::sync_group_request::SyncGroupRequestAssignment;

    fn ctx() -> JoinContext {
        JoinContext {
            version: 9,
            client_id: "c".into(),
            client_host: "/127.0.0.1".into(),
            min_session_timeout_ms: 6_000,
            max_session_timeout_ms: 1_800_000,
        }
    }

    fn join_req(member_id: &str) -> JoinGroupRequest {
        JoinGroupRequest {
            group_id: "g".into(),
            session_timeout_ms: 10_000,
            rebalance_timeout_ms: 30_000,
            member_id: member_id.into(),
            protocol_type: "consumer".into(),
            protocols: vec![JoinGroupRequestProtocol {
                name: "range".into(),
                metadata: Bytes::from_static(b"m"),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn now_of(reply: Reply<JoinGroupResponse>) -> JoinGroupResponse {
        match reply {
            Reply::Now(r) => r,
            Reply::Later(mut rx) => rx.try_recv().expect("answered"),
        }
    }

    /// Joins as a new dynamic member (two round trips) and returns its parked reply.
    fn join_new(groups: &mut Groups, now: Instant) -> (String, Reply<JoinGroupResponse>) {
        let first = now_of(groups.join(join_req(""), &ctx(), now));
        assert_eq!(first.error_code, ErrorCode::MemberIdRequired.code());
        let id = first.member_id.clone();
        (id.clone(), groups.join(join_req(&id), &ctx(), now))
    }

    #[test]
    fn first_member_completes_at_once_and_a_second_triggers_a_rebalance() {
        let mut groups = Groups::default();
        let now = Instant::now();
        let (a, reply) = join_new(&mut groups, now);
        let joined = now_of(reply);
        assert_eq!(
            (joined.generation_id, joined.leader.as_str()),
            (1, a.as_str())
        );
        assert_eq!(joined.members.len(), 1);
        let sync = groups.sync(
            SyncGroupRequest {
                group_id: "g".into(),
                generation_id: 1,
                member_id: a.clone(),
                assignments: vec![SyncGroupRequestAssignment {
                    member_id: a.clone(),
                    assignment: Bytes::from_static(b"all"),
                    ..Default::default()
                }],
                ..Default::default()
            },
            now,
        );
        let Reply::Later(mut rx) = sync else {
            panic!("leader sync parks until assignments")
        };
        assert_eq!(&rx.try_recv().unwrap().assignment[..], b"all");

        let (b, parked) = join_new(&mut groups, now);
        let Reply::Later(mut b_rx) = parked else {
            panic!("b waits for a")
        };
        assert!(b_rx.try_recv().is_err());
        let hb = HeartbeatRequest {
            group_id: "g".into(),
            generation_id: 1,
            member_id: a.clone(),
            ..Default::default()
        };
        assert_eq!(groups.heartbeat(&hb, now), ErrorCode::RebalanceInProgress);
        let a_join = now_of(groups.join(join_req(&a), &ctx(), now));
        let b_join = b_rx.try_recv().unwrap();
        assert_eq!((a_join.generation_id, b_join.generation_id), (2, 2));
        assert_eq!(
            a_join.members.len(),
            2,
            "the leader gets every member's metadata"
        );
        assert!(b_join.members.is_empty());
        assert_eq!(b_join.member_id, b);
        // An old-generation commit is refused.
        assert_eq!(
            groups.check_commit("g", 1, &a, None, now),
            Err(ErrorCode::IllegalGeneration)
        );
        assert_eq!(
            groups.check_commit("g", 2, &a, None, now),
            Err(ErrorCode::RebalanceInProgress)
        );
    }

    #[test]
    fn members_that_miss_the_rebalance_or_session_timeout_are_removed() {
        let mut groups = Groups::default();
        let now = Instant::now();
        let (a, reply) = join_new(&mut groups, now);
        now_of(reply);
        let (_b, parked) = join_new(&mut groups, now);
        let Reply::Later(mut b_rx) = parked else {
            panic!()
        };
        // a heartbeats (learning of the rebalance) but never rejoins: the rebalance timeout
        // (30 s), not its session (10 s), ends its membership.
        let hb = HeartbeatRequest {
            group_id: "g".into(),
            generation_id: 1,
            member_id: a.clone(),
            ..Default::default()
        };
        for s in [8, 16, 24] {
            let at = now + Duration::from_secs(s);
            assert_eq!(groups.heartbeat(&hb, at), ErrorCode::RebalanceInProgress);
            groups.tick(at + Duration::from_secs(1));
            assert!(b_rx.try_recv().is_err(), "still waiting for a at {s} s");
        }
        groups.tick(now + Duration::from_secs(31));
        let b_join = b_rx.try_recv().unwrap();
        assert_eq!(b_join.generation_id, 2);
        assert_eq!(groups.get("g").unwrap().member_count(), 1, "a was dropped");
        assert_eq!(groups.heartbeat(&hb, now), ErrorCode::UnknownMemberId);
        // b never syncs nor heartbeats: its session expires, the group empties.
        groups.tick(now + Duration::from_secs(45));
        assert_eq!(groups.get("g").unwrap().state(), GroupState::Empty);
    }

    #[test]
    fn standalone_commits_need_an_empty_group_and_static_members_are_fenced() {
        let mut groups = Groups::default();
        let now = Instant::now();
        assert_eq!(groups.check_commit("solo", -1, "", None, now), Ok(()));
        assert_eq!(
            groups.check_commit("nope", 3, "m", None, now),
            Err(ErrorCode::IllegalGeneration)
        );
        let mut req = join_req("");
        req.group_instance_id = Some("i1".into());
        let first = now_of(groups.join(req.clone(), &ctx(), now));
        assert_eq!(first.error_code, 0, "static members need no second join");
        assert_eq!(
            groups.check_commit("g", -1, "", None, now),
            Err(ErrorCode::UnknownMemberId)
        );
        // The same instance restarts: the old id is fenced.
        let second = now_of(groups.join(req, &ctx(), now));
        assert_ne!(second.member_id, first.member_id);
        let hb = HeartbeatRequest {
            group_id: "g".into(),
            generation_id: second.generation_id,
            member_id: first.member_id.clone(),
            group_instance_id: Some("i1".into()),
            ..Default::default()
        };
        assert_eq!(groups.heartbeat(&hb, now), ErrorCode::FencedInstanceId);
    }

    /// Found by the chaos run (integration-tests/tests/chaos.rs, seed 2): a transactional
    /// commit of a KIP-848 member was checked against the classic group, which does not
    /// know the member, so every TxnOffsetCommit of a KIP-848 consume-transform-produce
    /// loop was refused UNKNOWN_MEMBER_ID.
    #[test]
    fn seed_2_transactional_commits_of_a_kip848_member_check_its_member_epoch() {
        use crate::consumer_group::HeartbeatContext;
        use kafkito_protocol::messages::ConsumerGroupHeartbeatRequest;
        use kafkito_protocol::wire::Uuid;

        let mut groups = Groups::default();
        let now = Instant::now();
        let hctx = HeartbeatContext {
            client_id: "c".into(),
            client_host: "/127.0.0.1".into(),
            topics: [("t".to_owned(), (Uuid([7; 16]), 2))].into_iter().collect(),
            heartbeat_interval_ms: 1_000,
            session_timeout_ms: 45_000,
        };
        let joined = groups.consumer.entry("g".into()).or_default().heartbeat(
            &ConsumerGroupHeartbeatRequest {
                group_id: "g".into(),
                member_id: "m1".into(),
                member_epoch: 0,
                rebalance_timeout_ms: 30_000,
                subscribed_topic_names: Some(vec!["t".into()]),
                topic_partitions: Some(Vec::new()),
                ..Default::default()
            },
            &hctx,
            now,
        );
        assert_eq!(joined.error_code, 0);
        let epoch = joined.member_epoch;
        assert!(epoch > 0);
        assert_eq!(groups.check_txn_commit("g", epoch, "m1", None), Ok(()));
        assert_eq!(
            groups.check_txn_commit("g", epoch - 1, "m1", None),
            Err(ErrorCode::StaleMemberEpoch)
        );
        assert_eq!(
            groups.check_txn_commit("g", epoch, "zombie", None),
            Err(ErrorCode::UnknownMemberId)
        );
        // Without member fields (a producer outside the group) it is not checked, as in Kafka.
        assert_eq!(groups.check_txn_commit("g", -1, "", None), Ok(()));
    }
}
