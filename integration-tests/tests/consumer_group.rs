//! Subscribed consumers (classic group protocol) against a real broker (tansu): assignment of
//! every partition to exactly one member, rebalances when members come and go, and commits
//! that carry the member's generation, read back by a fresh member.
//!
//! tansu's group coordinator is slow to settle a rebalance, so the timeouts are short
//! (session 6 s, heartbeat 0.5 s, max.poll / rebalance 10 s) and each rebalance's duration is
//! printed (`--nocapture`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use integration_tests::group::{
    all_partitions as all, describe_group, member_consumer as member, offsets_only, owned,
    poll_until,
};
use integration_tests::{broker, create_topic, unique_topic};
use kafkito::consumer::{ConsumerRecord, RebalanceEvent, TopicPartition};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};

async fn bootstrap() -> String {
    broker().await.bootstrap()
}

/// Writes records `from..from + count` to each partition (value `v{p}-{i}`).
async fn produce(topic: &str, partitions: i32, from: usize, count: usize) {
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap().await.as_str()),
            ("linger.ms", "0"),
            ("request.timeout.ms", "10000"),
            ("delivery.timeout.ms", "30000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    for i in from..from + count {
        for p in 0..partitions {
            let record = ProducerRecord::new(topic)
                .partition(p)
                .value(format!("v{p}-{i}"));
            producer.send(record).await.unwrap().await.unwrap();
        }
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
}

fn values(records: &[ConsumerRecord]) -> BTreeSet<String> {
    records
        .iter()
        .map(|r| String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap())
        .collect()
}

fn expected(partitions: i32, from: usize, count: usize) -> BTreeSet<String> {
    (0..partitions)
        .flat_map(|p| (from..from + count).map(move |i| format!("v{p}-{i}")))
        .collect()
}

#[tokio::test]
async fn one_member_gets_every_partition_and_record() {
    let topic = unique_topic("group-one");
    create_topic(&topic, 3).await;
    produce(&topic, 3, 0, 4).await;
    let mut consumer = member(&unique_topic("g-one"), &[]).await;
    consumer.subscribe(&[&topic]).unwrap();

    let (records, took) = poll_until(&mut [&mut consumer], Duration::from_secs(60), |c, r| {
        owned(c[0]).len() == 3 && r[0].len() >= 12
    })
    .await;
    eprintln!("one member: assigned and read everything in {took:?}");
    assert_eq!(owned(&consumer), all(&topic, 3));
    assert_eq!(records[0].len(), 12);
    assert_eq!(values(&records[0]), expected(3, 0, 4));
    let assigned: BTreeSet<TopicPartition> = consumer
        .rebalance_events()
        .into_iter()
        .flat_map(|e| match e {
            RebalanceEvent::Assigned(tps) => tps,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(assigned, all(&topic, 3));
    consumer.close().await.unwrap();
}

#[tokio::test]
async fn two_members_split_the_partitions_then_the_survivor_takes_all() {
    split_then_take_over("range").await;
}

#[tokio::test]
async fn cooperative_members_split_the_partitions_then_the_survivor_takes_all() {
    split_then_take_over("cooperative-sticky").await;
}

/// Two members of `strategy` share 4 partitions; when one closes the other gets all.
async fn split_then_take_over(strategy: &str) {
    let topic = unique_topic("group-two");
    create_topic(&topic, 4).await;
    let group = unique_topic("g-two");
    let extra = [("partition.assignment.strategy", strategy)];
    let mut first = member(&group, &extra).await;
    first.subscribe(&[&topic]).unwrap();
    let (_, took) = poll_until(&mut [&mut first], Duration::from_secs(60), |c, _| {
        owned(c[0]).len() == 4
    })
    .await;
    eprintln!("{strategy}: first member alone: stable with 4 partitions in {took:?}");

    let mut second = member(&group, &extra).await;
    second.subscribe(&[&topic]).unwrap();
    let (_, took) = poll_until(
        &mut [&mut first, &mut second],
        Duration::from_secs(60),
        |c, _| {
            let (a, b) = (owned(c[0]), owned(c[1]));
            !a.is_empty() && !b.is_empty() && a.is_disjoint(&b) && a.len() + b.len() == 4
        },
    )
    .await;
    eprintln!("{strategy}: second member joined: partitions split in {took:?}");
    let (a, b) = (owned(&first), owned(&second));
    assert_eq!(
        a.union(&b).cloned().collect::<BTreeSet<_>>(),
        all(&topic, 4)
    );
    assert!(a.is_disjoint(&b), "{a:?} and {b:?} overlap");
    assert!(first
        .rebalance_events()
        .iter()
        .any(|e| matches!(e, RebalanceEvent::Revoked(_))));

    let closed = Instant::now();
    second.close().await.unwrap();
    eprintln!(
        "{strategy}: second member closed (LeaveGroup) in {:?}",
        closed.elapsed()
    );
    let (_, took) = poll_until(&mut [&mut first], Duration::from_secs(60), |c, _| {
        owned(c[0]).len() == 4
    })
    .await;
    eprintln!("{strategy}: survivor owns all 4 partitions {took:?} after the close");
    assert_eq!(owned(&first), all(&topic, 4));
    first.close().await.unwrap();
}

#[tokio::test]
async fn a_new_member_resumes_from_the_group_commit() {
    let topic = unique_topic("group-commit");
    create_topic(&topic, 2).await;
    produce(&topic, 2, 0, 5).await;
    let group = unique_topic("g-commit");

    let mut first = member(&group, &[]).await;
    first.subscribe(&[&topic]).unwrap();
    let (records, took) = poll_until(&mut [&mut first], Duration::from_secs(60), |_, r| {
        r[0].len() >= 10
    })
    .await;
    eprintln!("first member read 10 records in {took:?}");
    assert_eq!(values(&records[0]), expected(2, 0, 5));
    first.commit_sync().await.unwrap();
    let committed: BTreeMap<TopicPartition, Option<i64>> = offsets_only(
        first
            .committed(&all(&topic, 2).into_iter().collect::<Vec<_>>())
            .await
            .unwrap(),
    )
    .into_iter()
    .collect();
    assert!(committed.values().all(|o| *o == Some(5)), "{committed:?}");
    first.close().await.unwrap();

    produce(&topic, 2, 5, 3).await;
    let mut second = member(&group, &[]).await;
    second.subscribe(&[&topic]).unwrap();
    let (records, took) = poll_until(&mut [&mut second], Duration::from_secs(60), |_, r| {
        r[0].len() >= 6
    })
    .await;
    eprintln!("new member resumed and read 6 records in {took:?}");
    // Only what came after the commit: nothing before offset 5 is read again.
    assert!(records[0].iter().all(|r| r.offset >= 5), "{records:?}");
    assert_eq!(values(&records[0]), expected(2, 5, 3));
    second.close().await.unwrap();
}

#[tokio::test]
async fn a_member_that_stops_polling_loses_its_partitions_and_cannot_commit() {
    let topic = unique_topic("group-lost");
    create_topic(&topic, 2).await;
    produce(&topic, 2, 0, 2).await;
    let group = unique_topic("g-lost");
    let mut consumer = member(&group, &[("max.poll.interval.ms", "3000")]).await;
    consumer.subscribe(&[&topic]).unwrap();
    let (_, took) = poll_until(&mut [&mut consumer], Duration::from_secs(60), |_, r| {
        r[0].len() >= 4
    })
    .await;
    eprintln!("member stable and read 4 records in {took:?}");
    consumer.rebalance_events();

    // No poll for longer than max.poll.interval.ms: the background task leaves the group and
    // the partitions are lost (heartbeats alone do not keep a member that stopped polling).
    // Wait for that on the broker: until the group no longer holds the member (bounded).
    let member_id = consumer.group_metadata().unwrap().member_id;
    assert!(!member_id.is_empty(), "a stable member has a member id");
    let stopped = Instant::now();
    let left = loop {
        let (state, members) = describe_group(&group).await;
        if !members.contains(&member_id) {
            break stopped.elapsed();
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(30),
            "the member that stopped polling is still in the group after 30 s ({state}, \
             {members:?})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    eprintln!("the broker dropped the member {left:?} after its last poll (max.poll 3 s)");
    assert!(
        left >= Duration::from_secs(2),
        "the member left after {left:?}, well before max.poll.interval.ms (3 s)"
    );
    let error = consumer.commit_sync().await.unwrap_err();
    assert!(
        matches!(error, kafkito::Error::CommitFailed { .. }),
        "{error}"
    );
    assert!(consumer.assignment().is_empty());
    assert_eq!(
        consumer.rebalance_events(),
        vec![RebalanceEvent::Lost(all(&topic, 2).into_iter().collect())]
    );

    // Polling again rejoins, and the partitions come back.
    let (_, took) = poll_until(&mut [&mut consumer], Duration::from_secs(60), |c, _| {
        owned(c[0]).len() == 2
    })
    .await;
    eprintln!("member rejoined after its poll timeout in {took:?}");
    consumer.close().await.unwrap();
}

#[tokio::test]
async fn heartbeats_keep_a_slowly_polling_member_in_the_group() {
    let topic = unique_topic("group-slow");
    create_topic(&topic, 2).await;
    let group = unique_topic("g-slow");
    let mut consumer = member(&group, &[]).await;
    consumer.subscribe(&[&topic]).unwrap();
    poll_until(&mut [&mut consumer], Duration::from_secs(60), |c, _| {
        owned(c[0]).len() == 2
    })
    .await;
    consumer.rebalance_events();
    // No poll for longer than session.timeout.ms (6 s), shorter than max.poll.interval.ms
    // (10 s): only the background heartbeats keep the member in. The broker is asked
    // throughout that the member is still there and the group stable.
    let member_id = consumer.group_metadata().unwrap().member_id;
    assert!(!member_id.is_empty(), "a stable member has a member id");
    let quiet_from = Instant::now();
    while quiet_from.elapsed() < Duration::from_secs(7) {
        let (state, members) = describe_group(&group).await;
        assert!(
            state == "Stable" && members == [member_id.clone()],
            "{:?} without a poll: group {state}, members {members:?} (want {member_id})",
            quiet_from.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    consumer.poll(Duration::from_millis(100)).await.unwrap();
    consumer.commit_sync().await.unwrap();
    assert_eq!(owned(&consumer), all(&topic, 2));
    assert_eq!(consumer.rebalance_events(), vec![]);
    consumer.close().await.unwrap();
}

#[tokio::test]
async fn auto_commit_commits_revoked_partitions_before_the_rebalance() {
    let topic = unique_topic("group-revoke");
    create_topic(&topic, 2).await;
    produce(&topic, 2, 0, 3).await;
    let group = unique_topic("g-revoke");
    // Auto commit on, but its timer far away: only the revocation commits.
    let extra = [
        ("enable.auto.commit", "true"),
        ("auto.commit.interval.ms", "600000"),
        ("partition.assignment.strategy", "range"),
    ];
    let mut first = member(&group, &extra).await;
    first.subscribe(&[&topic]).unwrap();
    poll_until(&mut [&mut first], Duration::from_secs(60), |_, r| {
        r[0].len() >= 6
    })
    .await;

    let mut second = member(&group, &extra).await;
    second.subscribe(&[&topic]).unwrap();
    let (_, took) = poll_until(
        &mut [&mut first, &mut second],
        Duration::from_secs(60),
        |c, _| owned(c[0]).len() == 1 && owned(c[1]).len() == 1,
    )
    .await;
    eprintln!("split after {took:?}");
    // Eager rebalance: the first member gave up both partitions, committing what it had read.
    let committed = offsets_only(
        first
            .committed(&all(&topic, 2).into_iter().collect::<Vec<_>>())
            .await
            .unwrap(),
    );
    assert!(committed.values().all(|o| *o == Some(3)), "{committed:?}");
    first.close().await.unwrap();
    second.close().await.unwrap();
}
