//! This SDK's side: `kafkito::producer` and `kafkito::consumer`, with the same
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

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::FutureExt;
use kafkito::consumer::{Consumer, ConsumerConfig, RebalanceListener, TopicPartition};
use kafkito::producer::{DeliveryFuture, Producer, ProducerConfig, RecordRef, Topic};

use crate::args::{record_key, Args};
use crate::consume::{Arrivals, Tally};
use crate::group::{group_id, Group, SESSION_TIMEOUT_MS};
use crate::measure::{Latencies, Measured, Window};
use crate::values::{stamped, Values};
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
/// first `send` until the last delivery future has resolved and every one is checked.
pub async fn produce(args: &Args) -> Result<Measured, BoxError> {
    let topic = Topic::from(args.topic.as_str());
    let producer = producer(args).await?;
    let values = Arc::new(Values::new(args.values, args.size));

    producer
        .send_ref(
            RecordRef::new(&topic)
                .key(WARMUP_KEY)
                .value(values.value(0)),
        )
        .await?
        .await?;

    let before = producer.metrics();
    let window = Window::start(args.broker_pid);
    let acknowledged = send_all(args, &producer, &values).await?;
    let measured = window.stop();
    if args.batch_stats {
        let after = producer.metrics();
        let requests = after.produce_requests - before.produce_requests;
        let batches = after.batches_sent - before.batches_sent;
        let records = after.records_sent - before.records_sent;
        eprintln!(
            "bench: batches: produce requests {requests}, batches {batches}, records per batch \
             {:.1}; request latency avg {:.1} ms; buffer wait {} ms",
            records as f64 / batches.max(1) as f64,
            after.request_latency_avg,
            (after.bufferpool_wait_time_ns_total - before.bufferpool_wait_time_ns_total)
                / 1_000_000,
        );
    }
    if acknowledged != args.records {
        return Err(format!("{acknowledged} of {} records acknowledged", args.records).into());
    }

    producer.close(Duration::from_secs(30)).await?;
    Ok(measured)
}

/// Sends `--records` records from `--tasks` tasks (task `t` sends records `t`, `t + tasks`,
/// …), keeping every delivery future, then flushes; the number acknowledged.
async fn send_all(args: &Args, producer: &Producer, values: &Arc<Values>) -> Result<u64, BoxError> {
    let tasks = u64::from(args.tasks);
    let share = |t: u64| {
        let (producer, values) = (producer.clone(), values.clone());
        let (topic, records) = (Topic::from(args.topic.as_str()), args.records);
        async move {
            let mut key = Vec::with_capacity(16);
            let mut pending = VecDeque::new();
            let mut acknowledged = 0u64;
            for (n, i) in (t..records).step_by(tasks as usize).enumerate() {
                record_key(i, &mut key);
                let record = RecordRef::new(&topic).key(&key).value(values.value(i));
                pending.push_back(producer.send_ref(record).await?);
                if n % 1024 == 1023 {
                    acknowledged += check_finished(&mut pending)?;
                }
            }
            Ok::<_, BoxError>((pending, acknowledged))
        }
    };
    if tasks == 1 {
        // One sending loop, on this task, as most applications have.
        let sent = share(0).await?;
        return finish(producer, vec![sent]).await;
    }
    let handles: Vec<_> = (0..tasks).map(|t| tokio::spawn(share(t))).collect();
    let mut sent = Vec::new();
    for handle in handles {
        sent.push(handle.await??);
    }
    finish(producer, sent).await
}

/// Flushes and checks every delivery future still pending; the total acknowledged.
async fn finish(
    producer: &Producer,
    sent: Vec<(VecDeque<DeliveryFuture>, u64)>,
) -> Result<u64, BoxError> {
    producer.flush().await?;
    let mut acknowledged = 0;
    for (pending, earlier) in sent {
        acknowledged += earlier;
        for delivery in pending {
            delivery.await?;
            acknowledged += 1;
        }
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
    let values = Arc::new(Values::new(args.values, args.size));
    let started = Instant::now();
    let acknowledged = send_all(args, &producer, &values).await?;
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
/// `--records` records are in. The window opens before the consumer is created and moves to
/// the first records; the time to them is reported apart.
pub async fn consume(args: &Args) -> Result<Measured, BoxError> {
    let mut settings = args.shared_consumer_config();
    settings.push(("max.poll.records", "500".to_owned()));
    let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!("bench: ours consumer config: {}", shown.join(" "));
    let config = ConsumerConfig::from_properties(settings.iter().map(|(k, v)| (*k, v.as_str())))?;
    let partitions: Vec<TopicPartition> = (0..args.partitions)
        .map(|p| TopicPartition::new(args.topic.as_str(), p))
        .collect();

    let mut tally = Tally::new(args, Values::new(args.values, args.size));
    let mut window = Window::start(args.broker_pid);
    let mut consumer = Consumer::new(config).await?;
    consumer.assign(partitions)?;
    while !tally.done() {
        let before = tally.records;
        for record in consumer.poll(Duration::from_millis(100)).await? {
            tally.record(record.key.as_deref(), record.value.as_deref());
        }
        if tally.check_progress(before)? {
            window.mark_first();
        }
    }
    let measured = window.stop();
    tally.report_phases();
    tally.verify()?;
    consumer.close().await?;
    Ok(measured)
}

/// `group`: `--members` consumers with one fresh `group.id`, each on a task of its own,
/// subscribe to the topic and read it together; how the group forms before anything is
/// counted is in [`crate::group`]. The settings are consume's.
pub async fn group(args: &Args) -> Result<Measured, BoxError> {
    let mut settings = args.shared_consumer_config();
    settings.push(("max.poll.records", "500".to_owned()));
    settings.push(("group.id", group_id(args)));
    settings.push(("session.timeout.ms", SESSION_TIMEOUT_MS.to_string()));
    let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "bench: ours consumer config ({} members): {}",
        args.members,
        shown.join(" ")
    );
    let config = ConsumerConfig::from_properties(settings.iter().map(|(k, v)| (*k, v.as_str())))?;
    let values = Arc::new(Values::new(args.values, args.size));
    let group = Arc::new(Group::new(args));
    let members: Vec<_> = (0..args.members as usize)
        .map(|m| {
            let (config, group, values, args) =
                (config.clone(), group.clone(), values.clone(), args.clone());
            tokio::spawn(async move {
                let read = member(m, config, &group, values, &args).await;
                if let Err(e) = &read {
                    group.fail(&format!("member {m}: {e}").into());
                }
                read
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for member in members {
        outcomes.push(member.await?);
    }
    group.finish(outcomes)
}

/// A group member's listener: while the group forms, every partition assigned is paused before
/// `poll` fetches it. (Paused after `poll` returns, a partition could be fetched to its end
/// meanwhile, leaving a Fetch parked at the end of the log for `fetch.max.wait.ms`.)
struct PauseWhileForming(Arc<AtomicBool>);

impl RebalanceListener for PauseWhileForming {
    fn on_revoked<'a>(
        &'a mut self,
        _: &'a mut Consumer,
        _: &'a [TopicPartition],
    ) -> BoxFuture<'a, kafkito::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn on_assigned<'a>(
        &'a mut self,
        consumer: &'a mut Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, kafkito::Result<()>> {
        if self.0.load(Ordering::Relaxed) {
            consumer.pause(partitions);
        }
        Box::pin(async { Ok(()) })
    }
}

/// One member of the `group` workload: forms the group with the others, then reads until
/// they have read every record between them.
async fn member(
    m: usize,
    config: ConsumerConfig,
    group: &Group,
    values: Arc<Values>,
    args: &Args,
) -> Result<Tally, BoxError> {
    let mut consumer = Consumer::new(config).await?;
    let forming = Arc::new(AtomicBool::new(true));
    consumer.subscribe_with_listener(&[args.topic.as_str()], PauseWhileForming(forming.clone()))?;
    // Partitions whose records were polled (and dropped) before the group formed: they are
    // read again from the beginning. Normally none: they are paused as they are assigned.
    let mut dropped = BTreeSet::new();
    while !group.formed() {
        group.check_forming()?;
        for record in consumer.poll(Duration::from_millis(10)).await? {
            dropped.insert(record.partition);
        }
        let assignment = consumer.assignment();
        consumer.pause(&assignment);
        group.publish(m, assignment.iter().map(|tp| tp.partition).collect());
    }
    forming.store(false, Ordering::Relaxed);
    let assignment = consumer.assignment();
    if !dropped.is_empty() {
        eprintln!("bench: member {m}: records of partitions {dropped:?} came before the group formed; reading them again");
        let dropped: Vec<TopicPartition> = dropped
            .iter()
            .map(|&p| TopicPartition::new(args.topic.as_str(), p))
            .collect();
        consumer.seek_to_beginning(&dropped);
    }
    tokio::task::block_in_place(|| group.enter())?;
    consumer.resume(&assignment);

    let mut tally = Tally::new(args, values);
    let (mut first, mut last) = (None, None);
    while !group.done() {
        let before = tally.records;
        for record in consumer.poll(Duration::from_millis(100)).await? {
            tally.record(record.key.as_deref(), record.value.as_deref());
        }
        if tally.records > before {
            group.mark_first();
            last = Some(Instant::now());
            first.get_or_insert(last.unwrap());
            group.add(tally.records - before);
        } else {
            group.check_stall()?;
        }
    }
    group.report_member(m, tally.records, first, last);
    consumer.close().await?;
    Ok(tally)
}

/// `transactions`: one warm-up transaction, then the window from the first
/// `begin_transaction` to the last `commit_transaction`, `--txn-records` records each; every
/// delivery future is checked.
pub async fn transactions(args: &Args) -> Result<Measured, BoxError> {
    let topic = Topic::from(args.topic.as_str());
    let mut settings = args.shared_producer_config();
    settings.push(("buffer.memory", args.buffer_memory.to_string()));
    let id = format!("bench-{}-{}", args.topic, std::process::id());
    settings.push(("transactional.id", id));
    let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!("bench: ours config: {}", shown.join(" "));
    let config = ProducerConfig::from_properties(settings.iter().map(|(k, v)| (*k, v.as_str())))?;
    let producer = Producer::new(config).await?;
    producer.init_transactions().await?;
    let values = Values::new(args.values, args.size);

    producer.begin_transaction()?;
    producer
        .send_ref(
            RecordRef::new(&topic)
                .key(WARMUP_KEY)
                .value(values.value(0)),
        )
        .await?;
    producer.commit_transaction().await?;

    let mut key = Vec::with_capacity(16);
    let mut pending = Vec::with_capacity(args.txn_records as usize);
    let mut acknowledged = 0;
    let window = Window::start(args.broker_pid);
    let mut i = 0;
    while i < args.records {
        producer.begin_transaction()?;
        let end = (i + args.txn_records).min(args.records);
        for n in i..end {
            record_key(n, &mut key);
            let record = RecordRef::new(&topic).key(&key).value(values.value(n));
            pending.push(producer.send_ref(record).await?);
        }
        producer.commit_transaction().await?;
        for delivery in pending.drain(..) {
            delivery.await?;
            acknowledged += 1;
        }
        i = end;
    }
    let measured = window.stop();
    if acknowledged != args.records {
        return Err(format!("{acknowledged} of {} records acknowledged", args.records).into());
    }
    producer.close(Duration::from_secs(30)).await?;
    Ok(measured)
}

/// `e2e`: a consumer assigned every partition at its end, then a producer sending `--records`
/// at `--rate` records/s from another task; each record's time from send to receipt.
pub async fn e2e(args: &Args) -> Result<(Measured, Latencies), BoxError> {
    let mut settings = args.shared_consumer_config();
    settings.retain(|(k, _)| !matches!(*k, "auto.offset.reset" | "fetch.max.wait.ms"));
    settings.push(("auto.offset.reset", "latest".to_owned()));
    settings.push((
        "fetch.max.wait.ms",
        crate::args::E2E_FETCH_WAIT_MS.to_string(),
    ));
    let config = ConsumerConfig::from_properties(settings.iter().map(|(k, v)| (*k, v.as_str())))?;
    let mut consumer = Consumer::new(config).await?;
    let partitions: Vec<TopicPartition> = (0..args.partitions)
        .map(|p| TopicPartition::new(args.topic.as_str(), p))
        .collect();
    consumer.assign(partitions.clone())?;
    // Positions resolved (end offsets) before the first send, so nothing is skipped.
    let started = Instant::now();
    while partitions.iter().any(|tp| consumer.position(tp).is_none()) {
        if started.elapsed() > crate::consume::STALL {
            return Err("e2e: the consumer's positions were never resolved".into());
        }
        consumer.poll(Duration::from_millis(10)).await?;
    }
    let producer = producer(args).await?;
    let clock = Instant::now();
    let window = Window::start(args.broker_pid);
    let sender = {
        let (producer, topic) = (producer.clone(), Topic::from(args.topic.as_str()));
        let (records, rate) = (args.records, args.rate);
        let values = Values::new(args.values, args.size);
        tokio::spawn(async move {
            let (mut key, mut value) = (Vec::with_capacity(16), Vec::new());
            let mut pending = VecDeque::new();
            for i in 0..records {
                let due = clock + Duration::from_secs_f64(i as f64 / rate as f64);
                tokio::time::sleep_until(due.into()).await;
                record_key(i, &mut key);
                stamped(&values, i, clock.elapsed().as_nanos() as u64, &mut value);
                let record = RecordRef::new(&topic).key(&key).value(&value);
                pending.push_back(producer.send_ref(record).await?);
                check_finished(&mut pending)?;
            }
            for delivery in pending {
                delivery.await?;
            }
            Ok::<_, BoxError>(())
        })
    };
    let mut arrivals = Arrivals::new(clock, args.records);
    while !arrivals.done() {
        let records = consumer.poll(Duration::from_millis(100)).await?;
        let received = arrivals.now();
        for record in &records {
            arrivals.record(record.key.as_deref(), record.value.as_deref(), received);
        }
        arrivals.check_progress()?;
    }
    sender.await??;
    let measured = window.stop();
    consumer.close().await?;
    producer.close(Duration::from_secs(30)).await?;
    Ok((measured, Latencies::of(arrivals.samples)))
}

/// `latency`: send one record, await its acknowledgement, repeat.
pub async fn latency(args: &Args) -> Result<(Measured, Latencies), BoxError> {
    let topic = Topic::from(args.topic.as_str());
    let producer = producer(args).await?;
    let values = Values::new(args.values, args.size);

    producer
        .send_ref(
            RecordRef::new(&topic)
                .key(WARMUP_KEY)
                .value(values.value(0)),
        )
        .await?
        .await?;

    let mut samples = Vec::with_capacity(args.records as usize);
    let mut key = Vec::with_capacity(16);
    let window = Window::start(args.broker_pid);
    for i in 0..args.records {
        record_key(i, &mut key);
        let sent = Instant::now();
        let record = RecordRef::new(&topic).key(&key).value(values.value(i));
        producer.send_ref(record).await?.await?;
        samples.push(sent.elapsed());
    }
    let measured = window.stop();

    producer.close(Duration::from_secs(30)).await?;
    Ok((measured, Latencies::of(samples)))
}
