//! A scripted fake broker for tests: reads request frames and writes whatever the test says,
//! including the faults a real broker cannot be made to produce (half frames, garbage, huge
//! sizes, silence, answers out of order).
//!
//! Tests use a real TCP socket on 127.0.0.1 ([`tcp_pair`]) except where paused time must be
//! deterministic: there they use an in-memory [`duplex_pair`], because with a real socket the
//! paused clock jumps ahead whenever the runtime waits for the kernel.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafkito_protocol::frame::split_frame;
use kafkito_protocol::header::{RequestHeader, ResponseHeader};
use kafkito_protocol::messages::metadata_request::MetadataRequestTopic;
use kafkito_protocol::messages::metadata_response::MetadataResponseTopic;
use kafkito_protocol::messages::{ApiKey, Message, MetadataRequest, MetadataResponse, Request};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::net::{TcpListener, TcpStream};

use crate::net::{Connection, ConnectionOptions};

/// A request as the fake broker received it.
#[derive(Debug)]
pub(crate) struct Received {
    pub header: RequestHeader,
    pub body: Bytes,
}

impl Received {
    pub fn api(&self) -> ApiKey {
        ApiKey::from_key(self.header.api_key).expect("known API key")
    }

    pub fn correlation_id(&self) -> i32 {
        self.header.correlation_id
    }

    pub fn version(&self) -> i16 {
        self.header.api_version
    }

    pub fn decode<R: Request>(&self) -> R {
        assert_eq!(self.api(), R::API_KEY);
        let mut body = self.body.clone();
        let request = R::decode(&mut body, self.version()).expect("decodable request");
        assert!(!body.has_remaining(), "trailing request bytes");
        request
    }
}

/// The broker's end of a connection.
pub(crate) struct Peer<S> {
    pub stream: S,
    buf: BytesMut,
}

/// A client socket and the fake broker's end, over TCP on 127.0.0.1.
pub(crate) async fn tcp_pair() -> (TcpStream, Peer<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(TcpStream::connect(address), listener.accept());
    let client = client.unwrap();
    client.set_nodelay(true).unwrap();
    (client, Peer::new(accepted.unwrap().0))
}

/// A client stream and the fake broker's end, in memory.
pub(crate) fn duplex_pair() -> (DuplexStream, Peer<DuplexStream>) {
    let (client, server) = tokio::io::duplex(1 << 20);
    (client, Peer::new(server))
}

/// A connection over TCP to a fresh fake broker.
pub(crate) async fn connection(options: ConnectionOptions) -> (Connection, Peer<TcpStream>) {
    let (client, peer) = tcp_pair().await;
    (Connection::start(client, "fake:9092", options), peer)
}

impl<S: AsyncRead + AsyncWrite + Unpin> Peer<S> {
    pub fn new(stream: S) -> Self {
        Peer {
            stream,
            buf: BytesMut::new(),
        }
    }

    /// The next request, or `None` when the client closed the socket. Gives up after 10 s of
    /// real time so a broken test fails instead of hanging (real, not Tokio's: under
    /// `tokio::time::pause` an idle connection sees minutes pass in no time).
    pub async fn read_request(&mut self) -> Option<Received> {
        let started = std::time::Instant::now();
        loop {
            if let Some(frame) = split_frame(&mut self.buf, 1 << 30).unwrap() {
                let mut frame = frame.freeze();
                let api = ApiKey::from_key(i16::from_be_bytes([frame[0], frame[1]])).unwrap();
                let version = i16::from_be_bytes([frame[2], frame[3]]);
                let header =
                    RequestHeader::decode(&mut frame, api.request_header_version(version)).unwrap();
                return Some(Received {
                    header,
                    body: frame,
                });
            }
            let read = self.stream.read_buf(&mut self.buf);
            match tokio::time::timeout(Duration::from_secs(10), read).await {
                Ok(Ok(0)) | Ok(Err(_)) => return None,
                Ok(Ok(_)) => {}
                Err(_) if started.elapsed() < Duration::from_secs(10) => {}
                Err(_) => panic!("fake broker: no request within 10 s"),
            }
        }
    }

    /// Whether the client closed the socket (within 10 s).
    pub async fn closed_by_client(&mut self) -> bool {
        let mut scratch = [0u8; 1024];
        loop {
            let read = self.stream.read(&mut scratch);
            match tokio::time::timeout(Duration::from_secs(10), read).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    }

    /// Answers `correlation_id` with `response` encoded at `version`.
    pub async fn respond<R: Request>(
        &mut self,
        correlation_id: i32,
        version: i16,
        response: &R::Response,
    ) {
        let frame = response_frame::<R>(correlation_id, version, response);
        self.write_raw(&frame).await;
    }

    pub async fn write_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// Reads one Metadata request and answers it with the topic it named (see [`metadata`]).
    pub async fn echo_metadata(&mut self) -> Received {
        let received = self.read_request().await.expect("a request");
        self.respond_echo(&received).await;
        received
    }

    pub async fn respond_echo(&mut self, received: &Received) {
        let request: MetadataRequest = received.decode();
        let response = echo_response(&request);
        self.respond::<MetadataRequest>(received.correlation_id(), received.version(), &response)
            .await;
    }
}

/// A whole response frame: size, header, body.
pub(crate) fn response_frame<R: Request>(
    correlation_id: i32,
    version: i16,
    response: &R::Response,
) -> Vec<u8> {
    let mut body = BytesMut::new();
    ResponseHeader {
        correlation_id,
        ..Default::default()
    }
    .encode(&mut body, R::API_KEY.response_header_version(version))
    .unwrap();
    response.encode(&mut body, version).unwrap();
    let mut frame = (body.len() as i32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    frame
}

/// A Metadata request naming one topic, `name`: the fake broker echoes the name back, so a
/// caller can tell its own response from another's.
pub(crate) fn metadata(name: &str) -> MetadataRequest {
    MetadataRequest {
        topics: Some(vec![MetadataRequestTopic {
            name: Some(name.into()),
            ..Default::default()
        }]),
        ..Default::default()
    }
}

fn echo_response(request: &MetadataRequest) -> MetadataResponse {
    MetadataResponse {
        topics: request
            .topics
            .iter()
            .flatten()
            .map(|t| MetadataResponseTopic {
                name: t.name.clone(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// Calls Metadata for topic `name` at [`METADATA_V`].
pub(crate) async fn ask(conn: &Connection, name: &str) -> crate::Result<MetadataResponse> {
    conn.call(&metadata(name), METADATA_V).await
}

/// [`ask`] with its own deadline.
pub(crate) async fn ask_within(
    conn: &Connection,
    name: &str,
    timeout: Duration,
) -> crate::Result<MetadataResponse> {
    conn.call_with_timeout(&metadata(name), METADATA_V, timeout)
        .await
}

/// The topic name a Metadata response echoes.
pub(crate) fn echoed(response: &MetadataResponse) -> &str {
    response.topics[0].name.as_deref().unwrap()
}

/// Options with a short timeout and `max_in_flight` slots.
pub(crate) fn options(max_in_flight: usize, request_timeout: Duration) -> ConnectionOptions {
    ConnectionOptions {
        client_id: Some("test".into()),
        request_timeout,
        max_in_flight,
        max_response_size: 1 << 20,
    }
}

/// Metadata version used by the connection tests.
pub(crate) const METADATA_V: i16 = 12;
