//! The network side of a broker: its listener, one task per client connection, and the
//! dispatch from a request frame to its handler and back to a response frame.
//!
//! As in Kafka, a connection's requests are processed one at a time in arrival order (Kafka
//! mutes a channel until its response is sent), so a parked Fetch or JoinGroup delays only
//! its own connection. An API version the broker did not advertise closes the connection, as
//! Kafka does, except for ApiVersions itself, which answers UNSUPPORTED_VERSION at v0 so the
//! client can learn the supported range.
//!
//! On a SASL listener each connection owns a [`SaslServer`] (all sharing the cluster's one
//! `SaslServerConfig`), consulted after the version checks for every request: it is served,
//! handed to the SASL step, or the connection is closed without an answer — before
//! authentication, during a re-authentication, and at the first request after an expired
//! session (Kafka checks expiry when a request arrives, not on a timer). A refused
//! SaslHandshake and a failed SaslAuthenticate are answered, then the connection is closed.
//!
//! On a TLS listener (the `tls` feature) each accepted connection first completes its TLS
//! handshake, in its own task and within `TLS_HANDSHAKE_TIMEOUT`; a failed handshake (an
//! untrusted or missing client certificate with mutual TLS, a plaintext client) closes it.
//! Requests then flow exactly as on plain TCP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafkito_protocol::frame::split_frame;
use kafkito_protocol::header::{RequestHeader, ResponseHeader};
use kafkito_protocol::messages::{self as m, ApiKey, Message, Request};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cluster::{SaslLogin, SaslSession};
use crate::handlers;
use crate::sasl_server::{Admission, SaslServer, Step};
use crate::state::Shared;

/// Largest request frame accepted (Kafka's `socket.request.max.bytes` default, 100 MiB).
const MAX_REQUEST_BYTES: usize = 104_857_600;

/// The API versions the testkit serves: (API, oldest, newest). The oldest versions follow
/// Kafka 4.0, which removed the pre-magic-2 Produce/Fetch versions and other old ones.
pub const SUPPORTED_APIS: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 12),
    (ApiKey::Fetch, 4, 17),
    (ApiKey::ListOffsets, 1, 10),
    (ApiKey::Metadata, 0, 12),
    (ApiKey::OffsetCommit, 2, 9),
    (ApiKey::OffsetFetch, 1, 9),
    (ApiKey::FindCoordinator, 0, 5),
    (ApiKey::JoinGroup, 0, 9),
    (ApiKey::Heartbeat, 0, 4),
    (ApiKey::LeaveGroup, 0, 5),
    (ApiKey::SyncGroup, 0, 5),
    (ApiKey::DescribeGroups, 0, 5),
    (ApiKey::ListGroups, 0, 5),
    (ApiKey::ApiVersions, 0, 3),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::DeleteTopics, 1, 6),
    (ApiKey::DeleteRecords, 0, 2),
    (ApiKey::InitProducerId, 0, 4),
    (ApiKey::AddPartitionsToTxn, 0, 3),
    (ApiKey::AddOffsetsToTxn, 0, 3),
    (ApiKey::EndTxn, 0, 3),
    (ApiKey::TxnOffsetCommit, 0, 3),
    (ApiKey::OffsetForLeaderEpoch, 2, 4),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::DescribeCluster, 0, 1),
    (ApiKey::ConsumerGroupHeartbeat, 0, 1),
    (ApiKey::ConsumerGroupDescribe, 0, 1),
];

/// The served version range of `api`, if it is served.
pub fn supported(api: ApiKey) -> Option<(i16, i16)> {
    SUPPORTED_APIS
        .iter()
        .find(|(a, _, _)| *a == api)
        .map(|&(_, lo, hi)| (lo, hi))
}

/// The APIs served on SASL listeners, for authentication (SaslHandshake v0's raw tokens
/// are not: clients since Kafka 1.0 use v1 with SaslAuthenticate).
pub const SASL_APIS: &[(ApiKey, i16, i16)] = &[
    (ApiKey::SaslHandshake, 1, 1),
    (ApiKey::SaslAuthenticate, 0, 2),
];

/// Facts about the client on a connection that some handlers report.
#[derive(Debug, Clone)]
pub(crate) struct ClientInfo {
    pub host: String,
}

/// A connection's SASL state, on a listener that requires SASL: the state machine of
/// [`crate::sasl_server`] plus this connection's entry in [`Cluster::sasl_sessions`]
/// (marked closed when the connection task ends, however it ends).
///
/// [`Cluster::sasl_sessions`]: crate::Cluster::sasl_sessions
#[derive(Debug)]
pub(crate) struct SaslConn {
    server: SaslServer,
    shared: Arc<Shared>,
    /// Index into `State::sasl_sessions`.
    record: usize,
    accepted: Instant,
    /// When the last accepted SaslHandshake arrived (since `accepted`).
    handshake_after: Duration,
}

impl SaslConn {
    fn new(shared: &Arc<Shared>, node: i32) -> Option<SaslConn> {
        let config = shared.sasl.clone()?;
        let record = {
            let mut state = shared.lock();
            state.sasl_sessions.push(SaslSession {
                node_id: node,
                principal: None,
                mechanism: None,
                logins: Vec::new(),
                requests_served: 0,
                closed_for_expiry: false,
                open: true,
            });
            state.sasl_sessions.len() - 1
        };
        Some(SaslConn {
            server: SaslServer::new(config),
            shared: shared.clone(),
            record,
            accepted: Instant::now(),
            handshake_after: Duration::ZERO,
        })
    }

    fn update(&self, f: impl FnOnce(&mut SaslSession)) {
        if let Some(session) = self.shared.lock().sasl_sessions.get_mut(self.record) {
            f(session);
        }
    }
}

impl Drop for SaslConn {
    fn drop(&mut self) {
        self.update(|s| s.open = false);
    }
}

/// Why a connection is closed instead of answered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnError {
    #[error("unknown API key {0}")]
    UnknownApi(i16),
    #[error("{api} v{version} is not served")]
    UnsupportedVersion { api: &'static str, version: i16 },
    #[error("malformed request: {0}")]
    Decode(#[from] kafkito_protocol::DecodeError),
    #[error("response encoding failed: {0}")]
    Encode(#[from] kafkito_protocol::EncodeError),
    /// Kafka's SASL authenticator closes without answering (see [`SaslServer::admit`]).
    #[error("SASL: {0}")]
    Sasl(String),
    /// Answer, then close: a refused SaslHandshake or a failed SaslAuthenticate.
    #[error("SASL authentication failed")]
    AnswerThenClose(BytesMut),
}

/// How long a TLS client has to complete its handshake before the connection is closed.
#[cfg(feature = "tls")]
pub(crate) const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// What a listener's connections speak below Kafka's protocol: plain TCP, or TLS first.
#[derive(Clone)]
pub(crate) enum Transport {
    Plain,
    #[cfg(feature = "tls")]
    Tls(tokio_rustls::TlsAcceptor),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Plain => f.write_str("Plain"),
            #[cfg(feature = "tls")]
            Transport::Tls(_) => f.write_str("Tls"),
        }
    }
}

/// Accepts connections for broker `node` until `stop` turns true.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    node: i32,
    listener: TcpListener,
    transport: Transport,
    stop: watch::Receiver<bool>,
) {
    let mut stopped = stop.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    match &transport {
                        Transport::Plain => {
                            tokio::spawn(connection(
                                shared.clone(), node, stream, peer, stop.clone(),
                            ));
                        }
                        #[cfg(feature = "tls")]
                        Transport::Tls(acceptor) => {
                            tokio::spawn(tls_connection(
                                acceptor.clone(), shared.clone(), node, stream, peer, stop.clone(),
                            ));
                        }
                    }
                }
                Err(e) => tracing::warn!(node, error = %e, "accept failed"),
            },
            _ = stopped.wait_for(|s| *s) => break,
        }
    }
    tracing::debug!(node, "listener closed");
}

/// A TLS handshake, then the connection as on plain TCP.
#[cfg(feature = "tls")]
async fn tls_connection(
    acceptor: tokio_rustls::TlsAcceptor,
    shared: Arc<Shared>,
    node: i32,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
) {
    let handshake = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
    let stream = tokio::select! {
        done = handshake => match done {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                // Where an operator looks when a client cannot connect: an untrusted or
                // missing client certificate, a client speaking plaintext, a bad SNI.
                tracing::info!(node, %peer, error = %e, "TLS handshake failed; closing");
                return;
            }
            Err(_) => {
                tracing::info!(node, %peer, "TLS handshake timed out; closing");
                return;
            }
        },
        _ = stop.wait_for(|s| *s) => return,
    };
    connection(shared, node, stream, peer, stop).await;
}

async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    shared: Arc<Shared>,
    node: i32,
    mut stream: S,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
) {
    let client = ClientInfo {
        host: format!("/{}", peer.ip()),
    };
    let mut sasl = SaslConn::new(&shared, node);
    // Cluster::drop_connections bumps this: the connection is cut, the broker keeps serving.
    let mut cut = shared.connection_cuts[node as usize].subscribe();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        loop {
            let frame = match split_frame(&mut buf, MAX_REQUEST_BYTES) {
                Ok(Some(frame)) => frame.freeze(),
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(node, %peer, error = %e, "bad frame; closing");
                    return;
                }
            };
            let handled = tokio::select! {
                r = handle(&shared, node, &client, &mut sasl, frame) => r,
                _ = stop.wait_for(|s| *s) => return,
                _ = cut.changed() => return,
            };
            shared.touch();
            match handled {
                Ok(Some(response)) => {
                    if stream.write_all(&response).await.is_err() {
                        return;
                    }
                }
                Ok(None) => {}
                Err(ConnError::AnswerThenClose(response)) => {
                    let _ = stream.write_all(&response).await;
                    tracing::debug!(node, %peer, "SASL refused: answered, closing");
                    return;
                }
                Err(e) => {
                    tracing::debug!(node, %peer, error = %e, "closing connection");
                    return;
                }
            }
        }
        tokio::select! {
            read = stream.read_buf(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            _ = stop.wait_for(|s| *s) => return,
            _ = cut.changed() => return,
        }
    }
}

/// SaslHandshake or SaslAuthenticate on a SASL listener, answered as the connection's
/// [`SaslServer`] says. A refused handshake and a failed authentication are answered and then
/// the connection is closed, as Kafka does.
fn sasl_step(
    conn: &mut SaslConn,
    api: ApiKey,
    version: i16,
    corr: i32,
    mut frame: Bytes,
) -> Result<Option<BytesMut>, ConnError> {
    if api == ApiKey::SaslHandshake {
        let request: m::SaslHandshakeRequest = decode(&mut frame, version)?;
        let (error_code, mechanisms, refused) = match conn.server.handshake(&request.mechanism) {
            Ok(enabled) => {
                conn.handshake_after = conn.accepted.elapsed();
                (0, enabled, false)
            }
            Err(refused) => (refused.code.code(), refused.enabled, true),
        };
        let response = m::SaslHandshakeResponse {
            error_code,
            mechanisms,
            ..Default::default()
        };
        let out = response_frame::<m::SaslHandshakeRequest>(corr, version, &response)?;
        return if refused {
            Err(ConnError::AnswerThenClose(out))
        } else {
            Ok(Some(out))
        };
    }
    let request: m::SaslAuthenticateRequest = decode(&mut frame, version)?;
    let (response, failed) = match conn
        .server
        .authenticate(&request.auth_bytes, SystemTime::now())
    {
        Step::Continue(bytes) => (
            m::SaslAuthenticateResponse {
                auth_bytes: Bytes::from(bytes),
                ..Default::default()
            },
            false,
        ),
        Step::Done {
            principal,
            response,
            session_lifetime_ms,
        } => {
            tracing::debug!(
                principal,
                session_lifetime_ms,
                authentications = conn.server.authentications(),
                "SASL authentication succeeded"
            );
            let mechanism = conn.server.mechanism();
            let login = SaslLogin {
                started_after: conn.handshake_after,
                completed_after: conn.accepted.elapsed(),
                session_lifetime_ms,
            };
            conn.update(|s| {
                s.principal = Some(principal);
                s.mechanism = mechanism;
                s.logins.push(login);
            });
            // SaslAuthenticate v0 has no session lifetime field: the codec leaves it out.
            (
                m::SaslAuthenticateResponse {
                    auth_bytes: Bytes::from(response),
                    session_lifetime_ms,
                    ..Default::default()
                },
                false,
            )
        }
        Step::Failed { code, message } => {
            tracing::debug!(code = %code, message, "SASL authentication failed");
            (
                m::SaslAuthenticateResponse {
                    error_code: code.code(),
                    error_message: Some(message),
                    ..Default::default()
                },
                true,
            )
        }
    };
    let out = response_frame::<m::SaslAuthenticateRequest>(corr, version, &response)?;
    if failed {
        Err(ConnError::AnswerThenClose(out))
    } else {
        Ok(Some(out))
    }
}

fn decode<R: Request>(body: &mut Bytes, version: i16) -> Result<R, ConnError> {
    let request = R::decode(body, version)?;
    if body.has_remaining() {
        return Err(ConnError::Decode(
            kafkito_protocol::DecodeError::TrailingBytes {
                what: R::NAME,
                remaining: body.remaining(),
            },
        ));
    }
    Ok(request)
}

/// A whole response frame: size, header, body at `version`.
fn response_frame<R: Request>(
    correlation_id: i32,
    version: i16,
    response: &R::Response,
) -> Result<BytesMut, ConnError> {
    let mut out = BytesMut::with_capacity(256);
    out.put_i32(0);
    ResponseHeader {
        correlation_id,
        ..Default::default()
    }
    .encode(&mut out, R::API_KEY.response_header_version(version))?;
    response.encode(&mut out, version)?;
    let size = (out.len() - 4) as i32;
    out[..4].copy_from_slice(&size.to_be_bytes());
    Ok(out)
}

/// Decodes one request frame, runs its handler and encodes the response (`None`: no
/// response, as for Produce with acks=0).
async fn handle(
    shared: &Arc<Shared>,
    node: i32,
    client: &ClientInfo,
    sasl: &mut Option<SaslConn>,
    mut frame: Bytes,
) -> Result<Option<BytesMut>, ConnError> {
    if frame.len() < 4 {
        return Err(ConnError::Decode(
            kafkito_protocol::DecodeError::UnexpectedEof {
                needed: 4,
                remaining: frame.len(),
            },
        ));
    }
    let key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let api = ApiKey::from_key(key).ok_or(ConnError::UnknownApi(key))?;
    let header = RequestHeader::decode(&mut frame, api.request_header_version(version))?;
    let corr = header.correlation_id;
    let client_id = header.client_id.clone().unwrap_or_default();
    let latency = {
        let mut state = shared.lock();
        state.count(node, api);
        state.faults.latency(api, node)
    };
    if let Some(delay) = latency {
        // An injected slow broker: the request waits before it is handled.
        tokio::time::sleep(delay).await;
    }
    tracing::trace!(node, api = api.name(), version, corr, "request");

    let sasl_apis: &[(ApiKey, i16, i16)] = if sasl.is_some() { SASL_APIS } else { &[] };
    let Some((lo, hi)) = supported(api).or_else(|| {
        sasl_apis
            .iter()
            .find(|(a, _, _)| *a == api)
            .map(|&(_, lo, hi)| (lo, hi))
    }) else {
        return Err(ConnError::UnknownApi(key));
    };
    // Versions first, as Kafka's request parsing comes before the authenticator sees it;
    // ApiVersions answers an unknown version itself, below.
    if api != ApiKey::ApiVersions && (version < lo || version > hi) {
        return Err(ConnError::UnsupportedVersion {
            api: api.name(),
            version,
        });
    }
    if let Some(conn) = sasl.as_mut() {
        let now = SystemTime::now();
        match conn.server.admit(api, now) {
            Admission::Serve => {
                if api != ApiKey::ApiVersions {
                    conn.update(|s| s.requests_served += 1);
                }
            }
            Admission::Sasl => return sasl_step(conn, api, version, corr, frame),
            Admission::Close(reason) => {
                // KIP-368: a request after the session ended, with no re-authentication.
                if conn.server.principal().is_some() && conn.server.session_expired(now) {
                    conn.update(|s| s.closed_for_expiry = true);
                }
                return Err(ConnError::Sasl(reason));
            }
        }
    }
    if api == ApiKey::ApiVersions {
        // A version newer than ours: answer at v0 with UNSUPPORTED_VERSION and our ranges.
        let (answer_at, error) = if version > hi || version < lo {
            (0, kafkito_protocol::ErrorCode::UnsupportedVersion)
        } else {
            (version, kafkito_protocol::ErrorCode::None)
        };
        let response = handlers::api_versions(error, sasl_apis);
        return Ok(Some(response_frame::<m::ApiVersionsRequest>(
            corr, answer_at, &response,
        )?));
    }

    macro_rules! sync {
        ($req:ty, $handler:path) => {{
            let request: $req = decode(&mut frame, version)?;
            let response = {
                let mut state = shared.lock();
                $handler(&mut state, node, version, request)
            };
            Some(response_frame::<$req>(corr, version, &response)?)
        }};
        // Handlers that may write transaction markers: parked fetches look again.
        ($req:ty, $handler:path, notify) => {{
            let out = sync!($req, $handler);
            shared.appended.notify_waiters();
            out
        }};
    }

    let out = match api {
        ApiKey::Produce => {
            let request: m::ProduceRequest = decode(&mut frame, version)?;
            let response = handlers::produce::produce(shared, node, version, request);
            match response {
                Some(r) => Some(response_frame::<m::ProduceRequest>(corr, version, &r)?),
                None => None,
            }
        }
        ApiKey::Fetch => {
            let request: m::FetchRequest = decode(&mut frame, version)?;
            let response = handlers::fetch::fetch(shared, node, version, request).await;
            Some(response_frame::<m::FetchRequest>(corr, version, &response)?)
        }
        ApiKey::ListOffsets => sync!(m::ListOffsetsRequest, handlers::fetch::list_offsets),
        ApiKey::OffsetForLeaderEpoch => {
            sync!(
                m::OffsetForLeaderEpochRequest,
                handlers::fetch::offset_for_leader_epoch
            )
        }
        ApiKey::Metadata => sync!(m::MetadataRequest, handlers::metadata::metadata),
        ApiKey::DescribeCluster => sync!(
            m::DescribeClusterRequest,
            handlers::metadata::describe_cluster
        ),
        ApiKey::DescribeConfigs => sync!(
            m::DescribeConfigsRequest,
            handlers::metadata::describe_configs
        ),
        ApiKey::CreateTopics => sync!(m::CreateTopicsRequest, handlers::admin::create_topics),
        ApiKey::DeleteTopics => sync!(m::DeleteTopicsRequest, handlers::admin::delete_topics),
        ApiKey::CreatePartitions => sync!(
            m::CreatePartitionsRequest,
            handlers::admin::create_partitions
        ),
        ApiKey::DeleteRecords => sync!(m::DeleteRecordsRequest, handlers::admin::delete_records),
        ApiKey::InitProducerId => {
            sync!(
                m::InitProducerIdRequest,
                handlers::produce::init_producer_id,
                notify
            )
        }
        ApiKey::AddPartitionsToTxn => sync!(
            m::AddPartitionsToTxnRequest,
            handlers::txn::add_partitions_to_txn
        ),
        ApiKey::AddOffsetsToTxn => {
            sync!(m::AddOffsetsToTxnRequest, handlers::txn::add_offsets_to_txn)
        }
        ApiKey::EndTxn => sync!(m::EndTxnRequest, handlers::txn::end_txn, notify),
        ApiKey::TxnOffsetCommit => {
            sync!(m::TxnOffsetCommitRequest, handlers::txn::txn_offset_commit)
        }
        ApiKey::FindCoordinator => {
            sync!(m::FindCoordinatorRequest, handlers::group::find_coordinator)
        }
        ApiKey::Heartbeat => sync!(m::HeartbeatRequest, handlers::group::heartbeat),
        ApiKey::LeaveGroup => sync!(m::LeaveGroupRequest, handlers::group::leave_group),
        ApiKey::OffsetCommit => sync!(m::OffsetCommitRequest, handlers::group::offset_commit),
        ApiKey::OffsetFetch => sync!(m::OffsetFetchRequest, handlers::group::offset_fetch),
        ApiKey::DescribeGroups => sync!(m::DescribeGroupsRequest, handlers::group::describe_groups),
        ApiKey::ListGroups => sync!(m::ListGroupsRequest, handlers::group::list_groups),
        ApiKey::JoinGroup => {
            let request: m::JoinGroupRequest = decode(&mut frame, version)?;
            let response =
                handlers::group::join_group(shared, node, version, request, &client_id, client)
                    .await;
            Some(response_frame::<m::JoinGroupRequest>(
                corr, version, &response,
            )?)
        }
        ApiKey::ConsumerGroupHeartbeat => {
            let request: m::ConsumerGroupHeartbeatRequest = decode(&mut frame, version)?;
            let response = {
                let mut state = shared.lock();
                handlers::group::consumer_group_heartbeat(
                    &mut state, node, version, request, &client_id, client,
                )
            };
            Some(response_frame::<m::ConsumerGroupHeartbeatRequest>(
                corr, version, &response,
            )?)
        }
        ApiKey::ConsumerGroupDescribe => sync!(
            m::ConsumerGroupDescribeRequest,
            handlers::group::consumer_group_describe
        ),
        ApiKey::SyncGroup => {
            let request: m::SyncGroupRequest = decode(&mut frame, version)?;
            let response = handlers::group::sync_group(shared, node, version, request).await;
            Some(response_frame::<m::SyncGroupRequest>(
                corr, version, &response,
            )?)
        }
        _ => return Err(ConnError::UnknownApi(key)),
    };
    Ok(out)
}
