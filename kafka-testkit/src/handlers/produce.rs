//! Produce and InitProducerId.

use std::sync::Arc;

use kafkito_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, LeaderIdAndEpoch, NodeEndpoint, PartitionProduceResponse,
    TopicProduceResponse,
};
use kafkito_protocol::messages::{
    ApiKey, InitProducerIdRequest, InitProducerIdResponse, ProduceRequest, ProduceResponse,
};
use kafkito_protocol::ErrorCode;

use super::group::check_coordinator;
use super::led_partition;
use crate::state::{now_ms, Shared, State};

/// Produce v3+. Each partition's records must be one magic-2 batch; the leader validates it,
/// checks its producer's sequence, assigns offsets and (for acks=all) requires
/// `min.insync.replicas` in-sync replicas first. Returns `None` for acks=0: Kafka sends no
/// response at all then.
pub(crate) fn produce(
    shared: &Arc<Shared>,
    node: i32,
    version: i16,
    req: ProduceRequest,
) -> Option<ProduceResponse> {
    let response = {
        let mut state = shared.lock();
        let mut leaders = Vec::new();
        let responses = req
            .topic_data
            .iter()
            .map(|topic| {
                let name = if topic.name.is_empty() && version >= 13 {
                    state
                        .topic_by_id(topic.topic_id)
                        .map(|(n, _)| n.clone())
                        .unwrap_or_default()
                } else {
                    topic.name.clone()
                };
                TopicProduceResponse {
                    name: topic.name.clone(),
                    topic_id: topic.topic_id,
                    partition_responses: topic
                        .partition_data
                        .iter()
                        .map(|p| {
                            let mut r = PartitionProduceResponse {
                                index: p.index,
                                base_offset: -1,
                                ..Default::default()
                            };
                            let outcome = produce_partition(
                                &mut state,
                                node,
                                &req,
                                &name,
                                p.index,
                                p.records.as_ref(),
                            );
                            match outcome {
                                Ok((base_offset, log_append_time, log_start)) => {
                                    r.base_offset = base_offset;
                                    r.log_append_time_ms = log_append_time;
                                    r.log_start_offset = log_start;
                                }
                                Err((code, message)) => {
                                    r.error_code = code.code();
                                    if code == ErrorCode::NotLeaderOrFollower {
                                        if let Some(p) = state
                                            .topics
                                            .get(&name)
                                            .and_then(|t| t.partitions.get(p.index as usize))
                                        {
                                            r.current_leader = LeaderIdAndEpoch {
                                                leader_id: p.leader,
                                                leader_epoch: p.leader_epoch,
                                                ..Default::default()
                                            };
                                            leaders.push(p.leader);
                                        }
                                    }
                                    if matches!(
                                        code,
                                        ErrorCode::InvalidRecord | ErrorCode::CorruptMessage
                                    ) {
                                        r.record_errors = vec![BatchIndexAndErrorMessage {
                                            batch_index: 0,
                                            batch_index_error_message: Some(message.clone()),
                                            ..Default::default()
                                        }];
                                    }
                                    r.error_message = Some(message);
                                }
                            }
                            r
                        })
                        .collect(),
                    ..Default::default()
                }
            })
            .collect();
        leaders.sort_unstable();
        leaders.dedup();
        let node_endpoints = leaders
            .into_iter()
            .filter_map(|id| state.broker(id))
            .map(|b| NodeEndpoint {
                node_id: b.node_id,
                host: b.host.clone(),
                port: i32::from(b.port),
                rack: b.rack.clone(),
                ..Default::default()
            })
            .collect();
        ProduceResponse {
            responses,
            node_endpoints,
            ..Default::default()
        }
    };
    // Wake parked fetches (also after an append whose result a fault replaced).
    shared.appended.notify_waiters();
    (req.acks != 0).then_some(response)
}

/// End of the v2 batch header fields read here (attributes at 21, producer id at 43..51,
/// producer epoch at 51..53).
const TRANSACTIONAL_ATTRIBUTE_END: usize = 53;
/// Attributes bit 4: a transactional batch.
const TRANSACTIONAL_FLAG: i16 = 0x10;

/// One partition of a Produce: (base offset, log-append time, log start offset).
fn produce_partition(
    state: &mut State,
    node: i32,
    req: &ProduceRequest,
    topic: &str,
    index: i32,
    records: Option<&bytes::Bytes>,
) -> Result<(i64, i64, i64), (ErrorCode, String)> {
    if !(-1..=1).contains(&req.acks) {
        return Err((
            ErrorCode::InvalidRequiredAcks,
            format!("acks {} is not -1, 0 or 1", req.acks),
        ));
    }
    if let Some(e) = state
        .faults
        .take(ApiKey::Produce, node, Some((topic, index)))
    {
        return Err((e, "injected".to_owned()));
    }
    // Transactional data only for a partition its transaction added first (the
    // verification Kafka 3.6+ does, KIP-890 part 1).
    if let Some(records) = records.filter(|r| r.len() >= TRANSACTIONAL_ATTRIBUTE_END) {
        let attributes = i16::from_be_bytes([records[21], records[22]]);
        if attributes & TRANSACTIONAL_FLAG != 0 {
            let producer_id = i64::from_be_bytes(records[43..51].try_into().unwrap_or([0xff; 8]));
            let producer_epoch = i16::from_be_bytes([records[51], records[52]]);
            let verified = match req.transactional_id.as_deref() {
                Some(id) => {
                    state.partition_in_transaction(id, producer_id, producer_epoch, topic, index)
                }
                None => Err(ErrorCode::InvalidTxnState),
            };
            if let Err(code) = verified {
                return Err((
                    code,
                    format!(
                        "{topic}-{index}: producer {producer_id} epoch {producer_epoch} has no \
                         open transaction with this partition"
                    ),
                ));
            }
        }
    }
    let (timestamp_type, min_insync, max_message_bytes) = match state.topics.get(topic) {
        Some(t) => (
            t.config.timestamp_type,
            t.config.min_insync_replicas,
            t.config.max_message_bytes,
        ),
        None => {
            return Err((
                ErrorCode::UnknownTopicOrPartition,
                format!("unknown topic {topic}"),
            ))
        }
    };
    let partition = led_partition(state, node, topic, index)
        .map_err(|e| (e, format!("broker {node} does not lead {topic}-{index}")))?;
    if req.acks == -1 && (partition.isr.len() as i32) < min_insync {
        return Err((
            ErrorCode::NotEnoughReplicas,
            format!(
                "{topic}-{index} has {} in-sync replicas, fewer than min.insync.replicas {}",
                partition.isr.len(),
                min_insync
            ),
        ));
    }
    let Some(records) = records else {
        return Err((ErrorCode::InvalidRecord, "no records".to_owned()));
    };
    let epoch = partition.leader_epoch;
    let appended = partition
        .log
        .append(records, epoch, timestamp_type, max_message_bytes, now_ms())
        .map_err(|e| {
            tracing::debug!(topic, partition = index, error = %e.message, "produce refused");
            (e.code, e.message)
        })?;
    let log_start = partition.log.log_start_offset();
    if let Some(e) = state
        .faults
        .take_after(ApiKey::Produce, node, Some((topic, index)))
    {
        return Err((
            e,
            format!(
                "injected after appending at offset {}",
                appended.base_offset
            ),
        ));
    }
    Ok((appended.base_offset, appended.log_append_time, log_start))
}

/// InitProducerId. Without a transactional id: a new producer id at epoch 0 (Kafka ignores
/// the producer id and epoch an idempotent producer sends). With one, at its transaction
/// coordinator: the id's producer id at the next epoch, aborting (and so fencing) an open
/// transaction of the previous incarnation; KIP-360 clients (v3+) name the id and epoch they
/// had, which must be the current ones.
pub(crate) fn init_producer_id(
    state: &mut State,
    node: i32,
    version: i16,
    req: InitProducerIdRequest,
) -> InitProducerIdResponse {
    if let Some(e) = state.faults.take(ApiKey::InitProducerId, node, None) {
        return InitProducerIdResponse {
            error_code: e.code(),
            producer_id: -1,
            producer_epoch: -1,
            ..Default::default()
        };
    }
    if let Some(txn_id) = req.transactional_id.as_deref() {
        let expected =
            (version >= 3 && req.producer_id >= 0).then_some((req.producer_id, req.producer_epoch));
        let result = check_coordinator(state, node, txn_id).and_then(|()| {
            state.init_transactional_producer(
                txn_id,
                req.transaction_timeout_ms,
                expected,
                version >= 4,
                std::time::Instant::now(),
            )
        });
        return match result {
            Ok((producer_id, producer_epoch)) => InitProducerIdResponse {
                producer_id,
                producer_epoch,
                ..Default::default()
            },
            Err(e) => InitProducerIdResponse {
                error_code: e.code(),
                producer_id: -1,
                producer_epoch: -1,
                ..Default::default()
            },
        };
    }
    InitProducerIdResponse {
        producer_id: state.allocate_producer_id(),
        producer_epoch: 0,
        ..Default::default()
    }
}
