//! The broker pool: at most one [`Connection`] per broker, made when first needed, replaced
//! when it breaks, closed when idle.
//!
//! Separate from [`connection`](super::connection), which owns one socket and never
//! reconnects: the pool decides *which* socket a request goes to and *when* a new one may be
//! opened. Everything above it (metadata, admin, producer, consumer) asks the pool for "broker
//! 7" or "any broker" and never sees a socket being made.
//!
//! # Rules
//!
//! - **Keys.** A connection is keyed by broker id once metadata named the broker
//!   ([`BrokerPool::set_brokers`]), or by its `bootstrap.servers` address before that. The two
//!   are kept apart as the Java client does: a bootstrap address may be a load balancer that
//!   lands on any broker, so it is never taken for a particular broker id.
//! - **One connect attempt per key.** Each key has an async lock around its connection slot.
//!   The first caller that finds the slot empty (or holding a poisoned connection) connects
//!   while holding the lock; callers arriving meanwhile wait on the lock and then find the
//!   fresh connection, so a hundred callers cause one TCP connect, not a hundred.
//! - **Reconnect backoff.** A failed connect is recorded in a [`BackoffTracker`]
//!   (`reconnect.backoff.ms` doubling up to `reconnect.backoff.max.ms`, ±20% jitter). A caller
//!   asking for a broker that is backing off waits the rest of the delay (at most the max)
//!   before trying; a caller that waited on the lock behind a failed attempt gets that
//!   attempt's error instead of starting another one at once. A bootstrap pass skips addresses
//!   that are backing off.
//! - **Idle close.** A connection unused for `connections.max.idle.ms` is closed, by a
//!   background sweep and on access, so a broker's own idle timer never closes a connection
//!   under a request.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::task::AbortHandle;
use tracing::{debug, info, warn};

use crate::backoff::{BackoffTracker, ExponentialBackoff};
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::metrics::{ConnectionMetrics, ConnectionSensors};
use crate::net::connection::Connection;
use crate::net::transport::Connector;

/// The longest pause between two idle sweeps.
const MAX_SWEEP_INTERVAL: Duration = Duration::from_secs(30);

/// What a pooled connection is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BrokerKey {
    /// A broker that metadata named, by id.
    Id(i32),
    /// An entry of `bootstrap.servers`, by address.
    Bootstrap(String),
}

impl fmt::Display for BrokerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BrokerKey::Id(id) => write!(f, "broker {id}"),
            BrokerKey::Bootstrap(address) => write!(f, "bootstrap {address}"),
        }
    }
}

/// One connection per broker, shared by every client built on the pool. Cloning is cheap.
///
/// ```no_run
/// # async fn demo() -> kafkito::Result<()> {
/// use kafkito::net::pool::BrokerPool;
/// use kafkito::protocol::messages::MetadataRequest;
/// use kafkito::ClientConfig;
///
/// let config = ClientConfig::builder().bootstrap_servers(["127.0.0.1:9092"]).build()?;
/// let pool = BrokerPool::new(config)?;
/// // Any broker that answers: first a bootstrap address, later a known broker.
/// let (_key, connection) = pool.any_connection().await?;
/// let metadata = connection.send(&MetadataRequest::default()).await?;
/// pool.set_brokers(metadata.brokers.iter().map(|b| (b.node_id, format!("{}:{}", b.host, b.port))));
/// let broker = pool.connection(metadata.brokers[0].node_id).await?;
/// # let _ = broker; Ok(()) }
/// ```
#[derive(Clone)]
pub struct BrokerPool {
    inner: Arc<PoolInner>,
    /// Stops the idle sweep when the last handle goes.
    _sweeper: Arc<AbortOnDrop>,
}

impl fmt::Debug for BrokerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("BrokerPool")
            .field("brokers", &state.addresses)
            .field("slots", &state.slots.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Aborts a background task when dropped.
#[derive(Debug)]
pub(crate) struct AbortOnDrop(pub(crate) AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct PoolInner {
    connector: Connector,
    config: ClientConfig,
    state: Mutex<PoolState>,
}

struct PoolState {
    /// Broker id → `host:port`, from the latest metadata.
    addresses: HashMap<i32, String>,
    slots: HashMap<BrokerKey, Arc<Slot>>,
    backoff: BackoffTracker<BrokerKey>,
    /// The last error connecting to each key, handed to callers that find it backing off.
    last_errors: HashMap<BrokerKey, Error>,
    /// The key that last gave a working connection: the first choice for "any broker".
    last_good: Option<BrokerKey>,
    closed: bool,
}

/// The connection of one key, behind the lock that serialises connect attempts.
#[derive(Default)]
struct Slot {
    connection: tokio::sync::Mutex<Option<Connection>>,
    /// A copy of the connection, readable without waiting for the async lock (for "is there a
    /// live connection already?" and the idle sweep).
    current: Mutex<Option<Connection>>,
    /// Bumped by each connect attempt, so a waiter can tell that an attempt ran while it
    /// waited.
    attempts: Mutex<u64>,
}

impl Slot {
    fn current(&self) -> Option<Connection> {
        lock(&self.current).clone()
    }

    fn live(&self) -> Option<Connection> {
        self.current().filter(|c| !c.is_poisoned())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // No code panics while holding these locks; recover the data if something ever did.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl PoolInner {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        lock(&self.state)
    }
}

impl BrokerPool {
    /// A pool for the brokers of `config` (validated first). Connects nothing yet. Must be
    /// called within a Tokio runtime: it spawns the idle sweep.
    pub fn new(config: ClientConfig) -> Result<BrokerPool> {
        config.validate()?;
        let connector = Connector::new(&config)?;
        let backoff = BackoffTracker::new(ExponentialBackoff::reconnect(&config));
        let inner = Arc::new(PoolInner {
            connector,
            config,
            state: Mutex::new(PoolState {
                addresses: HashMap::new(),
                slots: HashMap::new(),
                backoff,
                last_errors: HashMap::new(),
                last_good: None,
                closed: false,
            }),
        });
        let sweeper = tokio::spawn(sweep_idle(Arc::downgrade(&inner)));
        Ok(BrokerPool {
            inner,
            _sweeper: Arc::new(AbortOnDrop(sweeper.abort_handle())),
        })
    }

    /// The client settings the pool connects with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// A snapshot of what the pool's connections (and those of connectors sharing its
    /// sensors, such as a consumer group's coordinator link) counted.
    ///
    /// ```no_run
    /// # async fn demo() -> kafkito::Result<()> {
    /// use kafkito::net::pool::BrokerPool;
    /// use kafkito::ClientConfig;
    ///
    /// let pool = BrokerPool::new(ClientConfig::builder().bootstrap_servers(["127.0.0.1:9092"]).build()?)?;
    /// pool.any_connection().await?;
    /// assert_eq!(pool.connection_metrics().connection_creation_total, 1);
    /// # Ok(()) }
    /// ```
    pub fn connection_metrics(&self) -> ConnectionMetrics {
        self.inner.connector.sensors().snapshot()
    }

    /// The sensors the pool's connections count in, for other connectors of the same client.
    pub(crate) fn connection_sensors(&self) -> &Arc<ConnectionSensors> {
        self.inner.connector.sensors()
    }

    /// Records the brokers metadata named, as `(id, host:port)`. A broker whose address changed
    /// or that is gone has its connection closed; its backoff is forgotten.
    pub fn set_brokers(&self, brokers: impl IntoIterator<Item = (i32, String)>) {
        let addresses: HashMap<i32, String> = brokers.into_iter().collect();
        let mut dropped = Vec::new();
        {
            let mut state = self.inner.lock();
            for (id, old) in &state.addresses {
                if addresses.get(id) != Some(old) {
                    dropped.push(BrokerKey::Id(*id));
                }
            }
            for key in &dropped {
                if let Some(slot) = state.slots.remove(key) {
                    if let Some(connection) = slot.current() {
                        info!(broker = %key, address = connection.broker(), "broker moved or left the cluster: closing its connection");
                        connection.close();
                    }
                }
                state.last_errors.remove(key);
            }
            state.backoff.retain(|key| match key {
                BrokerKey::Id(id) => addresses.contains_key(id),
                BrokerKey::Bootstrap(_) => true,
            });
            state.addresses = addresses;
        }
    }

    /// The address of broker `id`, if metadata named it.
    pub fn address_of(&self, id: i32) -> Option<String> {
        self.inner.lock().addresses.get(&id).cloned()
    }

    /// The connection to broker `id`, connecting (after any reconnect backoff) when there is
    /// none or it broke. The broker must be known from metadata.
    pub async fn connection(&self, id: i32) -> Result<Connection> {
        let address = self
            .address_of(id)
            .ok_or_else(|| Error::NoBrokerAvailable {
                tried: format!("broker {id}"),
                last_error: "the broker is not in the cluster metadata".into(),
            })?;
        self.get(BrokerKey::Id(id), &address, true).await
    }

    /// A connection to the first `bootstrap.servers` entry that answers, trying them in order
    /// (an existing live one first). Addresses backing off after a failure are skipped.
    ///
    /// Fails with [`Error::NoBrokerAvailable`] listing what was tried and the last error.
    pub async fn bootstrap_connection(&self) -> Result<(BrokerKey, Connection)> {
        let servers = self.inner.config.bootstrap_servers.clone();
        for address in &servers {
            let key = BrokerKey::Bootstrap(address.clone());
            if let Some(connection) = self.live(&key) {
                return Ok((key, connection));
            }
        }
        let mut tried = Vec::new();
        let mut last_error = None;
        for address in &servers {
            let key = BrokerKey::Bootstrap(address.clone());
            let now = Instant::now();
            let remaining = self.inner.lock().backoff.remaining(&key, now);
            if !remaining.is_zero() {
                tried.push(format!("{address} (backing off {remaining:?})"));
                last_error =
                    last_error.or_else(|| self.inner.lock().last_errors.get(&key).cloned());
                continue;
            }
            tried.push(address.clone());
            match self.get(key.clone(), address, false).await {
                Ok(connection) => return Ok((key, connection)),
                Err(error) if is_connect_failure(&error) => last_error = Some(error),
                // Bad credentials or TLS trust fail the same way on every broker.
                Err(error) => return Err(error),
            }
        }
        Err(Error::NoBrokerAvailable {
            tried: tried.join(", "),
            last_error: last_error
                .map_or_else(|| "no address could be tried".into(), |e| e.to_string()),
        })
    }

    /// A connection to any broker, for requests any broker answers (Metadata, FindCoordinator,
    /// DescribeCluster). In order of preference: the broker that last answered, the least
    /// loaded live connection to a known broker, a new connection to a known broker, a
    /// bootstrap address.
    pub async fn any_connection(&self) -> Result<(BrokerKey, Connection)> {
        let (last_good, live, known) = {
            let state = self.inner.lock();
            let live: Vec<(BrokerKey, Connection)> = state
                .slots
                .iter()
                .filter(|(key, _)| match key {
                    BrokerKey::Id(id) => state.addresses.contains_key(id),
                    BrokerKey::Bootstrap(_) => true,
                })
                .filter_map(|(key, slot)| slot.live().map(|c| (key.clone(), c)))
                .collect();
            let now = Instant::now();
            let mut known: Vec<(i32, String)> = state
                .addresses
                .iter()
                .filter(|(id, _)| state.backoff.is_ready(&BrokerKey::Id(**id), now))
                .map(|(id, address)| (*id, address.clone()))
                .collect();
            known.sort();
            (state.last_good.clone(), live, known)
        };
        if let Some(key) = last_good {
            if let Some((_, connection)) = live.iter().find(|(k, _)| *k == key) {
                return Ok((key, connection.clone()));
            }
        }
        if let Some((key, connection)) = live.into_iter().min_by_key(|(_, c)| c.in_flight()) {
            return Ok((key, connection));
        }
        let mut first_error = None;
        for (id, address) in known {
            match self.get(BrokerKey::Id(id), &address, false).await {
                Ok(connection) => return Ok((BrokerKey::Id(id), connection)),
                Err(error) if is_connect_failure(&error) => {
                    first_error.get_or_insert(error);
                }
                Err(error) => return Err(error),
            }
        }
        match self.bootstrap_connection().await {
            Ok(found) => Ok(found),
            Err(Error::NoBrokerAvailable { tried, last_error }) if first_error.is_some() => {
                Err(Error::NoBrokerAvailable {
                    tried: format!("the known brokers, {tried}"),
                    last_error: format!("{last_error}; first failure: {}", first_error.unwrap()),
                })
            }
            Err(error) => Err(error),
        }
    }

    /// Tells the pool that a request on the connection of `key` failed with `error`; a
    /// broken connection is dropped so the next caller reconnects.
    pub fn report_failure(&self, key: &BrokerKey, error: &Error) {
        if !is_connect_failure(error) {
            return;
        }
        let mut state = self.inner.lock();
        if state.last_good.as_ref() == Some(key) {
            state.last_good = None;
        }
    }

    /// Closes every connection; later calls fail with [`Error::Closed`].
    pub fn close(&self) {
        let slots: Vec<_> = {
            let mut state = self.inner.lock();
            state.closed = true;
            state.slots.drain().collect()
        };
        for (key, slot) in slots {
            if let Some(connection) = slot.current() {
                debug!(broker = %key, "closing connection: pool closed");
                connection.close();
            }
        }
    }

    /// Closes connections unused for `connections.max.idle.ms` and forgets broken ones;
    /// returns how many were closed. The background sweep calls it; exposed for tests.
    pub fn close_idle(&self) -> usize {
        close_idle(&self.inner)
    }

    /// The keys with a live (not poisoned) connection.
    pub fn live_connections(&self) -> Vec<BrokerKey> {
        let state = self.inner.lock();
        let mut keys: Vec<_> = state
            .slots
            .iter()
            .filter(|(_, slot)| slot.live().is_some())
            .map(|(key, _)| key.clone())
            .collect();
        keys.sort();
        keys
    }

    fn live(&self, key: &BrokerKey) -> Option<Connection> {
        let slot = self.inner.lock().slots.get(key).cloned()?;
        slot.live()
    }

    /// The connection of `key` at `address`: the current one if it is live and not idle for
    /// too long, else a new one. `wait_backoff`: wait out a reconnect backoff rather than fail.
    async fn get(&self, key: BrokerKey, address: &str, wait_backoff: bool) -> Result<Connection> {
        let slot = {
            let mut state = self.inner.lock();
            if state.closed {
                return Err(Error::Closed);
            }
            state.slots.entry(key.clone()).or_default().clone()
        };
        // Fast path: no need to queue behind a connect attempt for a live connection.
        if let Some(connection) = slot.live() {
            if connection.idle_for() < self.inner.config.connections_max_idle {
                return Ok(connection);
            }
        }
        let attempts_before = *lock(&slot.attempts);
        let mut guard = slot.connection.lock().await;
        let mut previous = None;
        if let Some(connection) = guard.as_ref() {
            if connection.is_poisoned() {
                previous = connection.poisoned_by();
            } else if connection.idle_for() >= self.inner.config.connections_max_idle {
                info!(broker = %key, address, idle_ms = connection.idle_for().as_millis() as u64, "closing idle connection");
                connection.close();
            } else {
                return Ok(connection.clone());
            }
        }
        // Someone else tried while we waited for the lock, and failed: share their outcome
        // rather than hammering the broker with our own attempt.
        if *lock(&slot.attempts) != attempts_before {
            if let Some(error) = self.inner.lock().last_errors.get(&key).cloned() {
                return Err(error);
            }
        }
        let remaining = self.inner.lock().backoff.remaining(&key, Instant::now());
        if !remaining.is_zero() {
            if !wait_backoff {
                let last = self.inner.lock().last_errors.get(&key).cloned();
                return Err(last.unwrap_or_else(|| Error::NoBrokerAvailable {
                    tried: format!("{key} at {address}"),
                    last_error: format!("reconnect backoff for {remaining:?}"),
                }));
            }
            debug!(broker = %key, address, wait_ms = remaining.as_millis() as u64, "waiting for reconnect backoff");
            tokio::time::sleep(remaining).await;
        }
        *lock(&slot.attempts) += 1;
        let attempt = self.inner.lock().backoff.failures(&key);
        match &previous {
            Some(reason) => {
                info!(broker = %key, address, %reason, attempt, "reconnecting to broker")
            }
            None => debug!(broker = %key, address, attempt, "connecting to broker"),
        }
        match self.inner.connector.connect(address).await {
            Ok(connection) => {
                *guard = Some(connection.clone());
                *lock(&slot.current) = Some(connection.clone());
                let mut state = self.inner.lock();
                state.backoff.record_success(&key);
                state.last_errors.remove(&key);
                state.last_good = Some(key);
                Ok(connection)
            }
            Err(error) => {
                *guard = None;
                *lock(&slot.current) = None;
                let mut state = self.inner.lock();
                let delay = state.backoff.record_failure(key.clone(), Instant::now());
                warn!(broker = %key, address, %error, backoff_ms = delay.as_millis() as u64, "connecting to broker failed");
                state.last_errors.insert(key.clone(), error.clone());
                if state.last_good.as_ref() == Some(&key) {
                    state.last_good = None;
                }
                Err(error)
            }
        }
    }
}

/// Whether `error` is about reaching the broker (so another broker, or later, may work), as
/// opposed to a setting that fails everywhere (credentials, TLS trust, config).
fn is_connect_failure(error: &Error) -> bool {
    // A garbled answer is this broker's (or the path to it), so another may do better.
    error.is_transport() || matches!(error, Error::Malformed { .. })
}

fn close_idle(inner: &PoolInner) -> usize {
    let max_idle = inner.config.connections_max_idle;
    let mut closed = 0;
    let state = inner.lock();
    for (key, slot) in &state.slots {
        let mut current = lock(&slot.current);
        let Some(connection) = current.as_ref() else {
            continue;
        };
        if connection.is_poisoned() {
            // Keep it in the async slot (the next caller logs the reconnect with its reason);
            // only the copy goes, so "any broker" stops offering it.
            *current = None;
        } else if connection.idle_for() >= max_idle {
            info!(broker = %key, address = connection.broker(), idle_ms = connection.idle_for().as_millis() as u64, "closing idle connection");
            connection.close();
            *current = None;
            closed += 1;
        }
    }
    closed
}

async fn sweep_idle(inner: Weak<PoolInner>) {
    let interval = match inner.upgrade() {
        Some(inner) => (inner.config.connections_max_idle / 2)
            .clamp(Duration::from_millis(10), MAX_SWEEP_INTERVAL),
        None => return,
    };
    loop {
        tokio::time::sleep(interval).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        close_idle(&inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    use kafkito_protocol::messages::ApiKey;

    use crate::test_support::{FakeBroker, Reply};

    /// A fake broker that answers ApiVersions on every connection and counts connections.
    async fn fake_broker() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        let broker = FakeBroker::start(&[(ApiKey::Metadata, 12)], |_, _| Reply::Unhandled).await;
        (broker.address(), broker.accepted())
    }

    /// An address nothing listens on.
    async fn dead_address() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        drop(listener);
        address
    }

    fn config(servers: &[&str]) -> ClientConfig {
        ClientConfig::builder()
            .bootstrap_servers(servers.iter().copied())
            .reconnect_backoff(Duration::from_millis(20))
            .reconnect_backoff_max(Duration::from_millis(200))
            .socket_connection_setup_timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn bootstrap_tries_each_server_in_order() {
        let dead = dead_address().await;
        let (alive, _) = fake_broker().await;
        let pool = BrokerPool::new(config(&[&dead, &alive])).unwrap();
        let (key, connection) = pool.bootstrap_connection().await.unwrap();
        assert_eq!(key, BrokerKey::Bootstrap(alive.clone()));
        assert_eq!(connection.broker(), alive);
        // The live one is reused, and the dead one is not tried again.
        let (again, _) = pool.bootstrap_connection().await.unwrap();
        assert_eq!(again, key);
    }

    #[tokio::test]
    async fn no_broker_available_lists_what_was_tried() {
        let a = dead_address().await;
        let b = dead_address().await;
        let pool = BrokerPool::new(config(&[&a, &b])).unwrap();
        let error = pool.bootstrap_connection().await.unwrap_err();
        match &error {
            Error::NoBrokerAvailable { tried, last_error } => {
                assert!(tried.contains(&a) && tried.contains(&b), "{tried}");
                assert!(!last_error.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(error.is_retriable());
        // Right after, both are backing off: said so, without connecting again.
        let error = pool.bootstrap_connection().await.unwrap_err();
        assert!(error.to_string().contains("backing off"), "{error}");
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_connect() {
        let (address, accepted) = fake_broker().await;
        let pool = BrokerPool::new(config(&[&address])).unwrap();
        pool.set_brokers([(1, address.clone())]);
        let calls: Vec<_> = (0..20)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.connection(1).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(pool.live_connections(), [BrokerKey::Id(1)]);
    }

    #[tokio::test]
    async fn poisoned_connections_are_replaced() {
        let (address, accepted) = fake_broker().await;
        let pool = BrokerPool::new(config(&[&address])).unwrap();
        pool.set_brokers([(1, address.clone())]);
        let first = pool.connection(1).await.unwrap();
        first.close();
        assert!(pool.live_connections().is_empty());
        let second = pool.connection(1).await.unwrap();
        assert!(!second.is_poisoned());
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn reconnects_back_off_and_waiters_share_the_failure() {
        let dead = dead_address().await;
        let pool = BrokerPool::new(config(&[&dead])).unwrap();
        pool.set_brokers([(1, dead.clone())]);
        let started = Instant::now();
        assert!(pool.connection(1).await.is_err());
        assert!(pool.connection(1).await.is_err());
        // The second attempt waited the first backoff (20 ms ± 20%).
        assert!(started.elapsed() >= Duration::from_millis(16));
        assert_eq!(pool.inner.lock().backoff.failures(&BrokerKey::Id(1)), 2);
        // A broker that left the metadata is forgotten, backoff included.
        pool.set_brokers([]);
        assert_eq!(pool.inner.lock().backoff.failures(&BrokerKey::Id(1)), 0);
        assert!(matches!(
            pool.connection(1).await,
            Err(Error::NoBrokerAvailable { .. })
        ));
    }

    #[tokio::test]
    async fn idle_connections_are_closed() {
        let (address, _) = fake_broker().await;
        let config = ClientConfig {
            connections_max_idle: Duration::from_millis(50),
            ..config(&[&address])
        };
        let pool = BrokerPool::new(config).unwrap();
        let (_, connection) = pool.any_connection().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        // The background sweep closed it.
        assert!(connection.is_poisoned());
        assert!(pool.live_connections().is_empty());
        let m = pool.connection_metrics();
        assert_eq!(
            (
                m.connection_creation_total,
                m.connection_close_total,
                m.connection_count
            ),
            (1, 1, 0)
        );
        let (_, again) = pool.any_connection().await.unwrap();
        assert!(!again.is_poisoned());
        pool.close();
        assert!(again.is_poisoned());
        assert!(matches!(pool.any_connection().await, Err(Error::Closed)));
        let m = pool.connection_metrics();
        assert_eq!(
            (
                m.connection_creation_total,
                m.connection_close_total,
                m.connection_count
            ),
            (2, 2, 0)
        );
        // The handshake's ApiVersions, each answered, on both connections.
        assert!(
            m.request_total >= 2 && m.request_total == m.response_total,
            "{m:?}"
        );
        assert!(m.outgoing_byte_total > 2 * 4 && m.incoming_byte_total > 2 * 4);
    }
}
