//! Producer and consumer hooks end to end (issue 21), and OpenTelemetry trace propagation built
//! on them (kafkito's `opentelemetry` feature).
//!
//! Proven on: kafkito-testkit (an in-process cluster per test). A producer hook stamps every
//! record with a header and counts acknowledgements; librdkafka (an independent reader) and our
//! consumer's hook both see the header on every record; the consumer's hook counts its commits
//! and rebalances exactly. Every wait is bounded and on counted events.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use integration_tests::unique_topic;
use kafkito::consumer::{
    Consumer, ConsumerConfig, ConsumerHook, ConsumerRecord, RebalanceEvent, TopicPartition,
};
use kafkito::producer::{Producer, ProducerConfig, ProducerHook, ProducerRecord, RecordMetadata};
use kafkito::protocol::records::RecordHeader;
use kafkito::{Error, OffsetAndMetadata};
use kafkito_testkit::Cluster;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::Headers as _;
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::sync::watch;

/// Generous bound for anything that waits on the cluster.
const WAIT: Duration = Duration::from_secs(30);
/// Records each test writes.
const N: usize = 50;
const PARTITIONS: i32 = 2;
const HEADER: &str = "x-hooked";

async fn cluster_with(topic: &str) -> Cluster {
    let cluster = Cluster::builder().brokers(1).build().await.unwrap();
    cluster.create_topic(topic, PARTITIONS, 1).unwrap();
    cluster
}

/// Stamps [`HEADER`] = `hooked-<n>` on each record and counts acknowledgements by outcome.
struct Stamp {
    sent: AtomicUsize,
    acknowledged: Mutex<Vec<RecordMetadata>>,
    failed: AtomicUsize,
    /// Acknowledgements of either outcome so far, for waiting on them.
    answered: watch::Sender<usize>,
}

impl Default for Stamp {
    fn default() -> Self {
        Stamp {
            sent: AtomicUsize::new(0),
            acknowledged: Mutex::default(),
            failed: AtomicUsize::new(0),
            answered: watch::Sender::new(0),
        }
    }
}

impl ProducerHook for Stamp {
    fn on_send(&self, record: &mut ProducerRecord) {
        let n = self.sent.fetch_add(1, Ordering::SeqCst);
        record.headers.push(RecordHeader {
            key: HEADER.into(),
            value: Some(format!("hooked-{n}").into()),
        });
    }

    fn on_acknowledgement(&self, result: Result<&RecordMetadata, &Error>) {
        match result {
            Ok(metadata) => self.acknowledged.lock().unwrap().push(metadata.clone()),
            Err(_) => {
                self.failed.fetch_add(1, Ordering::SeqCst);
            }
        }
        self.answered.send_modify(|n| *n += 1);
    }
}

/// Counts what the consumer shows it: records carrying [`HEADER`], commits, rebalances.
#[derive(Default)]
struct Watch {
    consumed: AtomicUsize,
    with_header: AtomicUsize,
    commits: Mutex<Vec<(BTreeMap<TopicPartition, OffsetAndMetadata>, bool)>>,
    rebalances: Mutex<Vec<RebalanceEvent>>,
}

impl ConsumerHook for Watch {
    fn on_consume(&self, records: &mut Vec<ConsumerRecord>) {
        self.consumed.fetch_add(records.len(), Ordering::SeqCst);
        let stamped = records
            .iter()
            .filter(|r| r.headers.iter().any(|h| h.key == HEADER))
            .count();
        self.with_header.fetch_add(stamped, Ordering::SeqCst);
    }

    fn on_commit(
        &self,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
        result: Result<(), &Error>,
    ) {
        self.commits
            .lock()
            .unwrap()
            .push((offsets.clone(), result.is_ok()));
    }

    fn on_rebalance(&self, event: &RebalanceEvent) {
        self.rebalances.lock().unwrap().push(event.clone());
    }
}

/// librdkafka reads every partition of `topic` from the start until it has `want` records
/// (bounded); returns each record's `HEADER` value (`None` when it has none).
fn librdkafka_headers(bootstrap: &str, topic: &str, want: usize) -> Vec<Option<String>> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "hooks-reader")
        .set("enable.auto.commit", "false")
        .create()
        .expect("librdkafka consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut out = Vec::new();
    while out.len() < want && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) => {
                let value = message.headers().and_then(|headers| {
                    headers
                        .iter()
                        .find(|h| h.key == HEADER)
                        .and_then(|h| h.value)
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                });
                out.push(value);
            }
            Some(Err(error)) => panic!("librdkafka: {error}"),
            None => {}
        }
    }
    out
}

/// A producer hook stamps N records (sent through `send`, `send_and_forget` and `send_ref`)
/// and hears exactly N acknowledgements with the offsets the deliveries got; librdkafka and our
/// consumer's hook see the header on all N; the consumer's hook hears its one commit (with the
/// positions committed) and the group's assignment and, at close, the revocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_see_every_record_commit_and_rebalance() {
    let topic = unique_topic("hooks");
    let cluster = cluster_with(&topic).await;
    let bootstrap = cluster.bootstrap();

    let stamp = Arc::new(Stamp::default());
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("linger.ms", "5"),
        ])
        .unwrap()
        .with_hook(stamp.clone()),
    )
    .await
    .unwrap();
    let name = kafkito::producer::Topic::from(topic.as_str());
    let mut offsets = Vec::new();
    for i in 0..N {
        let value = format!("v{i}");
        match i % 3 {
            0 => offsets.push(
                producer
                    .send(ProducerRecord::new(&name).key(value.clone()).value(value))
                    .await
                    .unwrap(),
            ),
            1 => producer
                .send_and_forget(ProducerRecord::new(&name).key(value.clone()).value(value))
                .await
                .unwrap(),
            _ => offsets.push(
                producer
                    .send_ref(
                        kafkito::producer::RecordRef::new(&name)
                            .key(value.as_bytes())
                            .value(value.as_bytes()),
                    )
                    .await
                    .unwrap(),
            ),
        }
    }
    producer.flush().await.unwrap();
    let mut delivered = Vec::new();
    for delivery in offsets {
        let metadata = delivery.await.unwrap();
        delivered.push((metadata.partition, metadata.offset));
    }
    // Acknowledgements reach the hook from the sender task: wait (bounded) for N of them.
    let mut answered = stamp.answered.subscribe();
    let waited = tokio::time::timeout(WAIT, answered.wait_for(|n| *n >= N))
        .await
        .map(|seen| seen.is_ok());
    assert!(
        matches!(waited, Ok(true)),
        "{} of {N} acknowledgements within {WAIT:?}",
        *stamp.answered.borrow()
    );
    assert_eq!(stamp.acknowledged.lock().unwrap().len(), N);
    assert_eq!(stamp.sent.load(Ordering::SeqCst), N);
    assert_eq!(stamp.failed.load(Ordering::SeqCst), 0);
    // The hook's metadata agrees with the delivery futures and with the log: every offset of
    // every partition once.
    let acknowledged: Vec<(i32, i64)> = stamp
        .acknowledged
        .lock()
        .unwrap()
        .iter()
        .map(|m| (m.partition, m.offset))
        .collect();
    for pair in &delivered {
        assert!(acknowledged.contains(pair), "{pair:?} in {acknowledged:?}");
    }
    let mut sorted = acknowledged.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), N, "no offset twice: {acknowledged:?}");
    let log_ends: i64 = (0..PARTITIONS)
        .map(|p| cluster.offsets(&topic, p).expect("partition").1)
        .sum();
    assert_eq!(log_ends, N as i64);
    producer.close(Duration::from_secs(10)).await.unwrap();

    // librdkafka reads the header on every record.
    let reader = {
        let (bootstrap, topic) = (bootstrap.clone(), topic.clone());
        tokio::task::spawn_blocking(move || librdkafka_headers(&bootstrap, &topic, N))
    };
    let headers = reader.await.unwrap();
    assert_eq!(headers.len(), N);
    let mut values: Vec<String> = headers
        .into_iter()
        .map(|h| h.expect("every record has the hook's header"))
        .collect();
    values.sort_unstable();
    let mut expected: Vec<String> = (0..N).map(|n| format!("hooked-{n}")).collect();
    expected.sort_unstable();
    assert_eq!(values, expected);

    // Our consumer: its hook sees every record, the commit and the rebalances.
    let watch = Arc::new(Watch::default());
    let mut consumer = Consumer::new(
        ConsumerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("group.id", "hooks-group"),
            ("auto.offset.reset", "earliest"),
            ("enable.auto.commit", "false"),
            ("fetch.max.wait.ms", "100"),
        ])
        .unwrap()
        .with_hook(watch.clone()),
    )
    .await
    .unwrap();
    consumer.subscribe(&[topic.as_str()]).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut returned = 0;
    let mut events = Vec::new();
    while returned < N && Instant::now() < deadline {
        returned += consumer
            .poll(Duration::from_millis(200))
            .await
            .unwrap()
            .len();
        events.extend(consumer.rebalance_events());
    }
    assert_eq!(returned, N);
    assert_eq!(watch.consumed.load(Ordering::SeqCst), N);
    assert_eq!(watch.with_header.load(Ordering::SeqCst), N);
    assert_eq!(*watch.rebalances.lock().unwrap(), events);
    let assigned: Vec<TopicPartition> = events
        .iter()
        .filter_map(|e| match e {
            RebalanceEvent::Assigned(partitions) => Some(partitions.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(assigned.len(), PARTITIONS as usize, "{events:?}");

    assert!(watch.commits.lock().unwrap().is_empty());
    consumer.commit_sync().await.unwrap();
    {
        let commits = watch.commits.lock().unwrap();
        assert_eq!(commits.len(), 1, "one commit: {commits:?}");
        let (committed, ok) = &commits[0];
        assert!(ok);
        let total: i64 = committed.values().map(|o| o.offset).sum();
        assert_eq!(
            total, N as i64,
            "the positions of both partitions: {committed:?}"
        );
    }
    events.extend(consumer.rebalance_events());
    consumer.close().await.unwrap();
    // Everything `poll` applied, then close's revocation of both partitions.
    let heard = watch.rebalances.lock().unwrap().clone();
    assert_eq!(heard.len(), events.len() + 1, "{heard:?} after {events:?}");
    assert_eq!(heard[..events.len()], events[..]);
    assert!(
        matches!(&heard[events.len()], RebalanceEvent::Revoked(p) if p.len() == PARTITIONS as usize),
        "{heard:?}"
    );
}

/// OpenTelemetry across the topic: a record sent inside a parent span carries a `traceparent`
/// of the parent's trace (read back by librdkafka), and our consumer's tracing hook records a
/// consumer span in that trace, child of the producer's span.
#[tokio::test]
async fn a_trace_crosses_the_topic() {
    use kafkito::otel::{TracingConsumerHook, TracingProducerHook};
    use opentelemetry::trace::{Span as _, SpanKind, TraceContextExt, Tracer, TracerProvider as _};
    use opentelemetry::Context;
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

    let topic = unique_topic("hooks-otel");
    let cluster = cluster_with(&topic).await;
    let bootstrap = cluster.bootstrap();
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();

    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("linger.ms", "0"),
        ])
        .unwrap()
        .with_hook(Arc::new(TracingProducerHook::with_tracer(
            provider.tracer("kafkito"),
        ))),
    )
    .await
    .unwrap();
    let parent = provider.tracer("app").start("request");
    let trace_id = parent.span_context().trace_id();
    let cx = Context::current_with_span(parent);
    let delivery = {
        // The hook runs inside `send`, on this task: the context attached here is its parent.
        // (A current-thread runtime: the guard is not `Send`.)
        let _attached = cx.clone().attach();
        producer
            .send(ProducerRecord::new(topic.as_str()).partition(0).value("v"))
            .await
            .unwrap()
    };
    delivery.await.unwrap();
    cx.span().end();
    producer.close(Duration::from_secs(10)).await.unwrap();

    let reader = {
        let (bootstrap, topic) = (bootstrap.clone(), topic.clone());
        tokio::task::spawn_blocking(move || {
            let consumer: BaseConsumer = rdkafka::ClientConfig::new()
                .set("bootstrap.servers", &bootstrap)
                .set("group.id", "hooks-otel-reader")
                .create()
                .expect("librdkafka consumer");
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(&topic, 0, Offset::Beginning)
                .unwrap();
            consumer.assign(&tpl).unwrap();
            let deadline = Instant::now() + WAIT;
            while Instant::now() < deadline {
                if let Some(message) = consumer.poll(Duration::from_millis(200)) {
                    let message = message.expect("librdkafka read");
                    return message.headers().and_then(|headers| {
                        headers
                            .iter()
                            .find(|h| h.key == "traceparent")
                            .and_then(|h| h.value)
                            .map(|v| String::from_utf8_lossy(v).into_owned())
                    });
                }
            }
            None
        })
    };
    let traceparent = reader.await.unwrap().expect("a traceparent header");
    assert!(
        traceparent.contains(&trace_id.to_string()),
        "{traceparent} carries {trace_id}"
    );

    let mut consumer = Consumer::new(
        ConsumerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("group.id", "hooks-otel"),
            ("auto.offset.reset", "earliest"),
        ])
        .unwrap()
        .with_hook(Arc::new(
            TracingConsumerHook::with_tracer(provider.tracer("kafkito"))
                .with_consumer_group("hooks-otel"),
        )),
    )
    .await
    .unwrap();
    consumer.subscribe(&[topic.as_str()]).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut records = Vec::new();
    while records.is_empty() && Instant::now() < deadline {
        records = consumer.poll(Duration::from_millis(200)).await.unwrap();
    }
    assert_eq!(records.len(), 1);
    consumer.close().await.unwrap();

    let spans = exporter.get_finished_spans().unwrap();
    let send = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Producer)
        .expect("a producer span");
    let receive: Vec<_> = spans
        .iter()
        .filter(|s| s.span_kind == SpanKind::Consumer)
        .collect();
    assert_eq!(receive.len(), 1, "{spans:?}");
    assert_eq!(send.span_context.trace_id(), trace_id);
    assert_eq!(receive[0].span_context.trace_id(), trace_id);
    assert_eq!(receive[0].parent_span_id, send.span_context.span_id());
    let group = receive[0]
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == "messaging.kafka.consumer.group")
        .map(|kv| kv.value.to_string());
    assert_eq!(group.as_deref(), Some("hooks-otel"));
}
