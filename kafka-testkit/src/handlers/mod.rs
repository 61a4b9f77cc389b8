//! One module per group of APIs. Each handler turns a decoded request into its response,
//! under the cluster lock for the synchronous ones; Fetch, JoinGroup and SyncGroup may wait
//! (without the lock) for data or for the other members of a group.

pub(crate) mod admin;
pub(crate) mod fetch;
pub(crate) mod group;
pub(crate) mod metadata;
pub(crate) mod produce;
pub(crate) mod txn;

use kafkito_protocol::messages::api_versions_response::ApiVersion;
use kafkito_protocol::messages::{ApiKey, ApiVersionsResponse};
use kafkito_protocol::ErrorCode;

use crate::server::SUPPORTED_APIS;
use crate::state::{Partition, State};

/// ApiVersions: every served API with its version range.
pub(crate) fn api_versions(
    error: ErrorCode,
    sasl_apis: &[(ApiKey, i16, i16)],
) -> ApiVersionsResponse {
    ApiVersionsResponse {
        error_code: error.code(),
        api_keys: SUPPORTED_APIS
            .iter()
            .chain(sasl_apis)
            .map(|&(api, min_version, max_version)| ApiVersion {
                api_key: api.key(),
                min_version,
                max_version,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// Kafka's check of a request's `current_leader_epoch` against the partition's: older is
/// FENCED_LEADER_EPOCH, newer is UNKNOWN_LEADER_EPOCH, -1 skips the check.
pub(crate) fn check_leader_epoch(
    partition: &Partition,
    current_leader_epoch: i32,
) -> Result<(), ErrorCode> {
    if current_leader_epoch < 0 || current_leader_epoch == partition.leader_epoch {
        Ok(())
    } else if current_leader_epoch < partition.leader_epoch {
        Err(ErrorCode::FencedLeaderEpoch)
    } else {
        Err(ErrorCode::UnknownLeaderEpoch)
    }
}

/// The partition `topic`/`index` if `node` leads it: UNKNOWN_TOPIC_OR_PARTITION if it does
/// not exist, NOT_LEADER_OR_FOLLOWER if another broker leads it or none does (what a Kafka
/// broker that is not the leader answers).
pub(crate) fn led_partition<'a>(
    state: &'a mut State,
    node: i32,
    topic: &str,
    index: i32,
) -> Result<&'a mut Partition, ErrorCode> {
    let partition = state
        .topics
        .get_mut(topic)
        .and_then(|t| {
            usize::try_from(index)
                .ok()
                .and_then(|i| t.partitions.get_mut(i))
        })
        .ok_or(ErrorCode::UnknownTopicOrPartition)?;
    if partition.leader == node {
        Ok(partition)
    } else {
        Err(ErrorCode::NotLeaderOrFollower)
    }
}
