//! Group-consumer scenarios against a real broker (tansu), beyond `consumer_group.rs`:
//!
//! - M members on N partitions, for each assignor: with N ≥ M every partition has exactly one
//!   owner and it is the one that reads it; with N < M the extra members own nothing until an
//!   owner leaves, and then one of them takes over from the committed offset.
//! - A member killed with SIGKILL (a child process running this test binary): the survivor takes
//!   over after `session.timeout.ms`, resumes at the last committed offsets, and over the run
//!   every record produced is consumed (commit after processing: nothing lost).
//! - Commits in group mode: `commit_sync` across a restart (exact reconciliation),
//!   `commit_async` (awaited and dropped), auto commit never ahead of what `poll` returned,
//!   `close` committing under auto commit; seek / pause / resume; lag.
//!   A dropped (not closed) consumer: the survivor resumes at its commit.
//! - Cooperative-sticky: while a second member joins, the partitions the first keeps go on
//!   delivering and only the moved ones are revoked; eager (range) revokes and stops them all;
//!   with auto commit the moved partitions are committed at revocation (nothing read twice).
//! - A join round longer than `request.timeout.ms` still completes.
//!
//! The group task talks to the coordinator on a connection of its own, so a JoinGroup the
//! coordinator parks for a whole join round stalls neither Fetch nor commits (the two tests
//! about it failed while the connection was shared).
//! `SCENARIO_TRACE=1` prints the SDK's tracing events with timestamps, to see what a group task
//! did in a failing scenario.
//!
//! Every member polls on a task of its own ([`Member`]): a rebalance completes only once every
//! member polled, and delivery gaps only mean something if the owner polls all the time.
//!
//! Each scenario prints its rebalance timings as `TIMING …` lines (shown by nextest for failing
//! tests, or with `--nocapture` / `--no-capture`). tansu's group coordinator is slow (a join
//! takes ~3 s), so the group timeouts are short (session 6 s, heartbeat 0.5 s, max.poll 10 s)
//! and every wait is bounded.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use integration_tests::group::{
    all_partitions, is_partitioned, longest_gap, member_consumer, offsets_only, produce,
    trace_to_stderr_if_asked, wait_until, BackgroundProducer, Member, MemberLog, MemberOptions,
    Produced,
};
use integration_tests::{broker, create_topic, unique_topic, BOOTSTRAP_ENV};
use kafkito::consumer::{Consumer, ConsumerRecord, RebalanceEvent, TopicPartition};
use tokio::io::AsyncBufReadExt;

/// Long enough for tansu to settle any one rebalance here (measured: well under 15 s).
const SETTLE: Duration = Duration::from_secs(40);

fn timing(what: &str, took: Duration) {
    eprintln!("TIMING {what}: {:.2} s", took.as_secs_f64());
}

fn commit_options() -> MemberOptions {
    MemberOptions {
        commit_after_processing: true,
    }
}

/// A member of `group` subscribed to `topic` (config `extra`), polling on its own task and
/// committing after processing each poll's records.
async fn start_member(name: &str, group: &str, topic: &str, extra: &[(&str, &str)]) -> Member {
    let mut consumer = member_consumer(group, extra).await;
    consumer.subscribe(&[topic]).unwrap();
    Member::spawn(name, consumer, commit_options())
}

fn assignments(members: &[&Member]) -> Vec<BTreeSet<TopicPartition>> {
    members.iter().map(|m| m.assignment()).collect()
}

fn describe(members: &[&Member]) -> String {
    members
        .iter()
        .map(|m| {
            let log = m.log();
            format!(
                "{}: owns {:?}, {} records, commit errors {:?}, poll errors {:?}",
                m.name(),
                log.assignment
                    .iter()
                    .map(|tp| tp.partition)
                    .collect::<Vec<_>>(),
                log.deliveries.len(),
                log.commit_errors,
                log.poll_errors
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Waits until the members' assignments split every partition of `topic` and `sizes` holds of
/// the sorted assignment sizes; returns how long it took.
async fn wait_partitioned(
    what: &str,
    members: &[&Member],
    topic: &str,
    partitions: i32,
    sizes: &[usize],
) -> Duration {
    let all = all_partitions(topic, partitions);
    let start = Instant::now();
    loop {
        let now = assignments(members);
        let mut got: Vec<usize> = now.iter().map(BTreeSet::len).collect();
        got.sort_unstable();
        if is_partitioned(&now, &all) && got == sizes {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < SETTLE,
            "{what}: no steady split {sizes:?} after {SETTLE:?}: {}",
            describe(members)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The assignments stay exactly as they are for `hold` (no churn after the rebalance).
async fn assert_steady(members: &[&Member], hold: Duration) {
    let before = assignments(members);
    tokio::time::sleep(hold).await;
    assert_eq!(
        assignments(members),
        before,
        "assignments changed at steady state: {}",
        describe(members)
    );
}

/// Values delivered by the members, with how often each came.
fn delivered(logs: &[&MemberLog]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for log in logs {
        for d in &log.deliveries {
            *out.entry(d.value.clone()).or_insert(0) += 1;
        }
    }
    out
}

async fn wait_all_delivered(members: &[&Member], produced: &[Produced]) -> Duration {
    let want: BTreeSet<&str> = produced.iter().map(|p| p.value.as_str()).collect();
    let start = Instant::now();
    loop {
        let logs: Vec<MemberLog> = members.iter().map(|m| m.log()).collect();
        let got = delivered(&logs.iter().collect::<Vec<_>>());
        let missing: Vec<&&str> = want.iter().filter(|v| !got.contains_key(**v)).collect();
        if missing.is_empty() {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{} records never delivered (first: {:?}): {}",
            missing.len(),
            missing.iter().take(5).collect::<Vec<_>>(),
            describe(members)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until every member has committed the end of each partition it owns.
async fn wait_committed(members: &[&Member], produced: &[Produced], topic: &str) {
    let mut end: BTreeMap<TopicPartition, i64> = BTreeMap::new();
    for p in produced {
        let e = end
            .entry(TopicPartition::new(topic, p.partition))
            .or_default();
        *e = (*e).max(p.offset + 1);
    }
    wait_until(
        "owners commit what they processed",
        Duration::from_secs(20),
        || {
            members.iter().all(|m| {
                let log = m.log();
                log.assignment
                    .iter()
                    .all(|tp| log.committed.get(tp).copied() == end.get(tp).copied())
            })
        },
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// 1. M members on N partitions, per assignor.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn range_three_members_own_six_partitions_exactly_once() {
    three_members_on_six_partitions("range").await;
}

#[tokio::test]
async fn roundrobin_three_members_own_six_partitions_exactly_once() {
    three_members_on_six_partitions("roundrobin").await;
}

#[tokio::test]
async fn cooperative_sticky_three_members_own_six_partitions_exactly_once() {
    three_members_on_six_partitions("cooperative-sticky").await;
}

/// N ≥ M: 3 members on 6 partitions. Each owns 2 at steady state, the split holds, and every
/// record produced then is read once, by its partition's owner. Then one leaves gracefully and
/// the other two split its partitions.
async fn three_members_on_six_partitions(strategy: &str) {
    let topic = unique_topic(&format!("scen-6p-{strategy}"));
    create_topic(&topic, 6).await;
    let group = unique_topic("g-6p");
    let extra = [("partition.assignment.strategy", strategy)];

    let subscribed = Instant::now();
    let a = start_member("a", &group, &topic, &extra).await;
    wait_partitioned("a alone", &[&a], &topic, 6, &[6]).await;
    timing(
        &format!("{strategy}: first member join (subscribe → owns 6)"),
        subscribed.elapsed(),
    );

    let b = start_member("b", &group, &topic, &extra).await;
    let c = start_member("c", &group, &topic, &extra).await;
    let members = [&a, &b, &c];
    let took = wait_partitioned("a, b, c", &members, &topic, 6, &[2, 2, 2]).await;
    timing(
        &format!("{strategy}: rebalance on join (2 members join 1 → 2/2/2)"),
        took,
    );
    assert_steady(&members, Duration::from_millis(1500)).await;

    // Records written now are read by their partition's owner, once.
    let produced = produce(&topic, "n", 6, 0, 3).await;
    wait_all_delivered(&members, &produced).await;
    let owner: HashMap<i32, String> = members
        .iter()
        .flat_map(|m| {
            m.assignment()
                .into_iter()
                .map(|tp| (tp.partition, m.name().to_owned()))
        })
        .collect();
    let logs: Vec<MemberLog> = members.iter().map(|m| m.log()).collect();
    for (m, log) in members.iter().zip(&logs) {
        for d in &log.deliveries {
            assert_eq!(
                owner[&d.tp.partition],
                m.name(),
                "{} read {} of partition {}, owned by another member",
                m.name(),
                d.value,
                d.tp.partition
            );
        }
    }
    let counts = delivered(&logs.iter().collect::<Vec<_>>());
    assert!(counts.values().all(|n| *n == 1), "read twice: {counts:?}");
    assert_eq!(counts.len(), produced.len());
    wait_committed(&members, &produced, &topic).await;

    // c leaves gracefully: a and b split its partitions.
    let left = Instant::now();
    c.close().await.unwrap();
    let took = wait_partitioned("a, b after c left", &[&a, &b], &topic, 6, &[3, 3]).await;
    timing(
        &format!(
            "{strategy}: rebalance on leave (close → 3/3), close itself {:?}",
            left.elapsed() - took
        ),
        took,
    );
    // What c had read was committed: a and b read on from there, nothing of c's again.
    let more = produce(&topic, "m", 6, 3, 2).await;
    wait_all_delivered(&[&a, &b], &more).await;
    let reread: Vec<String> = [a.log(), b.log()]
        .iter()
        .flat_map(|l| l.deliveries.iter())
        .filter(|d| d.value.starts_with("n-") && owner[&d.tp.partition] == "c")
        .map(|d| d.value.clone())
        .collect();
    assert!(
        reread.is_empty(),
        "records c had committed were read again: {reread:?}"
    );
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test]
async fn range_extra_members_idle_then_take_over() {
    extra_members_take_over("range").await;
}

#[tokio::test]
async fn roundrobin_extra_members_idle_then_take_over() {
    extra_members_take_over("roundrobin").await;
}

#[tokio::test]
async fn cooperative_sticky_extra_members_idle_then_take_over() {
    extra_members_take_over("cooperative-sticky").await;
}

/// N < M: 4 members on 2 partitions. Two own one each, two own nothing (and read nothing);
/// when an owner closes, an idle member takes its partition over from the committed offset.
async fn extra_members_take_over(strategy: &str) {
    let topic = unique_topic(&format!("scen-2p-{strategy}"));
    create_topic(&topic, 2).await;
    let first = produce(&topic, "a", 2, 0, 4).await;
    let group = unique_topic("g-2p");
    let extra = [("partition.assignment.strategy", strategy)];

    let started = Instant::now();
    let mut members = Vec::new();
    for name in ["a", "b", "c", "d"] {
        members.push(start_member(name, &group, &topic, &extra).await);
    }
    let refs: Vec<&Member> = members.iter().collect();
    wait_partitioned("4 members on 2 partitions", &refs, &topic, 2, &[0, 0, 1, 1]).await;
    timing(
        &format!("{strategy}: 4 members join together (→ 1/1/0/0)"),
        started.elapsed(),
    );
    assert_steady(&refs, Duration::from_millis(1500)).await;
    wait_all_delivered(&refs, &first).await;
    wait_committed(&refs, &first, &topic).await;
    let idle: Vec<String> = refs
        .iter()
        .filter(|m| m.assignment().is_empty())
        .map(|m| m.name().to_owned())
        .collect();
    for m in refs.iter().filter(|m| idle.iter().any(|i| i == m.name())) {
        assert!(
            m.values().is_empty(),
            "idle {} read records: {:?}",
            m.name(),
            m.values()
        );
    }

    // An owner leaves: an idle member gets its partition.
    let leaver = members
        .iter()
        .position(|m| !m.assignment().is_empty())
        .unwrap();
    let leaver = members.remove(leaver);
    let given_up = leaver.assignment();
    let left = Instant::now();
    leaver.close().await.unwrap();
    let refs: Vec<&Member> = members.iter().collect();
    wait_partitioned("after an owner left", &refs, &topic, 2, &[0, 1, 1]).await;
    timing(
        &format!("{strategy}: rebalance on leave, idle member takes over"),
        left.elapsed(),
    );
    let takers: Vec<&str> = refs
        .iter()
        .filter(|m| idle.iter().any(|i| i == m.name()) && !m.assignment().is_empty())
        .map(|m| m.name())
        .collect();
    assert!(
        !takers.is_empty(),
        "no idle member took over {given_up:?}: {}",
        describe(&refs)
    );

    // The new owner reads on from the leaver's commit: every later record once, nothing lost,
    // and nothing the leaver had committed read again.
    let second = produce(&topic, "b", 2, 4, 3).await;
    wait_all_delivered(&refs, &second).await;
    let mut logs: Vec<MemberLog> = Vec::new();
    for m in members {
        logs.push(m.close().await.unwrap());
    }
    let counts = delivered(&logs.iter().collect::<Vec<_>>());
    for p in &second {
        assert_eq!(
            counts.get(&p.value),
            Some(&1),
            "{} not read exactly once",
            p.value
        );
    }
    let reread: Vec<&String> = logs
        .iter()
        .flat_map(|l| l.deliveries.iter())
        .filter(|d| d.at > left && given_up.contains(&d.tp) && d.value.starts_with("a-"))
        .map(|d| &d.value)
        .collect();
    assert!(
        reread.is_empty(),
        "the taker re-read records the leaver had committed: {reread:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Crash: a member killed with SIGKILL.
// ---------------------------------------------------------------------------------------------

/// Environment of the child member process.
const CHILD_TOPIC: &str = "SCENARIO_CHILD_TOPIC";
const CHILD_GROUP: &str = "SCENARIO_CHILD_GROUP";
const CHILD_TEST: &str = "crash_child_member";

/// The member that `a_killed_members_partitions_resume_from_its_last_commit` kills. It runs in
/// a child process (this test binary, started with `--exact crash_child_member --ignored`):
/// SIGKILL of a process is what a crash is — no LeaveGroup, no last commit, no destructor,
/// sockets closed by the kernel, in-flight requests cut — which neither `mem::forget` (tasks
/// keep heartbeating) nor aborting a runtime (its `Drop`s still run) models.
///
/// It reports on stdout, one line each: `ASSIGN p,p` when its assignment changes, `REC p o
/// value` for each record *before* it is committed (processing = reporting), `COMMIT p=o …`
/// after a commit succeeded.
#[tokio::test]
#[ignore = "child process of a_killed_members_partitions_resume_from_its_last_commit; started by it"]
async fn crash_child_member() {
    let (Ok(topic), Ok(group)) = (std::env::var(CHILD_TOPIC), std::env::var(CHILD_GROUP)) else {
        eprintln!("not started by the crash test: nothing to do");
        return;
    };
    let mut consumer = member_consumer(&group, &[("max.poll.records", "20")]).await;
    consumer.subscribe(&[&topic]).unwrap();
    let started = Instant::now();
    let mut last_assignment = None;
    // Bounded, so an orphan never outlives a failed parent for long.
    while started.elapsed() < Duration::from_secs(120) {
        let records = match consumer.poll(Duration::from_millis(100)).await {
            Ok(records) => records,
            Err(error) => {
                eprintln!("child poll failed: {error}");
                continue;
            }
        };
        let assignment: Vec<String> = consumer
            .assignment()
            .iter()
            .map(|tp| tp.partition.to_string())
            .collect();
        if last_assignment.as_ref() != Some(&assignment) {
            println!("ASSIGN {}", assignment.join(","));
            last_assignment = Some(assignment);
        }
        let mut ends: BTreeMap<i32, i64> = BTreeMap::new();
        for r in &records {
            println!("REC {} {} {}", r.partition, r.offset, text(r));
            ends.insert(r.partition, r.offset + 1);
        }
        if ends.is_empty() {
            continue;
        }
        // Processing takes a while: a kill then often lands between processing and commit,
        // and the survivor must read those records again.
        tokio::time::sleep(Duration::from_millis(100)).await;
        if consumer.commit_sync().await.is_ok() {
            let ends: Vec<String> = ends.iter().map(|(p, o)| format!("{p}={o}")).collect();
            println!("COMMIT {}", ends.join(" "));
        }
    }
}

fn text(r: &ConsumerRecord) -> String {
    r.value
        .as_ref()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default()
}

/// What the child reported.
#[derive(Debug, Default, Clone)]
struct ChildLog {
    assignment: BTreeSet<i32>,
    /// (partition, offset, value), in order.
    processed: Vec<(i32, i64, String)>,
    committed: BTreeMap<i32, i64>,
}

fn parse_child_line(line: &str, log: &mut ChildLog) {
    if let Some(rest) = line.strip_prefix("ASSIGN ") {
        log.assignment = rest.split(',').filter_map(|p| p.parse().ok()).collect();
    } else if line == "ASSIGN" {
        log.assignment.clear();
    } else if let Some(rest) = line.strip_prefix("REC ") {
        let mut parts = rest.splitn(3, ' ');
        let (Some(p), Some(o), Some(v)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("bad child line {line:?}");
        };
        log.processed
            .push((p.parse().unwrap(), o.parse().unwrap(), v.to_owned()));
    } else if let Some(rest) = line.strip_prefix("COMMIT ") {
        for pair in rest.split(' ') {
            let (p, o) = pair.split_once('=').unwrap();
            log.committed.insert(p.parse().unwrap(), o.parse().unwrap());
        }
    }
}

#[tokio::test]
async fn a_killed_members_partitions_resume_from_its_last_commit() {
    let topic = unique_topic("scen-crash");
    create_topic(&topic, 4).await;
    let group = unique_topic("g-crash");
    let bootstrap = broker().await.bootstrap();
    let stream = BackgroundProducer::start(&topic, "c", 4, Duration::from_millis(20)).await;

    let survivor = start_member("survivor", &group, &topic, &[]).await;
    wait_partitioned("survivor alone", &[&survivor], &topic, 4, &[4]).await;

    // The child joins: the group splits between the two.
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            CHILD_TEST,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(BOOTSTRAP_ENV, &bootstrap)
        .env(CHILD_TOPIC, &topic)
        .env(CHILD_GROUP, &group)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start the child member");
    let child_log = Arc::new(Mutex::new(ChildLog::default()));
    let reader = {
        let stdout = child.stdout.take().unwrap();
        let log = child_log.clone();
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                parse_child_line(&line, &mut log.lock().unwrap());
            }
        })
    };
    let snapshot = || child_log.lock().unwrap().clone();
    let joined = Instant::now();
    let all = all_partitions(&topic, 4);
    wait_until(
        "the child and the survivor split the partitions and the child commits",
        SETTLE,
        || {
            let child = snapshot();
            let mine = survivor.assignment();
            let theirs: BTreeSet<TopicPartition> = child
                .assignment
                .iter()
                .map(|p| TopicPartition::new(&topic, *p))
                .collect();
            !theirs.is_empty()
                && is_partitioned(&[mine, theirs], &all)
                && child
                    .assignment
                    .iter()
                    .all(|p| child.committed.contains_key(p))
        },
    )
    .await;
    timing(
        "crash test: rebalance on join of a second process (→ split, child committing)",
        joined.elapsed(),
    );
    // Let the child work mid-stream (it processes more records after the split), then kill
    // it.
    let processed = snapshot().processed.len();
    wait_until("the child processes records mid-stream", SETTLE, || {
        snapshot().processed.len() >= processed + 8
    })
    .await;
    let killed = Instant::now();
    child.start_kill().expect("SIGKILL the child");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the child did not die")
        .unwrap();
    assert!(!status.success(), "the child exited by itself: {status}");
    tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .expect("child stdout not closed")
        .unwrap();
    let dead = snapshot();
    let orphaned: BTreeSet<TopicPartition> = dead
        .assignment
        .iter()
        .map(|p| TopicPartition::new(&topic, *p))
        .collect();

    // What the broker holds for the orphaned partitions once the child is gone (a commit it
    // sent just before dying may still land: read after a moment, long before the session
    // timeout lets anyone else own them).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut inspector = member_consumer(&group, &[]).await;
    let committed = offsets_only(
        inspector
            .committed(&orphaned.iter().cloned().collect::<Vec<_>>())
            .await
            .unwrap(),
    );
    assert!(
        survivor.assignment().is_disjoint(&orphaned),
        "the survivor owns the dead member's partitions before its session expired"
    );

    wait_partitioned("survivor after the kill", &[&survivor], &topic, 4, &[4]).await;
    timing(
        "crash test: takeover after kill -9 (session.timeout.ms=6000)",
        killed.elapsed(),
    );
    // The survivor reads the orphaned partitions as their new owner before the stream stops.
    wait_until(
        "the survivor reads the dead member's partitions after the takeover",
        SETTLE,
        || {
            survivor
                .log()
                .deliveries
                .iter()
                .filter(|d| d.at >= killed && orphaned.contains(&d.tp))
                .count()
                >= 8
        },
    )
    .await;
    let produced = stream.stop().await;
    // Everything produced is consumed by someone: nothing lost.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let consumed: BTreeSet<String> = survivor
            .values()
            .into_iter()
            .chain(dead.processed.iter().map(|(_, _, v)| v.clone()))
            .collect();
        let missing: Vec<&Produced> = produced
            .iter()
            .filter(|p| !consumed.contains(&p.value))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} records lost, first {:?}",
            missing.len(),
            produced.len(),
            &missing[..missing.len().min(5)]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = survivor.close().await.unwrap();

    let values: BTreeSet<&str> = produced.iter().map(|p| p.value.as_str()).collect();
    let unknown: Vec<&String> = log
        .deliveries
        .iter()
        .map(|d| &d.value)
        .chain(dead.processed.iter().map(|(_, _, v)| v))
        .filter(|v| !values.contains(v.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "consumed what was never produced: {unknown:?}"
    );

    let mut redelivered = 0;
    for tp in &orphaned {
        let commit = committed[tp].unwrap_or_else(|| panic!("the child never committed {tp}"));
        let processed: Vec<i64> = dead
            .processed
            .iter()
            .filter(|(p, _, _)| *p == tp.partition)
            .map(|(_, o, _)| *o)
            .collect();
        // Commit after processing: the commit is never past what the child processed.
        let processed_end = processed.iter().max().map_or(0, |o| o + 1);
        assert!(
            commit <= processed_end,
            "{tp}: committed {commit} > processed {processed_end}"
        );
        // The survivor starts exactly at the commit…
        let after: Vec<i64> = log
            .deliveries
            .iter()
            .filter(|d| &d.tp == tp && d.at > killed)
            .map(|d| d.offset)
            .collect();
        assert_eq!(
            after.first(),
            Some(&commit),
            "{tp}: survivor did not resume at the commit"
        );
        // …and reads on without a gap.
        assert!(
            after.windows(2).all(|w| w[1] == w[0] + 1),
            "{tp}: gap in {after:?}"
        );
        redelivered += processed.iter().filter(|o| **o >= commit).count();
        eprintln!(
            "{tp}: child processed up to {processed_end}, committed {commit} (report said {:?}); survivor resumed at {}",
            dead.committed.get(&tp.partition),
            after[0]
        );
    }
    eprintln!(
        "crash: {} records produced, {} read by the child, {} by the survivor, {redelivered} \
         read again after the crash (processed by the child after its last commit)",
        produced.len(),
        dead.processed.len(),
        log.deliveries.len()
    );
}

/// The in-process variant: a member's `Consumer` dropped without `close()` (an application
/// that panics or forgets to close). The survivor takes over once the coordinator notices —
/// at once if the drop sends a LeaveGroup (what the consumer does now), else after
/// `session.timeout.ms` — and resumes at what the dropped member committed. Not a crash model:
/// a dropped consumer still runs its `Drop`; the SIGKILL test above is the crash.
#[tokio::test]
async fn a_dropped_members_partitions_resume_from_its_last_commit() {
    let topic = unique_topic("scen-drop");
    create_topic(&topic, 2).await;
    let group = unique_topic("g-drop");
    let extra = [("partition.assignment.strategy", "range")];
    let first = produce(&topic, "d", 2, 0, 5).await;
    let a = start_member("a", &group, &topic, &extra).await;
    let b = start_member("b", &group, &topic, &extra).await;
    wait_partitioned("a and b", &[&a, &b], &topic, 2, &[1, 1]).await;
    wait_all_delivered(&[&a, &b], &first).await;
    wait_committed(&[&a, &b], &first, &topic).await;
    let orphaned = b.assignment();

    let (consumer, b_log) = b.stop().await;
    let dropped = Instant::now();
    drop(consumer);
    let second = produce(&topic, "e", 2, 5, 3).await;
    wait_partitioned("a after b was dropped", &[&a], &topic, 2, &[2]).await;
    let took = dropped.elapsed();
    timing(
        "drop without close: survivor owns the dropped member's partitions",
        took,
    );
    wait_all_delivered(&[&a], &second).await;
    let a_log = a.close().await.unwrap();
    // Resumed at b's commit: none of `first` on b's partition read again, all of `second` read.
    let reread: Vec<&String> = a_log
        .deliveries
        .iter()
        .filter(|d| orphaned.contains(&d.tp) && d.value.starts_with("d-"))
        .map(|d| &d.value)
        .collect();
    assert!(
        reread.is_empty(),
        "records b had committed were read again: {reread:?}"
    );
    let b_read = b_log
        .deliveries
        .iter()
        .filter(|d| orphaned.contains(&d.tp))
        .count();
    assert_eq!(b_read, 5, "b read its partition's first records");
    eprintln!(
        "drop without close: takeover after {took:?} ({})",
        if took >= Duration::from_secs(5) {
            "session expiry: the drop sent no LeaveGroup"
        } else {
            "sooner than the session timeout: the drop left the group"
        }
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Commits, seek, pause, lag in group mode (one member, polled inline).
// ---------------------------------------------------------------------------------------------

/// Polls until `count` records came (at most `limit`), asserting no more than `count`.
async fn poll_count(consumer: &mut Consumer, count: usize) -> Vec<ConsumerRecord> {
    let deadline = Instant::now() + SETTLE;
    let mut records = Vec::new();
    while records.len() < count {
        assert!(
            Instant::now() < deadline,
            "got {} of {count} records; assignment {:?}",
            records.len(),
            consumer.assignment()
        );
        records.extend(consumer.poll(Duration::from_millis(200)).await.unwrap());
    }
    assert_eq!(
        records.len(),
        count,
        "more records than expected: {records:?}"
    );
    records
}

fn offsets_of(records: &[ConsumerRecord], partition: i32) -> Vec<i64> {
    records
        .iter()
        .filter(|r| r.partition == partition)
        .map(|r| r.offset)
        .collect()
}

#[tokio::test]
async fn commit_sync_survives_a_restart_with_nothing_lost_or_repeated() {
    let topic = unique_topic("scen-restart");
    create_topic(&topic, 2).await;
    let produced = produce(&topic, "r", 2, 0, 10).await;
    let group = unique_topic("g-restart");
    let tps: Vec<TopicPartition> = all_partitions(&topic, 2).into_iter().collect();

    let mut first = member_consumer(&group, &[("max.poll.records", "3")]).await;
    first.subscribe(&[&topic]).unwrap();
    let subscribed = Instant::now();
    let mut before = Vec::new();
    while before.len() < 7 {
        assert!(
            subscribed.elapsed() < SETTLE,
            "first member read {} records",
            before.len()
        );
        before.extend(first.poll(Duration::from_millis(200)).await.unwrap());
    }
    timing(
        "single member: subscribe → first records",
        subscribed.elapsed(),
    );
    first.commit_sync().await.unwrap();
    let positions: HashMap<TopicPartition, Option<i64>> = tps
        .iter()
        .map(|tp| (tp.clone(), first.position(tp)))
        .collect();
    assert_eq!(
        offsets_only(first.committed(&tps).await.unwrap()),
        positions
    );
    first.close().await.unwrap();

    // A new consumer of the group (auto.offset.reset=none: a missing commit would fail).
    let mut second = member_consumer(&group, &[("auto.offset.reset", "none")]).await;
    second.subscribe(&[&topic]).unwrap();
    let after = poll_count(&mut second, 20 - before.len()).await;
    for tp in &tps {
        let resumed = offsets_of(&after, tp.partition);
        if let (Some(first_offset), Some(Some(committed))) = (resumed.first(), positions.get(tp)) {
            assert_eq!(
                first_offset, committed,
                "{tp}: restart did not resume at the commit"
            );
        }
    }
    let mut all: Vec<String> = before.iter().chain(&after).map(text).collect();
    all.sort();
    let mut want: Vec<String> = produced.into_iter().map(|p| p.value).collect();
    want.sort();
    assert_eq!(all, want, "records lost or read twice across the restart");
    second.close().await.unwrap();
}

#[tokio::test]
async fn commit_async_completes_and_is_visible_even_when_dropped() {
    let topic = unique_topic("scen-async");
    create_topic(&topic, 2).await;
    produce(&topic, "x", 2, 0, 5).await;
    let group = unique_topic("g-async");
    let tps: Vec<TopicPartition> = all_partitions(&topic, 2).into_iter().collect();
    let mut consumer = member_consumer(&group, &[]).await;
    consumer.subscribe(&[&topic]).unwrap();
    poll_count(&mut consumer, 10).await;

    let commit = consumer.commit_async();
    tokio::time::timeout(Duration::from_secs(10), commit)
        .await
        .expect("commit_async did not complete in 10 s")
        .unwrap();
    let committed = offsets_only(consumer.committed(&tps).await.unwrap());
    assert!(committed.values().all(|o| *o == Some(5)), "{committed:?}");

    // A dropped commit_async still commits.
    produce(&topic, "y", 1, 5, 3).await;
    poll_count(&mut consumer, 3).await;
    drop(consumer.commit_async());
    let p0 = tps[0].clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = offsets_only(consumer.committed(std::slice::from_ref(&p0)).await.unwrap())[&p0];
        if now == Some(8) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "dropped commit_async never landed: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    consumer.close().await.unwrap();
}

#[tokio::test]
async fn auto_commit_never_commits_past_what_poll_returned() {
    let topic = unique_topic("scen-auto");
    create_topic(&topic, 1).await;
    produce(&topic, "z", 1, 0, 20).await;
    let group = unique_topic("g-auto");
    let tp = TopicPartition::new(&topic, 0);
    let mut consumer = member_consumer(
        &group,
        &[
            ("enable.auto.commit", "true"),
            ("auto.commit.interval.ms", "300"),
            ("max.poll.records", "2"),
        ],
    )
    .await;
    consumer.subscribe(&[&topic]).unwrap();

    // Each poll returns 2 of the 20 records the first Fetch brought: the rest sit in the
    // buffer, and an auto commit of anything but the position would run ahead of the app.
    let deadline = Instant::now() + SETTLE;
    let mut returned_end = 0;
    let mut highest_commit = 0;
    while returned_end < 20 {
        assert!(Instant::now() < deadline, "read only up to {returned_end}");
        let records = consumer.poll(Duration::from_millis(200)).await.unwrap();
        if let Some(last) = records.last() {
            assert_eq!(
                records[0].offset, returned_end,
                "records skipped or repeated"
            );
            returned_end = last.offset + 1;
            assert!(records.len() <= 2);
        }
        let committed =
            offsets_only(consumer.committed(std::slice::from_ref(&tp)).await.unwrap())[&tp];
        let committed = committed.unwrap_or(0);
        assert!(
            committed <= returned_end,
            "auto commit at {committed} is past what poll returned ({returned_end})"
        );
        if let Some(position) = consumer.position(&tp) {
            assert!(
                committed <= position,
                "committed {committed} > position {position}"
            );
        }
        highest_commit = highest_commit.max(committed);
        // Longer than auto.commit.interval.ms: the next poll commits.
        tokio::time::sleep(Duration::from_millis(350)).await;
    }
    assert!(
        highest_commit >= 2,
        "auto commit never committed (highest {highest_commit})"
    );
    assert!(
        highest_commit < 20,
        "auto commit reached the end before poll returned it all"
    );
    // close() commits what was returned.
    consumer.close().await.unwrap();
    let mut inspector = member_consumer(&group, &[]).await;
    let committed = offsets_only(
        inspector
            .committed(std::slice::from_ref(&tp))
            .await
            .unwrap(),
    );
    assert_eq!(
        committed[&tp],
        Some(20),
        "close did not commit the final position"
    );
}

#[tokio::test]
async fn seek_pause_and_resume_in_group_mode() {
    let topic = unique_topic("scen-seek");
    create_topic(&topic, 2).await;
    produce(&topic, "s", 2, 0, 10).await;
    let group = unique_topic("g-seek");
    let p0 = TopicPartition::new(&topic, 0);
    let p1 = TopicPartition::new(&topic, 1);
    let mut consumer = member_consumer(&group, &[]).await;
    consumer.subscribe(&[&topic]).unwrap();
    let all = poll_count(&mut consumer, 20).await;
    assert_eq!(offsets_of(&all, 0), (0..10).collect::<Vec<_>>());

    consumer.seek(&p0, 4).unwrap();
    assert_eq!(consumer.position(&p0), Some(4));
    let again = poll_count(&mut consumer, 6).await;
    assert_eq!(offsets_of(&again, 0), (4..10).collect::<Vec<_>>());

    consumer.seek_to_beginning(std::slice::from_ref(&p1));
    let replay = poll_count(&mut consumer, 10).await;
    assert_eq!(offsets_of(&replay, 1), (0..10).collect::<Vec<_>>());

    // Paused: new records of p0 are not returned; p1's are. One record per partition at a
    // time, each polled until p1's arrives: the fetches that bring p1's (events, not a quiet
    // period) would bring p0's too were it not paused, and those would come out before
    // p1's next one.
    consumer.pause(std::slice::from_ref(&p0));
    let mut unpaused = Vec::new();
    for n in 10..13 {
        produce(&topic, "t", 2, n, 1).await;
        let deadline = Instant::now() + SETTLE;
        while unpaused
            .last()
            .map(|r: &ConsumerRecord| (r.partition, r.offset))
            != Some((1, n as i64))
        {
            assert!(Instant::now() < deadline, "p1 offset {n}: {unpaused:?}");
            unpaused.extend(consumer.poll(Duration::from_millis(200)).await.unwrap());
        }
    }
    let unpaused: Vec<(i32, i64)> = unpaused.iter().map(|r| (r.partition, r.offset)).collect();
    assert_eq!(
        unpaused,
        [(1, 10), (1, 11), (1, 12)],
        "a paused partition was read"
    );
    assert_eq!(consumer.position(&p0), Some(10));
    consumer.resume(std::slice::from_ref(&p0));
    let resumed = poll_count(&mut consumer, 3).await;
    assert_eq!(offsets_of(&resumed, 0), [10, 11, 12]);

    // seek_to_end skips nothing new: what comes after is read.
    consumer.seek(&p0, 0).unwrap();
    consumer.seek_to_end(&[p0.clone(), p1.clone()]);
    // Nothing comes while the positions move to the end (the event that ends the wait).
    let deadline = Instant::now() + SETTLE;
    while consumer.position(&p0) != Some(13) || consumer.position(&p1) != Some(13) {
        assert!(
            Instant::now() < deadline,
            "seek_to_end: positions {:?} {:?}",
            consumer.position(&p0),
            consumer.position(&p1)
        );
        let records = consumer.poll(Duration::from_millis(200)).await.unwrap();
        assert!(records.is_empty(), "read after seek_to_end: {records:?}");
    }
    produce(&topic, "u", 2, 13, 2).await;
    let tail = poll_count(&mut consumer, 4).await;
    assert_eq!(offsets_of(&tail, 0), [13, 14]);
    assert_eq!(offsets_of(&tail, 1), [13, 14]);

    let err = consumer
        .seek(&TopicPartition::new(&topic, 7), 0)
        .unwrap_err();
    assert!(err.to_string().contains("not assigned"), "{err}");
    // None of this was a rebalance.
    let events = consumer.rebalance_events();
    assert!(
        events
            .iter()
            .all(|e| matches!(e, RebalanceEvent::Assigned(_))),
        "{events:?}"
    );
    consumer.close().await.unwrap();
}

#[tokio::test]
async fn lag_is_high_watermark_minus_position_in_group_mode() {
    let topic = unique_topic("scen-lag");
    create_topic(&topic, 1).await;
    // Single-record batches: tansu's end offsets are right after those.
    produce(&topic, "l", 1, 0, 12).await;
    let group = unique_topic("g-lag");
    let tp = TopicPartition::new(&topic, 0);
    let mut consumer = member_consumer(&group, &[("max.poll.records", "5")]).await;
    consumer.subscribe(&[&topic]).unwrap();
    assert_eq!(consumer.lag(&tp), None);
    let mut read = 0;
    while read < 12 {
        let got = poll_count(&mut consumer, (12 - read).min(5)).await;
        read += got.len();
        assert_eq!(consumer.position(&tp), Some(read as i64));
        assert_eq!(
            consumer.lag(&tp),
            Some(12 - read as i64),
            "after {read} records"
        );
    }
    produce(&topic, "l", 1, 12, 3).await;
    poll_count(&mut consumer, 3).await;
    assert_eq!(consumer.position(&tp), Some(15));
    assert_eq!(consumer.lag(&tp), Some(0));
    consumer.close().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// 4. Cooperative-sticky vs eager while a member joins.
// ---------------------------------------------------------------------------------------------

/// A partition the first member keeps may go this long without a delivery during a
/// cooperative rebalance (records arrive every ~20 ms; a poll takes ≤ 100 ms).
const COOPERATIVE_GAP_BOUND: Duration = Duration::from_millis(1000);

struct JoinDuringStream {
    /// Partitions the first member owned before and after.
    kept: BTreeSet<TopicPartition>,
    /// Partitions that moved to the second member.
    moved: BTreeSet<TopicPartition>,
    /// What the first member was told to revoke, and lost, during the rebalance.
    revoked: BTreeSet<TopicPartition>,
    lost: BTreeSet<TopicPartition>,
    /// Longest delivery gap of each kept partition while the rebalance was under way.
    gaps: BTreeMap<TopicPartition, Duration>,
    rebalance: Duration,
    /// The first member's rebalance events since the second joined, in order.
    events: Vec<RebalanceEvent>,
    /// Each kept partition's offsets around the first member's first revocation since the
    /// join: the last it delivered before the poll that reported it, and the first it
    /// delivered from that poll on (`poll` applies a revocation before returning records).
    around_revocation: BTreeMap<TopicPartition, (Option<i64>, Option<i64>)>,
}

/// Of each of `partitions`: the last offset `log` delivered before `at` and the first it
/// delivered at or after `at`.
fn offsets_around(
    log: &MemberLog,
    partitions: &BTreeSet<TopicPartition>,
    at: Instant,
) -> BTreeMap<TopicPartition, (Option<i64>, Option<i64>)> {
    partitions
        .iter()
        .map(|tp| {
            let of_tp = || log.deliveries.iter().filter(move |d| &d.tp == tp);
            let before = of_tp().rfind(|d| d.at < at).map(|d| d.offset);
            let after = of_tp().find(|d| d.at >= at).map(|d| d.offset);
            (tp.clone(), (before, after))
        })
        .collect()
}

/// One member reads 4 partitions of a steady stream; a second joins. Returns what the first
/// saw while the group rebalanced.
async fn join_during_stream(strategy: &str) -> JoinDuringStream {
    trace_to_stderr_if_asked();
    let topic = unique_topic(&format!("scen-stream-{strategy}"));
    create_topic(&topic, 4).await;
    let group = unique_topic("g-stream");
    let extra = [("partition.assignment.strategy", strategy)];
    let stream = BackgroundProducer::start(&topic, "s", 4, Duration::from_millis(20)).await;
    // No commits in the poll loop: a stall of a kept partition can then only come from the
    // consumer's fetch path, not from the application waiting on a commit.
    let member = |name: &'static str| {
        let (group, topic) = (group.clone(), topic.clone());
        async move {
            let mut consumer = member_consumer(&group, &extra).await;
            consumer.subscribe(&[&topic]).unwrap();
            Member::spawn(name, consumer, MemberOptions::default())
        }
    };
    let a = member("a").await;
    wait_partitioned("a alone", &[&a], &topic, 4, &[4]).await;
    let all = all_partitions(&topic, 4);
    // a is reading every partition.
    let warm = Instant::now();
    wait_until("a reads every partition", Duration::from_secs(20), || {
        let log = a.log();
        all.iter()
            .all(|tp| log.delivery_times(tp).iter().any(|t| *t > warm))
    })
    .await;

    let joined = Instant::now();
    let b = member("b").await;
    let rebalance = wait_partitioned("a and b", &[&a, &b], &topic, 4, &[2, 2]).await;
    let settled = Instant::now();
    timing(
        &format!("{strategy}: rebalance on join under a stream (1 → 2/2)"),
        rebalance,
    );
    let log = a.log();
    let kept = log.assignment.clone();
    let moved: BTreeSet<TopicPartition> = all.difference(&kept).cloned().collect();
    let gaps = kept
        .iter()
        .map(|tp| {
            (
                tp.clone(),
                longest_gap(&log.delivery_times(tp), joined, settled),
            )
        })
        .collect();
    let mut result = JoinDuringStream {
        kept,
        moved,
        revoked: log.revoked_since(joined),
        lost: log.lost_since(joined),
        gaps,
        rebalance: settled - joined,
        events: Vec::new(),
        around_revocation: BTreeMap::new(),
    };
    // b reads what moved.
    wait_until("b reads what moved", Duration::from_secs(20), || {
        let log = b.log();
        result
            .moved
            .iter()
            .all(|tp| log.delivery_times(tp).iter().any(|t| *t > settled))
    })
    .await;
    eprintln!(
        "{strategy}: joined at {:?} since the first trace",
        joined.elapsed()
    );
    eprintln!("{strategy}: a: {}", timeline(&a.log(), joined));
    eprintln!("{strategy}: b: {}", timeline(&b.log(), joined));
    let produced = stream.stop().await;
    wait_all_delivered(&[&a, &b], &produced).await;
    let a_log = a.close().await.unwrap();
    b.close().await.unwrap();
    let since_join = a_log.events.iter().filter(|(at, _)| *at >= joined);
    result.events = since_join.clone().map(|(_, e)| e.clone()).collect();
    if let Some((revoked_at, _)) = since_join
        .clone()
        .find(|(_, e)| matches!(e, RebalanceEvent::Revoked(_)))
    {
        result.around_revocation = offsets_around(&a_log, &result.kept, *revoked_at);
    }
    eprintln!(
        "{strategy}: kept partitions' offsets (last before, first after) the revocation {:?}",
        result.around_revocation
    );
    eprintln!(
        "{strategy}: kept {:?}, moved {:?}, revoked {:?}, gaps of kept partitions {:?} over a \
         {:?} rebalance",
        result
            .kept
            .iter()
            .map(|tp| tp.partition)
            .collect::<Vec<_>>(),
        result
            .moved
            .iter()
            .map(|tp| tp.partition)
            .collect::<Vec<_>>(),
        result
            .revoked
            .iter()
            .map(|tp| tp.partition)
            .collect::<Vec<_>>(),
        result.gaps.values().collect::<Vec<_>>(),
        result.rebalance
    );
    result
}

/// A member's rebalance events, assignment changes, slow calls and delivery gaps over 300 ms,
/// in milliseconds since `origin`, for failure messages.
fn timeline(log: &MemberLog, origin: Instant) -> String {
    let ms = |t: Instant| {
        t.saturating_duration_since(origin).as_millis() as i64
            - origin.saturating_duration_since(t).as_millis() as i64
    };
    let mut lines: Vec<(i64, String)> = Vec::new();
    for (at, e) in &log.events {
        lines.push((ms(*at), format!("{e:?}")));
    }
    for (at, a) in &log.assignments {
        let parts: Vec<i32> = a.iter().map(|tp| tp.partition).collect();
        lines.push((ms(*at), format!("assignment {parts:?}")));
    }
    for (what, at, took) in &log.slow_calls {
        lines.push((ms(*at), format!("{what} took {took:?}")));
    }
    let partitions: BTreeSet<TopicPartition> =
        log.deliveries.iter().map(|d| d.tp.clone()).collect();
    for tp in partitions {
        let times = log.delivery_times(&tp);
        for w in times.windows(2) {
            if w[1] - w[0] > Duration::from_millis(300) {
                lines.push((
                    ms(w[0]),
                    format!("p{} no delivery for {:?}", tp.partition, w[1] - w[0]),
                ));
            }
        }
    }
    lines.sort();
    let mut out: Vec<String> = lines
        .into_iter()
        .map(|(t, l)| format!("{t:+} ms {l}"))
        .collect();
    out.push(format!("commit errors: {:?}", log.commit_errors));
    out.join("\n    ")
}

/// A broker answers a connection's requests in order and parks a JoinGroup for the whole join
/// round (~3 s on tansu, up to the rebalance timeout on Kafka): the group task therefore has a
/// connection of its own (as Java does), or the Fetch of the kept partitions would wait behind
/// the JoinGroup (gaps of ~3 s while the connection was shared).
#[tokio::test]
async fn cooperative_sticky_keeps_unrevoked_partitions_flowing_during_a_join() {
    let seen = join_during_stream("cooperative-sticky").await;
    assert_eq!(seen.kept.len(), 2);
    assert_eq!(
        seen.revoked, seen.moved,
        "only the moved partitions are revoked"
    );
    assert!(seen.lost.is_empty(), "lost {:?}", seen.lost);
    for (tp, gap) in &seen.gaps {
        assert!(
            *gap < COOPERATIVE_GAP_BOUND,
            "{tp} (kept) had no delivery for {gap:?} during a {:?} cooperative rebalance",
            seen.rebalance
        );
    }
}

#[tokio::test]
async fn eager_range_stops_every_partition_during_a_join() {
    let seen = join_during_stream("range").await;
    assert_eq!(seen.kept.len(), 2);
    let all: BTreeSet<TopicPartition> = seen.kept.union(&seen.moved).cloned().collect();
    assert_eq!(seen.revoked, all, "eager revokes every partition");
    // Even the partitions it gets back stopped for the rebalance: they were revoked first and
    // assigned again by the round's SyncGroup.
    let revoked = seen.events.iter().position(
        |e| matches!(e, RebalanceEvent::Revoked(tps) if seen.kept.iter().all(|tp| tps.contains(tp))),
    );
    let assigned = seen.events.iter().position(
        |e| matches!(e, RebalanceEvent::Assigned(tps) if seen.kept.iter().all(|tp| tps.contains(tp))),
    );
    assert!(
        matches!((revoked, assigned), (Some(r), Some(a)) if r < a),
        "the kept partitions were not revoked and then assigned again: {:?}",
        seen.events
    );
    // Their positions went with the revocation: after it the member looked them up again from
    // the group, which has no commit here (auto.offset.reset=earliest), instead of going on
    // where it was. How long they stopped is not asserted: it is the join round, ~3 s on
    // tansu (it parks every JoinGroup) but milliseconds on Kafka (and kafkito-testkit), whose
    // round ends as soon as the last member rejoins (`DelayedJoin`), here a right after its
    // revocation.
    for (tp, around) in &seen.around_revocation {
        assert!(
            matches!(around, (Some(_), Some(0))),
            "{tp}: (last offset before, first after) the revocation {around:?}: the kept \
             partition did not restart from the group's (empty) commit"
        );
    }
    assert_eq!(seen.around_revocation.len(), seen.kept.len());
}

/// Cooperative handover with auto commit: the partitions that move are committed when they
/// are revoked (their owner's positions, while its generation is still valid), so the new
/// owner starts exactly where the old one stopped — every record read once across the two.
#[tokio::test]
async fn cooperative_handover_commits_what_moves_so_nothing_is_read_twice() {
    let topic = unique_topic("scen-handover");
    create_topic(&topic, 4).await;
    let group = unique_topic("g-handover");
    let first = produce(&topic, "h", 4, 0, 5).await;
    // Auto commit on, its timer far away: only the revocation commits.
    let extra = [
        ("partition.assignment.strategy", "cooperative-sticky"),
        ("enable.auto.commit", "true"),
        ("auto.commit.interval.ms", "600000"),
    ];
    let member = |name: &'static str| {
        let (group, topic) = (group.clone(), topic.clone());
        async move {
            let mut consumer = member_consumer(&group, &extra).await;
            consumer.subscribe(&[&topic]).unwrap();
            Member::spawn(name, consumer, MemberOptions::default())
        }
    };
    let a = member("a").await;
    wait_partitioned("a alone", &[&a], &topic, 4, &[4]).await;
    wait_all_delivered(&[&a], &first).await;
    let b = member("b").await;
    wait_partitioned("a and b", &[&a, &b], &topic, 4, &[2, 2]).await;
    let moved = b.assignment();
    let second = produce(&topic, "i", 4, 5, 3).await;
    wait_all_delivered(&[&a, &b], &second).await;
    let a_log = a.close().await.unwrap();
    let b_log = b.close().await.unwrap();
    let counts = delivered(&[&a_log, &b_log]);
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "read twice across the handover of {moved:?}: {twice:?}"
    );
    assert_eq!(counts.len(), first.len() + second.len());
    for tp in &moved {
        let start = b_log
            .deliveries
            .iter()
            .find(|d| &d.tp == tp)
            .map(|d| d.offset);
        assert_eq!(start, Some(5), "{tp}: b did not start where a stopped");
    }
}

/// A join round may outlast `request.timeout.ms`: tansu parks every JoinGroup ~3 s (Kafka parks
/// the first one `group.initial.rebalance.delay.ms`, 3 s by default, and any round until the
/// slowest member rejoins, up to `max.poll.interval.ms`). The JoinGroup has a deadline of its
/// own (rebalance timeout + request timeout), so the join must complete, both for a member
/// joining alone and for one that keeps fetching its partitions through a cooperative round.
///
/// While the JoinGroup shared the pooled connection, every other request on it (metadata
/// refresh, Fetch, OffsetCommit) waited behind it, timed out after `request.timeout.ms` and
/// poisoned the connection, which failed the JoinGroup: with request.timeout.ms=1500 a lone
/// member never joined.
#[tokio::test]
async fn a_join_round_longer_than_request_timeout_completes() {
    let topic = unique_topic("scen-slowjoin");
    create_topic(&topic, 4).await;
    let group = unique_topic("g-slowjoin");
    let extra = [
        ("partition.assignment.strategy", "cooperative-sticky"),
        ("request.timeout.ms", "1500"),
    ];
    let stream = BackgroundProducer::start(&topic, "q", 4, Duration::from_millis(20)).await;
    let subscribed = Instant::now();
    let a = start_member("a", &group, &topic, &extra).await;
    wait_partitioned("a alone, request.timeout.ms=1500", &[&a], &topic, 4, &[4]).await;
    timing(
        "join with request.timeout.ms=1500 (< the join round)",
        subscribed.elapsed(),
    );
    let joined = Instant::now();
    let b = start_member("b", &group, &topic, &extra).await;
    wait_partitioned(
        "a and b, request.timeout.ms=1500",
        &[&a, &b],
        &topic,
        4,
        &[2, 2],
    )
    .await;
    timing(
        "cooperative rebalance on join with request.timeout.ms=1500",
        joined.elapsed(),
    );
    let produced = stream.stop().await;
    wait_all_delivered(&[&a, &b], &produced).await;
    a.close().await.unwrap();
    b.close().await.unwrap();
}
