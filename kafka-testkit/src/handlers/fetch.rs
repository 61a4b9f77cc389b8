//! Fetch (with long polling), ListOffsets and OffsetForLeaderEpoch.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafkito_protocol::messages::fetch_response::{
    AbortedTransaction, EpochEndOffset as DivergingEpoch, FetchableTopicResponse, LeaderIdAndEpoch,
    NodeEndpoint, PartitionData,
};
use kafkito_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafkito_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use kafkito_protocol::messages::{
    ApiKey, FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse,
    OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse,
};
use kafkito_protocol::wire::Uuid;
use kafkito_protocol::ErrorCode;

use super::{check_leader_epoch, led_partition};
use crate::state::{Shared, State};

/// ListOffsets special timestamps.
const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;

/// Fetch v4-v17. Sessionless: a request that asks for a new session (epoch 0) is answered
/// with session id 0, which tells the client no session was created (what Kafka does when
/// its session cache is full); an incremental request for a session is answered
/// FETCH_SESSION_ID_NOT_FOUND. The request waits until `min_bytes` are available, an error
/// is to be reported, or `max_wait_ms` passes; every produce (and transaction marker) wakes
/// it to re-check. read_committed fetches stop at the last stable offset and carry the
/// aborted transactions of the range they return.
pub(crate) async fn fetch(
    shared: &Arc<Shared>,
    node: i32,
    version: i16,
    req: FetchRequest,
) -> FetchResponse {
    if version >= 7 && (req.session_id != 0 || req.session_epoch > 0) {
        return FetchResponse {
            error_code: ErrorCode::FetchSessionIdNotFound.code(),
            ..Default::default()
        };
    }
    // Injected errors fire once per request, not once per long-poll pass.
    let injected: HashMap<(usize, usize), ErrorCode> = {
        let mut state = shared.lock();
        let mut injected = HashMap::new();
        for (ti, topic) in req.topics.iter().enumerate() {
            let name = topic_name(&state, version, &topic.topic, topic.topic_id);
            for (pi, p) in topic.partitions.iter().enumerate() {
                if let Some(e) = state
                    .faults
                    .take(ApiKey::Fetch, node, Some((&name, p.partition)))
                {
                    injected.insert((ti, pi), e);
                }
            }
        }
        injected
    };
    let deadline =
        tokio::time::Instant::now() + Duration::from_millis(req.max_wait_ms.max(0) as u64);
    loop {
        let notified = shared.appended.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (response, bytes, errors) = {
            let state = shared.lock();
            fetch_once(&state, node, version, &req, &injected)
        };
        let now = tokio::time::Instant::now();
        if bytes >= req.min_bytes.max(0) as usize || errors || now >= deadline {
            return response;
        }
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

fn topic_name(state: &State, version: i16, name: &str, id: Uuid) -> String {
    if version >= 13 {
        state
            .topic_by_id(id)
            .map(|(n, _)| n.clone())
            .unwrap_or_default()
    } else {
        name.to_owned()
    }
}

/// One pass over the requested partitions: the response, the record bytes in it, and
/// whether any partition carries an error (which answers the request at once).
fn fetch_once(
    state: &State,
    node: i32,
    version: i16,
    req: &FetchRequest,
    injected: &HashMap<(usize, usize), ErrorCode>,
) -> (FetchResponse, usize, bool) {
    let mut total = 0usize;
    let mut errors = false;
    let max_bytes = if req.max_bytes <= 0 {
        usize::MAX
    } else {
        req.max_bytes as usize
    };
    let mut endpoints = Vec::new();
    let responses = req
        .topics
        .iter()
        .enumerate()
        .map(|(ti, topic)| {
            let name = topic_name(state, version, &topic.topic, topic.topic_id);
            let topic_state = state.topics.get(&name);
            FetchableTopicResponse {
                topic: topic.topic.clone(),
                topic_id: topic.topic_id,
                partitions: topic
                    .partitions
                    .iter()
                    .enumerate()
                    .map(|(pi, p)| {
                        let mut data = PartitionData {
                            partition_index: p.partition,
                            high_watermark: -1,
                            ..Default::default()
                        };
                        let fail = |data: &mut PartitionData, code: ErrorCode| {
                            data.error_code = code.code();
                            data.records = Some(Bytes::new());
                        };
                        if let Some(&e) = injected.get(&(ti, pi)) {
                            fail(&mut data, e);
                            errors = true;
                            return data;
                        }
                        let Some(t) = topic_state else {
                            fail(
                                &mut data,
                                if version >= 13 {
                                    ErrorCode::UnknownTopicId
                                } else {
                                    ErrorCode::UnknownTopicOrPartition
                                },
                            );
                            errors = true;
                            return data;
                        };
                        let Some(partition) = usize::try_from(p.partition)
                            .ok()
                            .and_then(|i| t.partitions.get(i))
                        else {
                            fail(&mut data, ErrorCode::UnknownTopicOrPartition);
                            errors = true;
                            return data;
                        };
                        // KIP-392: a consumer (v11+) may fetch from any in-sync replica;
                        // older consumers only from the leader.
                        let serves = partition.leader == node
                            || (version >= 11 && partition.isr.contains(&node));
                        if !serves {
                            fail(&mut data, ErrorCode::NotLeaderOrFollower);
                            data.current_leader = LeaderIdAndEpoch {
                                leader_id: partition.leader,
                                leader_epoch: partition.leader_epoch,
                                ..Default::default()
                            };
                            endpoints.push(partition.leader);
                            errors = true;
                            return data;
                        }
                        if let Err(e) = check_leader_epoch(partition, p.current_leader_epoch) {
                            fail(&mut data, e);
                            data.current_leader = LeaderIdAndEpoch {
                                leader_id: partition.leader,
                                leader_epoch: partition.leader_epoch,
                                ..Default::default()
                            };
                            errors = true;
                            return data;
                        }
                        let log = &partition.log;
                        data.high_watermark = log.high_watermark();
                        data.last_stable_offset = log.last_stable_offset();
                        data.log_start_offset = log.log_start_offset();
                        // read_committed sees only what is below the last stable offset, and
                        // is told which aborted transactions its range holds; Kafka sends no
                        // list (null) for read_uncommitted.
                        let read_committed = req.isolation_level == 1;
                        let upper = if read_committed {
                            log.last_stable_offset()
                        } else {
                            i64::MAX
                        };
                        data.aborted_transactions = read_committed.then(|| {
                            log.aborted_between(p.fetch_offset, upper)
                                .into_iter()
                                .map(|(producer_id, first_offset)| AbortedTransaction {
                                    producer_id,
                                    first_offset,
                                    ..Default::default()
                                })
                                .collect()
                        });
                        if p.fetch_offset < log.log_start_offset()
                            || p.fetch_offset > log.log_end_offset()
                        {
                            fail(&mut data, ErrorCode::OffsetOutOfRange);
                            errors = true;
                            return data;
                        }
                        // KIP-320: a fetch that names the epoch of its last record learns
                        // where that epoch really ends, if before its fetch offset.
                        if version >= 12 && p.last_fetched_epoch >= 0 {
                            let (epoch, end) = log.end_offset_for_epoch(p.last_fetched_epoch);
                            if epoch != p.last_fetched_epoch || end < p.fetch_offset {
                                data.diverging_epoch = DivergingEpoch {
                                    epoch,
                                    end_offset: end,
                                    ..Default::default()
                                };
                                errors = true;
                                return data;
                            }
                        }
                        // KIP-392: a rack-aware leader points the client at a replica in its
                        // rack (the leader itself if it is in that rack).
                        if version >= 11
                            && state.settings.rack_aware_fetch
                            && partition.leader == node
                            && !req.rack_id.is_empty()
                        {
                            let in_rack = |id: i32| {
                                state.broker(id).is_some_and(|b| {
                                    b.alive && b.rack.as_deref() == Some(req.rack_id.as_str())
                                })
                            };
                            if !in_rack(node) {
                                if let Some(&preferred) =
                                    partition.isr.iter().find(|&&r| in_rack(r))
                                {
                                    data.preferred_read_replica = preferred;
                                    data.records = Some(Bytes::new());
                                    errors = true; // answer at once: the client moves
                                    return data;
                                }
                            }
                        }
                        let partition_max = if p.partition_max_bytes <= 0 {
                            0
                        } else {
                            p.partition_max_bytes as usize
                        };
                        let budget = partition_max.min(max_bytes.saturating_sub(total));
                        let batches = log.read_below(p.fetch_offset, budget, total == 0, upper);
                        let size: usize = batches.iter().map(Bytes::len).sum();
                        total += size;
                        data.records = Some(match batches.len() {
                            0 => Bytes::new(),
                            1 => batches.into_iter().next().unwrap_or_default(),
                            _ => {
                                let mut all = BytesMut::with_capacity(size);
                                for b in batches {
                                    all.extend_from_slice(&b);
                                }
                                all.freeze()
                            }
                        });
                        data
                    })
                    .collect(),
                ..Default::default()
            }
        })
        .collect();
    endpoints.sort_unstable();
    endpoints.dedup();
    let node_endpoints = endpoints
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
    (
        FetchResponse {
            responses,
            node_endpoints,
            ..Default::default()
        },
        total,
        errors,
    )
}

/// ListOffsets v1-v10: earliest (-2), latest (-1: the high watermark, or the last stable
/// offset for read_committed), max timestamp (-3), earliest local (-4), or the first offset
/// at or after a timestamp.
pub(crate) fn list_offsets(
    state: &mut State,
    node: i32,
    _version: i16,
    req: ListOffsetsRequest,
) -> ListOffsetsResponse {
    let topics = req
        .topics
        .iter()
        .map(|t| ListOffsetsTopicResponse {
            name: t.name.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| {
                    let mut r = ListOffsetsPartitionResponse {
                        partition_index: p.partition_index,
                        ..Default::default()
                    };
                    if let Some(e) = state.faults.take(
                        ApiKey::ListOffsets,
                        node,
                        Some((&t.name, p.partition_index)),
                    ) {
                        r.error_code = e.code();
                        return r;
                    }
                    let partition = match led_partition(state, node, &t.name, p.partition_index) {
                        Ok(partition) => partition,
                        Err(e) => {
                            r.error_code = e.code();
                            return r;
                        }
                    };
                    if let Err(e) = check_leader_epoch(partition, p.current_leader_epoch) {
                        r.error_code = e.code();
                        return r;
                    }
                    let log = &partition.log;
                    let found = match p.timestamp {
                        LATEST if req.isolation_level == 1 => {
                            Some((log.last_stable_offset(), -1, partition.leader_epoch))
                        }
                        LATEST => Some((log.high_watermark(), -1, partition.leader_epoch)),
                        EARLIEST | EARLIEST_LOCAL => Some((
                            log.log_start_offset(),
                            -1,
                            log.epoch_at(log.log_start_offset()),
                        )),
                        MAX_TIMESTAMP => log.max_timestamp_offset(),
                        ts if ts >= 0 => log.offset_for_timestamp(ts),
                        _ => {
                            r.error_code = ErrorCode::UnsupportedVersion.code();
                            return r;
                        }
                    };
                    if let Some((offset, timestamp, epoch)) = found {
                        r.offset = offset;
                        r.timestamp = timestamp;
                        r.leader_epoch = epoch;
                    }
                    r
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    ListOffsetsResponse {
        topics,
        ..Default::default()
    }
}

/// OffsetForLeaderEpoch v2-v4: where a leader epoch ends in the leader's log.
pub(crate) fn offset_for_leader_epoch(
    state: &mut State,
    node: i32,
    _version: i16,
    req: OffsetForLeaderEpochRequest,
) -> OffsetForLeaderEpochResponse {
    let topics = req
        .topics
        .iter()
        .map(|t| OffsetForLeaderTopicResult {
            topic: t.topic.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| {
                    let mut r = EpochEndOffset {
                        partition: p.partition,
                        leader_epoch: -1,
                        end_offset: -1,
                        ..Default::default()
                    };
                    if let Some(e) = state.faults.take(
                        ApiKey::OffsetForLeaderEpoch,
                        node,
                        Some((&t.topic, p.partition)),
                    ) {
                        r.error_code = e.code();
                        return r;
                    }
                    match led_partition(state, node, &t.topic, p.partition) {
                        Ok(partition) => {
                            match check_leader_epoch(partition, p.current_leader_epoch) {
                                Ok(()) => {
                                    let (epoch, end) =
                                        partition.log.end_offset_for_epoch(p.leader_epoch);
                                    r.leader_epoch = epoch;
                                    r.end_offset = end;
                                }
                                Err(e) => r.error_code = e.code(),
                            }
                        }
                        Err(e) => r.error_code = e.code(),
                    }
                    r
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    OffsetForLeaderEpochResponse {
        topics,
        ..Default::default()
    }
}
