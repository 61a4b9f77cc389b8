//! Properties every assignor must keep, plus known answers from Java's assignor tests.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition::new(topic, partition)
}

fn sub(topics: &[&str]) -> Subscription {
    Subscription {
        topics: topics.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    }
}

fn all_partitions(ppt: &BTreeMap<String, i32>) -> BTreeSet<TopicPartition> {
    ppt.iter()
        .flat_map(|(t, &n)| (0..n).map(move |p| tp(t, p)))
        .collect()
}

/// partition -> how many members got it.
fn counts(a: &BTreeMap<String, Assignment>) -> BTreeMap<TopicPartition, usize> {
    let mut c = BTreeMap::new();
    for assignment in a.values() {
        for p in &assignment.partitions {
            *c.entry(p.clone()).or_insert(0) += 1;
        }
    }
    c
}

fn spread(a: &BTreeMap<String, Assignment>) -> usize {
    let sizes: Vec<usize> = a.values().map(|x| x.partitions.len()).collect();
    sizes.iter().max().unwrap_or(&0) - sizes.iter().min().unwrap_or(&0)
}

/// Members' next subscriptions: they own what `a` gave them, at `generation`.
fn owning(
    subs: &BTreeMap<String, Subscription>,
    a: &BTreeMap<String, Assignment>,
    generation: i32,
) -> BTreeMap<String, Subscription> {
    subs.iter()
        .map(|(m, s)| {
            let mut s = s.clone();
            s.owned_partitions = a.get(m).map(|x| x.partitions.clone()).unwrap_or_default();
            s.generation_id = generation;
            (m.clone(), s)
        })
        .collect()
}

#[test]
fn range_matches_java() {
    // RangeAssignorTest.testTwoConsumersTwoTopicsSixPartitions
    let ppt = BTreeMap::from([("t1".to_owned(), 3), ("t2".to_owned(), 3)]);
    let subs = BTreeMap::from([
        ("consumer1".to_owned(), sub(&["t1", "t2"])),
        ("consumer2".to_owned(), sub(&["t1", "t2"])),
    ]);
    let a = RangeAssignor.assign(&ppt, &subs);
    assert_eq!(
        a["consumer1"].partitions,
        vec![tp("t1", 0), tp("t1", 1), tp("t2", 0), tp("t2", 1)]
    );
    assert_eq!(a["consumer2"].partitions, vec![tp("t1", 2), tp("t2", 2)]);
}

#[test]
fn range_only_subscribers_share_a_topic() {
    // RangeAssignorTest.testTwoConsumersOneTopicOnePartition and a non-subscriber.
    let ppt = BTreeMap::from([("t1".to_owned(), 1), ("t2".to_owned(), 2)]);
    let subs = BTreeMap::from([
        ("a".to_owned(), sub(&["t1"])),
        ("b".to_owned(), sub(&["t1", "t2"])),
        ("c".to_owned(), sub(&["missing"])),
    ]);
    let a = RangeAssignor.assign(&ppt, &subs);
    assert_eq!(a["a"].partitions, vec![tp("t1", 0)]);
    assert_eq!(a["b"].partitions, vec![tp("t2", 0), tp("t2", 1)]);
    assert!(a["c"].partitions.is_empty());
}

#[test]
fn round_robin_matches_java() {
    // RoundRobinAssignorTest.testTwoConsumersTwoTopicsSixPartitions
    let ppt = BTreeMap::from([("t1".to_owned(), 3), ("t2".to_owned(), 3)]);
    let subs = BTreeMap::from([
        ("consumer1".to_owned(), sub(&["t1", "t2"])),
        ("consumer2".to_owned(), sub(&["t1", "t2"])),
    ]);
    let a = RoundRobinAssignor.assign(&ppt, &subs);
    assert_eq!(
        a["consumer1"].partitions,
        vec![tp("t1", 0), tp("t1", 2), tp("t2", 1)]
    );
    assert_eq!(
        a["consumer2"].partitions,
        vec![tp("t1", 1), tp("t2", 0), tp("t2", 2)]
    );
}

#[test]
fn round_robin_skips_unsubscribed_members() {
    // RoundRobinAssignorTest.testMultipleConsumersMixedTopics
    let ppt = BTreeMap::from([("t1".to_owned(), 3), ("t2".to_owned(), 2)]);
    let subs = BTreeMap::from([
        ("consumer1".to_owned(), sub(&["t1"])),
        ("consumer2".to_owned(), sub(&["t1", "t2"])),
        ("consumer3".to_owned(), sub(&["t1"])),
    ]);
    let a = RoundRobinAssignor.assign(&ppt, &subs);
    assert_eq!(a["consumer1"].partitions, vec![tp("t1", 0)]);
    assert_eq!(
        a["consumer2"].partitions,
        vec![tp("t1", 1), tp("t2", 0), tp("t2", 1)]
    );
    assert_eq!(a["consumer3"].partitions, vec![tp("t1", 2)]);
}

#[test]
fn sticky_revokes_before_reassigning() {
    // a owns everything; b joins: b gets nothing yet, a keeps only its share.
    let ppt = BTreeMap::from([("t".to_owned(), 4)]);
    let mut a_sub = sub(&["t"]);
    a_sub.owned_partitions = (0..4).map(|p| tp("t", p)).collect();
    a_sub.generation_id = 1;
    let subs = BTreeMap::from([("a".to_owned(), a_sub), ("b".to_owned(), sub(&["t"]))]);
    let first = CooperativeStickyAssignor.assign(&ppt, &subs);
    assert_eq!(first["a"].partitions, vec![tp("t", 0), tp("t", 1)]);
    assert!(first["b"].partitions.is_empty());
    // Second round: a owns its two, nobody owns the rest, so b gets them.
    let second = CooperativeStickyAssignor.assign(&ppt, &owning(&subs, &first, 2));
    assert_eq!(second["a"].partitions, vec![tp("t", 0), tp("t", 1)]);
    assert_eq!(second["b"].partitions, vec![tp("t", 2), tp("t", 3)]);
}

#[test]
fn sticky_stale_generation_loses_a_conflict() {
    let ppt = BTreeMap::from([("t".to_owned(), 2)]);
    let mut old = sub(&["t"]);
    old.owned_partitions = vec![tp("t", 0)];
    old.generation_id = 3;
    let mut new = sub(&["t"]);
    new.owned_partitions = vec![tp("t", 0)];
    new.generation_id = 4;
    let subs = BTreeMap::from([("a".to_owned(), old), ("b".to_owned(), new)]);
    let a = CooperativeStickyAssignor.assign(&ppt, &subs);
    assert_eq!(a["b"].partitions, vec![tp("t", 0)]);
    assert_eq!(a["a"].partitions, vec![tp("t", 1)]);
}

fn arb_group(
    equal: bool,
) -> impl Strategy<Value = (BTreeMap<String, i32>, BTreeMap<String, Subscription>)> {
    let topics = proptest::collection::btree_map("t[0-4]", 0i32..12, 1..4);
    (topics, 1usize..7, any::<u64>()).prop_map(move |(ppt, members, seed)| {
        let names: Vec<String> = ppt.keys().cloned().collect();
        let subs = (0..members)
            .map(|i| {
                let topics: Vec<String> = if equal {
                    names.clone()
                } else {
                    // A deterministic, non-empty subset per member.
                    let mask = (seed >> (i * 4)) as usize | 1 << (i % names.len());
                    names
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| mask & (1 << j) != 0)
                        .map(|(_, t)| t.clone())
                        .collect()
                };
                (
                    format!("member-{i:02}"),
                    Subscription {
                        topics,
                        ..Default::default()
                    },
                )
            })
            .collect();
        (ppt, subs)
    })
}

fn assignors() -> Vec<Box<dyn PartitionAssignor>> {
    vec![
        Box::new(RangeAssignor),
        Box::new(RoundRobinAssignor),
        Box::new(CooperativeStickyAssignor),
    ]
}

proptest! {
    #[test]
    fn every_partition_once_to_a_subscriber((ppt, subs) in arb_group(false)) {
        for assignor in assignors() {
            let a = assignor.assign(&ppt, &subs);
            prop_assert_eq!(a.keys().collect::<Vec<_>>(), subs.keys().collect::<Vec<_>>());
            let c = counts(&a);
            let subscribed: BTreeSet<TopicPartition> = all_partitions(&ppt)
                .into_iter()
                .filter(|p| subs.values().any(|s| s.topics.contains(&p.topic)))
                .collect();
            prop_assert_eq!(c.keys().cloned().collect::<BTreeSet<_>>(), subscribed, "{}", assignor.name());
            prop_assert!(c.values().all(|&n| n == 1), "{}", assignor.name());
            for (m, x) in &a {
                prop_assert!(x.partitions.iter().all(|p| subs[m].topics.contains(&p.topic)));
            }
        }
    }

    #[test]
    fn balanced_when_subscriptions_are_equal((ppt, subs) in arb_group(true)) {
        prop_assert!(spread(&RoundRobinAssignor.assign(&ppt, &subs)) <= 1);
        prop_assert!(spread(&CooperativeStickyAssignor.assign(&ppt, &subs)) <= 1);
    }

    #[test]
    fn deterministic((ppt, subs) in arb_group(false)) {
        for assignor in assignors() {
            prop_assert_eq!(assignor.assign(&ppt, &subs), assignor.assign(&ppt, &subs));
        }
    }

    /// A member joins a balanced group: at most ceil(P/M) partitions change owner, none is
    /// given to two members, and one more round completes a balanced assignment.
    #[test]
    fn sticky_join_moves_little((ppt, subs) in arb_group(true)) {
        let sticky = CooperativeStickyAssignor;
        let first = sticky.assign(&ppt, &subs);
        let mut joined = owning(&subs, &first, 1);
        let topics = subs.values().next().unwrap().topics.clone();
        joined.insert("member-99".into(), Subscription { topics, ..Default::default() });
        let second = sticky.assign(&ppt, &joined);
        prop_assert!(counts(&second).values().all(|&n| n == 1));
        // Owners changed = partitions a member owned and no longer has.
        let revoked: usize = subs.keys()
            .map(|m| first[m].partitions.iter().filter(|p| !second[m].partitions.contains(p)).count())
            .sum();
        let p = all_partitions(&ppt).len();
        let m = joined.len();
        prop_assert!(revoked <= p.div_ceil(m), "revoked {revoked} of {p} for {m} members");
        // Nothing revoked is handed out in the same round.
        prop_assert_eq!(counts(&second).len(), p - revoked);
        let third = sticky.assign(&ppt, &owning(&joined, &second, 2));
        prop_assert_eq!(counts(&third).len(), p);
        prop_assert!(spread(&third) <= 1);
        // Second round moves nothing more: everyone keeps what they had.
        for (m, x) in &second {
            prop_assert!(x.partitions.iter().all(|q| third[m].partitions.contains(q)));
        }
    }

    /// A member leaves a group of equal subscriptions: the others keep everything they had.
    /// (With unequal subscriptions, rebalancing may rightly move partitions between others.)
    #[test]
    fn sticky_leave_keeps_the_rest((ppt, subs) in arb_group(true)) {
        let sticky = CooperativeStickyAssignor;
        let first = sticky.assign(&ppt, &subs);
        let mut left = owning(&subs, &first, 1);
        let gone = left.keys().next().unwrap().clone();
        left.remove(&gone);
        let second = sticky.assign(&ppt, &left);
        for (m, x) in &second {
            prop_assert!(first[m].partitions.iter().all(|q| x.partitions.contains(q)), "{m} lost a partition");
        }
    }
}

#[test]
fn sticky_reads_the_generation_from_old_user_data() {
    // Two v1 subscriptions (no generation_id field) claim t-0; the user data breaks the tie.
    let ppt = BTreeMap::from([("t".to_owned(), 2)]);
    let claim = |generation: i32| Subscription {
        topics: vec!["t".into()],
        owned_partitions: vec![tp("t", 0)],
        user_data: CooperativeStickyAssignor.subscription_user_data(generation),
        ..Default::default()
    };
    let subs = BTreeMap::from([("a".to_owned(), claim(4)), ("b".to_owned(), claim(3))]);
    let a = CooperativeStickyAssignor.assign(&ppt, &subs);
    assert_eq!(a["a"].partitions, vec![tp("t", 0)]);
    assert_eq!(a["b"].partitions, vec![tp("t", 1)]);
}

/// A large group stays quick: 1,000 partitions over 100 members, then one more joins.
#[test]
fn sticky_large_group() {
    let ppt: BTreeMap<String, i32> = (0..10).map(|i| (format!("topic-{i}"), 100)).collect();
    let topics: Vec<&str> = ppt.keys().map(String::as_str).collect();
    let subs: BTreeMap<String, Subscription> = (0..100)
        .map(|i| (format!("m-{i:03}"), sub(&topics)))
        .collect();
    let first = CooperativeStickyAssignor.assign(&ppt, &subs);
    assert!(spread(&first) <= 1);
    let mut joined = owning(&subs, &first, 1);
    joined.insert("m-new".into(), sub(&topics));
    let second = CooperativeStickyAssignor.assign(&ppt, &joined);
    let third = CooperativeStickyAssignor.assign(&ppt, &owning(&joined, &second, 2));
    assert_eq!(counts(&third).len(), 1000);
    assert!(spread(&third) <= 1);
}
