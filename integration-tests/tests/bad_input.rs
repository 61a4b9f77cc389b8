//! Bad input of every kind ends in a clear, typed error within a bounded time, and the client
//! goes on working afterwards:
//!
//! - a peer that sends malformed frames (garbage, truncated, a huge or negative declared
//!   length, a wrong correlation id, silence, an instant close) — through
//!   [`FaultProxy`](integration_tests::fault_proxy::FaultProxy) in front of the real broker:
//!   the call fails with the matching [`Error`] variant, then, the proxy healed, the *same*
//!   client reconnects and its next call works;
//! - records larger than `max.request.size` or `buffer.memory` → `RecordTooLarge` naming the
//!   setting;
//! - an unknown topic → an error naming the topic, within `max.block.ms`;
//! - invalid configurations → `Config` naming the key.
//!
//! (Authentication failures are covered by `sasl.rs`; decoder fuzzing by `fuzz/`.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use integration_tests::fault_proxy::{FaultProxy, Misbehaviour};
use integration_tests::{broker, create_topic, unique_topic};
use kafkito::admin::AdminClient;
use kafkito::consumer::{Consumer, ConsumerConfig};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito::Error;

/// This test binary's allocator: the system's, counting what is asked of it, so a test can
/// see what the client allocates (a large allocation nobody touches never shows in RSS, so
/// RSS cannot tell).
struct Counting;

/// The largest single allocation (or reallocation target) since [`measure_from_now`].
static LARGEST: AtomicUsize = AtomicUsize::new(0);
/// Bytes allocated and not yet freed.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The highest `LIVE` since [`measure_from_now`].
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn note_allocation(size: usize) {
    LARGEST.fetch_max(size, Ordering::Relaxed);
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note_allocation(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note_allocation(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            note_allocation(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Starts a measurement: returns the live bytes now, and resets the largest allocation and the
/// peak.
fn measure_from_now() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    LARGEST.store(0, Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

/// The first address of the shared broker (the proxy forwards there once healed).
async fn upstream() -> String {
    let bootstrap = broker().await.bootstrap();
    bootstrap.split(',').next().unwrap().to_owned()
}

fn admin(bootstrap: &str) -> AdminClient {
    AdminClient::from_properties([
        ("bootstrap.servers", bootstrap),
        ("default.api.timeout.ms", "3000"),
        ("request.timeout.ms", "1500"),
        ("reconnect.backoff.ms", "50"),
        ("reconnect.backoff.max.ms", "200"),
        ("retry.backoff.ms", "50"),
        ("socket.max.response.bytes", "10485760"),
    ])
    .unwrap()
}

/// How long the failing call may take: its own deadline plus slack.
const FAIL_BOUND: Duration = Duration::from_secs(8);
/// How soon after healing the next call must work.
const RECOVERY_BOUND: Duration = Duration::from_secs(6);

/// Runs the metadata call of a fresh admin client against a sick proxy; checks the error with
/// `expected`; heals; checks the same client recovers. Returns (error, failed after, recovered
/// after).
async fn sick_then_healed(
    misbehaviour: Misbehaviour,
    expected: impl Fn(&Error) -> bool,
) -> (Error, Duration, Duration) {
    let proxy = FaultProxy::start(&upstream().await, misbehaviour).await;
    let admin = admin(&proxy.bootstrap());
    let topic = unique_topic("bad-input");

    let started = Instant::now();
    let outcome = tokio::time::timeout(FAIL_BOUND, admin.metadata().refresh_topics(&[&topic]))
        .await
        .unwrap_or_else(|_| panic!("{misbehaviour:?}: the call hung past {FAIL_BOUND:?}"));
    let failed_after = started.elapsed();
    let error = match outcome {
        Ok(cluster) => panic!("{misbehaviour:?}: succeeded against a sick peer: {cluster:?}"),
        Err(e) => e,
    };
    eprintln!(
        "{misbehaviour:?}: {error} (after {failed_after:?}, {} connections, {} misbehaved)",
        proxy.connections(),
        proxy.misbehaved()
    );
    assert!(
        proxy.misbehaved() >= 1,
        "{misbehaviour:?}: no request reached the proxy"
    );
    assert!(
        expected(&error),
        "{misbehaviour:?}: unexpected error {error:?}"
    );

    proxy.heal();
    let healed = Instant::now();
    let recovered_after = loop {
        assert!(
            healed.elapsed() < RECOVERY_BOUND,
            "{misbehaviour:?}: no recovery within {RECOVERY_BOUND:?} of healing"
        );
        match admin.metadata().refresh_topics(&[&topic]).await {
            Ok(cluster) if !cluster.brokers.is_empty() => break healed.elapsed(),
            Ok(_) => {}
            Err(e) => eprintln!("{misbehaviour:?}: after healing: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "FAULT-TABLE | malformed peer: {misbehaviour:?} | {} | - | - | - | - | {} ms |",
        proxy.misbehaved(),
        recovered_after.as_millis()
    );
    admin.close();
    (error, failed_after, recovered_after)
}

fn is_malformed(e: &Error) -> bool {
    matches!(e, Error::Malformed { .. })
}

/// A broken stream may surface as a malformed frame or a closed connection (which one depends
/// on how far the bytes got), never as anything else.
fn is_broken_stream(e: &Error) -> bool {
    matches!(
        e,
        Error::Malformed { .. } | Error::ConnectionClosed { .. } | Error::Io { .. }
    ) || matches!(e, Error::NoBrokerAvailable { last_error, .. }
        if last_error.contains("malformed") || last_error.contains("closed"))
}

#[tokio::test]
async fn garbage_body_is_malformed_then_reconnects() {
    sick_then_healed(Misbehaviour::Garbage, |e| {
        is_malformed(e) || matches!(e, Error::NoBrokerAvailable { last_error, .. } if last_error.contains("malformed"))
    })
    .await;
}

#[tokio::test]
async fn truncated_frame_is_connection_closed_mid_frame_then_reconnects() {
    sick_then_healed(Misbehaviour::Truncated, |e| {
        matches!(e, Error::ConnectionClosed { mid_frame: true, .. })
            || matches!(e, Error::NoBrokerAvailable { last_error, .. } if last_error.contains("middle of a frame"))
    })
    .await;
}

#[tokio::test]
async fn huge_declared_length_is_refused_without_allocating() {
    // The proxy declares a frame of almost 2 GiB; the client (socket.max.response.bytes is
    // 10 MiB) must refuse it without asking for anything near that size. Measured with this
    // binary's counting allocator (any other test of this binary running at the same time
    // only adds small allocations).
    upstream().await; // the broker, started before the measurement
    let live_before = measure_from_now();
    sick_then_healed(Misbehaviour::HugeLength, |e| {
        is_malformed(e) || matches!(e, Error::NoBrokerAvailable { last_error, .. } if last_error.contains("malformed"))
    })
    .await;
    let largest = LARGEST.load(Ordering::Relaxed);
    let grew = PEAK.load(Ordering::Relaxed).saturating_sub(live_before);
    eprintln!("huge declared length: largest allocation {largest} bytes, peak growth {grew} bytes");
    const LIMIT: usize = 64 << 20;
    assert!(
        largest < LIMIT,
        "the client asked for {} MiB in one allocation while reading a frame declared at ~2 GiB",
        largest >> 20
    );
    assert!(
        grew < LIMIT,
        "allocated memory grew by {} MiB while reading a frame declared at ~2 GiB",
        grew >> 20
    );
}

#[tokio::test]
async fn negative_declared_length_is_malformed() {
    sick_then_healed(Misbehaviour::NegativeLength, |e| {
        is_malformed(e) || matches!(e, Error::NoBrokerAvailable { last_error, .. } if last_error.contains("malformed"))
    })
    .await;
}

#[tokio::test]
async fn wrong_correlation_id_fails_at_once() {
    // Every request stays registered until answered, so an id no request awaits means a
    // broken peer: the connection is poisoned with Malformed at once (as Java closes it),
    // instead of the real request waiting out request.timeout.ms (1.5 s here).
    let (error, failed_after, _) = sick_then_healed(Misbehaviour::WrongCorrelationId, |e| {
        is_malformed(e)
            || matches!(e, Error::NoBrokerAvailable { last_error, .. }
                if last_error.contains("malformed"))
    })
    .await;
    eprintln!("wrong correlation id -> {error} after {failed_after:?}");
    assert!(failed_after < Duration::from_secs(1), "{failed_after:?}");
}

#[tokio::test]
async fn silent_peer_times_out_within_the_deadline() {
    let (_, failed_after, _) = sick_then_healed(Misbehaviour::Silence, |e| {
        matches!(e, Error::Timeout { .. })
            || matches!(e, Error::NoBrokerAvailable { last_error, .. } if last_error.contains("timed out"))
    })
    .await;
    // default.api.timeout.ms is 3 s.
    assert!(failed_after < Duration::from_secs(5), "{failed_after:?}");
}

#[tokio::test]
async fn peer_closing_at_once_is_retriable_then_reconnects() {
    let (error, _, _) = sick_then_healed(Misbehaviour::Close, is_broken_stream).await;
    assert!(error.is_retriable(), "{error:?}");
}

#[tokio::test]
async fn producer_survives_a_sick_bootstrap_peer() {
    // The producer's first send waits for metadata within max.block.ms; against garbage it
    // must fail in time, and after healing the same producer must deliver.
    let topic = unique_topic("bad-input-producer");
    create_topic(&topic, 1).await;
    let proxy = FaultProxy::start(&upstream().await, Misbehaviour::Garbage).await;
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", proxy.bootstrap().as_str()),
            ("max.block.ms", "2000"),
            ("request.timeout.ms", "1500"),
            ("reconnect.backoff.ms", "50"),
            ("reconnect.backoff.max.ms", "200"),
            ("linger.ms", "0"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_secs(6),
        producer.send(ProducerRecord::new(&topic).value("x")),
    )
    .await
    .expect("send hung past max.block.ms");
    let error = match outcome {
        Ok(_) => panic!("send got metadata from a garbage peer"),
        Err(e) => e,
    };
    eprintln!("producer vs garbage: {error} after {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(4));
    proxy.heal();
    let healed = Instant::now();
    let metadata = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match producer.send(ProducerRecord::new(&topic).value("y")).await {
                Ok(d) => break d.await,
                Err(e) => {
                    eprintln!("after healing: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
    .await
    .expect("no recovery after healing")
    .expect("delivery after healing");
    eprintln!("producer recovered {:?} after healing", healed.elapsed());
    assert_eq!(&*metadata.topic, topic);
    producer.close(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test]
async fn oversized_records_are_record_too_large_naming_the_limit() {
    let bootstrap = broker().await.bootstrap();
    let topic = unique_topic("bad-input-large");
    create_topic(&topic, 1).await;
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("max.request.size", "100000"),
            ("buffer.memory", "1000000"),
            ("max.block.ms", "5000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let error = producer
        .send(ProducerRecord::new(&topic).value(vec![7u8; 200_000]))
        .await
        .map(drop)
        .expect_err("a record over max.request.size was accepted");
    assert!(
        matches!(error, Error::RecordTooLarge { key: "max.request.size", max: 100_000, size, .. } if size >= 200_000),
        "{error:?}"
    );
    assert!(error.to_string().contains("max.request.size"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "RecordTooLarge must not wait"
    );

    let producer2 = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("max.request.size", "5000000"),
            ("buffer.memory", "1000000"),
            ("max.block.ms", "5000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let error = producer2
        .send(ProducerRecord::new(&topic).value(vec![7u8; 2_000_000]))
        .await
        .map(drop)
        .expect_err("a record over buffer.memory was accepted");
    assert!(
        matches!(
            error,
            Error::RecordTooLarge {
                key: "buffer.memory",
                ..
            }
        ),
        "{error:?}"
    );
    // The producer still works for a record that fits.
    producer
        .send(ProducerRecord::new(&topic).value(vec![1u8; 1000]))
        .await
        .unwrap()
        .await
        .unwrap();
    producer.close(Duration::from_secs(5)).await.unwrap();
    producer2.close(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test]
async fn unknown_topic_fails_naming_it_within_max_block() {
    let bootstrap = broker().await.bootstrap();
    let topic = unique_topic("bad-input-no-such-topic");
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("max.block.ms", "2000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_secs(6),
        producer.send(ProducerRecord::new(&topic).value("x")),
    )
    .await
    .expect("send to an unknown topic hung past max.block.ms");
    let elapsed = started.elapsed();
    let error = match outcome {
        Ok(delivery) => match tokio::time::timeout(Duration::from_secs(6), delivery).await {
            Ok(Ok(md)) => panic!("an unknown topic was written (auto-created?): {md:?}"),
            Ok(Err(e)) => e,
            Err(_) => panic!("delivery to an unknown topic hung"),
        },
        Err(e) => e,
    };
    eprintln!("unknown topic: {error} after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    assert!(
        error.to_string().contains(&topic),
        "the error must name the topic: {error}"
    );
    producer.close(Duration::from_secs(2)).await.unwrap();
}

/// Builds each client with one bad property and checks the error names that key.
#[tokio::test]
async fn invalid_configs_name_the_key() {
    let bad: &[(&str, &str)] = &[
        ("linger.ms", "soon"),
        ("acks", "most"),
        ("batch.size", "0"),
        ("compression.type", "rar"),
        ("request.timeout.ms", "-1"),
        ("bootstrap.servers", ""),
        ("no.such.key", "1"),
    ];
    for (key, value) in bad {
        let error = ProducerConfig::from_properties([
            ("bootstrap.servers", "localhost:9092"),
            (key, value),
        ])
        .err()
        .unwrap_or_else(|| panic!("producer accepted {key}={value:?}"));
        assert!(
            matches!(&error, Error::Config { key: k, .. } if k == key),
            "producer {key}={value:?}: {error:?}"
        );
        assert!(error.to_string().contains(key), "{error}");
    }
    let error = ProducerConfig::from_properties([
        ("bootstrap.servers", "localhost:9092"),
        ("enable.idempotence", "true"),
        ("acks", "1"),
    ])
    .map(drop)
    .expect_err("idempotence with acks=1 accepted");
    assert!(
        matches!(&error, Error::Config { key, .. } if key == "acks"),
        "{error:?}"
    );

    let bad: &[(&str, &str)] = &[
        ("auto.offset.reset", "middle"),
        ("max.poll.records", "0"),
        ("isolation.level", "dirty"),
        ("session.timeout.ms", "x"),
        ("no.such.key", "1"),
    ];
    for (key, value) in bad {
        let error = ConsumerConfig::from_properties([
            ("bootstrap.servers", "localhost:9092"),
            ("group.id", "g"),
            (key, value),
        ])
        .err()
        .unwrap_or_else(|| panic!("consumer accepted {key}={value:?}"));
        assert!(
            matches!(&error, Error::Config { key: k, .. } if k == key),
            "consumer {key}={value:?}: {error:?}"
        );
    }
    // subscribe without group.id names group.id.
    let mut consumer = Consumer::new(
        ConsumerConfig::from_properties([("bootstrap.servers", "localhost:9092")]).unwrap(),
    )
    .await
    .unwrap();
    let error = consumer
        .subscribe(&["t"])
        .map(drop)
        .expect_err("subscribe without group.id");
    assert!(
        matches!(&error, Error::Config { key, .. } if key == "group.id"),
        "{error:?}"
    );

    let error = AdminClient::from_properties([
        ("bootstrap.servers", "localhost:9092"),
        ("default.api.timeout.ms", "never"),
    ])
    .map(drop)
    .expect_err("admin accepted a bad timeout");
    assert!(
        matches!(&error, Error::Config { key, .. } if key == "default.api.timeout.ms"),
        "{error:?}"
    );
}
