//! The metadata client: owns the current [`Cluster`] view and the task that keeps it fresh.
//!
//! The pieces it ties together each live elsewhere and hold no I/O of their own: *when* to
//! refresh and who waits is [`RefreshState`], *what a response means* is
//! [`Cluster::merge`], and *which socket* is the [`BrokerPool`]. This file is the glue: one
//! background task owns the `RefreshState`, sends the Metadata requests and publishes each
//! new view as an `Arc<Cluster>` snapshot. Callers read snapshots without locking anything
//! for long, and ask for a refresh when they learn the view is wrong (`NOT_LEADER_OR_FOLLOWER`,
//! `UNKNOWN_TOPIC_OR_PARTITION`, `NOT_CONTROLLER`).
//!
//! Which topics: the client asks about the topics it has been asked about
//! ([`MetadataClient::refresh_topics`] adds them to the set), never all topics, as the Java
//! producer does: a cluster with 50 000 topics costs nothing to a client that uses three.
//! Auto-creation is off: looking a topic up must not create it.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Instant;

use kafkito_protocol::messages::metadata_request::MetadataRequestTopic;
use kafkito_protocol::messages::{ApiKey, MetadataRequest};
use kafkito_protocol::ErrorCode;
use tokio::sync::{watch, Notify};
use tracing::{debug, info, info_span, warn, Instrument};

use crate::cluster::metadata::{Cluster, MetadataScope};
use crate::cluster::refresh::{RefreshDecision, RefreshState, RefreshWaiter};
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::net::pool::{AbortOnDrop, BrokerKey, BrokerPool};
use crate::net::Connection;

/// The cluster view and its refresher. Cloning is cheap; the refresh task stops when the
/// last clone is dropped.
///
/// ```no_run
/// # async fn demo() -> kafkito::Result<()> {
/// use kafkito::cluster::MetadataClient;
/// use kafkito::net::pool::BrokerPool;
/// use kafkito::ClientConfig;
///
/// let config = ClientConfig::builder().bootstrap_servers(["127.0.0.1:9092"]).build()?;
/// let metadata = MetadataClient::new(BrokerPool::new(config)?);
/// let cluster = metadata.refresh_topics(&["orders"]).await?;
/// println!("orders has {:?} partitions", cluster.partitions_for("orders").map(<[_]>::len));
/// let leader = metadata.leader_connection("orders", 0).await?;
/// # let _ = leader; Ok(()) }
/// ```
#[derive(Clone)]
pub struct MetadataClient {
    shared: Arc<Shared>,
    _task: Arc<AbortOnDrop>,
}

impl std::fmt::Debug for MetadataClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataClient")
            .field("topics", &*lock(&self.shared.topics))
            .field("cluster", &self.cluster())
            .finish_non_exhaustive()
    }
}

struct Shared {
    pool: BrokerPool,
    state: Mutex<RefreshState>,
    /// Wakes the task when a refresh is requested.
    wake: Notify,
    cluster: RwLock<Arc<Cluster>>,
    /// Bumped with every new `cluster`: lets a hot path check for a new view with one atomic
    /// load instead of cloning the `Arc` (a contended reference count).
    generation: AtomicU64,
    /// Carries `generation` to those who wait for a new view (see
    /// [`MetadataClient::updates`]).
    updated: watch::Sender<u64>,
    /// The topics refreshes ask about.
    topics: Mutex<BTreeSet<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl MetadataClient {
    /// A metadata client over `pool`, refreshing by the pool's config (`metadata.max.age.ms`,
    /// `retry.backoff.ms`). The first refresh starts at once. Must be called within a Tokio
    /// runtime.
    pub fn new(pool: BrokerPool) -> MetadataClient {
        let shared = Arc::new(Shared {
            state: Mutex::new(RefreshState::from_config(pool.config())),
            pool,
            wake: Notify::new(),
            cluster: RwLock::new(Arc::new(Cluster::default())),
            generation: AtomicU64::new(0),
            updated: watch::Sender::new(0),
            topics: Mutex::new(BTreeSet::new()),
        });
        let task =
            tokio::spawn(drive(shared.clone()).instrument(info_span!("kafka.metadata_refresher")));
        MetadataClient {
            shared,
            _task: Arc::new(AbortOnDrop(task.abort_handle())),
        }
    }

    /// Builds the pool from `config` and a metadata client over it.
    pub fn from_config(config: ClientConfig) -> Result<MetadataClient> {
        Ok(MetadataClient::new(BrokerPool::new(config)?))
    }

    /// The connection pool.
    pub fn pool(&self) -> &BrokerPool {
        &self.shared.pool
    }

    /// The latest view (empty until the first refresh succeeds).
    pub fn cluster(&self) -> Arc<Cluster> {
        self.shared
            .cluster
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A number that changes whenever [`cluster`](Self::cluster) returns a new view: read it
    /// before `cluster()`, and a later equal value means that view is still current.
    pub fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::Acquire)
    }

    /// A receiver that is marked changed each time a refresh publishes a new view (periodic,
    /// every `metadata.max.age.ms`, or asked for after an error), holding the
    /// [`generation`](Self::generation) of that view. For tasks that act on what the metadata
    /// says without asking for refreshes themselves: a consumer group leader watching its
    /// topics' partition counts (Java's metadata listener / `updateVersion`).
    ///
    /// ```no_run
    /// # async fn demo(metadata: kafkito::cluster::MetadataClient) {
    /// let mut updates = metadata.updates();
    /// while updates.changed().await.is_ok() {
    ///     let partitions = metadata.cluster().partitions_for("orders").map_or(0, <[_]>::len);
    ///     println!("orders has {partitions} partitions");
    /// }
    /// # }
    /// ```
    pub fn updates(&self) -> watch::Receiver<u64> {
        self.shared.updated.subscribe()
    }

    /// Asks for a refresh that starts after this call (see
    /// [`RefreshState::request_refresh`] for why not the one in flight) and returns its waiter.
    /// For callers that saw `NOT_LEADER_OR_FOLLOWER` or `UNKNOWN_TOPIC_OR_PARTITION`.
    pub fn request_refresh(&self) -> RefreshWaiter {
        let waiter = lock(&self.shared.state).request_refresh();
        self.shared.wake.notify_one();
        waiter
    }

    /// Adds `topics` to the set refreshes ask about, and waits for a refresh that includes
    /// them. Returns the new view (topics unknown to the broker are in it with their error).
    /// A refresh for topics not asked about before is not held back by the backoff.
    pub async fn refresh_topics(&self, topics: &[&str]) -> Result<Arc<Cluster>> {
        let added = {
            let mut known = lock(&self.shared.topics);
            let before = known.len();
            known.extend(topics.iter().map(|t| (*t).to_owned()));
            known.len() > before
        };
        let waiter = {
            let mut state = lock(&self.shared.state);
            if added {
                state.request_refresh_for_new_topics()
            } else {
                state.request_refresh()
            }
        };
        self.shared.wake.notify_one();
        waiter.wait().await
    }

    /// A view at least as new as the first successful refresh: the current one if there was
    /// one, else waits for the refresh in flight.
    pub async fn ready_cluster(&self) -> Result<Arc<Cluster>> {
        let cluster = self.cluster();
        if !cluster.brokers.is_empty() {
            return Ok(cluster);
        }
        let waiter = lock(&self.shared.state).join_refresh();
        self.shared.wake.notify_one();
        waiter.wait().await
    }

    /// The connection to the leader of `topic`/`partition`, refreshing the topic's metadata
    /// when the view does not know a live leader.
    pub async fn leader_connection(
        &self,
        topic: &str,
        partition: i32,
    ) -> Result<(i32, Connection)> {
        let mut cluster = self.cluster();
        if cluster.leader_for(topic, partition).is_none() {
            cluster = self.refresh_topics(&[topic]).await?;
        }
        let leader = leader_of(&cluster, topic, partition)?;
        Ok((leader, self.shared.pool.connection(leader).await?))
    }

    /// The connection to the controller (where CreateTopics, DeleteTopics and
    /// CreatePartitions go), refreshing when the view does not name a live one.
    pub async fn controller_connection(&self) -> Result<(i32, Connection)> {
        let mut cluster = self.ready_cluster().await?;
        if cluster.controller().is_none() {
            cluster = self.request_refresh().wait().await?;
        }
        let id = cluster
            .controller()
            .map(|b| b.id)
            .ok_or_else(|| Error::Protocol {
                api: ApiKey::Metadata,
                code: ErrorCode::NotController,
                message: Some("the metadata names no live controller".into()),
            })?;
        Ok((id, self.shared.pool.connection(id).await?))
    }

    /// A connection to any broker (see [`BrokerPool::any_connection`]).
    pub async fn any_connection(&self) -> Result<(BrokerKey, Connection)> {
        self.shared.pool.any_connection().await
    }
}

/// The live leader of `topic`/`partition` in `cluster`, or the error that explains its
/// absence (the topic's own error, `UNKNOWN_TOPIC_OR_PARTITION`, `LEADER_NOT_AVAILABLE`).
pub fn leader_of(cluster: &Cluster, topic: &str, partition: i32) -> Result<i32> {
    let missing = |code: ErrorCode, why: String| Error::Protocol {
        api: ApiKey::Metadata,
        code,
        message: Some(why),
    };
    let info = cluster.topic(topic).ok_or_else(|| {
        missing(
            ErrorCode::UnknownTopicOrPartition,
            format!("topic {topic} is not in the metadata"),
        )
    })?;
    if let Some(code) = info.error {
        return Err(missing(code, format!("metadata for topic {topic}")));
    }
    let p = info.partition(partition).ok_or_else(|| {
        missing(
            ErrorCode::UnknownTopicOrPartition,
            format!("topic {topic} has no partition {partition}"),
        )
    })?;
    match p.leader.filter(|id| cluster.broker(*id).is_some()) {
        Some(id) => Ok(id),
        None => Err(missing(
            ErrorCode::LeaderNotAvailable,
            format!("{topic}-{partition} has no live leader"),
        )),
    }
}

/// Now, on Tokio's clock (the same instant as `std`'s in a running program; under
/// `tokio::time::pause` it is the paused clock, so that a test can advance
/// `metadata.max.age.ms` and see the refresh the real clock would bring).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// The refresh task: asks the state machine what to do, does it, repeats.
async fn drive(shared: Arc<Shared>) {
    loop {
        // Registered before polling, so a request made between the poll and the wait still
        // wakes us (`Notify` keeps one permit for `notify_one`).
        let woken = shared.wake.notified();
        let decision = lock(&shared.state).poll(now());
        match decision {
            RefreshDecision::Start => {
                let Some(ticket) = lock(&shared.state).start(now()) else {
                    continue;
                };
                let outcome = refresh_once(&shared).await;
                lock(&shared.state).complete(ticket, now(), outcome);
            }
            RefreshDecision::WaitUntil(at) => {
                tokio::select! {
                    () = tokio::time::sleep_until(at.into()) => {}
                    () = woken => {}
                }
            }
            // Only this task starts refreshes, so "in flight" cannot be seen here; treat it
            // like idle rather than spin.
            RefreshDecision::InFlight | RefreshDecision::Idle => woken.await,
        }
    }
}

/// One Metadata round trip: any broker, the tracked topics, merged into a copy of the view.
async fn refresh_once(shared: &Shared) -> Result<Arc<Cluster>> {
    let topics: Vec<String> = lock(&shared.topics).iter().cloned().collect();
    let (key, connection) = shared.pool.any_connection().await?;
    let version = connection.version_for(ApiKey::Metadata)?;
    let request = MetadataRequest {
        topics: Some(
            topics
                .iter()
                .map(|name| MetadataRequestTopic {
                    name: Some(name.clone()),
                    ..Default::default()
                })
                .collect(),
        ),
        allow_auto_topic_creation: false,
        ..Default::default()
    };
    let started = Instant::now();
    let response = match connection.call(&request, version).await {
        Ok(response) => response,
        Err(error) => {
            warn!(broker = %key, %error, "metadata refresh failed");
            shared.pool.report_failure(&key, &error);
            return Err(error);
        }
    };
    let mut cluster = Cluster::clone(&shared.cluster.read().unwrap_or_else(|e| e.into_inner()));
    let report = cluster.merge(&response, version, MetadataScope::Subset)?;
    shared
        .pool
        .set_brokers(cluster.brokers.values().map(|b| (b.id, b.address())));
    let cluster = Arc::new(cluster);
    {
        let mut current = shared.cluster.write().unwrap_or_else(|e| e.into_inner());
        *current = cluster.clone();
        let generation = shared.generation.fetch_add(1, Ordering::Release) + 1;
        shared.updated.send_replace(generation);
    }
    if report.topic_errors.is_empty() {
        debug!(broker = %key, topics = topics.len(), brokers = cluster.brokers.len(), duration_ms = started.elapsed().as_millis() as u64, "metadata refreshed");
    } else {
        info!(broker = %key, errors = ?report.topic_errors, "metadata refreshed with topic errors");
    }
    Ok(cluster)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::metadata::{BrokerInfo, PartitionInfo, TopicInfo};

    fn cluster() -> Cluster {
        let mut c = Cluster::default();
        c.brokers.insert(
            1,
            BrokerInfo {
                id: 1,
                host: "h".into(),
                port: 1,
                rack: None,
            },
        );
        let partition = |p, leader| PartitionInfo {
            partition: p,
            leader,
            leader_epoch: None,
            replicas: vec![],
            isr: vec![],
            offline_replicas: vec![],
            error: None,
        };
        c.topics.insert(
            "t".into(),
            TopicInfo {
                name: "t".into(),
                topic_id: Default::default(),
                is_internal: false,
                error: None,
                partitions: vec![
                    partition(0, Some(1)),
                    partition(1, Some(9)),
                    partition(2, None),
                ],
            },
        );
        c
    }

    #[test]
    fn leader_of_explains_what_is_missing() {
        let c = cluster();
        assert_eq!(leader_of(&c, "t", 0).unwrap(), 1);
        for (topic, partition, code) in [
            ("t", 1, ErrorCode::LeaderNotAvailable), // leader not a live broker
            ("t", 2, ErrorCode::LeaderNotAvailable),
            ("t", 3, ErrorCode::UnknownTopicOrPartition),
            ("u", 0, ErrorCode::UnknownTopicOrPartition),
        ] {
            let error = leader_of(&c, topic, partition).unwrap_err();
            assert_eq!(error.code(), Some(code), "{topic}-{partition}");
            assert!(error.is_retriable());
        }
    }
}
