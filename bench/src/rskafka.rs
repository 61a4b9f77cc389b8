//! The `rskafka` side: InfluxData's minimal pure-Rust client, a second reference.
//!
//! rskafka has no partitioner and no client-wide producer: one `PartitionClient` per
//! partition. Throughput uses its `BatchProducer` (a per-partition aggregator flushed after
//! `--linger-ms` or when `--batch-size` bytes are in), spreading records round-robin over the
//! partitions (ours and librdkafka hash the 16-byte keys, which spreads them just as evenly).
//! Like the other two, every record's acknowledgement is awaited and counted, and at most
//! `--buffer-memory` bytes of records are outstanding. Latency calls `PartitionClient::produce`
//! with one record and awaits it (no linger: the linger-0 path). Consume reads every partition
//! with a `StreamConsumer` from the earliest offset, merged into one stream.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, SelectAll, StreamExt};
use futures::FutureExt;
use rskafka::client::consumer::{StartOffset, StreamConsumerBuilder};
use rskafka::client::partition::{Compression, PartitionClient, UnknownTopicHandling};
use rskafka::client::producer::aggregator::RecordAggregator;
use rskafka::client::producer::{BatchProducer, BatchProducerBuilder};
use rskafka::client::{Client, ClientBuilder};
use rskafka::record::Record;

use crate::args::{record_key, Args};
use crate::consume::Tally;
use crate::measure::{Latencies, Measured, Window};
use crate::values::Values;
use crate::BoxError;

async fn client(args: &Args) -> Result<Client, BoxError> {
    Ok(ClientBuilder::new(vec![args.bootstrap.clone()])
        .client_id("bench-rskafka")
        .build()
        .await?)
}

fn compression(args: &Args) -> Result<Compression, BoxError> {
    Ok(match args.compression.as_str() {
        "none" => Compression::NoCompression,
        "gzip" => Compression::Gzip,
        "snappy" => Compression::Snappy,
        "lz4" => Compression::Lz4,
        "zstd" => Compression::Zstd,
        other => return Err(format!("rskafka: unknown codec {other}").into()),
    })
}

async fn partition_clients(
    client: &Client,
    args: &Args,
) -> Result<Vec<Arc<PartitionClient>>, BoxError> {
    let mut clients = Vec::with_capacity(args.partitions as usize);
    for p in 0..args.partitions {
        clients.push(Arc::new(
            client
                .partition_client(args.topic.as_str(), p, UnknownTopicHandling::Retry)
                .await?,
        ));
    }
    Ok(clients)
}

fn record(key: Vec<u8>, value: &[u8]) -> Record {
    Record {
        key: Some(key),
        value: Some(value.to_vec()),
        headers: BTreeMap::new(),
        timestamp: chrono::Utc::now(),
    }
}

fn show_config(args: &Args, what: &str) {
    eprintln!(
        "bench: rskafka 0.6 {what} config: bootstrap={} compression={} linger.ms={} \
         batch.size={} buffer.memory={} (acks: rskafka always asks for all)",
        args.bootstrap, args.compression, args.linger_ms, args.batch_size, args.buffer_memory
    );
}

/// `produce`: one warm-up record to partition 0 (connection; `partition_client` already
/// looked up metadata), then the measured window from the first record until every record is
/// acknowledged.
pub async fn produce(args: &Args) -> Result<Measured, BoxError> {
    show_config(args, "producer");
    let client = client(args).await?;
    let partitions = partition_clients(&client, args).await?;
    let codec = compression(args)?;
    let values = Values::new(args.values, args.size);
    partitions[0]
        .produce(
            vec![record(b"key-warmup------".to_vec(), values.value(0))],
            codec,
        )
        .await?;
    let producers: Vec<BatchProducer<RecordAggregator>> = partitions
        .iter()
        .map(|p| {
            BatchProducerBuilder::new(Arc::clone(p))
                .with_linger(Duration::from_millis(args.linger_ms))
                .with_compression(codec)
                .build(RecordAggregator::new(args.batch_size as usize))
        })
        .collect();
    // rskafka has no byte limit of its own: hold back once `--buffer-memory` bytes of
    // records wait for their acknowledgement, as the other two clients do.
    let max_pending = (args.buffer_memory / (args.size as u64 + 16)).max(1) as usize;

    let window = Window::start(args.broker_pid);
    let mut key = Vec::with_capacity(16);
    let mut pending = FuturesUnordered::new();
    let mut acknowledged = 0u64;
    for i in 0..args.records {
        record_key(i, &mut key);
        let producer = &producers[(i % producers.len() as u64) as usize];
        pending.push(producer.produce(record(key.clone(), values.value(i))));
        // A `BatchProducer::produce` future adds its record when first polled: poll the new
        // one now (and reap whatever finished), waiting only when too much is outstanding.
        while let Some(Some(delivery)) = pending.next().now_or_never() {
            delivery?;
            acknowledged += 1;
        }
        while pending.len() >= max_pending {
            if let Some(delivery) = pending.next().await {
                delivery?;
                acknowledged += 1;
            }
        }
    }
    for producer in &producers {
        producer.flush().await?;
    }
    while let Some(delivery) = pending.next().await {
        delivery?;
        acknowledged += 1;
    }
    let measured = window.stop();
    if acknowledged != args.records {
        return Err(format!("{acknowledged} of {} records acknowledged", args.records).into());
    }
    Ok(measured)
}

/// `latency`: send one record with `PartitionClient::produce`, await it, repeat.
pub async fn latency(args: &Args) -> Result<(Measured, Latencies), BoxError> {
    show_config(args, "producer");
    let client = client(args).await?;
    let partitions = partition_clients(&client, args).await?;
    let codec = compression(args)?;
    let values = Values::new(args.values, args.size);
    let partition = &partitions[0];
    partition
        .produce(
            vec![record(b"key-warmup------".to_vec(), values.value(0))],
            codec,
        )
        .await?;

    let mut samples = Vec::with_capacity(args.records as usize);
    let mut key = Vec::with_capacity(16);
    let window = Window::start(args.broker_pid);
    for i in 0..args.records {
        record_key(i, &mut key);
        let sent = Instant::now();
        partition
            .produce(vec![record(key.clone(), values.value(i))], codec)
            .await?;
        samples.push(sent.elapsed());
    }
    let measured = window.stop();
    Ok((measured, Latencies::of(samples)))
}

/// `consume`: one `StreamConsumer` per partition from the earliest offset, fetching up to
/// `max.partition.fetch.bytes` (1 MiB) with the shared `fetch.max.wait.ms`, merged; reads
/// until `--records` records are in. The window opens before the client is created and moves
/// to the first records.
pub async fn consume(args: &Args) -> Result<Measured, BoxError> {
    show_config(args, "consumer");
    let mut tally = Tally::new(args, Values::new(args.values, args.size));
    let mut window = Window::start(args.broker_pid);
    let client = client(args).await?;
    let partitions = partition_clients(&client, args).await?;
    let mut streams = SelectAll::new();
    for partition in partitions {
        streams.push(
            StreamConsumerBuilder::new(partition, StartOffset::Earliest)
                .with_max_batch_size(1024 * 1024)
                .with_max_wait_ms(500)
                .build(),
        );
    }
    while !tally.done() {
        let before = tally.records;
        match tokio::time::timeout(Duration::from_millis(100), streams.next()).await {
            Ok(Some(Ok((record, _high_watermark)))) => {
                tally.record(record.record.key.as_deref(), record.record.value.as_deref());
                // Drain what is already decoded without re-arming the timer per record.
                while let Some(Some(next)) = streams.next().now_or_never() {
                    let (record, _) = next?;
                    tally.record(record.record.key.as_deref(), record.record.value.as_deref());
                    if tally.done() {
                        break;
                    }
                }
            }
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(None) => return Err("rskafka: every partition stream ended".into()),
            Err(_elapsed) => {}
        }
        if tally.check_progress(before)? {
            window.mark_first();
        }
    }
    let measured = window.stop();
    tally.report_phases();
    tally.verify()?;
    Ok(measured)
}
