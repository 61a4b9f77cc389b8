//! The KIP-848 consumer group coordinator (ConsumerGroupHeartbeat, ConsumerGroupDescribe),
//! as plain data: the server computes the target assignment with its `uniform` assignor and
//! walks each member to it with revoke-before-assign reconciliation.
//!
//! Kafka's rules, from its `GroupMetadataManager` and `CurrentAssignmentBuilder`: a member
//! joins with epoch 0; any change of membership, subscriptions or subscribed topics' metadata
//! bumps the group epoch, and the target assignment is recomputed for it. A member whose
//! current partitions include some not in its target first gets only the kept ones (it must
//! revoke the rest) at its current epoch; once it reports no longer owning them it moves to
//! the target epoch and gets its target partitions that no other member still holds (the
//! rest follow as they are released). A heartbeat with an epoch that is neither the member's
//! nor (with a subset of its partitions) its previous one is FENCED_MEMBER_EPOCH; a member
//! that misses its session timeout, or does not revoke within its rebalance timeout, is
//! removed. Epoch -1 leaves; -2 (a static member leaving) keeps the instance's place.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use kafka_protocol::messages::consumer_group_describe_response as describe;
use kafka_protocol::messages::consumer_group_heartbeat_response::{Assignment, TopicPartitions};
use kafka_protocol::messages::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse};
use kafka_protocol::wire::Uuid;
use kafka_protocol::ErrorCode;

/// A partition by topic id.
type Tp = (Uuid, i32);

/// What the coordinator knows of the topics: name → (id, partition count).
pub(crate) type TopicMeta = BTreeMap<String, (Uuid, i32)>;

/// Everything a heartbeat needs besides the request.
#[derive(Debug, Clone)]
pub(crate) struct HeartbeatContext {
    pub client_id: String,
    pub client_host: String,
    pub topics: TopicMeta,
    pub heartbeat_interval_ms: i32,
    pub session_timeout_ms: i32,
}

#[derive(Debug, Clone)]
struct Member {
    epoch: i32,
    previous_epoch: i32,
    instance_id: Option<String>,
    rack_id: Option<String>,
    client_id: String,
    client_host: String,
    subscribed: Vec<String>,
    rebalance_timeout: Duration,
    session_timeout: Duration,
    session_deadline: Instant,
    /// Partitions the member may own now.
    assigned: BTreeSet<Tp>,
    /// Partitions it must give up before it moves on, and until when.
    pending_revocation: BTreeSet<Tp>,
    revocation_deadline: Option<Instant>,
    /// What the client last said it owns (`None`: it never said).
    owned: Option<BTreeSet<Tp>>,
    /// The assignment last sent, to send it again only when it changes.
    last_sent: Option<BTreeSet<Tp>>,
}

/// One KIP-848 group.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConsumerGroup {
    pub epoch: i32,
    pub assignment_epoch: i32,
    members: BTreeMap<String, Member>,
    target: BTreeMap<String, BTreeSet<Tp>>,
    statics: HashMap<String, String>,
    /// The subscribed topics' metadata the target was computed from.
    metadata: TopicMeta,
}

fn to_wire(set: &BTreeSet<Tp>) -> Vec<TopicPartitions> {
    let mut by_topic: BTreeMap<Uuid, Vec<i32>> = BTreeMap::new();
    for (topic, p) in set {
        by_topic.entry(*topic).or_default().push(*p);
    }
    by_topic
        .into_iter()
        .map(|(topic_id, partitions)| TopicPartitions {
            topic_id,
            partitions,
            ..Default::default()
        })
        .collect()
}

fn new_member_id() -> String {
    let b = crate::state::random_uuid().0;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

impl ConsumerGroup {
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn has_member(&self, member_id: &str) -> bool {
        self.members.contains_key(member_id)
    }

    pub fn member_epoch(&self, member_id: &str) -> Option<i32> {
        self.members.get(member_id).map(|m| m.epoch)
    }

    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// Kafka's consumer group states.
    pub fn state_name(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else if self.assignment_epoch < self.epoch {
            "Assigning"
        } else if self.members.iter().any(|(id, m)| {
            m.epoch != self.assignment_epoch
                || !m.pending_revocation.is_empty()
                || self.target.get(id).is_some_and(|t| *t != m.assigned)
        }) {
            "Reconciling"
        } else {
            "Stable"
        }
    }

    fn subscribed_metadata(&self, topics: &TopicMeta) -> TopicMeta {
        let names: BTreeSet<&String> = self.members.values().flat_map(|m| &m.subscribed).collect();
        names
            .into_iter()
            .filter_map(|n| topics.get(n).map(|meta| (n.clone(), *meta)))
            .collect()
    }

    /// The `uniform` assignor: every subscribed partition to one subscribed member, sticky
    /// to the previous target, balanced so that no member has two more than another that
    /// could take one of its partitions.
    fn compute_target(&mut self, topics: &TopicMeta) {
        self.metadata = self.subscribed_metadata(topics);
        let mut all: Vec<(Tp, Vec<String>)> = Vec::new();
        for (name, (id, count)) in &self.metadata {
            let candidates: Vec<String> = self
                .members
                .iter()
                .filter(|(_, m)| m.subscribed.contains(name))
                .map(|(id, _)| id.clone())
                .collect();
            for p in 0..*count {
                all.push(((*id, p), candidates.clone()));
            }
        }
        let previous: HashMap<Tp, String> = self
            .target
            .iter()
            .flat_map(|(m, set)| set.iter().map(move |tp| (*tp, m.clone())))
            .collect();
        let mut target: BTreeMap<String, BTreeSet<Tp>> = self
            .members
            .keys()
            .map(|m| (m.clone(), BTreeSet::new()))
            .collect();
        let mut unassigned = Vec::new();
        for (tp, candidates) in &all {
            match previous.get(tp) {
                Some(owner) if candidates.contains(owner) => {
                    target.entry(owner.clone()).or_default().insert(*tp);
                }
                _ => unassigned.push((*tp, candidates)),
            }
        }
        for (tp, candidates) in unassigned {
            if let Some(best) = candidates
                .iter()
                .min_by_key(|c| (target.get(*c).map_or(0, BTreeSet::len), (*c).clone()))
            {
                target.entry(best.clone()).or_default().insert(tp);
            }
        }
        // Balance: move a partition from its owner to a candidate with two fewer.
        for _ in 0..=all.len() {
            let mut moved = false;
            for (tp, candidates) in &all {
                let Some(owner) = target
                    .iter()
                    .find(|(_, s)| s.contains(tp))
                    .map(|(m, _)| m.clone())
                else {
                    continue;
                };
                let owner_load = target[&owner].len();
                if let Some(least) = candidates
                    .iter()
                    .min_by_key(|c| (target.get(*c).map_or(0, BTreeSet::len), (*c).clone()))
                {
                    if target.get(least).map_or(0, BTreeSet::len) + 1 < owner_load {
                        target.get_mut(&owner).map(|s| s.remove(tp));
                        target.entry(least.clone()).or_default().insert(*tp);
                        moved = true;
                    }
                }
            }
            if !moved {
                break;
            }
        }
        self.target = target;
        self.assignment_epoch = self.epoch;
    }

    /// Moves `member_id` toward its target: revoke first, then assign what is free.
    fn reconcile(&mut self, member_id: &str, now: Instant) {
        let target = self.target.get(member_id).cloned().unwrap_or_default();
        let held_by_others: BTreeSet<Tp> = self
            .members
            .iter()
            .filter(|(id, _)| id.as_str() != member_id)
            .flat_map(|(_, m)| m.assigned.iter().chain(&m.pending_revocation).copied())
            .collect();
        let assignment_epoch = self.assignment_epoch;
        let Some(m) = self.members.get_mut(member_id) else {
            return;
        };
        if !m.pending_revocation.is_empty() {
            let still_owned = m
                .owned
                .as_ref()
                .is_none_or(|owned| owned.iter().any(|tp| m.pending_revocation.contains(tp)));
            if still_owned {
                return;
            }
            m.pending_revocation.clear();
            m.revocation_deadline = None;
        }
        let revoke: BTreeSet<Tp> = m.assigned.difference(&target).copied().collect();
        if !revoke.is_empty() {
            m.assigned = m.assigned.intersection(&target).copied().collect();
            m.pending_revocation = revoke;
            m.revocation_deadline = Some(now + m.rebalance_timeout);
            return;
        }
        let free: BTreeSet<Tp> = target.difference(&held_by_others).copied().collect();
        m.assigned = free;
        if m.epoch != assignment_epoch {
            m.previous_epoch = m.epoch;
            m.epoch = assignment_epoch;
        }
    }

    fn remove_member(&mut self, member_id: &str, why: &str) {
        if let Some(m) = self.members.remove(member_id) {
            if let Some(instance) = &m.instance_id {
                if self.statics.get(instance).map(String::as_str) == Some(member_id) {
                    self.statics.remove(instance);
                }
            }
            self.target.remove(member_id);
            self.epoch += 1;
            tracing::debug!(
                member_id,
                why,
                epoch = self.epoch,
                "consumer group member removed"
            );
        }
    }

    /// ConsumerGroupHeartbeat.
    pub fn heartbeat(
        &mut self,
        req: &ConsumerGroupHeartbeatRequest,
        ctx: &HeartbeatContext,
        now: Instant,
    ) -> ConsumerGroupHeartbeatResponse {
        let error = |code: ErrorCode, message: &str| ConsumerGroupHeartbeatResponse {
            error_code: code.code(),
            error_message: Some(message.to_owned()),
            member_id: (!req.member_id.is_empty()).then(|| req.member_id.clone()),
            member_epoch: -1,
            ..Default::default()
        };
        if req.subscribed_topic_regex.is_some() {
            return error(
                ErrorCode::InvalidRequest,
                "the testkit does not support subscription regexes yet",
            );
        }
        if let Some(assignor) = &req.server_assignor {
            if assignor != "uniform" {
                return error(
                    ErrorCode::UnsupportedAssignor,
                    &format!(
                        "ServerAssignor {assignor} is not supported. Supported assignors: uniform."
                    ),
                );
            }
        }
        let session_timeout = Duration::from_millis(ctx.session_timeout_ms.max(1) as u64);
        let member_id = match req.member_epoch {
            -1 | -2 => {
                // Leaving: dynamic (-1) or static (-2, which frees its instance id too).
                if self.members.contains_key(&req.member_id) {
                    self.remove_member(&req.member_id, "member left");
                }
                return ConsumerGroupHeartbeatResponse {
                    member_id: Some(req.member_id.clone()),
                    member_epoch: req.member_epoch,
                    heartbeat_interval_ms: 0,
                    ..Default::default()
                };
            }
            0 => {
                let Some(subscribed) = &req.subscribed_topic_names else {
                    return error(
                        ErrorCode::InvalidRequest,
                        "SubscribedTopicNames must be set in first request.",
                    );
                };
                let member_id = if req.member_id.is_empty() {
                    new_member_id()
                } else {
                    req.member_id.clone()
                };
                // A static member joining again takes its previous incarnation's place.
                let replaced = req
                    .instance_id
                    .as_ref()
                    .and_then(|i| self.statics.get(i).cloned())
                    .filter(|old| *old != member_id)
                    .and_then(|old| {
                        self.target
                            .remove(&old)
                            .map(|t| (old.clone(), t))
                            .or(Some((old, BTreeSet::new())))
                    });
                let mut inherited = BTreeSet::new();
                if let Some((old, target)) = replaced {
                    if let Some(m) = self.members.remove(&old) {
                        inherited = m.assigned;
                    }
                    self.target.insert(member_id.clone(), target);
                }
                if let Some(instance) = &req.instance_id {
                    self.statics.insert(instance.clone(), member_id.clone());
                }
                let previous = self.members.remove(&member_id);
                let rejoining = previous.is_some();
                self.members.insert(
                    member_id.clone(),
                    Member {
                        epoch: 0,
                        previous_epoch: -1,
                        instance_id: req.instance_id.clone(),
                        rack_id: req.rack_id.clone(),
                        client_id: ctx.client_id.clone(),
                        client_host: ctx.client_host.clone(),
                        subscribed: subscribed.clone(),
                        rebalance_timeout: Duration::from_millis(
                            req.rebalance_timeout_ms.max(0) as u64
                        ),
                        session_timeout,
                        session_deadline: now + session_timeout,
                        assigned: inherited.clone(),
                        pending_revocation: BTreeSet::new(),
                        revocation_deadline: None,
                        owned: Some(BTreeSet::new()),
                        last_sent: None,
                    },
                );
                if inherited.is_empty() || rejoining {
                    self.epoch += 1;
                } else if let Some(m) = self.members.get_mut(&member_id) {
                    // The static member resumes at the group's epoch with its partitions.
                    m.epoch = self.assignment_epoch;
                }
                member_id
            }
            epoch => {
                let Some(m) = self.members.get_mut(&req.member_id) else {
                    return error(ErrorCode::UnknownMemberId, "unknown member id");
                };
                let owned: Option<BTreeSet<Tp>> = req.topic_partitions.as_ref().map(|tps| {
                    tps.iter()
                        .flat_map(|t| t.partitions.iter().map(move |p| (t.topic_id, *p)))
                        .collect()
                });
                if epoch != m.epoch {
                    let lost_response = epoch == m.previous_epoch
                        && owned.as_ref().is_some_and(|o| o.is_subset(&m.assigned));
                    if !lost_response {
                        return error(
                            ErrorCode::FencedMemberEpoch,
                            &format!("member epoch {epoch} is not the current {}", m.epoch),
                        );
                    }
                }
                if let Some(owned) = owned {
                    m.owned = Some(owned);
                }
                m.session_deadline = now + m.session_timeout;
                if req.rebalance_timeout_ms >= 0 {
                    m.rebalance_timeout = Duration::from_millis(req.rebalance_timeout_ms as u64);
                }
                if let Some(subscribed) = &req.subscribed_topic_names {
                    if *subscribed != m.subscribed {
                        m.subscribed = subscribed.clone();
                        self.epoch += 1;
                    }
                }
                req.member_id.clone()
            }
        };
        // Subscribed topics created, deleted or grown change the target too.
        if self.subscribed_metadata(&ctx.topics) != self.metadata {
            self.epoch += 1;
        }
        if self.assignment_epoch < self.epoch {
            self.compute_target(&ctx.topics);
        }
        self.reconcile(&member_id, now);
        let Some(m) = self.members.get_mut(&member_id) else {
            return error(ErrorCode::UnknownMemberId, "unknown member id");
        };
        let send = req.member_epoch == 0
            || m.last_sent.as_ref() != Some(&m.assigned)
            || m.owned
                .as_ref()
                .is_some_and(|o| *o != m.assigned && m.pending_revocation.is_empty());
        let assignment = send.then(|| {
            m.last_sent = Some(m.assigned.clone());
            Assignment {
                topic_partitions: to_wire(&m.assigned),
                ..Default::default()
            }
        });
        ConsumerGroupHeartbeatResponse {
            member_id: Some(member_id),
            member_epoch: m.epoch,
            heartbeat_interval_ms: ctx.heartbeat_interval_ms,
            assignment,
            ..Default::default()
        }
    }

    /// Removes members past their session timeout or their revocation deadline.
    pub fn tick(&mut self, now: Instant) {
        let expired: Vec<(String, &'static str)> = self
            .members
            .iter()
            .filter_map(|(id, m)| {
                if m.session_deadline <= now {
                    Some((id.clone(), "session timeout expired"))
                } else if m.revocation_deadline.is_some_and(|d| d <= now) {
                    Some((id.clone(), "did not revoke within the rebalance timeout"))
                } else {
                    None
                }
            })
            .collect();
        for (id, why) in expired {
            self.remove_member(&id, why);
        }
    }

    /// ConsumerGroupDescribe for this group.
    pub fn describe(&self, group_id: &str) -> describe::DescribedGroup {
        let wire = |set: &BTreeSet<Tp>| describe::Assignment {
            topic_partitions: to_wire(set)
                .into_iter()
                .map(|t| describe::TopicPartitions {
                    topic_id: t.topic_id,
                    topic_name: self
                        .metadata
                        .iter()
                        .find(|(_, (id, _))| *id == t.topic_id)
                        .map(|(n, _)| n.clone())
                        .unwrap_or_default(),
                    partitions: t.partitions,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        describe::DescribedGroup {
            group_id: group_id.to_owned(),
            group_state: self.state_name().into(),
            group_epoch: self.epoch,
            assignment_epoch: self.assignment_epoch,
            assignor_name: "uniform".into(),
            members: self
                .members
                .iter()
                .map(|(id, m)| describe::Member {
                    member_id: id.clone(),
                    instance_id: m.instance_id.clone(),
                    rack_id: m.rack_id.clone(),
                    member_epoch: m.epoch,
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    subscribed_topic_names: m.subscribed.clone(),
                    assignment: wire(&m.assigned),
                    target_assignment: wire(&self.target.get(id).cloned().unwrap_or_default()),
                    member_type: 1,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }
}
