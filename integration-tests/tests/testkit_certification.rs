//! Certification of `kafkito-testkit` by librdkafka (2.12, through the `rdkafka` crate): an
//! independent client must behave on the testkit as on Kafka. Each test runs librdkafka's
//! producer, consumer or admin client against an in-process testkit cluster and reconciles
//! what librdkafka reports with what the testkit holds (its log offsets, its group state).
//!
//! SCRAM and TLS need OpenSSL, which the rdkafka crate's librdkafka lacks: those scenarios run
//! kcat on librdkafka 2.16 with OpenSSL (`.broker/bin/kcat`, see integration-tests/README.md).
//!
//! Where librdkafka disagrees with the testkit, the testkit is wrong until Kafka's source
//! says otherwise.
//!
//! Throughput (ignored by default, prints records/s):
//! `cargo nextest run -p integration-tests --test testkit_certification --run-ignored only --no-capture`

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kafkito_testkit::{ApiKey, Cluster, ErrorCode, Fault, Mechanism};
use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

/// Generous bound for anything that waits on the cluster (a rebalance, a delivery).
const WAIT: Duration = Duration::from_secs(60);

/// Records every delivery report: the keys delivered and the errors.
#[derive(Clone, Default)]
struct Deliveries {
    delivered: Arc<Mutex<Vec<(String, i32, i64)>>>,
    failed: Arc<Mutex<Vec<String>>>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(m) => {
                let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
                self.delivered
                    .lock()
                    .unwrap()
                    .push((key, m.partition(), m.offset()));
            }
            Err((e, m)) => {
                let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
                self.failed.lock().unwrap().push(format!("{key}: {e}"));
            }
        }
    }
}

fn rd_producer(
    bootstrap: &str,
    extra: &[(&str, &str)],
) -> (ThreadedProducer<Deliveries>, Deliveries) {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("message.timeout.ms", "60000");
    for (k, v) in extra {
        config.set(*k, *v);
    }
    let context = Deliveries::default();
    let producer = config
        .create_with_context(context.clone())
        .expect("librdkafka producer");
    (producer, context)
}

/// Produces keys `k{from}..` (value `v{i}`, optional timestamp `ts(i)`) through librdkafka and
/// waits for every delivery report; fails on any delivery error.
fn rd_produce(
    producer: &ThreadedProducer<Deliveries>,
    context: &Deliveries,
    topic: &str,
    partition: Option<i32>,
    from: usize,
    count: usize,
    timestamp: impl Fn(usize) -> Option<i64>,
) {
    for i in from..from + count {
        let key = format!("k{i}");
        let value = format!("v{i}");
        let mut record = BaseRecord::to(topic).key(&key).payload(&value);
        if let Some(p) = partition {
            record = record.partition(p);
        }
        if let Some(ts) = timestamp(i) {
            record = record.timestamp(ts);
        }
        let mut record = record;
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, r)) => {
                    // Queue full: let the background thread drain it.
                    assert!(
                        matches!(
                            e,
                            rdkafka::error::KafkaError::MessageProduction(
                                rdkafka::types::RDKafkaErrorCode::QueueFull
                            )
                        ),
                        "send failed: {e}"
                    );
                    std::thread::sleep(Duration::from_millis(5));
                    record = r;
                }
            }
        }
    }
    producer.flush(WAIT).expect("flush within the deadline");
    let failed = context.failed.lock().unwrap().clone();
    assert!(failed.is_empty(), "delivery failures: {failed:?}");
}

fn rd_consumer(bootstrap: &str, group: &str, extra: &[(&str, &str)]) -> BaseConsumer {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "300");
    for (k, v) in extra {
        config.set(*k, *v);
    }
    config.create().expect("librdkafka consumer")
}

/// Reads from the beginning of every partition of `topic` until `count` records arrived or
/// `WAIT` passed; returns every key read, duplicates kept.
fn rd_read_all(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    count: usize,
    extra: &[(&str, &str)],
) -> Vec<String> {
    let consumer = rd_consumer(bootstrap, "reader", extra);
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut keys = Vec::new();
    while keys.len() < count && Instant::now() < deadline {
        if let Some(m) = consumer.poll(Duration::from_millis(200)) {
            let m = m.expect("consume without error");
            keys.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
        }
    }
    keys
}

fn keys(from: usize, count: usize) -> BTreeSet<String> {
    (from..from + count).map(|i| format!("k{i}")).collect()
}

/// Records the testkit holds for a topic (sum of high watermarks).
fn held(cluster: &Cluster, topic: &str) -> i64 {
    (0..cluster.partition_count(topic).unwrap() as i32)
        .map(|p| cluster.offsets(topic, p).unwrap().1)
        .sum()
}

/// Runs blocking librdkafka code off the runtime that serves the testkit.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("librdkafka task")
}

/// Proven on: the testkit (3 brokers, RF 3), certified by librdkafka's producer and consumer:
/// every codec (none, gzip, snappy, lz4, zstd) round-trips 500 keyed records exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_codec_round_trips_through_librdkafka() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let topic = format!("codec-{codec}");
        cluster.create_topic(&topic, 3, 3).unwrap();
        let bootstrap = cluster.bootstrap();
        let t = topic.clone();
        let read = blocking(move || {
            let (producer, context) = rd_producer(&bootstrap, &[("compression.codec", codec)]);
            rd_produce(&producer, &context, &t, None, 0, 500, |_| None);
            rd_read_all(&bootstrap, &t, 3, 500, &[])
        })
        .await;
        assert_eq!(
            held(&cluster, &topic),
            500,
            "{codec}: the testkit holds each record once"
        );
        assert_eq!(read.len(), 500, "{codec}: librdkafka read each record once");
        assert_eq!(
            read.into_iter().collect::<BTreeSet<_>>(),
            keys(0, 500),
            "{codec}"
        );
    }
}

/// Proven on: the testkit with injected faults, certified by librdkafka's idempotent
/// producer: NOT_LEADER_OR_FOLLOWER before the append (the batch is retried) and
/// REQUEST_TIMED_OUT after it (the retry must be recognised as a duplicate) leave every
/// record in the log exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_librdkafka_producer_writes_each_record_once_through_faults() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    cluster.create_topic("idem", 1, 3).unwrap();
    let before = cluster.inject(
        Fault::new(ApiKey::Produce, ErrorCode::NotLeaderOrFollower)
            .partition("idem", 0)
            .times(2),
    );
    let after = cluster.inject(
        Fault::new(ApiKey::Produce, ErrorCode::RequestTimedOut)
            .partition("idem", 0)
            .after_processing()
            .times(2),
    );
    let bootstrap = cluster.bootstrap();
    let (delivered, read) = blocking(move || {
        let (producer, context) = rd_producer(
            &bootstrap,
            &[("enable.idempotence", "true"), ("retry.backoff.ms", "20")],
        );
        rd_produce(&producer, &context, "idem", None, 0, 300, |_| None);
        let delivered = context.delivered.lock().unwrap().clone();
        (delivered, rd_read_all(&bootstrap, "idem", 1, 300, &[]))
    })
    .await;
    assert_eq!(
        (before.hits(), after.hits()),
        (2, 2),
        "both faults were hit"
    );
    assert_eq!(held(&cluster, "idem"), 300, "no duplicate in the log");
    assert_eq!(read.len(), 300);
    let expected: Vec<String> = (0..300).map(|i| format!("k{i}")).collect();
    assert_eq!(read, expected, "in order, each once");
    // librdkafka's reported offsets are the ones the records really have.
    let offsets: BTreeMap<String, i64> = delivered.into_iter().map(|(k, _, o)| (k, o)).collect();
    assert!((0..300).all(|i| offsets[&format!("k{i}")] == i as i64));
}

/// Three librdkafka members of `group`, each made by `member(bootstrap, group)`, share
/// `topic`'s six partitions: each owned by exactly one member and every member owning some;
/// each of 600 records written once the group settled is consumed exactly once; every member
/// commits, the group holds 600 committed in all, is Stable with three members, and Empty once
/// they close.
async fn three_librdkafka_members_share_six_partitions(
    cluster: &Cluster,
    topic: &'static str,
    group: &'static str,
    member: fn(&str, &str) -> BaseConsumer,
) {
    cluster.create_topic(topic, 6, 2).unwrap();
    let bootstrap = cluster.bootstrap();
    let (owners, read, members) = blocking(move || {
        let members: Vec<BaseConsumer> = (0..3)
            .map(|_| {
                let c = member(&bootstrap, group);
                c.subscribe(&[topic]).unwrap();
                c
            })
            .collect();
        let mut read: Vec<Vec<String>> = vec![Vec::new(); 3];
        let poll_all = |read: &mut Vec<Vec<String>>| {
            for (i, c) in members.iter().enumerate() {
                if let Some(m) = c.poll(Duration::from_millis(50)) {
                    let m = m.expect("consume without error");
                    read[i].push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
                }
            }
        };
        let owned = |members: &[BaseConsumer]| -> Vec<Vec<i32>> {
            members
                .iter()
                .map(|c| {
                    c.assignment()
                        .unwrap()
                        .elements()
                        .iter()
                        .map(|e| e.partition())
                        .collect()
                })
                .collect()
        };
        // Settle the group first: every member owns partitions and all six are owned.
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            poll_all(&mut read);
            let o = owned(&members);
            if o.iter().all(|p| !p.is_empty()) && o.iter().map(Vec::len).sum::<usize>() == 6 {
                break;
            }
        }
        let (producer, context) = rd_producer(&bootstrap, &[]);
        rd_produce(&producer, &context, topic, None, 0, 600, |_| None);
        let deadline = Instant::now() + WAIT;
        while read.iter().map(Vec::len).sum::<usize>() < 600 && Instant::now() < deadline {
            poll_all(&mut read);
        }
        // A little more polling would reveal duplicates delivered late.
        for _ in 0..20 {
            poll_all(&mut read);
        }
        for c in &members {
            c.commit_consumer_state(rdkafka::consumer::CommitMode::Sync)
                .expect("commit with the group's generation or member epoch");
        }
        (owned(&members), read, members)
    })
    .await;
    let mut all: Vec<i32> = owners.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..6).collect::<Vec<_>>(),
        "each partition owned by exactly one member: {owners:?}"
    );
    assert!(
        owners.iter().all(|o| !o.is_empty()),
        "every member owns partitions: {owners:?}"
    );
    let every: Vec<String> = read.concat();
    assert_eq!(every.len(), 600, "each record consumed exactly once");
    assert_eq!(every.into_iter().collect::<BTreeSet<_>>(), keys(0, 600));
    let (state, _, size) = cluster.group(group).unwrap();
    assert_eq!((state.as_str(), size), ("Stable", 3));
    let committed: i64 = (0..6)
        .map(|p| {
            cluster
                .committed_offset(group, topic, p)
                .expect("committed")
        })
        .sum();
    assert_eq!(
        committed, 600,
        "each member committed the end of what it read"
    );
    blocking(move || drop(members)).await;
    let (state, _, size) = cluster.group(group).unwrap();
    assert_eq!(
        (state.as_str(), size),
        ("Empty", 0),
        "closed members left the group"
    );
}

/// Proven on: the testkit's classic group coordinator, certified by three librdkafka
/// consumers with `cooperative-sticky`: the six partitions are shared (each owned by exactly
/// one member, every member owning some), and each of 600 records is consumed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cooperative_sticky_group_of_three_librdkafka_consumers_shares_partitions() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    three_librdkafka_members_share_six_partitions(
        &cluster,
        "shared",
        "coop",
        |bootstrap, group| {
            rd_consumer(
                bootstrap,
                group,
                &[("partition.assignment.strategy", "cooperative-sticky")],
            )
        },
    )
    .await;
}

/// Proven on: the testkit, certified by librdkafka's admin client (CreatePartitions,
/// DeleteRecords) and consumer (`offsets_for_times`, ListOffsets by timestamp), each result
/// checked against the testkit's own state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_admin_create_partitions_delete_records_and_offsets_for_times() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    cluster.create_topic("adm", 2, 3).unwrap();
    let bootstrap = cluster.bootstrap();
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()
        .expect("librdkafka admin");
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));

    let grown = admin
        .create_partitions(&[NewPartitions::new("adm", 5)], &options)
        .await
        .unwrap();
    assert!(grown[0].is_ok(), "{grown:?}");
    assert_eq!(cluster.partition_count("adm"), Some(5));
    let shrink = admin
        .create_partitions(&[NewPartitions::new("adm", 3)], &options)
        .await
        .unwrap();
    assert!(shrink[0].is_err(), "shrinking is refused: {shrink:?}");

    // Ten records on the new partition 4 with timestamps 1000, 2000, ... 10000.
    let b = bootstrap.clone();
    blocking(move || {
        let (producer, context) = rd_producer(&b, &[]);
        rd_produce(&producer, &context, "adm", Some(4), 0, 10, |i| {
            Some(1_000 * (i as i64 + 1))
        });
    })
    .await;
    assert_eq!(cluster.offsets("adm", 4), Some((0, 10)));

    let mut before = TopicPartitionList::new();
    before
        .add_partition_offset("adm", 4, Offset::Offset(3))
        .unwrap();
    let deleted = admin.delete_records(&before, &options).await.unwrap();
    let low = deleted.find_partition("adm", 4).unwrap();
    assert_eq!(low.offset(), Offset::Offset(3), "the new low watermark");
    assert_eq!(cluster.offsets("adm", 4), Some((3, 10)));

    let b = bootstrap.clone();
    let found = blocking(move || {
        let consumer = rd_consumer(&b, "times", &[]);
        let lookup = |ts: i64| {
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset("adm", 4, Offset::Offset(ts))
                .unwrap();
            let answer = consumer
                .offsets_for_times(tpl, Duration::from_secs(30))
                .unwrap();
            answer.find_partition("adm", 4).unwrap().offset()
        };
        // 5500 → first record at or after it is 6000 (offset 5); 1000 is below the log
        // start (deleted), so the first remaining record (offset 3) answers; past the newest
        // timestamp there is none (librdkafka reports End).
        (lookup(5_500), lookup(1_000), lookup(20_000))
    })
    .await;
    assert_eq!(found.0, Offset::Offset(5));
    assert_eq!(found.1, Offset::Offset(3));
    assert_eq!(found.2, Offset::End);
}

/// Proven on: the testkit with racks (broker i in `rack-i`, rack-aware replica selection),
/// certified by a librdkafka consumer with `client.rack = rack-1`: the leader (broker 0)
/// points it at the follower in its rack, which then serves the fetches (KIP-392).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_fetches_from_the_follower_in_its_rack() {
    let cluster = Cluster::builder()
        .brokers(3)
        .racks(true)
        .build()
        .await
        .unwrap();
    cluster.create_topic("racked", 1, 3).unwrap();
    let (leader, _) = cluster.leader("racked", 0).unwrap();
    let follower_rack = (leader + 1) % 3;
    let bootstrap = cluster.bootstrap();
    let rack = format!("rack-{follower_rack}");
    let read = blocking(move || {
        let (producer, context) = rd_producer(&bootstrap, &[]);
        rd_produce(&producer, &context, "racked", None, 0, 100, |_| None);
        rd_read_all(
            &bootstrap,
            "racked",
            1,
            100,
            &[("client.rack", rack.as_str())],
        )
    })
    .await;
    assert_eq!(read.into_iter().collect::<BTreeSet<_>>(), keys(0, 100));
    assert!(
        cluster.requests(follower_rack, ApiKey::Fetch) > 0,
        "the follower in the client's rack served fetches"
    );
}

/// Proven on: the testkit's Metadata auto-creation (on by default, `num.partitions` 1),
/// certified by a librdkafka producer writing to a topic nobody created and a librdkafka
/// consumer that resumes from the offset its group committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_auto_creates_a_topic_and_resumes_from_committed_offsets() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    let bootstrap = cluster.bootstrap();
    let (first, second) = blocking(move || {
        let (producer, context) = rd_producer(&bootstrap, &[]);
        rd_produce(&producer, &context, "fresh", None, 0, 50, |_| None);
        let read_some = |want: usize| {
            let consumer = rd_consumer(&bootstrap, "resume", &[]);
            consumer.subscribe(&["fresh"]).unwrap();
            let deadline = Instant::now() + WAIT;
            let mut keys = Vec::new();
            while keys.len() < want && Instant::now() < deadline {
                if let Some(m) = consumer.poll(Duration::from_millis(100)) {
                    let m = m.expect("consume without error");
                    keys.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
                    if keys.len() == want {
                        let mut tpl = TopicPartitionList::new();
                        tpl.add_partition_offset("fresh", 0, Offset::Offset(m.offset() + 1))
                            .unwrap();
                        consumer
                            .commit(&tpl, rdkafka::consumer::CommitMode::Sync)
                            .expect("commit");
                    }
                }
            }
            keys
        };
        let first = read_some(20);
        let second = read_some(30);
        (first, second)
    })
    .await;
    assert_eq!(
        cluster.partition_count("fresh"),
        Some(1),
        "auto-created with 1 partition"
    );
    assert_eq!(held(&cluster, "fresh"), 50);
    let expected: Vec<String> = (0..50).map(|i| format!("k{i}")).collect();
    assert_eq!(first, expected[..20], "the first member read the first 20");
    assert_eq!(
        second,
        expected[20..],
        "the second resumed at the committed offset 20"
    );
    assert_eq!(cluster.committed_offset("resume", "fresh", 0), Some(50));
}

/// Proven on: the testkit's transaction coordinator, certified by librdkafka's
/// transactional producer (commit, abort, commit with `send_offsets_to_transaction`, and an
/// open transaction left pending) and read_committed / read_uncommitted librdkafka
/// consumers: read_committed sees exactly the committed records (librdkafka skips aborted
/// ones by the Fetch aborted-transactions list and stops at the last stable offset), and the
/// group offset committed inside the transaction is applied with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_transactions_commit_abort_and_read_committed() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    cluster.create_topic("txn", 2, 3).unwrap();
    let bootstrap = cluster.bootstrap();
    let (producer, committed, everything) = blocking(move || {
        let (producer, context) = rd_producer(&bootstrap, &[("transactional.id", "rd-tx")]);
        producer.init_transactions(WAIT).expect("init_transactions");
        producer.begin_transaction().unwrap();
        rd_produce(&producer, &context, "txn", None, 0, 50, |_| None);
        producer.commit_transaction(WAIT).expect("commit");

        producer.begin_transaction().unwrap();
        for i in 0..50 {
            let key = format!("aborted{i}");
            producer
                .send(BaseRecord::to("txn").key(&key).payload("v"))
                .map_err(|(e, _)| e)
                .unwrap();
        }
        producer.flush(WAIT).unwrap();
        producer.abort_transaction(WAIT).expect("abort");

        let group = rd_consumer(&bootstrap, "rd-g", &[]);
        producer.begin_transaction().unwrap();
        rd_produce(&producer, &context, "txn", None, 50, 50, |_| None);
        let mut offsets = TopicPartitionList::new();
        offsets
            .add_partition_offset("txn", 0, Offset::Offset(7))
            .unwrap();
        producer
            .send_offsets_to_transaction(&offsets, &group.group_metadata().unwrap(), WAIT)
            .expect("send_offsets_to_transaction");
        producer.commit_transaction(WAIT).expect("commit");

        // A transaction left open: read_committed must stop before it.
        producer.begin_transaction().unwrap();
        for i in 0..10 {
            let key = format!("open{i}");
            producer
                .send(BaseRecord::to("txn").key(&key).payload("v"))
                .map_err(|(e, _)| e)
                .unwrap();
        }
        producer.flush(WAIT).unwrap();
        let committed = rd_read_all(
            &bootstrap,
            "txn",
            2,
            100,
            &[("isolation.level", "read_committed")],
        );
        let everything = rd_read_all(
            &bootstrap,
            "txn",
            2,
            160,
            &[("isolation.level", "read_uncommitted")],
        );
        (producer, committed, everything)
    })
    .await;
    assert_eq!(
        committed.len(),
        100,
        "read_committed: exactly the committed records"
    );
    assert_eq!(committed.into_iter().collect::<BTreeSet<_>>(), keys(0, 100));
    assert_eq!(everything.len(), 160, "read_uncommitted: every data record");
    assert!(everything.iter().any(|k| k.starts_with("open")));
    assert_eq!(
        cluster.committed_offset("rd-g", "txn", 0),
        Some(7),
        "the transaction's offset was applied"
    );
    blocking(move || {
        producer
            .abort_transaction(WAIT)
            .expect("abort the open one")
    })
    .await;
}

/// Proven on: the testkit with SASL listeners, certified by librdkafka logging in with
/// SASL PLAIN (this build of librdkafka has no OpenSSL, so no SCRAM: kcat, on a librdkafka
/// with OpenSSL, certifies SCRAM below): its producer and consumer round-trip 100 records, and a
/// wrong password gets no metadata.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_logs_in_with_sasl_plain() {
    let cluster = Cluster::builder()
        .brokers(3)
        .sasl_user(Mechanism::Plain, "alice", "alice-pw")
        .build()
        .await
        .unwrap();
    cluster.create_topic("sasl", 3, 3).unwrap();
    let bootstrap = cluster.bootstrap();
    let (read, wrong) = blocking(move || {
        let login = |password: &'static str| {
            [
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanisms", "PLAIN"),
                ("sasl.username", "alice"),
                ("sasl.password", password),
            ]
        };
        let (producer, context) = rd_producer(&bootstrap, &login("alice-pw"));
        rd_produce(&producer, &context, "sasl", None, 0, 100, |_| None);
        let read = rd_read_all(&bootstrap, "sasl", 3, 100, &login("alice-pw"));
        let intruder = rd_consumer(&bootstrap, "intruder", &login("wrong"));
        let wrong = intruder.fetch_metadata(Some("sasl"), Duration::from_secs(5));
        (read, wrong.map(|m| m.topics().len()))
    })
    .await;
    assert_eq!(read.len(), 100);
    assert_eq!(read.into_iter().collect::<BTreeSet<_>>(), keys(0, 100));
    assert!(wrong.is_err(), "a wrong password gets nothing: {wrong:?}");
    assert!(cluster.total_requests(ApiKey::SaslAuthenticate) >= 2);
}

/// Proven on: the testkit's KIP-848 coordinator resolving a subscription regex, certified by
/// a librdkafka consumer with `group.protocol=consumer` subscribed to `^rx-.*`: it is assigned
/// the partitions of `rx-a` and `rx-b` (not `ry`) and reads exactly their records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kip848_librdkafka_consumer_subscribes_by_regex() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    for topic in ["rx-a", "rx-b", "ry"] {
        cluster.create_topic(topic, 2, 2).unwrap();
    }
    let bootstrap = cluster.bootstrap();
    let (assigned, read) = blocking(move || {
        let (producer, context) = rd_producer(&bootstrap, &[]);
        rd_produce(&producer, &context, "rx-a", None, 0, 30, |_| None);
        rd_produce(&producer, &context, "rx-b", None, 30, 30, |_| None);
        rd_produce(&producer, &context, "ry", None, 1000, 30, |_| None);
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", "regex-g")
            .set("group.protocol", "consumer")
            .set("auto.offset.reset", "earliest");
        let c: BaseConsumer = config.create().expect("librdkafka consumer");
        c.subscribe(&["^rx-.*"]).unwrap();
        let deadline = Instant::now() + WAIT;
        let mut read = Vec::new();
        while read.len() < 60 && Instant::now() < deadline {
            if let Some(m) = c.poll(Duration::from_millis(100)) {
                let m = m.expect("consume without error");
                read.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
            }
        }
        for _ in 0..10 {
            if let Some(m) = c.poll(Duration::from_millis(50)) {
                let m = m.expect("consume without error");
                read.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
            }
        }
        let assigned: BTreeSet<(String, i32)> = c
            .assignment()
            .unwrap()
            .elements()
            .iter()
            .map(|e| (e.topic().to_owned(), e.partition()))
            .collect();
        (assigned, read)
    })
    .await;
    let expected: BTreeSet<(String, i32)> = ["rx-a", "rx-b"]
        .iter()
        .flat_map(|t| (0..2).map(move |p| (t.to_string(), p)))
        .collect();
    assert_eq!(assigned, expected);
    assert_eq!(read.len(), 60, "exactly the rx-* records");
    assert_eq!(read.into_iter().collect::<BTreeSet<_>>(), keys(0, 60));
}

/// The key of a consumed record; `None` for the transport errors librdkafka reports when a
/// broker it was connected to stops (as it does with Kafka); any other error fails the test.
fn key_unless_transport_error(
    polled: rdkafka::error::KafkaResult<rdkafka::message::BorrowedMessage<'_>>,
) -> Option<String> {
    use rdkafka::types::RDKafkaErrorCode::{AllBrokersDown, BrokerTransportFailure};
    match polled {
        Ok(m) => Some(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned()),
        Err(rdkafka::error::KafkaError::MessageConsumption(
            BrokerTransportFailure | AllBrokersDown,
        )) => None,
        Err(e) => panic!("consume error: {e}"),
    }
}

/// Proven on: the testkit's KIP-848 coordinator (ConsumerGroupHeartbeat, server-side
/// `uniform` assignor, revoke-before-assign reconciliation), certified by three librdkafka
/// consumers with `group.protocol=consumer`: the six partitions are shared (each owned by
/// exactly one member, every member owning some), each of 600 records is consumed exactly
/// once, and commits carry the member epoch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kip848_group_of_three_librdkafka_consumers_shares_partitions() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    three_librdkafka_members_share_six_partitions(
        &cluster,
        "kip848",
        "kip848-g",
        |bootstrap, group| {
            // librdkafka refuses the classic session settings under group.protocol=consumer.
            let mut config = ClientConfig::new();
            config
                .set("bootstrap.servers", bootstrap)
                .set("group.id", group)
                .set("group.protocol", "consumer")
                .set("auto.offset.reset", "earliest")
                .set("enable.auto.commit", "false");
            config.create().expect("librdkafka consumer")
        },
    )
    .await;
    assert!(cluster.total_requests(ApiKey::ConsumerGroupHeartbeat) >= 3);
}

/// Proven on: the testkit stopping a partition's leader mid-stream, certified by
/// librdkafka: its idempotent producer follows the new leader, its consumer validates its
/// position against the new leader epoch (KIP-320 OffsetForLeaderEpoch) and carries on, and
/// each of the 200 records is read exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_follows_a_leader_failover() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    cluster.create_topic("fo", 1, 3).unwrap();
    let bootstrap = cluster.bootstrap();
    let read_until = |consumer: &BaseConsumer, keys: &mut Vec<String>, count: usize| {
        let deadline = Instant::now() + WAIT;
        while keys.len() < count && Instant::now() < deadline {
            if let Some(polled) = consumer.poll(Duration::from_millis(100)) {
                keys.extend(key_unless_transport_error(polled));
            }
        }
    };
    let (producer, context, consumer, mut read) = blocking(move || {
        let (producer, context) = rd_producer(&bootstrap, &[("enable.idempotence", "true")]);
        rd_produce(&producer, &context, "fo", None, 0, 100, |_| None);
        let consumer = rd_consumer(&bootstrap, "fo-reader", &[]);
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("fo", 0, Offset::Beginning)
            .unwrap();
        consumer.assign(&tpl).unwrap();
        let mut read = Vec::new();
        read_until(&consumer, &mut read, 100);
        (producer, context, consumer, read)
    })
    .await;
    assert_eq!(read.len(), 100);
    let (leader, epoch) = cluster.leader("fo", 0).unwrap();
    let validations_before = cluster.total_requests(ApiKey::OffsetForLeaderEpoch);
    cluster.stop_broker(leader).unwrap();
    assert_eq!(cluster.leader("fo", 0).unwrap().1, epoch + 1);
    let read = blocking(move || {
        rd_produce(&producer, &context, "fo", None, 100, 100, |_| None);
        read_until(&consumer, &mut read, 200);
        // Polling a little longer would reveal a record delivered twice.
        for _ in 0..10 {
            if let Some(polled) = consumer.poll(Duration::from_millis(50)) {
                read.extend(key_unless_transport_error(polled));
            }
        }
        read
    })
    .await;
    assert_eq!(held(&cluster, "fo"), 200, "no duplicate in the log");
    assert_eq!(read.len(), 200, "each record read exactly once");
    assert_eq!(read.into_iter().collect::<BTreeSet<_>>(), keys(0, 200));
    assert!(
        cluster.total_requests(ApiKey::OffsetForLeaderEpoch) > validations_before,
        "librdkafka validated its position against the new leader epoch"
    );
}

/// Proven on: the testkit's static membership (KIP-345), certified by librdkafka consumers
/// with `group.instance.id`: a member closed and restarted under the same instance id takes
/// its old place — same partitions, the group still two members — without waiting for a
/// session timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_static_librdkafka_member_gets_its_partitions_back() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    cluster.create_topic("static", 4, 2).unwrap();
    let bootstrap = cluster.bootstrap();
    let member = move |instance: &str| {
        let c = rd_consumer(
            &bootstrap,
            "static-g",
            &[
                ("group.instance.id", instance),
                // Longer than the restart below; librdkafka wants it <= max.poll.interval.ms.
                ("session.timeout.ms", "10000"),
                // The rebalance timeout: a join that waits for a member that is not polled
                // (see the drops below) waits this long at most.
                ("max.poll.interval.ms", "10000"),
            ],
        );
        c.subscribe(&["static"]).unwrap();
        c
    };
    // librdkafka serves a rebalance only while its consumer is polled, and a closing member
    // waits for the rebalance it is in: so one member is closed on its own thread while the
    // other keeps polling.
    let close_while_polling = |closing: BaseConsumer, polled: &BaseConsumer| {
        let closer = std::thread::spawn(move || drop(closing));
        while !closer.is_finished() {
            polled.poll(Duration::from_millis(50));
        }
        closer.join().unwrap();
    };
    let assigned = |c: &BaseConsumer| -> BTreeSet<i32> {
        c.assignment()
            .unwrap()
            .elements()
            .iter()
            .map(|e| e.partition())
            .collect()
    };
    let (before, after, members) = blocking(move || {
        let a = member("i1");
        let b = member("i2");
        let deadline = Instant::now() + WAIT;
        while (assigned(&a).len() + assigned(&b).len() != 4
            || assigned(&a).is_empty()
            || assigned(&b).is_empty())
            && Instant::now() < deadline
        {
            a.poll(Duration::from_millis(50));
            b.poll(Duration::from_millis(50));
        }
        let before = assigned(&b);
        close_while_polling(b, &a);
        let b = member("i2");
        let deadline = Instant::now() + WAIT;
        while assigned(&b).is_empty() && Instant::now() < deadline {
            a.poll(Duration::from_millis(50));
            b.poll(Duration::from_millis(50));
        }
        let after = assigned(&b);
        // Read the group before closing anyone: a static member's close sends no LeaveGroup.
        (before, after, (a, b))
    })
    .await;
    assert_eq!(before.len(), 2, "two partitions each: {before:?}");
    assert_eq!(
        after, before,
        "the restarted static member got its partitions back"
    );
    let (state, _, size) = cluster.group("static-g").unwrap();
    assert_eq!(
        size, 2,
        "the restarted member replaced its old self ({state})"
    );
    blocking(move || {
        let (a, b) = members;
        close_while_polling(b, &a);
        drop(a);
    })
    .await;
}

/// Throughput of the testkit with librdkafka: records/s produced (acks=all, lz4, 100-byte
/// values) and fetched, over a bounded run of 200 000 records. Prints the numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "throughput measurement; run with --run-ignored only --no-capture"]
async fn throughput_librdkafka() {
    const N: usize = 200_000;
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    cluster.create_topic("tput", 3, 3).unwrap();
    let bootstrap = cluster.bootstrap();
    let (produce_s, fetch_s, read) = blocking(move || {
        let (producer, context) = rd_producer(
            &bootstrap,
            &[
                ("compression.codec", "lz4"),
                ("acks", "all"),
                ("batch.size", "1000000"),
            ],
        );
        let value = [b'x'; 100];
        let start = Instant::now();
        for i in 0..N {
            let key = format!("k{i}");
            let mut record = BaseRecord::to("tput").key(&key).payload(&value[..]);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, r)) => {
                        std::thread::sleep(Duration::from_millis(1));
                        record = r;
                    }
                }
            }
        }
        producer.flush(WAIT).unwrap();
        let produce_s = start.elapsed().as_secs_f64();
        assert!(context.failed.lock().unwrap().is_empty());
        let start = Instant::now();
        let read = rd_read_all(&bootstrap, "tput", 3, N, &[]).len();
        (produce_s, start.elapsed().as_secs_f64(), read)
    })
    .await;
    assert_eq!(read, N);
    assert_eq!(held(&cluster, "tput"), N as i64);
    eprintln!(
        "librdkafka on the testkit: produced {:.0} records/s, fetched {:.0} records/s ({N} records)",
        N as f64 / produce_s,
        N as f64 / fetch_s
    );
}

/// kcat's `-X` settings to log in with SASL over plaintext.
fn kcat_sasl(mechanism: &str, user: &str, password: &str) -> Vec<String> {
    [
        "security.protocol=SASL_PLAINTEXT".to_owned(),
        format!("sasl.mechanism={mechanism}"),
        format!("sasl.username={user}"),
        format!("sasl.password={password}"),
    ]
    .into_iter()
    .flat_map(|setting| ["-X".to_owned(), setting])
    .collect()
}

/// kcat (librdkafka 2.16, built with OpenSSL: `.broker/bin/kcat`) produces `n` `key:value`
/// lines to partition 0 of `topic` with `login`, then consumes `n` records back; returns
/// what it read, one `key=value` line per record, in order.
async fn kcat_round_trip(bootstrap: &str, topic: &str, n: usize, login: &[String]) -> Vec<String> {
    let lines: Vec<String> = (0..n).map(|i| format!("k{i}:v{i}")).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let login: Vec<&str> = login.iter().map(String::as_str).collect();
    let mut produce_args = vec!["-p", "0", "-K", ":"];
    produce_args.extend(&login);
    integration_tests::kcat::kcat_produce(bootstrap, topic, &lines, &produce_args).await;
    let count = n.to_string();
    let mut args = vec![
        "-C",
        "-b",
        bootstrap,
        "-t",
        topic,
        "-p",
        "0",
        "-o",
        "beginning",
    ];
    args.extend(["-c", &count, "-f", "%k=%s\n", "-q"]);
    args.extend(&login);
    let out = integration_tests::kcat::kcat(&args, None, WAIT)
        .await
        .unwrap();
    assert!(
        out.success(),
        "kcat did not read {n} records of {topic}: {out}"
    );
    out.stdout.lines().map(str::to_owned).collect()
}

/// Proven on: the testkit's SASL listeners (3 brokers; a PLAIN, a SCRAM-SHA-256 and a
/// SCRAM-SHA-512 user), certified by kcat on librdkafka 2.16 with OpenSSL (the rdkafka
/// crate's librdkafka has none, so it cannot do SCRAM): with each mechanism kcat produces 100
/// records and consumes them back exactly, in order, and the testkit recorded logins with
/// that mechanism and principal; a wrong SCRAM password is refused, and kcat reports the
/// broker's "invalid credentials" message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_logs_in_with_scram_sha_256_scram_sha_512_and_plain() {
    const N: usize = 100;
    let cluster = Cluster::builder()
        .brokers(3)
        .sasl_user(Mechanism::Plain, "alice", "alice-pw")
        .sasl_user(Mechanism::ScramSha256, "bob", "bob-pw")
        .sasl_user(Mechanism::ScramSha512, "carol", "carol-pw")
        .build()
        .await
        .unwrap();
    let bootstrap = cluster.bootstrap();
    for (mechanism, name, user, password, topic) in [
        (
            Mechanism::ScramSha256,
            "SCRAM-SHA-256",
            "bob",
            "bob-pw",
            "kcat-scram-256",
        ),
        (
            Mechanism::ScramSha512,
            "SCRAM-SHA-512",
            "carol",
            "carol-pw",
            "kcat-scram-512",
        ),
        (Mechanism::Plain, "PLAIN", "alice", "alice-pw", "kcat-plain"),
    ] {
        cluster.create_topic(topic, 1, 3).unwrap();
        let before = cluster.sasl_sessions().len();
        let read = kcat_round_trip(&bootstrap, topic, N, &kcat_sasl(name, user, password)).await;
        let expected: Vec<String> = (0..N).map(|i| format!("k{i}=v{i}")).collect();
        assert_eq!(read, expected, "{name}: every record once, in order");
        assert_eq!(held(&cluster, topic), N as i64, "{name}");
        let sessions = cluster.sasl_sessions();
        let served: Vec<_> = sessions[before..]
            .iter()
            .filter(|s| s.requests_served > 0)
            .collect();
        assert!(!served.is_empty(), "{name}: no logged-in connection");
        for s in served {
            assert_eq!(s.mechanism, Some(mechanism), "{name}: {s:?}");
            assert_eq!(
                s.principal.as_deref(),
                Some(format!("User:{user}").as_str())
            );
        }
    }

    // A wrong SCRAM password: no metadata, and librdkafka logs the broker's message.
    let wrong = kcat_sasl("SCRAM-SHA-256", "bob", "not-bob-pw");
    let mut args = vec!["-L", "-b", bootstrap.as_str(), "-m", "5"];
    args.extend(wrong.iter().map(String::as_str));
    let out = integration_tests::kcat::kcat(&args, None, WAIT)
        .await
        .unwrap();
    assert!(!out.success(), "a wrong password must fail: {out}");
    assert!(
        out.stderr
            .contains("invalid credentials with SASL mechanism SCRAM-SHA-256"),
        "kcat should report the broker's reason: {out}"
    );
    assert!(
        !out.stdout.contains("kcat-scram-256"),
        "a refused login lists no topic: {out}"
    );
}

/// Proven on: the testkit's TLS listeners (3 brokers, a server certificate from a test CA;
/// the `tls` feature), certified by kcat on librdkafka 2.16 with OpenSSL: over SSL with
/// `ssl.ca.location` kcat produces 100 records and consumes them back exactly; over SASL_SSL
/// it does the same logged in with SCRAM-SHA-512; and a kcat trusting another CA refuses the
/// brokers with OpenSSL's certificate verification error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_talks_ssl_and_sasl_ssl_with_scram() {
    const N: usize = 100;
    let ca = kafkito_testkit::TestCa::new("testkit CA").unwrap();
    let other_ca = kafkito_testkit::TestCa::new("some other CA").unwrap();
    let dir = std::env::temp_dir().join(format!("testkit-cert-kcat-ssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let other_ca_file = dir.join("other-ca.pem");
    std::fs::write(&other_ca_file, other_ca.pem()).unwrap();
    let ssl = |ca_file: &std::path::Path, protocol: &str| {
        vec![
            "-X".to_owned(),
            format!("security.protocol={protocol}"),
            "-X".to_owned(),
            format!("ssl.ca.location={}", ca_file.display()),
        ]
    };
    let expected: Vec<String> = (0..N).map(|i| format!("k{i}=v{i}")).collect();

    // SSL.
    let cluster = Cluster::builder()
        .brokers(3)
        .tls(ca.server_config().unwrap())
        .build()
        .await
        .unwrap();
    cluster.create_topic("kcat-ssl", 1, 3).unwrap();
    let read = kcat_round_trip(&cluster.bootstrap(), "kcat-ssl", N, &ssl(&ca_file, "SSL")).await;
    assert_eq!(read, expected, "SSL: every record once, in order");
    assert_eq!(held(&cluster, "kcat-ssl"), N as i64);

    // An untrusted server certificate.
    let bootstrap = cluster.bootstrap();
    let mut args = vec!["-L", "-b", bootstrap.as_str(), "-m", "5"];
    let untrusted = ssl(&other_ca_file, "SSL");
    args.extend(untrusted.iter().map(String::as_str));
    let out = integration_tests::kcat::kcat(&args, None, WAIT)
        .await
        .unwrap();
    assert!(!out.success(), "an untrusted broker must be refused: {out}");
    assert!(
        out.stderr.contains("certificate verify failed"),
        "kcat should say why: {out}"
    );
    drop(cluster);

    // SASL_SSL with SCRAM-SHA-512.
    let cluster = Cluster::builder()
        .brokers(3)
        .tls(ca.server_config().unwrap())
        .sasl_user(Mechanism::ScramSha512, "carol", "carol-pw")
        .build()
        .await
        .unwrap();
    cluster.create_topic("kcat-sasl-ssl", 1, 3).unwrap();
    let mut login = ssl(&ca_file, "SASL_SSL");
    login.extend(
        kcat_sasl("SCRAM-SHA-512", "carol", "carol-pw")
            .into_iter()
            .skip(2), // kcat_sasl's security.protocol, replaced by SASL_SSL
    );
    let read = kcat_round_trip(&cluster.bootstrap(), "kcat-sasl-ssl", N, &login).await;
    assert_eq!(read, expected, "SASL_SSL: every record once, in order");
    let sessions = cluster.sasl_sessions();
    assert!(
        sessions
            .iter()
            .any(|s| s.requests_served > 0 && s.mechanism == Some(Mechanism::ScramSha512)),
        "SCRAM logins over TLS: {sessions:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
