//! The librdkafka side, through the `rdkafka` crate: the reference we compare against.
//!
//! Throughput uses `BaseProducer` and polls from the sending thread, the fastest way to drive
//! librdkafka (no per-record future or channel); latency uses `FutureProducer`, the way an
//! async Rust program awaits one delivery.
//!
//! The produce clock stops inside the delivery report of the last record, and the reports are
//! served by polling in 1 ms slices: rust-rdkafka's `flush` polls in 100 ms slices, so a clock
//! stopped after it could run up to 100 ms late, a large share of a short run.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{
    BaseProducer, BaseRecord, DeliveryResult, FutureProducer, FutureRecord, Producer,
    ProducerContext,
};
use rdkafka::util::Timeout;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use crate::args::{record_key, Args};
use crate::consume::{Arrivals, Tally};
use crate::group::{group_id, Group, SESSION_TIMEOUT_MS};
use crate::measure::{Latencies, Measured, Window};
use crate::values::{stamped, Values};
use crate::BoxError;

/// The configuration: the shared settings plus librdkafka-only ones.
fn config(args: &Args) -> ClientConfig {
    let mut settings = args.shared_producer_config();
    // The same byte limit on unsent records as ours (`buffer.memory`); librdkafka's own default
    // is 1 GiB, which would let it swallow a whole run while ours waits for acknowledgements.
    settings.push((
        "queue.buffering.max.kbytes",
        (args.buffer_memory / 1024).to_string(),
    ));
    // No limit by count: the byte limit above is the one both clients share.
    settings.push(("queue.buffering.max.messages", "10000000".to_owned()));
    // The Java client's key hashing (librdkafka's default, consistent_random, is CRC32), so
    // that both clients put each key on the same partition.
    settings.push(("partitioner", "murmur2_random".to_owned()));
    let mut config = ClientConfig::new();
    let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "bench: rdkafka {} config: {}",
        rdkafka_version(),
        shown.join(" ")
    );
    if args.batch_stats {
        config.set("statistics.interval.ms", "200");
    }
    for (key, value) in settings {
        config.set(key, value);
    }
    config
}

fn rdkafka_version() -> String {
    rdkafka::util::get_rdkafka_version().1
}

/// Counts delivery reports: librdkafka calls `delivery` from `poll` for every record. The
/// report that brings the count to `target` notes the time.
#[derive(Default)]
struct Counting {
    delivered: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
    target: AtomicU64,
    reached: Mutex<Option<Instant>>,
    /// With `--batch-stats`: what librdkafka's statistics said so far.
    batch_stats: Mutex<BatchStats>,
}

/// Totals from librdkafka's statistics emissions: Produce requests (a running total in each
/// emission) and the record batches and their records (each emission covers the batches made
/// since the one before).
#[derive(Default, Clone, Copy)]
struct BatchStats {
    emissions: u64,
    produce_requests: i64,
    batches: i64,
    records: i64,
}

impl Counting {
    fn reports(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed)
    }
}

impl ClientContext for Counting {
    fn stats(&self, statistics: rdkafka::Statistics) {
        let mut totals = self.batch_stats.lock().unwrap();
        totals.emissions += 1;
        totals.produce_requests = statistics
            .brokers
            .values()
            .map(|broker| broker.req.get("Produce").copied().unwrap_or(0))
            .sum();
        for topic in statistics.topics.values() {
            totals.batches += topic.batchcnt.cnt;
            totals.records += topic.batchcnt.sum;
        }
    }
}

impl ProducerContext for Counting {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => self.delivered.fetch_add(1, Ordering::Relaxed),
            Err((e, _)) => {
                self.first_error
                    .lock()
                    .unwrap()
                    .get_or_insert_with(|| e.to_string());
                self.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
        if self.reports() == self.target.load(Ordering::Relaxed) {
            *self.reached.lock().unwrap() = Some(Instant::now());
        }
    }
}

/// Sends `record`, polling (which serves delivery reports and frees queue space) while the
/// queue is full.
fn send_blocking(
    producer: &BaseProducer<Counting>,
    mut record: BaseRecord<'_, [u8], [u8]>,
) -> Result<(), KafkaError> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                record = back;
                producer.poll(Duration::from_millis(1));
            }
            Err((e, _)) => return Err(e),
        }
    }
}

/// Sends the warm-up record (connection, metadata) outside any window.
fn send_warmup(
    producer: &BaseProducer<Counting>,
    args: &Args,
    values: &Values,
) -> Result<(), KafkaError> {
    send_blocking(
        producer,
        BaseRecord::to(&args.topic)
            .key(&b"key-warmup------"[..])
            .payload(values.value(0)),
    )
}

/// Polls in 1 ms slices until `n` delivery reports are in.
fn wait_for_reports(producer: &BaseProducer<Counting>, n: u64) {
    while producer.context().reports() < n {
        producer.poll(Duration::from_millis(1));
    }
}

/// Has librdkafka send what it holds at once (a `flush` that times out at once, by design),
/// then serves delivery reports in 1 ms polls until `n` have come; fails on a failed record.
fn flush_by_polling(producer: &BaseProducer<Counting>, n: u64) -> Result<(), BoxError> {
    match producer.flush(Duration::ZERO) {
        Ok(()) | Err(KafkaError::Flush(RDKafkaErrorCode::OperationTimedOut)) => {}
        Err(e) => return Err(e.into()),
    }
    wait_for_reports(producer, n);
    let ctx = producer.context();
    check(&ctx.failed, &ctx.first_error)
}

/// Sends records `t`, `t + step`, … below `--records`.
fn send_share(
    producer: &BaseProducer<Counting>,
    args: &Args,
    values: &Values,
    t: u64,
    step: u64,
) -> Result<(), KafkaError> {
    let mut key = Vec::with_capacity(16);
    for (n, i) in (t..args.records).step_by(step as usize).enumerate() {
        record_key(i, &mut key);
        send_blocking(
            producer,
            BaseRecord::to(&args.topic)
                .key(&key[..])
                .payload(values.value(i)),
        )?;
        // Serve delivery reports now and then so they do not pile up.
        if n % 1024 == 1023 {
            producer.poll(Duration::ZERO);
        }
    }
    Ok(())
}

/// `produce`: one warm-up record (connection, metadata), then the measured window from the
/// first `send` until the delivery report of the last record; `--tasks` threads share the
/// producer.
pub fn produce(args: &Args) -> Result<Measured, BoxError> {
    let producer: BaseProducer<Counting> = config(args).create_with_context(Counting::default())?;
    let values = Values::new(args.values, args.size);

    send_warmup(&producer, args, &values)?;
    wait_for_reports(&producer, 1);
    check(&producer.context().failed, &producer.context().first_error)?;
    producer
        .context()
        .target
        .store(args.records + 1, Ordering::Relaxed);

    let tasks = u64::from(args.tasks);
    let before = *producer.context().batch_stats.lock().unwrap();
    let window = Window::start(args.broker_pid);
    if tasks == 1 {
        send_share(&producer, args, &values, 0, 1)?;
    } else {
        std::thread::scope(|scope| {
            let threads: Vec<_> = (0..tasks)
                .map(|t| {
                    let (producer, values) = (&producer, &values);
                    scope.spawn(move || send_share(producer, args, values, t, tasks))
                })
                .collect();
            threads
                .into_iter()
                .try_for_each(|thread| thread.join().expect("a sending thread panicked"))
        })?;
    }
    wait_for_reports(&producer, args.records + 1);
    let end = producer
        .context()
        .reached
        .lock()
        .unwrap()
        .unwrap_or_else(Instant::now);
    let measured = window.stop_at(end);
    if args.batch_stats {
        report_batch_stats(&producer, before);
    }

    let ctx = producer.context();
    check(&ctx.failed, &ctx.first_error)?;
    let delivered = ctx.delivered.load(Ordering::Relaxed);
    if delivered != args.records + 1 {
        return Err(format!(
            "librdkafka reported {delivered} deliveries for {} records",
            args.records + 1
        )
        .into());
    }
    Ok(measured)
}

/// Waits for two more statistics emissions (so that one covers everything up to now) and
/// writes what the window sent, less `before` (the warm-up's request and batch, when its
/// emission came before the window).
fn report_batch_stats(producer: &BaseProducer<Counting>, before: BatchStats) {
    let wanted = producer.context().batch_stats.lock().unwrap().emissions + 2;
    let deadline = Instant::now() + std::time::Duration::from_secs(5);
    while producer.context().batch_stats.lock().unwrap().emissions < wanted
        && Instant::now() < deadline
    {
        producer.poll(std::time::Duration::from_millis(10));
    }
    let after = *producer.context().batch_stats.lock().unwrap();
    let batches = after.batches - before.batches;
    eprintln!(
        "bench: batches: produce requests {}, batches {batches}, records per batch {:.1} \
         (librdkafka's statistics{})",
        after.produce_requests - before.produce_requests,
        (after.records - before.records) as f64 / batches.max(1) as f64,
        if after.emissions < wanted {
            ", incomplete: no emission after the window"
        } else {
            ""
        },
    );
}

fn check(failed: &AtomicU64, first: &Mutex<Option<String>>) -> Result<(), BoxError> {
    match failed.load(Ordering::Relaxed) {
        0 => Ok(()),
        n => Err(format!(
            "{n} records failed; first error: {}",
            first.lock().unwrap().as_deref().unwrap_or("?")
        )
        .into()),
    }
}

/// `transactions`: one warm-up transaction, then the window from the first
/// `begin_transaction` to the last `commit_transaction`, `--txn-records` records each.
///
/// Before each commit the records are flushed here, as the produce workload waits for its
/// reports: a zero-timeout `flush` (librdkafka then sends at once, ignoring the linger), then
/// the delivery reports served in 1 ms polls. Left to rust-rdkafka, `commit_transaction`
/// flushes by polling in 100 ms slices, and every commit took 100 ms (0.99k records/s in
/// transactions of 100, on tansu and on the mock alike): the wrapper's slice, not librdkafka.
/// With nothing left to flush, `commit_transaction` goes straight to librdkafka's commit.
pub fn transactions(args: &Args) -> Result<Measured, BoxError> {
    let mut config = config(args);
    config.set(
        "transactional.id",
        format!("bench-{}-{}", args.topic, std::process::id()),
    );
    let producer: BaseProducer<Counting> = config.create_with_context(Counting::default())?;
    let timeout = Duration::from_secs(60);
    producer.init_transactions(timeout)?;
    let values = Values::new(args.values, args.size);

    producer.begin_transaction()?;
    send_warmup(&producer, args, &values)?;
    flush_by_polling(&producer, 1)?;
    producer.commit_transaction(timeout)?;

    let mut key = Vec::with_capacity(16);
    let window = Window::start(args.broker_pid);
    let mut i = 0;
    while i < args.records {
        producer.begin_transaction()?;
        let end = (i + args.txn_records).min(args.records);
        for n in i..end {
            record_key(n, &mut key);
            send_blocking(
                &producer,
                BaseRecord::to(&args.topic)
                    .key(&key[..])
                    .payload(values.value(n)),
            )?;
        }
        flush_by_polling(&producer, 1 + end)?;
        producer.commit_transaction(timeout)?;
        i = end;
    }
    // Every report was counted and checked before its commit (`flush_by_polling`).
    Ok(window.stop())
}

/// `e2e`: a `BaseConsumer` assigned every partition at its end, then a `BaseProducer` on
/// another thread sending `--records` at `--rate` records/s (polled before each send, asleep
/// until it is due); each record's time from send to receipt.
pub fn e2e(args: &Args) -> Result<(Measured, Latencies), BoxError> {
    let mut settings: Vec<(&str, String)> = args
        .shared_consumer_config()
        .into_iter()
        .map(|(k, v)| match k {
            "fetch.max.wait.ms" => (
                "fetch.wait.max.ms",
                crate::args::E2E_FETCH_WAIT_MS.to_string(),
            ),
            "auto.offset.reset" => (k, "latest".to_owned()),
            _ => (k, v),
        })
        .collect();
    settings.push(("enable.partition.eof", "false".to_owned()));
    settings.push(("group.id", format!("bench-e2e-{}", std::process::id())));
    let mut config = ClientConfig::new();
    for (key, value) in settings {
        config.set(key, value);
    }
    let consumer: BaseConsumer = config.create()?;
    consumer.fetch_metadata(Some(&args.topic), Duration::from_secs(30))?;
    let mut assignment = TopicPartitionList::new();
    for p in 0..args.partitions {
        assignment.add_partition_offset(&args.topic, p, Offset::End)?;
    }
    consumer.assign(&assignment)?;
    // One poll so the end offsets are looked up before the first send.
    consumer.poll(Duration::from_millis(100));
    let producer: BaseProducer<Counting> =
        self::config(args).create_with_context(Counting::default())?;
    let values = Values::new(args.values, args.size);
    let clock = Instant::now();
    let window = Window::start(args.broker_pid);
    let mut arrivals = Arrivals::new(clock, args.records);
    std::thread::scope(|scope| -> Result<(), BoxError> {
        let sender = scope.spawn(|| -> Result<(), KafkaError> {
            let (mut key, mut value) = (Vec::with_capacity(16), Vec::new());
            for i in 0..args.records {
                let due = clock + Duration::from_secs_f64(i as f64 / args.rate as f64);
                // Serve delivery reports, then sleep to the due time (a poll with a sub-ms
                // timeout would return at once and spin).
                producer.poll(Duration::ZERO);
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                record_key(i, &mut key);
                stamped(&values, i, clock.elapsed().as_nanos() as u64, &mut value);
                send_blocking(
                    &producer,
                    BaseRecord::to(&args.topic)
                        .key(&key[..])
                        .payload(&value[..]),
                )?;
            }
            wait_for_reports(&producer, args.records);
            Ok(())
        });
        while !arrivals.done() {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(message)) => {
                    let received = arrivals.now();
                    arrivals.record(message.key(), message.payload(), received);
                }
                Some(Err(e)) => return Err(e.into()),
                None => arrivals.check_progress()?,
            }
        }
        sender.join().expect("the sending thread panicked")?;
        Ok(())
    })?;
    let measured = window.stop();
    check(&producer.context().failed, &producer.context().first_error)?;
    Ok((measured, Latencies::of(arrivals.samples)))
}

/// `latency`: send one record, await its acknowledgement, repeat.
pub async fn latency(args: &Args) -> Result<(Measured, Latencies), BoxError> {
    let producer: FutureProducer = config(args).create()?;
    let values = Values::new(args.values, args.size);
    let send = |key: Vec<u8>, value: &[u8]| {
        let record = FutureRecord::to(&args.topic).key(&key).payload(value);
        // `send` copies key and payload into librdkafka before it returns its future.
        let delivery = producer.send_result(record).map_err(|(e, _)| e);
        async move {
            match delivery {
                Ok(delivery) => match delivery.await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err((e, _))) => Err(e),
                    Err(_canceled) => Err(KafkaError::Canceled),
                },
                Err(e) => Err(e),
            }
        }
    };

    send(b"key-warmup------".to_vec(), values.value(0)).await?;

    let mut samples = Vec::with_capacity(args.records as usize);
    let mut key = Vec::with_capacity(16);
    let window = Window::start(args.broker_pid);
    for i in 0..args.records {
        record_key(i, &mut key);
        let sent = Instant::now();
        send(key.clone(), values.value(i)).await?;
        samples.push(sent.elapsed());
    }
    let measured = window.stop();
    Ok((measured, Latencies::of(samples)))
}

/// The settings `consume` and `group` read with: the shared ones (ours' defaults, under
/// librdkafka's names), no end-of-partition events, no offsets stored (nothing commits), and
/// `fetch.queue.backoff.ms` at 10 ms instead of its default of 1 s.
///
/// That last one is a tuning a librdkafka user would make, so the comparison is with a
/// librdkafka that does not stall: once a partition's prefetch queue holds
/// `queued.min.messages` (100,000) records, librdkafka waits `fetch.queue.backoff.ms` before
/// fetching it again. With lz4, one fetch brings about twice the records, the queue crosses that
/// line, and each partition went idle for a second. Measured on tansu, 8 partitions, lz4,
/// 1,000,000 records: about 0.3M records/s at the default against 1.2–1.4M at 10 ms
/// (`bench/results/rdkafka-fetch-queue-backoff.md`).
fn reader_settings(args: &Args) -> Vec<(&'static str, String)> {
    let mut settings: Vec<(&'static str, String)> = args
        .shared_consumer_config()
        .into_iter()
        .map(|(k, v)| match k {
            "fetch.max.wait.ms" => ("fetch.wait.max.ms", v),
            _ => (k, v),
        })
        .collect();
    settings.push(("enable.partition.eof", "false".to_owned()));
    settings.push(("enable.auto.offset.store", "false".to_owned()));
    settings.push(("fetch.queue.backoff.ms", "10".to_owned()));
    settings
}

/// `consume`: a `BaseConsumer` assigned every partition at `Offset::Beginning`, `poll` until
/// `--records` records are in. The window opens before the consumer is created and moves to
/// the first records, as in ours.
/// Settings: [`reader_settings`]; librdkafka's own prefetch sizes (`queued.min.messages`,
/// `queued.max.messages.kbytes`) stay at their defaults.
pub fn consume(args: &Args) -> Result<Measured, BoxError> {
    let mut settings = reader_settings(args);
    // librdkafka's `assign` needs a group.id (ours does not); nothing is committed to it and
    // the explicit `Offset::Beginning` means no committed offsets are looked up.
    settings.push(("group.id", format!("bench-consume-{}", std::process::id())));
    let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "bench: rdkafka {} consumer config: {}",
        rdkafka_version(),
        shown.join(" ")
    );
    let mut config = ClientConfig::new();
    for (key, value) in settings {
        config.set(key, value);
    }
    let mut assignment = TopicPartitionList::new();
    for p in 0..args.partitions {
        assignment.add_partition_offset(&args.topic, p, Offset::Beginning)?;
    }

    let mut tally = Tally::new(args, Values::new(args.values, args.size));
    let mut window = Window::start(args.broker_pid);
    let consumer: BaseConsumer = config.create()?;
    // Learn the partitions' leaders before assigning: otherwise librdkafka's first offset
    // lookup finds no leader and retries after a fixed 500 ms (`rd_kafka_toppar_offset_retry`),
    // a constant that would swamp the window. Ours also looks up metadata inside its window.
    consumer.fetch_metadata(Some(&args.topic), Duration::from_secs(30))?;
    consumer.assign(&assignment)?;
    while !tally.done() {
        let before = tally.records;
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => tally.record(message.key(), message.payload()),
            Some(Err(e)) => return Err(e.into()),
            None => {}
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

/// `group`: `--members` `BaseConsumer`s with one fresh `group.id`, each on a thread of its
/// own, subscribe to the topic and read it together; how the group forms before anything is
/// counted is in [`crate::group`]. The settings are consume's (librdkafka's default
/// `partition.assignment.strategy`, range then roundrobin, as ours: range first).
pub fn group(args: &Args) -> Result<Measured, BoxError> {
    let mut settings = reader_settings(args);
    settings.push(("group.id", group_id(args)));
    settings.push(("session.timeout.ms", SESSION_TIMEOUT_MS.to_string()));
    let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "bench: rdkafka {} consumer config ({} members): {}",
        rdkafka_version(),
        args.members,
        shown.join(" ")
    );
    let mut config = ClientConfig::new();
    for (key, value) in settings {
        config.set(key, value);
    }
    let values = Arc::new(Values::new(args.values, args.size));
    let group = Group::new(args);
    let outcomes: Vec<Result<Tally, BoxError>> = std::thread::scope(|scope| {
        let members: Vec<_> = (0..args.members as usize)
            .map(|m| {
                let (config, group, values) = (&config, &group, values.clone());
                scope.spawn(move || {
                    let read = member(m, config, group, values, args);
                    if let Err(e) = &read {
                        group.fail(&format!("member {m}: {e}").into());
                    }
                    read
                })
            })
            .collect();
        members
            .into_iter()
            .map(|member| member.join().expect("a member thread panicked"))
            .collect()
    });
    group.finish(outcomes)
}

/// A group member's context: while the group forms, every partition assigned is paused in the
/// rebalance itself, before librdkafka starts fetching it. (Paused after `poll` returns, a
/// partition could be fetched to its end meanwhile, leaving a Fetch parked at the end of the
/// log for `fetch.wait.max.ms` that the first Fetch after the gate would queue behind.)
struct PauseWhileForming {
    forming: AtomicBool,
}

impl ClientContext for PauseWhileForming {}

impl ConsumerContext for PauseWhileForming {
    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(partitions) = rebalance {
            if self.forming.load(Ordering::Relaxed) {
                if let Err(e) = consumer.pause(partitions) {
                    eprintln!("bench: pausing {partitions:?} while the group forms: {e}");
                }
            }
        }
    }
}

/// One member of the `group` workload: forms the group with the others, then reads until
/// they have read every record between them. Its count goes to the group every 500 records
/// and whenever its queue runs dry, so that the last record stops the clock at once.
fn member(
    m: usize,
    config: &ClientConfig,
    group: &Group,
    values: Arc<Values>,
    args: &Args,
) -> Result<Tally, BoxError> {
    let consumer: BaseConsumer<PauseWhileForming> =
        config.create_with_context(PauseWhileForming {
            forming: AtomicBool::new(true),
        })?;
    consumer.subscribe(&[&args.topic])?;
    // Partitions whose records were polled (and dropped) before the group formed: they are
    // read again from the beginning. Normally none: they are paused as they are assigned.
    let mut dropped = BTreeSet::new();
    while !group.formed() {
        group.check_forming()?;
        match consumer.poll(Duration::from_millis(10)) {
            Some(Ok(message)) => {
                dropped.insert(message.partition());
            }
            Some(Err(e)) => return Err(e.into()),
            None => {}
        }
        let assignment = consumer.assignment()?;
        consumer.pause(&assignment)?;
        let partitions = assignment
            .elements()
            .iter()
            .map(|e| e.partition())
            .collect();
        group.publish(m, partitions);
    }
    consumer.context().forming.store(false, Ordering::Relaxed);
    let assignment = consumer.assignment()?;
    if !dropped.is_empty() {
        eprintln!("bench: member {m}: records of partitions {dropped:?} came before the group formed; reading them again");
        seek_to_beginning(&consumer, &args.topic, &dropped, group)?;
    }
    group.enter()?;
    consumer.resume(&assignment)?;

    let mut tally = Tally::new(args, values);
    let mut unreported = 0;
    let (mut first, mut last) = (None, None);
    while !group.done() {
        let message = match consumer.poll(Duration::ZERO) {
            Some(message) => Some(message),
            None => {
                if unreported > 0 {
                    last = Some(Instant::now());
                    group.add(std::mem::take(&mut unreported));
                }
                consumer.poll(Duration::from_millis(100))
            }
        };
        match message {
            Some(Ok(message)) => {
                let before = tally.records;
                tally.record(message.key(), message.payload());
                if tally.records > before {
                    if before == 0 {
                        group.mark_first();
                        first = Some(Instant::now());
                    }
                    unreported += 1;
                    if unreported == 500 {
                        last = Some(Instant::now());
                        group.add(std::mem::take(&mut unreported));
                    }
                }
            }
            Some(Err(e)) => return Err(e.into()),
            None => group.check_stall()?,
        }
    }
    group.report_member(m, tally.records, first, last);
    Ok(tally)
}

/// Moves `partitions` of `topic` to the beginning of their logs. librdkafka refuses to
/// seek a partition whose fetcher has not started yet (`_STATE`: its committed offset is still
/// being looked up), so those are sought again after a poll has let that finish.
fn seek_to_beginning(
    consumer: &BaseConsumer<PauseWhileForming>,
    topic: &str,
    partitions: &BTreeSet<i32>,
    group: &Group,
) -> Result<(), BoxError> {
    let mut pending: Vec<i32> = partitions.iter().copied().collect();
    while !pending.is_empty() {
        let mut beginning = TopicPartitionList::new();
        for &partition in &pending {
            beginning.add_partition_offset(topic, partition, Offset::Beginning)?;
        }
        pending.clear();
        for e in consumer
            .seek_partitions(beginning, Duration::from_secs(10))?
            .elements()
        {
            match e.error() {
                Ok(()) => {}
                Err(KafkaError::OffsetFetch(RDKafkaErrorCode::State)) => {
                    pending.push(e.partition());
                }
                Err(err) => {
                    return Err(format!("seeking {} [{}]: {err}", e.topic(), e.partition()).into())
                }
            }
        }
        if !pending.is_empty() {
            group.check_forming()?;
            if let Some(Err(e)) = consumer.poll(Duration::from_millis(10)) {
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// Fills the topic for `consume` when this binary has no `ours`: `--records` records, no
/// warm-up, unmeasured.
#[cfg_attr(feature = "ours", allow(dead_code))]
pub fn fill(args: &Args) -> Result<(), BoxError> {
    let producer: BaseProducer<Counting> = config(args).create_with_context(Counting::default())?;
    let values = Values::new(args.values, args.size);
    send_share(&producer, args, &values, 0, 1)?;
    producer.flush(Timeout::Never)?;
    let ctx = producer.context();
    check(&ctx.failed, &ctx.first_error)?;
    Ok(())
}
