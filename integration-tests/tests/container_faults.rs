//! The real broker (a private tansu container, `dedicated_broker()`) frozen and restarted under
//! a live producer (acks=all, idempotence) and a live consumer. Each test prints its
//! `FAULT-TABLE` row and the measured recovery times (`--nocapture`).
//!
//! - `docker pause` keeps the broker's state: every acknowledged record must be read back,
//!   none twice, and both clients must resume on their own after `unpause`.
//! - `docker stop` / `start`: tansu keeps its log **in memory**, so a restarted broker is
//!   empty (topics included). What can be asserted there: every record acknowledged before
//!   the stop was read back before the stop (the producer is flushed and the live consumer
//!   must have read the first [`STOP_AT`] records, once each, before the broker is stopped);
//!   no call hangs, every delivery future completes (acknowledged, or a typed error) within
//!   `delivery.timeout.ms`, the same clients work again once the topic exists again, and
//!   every record acknowledged after the restart is read back — except where tansu gave its
//!   offsets out twice. At least [`MIN_FRESH_ACKS`] records must be acknowledged after the
//!   re-creation at fresh offsets, so a run in which every later acknowledgement was left
//!   out fails; with idempotence, no record may be read twice.
//!
//! Against `KAFKA_BOOTSTRAP_SERVERS` every test here reports itself not applicable (by name)
//! and returns: it needs a broker container of its own to pause or stop.
//!
//! That tansu defect, seen in these tests' logs: the restarted broker acknowledges Produce
//! requests for the topic it forgot (a non-idempotent producer's first batch after the
//! restart, e.g. 343 records at base offset 0), and once the topic is created again it
//! hands out the offsets after the first one again (the next batch got base offset 1). A
//! reader that consumed offsets 0..342 is then past every later record, so no client can
//! read those back. The test names such records (their acknowledged offsets collide with
//! records acknowledged before the re-creation) and leaves them out of the loss count; every
//! other acknowledged record must be read back.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use integration_tests::{
    dedicated_broker, not_applicable_to_external_cluster, unique_topic, Broker,
};
use kafkito::admin::{AdminClient, CreateTopicsOptions, NewTopic};
use kafkito::consumer::{Consumer, ConsumerConfig, TopicPartition};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord, RecordMetadata};
use kafkito::Error;
use support::mock::{key, reconcile, report};
use tokio::sync::Mutex;

/// Records per second the producer offers.
const RATE: u64 = 200;
/// The stop/start fault starts once this many records were offered; these are flushed and
/// read back before the broker is stopped.
const STOP_AT: usize = 400;
/// Fewest records the stop/start tests need acknowledged after the topic's re-creation at
/// offsets tansu had not given out before (about 1 000 are offered after it).
const MIN_FRESH_ACKS: usize = 300;

async fn create(bootstrap: &str, topic: &str) {
    let admin = AdminClient::from_properties([
        ("bootstrap.servers", bootstrap),
        ("default.api.timeout.ms", "20000"),
    ])
    .unwrap();
    let created = admin
        .create_topics(
            vec![NewTopic::new(topic, 1, 1)],
            CreateTopicsOptions::default(),
        )
        .await
        .unwrap();
    if let Err(e) = &created[topic] {
        panic!("create {topic}: {e}");
    }
    admin.close();
}

fn producer(bootstrap: &str) -> ProducerConfig {
    producer_with(bootstrap, true)
}

fn producer_with(bootstrap: &str, idempotence: bool) -> ProducerConfig {
    ProducerConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("acks", "all"),
        (
            "enable.idempotence",
            if idempotence { "true" } else { "false" },
        ),
        ("linger.ms", "5"),
        ("request.timeout.ms", "3000"),
        ("delivery.timeout.ms", "30000"),
        ("retry.backoff.ms", "50"),
        ("retry.backoff.max.ms", "500"),
        ("reconnect.backoff.ms", "50"),
        ("reconnect.backoff.max.ms", "500"),
        ("max.block.ms", "20000"),
    ])
    .unwrap()
}

async fn consumer(bootstrap: &str, topic: &str) -> Consumer {
    let mut consumer = Consumer::new(
        ConsumerConfig::from_properties([
            ("bootstrap.servers", bootstrap),
            ("auto.offset.reset", "earliest"),
            ("fetch.max.wait.ms", "100"),
            ("request.timeout.ms", "3000"),
            ("reconnect.backoff.ms", "50"),
            ("reconnect.backoff.max.ms", "500"),
            ("default.api.timeout.ms", "10000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    consumer.assign([TopicPartition::new(topic, 0)]).unwrap();
    consumer
}

/// What the background consumer saw: keys in order, and when each arrived.
#[derive(Default)]
struct Seen {
    keys: Vec<String>,
    at: Vec<Instant>,
    errors: usize,
}

/// Polls `consumer` until `stop` is set, recording keys.
fn spawn_consumer(
    mut consumer: Consumer,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<Consumer> {
    tokio::spawn(async move {
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            match consumer.poll(Duration::from_millis(200)).await {
                Ok(records) => {
                    let now = Instant::now();
                    let mut seen = seen.lock().await;
                    for r in records {
                        let k = String::from_utf8_lossy(r.key.as_deref().unwrap_or_default())
                            .into_owned();
                        seen.keys.push(k);
                        seen.at.push(now);
                    }
                }
                Err(_) => {
                    seen.lock().await.errors += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        consumer
    })
}

/// Offers `count` records at [`RATE`]/s, running `fault` on the broker (concurrently) once
/// `fault_at` were offered. Returns each record's outcome and when it completed.
async fn produce_through<F, Fut>(
    producer: &Producer,
    topic: &str,
    count: usize,
    fault_at: usize,
    fault: F,
) -> Vec<(Result<RecordMetadata, Error>, Instant)>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let offered = std::sync::atomic::AtomicUsize::new(0);
    let sending = async {
        let mut deliveries = Vec::with_capacity(count);
        for i in 0..count {
            offered.store(i, std::sync::atomic::Ordering::SeqCst);
            let record = ProducerRecord::new(topic)
                .key(key(i))
                .value(format!("v{i}"));
            match producer.send(record).await {
                Ok(delivery) => deliveries.push(tokio::spawn(async move {
                    let r = delivery.await;
                    (r, Instant::now())
                })),
                Err(e) => deliveries.push(tokio::spawn(async move { (Err(e), Instant::now()) })),
            }
            tokio::time::sleep(Duration::from_micros(1_000_000 / RATE)).await;
        }
        deliveries
    };
    let faulting = async {
        while offered.load(std::sync::atomic::Ordering::SeqCst) < fault_at {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        fault().await;
    };
    let (deliveries, ()) = tokio::join!(sending, faulting);
    let mut out = Vec::with_capacity(count);
    for d in deliveries {
        out.push(
            tokio::time::timeout(Duration::from_secs(45), d)
                .await
                .expect("a delivery future never completed")
                .unwrap(),
        );
    }
    out
}

async fn wait_for_keys(seen: &Mutex<Seen>, wanted: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let distinct = {
            let seen = seen.lock().await;
            let mut k: Vec<&String> = seen.keys.iter().collect();
            k.sort();
            k.dedup();
            k.len()
        };
        if distinct >= wanted || Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (bounded by `limit`) until `seen` holds every key of records `0..n`; returns the
/// keys still missing then (empty: all were read).
async fn wait_for_prefix(seen: &Mutex<Seen>, n: usize, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    loop {
        let missing: Vec<String> = {
            let seen = seen.lock().await;
            let keys: std::collections::HashSet<&str> =
                seen.keys.iter().map(String::as_str).collect();
            (0..n)
                .map(key)
                .filter(|k| !keys.contains(k.as_str()))
                .collect()
        };
        if missing.is_empty() || Instant::now() > deadline {
            return missing;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn fresh_broker() -> Broker {
    let broker = dedicated_broker().await;
    assert!(
        !broker.is_external(),
        "container faults need a broker container"
    );
    broker
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_unpause_under_live_producer_and_consumer() {
    if not_applicable_to_external_cluster(
        "container_faults::pause_unpause_under_live_producer_and_consumer",
        "pauses its own broker container",
    ) {
        return;
    }
    support::log::init();
    let broker = fresh_broker().await;
    let bootstrap = broker.bootstrap();
    let topic = unique_topic("pause");
    create(&bootstrap, &topic).await;
    let producer = Producer::new(producer(&bootstrap)).await.unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let consuming = spawn_consumer(
        consumer(&bootstrap, &topic).await,
        seen.clone(),
        stop.clone(),
    );

    const COUNT: usize = 1200;
    let paused_for = Duration::from_secs(4);
    let unpaused_at = Arc::new(Mutex::new(None));
    let u = unpaused_at.clone();
    let b = &broker;
    let outcomes = produce_through(&producer, &topic, COUNT, 400, || async move {
        b.pause().await.unwrap();
        tokio::time::sleep(paused_for).await;
        b.unpause().await.unwrap();
        *u.lock().await = Some(Instant::now());
    })
    .await;
    let unpaused_at = unpaused_at.lock().await.expect("unpaused");
    let acked: Vec<bool> = outcomes.iter().map(|(r, _)| r.is_ok()).collect();
    let sent = acked.iter().filter(|a| **a).count();
    wait_for_keys(&seen, sent, Duration::from_secs(20)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let consumer = consuming.await.unwrap();
    producer.close(Duration::from_secs(5)).await.unwrap();
    consumer.close().await.unwrap();

    // Recovery: from unpause to the first acknowledgement completing after it, and to the
    // first record consumed after it.
    let produce_recovery = outcomes
        .iter()
        .filter(|(r, at)| r.is_ok() && *at >= unpaused_at)
        .map(|(_, at)| *at - unpaused_at)
        .min();
    let seen = seen.lock().await;
    let consume_recovery = seen
        .at
        .iter()
        .filter(|at| **at >= unpaused_at)
        .map(|at| *at - unpaused_at)
        .min();
    let tally = reconcile(&acked, seen.keys.iter().map(|k| (0, k.as_str())));
    report("docker pause 4 s (tansu)", 1, &tally, produce_recovery);
    let failed: BTreeMap<String, usize> = outcomes
        .iter()
        .filter_map(|(r, _)| r.as_ref().err())
        .fold(BTreeMap::new(), |mut m, e| {
            *m.entry(e.to_string()).or_default() += 1;
            m
        });
    eprintln!(
        "pause: produce recovery {produce_recovery:?}, consume recovery {consume_recovery:?}, \
         failed {failed:?}, consumer poll errors {}",
        seen.errors
    );
    assert!(
        failed.is_empty(),
        "records failed across a 4 s pause: {failed:?}"
    );
    assert_eq!(tally.lost, 0, "acknowledged records not read back");
    assert_eq!(tally.reordered, 0);
    assert_eq!(tally.duplicated, 0, "idempotent producer wrote duplicates");
    assert!(produce_recovery.is_some_and(|d| d < Duration::from_secs(10)));
    assert!(consume_recovery.is_some_and(|d| d < Duration::from_secs(10)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_start_under_live_idempotent_producer_and_consumer() {
    if not_applicable_to_external_cluster(
        "container_faults::stop_start_under_live_idempotent_producer_and_consumer",
        "stops and restarts its own broker container",
    ) {
        return;
    }
    stop_start(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_start_under_live_producer_and_consumer() {
    if not_applicable_to_external_cluster(
        "container_faults::stop_start_under_live_producer_and_consumer",
        "stops and restarts its own broker container",
    ) {
        return;
    }
    stop_start(false).await;
}

async fn stop_start(idempotence: bool) {
    support::log::init();
    let broker = fresh_broker().await;
    let bootstrap = broker.bootstrap();
    let topic = unique_topic("restart");
    create(&bootstrap, &topic).await;
    let producer = Producer::new(producer_with(&bootstrap, idempotence))
        .await
        .unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let consuming = spawn_consumer(
        consumer(&bootstrap, &topic).await,
        seen.clone(),
        stop.clone(),
    );

    // Long enough after the restart for records past any offsets tansu gives out twice.
    const COUNT: usize = 2000;
    let started_at = Arc::new(Mutex::new(None));
    let stopped_at = Arc::new(Mutex::new(None));
    let s = started_at.clone();
    let st = stopped_at.clone();
    let (b, bs, t, p, sn) = (&broker, bootstrap.clone(), topic.clone(), &producer, &seen);
    let outcomes = produce_through(&producer, &topic, COUNT, STOP_AT, || async move {
        // Before the stop: everything offered so far is acknowledged and read back.
        p.flush().await.expect("flush before the stop");
        let missing = wait_for_prefix(sn, STOP_AT, Duration::from_secs(20)).await;
        assert!(
            missing.is_empty(),
            "acknowledged before the stop, not read back within 20 s: {} records, first {:?}",
            missing.len(),
            &missing[..missing.len().min(10)]
        );
        *st.lock().await = Some(Instant::now());
        b.stop(Duration::from_secs(1)).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        b.start().await.unwrap();
        let up = Instant::now();
        // tansu forgot the topic: make it again, as an operator would.
        create(&bs, &t).await;
        *s.lock().await = Some((up, Instant::now()));
    })
    .await;
    let (up_at, started_at) = started_at.lock().await.expect("started");
    let stopped_at = stopped_at.lock().await.expect("stopped");
    // Records acknowledged before the stop: the first STOP_AT, each read once (or, without
    // idempotence, at least once) by the live consumer before the broker went.
    let unacked_before_stop: Vec<usize> = (0..STOP_AT)
        .filter(|i| !matches!(&outcomes[*i], (Ok(_), at) if *at < stopped_at))
        .collect();
    assert!(
        unacked_before_stop.is_empty(),
        "records offered before the stop and not acknowledged before it: {unacked_before_stop:?}"
    );
    let read_before_stop = {
        let seen = seen.lock().await;
        let before: Vec<bool> = (0..COUNT).map(|i| i < STOP_AT).collect();
        reconcile(
            &before,
            seen.keys
                .iter()
                .filter(|k| support::mock::index_of(k).is_some_and(|i| i < STOP_AT))
                .map(|k| (0, k.as_str())),
        )
    };
    let acked_before_created = outcomes
        .iter()
        .filter(|(r, at)| r.is_ok() && *at > up_at && *at <= started_at)
        .count();
    let acked: Vec<bool> = outcomes.iter().map(|(r, _)| r.is_ok()).collect();
    // Offsets the restarted broker acknowledged before the topic existed again (see the
    // module doc): a record acknowledged after the re-creation at one of these offsets was
    // given an offset tansu had already given out.
    let phantom_offsets: std::collections::HashSet<i64> = outcomes
        .iter()
        .filter(|(_, at)| *at > up_at && *at <= started_at)
        .filter_map(|(r, _)| r.as_ref().ok().map(|md| md.offset))
        .collect();
    let offset_reused = |r: &Result<RecordMetadata, Error>| {
        r.as_ref()
            .is_ok_and(|md| phantom_offsets.contains(&md.offset))
    };
    let reused = outcomes
        .iter()
        .filter(|(r, at)| *at > started_at && offset_reused(r))
        .count();
    let acked_after: Vec<bool> = outcomes
        .iter()
        .map(|(r, at)| r.is_ok() && *at > started_at && !offset_reused(r))
        .collect();
    let recovery = outcomes
        .iter()
        .filter(|(r, at)| r.is_ok() && *at >= started_at)
        .map(|(_, at)| *at - started_at)
        .min();
    // The consumer's position is past the old log's end; a fresh consumer reads what the
    // restarted broker holds.
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let old_consumer = consuming.await.unwrap();
    let old_seen = seen.lock().await.keys.len();
    let seen2 = Arc::new(Mutex::new(Seen::default()));
    let stop2 = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let consuming2 = spawn_consumer(
        consumer(&bootstrap, &topic).await,
        seen2.clone(),
        stop2.clone(),
    );
    let expected_after = acked_after.iter().filter(|a| **a).count();
    wait_for_keys(&seen2, expected_after, Duration::from_secs(20)).await;
    stop2.store(true, std::sync::atomic::Ordering::SeqCst);
    let new_consumer = consuming2.await.unwrap();
    let closed = Instant::now();
    producer.close(Duration::from_secs(5)).await.unwrap();
    old_consumer.close().await.unwrap();
    new_consumer.close().await.unwrap();
    assert!(closed.elapsed() < Duration::from_secs(12));

    let seen2 = seen2.lock().await;
    // Only what was acknowledged after the restart can still be on the broker.
    let read_after: Vec<(i32, &str)> = seen2.keys.iter().map(|k| (0, k.as_str())).collect();
    let tally = reconcile(&acked_after, read_after.iter().copied());
    let failed: BTreeMap<String, usize> = outcomes
        .iter()
        .filter_map(|(r, _)| r.as_ref().err())
        .fold(BTreeMap::new(), |mut m, e| {
            let kind = e.to_string().chars().take(90).collect::<String>();
            *m.entry(kind).or_default() += 1;
            m
        });
    report(
        &format!("docker stop 1 s + start (tansu, in-memory), idempotence={idempotence}"),
        1,
        &tally,
        recovery,
    );
    eprintln!(
        "restart: {} acked in all, {acked_before_created} acked between start and the topic's \
         re-creation (not counted), {} acked after it at fresh offsets, {reused} acked after \
         it at offsets tansu had given out before the re-creation (not counted, unreadable), \
         recovery {recovery:?} (from the re-creation); old consumer read {old_seen}; failures \
         {failed:?}",
        acked.iter().filter(|a| **a).count(),
        expected_after
    );
    eprintln!(
        "restart: before the stop {STOP_AT} acknowledged, read {} (lost {}, duplicated {})",
        read_before_stop.received, read_before_stop.lost, read_before_stop.duplicated
    );
    assert_eq!(
        read_before_stop.lost, 0,
        "acknowledged before the stop, not read back before it"
    );
    assert!(
        expected_after >= MIN_FRESH_ACKS,
        "only {expected_after} records acknowledged after the re-creation at fresh offsets \
         ({reused} at reused offsets, {acked_before_created} before the re-creation): too few \
         to show anything survives a restart (at least {MIN_FRESH_ACKS})"
    );
    assert_eq!(
        tally.lost, 0,
        "acknowledged after the restart, not read back"
    );
    if idempotence {
        assert_eq!(
            (read_before_stop.duplicated, tally.duplicated),
            (0, 0),
            "idempotent producer: records read twice (before the stop, after the restart)"
        );
    }
    assert!(
        recovery.is_some_and(|d| d < Duration::from_secs(15)),
        "{recovery:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_broker_close_and_calls_are_bounded() {
    if not_applicable_to_external_cluster(
        "container_faults::paused_broker_close_and_calls_are_bounded",
        "pauses its own broker container",
    ) {
        return;
    }
    // A hung broker (connections open, nothing answered): send waits at most max.block.ms,
    // deliveries fail by delivery.timeout.ms, close returns within its timeout.
    let broker = fresh_broker().await;
    let bootstrap = broker.bootstrap();
    let topic = unique_topic("hung");
    create(&bootstrap, &topic).await;
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("request.timeout.ms", "1000"),
            ("delivery.timeout.ms", "3000"),
            ("linger.ms", "0"),
            ("max.block.ms", "2000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    producer
        .send(ProducerRecord::new(&topic).value("warm"))
        .await
        .unwrap()
        .await
        .unwrap();
    broker.pause().await.unwrap();
    let started = Instant::now();
    let delivery = producer
        .send(ProducerRecord::new(&topic).value("frozen"))
        .await
        .expect("metadata is cached; send only enqueues");
    let outcome = tokio::time::timeout(Duration::from_secs(8), delivery)
        .await
        .expect("delivery against a hung broker never completed");
    let failed_after = started.elapsed();
    eprintln!("hung broker: delivery {outcome:?} after {failed_after:?}");
    assert!(
        matches!(
            outcome,
            Err(Error::DeliveryTimeout { .. }) | Err(Error::Timeout { .. })
        ),
        "{outcome:?}"
    );
    let closing = Instant::now();
    let _ = producer.close(Duration::from_secs(2)).await;
    let close_took = closing.elapsed();
    eprintln!("hung broker: close(2 s) took {close_took:?}");
    assert!(close_took < Duration::from_secs(3));
    broker.unpause().await.unwrap();
}
