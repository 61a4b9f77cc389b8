//! The `roundrobin` assignor, as Java's `RoundRobinAssignor`: every partition of every
//! subscribed topic, sorted by topic then partition, is dealt to the members in member-id order,
//! skipping members not subscribed to the partition's topic.
//!
//! With identical subscriptions, members' counts differ by at most one.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    empty_assignments, into_assignments, partitions_of, PartitionAssignor, RebalanceProtocol,
};
use crate::consumer::group::protocol::{Assignment, Subscription};

/// Kafka's `roundrobin` assignor (eager). See the module docs.
#[derive(Clone, Copy, Debug, Default)]
pub struct RoundRobinAssignor;

impl PartitionAssignor for RoundRobinAssignor {
    fn name(&self) -> &'static str {
        "roundrobin"
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
        let members: Vec<&String> = subscriptions.keys().collect();
        if members.is_empty() {
            return BTreeMap::new();
        }
        let topics: BTreeSet<&str> = subscriptions
            .values()
            .flat_map(|s| s.topics.iter().map(String::as_str))
            .collect();
        // A circular cursor over the sorted members that survives across partitions, as Java's
        // `CircularIterator`.
        let mut next = 0;
        for topic in topics {
            for tp in partitions_of(partitions_per_topic, topic) {
                // Someone subscribes to `topic` (it came from a subscription), so this ends.
                loop {
                    let member = members[next % members.len()];
                    next += 1;
                    if subscriptions[member].topics.iter().any(|t| t == topic) {
                        assigned.get_mut(member).expect("entry").push(tp);
                        break;
                    }
                }
            }
        }
        into_assignments(assigned)
    }
}
