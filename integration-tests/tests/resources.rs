//! Bounded resources, measured on the process itself (`/proc/self`, Tokio's runtime metrics),
//! against librdkafka's in-process mock cluster (no Docker sockets or tasks in the counts):
//!
//! - memory stays under `buffer.memory` plus a bounded overhead while the brokers are down
//!   and `send` is pushed into backpressure;
//! - no socket or task is left behind once producer, consumer and admin client are closed
//!   (five rounds, so a leak of one per round shows);
//! - `close()` and drop return within their bound when no broker is reachable — the hang
//!   rust-rdkafka users know — for the producer and the consumer.
//!
//! Each test prints what it measured (`--nocapture`).

mod support;

use std::time::{Duration, Instant};

use integration_tests::resources::{alive_tasks, open_sockets, rss_bytes, settle};
use kafkito::admin::AdminClient;
use kafkito::consumer::{Consumer, ConsumerConfig, TopicPartition};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito::Error;
use support::mock::mock_with_topic;

const TOPIC: &str = "resources";
const PARTITIONS: i32 = 3;

fn producer_config(bootstrap: &str, extra: &[(&str, &str)]) -> ProducerConfig {
    let mut props = vec![
        ("bootstrap.servers", bootstrap),
        ("linger.ms", "5"),
        ("request.timeout.ms", "2000"),
        ("reconnect.backoff.ms", "50"),
        ("reconnect.backoff.max.ms", "500"),
    ];
    props.extend_from_slice(extra);
    ProducerConfig::from_properties(props).unwrap()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_stays_under_buffer_memory_when_brokers_are_down() {
    const BUFFER: usize = 16 << 20;
    const VALUE: usize = 16 << 10;
    let (mock, bootstrap) = mock_with_topic(1, TOPIC, PARTITIONS).await;
    let producer = Producer::new(producer_config(
        &bootstrap,
        &[
            ("buffer.memory", &BUFFER.to_string()),
            ("max.block.ms", "300"),
            ("delivery.timeout.ms", "120000"),
            ("compression.type", "none"),
        ],
    ))
    .await
    .unwrap();
    // Metadata first, then the only broker goes away.
    producer
        .send(ProducerRecord::new(TOPIC).value("warm"))
        .await
        .unwrap()
        .await
        .unwrap();
    mock.broker_down(-1).unwrap();
    let before = rss_bytes().expect("/proc/self/status");

    let value = bytes::Bytes::from(vec![0x5au8; VALUE]);
    let mut accepted = 0usize;
    let mut deliveries = Vec::new();
    let started = Instant::now();
    let exhausted = loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no backpressure"
        );
        match producer
            .send(ProducerRecord::new(TOPIC).value(value.clone()))
            .await
        {
            Ok(d) => {
                accepted += 1;
                deliveries.push(d);
            }
            Err(e) => break e,
        }
    };
    let peak = rss_bytes().unwrap();
    let grown = peak.saturating_sub(before);
    eprintln!(
        "RESOURCES | brokers down: {accepted} records of {} KiB accepted ({:.1} MiB) before \
         {exhausted}; RSS {:.1} -> {:.1} MiB (+{:.1} MiB, buffer.memory {:.0} MiB); buffered \
         {:.1} MiB",
        VALUE >> 10,
        mib((accepted * VALUE) as u64),
        mib(before),
        mib(peak),
        mib(grown),
        mib(BUFFER as u64),
        mib(producer.metrics().buffered_bytes)
    );
    assert!(
        matches!(exhausted, Error::BufferExhausted { .. }),
        "{exhausted:?}"
    );
    assert!(
        accepted * VALUE <= BUFFER,
        "accepted more than buffer.memory"
    );
    // buffer.memory itself, plus a bounded overhead (allocator slack, per-record futures,
    // batch headers): 32 MiB is generous and still catches an unbounded queue.
    assert!(
        grown < (BUFFER as u64) + (32 << 20),
        "RSS grew by {:.1} MiB",
        mib(grown)
    );

    // Drop everything while the broker is still down: close must not hang.
    let closing = Instant::now();
    let closed = producer.close(Duration::from_secs(1)).await;
    let took = closing.elapsed();
    eprintln!("RESOURCES | close(1 s) with {accepted} records buffered and no broker: {took:?}, {closed:?}");
    assert!(took < Duration::from_millis(2500), "close took {took:?}");
    let failed = futures::future::join_all(deliveries).await;
    assert!(
        failed.iter().all(|r| r.is_err()),
        "a record succeeded with no broker"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_socket_or_task_leaks_after_close() {
    let (_mock, bootstrap) = mock_with_topic(3, TOPIC, PARTITIONS).await;
    // Let preflight's sockets go.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let base_sockets = open_sockets();
    let base_tasks = alive_tasks();
    let mut rounds = Vec::new();
    for round in 0..5 {
        let producer = Producer::new(producer_config(&bootstrap, &[]))
            .await
            .unwrap();
        for i in 0..50 {
            producer
                .send_and_forget(ProducerRecord::new(TOPIC).value(format!("r{round}-{i}")))
                .await
                .unwrap();
        }
        producer.flush().await.unwrap();
        let mut consumer = Consumer::new(
            ConsumerConfig::from_properties([
                ("bootstrap.servers", bootstrap.as_str()),
                ("auto.offset.reset", "earliest"),
                ("fetch.max.wait.ms", "50"),
            ])
            .unwrap(),
        )
        .await
        .unwrap();
        consumer
            .assign((0..PARTITIONS).map(|p| TopicPartition::new(TOPIC, p)))
            .unwrap();
        let mut read = 0;
        let deadline = Instant::now() + Duration::from_secs(10);
        while read < 50 && Instant::now() < deadline {
            read += consumer
                .poll(Duration::from_millis(100))
                .await
                .unwrap()
                .len();
        }
        assert!(read >= 50, "round {round}: read {read}");
        let admin =
            AdminClient::from_properties([("bootstrap.servers", bootstrap.as_str())]).unwrap();
        admin.metadata().refresh_topics(&[TOPIC]).await.unwrap();
        let busy = (open_sockets(), alive_tasks());

        producer.close(Duration::from_secs(5)).await.unwrap();
        drop(producer);
        consumer.close().await.unwrap();
        admin.close();
        drop(admin);
        let sockets = settle(Duration::from_secs(5), base_sockets, open_sockets).await;
        let tasks = settle(Duration::from_secs(5), base_tasks, alive_tasks).await;
        eprintln!(
            "RESOURCES | round {round}: sockets {base_sockets} -> {} (in use) -> {sockets}; \
             tasks {base_tasks} -> {} -> {tasks}",
            busy.0, busy.1
        );
        rounds.push((sockets, tasks));
    }
    for (round, (sockets, tasks)) in rounds.iter().enumerate() {
        assert!(
            *sockets <= base_sockets,
            "round {round}: {} sockets left open",
            sockets - base_sockets
        );
        assert!(
            *tasks <= base_tasks,
            "round {round}: {} tasks left alive",
            tasks - base_tasks
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_drop_with_unreachable_broker_returns_and_cleans_up() {
    let (mock, bootstrap) = mock_with_topic(1, TOPIC, PARTITIONS).await;
    let base_tasks = alive_tasks();
    let producer = Producer::new(producer_config(
        &bootstrap,
        &[("delivery.timeout.ms", "3000"), ("max.block.ms", "1000")],
    ))
    .await
    .unwrap();
    producer
        .send(ProducerRecord::new(TOPIC).value("warm"))
        .await
        .unwrap()
        .await
        .unwrap();
    mock.broker_down(-1).unwrap();
    let mut deliveries = Vec::new();
    for i in 0..100 {
        let delivery = producer
            .send(ProducerRecord::new(TOPIC).value(format!("{i}")))
            .await
            .unwrap();
        // Spawned, so each completion's time is taken when it happens.
        deliveries.push(tokio::spawn(async move {
            let outcome = delivery.await;
            (outcome, Instant::now())
        }));
    }
    let dropping = Instant::now();
    drop(producer);
    let drop_took = dropping.elapsed();
    let returned = Instant::now();
    let done = tokio::time::timeout(
        Duration::from_secs(8),
        futures::future::join_all(deliveries),
    )
    .await
    .expect("deliveries never completed after drop");
    let completed = dropping.elapsed();
    let (outcomes, done_at): (Vec<_>, Vec<_>) =
        done.into_iter().map(|d| d.expect("delivery task")).unzip();
    // A drop that waited for the records (flush, close) would return only after they were
    // done; these fail by delivery.timeout.ms (3 s) with no broker, so an order of events
    // says whether drop blocked, whatever the load on the machine.
    let done_before_drop_returned = done_at.iter().filter(|at| **at <= returned).count();
    let tasks = settle(Duration::from_secs(8), base_tasks, alive_tasks).await;
    eprintln!(
        "RESOURCES | producer drop, broker down: drop {drop_took:?}, all 100 deliveries done \
         {completed:?} after, tasks {base_tasks} -> {tasks} ({:?})",
        outcomes.iter().find_map(|r| r.as_ref().err())
    );
    assert_eq!(
        done_before_drop_returned, 0,
        "drop returned only after deliveries were done: it blocked {drop_took:?}"
    );
    assert!(outcomes.iter().all(|r| r.is_err()));
    assert!(
        tasks <= base_tasks,
        "{} tasks outlived the producer",
        tasks - base_tasks
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_close_and_drop_with_unreachable_broker_are_bounded() {
    let (mock, bootstrap) = mock_with_topic(1, TOPIC, PARTITIONS).await;
    let config = |auto_commit: &str| {
        ConsumerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("group.id", "resources-close"),
            ("auto.offset.reset", "earliest"),
            ("enable.auto.commit", auto_commit),
            ("default.api.timeout.ms", "2000"),
            ("request.timeout.ms", "1000"),
            ("fetch.max.wait.ms", "50"),
        ])
        .unwrap()
    };
    let base_tasks = alive_tasks();
    // close(): commits (auto commit on) against no broker: bounded by default.api.timeout.ms.
    let mut consumer = Consumer::new(config("true")).await.unwrap();
    consumer
        .assign((0..PARTITIONS).map(|p| TopicPartition::new(TOPIC, p)))
        .unwrap();
    let _ = consumer.poll(Duration::from_millis(300)).await;
    mock.broker_down(-1).unwrap();
    let _ = consumer.poll(Duration::from_millis(100)).await;
    let closing = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(10), consumer.close())
        .await
        .expect("consumer close hung with no broker");
    let close_took = closing.elapsed();

    // drop(): never waits. With auto commit on, a position to commit and 30 s timeouts, a
    // drop that closed or committed in place would block for up to 30 s, far from the bound
    // below, so load on the machine cannot decide the outcome.
    let mut consumer = Consumer::new(
        ConsumerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("group.id", "resources-close"),
            ("enable.auto.commit", "true"),
            ("default.api.timeout.ms", "30000"),
            ("request.timeout.ms", "30000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let tp = TopicPartition::new(TOPIC, 0);
    consumer.assign([tp.clone()]).unwrap();
    consumer.seek(&tp, 1).unwrap();
    let dropping = Instant::now();
    drop(consumer);
    let drop_took = dropping.elapsed();
    let tasks = settle(Duration::from_secs(5), base_tasks, alive_tasks).await;
    eprintln!(
        "RESOURCES | consumer, broker down: close {close_took:?} ({closed:?}), drop \
         {drop_took:?}, tasks {base_tasks} -> {tasks}"
    );
    assert!(
        close_took < Duration::from_secs(4),
        "close took {close_took:?}"
    );
    assert!(
        drop_took < Duration::from_secs(5),
        "drop took {drop_took:?}"
    );
    assert!(
        tasks <= base_tasks,
        "{} tasks outlived the consumer",
        tasks - base_tasks
    );
}
