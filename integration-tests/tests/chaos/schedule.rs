//! The seeded fault schedule: a plain list of `(time offset, action)` steps drawn from one
//! seed, printable (`Display`), so a failing run prints its seed and its schedule and
//! `SEED=<n> scripts/chaos` draws the very same list again.
//!
//! The generator keeps the cluster able to make progress: at most one broker of three is
//! down at a time and every stop is followed by a start; every added latency, every shrunk
//! ISR is undone later in the run; injected errors fire a bounded number of times; a
//! coordinator or a leader only moves to a broker that is up. After the last step the run
//! heals whatever a shrunk schedule left broken (see `chaos.rs`).

use std::fmt;
use std::time::Duration;

use kafkito_testkit::{ApiKey, ErrorCode};

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-mixed, seedable generator whose
/// output is fixed by this code alone, so a seed draws the same schedule on every machine
/// and after any dependency upgrade (a library generator such as `rand`'s `StdRng` does not
/// promise that across versions).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5EED_C4A0_5EED_C4A0)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What a seed runs. The seed picks it (`seed % 4`), so consecutive seeds cover all four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Workload {
    /// Idempotent producer, acks=all, 5 requests in flight.
    IdempotentProducer,
    /// Consume-transform-produce with transactions, a classic group of three.
    TransactionsClassic,
    /// The same under KIP-848 (`group.protocol=consumer`).
    TransactionsKip848,
    /// At-least-once group consumer, a group of three (classic or KIP-848 by the seed).
    AtLeastOnce,
}

impl Workload {
    pub const ALL: [Workload; 4] = [
        Workload::IdempotentProducer,
        Workload::TransactionsClassic,
        Workload::TransactionsKip848,
        Workload::AtLeastOnce,
    ];

    pub fn of_seed(seed: u64) -> Workload {
        Workload::ALL[(seed % 4) as usize]
    }

    pub fn short(self) -> &'static str {
        match self {
            Workload::IdempotentProducer => "idempotent",
            Workload::TransactionsClassic => "eos-classic",
            Workload::TransactionsKip848 => "eos-kip848",
            Workload::AtLeastOnce => "at-least-once",
        }
    }
}

/// The fault kinds the coverage table counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    LeaderMove,
    BrokerStopStart,
    ConnectionDrop,
    Latency,
    RetriableError,
    FatalError,
    CoordinatorMove,
    IsrShrinkExpand,
    MemberCrash,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::LeaderMove,
        Kind::BrokerStopStart,
        Kind::ConnectionDrop,
        Kind::Latency,
        Kind::RetriableError,
        Kind::FatalError,
        Kind::CoordinatorMove,
        Kind::IsrShrinkExpand,
        Kind::MemberCrash,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::LeaderMove => "leader move",
            Kind::BrokerStopStart => "broker stop/start",
            Kind::ConnectionDrop => "connection drop",
            Kind::Latency => "added latency",
            Kind::RetriableError => "retriable error",
            Kind::FatalError => "fatal error",
            Kind::CoordinatorMove => "coordinator move",
            Kind::IsrShrinkExpand => "ISR shrink/expand",
            Kind::MemberCrash => "member crash",
        }
    }
}

/// One injected error: `api` answers `error` for its next `times` matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    pub api: ApiKey,
    pub error: ErrorCode,
    pub broker: Option<i32>,
    pub partition: Option<(String, i32)>,
    pub times: u32,
    /// Produce only: the batch is appended, then the answer is replaced (a lost response).
    pub after_processing: bool,
    /// Whether the client must give up (fail the records, abort the transaction, rejoin)
    /// rather than retry.
    pub fatal: bool,
}

/// One thing the schedule does to the cluster or to the workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    MoveLeader {
        topic: String,
        partition: i32,
        to: i32,
    },
    StopBroker(i32),
    StartBroker(i32),
    DropConnections(i32),
    Latency {
        api: ApiKey,
        broker: i32,
        ms: u64,
    },
    ClearLatency {
        api: ApiKey,
        broker: i32,
    },
    Inject(Injection),
    MoveCoordinator {
        key: String,
        to: i32,
    },
    /// The partition's ISR becomes its leader alone (acks=all then waits or fails with
    /// NOT_ENOUGH_REPLICAS under `min.insync.replicas=2`).
    ShrinkIsr {
        topic: String,
        partition: i32,
    },
    /// Every live replica is in sync again.
    ExpandIsr {
        topic: String,
        partition: i32,
    },
    /// Member `slot` dies without leaving the group (its runtime is torn down) and a new
    /// member takes the slot.
    CrashMember(usize),
}

impl Action {
    pub fn kind(&self) -> Kind {
        match self {
            Action::MoveLeader { .. } => Kind::LeaderMove,
            Action::StopBroker(_) | Action::StartBroker(_) => Kind::BrokerStopStart,
            Action::DropConnections(_) => Kind::ConnectionDrop,
            Action::Latency { .. } | Action::ClearLatency { .. } => Kind::Latency,
            Action::Inject(i) if i.fatal => Kind::FatalError,
            Action::Inject(_) => Kind::RetriableError,
            Action::MoveCoordinator { .. } => Kind::CoordinatorMove,
            Action::ShrinkIsr { .. } | Action::ExpandIsr { .. } => Kind::IsrShrinkExpand,
            Action::CrashMember(_) => Kind::MemberCrash,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::MoveLeader {
                topic,
                partition,
                to,
            } => write!(f, "move leader of {topic}-{partition} to broker {to}"),
            Action::StopBroker(b) => write!(f, "stop broker {b}"),
            Action::StartBroker(b) => write!(f, "start broker {b}"),
            Action::DropConnections(b) => write!(f, "drop connections of broker {b}"),
            Action::Latency { api, broker, ms } => {
                write!(f, "add {ms} ms to {} at broker {broker}", api.name())
            }
            Action::ClearLatency { api, broker } => {
                write!(f, "clear latency of {} at broker {broker}", api.name())
            }
            Action::Inject(i) => {
                write!(f, "inject {} {} x{}", i.api.name(), i.error.name(), i.times)?;
                if let Some(b) = i.broker {
                    write!(f, " at broker {b}")?;
                }
                if let Some((t, p)) = &i.partition {
                    write!(f, " on {t}-{p}")?;
                }
                if i.after_processing {
                    write!(f, " after processing")?;
                }
                write!(f, " ({})", if i.fatal { "fatal" } else { "retriable" })
            }
            Action::MoveCoordinator { key, to } => {
                write!(f, "move coordinator of {key} to broker {to}")
            }
            Action::ShrinkIsr { topic, partition } => {
                write!(f, "shrink ISR of {topic}-{partition} to its leader")
            }
            Action::ExpandIsr { topic, partition } => {
                write!(f, "expand ISR of {topic}-{partition}")
            }
            Action::CrashMember(slot) => write!(f, "crash member {slot} (no leave)"),
        }
    }
}

/// One step: `action` at `at` after the workload started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: Duration,
    pub action: Action,
}

/// A seed's whole schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub seed: u64,
    pub workload: Workload,
    pub steps: Vec<Step>,
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seed {} workload {} ({} steps):",
            self.seed,
            self.workload.short(),
            self.steps.len()
        )?;
        for (i, step) in self.steps.iter().enumerate() {
            writeln!(
                f,
                "  [{i:2}] +{:5} ms  {}",
                step.at.as_millis(),
                step.action
            )?;
        }
        Ok(())
    }
}

/// The names a workload's schedule may touch.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Topics and their partition count.
    pub topics: Vec<(String, i32)>,
    /// Group ids and transactional ids (coordinator keys).
    pub coordinator_keys: Vec<String>,
    /// Member slots that may crash (0 for none).
    pub members: usize,
    pub brokers: i32,
}

/// How long the schedule lasts; the workload keeps running until its work is done.
pub const WINDOW_MS: u64 = 4_000;

/// Injected errors a workload's clients must retry through.
fn retriable_menu(workload: Workload) -> Vec<(ApiKey, ErrorCode, bool)> {
    use ApiKey as A;
    use ErrorCode as E;
    let produce = [
        (A::Produce, E::NotLeaderOrFollower, false),
        (A::Produce, E::NotEnoughReplicas, false),
        (A::Produce, E::RequestTimedOut, true),
        (A::Produce, E::NotEnoughReplicasAfterAppend, true),
    ];
    let fetch = [
        (A::Fetch, E::NotLeaderOrFollower, false),
        (A::Fetch, E::FencedLeaderEpoch, false),
    ];
    // Only the APIs the workload's clients send: an error no request can meet is wasted.
    let mut menu = match workload {
        Workload::IdempotentProducer => produce.to_vec(),
        Workload::TransactionsClassic | Workload::TransactionsKip848 => {
            produce.iter().chain(&fetch).copied().collect()
        }
        Workload::AtLeastOnce => fetch.to_vec(),
    };
    match workload {
        Workload::IdempotentProducer => {}
        Workload::TransactionsClassic | Workload::TransactionsKip848 => menu.extend([
            (A::FindCoordinator, E::CoordinatorNotAvailable, false),
            (A::AddPartitionsToTxn, E::ConcurrentTransactions, false),
            (A::AddPartitionsToTxn, E::CoordinatorLoadInProgress, false),
            (A::AddOffsetsToTxn, E::CoordinatorNotAvailable, false),
            (A::TxnOffsetCommit, E::CoordinatorLoadInProgress, false),
            (A::EndTxn, E::NotCoordinator, false),
            (A::OffsetFetch, E::CoordinatorLoadInProgress, false),
        ]),
        Workload::AtLeastOnce => menu.extend([
            (A::FindCoordinator, E::CoordinatorNotAvailable, false),
            (A::OffsetCommit, E::CoordinatorLoadInProgress, false),
            (A::OffsetCommit, E::NotCoordinator, false),
            (A::OffsetFetch, E::CoordinatorLoadInProgress, false),
        ]),
    }
    match workload {
        Workload::TransactionsClassic => menu.extend([
            (A::JoinGroup, E::CoordinatorLoadInProgress, false),
            (A::Heartbeat, E::RebalanceInProgress, false),
        ]),
        Workload::TransactionsKip848 => {
            menu.push((A::ConsumerGroupHeartbeat, E::CoordinatorNotAvailable, false))
        }
        // The at-least-once group speaks either protocol; each ignores the other's APIs.
        Workload::AtLeastOnce => menu.extend([
            (A::JoinGroup, E::CoordinatorLoadInProgress, false),
            (A::Heartbeat, E::RebalanceInProgress, false),
            (A::ConsumerGroupHeartbeat, E::CoordinatorNotAvailable, false),
        ]),
        Workload::IdempotentProducer => {}
    }
    menu
}

/// Injected errors a workload's clients may not retry: the records fail (and the producer
/// must say so), the transaction must abort, or the member must rejoin.
fn fatal_menu(workload: Workload) -> Vec<(ApiKey, ErrorCode)> {
    use ApiKey as A;
    use ErrorCode as E;
    match workload {
        Workload::IdempotentProducer => vec![
            (A::Produce, E::InvalidRecord),
            (A::Produce, E::InvalidTimestamp),
        ],
        Workload::TransactionsClassic => vec![
            (A::Produce, E::InvalidRecord),
            (A::Heartbeat, E::UnknownMemberId),
            (A::TxnOffsetCommit, E::IllegalGeneration),
        ],
        Workload::TransactionsKip848 => vec![
            (A::Produce, E::InvalidRecord),
            (A::ConsumerGroupHeartbeat, E::FencedMemberEpoch),
            (A::ConsumerGroupHeartbeat, E::UnknownMemberId),
        ],
        Workload::AtLeastOnce => vec![
            (A::Heartbeat, E::UnknownMemberId),
            (A::OffsetCommit, E::IllegalGeneration),
            (A::ConsumerGroupHeartbeat, E::FencedMemberEpoch),
        ],
    }
}

/// Draws the schedule of `seed` for `workload` over `targets`.
pub fn generate(seed: u64, workload: Workload, targets: &Targets) -> Schedule {
    let mut rng = Rng::new(seed);
    let brokers = targets.brokers;
    let mut steps: Vec<Step> = Vec::new();
    // When the stopped broker comes back (at most one down at a time).
    let mut down_until: Option<(i32, u64)> = None;
    let mut crashes = 0;
    let count = rng.range(8, 16);
    let mut times: Vec<u64> = (0..count).map(|_| rng.range(100, WINDOW_MS)).collect();
    times.sort_unstable();
    let retriable = retriable_menu(workload);
    let fatal = fatal_menu(workload);
    for at in times {
        if let Some((b, until)) = down_until {
            if at >= until {
                down_until = None;
                let _ = b;
            }
        }
        let down = down_until.map(|(b, _)| b);
        let up: Vec<i32> = (0..brokers).filter(|b| Some(*b) != down).collect();
        let (topic, partitions) = rng.pick(&targets.topics).clone();
        let partition = rng.below(partitions as usize) as i32;
        let undo_after = rng.range(200, 1_200);
        let roll = rng.below(100);
        let action = match roll {
            0..=11 => Action::MoveLeader {
                topic,
                partition,
                to: *rng.pick(&up),
            },
            12..=21 if down.is_none() => {
                let b = rng.below(brokers as usize) as i32;
                down_until = Some((b, at + undo_after));
                steps.push(Step {
                    at: Duration::from_millis(at + undo_after),
                    action: Action::StartBroker(b),
                });
                Action::StopBroker(b)
            }
            12..=31 => Action::DropConnections(*rng.pick(&up)),
            32..=41 => {
                let api = *rng.pick(&[ApiKey::Produce, ApiKey::Fetch, ApiKey::Metadata]);
                let broker = rng.below(brokers as usize) as i32;
                steps.push(Step {
                    at: Duration::from_millis(at + undo_after),
                    action: Action::ClearLatency { api, broker },
                });
                Action::Latency {
                    api,
                    broker,
                    ms: rng.range(20, 400),
                }
            }
            42..=63 => {
                let (api, error, after_processing) = *rng.pick(&retriable);
                let scoped = api == ApiKey::Produce || api == ApiKey::Fetch;
                Action::Inject(Injection {
                    api,
                    error,
                    broker: None,
                    partition: (scoped && rng.chance(50)).then(|| (topic.clone(), partition)),
                    times: rng.range(1, 3) as u32,
                    after_processing,
                    fatal: false,
                })
            }
            64..=73 => {
                let (api, error) = *rng.pick(&fatal);
                Action::Inject(Injection {
                    api,
                    error,
                    broker: None,
                    partition: (api == ApiKey::Produce).then(|| (topic.clone(), partition)),
                    times: 1,
                    after_processing: false,
                    fatal: true,
                })
            }
            74..=81 if !targets.coordinator_keys.is_empty() => Action::MoveCoordinator {
                key: rng.pick(&targets.coordinator_keys).clone(),
                to: *rng.pick(&up),
            },
            74..=89 => {
                steps.push(Step {
                    at: Duration::from_millis(at + undo_after),
                    action: Action::ExpandIsr {
                        topic: topic.clone(),
                        partition,
                    },
                });
                Action::ShrinkIsr { topic, partition }
            }
            _ if targets.members > 0 && crashes < 2 => {
                crashes += 1;
                Action::CrashMember(rng.below(targets.members))
            }
            _ => Action::DropConnections(*rng.pick(&up)),
        };
        steps.push(Step {
            at: Duration::from_millis(at),
            action,
        });
    }
    // Stable: an undo drawn at the same instant as a later action stays after its cause.
    steps.sort_by_key(|s| s.at);
    Schedule {
        seed,
        workload,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Targets {
        Targets {
            topics: vec![("t".into(), 3)],
            coordinator_keys: vec!["g".into()],
            members: 3,
            brokers: 3,
        }
    }

    #[test]
    fn a_seed_draws_the_same_schedule_every_time() {
        for seed in 0..50 {
            let w = Workload::of_seed(seed);
            let a = generate(seed, w, &targets());
            let b = generate(seed, w, &targets());
            assert_eq!(a.steps, b.steps);
        }
        assert_ne!(
            generate(1, Workload::AtLeastOnce, &targets()).steps,
            generate(2, Workload::AtLeastOnce, &targets()).steps
        );
    }

    #[test]
    fn at_most_one_broker_is_down_and_every_stop_has_a_start() {
        for seed in 0..500 {
            let s = generate(seed, Workload::of_seed(seed), &targets());
            let mut down: Option<i32> = None;
            for step in &s.steps {
                match step.action {
                    Action::StopBroker(b) => {
                        assert_eq!(down, None, "{s}");
                        down = Some(b);
                    }
                    Action::StartBroker(b) => {
                        assert_eq!(down, Some(b), "{s}");
                        down = None;
                    }
                    Action::MoveLeader { to, .. } | Action::MoveCoordinator { to, .. } => {
                        assert_ne!(Some(to), down, "{s}")
                    }
                    _ => {}
                }
            }
            assert_eq!(down, None, "{s}");
        }
    }
}
