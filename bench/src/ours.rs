//! This SDK's side: `kafka_client::producer` and `kafka_client::consumer`, with the same
//! settings as librdkafka gets.
//!
//! Records are lent with `send_ref` (key and value copied into the batch during the call), as
//! librdkafka is lent them on the other side (its copy-on-produce): neither client allocates
//! or reference-counts per record on the application's behalf. Throughput keeps every
//! record's delivery future in send order, checking the finished ones from the front every
//! 1024 records: the counterpart of librdkafka's per-record delivery callback that the other
//! side counts, so both clients do the same work and every record is known to be
//! acknowledged. (`send_and_forget` would skip that work and hide failures.) Latency awaits
//! each record's `RecordMetadata`.

use std::time::{Duration, Instant};

use bytes::Bytes;
use std::collections::VecDeque;

use futures::FutureExt;
use kafka_client::consumer::{Consumer, ConsumerConfig, TopicPartition};
use kafka_client::producer::{DeliveryFuture, Producer, ProducerConfig, RecordRef, Topic};

use crate::args::{record_key, Args};
use crate::consume::Tally;
use crate::measure::{Latencies, Measured, Window};
use crate::BoxError;

async fn producer(args: &Args) -> Result<Producer, BoxError> {
    let mut settings = args.shared_producer_config();
    settings.push(("buffer.memory", args.buffer_memory.to_string()));
    let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!("bench: ours config: {}", shown.join(" "));
    let config = ProducerConfig::from_properties(settings.iter().map(|(k, v)| (*k, v.as_str())))?;
    Ok(Producer::new(config).await?)
}

/// The key of the warm-up record (16 bytes, like the measured ones).
const WARMUP_KEY: &[u8] = b"key-warmup------";

/// `produce`: one warm-up record (connection, metadata), then the measured window from the
/// first `send` until `flush` returns and every delivery future is checked.
pub async fn produce(args: &Args) -> Result<Measured, BoxError> {
    let topic = Topic::from(args.topic.as_str());
    let producer = producer(args).await?;
    let value = Bytes::from(vec![b'x'; args.size]);

    producer
        .send_ref(RecordRef::new(&topic).key(WARMUP_KEY).value(&value))
        .await?
        .await?;

    let window = Window::start(args.broker_pid);
    let acknowledged = send_all(args, &producer, &value).await?;
    let measured = window.stop();
    if acknowledged != args.records {
        return Err(format!("{acknowledged} of {} records acknowledged", args.records).into());
    }

    producer.close(Duration::from_secs(30)).await?;
    Ok(measured)
}

/// Sends `--records` records with `send`, keeping every delivery future, then flushes; the
/// number acknowledged.
async fn send_all(args: &Args, producer: &Producer, value: &Bytes) -> Result<u64, BoxError> {
    let topic = Topic::from(args.topic.as_str());
    let mut key = Vec::with_capacity(16);
    let mut pending = VecDeque::new();
    let mut acknowledged = 0u64;
    for i in 0..args.records {
        record_key(i, &mut key);
        let record = RecordRef::new(&topic).key(&key).value(value);
        pending.push_back(producer.send_ref(record).await?);
        if i % 1024 == 1023 {
            acknowledged += check_finished(&mut pending)?;
        }
    }
    producer.flush().await?;
    for delivery in pending {
        delivery.await?;
        acknowledged += 1;
    }
    Ok(acknowledged)
}

/// Checks and drops the delivery futures at the front of `pending` that have resolved,
/// stopping at the first one still waiting; how many were acknowledged.
fn check_finished(pending: &mut VecDeque<DeliveryFuture>) -> Result<u64, BoxError> {
    let mut acknowledged = 0;
    while let Some(front) = pending.front_mut() {
        match front.now_or_never() {
            Some(delivery) => {
                delivery?;
                pending.pop_front();
                acknowledged += 1;
            }
            None => break,
        }
    }
    Ok(acknowledged)
}

/// Fills the topic for `consume`: exactly `--records` records (no warm-up), unmeasured.
pub async fn fill(args: &Args) -> Result<(), BoxError> {
    let producer = producer(args).await?;
    let value = Bytes::from(vec![b'x'; args.size]);
    let started = Instant::now();
    let acknowledged = send_all(args, &producer, &value).await?;
    if acknowledged != args.records {
        return Err(format!(
            "fill: {acknowledged} of {} records acknowledged",
            args.records
        )
        .into());
    }
    producer.close(Duration::from_secs(30)).await?;
    eprintln!(
        "bench: filled {} with {} records in {:.2}s",
        args.topic,
        args.records,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `consume`: manual assignment of every partition from the beginning, `poll` until
/// `--records` records are in. The window opens before the consumer is created, so both
/// clients pay for connecting, metadata and the offset lookup.
pub async fn consume(args: &Args) -> Result<Measured, BoxError> {
    let mut settings = args.shared_consumer_config();
    settings.push(("max.poll.records", "500".to_owned()));
    let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!("bench: ours consumer config: {}", shown.join(" "));
    let config = ConsumerConfig::from_properties(settings.iter().map(|(k, v)| (*k, v.as_str())))?;
    let partitions: Vec<TopicPartition> = (0..args.partitions)
        .map(|p| TopicPartition::new(args.topic.as_str(), p))
        .collect();

    let window = Window::start(args.broker_pid);
    let mut tally = Tally::new(args);
    let mut consumer = Consumer::new(config).await?;
    consumer.assign(partitions)?;
    while !tally.done() {
        let before = tally.records;
        for record in consumer.poll(Duration::from_millis(100)).await? {
            tally.record(record.value.as_deref());
        }
        tally.check_progress(before)?;
    }
    let measured = window.stop();
    tally.report_phases();
    tally.verify()?;
    consumer.close().await?;
    Ok(measured)
}

/// `latency`: send one record, await its acknowledgement, repeat.
pub async fn latency(args: &Args) -> Result<(Measured, Latencies), BoxError> {
    let topic = Topic::from(args.topic.as_str());
    let producer = producer(args).await?;
    let value = Bytes::from(vec![b'x'; args.size]);

    producer
        .send_ref(RecordRef::new(&topic).key(WARMUP_KEY).value(&value))
        .await?
        .await?;

    let mut samples = Vec::with_capacity(args.records as usize);
    let mut key = Vec::with_capacity(16);
    let window = Window::start(args.broker_pid);
    for i in 0..args.records {
        record_key(i, &mut key);
        let sent = Instant::now();
        let record = RecordRef::new(&topic).key(&key).value(&value);
        producer.send_ref(record).await?.await?;
        samples.push(sent.elapsed());
    }
    let measured = window.stop();

    producer.close(Duration::from_secs(30)).await?;
    Ok((measured, Latencies::of(samples)))
}
