//! Consumer groups: listing them (every broker coordinates some), describing them and reading
//! their committed offsets (both at the group's coordinator, found with FindCoordinator).

use std::collections::BTreeMap;

use bytes::Bytes;
use kafkito_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafkito_protocol::messages::{
    ApiKey, DescribeGroupsRequest, ListGroupsRequest, OffsetFetchRequest,
};
use kafkito_protocol::ErrorCode;
use tracing::{info_span, Instrument};

use super::offsets::TopicPartition;
use super::{AdminClient, AdminOptions};
use crate::cluster::coordinator::CoordinatorType;
use crate::error::{Error, Result};
use crate::net::Connection;
use crate::retry::{fail_all, Retry};
pub use crate::types::OffsetAndMetadata;

/// The newest OffsetFetch this client sends: v10 names topics by id only, which would need
/// an id → name lookup for every answer.
const MAX_OFFSET_FETCH_VERSION: i16 = 9;

/// A group as ListGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedGroup {
    /// The group id.
    pub group_id: String,
    /// `consumer` for consumer groups, `connect` for Connect, empty for groups that only
    /// commit offsets.
    pub protocol_type: String,
    /// The group's state (ListGroups v4+), e.g. `Stable`, `Empty`.
    pub state: Option<String>,
    /// The broker that listed it (its coordinator).
    pub coordinator: i32,
}

/// A group as DescribeGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// The group id.
    pub group_id: String,
    /// `Stable`, `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Dead`.
    pub state: String,
    /// `consumer` for consumer groups.
    pub protocol_type: String,
    /// The assignor in use (`range`, `cooperative-sticky`...), when stable.
    pub protocol: String,
    /// The members.
    pub members: Vec<GroupMember>,
    /// The coordinator's broker id.
    pub coordinator: i32,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The id the coordinator gave the member.
    pub member_id: String,
    /// Its static membership id (`group.instance.id`), if any.
    pub group_instance_id: Option<String>,
    /// Its `client.id`.
    pub client_id: String,
    /// Where it connects from.
    pub client_host: String,
    /// Its assignment, in the group protocol's own encoding.
    pub assignment: Bytes,
}

impl AdminClient {
    /// Lists the groups of every broker (each lists the groups it coordinates).
    pub async fn list_groups(&self, options: AdminOptions) -> Result<Vec<ListedGroup>> {
        let span = info_span!("kafka.admin", op = "list_groups");
        let retry = Retry::new("list_groups", self.timeout(options.timeout), &self.metadata);
        let by_broker = retry
            .per_item(
                &self.metadata,
                self.broker_ids().await?,
                |brokers: Vec<i32>| async move {
                    let lists = brokers.iter().map(|&id| async move {
                        let listed = async {
                            let connection = self.metadata.pool().connection(id).await?;
                            list_groups_on(&connection, id).await
                        };
                        (id, listed.await)
                    });
                    Ok(futures::future::join_all(lists).await)
                },
            )
            .instrument(span)
            .await?;
        let mut groups = Vec::new();
        for (_, listed) in by_broker {
            groups.extend(listed?);
        }
        groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        Ok(groups)
    }

    /// Describes the groups `group_ids`, each at its coordinator. One result per group; an
    /// unknown group is usually described with state `Dead` rather than an error.
    pub async fn describe_groups(
        &self,
        group_ids: &[&str],
        options: AdminOptions,
    ) -> Result<BTreeMap<String, Result<GroupDescription>>> {
        let span = info_span!(
            "kafka.admin",
            op = "describe_groups",
            groups = group_ids.len()
        );
        let retry = Retry::new(
            "describe_groups",
            self.timeout(options.timeout),
            &self.metadata,
        );
        let ids = group_ids.iter().map(|g| (*g).to_owned()).collect();
        retry
            .per_item(&self.metadata, ids, |ids: Vec<String>| async move {
                let mut results = Vec::new();
                let mut by_coordinator: BTreeMap<i32, Vec<String>> = BTreeMap::new();
                for (group, coordinator) in self.find_coordinators(&ids).await? {
                    match coordinator {
                        Ok(id) => by_coordinator.entry(id).or_default().push(group),
                        Err(error) => results.push((group, Err(error))),
                    }
                }
                let describes = by_coordinator.into_iter().map(|(id, groups)| async move {
                    let described = async {
                        let connection = self.metadata.pool().connection(id).await?;
                        describe_groups_on(&connection, id, &groups).await
                    };
                    let results = described
                        .await
                        .unwrap_or_else(|error| fail_all(&groups, &error));
                    for (group, result) in &results {
                        if let Err(error) = result {
                            self.coordinator_failed(group, error);
                        }
                    }
                    results
                });
                for outcome in futures::future::join_all(describes).await {
                    results.extend(outcome);
                }
                Ok(results)
            })
            .instrument(span)
            .await
    }

    /// The offsets group `group_id` committed, for every partition it committed to (OffsetFetch
    /// at the coordinator; the batched v8+ form when the broker has it).
    pub async fn list_group_offsets(
        &self,
        group_id: &str,
        options: AdminOptions,
    ) -> Result<BTreeMap<TopicPartition, OffsetAndMetadata>> {
        let span = info_span!("kafka.admin", op = "list_group_offsets", group = group_id);
        self.group_offsets(group_id, None, options, false)
            .instrument(span)
            .await
    }

    /// The offsets group `group_id` committed for `partitions` only (partitions with nothing
    /// committed are absent from the map). This is what a consumer needs for its assignment,
    /// and what the Java consumer sends: the partitions by name rather than the null "every
    /// partition" list, so the answer stays small on a group that committed to many topics,
    /// and brokers that mishandle the null list (librdkafka's mock answers it with a null
    /// array, which the protocol does not allow) are not asked for it.
    ///
    /// ```no_run
    /// # async fn demo(admin: kafkito::AdminClient) -> kafkito::Result<()> {
    /// use kafkito::admin::{AdminOptions, TopicPartition};
    /// let wanted = [TopicPartition::new("orders", 0), TopicPartition::new("orders", 1)];
    /// let offsets = admin
    ///     .list_group_offsets_for("billing", &wanted, AdminOptions::default())
    ///     .await?;
    /// for (tp, committed) in &offsets {
    ///     println!("{tp}: {}", committed.offset);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_group_offsets_for(
        &self,
        group_id: &str,
        partitions: &[TopicPartition],
        options: AdminOptions,
    ) -> Result<BTreeMap<TopicPartition, OffsetAndMetadata>> {
        if partitions.is_empty() {
            return Ok(BTreeMap::new());
        }
        let span = info_span!(
            "kafka.admin",
            op = "list_group_offsets_for",
            group = group_id,
            partitions = partitions.len()
        );
        self.group_offsets(group_id, Some(partitions), options, false)
            .instrument(span)
            .await
    }

    /// The offsets a consumer of group `group_id` starts `partitions` from: like
    /// [`list_group_offsets_for`](Self::list_group_offsets_for), but *stable* (KIP-447
    /// `require_stable`): while a transaction that added offsets for a partition is still open
    /// or its markers are not yet written, the coordinator answers UNSTABLE_OFFSET_COMMIT, and
    /// the lookup is retried until the transaction's outcome is known. Without it a new owner
    /// of a partition could read the offset from before a transaction that has in fact
    /// committed, and process its records a second time (exactly-once broken). Java's consumer
    /// always asks for stable offsets; its admin client does not (an operator wants what is
    /// committed now), which is why the admin calls above do not.
    pub(crate) async fn stable_group_offsets_for(
        &self,
        group_id: &str,
        partitions: &[TopicPartition],
        options: AdminOptions,
    ) -> Result<BTreeMap<TopicPartition, OffsetAndMetadata>> {
        if partitions.is_empty() {
            return Ok(BTreeMap::new());
        }
        let span = info_span!(
            "kafka.consumer",
            op = "committed",
            group = group_id,
            partitions = partitions.len()
        );
        self.group_offsets(group_id, Some(partitions), options, true)
            .instrument(span)
            .await
    }

    /// OffsetFetch for `group_id` at its coordinator, for `partitions` (`None`: every
    /// partition the group committed to), retried as one operation within the timeout. With
    /// `require_stable`, UNSTABLE_OFFSET_COMMIT (a transaction's offsets not settled yet) is
    /// retried too.
    async fn group_offsets(
        &self,
        group_id: &str,
        partitions: Option<&[TopicPartition]>,
        options: AdminOptions,
        require_stable: bool,
    ) -> Result<BTreeMap<TopicPartition, OffsetAndMetadata>> {
        let mut retry = Retry::new(
            "list_group_offsets",
            self.timeout(options.timeout),
            &self.metadata,
        );
        if require_stable {
            retry = retry.also_retrying(&[ErrorCode::UnstableOffsetCommit]);
        }
        retry
            .whole(&self.metadata, || async {
                let ids = [group_id.to_owned()];
                let (_, coordinator) = self
                    .find_coordinators(&ids)
                    .await?
                    .pop()
                    .expect("one answer per group");
                let fetched = async {
                    let connection = self.metadata.pool().connection(coordinator?).await?;
                    offset_fetch_on(&connection, group_id, partitions, require_stable).await
                };
                fetched
                    .await
                    .inspect_err(|error| self.coordinator_failed(group_id, error))
            })
            .await
    }

    /// Every broker id in the cluster view.
    async fn broker_ids(&self) -> Result<Vec<i32>> {
        Ok(self
            .metadata
            .ready_cluster()
            .await?
            .brokers
            .keys()
            .copied()
            .collect())
    }

    /// The coordinator of each group: cached, or one batched FindCoordinator (v4+) or one per
    /// group for those not known (see `cluster/coordinator.rs`).
    async fn find_coordinators(&self, groups: &[String]) -> Result<Vec<(String, Result<i32>)>> {
        self.coordinators
            .get_many(&self.metadata, CoordinatorType::Group, groups)
            .await
    }

    /// A request to `group`'s coordinator failed with `error`: forget the coordinator if it
    /// moved, so that the retry looks it up again.
    fn coordinator_failed(&self, group: &str, error: &Error) {
        self.coordinators
            .on_error(CoordinatorType::Group, group, error);
    }
}

async fn list_groups_on(connection: &Connection, broker: i32) -> Result<Vec<ListedGroup>> {
    let version = connection.version_for(ApiKey::ListGroups)?;
    let response = connection
        .call(&ListGroupsRequest::default(), version)
        .await?;
    Error::check(ApiKey::ListGroups, response.error_code, None)?;
    Ok(response
        .groups
        .into_iter()
        .map(|g| ListedGroup {
            group_id: g.group_id,
            protocol_type: g.protocol_type,
            state: (version >= 4).then_some(g.group_state),
            coordinator: broker,
        })
        .collect())
}

async fn describe_groups_on(
    connection: &Connection,
    coordinator: i32,
    groups: &[String],
) -> Result<Vec<(String, Result<GroupDescription>)>> {
    let version = connection.version_for(ApiKey::DescribeGroups)?;
    let request = DescribeGroupsRequest {
        groups: groups.to_vec(),
        ..Default::default()
    };
    let response = connection.call(&request, version).await?;
    Ok(groups
        .iter()
        .map(|group| {
            let found = response.groups.iter().find(|g| &g.group_id == group);
            let result = match found {
                None => Err(Error::Protocol {
                    api: ApiKey::DescribeGroups,
                    code: ErrorCode::UnknownServerError,
                    message: Some(format!("the response says nothing about group {group}")),
                }),
                Some(g) => Error::check(
                    ApiKey::DescribeGroups,
                    g.error_code,
                    g.error_message.as_deref(),
                )
                .map(|()| GroupDescription {
                    group_id: g.group_id.clone(),
                    state: g.group_state.clone(),
                    protocol_type: g.protocol_type.clone(),
                    protocol: g.protocol_data.clone(),
                    members: g
                        .members
                        .iter()
                        .map(|m| GroupMember {
                            member_id: m.member_id.clone(),
                            group_instance_id: m.group_instance_id.clone(),
                            client_id: m.client_id.clone(),
                            client_host: m.client_host.clone(),
                            assignment: m.member_assignment.clone(),
                        })
                        .collect(),
                    coordinator,
                }),
            };
            (group.clone(), result)
        })
        .collect())
}

/// `partitions`, grouped by topic in order, as `(topic, partition indexes)`.
fn by_topic(partitions: &[TopicPartition]) -> Vec<(String, Vec<i32>)> {
    let mut topics: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for tp in partitions {
        topics.entry(&tp.topic).or_default().push(tp.partition);
    }
    topics
        .into_iter()
        .map(|(topic, mut indexes)| {
            indexes.sort_unstable();
            indexes.dedup();
            (topic.to_owned(), indexes)
        })
        .collect()
}

/// OffsetFetch for `group_id` at the coordinator behind `connection`: of `partitions`, or of
/// every partition the group committed to when `None`. `require_stable` (v7+; older brokers
/// have no such request field) asks for UNSTABLE_OFFSET_COMMIT rather than an offset a pending
/// transaction may still replace.
async fn offset_fetch_on(
    connection: &Connection,
    group_id: &str,
    partitions: Option<&[TopicPartition]>,
    require_stable: bool,
) -> Result<BTreeMap<TopicPartition, OffsetAndMetadata>> {
    let wanted = partitions.map(by_topic);
    let version = connection
        .version_for(ApiKey::OffsetFetch)?
        .min(MAX_OFFSET_FETCH_VERSION);
    let mut offsets = BTreeMap::new();
    let mut add = |topic: &str,
                   partition: i32,
                   offset: i64,
                   epoch: i32,
                   metadata: Option<String>,
                   code: i16| {
        // -1: nothing committed for this partition (only listed when asked by name).
        if code == 0 && offset >= 0 {
            offsets.insert(
                TopicPartition::new(topic, partition),
                OffsetAndMetadata {
                    offset,
                    leader_epoch: (epoch >= 0).then_some(epoch),
                    metadata,
                },
            );
        }
        Error::check(ApiKey::OffsetFetch, code, None)
    };
    if version >= 8 {
        let request = OffsetFetchRequest {
            groups: vec![OffsetFetchRequestGroup {
                group_id: group_id.to_owned(),
                topics: wanted.map(|topics| {
                    topics
                        .into_iter()
                        .map(|(name, partition_indexes)| OffsetFetchRequestTopics {
                            name,
                            partition_indexes,
                            ..Default::default()
                        })
                        .collect()
                }),
                ..Default::default()
            }],
            require_stable,
            ..Default::default()
        };
        let response = connection.call(&request, version).await?;
        let group = response
            .groups
            .iter()
            .find(|g| g.group_id == group_id)
            .ok_or_else(|| Error::Protocol {
                api: ApiKey::OffsetFetch,
                code: ErrorCode::UnknownServerError,
                message: Some(format!("the response says nothing about group {group_id}")),
            })?;
        Error::check(ApiKey::OffsetFetch, group.error_code, None)?;
        for t in &group.topics {
            for p in &t.partitions {
                add(
                    &t.name,
                    p.partition_index,
                    p.committed_offset,
                    p.committed_leader_epoch,
                    p.metadata.clone(),
                    p.error_code,
                )?;
            }
        }
    } else {
        // v2+: a null topic list means every partition the group committed to.
        let request = OffsetFetchRequest {
            group_id: group_id.to_owned(),
            topics: wanted.map(|topics| {
                topics
                    .into_iter()
                    .map(|(name, partition_indexes)| OffsetFetchRequestTopic {
                        name,
                        partition_indexes,
                        ..Default::default()
                    })
                    .collect()
            }),
            require_stable,
            ..Default::default()
        };
        let response = connection.call(&request, version).await?;
        Error::check(ApiKey::OffsetFetch, response.error_code, None)?;
        for t in &response.topics {
            for p in &t.partitions {
                add(
                    &t.name,
                    p.partition_index,
                    p.committed_offset,
                    p.committed_leader_epoch,
                    p.metadata.clone(),
                    p.error_code,
                )?;
            }
        }
    }
    Ok(offsets)
}

#[cfg(test)]
mod by_topic_tests {
    use super::*;

    #[test]
    fn partitions_are_grouped_sorted_and_deduplicated() {
        let tps = [
            TopicPartition::new("b", 2),
            TopicPartition::new("a", 1),
            TopicPartition::new("b", 0),
            TopicPartition::new("b", 2),
        ];
        assert_eq!(
            by_topic(&tps),
            vec![("a".to_owned(), vec![1]), ("b".to_owned(), vec![0, 2])]
        );
        assert!(by_topic(&[]).is_empty());
    }
}
