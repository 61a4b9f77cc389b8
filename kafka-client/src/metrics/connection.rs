//! Connection metrics: one [`ConnectionSensors`] per client, shared by every connection its
//! [`BrokerPool`](crate::net::pool::BrokerPool) (and its group coordinator link) opens.

use super::sensor::Counter;

/// What the connections of one client count: updated by the socket tasks (a frame written or
/// read), the handshake (SASL outcomes) and the poisoning of a connection (its close).
#[derive(Debug, Default)]
pub(crate) struct ConnectionSensors {
    pub created: Counter,
    pub closed: Counter,
    pub requests: Counter,
    pub responses: Counter,
    pub bytes_out: Counter,
    pub bytes_in: Counter,
    pub authentications: Counter,
    pub failed_authentications: Counter,
    pub reauthentications: Counter,
    pub failed_reauthentications: Counter,
}

impl ConnectionSensors {
    /// The totals now.
    pub fn snapshot(&self) -> ConnectionMetrics {
        let created = self.created.get();
        let closed = self.closed.get();
        ConnectionMetrics {
            connection_count: created.saturating_sub(closed),
            connection_creation_total: created,
            connection_close_total: closed,
            request_total: self.requests.get(),
            response_total: self.responses.get(),
            outgoing_byte_total: self.bytes_out.get(),
            incoming_byte_total: self.bytes_in.get(),
            successful_authentication_total: self.authentications.get(),
            failed_authentication_total: self.failed_authentications.get(),
            successful_reauthentication_total: self.reauthentications.get(),
            failed_reauthentication_total: self.failed_reauthentications.get(),
        }
    }
}

/// A snapshot of a client's connections to the brokers (Java's connection metrics of the
/// `producer-metrics`, `consumer-metrics` and `admin-client-metrics` groups). Every field is a
/// total since the client started, except `connection_count`.
///
/// ```no_run
/// # async fn demo(producer: kafkito::Producer) {
/// let connections = producer.metrics().connections;
/// println!(
///     "{} open, {} opened, {} requests, {} bytes out",
///     connections.connection_count,
///     connections.connection_creation_total,
///     connections.request_total,
///     connections.outgoing_byte_total,
/// );
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionMetrics {
    /// `connection-count`: connections open now (opened and not yet closed or broken).
    pub connection_count: u64,
    /// `connection-creation-total`: connections opened (TCP, and TLS when configured, done).
    pub connection_creation_total: u64,
    /// `connection-close-total`: connections closed, by the client or because they broke.
    pub connection_close_total: u64,
    /// `request-total`: requests written to the sockets, handshake requests included.
    pub request_total: u64,
    /// `response-total`: responses read from the sockets.
    pub response_total: u64,
    /// `outgoing-byte-total`: bytes written to the sockets (request frames with their size
    /// prefixes; TLS overhead not counted).
    pub outgoing_byte_total: u64,
    /// `incoming-byte-total`: bytes read from the sockets (response frames with their size
    /// prefixes; TLS overhead not counted).
    pub incoming_byte_total: u64,
    /// `successful-authentication-total`: SASL authentications that succeeded.
    pub successful_authentication_total: u64,
    /// `failed-authentication-total`: SASL authentications that failed.
    pub failed_authentication_total: u64,
    /// `successful-reauthentication-total`: SASL re-authentications (KIP-368) that succeeded.
    pub successful_reauthentication_total: u64,
    /// `failed-reauthentication-total`: SASL re-authentications that failed (the connection is
    /// closed).
    pub failed_reauthentication_total: u64,
}
