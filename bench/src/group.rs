//! What the members of the `group` workload share, whichever client they are: the board on
//! which each publishes its assignment while the group forms, the gate they start reading
//! through together, the one measured window, and the count of records read by all.
//!
//! Why the group forms before anything is counted: the members join one after the other, and
//! a partition that a rebalance moves restarts for its new owner at its committed offset
//! (nothing is committed here, so at the beginning): records read before the last rebalance
//! would be read twice. So each member pauses whatever it is assigned until the members'
//! assignments cover every partition exactly once, then seeks its partitions to the beginning
//! and waits at the gate for the others. The throughput window opens at the first record any
//! member reads after the gate; the time to it, group formation included, is reported as the
//! time to the first records (as consume reports connecting and the first fetch).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::args::Args;
use crate::consume::{Tally, STALL};
use crate::measure::{Measured, Window};
use crate::BoxError;

/// How long the members may take to form the group. librdkafka's mock cluster waits 3 s
/// (`group.initial.rebalance.delay.ms`) before the first generation, and up to the session
/// timeout less a second for a member that joins later.
pub const FORMING: Duration = Duration::from_secs(90);

/// `session.timeout.ms` of every member, both clients (default 45000). tansu completes a
/// rebalance only after about half the session timeout (measured: the group of 3 formed after
/// 23 s with 45000, 5 s with 10000), and the members join one after the other; the members
/// heartbeat every 3 s (the default) either way, and nothing measured depends on it.
pub const SESSION_TIMEOUT_MS: u64 = 10_000;

/// A `group.id` no earlier run used: the topic, this process and the time.
pub fn group_id(args: &Args) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("bench-group-{}-{}-{nanos}", args.topic, std::process::id())
}

/// The state the members of one run share (see the module comment).
pub struct Group {
    members: usize,
    partitions: i32,
    want: u64,
    started: Instant,
    /// Each member's assignment (partition numbers) as it last published it.
    board: Mutex<Vec<Option<Vec<i32>>>>,
    formed: AtomicBool,
    /// Members at the gate.
    arrived: Mutex<usize>,
    gate: Condvar,
    /// The first error of any member: the others stop.
    failure: Mutex<Option<String>>,
    broken: AtomicBool,
    first: AtomicBool,
    /// Records read by all members, as they report them.
    total: AtomicU64,
    /// Milliseconds from `started` to the last report of new records (or the gate opening).
    last_progress_ms: AtomicU64,
    window: Mutex<Option<Window>>,
    measured: Mutex<Option<Measured>>,
    /// Milliseconds from `started` to the group being formed.
    formed_ms: AtomicU64,
    /// When the last member arrived at the gate.
    opened: OnceLock<Instant>,
}

impl Group {
    /// For `--members` members reading `--records` records from `--partitions` partitions;
    /// the window opens now, before the consumers are created.
    pub fn new(args: &Args) -> Group {
        let members = args.members as usize;
        Group {
            members,
            partitions: args.partitions,
            want: args.records,
            started: Instant::now(),
            board: Mutex::new(vec![None; members]),
            formed: AtomicBool::new(false),
            arrived: Mutex::new(0),
            gate: Condvar::new(),
            failure: Mutex::new(None),
            broken: AtomicBool::new(false),
            first: AtomicBool::new(false),
            total: AtomicU64::new(0),
            last_progress_ms: AtomicU64::new(0),
            window: Mutex::new(Some(Window::start(args.broker_pid))),
            measured: Mutex::new(None),
            formed_ms: AtomicU64::new(0),
            opened: OnceLock::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Member `member` is assigned `partitions` now; whether the group has formed (this or
    /// an earlier call found every partition assigned to exactly one member, and every member
    /// assigned some).
    pub fn publish(&self, member: usize, partitions: Vec<i32>) -> bool {
        let mut board = self.board.lock().unwrap();
        board[member] = Some(partitions);
        if !self.formed() && covers_once(&board, self.partitions) {
            self.formed_ms.store(self.now_ms(), Ordering::Relaxed);
            self.formed.store(true, Ordering::Release);
            eprintln!(
                "bench: group formed after {} ms: {:?}",
                self.formed_ms.load(Ordering::Relaxed),
                *board
            );
        }
        self.formed()
    }

    /// Whether the group has formed.
    pub fn formed(&self) -> bool {
        self.formed.load(Ordering::Acquire)
    }

    /// Fails when another member failed or the group has taken longer than [`FORMING`].
    pub fn check_forming(&self) -> Result<(), BoxError> {
        if self.broken.load(Ordering::Relaxed) {
            return Err("another member failed".into());
        }
        if self.started.elapsed() > FORMING {
            return Err(format!(
                "the group did not form in {} s; assignments (partition numbers) by member: {:?}",
                FORMING.as_secs(),
                *self.board.lock().unwrap()
            )
            .into());
        }
        Ok(())
    }

    /// Waits until every member has arrived here (blocking the thread: from a Tokio task,
    /// call it in `block_in_place`); fails if a member failed instead.
    pub fn enter(&self) -> Result<(), BoxError> {
        let mut arrived = self.arrived.lock().unwrap();
        *arrived += 1;
        if *arrived == self.members {
            self.opened.get_or_init(Instant::now);
            self.last_progress_ms
                .store(self.now_ms(), Ordering::Relaxed);
            self.gate.notify_all();
        }
        while *arrived < self.members {
            if self.broken.load(Ordering::Relaxed) {
                return Err("another member failed".into());
            }
            arrived = self.gate.wait(arrived).unwrap();
        }
        Ok(())
    }

    /// Member failed with `error`: the others stop (the first error is the run's).
    pub fn fail(&self, error: &BoxError) {
        self.failure
            .lock()
            .unwrap()
            .get_or_insert_with(|| error.to_string());
        self.broken.store(true, Ordering::Relaxed);
        // Under the gate's lock, so that no member checks `broken` and then misses this.
        let _arrived = self.arrived.lock().unwrap();
        self.gate.notify_all();
    }

    /// A member read its first records: the throughput window starts at the first of all.
    pub fn mark_first(&self) {
        if !self.first.load(Ordering::Relaxed) && !self.first.swap(true, Ordering::Relaxed) {
            if let Some(window) = self.window.lock().unwrap().as_mut() {
                window.mark_first();
            }
        }
    }

    /// A member read `n` more records (once each, as far as it can tell); the window stops
    /// with the report that brings the total to `--records`.
    pub fn add(&self, n: u64) {
        if n == 0 {
            return;
        }
        self.last_progress_ms
            .store(self.now_ms(), Ordering::Relaxed);
        let before = self.total.fetch_add(n, Ordering::Relaxed);
        if before < self.want && before + n >= self.want {
            if let Some(window) = self.window.lock().unwrap().take() {
                *self.measured.lock().unwrap() = Some(window.stop());
            }
        }
    }

    /// Tells stderr when member `member` read its first and last records (`first`, `last`),
    /// counted from the gate's opening.
    pub fn report_member(
        &self,
        member: usize,
        records: u64,
        first: Option<Instant>,
        last: Option<Instant>,
    ) {
        let Some(&opened) = self.opened.get() else {
            return;
        };
        let ms = |t: Option<Instant>| {
            t.map_or_else(
                || "-".to_owned(),
                |t| format!("{:.1}", (t - opened).as_secs_f64() * 1e3),
            )
        };
        eprintln!(
            "bench: member {member}: {records} records, the first {} ms and the last {} ms after the gate opened",
            ms(first),
            ms(last)
        );
    }

    /// Whether the members have read `--records` records between them, or one failed.
    pub fn done(&self) -> bool {
        self.total.load(Ordering::Relaxed) >= self.want || self.broken.load(Ordering::Relaxed)
    }

    /// Fails when no member has reported new records for [`STALL`].
    pub fn check_stall(&self) -> Result<(), BoxError> {
        let quiet = self.now_ms() - self.last_progress_ms.load(Ordering::Relaxed);
        if Duration::from_millis(quiet) > STALL {
            return Err(format!(
                "the members read {} of {} records, then nothing for {}s: does the topic hold {} records?",
                self.total.load(Ordering::Relaxed),
                self.want,
                STALL.as_secs(),
                self.want
            )
            .into());
        }
        Ok(())
    }

    /// The run's result from every member's outcome: the first failure, else the window once
    /// the members are shown to have read every record exactly once between them.
    pub fn finish(&self, outcomes: Vec<Result<Tally, BoxError>>) -> Result<Measured, BoxError> {
        if let Some(failure) = self.failure.lock().unwrap().take() {
            return Err(failure.into());
        }
        let tallies = outcomes.into_iter().collect::<Result<Vec<_>, _>>()?;
        let counts: Vec<u64> = tallies.iter().map(|t| t.records).collect();
        eprintln!(
            "bench: group formed after {} ms; records read by member: {counts:?}",
            self.formed_ms.load(Ordering::Relaxed)
        );
        Tally::verify_members(&tallies)?;
        self.measured
            .lock()
            .unwrap()
            .take()
            .ok_or_else(|| "the window never stopped".into())
    }
}

/// Whether `board` holds an assignment for every member, none empty, that together name each
/// of partitions `0..partitions` exactly once.
fn covers_once(board: &[Option<Vec<i32>>], partitions: i32) -> bool {
    let mut seen = vec![false; partitions.max(0) as usize];
    for assignment in board {
        let Some(assignment) = assignment.as_ref().filter(|a| !a.is_empty()) else {
            return false;
        };
        for &p in assignment {
            match usize::try_from(p).ok().and_then(|p| seen.get_mut(p)) {
                Some(seen) if !*seen => *seen = true,
                _ => return false,
            }
        }
    }
    seen.iter().all(|&s| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formed_when_every_partition_has_one_owner_and_every_member_some() {
        let board = |a: &[&[i32]]| a.iter().map(|p| Some(p.to_vec())).collect::<Vec<_>>();
        assert!(covers_once(&board(&[&[0, 1, 2], &[3, 4, 5], &[6, 7]]), 8));
        assert!(covers_once(&board(&[&[7, 0], &[3, 1, 5], &[6, 4, 2]]), 8));
        // A partition nobody reads yet, one read by two, a member without partitions, a member
        // not heard from, a partition the run does not know.
        assert!(!covers_once(&board(&[&[0, 1, 2], &[3, 4, 5], &[6]]), 8));
        assert!(!covers_once(
            &board(&[&[0, 1, 2], &[2, 3, 4, 5], &[6, 7]]),
            8
        ));
        assert!(!covers_once(
            &board(&[&[0, 1, 2, 3], &[4, 5, 6, 7], &[]]),
            8
        ));
        let mut partial = board(&[&[0, 1, 2, 3], &[4, 5, 6, 7], &[]]);
        partial[2] = None;
        assert!(!covers_once(&partial, 8));
        assert!(!covers_once(
            &board(&[&[0, 1, 2], &[3, 4, 5], &[6, 7, 8]]),
            8
        ));
    }

    fn args(records: u64) -> Args {
        Args::parse(
            format!(
                "group --client ours --bootstrap h:1 --topic t --records {records} --partitions 4"
            )
            .split_whitespace()
            .map(str::to_owned),
        )
        .unwrap()
    }

    #[test]
    fn the_window_stops_when_the_members_have_read_every_record() {
        let group = Group::new(&args(10));
        assert!(!group.publish(0, vec![0, 1]));
        assert!(!group.publish(1, vec![2]));
        assert!(group.publish(2, vec![3]));
        group.mark_first();
        group.add(4);
        group.add(5);
        assert!(!group.done());
        assert!(group.measured.lock().unwrap().is_none());
        group.add(1);
        assert!(group.done());
        assert!(group.measured.lock().unwrap().is_some());
    }

    #[test]
    fn a_failed_member_opens_the_gate_for_the_others_with_its_error() {
        let group = Group::new(&args(10));
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| group.enter());
            group.fail(&BoxError::from("member 2: broker gone"));
            assert!(waiting.join().unwrap().is_err());
        });
        assert!(group.done());
        let err = group.finish(Vec::new()).unwrap_err().to_string();
        assert_eq!(err, "member 2: broker gone");
    }
}
