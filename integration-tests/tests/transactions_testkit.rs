//! read_committed checked by two clients, on a broker that implements it.
//!
//! Proven on: kafkito-testkit (in-process, 3 brokers, replication factor 3), whose Fetch answers
//! carry the aborted-transactions list and stop at the last stable offset, as Kafka's do.
//! tansu cannot prove this: its aborted-transactions list is always empty (integration-tests
//! README, quirk 13), and librdkafka's mock cluster writes no markers at all.
//!
//! - Our transactional producers write interleaved transactions (two transactional ids open at
//!   once, each spanning every partition), commit some, abort others and leave one open; our
//!   read_committed consumer AND librdkafka's (`isolation.level=read_committed`) read exactly
//!   the committed records, and librdkafka's read_uncommitted consumer reads every data record
//!   (so the aborted ones really are in the log, between committed ones).
//! - The reverse: librdkafka's transactional producers write the same pattern, and our
//!   read_committed consumer reads exactly the committed records. Aborted batches that sit
//!   before a later committed batch of the same partition can only be dropped by the
//!   aborted-transactions list or by the markers; this is the path tansu never exercises.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use kafkito::consumer::{Consumer, ConsumerConfig, ConsumerRecord, TopicPartition};
use kafkito::net::Connection;
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito::protocol::messages::{fetch_request, ApiKey, FetchRequest};
use kafkito::ClientConfig as OurClientConfig;
use kafkito_testkit::Cluster;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseRecord, Producer as _, ThreadedProducer};
use rdkafka::producer::{DefaultProducerContext, NoCustomPartitioner};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

const PARTITIONS: i32 = 3;
/// Records per transaction (spread over every partition).
const PER_TXN: usize = 30;
/// Generous bound for anything that waits on the cluster.
const WAIT: Duration = Duration::from_secs(60);

async fn cluster_with_topic(topic: &str) -> Cluster {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    cluster.create_topic(topic, PARTITIONS, 3).unwrap();
    cluster
}

/// Our transactional producer.
async fn our_txn_producer(bootstrap: &str, id: &str) -> Producer {
    let config = ProducerConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("transactional.id", id),
        ("linger.ms", "0"),
        ("request.timeout.ms", "10000"),
        ("delivery.timeout.ms", "30000"),
        ("max.block.ms", "20000"),
        ("transaction.timeout.ms", "60000"),
    ])
    .unwrap();
    let producer = Producer::new(config).await.unwrap();
    producer.init_transactions().await.unwrap();
    producer
}

/// Sends `{prefix}-{i}` for `i` in `range`, record `i` to partition `i % PARTITIONS`, and
/// waits for every acknowledgement.
async fn our_send(producer: &Producer, topic: &str, prefix: &str, range: std::ops::Range<usize>) {
    let mut acks = Vec::new();
    for i in range {
        let record = ProducerRecord::new(topic)
            .partition(i as i32 % PARTITIONS)
            .key(format!("{prefix}-{i}"))
            .value("v");
        acks.push(producer.send(record).await.unwrap());
    }
    for ack in acks {
        ack.await.unwrap();
    }
}

fn names(prefix: &str, count: usize) -> BTreeSet<String> {
    (0..count).map(|i| format!("{prefix}-{i}")).collect()
}

/// Keys read, asserting none was read twice.
fn unique_keys(keys: Vec<String>) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for key in keys {
        assert!(set.insert(key.clone()), "{key} was read twice");
    }
    set
}

/// Our consumer at `isolation`, assigned every partition from the beginning, polled until
/// `want` records arrived and every position reached the end of the log as this consumer
/// reads it (`end_offsets`: the last stable offset under read_committed), or until `WAIT`
/// passed. Extra records are caught because the position is at the end, so nothing is left
/// to return.
async fn our_read(bootstrap: &str, topic: &str, isolation: &str, want: usize) -> Vec<String> {
    let config = ConsumerConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("isolation.level", isolation),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
        ("fetch.max.wait.ms", "100"),
    ])
    .unwrap();
    let mut consumer = Consumer::new(config).await.unwrap();
    let tps: Vec<TopicPartition> = (0..PARTITIONS)
        .map(|p| TopicPartition::new(topic, p))
        .collect();
    consumer.assign(tps.iter().cloned()).unwrap();
    let ends = consumer.end_offsets(&tps).await.unwrap();
    let at_end = |c: &Consumer| {
        ends.iter()
            .all(|(tp, end)| c.position(tp).is_some_and(|p| p >= *end))
    };
    let started = Instant::now();
    let mut out: Vec<ConsumerRecord> = Vec::new();
    while (out.len() < want || !at_end(&consumer)) && started.elapsed() < WAIT {
        out.extend(consumer.poll(Duration::from_millis(200)).await.unwrap());
    }
    assert!(
        at_end(&consumer),
        "our {isolation} consumer never reached {ends:?}"
    );
    out.iter()
        .map(|r| String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()).into_owned())
        .collect()
}

/// librdkafka's consumer at `isolation`, assigned every partition from the beginning, polled
/// until every partition reported end of partition (`enable.partition.eof`: librdkafka's own
/// judgement of the end, the last stable offset under read_committed) with no record after
/// it, or until `WAIT` passed. Blocking: call through `spawn_blocking`.
fn rd_read(bootstrap: &str, topic: &str, isolation: &str) -> Vec<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "unused")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", isolation)
        .create()
        .expect("librdkafka consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut at_eof = BTreeMap::new();
    let mut keys = Vec::new();
    while at_eof.values().filter(|eof| **eof).count() < PARTITIONS as usize {
        assert!(
            Instant::now() < deadline,
            "librdkafka {isolation}: no end of partition on every partition: {at_eof:?}"
        );
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_eof.insert(p, true);
            }
            Some(Err(e)) => panic!("librdkafka {isolation} consumer: {e}"),
            Some(Ok(m)) => {
                at_eof.insert(m.partition(), false);
                keys.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
            }
        }
    }
    keys
}

/// kafkito-testkit, checked by librdkafka's read_committed consumer (an independent client):
/// our transactional producers `a` and `b` keep transactions open at the same time on every
/// partition, so their batches interleave in each partition's log. Round 1: `a` aborts, `b`
/// commits; round 2: `a` commits, `b` aborts; then `b` leaves a transaction open. Our
/// read_committed consumer and librdkafka's read exactly the committed records, once each;
/// librdkafka's read_uncommitted reader sees every data record, open ones included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_interleaved_transactions_read_committed_by_us_and_by_librdkafka() {
    let topic = "txn-ours";
    let cluster = cluster_with_topic(topic).await;
    let bootstrap = cluster.bootstrap();
    let a = our_txn_producer(&bootstrap, "ours-a").await;
    let b = our_txn_producer(&bootstrap, "ours-b").await;

    for (round, a_commits) in [(1, false), (2, true)] {
        a.begin_transaction().unwrap();
        b.begin_transaction().unwrap();
        // Alternate in thirds so each partition's log interleaves a's and b's batches.
        for third in 0..3 {
            let range = third * PER_TXN / 3..(third + 1) * PER_TXN / 3;
            our_send(&a, topic, &format!("a{round}"), range.clone()).await;
            our_send(&b, topic, &format!("b{round}"), range).await;
        }
        if a_commits {
            a.commit_transaction().await.unwrap();
            b.abort_transaction().await.unwrap();
        } else {
            a.abort_transaction().await.unwrap();
            b.commit_transaction().await.unwrap();
        }
    }
    b.begin_transaction().unwrap();
    our_send(&b, topic, "open", 0..PER_TXN).await;
    for p in 0..PARTITIONS {
        let (_, high) = cluster.offsets(topic, p).unwrap();
        let stable = cluster.last_stable_offset(topic, p).unwrap();
        assert!(
            stable < high,
            "partition {p}: an open transaction, {stable} < {high}"
        );
    }

    let committed: BTreeSet<String> = names("b1", PER_TXN)
        .into_iter()
        .chain(names("a2", PER_TXN))
        .collect();
    let ours = unique_keys(our_read(&bootstrap, topic, "read_committed", committed.len()).await);
    assert_eq!(ours, committed, "our read_committed consumer");

    let bs = bootstrap.clone();
    let (theirs, everything) = tokio::task::spawn_blocking(move || {
        (
            rd_read(&bs, topic, "read_committed"),
            rd_read(&bs, topic, "read_uncommitted"),
        )
    })
    .await
    .unwrap();
    assert_eq!(
        unique_keys(theirs),
        committed,
        "librdkafka's read_committed consumer"
    );
    let written: BTreeSet<String> = ["a1", "b1", "a2", "b2", "open"]
        .iter()
        .flat_map(|prefix| names(prefix, PER_TXN))
        .collect();
    assert_eq!(
        unique_keys(everything),
        written,
        "librdkafka's read_uncommitted consumer"
    );

    b.abort_transaction().await.unwrap();
    a.close(Duration::from_secs(5)).await.unwrap();
    b.close(Duration::from_secs(5)).await.unwrap();
}

/// The aborted-transactions list of a read_committed Fetch from offset 0 of `partition`,
/// asked of its leader: `(producer id, first offset)` pairs.
async fn aborted_list(cluster: &Cluster, topic: &str, partition: i32) -> Vec<(i64, i64)> {
    let (leader, _) = cluster.leader(topic, partition).unwrap();
    let address = cluster.broker_address(leader).unwrap();
    let conn = Connection::connect(&address, &OurClientConfig::default())
        .await
        .unwrap();
    let version = conn.version_for(ApiKey::Fetch).unwrap().min(12);
    let mut response = conn
        .call(
            &FetchRequest {
                replica_id: -1,
                max_wait_ms: 100,
                min_bytes: 1,
                max_bytes: 1 << 20,
                isolation_level: 1,
                topics: vec![fetch_request::FetchTopic {
                    topic: topic.to_string(),
                    partitions: vec![fetch_request::FetchPartition {
                        partition,
                        fetch_offset: 0,
                        partition_max_bytes: 1 << 20,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            },
            version,
        )
        .await
        .unwrap();
    let data = response.responses.remove(0).partitions.remove(0);
    assert_eq!(data.error_code, 0, "fetch error");
    data.aborted_transactions
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.producer_id, a.first_offset))
        .collect()
}

fn rd_txn_producer(bootstrap: &str, id: &str) -> ThreadedProducer<DefaultProducerContext> {
    let producer: ThreadedProducer<DefaultProducerContext, NoCustomPartitioner> =
        ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("transactional.id", id)
            .set("linger.ms", "0")
            .set("message.timeout.ms", "60000")
            .create()
            .expect("librdkafka transactional producer");
    producer.init_transactions(WAIT).expect("init_transactions");
    producer
}

/// Sends `{prefix}-{i}` through librdkafka like [`our_send`] and flushes.
fn rd_send(
    producer: &ThreadedProducer<DefaultProducerContext>,
    topic: &str,
    prefix: &str,
    range: std::ops::Range<usize>,
) {
    for i in range {
        let key = format!("{prefix}-{i}");
        producer
            .send(
                BaseRecord::to(topic)
                    .partition(i as i32 % PARTITIONS)
                    .key(&key)
                    .payload("v"),
            )
            .map_err(|(e, _)| e)
            .expect("librdkafka send");
    }
    producer.flush(WAIT).expect("librdkafka flush");
}

/// kafkito-testkit, written by librdkafka's transactional producers (an independent client):
/// the same interleaved pattern as above (round 1: `a` aborts, `b` commits; round 2: `a`
/// commits, `b` aborts; `b` left open). Our read_committed consumer reads exactly the
/// committed records, once each, and stops at the last stable offset; our read_uncommitted
/// consumer reads every data record. The aborted batches sit between committed ones of the
/// same partition, so the Fetch aborted-transactions list (which tansu never sends) or the
/// markers must drop them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_interleaved_transactions_read_committed_by_us() {
    let topic = "txn-theirs";
    let cluster = cluster_with_topic(topic).await;
    let bootstrap = cluster.bootstrap();
    let bs = bootstrap.clone();
    let open = tokio::task::spawn_blocking(move || {
        let a = rd_txn_producer(&bs, "rd-a");
        let b = rd_txn_producer(&bs, "rd-b");
        for (round, a_commits) in [(1, false), (2, true)] {
            a.begin_transaction().unwrap();
            b.begin_transaction().unwrap();
            for third in 0..3 {
                let range = third * PER_TXN / 3..(third + 1) * PER_TXN / 3;
                rd_send(&a, topic, &format!("a{round}"), range.clone());
                rd_send(&b, topic, &format!("b{round}"), range);
            }
            if a_commits {
                a.commit_transaction(WAIT).expect("a commits");
                b.abort_transaction(WAIT).expect("b aborts");
            } else {
                a.abort_transaction(WAIT).expect("a aborts");
                b.commit_transaction(WAIT).expect("b commits");
            }
        }
        b.begin_transaction().unwrap();
        rd_send(&b, topic, "open", 0..PER_TXN);
        b
    })
    .await
    .unwrap();
    for p in 0..PARTITIONS {
        let (_, high) = cluster.offsets(topic, p).unwrap();
        let stable = cluster.last_stable_offset(topic, p).unwrap();
        assert!(
            stable < high,
            "partition {p}: an open transaction, {stable} < {high}"
        );
    }

    // The path under test: each partition's read_committed Fetch names both aborted
    // transactions (a's in round 1, b's in round 2).
    for p in 0..PARTITIONS {
        let aborted = aborted_list(&cluster, topic, p).await;
        let producers: BTreeSet<i64> = aborted.iter().map(|(id, _)| *id).collect();
        assert_eq!(
            (aborted.len(), producers.len()),
            (2, 2),
            "partition {p}: aborted-transactions list {aborted:?}"
        );
    }

    let committed: BTreeSet<String> = names("b1", PER_TXN)
        .into_iter()
        .chain(names("a2", PER_TXN))
        .collect();
    let ours = unique_keys(our_read(&bootstrap, topic, "read_committed", committed.len()).await);
    assert_eq!(ours, committed, "our read_committed consumer");
    let written: BTreeSet<String> = ["a1", "b1", "a2", "b2", "open"]
        .iter()
        .flat_map(|prefix| names(prefix, PER_TXN))
        .collect();
    let everything =
        unique_keys(our_read(&bootstrap, topic, "read_uncommitted", written.len()).await);
    assert_eq!(everything, written, "our read_uncommitted consumer");

    tokio::task::spawn_blocking(move || open.abort_transaction(WAIT).expect("abort the open one"))
        .await
        .unwrap();
}
