//! The public handle on a running cluster: start it, read its state, and apply faults.

use std::sync::Arc;
use std::time::Duration;

use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::ErrorCode;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::fault::{Fault, FaultHandle};
use crate::sasl_server::{SaslMechanism as Mechanism, SaslServerConfig, SaslUser};
use crate::server::Transport;
use crate::state::{Broker, Settings, Shared, State, TopicConfig};

/// Why a cluster operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A broker could not listen on its address.
    #[error("broker {node_id} cannot listen on {address}: {source}")]
    Bind {
        /// The broker.
        node_id: i32,
        /// The address it tried.
        address: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The cluster refused a topic operation, with the error Kafka answers it with.
    #[error("topic {topic}: {code} ({message})")]
    Topic {
        /// The topic.
        topic: String,
        /// Kafka's error code for the refusal.
        code: ErrorCode,
        /// What was wrong.
        message: String,
    },
    /// No broker has this node id.
    #[error("no broker {0}")]
    UnknownBroker(i32),
    /// An argument the cluster cannot act on.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The TLS configuration is unusable (unreadable file, bad PEM, key not matching).
    #[error("TLS: {0}")]
    Tls(String),
}

/// One connection to a SASL listener, as the broker saw it ([`Cluster::sasl_sessions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SaslSession {
    /// The broker it connected to.
    pub node_id: i32,
    /// `User:<name>` once authenticated.
    pub principal: Option<String>,
    /// The mechanism it authenticated with.
    pub mechanism: Option<Mechanism>,
    /// Each successful authentication: the login, then one per KIP-368 re-authentication.
    pub logins: Vec<SaslLogin>,
    /// Requests other than ApiVersions, SaslHandshake and SaslAuthenticate served on it.
    pub requests_served: u64,
    /// Whether the broker closed it because a request came after its session had expired
    /// without a re-authentication.
    pub closed_for_expiry: bool,
    /// Whether it is still open.
    pub open: bool,
}

/// One successful SASL authentication on a connection ([`SaslSession::logins`]); times are
/// measured from the connection's accept.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SaslLogin {
    /// When its SaslHandshake arrived.
    pub started_after: Duration,
    /// When its last SaslAuthenticate was answered with success.
    pub completed_after: Duration,
    /// The session lifetime, in ms (0: none). SaslAuthenticate v1+ announces it; over v0 it
    /// still applies, unannounced, as on Kafka.
    pub session_lifetime_ms: i64,
}

impl SaslLogin {
    /// When the session it opened ends, if it has a lifetime.
    pub fn session_ends_after(&self) -> Option<Duration> {
        u64::try_from(self.session_lifetime_ms)
            .ok()
            .filter(|&ms| ms > 0)
            .map(|ms| self.completed_after + Duration::from_millis(ms))
    }
}

/// Settings for a new [`Cluster`]; Kafka's broker defaults unless changed.
#[derive(Debug, Clone)]
pub struct ClusterBuilder {
    brokers: usize,
    host: String,
    port: u16,
    racks: bool,
    settings: Settings,
    transaction_marker_delay: Duration,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsConfig>,
}

impl Default for ClusterBuilder {
    fn default() -> Self {
        ClusterBuilder {
            brokers: 3,
            host: "127.0.0.1".into(),
            port: 0,
            racks: false,
            settings: Settings::default(),
            transaction_marker_delay: Duration::from_millis(5),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ClusterBuilder {
    /// Number of brokers (node ids 0..n). Default 3.
    pub fn brokers(mut self, n: usize) -> Self {
        self.brokers = n;
        self
    }

    /// First listener port: broker `i` listens on `port + i`. Default 0: each broker gets an
    /// ephemeral port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Gives broker `i` rack `rack-i` and turns on rack-aware replica selection (KIP-392):
    /// a Fetch v11+ from a client whose `rack_id` matches a follower's rack is pointed at that
    /// follower with `preferred_read_replica`.
    pub fn racks(mut self, racks: bool) -> Self {
        self.racks = racks;
        self
    }

    /// `auto.create.topics.enable` (default true): Metadata creates unknown topics.
    pub fn auto_create_topics(mut self, on: bool) -> Self {
        self.settings.auto_create_topics = on;
        self
    }

    /// `num.partitions` (default 1): partitions of an auto-created topic, or of a CreateTopics
    /// asking for -1.
    pub fn default_partitions(mut self, n: i32) -> Self {
        self.settings.default_partitions = n;
        self
    }

    /// `default.replication.factor` (default 1).
    pub fn default_replication_factor(mut self, n: i16) -> Self {
        self.settings.default_replication_factor = n;
        self
    }

    /// `group.min.session.timeout.ms` (default 6000): JoinGroups asking for less are refused
    /// with INVALID_SESSION_TIMEOUT.
    pub fn group_min_session_timeout_ms(mut self, ms: i32) -> Self {
        self.settings.group_min_session_timeout_ms = ms;
        self
    }

    /// Adds a SASL user: every listener then requires SASL authentication
    /// (SASL_PLAINTEXT), with the mechanisms some user is configured for, listed in the order
    /// they were first named. SCRAM credentials are derived once, when the cluster is built
    /// (random salt, 4096 iterations), as Kafka stores them. For
    /// [`Mechanism::OAuthBearer`] `user` and `password` are ignored: the mechanism is enabled
    /// and any valid unsecured JWS logs in as its `sub` (see [`ClusterBuilder::sasl_oauthbearer`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), kafkito_testkit::Error> {
    /// use kafkito_testkit::{Cluster, Mechanism};
    /// let cluster = Cluster::builder().sasl_user(Mechanism::ScramSha512, "bob", "pw").build().await?;
    /// // clients: security.protocol=SASL_PLAINTEXT, sasl.mechanism=SCRAM-SHA-512, bob / pw
    /// # let _ = cluster;
    /// # Ok(())
    /// # }
    /// ```
    pub fn sasl_user(mut self, mechanism: Mechanism, user: &str, password: &str) -> Self {
        self.settings.sasl_users.push(SaslUser {
            mechanism,
            username: user.to_owned(),
            password: password.to_owned(),
        });
        self
    }

    /// Enables OAUTHBEARER with Kafka's default unsecured-JWS validation
    /// (`OAuthBearerUnsecuredValidatorCallbackHandler`): a token with `"alg":"none"`, a `sub`
    /// claim (the principal) and an `exp` not yet reached logs in. The session lifetime is the
    /// token's remaining life, or [`ClusterBuilder::sasl_session_lifetime_ms`] if shorter.
    pub fn sasl_oauthbearer(self) -> Self {
        self.sasl_user(Mechanism::OAuthBearer, "", "")
    }

    /// `connections.max.reauth.ms` (KIP-368, default 0: off): SaslAuthenticate (v1+) tells
    /// clients their session lifetime, and a connection whose session is over is closed,
    /// without an answer, at its next request other than a SaslHandshake starting a
    /// re-authentication (Kafka checks at requests, not on a timer).
    pub fn sasl_session_lifetime_ms(mut self, ms: i64) -> Self {
        self.settings.sasl_session_lifetime_ms = ms;
        self
    }

    /// `group.consumer.heartbeat.interval.ms` for KIP-848 groups (default 1000; Kafka's is
    /// 5000, slower than tests want).
    pub fn consumer_heartbeat_interval_ms(mut self, ms: i32) -> Self {
        self.settings.consumer_heartbeat_interval_ms = ms;
        self
    }

    /// `group.consumer.session.timeout.ms` for KIP-848 groups (default 45000, Kafka's): a
    /// member that sends no ConsumerGroupHeartbeat for that long is removed and its
    /// partitions reassigned. Tests that kill members without a leave shorten it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), kafkito_testkit::Error> {
    /// let cluster = kafkito_testkit::Cluster::builder()
    ///     .consumer_heartbeat_interval_ms(300)
    ///     .consumer_session_timeout_ms(3_000)
    ///     .build()
    ///     .await?;
    /// # let _ = cluster;
    /// # Ok(())
    /// # }
    /// ```
    pub fn consumer_session_timeout_ms(mut self, ms: i32) -> Self {
        self.settings.consumer_session_timeout_ms = ms;
        self
    }

    /// TLS on every listener (the `tls` feature): SSL, or SASL_SSL with SASL users. With a
    /// [client CA](crate::TlsConfig::client_ca_pem), mutual TLS: a client without a
    /// certificate signed by that CA fails the handshake. [`TestCa`](crate::TestCa) makes
    /// the certificates.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), kafkito_testkit::Error> {
    /// use kafkito_testkit::{Cluster, TestCa};
    /// let ca = TestCa::new("test CA")?;
    /// let cluster = Cluster::builder().tls(ca.server_config()?).build().await?;
    /// // clients: security.protocol=SSL, ssl.ca.pem=<ca.pem()>
    /// # let _ = cluster;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: crate::tls::TlsConfig) -> Self {
        self.tls = Some(config);
        self
    }

    /// How long after EndTxn a transaction's COMMIT/ABORT markers land (default 5 ms; zero:
    /// within EndTxn). As on Kafka, EndTxn is answered first (PrepareCommit/PrepareAbort) and
    /// until the markers are written InitProducerId, AddPartitionsToTxn and AddOffsetsToTxn
    /// for that transactional id are answered CONCURRENT_TRANSACTIONS, which clients retry.
    /// [`Cluster::hold_transaction_markers`] holds them for as long as a test wants.
    pub fn transaction_marker_delay(mut self, delay: Duration) -> Self {
        self.transaction_marker_delay = delay;
        self
    }

    /// Binds every broker's listener and starts serving. Needs a Tokio runtime.
    pub async fn build(self) -> Result<Cluster, Error> {
        if self.brokers == 0 {
            return Err(Error::InvalidArgument(
                "a cluster needs at least one broker".into(),
            ));
        }
        // Checked before binding anything: a bad certificate fails the build.
        #[cfg(feature = "tls")]
        let transport = match &self.tls {
            Some(config) => Transport::Tls(config.acceptor()?),
            None => Transport::Plain,
        };
        #[cfg(not(feature = "tls"))]
        let transport = Transport::Plain;
        let mut settings = self.settings;
        settings.rack_aware_fetch = self.racks;
        let mut listeners = Vec::new();
        let mut brokers = Vec::new();
        for i in 0..self.brokers {
            let node_id = i as i32;
            let port = if self.port == 0 {
                0
            } else {
                self.port.checked_add(i as u16).ok_or_else(|| {
                    Error::InvalidArgument(format!("port {} + {i} is past 65535", self.port))
                })?
            };
            let address = format!("{}:{port}", self.host);
            let listener = TcpListener::bind(&address)
                .await
                .map_err(|source| Error::Bind {
                    node_id,
                    address: address.clone(),
                    source,
                })?;
            let port = listener
                .local_addr()
                .map_err(|source| Error::Bind {
                    node_id,
                    address,
                    source,
                })?
                .port();
            brokers.push(Broker {
                node_id,
                host: self.host.clone(),
                port,
                rack: self.racks.then(|| format!("rack-{i}")),
                alive: true,
            });
            listeners.push(listener);
        }
        let cluster_id = format!("testkit-{:016x}", fastrand::u64(..));
        let connection_cuts = (0..self.brokers).map(|_| watch::channel(0u64).0).collect();
        // One SASL configuration for every listener: PBKDF2 runs here, once per SCRAM user.
        let sasl = (!settings.sasl_users.is_empty()).then(|| {
            let lifetime = u64::try_from(settings.sasl_session_lifetime_ms)
                .ok()
                .map(Duration::from_millis);
            Arc::new(SaslServerConfig::new(
                settings.sasl_users.clone(),
                Vec::new(),
                lifetime,
            ))
        });
        let shared = Arc::new(Shared {
            state: std::sync::Mutex::new({
                let mut state = State::new(cluster_id, settings, brokers);
                state.txns.marker_delay = self.transaction_marker_delay;
                state
            }),
            appended: Notify::new(),
            connection_cuts,
            sasl,
            changed: tokio::sync::watch::Sender::new(0),
        });
        let mut runtimes = Vec::new();
        for (i, listener) in listeners.into_iter().enumerate() {
            runtimes.push(BrokerRuntime::spawn(
                shared.clone(),
                i as i32,
                listener,
                transport.clone(),
            ));
        }
        let ticker = {
            let shared = shared.clone();
            tokio::spawn(async move {
                // Group session and rebalance timeouts are checked ten times a second; they
                // are seconds long, so this is precise enough.
                // Transaction markers are written when due, however short the delay.
                let mut interval = tokio::time::interval(Duration::from_millis(100));
                let scheduled = shared.lock().txns.markers_scheduled.clone();
                loop {
                    let due = shared.lock().next_markers_due();
                    let markers_due = async {
                        match due {
                            Some(at) => tokio::time::sleep_until(at.into()).await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        _ = interval.tick() => {}
                        _ = scheduled.notified() => {}
                        _ = markers_due => {}
                    }
                    let wrote_markers = shared.lock().tick(std::time::Instant::now());
                    if wrote_markers {
                        shared.appended.notify_waiters();
                    }
                    shared.touch();
                }
            })
        };
        let cluster = Cluster {
            shared,
            brokers: std::sync::Mutex::new(runtimes),
            ticker,
            transport,
        };
        tracing::info!(bootstrap = %cluster.bootstrap(), "testkit cluster started");
        Ok(cluster)
    }
}

#[derive(Debug)]
struct BrokerRuntime {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl BrokerRuntime {
    fn spawn(shared: Arc<Shared>, node: i32, listener: TcpListener, transport: Transport) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(crate::server::serve(
            shared, node, listener, transport, stopped,
        ));
        BrokerRuntime { stop, task }
    }

    fn shut(&self) {
        let _ = self.stop.send(true);
    }
}

/// An in-memory Kafka cluster serving on loopback ports, for tests.
///
/// Dropping it stops every broker and closes every connection.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), kafkito_testkit::Error> {
/// let cluster = kafkito_testkit::Cluster::builder().brokers(3).build().await?;
/// let bootstrap = cluster.bootstrap(); // "127.0.0.1:port,127.0.0.1:port,127.0.0.1:port"
/// cluster.create_topic("orders", 3, 3)?;
/// assert_eq!(bootstrap.split(',').count(), 3);
/// assert_eq!(cluster.partition_count("orders"), Some(3));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Cluster {
    shared: Arc<Shared>,
    brokers: std::sync::Mutex<Vec<BrokerRuntime>>,
    ticker: JoinHandle<()>,
    /// Plain TCP or TLS, for every listener (a restarted broker too).
    transport: Transport,
}

impl Cluster {
    /// A builder with Kafka's defaults and 3 brokers.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::default()
    }

    /// `host:port` of every broker, comma-separated: a `bootstrap.servers` value.
    pub fn bootstrap(&self) -> String {
        let state = self.shared.lock();
        state
            .brokers
            .iter()
            .map(|b| format!("{}:{}", b.host, b.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `host:port` of one broker.
    pub fn broker_address(&self, node_id: i32) -> Option<String> {
        self.shared
            .lock()
            .broker(node_id)
            .map(|b| format!("{}:{}", b.host, b.port))
    }

    /// The cluster id Metadata and DescribeCluster report.
    pub fn cluster_id(&self) -> String {
        self.shared.lock().cluster_id.clone()
    }

    /// Creates a topic with `partitions` partitions of `replication_factor` replicas each.
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
    ) -> Result<(), Error> {
        self.create_topic_with_config(name, partitions, replication_factor, &[])
    }

    /// [`create_topic`](Self::create_topic) with topic configs, e.g.
    /// `("message.timestamp.type", "LogAppendTime")` or `("min.insync.replicas", "2")`.
    pub fn create_topic_with_config(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        config: &[(&str, &str)],
    ) -> Result<(), Error> {
        let topic_error = |code, message| Error::Topic {
            topic: name.to_owned(),
            code,
            message,
        };
        let config = TopicConfig::from_pairs(config.iter().map(|&(k, v)| (k, Some(v))))
            .map_err(|bad| topic_error(ErrorCode::InvalidConfig, bad))?;
        let created = self
            .shared
            .lock()
            .create_topic(name, partitions, replication_factor, None, config, false)
            .map(|_| ())
            .map_err(|e| topic_error(e.code, e.message));
        self.shared.touch();
        created
    }

    /// A watch on the cluster's state (logs, offsets, groups, transactions, leaders): it
    /// wakes after every request the cluster answers, every control call, and every tick of
    /// its timers (session and transaction timeouts, delayed markers; at least ten a second).
    /// Take it *before* looking at the state, then wait for the next change, so that a change
    /// between the look and the wait is not missed:
    ///
    /// ```no_run
    /// # async fn demo(cluster: kafkito_testkit::Cluster) {
    /// use std::time::{Duration, Instant};
    ///
    /// let mut changes = cluster.changes();
    /// let deadline = Instant::now() + Duration::from_secs(10);
    /// while cluster.committed_offset("billing", "orders", 0) != Some(100) {
    ///     assert!(changes.next(deadline).await, "the group never committed offset 100");
    /// }
    /// # }
    /// ```
    pub fn changes(&self) -> Changes {
        Changes(self.shared.changed.subscribe())
    }

    /// Number of partitions of a topic, if it exists.
    pub fn partition_count(&self, topic: &str) -> Option<usize> {
        self.shared
            .lock()
            .topics
            .get(topic)
            .map(|t| t.partitions.len())
    }

    /// Names of every topic.
    pub fn topics(&self) -> Vec<String> {
        self.shared.lock().topics.keys().cloned().collect()
    }

    /// The leader's node id and leader epoch of a partition (-1 as leader: none alive).
    pub fn leader(&self, topic: &str, partition: i32) -> Option<(i32, i32)> {
        let state = self.shared.lock();
        let p = state
            .topics
            .get(topic)?
            .partitions
            .get(usize::try_from(partition).ok()?)?;
        Some((p.leader, p.leader_epoch))
    }

    /// The in-sync replicas of a partition.
    pub fn isr(&self, topic: &str, partition: i32) -> Option<Vec<i32>> {
        let state = self.shared.lock();
        let p = state
            .topics
            .get(topic)?
            .partitions
            .get(usize::try_from(partition).ok()?)?;
        Some(p.isr.clone())
    }

    /// The log start offset and high watermark of a partition.
    pub fn offsets(&self, topic: &str, partition: i32) -> Option<(i64, i64)> {
        let state = self.shared.lock();
        let p = state
            .topics
            .get(topic)?
            .partitions
            .get(usize::try_from(partition).ok()?)?;
        Some((p.log.log_start_offset(), p.log.high_watermark()))
    }

    /// The last stable offset of a partition: where its oldest open transaction starts, or
    /// the high watermark when none is open.
    pub fn last_stable_offset(&self, topic: &str, partition: i32) -> Option<i64> {
        let state = self.shared.lock();
        let p = state
            .topics
            .get(topic)?
            .partitions
            .get(usize::try_from(partition).ok()?)?;
        Some(p.log.last_stable_offset())
    }

    /// A group's committed offset for a partition.
    pub fn committed_offset(&self, group: &str, topic: &str, partition: i32) -> Option<i64> {
        let state = self.shared.lock();
        state
            .groups
            .get(group)?
            .offsets
            .get(&(topic.to_owned(), partition))
            .map(|c| c.offset)
    }

    /// A group's state name (`Empty`, `PreparingRebalance`, `CompletingRebalance`, `Stable`),
    /// generation and member count.
    pub fn group(&self, group: &str) -> Option<(String, i32, usize)> {
        let state = self.shared.lock();
        if let Some(g) = state.groups.consumer.get(group) {
            // A KIP-848 group: its state (Empty, Assigning, Reconciling, Stable), group epoch
            // and member count.
            return Some((g.state_name().to_owned(), g.epoch, g.member_count()));
        }
        let g = state.groups.get(group)?;
        Some((
            g.state().name().to_owned(),
            g.generation(),
            g.member_count(),
        ))
    }

    /// Arms an injected error; the handle tells how often it fired.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), kafkito_testkit::Error> {
    /// use kafkito_testkit::{ApiKey, Cluster, ErrorCode, Fault};
    ///
    /// let cluster = Cluster::builder().brokers(1).build().await?;
    /// let fault =
    ///     cluster.inject(Fault::new(ApiKey::Produce, ErrorCode::NotEnoughReplicas).times(2));
    /// // ... produce through a client: its first two Produce partitions fail and are retried ...
    /// assert_eq!(fault.hits(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn inject(&self, fault: Fault) -> FaultHandle {
        self.shared.lock().faults.arm(fault)
    }

    /// Requests of `api` served by broker `node_id` so far.
    pub fn requests(&self, node_id: i32, api: ApiKey) -> u64 {
        self.shared
            .lock()
            .counters
            .get(&(node_id, api))
            .copied()
            .unwrap_or(0)
    }

    /// Every connection made to a SASL listener so far, in the order they were accepted, with
    /// how its authentication went: the numbers a KIP-368 test checks (re-authentications per
    /// connection, connections closed because their session expired).
    pub fn sasl_sessions(&self) -> Vec<SaslSession> {
        self.shared.lock().sasl_sessions.clone()
    }

    /// Requests of `api` served by every broker so far.
    pub fn total_requests(&self, api: ApiKey) -> u64 {
        self.shared
            .lock()
            .counters
            .iter()
            .filter(|((_, a), _)| *a == api)
            .map(|(_, n)| n)
            .sum()
    }

    /// Holds (`true`) or releases (`false`) transaction markers. While held, a transaction
    /// that EndTxn committed or aborted stays in PrepareCommit/PrepareAbort: its markers are
    /// not written (its records stay above the last stable offset) and InitProducerId,
    /// AddPartitionsToTxn and AddOffsetsToTxn for its transactional id are answered
    /// CONCURRENT_TRANSACTIONS. Releasing writes every held marker before it returns.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), kafkito_testkit::Error> {
    /// let cluster = kafkito_testkit::Cluster::builder().brokers(1).build().await?;
    /// cluster.hold_transaction_markers(true);
    /// // ... a transactional producer commits; its next transaction is refused for now ...
    /// cluster.hold_transaction_markers(false);
    /// assert_eq!(cluster.concurrent_transactions_answers(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn hold_transaction_markers(&self, hold: bool) {
        let wrote = {
            let mut state = self.shared.lock();
            state.txns.hold_markers = hold;
            // Every held transaction's markers, even those whose delay has not run out.
            let all_due = std::time::Instant::now() + state.txns.marker_delay;
            !hold && state.write_due_markers(all_due)
        };
        if wrote {
            self.shared.appended.notify_waiters();
        }
        self.shared.touch();
        tracing::debug!(hold, "transaction markers held");
    }

    /// How many InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn and EndTxn requests were
    /// answered CONCURRENT_TRANSACTIONS (markers not yet written) so far.
    pub fn concurrent_transactions_answers(&self) -> u64 {
        self.shared.lock().txns.concurrent_answers
    }

    /// Stops a broker: it closes its listener and every connection, leaves every ISR, and
    /// its partitions get new leaders (epoch bumped) among the live in-sync replicas. Its
    /// data is kept, as on a real disk.
    pub fn stop_broker(&self, node_id: i32) -> Result<(), Error> {
        let brokers = self.brokers.lock().unwrap_or_else(|p| p.into_inner());
        let runtime = brokers
            .get(usize::try_from(node_id).map_err(|_| Error::UnknownBroker(node_id))?)
            .ok_or(Error::UnknownBroker(node_id))?;
        self.shared.lock().broker_stopped(node_id);
        runtime.shut();
        // Wake parked fetches so they notice leadership moved.
        self.shared.appended.notify_waiters();
        self.shared.touch();
        tracing::info!(node_id, "broker stopped");
        Ok(())
    }

    /// Starts a stopped broker again on the same port, with the data it had.
    pub async fn start_broker(&self, node_id: i32) -> Result<(), Error> {
        let address = self
            .shared
            .lock()
            .broker(node_id)
            .map(|b| format!("{}:{}", b.host, b.port))
            .ok_or(Error::UnknownBroker(node_id))?;
        if let Some(old) = self
            .brokers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(node_id as usize)
        {
            old.shut();
        }
        // The old listener closes asynchronously: retry the bind briefly.
        let mut attempt = 0;
        let listener = loop {
            match TcpListener::bind(&address).await {
                Ok(l) => break l,
                Err(source) if attempt >= 50 => {
                    return Err(Error::Bind {
                        node_id,
                        address,
                        source,
                    })
                }
                Err(_) => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        let runtime = BrokerRuntime::spawn(
            self.shared.clone(),
            node_id,
            listener,
            self.transport.clone(),
        );
        self.brokers.lock().unwrap_or_else(|p| p.into_inner())[node_id as usize] = runtime;
        self.shared.lock().broker_started(node_id);
        self.shared.touch();
        tracing::info!(node_id, "broker started");
        Ok(())
    }

    /// Closes every open connection of broker `node_id` at once (mid-request ones included),
    /// as a network failure would; the broker keeps serving new connections.
    pub fn drop_connections(&self, node_id: i32) -> Result<(), Error> {
        let cut = usize::try_from(node_id)
            .ok()
            .and_then(|i| self.shared.connection_cuts.get(i))
            .ok_or(Error::UnknownBroker(node_id))?;
        cut.send_modify(|n| *n += 1);
        tracing::info!(node_id, "connections dropped");
        Ok(())
    }

    /// Delays every request of `api` by `delay` before it is handled (at `broker`, or at
    /// every broker when `None`); a zero delay removes it.
    pub fn set_latency(&self, api: ApiKey, broker: Option<i32>, delay: Duration) {
        self.shared.lock().faults.set_latency(api, broker, delay);
    }

    /// Sets a partition's in-sync replicas (the leader and some of its followers), as when
    /// followers fall behind: acks=all then needs `min.insync.replicas` of them.
    pub fn set_isr(&self, topic: &str, partition: i32, isr: &[i32]) -> Result<(), Error> {
        let set = self
            .shared
            .lock()
            .set_isr(topic, partition, isr)
            .map_err(Error::InvalidArgument);
        self.shared.touch();
        set
    }

    /// Moves the group or transaction coordinator for `key` to broker `node_id` (while it is
    /// alive): the old coordinator answers NOT_COORDINATOR and FindCoordinator names the new
    /// one. The group's state moves with it, as Kafka's does with `__consumer_offsets`.
    pub fn move_coordinator(&self, key: &str, node_id: i32) -> Result<(), Error> {
        let mut state = self.shared.lock();
        if state.broker(node_id).is_none() {
            return Err(Error::UnknownBroker(node_id));
        }
        state.coordinator_overrides.insert(key.to_owned(), node_id);
        drop(state);
        self.shared.touch();
        Ok(())
    }

    /// Moves a partition's leadership to `node_id` (which must be a live replica), bumping
    /// the leader epoch as a controller-driven election does. Returns the new epoch.
    pub fn move_leader(&self, topic: &str, partition: i32, node_id: i32) -> Result<i32, Error> {
        let epoch = self
            .shared
            .lock()
            .move_leader(topic, partition, node_id)
            .map_err(Error::InvalidArgument)?;
        self.shared.appended.notify_waiters();
        self.shared.touch();
        Ok(epoch)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.ticker.abort();
        for b in self
            .brokers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            b.shut();
            b.task.abort();
        }
    }
}

/// A subscription to a cluster's state changes, from [`Cluster::changes`].
#[derive(Debug)]
pub struct Changes(tokio::sync::watch::Receiver<u64>);

impl Changes {
    /// Waits until the state changes after the subscription or the previous call, or until
    /// `deadline`: `true` on a change, `false` when the deadline passed first or the cluster
    /// is gone (nothing will change any more).
    pub async fn next(&mut self, deadline: std::time::Instant) -> bool {
        matches!(
            tokio::time::timeout_at(deadline.into(), self.0.changed()).await,
            Ok(Ok(()))
        )
    }
}
