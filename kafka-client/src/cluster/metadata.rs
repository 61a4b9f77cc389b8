//! The cluster view as plain data: brokers, topics, partitions and their leaders, built from
//! Metadata responses of any version, with the rules for folding a new response into the view.
//!
//! Separate from the refresher ([`super::refresh`]), which decides *when* to ask: this file
//! only decides what a response *means* for the view we already hold.
//!
//! The merge rules, and why:
//! - **A partial response updates only the topics it lists.** A producer asks about the topics
//!   it is producing to; the answer says nothing about the others.
//! - **A full response (all topics) also drops topics it does not list**: they were deleted.
//! - **Brokers are replaced** by every response: each one lists all live brokers.
//! - **Leader epochs never go backwards** (KIP-320). Brokers learn about leader changes at
//!   different times, so a lagging broker can answer after a fresher one. A partition whose
//!   response epoch is lower than the cached one keeps the cached entry; without this, a
//!   producer would route to a deposed leader and a consumer's epoch checks would regress.
//!   Epochs are trusted only from version 9 on, as in the Java client: before Kafka 2.4, brokers
//!   did not propagate epochs accurately during reassignments. A topic whose id changed was
//!   deleted and recreated; its epochs start over.
//! - **Topic errors are kept, not dropped**: a topic answered with `UNKNOWN_TOPIC_OR_PARTITION`
//!   (or `LEADER_NOT_AVAILABLE`, `TOPIC_AUTHORIZATION_FAILED`) stays in the view with its
//!   [`TopicInfo::error`] and is listed in the [`MetadataReport`], so the caller can fail or
//!   retry the records waiting for it instead of waiting forever.

use std::collections::{BTreeMap, HashSet};

use kafkito_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::messages::MetadataResponse;
use kafkito_protocol::wire::Uuid;
use kafkito_protocol::ErrorCode;

use crate::error::{Error, Result};

/// The first Metadata version whose leader epochs the client relies on (Kafka 2.4, as in the
/// Java client's `MetadataResponse.hasReliableLeaderEpochs`).
pub const RELIABLE_LEADER_EPOCH_VERSION: i16 = 9;

/// A broker as the cluster advertises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    /// The broker's node id.
    pub id: i32,
    /// Advertised host name or address.
    pub host: String,
    /// Advertised port.
    pub port: u16,
    /// `broker.rack`, when set (Metadata v1+).
    pub rack: Option<String>,
}

impl BrokerInfo {
    /// `host:port`, with an IPv6 address in brackets: the form the connection layer dials.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// `None` for a broker whose port is not a TCP port: it could not be dialled anyway.
    fn from_wire(broker: &MetadataResponseBroker) -> Option<BrokerInfo> {
        let Ok(port) = u16::try_from(broker.port) else {
            tracing::warn!(
                broker = broker.node_id,
                port = broker.port,
                "ignoring a broker advertised with an invalid port"
            );
            return None;
        };
        Some(BrokerInfo {
            id: broker.node_id,
            host: broker.host.clone(),
            port,
            rack: broker.rack.clone(),
        })
    }
}

/// A topic and its partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    /// The topic name.
    pub name: String,
    /// The topic id (Metadata v10+); [`Uuid::ZERO`] when the broker did not send one.
    pub topic_id: Uuid,
    /// Whether this is an internal topic such as `__consumer_offsets` (v1+).
    pub is_internal: bool,
    /// The topic-level error of the last response that listed it, e.g.
    /// `UNKNOWN_TOPIC_OR_PARTITION`; `None` when there was none.
    pub error: Option<ErrorCode>,
    /// Partitions, sorted by partition index.
    pub partitions: Vec<PartitionInfo>,
}

impl TopicInfo {
    /// The partition with index `partition`.
    pub fn partition(&self, partition: i32) -> Option<&PartitionInfo> {
        self.partitions
            .binary_search_by_key(&partition, |p| p.partition)
            .ok()
            .map(|i| &self.partitions[i])
    }
}

/// One partition's placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    /// The partition index.
    pub partition: i32,
    /// The leader's broker id; `None` when the partition has no leader (`-1` on the wire).
    pub leader: Option<i32>,
    /// The leader epoch (v7+); `None` when unknown or, before v9, not reliable.
    pub leader_epoch: Option<i32>,
    /// All replicas' broker ids.
    pub replicas: Vec<i32>,
    /// In-sync replicas' broker ids.
    pub isr: Vec<i32>,
    /// Offline replicas' broker ids (v5+).
    pub offline_replicas: Vec<i32>,
    /// The partition-level error, e.g. `LEADER_NOT_AVAILABLE`; `None` when there was none.
    pub error: Option<ErrorCode>,
}

impl PartitionInfo {
    fn from_wire(partition: &MetadataResponsePartition, reliable_epochs: bool) -> PartitionInfo {
        PartitionInfo {
            partition: partition.partition_index,
            leader: (partition.leader_id >= 0).then_some(partition.leader_id),
            leader_epoch: (reliable_epochs && partition.leader_epoch >= 0)
                .then_some(partition.leader_epoch),
            replicas: partition.replica_nodes.clone(),
            isr: partition.isr_nodes.clone(),
            offline_replicas: partition.offline_replicas.clone(),
            error: error(partition.error_code),
        }
    }
}

/// Which topics a Metadata request asked about, which decides what its response may remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataScope {
    /// All topics (`topics: null`): topics missing from the response were deleted.
    AllTopics,
    /// The listed topics only: topics missing from the response are left as they are.
    Subset,
}

/// What a merged response said that the caller may need to act on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataReport {
    /// Topics answered with a topic-level error, in response order.
    pub topic_errors: Vec<(String, ErrorCode)>,
    /// Partitions answered with a partition-level error: `(topic, partition, error)`.
    pub partition_errors: Vec<(String, i32, ErrorCode)>,
    /// Partitions whose response carried an older leader epoch than the view: the view kept
    /// its entry. `(topic, partition)`.
    pub stale_partitions: Vec<(String, i32)>,
    /// Topics dropped because a full response no longer lists them.
    pub removed_topics: Vec<String>,
    /// Topics listed only by id (v12+ with a null name) that the view does not know: ignored.
    pub unknown_topic_ids: Vec<Uuid>,
}

impl MetadataReport {
    /// Whether another refresh may bring better news soon: a retriable error (unknown topic,
    /// no leader yet) or a stale answer from a lagging broker.
    pub fn needs_refresh(&self) -> bool {
        self.topic_errors.iter().any(|(_, e)| e.is_retriable())
            || self
                .partition_errors
                .iter()
                .any(|(_, _, e)| e.is_retriable())
            || !self.stale_partitions.is_empty()
    }
}

/// The cluster as the last Metadata responses described it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    /// The cluster id (v2+).
    pub cluster_id: Option<String>,
    /// The controller's broker id (v1+); `None` when unknown.
    pub controller_id: Option<i32>,
    /// Live brokers by id.
    pub brokers: BTreeMap<i32, BrokerInfo>,
    /// Topics by name.
    pub topics: BTreeMap<String, TopicInfo>,
}

impl Cluster {
    /// The view a single response at `version` describes, as if the request asked for
    /// [`MetadataScope::AllTopics`]. Fails like [`Cluster::merge`].
    pub fn from_response(response: &MetadataResponse, version: i16) -> Result<Cluster> {
        let mut cluster = Cluster::default();
        cluster.merge(response, version, MetadataScope::AllTopics)?;
        Ok(cluster)
    }

    /// Folds `response`, decoded at `version`, into the view by the rules in the module docs.
    ///
    /// Fails, leaving the view untouched, when the response carries a top-level error (v13+)
    /// or lists no brokers (a broker that cannot describe the cluster, treated as a failed
    /// refresh as the Java client does).
    pub fn merge(
        &mut self,
        response: &MetadataResponse,
        version: i16,
        scope: MetadataScope,
    ) -> Result<MetadataReport> {
        Error::check(ApiKey::Metadata, response.error_code, None)?;
        if response.brokers.is_empty() {
            return Err(Error::NoBrokerAvailable {
                tried: "the Metadata response".into(),
                last_error: "the response lists no brokers".into(),
            });
        }
        let reliable_epochs = version >= RELIABLE_LEADER_EPOCH_VERSION;
        let mut report = MetadataReport::default();

        self.brokers = response
            .brokers
            .iter()
            .filter_map(BrokerInfo::from_wire)
            .map(|b| (b.id, b))
            .collect();
        self.cluster_id = response.cluster_id.clone();
        self.controller_id = (response.controller_id >= 0).then_some(response.controller_id);

        let mut listed = HashSet::new();
        for topic in &response.topics {
            let name = match &topic.name {
                Some(name) => name.clone(),
                // v12+ may name a topic by id only; we can only update one we already know.
                None => match self.topic_by_id(topic.topic_id) {
                    Some(known) => known.name.clone(),
                    None => {
                        report.unknown_topic_ids.push(topic.topic_id);
                        continue;
                    }
                },
            };
            let cached = self.topics.remove(&name);
            let merged = merge_topic(cached, topic, name.clone(), reliable_epochs, &mut report);
            self.topics.insert(name.clone(), merged);
            listed.insert(name);
        }

        if scope == MetadataScope::AllTopics {
            self.topics.retain(|name, _| {
                let keep = listed.contains(name);
                if !keep {
                    report.removed_topics.push(name.clone());
                }
                keep
            });
        }
        Ok(report)
    }

    /// The broker with id `id`.
    pub fn broker(&self, id: i32) -> Option<&BrokerInfo> {
        self.brokers.get(&id)
    }

    /// The controller, when known and live.
    pub fn controller(&self) -> Option<&BrokerInfo> {
        self.controller_id.and_then(|id| self.broker(id))
    }

    /// The topic named `name`, errors included.
    pub fn topic(&self, name: &str) -> Option<&TopicInfo> {
        self.topics.get(name)
    }

    /// The topic with id `id` (never matches [`Uuid::ZERO`]).
    pub fn topic_by_id(&self, id: Uuid) -> Option<&TopicInfo> {
        if id.is_zero() {
            return None;
        }
        self.topics.values().find(|t| t.topic_id == id)
    }

    /// `topic`'s partitions sorted by index; `None` when the topic is not in the view. A topic
    /// known with an error (see [`TopicInfo::error`]) usually has none.
    pub fn partitions_for(&self, topic: &str) -> Option<&[PartitionInfo]> {
        self.topic(topic).map(|t| t.partitions.as_slice())
    }

    /// One partition.
    pub fn partition(&self, topic: &str, partition: i32) -> Option<&PartitionInfo> {
        self.topic(topic)?.partition(partition)
    }

    /// The leader of `topic`/`partition`, when it has one and that broker is live.
    pub fn leader_for(&self, topic: &str, partition: i32) -> Option<&BrokerInfo> {
        let leader = self.partition(topic, partition)?.leader?;
        self.broker(leader)
    }
}

fn error(code: i16) -> Option<ErrorCode> {
    let code = ErrorCode::from_code(code);
    (!code.is_ok()).then_some(code)
}

fn merge_topic(
    cached: Option<TopicInfo>,
    topic: &MetadataResponseTopic,
    name: String,
    reliable_epochs: bool,
    report: &mut MetadataReport,
) -> TopicInfo {
    let topic_error = error(topic.error_code);
    if let Some(code) = topic_error {
        report.topic_errors.push((name.clone(), code));
    }
    let cached_id = cached.as_ref().map_or(Uuid::ZERO, |t| t.topic_id);
    let topic_id = if topic.topic_id.is_zero() && topic_error.is_none() {
        // An older version (or a broker mid-upgrade) says nothing about the id: keep ours.
        cached_id
    } else {
        topic.topic_id
    };
    // Same name, different id: deleted and recreated, so old epochs mean nothing.
    let recreated = !cached_id.is_zero() && !topic_id.is_zero() && cached_id != topic_id;
    let cached_partitions = if recreated {
        Vec::new()
    } else {
        cached.map(|t| t.partitions).unwrap_or_default()
    };

    let mut partitions: Vec<PartitionInfo> = topic
        .partitions
        .iter()
        .map(|p| {
            let fresh = PartitionInfo::from_wire(p, reliable_epochs);
            let known = cached_partitions
                .binary_search_by_key(&fresh.partition, |c| c.partition)
                .ok()
                .map(|i| &cached_partitions[i]);
            if let (Some(new_epoch), Some(known)) = (fresh.leader_epoch, known) {
                if known
                    .leader_epoch
                    .is_some_and(|old_epoch| new_epoch < old_epoch)
                {
                    report
                        .stale_partitions
                        .push((name.clone(), fresh.partition));
                    return known.clone();
                }
            }
            if let Some(code) = fresh.error {
                report
                    .partition_errors
                    .push((name.clone(), fresh.partition, code));
            }
            fresh
        })
        .collect();
    partitions.sort_by_key(|p| p.partition);
    partitions.dedup_by_key(|p| p.partition);

    TopicInfo {
        name,
        topic_id,
        is_internal: topic.is_internal,
        error: topic_error,
        partitions,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use bytes::BytesMut;
    use kafkito_protocol::messages::Message;

    use super::*;

    pub(crate) fn broker(
        id: i32,
        host: &str,
        port: i32,
        rack: Option<&str>,
    ) -> MetadataResponseBroker {
        MetadataResponseBroker {
            node_id: id,
            host: host.into(),
            port,
            rack: rack.map(str::to_owned),
            ..Default::default()
        }
    }

    pub(crate) fn partition(index: i32, leader: i32, epoch: i32) -> MetadataResponsePartition {
        MetadataResponsePartition {
            partition_index: index,
            leader_id: leader,
            leader_epoch: epoch,
            replica_nodes: vec![1, 2, 3],
            isr_nodes: vec![1, 2],
            offline_replicas: vec![3],
            ..Default::default()
        }
    }

    pub(crate) fn topic(
        name: &str,
        id: u8,
        partitions: Vec<MetadataResponsePartition>,
    ) -> MetadataResponseTopic {
        MetadataResponseTopic {
            name: Some(name.into()),
            topic_id: uuid(id),
            partitions,
            ..Default::default()
        }
    }

    fn uuid(n: u8) -> Uuid {
        if n == 0 {
            Uuid::ZERO
        } else {
            Uuid([n; 16])
        }
    }

    pub(crate) fn response(topics: Vec<MetadataResponseTopic>) -> MetadataResponse {
        MetadataResponse {
            brokers: vec![
                broker(1, "b1", 9092, Some("r1")),
                broker(2, "b2", 9093, None),
                broker(3, "::1", 9094, None),
            ],
            cluster_id: Some("cluster-a".into()),
            controller_id: 2,
            topics,
            ..Default::default()
        }
    }

    /// Sends `response` through the codec at `version`, so the test sees exactly the fields
    /// that version carries (and defaults for the rest).
    fn at_version(response: &MetadataResponse, version: i16) -> MetadataResponse {
        let mut buf = BytesMut::new();
        response.encode(&mut buf, version).unwrap();
        MetadataResponse::decode(&mut buf.freeze(), version).unwrap()
    }

    #[test]
    fn v0_shape_gets_defaults_for_newer_fields() {
        let mut t = topic("orders", 7, vec![partition(1, 2, 5), partition(0, 1, 5)]);
        t.is_internal = true;
        let wire = at_version(&response(vec![t]), 0);
        let cluster = Cluster::from_response(&wire, 0).unwrap();

        assert_eq!(cluster.cluster_id, None, "v2+");
        assert_eq!(cluster.controller_id, None, "v1+");
        assert_eq!(cluster.broker(1).unwrap().rack, None, "v1+");
        assert_eq!(cluster.broker(2).unwrap().address(), "b2:9093");
        let orders = cluster.topic("orders").unwrap();
        assert_eq!(orders.topic_id, Uuid::ZERO, "v10+");
        assert!(!orders.is_internal, "v1+");
        let parts = cluster.partitions_for("orders").unwrap();
        assert_eq!(
            parts.iter().map(|p| p.partition).collect::<Vec<_>>(),
            [0, 1]
        );
        assert_eq!(parts[1].leader_epoch, None, "v7+");
        assert_eq!(parts[1].offline_replicas, Vec::<i32>::new(), "v5+");
        assert_eq!(parts[1].replicas, [1, 2, 3]);
        assert_eq!(parts[1].isr, [1, 2]);
        assert_eq!(cluster.leader_for("orders", 1).unwrap().host, "b2");
    }

    #[test]
    fn v12_shape_carries_everything() {
        let mut t = topic("orders", 7, vec![partition(0, 3, 11)]);
        t.is_internal = true;
        let wire = at_version(&response(vec![t]), 12);
        let cluster = Cluster::from_response(&wire, 12).unwrap();

        assert_eq!(cluster.cluster_id.as_deref(), Some("cluster-a"));
        assert_eq!(cluster.controller().unwrap().id, 2);
        assert_eq!(cluster.broker(1).unwrap().rack.as_deref(), Some("r1"));
        let orders = cluster.topic("orders").unwrap();
        assert_eq!(orders.topic_id, uuid(7));
        assert!(orders.is_internal);
        assert_eq!(cluster.topic_by_id(uuid(7)).unwrap().name, "orders");
        let p = cluster.partition("orders", 0).unwrap();
        assert_eq!(p.leader, Some(3));
        assert_eq!(p.leader_epoch, Some(11));
        assert_eq!(p.offline_replicas, [3]);
        assert_eq!(p.error, None);
        assert_eq!(
            cluster.leader_for("orders", 0).unwrap().address(),
            "[::1]:9094"
        );
    }

    #[test]
    fn epochs_before_v9_are_not_trusted() {
        let wire = at_version(&response(vec![topic("t", 0, vec![partition(0, 1, 4)])]), 8);
        let cluster = Cluster::from_response(&wire, 8).unwrap();
        assert_eq!(cluster.partition("t", 0).unwrap().leader_epoch, None);
    }

    #[test]
    fn subset_response_updates_only_its_topics() {
        let mut cluster = Cluster::from_response(
            &response(vec![
                topic("a", 1, vec![partition(0, 1, 1)]),
                topic("b", 2, vec![partition(0, 1, 1)]),
            ]),
            12,
        )
        .unwrap();
        let report = cluster
            .merge(
                &response(vec![topic(
                    "a",
                    1,
                    vec![partition(0, 2, 2), partition(1, 3, 2)],
                )]),
                12,
                MetadataScope::Subset,
            )
            .unwrap();
        assert_eq!(report, MetadataReport::default());
        assert_eq!(cluster.leader_for("a", 0).unwrap().id, 2);
        assert_eq!(cluster.partitions_for("a").unwrap().len(), 2);
        assert_eq!(cluster.leader_for("b", 0).unwrap().id, 1, "b untouched");
    }

    #[test]
    fn full_response_drops_deleted_topics() {
        let mut cluster = Cluster::from_response(
            &response(vec![topic("a", 1, vec![]), topic("b", 2, vec![])]),
            12,
        )
        .unwrap();
        let report = cluster
            .merge(
                &response(vec![topic("a", 1, vec![])]),
                12,
                MetadataScope::AllTopics,
            )
            .unwrap();
        assert_eq!(report.removed_topics, ["b"]);
        assert!(cluster.topic("b").is_none());
        assert!(cluster.topic("a").is_some());
    }

    #[test]
    fn stale_leader_epoch_does_not_overwrite_a_newer_one() {
        let mut cluster = Cluster::from_response(
            &response(vec![topic(
                "t",
                1,
                vec![partition(0, 2, 10), partition(1, 2, 10)],
            )]),
            12,
        )
        .unwrap();
        // A lagging broker: partition 0 is from before the last leader change, partition 1
        // moved forward.
        let report = cluster
            .merge(
                &response(vec![topic(
                    "t",
                    1,
                    vec![partition(0, 1, 9), partition(1, 3, 11)],
                )]),
                12,
                MetadataScope::Subset,
            )
            .unwrap();
        assert_eq!(report.stale_partitions, [("t".to_owned(), 0)]);
        assert!(report.needs_refresh());
        let p0 = cluster.partition("t", 0).unwrap();
        assert_eq!((p0.leader, p0.leader_epoch), (Some(2), Some(10)));
        let p1 = cluster.partition("t", 1).unwrap();
        assert_eq!((p1.leader, p1.leader_epoch), (Some(3), Some(11)));

        // The same epoch is accepted (e.g. an ISR change without a leader change).
        let mut same = partition(0, 2, 10);
        same.isr_nodes = vec![2];
        cluster
            .merge(
                &response(vec![topic("t", 1, vec![same])]),
                12,
                MetadataScope::Subset,
            )
            .unwrap();
        assert_eq!(cluster.partition("t", 0).unwrap().isr, [2]);
    }

    #[test]
    fn recreated_topic_resets_epochs() {
        let mut cluster = Cluster::from_response(
            &response(vec![topic("t", 1, vec![partition(0, 2, 10)])]),
            12,
        )
        .unwrap();
        let report = cluster
            .merge(
                &response(vec![topic("t", 2, vec![partition(0, 1, 0)])]),
                12,
                MetadataScope::Subset,
            )
            .unwrap();
        assert!(report.stale_partitions.is_empty());
        let t = cluster.topic("t").unwrap();
        assert_eq!(t.topic_id, uuid(2));
        assert_eq!(t.partitions[0].leader_epoch, Some(0));
    }

    #[test]
    fn response_without_epochs_replaces_the_entry() {
        // Java does the same: an old broker cannot be compared, so its answer is taken and the
        // epoch forgotten.
        let mut cluster = Cluster::from_response(
            &response(vec![topic("t", 1, vec![partition(0, 2, 10)])]),
            12,
        )
        .unwrap();
        cluster
            .merge(
                &response(vec![topic("t", 0, vec![partition(0, 1, -1)])]),
                7,
                MetadataScope::Subset,
            )
            .unwrap();
        let t = cluster.topic("t").unwrap();
        assert_eq!(t.topic_id, uuid(1), "an id-less answer keeps the known id");
        assert_eq!(t.partitions[0].leader, Some(1));
        assert_eq!(t.partitions[0].leader_epoch, None);
    }

    #[test]
    fn unknown_topic_is_reported_and_kept() {
        let mut cluster =
            Cluster::from_response(&response(vec![topic("t", 1, vec![partition(0, 2, 1)])]), 12)
                .unwrap();
        let mut missing = topic("t", 0, vec![]);
        missing.error_code = ErrorCode::UnknownTopicOrPartition.code();
        let mut denied = topic("secret", 0, vec![]);
        denied.error_code = ErrorCode::TopicAuthorizationFailed.code();
        let report = cluster
            .merge(&response(vec![missing, denied]), 12, MetadataScope::Subset)
            .unwrap();
        assert_eq!(
            report.topic_errors,
            [
                ("t".to_owned(), ErrorCode::UnknownTopicOrPartition),
                ("secret".to_owned(), ErrorCode::TopicAuthorizationFailed),
            ]
        );
        assert!(report.needs_refresh(), "unknown topic is retriable");
        let t = cluster.topic("t").unwrap();
        assert_eq!(t.error, Some(ErrorCode::UnknownTopicOrPartition));
        assert!(t.partitions.is_empty());
        assert_eq!(t.topic_id, Uuid::ZERO);
        assert!(cluster.leader_for("t", 0).is_none());
        assert_eq!(
            cluster.topic("secret").unwrap().error,
            Some(ErrorCode::TopicAuthorizationFailed)
        );
        let only_fatal = MetadataReport {
            topic_errors: vec![("secret".into(), ErrorCode::TopicAuthorizationFailed)],
            ..Default::default()
        };
        assert!(!only_fatal.needs_refresh());
    }

    #[test]
    fn partition_errors_and_missing_leaders() {
        let mut p = partition(0, -1, 3);
        p.error_code = ErrorCode::LeaderNotAvailable.code();
        let mut q = partition(1, 9, 3); // leader not among the live brokers
        q.error_code = 0;
        let cluster =
            Cluster::from_response(&response(vec![topic("t", 1, vec![p, q])]), 12).unwrap();
        let p0 = cluster.partition("t", 0).unwrap();
        assert_eq!(p0.leader, None);
        assert_eq!(p0.error, Some(ErrorCode::LeaderNotAvailable));
        assert!(cluster.leader_for("t", 0).is_none());
        assert!(cluster.leader_for("t", 1).is_none());
        assert!(cluster.leader_for("t", 2).is_none());
        assert!(cluster.leader_for("nope", 0).is_none());
        assert!(cluster.partitions_for("nope").is_none());

        let mut c2 = Cluster::default();
        let mut p = partition(0, -1, 3);
        p.error_code = ErrorCode::LeaderNotAvailable.code();
        let report = c2
            .merge(
                &response(vec![topic("t", 1, vec![p])]),
                12,
                MetadataScope::AllTopics,
            )
            .unwrap();
        assert_eq!(
            report.partition_errors,
            [("t".to_owned(), 0, ErrorCode::LeaderNotAvailable)]
        );
        assert!(report.needs_refresh());
    }

    #[test]
    fn topics_named_only_by_id() {
        let mut cluster =
            Cluster::from_response(&response(vec![topic("t", 1, vec![partition(0, 2, 1)])]), 12)
                .unwrap();
        let mut by_id = topic("ignored", 1, vec![partition(0, 3, 2)]);
        by_id.name = None;
        let mut unknown = topic("ignored", 9, vec![]);
        unknown.name = None;
        let wire = at_version(&response(vec![by_id, unknown]), 12);
        let report = cluster.merge(&wire, 12, MetadataScope::Subset).unwrap();
        assert_eq!(report.unknown_topic_ids, [uuid(9)]);
        assert_eq!(cluster.leader_for("t", 0).unwrap().id, 3);
        assert_eq!(cluster.topics.len(), 1);
    }

    #[test]
    fn failed_responses_leave_the_view_untouched() {
        let mut cluster =
            Cluster::from_response(&response(vec![topic("t", 1, vec![partition(0, 2, 1)])]), 12)
                .unwrap();
        let before = cluster.clone();

        let mut top_level = response(vec![]);
        top_level.error_code = ErrorCode::ClusterAuthorizationFailed.code();
        let err = cluster
            .merge(&top_level, 13, MetadataScope::AllTopics)
            .unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::ClusterAuthorizationFailed));

        let mut no_brokers = response(vec![]);
        no_brokers.brokers.clear();
        let err = cluster
            .merge(&no_brokers, 12, MetadataScope::AllTopics)
            .unwrap_err();
        assert!(err.is_retriable());

        assert_eq!(cluster, before);
    }

    #[test]
    fn brokers_are_replaced_and_bad_ports_skipped() {
        let mut cluster = Cluster::from_response(&response(vec![]), 12).unwrap();
        let mut next = response(vec![]);
        next.brokers = vec![broker(4, "b4", 9092, None), broker(5, "b5", 70000, None)];
        next.controller_id = -1;
        cluster.merge(&next, 12, MetadataScope::Subset).unwrap();
        assert_eq!(cluster.brokers.keys().copied().collect::<Vec<_>>(), [4]);
        assert_eq!(cluster.controller_id, None);
        assert!(cluster.controller().is_none());
    }
}
