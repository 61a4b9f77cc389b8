//! CreateTopics, DeleteTopics, CreatePartitions and DeleteRecords. Any broker accepts the
//! topic APIs (Kafka forwards them to the controller); DeleteRecords goes to each leader.

use std::collections::HashSet;

use kafkito_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafkito_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafkito_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafkito_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafkito_protocol::messages::{
    ApiKey, CreatePartitionsRequest, CreatePartitionsResponse, CreateTopicsRequest,
    CreateTopicsResponse, DeleteRecordsRequest, DeleteRecordsResponse, DeleteTopicsRequest,
    DeleteTopicsResponse,
};
use kafkito_protocol::wire::Uuid;
use kafkito_protocol::ErrorCode;

use super::led_partition;
use crate::state::{State, TopicConfig};

/// CreateTopics (with `validate_only`).
pub(crate) fn create_topics(
    state: &mut State,
    node: i32,
    _version: i16,
    req: CreateTopicsRequest,
) -> CreateTopicsResponse {
    let mut names = HashSet::new();
    let duplicated: HashSet<String> = req
        .topics
        .iter()
        .filter(|t| !names.insert(t.name.clone()))
        .map(|t| t.name.clone())
        .collect();
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let mut result = CreatableTopicResult {
                name: t.name.clone(),
                ..Default::default()
            };
            let outcome = if duplicated.contains(&t.name) {
                Err((
                    ErrorCode::InvalidRequest,
                    format!(
                        "Create topics request from client contains a duplicate topic {}",
                        t.name
                    ),
                ))
            } else if let Some(e) = state.faults.take(ApiKey::CreateTopics, node, None) {
                Err((e, "injected".to_owned()))
            } else {
                TopicConfig::from_pairs(
                    t.configs
                        .iter()
                        .map(|c| (c.name.as_str(), c.value.as_deref())),
                )
                .map_err(|bad| (ErrorCode::InvalidConfig, format!("invalid config {bad}")))
                .and_then(|config| {
                    let assignments = (!t.assignments.is_empty()).then(|| {
                        let mut a = t.assignments.clone();
                        a.sort_by_key(|p| p.partition_index);
                        a.into_iter().map(|p| p.broker_ids).collect()
                    });
                    state
                        .create_topic(
                            &t.name,
                            t.num_partitions,
                            t.replication_factor,
                            assignments,
                            config.clone(),
                            req.validate_only,
                        )
                        .map(|ok| (ok, config))
                        .map_err(|e| (e.code, e.message))
                })
            };
            match outcome {
                Ok(((partitions, rf, id), config)) => {
                    result.topic_id = id;
                    result.num_partitions = partitions;
                    result.replication_factor = rf;
                    result.configs = Some(
                        config
                            .describe()
                            .into_iter()
                            .map(|(k, v, set)| CreatableTopicConfigs {
                                name: k.to_owned(),
                                value: Some(v),
                                config_source: if set { 1 } else { 5 },
                                ..Default::default()
                            })
                            .collect(),
                    );
                }
                Err((code, message)) => {
                    result.error_code = code.code();
                    result.error_message = Some(message);
                }
            }
            result
        })
        .collect();
    CreateTopicsResponse {
        topics,
        ..Default::default()
    }
}

/// DeleteTopics: by name (v0-5) or by name or id (v6). A deleted topic's data and committed
/// offsets are gone at once (Kafka deletes them asynchronously).
pub(crate) fn delete_topics(
    state: &mut State,
    node: i32,
    version: i16,
    req: DeleteTopicsRequest,
) -> DeleteTopicsResponse {
    let wanted: Vec<(Option<String>, Uuid)> = if version >= 6 {
        req.topics
            .iter()
            .map(|t| (t.name.clone(), t.topic_id))
            .collect()
    } else {
        req.topic_names
            .iter()
            .map(|n| (Some(n.clone()), Uuid::ZERO))
            .collect()
    };
    let responses = wanted
        .into_iter()
        .map(|(name, id)| {
            let resolved = match &name {
                Some(n) => state.topics.get(n).map(|t| (n.clone(), t.id)),
                None => state.topic_by_id(id).map(|(n, t)| (n.clone(), t.id)),
            };
            let mut result = DeletableTopicResult {
                name: name.clone(),
                topic_id: id,
                ..Default::default()
            };
            if let Some(e) = state.faults.take(ApiKey::DeleteTopics, node, None) {
                result.error_code = e.code();
                return result;
            }
            match resolved {
                Some((n, topic_id)) => {
                    state.topics.remove(&n);
                    state.groups.forget_topic(&n);
                    tracing::info!(topic = %n, "topic deleted");
                    result.name = Some(n);
                    result.topic_id = topic_id;
                }
                None => {
                    result.error_code = if name.is_some() {
                        ErrorCode::UnknownTopicOrPartition.code()
                    } else {
                        ErrorCode::UnknownTopicId.code()
                    };
                }
            }
            result
        })
        .collect();
    DeleteTopicsResponse {
        responses,
        ..Default::default()
    }
}

/// CreatePartitions (with `validate_only`).
pub(crate) fn create_partitions(
    state: &mut State,
    node: i32,
    _version: i16,
    req: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    let results = req
        .topics
        .into_iter()
        .map(|t| {
            let outcome = match state.faults.take(ApiKey::CreatePartitions, node, None) {
                Some(e) => Err((e, "injected".to_owned())),
                None => state
                    .create_partitions(
                        &t.name,
                        t.count,
                        t.assignments
                            .map(|a| a.into_iter().map(|p| p.broker_ids).collect()),
                        req.validate_only,
                    )
                    .map_err(|e| (e.code, e.message)),
            };
            let (error_code, error_message) = match outcome {
                Ok(()) => (0, None),
                Err((code, message)) => (code.code(), Some(message)),
            };
            CreatePartitionsTopicResult {
                name: t.name,
                error_code,
                error_message,
                ..Default::default()
            }
        })
        .collect();
    CreatePartitionsResponse {
        results,
        ..Default::default()
    }
}

/// DeleteRecords: moves each partition's log start offset up to the given offset (-1: the
/// high watermark); beyond the high watermark is OFFSET_OUT_OF_RANGE.
pub(crate) fn delete_records(
    state: &mut State,
    node: i32,
    _version: i16,
    req: DeleteRecordsRequest,
) -> DeleteRecordsResponse {
    let topics = req
        .topics
        .into_iter()
        .map(|t| DeleteRecordsTopicResult {
            partitions: t
                .partitions
                .iter()
                .map(|p| {
                    let mut result = DeleteRecordsPartitionResult {
                        partition_index: p.partition_index,
                        low_watermark: -1,
                        ..Default::default()
                    };
                    if let Some(e) = state.faults.take(
                        ApiKey::DeleteRecords,
                        node,
                        Some((&t.name, p.partition_index)),
                    ) {
                        result.error_code = e.code();
                        return result;
                    }
                    match led_partition(state, node, &t.name, p.partition_index) {
                        Ok(partition) => {
                            let hw = partition.log.high_watermark();
                            let offset = if p.offset == -1 { hw } else { p.offset };
                            if offset < 0 || offset > hw {
                                result.error_code = ErrorCode::OffsetOutOfRange.code();
                            } else {
                                partition.log.delete_records_before(offset);
                                result.low_watermark = partition.log.log_start_offset();
                            }
                        }
                        Err(e) => result.error_code = e.code(),
                    }
                    result
                })
                .collect(),
            name: t.name,
            ..Default::default()
        })
        .collect();
    DeleteRecordsResponse {
        topics,
        ..Default::default()
    }
}
