//! The group task's own connection to its coordinator, apart from the broker pool.
//!
//! Why not the pool's connection: the pool keeps one connection per broker, and a broker
//! answers one connection's requests strictly in order. The coordinator parks a JoinGroup until
//! every member has rejoined (seconds; up to the rebalance timeout on Kafka), so on the pooled
//! connection every Fetch, OffsetCommit and Metadata request to that broker would wait behind
//! it. Step by step, with cooperative-sticky on a single broker:
//!
//! 1. a second member joins; the first member's task sends JoinGroup on the pooled connection;
//! 2. the broker holds that JoinGroup until the second member has joined too (seconds) while
//!    the first member's unrevoked partitions should go on flowing;
//! 3. the consumer's next Fetch goes on the same connection and is answered only after the
//!    JoinGroup: no records for the whole join round;
//! 4. worse, if the round outlasts `request.timeout.ms`, the *Fetch* times out first, which
//!    poisons the shared connection, which fails the parked JoinGroup too: the member rejoins,
//!    and the same happens again, forever.
//!
//! So, as the Java client does, the group task talks to the coordinator on a dedicated
//! connection, made with the pool's settings (TLS and SASL included, through the same
//! [`Connector`]) and replaced when it breaks or the coordinator moves.

use std::sync::Arc;

use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::ErrorCode;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::{debug, info};

use crate::cluster::MetadataClient;
use crate::error::{Error, Result};
use crate::net::transport::Connector;
use crate::net::Connection;

/// A shared handle on the group task's coordinator connection. Cloning is cheap; the
/// sub-tasks that send group requests each hold a clone.
#[derive(Clone)]
pub(super) struct CoordinatorLink {
    metadata: MetadataClient,
    state: Arc<Mutex<LinkState>>,
}

impl std::fmt::Debug for CoordinatorLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoordinatorLink").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct LinkState {
    /// Made on first use from the pool's settings (reads the TLS files once).
    connector: Option<Connector>,
    /// The coordinator's id and the connection to it.
    current: Option<(i32, Connection)>,
    /// When the last connect attempt failed: the next one waits `reconnect.backoff.ms`.
    failed_at: Option<Instant>,
}

impl CoordinatorLink {
    /// A link that connects nothing yet.
    pub(super) fn new(metadata: MetadataClient) -> CoordinatorLink {
        CoordinatorLink {
            metadata,
            state: Arc::new(Mutex::new(LinkState::default())),
        }
    }

    /// The connection to `coordinator`, connecting when there is none, it broke, or it goes
    /// to another broker. Callers arriving during a connect wait for it and share it.
    pub(super) async fn connection(&self, coordinator: Option<i32>) -> Result<Connection> {
        let id = coordinator.ok_or_else(|| Error::Protocol {
            api: ApiKey::FindCoordinator,
            code: ErrorCode::CoordinatorNotAvailable,
            message: Some("the group coordinator is not known".into()),
        })?;
        let mut state = self.state.lock().await;
        let mut reason = None;
        if let Some((current_id, connection)) = &state.current {
            if *current_id == id && !connection.is_poisoned() {
                return Ok(connection.clone());
            }
            reason = connection.poisoned_by().map(|e| e.to_string());
            connection.close();
            state.current = None;
        }
        let pool = self.metadata.pool();
        let address = pool
            .address_of(id)
            .ok_or_else(|| Error::NoBrokerAvailable {
                tried: format!("group coordinator {id}"),
                last_error: "the broker is not in the cluster metadata".into(),
            })?;
        if let Some(failed_at) = state.failed_at {
            let wait = pool.config().reconnect_backoff;
            let since = failed_at.elapsed();
            if since < wait {
                tokio::time::sleep(wait - since).await;
            }
        }
        let connector = match state.connector.take() {
            Some(connector) => connector,
            // Counting in the pool's sensors: the consumer's connection metrics include it.
            None => Connector::new(pool.config())?.with_sensors(pool.connection_sensors().clone()),
        };
        let result = connector.connect(&address).await;
        state.connector = Some(connector);
        match result {
            Ok(connection) => {
                match reason {
                    Some(reason) => {
                        info!(coordinator = id, %address, %reason, "reconnected to the group coordinator")
                    }
                    None => {
                        debug!(coordinator = id, %address, "connected to the group coordinator")
                    }
                }
                state.failed_at = None;
                state.current = Some((id, connection.clone()));
                Ok(connection)
            }
            Err(error) => {
                debug!(coordinator = id, %address, %error, "connecting to the group coordinator failed");
                state.failed_at = Some(Instant::now());
                Err(error)
            }
        }
    }

    /// Closes the connection (the task is ending); a later call connects again.
    pub(super) fn close(&self) {
        if let Ok(mut state) = self.state.try_lock() {
            if let Some((_, connection)) = state.current.take() {
                connection.close();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;
    use crate::test_support::{FakeBroker, Reply};
    use kafkito_protocol::messages::ApiKey;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A fake broker that answers ApiVersions and counts connections.
    async fn fake_broker() -> (String, Arc<AtomicUsize>) {
        let broker = FakeBroker::start(&[(ApiKey::Heartbeat, 4)], |_, _| Reply::Unhandled).await;
        (broker.address(), broker.accepted())
    }

    #[tokio::test]
    async fn the_link_is_not_the_pooled_connection_and_reconnects_when_broken() {
        let (address, accepted) = fake_broker().await;
        let config = ClientConfig::builder()
            .bootstrap_servers([address.as_str()])
            .reconnect_backoff(Duration::from_millis(10))
            .build()
            .unwrap();
        let metadata = MetadataClient::from_config(config).unwrap();
        metadata.pool().set_brokers([(1, address.clone())]);
        let pooled = metadata.pool().connection(1).await.unwrap();
        let link = CoordinatorLink::new(metadata.clone());
        let first = link.connection(Some(1)).await.unwrap();
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            2,
            "a connection of its own"
        );
        // Reused while healthy.
        let again = link.connection(Some(1)).await.unwrap();
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
        drop(again);
        // Breaking it leaves the pool's connection alone, and the link reconnects.
        first.close();
        assert!(!pooled.is_poisoned());
        let second = link.connection(Some(1)).await.unwrap();
        assert!(!second.is_poisoned());
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
        // No coordinator known: a retriable error, no connect.
        let error = link.connection(None).await.unwrap_err();
        assert!(error.is_retriable(), "{error}");
        link.close();
        assert!(second.is_poisoned());
    }
}
