//! KIP-368 re-authentication: a broker with `connections.max.reauth.ms` (or an OAuth token
//! that expires) announces a SASL session lifetime in its SaslAuthenticate (v1+) response and
//! closes the connection at the first request after the session ends. So, like Java's
//! `KafkaChannel` / `SaslClientAuthenticator`, each connection re-authenticates in place
//! before then.
//!
//! Separate from [`handshake`], which holds the SASL conversation
//! itself, and from [`connection`](crate::net::connection), which only moves frames: this
//! module decides *when*, and how the connection's other traffic waits meanwhile.
//!
//! # What happens
//!
//! 1. After a successful authentication with lifetime `L`, a task per connection sleeps until
//!    a point between 85% and 95% of `L` after it ([`reauthentication_point`]): Java's
//!    margin for latency and clock drift, plus jitter so that connections made together do
//!    not all re-authenticate together.
//! 2. It closes the connection's gate: requests issued from then on wait (within their own
//!    deadline) instead of being sent. Requests already sent stay in flight; Kafka answers a
//!    connection's requests in order, so their responses come before the SaslHandshake's.
//! 3. It runs SaslHandshake and SaslAuthenticate again (same mechanism, fresh credentials: a
//!    new token for OAUTHBEARER), without ApiVersions, and opens the gate: the waiting
//!    requests go out in the order they arrived.
//! 4. The new lifetime schedules the next round. A failure poisons the connection with the
//!    error (as Java closes the channel), so every waiting request fails with it and the pool
//!    reconnects.
//!
//! A broker that announces no lifetime — including one whose SaslAuthenticate is v0 only,
//! which cannot — gets no task and no re-authentication.

use std::sync::Weak;
use std::time::Duration;

use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::config::SaslConfig;
use crate::net::connection::{Connection, Inner};
use crate::net::handshake;

/// Java's share of the lifetime after which re-authentication starts, before jitter.
const REAUTH_AT: f64 = 0.85;
/// Java's jitter on top, spread uniformly.
const REAUTH_JITTER: f64 = 0.10;

/// When to re-authenticate a session of `lifetime` that began at `authenticated_at`:
/// `authenticated_at + lifetime × (0.85 + 0.10 × jitter)`, with `jitter` in `0.0..=1.0`
/// (clamped), as Java's `SaslClientAuthenticator` picks it.
///
/// ```
/// use std::time::Duration;
/// use kafkito::net::reauth::reauthentication_point;
/// use tokio::time::Instant;
///
/// let start = Instant::now();
/// let lifetime = Duration::from_secs(10);
/// assert_eq!(reauthentication_point(start, lifetime, 0.0), start + Duration::from_millis(8_500));
/// assert_eq!(reauthentication_point(start, lifetime, 1.0), start + Duration::from_millis(9_500));
/// ```
pub fn reauthentication_point(
    authenticated_at: Instant,
    lifetime: Duration,
    jitter: f64,
) -> Instant {
    let share = REAUTH_AT + REAUTH_JITTER * jitter.clamp(0.0, 1.0);
    authenticated_at + lifetime.mul_f64(share)
}

/// The re-authentication task of one connection: holds only a weak reference while it sleeps,
/// so it never keeps a dropped connection open; the connection aborts it when dropped.
pub(crate) async fn run(
    connection: Weak<Inner>,
    sasl: SaslConfig,
    mut authenticated_at: Instant,
    mut lifetime: Duration,
) {
    loop {
        let at = reauthentication_point(authenticated_at, lifetime, fastrand::f64());
        tokio::time::sleep_until(at).await;
        let Some(inner) = connection.upgrade() else {
            return;
        };
        let connection = Connection::for_reauthentication(inner);
        if connection.is_poisoned() {
            return;
        }
        let Some(versions) = connection.api_versions() else {
            return;
        };
        let started = Instant::now();
        let result = {
            let _held_back = connection.hold_requests_back().await;
            debug!(
                broker = connection.broker(),
                waited_ms = started.elapsed().as_millis() as u64,
                "re-authenticating: new requests held back"
            );
            let result = handshake::reauthenticate(&connection, versions, &sasl).await;
            if let Err(error) = &result {
                // Poisoned before the gate opens, so no held-back request reaches the socket.
                connection.poison(error.clone());
            }
            result
        };
        match result {
            Ok(Some(next)) => {
                authenticated_at = Instant::now();
                lifetime = next;
                connection.set_session_expiry(Some(authenticated_at + lifetime));
                info!(
                    broker = connection.broker(),
                    duration_ms = started.elapsed().as_millis() as u64,
                    session_lifetime_ms = lifetime.as_millis() as u64,
                    "re-authenticated"
                );
            }
            Ok(None) => {
                // The broker no longer limits the session.
                connection.set_session_expiry(None);
                info!(
                    broker = connection.broker(),
                    "re-authenticated; the broker announces no session lifetime any more"
                );
                return;
            }
            Err(error) => {
                warn!(broker = connection.broker(), %error, "re-authentication failed; the connection is closed");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests;
