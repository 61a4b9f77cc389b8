//! One broker connection: many callers, one socket, responses matched by correlation id.
//!
//! This module owns the socket once it is connected, and nothing else: it does not know TLS
//! from TCP ([`transport`](crate::net::transport)), nor what the broker supports or how to log in
//! ([`handshake`]), nor when to reconnect (the pool). Inside it, `demux` keeps who waits for
//! which correlation id and the poisoning rules (the subtle part, readable and testable alone),
//! and `socket` holds the reader and writer tasks.
//!
//! # How a request travels
//!
//! ```text
//!  caller ──encode──▶ [in-flight slot] ──register id──▶ writer task ──whole frames──▶ socket
//!     ▲                                       │                                        │
//!     └───────────── oneshot ◀── pending map ─┴──◀── reader task ◀── split_frame ◀─────┘
//! ```
//!
//! 1. The caller encodes the whole frame (size, header, body) with a fresh correlation id,
//!    then waits for one of `max.in.flight.requests.per.connection` slots.
//! 2. It registers `id → (reply channel, slot)` in the pending map and hands the frame to the
//!    writer task, with no `.await` between the two steps: a caller cancelled at any `.await`
//!    either never registered or already queued a *whole* frame.
//! 3. Only the writer task writes, whole frames, so a dropped caller can never leave half a
//!    frame on the wire.
//! 4. The reader task splits frames with [`split_frame`](kafkito_protocol::frame::split_frame)
//!    (which rejects a size above `max_response_size` before buffering it), reads the
//!    correlation id and hands the frame to the registered caller. If that caller has gone
//!    away, the response is dropped quietly. The slot is released only then — when the
//!    broker has answered — so the broker never holds more than the configured number of our
//!    requests, even when callers give up.
//!
//! # Poisoning
//!
//! When the socket breaks (EOF, I/O error), a frame cannot be split (bad size prefix), a
//! response carries a correlation id no request awaits, or a response is overdue, the connection is *poisoned*: the first error is kept, every pending
//! request fails with a clone of it, every later request fails with it at once, and both tasks
//! stop, closing the socket. The pool notices with [`Connection::is_poisoned`] and reconnects.
//! A response *body* that fails to decode does not poison: the frame boundaries are intact,
//! so only that call fails with [`Error::Malformed`].
//!
//! # Timeouts: a stalled broker poisons the connection
//!
//! Each call has a deadline (`request.timeout.ms`, or the one given to
//! [`Connection::call_with_timeout`]) covering the wait for a slot and for the response.
//! Running out while waiting for a *slot* fails only that call: nothing was sent. Running out
//! while waiting for the *response* poisons the connection with the [`Error::Timeout`], as the
//! Java client and librdkafka do: Kafka answers a connection's requests in order, so every
//! later response is stuck behind the missing one, and the usual cause — a half-open TCP
//! connection or a wedged broker — is only cured by a new connection. Requests that may
//! legitimately take long (JoinGroup, a long-poll Fetch) must pass a longer deadline.
//!
//! # Re-authentication holds requests back
//!
//! When the broker announced a SASL session lifetime (KIP-368), a task re-authenticates the
//! connection before it ends ([`reauth`]). Every request passes a gate on its way to the
//! writer (before it takes an in-flight slot); the re-authentication closes the gate for the
//! length of its SaslHandshake and SaslAuthenticate exchange, so no other request is written
//! in between. Requests already written stay in flight and are answered first, because Kafka
//! answers a connection's requests in order; waiting at the gate counts against a request's
//! deadline like waiting for a slot, and fails only that request.

use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafkito_protocol::frame::{self, RequestFrame};
use kafkito_protocol::messages::{ApiKey, Request};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tracing::{debug, debug_span, field, info, info_span, warn, Instrument, Span};

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::metrics::ConnectionSensors;
use crate::net::handshake::{self, ApiVersions};
use crate::net::reauth;
use crate::net::transport::Connector;

mod demux;
mod socket;

use demux::{Demux, Pending};
use socket::{read_loop, write_loop};

/// Cap on the buffer a Produce frame is encoded into before its size is known (see
/// `Inner::produce_frame_hint`).
const MAX_FRAME_HINT: usize = 16 * 1024 * 1024;

/// Settings of one connection, taken from [`ClientConfig`] by [`ConnectionOptions::from_config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionOptions {
    /// `client.id`, sent in every request header.
    pub client_id: Option<String>,
    /// `request.timeout.ms`: default deadline of a call.
    pub request_timeout: Duration,
    /// `max.in.flight.requests.per.connection` (0 is treated as 1).
    pub max_in_flight: usize,
    /// Largest response frame accepted; a bigger size prefix poisons the connection.
    pub max_response_size: usize,
}

impl ConnectionOptions {
    /// The options `config` asks for.
    pub fn from_config(config: &ClientConfig) -> Self {
        ConnectionOptions {
            client_id: Some(config.client_id.clone()),
            request_timeout: config.request_timeout,
            max_in_flight: config.max_in_flight_requests_per_connection,
            max_response_size: config.max_response_size,
        }
    }
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        ConnectionOptions::from_config(&ClientConfig::default())
    }
}

/// A connection to one broker, shared by any number of callers. Cloning is cheap (an `Arc`);
/// the socket closes when the last clone is dropped or [`Connection::close`] is called.
///
/// ```no_run
/// # async fn demo() -> kafkito::Result<()> {
/// use kafkito::net::Connection;
/// use kafkito::protocol::messages::MetadataRequest;
/// use kafkito::ClientConfig;
///
/// let connection = Connection::connect("127.0.0.1:9092", &ClientConfig::default()).await?;
/// let metadata = connection.send(&MetadataRequest::default()).await?;
/// assert!(!metadata.brokers.is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
    /// Set on the handle the re-authentication task uses: its requests pass the gate that
    /// holds everyone else's back, take no in-flight slot and do not count as use.
    reauthenticating: bool,
}

pub(crate) struct Inner {
    broker: String,
    options: ConnectionOptions,
    slots: Arc<Semaphore>,
    outgoing: mpsc::UnboundedSender<Outgoing>,
    demux: Arc<Demux>,
    api_versions: OnceLock<ApiVersions>,
    /// When the broker ends the SASL session (KIP-368), if it announced a lifetime; moved on
    /// by each re-authentication.
    session_expires_at: Mutex<Option<Instant>>,
    /// Requests pass this gate (shared) on their way to the writer; a re-authentication holds
    /// it exclusively, so nothing else is sent between its SaslHandshake and its last
    /// SaslAuthenticate (see [`reauth`](crate::net::reauth)).
    gate: tokio::sync::RwLock<()>,
    /// The re-authentication task, stopped with the connection.
    reauth_task: Mutex<Option<AbortHandle>>,
    next_correlation_id: AtomicI32,
    /// Encoded size of the last Produce frame (without the record batches it references):
    /// the next one is encoded into a buffer of about that size, instead of one that doubles its way up (each step a realloc and a copy of a
    /// megabyte-sized request; callgrind put that at ~150 instructions a record).
    produce_frame_hint: AtomicUsize,
    started: Instant,
    /// Nanoseconds after `started` of the last request or response.
    last_used: AtomicU64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.reauth_task).take() {
            task.abort();
        }
        // The last handle is gone: stop both tasks so the socket closes now rather than when
        // the broker's idle timer fires.
        self.demux.shut(
            Error::ConnectionClosed {
                broker: self.broker.clone(),
                mid_frame: false,
            },
            "dropped",
        );
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("broker", &self.inner.broker)
            .field("poisoned", &self.poisoned_by())
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

/// A frame for the writer task.
struct Outgoing {
    frame: RequestFrame,
    /// `send_no_response` waits for this: the frame is on the socket.
    written: Option<oneshot::Sender<()>>,
    /// Held until written, for requests that get no response.
    _slot: Option<OwnedSemaphorePermit>,
}

impl Connection {
    /// Connects to `broker` (`host:port`) with `config`: TCP or TLS, then ApiVersions and,
    /// when configured, SASL. For many connections, build one [`Connector`] and use
    /// [`Connector::connect`], which reads the TLS files once.
    pub async fn connect(broker: &str, config: &ClientConfig) -> Result<Connection> {
        Connector::new(config)?.connect(broker).await
    }

    /// Connects through `connector` and runs the handshake. See [`Connection::connect`].
    pub async fn connect_with(connector: &Connector, broker: &str) -> Result<Connection> {
        let config = connector.config();
        let span = info_span!(
            "kafka.connect",
            broker,
            tls = connector.uses_tls(),
            sasl = config.sasl.as_ref().map(|s| s.mechanism.name()),
        );
        async {
            let started = Instant::now();
            let result = async {
                let stream = connector.connect_stream(broker).await?;
                let address = stream.peer_addr().ok();
                let options = ConnectionOptions::from_config(config);
                let connection =
                    Connection::start_counted(stream, broker, options, connector.sensors().clone());
                connection.handshake(config).await?;
                Ok((connection, address))
            }
            .await;
            let duration_ms = started.elapsed().as_millis() as u64;
            match result {
                Ok((connection, address)) => {
                    info!(address = ?address, duration_ms, "connected to broker");
                    Ok(connection)
                }
                Err(error) => {
                    debug!(%error, duration_ms, "connecting to broker failed");
                    Err(error)
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Starts a connection over an already connected `stream`, without any handshake (see
    /// [`Connection::handshake`]). Spawns the reader and writer tasks, so it must be called
    /// within a Tokio runtime.
    pub fn start<S>(stream: S, broker: impl Into<String>, options: ConnectionOptions) -> Connection
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        Connection::start_counted(stream, broker, options, Arc::default())
    }

    /// [`start`](Self::start), counting the connection, its frames and its bytes in `sensors`
    /// (its client's).
    pub(crate) fn start_counted<S>(
        stream: S,
        broker: impl Into<String>,
        options: ConnectionOptions,
        sensors: Arc<ConnectionSensors>,
    ) -> Connection
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let broker = broker.into();
        let (read_half, write_half) = tokio::io::split(stream);
        sensors.created.add(1);
        let demux = Arc::new(Demux {
            broker: broker.clone(),
            state: Mutex::default(),
            sensors,
        });
        let (outgoing, queue) = mpsc::unbounded_channel();
        let span = debug_span!(parent: None, "kafka.connection", broker = %broker);
        let reader = tokio::spawn(
            read_loop(read_half, demux.clone(), options.max_response_size).instrument(span.clone()),
        );
        let writer = tokio::spawn(write_loop(write_half, queue, demux.clone()).instrument(span));
        demux.set_tasks([reader.abort_handle(), writer.abort_handle()]);
        let started = Instant::now();
        Connection {
            reauthenticating: false,
            inner: Arc::new(Inner {
                broker,
                slots: Arc::new(Semaphore::new(options.max_in_flight.max(1))),
                options,
                outgoing,
                demux,
                api_versions: OnceLock::new(),
                session_expires_at: Mutex::new(None),
                gate: tokio::sync::RwLock::new(()),
                reauth_task: Mutex::new(None),
                next_correlation_id: AtomicI32::new(0),
                produce_frame_hint: AtomicUsize::new(0),
                started,
                last_used: AtomicU64::new(0),
            }),
        }
    }

    /// Runs ApiVersions and, when `config` asks for it, SASL on a connection made with
    /// [`Connection::start`]; then [`Connection::send`] picks versions. Called by
    /// [`Connection::connect`]. Running it twice is an error.
    pub async fn handshake(&self, config: &ClientConfig) -> Result<&ApiVersions> {
        let already_ran = || {
            Error::config(
                "security.protocol",
                "the handshake already ran on this connection",
            )
        };
        if self.inner.api_versions.get().is_some() {
            return Err(already_ran());
        }
        let outcome = handshake::handshake(self, config).await?;
        if !config.security_protocol.uses_sasl() {
            let mut state = self.inner.demux.lock();
            state.handshake_without_sasl = Some(state.responses);
        }
        let authenticated_at = Instant::now();
        self.inner
            .api_versions
            .set(outcome.versions)
            .map_err(|_| already_ran())?;
        if let (Some(lifetime), Some(sasl)) = (outcome.session_lifetime, &config.sasl) {
            self.set_session_expiry(Some(authenticated_at + lifetime));
            let task = tokio::spawn(reauth::run(
                Arc::downgrade(&self.inner),
                sasl.clone(),
                authenticated_at,
                lifetime,
            ));
            *lock(&self.inner.reauth_task) = Some(task.abort_handle());
        }
        self.inner.api_versions.get().ok_or_else(already_ran)
    }

    /// The handle the re-authentication task uses (see [`Connection::reauthenticating`]).
    pub(crate) fn for_reauthentication(inner: Arc<Inner>) -> Connection {
        Connection {
            inner,
            reauthenticating: true,
        }
    }

    /// Holds every other request back until the guard is dropped; waits for the requests
    /// already passing the gate to be queued first.
    pub(crate) async fn hold_requests_back(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.inner.gate.write().await
    }

    pub(crate) fn set_session_expiry(&self, expires_at: Option<Instant>) {
        *lock(&self.inner.session_expires_at) = expires_at;
    }

    /// Fails every request with `error` (a failed re-authentication).
    pub(crate) fn poison(&self, error: Error) -> Error {
        self.inner.demux.poison(error)
    }

    /// `host:port` of the broker.
    pub fn broker(&self) -> &str {
        &self.inner.broker
    }

    /// When the broker will end this connection's SASL session (its
    /// `connections.max.reauth.ms` or the credential's expiry, KIP-368), if it announced one.
    /// The connection re-authenticates in place before then (see
    /// [`reauth`]), which moves this instant on.
    pub fn session_expires_at(&self) -> Option<Instant> {
        *lock(&self.inner.session_expires_at)
    }

    /// The default deadline of a call (`request.timeout.ms`).
    pub fn request_timeout(&self) -> Duration {
        self.inner.options.request_timeout
    }

    /// The versions the broker announced, once the handshake ran.
    pub fn api_versions(&self) -> Option<&ApiVersions> {
        self.inner.api_versions.get()
    }

    /// The highest version of `api` that both the broker and this client speak.
    ///
    /// Fails with [`Error::UnsupportedVersion`] when there is none, or when the handshake has
    /// not run (then the broker range is given as `-1..-1`).
    pub fn version_for(&self, api: ApiKey) -> Result<i16> {
        match self.inner.api_versions.get() {
            Some(versions) => versions.version_for(api),
            None => Err(Error::UnsupportedVersion {
                broker: self.inner.broker.clone(),
                api,
                broker_min: -1,
                broker_max: -1,
                client_min: api.min_version(),
                client_max: api.max_version(),
            }),
        }
    }

    /// Sends `request` at the highest version both sides speak and waits for the response.
    pub async fn send<R: Request>(&self, request: &R) -> Result<R::Response> {
        let version = self.version_for(R::API_KEY)?;
        self.call(request, version).await
    }

    /// Sends `request` at `version` and waits for the response, within `request.timeout.ms`.
    ///
    /// Cancel-safe: dropping the future at any point leaves the connection usable (the
    /// request is either not sent or sent whole, and its response is then discarded).
    pub async fn call<R: Request>(&self, request: &R, version: i16) -> Result<R::Response> {
        self.call_with_timeout(request, version, self.inner.options.request_timeout)
            .await
    }

    /// [`Connection::call`] with its own deadline, for requests the broker may hold longer
    /// than `request.timeout.ms` (JoinGroup, long-poll Fetch). An overdue response poisons the
    /// connection (see the module docs).
    pub async fn call_with_timeout<R: Request>(
        &self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response> {
        let frame = self.call_raw(request, version, timeout).await?;
        let (_header, body, trailing) = frame::decode_response_with_trailing::<R>(frame, version)
            .map_err(|source| {
            // The frame was whole, so the stream is still in step: fail only this call.
            debug!(api = R::API_KEY.name(), version, error = %source, "undecodable response");
            Error::Malformed {
                broker: self.inner.broker.clone(),
                source,
                hint: None,
            }
        })?;
        if trailing > 0 {
            // The body decoded completely; extra bytes after it mean the peer writes something
            // we do not know (or a peer bug). Kafka's clients ignore them; say so and go on.
            warn!(
                api = R::API_KEY.name(),
                version,
                broker = %self.inner.broker,
                trailing,
                "response has bytes after its body; ignoring them"
            );
        }
        Ok(body)
    }

    /// Sends `request` and returns the raw response frame (header and body, without the size
    /// prefix), for the few callers that decode it themselves (ApiVersions' v0 fallback).
    pub(crate) async fn call_raw<R: Request>(
        &self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<Bytes> {
        let span = debug_span!(
            "kafka.request",
            api = R::API_KEY.name(),
            version,
            correlation_id = field::Empty,
            broker = %self.inner.broker,
        );
        async {
            let started = Instant::now();
            let result = self.exchange(request, version, timeout).await;
            let latency_us = started.elapsed().as_micros() as u64;
            match &result {
                Ok(frame) => debug!(latency_us, bytes = frame.len(), "response"),
                Err(error) => debug!(latency_us, %error, "request failed"),
            }
            result
        }
        .instrument(span)
        .await
    }

    /// Sends a request the broker does not answer (Produce with `acks=0`). Returns once the
    /// frame is written to the socket; no in-flight slot is held after that.
    pub async fn send_no_response<R: Request>(&self, request: &R, version: i16) -> Result<()> {
        let span = debug_span!(
            "kafka.request",
            api = R::API_KEY.name(),
            version,
            correlation_id = field::Empty,
            broker = %self.inner.broker,
            response = false,
        );
        async {
            let inner = &*self.inner;
            let timeout = inner.options.request_timeout;
            let deadline = Instant::now() + timeout;
            inner.touch();
            let (correlation_id, frame) = inner.encode(request, version)?;
            let gate = self.pass_gate::<R>(version, deadline, timeout).await?;
            let slot = inner.acquire_slot::<R>(version, deadline, timeout).await?;
            let (written_tx, written_rx) = oneshot::channel();
            inner.demux.check()?;
            inner.enqueue(Outgoing {
                frame,
                written: Some(written_tx),
                _slot: Some(slot),
            })?;
            drop(gate);
            match tokio::time::timeout_at(deadline, written_rx).await {
                Ok(Ok(())) => {
                    debug!(correlation_id, "written");
                    Ok(())
                }
                Ok(Err(_)) => Err(inner.demux.failure()),
                Err(_) => Err(inner.demux.poison(Error::Timeout {
                    what: format!(
                        "writing {} v{version} (correlation id {correlation_id}) to {}",
                        R::API_KEY.name(),
                        inner.broker
                    ),
                    after: timeout,
                })),
            }
        }
        .instrument(span)
        .await
    }

    async fn exchange<R: Request>(
        &self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<Bytes> {
        let inner = &*self.inner;
        let deadline = Instant::now() + timeout;
        if !self.reauthenticating {
            inner.touch();
        }
        let (correlation_id, frame) = inner.encode(request, version)?;
        // Gate first, then slot: a request waiting at the gate holds no slot, so the
        // re-authentication that holds the gate never waits for a slot it blocks.
        let gate = self.pass_gate::<R>(version, deadline, timeout).await?;
        let slot = if self.reauthenticating {
            // Its requests go one at a time and are not the caller's: no slot, as Java's
            // authenticator sends them outside the in-flight accounting.
            None
        } else {
            Some(inner.acquire_slot::<R>(version, deadline, timeout).await?)
        };
        let (reply_tx, reply_rx) = oneshot::channel();
        // Register, then queue, with no `.await` in between (see the module docs).
        inner.demux.register(
            correlation_id,
            Pending {
                reply: reply_tx,
                _slot: slot,
            },
        )?;
        inner.enqueue(Outgoing {
            frame,
            written: None,
            _slot: None,
        })?;
        drop(gate);
        match tokio::time::timeout_at(deadline, reply_rx).await {
            Ok(Ok(result)) => {
                if !self.reauthenticating {
                    inner.touch();
                }
                result
            }
            // The demultiplexer went away without answering: it was shut down.
            Ok(Err(_)) => Err(inner.demux.failure()),
            Err(_) => Err(inner.demux.poison(Error::Timeout {
                what: format!(
                    "{} v{version} response from {} (correlation id {correlation_id})",
                    R::API_KEY.name(),
                    inner.broker
                ),
                after: timeout,
            })),
        }
    }

    /// Passes the re-authentication gate (see `Inner::gate`) by `deadline`; the
    /// re-authentication's own requests go through.
    async fn pass_gate<R: Request>(
        &self,
        version: i16,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<Option<tokio::sync::RwLockReadGuard<'_, ()>>> {
        if self.reauthenticating {
            return Ok(None);
        }
        match tokio::time::timeout_at(deadline, self.inner.gate.read()).await {
            Ok(guard) => Ok(Some(guard)),
            Err(_) => Err(Error::Timeout {
                what: format!(
                    "re-authentication on {} to end before sending {} v{version}",
                    self.inner.broker,
                    R::API_KEY.name()
                ),
                after: timeout,
            }),
        }
    }

    /// Whether the connection is poisoned (broken, timed out or closed): every request on it
    /// fails, and the pool should replace it.
    pub fn is_poisoned(&self) -> bool {
        self.inner.demux.lock().poisoned.is_some()
    }

    /// What the connection counts (its client's connection sensors).
    pub(crate) fn sensors(&self) -> &ConnectionSensors {
        &self.inner.demux.sensors
    }

    /// The error that poisoned the connection, if it is poisoned.
    pub fn poisoned_by(&self) -> Option<Error> {
        self.inner.demux.lock().poisoned.clone()
    }

    /// Requests sent (or queued) and not yet answered or written.
    pub fn in_flight(&self) -> usize {
        self.inner.options.max_in_flight.max(1) - self.inner.slots.available_permits()
    }

    /// When a request was last started or a response last received (for
    /// `connections.max.idle.ms`).
    pub fn last_used(&self) -> Instant {
        self.inner.started + Duration::from_nanos(self.inner.last_used.load(Ordering::Relaxed))
    }

    /// How long the connection has been unused; `Duration::ZERO` while requests are in flight.
    pub fn idle_for(&self) -> Duration {
        if self.in_flight() > 0 {
            Duration::ZERO
        } else {
            self.last_used().elapsed()
        }
    }

    /// Closes the connection now: pending and later requests fail with a retriable
    /// [`Error::ConnectionClosed`].
    pub fn close(&self) {
        self.inner.demux.shut(
            Error::ConnectionClosed {
                broker: self.inner.broker.clone(),
                mid_frame: false,
            },
            "closed by the client",
        );
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; recover the data if something ever did.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    fn touch(&self) {
        let nanos = self.started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
        self.last_used.fetch_max(nanos, Ordering::Relaxed);
    }

    /// Encodes the whole frame, with a fresh correlation id recorded on the current span.
    fn encode<R: Request>(&self, request: &R, version: i16) -> Result<(i32, RequestFrame)> {
        // Ids only need to be unique among the requests in flight; wrapping is fine.
        let correlation_id = self.next_correlation_id.fetch_add(1, Ordering::Relaxed);
        Span::current().record("correlation_id", correlation_id);
        let produce = R::API_KEY == ApiKey::Produce;
        let buf = if produce {
            // A little over the last one, so a slightly bigger frame still fits.
            let hint = self.produce_frame_hint.load(Ordering::Relaxed);
            BytesMut::with_capacity((hint + hint / 8).min(MAX_FRAME_HINT))
        } else {
            BytesMut::new()
        };
        // Record batches are referenced, not copied into the frame (one pass less over every
        // produced byte; ~7% of a produced record's instructions).
        let frame = frame::encode_request_frame(
            buf,
            correlation_id,
            self.options.client_id.as_deref(),
            version,
            request,
        )?;
        if produce {
            self.produce_frame_hint
                .store(frame.encoded_len(), Ordering::Relaxed);
        }
        Ok((correlation_id, frame))
    }

    /// Waits for an in-flight slot until `deadline`. Running out fails only this call.
    async fn acquire_slot<R: Request>(
        &self,
        version: i16,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<OwnedSemaphorePermit> {
        self.demux.check()?;
        match tokio::time::timeout_at(deadline, self.slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => Ok(slot),
            // The semaphore is never closed.
            Ok(Err(_)) => Err(self.demux.failure()),
            Err(_) => Err(Error::Timeout {
                what: format!(
                    "a free in-flight slot on {} for {} v{version}",
                    self.broker,
                    R::API_KEY.name()
                ),
                after: timeout,
            }),
        }
    }

    fn enqueue(&self, outgoing: Outgoing) -> Result<()> {
        // The writer only stops after poisoning, so a closed queue means a poisoned connection.
        self.outgoing
            .send(outgoing)
            .map_err(|_| self.demux.failure())
    }
}

#[cfg(test)]
mod tests;
