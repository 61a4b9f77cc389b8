//! The producer under the faults `producer_faults.rs` does not cover, on librdkafka's mock
//! cluster (three brokers): retriable errors of Metadata, InitProducerId and Produce
//! (LEADER_NOT_AVAILABLE, NOT_ENOUGH_REPLICAS_AFTER_APPEND-free cases), round-trip time, all
//! brokers down then up, and fatal errors (TOPIC_AUTHORIZATION_FAILED, INVALID_REQUIRED_ACKS,
//! CLUSTER_AUTHORIZATION_FAILED) that must fail exactly the records they hit, once each, while
//! every other record is written.
//!
//! Records are read back with librdkafka's consumer and reconciled by key (see
//! `support::mock`). Each scenario prints one `FAULT-TABLE` row (`--nocapture`).
//!
//! The mock checks sequence numbers only for transactional producers, so a duplicate here is
//! one a real broker would have refused; the scenarios below inject errors the mock returns
//! before it appends, so any duplicate or reordering is the client's.

mod support;

use std::time::{Duration, Instant};

use futures::future::join_all;
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito::protocol::ErrorCode;
use kafkito::Error;
use rdkafka::types::{RDKafkaApiKey as Api, RDKafkaRespErr as E};
use support::mock::{key, mock_with_topic, rd_read_back, reconcile, report, Mock, Tally};

const BROKERS: i32 = 3;
const PARTITIONS: i32 = 3;
const TOPIC: &str = "producer-faults-2";
const RECORDS: usize = 1500;
const LIMIT: Duration = Duration::from_secs(40);

fn producer_config(bootstrap: &str, extra: &[(&str, &str)]) -> ProducerConfig {
    let mut props = vec![
        ("bootstrap.servers", bootstrap),
        ("enable.idempotence", "true"),
        ("acks", "all"),
        ("linger.ms", "5"),
        ("request.timeout.ms", "3000"),
        ("delivery.timeout.ms", "25000"),
        ("retry.backoff.ms", "20"),
        ("retry.backoff.max.ms", "200"),
        ("reconnect.backoff.ms", "20"),
        ("reconnect.backoff.max.ms", "200"),
        ("max.block.ms", "10000"),
    ];
    props.extend_from_slice(extra);
    ProducerConfig::from_properties(props).unwrap()
}

/// What a run gave back: per record, its result.
struct Sent {
    results: Vec<Result<(), Error>>,
    retries: u64,
    /// From the injection to the first acknowledgement of a record sent after it.
    recovery: Option<Duration>,
}

/// Sends `RECORDS` keyed records (partition `i % PARTITIONS`), calling `inject` before record
/// `at`; waits for every delivery.
async fn produce(producer: &Producer, at: usize, inject: impl FnOnce(), pace: bool) -> Sent {
    let mut inject = Some(inject);
    let mut deliveries = Vec::with_capacity(RECORDS);
    let mut injected_at = None;
    let mut probe = None;
    for i in 0..RECORDS {
        if i == at {
            if let Some(f) = inject.take() {
                f();
                injected_at = Some(Instant::now());
            }
        }
        let record = ProducerRecord::new(TOPIC)
            .key(key(i))
            .value(format!("v{i}"))
            .partition(i as i32 % PARTITIONS);
        let delivery = producer.send(record).await;
        match delivery {
            // The record sent right after the injection: when its acknowledgement arrives
            // is the recovery time.
            Ok(d) if i == at => {
                probe = Some(tokio::spawn(async move {
                    let r = d.await.map(|_| ());
                    (r, Instant::now())
                }))
            }
            Ok(d) => deliveries.push((i, Some(d))),
            Err(e) => panic!("send {i}: {e}"),
        }
        if i == at {
            deliveries.push((i, None));
        }
        if pace && i % 10 == 9 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let mut recovery = None;
    let mut probe_result = None;
    if let Some(p) = probe {
        let (r, done) = p.await.expect("probe task");
        if r.is_ok() {
            recovery = injected_at.map(|t: Instant| done - t);
        }
        probe_result = Some(r);
    }
    let waited = join_all(deliveries.into_iter().map(|(i, d)| async move {
        match d {
            Some(d) => (i, Some(d.await.map(|_| ()))),
            None => (i, None),
        }
    }))
    .await;
    let mut results: Vec<Result<(), Error>> = Vec::with_capacity(RECORDS);
    for (_, r) in waited {
        match r {
            Some(r) => results.push(r),
            None => results.push(probe_result.take().expect("probe")),
        }
    }
    Sent {
        results,
        retries: producer.metrics().retries,
        recovery,
    }
}

async fn read_back(bootstrap: &str) -> Vec<(i32, String)> {
    let b = bootstrap.to_owned();
    let held = tokio::task::spawn_blocking(move || rd_read_back(&b, TOPIC, PARTITIONS))
        .await
        .unwrap();
    held.into_iter()
        .flat_map(|(p, records)| records.into_iter().map(move |(_, k)| (p, k)))
        .collect()
}

async fn run(
    fault: &str,
    injected: usize,
    extra: &[(&str, &str)],
    at: usize,
    inject: impl FnOnce(&Mock),
) -> (Sent, Tally) {
    support::log::init();
    let (mock, bootstrap) = mock_with_topic(BROKERS, TOPIC, PARTITIONS).await;
    let producer = Producer::new(producer_config(&bootstrap, extra))
        .await
        .unwrap();
    let sent = tokio::time::timeout(LIMIT, produce(&producer, at, || inject(&mock), true))
        .await
        .unwrap_or_else(|_| panic!("{fault}: not done within {LIMIT:?}"));
    let closed = Instant::now();
    producer.close(Duration::from_secs(5)).await.unwrap();
    assert!(closed.elapsed() < Duration::from_secs(6));
    let read = read_back(&bootstrap).await;
    let acked: Vec<bool> = sent.results.iter().map(Result::is_ok).collect();
    let tally = reconcile(&acked, read.iter().map(|(p, k)| (*p, k.as_str())));
    report(fault, injected, &tally, sent.recovery);
    if tally.duplicated > 0 {
        let mut seen = std::collections::HashMap::new();
        for (pos, (p, k)) in read.iter().enumerate() {
            if let Some(first) = seen.insert(k.clone(), pos) {
                eprintln!(
                    "{fault}: duplicate {k} on partition {p} at read positions {first} and {pos}"
                );
            }
        }
    }
    eprintln!("{fault}: retries {}", sent.retries);
    drop(mock);
    (sent, tally)
}

/// A retriable fault: every record acknowledged and written once, in order.
///
/// One request in flight per broker: the mock does not check sequence numbers, so with more
/// in flight a batch accepted while an earlier one waits for its retry would count as
/// reordered, which a real broker refuses (OUT_OF_ORDER_SEQUENCE_NUMBER) and the client then
/// resends in order.
async fn retriable(fault: &str, api: Api, errors: &[E], at: usize, expect_retries: bool) {
    let in_flight = [("max.in.flight.requests.per.connection", "1")];
    let (sent, tally) = run(fault, errors.len(), &in_flight, at, |m| {
        m.request_errors(api, errors)
    })
    .await;
    let failed: Vec<_> = sent
        .results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .collect();
    assert!(
        failed.is_empty(),
        "{fault}: {} failed, first {:?}",
        failed.len(),
        failed.first()
    );
    assert_eq!(tally.lost, 0, "{fault}");
    assert_eq!(tally.duplicated, 0, "{fault}");
    assert_eq!(tally.reordered, 0, "{fault}");
    assert_eq!(tally.received, RECORDS, "{fault}");
    if expect_retries {
        assert!(sent.retries > 0, "{fault}: the fault never hit");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_leader_not_available() {
    let errors = [E::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE; 3];
    retriable(
        "Produce LEADER_NOT_AVAILABLE",
        Api::Produce,
        &errors,
        500,
        true,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_mixed_retriable_errors() {
    let errors = [
        E::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        E::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        E::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
    ];
    retriable(
        "Produce NOT_LEADER/REQUEST_TIMED_OUT/NOT_ENOUGH_REPLICAS/LEADER_NOT_AVAILABLE",
        Api::Produce,
        &errors,
        500,
        true,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_kafka_storage_error() {
    let errors = [E::RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR; 3];
    retriable(
        "Produce KAFKA_STORAGE_ERROR",
        Api::Produce,
        &errors,
        500,
        true,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_unknown_topic_or_partition() {
    let errors = [E::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART; 3];
    retriable(
        "Produce UNKNOWN_TOPIC_OR_PARTITION",
        Api::Produce,
        &errors,
        500,
        true,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_errors_mid_stream() {
    // Move a leader so the producer must refresh metadata, and fail the refreshes.
    let errors = [
        E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        E::RD_KAFKA_RESP_ERR__TRANSPORT,
        E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
    ];
    let (sent, tally) = run("Metadata errors + leader move", 3, &[], 500, |m| {
        m.request_errors(Api::Metadata, &errors);
        for p in 0..PARTITIONS {
            m.partition_leader(TOPIC, p, Some((p + 1) % BROKERS + 1))
                .unwrap();
        }
    })
    .await;
    assert!(sent.results.iter().all(Result::is_ok));
    assert_eq!((tally.lost, tally.duplicated, tally.reordered), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_producer_id_retriable_errors() {
    let errors = [
        E::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        E::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        E::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
        E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
    ];
    // The fault's proof is the client's own retry event: nothing else sends InitProducerId
    // to the mock, and the producer logs each retriable failure once before it asks again.
    let retried = support::events::count("InitProducerId failed; retrying");
    // Before the first record: the producer id is fetched first.
    retriable(
        "InitProducerId COORDINATOR_NOT_AVAILABLE/NOT_COORDINATOR/LOAD_IN_PROGRESS/REQUEST_TIMED_OUT",
        Api::InitProducerId,
        &errors,
        0,
        false,
    )
    .await;
    let retried = retried.load(std::sync::atomic::Ordering::SeqCst);
    eprintln!("InitProducerId: {retried} retries logged");
    assert!(
        retried >= errors.len(),
        "InitProducerId: {retried} retries logged for {} injected errors: the fault was not \
         hit, or not retried",
        errors.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_time_below_request_timeout() {
    let (sent, tally) = run("RTT 250 ms all brokers", 1, &[], 300, |m| {
        m.broker_round_trip_time(-1, Duration::from_millis(250))
            .unwrap()
    })
    .await;
    assert!(sent.results.iter().all(Result::is_ok));
    assert_eq!((tally.lost, tally.duplicated, tally.reordered), (0, 0, 0));
    assert_eq!(
        sent.retries, 0,
        "a slow broker within request.timeout.ms is no reason to retry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_brokers_down_then_up() {
    let (mock, bootstrap) = mock_with_topic(BROKERS, TOPIC, PARTITIONS).await;
    let producer = Producer::new(producer_config(&bootstrap, &[]))
        .await
        .unwrap();
    let mut deliveries = Vec::new();
    for i in 0..RECORDS / 2 {
        let r = ProducerRecord::new(TOPIC)
            .key(key(i))
            .value("x")
            .partition(i as i32 % PARTITIONS);
        deliveries.push(producer.send(r).await.unwrap());
    }
    producer.flush().await.unwrap();
    mock.broker_down(-1).unwrap();
    let down = Instant::now();
    for i in RECORDS / 2..RECORDS {
        let r = ProducerRecord::new(TOPIC)
            .key(key(i))
            .value("x")
            .partition(i as i32 % PARTITIONS);
        deliveries.push(producer.send(r).await.unwrap());
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    mock.broker_up(-1).unwrap();
    let up = Instant::now();
    let last = deliveries.pop().unwrap();
    let last_ok = tokio::time::timeout(LIMIT, last)
        .await
        .expect("last record");
    let recovery = up.elapsed();
    let mut results: Vec<Result<(), Error>> = join_all(deliveries)
        .await
        .into_iter()
        .map(|r| r.map(|_| ()))
        .collect();
    results.push(last_ok.map(|_| ()));
    producer.close(Duration::from_secs(5)).await.unwrap();
    let read = read_back(&bootstrap).await;
    let acked: Vec<bool> = results.iter().map(Result::is_ok).collect();
    let tally = reconcile(&acked, read.iter().map(|(p, k)| (*p, k.as_str())));
    report("all brokers down 2 s, then up", 1, &tally, Some(recovery));
    eprintln!("down for {:?}", up - down);
    assert!(
        results.iter().all(Result::is_ok),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    assert_eq!((tally.lost, tally.duplicated, tally.reordered), (0, 0, 0));
    assert!(recovery < Duration::from_secs(5), "recovery {recovery:?}");
}

/// A fatal Produce error: the records of the batch it hit fail with that code, once; no
/// other record fails; nothing that failed is in the log and everything acknowledged is.
async fn fatal_produce(fault: &str, error: E, code: ErrorCode, extra: &[(&str, &str)]) {
    let (sent, tally) = run(fault, 1, extra, 500, |m| {
        m.request_errors(Api::Produce, &[error])
    })
    .await;
    let failed: Vec<&Error> = sent
        .results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .collect();
    eprintln!(
        "{fault}: {} records failed; first: {:?}",
        failed.len(),
        failed.first().map(ToString::to_string)
    );
    assert!(
        !failed.is_empty(),
        "{fault}: the fatal error never surfaced"
    );
    assert!(
        failed.iter().all(|e| e.code() == Some(code)),
        "{fault}: other errors: {failed:?}"
    );
    // One Produce request carries at most one batch per partition, so one injected error
    // fails at most the records of that many batches: far fewer than all.
    assert!(
        failed.len() < RECORDS / 2,
        "{fault}: {} failed",
        failed.len()
    );
    assert_eq!(tally.lost, 0, "{fault}: acknowledged but not written");
    assert_eq!(tally.duplicated, 0, "{fault}");
    // Nothing that failed was written.
    assert_eq!(
        tally.received, tally.sent,
        "{fault}: a failed record was written"
    );
    assert!(!failed[0].is_retriable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fatal_topic_authorization_failed() {
    fatal_produce(
        "Produce TOPIC_AUTHORIZATION_FAILED (fatal)",
        E::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        ErrorCode::TopicAuthorizationFailed,
        &[("enable.idempotence", "false")],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fatal_invalid_required_acks() {
    fatal_produce(
        "Produce INVALID_REQUIRED_ACKS (fatal)",
        E::RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS,
        ErrorCode::InvalidRequiredAcks,
        &[("enable.idempotence", "false")],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fatal_topic_authorization_failed_idempotent() {
    // With idempotence the failed batch leaves a gap in the sequence; the producer must
    // still fail only those records (a real broker would need the epoch bumped; the mock
    // does not check sequences).
    fatal_produce(
        "Produce TOPIC_AUTHORIZATION_FAILED, idempotent (fatal)",
        E::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        ErrorCode::TopicAuthorizationFailed,
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fatal_cluster_authorization_failed_on_init_producer_id() {
    let (mock, bootstrap) = mock_with_topic(BROKERS, TOPIC, PARTITIONS).await;
    mock.request_errors(
        Api::InitProducerId,
        &[E::RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED],
    );
    let producer = Producer::new(producer_config(&bootstrap, &[]))
        .await
        .unwrap();
    let started = Instant::now();
    let mut outcomes = Vec::new();
    for i in 0..20 {
        let r = ProducerRecord::new(TOPIC)
            .key(key(i))
            .value("x")
            .partition(0);
        let outcome = match producer.send(r).await {
            Ok(d) => tokio::time::timeout(Duration::from_secs(30), d)
                .await
                .expect("a delivery never completed")
                .map(|_| ()),
            Err(e) => Err(e),
        };
        outcomes.push(outcome);
    }
    let elapsed = started.elapsed();
    let errors: Vec<&Error> = outcomes.iter().filter_map(|r| r.as_ref().err()).collect();
    eprintln!(
        "InitProducerId CLUSTER_AUTHORIZATION_FAILED: {} of 20 failed in {elapsed:?}; first: {:?}",
        errors.len(),
        errors.first().map(ToString::to_string)
    );
    assert_eq!(
        errors.len(),
        20,
        "a producer without an id must not write: {outcomes:?}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e.code() == Some(ErrorCode::ClusterAuthorizationFailed)),
        "{errors:?}"
    );
    assert!(
        elapsed < Duration::from_secs(10),
        "fatal error took {elapsed:?} to surface"
    );
    let closed = Instant::now();
    let _ = producer.close(Duration::from_secs(3)).await;
    assert!(closed.elapsed() < Duration::from_secs(4));
    let read = read_back(&bootstrap).await;
    assert!(
        read.is_empty(),
        "written without a producer id: {}",
        read.len()
    );
    report(
        "InitProducerId CLUSTER_AUTHORIZATION_FAILED (fatal)",
        1,
        &Tally {
            sent: 0,
            ..Tally::default()
        },
        None,
    );
}
