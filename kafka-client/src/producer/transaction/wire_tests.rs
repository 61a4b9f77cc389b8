//! A whole transactional [`Producer`](crate::producer::Producer) against a scripted fake
//! broker: what tansu cannot be made to answer (retriable coordinator errors, EndTxn with
//! PRODUCER_FENCED — tansu closes the connection there) proven on the wire.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use kafkito_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
};
use kafkito_protocol::messages::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, ApiKey, EndTxnRequest, EndTxnResponse,
    FindCoordinatorRequest, InitProducerIdRequest, InitProducerIdResponse, MetadataRequest,
    ProduceRequest,
};
use kafkito_protocol::ErrorCode;

use crate::error::Error;
use crate::producer::{Producer, ProducerConfig, ProducerRecord, TransactionState};
use crate::test_support::{
    cluster, coordinator_here, one_partition_topic, pop, produced, produced_batches, respond,
    FakeBroker, Reply,
};

/// What the fake broker answers (error codes popped per request; 0 once empty) and
/// what it saw.
#[derive(Default)]
struct Script {
    init: VecDeque<ErrorCode>,
    add: VecDeque<ErrorCode>,
    end: VecDeque<ErrorCode>,
    produce: VecDeque<ErrorCode>,
    /// (api, version) in arrival order.
    seen: Vec<(ApiKey, i16)>,
    /// Per Produce: its transactional id and whether its batches were transactional.
    produced: Vec<(Option<String>, bool)>,
    /// Per Produce: (epoch, base sequence) of its first batch.
    sequences: Vec<(i16, i32)>,
    /// Per InitProducerId: the (id, epoch) it named.
    inits: Vec<(i64, i16)>,
    /// Per EndTxn: committed?
    ended: Vec<bool>,
}

async fn fake_broker(script: Arc<Mutex<Script>>) -> String {
    let apis = [
        (ApiKey::ApiVersions, 3),
        (ApiKey::Metadata, 12),
        (ApiKey::FindCoordinator, 4),
        (ApiKey::InitProducerId, 5),
        (ApiKey::AddPartitionsToTxn, 5),
        (ApiKey::EndTxn, 5),
        (ApiKey::Produce, 12),
    ];
    let broker = FakeBroker::start(&apis, move |request, address| {
        script
            .lock()
            .unwrap()
            .seen
            .push((request.api(), request.version()));
        match request.api() {
            ApiKey::Metadata => respond::<MetadataRequest>(
                request,
                &cluster(address, vec![one_partition_topic("t")]),
            ),
            ApiKey::FindCoordinator => {
                let decoded: FindCoordinatorRequest = request.decode();
                assert_eq!(decoded.key_type, 1, "transaction coordinator");
                coordinator_here(request, address)
            }
            ApiKey::InitProducerId => {
                let decoded: InitProducerIdRequest = request.decode();
                assert_eq!(decoded.transactional_id.as_deref(), Some("tx"));
                assert_eq!(decoded.transaction_timeout_ms, 9000);
                let code = {
                    let mut s = script.lock().unwrap();
                    s.inits.push((decoded.producer_id, decoded.producer_epoch));
                    pop(&mut s.init)
                };
                // A KIP-360 bump names the current epoch and gets the next.
                let response = InitProducerIdResponse {
                    error_code: code,
                    producer_id: 7,
                    producer_epoch: decoded.producer_epoch.max(-1) + 1,
                    ..Default::default()
                };
                respond::<InitProducerIdRequest>(request, &response)
            }
            ApiKey::AddPartitionsToTxn => {
                let decoded: AddPartitionsToTxnRequest = request.decode();
                let code = pop(&mut script.lock().unwrap().add);
                let mut response = AddPartitionsToTxnResponse::default();
                for topic in &decoded.v3_and_below_topics {
                    response
                        .results_by_topic_v3_and_below
                        .push(AddPartitionsToTxnTopicResult {
                            name: topic.name.clone(),
                            results_by_partition: topic
                                .partitions
                                .iter()
                                .map(|p| AddPartitionsToTxnPartitionResult {
                                    partition_index: *p,
                                    partition_error_code: code,
                                    ..Default::default()
                                })
                                .collect(),
                            ..Default::default()
                        });
                }
                respond::<AddPartitionsToTxnRequest>(request, &response)
            }
            ApiKey::Produce => {
                let decoded: ProduceRequest = request.decode();
                let batches = produced_batches(&decoded);
                let code = {
                    let mut s = script.lock().unwrap();
                    s.produced.push((
                        decoded.transactional_id.clone(),
                        batches.iter().all(|b| b.is_transactional),
                    ));
                    s.sequences
                        .push((batches[0].producer_epoch, batches[0].base_sequence));
                    pop(&mut s.produce)
                };
                respond::<ProduceRequest>(request, &produced("t", code))
            }
            ApiKey::EndTxn => {
                let decoded: EndTxnRequest = request.decode();
                let code = {
                    let mut s = script.lock().unwrap();
                    s.ended.push(decoded.committed);
                    pop(&mut s.end)
                };
                let response = EndTxnResponse {
                    error_code: code,
                    ..Default::default()
                };
                respond::<EndTxnRequest>(request, &response)
            }
            _ => Reply::Unhandled,
        }
    })
    .await;
    broker.address()
}

/// A fake broker following `script`, and a transactional producer on it past
/// `init_transactions`.
async fn initialized(script: Script) -> (Arc<Mutex<Script>>, Producer) {
    let script = Arc::new(Mutex::new(script));
    let bootstrap = fake_broker(script.clone()).await;
    let producer = producer(&bootstrap).await;
    producer.init_transactions().await.unwrap();
    (script, producer)
}

async fn producer(bootstrap: &str) -> Producer {
    let config = ProducerConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("transactional.id", "tx"),
        ("transaction.timeout.ms", "9000"),
        ("retry.backoff.ms", "5"),
        ("retry.backoff.max.ms", "20"),
        ("linger.ms", "0"),
        ("max.block.ms", "10000"),
    ])
    .unwrap();
    Producer::new(config).await.unwrap()
}

fn count(script: &Arc<Mutex<Script>>, api: ApiKey) -> usize {
    script
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|(a, _)| *a == api)
        .count()
}

/// Retriable coordinator errors at every step are retried within the call; partitions
/// are added before their first batch; batches carry the transactional attribute and the
/// request the transactional id; client-form versions are used.
#[tokio::test]
async fn retriable_errors_are_retried_and_partitions_added_first() {
    let (script, producer) = initialized(Script {
        init: VecDeque::from([
            ErrorCode::ConcurrentTransactions,
            ErrorCode::CoordinatorLoadInProgress,
        ]),
        add: VecDeque::from([ErrorCode::ConcurrentTransactions]),
        end: VecDeque::from([
            ErrorCode::CoordinatorLoadInProgress,
            ErrorCode::NotCoordinator,
            ErrorCode::ConcurrentTransactions,
        ]),
        ..Script::default()
    })
    .await;
    assert_eq!(count(&script, ApiKey::InitProducerId), 3);

    producer.begin_transaction().unwrap();
    let delivery = producer
        .send(ProducerRecord::new("t").partition(0).value("v"))
        .await
        .unwrap();
    delivery.await.unwrap();
    producer.commit_transaction().await.unwrap();

    let s = script.lock().unwrap();
    let order: Vec<ApiKey> = s
        .seen
        .iter()
        .map(|(a, _)| *a)
        .filter(|a| {
            matches!(
                a,
                ApiKey::AddPartitionsToTxn | ApiKey::Produce | ApiKey::EndTxn
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ApiKey::AddPartitionsToTxn,
            ApiKey::AddPartitionsToTxn,
            ApiKey::Produce,
            ApiKey::EndTxn,
            ApiKey::EndTxn,
            ApiKey::EndTxn,
            ApiKey::EndTxn
        ]
    );
    assert_eq!(s.produced, [(Some("tx".to_owned()), true)]);
    assert_eq!(s.ended, [true, true, true, true]);
    for (api, version) in &s.seen {
        match api {
            ApiKey::AddPartitionsToTxn => assert!(*version <= 3, "client form"),
            ApiKey::EndTxn => assert!(*version <= 4),
            ApiKey::Produce => assert!(*version <= 11),
            _ => {}
        }
    }
    // NOT_COORDINATOR made it look the coordinator up again; COORDINATOR_LOAD_IN_PROGRESS
    // and CONCURRENT_TRANSACTIONS did not (the same coordinator is asked again).
    assert_eq!(
        s.seen
            .iter()
            .filter(|(a, _)| *a == ApiKey::FindCoordinator)
            .count(),
        2
    );
}

/// EndTxn answered with PRODUCER_FENCED: the commit fails with ProducerFenced, and every
/// later call too. A later abort with nothing sent asks the broker nothing.
#[tokio::test]
async fn fenced_end_txn_is_fatal() {
    let (script, producer) = initialized(Script {
        end: VecDeque::from([ErrorCode::ProducerFenced]),
        ..Script::default()
    })
    .await;
    producer.begin_transaction().unwrap();
    producer
        .send(ProducerRecord::new("t").partition(0).value("v"))
        .await
        .unwrap()
        .await
        .unwrap();
    let err = producer.commit_transaction().await.unwrap_err();
    assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
    assert_eq!(count(&script, ApiKey::EndTxn), 1, "not retried");
    let err = producer.begin_transaction().unwrap_err();
    assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
    let err = producer
        .send(ProducerRecord::new("t").value("late"))
        .await
        .unwrap_err();
    assert!(err.is_fatal_for_producer(), "{err}");
}

/// AddPartitionsToTxn answered with TOPIC_AUTHORIZATION_FAILED: the batch fails, the
/// commit reports TransactionAbortable, and abort (EndTxn abort) brings the producer
/// back to a usable state.
#[tokio::test]
async fn abortable_add_partitions_then_abort_and_retry() {
    let (script, producer) = initialized(Script {
        add: VecDeque::from([ErrorCode::TopicAuthorizationFailed]),
        ..Script::default()
    })
    .await;
    producer.begin_transaction().unwrap();
    let delivery = producer
        .send(ProducerRecord::new("t").partition(0).value("v"))
        .await
        .unwrap();
    let err = producer.commit_transaction().await.unwrap_err();
    assert!(err.is_abortable(), "{err}");
    assert!(matches!(err, Error::TransactionAbortable { .. }), "{err}");
    let failed = delivery.await.unwrap_err();
    assert!(failed.is_abortable(), "the unsent record fails: {failed}");
    let err = producer.commit_transaction().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidTransactionState {
                state: TransactionState::AbortableError,
                ..
            }
        ),
        "{err}"
    );
    producer.abort_transaction().await.unwrap();
    // Nothing reached the transaction (the add failed): no EndTxn needed.
    assert_eq!(count(&script, ApiKey::EndTxn), 0);
    assert_eq!(count(&script, ApiKey::Produce), 0);

    // The retry of the whole transaction goes through.
    producer.begin_transaction().unwrap();
    producer
        .send(ProducerRecord::new("t").partition(0).value("again"))
        .await
        .unwrap()
        .await
        .unwrap();
    producer.commit_transaction().await.unwrap();
    assert_eq!(script.lock().unwrap().ended, [true]);
}

/// A batch sent, answered with a retriable error, and then aborted while waiting for its
/// retry: its sequence may be a gap at the broker, so the abort bumps the epoch
/// (InitProducerId naming the current id and epoch, KIP-360) and the next transaction
/// starts every partition at sequence 0 under the new epoch. Without a gap, sequences
/// continue across transactions on the same epoch.
#[tokio::test]
async fn abort_with_a_sequence_gap_bumps_the_epoch() {
    let (script, producer) = initialized(Script::default()).await;

    // Transaction 1 commits records with sequences 0 and 1.
    producer.begin_transaction().unwrap();
    for v in ["a", "b"] {
        producer
            .send(ProducerRecord::new("t").partition(0).value(v))
            .await
            .unwrap()
            .await
            .unwrap();
    }
    producer.commit_transaction().await.unwrap();

    // Transaction 2: its batch (sequence 2) gets NOT_ENOUGH_REPLICAS and waits to retry;
    // the application aborts.
    script.lock().unwrap().produce = VecDeque::from([ErrorCode::NotEnoughReplicas; 50]);
    producer.begin_transaction().unwrap();
    let delivery = producer
        .send(ProducerRecord::new("t").partition(0).value("c"))
        .await
        .unwrap();
    while count(&script, ApiKey::Produce) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    producer.abort_transaction().await.unwrap();
    let err = delivery.await.unwrap_err();
    assert!(matches!(err, Error::TransactionAborted { .. }), "{err}");
    script.lock().unwrap().produce.clear();

    // Transaction 3 runs on epoch 1 from sequence 0.
    producer.begin_transaction().unwrap();
    producer
        .send(ProducerRecord::new("t").partition(0).value("d"))
        .await
        .unwrap()
        .await
        .unwrap();
    producer.commit_transaction().await.unwrap();

    let s = script.lock().unwrap();
    assert_eq!(
        s.inits,
        [(-1, -1), (7, 0)],
        "first init, then a KIP-360 bump"
    );
    assert_eq!(&s.sequences[..2], [(0, 0), (0, 1)]);
    assert!(s.sequences[2..s.sequences.len() - 1]
        .iter()
        .all(|seq| *seq == (0, 2)));
    assert_eq!(s.sequences.last(), Some(&(1, 0)));
    assert_eq!(s.ended, [true, false, true]);
}

/// An initialized producer whose first transactional batch the leader answers with
/// INVALID_PRODUCER_EPOCH, and whose next InitProducerId is answered with `init`. Checks that
/// the batch failed with that code and that the producer is not fenced by it.
async fn stale_epoch_at_the_leader(init: VecDeque<ErrorCode>) -> (Arc<Mutex<Script>>, Producer) {
    let (script, producer) = initialized(Script {
        produce: VecDeque::from([ErrorCode::InvalidProducerEpoch]),
        ..Script::default()
    })
    .await;
    script.lock().unwrap().init = init;
    producer.begin_transaction().unwrap();
    let delivery = producer
        .send(ProducerRecord::new("t").partition(0).value("v"))
        .await
        .unwrap();
    let failed = delivery.await.unwrap_err();
    assert_eq!(
        failed.code(),
        Some(ErrorCode::InvalidProducerEpoch),
        "{failed}"
    );
    assert!(!failed.is_fatal_for_producer(), "{failed}");
    (script, producer)
}

/// A partition leader answers a transactional batch with INVALID_PRODUCER_EPOCH (the
/// coordinator bumped the epoch, e.g. when it aborted a transaction past its timeout): the
/// batch fails and the transaction is abortable, not fenced (KIP-588). The abort asks the
/// coordinator for the next epoch (InitProducerId naming id 7, epoch 0); it grants epoch 1 and
/// the next transaction commits under it.
#[tokio::test]
async fn invalid_epoch_from_the_leader_is_abortable_and_the_abort_recovers() {
    let (script, producer) = stale_epoch_at_the_leader(VecDeque::new()).await;
    let err = producer.commit_transaction().await.unwrap_err();
    assert!(err.is_abortable(), "{err}");
    producer.abort_transaction().await.unwrap();

    producer.begin_transaction().unwrap();
    producer
        .send(ProducerRecord::new("t").partition(0).value("again"))
        .await
        .unwrap()
        .await
        .unwrap();
    producer.commit_transaction().await.unwrap();
    let s = script.lock().unwrap();
    assert_eq!(s.inits, [(-1, -1), (7, 0)], "the abort bumped the epoch");
    assert_eq!(s.produce.len(), 0, "the injected error was answered");
    assert_eq!(s.sequences.last(), Some(&(1, 0)), "new epoch, sequence 0");
}

/// The same, but a newer producer owns the transactional id: the coordinator answers the
/// abort's InitProducerId with PRODUCER_FENCED, and from then on the producer is fenced.
#[tokio::test]
async fn invalid_epoch_from_the_leader_then_fenced_at_the_abort() {
    let (script, producer) =
        stale_epoch_at_the_leader(VecDeque::from([ErrorCode::ProducerFenced])).await;
    let err = producer.abort_transaction().await.unwrap_err();
    assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
    let err = producer.begin_transaction().unwrap_err();
    assert!(matches!(err, Error::ProducerFenced { .. }), "{err}");
    assert_eq!(script.lock().unwrap().inits, [(-1, -1), (7, 0)]);
}
