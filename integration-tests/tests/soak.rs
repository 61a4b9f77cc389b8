//! A bounded soak on the real broker: a producer offers keyed records for `SOAK_SECS` (45 s by
//! default; CI keeps the whole test under 90 s) while a group of two consumers reads them,
//! committing after each poll (at least once), and one member at a time is restarted at
//! random: closed cleanly (the CI test), or — in the crash variant — half the time dropped
//! without `close()` as if it crashed. Afterwards every acknowledged record must have been
//! read at least once; duplicates (expected after a crash: the new owner starts from the
//! last commit) are counted and printed.
//!
//! The restart schedule comes from a seed printed at the start (`SOAK_SEED` replays it).

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use integration_tests::{broker, create_topic, unique_topic};
use kafka_client::consumer::{Consumer, ConsumerConfig};
use kafka_client::producer::{Producer, ProducerConfig, ProducerRecord};
use support::mock::{key, reconcile, report};

const PARTITIONS: i32 = 4;
const RATE: u64 = 300;

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
    poll_errors: usize,
    commit_errors: usize,
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

/// Polls and commits until told to stop; then closes (`crash == false`) or just drops.
fn spawn_member(
    mut consumer: Consumer,
    log: Arc<Mutex<Log>>,
    stop: Arc<AtomicBool>,
    crash: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::SeqCst) {
            match consumer.poll(Duration::from_millis(200)).await {
                Ok(records) if !records.is_empty() => {
                    {
                        let mut log = log.lock().unwrap();
                        for r in &records {
                            let k = String::from_utf8_lossy(r.key.as_deref().unwrap_or_default())
                                .into_owned();
                            log.read.push((r.partition, k));
                        }
                    }
                    if consumer.commit_sync().await.is_err() {
                        log.lock().unwrap().commit_errors += 1;
                    }
                }
                Ok(_) => {}
                Err(_) => {
                    log.lock().unwrap().poll_errors += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        if crash.load(Ordering::SeqCst) {
            drop(consumer);
        } else {
            let _ = tokio::time::timeout(Duration::from_secs(15), consumer.close()).await;
        }
    })
}

struct Slot {
    stop: Arc<AtomicBool>,
    crash: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

async fn start_slot(bootstrap: &str, group: &str, topic: &str, log: &Arc<Mutex<Log>>) -> Slot {
    let stop = Arc::new(AtomicBool::new(false));
    let crash = Arc::new(AtomicBool::new(false));
    let consumer = member(bootstrap, group, topic).await;
    let task = spawn_member(consumer, log.clone(), stop.clone(), crash.clone());
    Slot { stop, crash, task }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "tansu bug (flaky): when the group leader leaves (LeaveGroup) while a rebalance is forming, tansu 0.6 drops it from the members but keeps it as the leader, so every later JoinGroup names a leader that is gone, no member assigns, and each SyncGroup ends REBALANCE_IN_PROGRESS: the group never settles. Hit when a restart closes the leader during the join its replacement started; passes otherwise"]
async fn produce_and_group_consume_with_random_member_restarts() {
    soak(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "tansu bug (flaky): when the group leader leaves (a dropped consumer sends LeaveGroup too) while a rebalance is forming, tansu 0.6 keeps the departed member as leader: JoinGroup names a leader that is gone (members=0 for everyone), SyncGroup ends REBALANCE_IN_PROGRESS, forever. Seen with SOAK_SEED=1795441301197202371 (7499 of 13500 unread); passes when the leader is not the one replaced"]
async fn produce_and_group_consume_with_random_member_crashes() {
    soak(true).await;
}

/// `crashes`: a restarted member is dropped half the time (else always closed).
async fn soak(crashes: bool) {
    support::log::init();
    let secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(45);
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
    let mut slots = vec![
        start_slot(&bootstrap, &group, &topic, &log).await,
        start_slot(&bootstrap, &group, &topic, &log).await,
    ];

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

    // Restart a random member every 6-12 s while the producer runs.
    let started = Instant::now();
    let mut restarts = Vec::new();
    loop {
        let wait = Duration::from_secs(6 + rng.below(7));
        if started.elapsed() + wait >= Duration::from_secs(secs) {
            break;
        }
        tokio::time::sleep(wait).await;
        let which = rng.below(2) as usize;
        let crash = rng.below(2) == 0 && crashes;
        let slot = &mut slots[which];
        slot.crash.store(crash, Ordering::SeqCst);
        slot.stop.store(true, Ordering::SeqCst);
        let stopping = Instant::now();
        let old = std::mem::replace(slot, start_slot(&bootstrap, &group, &topic, &log).await);
        tokio::time::timeout(Duration::from_secs(20), old.task)
            .await
            .expect("a member did not stop")
            .unwrap();
        restarts.push((started.elapsed(), which, crash, stopping.elapsed()));
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
    for slot in &slots {
        slot.stop.store(true, Ordering::SeqCst);
    }
    for slot in slots {
        let _ = tokio::time::timeout(Duration::from_secs(20), slot.task).await;
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
        "soak: restarts (at, slot, crash, stop took) {restarts:?}; poll errors {}, commit \
         errors {}; reads per partition {per_partition:?}; not acked {}",
        log.poll_errors,
        log.commit_errors,
        acked.len() - sent
    );
    assert_eq!(acked.len() - sent, 0, "records the producer failed");
    assert_eq!(tally.lost, 0, "acknowledged records never consumed");
    assert!(!restarts.is_empty(), "no restart happened");
}
