//! The consumer (manual assignment) against a real broker (tansu): what it reads is compared
//! with what our producer wrote and the broker acknowledged (offsets from `RecordMetadata`).
//!
//! tansu's ListOffsets "latest" is wrong after multi-record batches (integration-tests
//! README, quirk 4), so the `auto.offset.reset=latest` test writes single-record batches
//! (each send awaited, linger 0) before the consumer looks the end up.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use integration_tests::group::offsets_only;
use integration_tests::{broker, unique_topic};
use kafkito::consumer::{Consumer, ConsumerConfig, ConsumerRecord, TopicPartition};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito::Error;

async fn bootstrap() -> String {
    broker().await.bootstrap()
}

async fn producer() -> Producer {
    let config = ProducerConfig::from_properties([
        ("bootstrap.servers", bootstrap().await.as_str()),
        ("linger.ms", "0"),
        ("request.timeout.ms", "10000"),
        ("delivery.timeout.ms", "30000"),
    ])
    .unwrap();
    Producer::new(config).await.unwrap()
}

/// Writes `count` records to each of `partitions` partitions, one awaited send at a time
/// (so each is its own batch): key `k{p}-{i}`, value `v{p}-{i}`, header `h`=`{i}`,
/// timestamp `1_700_000_000_000 + i`. Returns the acknowledged offsets per partition.
async fn produce(topic: &str, partitions: i32, count: usize) -> BTreeMap<i32, Vec<i64>> {
    produce_from(topic, partitions, 0, count).await
}

async fn produce_from(
    topic: &str,
    partitions: i32,
    from: usize,
    count: usize,
) -> BTreeMap<i32, Vec<i64>> {
    let producer = producer().await;
    let mut offsets: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for i in from..from + count {
        for p in 0..partitions {
            let record = ProducerRecord::new(topic)
                .partition(p)
                .key(format!("k{p}-{i}"))
                .value(format!("v{p}-{i}"))
                .header("h", format!("{i}"))
                .timestamp(1_700_000_000_000 + i as i64);
            let meta = producer.send(record).await.unwrap().await.unwrap();
            assert_eq!(meta.partition, p);
            offsets.entry(p).or_default().push(meta.offset);
        }
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
    offsets
}

async fn consumer(extra: &[(&str, &str)]) -> Consumer {
    let bootstrap = bootstrap().await;
    let mut props = vec![
        ("bootstrap.servers", bootstrap.as_str()),
        ("auto.offset.reset", "earliest"),
        ("fetch.max.wait.ms", "100"),
        ("enable.auto.commit", "false"),
        ("default.api.timeout.ms", "20000"),
    ];
    props.extend_from_slice(extra);
    Consumer::new(ConsumerConfig::from_properties(props).unwrap())
        .await
        .unwrap()
}

fn tps(topic: &str, partitions: i32) -> Vec<TopicPartition> {
    (0..partitions)
        .map(|p| TopicPartition::new(topic, p))
        .collect()
}

/// Polls until `count` records came (failing after 20 s).
async fn poll_exactly(consumer: &mut Consumer, count: usize) -> Vec<ConsumerRecord> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut records = Vec::new();
    while records.len() < count {
        assert!(
            Instant::now() < deadline,
            "got {} of {count} records: {records:?}",
            records.len()
        );
        records.extend(consumer.poll(Duration::from_millis(500)).await.unwrap());
    }
    assert_eq!(records.len(), count, "more records than expected");
    records
}

/// Polls until `tp`'s position is `end` (failing after 20 s), and fails if any poll on the
/// way returns a record: "nothing more arrives" shown by the consumer's own position reaching
/// the end, not by a quiet period.
async fn poll_nothing_until_position(consumer: &mut Consumer, tp: &TopicPartition, end: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while consumer.position(tp) != Some(end) {
        assert!(
            Instant::now() < deadline,
            "{tp:?}: position {:?}, want {end}",
            consumer.position(tp)
        );
        let records = consumer.poll(Duration::from_millis(200)).await.unwrap();
        assert!(records.is_empty(), "nothing more was expected: {records:?}");
    }
}

fn text(b: &Option<bytes::Bytes>) -> String {
    String::from_utf8(b.clone().unwrap().to_vec()).unwrap()
}

fn by_partition(records: &[ConsumerRecord]) -> BTreeMap<i32, Vec<(i64, String)>> {
    let mut out: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
    for r in records {
        out.entry(r.partition)
            .or_default()
            .push((r.offset, text(&r.value)));
    }
    out
}

#[tokio::test]
async fn assign_and_poll_reads_exactly_what_was_produced() {
    let topic = unique_topic("consumer-read");
    integration_tests::create_topic(&topic, 3).await;
    let written = produce(&topic, 3, 10).await;

    let mut consumer = consumer(&[("max.poll.records", "7")]).await;
    consumer.assign(tps(&topic, 3)).unwrap();
    assert_eq!(consumer.assignment(), tps(&topic, 3));
    let records = poll_exactly(&mut consumer, 30).await;
    // Nothing more arrives: every position is at its partition's end (asserted below), so
    // no fetch can return more.

    for (p, offsets) in &written {
        let got: Vec<&ConsumerRecord> = records.iter().filter(|r| r.partition == *p).collect();
        assert_eq!(
            got.iter().map(|r| r.offset).collect::<Vec<_>>(),
            *offsets,
            "partition {p}"
        );
        for (i, r) in got.iter().enumerate() {
            assert_eq!(&*r.topic, topic);
            assert_eq!(text(&r.key), format!("k{p}-{i}"));
            assert_eq!(text(&r.value), format!("v{p}-{i}"));
            assert_eq!(r.timestamp, 1_700_000_000_000 + i as i64);
            assert_eq!(r.headers.len(), 1);
            assert_eq!(&r.headers[0].key[..], b"h");
            assert_eq!(text(&r.headers[0].value), i.to_string());
        }
        let tp = TopicPartition::new(&topic, *p);
        assert_eq!(consumer.position(&tp), Some(offsets.last().unwrap() + 1));
        assert_eq!(consumer.lag(&tp), Some(0));
    }
    consumer.close().await.unwrap();
}

#[tokio::test]
async fn seek_and_seek_to_beginning_replay() {
    let topic = unique_topic("consumer-seek");
    integration_tests::create_topic(&topic, 1).await;
    produce(&topic, 1, 10).await;
    let tp = TopicPartition::new(&topic, 0);

    let mut consumer = consumer(&[]).await;
    consumer.assign([tp.clone()]).unwrap();
    let all = poll_exactly(&mut consumer, 10).await;
    assert_eq!(
        all.iter().map(|r| r.offset).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );

    consumer.seek(&tp, 6).unwrap();
    assert_eq!(consumer.position(&tp), Some(6));
    let again = poll_exactly(&mut consumer, 4).await;
    assert_eq!(
        by_partition(&again)[&0],
        (6..10).map(|i| (i, format!("v0-{i}"))).collect::<Vec<_>>()
    );

    consumer.seek_to_beginning(std::slice::from_ref(&tp));
    let replay = poll_exactly(&mut consumer, 10).await;
    assert_eq!(by_partition(&replay), by_partition(&all));

    // seek_to_end: nothing left to read, position at the end.
    consumer.seek_to_end(std::slice::from_ref(&tp));
    poll_nothing_until_position(&mut consumer, &tp, 10).await;

    let err = consumer
        .seek(&TopicPartition::new(&topic, 5), 0)
        .unwrap_err();
    assert!(err.to_string().contains("not assigned"), "{err}");
}

#[tokio::test]
async fn pause_stops_a_partition_and_resume_restarts_it() {
    let topic = unique_topic("consumer-pause");
    integration_tests::create_topic(&topic, 2).await;
    produce(&topic, 2, 5).await;
    let p0 = TopicPartition::new(&topic, 0);
    let p1 = TopicPartition::new(&topic, 1);

    let mut consumer = consumer(&[]).await;
    consumer.assign(tps(&topic, 2)).unwrap();
    consumer.pause(std::slice::from_ref(&p1));
    assert_eq!(consumer.paused(), vec![p1.clone()]);
    let first = poll_exactly(&mut consumer, 5).await;
    assert!(first.iter().all(|r| r.partition == 0), "{first:?}");
    // Partition 0 goes on, one record at a time, each polled until it arrives: the fetches
    // that bring them (events, not a quiet period) would have brought partition 1's five
    // records too, were it not paused, and those would be returned before the later one.
    let mut next = Vec::new();
    for offset in 5..7 {
        produce_from(&topic, 1, offset as usize, 1).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while next
            .last()
            .map(|r: &ConsumerRecord| (r.partition, r.offset))
            != Some((0, offset))
        {
            assert!(
                Instant::now() < deadline,
                "partition 0 offset {offset}: {next:?}"
            );
            next.extend(consumer.poll(Duration::from_millis(200)).await.unwrap());
        }
    }
    let next: Vec<(i32, i64)> = next.iter().map(|r| (r.partition, r.offset)).collect();
    assert_eq!(next, [(0, 5), (0, 6)], "a paused partition was read");

    consumer.resume(std::slice::from_ref(&p1));
    assert!(consumer.paused().is_empty());
    let rest = poll_exactly(&mut consumer, 5).await;
    assert!(rest.iter().all(|r| r.partition == 1), "{rest:?}");
    assert_eq!(consumer.position(&p0), Some(7));
    assert_eq!(consumer.position(&p1), Some(5));
}

#[tokio::test]
async fn commit_sync_is_seen_by_a_new_consumer() {
    let topic = unique_topic("consumer-commit");
    let group = unique_topic("group");
    integration_tests::create_topic(&topic, 2).await;
    produce(&topic, 2, 6).await;
    let p0 = TopicPartition::new(&topic, 0);
    let p1 = TopicPartition::new(&topic, 1);

    let mut first = consumer(&[("group.id", &group), ("max.poll.records", "4")]).await;
    first.assign([p0.clone()]).unwrap();
    let got = poll_exactly(&mut first, 4).await;
    assert_eq!(got.last().unwrap().offset, 3);
    first.commit_sync().await.unwrap();
    let committed = offsets_only(first.committed(&[p0.clone(), p1.clone()]).await.unwrap());
    assert_eq!(committed[&p0], Some(4));
    assert_eq!(committed[&p1], None);

    // commit_offsets_sync for the other partition, and commit_async.
    first
        .commit_offsets_sync(HashMap::from([(p1.clone(), 2)]))
        .await
        .unwrap();
    poll_exactly(&mut first, 2).await;
    first.commit_async().await.unwrap();
    first.close().await.unwrap();

    // A new consumer of the group: committed() sees it, and it starts there (reset=none:
    // a missing commit would fail).
    let mut second = consumer(&[("group.id", &group), ("auto.offset.reset", "none")]).await;
    let committed = offsets_only(second.committed(&[p0.clone(), p1.clone()]).await.unwrap());
    assert_eq!(committed[&p0], Some(6));
    assert_eq!(committed[&p1], Some(2));
    second.assign([p0.clone(), p1.clone()]).unwrap();
    let rest = poll_exactly(&mut second, 4).await;
    assert_eq!(
        by_partition(&rest)[&1],
        (2..6).map(|i| (i, format!("v1-{i}"))).collect::<Vec<_>>()
    );
    assert_eq!(second.position(&p0), Some(6));

    // No group: committed offsets cannot be asked for.
    let mut groupless = consumer(&[]).await;
    let err = groupless.commit_sync().await.unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err}");
}

#[tokio::test]
async fn reset_none_without_commit_fails_poll() {
    let topic = unique_topic("consumer-none");
    integration_tests::create_topic(&topic, 1).await;
    let group = unique_topic("group");
    let mut consumer = consumer(&[("group.id", &group), ("auto.offset.reset", "none")]).await;
    consumer.assign(tps(&topic, 1)).unwrap();
    let err = consumer.poll(Duration::from_secs(5)).await.unwrap_err();
    assert!(
        matches!(err, Error::NoOffsetForPartition { partition: 0, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn lag_follows_the_high_watermark() {
    let topic = unique_topic("consumer-lag");
    integration_tests::create_topic(&topic, 1).await;
    produce(&topic, 1, 10).await;
    let tp = TopicPartition::new(&topic, 0);

    let mut consumer = consumer(&[("max.poll.records", "4")]).await;
    consumer.assign([tp.clone()]).unwrap();
    assert_eq!(consumer.lag(&tp), None);
    let got = poll_exactly(&mut consumer, 4).await;
    assert_eq!(got.len(), 4);
    assert_eq!(consumer.position(&tp), Some(4));
    assert_eq!(consumer.lag(&tp), Some(6));
    poll_exactly(&mut consumer, 6).await;
    assert_eq!(consumer.lag(&tp), Some(0));
}

#[tokio::test]
async fn auto_offset_reset_latest_skips_old_records() {
    let topic = unique_topic("consumer-latest");
    integration_tests::create_topic(&topic, 1).await;
    // Single-record batches: tansu's ListOffsets latest is right after those.
    produce(&topic, 1, 5).await;
    let tp = TopicPartition::new(&topic, 0);

    let mut consumer = consumer(&[("auto.offset.reset", "latest")]).await;
    consumer.assign([tp.clone()]).unwrap();
    poll_nothing_until_position(&mut consumer, &tp, 5).await;

    produce_from(&topic, 1, 5, 3).await;
    let new = poll_exactly(&mut consumer, 3).await;
    assert_eq!(
        by_partition(&new)[&0],
        (5..8).map(|i| (i, format!("v0-{i}"))).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn stream_yields_records_in_order() {
    use futures::StreamExt;
    let topic = unique_topic("consumer-stream");
    integration_tests::create_topic(&topic, 1).await;
    produce(&topic, 1, 5).await;
    let mut consumer = consumer(&[]).await;
    consumer.assign(tps(&topic, 1)).unwrap();
    let records: Vec<ConsumerRecord> = tokio::time::timeout(
        Duration::from_secs(20),
        consumer.stream().take(3).map(|r| r.unwrap()).collect(),
    )
    .await
    .unwrap();
    assert_eq!(
        records.iter().map(|r| r.offset).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    // The stream took only what it handed out: poll continues at 3.
    let rest = poll_exactly(&mut consumer, 2).await;
    assert_eq!(rest[0].offset, 3);
}
