//! The group APIs at the coordinator: FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
//! LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups and ListGroups. The state machine is
//! in [`crate::group`]; this module checks that this broker coordinates the group and maps
//! requests and responses.

use std::sync::Arc;
use std::time::Instant;

use kafkito_protocol::messages::consumer_group_describe_response::DescribedGroup as CgDescribed;
use kafkito_protocol::messages::find_coordinator_response::Coordinator;
use kafkito_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafkito_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafkito_protocol::messages::{
    ApiKey, DescribeGroupsRequest, DescribeGroupsResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest,
    JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, ListGroupsRequest,
    ListGroupsResponse, OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest,
    OffsetFetchResponse, SyncGroupRequest, SyncGroupResponse,
};
use kafkito_protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse,
};
use kafkito_protocol::ErrorCode;

use crate::consumer_group::HeartbeatContext;
use crate::group::{Committed, JoinContext, Reply};
use crate::server::ClientInfo;
use crate::state::{Shared, State};

/// A group's committed offsets by topic: (partition, what is committed, if anything).
type GroupOffsets = Vec<(String, Vec<(i32, Option<Committed>, ErrorCode)>)>;

/// Kafka's `offset.metadata.max.bytes` default.
const OFFSET_METADATA_MAX_BYTES: usize = 4096;

/// NOT_COORDINATOR unless `node` coordinates `group_id` (or COORDINATOR_NOT_AVAILABLE when no
/// broker is alive to).
pub(crate) fn check_coordinator(state: &State, node: i32, group_id: &str) -> Result<(), ErrorCode> {
    match state.coordinator_for(group_id) {
        Some(b) if b.node_id == node => Ok(()),
        Some(_) => Err(ErrorCode::NotCoordinator),
        None => Err(ErrorCode::CoordinatorNotAvailable),
    }
}

/// FindCoordinator v0-v5 (v4+ batches keys). Key type 0 is a group; transactional ids
/// (type 1) get the same placement, though transactions are not modelled yet.
pub(crate) fn find_coordinator(
    state: &mut State,
    node: i32,
    version: i16,
    req: FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    let keys: Vec<String> = if version >= 4 {
        req.coordinator_keys.clone()
    } else {
        vec![req.key.clone()]
    };
    let coordinators: Vec<Coordinator> = keys
        .into_iter()
        .map(|key| {
            let mut c = Coordinator {
                key: key.clone(),
                node_id: -1,
                port: -1,
                ..Default::default()
            };
            let error = if let Some(e) = state.faults.take(ApiKey::FindCoordinator, node, None) {
                Some(e)
            } else if !matches!(req.key_type, 0 | 1) {
                Some(ErrorCode::InvalidRequest)
            } else {
                match state.coordinator_for(&key) {
                    Some(b) => {
                        c.node_id = b.node_id;
                        c.host = b.host.clone();
                        c.port = i32::from(b.port);
                        None
                    }
                    None => Some(ErrorCode::CoordinatorNotAvailable),
                }
            };
            if let Some(e) = error {
                c.error_code = e.code();
                c.error_message = Some(e.message().to_owned());
            }
            c
        })
        .collect();
    if version >= 4 {
        FindCoordinatorResponse {
            coordinators,
            ..Default::default()
        }
    } else {
        let c = coordinators.into_iter().next().unwrap_or_default();
        FindCoordinatorResponse {
            error_code: c.error_code,
            error_message: c.error_message,
            node_id: c.node_id,
            host: c.host,
            port: c.port,
            ..Default::default()
        }
    }
}

/// JoinGroup: parks until the rebalance's join phase completes.
pub(crate) async fn join_group(
    shared: &Arc<Shared>,
    node: i32,
    version: i16,
    req: JoinGroupRequest,
    client_id: &str,
    client: &ClientInfo,
) -> JoinGroupResponse {
    let member_id = req.member_id.clone();
    let reply = {
        let mut state = shared.lock();
        let early = state
            .faults
            .take(ApiKey::JoinGroup, node, None)
            .map(Err)
            .unwrap_or_else(|| check_coordinator(&state, node, &req.group_id));
        match early {
            Err(e) => Reply::Now(JoinGroupResponse {
                error_code: e.code(),
                generation_id: -1,
                member_id: member_id.clone(),
                ..Default::default()
            }),
            Ok(()) => {
                let ctx = JoinContext {
                    version,
                    client_id: client_id.to_owned(),
                    client_host: client.host.clone(),
                    min_session_timeout_ms: state.settings.group_min_session_timeout_ms,
                    max_session_timeout_ms: state.settings.group_max_session_timeout_ms,
                };
                state.groups.join(req, &ctx, Instant::now())
            }
        }
    };
    match reply {
        Reply::Now(r) => r,
        Reply::Later(rx) => rx.await.unwrap_or_else(|_| JoinGroupResponse {
            error_code: ErrorCode::UnknownMemberId.code(),
            generation_id: -1,
            member_id,
            ..Default::default()
        }),
    }
}

/// SyncGroup: parks followers until the leader's assignment arrives.
pub(crate) async fn sync_group(
    shared: &Arc<Shared>,
    node: i32,
    _version: i16,
    req: SyncGroupRequest,
) -> SyncGroupResponse {
    let reply = {
        let mut state = shared.lock();
        let early = state
            .faults
            .take(ApiKey::SyncGroup, node, None)
            .map(Err)
            .unwrap_or_else(|| check_coordinator(&state, node, &req.group_id));
        match early {
            Err(e) => Reply::Now(SyncGroupResponse {
                error_code: e.code(),
                ..Default::default()
            }),
            Ok(()) => state.groups.sync(req, Instant::now()),
        }
    };
    match reply {
        Reply::Now(r) => r,
        Reply::Later(rx) => rx.await.unwrap_or_else(|_| SyncGroupResponse {
            error_code: ErrorCode::RebalanceInProgress.code(),
            ..Default::default()
        }),
    }
}

/// Heartbeat.
pub(crate) fn heartbeat(
    state: &mut State,
    node: i32,
    _version: i16,
    req: HeartbeatRequest,
) -> HeartbeatResponse {
    let error = state
        .faults
        .take(ApiKey::Heartbeat, node, None)
        .map(Err)
        .unwrap_or_else(|| check_coordinator(state, node, &req.group_id))
        .map_or_else(|e| e, |()| state.groups.heartbeat(&req, Instant::now()));
    HeartbeatResponse {
        error_code: error.code(),
        ..Default::default()
    }
}

/// LeaveGroup (v3+ batches members, each with its own result).
pub(crate) fn leave_group(
    state: &mut State,
    node: i32,
    version: i16,
    req: LeaveGroupRequest,
) -> LeaveGroupResponse {
    let check = state
        .faults
        .take(ApiKey::LeaveGroup, node, None)
        .map(Err)
        .unwrap_or_else(|| check_coordinator(state, node, &req.group_id));
    let (error, members) = match check {
        Err(e) => (e, Vec::new()),
        Ok(()) => state.groups.leave(&req, version, Instant::now()),
    };
    LeaveGroupResponse {
        error_code: error.code(),
        members,
        ..Default::default()
    }
}

/// OffsetCommit v2-v9: generation and member checks, then one result per partition.
pub(crate) fn offset_commit(
    state: &mut State,
    node: i32,
    _version: i16,
    req: OffsetCommitRequest,
) -> OffsetCommitResponse {
    let now = Instant::now();
    let group_check = check_coordinator(state, node, &req.group_id).and_then(|()| {
        state.groups.check_commit(
            &req.group_id,
            req.generation_id_or_member_epoch,
            &req.member_id,
            req.group_instance_id.as_deref(),
            now,
        )
    });
    let topics = req
        .topics
        .iter()
        .map(|t| OffsetCommitResponseTopic {
            name: t.name.clone(),
            topic_id: t.topic_id,
            partitions: t
                .partitions
                .iter()
                .map(|p| {
                    let error = if let Some(e) = state.faults.take(
                        ApiKey::OffsetCommit,
                        node,
                        Some((&t.name, p.partition_index)),
                    ) {
                        e
                    } else if let Err(e) = group_check {
                        e
                    } else if !state.topics.get(&t.name).is_some_and(|topic| {
                        (p.partition_index as usize) < topic.partitions.len()
                            && p.partition_index >= 0
                    }) {
                        ErrorCode::UnknownTopicOrPartition
                    } else if p
                        .committed_metadata
                        .as_ref()
                        .is_some_and(|m| m.len() > OFFSET_METADATA_MAX_BYTES)
                    {
                        ErrorCode::OffsetMetadataTooLarge
                    } else {
                        state.groups.commit(
                            &req.group_id,
                            &t.name,
                            p.partition_index,
                            Committed {
                                offset: p.committed_offset,
                                leader_epoch: p.committed_leader_epoch,
                                metadata: p.committed_metadata.clone(),
                            },
                        );
                        ErrorCode::None
                    };
                    OffsetCommitResponsePartition {
                        partition_index: p.partition_index,
                        error_code: error.code(),
                        ..Default::default()
                    }
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    OffsetCommitResponse {
        topics,
        ..Default::default()
    }
}

/// The committed offsets of one group: for `topics` (None: every committed partition), each
/// partition's offset, epoch and metadata, or -1 when nothing is committed.
fn fetch_group_offsets(
    state: &State,
    group_id: &str,
    topics: Option<Vec<(String, Vec<i32>)>>,
    require_stable: bool,
) -> GroupOffsets {
    let offsets = state.groups.get(group_id).map(|g| &g.offsets);
    // KIP-447: a consumer asking for stable offsets is told to retry while a transaction
    // holds an uncommitted offset for the partition.
    let answer = |topic: &str, p: i32, c: Option<Committed>| {
        if require_stable && state.groups.has_pending_offset(group_id, topic, p) {
            (p, None, ErrorCode::UnstableOffsetCommit)
        } else {
            (p, c, ErrorCode::None)
        }
    };
    match topics {
        Some(topics) => topics
            .into_iter()
            .map(|(name, partitions)| {
                let found = partitions
                    .into_iter()
                    .map(|p| {
                        answer(
                            &name,
                            p,
                            offsets.and_then(|o| o.get(&(name.clone(), p))).cloned(),
                        )
                    })
                    .collect();
                (name, found)
            })
            .collect(),
        None => {
            let mut by_topic: GroupOffsets = Vec::new();
            for ((topic, p), c) in offsets.into_iter().flatten() {
                let entry = answer(topic, *p, Some(c.clone()));
                match by_topic.last_mut() {
                    Some((t, v)) if t == topic => v.push(entry),
                    _ => by_topic.push((topic.clone(), vec![entry])),
                }
            }
            by_topic
        }
    }
}

/// OffsetFetch v1-v9 (v8+ batches groups).
pub(crate) fn offset_fetch(
    state: &mut State,
    node: i32,
    version: i16,
    req: OffsetFetchRequest,
) -> OffsetFetchResponse {
    let injected = state.faults.take(ApiKey::OffsetFetch, node, None);
    if version >= 8 {
        let groups = req
            .groups
            .iter()
            .map(|g| {
                let error = injected
                    .map(Err)
                    .unwrap_or_else(|| check_coordinator(state, node, &g.group_id));
                let mut out = OffsetFetchResponseGroup {
                    group_id: g.group_id.clone(),
                    ..Default::default()
                };
                match error {
                    Err(e) => out.error_code = e.code(),
                    Ok(()) => {
                        let topics = g.topics.as_ref().map(|ts| {
                            ts.iter()
                                .map(|t| (t.name.clone(), t.partition_indexes.clone()))
                                .collect()
                        });
                        out.topics =
                            fetch_group_offsets(state, &g.group_id, topics, req.require_stable)
                                .into_iter()
                                .map(|(name, partitions)| OffsetFetchResponseTopics {
                                    name,
                                    partitions: partitions
                                        .into_iter()
                                        .map(|(p, c, e)| OffsetFetchResponsePartitions {
                                            partition_index: p,
                                            error_code: e.code(),
                                            committed_offset: c.as_ref().map_or(-1, |c| c.offset),
                                            committed_leader_epoch: c
                                                .as_ref()
                                                .map_or(-1, |c| c.leader_epoch),
                                            metadata: Some(
                                                c.and_then(|c| c.metadata).unwrap_or_default(),
                                            ),
                                            ..Default::default()
                                        })
                                        .collect(),
                                    ..Default::default()
                                })
                                .collect();
                    }
                }
                out
            })
            .collect();
        return OffsetFetchResponse {
            groups,
            ..Default::default()
        };
    }
    let error = injected
        .map(Err)
        .unwrap_or_else(|| check_coordinator(state, node, &req.group_id));
    match error {
        Err(e) => OffsetFetchResponse {
            error_code: e.code(),
            ..Default::default()
        },
        Ok(()) => {
            let topics = req.topics.as_ref().map(|ts| {
                ts.iter()
                    .map(|t| (t.name.clone(), t.partition_indexes.clone()))
                    .collect()
            });
            OffsetFetchResponse {
                topics: fetch_group_offsets(state, &req.group_id, topics, req.require_stable)
                    .into_iter()
                    .map(|(name, partitions)| OffsetFetchResponseTopic {
                        name,
                        partitions: partitions
                            .into_iter()
                            .map(|(p, c, e)| OffsetFetchResponsePartition {
                                partition_index: p,
                                error_code: e.code(),
                                committed_offset: c.as_ref().map_or(-1, |c| c.offset),
                                committed_leader_epoch: c.as_ref().map_or(-1, |c| c.leader_epoch),
                                metadata: Some(c.and_then(|c| c.metadata).unwrap_or_default()),
                                ..Default::default()
                            })
                            .collect(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }
        }
    }
}

/// DescribeGroups.
pub(crate) fn describe_groups(
    state: &mut State,
    node: i32,
    version: i16,
    req: DescribeGroupsRequest,
) -> DescribeGroupsResponse {
    let groups = req
        .groups
        .iter()
        .map(|g| match check_coordinator(state, node, g) {
            Ok(()) => state.groups.describe(g, version),
            Err(e) => kafkito_protocol::messages::describe_groups_response::DescribedGroup {
                error_code: e.code(),
                group_id: g.clone(),
                ..Default::default()
            },
        })
        .collect();
    DescribeGroupsResponse {
        groups,
        ..Default::default()
    }
}

/// ListGroups: the groups this broker coordinates (clients ask every broker).
pub(crate) fn list_groups(
    state: &mut State,
    node: i32,
    _version: i16,
    req: ListGroupsRequest,
) -> ListGroupsResponse {
    let groups = state
        .groups
        .list(&req.states_filter, &req.types_filter)
        .into_iter()
        .filter(|g| {
            state
                .coordinator_for(&g.group_id)
                .is_some_and(|b| b.node_id == node)
        })
        .collect();
    ListGroupsResponse {
        groups,
        ..Default::default()
    }
}

/// ConsumerGroupHeartbeat (KIP-848), at the coordinator. A classic group with members is not
/// a consumer group (GROUP_ID_NOT_FOUND, as Kafka answers).
pub(crate) fn consumer_group_heartbeat(
    state: &mut State,
    node: i32,
    _version: i16,
    req: ConsumerGroupHeartbeatRequest,
    client_id: &str,
    client: &ClientInfo,
) -> ConsumerGroupHeartbeatResponse {
    let error = |code: ErrorCode, message: String| ConsumerGroupHeartbeatResponse {
        error_code: code.code(),
        error_message: Some(message),
        member_epoch: -1,
        ..Default::default()
    };
    if let Some(e) = state
        .faults
        .take(ApiKey::ConsumerGroupHeartbeat, node, None)
    {
        return error(e, "injected".into());
    }
    if req.group_id.is_empty() {
        return error(ErrorCode::InvalidRequest, "GroupId can't be empty.".into());
    }
    if let Err(e) = check_coordinator(state, node, &req.group_id) {
        return error(e, e.message().into());
    }
    if state
        .groups
        .get(&req.group_id)
        .is_some_and(|g| g.member_count() > 0)
    {
        return error(
            ErrorCode::GroupIdNotFound,
            format!("Group {} is not a consumer group.", req.group_id),
        );
    }
    let ctx = HeartbeatContext {
        client_id: client_id.to_owned(),
        client_host: client.host.clone(),
        topics: state
            .topics
            .iter()
            .map(|(name, t)| (name.clone(), (t.id, t.partitions.len() as i32)))
            .collect(),
        heartbeat_interval_ms: state.settings.consumer_heartbeat_interval_ms,
        session_timeout_ms: state.settings.consumer_session_timeout_ms,
    };
    state
        .groups
        .consumer
        .entry(req.group_id.clone())
        .or_default()
        .heartbeat(&req, &ctx, Instant::now())
}

/// ConsumerGroupDescribe (KIP-848).
pub(crate) fn consumer_group_describe(
    state: &mut State,
    node: i32,
    _version: i16,
    req: ConsumerGroupDescribeRequest,
) -> ConsumerGroupDescribeResponse {
    let groups = req
        .group_ids
        .iter()
        .map(|id| match check_coordinator(state, node, id) {
            Err(e) => CgDescribed {
                error_code: e.code(),
                group_id: id.clone(),
                ..Default::default()
            },
            Ok(()) => match state.groups.consumer.get(id) {
                Some(g) => g.describe(id),
                None => CgDescribed {
                    error_code: ErrorCode::GroupIdNotFound.code(),
                    error_message: Some(format!("Group {id} not found.")),
                    group_id: id.clone(),
                    ..Default::default()
                },
            },
        })
        .collect();
    ConsumerGroupDescribeResponse {
        groups,
        ..Default::default()
    }
}
