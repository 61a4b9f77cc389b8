use super::*;

fn config() -> AccumulatorConfig {
    AccumulatorConfig {
        batch_size: 1000,
        linger: Duration::from_millis(5),
        compression: Compression::None,
        compression_level: None,
        delivery_timeout: Duration::from_secs(10),
        transactional: false,
        record_timestamps: false,
    }
}

fn append(
    acc: &mut RecordAccumulator,
    partition: i32,
    value: &[u8],
    now: Instant,
) -> AppendOutcome {
    let t = acc.topic_id("t");
    acc.append(
        t,
        partition,
        0,
        None,
        Some(value),
        &[],
        None,
        1,
        false,
        || now,
    )
    .unwrap()
}

fn leader(_: &str, p: i32) -> Option<i32> {
    if p == 9 {
        None
    } else {
        Some(p % 2)
    }
}

type LeaderFn = fn(&str, i32) -> Option<i32>;

/// Leaders by `leader`, all from metadata generation 0.
const LEADERS: Leaders<LeaderFn> = Leaders {
    generation: 0,
    leader_of: leader,
};

fn no_stamp(_: &ProducerBatch) -> Option<Option<ProducerState>> {
    Some(None)
}

/// Drains as the sender does: takes under the (here absent) lock, then encodes.
fn drain(
    acc: &mut RecordAccumulator,
    node: i32,
    max_request_size: usize,
    now: Instant,
    leaders: Leaders<LeaderFn>,
    stamp: impl FnMut(&ProducerBatch) -> Option<Option<ProducerState>>,
) -> Vec<(ProducerBatch, bytes::Bytes)> {
    acc.drain(node, max_request_size, now, leaders, stamp)
        .into_iter()
        .map(|drained| {
            let (batch, bytes) = drained.encode();
            (batch, bytes.expect("appended records encode"))
        })
        .collect()
}

#[test]
fn linger_makes_a_batch_ready() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    assert_eq!(
        append(&mut acc, 0, b"x", t0),
        AppendOutcome::Appended {
            new_batch: true,
            full: false,
            wake: true
        }
    );
    assert_eq!(
        append(&mut acc, 0, b"y", t0),
        AppendOutcome::Appended {
            new_batch: false,
            full: false,
            wake: false
        }
    );
    let check = acc.ready(t0 + Duration::from_millis(4), LEADERS);
    assert!(check.ready_nodes.is_empty());
    assert_eq!(check.next_check, Some(t0 + Duration::from_millis(5)));
    assert!(drain(&mut acc, 0, 1 << 20, t0, LEADERS, no_stamp).is_empty());
    let check = acc.ready(t0 + Duration::from_millis(5), LEADERS);
    assert_eq!(check.ready_nodes, [0]);
    let drained = drain(
        &mut acc,
        0,
        1 << 20,
        t0 + Duration::from_millis(5),
        LEADERS,
        no_stamp,
    );
    assert_eq!(drained.len(), 1);
    assert_eq!(drained[0].0.record_count(), 2);
    assert!(acc.is_empty());
}

#[test]
fn full_batch_is_ready_at_once() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    let mut outcomes = Vec::new();
    for _ in 0..12 {
        outcomes.push(append(&mut acc, 1, &[0u8; 100], t0));
    }
    // Nine 100-byte records (plus headers) fill 1000 bytes; the tenth starts a batch.
    assert!(
        outcomes
            .iter()
            .filter(|o| matches!(
                o,
                AppendOutcome::Appended {
                    new_batch: true,
                    ..
                }
            ))
            .count()
            == 2
    );
    let check = acc.ready(t0, LEADERS);
    assert_eq!(check.ready_nodes, [1]);
    let drained = drain(&mut acc, 1, 1 << 20, t0, LEADERS, no_stamp);
    assert_eq!(drained.len(), 1, "one batch per partition per request");
    assert!(drained[0].1.len() <= 1000);
    // The second batch is not full and has not lingered.
    assert!(acc.ready(t0, LEADERS).ready_nodes.is_empty());
}

#[test]
fn oversized_record_gets_its_own_batch() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    append(&mut acc, 0, b"small", t0);
    assert_eq!(
        append(&mut acc, 0, &[1u8; 5000], t0),
        AppendOutcome::Appended {
            new_batch: true,
            full: true,
            wake: true
        }
    );
    // Not full, but the full batch before it is sendable: the sender must hear of it.
    assert_eq!(
        append(&mut acc, 0, b"after", t0),
        AppendOutcome::Appended {
            new_batch: true,
            full: false,
            wake: true
        }
    );
    let d1 = drain(&mut acc, 0, 1 << 20, t0, LEADERS, no_stamp);
    let d2 = drain(&mut acc, 0, 1 << 20, t0, LEADERS, no_stamp);
    assert_eq!((d1[0].0.record_count(), d2[0].0.record_count()), (1, 1));
    assert!(d2[0].1.len() > 5000);
}

#[test]
fn abort_on_new_batch_closes_without_appending() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    let t = acc.topic_id("t");
    acc.append(t, 0, 0, None, Some(&[0u8; 900]), &[], None, 1, true, || t0)
        .unwrap();
    let outcome = acc
        .append(t, 0, 0, None, Some(&[0u8; 900]), &[], None, 1, true, || t0)
        .unwrap();
    assert_eq!(outcome, AppendOutcome::NewBatchRequired);
    assert_eq!(
        acc.ready(t0, LEADERS).ready_nodes,
        [0],
        "the full batch was closed"
    );
}

#[test]
fn drain_groups_partitions_of_one_leader_within_max_request_size() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    for p in [0, 2, 4, 1] {
        append(&mut acc, p, &[0u8; 400], t0);
    }
    let later = t0 + Duration::from_millis(5);
    let check = acc.ready(later, LEADERS);
    assert_eq!(check.ready_nodes.len(), 2);
    let all = drain(&mut acc, 0, 1 << 20, later, LEADERS, no_stamp);
    let mut parts: Vec<i32> = all.iter().map(|(b, _)| b.partition).collect();
    parts.sort();
    assert_eq!(parts, [0, 2, 4]);
    // A small max.request.size still sends one batch per request.
    append(&mut acc, 0, &[0u8; 400], t0);
    append(&mut acc, 2, &[0u8; 400], t0);
    assert_eq!(drain(&mut acc, 0, 500, later, LEADERS, no_stamp).len(), 1);
    assert_eq!(drain(&mut acc, 0, 500, later, LEADERS, no_stamp).len(), 1);
}

#[test]
fn partitions_take_turns_when_max_request_size_cuts_the_drain() {
    // Broker 0 leads the even partitions: eight of them, each with a batch, and room for two
    // batches per request. Every drained partition gets new records at once (a busy topic),
    // so each drain finds all eight sendable: four drains must take each partition once.
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    let later = t0 + Duration::from_millis(5);
    let partitions: Vec<i32> = (0..8).map(|i| i * 2).collect();
    for &p in &partitions {
        append(&mut acc, p, &[0u8; 400], t0);
    }
    let mut taken = Vec::new();
    for _ in 0..4 {
        let drained = drain(&mut acc, 0, 1100, later, LEADERS, no_stamp);
        assert_eq!(drained.len(), 2, "two batches fit in a request");
        for (batch, _) in drained {
            taken.push(batch.partition);
            append(&mut acc, batch.partition, &[0u8; 400], t0);
        }
    }
    taken.sort();
    assert_eq!(taken, partitions, "every partition had its turn once");
}

#[test]
fn a_partition_refused_at_stamping_stays_queued_and_the_others_go() {
    // A transaction's partition that the broker has not added yet is refused by the stamp;
    // the partitions already in the transaction must not wait behind it.
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    let later = t0 + Duration::from_millis(5);
    for p in [0, 2, 4] {
        append(&mut acc, p, &[0u8; 100], t0);
    }
    let not_added_yet = |b: &ProducerBatch| (b.partition != 0).then_some(None);
    let mut sent: Vec<i32> = drain(&mut acc, 0, 1 << 20, later, LEADERS, not_added_yet)
        .iter()
        .map(|(b, _)| b.partition)
        .collect();
    sent.sort();
    assert_eq!(sent, [2, 4]);
    let sent: Vec<i32> = drain(&mut acc, 0, 1 << 20, later, LEADERS, no_stamp)
        .iter()
        .map(|(b, _)| b.partition)
        .collect();
    assert_eq!(sent, [0], "the refused batch stayed queued");
}

#[test]
fn retried_batch_goes_first_after_its_backoff() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    append(&mut acc, 0, &[0u8; 950], t0); // batch 0, full
    let (mut first, _) = drain(&mut acc, 0, 1 << 20, t0, LEADERS, no_stamp).remove(0);
    append(&mut acc, 0, &[0u8; 950], t0); // batch 1, full
    first.retry_at = Some(t0 + Duration::from_millis(100));
    acc.reenqueue(first);
    // While batch 0 backs off, batch 1 must not overtake it.
    let check = acc.ready(t0, LEADERS);
    assert!(check.ready_nodes.is_empty());
    assert_eq!(check.next_check, Some(t0 + Duration::from_millis(100)));
    assert!(drain(&mut acc, 0, 1 << 20, t0, LEADERS, no_stamp).is_empty());
    let later = t0 + Duration::from_millis(100);
    let (b, _) = drain(&mut acc, 0, 1 << 20, later, LEADERS, no_stamp).remove(0);
    assert_eq!((b.id, b.attempts), (0, 2));
    let (b, _) = drain(&mut acc, 0, 1 << 20, later, LEADERS, no_stamp).remove(0);
    assert_eq!(b.id, 1);
}

#[test]
fn stamps_sequences_at_drain_in_order() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    for _ in 0..3 {
        append(&mut acc, 0, &[0u8; 600], t0);
    }
    let mut next = 0;
    let mut stamp = |b: &ProducerBatch| {
        let s = ProducerState {
            producer_id: 1,
            producer_epoch: 0,
            base_sequence: next,
        };
        next += b.record_count() as i32;
        Some(Some(s))
    };
    let later = t0 + Duration::from_millis(5);
    let seqs: Vec<i32> = (0..3)
        .map(|_| {
            drain(&mut acc, 0, 1 << 20, later, LEADERS, &mut stamp)
                .remove(0)
                .0
                .producer_state
                .unwrap()
                .base_sequence
        })
        .collect();
    assert_eq!(seqs, [0, 1, 2]);
    // No producer id yet: nothing is drained.
    append(&mut acc, 0, b"x", t0);
    assert!(drain(&mut acc, 0, 1 << 20, later, LEADERS, |_| None).is_empty());
}

#[test]
fn unknown_leader_and_expiry() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    append(&mut acc, 9, b"x", t0);
    let check = acc.ready(t0 + Duration::from_secs(1), LEADERS);
    assert!(check.unknown_leaders && check.ready_nodes.is_empty());
    assert_eq!(check.next_check, Some(t0 + Duration::from_secs(10)));
    assert!(acc.expire(t0 + Duration::from_millis(9_999)).is_empty());
    let expired = acc.expire(t0 + Duration::from_secs(10));
    assert_eq!(expired.len(), 1);
    assert!(acc.is_empty());
}

#[test]
fn flush_makes_batches_ready_and_tracks_completion() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    assert_eq!(acc.begin_flush(), None);
    append(&mut acc, 0, b"x", t0);
    append(&mut acc, 2, b"x", t0);
    let last = acc.begin_flush().unwrap();
    assert!(!acc.flushed(last));
    assert_eq!(acc.ready(t0, LEADERS).ready_nodes, [0]);
    for (b, _) in drain(&mut acc, 0, 1 << 20, t0, LEADERS, no_stamp) {
        acc.batch_done(b.id);
    }
    assert!(acc.flushed(last));
    assert_eq!(acc.incomplete_batches(), 0);
}

#[test]
fn a_record_topic_is_found_by_pointer_or_by_name() {
    let mut acc = RecordAccumulator::new(config());
    let orders = Topic::from("orders");
    let first = acc.record_topic_id(&orders);
    assert_eq!(
        acc.record_topic_id(&orders.clone()),
        first,
        "a clone: same id"
    );
    assert_eq!(
        acc.record_topic_id(&Topic::from("orders")),
        first,
        "another name buffer with the same name: found by name"
    );
    let other = acc.record_topic_id(&Topic::from("payments"));
    assert_ne!(other, first);
    assert_eq!(acc.record_topic_id(&orders), first);
    assert_eq!(acc.topic_id("payments"), other);
}

#[test]
fn draining_leaves_compression_to_the_caller_and_sizes_requests_by_the_observed_ratio() {
    let mut acc = RecordAccumulator::new(AccumulatorConfig {
        compression: Compression::Lz4,
        ..config()
    });
    let t0 = Instant::now();
    let later = t0 + Duration::from_millis(5);
    // Four partitions on node 0, each a batch of ~600 uncompressed bytes that lz4 shrinks a lot.
    for p in [0, 2, 4, 6] {
        append(&mut acc, p, &[7u8; 600], t0);
    }
    // No ratio known yet (1.0): a 1750-byte request holds two of them (~680 bytes each).
    let taken = acc.drain(0, 1750, later, LEADERS, no_stamp);
    assert_eq!(taken.len(), 2);
    assert!(
        taken.iter().all(|d| d.batch.is_unencoded()),
        "drain must not encode"
    );
    let (mut uncompressed, mut encoded) = (0, 0);
    for d in taken {
        uncompressed += d.batch.estimated_size();
        encoded += d.encode().1.unwrap().len();
    }
    assert!(encoded * 4 < uncompressed, "{encoded} of {uncompressed}");
    acc.observe_compression(uncompressed, encoded);
    // One better observation moves the estimate only part of the way.
    assert_eq!(acc.drain(0, 1750, later, LEADERS, no_stamp).len(), 2);
    for _ in 0..30 {
        acc.observe_compression(uncompressed, encoded);
    }
    // Knowing the ratio, one request takes all four.
    for p in [0, 2, 4, 6] {
        append(&mut acc, p, &[7u8; 600], t0);
    }
    assert_eq!(acc.drain(0, 1750, later, LEADERS, no_stamp).len(), 4);
    // A worse ratio is followed at once.
    acc.observe_compression(1000, 1000);
    for p in [0, 2, 4, 6] {
        append(&mut acc, p, &[7u8; 600], t0);
    }
    assert_eq!(acc.drain(0, 1750, later, LEADERS, no_stamp).len(), 2);
}

#[test]
fn without_compression_the_ratio_stays_one() {
    let mut acc = RecordAccumulator::new(config());
    acc.observe_compression(1000, 100);
    let t0 = Instant::now();
    for p in [0, 2, 4] {
        append(&mut acc, p, &[0u8; 400], t0);
    }
    assert_eq!(
        acc.drain(0, 1250, t0 + Duration::from_millis(5), LEADERS, no_stamp)
            .len(),
        2
    );
}

fn wakes(outcome: AppendOutcome) -> bool {
    matches!(outcome, AppendOutcome::Appended { wake: true, .. })
}

#[test]
fn a_new_batch_wakes_the_sender_only_when_its_next_look_is_too_late() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    // The sender has not looked yet: it sleeps until woken.
    assert!(wakes(append(&mut acc, 0, b"a", t0)));
    // Its pass at t0+1ms will look again at t0+5ms, when partition 0's linger ends.
    let check = acc.ready(t0 + Duration::from_millis(1), LEADERS);
    assert_eq!(check.next_check, Some(t0 + Duration::from_millis(5)));
    // A batch whose linger ends at t0+7ms is seen by that look: no wake-up.
    assert!(!wakes(append(
        &mut acc,
        2,
        b"b",
        t0 + Duration::from_millis(2)
    )));
    // That look sends partition 0 and will look again for partition 2 at t0+7ms.
    let later = t0 + Duration::from_millis(5);
    assert_eq!(acc.ready(later, LEADERS).ready_nodes, [0]);
    let (mut batch, _) = drain(&mut acc, 0, 1 << 20, later, LEADERS, no_stamp).remove(0);
    // Partition 0's batch comes back to retry at t0+100ms; the sender looks again at t0+7ms.
    batch.retry_at = Some(t0 + Duration::from_millis(100));
    acc.reenqueue(batch);
    assert_eq!(
        acc.ready(later, LEADERS).next_check,
        Some(t0 + Duration::from_millis(7))
    );
    let drained = drain(
        &mut acc,
        0,
        1 << 20,
        t0 + Duration::from_millis(7),
        LEADERS,
        no_stamp,
    );
    assert_eq!(drained.len(), 1, "partition 2");
    // Now the only wait is the retry's: a batch lingering until t0+15ms needs a wake-up.
    assert_eq!(
        acc.ready(t0 + Duration::from_millis(8), LEADERS).next_check,
        Some(t0 + Duration::from_millis(100))
    );
    assert!(wakes(append(
        &mut acc,
        4,
        b"c",
        t0 + Duration::from_millis(10)
    )));
    // The sender looks again at t0+15ms; a batch lingering until t0+16ms does not wake it,
    // but once a newer batch stands behind it, it is sendable at once.
    assert_eq!(
        acc.ready(t0 + Duration::from_millis(10), LEADERS)
            .next_check,
        Some(t0 + Duration::from_millis(15))
    );
    let t11 = t0 + Duration::from_millis(11);
    assert!(!wakes(append(&mut acc, 5, &[0u8; 900], t11)));
    assert!(wakes(append(&mut acc, 5, &[0u8; 900], t11)));
}

#[test]
fn leaders_are_looked_up_per_generation_and_for_new_queues() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    let later = t0 + Duration::from_millis(5);
    let lookups = std::cell::Cell::new(0);
    let counted = |generation| Leaders {
        generation,
        leader_of: |_: &str, p: i32| {
            lookups.set(lookups.get() + 1);
            Some(p % 2)
        },
    };
    append(&mut acc, 0, b"a", t0);
    append(&mut acc, 1, b"b", t0);
    assert_eq!(acc.ready(later, counted(1)).ready_nodes, [0, 1]);
    assert_eq!(lookups.get(), 2);
    // The same generation again: no lookup.
    assert_eq!(acc.drain(0, 1 << 20, later, counted(1), no_stamp).len(), 1);
    assert_eq!(lookups.get(), 2);
    // A queue added in the same generation is looked up (with the others) before a drain.
    append(&mut acc, 3, b"c", t0);
    let drained = acc.drain(1, 1 << 20, later, counted(1), no_stamp);
    assert_eq!(drained.len(), 2, "partitions 1 and 3");
    assert_eq!(lookups.get(), 2 + 4);
    // A new generation moves every partition to broker 7.
    append(&mut acc, 0, b"d", t0);
    append(&mut acc, 3, b"e", t0);
    let moved = Leaders {
        generation: 2,
        leader_of: |_: &str, _: i32| Some(7),
    };
    assert!(acc.drain(0, 1 << 20, later, moved, no_stamp).is_empty());
    assert_eq!(acc.ready(later, moved).ready_nodes, [7]);
    assert_eq!(acc.drain(7, 1 << 20, later, moved, no_stamp).len(), 2);
    assert!(acc.is_empty());
}

#[test]
fn expiry_walks_the_queues_only_once_a_deadline_has_come() {
    let mut acc = RecordAccumulator::new(config());
    let t0 = Instant::now();
    append(&mut acc, 0, b"a", t0);
    append(&mut acc, 2, b"b", t0 + Duration::from_secs(2));
    assert!(acc.expire(t0 + Duration::from_secs(9)).is_empty());
    let expired = acc.expire(t0 + Duration::from_secs(10));
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].partition, 0);
    // The next deadline is partition 2's; a retried batch older than it comes first.
    let later = t0 + Duration::from_secs(2) + Duration::from_millis(5);
    let (old, _) = drain(&mut acc, 0, 1 << 20, later, LEADERS, no_stamp).remove(0);
    let mut old = old;
    old.created = t0 + Duration::from_secs(1);
    acc.reenqueue(old);
    assert!(acc.expire(t0 + Duration::from_millis(10_999)).is_empty());
    assert_eq!(acc.expire(t0 + Duration::from_secs(11)).len(), 1);
    assert!(acc.is_empty());
    assert!(acc.expire(t0 + Duration::from_secs(60)).is_empty());
}

#[test]
fn a_new_batch_is_sized_by_the_last_one_drained() {
    let mut acc = RecordAccumulator::new(AccumulatorConfig {
        batch_size: 64 * 1024,
        ..config()
    });
    let t0 = Instant::now();
    let later = t0 + Duration::from_millis(5);
    let capacity = |acc: &mut RecordAccumulator, p: i32| {
        let t = acc.topic_id("t");
        acc.queue_mut(t, p).unwrap().next_capacity
    };
    // Nothing drained yet: `batch.size`.
    append(&mut acc, 0, &[0u8; 100], t0);
    assert_eq!(capacity(&mut acc, 0), 0);
    // A batch that lingered out at ~170 bytes: the smallest buffer.
    drain(&mut acc, 0, 1 << 20, later, LEADERS, no_stamp);
    assert_eq!(capacity(&mut acc, 0), MIN_BATCH_CAPACITY);
    // One of ~40 KiB: a quarter more.
    for _ in 0..40 {
        append(&mut acc, 0, &[0u8; 1000], t0);
    }
    let (batch, _) = drain(&mut acc, 0, 1 << 20, later, LEADERS, no_stamp).remove(0);
    let used = batch.estimated_size();
    assert!(used > 40_000, "{used}");
    assert_eq!(capacity(&mut acc, 0), used + used / 4);
    // A full batch: `batch.size` again.
    for _ in 0..70 {
        append(&mut acc, 0, &[0u8; 1000], t0);
    }
    let (mut full, _) = drain(&mut acc, 0, 1 << 20, later, LEADERS, no_stamp).remove(0);
    assert_eq!(capacity(&mut acc, 0), 64 * 1024);
    // The six records left over went into a batch of their own.
    let small = acc.drain(0, 1 << 20, later, LEADERS, no_stamp);
    let used = small[0].batch.estimated_size();
    assert!(used < 7000, "{used}");
    assert_eq!(capacity(&mut acc, 0), used + used / 4);
    // The full batch comes back for a retry: sent again, it teaches nothing.
    full.retry_at = None;
    acc.reenqueue(full);
    assert_eq!(acc.drain(0, 1 << 20, later, LEADERS, no_stamp).len(), 1);
    assert_eq!(
        capacity(&mut acc, 0),
        used + used / 4,
        "a retry is not a new size"
    );
}
