//! The KIP-848 consumer group coordinator (ConsumerGroupHeartbeat, ConsumerGroupDescribe),
//! as plain data: the server computes the target assignment with its `uniform` or `range`
//! assignor and walks each member to it with revoke-before-assign reconciliation.
//!
//! The assignors are Kafka's `group.consumer.assignors` default, `[uniform, range]`: a member
//! names one in its heartbeat's ServerAssignor (any other name is UNSUPPORTED_ASSIGNOR), and
//! the group uses the one most of its members name, as Kafka's
//! `ConsumerGroup.computePreferredServerAssignor` does, and the first of the list, `uniform`,
//! when none names one. Kafka breaks a tie in its hash map's order; here the first of the
//! list wins. A member changing only its assignor does not bump the group epoch (on Kafka
//! neither): the choice is made again at the next target computation.
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

use kafkito_protocol::messages::consumer_group_describe_response as describe;
use kafkito_protocol::messages::consumer_group_heartbeat_response::{Assignment, TopicPartitions};
use kafkito_protocol::messages::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse};
use kafkito_protocol::wire::Uuid;
use kafkito_protocol::ErrorCode;

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
    /// The ServerAssignor it named last (`None`: never named one).
    server_assignor: Option<String>,
    /// The subscription regex (KIP-848 v1), matched against whole topic names.
    regex: Option<(String, regex::Regex)>,
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
    /// The assignor the target was computed with (`None`: no target yet).
    assignor: Option<&'static str>,
}

/// Kafka's `group.consumer.assignors` default; the first is the group's default.
pub(crate) const SERVER_ASSIGNORS: [&str; 2] = ["uniform", "range"];

impl Member {
    /// Whether the member subscribes to `topic`, by name or by its regex.
    fn subscribes(&self, topic: &str) -> bool {
        self.subscribed.iter().any(|t| t == topic)
            || self.regex.as_ref().is_some_and(|(_, r)| r.is_match(topic))
    }
}

/// Compiles a subscription regex to match whole topic names (as Kafka's RE2/J `matches`);
/// `None` for the empty string, which clears the regex.
fn compile_regex(pattern: &str) -> Result<Option<(String, regex::Regex)>, String> {
    if pattern.is_empty() {
        return Ok(None);
    }
    regex::Regex::new(&format!("^(?:{pattern})$"))
        .map(|r| Some((pattern.to_owned(), r)))
        .map_err(|e| {
            format!("SubscribedTopicRegex `{pattern}` is not a valid regular expression: {e}")
        })
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
        topics
            .iter()
            .filter(|(name, _)| self.members.values().any(|m| m.subscribes(name)))
            .map(|(name, meta)| (name.clone(), *meta))
            .collect()
    }

    /// The assignor most members name (Kafka's `preferredServerAssignor`); ties and a group
    /// where nobody names one get the first of [`SERVER_ASSIGNORS`].
    fn preferred_assignor(&self) -> &'static str {
        let count = |name: &str| {
            self.members
                .values()
                .filter(|m| m.server_assignor.as_deref() == Some(name))
                .count()
        };
        let mut best = SERVER_ASSIGNORS[0];
        for name in SERVER_ASSIGNORS {
            if count(name) > count(best) {
                best = name;
            }
        }
        best
    }

    /// Recomputes the target assignment for the group epoch with the preferred assignor.
    fn compute_target(&mut self, topics: &TopicMeta) {
        self.metadata = self.subscribed_metadata(topics);
        let assignor = self.preferred_assignor();
        self.target = match assignor {
            "range" => self.assign_range(),
            _ => self.assign_uniform(),
        };
        self.assignor = Some(assignor);
        self.assignment_epoch = self.epoch;
    }

    /// The `range` assignor, as Kafka's server-side `RangeAssignor`: per topic, its
    /// subscribed members (here in member id order) each get `partitions / members`
    /// partitions and the first `partitions % members` of them one more, in contiguous
    /// ranges, so that topics with the same partition count (co-partitioned topics) give
    /// the same partition numbers to the same member. It is sticky too: a member first keeps
    /// the lowest-numbered of its previous target partitions up to its quota (one more
    /// while extra slots remain), and the partitions nobody kept are dealt out in ascending
    /// order to the members still short, in member order.
    fn assign_range(&self) -> BTreeMap<String, BTreeSet<Tp>> {
        let mut target: BTreeMap<String, BTreeSet<Tp>> = self
            .members
            .keys()
            .map(|m| (m.clone(), BTreeSet::new()))
            .collect();
        for (name, (topic, count)) in &self.metadata {
            let members: Vec<&String> = self
                .members
                .iter()
                .filter(|(_, m)| m.subscribes(name))
                .map(|(id, _)| id)
                .collect();
            if members.is_empty() {
                continue;
            }
            let quota = *count as usize / members.len();
            let mut extra = *count as usize % members.len();
            let mut kept: BTreeSet<i32> = BTreeSet::new();
            // Members short of their quota (or exactly at it: they may get an extra one),
            // with how many they still need.
            let mut unfilled: Vec<(&String, usize)> = Vec::new();
            for member in &members {
                // The previous target's partitions of this topic, ascending.
                let previous: Vec<i32> = self
                    .target
                    .get(*member)
                    .map(|set| {
                        set.iter()
                            .filter(|(t, p)| t == topic && *p < *count)
                            .map(|(_, p)| *p)
                            .collect()
                    })
                    .unwrap_or_default();
                let retain = previous.len().min(quota);
                let mine = target.entry((*member).clone()).or_default();
                for p in &previous[..retain] {
                    kept.insert(*p);
                    mine.insert((*topic, *p));
                }
                if previous.len() > quota && extra > 0 {
                    extra -= 1;
                    kept.insert(previous[quota]);
                    mine.insert((*topic, previous[quota]));
                } else {
                    unfilled.push((member, quota.saturating_sub(previous.len())));
                }
            }
            let mut free = (0..*count).filter(|p| !kept.contains(p));
            for (member, mut remaining) in unfilled {
                if extra > 0 {
                    remaining += 1;
                    extra -= 1;
                }
                let mine = target.entry(member.clone()).or_default();
                for p in free.by_ref().take(remaining) {
                    mine.insert((*topic, p));
                }
            }
        }
        target
    }

    /// The `uniform` assignor: every subscribed partition to one subscribed member, sticky
    /// to the previous target, balanced so that no member has two more than another that
    /// could take one of its partitions.
    fn assign_uniform(&self) -> BTreeMap<String, BTreeSet<Tp>> {
        let mut all: Vec<(Tp, Vec<String>)> = Vec::new();
        for (name, (id, count)) in &self.metadata {
            let candidates: Vec<String> = self
                .members
                .iter()
                .filter(|(_, m)| m.subscribes(name))
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
        target
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
        // `None`: unchanged; an empty regex clears it (librdkafka sends "" when it subscribes
        // by names only).
        let regex = match req.subscribed_topic_regex.as_deref().map(compile_regex) {
            None => None,
            Some(Ok(compiled)) => Some(compiled),
            Some(Err(message)) => return error(ErrorCode::InvalidRegularExpression, &message),
        };
        if let Some(assignor) = &req.server_assignor {
            if !SERVER_ASSIGNORS.contains(&assignor.as_str()) {
                return error(
                    ErrorCode::UnsupportedAssignor,
                    &format!(
                        "ServerAssignor {assignor} is not supported. Supported assignors: {}.",
                        SERVER_ASSIGNORS.join(", ")
                    ),
                );
            }
        }
        let session_timeout = Duration::from_millis(ctx.session_timeout_ms.max(1) as u64);
        // Whether this heartbeat changes the group (one epoch bump however many changes).
        let mut bump = false;
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
                if req.subscribed_topic_names.is_none() && regex.is_none() {
                    return error(
                        ErrorCode::InvalidRequest,
                        "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.",
                    );
                }
                let subscribed = req.subscribed_topic_names.clone().unwrap_or_default();
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
                        server_assignor: req.server_assignor.clone(),
                        regex: regex.clone().flatten(),
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
                    bump = true;
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
                        bump = true;
                    }
                }
                // A new assignor alone does not bump the group epoch (Kafka's
                // `hasMemberSubscriptionChanged` looks at the subscription only): it is used
                // from the next target computation on.
                if let Some(assignor) = &req.server_assignor {
                    m.server_assignor = Some(assignor.clone());
                }
                if let Some(regex) = regex {
                    let changed =
                        m.regex.as_ref().map(|(src, _)| src) != regex.as_ref().map(|(src, _)| src);
                    if changed {
                        m.regex = regex;
                        bump = true;
                    }
                }
                req.member_id.clone()
            }
        };
        // Subscribed topics created, deleted or grown change the target too.
        if bump || self.subscribed_metadata(&ctx.topics) != self.metadata {
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
            assignor_name: self
                .assignor
                .unwrap_or_else(|| self.preferred_assignor())
                .into(),
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
                    subscribed_topic_regex: m.regex.as_ref().map(|(src, _)| src.clone()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use kafkito_protocol::messages::consumer_group_heartbeat_request::TopicPartitions as Owned;

    const T: Uuid = Uuid([7; 16]);

    fn ctx() -> HeartbeatContext {
        HeartbeatContext {
            client_id: "c".into(),
            client_host: "/127.0.0.1".into(),
            topics: [("t".to_owned(), (T, 4))].into_iter().collect(),
            heartbeat_interval_ms: 1_000,
            session_timeout_ms: 45_000,
        }
    }

    fn join(member: &str) -> ConsumerGroupHeartbeatRequest {
        ConsumerGroupHeartbeatRequest {
            group_id: "g".into(),
            member_id: member.into(),
            member_epoch: 0,
            rebalance_timeout_ms: 30_000,
            subscribed_topic_names: Some(vec!["t".into()]),
            topic_partitions: Some(Vec::new()),
            ..Default::default()
        }
    }

    fn beat(member: &str, epoch: i32, owned: Option<&[i32]>) -> ConsumerGroupHeartbeatRequest {
        ConsumerGroupHeartbeatRequest {
            group_id: "g".into(),
            member_id: member.into(),
            member_epoch: epoch,
            topic_partitions: owned.map(|ps| {
                vec![Owned {
                    topic_id: T,
                    partitions: ps.to_vec(),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        }
    }

    fn partitions(r: &ConsumerGroupHeartbeatResponse) -> Option<Vec<i32>> {
        r.assignment.as_ref().map(|a| {
            a.topic_partitions
                .iter()
                .flat_map(|t| t.partitions.clone())
                .collect()
        })
    }

    #[test]
    fn revoke_before_assign() {
        let mut g = ConsumerGroup::default();
        let now = Instant::now();
        let a = g.heartbeat(&join("a"), &ctx(), now);
        assert_eq!(
            (a.member_epoch, partitions(&a)),
            (1, Some(vec![0, 1, 2, 3]))
        );
        // b joins: it moves to the new epoch but gets nothing until a has revoked half.
        let b = g.heartbeat(&join("b"), &ctx(), now);
        assert_eq!(b.member_epoch, 2);
        assert_eq!(partitions(&b), Some(vec![]));
        let a2 = g.heartbeat(&beat("a", 1, None), &ctx(), now);
        assert_eq!(a2.member_epoch, 1, "a stays at its epoch until it revokes");
        let kept = partitions(&a2).unwrap();
        assert_eq!(kept.len(), 2);
        let b2 = g.heartbeat(&beat("b", 2, Some(&[])), &ctx(), now);
        assert_eq!(partitions(&b2), None, "b still waits: a has not released");
        let a3 = g.heartbeat(&beat("a", 1, Some(&kept)), &ctx(), now);
        assert_eq!(
            a3.member_epoch, 2,
            "revocation acknowledged: a moves to the new epoch"
        );
        let b3 = g.heartbeat(&beat("b", 2, Some(&[])), &ctx(), now);
        assert_eq!(b3.member_epoch, 2);
        let mut all = [kept, partitions(&b3).unwrap()].concat();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2, 3]);
        assert_eq!(g.state_name(), "Stable");
        let described = g.describe("g");
        assert_eq!(
            (
                described.group_state.as_str(),
                described.group_epoch,
                described.members.len()
            ),
            ("Stable", 2, 2)
        );
        assert!(described
            .members
            .iter()
            .all(|m| m.assignment == m.target_assignment));
        // An epoch that is neither the current nor the previous one is fenced; leaving and a
        // session timeout empty the group.
        let fenced = g.heartbeat(&beat("a", 7, Some(&[])), &ctx(), now);
        assert_eq!(
            ErrorCode::from_code(fenced.error_code),
            ErrorCode::FencedMemberEpoch
        );
        g.heartbeat(&beat("a", -1, None), &ctx(), now);
        assert_eq!(g.member_count(), 1);
        g.tick(now + Duration::from_secs(46));
        assert_eq!(g.state_name(), "Empty", "b's session expired");
    }

    #[test]
    fn regex_subscriptions_match_whole_topic_names() {
        let mut ctx = ctx();
        ctx.topics.insert("tx".into(), (Uuid([8; 16]), 2));
        ctx.topics.insert("other".into(), (Uuid([9; 16]), 3));
        let mut g = ConsumerGroup::default();
        let mut req = join("r");
        req.subscribed_topic_names = None;
        req.subscribed_topic_regex = Some("t.*".into());
        let r = g.heartbeat(&req, &ctx, Instant::now());
        assert_eq!(r.error_code, 0);
        let topics: BTreeSet<Uuid> = r
            .assignment
            .unwrap()
            .topic_partitions
            .iter()
            .map(|t| t.topic_id)
            .collect();
        assert_eq!(
            topics,
            [T, Uuid([8; 16])].into_iter().collect(),
            "t and tx, not other"
        );
        let mut bad = join("s");
        bad.subscribed_topic_regex = Some("(".into());
        let r = g.heartbeat(&bad, &ctx, Instant::now());
        assert_eq!(
            ErrorCode::from_code(r.error_code),
            ErrorCode::InvalidRegularExpression
        );
    }
}

#[cfg(test)]
mod range_tests {
    use super::*;

    const T: Uuid = Uuid([1; 16]);
    const U: Uuid = Uuid([2; 16]);
    const V: Uuid = Uuid([3; 16]);

    /// t and u are co-partitioned (7 partitions each); v has 2.
    fn ctx() -> HeartbeatContext {
        HeartbeatContext {
            client_id: "c".into(),
            client_host: "/127.0.0.1".into(),
            topics: [
                ("t".to_owned(), (T, 7)),
                ("u".to_owned(), (U, 7)),
                ("v".to_owned(), (V, 2)),
            ]
            .into_iter()
            .collect(),
            heartbeat_interval_ms: 1_000,
            session_timeout_ms: 45_000,
        }
    }

    fn join(
        member: &str,
        topics: &[&str],
        assignor: Option<&str>,
    ) -> ConsumerGroupHeartbeatRequest {
        ConsumerGroupHeartbeatRequest {
            group_id: "g".into(),
            member_id: member.into(),
            member_epoch: 0,
            rebalance_timeout_ms: 30_000,
            subscribed_topic_names: Some(topics.iter().map(|t| (*t).to_owned()).collect()),
            server_assignor: assignor.map(str::to_owned),
            topic_partitions: Some(Vec::new()),
            ..Default::default()
        }
    }

    /// The target of `member` for `topic`, ascending.
    fn target(g: &ConsumerGroup, member: &str, topic: Uuid) -> Vec<i32> {
        g.target[member]
            .iter()
            .filter(|(t, _)| *t == topic)
            .map(|(_, p)| *p)
            .collect()
    }

    #[test]
    fn range_gives_contiguous_co_partitioned_ranges_earlier_members_one_more() {
        let mut g = ConsumerGroup::default();
        let now = Instant::now();
        for (m, topics) in [
            ("a", &["t", "u"][..]),
            ("b", &["t", "u", "v"]),
            ("c", &["t", "u", "v"]),
        ] {
            let r = g.heartbeat(&join(m, topics, Some("range")), &ctx(), now);
            assert_eq!(r.error_code, 0);
        }
        // From scratch (no previous target), as for a group whose members all joined at once.
        g.target.clear();
        g.compute_target(&ctx().topics);
        assert_eq!(g.assignor, Some("range"));
        for topic in [T, U] {
            assert_eq!(target(&g, "a", topic), vec![0, 1, 2]);
            assert_eq!(target(&g, "b", topic), vec![3, 4]);
            assert_eq!(target(&g, "c", topic), vec![5, 6]);
        }
        assert_eq!(
            target(&g, "a", V),
            Vec::<i32>::new(),
            "a does not subscribe to v"
        );
        assert_eq!(target(&g, "b", V), vec![0]);
        assert_eq!(target(&g, "c", V), vec![1]);
        assert_eq!(g.describe("g").assignor_name, "range");
    }

    #[test]
    fn range_is_sticky_like_kafkas() {
        let mut g = ConsumerGroup::default();
        let now = Instant::now();
        g.heartbeat(&join("a", &["t"], Some("range")), &ctx(), now);
        assert_eq!(target(&g, "a", T), vec![0, 1, 2, 3, 4, 5, 6]);
        // b joins: quota 3, one extra; a keeps its lowest 3 plus the extra one.
        g.heartbeat(&join("b", &["t"], Some("range")), &ctx(), now);
        assert_eq!(target(&g, "a", T), vec![0, 1, 2, 3]);
        assert_eq!(target(&g, "b", T), vec![4, 5, 6]);
        // c joins: quota 2, one extra (taken by a, the first over quota); b keeps 4, 5 and c
        // gets what nobody kept.
        g.heartbeat(&join("c", &["t"], Some("range")), &ctx(), now);
        assert_eq!(target(&g, "a", T), vec![0, 1, 2]);
        assert_eq!(target(&g, "b", T), vec![4, 5]);
        assert_eq!(target(&g, "c", T), vec![3, 6]);
        // c leaves: a (at quota) takes the extra one, b fills its quota.
        g.heartbeat(
            &ConsumerGroupHeartbeatRequest {
                group_id: "g".into(),
                member_id: "c".into(),
                member_epoch: -1,
                ..Default::default()
            },
            &ctx(),
            now,
        );
        g.heartbeat(&join("a", &["t"], None), &ctx(), now);
        assert_eq!(target(&g, "a", T), vec![0, 1, 2, 3]);
        assert_eq!(target(&g, "b", T), vec![4, 5, 6]);
    }

    #[test]
    fn the_assignor_most_members_name_wins_and_unknown_names_are_refused() {
        let mut g = ConsumerGroup::default();
        let now = Instant::now();
        g.heartbeat(&join("a", &["t"], None), &ctx(), now);
        assert_eq!(g.assignor, Some("uniform"), "the default is the first");
        g.heartbeat(&join("b", &["t"], Some("range")), &ctx(), now);
        assert_eq!(g.assignor, Some("range"), "one for range, none for uniform");
        g.heartbeat(&join("c", &["t"], Some("uniform")), &ctx(), now);
        assert_eq!(
            g.assignor,
            Some("uniform"),
            "a tie goes to the first of the list"
        );
        let r = g.heartbeat(&join("d", &["t"], Some("sticky")), &ctx(), now);
        assert_eq!(
            ErrorCode::from_code(r.error_code),
            ErrorCode::UnsupportedAssignor
        );
        assert_eq!(
            r.error_message.as_deref(),
            Some("ServerAssignor sticky is not supported. Supported assignors: uniform, range.")
        );
        assert!(!g.has_member("d"));
    }
}
