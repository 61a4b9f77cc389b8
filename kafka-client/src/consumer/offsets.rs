//! Offsets the consumer looks up or stores: reset positions (ListOffsets, through the admin
//! client's per-leader lookup and its retry rules), committed offsets (OffsetFetch at the
//! group coordinator, through the admin client) and commits (OffsetCommit at the coordinator,
//! found with FindCoordinator).
//!
//! Commits of a group member carry its generation, member id and `group.instance.id`, so that
//! the coordinator refuses a commit from a member that lost its partitions.
//! Commits in manual-assignment mode are "standalone" as Java's `assign()` + `commitSync()`:
//! generation `-1` and an empty member id, which the coordinator accepts for a group with no
//! members.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use kafkito_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafkito_protocol::messages::{ApiKey, OffsetCommitRequest};
use kafkito_protocol::ErrorCode;
use tracing::{debug, info};

use super::config::OffsetReset;
use super::group::membership::CommitGeneration;
use super::TopicPartition;
use crate::admin::{
    AdminClient, AdminOptions, IsolationLevel, ListOffsetsOptions, ListedOffset, OffsetAndMetadata,
    OffsetSpec,
};
use crate::cluster::coordinator::{self, CoordinatorType};
use crate::cluster::MetadataClient;
use crate::error::{Error, Result};
use crate::net::Connection;
use crate::retry::{Retry, OFFSET_COMMIT_RETRIABLE};

/// The highest OffsetCommit version used: v10 names topics by id.
const MAX_OFFSET_COMMIT_VERSION: i16 = 9;

/// What [`Consumer::offsets_for_times`](super::Consumer::offsets_for_times) found for one
/// partition: the first record at or after the asked time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetAndTimestamp {
    /// The record's offset.
    pub offset: i64,
    /// The record's timestamp (milliseconds since the epoch); -1 if the broker sent none.
    pub timestamp: i64,
    /// The leader epoch of the record, when the broker sent it (ListOffsets v4+).
    pub leader_epoch: Option<i32>,
}

/// Looks up where each partition resets to (`Earliest` or `Latest`; `None` is not a lookup).
pub async fn reset_offsets(
    admin: &AdminClient,
    resets: &[(TopicPartition, OffsetReset)],
    isolation_level: IsolationLevel,
) -> Result<Vec<(TopicPartition, i64)>> {
    let specs = resets
        .iter()
        .map(|(tp, to)| {
            let spec = match to {
                OffsetReset::Earliest => OffsetSpec::Earliest,
                _ => OffsetSpec::Latest,
            };
            (tp.clone(), spec)
        })
        .collect();
    let listed = list(admin, specs, isolation_level, None).await?;
    listed
        .into_iter()
        .map(|(tp, found)| {
            let offset = found.offset.ok_or_else(|| Error::Protocol {
                api: ApiKey::ListOffsets,
                code: ErrorCode::UnknownServerError,
                message: Some(format!("no offset for {tp}")),
            })?;
            Ok((tp, offset))
        })
        .collect()
}

/// ListOffsets for each partition at its leader (retried as the admin client retries), under
/// `isolation_level`; fails with the first partition's error. `timeout` defaults to
/// `default.api.timeout.ms`.
pub async fn list(
    admin: &AdminClient,
    specs: Vec<(TopicPartition, OffsetSpec)>,
    isolation_level: IsolationLevel,
    timeout: Option<Duration>,
) -> Result<BTreeMap<TopicPartition, ListedOffset>> {
    if specs.is_empty() {
        return Ok(BTreeMap::new());
    }
    let listed = admin
        .list_offsets(
            specs,
            ListOffsetsOptions {
                timeout,
                isolation_level,
            },
        )
        .await?;
    listed
        .into_iter()
        .map(|(tp, result)| Ok((tp, result?)))
        .collect()
}

/// The offsets `group` committed for `partitions`, with their metadata strings (`None` where
/// nothing is committed).
pub async fn committed(
    admin: &AdminClient,
    group: &str,
    partitions: &[TopicPartition],
) -> Result<HashMap<TopicPartition, Option<OffsetAndMetadata>>> {
    // Only the partitions asked about (as Java's consumer does): the answer stays small, and
    // no broker is asked the "every partition of the group" form, which this call never needs.
    // Stable offsets (KIP-447), as Java's consumer asks: an offset a transaction is about to
    // replace must not be where a new owner of the partition starts.
    let found = admin
        .stable_group_offsets_for(group, partitions, AdminOptions::default())
        .await?;
    Ok(partitions
        .iter()
        .map(|tp| (tp.clone(), found.get(tp).cloned()))
        .collect())
}

/// Commits `offsets` for `group`, retrying a moved, loading or slow (`REQUEST_TIMED_OUT`)
/// coordinator within `timeout`:
/// as a group member when `generation` is given, else as a standalone (memberless) commit.
/// Fails with the first partition error.
pub async fn commit(
    metadata: &MetadataClient,
    group: &str,
    generation: Option<&CommitGeneration>,
    offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    timeout: Duration,
) -> Result<()> {
    if offsets.is_empty() {
        return Ok(());
    }
    let mut retry =
        Retry::new("offset_commit", timeout, metadata).also_retrying(OFFSET_COMMIT_RETRIABLE);
    loop {
        let attempt = async {
            let coordinator = find_coordinator(metadata, group).await?;
            let connection = metadata.pool().connection(coordinator).await?;
            offset_commit_on(&connection, group, generation, offsets).await
        };
        let error = match retry.run(attempt).await {
            Ok(()) => break,
            Err(error) => error,
        };
        retry.backoff(error, metadata).await?;
    }
    info!(group, partitions = offsets.len(), "committed offsets");
    Ok(())
}

/// The coordinator of `group`, asked afresh (the group tasks keep the coordinator they found
/// and ask again only when a request says it moved); see `cluster/coordinator.rs`.
pub(crate) async fn find_coordinator(metadata: &MetadataClient, group: &str) -> Result<i32> {
    coordinator::find_coordinator(metadata, CoordinatorType::Group, group).await
}

async fn offset_commit_on(
    connection: &Connection,
    group: &str,
    generation: Option<&CommitGeneration>,
    offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
) -> Result<()> {
    let version = connection
        .version_for(ApiKey::OffsetCommit)?
        .min(MAX_OFFSET_COMMIT_VERSION);
    let mut topics: BTreeMap<&str, Vec<OffsetCommitRequestPartition>> = BTreeMap::new();
    for (tp, offset) in offsets {
        topics
            .entry(&tp.topic)
            .or_default()
            .push(OffsetCommitRequestPartition {
                partition_index: tp.partition,
                committed_offset: offset.offset,
                committed_leader_epoch: offset.leader_epoch.unwrap_or(-1),
                commit_timestamp: -1,
                // Kafka stores an empty string for a commit without metadata.
                committed_metadata: Some(offset.metadata.clone().unwrap_or_default()),
                ..Default::default()
            });
    }
    let request = OffsetCommitRequest {
        group_id: group.to_owned(),
        generation_id_or_member_epoch: generation.map_or(-1, |g| g.generation_id),
        member_id: generation.map(|g| g.member_id.clone()).unwrap_or_default(),
        group_instance_id: generation.and_then(|g| g.group_instance_id.clone()),
        topics: topics
            .into_iter()
            .map(|(name, partitions)| OffsetCommitRequestTopic {
                name: name.to_owned(),
                partitions,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let response = connection.call(&request, version).await?;
    for topic in &response.topics {
        for p in &topic.partitions {
            if p.error_code != 0 {
                debug!(topic = %topic.name, partition = p.partition_index, code = p.error_code, "commit failed");
            }
            Error::check(ApiKey::OffsetCommit, p.error_code, None)?;
        }
    }
    Ok(())
}
