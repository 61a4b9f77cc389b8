//! Partition assignors: the leader's job of turning every member's [`Subscription`] and the
//! topics' partition counts into one [`Assignment`] per member.
//!
//! One assignor per file, each named as Kafka names it in `partition.assignment.strategy`, so
//! members of mixed clients (Java, librdkafka, this one) agree on the protocol name:
//!
//! - [`RangeAssignor`] (`range`): per topic, contiguous ranges to members in member-id order.
//! - [`RoundRobinAssignor`] (`roundrobin`): all partitions dealt out in turn.
//! - [`CooperativeStickyAssignor`] (`cooperative-sticky`): balanced, keeps what members own,
//!   and with KIP-429 never hands a partition to a new owner in the round it is taken away.
//!
//! Assignors are pure functions of their input and deterministic: the same input gives the same
//! assignment, whatever the iteration order of the caller's maps.

use std::collections::BTreeMap;

use super::protocol::{Assignment, Subscription, TopicPartition};

mod cooperative_sticky;
mod range;
mod round_robin;

pub use cooperative_sticky::CooperativeStickyAssignor;
pub use range::RangeAssignor;
pub use round_robin::RoundRobinAssignor;

/// How a group moves partitions between members (KIP-429).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RebalanceProtocol {
    /// Every member gives up all its partitions before it rejoins ("stop the world").
    Eager,
    /// Members keep their partitions across the rebalance and give up only those the new
    /// assignment takes away; a partition changes hands over two rebalances.
    Cooperative,
}

/// A strategy the group leader runs to assign partitions.
///
/// ```
/// # use std::collections::BTreeMap;
/// # use kafkito::consumer::group::{PartitionAssignor, RangeAssignor, Subscription};
/// let partitions = BTreeMap::from([("orders".to_owned(), 3)]);
/// let subscription = Subscription { topics: vec!["orders".into()], ..Default::default() };
/// let members = BTreeMap::from([
///     ("a".to_owned(), subscription.clone()),
///     ("b".to_owned(), subscription),
/// ]);
/// let assignment = RangeAssignor.assign(&partitions, &members);
/// assert_eq!(assignment["a"].partitions.len(), 2);
/// assert_eq!(assignment["b"].partitions.len(), 1);
/// ```
pub trait PartitionAssignor: Send + Sync {
    /// The protocol name members announce in JoinGroup, e.g. `"range"`.
    fn name(&self) -> &'static str;

    /// Whether members using this assignor rebalance eagerly or cooperatively.
    fn protocol(&self) -> RebalanceProtocol;

    /// The `user_data` this member puts in its subscription for this assignor, given its
    /// current generation (-1 if none). None by default.
    fn subscription_user_data(&self, generation_id: i32) -> Option<bytes::Bytes> {
        let _ = generation_id;
        None
    }

    /// Assigns the partitions of `partitions_per_topic` (topic → partition count) to the members
    /// of `subscriptions` (member id → subscription). Every member gets an entry, possibly
    /// empty; topics missing from `partitions_per_topic` are skipped.
    fn assign(
        &self,
        partitions_per_topic: &BTreeMap<String, i32>,
        subscriptions: &BTreeMap<String, Subscription>,
    ) -> BTreeMap<String, Assignment>;
}

/// The partitions of `topic`, in order (none for an unknown topic).
fn partitions_of(partitions_per_topic: &BTreeMap<String, i32>, topic: &str) -> Vec<TopicPartition> {
    let count = partitions_per_topic.get(topic).copied().unwrap_or(0);
    (0..count.max(0))
        .map(|p| TopicPartition::new(topic, p))
        .collect()
}

/// An empty assignment for every member.
fn empty_assignments(
    subscriptions: &BTreeMap<String, Subscription>,
) -> BTreeMap<String, Vec<TopicPartition>> {
    subscriptions
        .keys()
        .map(|m| (m.clone(), Vec::new()))
        .collect()
}

fn into_assignments(
    assigned: BTreeMap<String, Vec<TopicPartition>>,
) -> BTreeMap<String, Assignment> {
    assigned
        .into_iter()
        .map(|(m, partitions)| {
            (
                m,
                Assignment {
                    partitions,
                    user_data: None,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests;
