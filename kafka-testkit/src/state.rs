//! The cluster's state: brokers, topics and their partitions (replicas, ISR, leader, epoch,
//! log), groups, producer ids, injected faults and request counters.
//!
//! All of it sits behind one lock ([`Shared::state`]). That is deliberate for a fake cluster:
//! a real cluster serialises metadata changes through its controller and each partition's
//! appends through its leader; one lock gives the same order with no cross-lock races, and
//! every handler holds it only for a synchronous, in-memory step (never across an await).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::wire::Uuid;
use kafkito_protocol::ErrorCode;
use tokio::sync::Notify;

use crate::fault::Faults;
use crate::group::Groups;
use crate::log::{Log, TimestampType};
use crate::txn::Transactions;

/// Kafka's `max.message.bytes` default (1 MiB plus the batch overhead).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1_048_588;

/// What every task of a cluster shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub state: Mutex<State>,
    /// Woken after every append, so parked Fetch requests re-check their `min_bytes`.
    pub appended: Notify,
    /// One per broker: bumped to cut every connection of that broker.
    pub connection_cuts: Vec<tokio::sync::watch::Sender<u64>>,
    /// The SASL settings every listener authenticates with (SCRAM credentials derived once,
    /// at build); `None`: PLAINTEXT listeners.
    pub sasl: Option<std::sync::Arc<crate::sasl_server::SaslServerConfig>>,
    /// Bumped after every request is handled, every tick of the cluster's timers and every
    /// control call: what [`crate::Cluster::changes`] waits on.
    pub changed: tokio::sync::watch::Sender<u64>,
}

impl Shared {
    /// Tells the cluster's watchers that its state may have changed.
    pub fn touch(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The state, even if a panicking test thread poisoned the lock (the state is still
    /// consistent: every mutation is a short synchronous step).
    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Cluster-wide settings (Kafka's broker defaults unless the builder changed them).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// `auto.create.topics.enable`.
    pub auto_create_topics: bool,
    /// `num.partitions`.
    pub default_partitions: i32,
    /// `default.replication.factor`.
    pub default_replication_factor: i16,
    /// Rack-aware replica selection (`replica.selector.class` = RackAwareReplicaSelector).
    pub rack_aware_fetch: bool,
    /// `group.min.session.timeout.ms` / `group.max.session.timeout.ms`.
    pub group_min_session_timeout_ms: i32,
    pub group_max_session_timeout_ms: i32,
    /// `group.consumer.heartbeat.interval.ms` for KIP-848 members.
    pub consumer_heartbeat_interval_ms: i32,
    /// `group.consumer.session.timeout.ms`.
    pub consumer_session_timeout_ms: i32,
    /// Users every listener authenticates with SASL; none: PLAINTEXT listeners.
    pub sasl_users: Vec<crate::sasl_server::SaslUser>,
    /// `connections.max.reauth.ms` (KIP-368); 0: sessions never expire.
    pub sasl_session_lifetime_ms: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auto_create_topics: true,
            default_partitions: 1,
            default_replication_factor: 1,
            rack_aware_fetch: false,
            group_min_session_timeout_ms: 6_000,
            group_max_session_timeout_ms: 1_800_000,
            // Kafka's default is 5000; a second lets test groups settle quickly.
            consumer_heartbeat_interval_ms: 1_000,
            consumer_session_timeout_ms: 45_000,
            sasl_users: Vec::new(),
            sasl_session_lifetime_ms: 0,
        }
    }
}

/// One broker of the cluster.
#[derive(Debug, Clone)]
pub(crate) struct Broker {
    pub node_id: i32,
    pub host: String,
    pub port: u16,
    pub rack: Option<String>,
    /// Serving: its listener accepts connections and it can lead partitions.
    pub alive: bool,
}

/// A topic's configuration (the keys the testkit models; others are stored and described).
#[derive(Debug, Clone)]
pub(crate) struct TopicConfig {
    pub timestamp_type: TimestampType,
    pub min_insync_replicas: i32,
    pub max_message_bytes: usize,
    /// Every key set at creation, as given (for DescribeConfigs).
    pub overrides: BTreeMap<String, String>,
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            timestamp_type: TimestampType::CreateTime,
            min_insync_replicas: 1,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            overrides: BTreeMap::new(),
        }
    }
}

impl TopicConfig {
    /// Parses creation configs; `Err` names the bad key (INVALID_CONFIG).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> Result<TopicConfig, String> {
        let mut config = TopicConfig::default();
        for (key, value) in pairs {
            let Some(value) = value else { continue };
            match key {
                "message.timestamp.type" => {
                    config.timestamp_type = match value {
                        "CreateTime" => TimestampType::CreateTime,
                        "LogAppendTime" => TimestampType::LogAppendTime,
                        other => return Err(format!("message.timestamp.type {other}")),
                    }
                }
                "min.insync.replicas" => {
                    config.min_insync_replicas = value
                        .parse()
                        .ok()
                        .filter(|&n: &i32| n >= 1)
                        .ok_or_else(|| format!("min.insync.replicas {value}"))?
                }
                "max.message.bytes" => {
                    config.max_message_bytes = value
                        .parse()
                        .ok()
                        .filter(|&n: &usize| n > 0)
                        .ok_or_else(|| format!("max.message.bytes {value}"))?
                }
                _ => {}
            }
            config.overrides.insert(key.to_owned(), value.to_owned());
        }
        Ok(config)
    }

    /// The effective value of every key DescribeConfigs reports, with whether it was set.
    pub fn describe(&self) -> Vec<(&'static str, String, bool)> {
        let set = |k: &str| self.overrides.contains_key(k);
        let ts = match self.timestamp_type {
            TimestampType::CreateTime => "CreateTime",
            TimestampType::LogAppendTime => "LogAppendTime",
        };
        let from = |k: &'static str, default: &str| {
            (
                k,
                self.overrides
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| default.to_owned()),
                set(k),
            )
        };
        vec![
            from("cleanup.policy", "delete"),
            from("compression.type", "producer"),
            (
                "max.message.bytes",
                self.max_message_bytes.to_string(),
                set("max.message.bytes"),
            ),
            (
                "message.timestamp.type",
                ts.to_owned(),
                set("message.timestamp.type"),
            ),
            (
                "min.insync.replicas",
                self.min_insync_replicas.to_string(),
                set("min.insync.replicas"),
            ),
            from("retention.bytes", "-1"),
            from("retention.ms", "604800000"),
            from("segment.bytes", "1073741824"),
        ]
    }
}

/// One partition: its replica set, leadership and log.
#[derive(Debug, Clone)]
pub(crate) struct Partition {
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    /// The leader's node id, or -1 when no replica is alive.
    pub leader: i32,
    pub leader_epoch: i32,
    pub log: Log,
}

/// A topic.
#[derive(Debug, Clone)]
pub(crate) struct Topic {
    pub id: Uuid,
    pub partitions: Vec<Partition>,
    pub config: TopicConfig,
}

/// A request's count at one broker.
pub(crate) type Counters = HashMap<(i32, ApiKey), u64>;

/// The whole cluster's state.
#[derive(Debug)]
pub(crate) struct State {
    pub cluster_id: String,
    pub settings: Settings,
    pub brokers: Vec<Broker>,
    pub topics: BTreeMap<String, Topic>,
    pub groups: Groups,
    pub txns: Transactions,
    pub faults: Faults,
    pub counters: Counters,
    /// Every SASL connection so far, indexed by connection number.
    pub sasl_sessions: Vec<crate::cluster::SaslSession>,
    /// Coordinators moved by [`Cluster::move_coordinator`](crate::Cluster::move_coordinator).
    pub coordinator_overrides: HashMap<String, i32>,
    next_producer_id: i64,
    /// Rotates the first replica of new partitions across brokers.
    next_replica_start: usize,
}

/// Milliseconds since the Unix epoch, as brokers stamp LogAppendTime.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A random (version 4) UUID, never the all-zero "no id".
pub(crate) fn random_uuid() -> Uuid {
    let mut bytes = [0u8; 16];
    for b in &mut bytes {
        *b = fastrand::u8(..);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid(bytes)
}

/// Kafka's topic name rule: 1..=249 of `[a-zA-Z0-9._-]`, and not `.` or `..`.
pub(crate) fn valid_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Why a topic could not be created, as CreateTopics answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TopicError {
    pub code: ErrorCode,
    pub message: String,
}

impl TopicError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        TopicError {
            code,
            message: message.into(),
        }
    }
}

impl State {
    pub fn new(cluster_id: String, settings: Settings, brokers: Vec<Broker>) -> Self {
        State {
            cluster_id,
            settings,
            brokers,
            topics: BTreeMap::new(),
            groups: Groups::default(),
            txns: Transactions::default(),
            faults: Faults::default(),
            counters: HashMap::new(),
            sasl_sessions: Vec::new(),
            coordinator_overrides: HashMap::new(),
            next_producer_id: 1_000,
            next_replica_start: 0,
        }
    }

    pub fn broker(&self, node_id: i32) -> Option<&Broker> {
        self.brokers.iter().find(|b| b.node_id == node_id)
    }

    pub fn alive_brokers(&self) -> impl Iterator<Item = &Broker> {
        self.brokers.iter().filter(|b| b.alive)
    }

    /// The controller: the lowest-numbered live broker (-1 if none).
    pub fn controller_id(&self) -> i32 {
        self.alive_brokers().map(|b| b.node_id).min().unwrap_or(-1)
    }

    pub fn allocate_producer_id(&mut self) -> i64 {
        let id = self.next_producer_id;
        self.next_producer_id += 1;
        id
    }

    pub fn topic_by_id(&self, id: Uuid) -> Option<(&String, &Topic)> {
        self.topics.iter().find(|(_, t)| t.id == id)
    }

    /// Replica lists for `count` new partitions of replication factor `rf`, rotating the
    /// first replica across brokers (Kafka's rack-unaware placement, without its random
    /// start, so tests are reproducible).
    fn place(&mut self, count: i32, rf: usize) -> Vec<Vec<i32>> {
        let ids: Vec<i32> = self.brokers.iter().map(|b| b.node_id).collect();
        let n = ids.len();
        (0..count)
            .map(|_| {
                let start = self.next_replica_start;
                self.next_replica_start = (self.next_replica_start + 1) % n.max(1);
                (0..rf).map(|r| ids[(start + r) % n]).collect()
            })
            .collect()
    }

    /// A new partition on `replicas`, led by the first live one at epoch 0.
    fn new_partition(&self, replicas: Vec<i32>) -> Partition {
        let isr: Vec<i32> = replicas
            .iter()
            .copied()
            .filter(|&r| self.broker(r).is_some_and(|b| b.alive))
            .collect();
        let leader = isr.first().copied().unwrap_or(-1);
        let mut log = Log::default();
        log.start_epoch(0);
        Partition {
            replicas,
            isr,
            leader,
            leader_epoch: 0,
            log,
        }
    }

    /// Checks a topic creation and, unless `validate_only`, performs it.
    pub fn create_topic(
        &mut self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        assignments: Option<Vec<Vec<i32>>>,
        config: TopicConfig,
        validate_only: bool,
    ) -> Result<(i32, i16, kafkito_protocol::wire::Uuid), TopicError> {
        if !valid_topic_name(name) {
            return Err(TopicError::new(
                ErrorCode::InvalidTopicException,
                format!("topic name {name:?} is not legal: 1-249 of [a-zA-Z0-9._-]"),
            ));
        }
        if self.topics.contains_key(name) {
            return Err(TopicError::new(
                ErrorCode::TopicAlreadyExists,
                format!("Topic '{name}' already exists."),
            ));
        }
        let replica_lists = match assignments {
            Some(lists) => {
                if partitions != -1 || replication_factor != -1 {
                    return Err(TopicError::new(
                        ErrorCode::InvalidRequest,
                        "both an assignment and a partition count or replication factor",
                    ));
                }
                self.check_assignment(&lists, None)?;
                lists
            }
            None => {
                let partitions = if partitions == -1 {
                    self.settings.default_partitions
                } else {
                    partitions
                };
                let rf = if replication_factor == -1 {
                    self.settings.default_replication_factor
                } else {
                    replication_factor
                };
                if partitions <= 0 {
                    return Err(TopicError::new(
                        ErrorCode::InvalidPartitions,
                        "Number of partitions must be larger than 0.",
                    ));
                }
                if rf <= 0 {
                    return Err(TopicError::new(
                        ErrorCode::InvalidReplicationFactor,
                        "Replication factor must be larger than 0.",
                    ));
                }
                if rf as usize > self.brokers.len() {
                    return Err(TopicError::new(
                        ErrorCode::InvalidReplicationFactor,
                        format!(
                            "Unable to replicate the partition {rf} time(s): The target \
                             replication factor of {rf} cannot be reached because only {} \
                             broker(s) are registered.",
                            self.brokers.len()
                        ),
                    ));
                }
                if validate_only {
                    return Ok((partitions, rf, Uuid::ZERO));
                }
                self.place(partitions, rf as usize)
            }
        };
        let count = replica_lists.len() as i32;
        let rf = replica_lists.first().map_or(0, |r| r.len() as i16);
        if validate_only {
            return Ok((count, rf, Uuid::ZERO));
        }
        let id = random_uuid();
        let partitions = replica_lists
            .into_iter()
            .map(|r| self.new_partition(r))
            .collect();
        self.topics.insert(
            name.to_owned(),
            Topic {
                id,
                partitions,
                config,
            },
        );
        tracing::info!(
            topic = name,
            partitions = count,
            replication_factor = rf,
            "topic created"
        );
        Ok((count, rf, id))
    }

    fn check_assignment(&self, lists: &[Vec<i32>], rf: Option<usize>) -> Result<(), TopicError> {
        let rf = rf.or_else(|| lists.first().map(Vec::len));
        for list in lists {
            let mut seen = list.clone();
            seen.sort_unstable();
            seen.dedup();
            if list.is_empty()
                || seen.len() != list.len()
                || Some(list.len()) != rf
                || list.iter().any(|&id| self.broker(id).is_none())
            {
                return Err(TopicError::new(
                    ErrorCode::InvalidReplicaAssignment,
                    format!("invalid replica assignment {list:?}"),
                ));
            }
        }
        Ok(())
    }

    /// CreatePartitions: grows `name` to `count` partitions.
    pub fn create_partitions(
        &mut self,
        name: &str,
        count: i32,
        assignments: Option<Vec<Vec<i32>>>,
        validate_only: bool,
    ) -> Result<(), TopicError> {
        let Some(topic) = self.topics.get(name) else {
            return Err(TopicError::new(
                ErrorCode::UnknownTopicOrPartition,
                format!("The topic '{name}' does not exist."),
            ));
        };
        let current = topic.partitions.len() as i32;
        let rf = topic.partitions.first().map_or(1, |p| p.replicas.len());
        if count <= current {
            return Err(TopicError::new(
                ErrorCode::InvalidPartitions,
                format!("Topic currently has {current} partitions, which is higher than or equal to the requested {count}."),
            ));
        }
        let added = count - current;
        let lists = match assignments {
            Some(lists) => {
                if lists.len() as i32 != added {
                    return Err(TopicError::new(
                        ErrorCode::InvalidReplicaAssignment,
                        format!("{} assignments for {added} new partitions", lists.len()),
                    ));
                }
                self.check_assignment(&lists, Some(rf))?;
                lists
            }
            None => {
                if validate_only {
                    return Ok(());
                }
                self.place(added, rf)
            }
        };
        if validate_only {
            return Ok(());
        }
        let new: Vec<Partition> = lists.into_iter().map(|r| self.new_partition(r)).collect();
        if let Some(topic) = self.topics.get_mut(name) {
            topic.partitions.extend(new);
        }
        tracing::info!(topic = name, partitions = count, "partitions created");
        Ok(())
    }

    /// Elects a new leader for every partition `node_id` led (it stopped), removes it from
    /// every ISR, bumping leader epochs as the controller does.
    pub fn broker_stopped(&mut self, node_id: i32) {
        if let Some(b) = self.brokers.iter_mut().find(|b| b.node_id == node_id) {
            b.alive = false;
        }
        for (name, topic) in &mut self.topics {
            for (index, p) in topic.partitions.iter_mut().enumerate() {
                let was_in_isr = p.isr.contains(&node_id);
                p.isr.retain(|&r| r != node_id);
                if p.leader == node_id {
                    p.leader = p.isr.first().copied().unwrap_or(-1);
                    p.leader_epoch += 1;
                    p.log.start_epoch(p.leader_epoch);
                    tracing::info!(
                        topic = %name,
                        partition = index,
                        leader = p.leader,
                        epoch = p.leader_epoch,
                        "leader moved off a stopped broker"
                    );
                } else if was_in_isr {
                    // An ISR change bumps the partition epoch, not the leader epoch.
                }
            }
        }
    }

    /// The broker is back with its data: it rejoins every ISR it belongs to at once (its
    /// log is the one it had, and followers are modelled as caught up), and leads the
    /// partitions that had no live replica. Leadership is not moved back (Kafka does that
    /// only through preferred-leader election).
    pub fn broker_started(&mut self, node_id: i32) {
        if let Some(b) = self.brokers.iter_mut().find(|b| b.node_id == node_id) {
            b.alive = true;
        }
        for topic in self.topics.values_mut() {
            for p in &mut topic.partitions {
                if p.replicas.contains(&node_id) && !p.isr.contains(&node_id) {
                    p.isr.push(node_id);
                }
                if p.leader == -1 && p.replicas.contains(&node_id) {
                    p.leader = node_id;
                    p.leader_epoch += 1;
                    p.log.start_epoch(p.leader_epoch);
                }
            }
        }
    }

    /// Moves a partition's leadership to `node_id` (a live replica), bumping its epoch.
    pub fn move_leader(
        &mut self,
        topic: &str,
        partition: i32,
        node_id: i32,
    ) -> Result<i32, String> {
        let alive = self.broker(node_id).is_some_and(|b| b.alive);
        let p = self
            .topics
            .get_mut(topic)
            .and_then(|t| t.partitions.get_mut(partition as usize))
            .ok_or_else(|| format!("no partition {topic}-{partition}"))?;
        if !p.replicas.contains(&node_id) || !alive {
            return Err(format!(
                "broker {node_id} is not a live replica of {topic}-{partition} (replicas {:?})",
                p.replicas
            ));
        }
        if !p.isr.contains(&node_id) {
            p.isr.push(node_id);
        }
        p.leader = node_id;
        p.leader_epoch += 1;
        p.log.start_epoch(p.leader_epoch);
        Ok(p.leader_epoch)
    }

    /// Sets a partition's ISR (it must hold the leader and only replicas), as when followers
    /// fall behind or catch up; the leader epoch does not change.
    pub fn set_isr(&mut self, topic: &str, partition: i32, isr: &[i32]) -> Result<(), String> {
        let p = self
            .topics
            .get_mut(topic)
            .and_then(|t| t.partitions.get_mut(usize::try_from(partition).ok()?))
            .ok_or_else(|| format!("no partition {topic}-{partition}"))?;
        if !isr.contains(&p.leader) || isr.iter().any(|r| !p.replicas.contains(r)) {
            return Err(format!(
                "ISR {isr:?} must hold the leader {} and only replicas {:?}",
                p.leader, p.replicas
            ));
        }
        p.isr = isr.to_vec();
        Ok(())
    }

    /// Counts one request of `api` at `node_id`.
    pub fn count(&mut self, node_id: i32, api: ApiKey) {
        *self.counters.entry((node_id, api)).or_default() += 1;
    }

    /// The group coordinator for `key`: Kafka maps a group to a partition of
    /// `__consumer_offsets` (Java `hashCode` modulo 50) and its leader coordinates; here that
    /// partition index picks among the live brokers.
    pub fn coordinator_for(&self, key: &str) -> Option<&Broker> {
        if let Some(node) = self.coordinator_overrides.get(key) {
            if let Some(b) = self.broker(*node).filter(|b| b.alive) {
                return Some(b);
            }
        }
        let hash = key
            .encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
        // Kafka's `Utils.abs` maps i32::MIN to 0.
        let partition = if hash == i32::MIN {
            0
        } else {
            (hash.abs() % 50) as usize
        };
        let alive: Vec<&Broker> = self.alive_brokers().collect();
        if alive.is_empty() {
            return None;
        }
        Some(alive[partition % alive.len()])
    }

    /// Advances group timers (session and rebalance timeouts) and transaction timeouts to
    /// `now`. Returns whether markers were written (parked fetches should look again).
    pub fn tick(&mut self, now: Instant) -> bool {
        self.groups.tick(now);
        self.expire_transactions(now)
    }
}
