//! The consumer's offset API as Java users know it: `beginning_offsets`, `end_offsets`
//! (under both isolation levels), `offsets_for_times`, commits that carry a metadata string and
//! `committed` returning it, and commits that land in call order.
//!
//! Brokers:
//! - tansu (the shared container) for the lookups and the metadata round trip; what our
//!   consumer answers is checked against librdkafka's own answers (`offsets_for_times`,
//!   `committed_offsets` with metadata), an independent client.
//! - librdkafka's mock cluster for commit order: it injects the retriable OffsetCommit error
//!   that makes an older commit retry while a newer one is made.
//! - kafkito-testkit (in-process) for what neither has: the last stable offset in a
//!   read_committed ListOffsets, and the timestamp index behind `offsets_for_times`.
//!
//! tansu's ListOffsets "latest" is wrong after multi-record batches (integration-tests
//! README, quirk 4), so the records here are written one awaited send at a time.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use integration_tests::{broker, create_topic, unique_topic};
use kafkito::consumer::{Consumer, ConsumerConfig, OffsetAndMetadata, TopicPartition};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito::Error;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

const BASE_TIME: i64 = 1_700_000_000_000;

async fn consumer(bootstrap: &str, extra: &[(&str, &str)]) -> Consumer {
    let mut props = vec![
        ("bootstrap.servers", bootstrap),
        ("enable.auto.commit", "false"),
        ("default.api.timeout.ms", "20000"),
    ];
    props.extend_from_slice(extra);
    Consumer::new(ConsumerConfig::from_properties(props).unwrap())
        .await
        .unwrap()
}

/// Writes `count` records to partition `p` of `topic`, one awaited send each (its own batch),
/// record `i` with timestamp `BASE_TIME + 10 * i`. Returns the acknowledged offsets.
async fn produce(bootstrap: &str, topic: &str, p: i32, count: usize) -> Vec<i64> {
    let producer = Producer::new(
        ProducerConfig::from_properties([("bootstrap.servers", bootstrap), ("linger.ms", "0")])
            .unwrap(),
    )
    .await
    .unwrap();
    let mut offsets = Vec::new();
    for i in 0..count {
        let record = ProducerRecord::new(topic)
            .partition(p)
            .value(format!("v{i}"))
            .timestamp(BASE_TIME + 10 * i as i64);
        offsets.push(producer.send(record).await.unwrap().await.unwrap().offset);
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
    offsets
}

fn rd_consumer(bootstrap: &str, group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("librdkafka consumer")
}

/// tansu, checked by librdkafka: `end_offsets` is one past the last acknowledged offset,
/// `beginning_offsets` the first, for every partition; an unknown partition is an error, not
/// a made-up number.
#[tokio::test]
async fn beginning_and_end_offsets_match_what_was_written() {
    let bootstrap = broker().await.bootstrap();
    let topic = unique_topic("offsets-ends");
    create_topic(&topic, 2).await;
    let written = [
        produce(&bootstrap, &topic, 0, 4).await,
        produce(&bootstrap, &topic, 1, 7).await,
    ];
    let tps: Vec<TopicPartition> = (0..2).map(|p| TopicPartition::new(&topic, p)).collect();
    let consumer = consumer(&bootstrap, &[]).await;
    let start = consumer.beginning_offsets(&tps).await.unwrap();
    let end = consumer.end_offsets(&tps).await.unwrap();
    for (p, offsets) in written.iter().enumerate() {
        let tp = &tps[p];
        assert_eq!(start[tp], offsets[0], "{tp} beginning");
        assert_eq!(end[tp], offsets.last().unwrap() + 1, "{tp} end");
    }
    // librdkafka's watermarks agree.
    let rd = rd_consumer(&bootstrap, "unused");
    for (p, tp) in tps.iter().enumerate() {
        let (low, high) = rd
            .fetch_watermarks(&topic, p as i32, Duration::from_secs(10))
            .unwrap();
        assert_eq!((low, high), (start[tp], end[tp]), "{tp} vs librdkafka");
    }
    let missing = consumer
        .end_offsets(&[TopicPartition::new(&topic, 9)])
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, Error::Protocol { .. } | Error::Timeout { .. }),
        "{missing}"
    );
}

/// kafkito-testkit (an in-process cluster with a transaction coordinator that keeps the last
/// stable offset; tansu answers 0 here, quirk 12, and librdkafka's mock writes no markers),
/// with the testkit's own last stable offset as the independent check: with a transaction
/// open on the partition, `end_offsets` of a read_committed consumer is the last stable offset
/// (the open transaction's first offset), and of a read_uncommitted one the high watermark;
/// once it commits, both are the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_offsets_follow_the_isolation_level() {
    let cluster = kafkito_testkit::Cluster::builder()
        .brokers(1)
        .build()
        .await
        .unwrap();
    let bootstrap = cluster.bootstrap();
    let topic = unique_topic("offsets-lso");
    cluster.create_topic(&topic, 1, 1).unwrap();
    let settled = produce(&bootstrap, &topic, 0, 3).await;
    let tp = TopicPartition::new(&topic, 0);
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("transactional.id", unique_topic("txn-lso").as_str()),
            ("linger.ms", "0"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    producer.init_transactions().await.unwrap();
    producer.begin_transaction().unwrap();
    let mut open = Vec::new();
    for i in 0..2 {
        let record = ProducerRecord::new(topic.as_str())
            .partition(0)
            .value(format!("t{i}"));
        open.push(producer.send(record).await.unwrap().await.unwrap().offset);
    }
    let committed_reader = consumer(&bootstrap, &[("isolation.level", "read_committed")]).await;
    let uncommitted_reader = consumer(&bootstrap, &[]).await;
    let tps = std::slice::from_ref(&tp);
    let stable = committed_reader.end_offsets(tps).await.unwrap()[&tp];
    let high = uncommitted_reader.end_offsets(tps).await.unwrap()[&tp];
    assert_eq!(high, open.last().unwrap() + 1, "high watermark");
    assert_eq!(
        stable, open[0],
        "last stable offset: the open transaction's first"
    );
    assert_eq!(stable, settled.last().unwrap() + 1);
    assert_eq!(
        cluster.last_stable_offset(&topic, 0),
        Some(stable),
        "the testkit's own last stable offset"
    );

    producer.commit_transaction().await.unwrap();
    // As on Kafka, EndTxn is answered before the markers are written: the last stable offset
    // moves once they are. Bounded wait for the two ends to meet.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (after, end) = loop {
        let after = committed_reader.end_offsets(tps).await.unwrap()[&tp];
        let end = uncommitted_reader.end_offsets(tps).await.unwrap()[&tp];
        if after == end || tokio::time::Instant::now() > deadline {
            break (after, end);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        after, end,
        "the last stable offset caught up with the commit"
    );
    // The COMMIT marker takes an offset of its own.
    assert!(
        after > high,
        "{after} after the commit, high watermark was {high}"
    );
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// kafkito-testkit (it keeps record timestamps; librdkafka's mock answers ListOffsets by
/// timestamp with no offset, tansu answers offset 0 with its own clock, quirk 11), checked by
/// librdkafka's own `offsets_for_times`: each asked time finds the first record at or after
/// it, with that record's timestamp; a time after the last record finds nothing; a negative
/// time is refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_for_times_finds_the_first_record_at_or_after_each_time() {
    const TOPIC: &str = "offsets-times";
    let cluster = kafkito_testkit::Cluster::builder().build().await.unwrap();
    cluster.create_topic(TOPIC, 1, 3).unwrap();
    let bootstrap = cluster.bootstrap();
    let written = produce(&bootstrap, TOPIC, 0, 10).await;
    let tp = TopicPartition::new(TOPIC, 0);
    let consumer = consumer(&bootstrap, &[]).await;

    for (asked, want) in [
        (BASE_TIME, Some(0)),
        (BASE_TIME + 35, Some(4)), // between records 3 (30) and 4 (40)
        (BASE_TIME + 90, Some(9)),
        (BASE_TIME + 91, None),
    ] {
        let found = consumer
            .offsets_for_times(HashMap::from([(tp.clone(), asked)]))
            .await
            .unwrap()[&tp];
        let want = want.map(|i: usize| (written[i], BASE_TIME + 10 * i as i64));
        assert_eq!(
            found.map(|f| (f.offset, f.timestamp)),
            want,
            "asked {asked}"
        );
        let b = bootstrap.clone();
        let theirs = tokio::task::spawn_blocking(move || {
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(TOPIC, 0, Offset::Offset(asked))
                .unwrap();
            rd_consumer(&b, "unused")
                .offsets_for_times(tpl, Duration::from_secs(10))
                .unwrap()
                .find_partition(TOPIC, 0)
                .unwrap()
                .offset()
        })
        .await
        .unwrap();
        let ours = found.map_or(Offset::End, |f| Offset::Offset(f.offset));
        assert_eq!(ours, theirs, "asked {asked}: librdkafka disagrees");
    }
    let refused = consumer
        .offsets_for_times(HashMap::from([(tp.clone(), -1)]))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("negative timestamp"),
        "{refused}"
    );
}

/// librdkafka's mock cluster, read back by librdkafka: a commit's metadata string is stored
/// beside its offset; `committed` returns both, and librdkafka's `committed_offsets` sees the
/// same. A plain offset commits an empty string, as Java does. (tansu cannot show this: it
/// stores the offset and answers a null metadata string.)
#[tokio::test]
async fn commits_carry_a_metadata_string_that_committed_returns() {
    const TOPIC: &str = "offsets-meta";
    let (_mock, bootstrap) = support::mock::mock_with_topic(3, TOPIC, 2).await;
    let group = "g-meta";
    let (p0, p1) = (TopicPartition::new(TOPIC, 0), TopicPartition::new(TOPIC, 1));
    let mut consumer = consumer(&bootstrap, &[("group.id", group)]).await;
    consumer
        .commit_offsets_sync(HashMap::from([
            (
                p0.clone(),
                OffsetAndMetadata::new(3).with_metadata("batch-17"),
            ),
            (p1.clone(), OffsetAndMetadata::new(5)),
        ]))
        .await
        .unwrap();

    let b = bootstrap.clone();
    let theirs = tokio::task::spawn_blocking(move || {
        let rd = rd_consumer(&b, group);
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(TOPIC, 0);
        tpl.add_partition(TOPIC, 1);
        let found = rd.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
        (0..2)
            .map(|p| {
                let e = found.find_partition(TOPIC, p).unwrap();
                (e.offset(), e.metadata().to_owned())
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert_eq!(
        theirs,
        [
            (Offset::Offset(3), "batch-17".to_owned()),
            (Offset::Offset(5), String::new())
        ],
        "what librdkafka reads back"
    );

    let committed = consumer.committed(&[p0.clone(), p1.clone()]).await.unwrap();
    let p0_found = committed[&p0].clone().expect("p0 committed");
    assert_eq!(
        (p0_found.offset, p0_found.metadata.as_deref()),
        (3, Some("batch-17"))
    );
    let p1_found = committed[&p1].clone().expect("p1 committed");
    assert_eq!(
        (p1_found.offset, p1_found.metadata.as_deref().unwrap_or("")),
        (5, "")
    );
}

// CountEvents (counting this thread's `kafkito` events by message; the tests below run
// on the current-thread runtime, so the client's tasks do too) lives in support::events.
use support::events::CountEvents;

/// librdkafka's mock cluster, read back by librdkafka: the first of two commits meets
/// COORDINATOR_LOAD_IN_PROGRESS (injected) and is retried; the second is made while it
/// retries. Both complete, in call order, and the group ends at the newer offset. Each
/// commit in its own task (what `commit_async` did before) lets the newer one land first and
/// the retried older one overwrite it.
#[tokio::test]
async fn async_commits_land_in_call_order_when_the_older_one_is_retried() {
    const TOPIC: &str = "commit-order";
    let (mock, bootstrap) = support::mock::mock_with_topic(3, TOPIC, 1).await;
    let group = "commit-order-group";
    let tp = TopicPartition::new(TOPIC, 0);
    let mut consumer = consumer(
        &bootstrap,
        &[("group.id", group), ("retry.backoff.ms", "200")],
    )
    .await;
    // Warm up: the coordinator is found and connected before the fault.
    consumer
        .commit_offsets_sync(HashMap::from([(tp.clone(), 1)]))
        .await
        .unwrap();

    let retries = Arc::new(AtomicUsize::new(0));
    let _counting = tracing::subscriber::set_default(CountEvents {
        message: "will retry",
        seen: retries.clone(),
    });
    mock.request_errors(
        RDKafkaApiKey::OffsetCommit,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS],
    );
    let older = consumer.commit_offsets_async(HashMap::from([(tp.clone(), 10)]));
    let newer = consumer.commit_offsets_async(HashMap::from([(tp.clone(), 20)]));
    let (older, newer) = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(older, newer)
    })
    .await
    .expect("both commits complete within 30 s");
    older.unwrap();
    newer.unwrap();
    assert!(
        retries.load(Ordering::SeqCst) >= 1,
        "the injected COORDINATOR_LOAD_IN_PROGRESS was never hit"
    );
    let b = bootstrap.clone();
    let committed =
        tokio::task::spawn_blocking(move || support::mock::rd_committed(&b, group, TOPIC, 1))
            .await
            .unwrap();
    assert_eq!(committed, [20], "an older commit overwrote a newer one");
    assert_eq!(
        consumer.committed(std::slice::from_ref(&tp)).await.unwrap()[&tp]
            .as_ref()
            .map(|c| c.offset),
        Some(20)
    );
    drop(mock);
}
