//! Getting a byte stream to a broker: DNS, TCP connect with a deadline, `TCP_NODELAY`, and TLS
//! on top when `security.protocol` asks for it.
//!
//! Separate from [`connection`](crate::net::connection) so that the demultiplexer never knows
//! whether it speaks TCP or TLS (tests hand it a plain socket), and from `net::tls`,
//! which decides what to trust.
//!
//! Connecting follows `client.dns.lookup=use_all_dns_ips`: a name is resolved, then each address
//! is tried in the resolver's order, each attempt bounded by
//! `socket.connection.setup.timeout.ms`, until one accepts. TLS then runs on that socket under
//! the same deadline; a TLS failure is not retried on the next address, because a certificate
//! problem is the same on every address.
//!
//! TLS is rustls with the `ring` crypto provider, which needs a C compiler to build; `net::tls`
//! explains why no provider without C was chosen. That is why TLS is behind the `tls` cargo
//! feature: without it the crate is pure Rust, [`Stream`] has no TLS variant, and
//! [`Connector::new`] rejects `security.protocol` `SSL` / `SASL_SSL` with [`Error::Config`].

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

#[cfg(feature = "tls")]
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tracing::{debug, debug_span, Instrument};

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::metrics::ConnectionSensors;
use crate::net::connection::Connection;
#[cfg(feature = "tls")]
use crate::net::tls;

/// Why `SSL` / `SASL_SSL` is refused by a build without the `tls` feature.
#[cfg(not(feature = "tls"))]
pub(crate) const NO_TLS_SUPPORT: &str =
    "this build has no TLS support: enable the `tls` feature of kafkito";

/// Opens transport streams to brokers with one configuration. Build it once and reuse it: it
/// reads the TLS files and builds the rustls configuration a single time (with the `tls`
/// feature).
///
/// ```no_run
/// # async fn demo() -> kafkito::Result<()> {
/// use kafkito::net::Connector;
/// use kafkito::ClientConfig;
///
/// let connector = Connector::new(&ClientConfig::default())?;
/// let connection = connector.connect("127.0.0.1:9092").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Connector {
    config: Arc<ClientConfig>,
    /// What the connections it makes count (shared by the clones, and by a pool's and its
    /// group link's connectors).
    sensors: Arc<ConnectionSensors>,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsConnector>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("security_protocol", &self.config.security_protocol)
            .field("tls", &self.uses_tls())
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// Prepares connections for `config`. Fails when the TLS settings are unusable (missing
    /// files, bad PEM, key not matching the certificate), or, in a build without the `tls`
    /// feature, when `security.protocol` asks for TLS at all.
    pub fn new(config: &ClientConfig) -> Result<Connector> {
        #[cfg(feature = "tls")]
        let tls = if config.security_protocol.uses_tls() {
            Some(tls::connector(&config.tls)?)
        } else {
            None
        };
        #[cfg(not(feature = "tls"))]
        if config.security_protocol.uses_tls() {
            // Refused here, before any connection, rather than by speaking plaintext to a TLS
            // listener and failing later with a confusing "malformed response".
            return Err(Error::config("security.protocol", NO_TLS_SUPPORT));
        }
        Ok(Connector {
            config: Arc::new(config.clone()),
            sensors: Arc::default(),
            #[cfg(feature = "tls")]
            tls,
        })
    }

    /// The configuration connections are made with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// This connector, counting its connections in `sensors` (a client's, shared with its
    /// other connectors).
    pub(crate) fn with_sensors(mut self, sensors: Arc<ConnectionSensors>) -> Connector {
        self.sensors = sensors;
        self
    }

    /// What its connections count.
    pub(crate) fn sensors(&self) -> &Arc<ConnectionSensors> {
        &self.sensors
    }

    /// Whether streams are TLS.
    #[cfg(feature = "tls")]
    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Whether streams are TLS: never in a build without the `tls` feature.
    #[cfg(not(feature = "tls"))]
    pub fn uses_tls(&self) -> bool {
        false
    }

    /// Connects to `broker` and prepares the connection for requests: transport, then the
    /// [handshake](crate::net::handshake) (ApiVersions, SASL).
    pub async fn connect(&self, broker: &str) -> Result<Connection> {
        Connection::connect_with(self, broker).await
    }

    /// Connects to `broker` (`host:port`, `[v6addr]:port`): TCP, then TLS if configured. No
    /// Kafka bytes are exchanged yet.
    pub async fn connect_stream(&self, broker: &str) -> Result<Stream> {
        let span = debug_span!("kafka.transport", broker, tls = self.uses_tls());
        self.connect_stream_inner(broker).instrument(span).await
    }

    async fn connect_stream_inner(&self, broker: &str) -> Result<Stream> {
        let started = Instant::now();
        let setup = self.config.socket_connection_setup_timeout;
        let io_error = |source: io::Error| Error::Io {
            broker: broker.to_owned(),
            source: Arc::new(source),
        };
        let addresses: Vec<SocketAddr> = match timeout(setup, tokio::net::lookup_host(broker)).await
        {
            Ok(Ok(addresses)) => addresses.collect(),
            Ok(Err(e)) => return Err(io_error(e)),
            Err(_) => {
                return Err(Error::Timeout {
                    what: format!("resolving {broker}"),
                    after: setup,
                })
            }
        };
        if addresses.is_empty() {
            return Err(io_error(io::Error::new(
                io::ErrorKind::NotFound,
                "the name resolved to no address",
            )));
        }

        let mut last_error = None;
        for address in addresses {
            let tcp = match timeout(setup, TcpStream::connect(address)).await {
                Ok(Ok(tcp)) => tcp,
                Ok(Err(e)) => {
                    debug!(%address, error = %e, "TCP connect failed");
                    last_error = Some(io_error(e));
                    continue;
                }
                Err(_) => {
                    debug!(%address, ?setup, "TCP connect timed out");
                    last_error = Some(Error::Timeout {
                        what: format!("TCP connect to {broker} ({address})"),
                        after: setup,
                    });
                    continue;
                }
            };
            // Requests are written whole by one writer; Nagle would only delay them.
            tcp.set_nodelay(true).map_err(io_error)?;
            #[cfg(not(feature = "tls"))]
            let stream = Stream::Plain(tcp);
            #[cfg(feature = "tls")]
            let stream = match &self.tls {
                None => Stream::Plain(tcp),
                Some(connector) => {
                    let server_name = server_name(broker)?;
                    let remaining = setup.saturating_sub(started.elapsed());
                    match timeout(remaining, connector.connect(server_name, tcp)).await {
                        Ok(Ok(tls)) => Stream::Tls(Box::new(tls)),
                        Ok(Err(e)) => return Err(tls::handshake_error(broker, &e)),
                        Err(_) => {
                            return Err(Error::Timeout {
                                what: format!(
                                    "TLS handshake with {broker} ({address}; no TLS answer: is \
                                     the listener plaintext?)"
                                ),
                                after: setup,
                            })
                        }
                    }
                }
            };
            debug!(%address, elapsed_ms = started.elapsed().as_millis() as u64, "connected");
            return Ok(stream);
        }
        Err(last_error.unwrap_or_else(|| io_error(io::ErrorKind::NotFound.into())))
    }
}

/// The TLS server name for `broker`: its host part, as a DNS name or an IP address.
#[cfg(feature = "tls")]
fn server_name(broker: &str) -> Result<ServerName<'static>> {
    let host = host_of(broker);
    ServerName::try_from(host.to_owned()).map_err(|e| Error::Tls {
        broker: broker.to_owned(),
        reason: format!("`{host}` is not a valid TLS server name: {e}"),
    })
}

/// The host part of `host:port` or `[v6]:port`.
#[cfg(feature = "tls")]
fn host_of(broker: &str) -> &str {
    let host = broker.rsplit_once(':').map_or(broker, |(host, _)| host);
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// A connected byte stream to a broker: plain TCP or TLS over TCP.
#[derive(Debug)]
pub enum Stream {
    /// `PLAINTEXT` / `SASL_PLAINTEXT`.
    Plain(TcpStream),
    /// `SSL` / `SASL_SSL` (with the `tls` feature).
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Stream {
    /// Whether the stream is TLS.
    pub fn is_tls(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            #[cfg(feature = "tls")]
            Stream::Tls(_) => true,
        }
    }

    /// The address actually connected to.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Stream::Plain(tcp) => tcp.peer_addr(),
            #[cfg(feature = "tls")]
            Stream::Tls(tls) => tls.get_ref().0.peer_addr(),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "tls")]
    #[test]
    fn host_parts() {
        assert_eq!(host_of("broker-1:9092"), "broker-1");
        assert_eq!(host_of("[::1]:9092"), "::1");
        assert_eq!(host_of("10.0.0.1:9093"), "10.0.0.1");
        assert!(matches!(
            server_name("[::1]:9092").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("kafka.example:9092").unwrap(),
            ServerName::DnsName(_)
        ));
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn tls_protocols_are_refused_without_the_tls_feature() {
        use crate::config::SecurityProtocol;
        for protocol in [SecurityProtocol::Ssl, SecurityProtocol::SaslSsl] {
            let config = ClientConfig {
                security_protocol: protocol,
                ..ClientConfig::default()
            };
            let err = Connector::new(&config).unwrap_err();
            match &err {
                Error::Config { key, reason } => {
                    assert_eq!(key, "security.protocol");
                    assert_eq!(
                        reason,
                        "this build has no TLS support: enable the `tls` feature of kafkito"
                    );
                }
                other => panic!("expected Error::Config, got {other:?}"),
            }
            assert!(!err.is_retriable());
        }
        // Plaintext and SASL over TCP need no TLS.
        for protocol in [SecurityProtocol::Plaintext, SecurityProtocol::SaslPlaintext] {
            let config = ClientConfig {
                security_protocol: protocol,
                ..ClientConfig::default()
            };
            assert!(!Connector::new(&config).unwrap().uses_tls());
        }
    }

    #[tokio::test]
    async fn refused_connection_is_a_retriable_io_error() {
        // Bind then drop to get a port that is very likely closed.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let connector = Connector::new(&ClientConfig::default()).unwrap();
        let err = connector
            .connect_stream(&format!("127.0.0.1:{port}"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        assert!(err.is_retriable());
    }

    #[tokio::test]
    // Without the `tls` feature `Plain` is the only variant, so the `if let` below always matches.
    #[allow(irrefutable_let_patterns)]
    async fn every_resolved_address_is_tried() {
        // `localhost` may resolve to ::1 first; only 127.0.0.1 listens. The connect must still
        // succeed by moving on to the next address.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connector = Connector::new(&ClientConfig::default()).unwrap();
        let stream = connector
            .connect_stream(&format!("localhost:{port}"))
            .await
            .unwrap();
        assert!(!stream.is_tls());
        assert_eq!(stream.peer_addr().unwrap().port(), port);
        if let Stream::Plain(tcp) = &stream {
            assert!(tcp.nodelay().unwrap());
        }
    }
}
