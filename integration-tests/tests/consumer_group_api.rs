//! The group consumer's API beyond subscribe/poll, against a real broker (tansu) where a
//! group is needed: pattern subscriptions, an awaited rebalance listener that commits in
//! `on_revoked`, a bounded `close` (no broker needed), and static membership (KIP-345).
//!
//! tansu's group join takes ~3 s, so timeouts are short (session 6 s, heartbeat 0.5 s,
//! max.poll 10 s) and each wait prints how long it took (`--nocapture`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use integration_tests::group::{describe_group, member_consumer as member, owned, poll_until};
use integration_tests::{broker, create_topic, unique_topic};
use kafkito::consumer::{
    Consumer, ConsumerConfig, RebalanceEvent, RebalanceListener, TopicPartition,
};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito::Error;

async fn bootstrap() -> String {
    broker().await.bootstrap()
}

/// Writes `count` records to each of `partitions` partitions (value `v{p}-{i}`).
async fn produce(topic: &str, partitions: i32, count: usize) {
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap().await.as_str()),
            ("linger.ms", "5"),
            ("request.timeout.ms", "10000"),
            ("delivery.timeout.ms", "30000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let mut acks = Vec::new();
    for i in 0..count {
        for p in 0..partitions {
            let record = ProducerRecord::new(topic)
                .partition(p)
                .value(format!("v{p}-{i}"));
            acks.push(producer.send(record).await.unwrap());
        }
    }
    for ack in acks {
        ack.await.unwrap();
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// `unique_topic` names hold letters, digits, `-`, `_` and `.`: only `.` needs escaping.
fn escape(name: &str) -> String {
    name.replace('.', "\\.")
}

#[tokio::test]
async fn pattern_subscription_picks_up_a_topic_created_later() {
    let prefix = unique_topic("pattern");
    let first = format!("{prefix}-a");
    let later = format!("{prefix}-b");
    // Matches `{prefix}-.*` only partly: the pattern must match the whole name.
    let decoy = format!("x{prefix}-c");
    create_topic(&first, 2).await;
    create_topic(&decoy, 1).await;
    let mut consumer = member(
        &unique_topic("g-pattern"),
        &[("metadata.max.age.ms", "1000")],
    )
    .await;

    let err = consumer.subscribe_pattern("orders-(").unwrap_err();
    assert!(
        matches!(&err, Error::Config { key, reason } if key == "subscribe_pattern" && reason.contains("orders-(")),
        "{err}"
    );

    consumer
        .subscribe_pattern(&format!("{}-.*", escape(&prefix)))
        .unwrap();
    let (_, took) = poll_until(&mut [&mut consumer], Duration::from_secs(60), |c, _| {
        owned(c[0]).len() == 2
    })
    .await;
    eprintln!("pattern: matched {first} and joined in {took:?}");
    let expected: BTreeSet<_> = (0..2).map(|p| TopicPartition::new(&*first, p)).collect();
    assert_eq!(owned(&consumer), expected);

    create_topic(&later, 1).await;
    produce(&later, 1, 3).await;
    let (records, took) = poll_until(&mut [&mut consumer], Duration::from_secs(60), |c, r| {
        owned(c[0]).len() == 3 && r[0].iter().filter(|r| *r.topic == *later).count() == 3
    })
    .await;
    eprintln!("pattern: {later} created after subscribe was assigned and read within {took:?}");
    assert!(owned(&consumer).contains(&TopicPartition::new(&*later, 0)));
    assert!(!owned(&consumer).iter().any(|tp| tp.topic == decoy));
    assert!(records[0].iter().all(|r| *r.topic != *decoy));
    consumer.close().await.unwrap();
}

/// What the listener saw: each `on_revoked` commit (partition → offset) and its result.
#[derive(Default)]
struct Seen {
    committed: BTreeMap<TopicPartition, i64>,
    commit_results: Vec<Result<(), String>>,
    revoked: Vec<Vec<TopicPartition>>,
    assigned: Vec<Vec<TopicPartition>>,
}

struct CommitOnRevoke(Arc<Mutex<Seen>>);

impl RebalanceListener for CommitOnRevoke {
    fn on_revoked<'a>(
        &'a mut self,
        consumer: &'a mut Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, kafkito::Result<()>> {
        Box::pin(async move {
            let offsets: std::collections::HashMap<TopicPartition, i64> = partitions
                .iter()
                .filter_map(|tp| Some((tp.clone(), consumer.position(tp)?)))
                .collect();
            let result = consumer.commit_offsets_sync(offsets.clone()).await;
            let mut seen = self.0.lock().unwrap();
            seen.revoked.push(partitions.to_vec());
            seen.commit_results
                .push(result.as_ref().map(|_| ()).map_err(|e| e.to_string()));
            if result.is_ok() {
                seen.committed.extend(offsets);
            }
            result
        })
    }

    fn on_assigned<'a>(
        &'a mut self,
        _consumer: &'a mut Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, kafkito::Result<()>> {
        self.0.lock().unwrap().assigned.push(partitions.to_vec());
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn listener_commits_in_revoke_and_the_new_owner_resumes_there() {
    let topic = unique_topic("listener");
    create_topic(&topic, 2).await;
    produce(&topic, 2, 150).await;
    let group = unique_topic("g-listener");
    // One record per poll: the first member is far from the end when the rebalance comes.
    let extra = [("max.poll.records", "1")];
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut first = member(&group, &extra).await;
    first
        .subscribe_with_listener(&[&topic], CommitOnRevoke(seen.clone()))
        .unwrap();
    // Read from both partitions, so that whichever the second member takes has a position
    // past 0 to commit.
    let (_, took) = poll_until(&mut [&mut first], Duration::from_secs(60), |c, r| {
        let read: BTreeSet<i32> = r[0].iter().map(|r| r.partition).collect();
        owned(c[0]).len() == 2 && read.len() == 2
    })
    .await;
    eprintln!("listener: first member stable and reading in {took:?}");
    assert_eq!(seen.lock().unwrap().assigned.len(), 1);

    let mut second = member(&group, &extra).await;
    second.subscribe(&[&topic]).unwrap();
    let (records, took) = poll_until(
        &mut [&mut first, &mut second],
        Duration::from_secs(60),
        |c, _| {
            let taken = owned(c[1]);
            !taken.is_empty() && taken.iter().all(|tp| c[1].position(tp).is_some())
        },
    )
    .await;
    eprintln!("listener: second member joined and read in {took:?}");

    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(!seen.revoked.is_empty(), "on_revoked was not called");
    assert!(
        seen.commit_results.iter().all(Result::is_ok),
        "commit in on_revoked failed: {:?}",
        seen.commit_results
    );
    // The new owner starts each partition it took exactly where on_revoked committed.
    // (Its first record's offset, or its position when it read nothing yet: the first
    // member may have read a partition to its end.)
    let mut first_offsets: BTreeMap<TopicPartition, i64> = BTreeMap::new();
    for record in &records[1] {
        first_offsets
            .entry(record.topic_partition())
            .or_insert(record.offset);
    }
    for tp in owned(&second) {
        if let Some(position) = second.position(&tp) {
            first_offsets.entry(tp).or_insert(position);
        }
    }
    assert!(!first_offsets.is_empty());
    for (tp, offset) in &first_offsets {
        let committed = seen.committed.get(tp).copied();
        assert_eq!(
            committed,
            Some(*offset),
            "{tp}: the second member started at {offset}, on_revoked committed {committed:?}"
        );
        assert!(*offset > 0, "{tp}: nothing was read before the revoke");
    }
    second.close().await.unwrap();
    first.close().await.unwrap();
}

/// A port nothing listens on.
fn dead_bootstrap() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("127.0.0.1:{port}")
}

async fn unreachable_consumer() -> Consumer {
    let bootstrap = dead_bootstrap();
    Consumer::new(
        ConsumerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("group.id", "g-unreachable"),
            ("enable.auto.commit", "true"),
            ("default.api.timeout.ms", "2000"),
            ("request.timeout.ms", "1000"),
            ("reconnect.backoff.ms", "50"),
            ("retry.backoff.ms", "50"),
        ])
        .unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn close_against_an_unreachable_broker_returns_within_the_timeout() {
    let limit = Duration::from_millis(2_000 + 1_000);

    // Subscribed: the group task is still looking for the coordinator.
    let mut consumer = unreachable_consumer().await;
    consumer.subscribe(&["orders"]).unwrap();
    assert!(consumer
        .poll(Duration::from_millis(300))
        .await
        .unwrap()
        .is_empty());
    let started = Instant::now();
    let result = consumer.close().await;
    let took = started.elapsed();
    eprintln!("close (subscribed, nothing owned, broker down): {took:?}, {result:?}");
    assert!(took < limit, "close took {took:?}");

    // Assigned with a position: auto commit must try, and give up in time.
    let mut consumer = unreachable_consumer().await;
    let tp = TopicPartition::new("orders", 0);
    consumer.assign([tp.clone()]).unwrap();
    consumer.seek(&tp, 42).unwrap();
    let started = Instant::now();
    let result = consumer.close().await;
    let took = started.elapsed();
    eprintln!("close (auto commit of a position, broker down): {took:?}, {result:?}");
    assert!(took < limit, "close took {took:?}");
    assert!(result.is_err(), "a commit to a dead broker cannot succeed");

    // Dropped without close: must not block or panic. A drop that closed (or committed)
    // synchronously would wait for the 30 s API timeout given here; the bound sits far from
    // both that and a normal drop, so load on the machine cannot decide the outcome.
    let mut consumer = Consumer::new(
        ConsumerConfig::from_properties([
            ("bootstrap.servers", dead_bootstrap().as_str()),
            ("group.id", "g-unreachable"),
            ("enable.auto.commit", "true"),
            ("default.api.timeout.ms", "30000"),
            ("request.timeout.ms", "30000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let tp = TopicPartition::new("orders", 0);
    consumer.assign([tp.clone()]).unwrap();
    consumer.seek(&tp, 42).unwrap();
    let started = Instant::now();
    drop(consumer);
    let took = started.elapsed();
    eprintln!("drop (auto commit of a position, broker down): {took:?}");
    assert!(took < Duration::from_secs(5), "drop blocked for {took:?}");
}

/// What `group.protocol=consumer` does follows what the broker advertises in ApiVersions
/// (ConsumerGroupHeartbeat, key 68): without it (tansu 0.6) the KIP-848 engine must refuse,
/// from poll, with a Config error on group.protocol that says why, and keep refusing; with it
/// (Kafka 4.x through `KAFKA_BOOTSTRAP_SERVERS`) the member must join and own every partition.
#[tokio::test]
async fn group_protocol_consumer_fails_clearly_on_a_broker_without_kip_848() {
    if integration_tests::probe::broker_advertises(68).await {
        let topic = unique_topic("kip848-real");
        create_topic(&topic, 2).await;
        let mut consumer =
            member(&unique_topic("g-kip848"), &[("group.protocol", "consumer")]).await;
        consumer.subscribe(&[&topic]).unwrap();
        let (_, took) = poll_until(&mut [&mut consumer], Duration::from_secs(60), |c, _| {
            owned(c[0]).len() == 2
        })
        .await;
        eprintln!("kip-848: the broker advertises ConsumerGroupHeartbeat; joined in {took:?}");
        consumer.close().await.unwrap();
        return;
    }
    let mut consumer = member(&unique_topic("g-kip848"), &[("group.protocol", "consumer")]).await;
    consumer.subscribe(&["orders"]).unwrap();
    let started = Instant::now();
    let err = loop {
        match consumer.poll(Duration::from_millis(200)).await {
            Ok(records) => assert!(records.is_empty()),
            Err(err) => break err,
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "poll never reported the missing KIP-848 support"
        );
    };
    eprintln!("kip-848: refused after {:?}: {err}", started.elapsed());
    assert!(
        matches!(&err, Error::Config { key, reason } if key == "group.protocol" && reason.contains("KIP-848")),
        "{err}"
    );
    let again = consumer.poll(Duration::from_millis(100)).await.unwrap_err();
    assert_eq!(again.to_string(), err.to_string());
    consumer.close().await.unwrap();
}

#[tokio::test]
async fn a_restarted_static_member_gets_its_partitions_back_without_a_rebalance() {
    let topic = unique_topic("static");
    create_topic(&topic, 4).await;
    let group = unique_topic("g-static");
    let a_props = [("group.instance.id", "member-a")];
    let b_props = [("group.instance.id", "member-b")];
    let mut a = member(&group, &a_props).await;
    a.subscribe(&[&topic]).unwrap();
    poll_until(&mut [&mut a], Duration::from_secs(60), |c, _| {
        owned(c[0]).len() == 4
    })
    .await;
    let mut b = member(&group, &b_props).await;
    b.subscribe(&[&topic]).unwrap();
    let (_, took) = poll_until(&mut [&mut a, &mut b], Duration::from_secs(60), |c, _| {
        let (x, y) = (owned(c[0]), owned(c[1]));
        !x.is_empty() && !y.is_empty() && x.is_disjoint(&y) && x.len() + y.len() == 4
    })
    .await;
    eprintln!("static: two members split the partitions in {took:?}");
    let (a_owned, b_owned) = (owned(&a), owned(&b));
    b.rebalance_events();

    // A "crashes" (drop: a static member sends no LeaveGroup) and comes back at once.
    drop(a);
    let restarted = Instant::now();
    let mut a = member(&group, &a_props).await;
    a.subscribe(&[&topic]).unwrap();
    let (_, took) = poll_until(&mut [&mut a, &mut b], Duration::from_secs(30), |c, _| {
        !owned(c[0]).is_empty()
    })
    .await;
    eprintln!(
        "static: restarted member got partitions back in {took:?} ({:?} after the drop)",
        restarted.elapsed()
    );
    assert_eq!(owned(&a), a_owned);
    // B kept consuming through the restart: nothing revoked or lost.
    poll_until(&mut [&mut a, &mut b], Duration::from_secs(5), |_, _| true).await;
    let events = b.rebalance_events();
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, RebalanceEvent::Revoked(_) | RebalanceEvent::Lost(_))),
        "the other static member saw {events:?}"
    );
    assert_eq!(owned(&b), b_owned);
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test]
async fn dropping_a_dynamic_member_leaves_the_group_at_once() {
    // A session far longer than the takeover may take: only a LeaveGroup sent on drop lets
    // the survivor take over in time.
    let session = [("session.timeout.ms", "30000")];
    let topic = unique_topic("drop");
    create_topic(&topic, 2).await;
    let group = unique_topic("g-drop");
    let mut survivor = member(&group, &session).await;
    survivor.subscribe(&[&topic]).unwrap();
    poll_until(&mut [&mut survivor], Duration::from_secs(60), |c, _| {
        owned(c[0]).len() == 2
    })
    .await;
    let mut dropped = member(&group, &session).await;
    dropped.subscribe(&[&topic]).unwrap();
    poll_until(
        &mut [&mut survivor, &mut dropped],
        Duration::from_secs(60),
        |c, _| owned(c[0]).len() == 1 && owned(c[1]).len() == 1,
    )
    .await;

    // The broker's view: a member that sent LeaveGroup is gone from the group at once; one
    // that did not stays until its 30 s session expires. The bound sits far from both.
    let member_id = dropped.group_metadata().unwrap().member_id;
    assert!(
        !member_id.is_empty(),
        "a member of a split group has a member id"
    );
    drop(dropped);
    let dropped_at = Instant::now();
    loop {
        let (state, members) = describe_group(&group).await;
        if !members.contains(&member_id) {
            break;
        }
        assert!(
            dropped_at.elapsed() < Duration::from_secs(10),
            "the dropped member is still in the group {:?} later ({state}, {members:?}): no \
             LeaveGroup on drop",
            dropped_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "drop: the broker dropped the member {:?} after drop",
        dropped_at.elapsed()
    );
    // (tansu takes ~15 s to settle the rebalance that follows, whether the member leaves by
    // close or by drop.)
    let (_, took) = poll_until(&mut [&mut survivor], Duration::from_secs(60), |c, _| {
        owned(c[0]).len() == 2
    })
    .await;
    eprintln!("drop: the survivor owned both partitions {took:?} after the drop (session 30 s)");
    survivor.close().await.unwrap();
}

#[tokio::test]
#[ignore = "tansu 0.6 does not fence the older member of a static instance id: no FENCED_INSTANCE_ID within 30 s (the fatal path is unit-tested in kafkito consumer::tests)"]
async fn a_fenced_static_member_gets_a_clear_error_from_poll() {
    let topic = unique_topic("fenced");
    create_topic(&topic, 1).await;
    let group = unique_topic("g-fenced");
    let same = [("group.instance.id", "twin")];
    let mut old = member(&group, &same).await;
    old.subscribe(&[&topic]).unwrap();
    poll_until(&mut [&mut old], Duration::from_secs(60), |c, _| {
        owned(c[0]).len() == 1
    })
    .await;
    // A second process with the same group.instance.id takes the place over.
    let mut new = member(&group, &same).await;
    new.subscribe(&[&topic]).unwrap();
    let started = Instant::now();
    let err = loop {
        let _ = new.poll(Duration::from_millis(100)).await;
        match old.poll(Duration::from_millis(100)).await {
            Ok(_) => {}
            Err(err) => break err,
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the old member was never fenced"
        );
    };
    eprintln!(
        "fenced: the old member's poll failed after {:?}: {err}",
        started.elapsed()
    );
    assert_eq!(
        err.code(),
        Some(kafkito_protocol::ErrorCode::FencedInstanceId),
        "{err}"
    );
    assert!(err.to_string().contains("twin"), "{err}");
    // It stays failed, and closing it still works.
    assert!(old.poll(Duration::from_millis(100)).await.is_err());
    old.close().await.unwrap();
    new.close().await.unwrap();
}

/// The KIP-848 engine end to end on librdkafka's mock cluster, which speaks
/// ConsumerGroupHeartbeat v1 and assigns on the "broker" side (tansu does not).
#[tokio::test]
async fn kip_848_members_join_split_and_commit_on_the_librdkafka_mock() {
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::DefaultProducerContext;

    let mock = MockCluster::<'static, DefaultProducerContext>::new(1).expect("librdkafka mock");
    mock.create_topic("kip848", 4, 1).unwrap();
    let bootstrap = mock.bootstrap_servers();
    let new_member = || async {
        Consumer::new(
            ConsumerConfig::from_properties([
                ("bootstrap.servers", bootstrap.as_str()),
                ("group.id", "g-kip848"),
                ("group.protocol", "consumer"),
                ("auto.offset.reset", "earliest"),
                ("enable.auto.commit", "false"),
                ("fetch.max.wait.ms", "100"),
                ("default.api.timeout.ms", "10000"),
            ])
            .unwrap(),
        )
        .await
        .unwrap()
    };
    let mut first = new_member().await;
    first.subscribe(&["kip848"]).unwrap();
    let (_, took) = poll_until(&mut [&mut first], Duration::from_secs(30), |c, _| {
        owned(c[0]).len() == 4
    })
    .await;
    eprintln!("kip-848 mock: first member owns 4 partitions after {took:?}");
    let metadata = first.group_metadata().unwrap();
    assert!(metadata.generation_id > 0, "member epoch {metadata:?}");
    first.commit_sync().await.unwrap();

    let mut second = new_member().await;
    second.subscribe(&["kip848"]).unwrap();
    let (_, took) = poll_until(
        &mut [&mut first, &mut second],
        Duration::from_secs(30),
        |c, _| {
            let (a, b) = (owned(c[0]), owned(c[1]));
            !a.is_empty() && !b.is_empty() && a.is_disjoint(&b) && a.len() + b.len() == 4
        },
    )
    .await;
    eprintln!("kip-848 mock: partitions split between two members after {took:?}");
    assert!(first
        .rebalance_events()
        .iter()
        .any(|e| matches!(e, RebalanceEvent::Revoked(_))));
    second.commit_sync().await.unwrap();
    second.close().await.unwrap();
    let (_, took) = poll_until(&mut [&mut first], Duration::from_secs(30), |c, _| {
        owned(c[0]).len() == 4
    })
    .await;
    eprintln!("kip-848 mock: survivor owns all 4 after the other left, {took:?}");
    first.close().await.unwrap();
}
