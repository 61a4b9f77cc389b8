//! Our `Consumer` reads, exactly, what librdkafka's producer wrote (tansu, the shared broker).
//!
//! The writer is the rdkafka crate's `BaseProducer` (librdkafka 2.12), an independent
//! implementation of the record format: one producer per codec (none, gzip, snappy, lz4, zstd),
//! each writing its own partition with a long linger so that its batches hold many records,
//! with null keys, null values, empty values, headers (some with null values) and values large
//! enough that every codec really compresses (librdkafka sends a batch uncompressed when
//! compressing does not make it smaller). librdkafka's delivery reports give each record's
//! partition and offset.
//!
//! Before our consumer reads anything, the batches the broker holds are listed from a raw Fetch
//! (the batch header is read by hand here, not by the codec under test): the test fails unless
//! every batch of a partition carries that partition's codec and the batches hold many records,
//! so it cannot pass on single-record or uncompressed batches. Then our consumer reads every
//! partition from the beginning, with a bounded wait, and the records it returned are compared
//! with the delivery reports as sets keyed by (partition, offset): key, value and headers must
//! be equal, nothing missing, nothing extra, nothing twice, offsets increasing per partition.
//!
//! Broker: tansu, which stores the producer's batches as written; with `KAFKA_BOOTSTRAP_SERVERS`
//! set it runs unchanged against that cluster (it only writes a fresh topic).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use integration_tests::raw::RawConnection;
use integration_tests::{broker, create_topic, unique_topic};
use kafkito::consumer::{Consumer, ConsumerConfig, TopicPartition};
use rdkafka::message::{DeliveryResult, Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _, ProducerContext};
use rdkafka::{ClientConfig, ClientContext, Message};

/// librdkafka's `compression.codec` names, and the codec id a batch's attributes carry
/// (bits 0-2), in partition order: codec `i` writes partition `i`.
const CODECS: [(&str, u8); 5] = [
    ("none", 0),
    ("gzip", 1),
    ("snappy", 2),
    ("lz4", 3),
    ("zstd", 4),
];
/// Records per codec.
const PER_CODEC: usize = 400;
/// Fewest records the largest batch of a partition must hold: the records are handed to
/// librdkafka within a few milliseconds and `linger.ms` is 200, so nearly all of them share
/// a batch unless the producer is broken.
const MIN_LARGEST_BATCH: usize = 50;

/// One record as written: what our consumer must return at its (partition, offset).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Written {
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Written {
    /// Short form for failure messages: the key, the value's length and head, the headers.
    fn summary(&self) -> String {
        let text = |b: &Option<Vec<u8>>| {
            b.as_ref().map_or("null".to_owned(), |b| {
                format!(
                    "{}B {:?}",
                    b.len(),
                    String::from_utf8_lossy(&b[..b.len().min(24)])
                )
            })
        };
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(k, v)| format!("{}={}", String::from_utf8_lossy(k), text(v)))
            .collect();
        format!(
            "key {} value {} headers {headers:?}",
            text(&self.key),
            text(&self.value)
        )
    }
}

/// Record `i` of codec `c`: every third key null, every fifth value null, every seventh value
/// empty; 0 to 3 headers, the second one with a null value; values of 20 to ~2000 bytes of
/// repeated text, so every codec shrinks the batch.
fn record(c: usize, i: usize) -> Written {
    let key = (!i.is_multiple_of(3)).then(|| format!("c{c}-k{i}").into_bytes());
    let value = if i.is_multiple_of(5) {
        None
    } else if i.is_multiple_of(7) {
        Some(Vec::new())
    } else {
        let text = format!("codec {c} record {i} ");
        Some(text.repeat(1 + (i * 37) % 100).into_bytes())
    };
    let headers = (0..i % 4)
        .map(|h| {
            let value = (h != 1).then(|| format!("h{h}-of-{i}").into_bytes());
            (format!("header-{h}").into_bytes(), value)
        })
        .collect();
    Written {
        key,
        value,
        headers,
    }
}

/// One delivery report: the record's index, and its (partition, offset) or librdkafka's error.
type Report = (usize, Result<(i32, i64), String>);

/// Collects librdkafka's delivery reports.
#[derive(Default)]
struct Reports(Mutex<Vec<Report>>);

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = Box<usize>;

    fn delivery(&self, result: &DeliveryResult<'_>, index: Box<usize>) {
        let outcome = match result {
            Ok(m) => Ok((m.partition(), m.offset())),
            Err((e, _)) => Err(e.to_string()),
        };
        self.0.lock().unwrap().push((*index, outcome));
    }
}

/// Writes [`PER_CODEC`] records with codec `c` to partition `c` of `topic`; returns what
/// librdkafka acknowledged, by (partition, offset).
fn librdkafka_writes(bootstrap: &str, topic: &str, c: usize) -> BTreeMap<(i32, i64), Written> {
    let (codec, _) = CODECS[c];
    let producer: BaseProducer<Reports> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("compression.codec", codec)
        .set("linger.ms", "200")
        .set("batch.num.messages", "10000")
        .set("batch.size", "4000000")
        .set("acks", "all")
        .set("message.timeout.ms", "30000")
        .create_with_context(Reports::default())
        .unwrap_or_else(|e| panic!("librdkafka producer ({codec}): {e}"));
    let partition = c as i32;
    for i in 0..PER_CODEC {
        let w = record(c, i);
        let mut headers = OwnedHeaders::new();
        for (k, v) in &w.headers {
            headers = headers.insert(Header {
                key: std::str::from_utf8(k).unwrap(),
                value: v.as_ref(),
            });
        }
        let mut r: BaseRecord<'_, [u8], [u8], Box<usize>> =
            BaseRecord::with_opaque_to(topic, Box::new(i))
                .partition(partition)
                .headers(headers);
        if let Some(k) = &w.key {
            r = r.key(k.as_slice());
        }
        if let Some(v) = &w.value {
            r = r.payload(v.as_slice());
        }
        let mut r = r;
        loop {
            match producer.send(r) {
                Ok(()) => break,
                Err((e, back)) => {
                    assert!(
                        matches!(
                            e.rdkafka_error_code(),
                            Some(rdkafka::types::RDKafkaErrorCode::QueueFull)
                        ),
                        "librdkafka send ({codec}): {e}"
                    );
                    r = back;
                    producer.poll(Duration::from_millis(10));
                }
            }
        }
    }
    producer
        .flush(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("librdkafka flush ({codec}): {e}"));
    let reports = std::mem::take(&mut *producer.context().0.lock().unwrap());
    assert_eq!(reports.len(), PER_CODEC, "{codec}: delivery reports");
    let mut written = BTreeMap::new();
    for (i, outcome) in reports {
        let (p, offset) = outcome.unwrap_or_else(|e| panic!("{codec}: record {i} failed: {e}"));
        assert_eq!(p, partition, "{codec}: record {i} partition");
        let previous = written.insert((p, offset), record(c, i));
        assert!(
            previous.is_none(),
            "{codec}: offset {offset} reported twice"
        );
    }
    written
}

/// One batch as the broker holds it: base offset, records, codec (attribute bits 0-2).
#[derive(Debug)]
struct BatchHeader {
    base_offset: i64,
    records: usize,
    codec: u8,
}

/// Lists the record batches of `partition` up to `end`, reading RecordBatch v2 headers by hand
/// (base offset at 0, length at 8, magic at 16, attributes at 21, record count at 57).
async fn batches(bootstrap: &str, topic: &str, partition: i32, end: i64) -> Vec<BatchHeader> {
    let mut raw = RawConnection::connect(bootstrap).await;
    let mut out: Vec<BatchHeader> = Vec::new();
    let mut next = 0i64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while next < end {
        assert!(
            Instant::now() < deadline,
            "raw fetch of partition {partition} stalled at {next} (end {end}): {out:?}"
        );
        let data = raw.fetch(topic, partition, next).await;
        assert_eq!(data.error_code, 0, "raw fetch of partition {partition}");
        let bytes = data.records.unwrap_or_default();
        let mut at = 0usize;
        while bytes.len() >= at + 61 {
            let b = &bytes[at..];
            let base_offset = i64::from_be_bytes(b[0..8].try_into().unwrap());
            let length = i32::from_be_bytes(b[8..12].try_into().unwrap()) as usize;
            if b.len() < 12 + length {
                break; // a partial batch at the end of the response
            }
            assert_eq!(
                b[16], 2,
                "partition {partition}: magic of batch at {base_offset}"
            );
            assert_eq!(
                base_offset, next,
                "partition {partition}: batches not contiguous"
            );
            let attributes = i16::from_be_bytes(b[21..23].try_into().unwrap());
            let records = i32::from_be_bytes(b[57..61].try_into().unwrap()) as usize;
            let last_delta = i32::from_be_bytes(b[23..27].try_into().unwrap());
            out.push(BatchHeader {
                base_offset,
                records,
                codec: (attributes & 0x7) as u8,
            });
            next = base_offset + i64::from(last_delta) + 1;
            at += 12 + length;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_reads_exactly_what_librdkafka_wrote_with_every_codec() {
    let bootstrap = broker().await.bootstrap();
    let topic = unique_topic("from-librdkafka");
    create_topic(&topic, CODECS.len() as i32).await;

    // librdkafka writes, one blocking producer per codec, concurrently.
    let writers: Vec<_> = (0..CODECS.len())
        .map(|c| {
            let (b, t) = (bootstrap.clone(), topic.clone());
            tokio::task::spawn_blocking(move || librdkafka_writes(&b, &t, c))
        })
        .collect();
    let mut expected: BTreeMap<(i32, i64), Written> = BTreeMap::new();
    for w in writers {
        expected.extend(w.await.expect("librdkafka writer"));
    }
    assert_eq!(expected.len(), CODECS.len() * PER_CODEC);
    let end: BTreeMap<i32, i64> = expected.keys().fold(BTreeMap::new(), |mut end, (p, o)| {
        let e = end.entry(*p).or_insert(0);
        *e = (*e).max(o + 1);
        end
    });

    // What the broker holds: the codec of every batch, and batches of many records.
    for (c, (codec, id)) in CODECS.iter().enumerate() {
        let p = c as i32;
        let held = batches(&bootstrap, &topic, p, end[&p]).await;
        let largest = held.iter().map(|b| b.records).max().unwrap_or(0);
        eprintln!(
            "{codec}: {} batches, largest {largest} records, total {}",
            held.len(),
            held.iter().map(|b| b.records).sum::<usize>()
        );
        let other: Vec<(i64, u8)> = held
            .iter()
            .filter(|b| b.codec != *id)
            .map(|b| (b.base_offset, b.codec))
            .collect();
        assert!(
            other.is_empty(),
            "{codec}: batches (base offset, codec) with another codec: {other:?}"
        );
        assert!(
            largest >= MIN_LARGEST_BATCH,
            "{codec}: no batch holds {MIN_LARGEST_BATCH} records: {held:?}"
        );
        assert_eq!(held.iter().map(|b| b.records).sum::<usize>(), PER_CODEC);
    }

    // Our consumer reads every partition from the beginning, with a bounded wait.
    let mut consumer = Consumer::new(
        ConsumerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("auto.offset.reset", "earliest"),
            ("fetch.max.wait.ms", "200"),
            // Small fetches: a partition's batches arrive over several responses.
            ("max.partition.fetch.bytes", "65536"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let partitions: Vec<TopicPartition> = (0..CODECS.len() as i32)
        .map(|p| TopicPartition::new(&topic, p))
        .collect();
    consumer.assign(partitions.clone()).unwrap();
    let mut read: Vec<(i32, i64, Written)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let caught_up = |consumer: &Consumer| {
        partitions
            .iter()
            .all(|tp| consumer.position(tp) == Some(end[&tp.partition]))
    };
    // Bounded: stops at every partition's end (positions are events from the fetches) or
    // at the deadline, whichever first; what was read is compared below either way.
    while !caught_up(&consumer) && Instant::now() < deadline {
        for r in consumer.poll(Duration::from_millis(500)).await.unwrap() {
            read.push((
                r.partition,
                r.offset,
                Written {
                    key: r.key.map(|k| k.to_vec()),
                    value: r.value.map(|v| v.to_vec()),
                    headers: r
                        .headers
                        .into_iter()
                        .map(|h| (h.key.to_vec(), h.value.map(|v| v.to_vec())))
                        .collect(),
                },
            ));
        }
    }
    consumer.close().await.unwrap();

    // Compare as sets keyed by (partition, offset), and the order within each partition.
    let mut got: BTreeMap<(i32, i64), Written> = BTreeMap::new();
    let mut twice = Vec::new();
    let mut out_of_order = Vec::new();
    let mut last: BTreeMap<i32, i64> = BTreeMap::new();
    for (p, o, w) in read {
        if let Some(prev) = last.insert(p, o) {
            if o <= prev {
                out_of_order.push((p, prev, o));
            }
        }
        if got.insert((p, o), w).is_some() {
            twice.push((p, o));
        }
    }
    let missing: Vec<_> = expected.keys().filter(|k| !got.contains_key(k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !expected.contains_key(k)).collect();
    let differ: Vec<_> = expected
        .iter()
        .filter_map(|(k, w)| got.get(k).filter(|g| *g != w).map(|g| (k, w, g)))
        .collect();
    eprintln!(
        "read {} of {}: missing {}, extra {}, twice {}, out of order {}, different {}",
        got.len(),
        expected.len(),
        missing.len(),
        extra.len(),
        twice.len(),
        out_of_order.len(),
        differ.len()
    );
    assert!(
        missing.is_empty(),
        "never read: {:?}",
        &missing[..missing.len().min(10)]
    );
    assert!(extra.is_empty(), "read but never written: {extra:?}");
    assert!(twice.is_empty(), "read twice: {twice:?}");
    assert!(
        out_of_order.is_empty(),
        "offsets not increasing: {out_of_order:?}"
    );
    let first: Vec<String> = differ
        .iter()
        .take(3)
        .map(|(k, w, g)| format!("{k:?}: wrote {} | read {}", w.summary(), g.summary()))
        .collect();
    assert!(
        differ.is_empty(),
        "{} records differ; first: {first:#?}",
        differ.len()
    );
}
