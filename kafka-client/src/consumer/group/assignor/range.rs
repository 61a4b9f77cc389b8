//! The `range` assignor, as Java's `RangeAssignor`: for each topic on its own, the members
//! subscribed to it, in member-id order, get contiguous ranges of its partitions; the first
//! `partitions % members` get one extra.
//!
//! Because every topic starts again from the first member, members early in the order get more
//! when there are many topics with few partitions; that is the algorithm, kept for compatibility.

use std::collections::BTreeMap;

use super::{
    empty_assignments, into_assignments, partitions_of, PartitionAssignor, RebalanceProtocol,
};
use crate::consumer::group::protocol::{Assignment, Subscription};

/// Kafka's `range` assignor (eager). See the module docs.
#[derive(Clone, Copy, Debug, Default)]
pub struct RangeAssignor;

impl PartitionAssignor for RangeAssignor {
    fn name(&self) -> &'static str {
        "range"
    }

    fn protocol(&self) -> RebalanceProtocol {
        RebalanceProtocol::Eager
    }

    fn assign(
        &self,
        partitions_per_topic: &BTreeMap<String, i32>,
        subscriptions: &BTreeMap<String, Subscription>,
    ) -> BTreeMap<String, Assignment> {
        let mut assigned = empty_assignments(subscriptions);
        // topic -> its members; BTreeMap keys keep member ids sorted.
        let mut members_per_topic: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (member, subscription) in subscriptions {
            for topic in &subscription.topics {
                let members = members_per_topic.entry(topic).or_default();
                if !members.contains(&member.as_str()) {
                    members.push(member);
                }
            }
        }
        for (topic, members) in members_per_topic {
            let partitions = partitions_of(partitions_per_topic, topic);
            let per_member = partitions.len() / members.len();
            let with_extra = partitions.len() % members.len();
            for (i, member) in members.iter().enumerate() {
                let start = per_member * i + i.min(with_extra);
                let length = per_member + usize::from(i < with_extra);
                assigned
                    .get_mut(*member)
                    .expect("every member has an entry")
                    .extend_from_slice(&partitions[start..start + length]);
            }
        }
        into_assignments(assigned)
    }
}
