//! One scripted fake broker for the crate's unit tests.
//!
//! [`FakeBroker::start`] listens on `127.0.0.1:0`, accepts any number of connections and reads
//! each request frame with [`Peer::read_request`]. Every request goes to the test's script
//! first (so a script can log ApiVersions too); a script that returns [`Reply::Unhandled`]
//! gets the default: ApiVersions is answered with the broker's advertised version ranges, and
//! anything else fails the test with "unexpected". The frame read/write helpers are
//! [`Peer`] and [`response_frame`] in `net::test_peer`, re-exported here.
//!
//! ```ignore
//! let broker = FakeBroker::start(&[(ApiKey::ApiVersions, 3), (ApiKey::Metadata, 12)], |request, address| {
//!     match request.api() {
//!         ApiKey::Metadata => respond::<MetadataRequest>(request, &one_partition(address, "t")),
//!         _ => Reply::Unhandled,
//!     }
//! })
//! .await;
//! let bootstrap = broker.address();
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kafkito_protocol::messages::api_versions_response::ApiVersion;
use kafkito_protocol::messages::find_coordinator_response::Coordinator;
use kafkito_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafkito_protocol::messages::produce_response::{
    PartitionProduceResponse, TopicProduceResponse,
};
use kafkito_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, MetadataRequest, MetadataResponse, ProduceRequest, ProduceResponse,
    Request,
};
use kafkito_protocol::records::{decode_batches, RecordBatch};
use kafkito_protocol::ErrorCode;
use tokio::net::TcpListener;

pub(crate) use crate::net::test_peer::{response_frame, Peer, Received};

/// What the fake broker does with one request.
pub(crate) enum Reply {
    /// Write this whole frame (see [`respond`]).
    Frame(Vec<u8>),
    /// Wait, then write this frame (a broker's long poll). The connection reads nothing
    /// meanwhile.
    After(Duration, Vec<u8>),
    /// Close the connection without answering.
    Close,
    /// The default: answer ApiVersions, fail the test on anything else.
    Unhandled,
}

/// A [`Reply::Frame`] answering `request` with `response`, at the request's version.
pub(crate) fn respond<R: Request>(request: &Received, response: &R::Response) -> Reply {
    Reply::Frame(response_frame::<R>(
        request.correlation_id(),
        request.version(),
        response,
    ))
}

/// An ApiVersions response advertising versions `0..=max` of each listed API.
pub(crate) fn api_versions(apis: &[(ApiKey, i16)]) -> ApiVersionsResponse {
    ApiVersionsResponse {
        api_keys: apis
            .iter()
            .map(|&(api, max)| ApiVersion {
                api_key: api.key(),
                min_version: 0,
                max_version: max,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// Metadata of a one-broker cluster: node 1 at `address`, the controller, with `topics`.
pub(crate) fn cluster(address: SocketAddr, topics: Vec<MetadataResponseTopic>) -> MetadataResponse {
    MetadataResponse {
        brokers: vec![MetadataResponseBroker {
            node_id: 1,
            host: address.ip().to_string(),
            port: i32::from(address.port()),
            ..Default::default()
        }],
        controller_id: 1,
        topics,
        ..Default::default()
    }
}

/// Topic `name` with one partition, 0, led by node 1.
pub(crate) fn one_partition_topic(name: &str) -> MetadataResponseTopic {
    MetadataResponseTopic {
        name: Some(name.into()),
        partitions: vec![MetadataResponsePartition {
            partition_index: 0,
            leader_id: 1,
            replica_nodes: vec![1],
            isr_nodes: vec![1],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// A Produce response for partition 0 of `topic`: `error_code`, base offset 0.
pub(crate) fn produced(topic: &str, error_code: i16) -> ProduceResponse {
    ProduceResponse {
        responses: vec![TopicProduceResponse {
            name: topic.into(),
            partition_responses: vec![PartitionProduceResponse {
                index: 0,
                error_code,
                base_offset: 0,
                log_append_time_ms: -1,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// The next scripted error code, or 0 (none) once the queue is empty.
pub(crate) fn pop(queue: &mut VecDeque<ErrorCode>) -> i16 {
    queue.pop_front().unwrap_or(ErrorCode::None).code()
}

/// The record batches a Produce request carries for its first partition.
pub(crate) fn produced_batches(request: &ProduceRequest) -> Vec<RecordBatch> {
    let records = request.topic_data[0].partition_data[0]
        .records
        .clone()
        .expect("records in the first partition");
    decode_batches(records).expect("decodable batches").batches
}

/// The headers of every record a [`headers_broker`] was sent, as (key, value) text, record by
/// record.
pub(crate) type SeenHeaders = Arc<std::sync::Mutex<Vec<Vec<(String, String)>>>>;

/// A broker with topic "t" (one partition) that keeps the headers of every record it is sent
/// and answers Produce with `code` at base offset 0.
pub(crate) async fn headers_broker(code: ErrorCode) -> (FakeBroker, SeenHeaders) {
    let seen: SeenHeaders = Arc::default();
    let log = seen.clone();
    let apis = [
        (ApiKey::ApiVersions, 3),
        (ApiKey::Metadata, 12),
        (ApiKey::Produce, 11),
    ];
    let broker = FakeBroker::start(&apis, move |request, address| match request.api() {
        ApiKey::Metadata => {
            respond::<MetadataRequest>(request, &cluster(address, vec![one_partition_topic("t")]))
        }
        ApiKey::Produce => {
            let decoded: ProduceRequest = request.decode();
            for batch in produced_batches(&decoded) {
                for record in batch.records {
                    let headers = record
                        .headers
                        .iter()
                        .map(|h| {
                            let value = h.value.as_deref().unwrap_or_default();
                            (
                                String::from_utf8_lossy(&h.key).into_owned(),
                                String::from_utf8_lossy(value).into_owned(),
                            )
                        })
                        .collect();
                    log.lock().unwrap().push(headers);
                }
            }
            respond::<ProduceRequest>(request, &produced("t", code.code()))
        }
        _ => Reply::Unhandled,
    })
    .await;
    (broker, seen)
}

/// A running fake broker. Its tasks live until the test's runtime ends.
pub(crate) struct FakeBroker {
    address: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl FakeBroker {
    /// Starts a broker advertising exactly `apis` (see [`api_versions`]) and answering each request with `script(request, own address)`.
    pub(crate) async fn start<F>(apis: &[(ApiKey, i16)], script: F) -> FakeBroker
    where
        F: Fn(&Received, SocketAddr) -> Reply + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let versions = Arc::new(api_versions(apis));
        let script = Arc::new(script);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                // As a Kafka broker does (`socket.tcp.no.delay`): without it, a response
                // written right after another waits for the client's delayed ACK (~40 ms).
                stream.set_nodelay(true).unwrap();
                let (script, versions) = (script.clone(), versions.clone());
                tokio::spawn(async move {
                    let mut peer = Peer::new(stream);
                    while let Some(request) = peer.read_request().await {
                        let reply = match script(&request, address) {
                            Reply::Unhandled if request.api() == ApiKey::ApiVersions => {
                                respond::<ApiVersionsRequest>(&request, &versions)
                            }
                            Reply::Unhandled => {
                                panic!("fake broker: unexpected {:?}", request.api())
                            }
                            reply => reply,
                        };
                        match reply {
                            Reply::Frame(frame) => peer.write_raw(&frame).await,
                            Reply::After(wait, frame) => {
                                tokio::time::sleep(wait).await;
                                peer.write_raw(&frame).await;
                            }
                            Reply::Close | Reply::Unhandled => return,
                        }
                    }
                });
            }
        });
        FakeBroker { address, accepted }
    }

    /// Its `host:port`, for `bootstrap.servers`.
    pub(crate) fn address(&self) -> String {
        self.address.to_string()
    }

    /// The connections it has accepted so far.
    pub(crate) fn accepted(&self) -> Arc<AtomicUsize> {
        self.accepted.clone()
    }
}

/// Answers a FindCoordinator of any version and key type: this broker (node 1 at `address`)
/// coordinates every key asked for (v4+ asks for several keys, earlier versions for one).
pub(crate) fn coordinator_here(request: &Received, address: SocketAddr) -> Reply {
    let decoded: FindCoordinatorRequest = request.decode();
    let (host, port) = (address.ip().to_string(), i32::from(address.port()));
    let response = if request.version() >= 4 {
        FindCoordinatorResponse {
            coordinators: decoded
                .coordinator_keys
                .iter()
                .map(|key| Coordinator {
                    key: key.clone(),
                    node_id: 1,
                    host: host.clone(),
                    port,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    } else {
        FindCoordinatorResponse {
            node_id: 1,
            host,
            port,
            ..Default::default()
        }
    };
    respond::<FindCoordinatorRequest>(request, &response)
}

/// How far [`stepped`] moves the paused clock between two rounds of I/O.
pub(crate) const STEP: Duration = Duration::from_millis(5);

/// Awaits `future` for at most `limit` of virtual (paused) time, moving the clock by [`STEP`]
/// after each round in which the runtime polled its sockets, so that loopback I/O always lands
/// before timers further on fire (Tokio's auto-advance would jump to the next timer while a
/// reply is still in the kernel). `None` if the limit passed first.
pub(crate) async fn stepped<F: std::future::Future>(
    limit: Duration,
    future: F,
) -> Option<F::Output> {
    tokio::pin!(future);
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        tokio::select! {
            biased;
            out = &mut future => return Some(out),
            // Pending once: the runtime runs every other task and polls its sockets first.
            () = tokio::task::yield_now() => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::advance(STEP).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use kafkito_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};
    use tokio::net::TcpStream;

    use super::{FakeBroker, Reply};
    use crate::net::test_peer::{ask, options};
    use crate::net::Connection;

    /// ApiVersions gets the advertised ranges by default; `Reply::Close` drops the
    /// connection, which the client sees as a failed call.
    #[tokio::test]
    async fn answers_api_versions_by_default_and_closes_on_request() {
        let apis = [(ApiKey::ApiVersions, 3), (ApiKey::Metadata, 12)];
        let broker = FakeBroker::start(&apis, |request, _| match request.api() {
            ApiKey::Metadata => Reply::Close,
            _ => Reply::Unhandled,
        })
        .await;
        let stream = TcpStream::connect(broker.address()).await.unwrap();
        let conn = Connection::start(stream, "fake", options(4, Duration::from_secs(5)));
        let versions: ApiVersionsResponse =
            conn.call(&ApiVersionsRequest::default(), 3).await.unwrap();
        let advertised: Vec<_> = versions
            .api_keys
            .iter()
            .map(|v| (v.api_key, v.min_version, v.max_version))
            .collect();
        assert_eq!(advertised, [(18, 0, 3), (3, 0, 12)]);
        assert!(ask(&conn, "t").await.is_err(), "closed without an answer");
        assert_eq!(broker.accepted().load(Ordering::SeqCst), 1);
    }
}
