//! Metadata, DescribeCluster and DescribeConfigs: what the cluster looks like.

use kafkito_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafkito_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult,
};
use kafkito_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafkito_protocol::messages::{
    DescribeClusterRequest, DescribeClusterResponse, DescribeConfigsRequest,
    DescribeConfigsResponse, MetadataRequest, MetadataResponse,
};
use kafkito_protocol::wire::Uuid;
use kafkito_protocol::ErrorCode;

use crate::state::{valid_topic_name, State, Topic, TopicConfig};

/// DescribeConfigs resource types.
const RESOURCE_TOPIC: i8 = 2;
const RESOURCE_BROKER: i8 = 4;
/// DescribeConfigs config sources.
const SOURCE_TOPIC_CONFIG: i8 = 1;
const SOURCE_STATIC_BROKER_CONFIG: i8 = 4;
const SOURCE_DEFAULT_CONFIG: i8 = 5;

fn describe_topic(state: &State, name: &str, topic: &Topic) -> MetadataResponseTopic {
    MetadataResponseTopic {
        name: Some(name.to_owned()),
        topic_id: topic.id,
        partitions: topic
            .partitions
            .iter()
            .enumerate()
            .map(|(index, p)| MetadataResponsePartition {
                error_code: if p.leader < 0 {
                    ErrorCode::LeaderNotAvailable.code()
                } else {
                    0
                },
                partition_index: index as i32,
                leader_id: p.leader,
                leader_epoch: p.leader_epoch,
                replica_nodes: p.replicas.clone(),
                isr_nodes: p.isr.clone(),
                offline_replicas: p
                    .replicas
                    .iter()
                    .copied()
                    .filter(|&r| !state.broker(r).is_some_and(|b| b.alive))
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// Metadata v0-v12. A topic that does not exist is created with the cluster defaults when
/// auto-creation is on and the request allows it (v4+ asks explicitly; older versions always
/// allow), and answered LEADER_NOT_AVAILABLE this once, as Kafka answers a topic whose
/// creation it has just started; the client's next Metadata finds it.
pub(crate) fn metadata(
    state: &mut State,
    _node: i32,
    version: i16,
    req: MetadataRequest,
) -> MetadataResponse {
    let brokers = state
        .alive_brokers()
        .map(|b| MetadataResponseBroker {
            node_id: b.node_id,
            host: b.host.clone(),
            port: i32::from(b.port),
            rack: b.rack.clone(),
            ..Default::default()
        })
        .collect();
    let all = match &req.topics {
        None => true,
        Some(t) => t.is_empty() && version == 0,
    };
    let topics = if all {
        state
            .topics
            .iter()
            .map(|(name, t)| describe_topic(state, name, t))
            .collect()
    } else {
        let allow_create =
            state.settings.auto_create_topics && (version < 4 || req.allow_auto_topic_creation);
        let mut out = Vec::new();
        for wanted in req.topics.iter().flatten() {
            let name = match &wanted.name {
                Some(n) => n.clone(),
                None => match state.topic_by_id(wanted.topic_id) {
                    Some((n, _)) => n.clone(),
                    None => {
                        out.push(MetadataResponseTopic {
                            error_code: ErrorCode::UnknownTopicId.code(),
                            name: None,
                            topic_id: wanted.topic_id,
                            ..Default::default()
                        });
                        continue;
                    }
                },
            };
            if let Some(topic) = state.topics.get(&name) {
                out.push(describe_topic(state, &name, topic));
                continue;
            }
            let error = if !valid_topic_name(&name) {
                ErrorCode::InvalidTopicException
            } else if allow_create {
                let (partitions, rf) = (
                    state.settings.default_partitions,
                    state
                        .settings
                        .default_replication_factor
                        .min(state.brokers.len() as i16),
                );
                match state.create_topic(&name, partitions, rf, None, TopicConfig::default(), false)
                {
                    Ok(_) => ErrorCode::LeaderNotAvailable,
                    Err(e) => e.code,
                }
            } else {
                ErrorCode::UnknownTopicOrPartition
            };
            out.push(MetadataResponseTopic {
                error_code: error.code(),
                name: Some(name.clone()),
                topic_id: state.topics.get(&name).map_or(Uuid::ZERO, |t| t.id),
                ..Default::default()
            });
        }
        out
    };
    MetadataResponse {
        brokers,
        cluster_id: Some(state.cluster_id.clone()),
        controller_id: state.controller_id(),
        topics,
        ..Default::default()
    }
}

/// DescribeCluster: the live brokers and the controller.
pub(crate) fn describe_cluster(
    state: &mut State,
    _node: i32,
    _version: i16,
    _req: DescribeClusterRequest,
) -> DescribeClusterResponse {
    DescribeClusterResponse {
        cluster_id: state.cluster_id.clone(),
        controller_id: state.controller_id(),
        brokers: state
            .alive_brokers()
            .map(|b| DescribeClusterBroker {
                broker_id: b.node_id,
                host: b.host.clone(),
                port: i32::from(b.port),
                rack: b.rack.clone(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn config_entry(
    name: &str,
    value: String,
    source: i8,
    version: i16,
) -> DescribeConfigsResourceResult {
    DescribeConfigsResourceResult {
        name: name.to_owned(),
        value: Some(value),
        config_source: if version >= 1 { source } else { -1 },
        is_default: source == SOURCE_DEFAULT_CONFIG,
        ..Default::default()
    }
}

/// DescribeConfigs for topics (the keys the testkit models, with whether each was set at
/// creation) and brokers (the defaults it applies).
pub(crate) fn describe_configs(
    state: &mut State,
    node: i32,
    version: i16,
    req: DescribeConfigsRequest,
) -> DescribeConfigsResponse {
    let results = req
        .resources
        .iter()
        .map(|resource| {
            let wanted = |key: &str| {
                resource
                    .configuration_keys
                    .as_ref()
                    .is_none_or(|keys| keys.iter().any(|k| k == key))
            };
            let mut result = DescribeConfigsResult {
                resource_type: resource.resource_type,
                resource_name: resource.resource_name.clone(),
                ..Default::default()
            };
            match resource.resource_type {
                RESOURCE_TOPIC => match state.topics.get(&resource.resource_name) {
                    Some(topic) => {
                        result.configs = topic
                            .config
                            .describe()
                            .into_iter()
                            .filter(|(k, _, _)| wanted(k))
                            .map(|(k, v, set)| {
                                let source = if set {
                                    SOURCE_TOPIC_CONFIG
                                } else {
                                    SOURCE_DEFAULT_CONFIG
                                };
                                config_entry(k, v, source, version)
                            })
                            .collect();
                    }
                    None => {
                        result.error_code = ErrorCode::UnknownTopicOrPartition.code();
                        result.error_message =
                            Some(format!("Topic {} does not exist", resource.resource_name));
                    }
                },
                RESOURCE_BROKER => {
                    let id = resource.resource_name.parse::<i32>().unwrap_or(node);
                    let rack = state.broker(id).and_then(|b| b.rack.clone());
                    let s = &state.settings;
                    let mut entries = vec![
                        (
                            "auto.create.topics.enable",
                            s.auto_create_topics.to_string(),
                        ),
                        (
                            "default.replication.factor",
                            s.default_replication_factor.to_string(),
                        ),
                        ("num.partitions", s.default_partitions.to_string()),
                        ("min.insync.replicas", "1".to_owned()),
                        (
                            "message.max.bytes",
                            crate::state::DEFAULT_MAX_MESSAGE_BYTES.to_string(),
                        ),
                    ];
                    if let Some(rack) = rack {
                        entries.push(("broker.rack", rack));
                    }
                    result.configs = entries
                        .into_iter()
                        .filter(|(k, _)| wanted(k))
                        .map(|(k, v)| config_entry(k, v, SOURCE_STATIC_BROKER_CONFIG, version))
                        .collect();
                }
                other => {
                    result.error_code = ErrorCode::InvalidRequest.code();
                    result.error_message = Some(format!(
                        "resource type {other} is not modelled by the testkit"
                    ));
                }
            }
            result
        })
        .collect();
    DescribeConfigsResponse {
        results,
        ..Default::default()
    }
}
