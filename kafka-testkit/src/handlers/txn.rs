//! The transaction APIs at the transaction coordinator (AddPartitionsToTxn, AddOffsetsToTxn,
//! EndTxn) and at the group coordinator (TxnOffsetCommit). The state machine is in
//! [`crate::txn`].

use std::time::Instant;

use kafkito_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
};
use kafkito_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafkito_protocol::messages::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse, ApiKey, EndTxnRequest, EndTxnResponse, TxnOffsetCommitRequest,
    TxnOffsetCommitResponse,
};
use kafkito_protocol::ErrorCode;

use super::group::check_coordinator;
use crate::group::Committed;
use crate::state::State;

/// Injected fault, then coordinator, then producer id and epoch.
fn check_txn(
    state: &mut State,
    node: i32,
    api: ApiKey,
    transactional_id: &str,
    producer_id: i64,
    epoch: i16,
    knows_producer_fenced: bool,
) -> Result<(), ErrorCode> {
    if let Some(e) = state.faults.take(api, node, None) {
        return Err(e);
    }
    check_coordinator(state, node, transactional_id)?;
    state.check_txn_producer(transactional_id, producer_id, epoch, knows_producer_fenced)
}

/// AddPartitionsToTxn v0-v3 (the client versions). Unknown partitions fail with
/// UNKNOWN_TOPIC_OR_PARTITION and the others with OPERATION_NOT_ATTEMPTED, as in Kafka: all
/// or nothing is added.
pub(crate) fn add_partitions_to_txn(
    state: &mut State,
    node: i32,
    version: i16,
    req: AddPartitionsToTxnRequest,
) -> AddPartitionsToTxnResponse {
    let txn_id = req.v3_and_below_transactional_id.clone();
    let check = check_txn(
        state,
        node,
        ApiKey::AddPartitionsToTxn,
        &txn_id,
        req.v3_and_below_producer_id,
        req.v3_and_below_producer_epoch,
        version >= 2,
    )
    .and_then(|()| state.check_not_completing(&txn_id));
    let exists = |state: &State, topic: &str, p: i32| {
        state
            .topics
            .get(topic)
            .is_some_and(|t| p >= 0 && (p as usize) < t.partitions.len())
    };
    let any_unknown = req
        .v3_and_below_topics
        .iter()
        .any(|t| t.partitions.iter().any(|&p| !exists(state, &t.name, p)));
    let results = req
        .v3_and_below_topics
        .iter()
        .map(|t| AddPartitionsToTxnTopicResult {
            name: t.name.clone(),
            results_by_partition: t
                .partitions
                .iter()
                .map(|&p| {
                    let code = match check {
                        Err(e) => e,
                        Ok(()) if !exists(state, &t.name, p) => ErrorCode::UnknownTopicOrPartition,
                        Ok(()) if any_unknown => ErrorCode::OperationNotAttempted,
                        Ok(()) => ErrorCode::None,
                    };
                    AddPartitionsToTxnPartitionResult {
                        partition_index: p,
                        partition_error_code: code.code(),
                        ..Default::default()
                    }
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    if check.is_ok() && !any_unknown {
        let partitions: Vec<(String, i32)> = req
            .v3_and_below_topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|&p| (t.name.clone(), p)))
            .collect();
        state.add_to_transaction(&txn_id, &partitions, None, Instant::now());
    }
    AddPartitionsToTxnResponse {
        results_by_topic_v3_and_below: results,
        ..Default::default()
    }
}

/// AddOffsetsToTxn: the group's offsets become part of the transaction.
pub(crate) fn add_offsets_to_txn(
    state: &mut State,
    node: i32,
    version: i16,
    req: AddOffsetsToTxnRequest,
) -> AddOffsetsToTxnResponse {
    let result = check_txn(
        state,
        node,
        ApiKey::AddOffsetsToTxn,
        &req.transactional_id,
        req.producer_id,
        req.producer_epoch,
        version >= 2,
    )
    .and_then(|()| state.check_not_completing(&req.transactional_id))
    .and_then(|()| {
        if req.group_id.is_empty() {
            Err(ErrorCode::InvalidGroupId)
        } else {
            state.add_to_transaction(
                &req.transactional_id,
                &[],
                Some(&req.group_id),
                Instant::now(),
            );
            Ok(())
        }
    });
    AddOffsetsToTxnResponse {
        error_code: result.err().unwrap_or(ErrorCode::None).code(),
        ..Default::default()
    }
}

/// EndTxn v0-v3: commit or abort; the markers follow (see [`crate::txn`]).
pub(crate) fn end_txn(
    state: &mut State,
    node: i32,
    version: i16,
    req: EndTxnRequest,
) -> EndTxnResponse {
    let result = check_txn(
        state,
        node,
        ApiKey::EndTxn,
        &req.transactional_id,
        req.producer_id,
        req.producer_epoch,
        version >= 2,
    )
    .and_then(|()| state.end_transaction(&req.transactional_id, req.committed, Instant::now()));
    EndTxnResponse {
        error_code: result.err().unwrap_or(ErrorCode::None).code(),
        producer_id: -1,
        producer_epoch: -1,
        ..Default::default()
    }
}

/// TxnOffsetCommit v0-v3, at the group coordinator: offsets held until the transaction's
/// marker applies or drops them.
pub(crate) fn txn_offset_commit(
    state: &mut State,
    node: i32,
    _version: i16,
    req: TxnOffsetCommitRequest,
) -> TxnOffsetCommitResponse {
    let check = match state.faults.take(ApiKey::TxnOffsetCommit, node, None) {
        Some(e) => Err(e),
        None => check_coordinator(state, node, &req.group_id)
            // The producer's epoch is checked as Kafka's offsets log append does
            // (INVALID_PRODUCER_EPOCH for a stale one).
            .and_then(|()| {
                state.check_txn_producer(
                    &req.transactional_id,
                    req.producer_id,
                    req.producer_epoch,
                    false,
                )
            })
            .and_then(|()| {
                state.groups.check_txn_commit(
                    &req.group_id,
                    req.generation_id,
                    &req.member_id,
                    req.group_instance_id.as_deref(),
                )
            }),
    };
    let topics = req
        .topics
        .iter()
        .map(|t| TxnOffsetCommitResponseTopic {
            name: t.name.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| {
                    let code = match check {
                        Err(e) => e,
                        Ok(())
                            if !state.topics.get(&t.name).is_some_and(|topic| {
                                p.partition_index >= 0
                                    && (p.partition_index as usize) < topic.partitions.len()
                            }) =>
                        {
                            ErrorCode::UnknownTopicOrPartition
                        }
                        Ok(()) => {
                            state.groups.commit_transactional(
                                &req.group_id,
                                req.producer_id,
                                &t.name,
                                p.partition_index,
                                Committed {
                                    offset: p.committed_offset,
                                    leader_epoch: p.committed_leader_epoch,
                                    metadata: p.committed_metadata.clone(),
                                },
                            );
                            ErrorCode::None
                        }
                    };
                    TxnOffsetCommitResponsePartition {
                        partition_index: p.partition_index,
                        error_code: code.code(),
                        ..Default::default()
                    }
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    TxnOffsetCommitResponse {
        topics,
        ..Default::default()
    }
}
