//! Transactions against a real broker (tansu).
//!
//! What is proven here, and what tansu cannot prove (see each test's doc comment):
//!
//! - `init_transactions` (FindCoordinator key type 1 + InitProducerId with the transactional
//!   id), `begin_transaction`, transactional sends (AddPartitionsToTxn before the first batch,
//!   transactional batches), `send_offsets_to_transaction` (AddOffsetsToTxn + TxnOffsetCommit
//!   with the member fields) and `commit_transaction` (EndTxn commit): the records are read
//!   back and the offsets read with `committed()`;
//! - `abort_transaction` (EndTxn abort): committed offsets stay as they were;
//! - fencing: a second `init_transactions` with the same id makes the first producer's next
//!   call fail with `ProducerFenced`;
//! - a producer dropped mid-transaction: its successor's `init_transactions` succeeds (tansu
//!   writes an ABORT marker for the dropped transaction) and the successor commits;
//! - read_committed, end to end, on tansu: aborted records are not returned — decided by the
//!   markers, since tansu's aborted-transactions list is always empty;
//! - the same calls against librdkafka's mock cluster (a second implementation), which
//!   cannot prove read_committed (no markers, no list).
//!
//! Covered on crafted responses instead (kafkito `producer::transaction` and
//! `consumer::fetcher` tests): EndTxn/AddPartitionsToTxn answering PRODUCER_FENCED (tansu
//! closes the connection there), retriable coordinator errors, an aborted-transactions list,
//! markers beyond a fetch, and open transactions past the last stable offset.
//!
//! tansu behaviour measured by `measure_what_tansu_writes` (printed with `--nocapture`) and
//! relied on below is listed in that test's doc comment.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use integration_tests::group::offsets_only;
use integration_tests::{broker, create_topic, unique_topic};
use kafkito::consumer::{
    Consumer, ConsumerConfig, ConsumerGroupMetadata, ConsumerRecord, TopicPartition,
};
use kafkito::net::Connection;
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord, TransactionState};
use kafkito::protocol::messages::{fetch_request, ApiKey, FetchRequest};
use kafkito::protocol::records::{decode_batches, ControlRecord};
use kafkito::ClientConfig;
use kafkito::Error;

#[path = "support/mock.rs"]
mod mock;

async fn bootstrap() -> String {
    broker().await.bootstrap()
}

/// A transactional producer on the shared broker.
async fn txn_producer(id: &str) -> Producer {
    let bootstrap = bootstrap().await;
    let config = ProducerConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("transactional.id", id),
        ("linger.ms", "0"),
        ("request.timeout.ms", "10000"),
        ("delivery.timeout.ms", "30000"),
        ("max.block.ms", "20000"),
        ("transaction.timeout.ms", "30000"),
    ])
    .unwrap();
    Producer::new(config).await.unwrap()
}

/// A consumer assigned to `partitions` of `topic` from the beginning, with `isolation`.
async fn reader(topic: &str, partitions: i32, isolation: &str, group: Option<&str>) -> Consumer {
    let bootstrap = bootstrap().await;
    let mut props = vec![
        ("bootstrap.servers", bootstrap.as_str()),
        ("isolation.level", isolation),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
        ("fetch.max.wait.ms", "100"),
    ];
    if let Some(group) = group {
        props.push(("group.id", group));
    }
    let config = ConsumerConfig::from_properties(props).unwrap();
    let mut consumer = Consumer::new(config).await.unwrap();
    consumer
        .assign((0..partitions).map(|p| TopicPartition::new(topic, p)))
        .unwrap();
    consumer
}

/// Polls until `want` records arrived and every assigned partition's position reached the
/// end of its log as this consumer reads it (`end_offsets`: the last stable offset under
/// read_committed, the high watermark otherwise), or until `limit` passed. Records that
/// should not be there are caught because the position is at the end, so nothing is left to
/// return, rather than by a quiet period.
async fn read(consumer: &mut Consumer, want: usize, limit: Duration) -> Vec<ConsumerRecord> {
    let mut out = Vec::new();
    let started = Instant::now();
    let assignment = consumer.assignment();
    let ends = consumer.end_offsets(&assignment).await.unwrap();
    let at_end = |c: &Consumer| {
        ends.iter()
            .all(|(tp, end)| c.position(tp).is_some_and(|p| p >= *end))
    };
    while (out.len() < want || !at_end(consumer)) && started.elapsed() < limit {
        out.extend(consumer.poll(Duration::from_millis(200)).await.unwrap());
    }
    out
}

/// The values partition 0 of `topic` holds for an `isolation` reader: [`read`] of `want`
/// records (and up to the end of the log) within 10 s.
async fn values_read(topic: &str, isolation: &str, want: usize) -> Vec<String> {
    let mut consumer = reader(topic, 1, isolation, None).await;
    values(&read(&mut consumer, want, Duration::from_secs(10)).await)
}

fn values(records: &[ConsumerRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned())
        .collect()
}

async fn send_all(producer: &Producer, topic: &str, partition: i32, values: &[&str]) {
    let mut deliveries = Vec::new();
    for v in values {
        deliveries.push(
            producer
                .send(
                    ProducerRecord::new(topic)
                        .partition(partition)
                        .value(v.to_string()),
                )
                .await
                .unwrap(),
        );
    }
    for d in deliveries {
        d.await.unwrap();
    }
}

/// One partition's fetch answer, raw, at `isolation` (0 uncommitted, 1 committed).
struct RawFetch {
    high_watermark: i64,
    last_stable_offset: i64,
    aborted: Option<Vec<(i64, i64)>>,
    /// (base offset, last offset, producer id, transactional, control kind)
    batches: Vec<(i64, i64, i64, bool, Option<String>)>,
}

async fn raw_fetch(topic: &str, partition: i32, isolation: i8) -> RawFetch {
    raw_fetch_from(&bootstrap().await, topic, partition, isolation).await
}

async fn raw_fetch_from(bootstrap: &str, topic: &str, partition: i32, isolation: i8) -> RawFetch {
    // Our connection (handshake and framing), not RawConnection: librdkafka's mock refuses
    // the ApiVersions version RawConnection starts with.
    let broker = bootstrap.split(',').next().unwrap();
    let conn = Connection::connect(broker, &ClientConfig::default())
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
                isolation_level: isolation,
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
    let batches = decode_batches(data.records.unwrap_or_else(Bytes::new))
        .unwrap()
        .batches
        .into_iter()
        .map(|b| {
            let control = b.is_control.then(|| {
                b.records
                    .first()
                    .and_then(|r| ControlRecord::parse(r).ok())
                    .map_or("?".to_owned(), |c| format!("{:?}", c.kind))
            });
            (
                b.base_offset,
                b.last_offset(),
                b.producer_id,
                b.is_transactional,
                control,
            )
        })
        .collect();
    RawFetch {
        high_watermark: data.high_watermark,
        last_stable_offset: data.last_stable_offset,
        aborted: data.aborted_transactions.map(|list| {
            list.into_iter()
                .map(|a| (a.producer_id, a.first_offset))
                .collect()
        }),
        batches,
    }
}

/// Measures what tansu does with transactions (run with `--nocapture` to see the numbers):
/// a committed transaction (3 records), an aborted one (2), and an open one (1), each record
/// its own batch.
///
/// Measured on tansu 0.6 (image kafka-sdk/tansu:0.1.2) and asserted here, so a tansu that
/// changes shows up:
/// - it writes COMMIT and ABORT control batches (transactional, with our producer id) after
///   EndTxn, so the markers are in the log;
/// - its read_committed Fetch answer carries no aborted-transactions list (null);
/// - the batches we send arrive with the transactional attribute set.
///
/// What it reports as last_stable_offset with an open transaction is printed, not asserted.
#[tokio::test]
async fn measure_what_tansu_writes() {
    let topic = unique_topic("txn-measure");
    create_topic(&topic, 1).await;
    let producer = txn_producer(&unique_topic("tx-measure")).await;
    producer.init_transactions().await.unwrap();

    producer.begin_transaction().unwrap();
    send_all(&producer, &topic, 0, &["c1", "c2", "c3"]).await;
    producer.commit_transaction().await.unwrap();

    producer.begin_transaction().unwrap();
    send_all(&producer, &topic, 0, &["a1", "a2"]).await;
    producer.abort_transaction().await.unwrap();

    producer.begin_transaction().unwrap();
    send_all(&producer, &topic, 0, &["open"]).await;

    for isolation in [0, 1] {
        let f = raw_fetch(&topic, 0, isolation).await;
        eprintln!(
            "isolation={isolation}: high_watermark={} last_stable_offset={} aborted={:?}",
            f.high_watermark, f.last_stable_offset, f.aborted
        );
        for b in &f.batches {
            eprintln!("  batch {b:?}");
        }
        let controls: Vec<_> = f.batches.iter().filter_map(|b| b.4.clone()).collect();
        assert_eq!(controls, ["Commit", "Abort"], "markers in the log");
        assert!(
            f.batches.iter().all(|b| b.3),
            "every batch is transactional"
        );
    }
    let committed = raw_fetch(&topic, 0, 1).await;
    assert!(
        committed.aborted.as_ref().is_none_or(|a| a.is_empty()),
        "tansu lists no aborted transactions: {:?}",
        committed.aborted
    );
    producer.abort_transaction().await.unwrap();
}

/// Committed offsets of `group` for `tps`, read by a consumer of that group.
async fn committed(group: &str, tps: &[TopicPartition]) -> HashMap<TopicPartition, Option<i64>> {
    let bootstrap = bootstrap().await;
    let config = ConsumerConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("group.id", group),
        ("enable.auto.commit", "false"),
    ])
    .unwrap();
    let mut consumer = Consumer::new(config).await.unwrap();
    offsets_only(consumer.committed(tps).await.unwrap())
}

/// `commit_transaction` makes the transaction's records visible to a read_committed reader
/// and its offsets (AddOffsetsToTxn + TxnOffsetCommit, standalone group metadata) visible to
/// `committed()`.
///
/// Relies on: tansu applying TxnOffsetCommit offsets at EndTxn(commit) (measured: it does).
#[tokio::test]
async fn commit_makes_records_and_offsets_visible() {
    let output = unique_topic("txn-out");
    let input = unique_topic("txn-in");
    create_topic(&output, 2).await;
    create_topic(&input, 2).await;
    let group = unique_topic("txn-group");
    let producer = txn_producer(&unique_topic("tx-commit")).await;
    producer.init_transactions().await.unwrap();

    producer.begin_transaction().unwrap();
    send_all(&producer, &output, 0, &["a", "b"]).await;
    send_all(&producer, &output, 1, &["c"]).await;
    let offsets = HashMap::from([
        (TopicPartition::new(&input, 0), 5),
        (TopicPartition::new(&input, 1), 7),
    ]);
    producer
        .send_offsets_to_transaction(&offsets, &ConsumerGroupMetadata::new(&group))
        .await
        .unwrap();
    producer.commit_transaction().await.unwrap();

    let mut consumer = reader(&output, 2, "read_committed", None).await;
    let mut got = values(&read(&mut consumer, 3, Duration::from_secs(10)).await);
    got.sort();
    assert_eq!(got, ["a", "b", "c"]);

    let tps = [
        TopicPartition::new(&input, 0),
        TopicPartition::new(&input, 1),
    ];
    let committed = committed(&group, &tps).await;
    assert_eq!(committed[&tps[0]], Some(5));
    assert_eq!(committed[&tps[1]], Some(7));
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// `abort_transaction` leaves committed offsets unchanged, and a read_committed reader never
/// sees the aborted records; the next transaction on the same producer commits (sequence
/// numbers stay right across transactions).
///
/// Relies on: tansu writing an ABORT marker at EndTxn(abort) (measured), since its
/// aborted-transactions list is empty and this client then decides by the markers (see
/// kafka-client/src/consumer/fetcher.rs). A read_uncommitted reader sees all three records.
#[tokio::test]
async fn abort_leaves_offsets_and_hides_records() {
    let output = unique_topic("txn-abort-out");
    let input = unique_topic("txn-abort-in");
    create_topic(&output, 1).await;
    create_topic(&input, 1).await;
    let group = unique_topic("txn-abort-group");
    let metadata = ConsumerGroupMetadata::new(&group);
    let tp = TopicPartition::new(&input, 0);
    let producer = txn_producer(&unique_topic("tx-abort")).await;
    producer.init_transactions().await.unwrap();

    producer.begin_transaction().unwrap();
    send_all(&producer, &output, 0, &["kept"]).await;
    producer
        .send_offsets_to_transaction(&HashMap::from([(tp.clone(), 5)]), &metadata)
        .await
        .unwrap();
    producer.commit_transaction().await.unwrap();

    producer.begin_transaction().unwrap();
    send_all(&producer, &output, 0, &["dropped-1", "dropped-2"]).await;
    producer
        .send_offsets_to_transaction(&HashMap::from([(tp.clone(), 9)]), &metadata)
        .await
        .unwrap();
    producer.abort_transaction().await.unwrap();
    assert_eq!(
        committed(&group, std::slice::from_ref(&tp)).await[&tp],
        Some(5)
    );

    producer.begin_transaction().unwrap();
    send_all(&producer, &output, 0, &["after"]).await;
    producer.commit_transaction().await.unwrap();

    assert_eq!(
        values_read(&output, "read_committed", 2).await,
        ["kept", "after"]
    );
    assert_eq!(
        values_read(&output, "read_uncommitted", 4).await,
        ["kept", "dropped-1", "dropped-2", "after"]
    );
    assert_eq!(
        committed(&group, std::slice::from_ref(&tp)).await[&tp],
        Some(5)
    );
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// A second producer with the same `transactional.id` fences the first: the first's next
/// call fails with `ProducerFenced`, and so does every call after; the second commits.
///
/// Relies on: the broker bumping the epoch at the second InitProducerId and refusing a Produce
/// with the old epoch: tansu with PRODUCER_FENCED (measured), kafkito-testkit with
/// INVALID_PRODUCER_EPOCH as Kafka does, and then PRODUCER_FENCED to the abort. Not provable on tansu: an EndTxn with
/// the old epoch — tansu logs `ProducerFenced` and closes the connection instead of
/// answering (measured), which this client retries as a broken connection until
/// `max.block.ms`. EndTxn/AddPartitionsToTxn answering PRODUCER_FENCED is covered on crafted
/// responses (kafkito `producer::transaction` tests).
#[tokio::test]
async fn second_producer_fences_the_first() {
    let output = unique_topic("txn-fence");
    create_topic(&output, 1).await;
    let id = unique_topic("tx-fence");
    let first = txn_producer(&id).await;
    first.init_transactions().await.unwrap();
    first.begin_transaction().unwrap();
    send_all(&first, &output, 0, &["zombie"]).await;

    let second = txn_producer(&id).await;
    second.init_transactions().await.unwrap();

    // The zombie's next call: a send. Its Produce carries the old epoch. tansu answers
    // PRODUCER_FENCED: fenced at once. Kafka and kafkito-testkit answer INVALID_PRODUCER_EPOCH,
    // which is abortable (KIP-588): the abort's InitProducerId names the old epoch and the
    // coordinator answers PRODUCER_FENCED.
    let delivery = first
        .send(
            ProducerRecord::new(&output)
                .partition(0)
                .value("after-fence"),
        )
        .await
        .unwrap();
    let err = delivery.await.unwrap_err();
    let err = if matches!(err, Error::ProducerFenced { .. }) {
        err
    } else {
        assert_eq!(
            err.code(),
            Some(kafkito::protocol::ErrorCode::InvalidProducerEpoch),
            "{err}"
        );
        first.abort_transaction().await.unwrap_err()
    };
    assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
    assert!(err.is_fatal_for_producer());
    // Every call after that fails with the same error, without asking the broker.
    let err = first.commit_transaction().await.unwrap_err();
    assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
    let err = first.begin_transaction().unwrap_err();
    assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
    let err = first
        .send(ProducerRecord::new(&output).value("late"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");

    second.begin_transaction().unwrap();
    send_all(&second, &output, 0, &["successor"]).await;
    second.commit_transaction().await.unwrap();
    assert_eq!(
        values_read(&output, "read_committed", 1).await,
        ["successor"]
    );
    second.close(Duration::from_secs(5)).await.unwrap();
}

/// A producer dropped in the middle of a transaction (its records written, no commit) is
/// cleaned up by its successor's `init_transactions`: the successor commits, and a
/// read_committed reader sees only the successor's records.
///
/// Relies on: tansu aborting the predecessor's open transaction at the successor's
/// InitProducerId and writing an ABORT marker for it (measured). A read_uncommitted reader
/// still sees the dropped producer's record, which proves it was written.
#[tokio::test]
async fn successor_cleans_up_a_dropped_producer() {
    let output = unique_topic("txn-dropped");
    create_topic(&output, 1).await;
    let id = unique_topic("tx-dropped");
    {
        let dropped = txn_producer(&id).await;
        dropped.init_transactions().await.unwrap();
        dropped.begin_transaction().unwrap();
        send_all(&dropped, &output, 0, &["dropped"]).await;
    }
    let successor = txn_producer(&id).await;
    successor.init_transactions().await.unwrap();
    successor.begin_transaction().unwrap();
    send_all(&successor, &output, 0, &["successor"]).await;
    successor.commit_transaction().await.unwrap();

    assert_eq!(
        values_read(&output, "read_committed", 1).await,
        ["successor"]
    );
    // The marker that makes it so: tansu aborted the dropped transaction (same producer id,
    // older epoch) before the successor's records.
    let raw = raw_fetch(&output, 0, 0).await;
    let controls: Vec<_> = raw.batches.iter().filter_map(|b| b.4.clone()).collect();
    assert_eq!(controls, ["Abort", "Commit"], "{:?}", raw.batches);
    assert_eq!(
        values_read(&output, "read_uncommitted", 2).await,
        ["dropped", "successor"]
    );
    successor.close(Duration::from_secs(5)).await.unwrap();
}

/// Illegal call orders on a real producer: each fails with `InvalidTransactionState` naming
/// the call and state, before anything reaches the broker.
#[tokio::test]
async fn illegal_call_orders_fail_with_invalid_transaction_state() {
    let output = unique_topic("txn-illegal");
    create_topic(&output, 1).await;
    let producer = txn_producer(&unique_topic("tx-illegal")).await;
    let state_of = |e: Error| match e {
        Error::InvalidTransactionState { call, state, .. } => (call, state),
        other => panic!("expected InvalidTransactionState, got {other}"),
    };
    use TransactionState::*;
    assert_eq!(
        state_of(producer.begin_transaction().unwrap_err()),
        ("begin_transaction", Uninitialized)
    );
    let err = producer
        .send(ProducerRecord::new(&output).value("x"))
        .await
        .unwrap_err();
    assert_eq!(state_of(err), ("send", Uninitialized));
    producer.init_transactions().await.unwrap();
    assert_eq!(
        state_of(producer.init_transactions().await.unwrap_err()),
        ("init_transactions", Ready)
    );
    let err = producer
        .send(ProducerRecord::new(&output).value("x"))
        .await
        .unwrap_err();
    assert_eq!(state_of(err), ("send", Ready));
    assert_eq!(
        state_of(producer.commit_transaction().await.unwrap_err()),
        ("commit_transaction", Ready)
    );
    assert_eq!(
        state_of(producer.abort_transaction().await.unwrap_err()),
        ("abort_transaction", Ready)
    );
    let err = producer
        .send_offsets_to_transaction(
            &HashMap::from([(TopicPartition::new(&output, 0), 1)]),
            &ConsumerGroupMetadata::new("g"),
        )
        .await
        .unwrap_err();
    assert_eq!(state_of(err), ("send_offsets_to_transaction", Ready));
    producer.begin_transaction().unwrap();
    assert_eq!(
        state_of(producer.begin_transaction().unwrap_err()),
        ("begin_transaction", InTransaction)
    );
    // An empty transaction commits without asking the broker.
    producer.commit_transaction().await.unwrap();

    // A producer without transactional.id has no transactional calls.
    let plain = Producer::new(
        ProducerConfig::from_properties([("bootstrap.servers", bootstrap().await.as_str())])
            .unwrap(),
    )
    .await
    .unwrap();
    let err = plain.init_transactions().await.unwrap_err();
    assert!(
        matches!(err, Error::Config { ref key, .. } if key == "transactional.id"),
        "{err}"
    );
}

/// Read-process-write with a real group member: offsets are sent with the member's
/// generation and member id from `Consumer::group_metadata` (KIP-447, TxnOffsetCommit v3+)
/// and read back with `committed()`; the output is visible to a read_committed reader.
///
/// Relies on: tansu's group join (~3 s; its first generation is 0) and TxnOffsetCommit
/// accepting the member fields.
#[tokio::test]
async fn read_process_write_with_a_group_member() {
    let input = unique_topic("txn-rpw-in");
    let output = unique_topic("txn-rpw-out");
    create_topic(&input, 1).await;
    create_topic(&output, 1).await;
    let group = unique_topic("txn-rpw-group");
    integration_tests::group::produce(&input, "in", 1, 0, 3).await;

    let mut consumer = integration_tests::group::member_consumer(&group, &[]).await;
    consumer.subscribe(&[input.as_str()]).unwrap();
    let records = read(&mut consumer, 3, Duration::from_secs(30)).await;
    assert_eq!(records.len(), 3, "{:?}", values(&records));
    let metadata = consumer.group_metadata().unwrap();
    assert!(
        metadata.generation_id >= 0 && !metadata.member_id.is_empty(),
        "{metadata:?}"
    );

    let producer = txn_producer(&unique_topic("tx-rpw")).await;
    producer.init_transactions().await.unwrap();
    producer.begin_transaction().unwrap();
    for r in &records {
        let value = format!(
            "out-{}",
            String::from_utf8_lossy(r.value.as_deref().unwrap_or_default())
        );
        producer
            .send_and_forget(ProducerRecord::new(&output).partition(0).value(value))
            .await
            .unwrap();
    }
    let next = HashMap::from([(
        TopicPartition::new(&input, 0),
        records.last().unwrap().offset + 1,
    )]);
    producer
        .send_offsets_to_transaction(&next, &metadata)
        .await
        .unwrap();
    producer.commit_transaction().await.unwrap();

    let tp = TopicPartition::new(&input, 0);
    assert_eq!(
        consumer.committed(std::slice::from_ref(&tp)).await.unwrap()[&tp]
            .as_ref()
            .map(|c| c.offset),
        Some(3)
    );
    let mut reader = reader(&output, 1, "read_committed", None).await;
    let got = read(&mut reader, 3, Duration::from_secs(10)).await;
    assert_eq!(values(&got), ["out-in-p0-0", "out-in-p0-1", "out-in-p0-2"]);
    producer.close(Duration::from_secs(5)).await.unwrap();
    consumer.close().await.unwrap();
}

/// The same commit/abort sequence against librdkafka's mock cluster (which supports
/// transactions): our InitProducerId, AddPartitionsToTxn, transactional Produce and EndTxn
/// (commit and abort) are accepted by a second implementation.
///
/// What the mock cannot prove: read_committed. Measured (printed with `--nocapture`): it
/// writes no COMMIT/ABORT markers (the high watermark is 4 after 4 records in three
/// transactions: markers would take offsets), its last stable offset is the high watermark
/// and its aborted-transactions list is empty. With neither markers nor a list, nothing in
/// the log says the middle transaction aborted, so a read_committed reader — ours, like
/// librdkafka's own — gets all four records. Asserted as such, so a mock that starts writing
/// markers shows up here.
#[tokio::test]
async fn mock_cluster_commit_and_abort() {
    let topic = unique_topic("txn-mock");
    let (_mock, bootstrap) = mock::mock_with_topic(1, &topic, 1).await;
    let config = ProducerConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("transactional.id", "tx-mock"),
        ("linger.ms", "0"),
        ("max.block.ms", "20000"),
    ])
    .unwrap();
    let producer = Producer::new(config).await.unwrap();
    producer.init_transactions().await.unwrap();
    producer.begin_transaction().unwrap();
    send_all(&producer, &topic, 0, &["c1", "c2"]).await;
    producer.commit_transaction().await.unwrap();
    producer.begin_transaction().unwrap();
    send_all(&producer, &topic, 0, &["a1"]).await;
    producer.abort_transaction().await.unwrap();
    producer.begin_transaction().unwrap();
    send_all(&producer, &topic, 0, &["c3"]).await;
    producer.commit_transaction().await.unwrap();

    let f = raw_fetch_from(&bootstrap, &topic, 0, 1).await;
    eprintln!(
        "mock read_committed: high_watermark={} last_stable_offset={} aborted={:?}",
        f.high_watermark, f.last_stable_offset, f.aborted
    );
    for b in &f.batches {
        eprintln!("  batch {b:?}");
    }

    let config = ConsumerConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("isolation.level", "read_committed"),
        ("auto.offset.reset", "earliest"),
        ("fetch.max.wait.ms", "100"),
    ])
    .unwrap();
    let mut consumer = Consumer::new(config).await.unwrap();
    consumer.assign([TopicPartition::new(&topic, 0)]).unwrap();
    let got = read(&mut consumer, 3, Duration::from_secs(10)).await;
    assert_eq!(
        (f.high_watermark, f.last_stable_offset),
        (4, 4),
        "no markers in the mock's log"
    );
    assert!(f.aborted.as_ref().is_none_or(|a| a.is_empty()));
    assert_eq!(values(&got), ["c1", "c2", "a1", "c3"]);
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// Measures transaction round trips on tansu (run by hand with `--run-ignored only
/// --no-capture`): 50 transactions of 10 records each to one partition, then how long a
/// read_committed consumer takes to read all 500.
#[tokio::test]
#[ignore = "measurement, not a check: prints timings; run by hand with --run-ignored only"]
async fn measure_transaction_latency() {
    let topic = unique_topic("txn-latency");
    create_topic(&topic, 1).await;
    let producer = txn_producer(&unique_topic("tx-latency")).await;
    let started = Instant::now();
    producer.init_transactions().await.unwrap();
    eprintln!("init_transactions: {:?}", started.elapsed());
    let (transactions, per) = (50, 10);
    let mut commits = Vec::new();
    let started = Instant::now();
    for t in 0..transactions {
        producer.begin_transaction().unwrap();
        for i in 0..per {
            producer
                .send_and_forget(
                    ProducerRecord::new(&topic)
                        .partition(0)
                        .value(format!("{t}-{i}")),
                )
                .await
                .unwrap();
        }
        let commit = Instant::now();
        producer.commit_transaction().await.unwrap();
        commits.push(commit.elapsed());
    }
    let total = started.elapsed();
    commits.sort();
    eprintln!(
        "{transactions} transactions x {per} records: total {total:?}, {:.0} tx/s; commit (flush + EndTxn) p50 {:?} p99 {:?} max {:?}",
        transactions as f64 / total.as_secs_f64(),
        commits[commits.len() / 2],
        commits[commits.len() * 99 / 100],
        commits[commits.len() - 1]
    );
    let mut consumer = reader(&topic, 1, "read_committed", None).await;
    let started = Instant::now();
    let got = read(&mut consumer, transactions * per, Duration::from_secs(30)).await;
    eprintln!(
        "read_committed read {} records in {:?}",
        got.len(),
        started.elapsed()
    );
    assert_eq!(got.len(), transactions * per);
    producer.close(Duration::from_secs(5)).await.unwrap();
}
