//! Randomized fault schedules on the in-process cluster (issue 19).
//!
//! Proven on: kafkito-testkit (in-process, 3 brokers, every topic 3 partitions with 3 replicas),
//! the only broker whose faults can be combined at will while our clients run. Each seed
//! draws a schedule ([`schedule::generate`]) of leader moves, broker stops and starts,
//! connection drops, added latency, retriable and fatal injected errors, coordinator moves,
//! ISR shrinks and expansions, and member crashes, and plays it against one workload:
//!
//! - **idempotent producer** (acks=all, 5 in flight): librdkafka reads every partition back;
//!   each acknowledged record is there exactly once at the offset its ack named, each
//!   partition holds its records in send order and none twice (so an unacknowledged record is
//!   absent or present once), every send got an answer, and a fatal error that hit did fail
//!   some record;
//! - **consume-transform-produce** with transactions and a group of three (classic, and
//!   KIP-848): librdkafka's read_committed consumer reads the output: every input record's
//!   transform exactly once (so no aborted record is visible); the group's committed offsets,
//!   sampled from the cluster while the run goes on, never move backwards and end at the end
//!   of the input;
//! - **at-least-once group** of three (classic or KIP-848 by the seed): every record
//!   librdkafka reads from the input was processed by some member; no partition was owned by
//!   two members in the same generation (from each member's rebalance listener).
//!
//! `SEED=<n>` replays one seed (and shrinks its schedule if it fails); `CHAOS_SEEDS=<n>` runs
//! seeds 1..=n; otherwise the fixed CI set [`CI_SEEDS`] runs. `CHAOS_KEEP=i,j,...` replays only
//! those steps of `SEED`'s schedule (what a shrink prints); `CHAOS_PRINT=1` prints every
//! schedule before it runs. The run prints, as its last line,
//! `seeds=N anomalies=A`; `scripts/chaos` wraps it. What stays nondeterministic: see
//! `integration-tests/README.md` ("Chaos").

// Our consumer's poll future needs more than the default 128 to lay out.
#![recursion_limit = "256"]

#[path = "chaos/schedule.rs"]
mod schedule;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use kafkito::consumer::{Consumer, ConsumerConfig, RebalanceListener, TopicPartition};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito_testkit::{ApiKey, Cluster, Fault, FaultHandle};
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::KafkaError;
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use schedule::{generate, Action, Kind, Schedule, Step, Targets, Workload};
use tokio::sync::mpsc;

const BROKERS: i32 = 3;
const PARTITIONS: i32 = 3;
/// The seeds CI runs: three of each workload (the seed picks it, `seed % 4`).
const CI_SEEDS: &[u64] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
/// Records the idempotent producer sends over the schedule's window.
const PRODUCER_RECORDS: usize = 1_200;
/// Input records of the group workloads.
const INPUT_RECORDS: usize = 600;
/// Records a group member takes per poll (`max.poll.records`).
const PER_POLL: usize = 4;
/// A group member polls at most this often, so that three members spread the input over
/// the schedule's window and the faults land while the work goes on.
const POLL_PACE: Duration =
    Duration::from_millis(schedule::WINDOW_MS * 3 * PER_POLL as u64 / INPUT_RECORDS as u64);
/// Bound on any one wait on the cluster (a rebalance, a failover, the end of a read).
const WAIT: Duration = Duration::from_secs(60);
/// Bound on a whole seed: past it the seed is an anomaly (no progress).
const SEED_BOUND: Duration = Duration::from_secs(150);

/// Fault kind → how often it took effect (injected errors: the FaultHandles' hits; the other
/// controls: how often the cluster accepted them; crashes: members killed).
type Hits = BTreeMap<Kind, u64>;

/// What one seed found.
struct SeedOutcome {
    anomalies: Vec<String>,
    hits: Hits,
}

fn seeds_from_env() -> Vec<u64> {
    if let Ok(seed) = std::env::var("SEED") {
        return vec![seed.trim().parse().expect("SEED must be a number")];
    }
    if let Ok(n) = std::env::var("CHAOS_SEEDS") {
        let n: u64 = n.trim().parse().expect("CHAOS_SEEDS must be a number");
        return (1..=n).collect();
    }
    CI_SEEDS.to_vec()
}

/// Which steps of the schedule to keep (`CHAOS_KEEP=0,3,7`), for replaying a shrunk schedule.
fn keep_from_env() -> Option<Vec<usize>> {
    let keep = std::env::var("CHAOS_KEEP").ok()?;
    Some(
        keep.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse().expect("CHAOS_KEEP: step indices"))
            .collect(),
    )
}

fn targets(seed: u64, workload: Workload) -> Targets {
    match workload {
        Workload::IdempotentProducer => Targets {
            topics: vec![("idem".into(), PARTITIONS)],
            coordinator_keys: vec![],
            members: 0,
            brokers: BROKERS,
        },
        Workload::TransactionsClassic | Workload::TransactionsKip848 => Targets {
            topics: vec![("in".into(), PARTITIONS), ("out".into(), PARTITIONS)],
            coordinator_keys: std::iter::once(group_id(seed))
                .chain((0..3).map(|slot| txn_id(seed, slot)))
                .collect(),
            members: 3,
            brokers: BROKERS,
        },
        Workload::AtLeastOnce => Targets {
            topics: vec![("in".into(), PARTITIONS)],
            coordinator_keys: vec![group_id(seed)],
            members: 3,
            brokers: BROKERS,
        },
    }
}

fn group_id(seed: u64) -> String {
    format!("chaos-{seed}")
}

fn txn_id(seed: u64, slot: usize) -> String {
    format!("chaos-{seed}-txn-{slot}")
}

/// The schedule a seed plays: drawn from the seed, then cut to `keep` when given.
fn schedule_for(seed: u64, keep: Option<&[usize]>) -> Schedule {
    let workload = Workload::of_seed(seed);
    let mut s = generate(seed, workload, &targets(seed, workload));
    if let Some(keep) = keep {
        s.steps = s
            .steps
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, step)| step)
            .collect();
    }
    s
}

/// kafkito-testkit (3 brokers, 3 partitions × 3 replicas per topic), checked by librdkafka:
/// every seed of the run holds every invariant of its workload under its fault schedule.
/// Prints each failing seed with its schedule, the coverage table, and
/// `seeds=N anomalies=A` last.
#[test]
fn randomized_fault_schedules_hold_every_invariant() {
    let seeds = seeds_from_env();
    let keep = keep_from_env();
    let replay = std::env::var("SEED").is_ok();
    let mut anomalies = 0usize;
    let mut coverage: BTreeMap<Workload, Hits> = BTreeMap::new();
    let started = Instant::now();
    for &seed in &seeds {
        let schedule = schedule_for(seed, keep.as_deref());
        if std::env::var("CHAOS_PRINT").is_ok_and(|v| v == "1") {
            print!("{schedule}");
        }
        let t0 = Instant::now();
        let outcome = run_seed(&schedule);
        let cov = coverage.entry(schedule.workload).or_default();
        for (k, n) in &outcome.hits {
            *cov.entry(*k).or_default() += n;
        }
        if outcome.anomalies.is_empty() {
            println!(
                "chaos: seed {seed} {} ok in {:.1}s",
                schedule.workload.short(),
                t0.elapsed().as_secs_f64()
            );
            continue;
        }
        anomalies += 1;
        println!("chaos: ANOMALY seed {seed}\n{schedule}");
        for a in &outcome.anomalies {
            println!("  anomaly: {a}");
        }
        println!("  replay: SEED={seed} scripts/chaos");
        if replay || std::env::var("CHAOS_SHRINK").is_ok_and(|v| v == "1") {
            shrink(&schedule);
        }
    }
    print_coverage(&coverage);
    println!(
        "chaos: {} seeds in {:.0}s",
        seeds.len(),
        started.elapsed().as_secs_f64()
    );
    println!("seeds={} anomalies={anomalies}", seeds.len());
    assert_eq!(anomalies, 0, "some seeds broke an invariant (see above)");
}

/// Drops steps one at a time while the run still fails, and prints the smallest failing
/// schedule found with the `CHAOS_KEEP` that replays it. A pass after a removal may be luck
/// (the run is not fully deterministic), so the result is a small failing schedule, not
/// necessarily the smallest.
fn shrink(schedule: &Schedule) {
    let mut kept: Vec<usize> = (0..schedule.steps.len()).collect();
    let mut i = 0;
    while i < kept.len() {
        let mut candidate = kept.clone();
        candidate.remove(i);
        let mut s = schedule.clone();
        s.steps = candidate
            .iter()
            .map(|&j| schedule.steps[j].clone())
            .collect();
        let outcome = run_seed(&s);
        if outcome.anomalies.is_empty() {
            i += 1;
        } else {
            println!(
                "chaos: shrink: still fails without step {} ({} left)",
                kept[i],
                candidate.len()
            );
            kept = candidate;
        }
    }
    let mut s = schedule.clone();
    s.steps = kept.iter().map(|&j| schedule.steps[j].clone()).collect();
    let keep: Vec<String> = kept.iter().map(|k| k.to_string()).collect();
    println!(
        "chaos: shrunk schedule:\n{s}  replay: SEED={} CHAOS_KEEP={} scripts/chaos",
        schedule.seed,
        keep.join(",")
    );
}

fn print_coverage(coverage: &BTreeMap<Workload, Hits>) {
    let mut header = format!("| {:<18} |", "fault kind");
    for w in Workload::ALL {
        header.push_str(&format!(" {:>13} |", w.short()));
    }
    println!("chaos: coverage (times each fault kind took effect)");
    println!("{header}");
    println!("|{}|", ["---"; 5].join("|"));
    for k in Kind::ALL {
        let mut row = format!("| {:<18} |", k.name());
        for w in Workload::ALL {
            let n = coverage
                .get(&w)
                .and_then(|h| h.get(&k))
                .copied()
                .unwrap_or(0);
            row.push_str(&format!(" {n:>13} |"));
        }
        println!("{row}");
    }
}

/// Runs one schedule on a fresh cluster and runtime. A panic or a hang of the workload is an
/// anomaly too.
fn run_seed(schedule: &Schedule) -> SeedOutcome {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let schedule = schedule.clone();
    let outcome = runtime.block_on(async move {
        let hits = Arc::new(Mutex::new(Hits::new()));
        let task = tokio::spawn(run_workload(schedule, hits.clone()));
        let result = tokio::time::timeout(SEED_BOUND, task).await;
        let anomalies = match result {
            Ok(Ok(anomalies)) => anomalies,
            Ok(Err(join)) => vec![format!("workload panicked: {}", panic_message(join))],
            Err(_) => vec![format!("no progress: the seed ran past {SEED_BOUND:?}")],
        };
        let hits = hits.lock().unwrap().clone();
        SeedOutcome { anomalies, hits }
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    outcome
}

fn panic_message(join: tokio::task::JoinError) -> String {
    match join.try_into_panic() {
        Ok(p) => any_message(&*p),
        Err(e) => e.to_string(),
    }
}

async fn build_cluster(workload: Workload) -> Arc<Cluster> {
    let cluster = Cluster::builder()
        .brokers(BROKERS as usize)
        // Members killed without a leave must be noticed within seconds, not 45.
        .group_min_session_timeout_ms(1_000)
        .consumer_heartbeat_interval_ms(300)
        .consumer_session_timeout_ms(3_000)
        .build()
        .await
        .unwrap();
    for (topic, partitions) in targets(0, workload).topics {
        cluster
            .create_topic_with_config(&topic, partitions, 3, &[("min.insync.replicas", "2")])
            .unwrap();
    }
    Arc::new(cluster)
}

async fn run_workload(schedule: Schedule, hits: Arc<Mutex<Hits>>) -> Vec<String> {
    let cluster = build_cluster(schedule.workload).await;
    match schedule.workload {
        Workload::IdempotentProducer => idempotent_producer(cluster, schedule, hits).await,
        Workload::TransactionsClassic | Workload::TransactionsKip848 => {
            transactions(cluster, schedule, hits).await
        }
        Workload::AtLeastOnce => at_least_once(cluster, schedule, hits).await,
    }
}

// ---------------------------------------------------------------------------------------
// Playing a schedule
// ---------------------------------------------------------------------------------------

/// Plays `steps` against `cluster` on the schedule's clock (each step at its offset from
/// the start: this is the schedule itself, not a wait for a condition), sends member crashes
/// to `crashes`, then heals what is still broken (stopped brokers, latency, shrunk ISRs) so
/// the workload can finish. Counts what took effect into `hits`.
async fn play(
    cluster: Arc<Cluster>,
    steps: Vec<Step>,
    crashes: Option<mpsc::UnboundedSender<usize>>,
    hits: Arc<Mutex<Hits>>,
) -> Vec<(Kind, FaultHandle)> {
    let start = tokio::time::Instant::now();
    let mut handles: Vec<(Kind, FaultHandle)> = Vec::new();
    let mut stopped: BTreeSet<i32> = BTreeSet::new();
    let mut latencies: BTreeSet<(ApiKey, i32)> = BTreeSet::new();
    let count = |kind: Kind| *hits.lock().unwrap().entry(kind).or_default() += 1;
    for step in steps {
        // The schedule's own clock: each fault is applied at its drawn time (this is the
        // chaos itself, not a wait for the cluster).
        tokio::time::sleep_until(start + step.at).await;
        let kind = step.action.kind();
        let applied = match &step.action {
            Action::MoveLeader {
                topic,
                partition,
                to,
            } => cluster.move_leader(topic, *partition, *to).is_ok(),
            Action::StopBroker(b) => {
                let ok = cluster.stop_broker(*b).is_ok();
                if ok {
                    stopped.insert(*b);
                }
                ok
            }
            Action::StartBroker(b) => {
                if stopped.remove(b) {
                    cluster.start_broker(*b).await.unwrap();
                }
                false // the stop counted
            }
            Action::DropConnections(b) => cluster.drop_connections(*b).is_ok(),
            Action::Latency { api, broker, ms } => {
                cluster.set_latency(*api, Some(*broker), Duration::from_millis(*ms));
                latencies.insert((*api, *broker));
                true
            }
            Action::ClearLatency { api, broker } => {
                cluster.set_latency(*api, Some(*broker), Duration::ZERO);
                latencies.remove(&(*api, *broker));
                false
            }
            Action::Inject(i) => {
                let mut fault = Fault::new(i.api, i.error).times(i.times);
                if let Some(b) = i.broker {
                    fault = fault.broker(b);
                }
                if let Some((t, p)) = &i.partition {
                    fault = fault.partition(t.clone(), *p);
                }
                if i.after_processing {
                    fault = fault.after_processing();
                }
                handles.push((kind, cluster.inject(fault)));
                false // counted by its hits
            }
            Action::MoveCoordinator { key, to } => {
                !stopped.contains(to) && cluster.move_coordinator(key, *to).is_ok()
            }
            Action::ShrinkIsr { topic, partition } => cluster
                .leader(topic, *partition)
                .is_some_and(|(leader, _)| {
                    leader >= 0 && cluster.set_isr(topic, *partition, &[leader]).is_ok()
                }),
            Action::ExpandIsr { topic, partition } => {
                expand_isr(&cluster, topic, *partition, &stopped);
                false
            }
            Action::CrashMember(slot) => crashes.as_ref().is_some_and(|c| c.send(*slot).is_ok()),
        };
        tracing::info!(step = %step.action, applied, "chaos step");
        // A crash is counted by the supervisor once the member is really gone.
        if applied && kind != Kind::MemberCrash {
            count(kind);
        }
    }
    // Heal: the workload must be able to finish whatever the (maybe shrunk) schedule left.
    for b in std::mem::take(&mut stopped) {
        cluster.start_broker(b).await.unwrap();
    }
    for (api, b) in latencies {
        cluster.set_latency(api, Some(b), Duration::ZERO);
    }
    for topic in cluster.topics() {
        for p in 0..cluster.partition_count(&topic).unwrap_or(0) as i32 {
            expand_isr(&cluster, &topic, p, &stopped);
        }
    }
    // Injected errors still armed may yet fire: their hits are read when the workload ends.
    handles
}

/// Adds the hits of a seed's injected errors to `hits`.
fn count_injected(handles: Vec<(Kind, FaultHandle)>, hits: &Mutex<Hits>) {
    let mut hits = hits.lock().unwrap();
    for (kind, handle) in handles {
        *hits.entry(kind).or_default() += u64::from(handle.hits());
    }
}

fn expand_isr(cluster: &Cluster, topic: &str, partition: i32, stopped: &BTreeSet<i32>) {
    let live: Vec<i32> = (0..BROKERS).filter(|b| !stopped.contains(b)).collect();
    let _ = cluster.set_isr(topic, partition, &live);
}

// ---------------------------------------------------------------------------------------
// The independent reader
// ---------------------------------------------------------------------------------------

/// A record as librdkafka read it.
#[derive(Debug, Clone)]
struct Read {
    partition: i32,
    offset: i64,
    key: String,
}

/// librdkafka's consumer at `isolation`, assigned every partition of `topic` from the
/// beginning, polled until every partition reported its end (`enable.partition.eof`) with
/// nothing after it, within [`WAIT`]. Blocking: call through `spawn_blocking`.
fn rd_read(bootstrap: &str, topic: &str, isolation: &str) -> Result<Vec<Read>, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "chaos-reader")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", isolation)
        .create()
        .map_err(|e| format!("librdkafka consumer: {e}"))?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + WAIT;
    let mut at_eof = BTreeMap::new();
    let mut out = Vec::new();
    while at_eof.values().filter(|eof| **eof).count() < PARTITIONS as usize {
        if Instant::now() > deadline {
            return Err(format!(
                "librdkafka {isolation} reader of {topic}: no end on every partition: {at_eof:?}"
            ));
        }
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_eof.insert(p, true);
            }
            Some(Err(e)) => return Err(format!("librdkafka {isolation} reader: {e}")),
            Some(Ok(m)) => {
                at_eof.insert(m.partition(), false);
                out.push(Read {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                });
            }
        }
    }
    Ok(out)
}

async fn read_back(cluster: &Cluster, topic: &str, isolation: &str) -> Result<Vec<Read>, String> {
    // The reader stops at the end it sees: wait (bounded) until every open transaction is
    // over, so read_committed's end is the log's end.
    let deadline = Instant::now() + WAIT;
    let mut changes = cluster.changes();
    loop {
        let settled = (0..PARTITIONS).all(|p| {
            cluster.last_stable_offset(topic, p) == cluster.offsets(topic, p).map(|o| o.1)
        });
        if settled {
            break;
        }
        if !changes.next(deadline).await {
            return Err(format!("{topic}: a transaction stayed open past {WAIT:?}"));
        }
    }
    let bootstrap = cluster.bootstrap();
    let (topic, isolation) = (topic.to_owned(), isolation.to_owned());
    tokio::task::spawn_blocking(move || rd_read(&bootstrap, &topic, &isolation))
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Workload 1: the idempotent producer
// ---------------------------------------------------------------------------------------

fn record_key(seed: u64, i: usize) -> String {
    format!("s{seed}-{i:05}")
}

async fn idempotent_producer(
    cluster: Arc<Cluster>,
    schedule: Schedule,
    hits: Arc<Mutex<Hits>>,
) -> Vec<String> {
    let seed = schedule.seed;
    let topic = "idem";
    let bootstrap = cluster.bootstrap();
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("max.in.flight.requests.per.connection", "5"),
            ("linger.ms", "5"),
            ("batch.size", "2048"),
            ("retry.backoff.ms", "20"),
            ("request.timeout.ms", "3000"),
            ("delivery.timeout.ms", "30000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let player = tokio::spawn(play(
        cluster.clone(),
        schedule.steps.clone(),
        None,
        hits.clone(),
    ));

    // Send at a steady pace over the schedule's window, so faults land mid-stream.
    let mut acks = Vec::with_capacity(PRODUCER_RECORDS);
    let mut refused: Vec<(usize, String)> = Vec::new();
    let per_tick = 3;
    let mut tick = tokio::time::interval(Duration::from_millis(
        schedule::WINDOW_MS / (PRODUCER_RECORDS / per_tick) as u64,
    ));
    for i in 0..PRODUCER_RECORDS {
        if i % per_tick == 0 {
            tick.tick().await;
        }
        let record = ProducerRecord::new(topic)
            .partition(i as i32 % PARTITIONS)
            .key(record_key(seed, i))
            .value(format!("{i}"));
        match producer.send(record).await {
            Ok(ack) => acks.push((i, tokio::spawn(ack))),
            Err(e) => refused.push((i, e.to_string())),
        }
    }
    let handles = player.await.unwrap();
    let mut anomalies = Vec::new();
    // Every send is answered: delivery.timeout.ms bounds each, WAIT bounds the rest.
    let mut acked: HashMap<usize, (i32, i64)> = HashMap::new();
    let mut failed: BTreeMap<usize, String> = BTreeMap::new();
    for (i, ack) in acks {
        match tokio::time::timeout(WAIT, ack).await {
            Ok(Ok(Ok(meta))) => {
                acked.insert(i, (meta.partition, meta.offset));
            }
            Ok(Ok(Err(e))) => {
                failed.insert(i, e.to_string());
            }
            Ok(Err(join)) => anomalies.push(format!("record {i}: ack task failed: {join}")),
            Err(_) => anomalies.push(format!("record {i}: no answer within {WAIT:?}")),
        }
    }
    failed.extend(refused);
    let _ = producer.close(Duration::from_secs(10)).await;
    count_injected(handles, &hits);

    let read = match read_back(&cluster, topic, "read_uncommitted").await {
        Ok(r) => r,
        Err(e) => {
            anomalies.push(e);
            return anomalies;
        }
    };
    let index_of = |key: &str| -> Option<usize> {
        key.strip_prefix(&format!("s{seed}-"))
            .and_then(|n| n.parse().ok())
    };
    let mut seen: HashMap<usize, Vec<(i32, i64)>> = HashMap::new();
    let mut per_partition: BTreeMap<i32, Vec<(i64, usize)>> = BTreeMap::new();
    for r in &read {
        match index_of(&r.key) {
            Some(i) => {
                seen.entry(i).or_default().push((r.partition, r.offset));
                per_partition
                    .entry(r.partition)
                    .or_default()
                    .push((r.offset, i));
            }
            None => anomalies.push(format!("foreign record {r:?}")),
        }
    }
    for (i, at) in &acked {
        match seen.get(i).map(Vec::as_slice) {
            None => anomalies.push(format!("acknowledged record {i} (at {at:?}) is lost")),
            Some([one]) if one == at => {}
            Some([one]) => anomalies.push(format!(
                "acknowledged record {i}: ack said {at:?}, the log holds it at {one:?}"
            )),
            Some(many) => anomalies.push(format!(
                "acknowledged record {i} is in the log {} times: {many:?}",
                many.len()
            )),
        }
    }
    for (i, why) in &failed {
        if let Some(many) = seen.get(i).filter(|v| v.len() > 1) {
            anomalies.push(format!(
                "unacknowledged record {i} ({why}) is in the log {} times: {many:?}",
                many.len()
            ));
        }
    }
    for (p, mut records) in per_partition {
        records.sort_unstable();
        for pair in records.windows(2) {
            if pair[1].1 <= pair[0].1 {
                anomalies.push(format!(
                    "partition {p}: record {} at offset {} after record {} at offset {}: not send order",
                    pair[1].1, pair[1].0, pair[0].1, pair[0].0
                ));
            }
        }
    }
    let fatal_hits = hits
        .lock()
        .unwrap()
        .get(&Kind::FatalError)
        .copied()
        .unwrap_or(0);
    if fatal_hits > 0 && failed.is_empty() {
        anomalies.push(format!(
            "{fatal_hits} fatal Produce errors hit but the producer reported no failure"
        ));
    }
    tracing::info!(
        seed,
        acked = acked.len(),
        failed = failed.len(),
        read = read.len(),
        "idempotent producer done"
    );
    anomalies
}

// ---------------------------------------------------------------------------------------
// Members: one runtime each, so a crash can kill one without a leave
// ---------------------------------------------------------------------------------------

/// A member running on a runtime of its own, in a thread of its own. `crash` tears the
/// runtime down from under it: its tasks stop where they are and its sockets close, and
/// nothing is sent to the broker (no LeaveGroup, no EndTxn), as when a process is killed.
struct MemberThread {
    crash: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

type MemberBody = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

fn spawn_member(name: String, body: MemberBody) -> MemberThread {
    let (crash, crashed) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                tokio::select! {
                    // Crashed: returning drops the member mid-flight; the runtime below is
                    // shut down before any of its tasks runs again (no leave goes out).
                    _ = crashed => {}
                    () = body() => {}
                }
            });
            runtime.shutdown_background();
        })
        .unwrap();
    MemberThread { crash, thread }
}

/// Runs `slots` members made by `make(slot, incarnation)`, replaces a member that
/// `crashes` names with a new incarnation after killing it, and stops when `stop` is set
/// (members see `stop` and close in good order).
async fn supervise(
    cluster: Arc<Cluster>,
    slots: usize,
    make: Arc<dyn Fn(usize, u32) -> MemberBody + Send + Sync>,
    mut crashes: mpsc::UnboundedReceiver<usize>,
    stop: Arc<Stop>,
    hits: Arc<Mutex<Hits>>,
) -> Vec<String> {
    let mut anomalies = Vec::new();
    let mut members: Vec<(u32, Option<MemberThread>)> = (0..slots)
        .map(|slot| {
            (
                0,
                Some(spawn_member(format!("member-{slot}"), make(slot, 0))),
            )
        })
        .collect();
    loop {
        tokio::select! {
            Some(slot) = crashes.recv() => {
                let (incarnation, member) = &mut members[slot];
                if let Some(m) = member.take() {
                    // A crash is not a leave: no LeaveGroup may go out while it happens
                    // (the members that live on leave only when the run stops).
                    let leaves = cluster.total_requests(ApiKey::LeaveGroup);
                    let _ = m.crash.send(());
                    let joined = tokio::task::spawn_blocking(move || m.thread.join()).await.unwrap();
                    if let Err(p) = joined {
                        anomalies.push(format!("member {slot} panicked: {}", any_message(&*p)));
                    }
                    if cluster.total_requests(ApiKey::LeaveGroup) != leaves {
                        anomalies.push(format!("the crash of member {slot} sent a LeaveGroup"));
                    }
                    *hits.lock().unwrap().entry(Kind::MemberCrash).or_default() += 1;
                }
                *incarnation += 1;
                *member = Some(spawn_member(format!("member-{slot}"), make(slot, *incarnation)));
            }
            () = stop.notify.notified() => break,
        }
    }
    for (slot, (_, member)) in members.into_iter().enumerate() {
        if let Some(m) = member {
            let joined = tokio::task::spawn_blocking(move || m.thread.join())
                .await
                .unwrap();
            if let Err(p) = joined {
                anomalies.push(format!("member {slot} panicked: {}", any_message(&*p)));
            }
        }
    }
    anomalies
}

fn any_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "non-string panic".into())
}

/// Tells the members (which look at it between polls) and the supervisor (which waits for
/// it) that the run is over.
#[derive(Default)]
struct Stop {
    set: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Stop {
    fn set(&self) {
        self.set.store(true, Ordering::SeqCst);
        // One waiter (the supervisor); the permit is kept if it is not waiting yet.
        self.notify.notify_one();
    }

    fn is_set(&self) -> bool {
        self.set.load(Ordering::SeqCst)
    }
}

/// Writes the group workloads' input: `INPUT_RECORDS` records `in-{i}` over the partitions,
/// before the schedule starts, and checks the cluster holds them all.
async fn write_input(cluster: &Cluster, seed: u64) {
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", cluster.bootstrap().as_str()),
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("linger.ms", "5"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let mut acks = Vec::new();
    for i in 0..INPUT_RECORDS {
        let record = ProducerRecord::new("in")
            .partition(i as i32 % PARTITIONS)
            .key(record_key(seed, i))
            .value(format!("{i}"));
        acks.push(producer.send(record).await.unwrap());
    }
    for ack in acks {
        ack.await.unwrap();
    }
    producer.close(Duration::from_secs(10)).await.unwrap();
    let held: i64 = (0..PARTITIONS)
        .map(|p| cluster.offsets("in", p).unwrap().1)
        .sum();
    assert_eq!(held, INPUT_RECORDS as i64, "input written");
}

fn consumer_config(bootstrap: &str, group: &str, kip848: bool, isolation: &str) -> ConsumerConfig {
    let per_poll = PER_POLL.to_string();
    let mut props = vec![
        ("bootstrap.servers", bootstrap),
        ("group.id", group),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
        ("isolation.level", isolation),
        ("fetch.max.wait.ms", "100"),
        ("max.poll.records", per_poll.as_str()),
        ("retry.backoff.ms", "50"),
        ("request.timeout.ms", "5000"),
        ("default.api.timeout.ms", "10000"),
    ];
    if kip848 {
        props.push(("group.protocol", "consumer"));
    } else {
        props.extend([
            ("session.timeout.ms", "3000"),
            ("heartbeat.interval.ms", "300"),
            ("max.poll.interval.ms", "15000"),
        ]);
    }
    ConsumerConfig::from_properties(props).unwrap()
}

/// Waits (bounded) until the group's committed offsets reach the end of the input on every
/// partition. Returns what is missing when the bound passes.
async fn wait_committed_to_end(cluster: &Cluster, group: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut changes = cluster.changes();
    loop {
        let behind: Vec<(i32, Option<i64>, i64)> = (0..PARTITIONS)
            .map(|p| {
                (
                    p,
                    cluster.committed_offset(group, "in", p),
                    cluster.offsets("in", p).unwrap().1,
                )
            })
            .filter(|(_, c, end)| *c != Some(*end))
            .collect();
        if behind.is_empty() {
            return Ok(());
        }
        if !changes.next(deadline).await {
            return Err(format!(
                "no progress: group {group} committed offsets (partition, committed, end) {behind:?}"
            ));
        }
    }
}

/// Reads the group's committed offsets after every change of the cluster's state until
/// `stop`, reporting any that moved backwards. Changes that land together before the watcher
/// runs are seen as one, so a regression undone within them can be missed; it never reports
/// one that did not happen.
async fn watch_commits(cluster: Arc<Cluster>, group: String, stop: Arc<Stop>) -> Vec<String> {
    let mut last: BTreeMap<i32, i64> = BTreeMap::new();
    let mut anomalies = Vec::new();
    let mut changes = cluster.changes();
    while !stop.is_set() {
        for p in 0..PARTITIONS {
            if let Some(now) = cluster.committed_offset(&group, "in", p) {
                if let Some(&before) = last.get(&p) {
                    if now < before {
                        anomalies.push(format!(
                            "committed offset of in-{p} moved backwards: {before} -> {now}"
                        ));
                    }
                }
                last.insert(p, now);
            }
        }
        // Look again after the next change of the cluster's state (a commit, a marker), or
        // when told to stop.
        tokio::select! {
            _ = changes.next(Instant::now() + WAIT) => {}
            () = stop.notify.notified() => {}
        }
    }
    anomalies
}

// ---------------------------------------------------------------------------------------
// Workload 2: consume-transform-produce with transactions, a group of three
// ---------------------------------------------------------------------------------------

/// Counters the members of the transactional workload share.
#[derive(Default)]
struct TxnStats {
    commits: AtomicU64,
    aborts: AtomicU64,
    new_producers: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
}

impl TxnStats {
    fn error(&self, what: &str, e: &kafkito::Error) {
        let key = format!("{what}: {}", short_error(e));
        *self.errors.lock().unwrap().entry(key).or_default() += 1;
    }
}

fn short_error(e: &kafkito::Error) -> String {
    let s = e.to_string();
    s.chars().take(120).collect()
}

async fn txn_producer(bootstrap: &str, id: &str) -> kafkito::Result<Producer> {
    let producer = Producer::new(ProducerConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("transactional.id", id),
        ("linger.ms", "2"),
        ("retry.backoff.ms", "20"),
        ("request.timeout.ms", "3000"),
        ("delivery.timeout.ms", "20000"),
        ("max.block.ms", "15000"),
        ("transaction.timeout.ms", "10000"),
    ])?)
    .await?;
    producer.init_transactions().await?;
    Ok(producer)
}

/// One member of the transactional workload: poll, write each record's transform to `out`
/// (same partition, key `out-{key}`), add the consumed offsets to the transaction, commit.
/// On an abortable error it aborts and rewinds to the group's committed offsets; on a fatal
/// one it starts a new producer with the same transactional id (fencing the old).
async fn txn_member(
    bootstrap: String,
    group: String,
    kip848: bool,
    id: String,
    stop: Arc<Stop>,
    stats: Arc<TxnStats>,
) {
    let mut consumer = Consumer::new(consumer_config(
        &bootstrap,
        &group,
        kip848,
        "read_committed",
    ))
    .await
    .unwrap();
    consumer.subscribe(&["in"]).unwrap();
    let mut producer: Option<Producer> = None;
    let mut pace = tokio::time::interval(POLL_PACE);
    while !stop.is_set() {
        pace.tick().await;
        let p = match &producer {
            Some(p) => p.clone(),
            None => match txn_producer(&bootstrap, &id).await {
                Ok(p) => {
                    stats.new_producers.fetch_add(1, Ordering::SeqCst);
                    producer = Some(p.clone());
                    p
                }
                Err(e) => {
                    stats.error("init", &e);
                    continue;
                }
            },
        };
        let records = match consumer.poll(Duration::from_millis(200)).await {
            Ok(r) => r,
            Err(e) => {
                stats.error("poll", &e);
                continue;
            }
        };
        if records.is_empty() {
            continue;
        }
        let result: kafkito::Result<()> = async {
            p.begin_transaction()?;
            let mut next: HashMap<TopicPartition, i64> = HashMap::new();
            for r in &records {
                let key = String::from_utf8_lossy(r.key.as_deref().unwrap_or_default());
                let out = ProducerRecord::new("out")
                    .partition(r.partition)
                    .key(format!("out-{key}"))
                    .value(r.value.clone().unwrap_or_default());
                // The acks are checked by commit_transaction, which fails if any failed.
                drop(p.send(out).await?);
                let tp = TopicPartition::new(r.topic.as_ref(), r.partition);
                let n = next.entry(tp).or_insert(0);
                *n = (*n).max(r.offset + 1);
            }
            p.send_offsets_to_transaction(&next, &consumer.group_metadata()?)
                .await?;
            p.commit_transaction().await
        }
        .await;
        match result {
            Ok(()) => {
                stats.commits.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => {
                stats.error("transaction", &e);
                let aborted = if e.is_fatal_for_producer() {
                    false
                } else {
                    match p.abort_transaction().await {
                        Ok(()) => true,
                        Err(e) => {
                            stats.error("abort", &e);
                            false
                        }
                    }
                };
                if aborted {
                    stats.aborts.fetch_add(1, Ordering::SeqCst);
                } else {
                    // A new producer with the same transactional id fences this one and
                    // aborts whatever it left open.
                    let _ = p.close(Duration::from_secs(1)).await;
                    producer = None;
                }
                // Start again from what the group committed (retried: positions must not
                // stay after the aborted records).
                rewind_to_committed(&mut consumer, &stop, &stats).await;
            }
        }
    }
    if let Some(p) = producer {
        let _ = p.close(Duration::from_secs(5)).await;
    }
    let _ = consumer.close().await;
}

/// Seeks every assigned partition back to the group's committed offset (the beginning when
/// none), retrying the lookup until it answers or the run stops.
async fn rewind_to_committed(consumer: &mut Consumer, stop: &Stop, stats: &TxnStats) {
    while !stop.is_set() {
        let assigned = consumer.assignment();
        match consumer.committed(&assigned).await {
            Ok(committed) => {
                for tp in &assigned {
                    let at = committed
                        .get(tp)
                        .and_then(|c| c.as_ref().map(|c| c.offset))
                        .unwrap_or(0);
                    let _ = consumer.seek(tp, at);
                }
                return;
            }
            Err(e) => stats.error("committed", &e),
        }
    }
}

async fn transactions(
    cluster: Arc<Cluster>,
    schedule: Schedule,
    hits: Arc<Mutex<Hits>>,
) -> Vec<String> {
    let seed = schedule.seed;
    let kip848 = schedule.workload == Workload::TransactionsKip848;
    write_input(&cluster, seed).await;
    let group = group_id(seed);
    let bootstrap = cluster.bootstrap();
    let stop = Arc::new(Stop::default());
    let stats = Arc::new(TxnStats::default());
    let make: Arc<dyn Fn(usize, u32) -> MemberBody + Send + Sync> = {
        let (bootstrap, group, stop, stats) = (
            bootstrap.clone(),
            group.clone(),
            stop.clone(),
            stats.clone(),
        );
        Arc::new(move |slot, _incarnation| {
            let (bootstrap, group, stop, stats) = (
                bootstrap.clone(),
                group.clone(),
                stop.clone(),
                stats.clone(),
            );
            let id = txn_id(seed, slot);
            Box::new(move || {
                Box::pin(txn_member(bootstrap, group, kip848, id, stop, stats))
                    as Pin<Box<dyn Future<Output = ()>>>
            })
        })
    };
    let (crash_tx, crash_rx) = mpsc::unbounded_channel();
    let watch_stop = Arc::new(Stop::default());
    let watcher = tokio::spawn(watch_commits(
        cluster.clone(),
        group.clone(),
        watch_stop.clone(),
    ));
    let supervisor = tokio::spawn(supervise(
        cluster.clone(),
        3,
        make,
        crash_rx,
        stop.clone(),
        hits.clone(),
    ));
    let handles = play(
        cluster.clone(),
        schedule.steps.clone(),
        Some(crash_tx),
        hits.clone(),
    )
    .await;
    let mut anomalies = Vec::new();
    if let Err(e) = wait_committed_to_end(&cluster, &group).await {
        anomalies.push(e);
    }
    stop.set();
    anomalies.extend(supervisor.await.unwrap());
    watch_stop.set();
    anomalies.extend(watcher.await.unwrap());
    count_injected(handles, &hits);

    match read_back(&cluster, "out", "read_committed").await {
        Err(e) => anomalies.push(e),
        Ok(read) => {
            let mut count: BTreeMap<String, u32> = BTreeMap::new();
            for r in &read {
                *count.entry(r.key.clone()).or_default() += 1;
            }
            let want: BTreeSet<String> = (0..INPUT_RECORDS)
                .map(|i| format!("out-{}", record_key(seed, i)))
                .collect();
            let missing: Vec<&String> = want.iter().filter(|k| !count.contains_key(*k)).collect();
            let twice: Vec<(&String, &u32)> = count.iter().filter(|(_, n)| **n > 1).collect();
            let foreign: Vec<&String> = count.keys().filter(|k| !want.contains(*k)).collect();
            if !missing.is_empty() {
                anomalies.push(format!(
                    "{} input records have no committed output, e.g. {:?}",
                    missing.len(),
                    &missing[..missing.len().min(5)]
                ));
            }
            if !twice.is_empty() {
                anomalies.push(format!(
                    "{} outputs visible to read_committed more than once (an aborted or duplicated transaction), e.g. {:?}",
                    twice.len(),
                    &twice[..twice.len().min(5)]
                ));
            }
            if !foreign.is_empty() {
                anomalies.push(format!(
                    "foreign outputs {:?}",
                    &foreign[..foreign.len().min(5)]
                ));
            }
        }
    }
    let errors = stats.errors.lock().unwrap().clone();
    tracing::info!(
        seed,
        commits = stats.commits.load(Ordering::SeqCst),
        aborts = stats.aborts.load(Ordering::SeqCst),
        producers = stats.new_producers.load(Ordering::SeqCst),
        ?errors,
        "transactions done"
    );
    if std::env::var("CHAOS_VERBOSE").is_ok() {
        println!(
            "chaos: seed {seed}: commits {} aborts {} producers {} errors {errors:#?}",
            stats.commits.load(Ordering::SeqCst),
            stats.aborts.load(Ordering::SeqCst),
            stats.new_producers.load(Ordering::SeqCst)
        );
    }
    anomalies
}

// ---------------------------------------------------------------------------------------
// Workload 3: at-least-once group consumer
// ---------------------------------------------------------------------------------------

/// What the at-least-once members share: keys processed (with counts), and every
/// assignment a listener saw: (generation, member id, partitions).
#[derive(Default)]
struct AloShared {
    processed: Mutex<BTreeMap<String, u32>>,
    owned: Mutex<Vec<(i32, String, BTreeSet<i32>)>>,
    errors: Mutex<BTreeMap<String, u64>>,
}

/// Records the member's whole assignment, with its generation, each time partitions are
/// added (and after every rebalance, when the listener is called with none).
struct Ownership(Arc<AloShared>);

impl RebalanceListener for Ownership {
    fn on_revoked<'a>(
        &'a mut self,
        _consumer: &'a mut Consumer,
        _partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, kafkito::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn on_assigned<'a>(
        &'a mut self,
        consumer: &'a mut Consumer,
        _partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, kafkito::Result<()>> {
        Box::pin(async move {
            let meta = consumer.group_metadata()?;
            let owned: BTreeSet<i32> = consumer
                .assignment()
                .iter()
                .map(|tp| tp.partition)
                .collect();
            self.0
                .owned
                .lock()
                .unwrap()
                .push((meta.generation_id, meta.member_id.clone(), owned));
            Ok(())
        })
    }
}

async fn alo_member(
    bootstrap: String,
    group: String,
    kip848: bool,
    stop: Arc<Stop>,
    shared: Arc<AloShared>,
) {
    let mut consumer = Consumer::new(consumer_config(
        &bootstrap,
        &group,
        kip848,
        "read_uncommitted",
    ))
    .await
    .unwrap();
    consumer
        .subscribe_with_listener(&["in"], Ownership(shared.clone()))
        .unwrap();
    let mut pace = tokio::time::interval(POLL_PACE);
    let error = |what: &str, e: &kafkito::Error| {
        *shared
            .errors
            .lock()
            .unwrap()
            .entry(format!("{what}: {}", short_error(e)))
            .or_default() += 1;
    };
    while !stop.is_set() {
        pace.tick().await;
        match consumer.poll(Duration::from_millis(200)).await {
            Ok(records) => {
                {
                    let mut processed = shared.processed.lock().unwrap();
                    for r in &records {
                        let key = String::from_utf8_lossy(r.key.as_deref().unwrap_or_default());
                        *processed.entry(key.into_owned()).or_default() += 1;
                    }
                }
                // Commit what was processed (also when nothing new came: a commit that
                // failed earlier is made good).
                if let Err(e) = consumer.commit_sync().await {
                    error("commit", &e);
                }
            }
            Err(e) => error("poll", &e),
        }
    }
    let _ = consumer.close().await;
}

async fn at_least_once(
    cluster: Arc<Cluster>,
    schedule: Schedule,
    hits: Arc<Mutex<Hits>>,
) -> Vec<String> {
    let seed = schedule.seed;
    // The seed's bit 2 picks the protocol, so both are covered among seeds 3, 7, 11, ...
    let kip848 = seed & 4 != 0;
    write_input(&cluster, seed).await;
    let group = group_id(seed);
    let bootstrap = cluster.bootstrap();
    let stop = Arc::new(Stop::default());
    let shared = Arc::new(AloShared::default());
    let make: Arc<dyn Fn(usize, u32) -> MemberBody + Send + Sync> = {
        let (bootstrap, group, stop, shared) = (
            bootstrap.clone(),
            group.clone(),
            stop.clone(),
            shared.clone(),
        );
        Arc::new(move |_slot, _incarnation| {
            let (bootstrap, group, stop, shared) = (
                bootstrap.clone(),
                group.clone(),
                stop.clone(),
                shared.clone(),
            );
            Box::new(move || {
                Box::pin(alo_member(bootstrap, group, kip848, stop, shared))
                    as Pin<Box<dyn Future<Output = ()>>>
            })
        })
    };
    let (crash_tx, crash_rx) = mpsc::unbounded_channel();
    let supervisor = tokio::spawn(supervise(
        cluster.clone(),
        3,
        make,
        crash_rx,
        stop.clone(),
        hits.clone(),
    ));
    let handles = play(
        cluster.clone(),
        schedule.steps.clone(),
        Some(crash_tx),
        hits.clone(),
    )
    .await;
    let mut anomalies = Vec::new();
    if let Err(e) = wait_committed_to_end(&cluster, &group).await {
        anomalies.push(e);
    }
    stop.set();
    anomalies.extend(supervisor.await.unwrap());
    count_injected(handles, &hits);

    match read_back(&cluster, "in", "read_uncommitted").await {
        Err(e) => anomalies.push(e),
        Ok(read) => {
            let processed = shared.processed.lock().unwrap();
            if read.len() != INPUT_RECORDS {
                anomalies.push(format!(
                    "librdkafka read {} input records, {INPUT_RECORDS} were written",
                    read.len()
                ));
            }
            let lost: Vec<&Read> = read
                .iter()
                .filter(|r| !processed.contains_key(&r.key))
                .collect();
            if !lost.is_empty() {
                anomalies.push(format!(
                    "{} records never processed, e.g. {:?}",
                    lost.len(),
                    &lost[..lost.len().min(5)]
                ));
            }
        }
    }
    // No partition owned by two members in the same generation.
    let owned = shared.owned.lock().unwrap().clone();
    let mut by_generation: BTreeMap<(i32, i32), BTreeSet<String>> = BTreeMap::new();
    for (generation, member, partitions) in &owned {
        for p in partitions {
            by_generation
                .entry((*generation, *p))
                .or_default()
                .insert(member.clone());
        }
    }
    for ((generation, p), members) in by_generation {
        if members.len() > 1 {
            anomalies.push(format!(
                "partition in-{p} owned by {} members in generation {generation}: {members:?}",
                members.len()
            ));
        }
    }
    if owned.is_empty() {
        anomalies.push("no listener saw an assignment".into());
    }
    if std::env::var("CHAOS_VERBOSE").is_ok() {
        let errors = shared.errors.lock().unwrap().clone();
        println!(
            "chaos: seed {seed} ({}): {} assignments seen, errors {errors:#?}",
            if kip848 { "kip848" } else { "classic" },
            owned.len()
        );
    }
    anomalies
}

// ---------------------------------------------------------------------------------------
// Regressions found by the chaos run
// ---------------------------------------------------------------------------------------

/// Seed 30 (eos-kip848): four records of `in-0` had their transform committed twice. A member
/// committed a transaction (EndTxn answered; the markers, which settle its offsets, land a few
/// ms later, as on Kafka); partition `in-0` then went to a member that read the group's
/// committed offset in that window, got the offset from *before* the transaction, and
/// processed its records again. Kafka's consumer asks OffsetFetch for stable offsets
/// (`require_stable`, KIP-447): the coordinator answers UNSTABLE_OFFSET_COMMIT until the
/// transaction's outcome is written, and the consumer asks again. Ours did not ask.
///
/// Proven on: kafkito-testkit, which holds a committed transaction's markers on request
/// (`hold_transaction_markers`) and answers a stable OffsetFetch UNSTABLE_OFFSET_COMMIT while
/// the transaction's offsets are pending, as Kafka's group coordinator does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_30_committed_offsets_wait_until_a_committed_transaction_settles() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    cluster.create_topic("in", 1, 3).unwrap();
    cluster.create_topic("out", 1, 3).unwrap();
    let bootstrap = cluster.bootstrap();
    let producer = txn_producer(&bootstrap, "seed-30").await.unwrap();
    let tp = TopicPartition::new("in", 0);
    producer.begin_transaction().unwrap();
    drop(
        producer
            .send(ProducerRecord::new("out").partition(0).value("v"))
            .await
            .unwrap(),
    );
    producer
        .send_offsets_to_transaction(
            &HashMap::from([(tp.clone(), 5)]),
            &kafkito::consumer::ConsumerGroupMetadata::new("g30"),
        )
        .await
        .unwrap();
    cluster.hold_transaction_markers(true);
    producer.commit_transaction().await.unwrap();
    assert_eq!(
        cluster.committed_offset("g30", "in", 0),
        None,
        "the offset waits for the marker"
    );

    let mut consumer = Consumer::new(consumer_config(&bootstrap, "g30", false, "read_committed"))
        .await
        .unwrap();
    let asked_before = cluster.total_requests(ApiKey::OffsetFetch);
    let lookup = {
        let tp = tp.clone();
        tokio::spawn(async move { consumer.committed(&[tp]).await })
    };
    // The consumer is answered UNSTABLE_OFFSET_COMMIT and asks again (bounded wait on the
    // broker's request count), without returning the offset from before the transaction.
    let deadline = Instant::now() + WAIT;
    let mut changes = cluster.changes();
    while cluster.total_requests(ApiKey::OffsetFetch) < asked_before + 3 {
        assert!(
            !lookup.is_finished(),
            "committed() returned while the transaction's offsets were pending: {:?}",
            lookup.await.unwrap()
        );
        assert!(
            changes.next(deadline).await,
            "the consumer did not ask for the offsets again within {WAIT:?}"
        );
    }
    assert!(!lookup.is_finished());
    cluster.hold_transaction_markers(false);
    let committed = lookup.await.unwrap().unwrap();
    assert_eq!(committed[&tp].as_ref().map(|c| c.offset), Some(5));
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// Seed 116 (also 120 and 184; idempotent producer): an acknowledged record was written twice.
/// A batch of partition 1 was appended but its answer lost (REQUEST_TIMED_OUT after the
/// append), so it waited to be retried under its sequence; meanwhile a batch of partition 0
/// failed for good (INVALID_RECORD), and the producer bumped its epoch and re-sequenced
/// *every* unacknowledged batch from 0 under the new epoch, partition 1's included. The
/// broker cannot recognise the retry under a new epoch as a duplicate, so it appended it
/// again. Java re-sequences only the partition whose sequence broke and lets the others finish
/// their batches under the old epoch (the broker keeps producer state per partition).
///
/// Proven on: kafkito-testkit (an injected error after the append is a lost answer; an
/// injected INVALID_RECORD is a batch refused for good).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_116_an_epoch_bump_does_not_rewrite_another_partitions_unacknowledged_batch() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    cluster.create_topic("idem", 2, 3).unwrap();
    let bootstrap = cluster.bootstrap();
    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("linger.ms", "0"),
            // Partition 1's retry waits long enough for partition 0's failure to land first.
            ("retry.backoff.ms", "3000"),
            ("retry.backoff.max.ms", "3000"),
            ("delivery.timeout.ms", "60000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let lost_answer = cluster.inject(
        Fault::new(ApiKey::Produce, kafkito_testkit::ErrorCode::RequestTimedOut)
            .partition("idem", 1)
            .after_processing(),
    );
    let a = producer
        .send(ProducerRecord::new("idem").partition(1).key("a"))
        .await
        .unwrap();
    // Bounded wait on the broker: `a` is in the log and its answer was replaced.
    let deadline = Instant::now() + WAIT;
    let mut changes = cluster.changes();
    while lost_answer.hits() == 0 {
        assert!(changes.next(deadline).await, "the lost answer never fired");
    }
    assert_eq!(cluster.offsets("idem", 1).unwrap().1, 1);
    let refused = cluster.inject(
        Fault::new(ApiKey::Produce, kafkito_testkit::ErrorCode::InvalidRecord).partition("idem", 0),
    );
    let b = producer
        .send(ProducerRecord::new("idem").partition(0).key("b"))
        .await
        .unwrap();
    assert!(b.await.is_err(), "INVALID_RECORD fails the batch");
    assert_eq!(refused.hits(), 1);
    let acked = a.await.unwrap();
    assert_eq!(
        cluster.offsets("idem", 1).unwrap().1,
        1,
        "record a (acknowledged at offset {}) is in partition 1 once",
        acked.offset
    );
    producer.close(Duration::from_secs(5)).await.unwrap();
}
