//! Partition growth and late topics end to end, on the in-process `kafkito-testkit` cluster (the
//! only broker here that serves CreatePartitions: tansu and librdkafka's mock do not).
//!
//! A consumer subscribed by name must pick up partitions added to its topic
//! (`Admin::create_partitions`) and a subscribed topic created after the group formed, within
//! `metadata.max.age.ms` plus one rebalance, under the classic group protocol (the leader
//! watches metadata and rejoins) and under KIP-848 (`group.protocol=consumer`: the testkit's
//! coordinator sees the growth and assigns through ConsumerGroupHeartbeat, which neither tansu
//! nor the mock's classic groups serve); the producer must route to the new
//! partitions once its metadata shows them (an explicit new partition waits for it). Every
//! test reconciles record ids exactly (nothing lost, nothing repeated, order per partition
//! kept) and checks the cluster's own log ends as the independent count. The measured delays
//! are printed (`--nocapture`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use kafkito::admin::{AdminClient, AdminOptions};
use kafkito::consumer::{Consumer, ConsumerConfig, ConsumerRecord};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito_testkit::{ApiKey, Cluster};

/// `metadata.max.age.ms` of every client here.
const MAX_AGE: Duration = Duration::from_millis(1000);
/// Generous bound for anything that waits on the cluster.
const WAIT: Duration = Duration::from_secs(60);

async fn cluster() -> Cluster {
    Cluster::builder().brokers(1).build().await.unwrap()
}

async fn producer(bootstrap: &str) -> Producer {
    let max_age = MAX_AGE.as_millis().to_string();
    Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap),
            ("linger.ms", "0"),
            ("metadata.max.age.ms", max_age.as_str()),
            ("max.block.ms", "30000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap()
}

/// The group protocol a test's consumer speaks.
#[derive(Debug, Clone, Copy)]
enum Protocol {
    /// JoinGroup/SyncGroup; the group leader watches metadata and rejoins.
    Classic,
    /// KIP-848 ConsumerGroupHeartbeat; the coordinator assigns new partitions itself.
    Consumer,
}

async fn cluster_for(protocol: Protocol) -> Cluster {
    match protocol {
        Protocol::Classic => cluster().await,
        // KIP-848 heartbeats at the interval the coordinator sets (the client may not).
        Protocol::Consumer => Cluster::builder()
            .brokers(1)
            .consumer_heartbeat_interval_ms(300)
            .build()
            .await
            .unwrap(),
    }
}

/// Asserts the group really spoke `protocol`: the cluster served only that protocol's
/// membership requests.
fn assert_spoke(cluster: &Cluster, protocol: Protocol) {
    let joins = cluster.total_requests(ApiKey::JoinGroup);
    let heartbeats = cluster.total_requests(ApiKey::ConsumerGroupHeartbeat);
    match protocol {
        Protocol::Classic => assert!(joins > 0 && heartbeats == 0, "{joins} {heartbeats}"),
        Protocol::Consumer => assert!(joins == 0 && heartbeats > 0, "{joins} {heartbeats}"),
    }
}

async fn consumer(bootstrap: &str, group: &str, topics: &[&str], protocol: Protocol) -> Consumer {
    let max_age = MAX_AGE.as_millis().to_string();
    let mut props = vec![
        ("bootstrap.servers", bootstrap),
        ("group.id", group),
        // New partitions have no committed offset: `latest` would skip what was produced
        // before the member's ListOffsets (Kafka documents that loss, KAFKA-12261).
        ("auto.offset.reset", "earliest"),
        ("metadata.max.age.ms", max_age.as_str()),
    ];
    match protocol {
        Protocol::Classic => props.extend([
            ("heartbeat.interval.ms", "300"),
            ("session.timeout.ms", "10000"),
        ]),
        // Session timeout and heartbeat interval are the coordinator's under KIP-848.
        Protocol::Consumer => props.push(("group.protocol", "consumer")),
    }
    let mut consumer = Consumer::new(ConsumerConfig::from_properties(props).unwrap())
        .await
        .unwrap();
    consumer.subscribe(topics).unwrap();
    consumer
}

/// Writes `v{partition}-{i}` for `i` in `ids` to each partition, explicitly.
async fn produce(producer: &Producer, topic: &str, partitions: &[i32], ids: std::ops::Range<u32>) {
    for i in ids {
        for &p in partitions {
            let record = ProducerRecord::new(topic)
                .partition(p)
                .value(format!("v{p}-{i}"));
            producer.send(record).await.unwrap().await.unwrap();
        }
    }
}

/// Polls until `want` records arrived or [`WAIT`] passed; returns them with the arrival time
/// of each.
async fn poll_records(consumer: &mut Consumer, want: usize) -> Vec<(Instant, ConsumerRecord)> {
    let deadline = Instant::now() + WAIT;
    let mut out = Vec::new();
    while out.len() < want && Instant::now() < deadline {
        for record in consumer.poll(Duration::from_millis(200)).await.unwrap() {
            out.push((Instant::now(), record));
        }
    }
    out
}

/// `(topic, partition) → values in arrival order`, asserting offsets only go up per partition.
fn by_partition(records: &[(Instant, ConsumerRecord)]) -> BTreeMap<(String, i32), Vec<String>> {
    let mut last: BTreeMap<(String, i32), i64> = BTreeMap::new();
    let mut out: BTreeMap<(String, i32), Vec<String>> = BTreeMap::new();
    for (_, r) in records {
        let key = (r.topic.to_string(), r.partition);
        if let Some(previous) = last.insert(key.clone(), r.offset) {
            assert!(
                r.offset > previous,
                "{key:?}: offset {} after {previous}",
                r.offset
            );
        }
        let value = String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap();
        out.entry(key).or_default().push(value);
    }
    out
}

fn expected(
    topic: &str,
    partitions: std::ops::Range<i32>,
    ids: std::ops::Range<u32>,
) -> BTreeMap<(String, i32), Vec<String>> {
    partitions
        .map(|p| {
            (
                (topic.to_owned(), p),
                ids.clone().map(|i| format!("v{p}-{i}")).collect(),
            )
        })
        .collect()
}

/// `orders` grows from 2 to 4 partitions under a subscribed member: the member (the group's
/// leader) sees the new count within `metadata.max.age.ms`, rejoins, is assigned all four,
/// and reads everything written to the new partitions, exactly once and in order. The time
/// from CreatePartitions to the first record from a new partition is measured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscribed_consumer_reads_partitions_added_later() {
    reads_partitions_added_later(Protocol::Classic).await;
}

/// The same growth under KIP-848 (`group.protocol=consumer`), on the testkit's
/// ConsumerGroupHeartbeat coordinator: it sees the topic grow and assigns the new partitions
/// in a heartbeat answer; the member reads them exactly once and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kip848_consumer_reads_partitions_added_later() {
    reads_partitions_added_later(Protocol::Consumer).await;
}

async fn reads_partitions_added_later(protocol: Protocol) {
    let cluster = cluster_for(protocol).await;
    let bootstrap = cluster.bootstrap();
    cluster.create_topic("orders", 2, 1).unwrap();
    let producer = producer(&bootstrap).await;
    let mut consumer = consumer(&bootstrap, "growth", &["orders"], protocol).await;

    produce(&producer, "orders", &[0, 1], 0..10).await;
    let before = poll_records(&mut consumer, 20).await;
    assert_eq!(by_partition(&before), expected("orders", 0..2, 0..10));

    let admin = AdminClient::from_properties([("bootstrap.servers", bootstrap.as_str())]).unwrap();
    let grown_at = Instant::now();
    let created = admin
        .create_partitions(vec![("orders".to_owned(), 4)], AdminOptions::default())
        .await
        .unwrap();
    created["orders"].as_ref().unwrap();
    assert_eq!(cluster.partition_count("orders"), Some(4));
    // Explicit partitions 2 and 3: the producer waits for its metadata to show them.
    produce(&producer, "orders", &[2, 3], 0..10).await;
    let produced_at = Instant::now();

    let after = poll_records(&mut consumer, 20).await;
    let first_new = after
        .iter()
        .find(|(_, r)| r.partition >= 2)
        .map(|(at, _)| *at)
        .expect("records from the new partitions");
    eprintln!(
        "partition growth on kafkito-testkit ({protocol:?}): CreatePartitions → first record \
         from a new partition {:?} (producing took {:?}; metadata.max.age.ms = {MAX_AGE:?})",
        first_new - grown_at,
        produced_at - grown_at,
    );
    let mut all = before;
    all.extend(after);
    assert_eq!(by_partition(&all), expected("orders", 0..4, 0..10));
    let assigned: BTreeSet<i32> = consumer
        .assignment()
        .iter()
        .map(|tp| tp.partition)
        .collect();
    assert_eq!(assigned, (0..4).collect());
    // The cluster's own count: ten records in each of the four logs.
    for p in 0..4 {
        assert_eq!(cluster.offsets("orders", p), Some((0, 10)), "orders-{p}");
    }
    // Bound: one metadata.max.age.ms for the leader to see the growth, then one rebalance
    // and the first fetch; the slack is for a loaded 2-core machine.
    assert!(first_new - grown_at < MAX_AGE + Duration::from_secs(20));
    assert_spoke(&cluster, protocol);
    consumer.close().await.unwrap();
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// A topic named in `subscribe` but created after the group formed is assigned and read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscribed_topic_created_later_is_read() {
    topic_created_later_is_read(Protocol::Classic).await;
}

/// The same late topic under KIP-848 (`group.protocol=consumer`): the testkit's coordinator
/// assigns the topic once it exists, and the member reads all of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kip848_consumer_reads_a_topic_created_later() {
    topic_created_later_is_read(Protocol::Consumer).await;
}

async fn topic_created_later_is_read(protocol: Protocol) {
    let cluster = cluster_for(protocol).await;
    let bootstrap = cluster.bootstrap();
    cluster.create_topic("orders", 1, 1).unwrap();
    let producer = producer(&bootstrap).await;
    let mut consumer = consumer(&bootstrap, "late", &["orders", "late"], protocol).await;

    produce(&producer, "orders", &[0], 0..5).await;
    let before = poll_records(&mut consumer, 5).await;
    assert_eq!(by_partition(&before), expected("orders", 0..1, 0..5));

    let created_at = Instant::now();
    cluster.create_topic("late", 3, 1).unwrap();
    produce(&producer, "late", &[0, 1, 2], 0..5).await;
    let after = poll_records(&mut consumer, 15).await;
    let first = after
        .first()
        .map(|(at, _)| *at)
        .expect("records from the late topic");
    eprintln!(
        "late topic on kafkito-testkit ({protocol:?}): CreateTopics → first record {:?} \
         (metadata.max.age.ms = {MAX_AGE:?})",
        first - created_at
    );
    assert_eq!(by_partition(&after), expected("late", 0..3, 0..5));
    for p in 0..3 {
        assert_eq!(cluster.offsets("late", p), Some((0, 5)), "late-{p}");
    }
    assert!(first - created_at < MAX_AGE + Duration::from_secs(20));
    assert_spoke(&cluster, protocol);
    consumer.close().await.unwrap();
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// Two members (cooperative-sticky, so that no partition moves): only the leader watches the
/// metadata, as in Java, and its rejoin brings the follower its share of the new partitions
/// too. Each member ends with two of the four partitions, and between them they read every
/// record exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leaders_rejoin_gives_the_follower_new_partitions_too() {
    let cluster = cluster().await;
    let bootstrap = cluster.bootstrap();
    cluster.create_topic("orders", 2, 1).unwrap();
    let producer = producer(&bootstrap).await;
    let max_age = MAX_AGE.as_millis().to_string();
    let member = || async {
        let mut consumer = Consumer::new(
            ConsumerConfig::from_properties([
                ("bootstrap.servers", bootstrap.as_str()),
                ("group.id", "pair"),
                ("auto.offset.reset", "earliest"),
                ("metadata.max.age.ms", max_age.as_str()),
                ("heartbeat.interval.ms", "300"),
                ("session.timeout.ms", "10000"),
                ("partition.assignment.strategy", "cooperative-sticky"),
            ])
            .unwrap(),
        )
        .await
        .unwrap();
        consumer.subscribe(&["orders"]).unwrap();
        consumer
    };
    let mut members = [member().await, member().await];

    // Polls both members in turn until `want` records arrived between them.
    async fn poll_both(members: &mut [Consumer; 2], want: usize) -> Vec<(Instant, ConsumerRecord)> {
        let deadline = Instant::now() + WAIT;
        let mut out = Vec::new();
        while out.len() < want && Instant::now() < deadline {
            for m in members.iter_mut() {
                for record in m.poll(Duration::from_millis(100)).await.unwrap() {
                    out.push((Instant::now(), record));
                }
            }
        }
        out
    }
    let owns_one_each = |members: &[Consumer; 2]| members.iter().all(|m| m.assignment().len() == 1);
    let deadline = Instant::now() + WAIT;
    while !owns_one_each(&members) && Instant::now() < deadline {
        for m in members.iter_mut() {
            // Nothing is produced yet: polling only drives the rebalance.
            assert!(m.poll(Duration::from_millis(100)).await.unwrap().is_empty());
        }
    }
    assert!(owns_one_each(&members), "the two members split orders");

    produce(&producer, "orders", &[0, 1], 0..10).await;
    let mut all = poll_both(&mut members, 20).await;
    let admin = AdminClient::from_properties([("bootstrap.servers", bootstrap.as_str())]).unwrap();
    let grown_at = Instant::now();
    admin
        .create_partitions(vec![("orders".to_owned(), 4)], AdminOptions::default())
        .await
        .unwrap()["orders"]
        .as_ref()
        .unwrap();
    produce(&producer, "orders", &[2, 3], 0..10).await;
    let after = poll_both(&mut members, 20).await;
    let first_new = after
        .iter()
        .find(|(_, r)| r.partition >= 2)
        .map(|(at, _)| *at)
        .expect("records from the new partitions");
    eprintln!(
        "two members on kafkito-testkit: CreatePartitions → first record from a new partition {:?}",
        first_new - grown_at
    );
    all.extend(after);
    assert_eq!(by_partition(&all), expected("orders", 0..4, 0..10));
    let shares: Vec<BTreeSet<i32>> = members
        .iter()
        .map(|m| m.assignment().iter().map(|tp| tp.partition).collect())
        .collect();
    assert_eq!(shares[0].len(), 2, "{shares:?}");
    assert_eq!(shares[1].len(), 2, "{shares:?}");
    assert!(shares[0].is_disjoint(&shares[1]), "{shares:?}");
    for p in 0..4 {
        assert_eq!(cluster.offsets("orders", p), Some((0, 10)), "orders-{p}");
    }
    let [first, second] = members;
    first.close().await.unwrap();
    // The first member's LeaveGroup starts a rebalance, so the second's closing auto-commit
    // may be refused for its old generation (Kafka answers REBALANCE_IN_PROGRESS, or
    // ILLEGAL_GENERATION once the group moved on). `close` returns that commit error (Java's
    // logs it); it still leaves the group. Anything else is a failure.
    if let Err(e) = second.close().await {
        use kafkito::protocol::ErrorCode;
        assert!(
            matches!(
                e.code(),
                Some(ErrorCode::RebalanceInProgress | ErrorCode::IllegalGeneration)
            ),
            "{e:?}"
        );
        eprintln!("second member's closing commit, after the first left: {e}");
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
}
