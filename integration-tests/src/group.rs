//! Helpers for group-consumer scenarios: members that poll on tasks of their own and record
//! everything they see, producers that write identifiable records, and bounded waits.
//!
//! A group test needs several members polling *at the same time*: a rebalance only completes
//! once every member has polled (the group task waits for the consumer to apply a revocation),
//! and a partition's delivery gaps are only meaningful if its owner polls continuously. So each
//! [`Member`] drives its [`Consumer`] on its own Tokio task and writes what it saw into a
//! [`MemberLog`] the test reads (the lock is never held across an `.await`).
//!
//! Records carry their identity in the value (`{tag}-p{partition}-{n}`), so a test can reconcile
//! what was produced with what every member consumed, whichever member read it.
//!
//! ```no_run
//! # async fn example() {
//! use std::time::Duration;
//! use integration_tests::group::{member_consumer, wait_until, Member, MemberOptions};
//! use integration_tests::{create_topic, unique_topic};
//!
//! let topic = unique_topic("orders");
//! create_topic(&topic, 2).await;
//! let mut consumer = member_consumer(&unique_topic("g"), &[]).await;
//! consumer.subscribe(&[&topic]).unwrap();
//! let member = Member::spawn("a", consumer, MemberOptions::default());
//! wait_until("a owns both partitions", Duration::from_secs(30), || {
//!     member.assignment().len() == 2
//! })
//! .await;
//! member.close().await.unwrap();
//! # }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use kafkito::consumer::{
    Consumer, ConsumerConfig, ConsumerRecord, OffsetAndMetadata, RebalanceEvent, TopicPartition,
};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use tokio::task::JoinHandle;

use crate::broker;

/// The state and member ids of `group` as the broker describes it (DescribeGroups through
/// our admin client), for tests that wait on the broker's view of a group rather than on time.
/// Panics with the broker's reason when it cannot be described.
pub async fn describe_group(group: &str) -> (String, Vec<String>) {
    use kafkito::admin::{AdminClient, AdminOptions};
    let bootstrap = broker().await.bootstrap();
    let admin = AdminClient::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("default.api.timeout.ms", "10000"),
    ])
    .unwrap_or_else(|e| panic!("admin client: {e}"));
    let mut described = admin
        .describe_groups(&[group], AdminOptions::default())
        .await
        .unwrap_or_else(|e| panic!("describe {group}: {e}"));
    admin.close();
    let description = described
        .remove(group)
        .unwrap_or_else(|| panic!("no description of {group}"))
        .unwrap_or_else(|e| panic!("describe {group}: {e}"));
    let members = description
        .members
        .into_iter()
        .map(|m| m.member_id)
        .collect();
    (description.state, members)
}

/// How long one `poll` of a [`Member`] waits: short, so a stop request and assignment changes
/// are seen quickly.
const POLL_TIMEOUT: Duration = Duration::from_millis(100);
/// A poll or commit slower than this is noted in [`MemberLog::slow_calls`].
const SLOW: Duration = Duration::from_millis(500);

/// A consumer of group `group` with the short timeouts group tests need against tansu
/// (session 6 s, heartbeat 0.5 s, max.poll / rebalance 10 s), `auto.offset.reset=earliest`,
/// auto commit off and `fetch.max.wait.ms=100`; `extra` adds or overrides keys. Turns on
/// [`trace_to_stderr_if_asked`].
pub async fn member_consumer(group: &str, extra: &[(&str, &str)]) -> Consumer {
    trace_to_stderr_if_asked();
    let bootstrap = broker().await.bootstrap();
    let mut props = vec![
        ("bootstrap.servers", bootstrap.as_str()),
        ("group.id", group),
        ("auto.offset.reset", "earliest"),
        ("fetch.max.wait.ms", "100"),
        ("enable.auto.commit", "false"),
        ("default.api.timeout.ms", "20000"),
        ("session.timeout.ms", "6000"),
        ("heartbeat.interval.ms", "500"),
        ("max.poll.interval.ms", "10000"),
    ];
    props.extend_from_slice(extra);
    let config =
        ConsumerConfig::from_properties(props).unwrap_or_else(|e| panic!("consumer config: {e}"));
    Consumer::new(config)
        .await
        .unwrap_or_else(|e| panic!("consumer for group {group}: {e}"))
}

/// The partitions `consumer` owns now.
pub fn owned(consumer: &Consumer) -> BTreeSet<TopicPartition> {
    consumer.assignment().into_iter().collect()
}

/// Polls `consumers` in turn, on the test's own task, until `done` holds (failing after
/// `limit`); returns the records each got and how long it took.
pub async fn poll_until(
    consumers: &mut [&mut Consumer],
    limit: Duration,
    mut done: impl FnMut(&[&mut Consumer], &[Vec<ConsumerRecord>]) -> bool,
) -> (Vec<Vec<ConsumerRecord>>, Duration) {
    let start = Instant::now();
    let mut records = vec![Vec::new(); consumers.len()];
    loop {
        for (i, consumer) in consumers.iter_mut().enumerate() {
            records[i].extend(consumer.poll(POLL_TIMEOUT).await.unwrap());
        }
        if done(consumers, &records) {
            return (records, start.elapsed());
        }
        let owned: Vec<_> = consumers.iter().map(|c| owned(c)).collect();
        assert!(
            start.elapsed() < limit,
            "not done after {limit:?}: assignments {owned:?}"
        );
    }
}

/// Every partition of `topic` (`0..partitions`).
pub fn all_partitions(topic: &str, partitions: i32) -> BTreeSet<TopicPartition> {
    (0..partitions)
        .map(|p| TopicPartition::new(topic, p))
        .collect()
}

/// A record the broker acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Produced {
    /// The partition it went to.
    pub partition: i32,
    /// The offset the broker gave it.
    pub offset: i64,
    /// Its value, `{tag}-p{partition}-{n}`.
    pub value: String,
}

/// A producer with `linger.ms=0` for `bootstrap.servers` of the shared broker.
pub async fn test_producer() -> Producer {
    let bootstrap = broker().await.bootstrap();
    let config = ProducerConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("linger.ms", "0"),
        ("request.timeout.ms", "10000"),
        ("delivery.timeout.ms", "30000"),
    ])
    .unwrap_or_else(|e| panic!("producer config: {e}"));
    Producer::new(config)
        .await
        .unwrap_or_else(|e| panic!("producer: {e}"))
}

/// Writes records `from..from + count` to each of `partitions` partitions, one awaited send at
/// a time, so each record is a batch of its own (tansu's ListOffsets "latest" is only right
/// after single-record batches). Values are `{tag}-p{partition}-{n}`.
pub async fn produce(
    topic: &str,
    tag: &str,
    partitions: i32,
    from: usize,
    count: usize,
) -> Vec<Produced> {
    let producer = test_producer().await;
    let mut out = Vec::new();
    for n in from..from + count {
        for p in 0..partitions {
            out.push(send_one(&producer, topic, tag, p, n).await);
        }
    }
    producer
        .close(Duration::from_secs(5))
        .await
        .unwrap_or_else(|e| panic!("producer close: {e}"));
    out
}

async fn send_one(producer: &Producer, topic: &str, tag: &str, p: i32, n: usize) -> Produced {
    let value = format!("{tag}-p{p}-{n}");
    let record = ProducerRecord::new(topic).partition(p).value(value.clone());
    let delivery = producer
        .send(record)
        .await
        .unwrap_or_else(|e| panic!("send {value}: {e}"));
    let meta = delivery
        .await
        .unwrap_or_else(|e| panic!("delivery of {value}: {e}"));
    assert_eq!(meta.partition, p, "{value} went to the wrong partition");
    Produced {
        partition: p,
        offset: meta.offset,
        value,
    }
}

/// Writes one record to every partition, then waits `every`, until stopped: a steady stream
/// for tests that look at delivery gaps or crash a member mid-stream.
pub struct BackgroundProducer {
    stop: Arc<AtomicBool>,
    task: JoinHandle<Vec<Produced>>,
}

impl BackgroundProducer {
    /// Starts writing `{tag}-p{partition}-{n}` to `partitions` partitions of `topic`.
    pub async fn start(topic: &str, tag: &str, partitions: i32, every: Duration) -> Self {
        let producer = test_producer().await;
        let stop = Arc::new(AtomicBool::new(false));
        let (topic, tag, flag) = (topic.to_owned(), tag.to_owned(), stop.clone());
        let task = tokio::spawn(async move {
            let mut out = Vec::new();
            let mut n = 0;
            while !flag.load(Ordering::Relaxed) {
                for p in 0..partitions {
                    out.push(send_one(&producer, &topic, &tag, p, n).await);
                }
                n += 1;
                tokio::time::sleep(every).await;
            }
            producer
                .close(Duration::from_secs(5))
                .await
                .unwrap_or_else(|e| panic!("producer close: {e}"));
            out
        });
        BackgroundProducer { stop, task }
    }

    /// Stops after the round under way and returns every acknowledged record.
    pub async fn stop(self) -> Vec<Produced> {
        self.stop.store(true, Ordering::Relaxed);
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("background producer did not stop within 30 s")
            .expect("background producer panicked")
    }
}

/// A record a [`Member`] received, with when `poll` returned it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Its partition.
    pub tp: TopicPartition,
    /// Its offset.
    pub offset: i64,
    /// Its value (UTF-8).
    pub value: String,
    /// When `poll` handed it out.
    pub at: Instant,
}

/// Everything a [`Member`] saw, in order.
#[derive(Debug, Clone, Default)]
pub struct MemberLog {
    /// The assignment after the last poll.
    pub assignment: BTreeSet<TopicPartition>,
    /// The records polled.
    pub deliveries: Vec<Delivery>,
    /// The rebalance events, with when `poll` reported them.
    pub events: Vec<(Instant, RebalanceEvent)>,
    /// When the assignment (as seen after a poll) changed, and to what.
    pub assignments: Vec<(Instant, BTreeSet<TopicPartition>)>,
    /// The offset last committed (after processing) per partition.
    pub committed: BTreeMap<TopicPartition, i64>,
    /// Commits that failed (a rebalance under way, partitions lost), as text.
    pub commit_errors: Vec<String>,
    /// Polls and commits that took longer than 500 ms: what, when it started, how long.
    pub slow_calls: Vec<(&'static str, Instant, Duration)>,
    /// Polls that failed, as text.
    pub poll_errors: Vec<String>,
}

impl MemberLog {
    /// The partitions named in `Revoked` events reported at or after `since`.
    pub fn revoked_since(&self, since: Instant) -> BTreeSet<TopicPartition> {
        self.events_since(since, |e| match e {
            RebalanceEvent::Revoked(tps) => Some(tps),
            _ => None,
        })
    }

    /// The partitions named in `Lost` events reported at or after `since`.
    pub fn lost_since(&self, since: Instant) -> BTreeSet<TopicPartition> {
        self.events_since(since, |e| match e {
            RebalanceEvent::Lost(tps) => Some(tps),
            _ => None,
        })
    }

    fn events_since(
        &self,
        since: Instant,
        pick: impl Fn(&RebalanceEvent) -> Option<&Vec<TopicPartition>>,
    ) -> BTreeSet<TopicPartition> {
        self.events
            .iter()
            .filter(|(at, _)| *at >= since)
            .filter_map(|(_, e)| pick(e))
            .flatten()
            .cloned()
            .collect()
    }

    /// The delivery times of `tp`, in order.
    pub fn delivery_times(&self, tp: &TopicPartition) -> Vec<Instant> {
        self.deliveries
            .iter()
            .filter(|d| &d.tp == tp)
            .map(|d| d.at)
            .collect()
    }
}

/// What a [`Member`] does besides polling.
#[derive(Debug, Clone, Default)]
pub struct MemberOptions {
    /// `commit_sync` after each poll that returned records (commit after processing: the
    /// records are in the log before the commit is sent).
    pub commit_after_processing: bool,
}

/// A group member polling on a task of its own until stopped.
pub struct Member {
    name: String,
    log: Arc<Mutex<MemberLog>>,
    stop: Arc<AtomicBool>,
    task: JoinHandle<Consumer>,
}

impl Member {
    /// Starts polling `consumer` (already subscribed) in a loop.
    pub fn spawn(name: &str, mut consumer: Consumer, options: MemberOptions) -> Member {
        let log = Arc::new(Mutex::new(MemberLog::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (task_log, task_stop) = (log.clone(), stop.clone());
        let task = tokio::spawn(async move {
            while !task_stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let polled = consumer.poll(POLL_TIMEOUT).await;
                let at = Instant::now();
                let events = consumer.rebalance_events();
                let assignment: BTreeSet<TopicPartition> =
                    consumer.assignment().into_iter().collect();
                let mut batch = BTreeMap::new();
                {
                    let mut log = lock(&task_log);
                    if at - started > SLOW {
                        log.slow_calls.push(("poll", started, at - started));
                    }
                    log.events.extend(events.into_iter().map(|e| (at, e)));
                    if log.assignments.last().map(|(_, a)| a) != Some(&assignment) {
                        log.assignments.push((at, assignment.clone()));
                    }
                    log.assignment = assignment;
                    match polled {
                        Ok(records) => {
                            for r in records {
                                let tp = r.topic_partition();
                                batch.insert(tp.clone(), r.offset + 1);
                                let value = r
                                    .value
                                    .as_ref()
                                    .map(|v| String::from_utf8_lossy(v).into_owned())
                                    .unwrap_or_default();
                                log.deliveries.push(Delivery {
                                    tp,
                                    offset: r.offset,
                                    value,
                                    at,
                                });
                            }
                        }
                        Err(error) => log.poll_errors.push(error.to_string()),
                    }
                }
                if options.commit_after_processing && !batch.is_empty() {
                    let started = Instant::now();
                    let result = consumer.commit_sync().await;
                    let mut log = lock(&task_log);
                    if started.elapsed() > SLOW {
                        log.slow_calls
                            .push(("commit_sync", started, started.elapsed()));
                    }
                    match result {
                        Ok(()) => log.committed.extend(batch),
                        Err(error) => log.commit_errors.push(error.to_string()),
                    }
                }
            }
            consumer
        });
        Member {
            name: name.to_owned(),
            log,
            stop,
            task,
        }
    }

    /// The member's name (for messages).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the member saw so far (a copy).
    pub fn log(&self) -> MemberLog {
        lock(&self.log).clone()
    }

    /// The assignment after the member's last poll.
    pub fn assignment(&self) -> BTreeSet<TopicPartition> {
        lock(&self.log).assignment.clone()
    }

    /// The values received so far.
    pub fn values(&self) -> Vec<String> {
        lock(&self.log)
            .deliveries
            .iter()
            .map(|d| d.value.clone())
            .collect()
    }

    /// Stops the poll loop (after the poll under way) and hands back the consumer, still a
    /// member of its group.
    pub async fn stop(self) -> (Consumer, MemberLog) {
        self.stop.store(true, Ordering::Relaxed);
        let consumer = tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .unwrap_or_else(|_| panic!("member {} did not stop within 30 s", self.name))
            .unwrap_or_else(|e| panic!("member {} panicked: {e}", self.name));
        let log = lock(&self.log).clone();
        (consumer, log)
    }

    /// Stops polling and closes the consumer (which leaves the group); returns the log.
    pub async fn close(self) -> kafkito::Result<MemberLog> {
        let (consumer, log) = self.stop().await;
        tokio::time::timeout(Duration::from_secs(30), consumer.close())
            .await
            .unwrap_or_else(|_| panic!("close did not finish within 30 s"))?;
        Ok(log)
    }
}

fn lock(log: &Mutex<MemberLog>) -> MutexGuard<'_, MemberLog> {
    // A poisoned log means a panic elsewhere already failed the test; its data is still good.
    log.lock().unwrap_or_else(|p| p.into_inner())
}

/// Waits until `done` holds, checking every 50 ms; panics naming `what` after `limit`.
/// Returns how long it took.
pub async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if done() {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what}: not done after {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether the assignments split `all` exactly: pairwise disjoint, together `all`.
pub fn is_partitioned(
    assignments: &[BTreeSet<TopicPartition>],
    all: &BTreeSet<TopicPartition>,
) -> bool {
    let total: usize = assignments.iter().map(BTreeSet::len).sum();
    let union: BTreeSet<&TopicPartition> = assignments.iter().flatten().collect();
    total == all.len() && union.len() == all.len() && all.iter().all(|tp| union.contains(tp))
}

/// The longest time between consecutive instants of `times` (sorted) that fall inside
/// `[from, to]`, counting the window's edges as instants too: a partition that delivered
/// nothing in the window has a gap as long as the window.
pub fn longest_gap(times: &[Instant], from: Instant, to: Instant) -> Duration {
    let mut points = vec![from];
    points.extend(times.iter().copied().filter(|t| *t >= from && *t <= to));
    points.push(to);
    points
        .windows(2)
        .map(|w| w[1].saturating_duration_since(w[0]))
        .max()
        .unwrap_or_default()
}

/// Prints the SDK's `tracing` events (DEBUG and above, from `kafkito`) to stderr, with
/// the time since the first call, when the environment variable `SCENARIO_TRACE` is set: a
/// timeline of what the group tasks did, for diagnosing a failing scenario without adding a
/// subscriber crate to the harness. Call it at the start of a test; later calls do nothing.
pub fn trace_to_stderr_if_asked() {
    if std::env::var_os("SCENARIO_TRACE").is_none() {
        return;
    }
    let _ = tracing::subscriber::set_global_default(StderrTrace {
        start: Instant::now(),
    });
}

struct StderrTrace {
    start: Instant,
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl tracing::Subscriber for StderrTrace {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        crate::is_client_target(metadata.target()) && *metadata.level() <= tracing::Level::DEBUG
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        eprintln!(
            "{:>9.3} {:?} {}:{}",
            self.start.elapsed().as_secs_f64(),
            std::thread::current().id(),
            event.metadata().target(),
            fields.0
        );
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// The committed offsets of [`Consumer::committed`](kafkito::consumer::Consumer::committed)
/// without their metadata strings, for comparing with positions.
pub fn offsets_only<S: std::hash::BuildHasher + Default>(
    committed: std::collections::HashMap<TopicPartition, Option<OffsetAndMetadata>, S>,
) -> std::collections::HashMap<TopicPartition, Option<i64>> {
    committed
        .into_iter()
        .map(|(tp, found)| (tp, found.map(|c| c.offset)))
        .collect()
}
