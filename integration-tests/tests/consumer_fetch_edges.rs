//! The consumer's fetch path at its edges, on librdkafka's in-process mock cluster
//! (librdkafka 2.12 via the rdkafka crate): follower fetching (KIP-392), leader changes with
//! position validation and log truncation (KIP-320), and offsets out of range with each
//! `auto.offset.reset`.
//!
//! Every test writes its records with librdkafka's producer and reconciles what our consumer
//! read, per partition and in order, against what librdkafka's own consumer reads back from
//! the mock (nothing lost, nothing repeated, order kept). Where the broker answered is
//! proven with the mock's request tracking (which broker served each Fetch,
//! OffsetForLeaderEpoch, ListOffsets). Measured times are printed as `FETCH-EDGES` rows
//! (`--nocapture`).
//!
//! What the mock does and does not do, as met here:
//! - A partition's leader answers every Fetch with the partition's follower as the preferred
//!   read replica (and no records) whenever a follower is set, whatever `client.rack` says
//!   and whether or not the follower holds the offset: a real broker's rack-aware selector
//!   only names a replica in the consumer's rack that has the offset.
//! - It serves OffsetForLeaderEpoch v2 only, and its answer echoes the asked epoch.
//! - It never truncates a log and never sends a Fetch `diverging_epoch`; a divergence is
//!   made here by a position that claims a history the leader's log does not hold
//!   (`seek_with_epoch`, as a position stored with its record's leader epoch), and the
//!   Fetch `diverging_epoch` path is proven on crafted responses
//!   (kafka-client/src/consumer/fetch_edge_tests.rs).
//! - It has no DeleteRecords (nor has tansu 0.6, whose DeleteRecords panics: see
//!   integration-tests/tests/admin.rs); its log start moves when a partition holds more
//!   than 5 MB, which is how the log start is moved here.
//!
//! tansu 0.6 answers a Fetch past the end of the log with no error (not
//! OFFSET_OUT_OF_RANGE), so the out-of-range paths cannot be exercised there; the last
//! test pins that down on tansu's raw answer.

mod support;
#[path = "support/tracked_mock.rs"]
mod tracked_mock;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kafkito::consumer::{Consumer, ConsumerConfig, ConsumerRecord, TopicPartition};
use kafkito::Error;
use rdkafka::types::{RDKafkaApiKey as Api, RDKafkaRespErr as E};
use support::mock::{preflight, rd_produce, rd_read_back};
use tracked_mock::{rd_produce_sized, TrackedMock};

/// Each test must be done within this.
const LIMIT: Duration = Duration::from_secs(25);

fn consumer_props<'a>(bootstrap: &'a str, reset: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("bootstrap.servers", bootstrap),
        ("auto.offset.reset", reset),
        ("client.rack", "rack-b"),
        ("fetch.max.wait.ms", "100"),
        ("max.poll.records", "100"),
        ("request.timeout.ms", "3000"),
        ("default.api.timeout.ms", "10000"),
        ("retry.backoff.ms", "20"),
        ("reconnect.backoff.ms", "20"),
    ]
}

async fn consumer(bootstrap: &str, reset: &str, extra: &[(&str, &str)]) -> Consumer {
    let mut props = consumer_props(bootstrap, reset);
    props.extend_from_slice(extra);
    Consumer::new(ConsumerConfig::from_properties(props).unwrap())
        .await
        .unwrap()
}

/// `(offset, key)` per partition, in the order read.
type Read = BTreeMap<i32, Vec<(i64, String)>>;

fn take(read: &mut Read, records: &[ConsumerRecord]) {
    for r in records {
        let key = String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()).into_owned();
        read.entry(r.partition).or_default().push((r.offset, key));
    }
}

fn total(read: &Read) -> usize {
    read.values().map(Vec::len).sum()
}

/// Polls until `want` records in all were read (or [`LIMIT`] passes: then the count falls
/// short and the caller's comparison fails, showing what was read). Poll errors fail the
/// test.
async fn read_until(consumer: &mut Consumer, read: &mut Read, want: usize) {
    let deadline = Instant::now() + LIMIT;
    while total(read) < want && Instant::now() < deadline {
        let records = consumer
            .poll(Duration::from_millis(200))
            .await
            .unwrap_or_else(|e| panic!("poll failed: {e}"));
        take(read, &records);
    }
}

/// The mock's log, read back by librdkafka's consumer, from `from` per partition on.
fn expected(bootstrap: &str, topic: &str, partitions: i32, from: &[i64]) -> Read {
    let mut all = rd_read_back(bootstrap, topic, partitions);
    for (p, records) in all.iter_mut() {
        let start = from.get(*p as usize).copied().unwrap_or(0);
        records.retain(|(o, _)| *o >= start);
    }
    all.retain(|_, r| !r.is_empty());
    all
}

fn row(what: &str, value: impl std::fmt::Display) {
    eprintln!("FETCH-EDGES | {what} | {value} |");
}

/// A 3-broker mock holding `topic` with `partitions` partitions led by broker 1.
async fn cluster(topic: &str, partitions: i32) -> (TrackedMock, String) {
    support::log::init();
    let tracked = TrackedMock::new(3);
    {
        let mock = tracked.mock();
        mock.create_topic(topic, partitions, 3).unwrap();
        for p in 0..partitions {
            mock.partition_leader(topic, p, Some(1)).unwrap();
        }
        for (broker, rack) in [(1, "rack-a"), (2, "rack-b"), (3, "rack-c")] {
            mock.broker_rack(broker, rack).unwrap();
        }
    }
    let bootstrap = tracked.bootstrap();
    preflight(&bootstrap, topic, partitions).await;
    (tracked, bootstrap)
}

async fn produce(bootstrap: &str, topic: &str, partitions: i32, from: usize, count: usize) {
    let (b, t) = (bootstrap.to_owned(), topic.to_owned());
    tokio::task::spawn_blocking(move || rd_produce(&b, &t, partitions, from, count))
        .await
        .unwrap();
}

/// KIP-392 on the mock: both partitions name broker 2 (in the consumer's rack) as their
/// follower; the leader (broker 1) answers the first Fetch with the redirect and no records,
/// and every record is then fetched from broker 2: a second round of records reaches the
/// consumer without a single Fetch at the leader. Proven on the librdkafka mock (request
/// tracking shows which broker served the Fetches).
#[tokio::test]
async fn follower_fetching_reads_every_record_from_the_preferred_replica() {
    const TOPIC: &str = "follower-fetch";
    let (tracked, bootstrap) = cluster(TOPIC, 2).await;
    for p in 0..2 {
        tracked.mock().partition_follower(TOPIC, p, 2).unwrap();
    }
    produce(&bootstrap, TOPIC, 2, 0, 400).await;
    tracked.clear();
    let mut consumer = consumer(&bootstrap, "earliest", &[]).await;
    consumer
        .assign((0..2).map(|p| TopicPartition::new(TOPIC, p)))
        .unwrap();
    let mut read = Read::new();
    read_until(&mut consumer, &mut read, 400).await;
    // Counted before any read-back (librdkafka's reader follows the redirect too).
    let from_leader = tracked.count(Api::Fetch, Some(1));
    let from_follower = tracked.count(Api::Fetch, Some(2));
    row(
        "fetches leader / follower (first 400 records)",
        format!("{from_leader} / {from_follower}"),
    );
    assert!(from_follower >= 1, "served by the follower");
    assert!(
        (1..=2).contains(&from_leader),
        "the leader only redirects (one Fetch, or one per partition): {from_leader}"
    );
    tracked.clear();
    produce(&bootstrap, TOPIC, 2, 400, 400).await;
    read_until(&mut consumer, &mut read, 800).await;
    let from_leader = tracked.count(Api::Fetch, Some(1));
    let from_follower = tracked.count(Api::Fetch, Some(2));
    row(
        "fetches leader / follower (next 400 records)",
        format!("{from_leader} / {from_follower}"),
    );
    assert_eq!(from_leader, 0, "the replica is kept");
    assert!(from_follower >= 1);
    assert_eq!(read, expected(&bootstrap, TOPIC, 2, &[]));
    consumer.close().await.unwrap();
}

/// The preferred read replica is kept for `metadata.max.age.ms` (1 s here), then the leader
/// is asked again (and redirects again): over 3.5 s of reading, the leader sees a Fetch
/// about once a second, and no record is lost or repeated. Proven on the librdkafka mock.
#[tokio::test]
async fn the_preferred_replica_expires_after_metadata_max_age() {
    const TOPIC: &str = "follower-expiry";
    let (tracked, bootstrap) = cluster(TOPIC, 1).await;
    tracked.mock().partition_follower(TOPIC, 0, 2).unwrap();
    let mut consumer = consumer(&bootstrap, "earliest", &[("metadata.max.age.ms", "1000")]).await;
    consumer.assign([TopicPartition::new(TOPIC, 0)]).unwrap();
    let mut read = Read::new();
    let started = Instant::now();
    let mut written = 0;
    while started.elapsed() < Duration::from_millis(3500) {
        produce(&bootstrap, TOPIC, 1, written, 10).await;
        written += 10;
        read_until(&mut consumer, &mut read, written).await;
    }
    let from_leader = tracked.count(Api::Fetch, Some(1));
    let from_follower = tracked.count(Api::Fetch, Some(2));
    row(
        "fetches leader / follower over 3.5 s, metadata.max.age.ms=1000",
        format!("{from_leader} / {from_follower}"),
    );
    assert!(
        (3..=6).contains(&from_leader),
        "asked the leader again after each expiry: {from_leader}"
    );
    assert!(from_follower > from_leader);
    assert_eq!(read, expected(&bootstrap, TOPIC, 1, &[]));
    consumer.close().await.unwrap();
}

/// The follower fails its next Fetches (NOT_LEADER_OR_FOLLOWER, then OFFSET_NOT_AVAILABLE):
/// the consumer goes back to the leader at once, is redirected again, and reads on. The
/// injected errors are consumed (the fault was hit), the leader served Fetches after it,
/// and every record is read once, in order. Measures the follower fallback: from the
/// injection (made while the consumer waits on the follower with nothing to read) to the
/// first record written after it. Proven on the librdkafka mock.
#[tokio::test]
async fn a_follower_error_falls_back_to_the_leader_without_loss_or_repeat() {
    const TOPIC: &str = "follower-error";
    let (tracked, bootstrap) = cluster(TOPIC, 1).await;
    tracked.mock().partition_follower(TOPIC, 0, 2).unwrap();
    produce(&bootstrap, TOPIC, 1, 0, 100).await;
    let mut consumer = consumer(&bootstrap, "earliest", &[]).await;
    consumer.assign([TopicPartition::new(TOPIC, 0)]).unwrap();
    let mut read = Read::new();
    read_until(&mut consumer, &mut read, 100).await;
    assert_eq!(total(&read), 100);

    for error in [
        E::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        E::RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE,
    ] {
        let before = total(&read);
        tracked.clear();
        tracked.broker_errors(2, Api::Fetch, &[error]);
        let injected = Instant::now();
        produce(&bootstrap, TOPIC, 1, before, 100).await;
        let deadline = Instant::now() + LIMIT;
        let mut first_after = None;
        while total(&read) < before + 100 && Instant::now() < deadline {
            let records = consumer.poll(Duration::from_millis(200)).await.unwrap();
            if !records.is_empty() && first_after.is_none() {
                first_after = Some(injected.elapsed());
            }
            take(&mut read, &records);
        }
        assert_eq!(
            tracked.broker_errors_left(2, Api::Fetch),
            0,
            "{error:?} was hit"
        );
        let leader_after = tracked.count(Api::Fetch, Some(1));
        assert!(leader_after >= 1, "{error:?}: fell back to the leader");
        row(
            &format!("follower fallback after {error:?} (injection to next record)"),
            format!(
                "{} ms",
                first_after.expect("records after the fault").as_millis()
            ),
        );
    }
    assert_eq!(read, expected(&bootstrap, TOPIC, 1, &[]));
    consumer.close().await.unwrap();
}

/// The follower goes down while the consumer reads from it (and the leader stops naming
/// it, as a real leader does once the replica leaves the ISR): the in-flight Fetch fails
/// with the connection, the consumer goes back to the leader at once (not after
/// `metadata.max.age.ms`), and every record is read once, in order. Measures the time from
/// the broker going down to the first record written after it. Proven on the librdkafka
/// mock; note that the mock also drops a down broker from its Metadata answers, and a
/// replica the metadata does not know is not used either, so this test alone does not
/// isolate the clearing on connection failure (that is proven on crafted outcomes in
/// kafka-client/src/consumer/fetch_edge_tests.rs).
#[tokio::test]
async fn a_dead_follower_sends_the_consumer_back_to_the_leader() {
    const TOPIC: &str = "follower-down";
    let (tracked, bootstrap) = cluster(TOPIC, 1).await;
    tracked.mock().partition_follower(TOPIC, 0, 2).unwrap();
    produce(&bootstrap, TOPIC, 1, 0, 100).await;
    let mut consumer = consumer(&bootstrap, "earliest", &[]).await;
    consumer.assign([TopicPartition::new(TOPIC, 0)]).unwrap();
    let mut read = Read::new();
    read_until(&mut consumer, &mut read, 100).await;
    assert!(
        tracked.count(Api::Fetch, Some(2)) >= 1,
        "was reading from the follower"
    );

    tracked.clear();
    tracked.mock().broker_down(2).unwrap();
    tracked.mock().partition_follower(TOPIC, 0, -1).unwrap();
    let down = Instant::now();
    produce(&bootstrap, TOPIC, 1, 100, 100).await;
    let deadline = Instant::now() + LIMIT;
    let mut first_after = None;
    while total(&read) < 200 && Instant::now() < deadline {
        let records = consumer.poll(Duration::from_millis(200)).await.unwrap();
        if !records.is_empty() && first_after.is_none() {
            first_after = Some(down.elapsed());
        }
        take(&mut read, &records);
    }
    assert!(
        tracked.count(Api::Fetch, Some(1)) >= 1,
        "fell back to the leader"
    );
    row(
        "follower down to next record (from the leader)",
        format!(
            "{} ms",
            first_after.expect("records after the fault").as_millis()
        ),
    );
    tracked.mock().broker_up(2).unwrap();
    assert_eq!(read, expected(&bootstrap, TOPIC, 1, &[]));
    consumer.close().await.unwrap();
}

/// The follower falls behind the consumer: its high watermark drops to 90 (the mock finds
/// an offset on a follower only up to its high watermark) while the consumer stands at 100
/// and the leader's log goes to 150, so the follower answers the consumer's Fetch at 100
/// with OFFSET_OUT_OF_RANGE. That means
/// "ask the leader", never a reset: no ListOffsets is sent, the position stays at 100, and
/// once the follower catches up records 100-149 are read exactly once. (The mock's leader
/// keeps redirecting to the lagging follower, so the consumer goes back and forth until
/// then; a real broker would not name a replica that lacks the offset.) Proven on the
/// librdkafka mock.
#[tokio::test]
async fn out_of_range_on_a_lagging_follower_asks_the_leader_and_never_resets() {
    const TOPIC: &str = "follower-lag";
    let (tracked, bootstrap) = cluster(TOPIC, 1).await;
    tracked.mock().partition_follower(TOPIC, 0, 2).unwrap();
    produce(&bootstrap, TOPIC, 1, 0, 100).await;
    let tp = TopicPartition::new(TOPIC, 0);
    let mut consumer = consumer(&bootstrap, "none", &[]).await;
    consumer.assign([tp.clone()]).unwrap();
    consumer.seek(&tp, 0).unwrap();
    let mut read = Read::new();
    read_until(&mut consumer, &mut read, 100).await;
    assert_eq!(consumer.position(&tp), Some(100));

    tracked
        .mock()
        .follower_watermarks(TOPIC, 0, None, Some(90))
        .unwrap();
    produce(&bootstrap, TOPIC, 1, 100, 50).await;
    tracked.clear();
    // Let the consumer meet the lagging follower a few times.
    let deadline = Instant::now() + LIMIT;
    while tracked.count(Api::Fetch, Some(2)) < 3 && Instant::now() < deadline {
        let records = consumer.poll(Duration::from_millis(50)).await.unwrap();
        assert!(records.is_empty(), "the follower has nothing past 90");
    }
    let follower_fetches = tracked.count(Api::Fetch, Some(2));
    assert!(follower_fetches >= 3, "the lagging follower was asked");
    assert_eq!(consumer.position(&tp), Some(100), "no reset");
    assert_eq!(tracked.count(Api::ListOffsets, None), 0, "no offset lookup");

    let caught_up = Instant::now();
    tracked
        .mock()
        .follower_watermarks(TOPIC, 0, None, None)
        .unwrap();
    read_until(&mut consumer, &mut read, 150).await;
    row(
        "follower catches up to next record",
        format!("{} ms", caught_up.elapsed().as_millis()),
    );
    row(
        "follower fetches answered out of range (lag window)",
        follower_fetches,
    );
    // Before the read-back, whose watermark lookup is itself a ListOffsets.
    assert_eq!(tracked.count(Api::ListOffsets, None), 0, "never reset");
    assert_eq!(read, expected(&bootstrap, TOPIC, 1, &[]));
    consumer.close().await.unwrap();
}

/// A leader change mid-stream (broker 1 to 2, a new leader epoch): the consumer's next
/// Fetch at the old leader fails, the refreshed metadata shows the new epoch, and the
/// position is validated with OffsetForLeaderEpoch at the new leader before fetching on; no
/// truncation is found and every record is read once, in order. Measures the time from the
/// move to the first record written after it. Proven on the librdkafka mock.
#[tokio::test]
async fn a_leader_change_validates_the_position_and_loses_nothing() {
    const TOPIC: &str = "leader-change";
    let (tracked, bootstrap) = cluster(TOPIC, 1).await;
    produce(&bootstrap, TOPIC, 1, 0, 100).await;
    let tp = TopicPartition::new(TOPIC, 0);
    let mut consumer = consumer(&bootstrap, "earliest", &[]).await;
    consumer.assign([tp.clone()]).unwrap();
    let mut read = Read::new();
    read_until(&mut consumer, &mut read, 100).await;

    tracked.clear();
    tracked.mock().partition_leader(TOPIC, 0, Some(2)).unwrap();
    let moved = Instant::now();
    produce(&bootstrap, TOPIC, 1, 100, 100).await;
    let deadline = Instant::now() + LIMIT;
    let mut first_after = None;
    while total(&read) < 200 && Instant::now() < deadline {
        let records = consumer.poll(Duration::from_millis(200)).await.unwrap();
        if !records.is_empty() && first_after.is_none() {
            first_after = Some(moved.elapsed());
        }
        take(&mut read, &records);
    }
    let validations = tracked.count(Api::OffsetForLeaderEpoch, Some(2));
    assert!(validations >= 1, "validated at the new leader");
    assert!(
        consumer.log_truncations().is_empty(),
        "nothing was truncated"
    );
    assert_eq!(read, expected(&bootstrap, TOPIC, 1, &[]));
    row(
        "leader change to next record (with validation)",
        format!(
            "{} ms",
            first_after.expect("records after the move").as_millis()
        ),
    );
    consumer.close().await.unwrap();
}

/// Records 0-9 are written in the leader's first epoch, then the leader moves (a new epoch)
/// and records 10-19 follow. A position of 15 in the *first* epoch (what a consumer holds
/// after reading a longer first-epoch log from a leader that was then replaced) does not
/// exist in this log: validation (OffsetForLeaderEpoch at the new leader) finds that the
/// first epoch ends at 10, the consumer moves back to 10, reports the truncation, and reads
/// 10-19 exactly once. Under `auto.offset.reset=none`, poll fails with
/// `Error::LogTruncation` instead and the position stays. Measures the truncation
/// recovery: from the seek to the first record read from 10. Proven on the librdkafka mock
/// (its log is not truncated; the divergence is the position's claimed history).
#[tokio::test]
async fn a_truncated_position_moves_back_to_the_divergence_point_or_fails_under_none() {
    const TOPIC: &str = "truncation";
    let (tracked, bootstrap) = cluster(TOPIC, 1).await;
    produce(&bootstrap, TOPIC, 1, 0, 10).await;
    let tp = TopicPartition::new(TOPIC, 0);
    // The first epoch, as the records carry it.
    let mut probe = consumer(&bootstrap, "earliest", &[]).await;
    probe.assign([tp.clone()]).unwrap();
    let mut first = Vec::new();
    let deadline = Instant::now() + LIMIT;
    while first.len() < 10 && Instant::now() < deadline {
        first.extend(probe.poll(Duration::from_millis(200)).await.unwrap());
    }
    let epoch = first[9]
        .leader_epoch
        .expect("records carry their leader epoch");
    probe.close().await.unwrap();
    tracked.mock().partition_leader(TOPIC, 0, Some(2)).unwrap();
    produce(&bootstrap, TOPIC, 1, 10, 10).await;

    for reset in ["earliest", "none"] {
        tracked.clear();
        let mut consumer = consumer(&bootstrap, reset, &[]).await;
        consumer.assign([tp.clone()]).unwrap();
        let sought = Instant::now();
        consumer.seek_with_epoch(&tp, 15, epoch).unwrap();
        if reset == "none" {
            let deadline = Instant::now() + LIMIT;
            let error = loop {
                assert!(Instant::now() < deadline, "poll never failed");
                match consumer.poll(Duration::from_millis(200)).await {
                    Ok(records) => assert!(records.is_empty(), "{records:?}"),
                    Err(error) => break error,
                }
            };
            assert!(
                matches!(
                    &error,
                    Error::LogTruncation {
                        position: 15,
                        divergent_offset: Some(10),
                        ..
                    }
                ),
                "{error}"
            );
            assert_eq!(consumer.position(&tp), Some(15), "left to the application");
            // Seeking where the logs agree resumes.
            consumer.seek(&tp, 10).unwrap();
        }
        let mut read = Read::new();
        let deadline = Instant::now() + LIMIT;
        let mut recovered = None;
        while total(&read) < 10 && Instant::now() < deadline {
            let records = consumer.poll(Duration::from_millis(200)).await.unwrap();
            if !records.is_empty() && recovered.is_none() {
                recovered = Some(sought.elapsed());
            }
            take(&mut read, &records);
        }
        assert_eq!(read, expected(&bootstrap, TOPIC, 1, &[10]), "{reset}");
        assert!(
            tracked.count(Api::OffsetForLeaderEpoch, Some(2)) >= 1,
            "validated at the leader"
        );
        if reset == "earliest" {
            let truncations = consumer.log_truncations();
            assert_eq!(truncations.len(), 1, "{truncations:?}");
            assert_eq!(truncations[0].position, 15);
            assert_eq!(truncations[0].reset_to, Some(10));
            assert_eq!(truncations[0].epoch, Some(epoch));
            row(
                "truncation recovery (seek to first record from the divergence point)",
                format!("{} µs", recovered.expect("records").as_micros()),
            );
        }
        consumer.close().await.unwrap();
    }
}

/// Seeking past the end (the high watermark) gets OFFSET_OUT_OF_RANGE from the leader:
/// `earliest` reads the whole log again, `latest` reads only records written after the
/// reset, `none` fails poll with `Error::OffsetOutOfRange` (and reads nothing). Proven on
/// the librdkafka mock.
#[tokio::test]
async fn seeking_past_the_end_resets_by_auto_offset_reset() {
    const TOPIC: &str = "seek-past-end";
    let (tracked, bootstrap) = cluster(TOPIC, 1).await;
    produce(&bootstrap, TOPIC, 1, 0, 50).await;
    let tp = TopicPartition::new(TOPIC, 0);
    let mut written = 50;
    for reset in ["earliest", "latest", "none"] {
        tracked.clear();
        let mut consumer = consumer(&bootstrap, reset, &[]).await;
        consumer.assign([tp.clone()]).unwrap();
        consumer.seek(&tp, 1_000).unwrap();
        let mut read = Read::new();
        // ListOffsets sent by the consumer (counted before any read-back, whose watermark
        // lookup is a ListOffsets too).
        let lookups;
        match reset {
            "earliest" => {
                read_until(&mut consumer, &mut read, written).await;
                lookups = tracked.count(Api::ListOffsets, None);
                assert_eq!(read, expected(&bootstrap, TOPIC, 1, &[]));
            }
            "latest" => {
                // Wait for the reset to land at the end, then write more.
                let deadline = Instant::now() + LIMIT;
                while consumer.position(&tp) != Some(written as i64) {
                    assert!(Instant::now() < deadline, "no reset to the end");
                    let records = consumer.poll(Duration::from_millis(100)).await.unwrap();
                    assert!(records.is_empty(), "{records:?}");
                }
                lookups = tracked.count(Api::ListOffsets, None);
                produce(&bootstrap, TOPIC, 1, written, 20).await;
                read_until(&mut consumer, &mut read, 20).await;
                assert_eq!(read, expected(&bootstrap, TOPIC, 1, &[written as i64]));
                written += 20;
            }
            _ => {
                let deadline = Instant::now() + LIMIT;
                let error = loop {
                    assert!(Instant::now() < deadline, "poll never failed");
                    match consumer.poll(Duration::from_millis(200)).await {
                        Ok(records) => assert!(records.is_empty()),
                        Err(error) => break error,
                    }
                };
                assert!(
                    matches!(error, Error::OffsetOutOfRange { offset: 1_000, .. }),
                    "{error}"
                );
                assert_eq!(consumer.position(&tp), Some(1_000));
                lookups = tracked.count(Api::ListOffsets, None);
            }
        }
        row(
            &format!("seek past end, reset={reset}: ListOffsets"),
            lookups,
        );
        if reset == "none" {
            assert_eq!(lookups, 0, "no reset under none");
        } else {
            assert!(lookups >= 1, "reset looked up");
        }
        consumer.close().await.unwrap();
    }
}

/// The log start moves under the consumer (the mock drops a partition's oldest record sets
/// past 5 MB, as retention or DeleteRecords would): the next Fetch from the old position is
/// out of range. `earliest` resumes at the new log start and reads exactly what the log
/// still holds; `none` fails poll with `Error::OffsetOutOfRange`. Proven on the librdkafka
/// mock.
#[tokio::test]
async fn a_moved_log_start_resets_to_the_new_start_or_fails_under_none() {
    const TOPIC: &str = "log-start-moves";
    let (_tracked, bootstrap) = cluster(TOPIC, 1).await;
    let b = bootstrap.clone();
    tokio::task::spawn_blocking(move || rd_produce_sized(&b, TOPIC, 0, 0, 5, 1000))
        .await
        .unwrap();
    let tp = TopicPartition::new(TOPIC, 0);
    let mut consumers = Vec::new();
    for reset in ["earliest", "none"] {
        let mut consumer = consumer(&bootstrap, reset, &[]).await;
        consumer.assign([tp.clone()]).unwrap();
        consumer.seek(&tp, 0).unwrap();
        let mut read = Read::new();
        read_until(&mut consumer, &mut read, 1).await;
        let first = read[&0][0].0;
        // Hold the position at the first record (as an application that has read only it).
        consumer.seek(&tp, first + 1).unwrap();
        consumers.push((reset, consumer));
    }
    // 6 MB more: the oldest record sets, the consumers' positions among them, are dropped.
    let b = bootstrap.clone();
    tokio::task::spawn_blocking(move || rd_produce_sized(&b, TOPIC, 0, 5, 60, 100_000))
        .await
        .unwrap();
    let held = expected(&bootstrap, TOPIC, 1, &[]);
    let log_start = held[&0][0].0;
    assert!(log_start > 1, "the log start moved: {log_start}");
    row("log start after 6 MB", log_start);
    for (reset, mut consumer) in consumers {
        if reset == "none" {
            let deadline = Instant::now() + LIMIT;
            let error = loop {
                assert!(Instant::now() < deadline, "poll never failed");
                match consumer.poll(Duration::from_millis(200)).await {
                    Ok(records) => assert!(records.is_empty()),
                    Err(error) => break error,
                }
            };
            assert!(
                matches!(error, Error::OffsetOutOfRange { offset: 1, .. }),
                "{error}"
            );
        } else {
            let mut read = Read::new();
            read_until(&mut consumer, &mut read, held[&0].len()).await;
            assert_eq!(read, held, "resumed at the new log start");
        }
        consumer.close().await.unwrap();
    }
}

/// Why the out-of-range path is proven on the mock and not on tansu: tansu 0.6 answers a
/// Fetch past the end of the log with no error and no records (a Kafka broker answers
/// OFFSET_OUT_OF_RANGE), so a consumer sought past the end there simply waits at its
/// position (Java's would too) and `auto.offset.reset` never applies. Asserted on tansu's
/// raw answer, so that this test fails, and the out-of-range tests can move to tansu, once
/// tansu answers as Kafka does. (tansu's DeleteRecords is not usable either: see
/// integration-tests/tests/admin.rs.)
#[tokio::test]
async fn tansu_answers_a_fetch_past_the_end_without_out_of_range() {
    use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};

    let bootstrap = integration_tests::broker().await.bootstrap();
    let topic = integration_tests::unique_topic("fetch-edges-past-end");
    integration_tests::create_topic(&topic, 1).await;
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("linger.ms", "0"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    for i in 0..5 {
        let record = ProducerRecord::new(&topic)
            .partition(0)
            .value(format!("v{i}"));
        producer.send(record).await.unwrap().await.unwrap();
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
    let mut raw = integration_tests::raw::RawConnection::connect(&bootstrap).await;
    let at_start = raw.fetch(&topic, 0, 0).await;
    assert_eq!(at_start.error_code, 0);
    assert!(
        at_start.records.is_some_and(|r| !r.is_empty()),
        "the log holds records"
    );
    let past_end = raw.fetch(&topic, 0, 1_000).await;
    if past_end.error_code != 0 {
        panic!(
            "tansu now answers a fetch past the end with error {} (high watermark {}): move \
             the out-of-range tests of this file to tansu",
            past_end.error_code, past_end.high_watermark
        );
    }
    assert!(past_end.records.is_none_or(|r| r.is_empty()));
    assert_eq!(past_end.high_watermark, 5);
}
