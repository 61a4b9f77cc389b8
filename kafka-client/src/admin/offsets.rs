//! Offsets of partitions: looking them up (ListOffsets) and deleting records before one
//! (DeleteRecords). Both go to each partition's leader, one request per leader.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use kafkito_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kafkito_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafkito_protocol::messages::{ApiKey, DeleteRecordsRequest, ListOffsetsRequest};
use kafkito_protocol::ErrorCode;
use tracing::{info_span, Instrument};

use super::{AdminClient, AdminOptions};
use crate::cluster::client::leader_of;
use crate::error::{Error, Result};
use crate::net::Connection;
use crate::retry::{fail_all, Retry};
pub use crate::types::{IsolationLevel, TopicPartition};

/// Which offset [`AdminClient::list_offsets`] looks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The first offset still in the log (the log start offset).
    Earliest,
    /// The offset the next record will get (the high watermark, or the last stable offset
    /// under `read_committed`).
    Latest,
    /// The first offset whose record timestamp is at or after this many milliseconds since
    /// the epoch; `None` in the result when there is none.
    Timestamp(i64),
}

impl OffsetSpec {
    /// The `timestamp` field value Kafka uses for this spec.
    pub fn wire_timestamp(self) -> i64 {
        match self {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest => -1,
            OffsetSpec::Timestamp(ms) => ms,
        }
    }
}

/// Options of [`AdminClient::list_offsets`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListOffsetsOptions {
    /// The call's deadline.
    pub timeout: Option<Duration>,
    /// Which records count for `Latest`.
    pub isolation_level: IsolationLevel,
}

/// An offset found by [`AdminClient::list_offsets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedOffset {
    /// The offset; `None` when a timestamp lookup found no record at or after it.
    pub offset: Option<i64>,
    /// The timestamp of the record at `offset`, for timestamp lookups (v1+).
    pub timestamp: Option<i64>,
    /// The leader epoch of that record (v4+).
    pub leader_epoch: Option<i32>,
}

impl AdminClient {
    /// Looks up offsets, asking each partition's leader. One result per partition.
    pub async fn list_offsets(
        &self,
        specs: Vec<(TopicPartition, OffsetSpec)>,
        options: ListOffsetsOptions,
    ) -> Result<BTreeMap<TopicPartition, Result<ListedOffset>>> {
        let span = info_span!("kafka.admin", op = "list_offsets", partitions = specs.len());
        let retry = Retry::new(
            "list_offsets",
            self.timeout(options.timeout),
            &self.metadata,
        );
        let specs: BTreeMap<TopicPartition, OffsetSpec> = specs.into_iter().collect();
        let isolation_level = match options.isolation_level {
            IsolationLevel::ReadUncommitted => 0,
            IsolationLevel::ReadCommitted => 1,
        };
        retry
            .per_item(
                &self.metadata,
                specs.keys().cloned().collect(),
                |partitions| {
                    let specs = &specs;
                    self.by_leader(partitions, move |connection, partitions| async move {
                        list_offsets_on(&connection, &partitions, specs, isolation_level).await
                    })
                },
            )
            .instrument(span)
            .await
    }

    /// Deletes the records before the given offset of each partition (DeleteRecords, on the
    /// leaders). The result is the partition's new low watermark (earliest offset).
    pub async fn delete_records(
        &self,
        before: Vec<(TopicPartition, i64)>,
        options: AdminOptions,
    ) -> Result<BTreeMap<TopicPartition, Result<i64>>> {
        let span = info_span!(
            "kafka.admin",
            op = "delete_records",
            partitions = before.len()
        );
        let retry = Retry::new(
            "delete_records",
            self.timeout(options.timeout),
            &self.metadata,
        );
        let request_timeout = retry.remaining_ms();
        let before: BTreeMap<TopicPartition, i64> = before.into_iter().collect();
        retry
            .per_item(
                &self.metadata,
                before.keys().cloned().collect(),
                |partitions| {
                    let before = &before;
                    self.by_leader(partitions, move |connection, partitions| async move {
                        delete_records_on(&connection, &partitions, before, request_timeout).await
                    })
                },
            )
            .instrument(span)
            .await
    }

    /// Groups `partitions` by leader (refreshing metadata for topics without one) and runs
    /// `send` once per leader, concurrently. Partitions without a leader, or whose leader
    /// cannot be reached, get the error as their result so that they are retried.
    pub(crate) async fn by_leader<V, F, Fut>(
        &self,
        partitions: Vec<TopicPartition>,
        send: F,
    ) -> Result<Vec<(TopicPartition, Result<V>)>>
    where
        F: Fn(Connection, Vec<TopicPartition>) -> Fut,
        Fut: Future<Output = Result<Vec<(TopicPartition, Result<V>)>>>,
    {
        let mut cluster = self.metadata.cluster();
        let unknown: Vec<&str> = partitions
            .iter()
            .filter(|tp| cluster.leader_for(&tp.topic, tp.partition).is_none())
            .map(|tp| tp.topic.as_str())
            .collect();
        if !unknown.is_empty() {
            cluster = self.metadata.refresh_topics(&unknown).await?;
        }
        let mut results = Vec::new();
        let mut by_leader: BTreeMap<i32, Vec<TopicPartition>> = BTreeMap::new();
        for tp in partitions {
            match leader_of(&cluster, &tp.topic, tp.partition) {
                Ok(leader) => by_leader.entry(leader).or_default().push(tp),
                Err(error) => results.push((tp, Err(error))),
            }
        }
        let sends = by_leader.into_iter().map(|(leader, partitions)| {
            let send = &send;
            async move {
                match self.metadata.pool().connection(leader).await {
                    Ok(connection) => match send(connection, partitions.clone()).await {
                        Ok(results) => results,
                        Err(error) => fail_all(&partitions, &error),
                    },
                    Err(error) => fail_all(&partitions, &error),
                }
            }
        });
        for outcome in futures::future::join_all(sends).await {
            results.extend(outcome);
        }
        Ok(results)
    }
}

/// Topic → partitions, in order, for building a request.
fn by_topic(partitions: &[TopicPartition]) -> BTreeMap<&str, Vec<i32>> {
    let mut topics: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for tp in partitions {
        topics.entry(&tp.topic).or_default().push(tp.partition);
    }
    topics
}

fn not_in_response(api: ApiKey, tp: &TopicPartition) -> Error {
    Error::Protocol {
        api,
        code: ErrorCode::UnknownServerError,
        message: Some(format!("the response says nothing about {tp}")),
    }
}

async fn list_offsets_on(
    connection: &Connection,
    partitions: &[TopicPartition],
    specs: &BTreeMap<TopicPartition, OffsetSpec>,
    isolation_level: i8,
) -> Result<Vec<(TopicPartition, Result<ListedOffset>)>> {
    let request = ListOffsetsRequest {
        replica_id: -1,
        isolation_level,
        topics: by_topic(partitions)
            .into_iter()
            .map(|(topic, indexes)| ListOffsetsTopic {
                name: topic.to_owned(),
                partitions: indexes
                    .into_iter()
                    .map(|partition| ListOffsetsPartition {
                        partition_index: partition,
                        timestamp: specs[&TopicPartition::new(topic, partition)].wire_timestamp(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let version = connection.version_for(ApiKey::ListOffsets)?;
    let response = connection.call(&request, version).await?;
    Ok(partitions
        .iter()
        .map(|tp| {
            let found = response
                .topics
                .iter()
                .filter(|t| t.name == tp.topic)
                .flat_map(|t| &t.partitions)
                .find(|p| p.partition_index == tp.partition);
            let result = match found {
                None => Err(not_in_response(ApiKey::ListOffsets, tp)),
                Some(p) => Error::check(ApiKey::ListOffsets, p.error_code, None).map(|()| {
                    let offset = if version == 0 {
                        p.old_style_offsets.first().copied()
                    } else {
                        Some(p.offset)
                    };
                    ListedOffset {
                        offset: offset.filter(|o| *o >= 0),
                        timestamp: (version >= 1 && p.timestamp >= 0).then_some(p.timestamp),
                        leader_epoch: (p.leader_epoch >= 0).then_some(p.leader_epoch),
                    }
                }),
            };
            (tp.clone(), result)
        })
        .collect())
}

/// The DeleteRecords request deleting, in each of `partitions`, the records before
/// `before[partition]`.
pub(crate) fn delete_records_request(
    partitions: &[TopicPartition],
    before: &BTreeMap<TopicPartition, i64>,
    timeout_ms: i32,
) -> DeleteRecordsRequest {
    DeleteRecordsRequest {
        topics: by_topic(partitions)
            .into_iter()
            .map(|(topic, indexes)| DeleteRecordsTopic {
                name: topic.to_owned(),
                partitions: indexes
                    .into_iter()
                    .map(|partition| DeleteRecordsPartition {
                        partition_index: partition,
                        offset: before[&TopicPartition::new(topic, partition)],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        timeout_ms,
        ..Default::default()
    }
}

async fn delete_records_on(
    connection: &Connection,
    partitions: &[TopicPartition],
    before: &BTreeMap<TopicPartition, i64>,
    timeout_ms: i32,
) -> Result<Vec<(TopicPartition, Result<i64>)>> {
    let request = delete_records_request(partitions, before, timeout_ms);
    let response = connection.send(&request).await?;
    Ok(partitions
        .iter()
        .map(|tp| {
            let found = response
                .topics
                .iter()
                .filter(|t| t.name == tp.topic)
                .flat_map(|t| &t.partitions)
                .find(|p| p.partition_index == tp.partition);
            let result = match found {
                None => Err(not_in_response(ApiKey::DeleteRecords, tp)),
                Some(p) => Error::check(ApiKey::DeleteRecords, p.error_code, None)
                    .map(|()| p.low_watermark),
            };
            (tp.clone(), result)
        })
        .collect())
}
