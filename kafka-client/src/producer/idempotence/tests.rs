use super::*;

fn tp() -> Arc<str> {
    Arc::from("t")
}

fn started() -> SequenceManager {
    let mut sequences = SequenceManager::new();
    assert!(!sequences.can_send() && sequences.needs_producer_id());
    sequences.set_producer(ProducerIdAndEpoch {
        producer_id: 42,
        epoch: 0,
    });
    assert!(sequences.can_send());
    sequences
}

#[test]
fn sequences_are_assigned_at_drain_and_kept_on_retry() {
    let mut sequences = started();
    let a = sequences.stamp(&tp(), 0, 10, None).unwrap();
    let b = sequences.stamp(&tp(), 0, 5, None).unwrap();
    let other = sequences.stamp(&tp(), 1, 3, None).unwrap();
    assert_eq!(
        (a.base_sequence, b.base_sequence, other.base_sequence),
        (0, 10, 0)
    );
    assert_eq!(a.producer_id, 42);
    // A retry of `a` keeps its sequence; the next new batch continues after `b`.
    assert_eq!(sequences.stamp(&tp(), 0, 10, Some(a)), Some(a));
    assert_eq!(
        sequences.stamp(&tp(), 0, 1, None).unwrap().base_sequence,
        15
    );
}

#[test]
fn out_of_order_behind_a_failed_batch_is_retried() {
    let mut sequences = started();
    let a = sequences.stamp(&tp(), 0, 10, None).unwrap();
    let b = sequences.stamp(&tp(), 0, 10, None).unwrap();
    // `a` failed with NOT_LEADER (not a sequence error); `b` was rejected behind it.
    assert_eq!(
        sequences.on_error(&tp(), 0, &a, ErrorCode::NotLeaderOrFollower),
        SequenceDecision::NotSequenceError
    );
    assert_eq!(
        sequences.on_error(&tp(), 0, &b, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Retry
    );
    assert!(sequences.can_send(), "no bump for an expected rejection");
    sequences.on_success(&tp(), 0, 10, &a);
    sequences.on_success(&tp(), 0, 10, &b);
    let c = sequences.stamp(&tp(), 0, 1, None).unwrap();
    assert_eq!(c.base_sequence, 20);
}

#[test]
fn a_real_gap_fails_the_batch_and_bumps_the_epoch() {
    let mut sequences = started();
    let a = sequences.stamp(&tp(), 0, 10, None).unwrap();
    sequences.on_success(&tp(), 0, 10, &a);
    let b = sequences.stamp(&tp(), 0, 10, None).unwrap();
    let c = sequences.stamp(&tp(), 0, 10, None).unwrap();
    assert_eq!(
        sequences.on_error(&tp(), 0, &b, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Fail
    );
    assert!(!sequences.can_send() && sequences.needs_producer_id());
    assert_eq!(
        sequences.producer(),
        Some(ProducerIdAndEpoch {
            producer_id: 42,
            epoch: 0
        })
    );
    sequences.set_producer(ProducerIdAndEpoch {
        producer_id: 42,
        epoch: 1,
    });
    // `c`, stamped under epoch 0, comes back and is re-sequenced from 0 under epoch 1.
    assert_eq!(
        sequences.on_error(&tp(), 0, &c, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Resequence
    );
    let c2 = sequences.stamp(&tp(), 0, 10, Some(c)).unwrap();
    assert_eq!((c2.producer_epoch, c2.base_sequence), (1, 0));
    // Every partition restarts at 0 under the new epoch.
    assert_eq!(sequences.stamp(&tp(), 7, 1, None).unwrap().base_sequence, 0);
}

#[test]
fn unknown_producer_id_bumps_and_resequences() {
    let mut sequences = started();
    let a = sequences.stamp(&tp(), 0, 1, None).unwrap();
    assert_eq!(
        sequences.on_error(&tp(), 0, &a, ErrorCode::UnknownProducerId),
        SequenceDecision::Resequence
    );
    assert!(sequences.needs_producer_id());
    sequences.set_producer(ProducerIdAndEpoch {
        producer_id: 42,
        epoch: 1,
    });
    let a2 = sequences.stamp(&tp(), 0, 1, Some(a)).unwrap();
    assert_eq!((a2.producer_epoch, a2.base_sequence), (1, 0));
}

#[test]
fn failed_sequenced_batch_bumps_the_epoch() {
    let mut sequences = started();
    let a = sequences.stamp(&tp(), 0, 1, None).unwrap();
    sequences.on_batch_failed(&tp(), 0, Some(&a));
    assert!(!sequences.can_send());
    sequences.on_batch_failed(&tp(), 0, None);
}

fn idempotent() -> SequenceManager {
    let mut sequences = SequenceManager::idempotent();
    assert!(sequences.needs_producer_id());
    assert!(
        !sequences.bump_epoch_locally(),
        "no id yet: InitProducerId is due"
    );
    sequences.set_producer(ProducerIdAndEpoch {
        producer_id: 42,
        epoch: 3,
    });
    assert!(sequences.can_send());
    sequences
}

#[test]
fn idempotent_failed_batch_bumps_the_epoch_locally() {
    let mut sequences = idempotent();
    let a = sequences.stamp(&tp(), 0, 5, None).unwrap();
    sequences.on_success(&tp(), 0, 5, &a);
    let b = sequences.stamp(&tp(), 0, 5, None).unwrap();
    let c = sequences.stamp(&tp(), 0, 5, None).unwrap();
    let other = sequences.stamp(&tp(), 1, 2, None).unwrap();
    assert_eq!((b.base_sequence, c.base_sequence), (5, 10));
    // `b` failed for good (TOPIC_AUTHORIZATION_FAILED, a delivery timeout): a gap.
    sequences.on_batch_failed(&tp(), 0, Some(&b));
    assert!(sequences.needs_producer_id() && !sequences.can_send());
    // No InitProducerId: the epoch is bumped here, same id.
    assert!(sequences.bump_epoch_locally());
    assert_eq!(
        sequences.producer(),
        Some(ProducerIdAndEpoch {
            producer_id: 42,
            epoch: 4
        })
    );
    assert!(sequences.can_send());
    // `c`, stamped under epoch 3 behind the gap, comes back and starts again from 0.
    assert_eq!(
        sequences.on_error(&tp(), 0, &c, ErrorCode::NotLeaderOrFollower),
        SequenceDecision::Resequence
    );
    let c2 = sequences.stamp(&tp(), 0, 5, Some(c)).unwrap();
    assert_eq!(
        (c2.producer_id, c2.producer_epoch, c2.base_sequence),
        (42, 4, 0)
    );
    // `other`'s partition had no gap: it keeps epoch 3 and its sequence (the broker may
    // have it already and must recognise the retry), and goes on under epoch 3.
    assert_eq!(
        sequences.on_error(&tp(), 1, &other, ErrorCode::NotLeaderOrFollower),
        SequenceDecision::NotSequenceError
    );
    assert_eq!(sequences.stamp(&tp(), 1, 2, Some(other)), Some(other));
    let next = sequences.stamp(&tp(), 1, 1, None).unwrap();
    assert_eq!((next.producer_epoch, next.base_sequence), (3, 2));
    // A late ack of an old-epoch batch changes nothing.
    sequences.on_success(&tp(), 0, 5, &a);
    assert_eq!(sequences.stamp(&tp(), 0, 1, None).unwrap().base_sequence, 5);
}

#[test]
fn idempotent_out_of_order_on_the_next_batch_is_resequenced_not_failed() {
    let mut sequences = idempotent();
    let a = sequences.stamp(&tp(), 0, 5, None).unwrap();
    sequences.on_success(&tp(), 0, 5, &a);
    let b = sequences.stamp(&tp(), 0, 5, None).unwrap();
    let c = sequences.stamp(&tp(), 0, 5, None).unwrap();
    // `c` behind `b`: an expected rejection, retried as it is.
    assert_eq!(
        sequences.on_error(&tp(), 0, &c, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Retry
    );
    assert!(sequences.can_send());
    // `b` is the next expected: a real gap. Bump, and send `b` again.
    assert_eq!(
        sequences.on_error(&tp(), 0, &b, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Resequence
    );
    assert!(sequences.bump_epoch_locally());
    let b2 = sequences.stamp(&tp(), 0, 5, Some(b)).unwrap();
    let c2 = sequences.stamp(&tp(), 0, 5, Some(c)).unwrap();
    assert_eq!(
        (b2.producer_epoch, b2.base_sequence, c2.base_sequence),
        (4, 0, 5)
    );
    // Sequence 0 of the new epoch refused too: the broker lost our state. New id.
    assert_eq!(
        sequences.on_error(&tp(), 0, &b2, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Resequence
    );
    assert!(
        !sequences.bump_epoch_locally(),
        "a reset needs InitProducerId"
    );
    assert!(sequences.needs_producer_id());
}

#[test]
fn idempotent_unknown_producer_resets_the_id() {
    for code in [
        ErrorCode::UnknownProducerId,
        ErrorCode::InvalidProducerIdMapping,
        ErrorCode::InvalidProducerEpoch,
    ] {
        let mut sequences = idempotent();
        let a = sequences.stamp(&tp(), 0, 1, None).unwrap();
        let b = sequences.stamp(&tp(), 0, 1, None).unwrap();
        assert_eq!(
            sequences.on_error(&tp(), 0, &a, code),
            SequenceDecision::Resequence,
            "{code:?}"
        );
        // A gap reported afterwards does not downgrade the reset to a bump.
        sequences.on_batch_failed(&tp(), 0, Some(&b));
        assert!(
            !sequences.bump_epoch_locally(),
            "{code:?}: InitProducerId(-1) is due"
        );
        assert!(sequences.needs_producer_id());
        sequences.set_producer(ProducerIdAndEpoch {
            producer_id: 77,
            epoch: 0,
        });
        let a2 = sequences.stamp(&tp(), 0, 1, Some(a)).unwrap();
        assert_eq!(
            (a2.producer_id, a2.producer_epoch, a2.base_sequence),
            (77, 0, 0)
        );
    }
}

#[test]
fn idempotent_epoch_exhausted_resets_the_id() {
    let mut sequences = SequenceManager::idempotent();
    sequences.set_producer(ProducerIdAndEpoch {
        producer_id: 1,
        epoch: i16::MAX,
    });
    let a = sequences.stamp(&tp(), 0, 1, None).unwrap();
    sequences.on_batch_failed(&tp(), 0, Some(&a));
    assert!(!sequences.bump_epoch_locally());
    assert!(sequences.needs_producer_id());
    assert_eq!(sequences.producer().unwrap().epoch, i16::MAX, "no overflow");
}

#[test]
fn transactional_bookkeeping_never_bumps_locally() {
    let mut sequences = started();
    let a = sequences.stamp(&tp(), 0, 1, None).unwrap();
    assert_eq!(
        sequences.on_error(&tp(), 0, &a, ErrorCode::UnknownProducerId),
        SequenceDecision::Resequence
    );
    assert!(
        !sequences.bump_epoch_locally(),
        "the coordinator bumps the epoch"
    );
    assert_eq!(sequences.producer().unwrap().epoch, 0);
}

/// Found by the chaos run (integration-tests/tests/chaos.rs, seed 116): partition 1's
/// batch was written but its answer lost, and while it waited for its retry partition 0's
/// batch failed for good. The bump re-sequenced partition 1's batch under the new epoch,
/// so the broker wrote it a second time.
#[test]
fn seed_116_a_local_bump_leaves_the_other_partitions_retries_as_they_were() {
    let mut sequences = idempotent();
    let lost_answer = sequences.stamp(&tp(), 1, 1, None).unwrap();
    let refused = sequences.stamp(&tp(), 0, 1, None).unwrap();
    assert_eq!(
        sequences.on_error(&tp(), 1, &lost_answer, ErrorCode::RequestTimedOut),
        SequenceDecision::NotSequenceError
    );
    sequences.on_batch_failed(&tp(), 0, Some(&refused));
    assert!(sequences.bump_epoch_locally());
    assert_eq!(sequences.producer().unwrap().epoch, 4);
    // The retry goes out exactly as the first try: the broker answers it as a duplicate.
    assert_eq!(
        sequences.stamp(&tp(), 1, 1, Some(lost_answer)),
        Some(lost_answer)
    );
    sequences.on_success(&tp(), 1, 1, &lost_answer);
    // Partition 0 starts again under the new epoch.
    let fresh = sequences.stamp(&tp(), 0, 1, None).unwrap();
    assert_eq!((fresh.producer_epoch, fresh.base_sequence), (4, 0));
}

#[test]
fn sequences_wrap() {
    assert_eq!(add_sequence(i32::MAX, 1), 0);
    assert_eq!(add_sequence(i32::MAX - 1, 5), 3);
    assert_eq!(add_sequence(-1, 1), 0);
}
