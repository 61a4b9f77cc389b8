//! A bounded soak on the real broker: a producer offers keyed records for `SOAK_SECS` (20 s by
//! default, so each test stays under 60 s in CI) while a group of two consumers reads them,
//! committing after each poll (at least once), and one member at a time is restarted at a
//! random moment: closed cleanly (the CI test), or — in the crash variant — half the time
//! dropped without `close()` and without committing the batch it just read, as if it crashed
//! mid-batch. Afterwards every acknowledged record must have been read at least once;
//! duplicates (expected after a crash: the new owner starts from the last commit) are counted
//! and printed.
//!
//! # Restarts only in a stable group (tansu 0.6 bug, issue 9)
//!
//! When the group *leader* leaves (LeaveGroup) while a rebalance is *forming*, tansu 0.6
//! removes the member but keeps it as leader, so every later JoinGroup names a departed leader
//! and the group never settles. A leader leaving a stable group is handled fine. So the soak
//! never lets a leave overlap a join:
//!
//! 1. it waits until the group is **stable**: every partition is owned by exactly one live
//!    member, every member has polled at least once since its last assignment change (seen
//!    through `rebalance_events()` and `assignment()`), and no assignment changed for
//!    [`QUIET`] (several heartbeat intervals, so a rebalance the broker has begun shows up as
//!    an eager revoke first);
//! 2. after a random pause it picks a member at random (all are allowed in a stable group) and
//!    stops it: `close()`, or in the crash variant maybe a drop;
//! 3. it waits until the survivor owns every partition (stable again), and only then starts
//!    the replacement, whose join therefore never meets a leave.
//!
//! Each wait is bounded by [`SETTLE_LIMIT`]; a group that does not settle fails the test with
//! a message naming the seed.
//!
//! A dropped *dynamic* member still sends a LeaveGroup, so the crash here is a "crash with
//! goodbye": what it tests is the uncommitted batch being read again by the next owner. A real
//! crash (SIGKILL, no LeaveGroup, the group waits out the session timeout) is
//! `consumer_group_scenarios::a_killed_members_partitions_resume_from_its_last_commit`.
//!
//! The schedule (pauses, member choice, crash or close) comes from a seed printed at the start
//! (`SOAK_SEED` replays it); at least [`MIN_RESTARTS`] restarts happen whatever `SOAK_SECS`.
//!
//! Nothing is swallowed: a poll error fails the test; a commit error fails it unless it is the
//! group refusing a commit across a rebalance (`CommitFailed`, REBALANCE_IN_PROGRESS,
//! ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID: the next owner starts from the last good commit,
//! which is what at-least-once allows); a `close()` that fails or takes longer than its bound,
//! and a member task that panics or does not stop, fail it too.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use integration_tests::{broker, create_topic, unique_topic};
use kafkito::consumer::{Consumer, ConsumerConfig};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord};
use kafkito::protocol::ErrorCode;
use kafkito::Error;
use support::mock::{key, reconcile, report};

const PARTITIONS: i32 = 4;
const RATE: u64 = 300;
/// Restarts that happen even when `SOAK_SECS` ends first.
const MIN_RESTARTS: usize = 2;
/// How long every member's assignment must stay unchanged for the group to count as stable
/// (three heartbeat intervals).
const QUIET: Duration = Duration::from_millis(1_500);
/// How long the group may take to settle after a membership change before the test fails.
const SETTLE_LIMIT: Duration = Duration::from_secs(20);

/// xorshift64*: enough randomness for a schedule, and replayable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Default)]
struct Log {
    /// (partition, key) in the order read.
    read: Vec<(i32, String)>,
    /// Every error `poll` returned: each one fails the test.
    poll_errors: Vec<String>,
    /// Commits the group refused across a rebalance (allowed, counted).
    commits_refused_by_rebalance: usize,
    /// Any other commit error: each one fails the test.
    commit_errors: Vec<String>,
    /// A `close()` that failed or did not return within its bound.
    close_errors: Vec<String>,
}

/// The group refused a commit because its generation moved on (a rebalance): at least once
/// allows it, the next owner reads from the last good commit.
fn refused_by_rebalance(e: &Error) -> bool {
    matches!(e, Error::CommitFailed { .. })
        || matches!(
            e.code(),
            Some(
                ErrorCode::RebalanceInProgress
                    | ErrorCode::IllegalGeneration
                    | ErrorCode::UnknownMemberId
            )
        )
}

/// What a member task publishes about its consumer, for the stability check.
struct View {
    /// Partitions assigned after the last poll, sorted.
    assignment: Vec<i32>,
    /// When the assignment last changed (or a rebalance event was reported).
    changed_at: Instant,
    /// Successful polls since that change.
    polls_since_change: u64,
    /// False once the member task has stopped polling.
    alive: bool,
}

impl View {
    fn new() -> Self {
        View {
            assignment: Vec::new(),
            changed_at: Instant::now(),
            polls_since_change: 0,
            alive: true,
        }
    }
}

async fn member(bootstrap: &str, group: &str, topic: &str) -> Consumer {
    let mut consumer = Consumer::new(
        ConsumerConfig::from_properties([
            ("bootstrap.servers", bootstrap),
            ("group.id", group),
            ("auto.offset.reset", "earliest"),
            ("enable.auto.commit", "false"),
            ("fetch.max.wait.ms", "100"),
            ("max.poll.records", "200"),
            ("default.api.timeout.ms", "10000"),
            ("session.timeout.ms", "6000"),
            ("heartbeat.interval.ms", "500"),
            ("max.poll.interval.ms", "20000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    consumer
}

/// Polls and commits until told to stop; then closes (`crash == false`) or just drops — a
/// crashing member drops right after a poll that returned records, before committing them.
fn spawn_member(
    mut consumer: Consumer,
    log: Arc<Mutex<Log>>,
    view: Arc<Mutex<View>>,
    stop: Arc<AtomicBool>,
    crash: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // When a crashing member was told to stop: it then waits (bounded) for a batch to
        // drop uncommitted.
        let mut stop_seen: Option<Instant> = None;
        while !stop.load(Ordering::SeqCst) || crash.load(Ordering::SeqCst) {
            if stop.load(Ordering::SeqCst)
                && stop_seen.get_or_insert_with(Instant::now).elapsed() > Duration::from_secs(3)
            {
                break;
            }
            let polled = consumer.poll(Duration::from_millis(200)).await;
            let events = consumer.rebalance_events();
            let mut assignment: Vec<i32> = consumer
                .assignment()
                .iter()
                .map(|tp| tp.partition)
                .collect();
            assignment.sort_unstable();
            {
                let mut v = view.lock().unwrap();
                if !events.is_empty() || assignment != v.assignment {
                    v.assignment = assignment;
                    v.changed_at = Instant::now();
                    v.polls_since_change = 0;
                } else if polled.is_ok() {
                    v.polls_since_change += 1;
                }
            }
            match polled {
                Ok(records) if !records.is_empty() => {
                    {
                        let mut log = log.lock().unwrap();
                        for r in &records {
                            let k = String::from_utf8_lossy(r.key.as_deref().unwrap_or_default())
                                .into_owned();
                            log.read.push((r.partition, k));
                        }
                    }
                    if stop.load(Ordering::SeqCst) && crash.load(Ordering::SeqCst) {
                        // Processed, not committed: the next owner reads these again.
                        break;
                    }
                    match consumer.commit_sync().await {
                        Ok(()) => {}
                        Err(e) if refused_by_rebalance(&e) => {
                            log.lock().unwrap().commits_refused_by_rebalance += 1;
                        }
                        Err(e) => log.lock().unwrap().commit_errors.push(format!("{e:?}")),
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    log.lock().unwrap().poll_errors.push(format!("{e:?}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        view.lock().unwrap().alive = false;
        if crash.load(Ordering::SeqCst) {
            drop(consumer);
        } else {
            match tokio::time::timeout(Duration::from_secs(15), consumer.close()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => log.lock().unwrap().close_errors.push(format!("{e:?}")),
                Err(_) => log
                    .lock()
                    .unwrap()
                    .close_errors
                    .push("close() did not return within 15 s".to_owned()),
            }
        }
    })
}

struct Slot {
    stop: Arc<AtomicBool>,
    crash: Arc<AtomicBool>,
    view: Arc<Mutex<View>>,
    task: tokio::task::JoinHandle<()>,
}

async fn start_slot(bootstrap: &str, group: &str, topic: &str, log: &Arc<Mutex<Log>>) -> Slot {
    let stop = Arc::new(AtomicBool::new(false));
    let crash = Arc::new(AtomicBool::new(false));
    let view = Arc::new(Mutex::new(View::new()));
    let consumer = member(bootstrap, group, topic).await;
    let task = spawn_member(
        consumer,
        log.clone(),
        view.clone(),
        stop.clone(),
        crash.clone(),
    );
    Slot {
        stop,
        crash,
        view,
        task,
    }
}

/// `None` when the live members in `slots` form a stable group (see the module docs), else
/// why not.
fn unstable(slots: &[&Slot]) -> Option<String> {
    let mut owners = vec![0usize; PARTITIONS as usize];
    for (i, slot) in slots.iter().enumerate() {
        let v = slot.view.lock().unwrap();
        if !v.alive {
            return Some(format!("member {i} stopped"));
        }
        if v.polls_since_change == 0 {
            return Some(format!(
                "member {i} has not polled since its assignment changed"
            ));
        }
        if v.changed_at.elapsed() < QUIET {
            return Some(format!("member {i}'s assignment changed recently"));
        }
        for p in &v.assignment {
            if let Some(n) = owners.get_mut(*p as usize) {
                *n += 1;
            }
        }
    }
    if owners.iter().all(|n| *n == 1) {
        None
    } else {
        let views: Vec<Vec<i32>> = slots
            .iter()
            .map(|s| s.view.lock().unwrap().assignment.clone())
            .collect();
        Some(format!(
            "partition owners {owners:?}, assignments {views:?}"
        ))
    }
}

/// Waits (bounded by [`SETTLE_LIMIT`]) until `slots` form a stable group; panics naming the
/// seed otherwise. Returns how long it took.
async fn settle(slots: &[&Slot], seed: u64, what: &str) -> Duration {
    let started = Instant::now();
    loop {
        let why = match unstable(slots) {
            None => return started.elapsed(),
            Some(why) => why,
        };
        assert!(
            started.elapsed() < SETTLE_LIMIT,
            "soak (SOAK_SEED={seed}): the group did not settle within {SETTLE_LIMIT:?} {what}: \
             {why}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_and_group_consume_with_random_member_restarts() {
    soak(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_and_group_consume_with_random_member_crashes() {
    soak(true).await;
}

/// `crashes`: a restarted member is dropped half the time (else always closed).
async fn soak(crashes: bool) {
    support::log::init();
    let test_started = Instant::now();
    let secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    eprintln!("soak: {secs} s, seed {seed} (SOAK_SEED={seed} replays the schedule)");
    let mut rng = Rng(seed);

    let bootstrap = broker().await.bootstrap();
    let topic = unique_topic("soak");
    create_topic(&topic, PARTITIONS).await;
    let group = unique_topic("soak-group");
    let log = Arc::new(Mutex::new(Log::default()));
    // Members join one at a time, each into a stable group.
    let first = start_slot(&bootstrap, &group, &topic, &log).await;
    settle(&[&first], seed, "after the first member joined").await;
    let second = start_slot(&bootstrap, &group, &topic, &log).await;
    let mut slots = [first, second];
    settle(
        &[&slots[0], &slots[1]],
        seed,
        "after the second member joined",
    )
    .await;

    let producer = Producer::new(
        ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("acks", "all"),
            ("enable.idempotence", "true"),
            ("linger.ms", "10"),
            ("request.timeout.ms", "10000"),
            ("delivery.timeout.ms", "30000"),
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    let count = (secs * RATE) as usize;
    let producing = {
        let producer = producer.clone();
        let topic = topic.clone();
        tokio::spawn(async move {
            let mut deliveries = Vec::with_capacity(count);
            let tick = Duration::from_micros(1_000_000 / RATE);
            let started = tokio::time::Instant::now();
            for i in 0..count {
                let record = ProducerRecord::new(&topic)
                    .key(key(i))
                    .value(format!("v{i}"));
                deliveries.push(producer.send(record).await);
                tokio::time::sleep_until(started + tick * (i as u32 + 1)).await;
            }
            let mut acked = Vec::with_capacity(count);
            for d in deliveries {
                acked.push(match d {
                    Ok(d) => d.await.is_ok(),
                    Err(_) => false,
                });
            }
            acked
        })
    };

    // Restart a random member of a stable group after a random pause, while the producer runs
    // (and at least MIN_RESTARTS times).
    let started = Instant::now();
    let mut restarts = Vec::new();
    while started.elapsed() < Duration::from_secs(secs) || restarts.len() < MIN_RESTARTS {
        tokio::time::sleep(Duration::from_millis(500 + rng.below(2_500))).await;
        settle(&[&slots[0], &slots[1]], seed, "before a restart").await;
        let which = rng.below(2) as usize;
        let crash = rng.below(2) == 0 && crashes;
        let at = started.elapsed();
        let survivor = 1 - which;
        slots[which].crash.store(crash, Ordering::SeqCst);
        slots[which].stop.store(true, Ordering::SeqCst);
        let stopping = Instant::now();
        let old = std::mem::replace(
            &mut slots[which],
            Slot {
                stop: Arc::new(AtomicBool::new(true)),
                crash: Arc::new(AtomicBool::new(false)),
                view: Arc::new(Mutex::new(View::new())),
                task: tokio::spawn(async {}),
            },
        );
        tokio::time::timeout(Duration::from_secs(20), old.task)
            .await
            .unwrap_or_else(|_| panic!("soak (SOAK_SEED={seed}): member {which} did not stop"))
            .unwrap_or_else(|e| panic!("soak (SOAK_SEED={seed}): member {which} panicked: {e}"));
        let stop_took = stopping.elapsed();
        let alone = settle(
            &[&slots[survivor]],
            seed,
            &format!("after member {which} left (crash: {crash})"),
        )
        .await;
        slots[which] = start_slot(&bootstrap, &group, &topic, &log).await;
        let rejoined = settle(
            &[&slots[0], &slots[1]],
            seed,
            &format!("after member {which} was replaced"),
        )
        .await;
        restarts.push((at, which, crash, stop_took, alone, rejoined));
    }

    let acked = tokio::time::timeout(Duration::from_secs(secs + 40), producing)
        .await
        .expect("producer did not finish")
        .unwrap();
    let sent = acked.iter().filter(|a| **a).count();
    // Drain: wait until every acknowledged key was read (bounded).
    let drain_started = Instant::now();
    let drain_limit = Duration::from_secs(30);
    loop {
        let distinct = {
            let log = log.lock().unwrap();
            let mut keys: Vec<&str> = log.read.iter().map(|(_, k)| k.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            keys.len()
        };
        if distinct >= sent || drain_started.elapsed() > drain_limit {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained_in = drain_started.elapsed();
    // The group's future no longer matters: both members may leave at once.
    for slot in &slots {
        slot.stop.store(true, Ordering::SeqCst);
    }
    for (i, slot) in slots.into_iter().enumerate() {
        tokio::time::timeout(Duration::from_secs(20), slot.task)
            .await
            .unwrap_or_else(|_| panic!("soak (SOAK_SEED={seed}): member {i} did not stop"))
            .unwrap_or_else(|e| panic!("soak (SOAK_SEED={seed}): member {i} panicked: {e}"));
    }
    producer.close(Duration::from_secs(5)).await.unwrap();

    let log = log.lock().unwrap();
    let tally = reconcile(&acked, log.read.iter().map(|(p, k)| (*p, k.as_str())));
    let mut per_partition: HashMap<i32, usize> = HashMap::new();
    for (p, _) in &log.read {
        *per_partition.entry(*p).or_default() += 1;
    }
    report(
        &format!(
            "soak {secs} s, {} member restarts (crashes: {crashes})",
            restarts.len()
        ),
        restarts.len(),
        &tally,
        Some(drained_in),
    );
    eprintln!(
        "soak: seed {seed}; restarts (at, slot, crash, stop took, survivor alone after, \
         settled after rejoin) {restarts:?}; poll errors {}, commits refused by a rebalance \
         {}, other commit errors {}; reads per partition {per_partition:?}; not acked {}; \
         total {:?}",
        log.poll_errors.len(),
        log.commits_refused_by_rebalance,
        log.commit_errors.len(),
        acked.len() - sent,
        test_started.elapsed()
    );
    assert_eq!(acked.len() - sent, 0, "records the producer failed");
    assert_eq!(
        tally.lost, 0,
        "acknowledged records never consumed (SOAK_SEED={seed})"
    );
    assert!(restarts.len() >= MIN_RESTARTS, "too few restarts");
    assert!(
        log.poll_errors.is_empty(),
        "soak (SOAK_SEED={seed}): poll errors: {:?}",
        log.poll_errors
    );
    assert!(
        log.commit_errors.is_empty(),
        "soak (SOAK_SEED={seed}): commit errors other than a rebalance's refusal: {:?}",
        log.commit_errors
    );
    assert!(
        log.close_errors.is_empty(),
        "soak (SOAK_SEED={seed}): close: {:?}",
        log.close_errors
    );
}
