//! The `cooperative-sticky` assignor: Kafka's `CooperativeStickyAssignor` in behaviour (KIP-54
//! stickiness, KIP-429 cooperative rebalancing), though not its exact code.
//!
//! Three steps, each deterministic:
//!
//! 1. **Keep what is owned.** A member keeps the partitions its subscription says it owns, if the
//!    partition still exists and the member still subscribes to its topic. When two members
//!    claim one partition, the claim with the higher `generation_id` wins (the other is stale);
//!    a tie at the same generation is a conflict, and neither keeps it.
//! 2. **Place the rest.** Every unowned partition goes to the eligible member with the fewest
//!    partitions (ties: lower member id); partitions with fewer eligible members go first.
//! 3. **Balance with the fewest moves.** While some member has at least two more partitions than
//!    a member that could take one of them, move one partition from the fullest such member to
//!    the emptiest. Partitions the giver did not own before move first, as they cost no
//!    revocation. Each move lowers the sum of squared counts, so this ends; with identical
//!    subscriptions it ends with counts within one of each other, having moved no more than
//!    that balance needs.
//!
//! Then the cooperative rule: a partition whose owner changes is left out of the new owner's
//! assignment this round. Its old owner sees it missing, revokes it and rejoins, and the next
//! rebalance (where nobody owns it) gives it to the new owner.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    empty_assignments, into_assignments, partitions_of, PartitionAssignor, RebalanceProtocol,
};
use crate::consumer::group::protocol::{Assignment, Subscription, TopicPartition};

/// Kafka's `cooperative-sticky` assignor. See the module docs.
#[derive(Clone, Copy, Debug, Default)]
pub struct CooperativeStickyAssignor;

impl PartitionAssignor for CooperativeStickyAssignor {
    fn name(&self) -> &'static str {
        "cooperative-sticky"
    }

    fn protocol(&self) -> RebalanceProtocol {
        RebalanceProtocol::Cooperative
    }

    /// The generation as a big-endian `i32`, as Java's `CooperativeStickyAssignor` writes it:
    /// leaders on subscription v0/v1, which lack `generation_id`, read it from here.
    fn subscription_user_data(&self, generation_id: i32) -> Option<bytes::Bytes> {
        Some(bytes::Bytes::copy_from_slice(&generation_id.to_be_bytes()))
    }

    fn assign(
        &self,
        partitions_per_topic: &BTreeMap<String, i32>,
        subscriptions: &BTreeMap<String, Subscription>,
    ) -> BTreeMap<String, Assignment> {
        let sticky = sticky_assignment(partitions_per_topic, subscriptions);
        let owners = previous_owners(partitions_per_topic, subscriptions);
        // KIP-429: nobody gets a partition another member must first give up.
        let assigned = sticky
            .into_iter()
            .map(|(member, partitions)| {
                let kept = partitions
                    .into_iter()
                    .filter(|tp| owners.get(tp).is_none_or(|owner| *owner == member))
                    .collect();
                (member, kept)
            })
            .collect();
        into_assignments(assigned)
    }
}

/// Whether `member` may be given partitions of `topic`.
fn subscribes(subscription: &Subscription, topic: &str) -> bool {
    subscription.topics.iter().any(|t| t == topic)
}

/// The generation a member owned its partitions in: the subscription's `generation_id` (v2+),
/// else the generation an older member wrote in its user data, else -1.
fn generation_of(subscription: &Subscription) -> i32 {
    if subscription.generation_id >= 0 {
        return subscription.generation_id;
    }
    match subscription.user_data.as_deref() {
        Some(&[a, b, c, d]) => i32::from_be_bytes([a, b, c, d]),
        _ => -1,
    }
}

/// Each existing, still-subscribed partition's rightful previous owner (step 1 of the module
/// docs).
fn previous_owners(
    partitions_per_topic: &BTreeMap<String, i32>,
    subscriptions: &BTreeMap<String, Subscription>,
) -> BTreeMap<TopicPartition, String> {
    // partition -> (generation, owner, conflicted at this generation)
    let mut claims: BTreeMap<&TopicPartition, (i32, &str, bool)> = BTreeMap::new();
    for (member, subscription) in subscriptions {
        for tp in &subscription.owned_partitions {
            let exists = partitions_per_topic
                .get(&tp.topic)
                .is_some_and(|&n| (0..n).contains(&tp.partition));
            if !exists || !subscribes(subscription, &tp.topic) {
                continue;
            }
            let generation = generation_of(subscription);
            match claims.get_mut(tp) {
                None => {
                    claims.insert(tp, (generation, member, false));
                }
                Some(claim) if generation > claim.0 => *claim = (generation, member, false),
                Some(claim) if generation == claim.0 && claim.1 != member => claim.2 = true,
                Some(_) => {}
            }
        }
    }
    claims
        .into_iter()
        .filter(|(_, (_, _, conflicted))| !conflicted)
        .map(|(tp, (_, owner, _))| (tp.clone(), owner.to_owned()))
        .collect()
}

/// The balanced, sticky assignment before the cooperative rule (steps 1–3).
fn sticky_assignment(
    partitions_per_topic: &BTreeMap<String, i32>,
    subscriptions: &BTreeMap<String, Subscription>,
) -> BTreeMap<String, Vec<TopicPartition>> {
    let owners = previous_owners(partitions_per_topic, subscriptions);
    let mut current: BTreeMap<String, BTreeSet<TopicPartition>> = empty_assignments(subscriptions)
        .into_keys()
        .map(|m| (m, BTreeSet::new()))
        .collect();
    for (tp, owner) in &owners {
        current
            .get_mut(owner)
            .expect("owners are members")
            .insert(tp.clone());
    }

    // Step 2: the unowned partitions, most constrained first.
    let topics: BTreeSet<&str> = subscriptions
        .values()
        .flat_map(|s| s.topics.iter().map(String::as_str))
        .collect();
    let eligible = |topic: &str| -> Vec<&String> {
        subscriptions
            .iter()
            .filter(|(_, s)| subscribes(s, topic))
            .map(|(m, _)| m)
            .collect()
    };
    let mut unowned: Vec<(usize, TopicPartition)> = topics
        .iter()
        .flat_map(|t| partitions_of(partitions_per_topic, t))
        .filter(|tp| !owners.contains_key(tp))
        .map(|tp| (eligible(&tp.topic).len(), tp))
        .collect();
    unowned.sort();
    for (_, tp) in unowned {
        let to = eligible(&tp.topic)
            .into_iter()
            .min_by_key(|m| (current[*m].len(), *m))
            .expect("a subscribed topic has a member")
            .clone();
        current.get_mut(&to).expect("member").insert(tp);
    }

    // Step 3: move from the fullest to the emptiest until no move helps.
    while let Some((from, to, tp)) = best_move(&current, subscriptions, &owners) {
        current.get_mut(&from).expect("member").remove(&tp);
        current.get_mut(&to).expect("member").insert(tp);
    }

    current
        .into_iter()
        .map(|(m, ps)| (m, ps.into_iter().collect()))
        .collect()
}

/// One move that narrows the imbalance: from the member with the most partitions that can give
/// one away, to the emptiest member that may take it, preferring partitions the giver did not
/// own before. `None` when no member has two more than a member that could take one of them.
fn best_move(
    current: &BTreeMap<String, BTreeSet<TopicPartition>>,
    subscriptions: &BTreeMap<String, Subscription>,
    owners: &BTreeMap<TopicPartition, String>,
) -> Option<(String, String, TopicPartition)> {
    let mut givers: Vec<(&String, usize)> = current.iter().map(|(m, ps)| (m, ps.len())).collect();
    // Fullest first; ties by member id. The emptiest ends up last.
    givers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let emptiest = givers.last().map_or(0, |g| g.1);
    for (from, count) in givers {
        if count < emptiest + 2 {
            break; // nobody left has two more than anyone
        }
        // Newly placed partitions first, then owned ones; the highest partition first, so the
        // low ones (often the busiest in practice) stay put.
        let mut candidates: Vec<&TopicPartition> = current[from].iter().collect();
        candidates.sort_by_key(|tp| (owners.get(*tp) == Some(from), std::cmp::Reverse(*tp)));
        for tp in candidates {
            let taker = current
                .iter()
                .filter(|(m, ps)| {
                    *m != from && ps.len() + 1 < count && subscribes(&subscriptions[*m], &tp.topic)
                })
                .min_by_key(|(m, ps)| (ps.len(), *m));
            if let Some((to, _)) = taker {
                return Some((from.clone(), to.clone(), tp.clone()));
            }
        }
    }
    None
}
