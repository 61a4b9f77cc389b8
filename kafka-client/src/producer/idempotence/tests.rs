use super::*;

fn tp() -> Arc<str> {
    Arc::from("t")
}

fn started() -> SequenceManager {
    let mut tm = SequenceManager::new();
    assert!(!tm.can_send() && tm.needs_producer_id());
    tm.set_producer(ProducerIdAndEpoch {
        producer_id: 42,
        epoch: 0,
    });
    assert!(tm.can_send());
    tm
}

#[test]
fn sequences_are_assigned_at_drain_and_kept_on_retry() {
    let mut tm = started();
    let a = tm.stamp(&tp(), 0, 10, None).unwrap();
    let b = tm.stamp(&tp(), 0, 5, None).unwrap();
    let other = tm.stamp(&tp(), 1, 3, None).unwrap();
    assert_eq!(
        (a.base_sequence, b.base_sequence, other.base_sequence),
        (0, 10, 0)
    );
    assert_eq!(a.producer_id, 42);
    // A retry of `a` keeps its sequence; the next new batch continues after `b`.
    assert_eq!(tm.stamp(&tp(), 0, 10, Some(a)), Some(a));
    assert_eq!(tm.stamp(&tp(), 0, 1, None).unwrap().base_sequence, 15);
}

#[test]
fn out_of_order_behind_a_failed_batch_is_retried() {
    let mut tm = started();
    let a = tm.stamp(&tp(), 0, 10, None).unwrap();
    let b = tm.stamp(&tp(), 0, 10, None).unwrap();
    // `a` failed with NOT_LEADER (not a sequence error); `b` was rejected behind it.
    assert_eq!(
        tm.on_error(&tp(), 0, &a, ErrorCode::NotLeaderOrFollower),
        SequenceDecision::NotSequenceError
    );
    assert_eq!(
        tm.on_error(&tp(), 0, &b, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Retry
    );
    assert!(tm.can_send(), "no bump for an expected rejection");
    tm.on_success(&tp(), 0, 10, &a);
    tm.on_success(&tp(), 0, 10, &b);
    let c = tm.stamp(&tp(), 0, 1, None).unwrap();
    assert_eq!(c.base_sequence, 20);
}

#[test]
fn a_real_gap_fails_the_batch_and_bumps_the_epoch() {
    let mut tm = started();
    let a = tm.stamp(&tp(), 0, 10, None).unwrap();
    tm.on_success(&tp(), 0, 10, &a);
    let b = tm.stamp(&tp(), 0, 10, None).unwrap();
    let c = tm.stamp(&tp(), 0, 10, None).unwrap();
    assert_eq!(
        tm.on_error(&tp(), 0, &b, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Fail
    );
    assert!(!tm.can_send() && tm.needs_producer_id());
    assert_eq!(
        tm.producer(),
        Some(ProducerIdAndEpoch {
            producer_id: 42,
            epoch: 0
        })
    );
    tm.set_producer(ProducerIdAndEpoch {
        producer_id: 42,
        epoch: 1,
    });
    // `c`, stamped under epoch 0, comes back and is re-sequenced from 0 under epoch 1.
    assert_eq!(
        tm.on_error(&tp(), 0, &c, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Resequence
    );
    let c2 = tm.stamp(&tp(), 0, 10, Some(c)).unwrap();
    assert_eq!((c2.producer_epoch, c2.base_sequence), (1, 0));
    // Every partition restarts at 0 under the new epoch.
    assert_eq!(tm.stamp(&tp(), 7, 1, None).unwrap().base_sequence, 0);
}

#[test]
fn unknown_producer_id_bumps_and_resequences() {
    let mut tm = started();
    let a = tm.stamp(&tp(), 0, 1, None).unwrap();
    assert_eq!(
        tm.on_error(&tp(), 0, &a, ErrorCode::UnknownProducerId),
        SequenceDecision::Resequence
    );
    assert!(tm.needs_producer_id());
    tm.set_producer(ProducerIdAndEpoch {
        producer_id: 42,
        epoch: 1,
    });
    let a2 = tm.stamp(&tp(), 0, 1, Some(a)).unwrap();
    assert_eq!((a2.producer_epoch, a2.base_sequence), (1, 0));
}

#[test]
fn failed_sequenced_batch_bumps_the_epoch() {
    let mut tm = started();
    let a = tm.stamp(&tp(), 0, 1, None).unwrap();
    tm.on_batch_failed(Some(&a));
    assert!(!tm.can_send());
    tm.on_batch_failed(None);
}

fn idempotent() -> SequenceManager {
    let mut tm = SequenceManager::idempotent();
    assert!(tm.needs_producer_id());
    assert!(!tm.bump_epoch_locally(), "no id yet: InitProducerId is due");
    tm.set_producer(ProducerIdAndEpoch {
        producer_id: 42,
        epoch: 3,
    });
    assert!(tm.can_send());
    tm
}

#[test]
fn idempotent_failed_batch_bumps_the_epoch_locally() {
    let mut tm = idempotent();
    let a = tm.stamp(&tp(), 0, 5, None).unwrap();
    tm.on_success(&tp(), 0, 5, &a);
    let b = tm.stamp(&tp(), 0, 5, None).unwrap();
    let c = tm.stamp(&tp(), 0, 5, None).unwrap();
    let other = tm.stamp(&tp(), 1, 2, None).unwrap();
    assert_eq!((b.base_sequence, c.base_sequence), (5, 10));
    // `b` failed for good (TOPIC_AUTHORIZATION_FAILED, a delivery timeout): a gap.
    tm.on_batch_failed(Some(&b));
    assert!(tm.needs_producer_id() && !tm.can_send());
    // No InitProducerId: the epoch is bumped here, same id.
    assert!(tm.bump_epoch_locally());
    assert_eq!(
        tm.producer(),
        Some(ProducerIdAndEpoch {
            producer_id: 42,
            epoch: 4
        })
    );
    assert!(tm.can_send());
    // `c` and `other`, stamped under epoch 3, come back and start again from 0.
    assert_eq!(
        tm.on_error(&tp(), 0, &c, ErrorCode::NotLeaderOrFollower),
        SequenceDecision::Resequence
    );
    let c2 = tm.stamp(&tp(), 0, 5, Some(c)).unwrap();
    assert_eq!(
        (c2.producer_id, c2.producer_epoch, c2.base_sequence),
        (42, 4, 0)
    );
    let other2 = tm.stamp(&tp(), 1, 2, Some(other)).unwrap();
    assert_eq!((other2.producer_epoch, other2.base_sequence), (4, 0));
    // A late ack of an old-epoch batch changes nothing.
    tm.on_success(&tp(), 0, 5, &a);
    assert_eq!(tm.stamp(&tp(), 0, 1, None).unwrap().base_sequence, 5);
}

#[test]
fn idempotent_out_of_order_on_the_next_batch_is_resequenced_not_failed() {
    let mut tm = idempotent();
    let a = tm.stamp(&tp(), 0, 5, None).unwrap();
    tm.on_success(&tp(), 0, 5, &a);
    let b = tm.stamp(&tp(), 0, 5, None).unwrap();
    let c = tm.stamp(&tp(), 0, 5, None).unwrap();
    // `c` behind `b`: an expected rejection, retried as it is.
    assert_eq!(
        tm.on_error(&tp(), 0, &c, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Retry
    );
    assert!(tm.can_send());
    // `b` is the next expected: a real gap. Bump, and send `b` again.
    assert_eq!(
        tm.on_error(&tp(), 0, &b, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Resequence
    );
    assert!(tm.bump_epoch_locally());
    let b2 = tm.stamp(&tp(), 0, 5, Some(b)).unwrap();
    let c2 = tm.stamp(&tp(), 0, 5, Some(c)).unwrap();
    assert_eq!(
        (b2.producer_epoch, b2.base_sequence, c2.base_sequence),
        (4, 0, 5)
    );
    // Sequence 0 of the new epoch refused too: the broker lost our state. New id.
    assert_eq!(
        tm.on_error(&tp(), 0, &b2, ErrorCode::OutOfOrderSequenceNumber),
        SequenceDecision::Resequence
    );
    assert!(!tm.bump_epoch_locally(), "a reset needs InitProducerId");
    assert!(tm.needs_producer_id());
}

#[test]
fn idempotent_unknown_producer_resets_the_id() {
    for code in [
        ErrorCode::UnknownProducerId,
        ErrorCode::InvalidProducerIdMapping,
        ErrorCode::InvalidProducerEpoch,
    ] {
        let mut tm = idempotent();
        let a = tm.stamp(&tp(), 0, 1, None).unwrap();
        let b = tm.stamp(&tp(), 0, 1, None).unwrap();
        assert_eq!(
            tm.on_error(&tp(), 0, &a, code),
            SequenceDecision::Resequence,
            "{code:?}"
        );
        // A gap reported afterwards does not downgrade the reset to a bump.
        tm.on_batch_failed(Some(&b));
        assert!(
            !tm.bump_epoch_locally(),
            "{code:?}: InitProducerId(-1) is due"
        );
        assert!(tm.needs_producer_id());
        tm.set_producer(ProducerIdAndEpoch {
            producer_id: 77,
            epoch: 0,
        });
        let a2 = tm.stamp(&tp(), 0, 1, Some(a)).unwrap();
        assert_eq!(
            (a2.producer_id, a2.producer_epoch, a2.base_sequence),
            (77, 0, 0)
        );
    }
}

#[test]
fn idempotent_epoch_exhausted_resets_the_id() {
    let mut tm = SequenceManager::idempotent();
    tm.set_producer(ProducerIdAndEpoch {
        producer_id: 1,
        epoch: i16::MAX,
    });
    let a = tm.stamp(&tp(), 0, 1, None).unwrap();
    tm.on_batch_failed(Some(&a));
    assert!(!tm.bump_epoch_locally());
    assert!(tm.needs_producer_id());
    assert_eq!(tm.producer().unwrap().epoch, i16::MAX, "no overflow");
}

#[test]
fn transactional_bookkeeping_never_bumps_locally() {
    let mut tm = started();
    let a = tm.stamp(&tp(), 0, 1, None).unwrap();
    assert_eq!(
        tm.on_error(&tp(), 0, &a, ErrorCode::UnknownProducerId),
        SequenceDecision::Resequence
    );
    assert!(!tm.bump_epoch_locally(), "the coordinator bumps the epoch");
    assert_eq!(tm.producer().unwrap().epoch, 0);
}

#[test]
fn sequences_wrap() {
    assert_eq!(add_sequence(i32::MAX, 1), 0);
    assert_eq!(add_sequence(i32::MAX - 1, 5), 3);
    assert_eq!(add_sequence(-1, 1), 0);
}
