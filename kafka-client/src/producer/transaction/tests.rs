//! The transaction state machine without sockets: call orders, error classification, the
//! steps of a commit or abort, the request forms, and the transaction retry rule.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kafkito_protocol::messages::AddPartitionsToTxnResponse;
use kafkito_protocol::ErrorCode;
use tokio::time::Instant;

use super::requests::{add_partitions_codes, add_partitions_request, txn_offset_commit_request};
use super::*;
use crate::backoff::ExponentialBackoff;
use crate::consumer::ConsumerGroupMetadata;
use crate::error::Result;
use crate::producer::idempotence::ProducerIdAndEpoch;
use crate::retry::Retry;
use crate::types::TopicPartition;
use kafkito_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
};
use kafkito_protocol::messages::Message;

const PID: ProducerIdAndEpoch = ProducerIdAndEpoch {
    producer_id: 7,
    epoch: 3,
};

fn key(p: i32) -> PartitionKey {
    (Arc::from("t"), p)
}

fn ready() -> TransactionManager {
    let mut tm = TransactionManager::new("tx");
    assert_eq!(tm.start_init().unwrap(), None);
    tm.set_producer(PID);
    assert_eq!(tm.state(), TransactionState::Ready);
    tm
}

/// In a transaction, with partition 0 of "t" in the AddPartitionsToTxn in flight.
fn adding_partition_0() -> TransactionManager {
    let mut tm = ready();
    tm.begin().unwrap();
    tm.on_send("t", 0).unwrap();
    let (_, parts) = tm.partitions_to_add().unwrap();
    assert_eq!(parts, [key(0)]);
    tm
}

fn assert_invalid(result: Result<()>, call: &str, state: TransactionState) {
    match result {
        Err(Error::InvalidTransactionState {
            call: c, state: s, ..
        }) => {
            assert_eq!((c, s), (call, state));
        }
        other => panic!("expected InvalidTransactionState for {call}, got {other:?}"),
    }
}

#[test]
fn illegal_call_orders_are_rejected() {
    let mut tm = TransactionManager::new("tx");
    use TransactionState::*;
    // Before init.
    assert_invalid(tm.begin(), "begin_transaction", Uninitialized);
    assert_invalid(tm.check_send(), "send", Uninitialized);
    assert_invalid(tm.begin_commit(), "commit_transaction", Uninitialized);
    assert_invalid(tm.begin_abort(), "abort_transaction", Uninitialized);
    assert_invalid(
        tm.check_send_offsets(),
        "send_offsets_to_transaction",
        Uninitialized,
    );
    // Initialized, no transaction.
    let mut tm = ready();
    assert_invalid(tm.start_init().map(drop), "init_transactions", Ready);
    assert_invalid(tm.on_send("t", 0), "send", Ready);
    assert_invalid(tm.begin_commit(), "commit_transaction", Ready);
    assert_invalid(tm.begin_abort(), "abort_transaction", Ready);
    assert_invalid(
        tm.check_send_offsets(),
        "send_offsets_to_transaction",
        Ready,
    );
    // Begin twice.
    tm.begin().unwrap();
    assert_invalid(tm.begin(), "begin_transaction", InTransaction);
    // A commit under way: no send, no abort, no begin; commit again resumes.
    tm.begin_commit().unwrap();
    assert_invalid(tm.on_send("t", 0), "send", CommittingTransaction);
    assert_invalid(tm.begin_abort(), "abort_transaction", CommittingTransaction);
    assert_invalid(tm.begin(), "begin_transaction", CommittingTransaction);
    tm.begin_commit().unwrap();
    tm.end_done();
    assert_eq!(tm.state(), Ready);
    // Fatal: everything fails, carrying the cause.
    tm.set_fatal(Error::ProducerFenced {
        transactional_id: "tx".into(),
    });
    for result in [
        tm.begin(),
        tm.check_send(),
        tm.begin_commit(),
        tm.begin_abort(),
        tm.start_init().map(drop),
    ] {
        let err = result.unwrap_err();
        assert!(err.is_fatal_for_producer(), "{err}");
        assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
    }
}

#[test]
fn abortable_error_allows_only_abort() {
    let mut tm = ready();
    tm.begin().unwrap();
    tm.on_send("t", 0).unwrap();
    tm.set_abortable(Error::Protocol {
        api: ApiKey::Produce,
        code: ErrorCode::MessageTooLarge,
        message: None,
    });
    assert_eq!(tm.state(), TransactionState::AbortableError);
    let err = tm.begin_commit().unwrap_err();
    assert!(err.is_abortable(), "{err}");
    assert!(tm.on_send("t", 1).unwrap_err().is_abortable());
    assert!(tm.check_send_offsets().is_err());
    assert!(matches!(
        tm.abortable_error(),
        Some(Error::TransactionAbortable { .. })
    ));
    tm.begin_abort().unwrap();
    // Abort again (after a timeout) resumes.
    tm.begin_abort().unwrap();
    tm.end_done();
    assert_eq!(tm.state(), TransactionState::Ready);
    assert!(tm.last_error().is_none());
    tm.begin().unwrap();
    assert!(!tm.needs_end_txn(), "a new transaction starts empty");
}

#[test]
fn partitions_are_added_once_in_one_batch_before_sending() {
    let mut tm = ready();
    tm.begin().unwrap();
    assert!(tm.partitions_to_add().is_none());
    tm.on_send("t", 0).unwrap();
    tm.on_send("t", 1).unwrap();
    tm.on_send("t", 0).unwrap();
    assert!(!tm.is_send_allowed(&key(0).0, 0));
    let (producer, parts) = tm.partitions_to_add().unwrap();
    assert_eq!(producer, PID);
    assert_eq!(parts, vec![key(0), key(1)]);
    assert!(tm.adding_partitions());
    // Another partition arrives while the request is in flight: it waits for the next.
    tm.on_send("t", 2).unwrap();
    tm.on_send("t", 1).unwrap();
    assert!(tm.partitions_to_add().is_none());
    let codes = HashMap::from([
        (key(0), ErrorCode::None),
        (key(1), ErrorCode::ConcurrentTransactions),
    ]);
    assert!(tm.on_add_partitions(Ok(codes)), "partition 1 is retried");
    assert!(tm.is_send_allowed(&key(0).0, 0));
    assert!(!tm.is_send_allowed(&key(0).0, 1));
    assert!(tm.needs_end_txn());
    let (_, parts) = tm.partitions_to_add().unwrap();
    assert_eq!(parts, vec![key(1), key(2)]);
    // The connection broke: retried (forgetting the coordinator is
    // `cluster/coordinator.rs`'s job).
    assert!(tm.on_add_partitions(Err(Error::ConnectionClosed {
        broker: "b".into(),
        mid_frame: false
    })));
    let (_, parts) = tm.partitions_to_add().unwrap();
    assert_eq!(parts.len(), 2);
    let codes = HashMap::from([(key(1), ErrorCode::None), (key(2), ErrorCode::None)]);
    assert!(!tm.on_add_partitions(Ok(codes)));
    assert!(tm.is_send_allowed(&key(0).0, 2));
    assert_eq!(tm.state(), TransactionState::InTransaction);
}

#[test]
fn add_partition_errors_are_classified() {
    // NOT_COORDINATOR: retried.
    let mut tm = adding_partition_0();
    assert!(tm.on_add_partitions(Ok(HashMap::from([(key(0), ErrorCode::NotCoordinator)]))));
    assert_eq!(tm.state(), TransactionState::InTransaction);
    // TOPIC_AUTHORIZATION_FAILED: abortable.
    tm.partitions_to_add().unwrap();
    assert!(!tm.on_add_partitions(Ok(HashMap::from([(
        key(0),
        ErrorCode::TopicAuthorizationFailed
    )]))));
    assert_eq!(tm.state(), TransactionState::AbortableError);
    // PRODUCER_FENCED: fatal.
    let mut tm = adding_partition_0();
    tm.on_add_partitions(Ok(HashMap::from([(key(0), ErrorCode::ProducerFenced)])));
    assert_eq!(tm.state(), TransactionState::FatalError);
    assert!(matches!(
        tm.last_error(),
        Some(Error::ProducerFenced { .. })
    ));
    // An abortable error cannot undo a fatal one.
    tm.set_abortable(Error::Closed);
    assert_eq!(tm.state(), TransactionState::FatalError);
}

#[test]
fn error_codes_are_classified() {
    use TxnErrorKind::*;
    for (code, kind) in [
        (ErrorCode::ConcurrentTransactions, Retriable),
        (ErrorCode::CoordinatorLoadInProgress, Retriable),
        (ErrorCode::NotCoordinator, Retriable),
        (ErrorCode::CoordinatorNotAvailable, Retriable),
        (ErrorCode::ProducerFenced, Fenced),
        (ErrorCode::InvalidProducerEpoch, Fenced),
        (ErrorCode::TransactionalIdAuthorizationFailed, Unauthorized),
        (ErrorCode::InvalidTxnState, Fatal),
        (ErrorCode::TopicAuthorizationFailed, Abortable),
        (ErrorCode::UnknownMemberId, Abortable),
        (ErrorCode::IllegalGeneration, Abortable),
        (ErrorCode::FencedInstanceId, Abortable),
        (ErrorCode::TransactionAbortable, Abortable),
    ] {
        assert_eq!(classify(code), kind, "{code}");
    }
    // From a partition leader, a stale epoch is abortable (KIP-588); everything else as above.
    assert_eq!(classify_produce(ErrorCode::InvalidProducerEpoch), Abortable);
    assert_eq!(classify_produce(ErrorCode::ProducerFenced), Fenced);
    assert_eq!(classify_produce(ErrorCode::TransactionAbortable), Abortable);
    assert!(matches!(
        txn_error("tx", ApiKey::EndTxn, ErrorCode::ProducerFenced),
        Error::ProducerFenced { ref transactional_id } if transactional_id == "tx"
    ));
    assert!(matches!(
        txn_error(
            "tx",
            ApiKey::EndTxn,
            ErrorCode::TransactionalIdAuthorizationFailed
        ),
        Error::TransactionalIdAuthorizationFailed { .. }
    ));
}

#[test]
fn epoch_bump_blocks_sends_and_makes_the_transaction_abortable() {
    let mut tm = adding_partition_0();
    tm.on_add_partitions(Ok(HashMap::from([(key(0), ErrorCode::None)])));
    tm.request_epoch_bump(Error::Protocol {
        api: ApiKey::Produce,
        code: ErrorCode::OutOfOrderSequenceNumber,
        message: None,
    });
    assert!(!tm.is_send_allowed(&key(0).0, 0));
    assert_eq!(tm.state(), TransactionState::AbortableError);
    tm.begin_abort().unwrap();
    assert!(tm.epoch_bump_needed());
    tm.set_producer(ProducerIdAndEpoch {
        producer_id: 7,
        epoch: 4,
    });
    assert!(!tm.epoch_bump_needed());
    assert_eq!(tm.state(), TransactionState::AbortingTransaction);
    tm.end_done();
    assert_eq!(tm.state(), TransactionState::Ready);
}

#[test]
fn only_offsets_maybe_added() {
    let mut tm = ready();
    tm.begin().unwrap();
    tm.check_send_offsets().unwrap();
    tm.mark_offsets_added();
    assert!(tm.needs_end_txn() && tm.only_offsets_maybe_added());
}

/// Crafted AddPartitionsToTxn answers through the real codec (v3), and the request's
/// client form.
#[test]
fn add_partitions_wire_forms() {
    let request = add_partitions_request("tx", PID, &[key(0), (Arc::from("u"), 4), key(1)]);
    assert_eq!(request.v3_and_below_transactional_id, "tx");
    assert_eq!(request.v3_and_below_producer_epoch, 3);
    assert_eq!(request.v3_and_below_topics.len(), 2);
    assert_eq!(request.v3_and_below_topics[0].partitions, vec![0, 1]);
    let mut buf = bytes::BytesMut::new();
    Message::encode(&request, &mut buf, 3).unwrap();

    let response = AddPartitionsToTxnResponse {
        results_by_topic_v3_and_below: vec![AddPartitionsToTxnTopicResult {
            name: "t".into(),
            results_by_partition: vec![
                AddPartitionsToTxnPartitionResult {
                    partition_index: 0,
                    partition_error_code: 0,
                    ..Default::default()
                },
                AddPartitionsToTxnPartitionResult {
                    partition_index: 1,
                    partition_error_code: ErrorCode::ConcurrentTransactions.code(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut buf = bytes::BytesMut::new();
    Message::encode(&response, &mut buf, 3).unwrap();
    let decoded = <AddPartitionsToTxnResponse as Message>::decode(&mut buf.freeze(), 3).unwrap();
    let codes = add_partitions_codes(&decoded);
    assert_eq!(codes[&key(0)], ErrorCode::None);
    assert_eq!(codes[&key(1)], ErrorCode::ConcurrentTransactions);
}

#[test]
fn txn_offset_commit_carries_the_member() {
    let group = ConsumerGroupMetadata {
        group_id: "g".into(),
        generation_id: 5,
        member_id: "m-1".into(),
        group_instance_id: Some("i".into()),
    };
    let offsets = HashMap::from([
        (TopicPartition::new("b", 1), 10),
        (TopicPartition::new("a", 0), 3),
        (TopicPartition::new("b", 0), 7),
    ]);
    let request = txn_offset_commit_request("tx", PID, &offsets, &group);
    assert_eq!(
        (request.generation_id, request.member_id.as_str()),
        (5, "m-1")
    );
    assert_eq!(request.group_instance_id.as_deref(), Some("i"));
    assert_eq!(request.producer_id, 7);
    assert_eq!(request.topics[0].name, "a");
    assert_eq!(request.topics[1].partitions[0].committed_offset, 7);
    assert_eq!(request.topics[1].partitions[1].committed_offset, 10);
}

/// The transaction rule through the client's retry policy: CONCURRENT_TRANSACTIONS and
/// NOT_COORDINATOR are retried, PRODUCER_FENCED and an abortable code are not, and a call
/// that keeps failing times out at its deadline (so it may be made again).
#[test]
fn transaction_requests_retry_by_their_rule_within_the_deadline() {
    let backoff = ExponentialBackoff::new(Duration::from_millis(100), Duration::from_secs(1))
        .without_jitter();
    let budget = Duration::from_secs(10);
    let start = Instant::now();
    let mut retry = Retry::until("EndTxn", start + budget, budget, backoff, retriable);
    for code in [51, 16, 14, 15] {
        // CONCURRENT_TRANSACTIONS, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
        // COORDINATOR_NOT_AVAILABLE.
        let error = Error::check(ApiKey::EndTxn, code, None).unwrap_err();
        assert!(retry.next_delay(error, start).is_ok(), "{code}");
    }
    for code in [
        ErrorCode::ProducerFenced,
        ErrorCode::TopicAuthorizationFailed,
    ] {
        let error = txn_error("tx", ApiKey::EndTxn, code);
        assert!(!retriable(&error), "{code}");
        assert!(retry.next_delay(error, start).is_err(), "{code}");
    }
    let late = start + budget - Duration::from_millis(50);
    let error = Error::check(ApiKey::EndTxn, 51, None).unwrap_err();
    assert!(
        matches!(retry.next_delay(error, late), Err(Error::Timeout { .. })),
        "out of time"
    );
}

/// A commit's steps, decided without sockets: wait for the add in flight, EndTxn, then done;
/// a retried EndTxn is asked for again; a committed transaction is not ended twice.
#[test]
fn commit_steps_follow_the_transaction() {
    let mut tm = adding_partition_0();
    tm.begin_commit().unwrap();
    tm.on_flushed(true, Ok(())).unwrap();
    assert_eq!(tm.next_end_step(true).unwrap(), EndStep::AwaitAddPartitions);
    tm.on_add_partitions(Ok(HashMap::from([(key(0), ErrorCode::None)])));
    let end = EndStep::EndTxn {
        producer: PID,
        commit: true,
    };
    assert_eq!(tm.next_end_step(true).unwrap(), end);
    // Timed out: nothing changes, the next call asks for EndTxn again.
    let timeout = Error::Timeout {
        what: "EndTxn".into(),
        after: Duration::from_secs(1),
    };
    assert!(matches!(
        tm.on_end_txn(true, Err(timeout)),
        Err(Error::Timeout { .. })
    ));
    assert_eq!(tm.state(), TransactionState::CommittingTransaction);
    assert_eq!(tm.next_end_step(true).unwrap(), end);
    tm.on_end_txn(true, Ok(())).unwrap();
    assert_eq!(tm.next_end_step(true).unwrap(), EndStep::Done);
    assert_eq!(tm.state(), TransactionState::Ready);
}

/// A transaction that never reached the broker ends locally; an abort after a sequence gap
/// bumps the epoch after EndTxn and before it is done.
#[test]
fn abort_steps_end_locally_or_bump_the_epoch() {
    let mut tm = ready();
    tm.begin().unwrap();
    tm.begin_abort().unwrap();
    tm.on_flushed(false, Ok(())).unwrap();
    assert_eq!(tm.next_end_step(false).unwrap(), EndStep::Done);
    assert_eq!(tm.state(), TransactionState::Ready);

    tm.begin().unwrap();
    tm.on_send("t", 0).unwrap();
    tm.partitions_to_add().unwrap();
    tm.on_add_partitions(Ok(HashMap::from([(key(0), ErrorCode::None)])));
    tm.request_epoch_bump(Error::Protocol {
        api: ApiKey::Produce,
        code: ErrorCode::NotEnoughReplicas,
        message: None,
    });
    tm.begin_abort().unwrap();
    // A failed batch does not stop an abort.
    tm.on_flushed(false, Err(Error::Closed)).unwrap();
    assert_eq!(
        tm.next_end_step(false).unwrap(),
        EndStep::EndTxn {
            producer: PID,
            commit: false
        }
    );
    tm.on_end_txn(false, Ok(())).unwrap();
    assert_eq!(
        tm.next_end_step(false).unwrap(),
        EndStep::BumpEpoch { current: Some(PID) }
    );
    let bumped = ProducerIdAndEpoch {
        producer_id: 7,
        epoch: 4,
    };
    tm.on_producer_id(Ok(bumped)).unwrap();
    assert_eq!(tm.next_end_step(false).unwrap(), EndStep::Done);
    assert_eq!(tm.producer(), Some(bumped));
    assert_eq!(tm.state(), TransactionState::Ready);
}

/// How a commit's failures are classified: a lost record or an add that failed while the
/// commit waited makes it abortable (never committed); EndTxn fenced is fatal for every
/// later call; INVALID_TXN_STATE after only AddOffsetsToTxn means nothing to end.
#[test]
fn commit_failures_are_abortable_or_fatal() {
    // A record failed under the commit.
    let mut tm = ready();
    tm.begin().unwrap();
    tm.begin_commit().unwrap();
    let err = tm.on_flushed(true, Err(Error::Closed)).unwrap_err();
    assert!(matches!(err, Error::TransactionAbortable { .. }), "{err}");
    assert_eq!(tm.state(), TransactionState::AbortableError);

    // The add in flight failed while the commit waited for it.
    let mut tm = adding_partition_0();
    tm.begin_commit().unwrap();
    tm.on_flushed(true, Ok(())).unwrap();
    assert_eq!(tm.next_end_step(true).unwrap(), EndStep::AwaitAddPartitions);
    tm.on_add_partitions(Ok(HashMap::from([(
        key(0),
        ErrorCode::TopicAuthorizationFailed,
    )])));
    let err = tm.next_end_step(true).unwrap_err();
    assert!(matches!(err, Error::TransactionAbortable { .. }), "{err}");

    // EndTxn fenced.
    let mut tm = ready();
    tm.begin().unwrap();
    tm.mark_offsets_added();
    tm.begin_commit().unwrap();
    let err = tm
        .on_end_txn(
            true,
            Err(txn_error("tx", ApiKey::EndTxn, ErrorCode::ProducerFenced)),
        )
        .unwrap_err();
    assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
    assert_eq!(tm.state(), TransactionState::FatalError);
    assert!(matches!(
        tm.next_end_step(true),
        Err(Error::ProducerFenced { .. })
    ));

    // Only AddOffsetsToTxn, whose answer was lost: INVALID_TXN_STATE is "nothing to end".
    let mut tm = ready();
    tm.begin().unwrap();
    tm.mark_offsets_added();
    tm.begin_commit().unwrap();
    tm.on_end_txn(
        true,
        Err(Error::Protocol {
            api: ApiKey::EndTxn,
            code: ErrorCode::InvalidTxnState,
            message: None,
        }),
    )
    .unwrap();
    assert_eq!(tm.next_end_step(true).unwrap(), EndStep::Done);
}

/// send_offsets_to_transaction and init: a timeout changes nothing; other failures make the
/// transaction abortable, or (no producer id) the producer unusable.
#[test]
fn offsets_and_producer_id_failures() {
    let mut tm = ready();
    tm.begin().unwrap();
    assert_eq!(tm.start_send_offsets().unwrap(), PID);
    let timeout = || Error::Timeout {
        what: "AddOffsetsToTxn".into(),
        after: Duration::from_secs(1),
    };
    assert!(matches!(
        tm.on_send_offsets(Err(timeout())),
        Err(Error::Timeout { .. })
    ));
    assert_eq!(tm.state(), TransactionState::InTransaction);
    let err = tm
        .on_send_offsets(Err(txn_error(
            "tx",
            ApiKey::TxnOffsetCommit,
            ErrorCode::IllegalGeneration,
        )))
        .unwrap_err();
    assert!(matches!(err, Error::TransactionAbortable { .. }), "{err}");
    assert_eq!(tm.state(), TransactionState::AbortableError);

    let mut tm = TransactionManager::new("tx");
    tm.start_init().unwrap();
    assert!(tm.on_producer_id(Err(timeout())).is_err());
    assert_eq!(tm.state(), TransactionState::Initializing);
    let denied = txn_error(
        "tx",
        ApiKey::InitProducerId,
        ErrorCode::TransactionalIdAuthorizationFailed,
    );
    assert!(tm.on_producer_id(Err(denied)).is_err());
    assert_eq!(tm.state(), TransactionState::FatalError);
}
