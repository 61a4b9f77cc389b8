//! What a producer hook costs `send`: appends `RECORDS` records (16-byte keys, 100-byte values)
//! into the producer's accumulator, with no hook or with one hook that does nothing, through
//! `send` or `send_ref`. The broker is a crafted one in this process that answers ApiVersions and
//! Metadata only; `linger.ms` and `batch.size` are so large that nothing is sent while the
//! records are appended, so what is counted is the send path alone. Meant to be counted with
//! callgrind, whose instruction counts do not depend on what else the machine is doing:
//!
//! ```text
//! cargo build --release -p kafkito --example hooks_cost
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/hooks_cost 20000 none send
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/hooks_cost 120000 none send
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/hooks_cost 120000 noop send
//! ```
//!
//! The difference of two totals divided by the difference of their record counts is the cost
//! of one record (startup and the crafted broker cancel out).
//!
//! Measured when the hooks came in (instructions per record, 120 000 minus 20 000 records):
//!
//! | path       | before hooks | no hook | one no-op hook |
//! |------------|-------------:|--------:|---------------:|
//! | `send`     |        2 127 |   2 108 |          2 814 |
//! | `send_ref` |        1 477 |   1 463 |          2 797 |
//!
//! Without hooks the path costs what it did (a little less: `send` no longer wraps
//! `send_ref`'s future); a hook costs a boxed future, the `catch_unwind` and, for `send_ref`,
//! the copy of the lent record into an owned one.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Buf, BytesMut};
use kafkito::producer::{ProducerHook, RecordRef, Topic};
use kafkito::protocol::frame::split_frame;
use kafkito::protocol::header::{RequestHeader, ResponseHeader};
use kafkito::protocol::messages::api_versions_response::ApiVersion;
use kafkito::protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafkito::protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, Message, MetadataRequest, MetadataResponse,
    Request,
};
use kafkito::{Producer, ProducerConfig, ProducerRecord};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOPIC: &str = "cost";

/// A hook that does nothing: what registering one costs.
struct Noop;

impl ProducerHook for Noop {}

fn frame<R: Request>(correlation_id: i32, version: i16, response: &R::Response) -> Vec<u8> {
    let mut body = BytesMut::new();
    ResponseHeader {
        correlation_id,
        ..Default::default()
    }
    .encode(&mut body, R::API_KEY.response_header_version(version))
    .expect("header");
    response.encode(&mut body, version).expect("response");
    let mut out = (body.len() as i32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

/// Answers ApiVersions (Metadata up to v12) and Metadata (topic `cost`, one partition led by
/// this broker); anything else closes the connection.
async fn serve(mut stream: TcpStream, address: SocketAddr) {
    let mut buf = BytesMut::new();
    loop {
        let Ok(Some(request)) = split_frame(&mut buf, 1 << 30) else {
            match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        };
        let mut request = request.freeze();
        let Some(api) = ApiKey::from_key(i16::from_be_bytes([request[0], request[1]])) else {
            return;
        };
        let version = i16::from_be_bytes([request[2], request[3]]);
        let header = RequestHeader::decode(&mut request, api.request_header_version(version))
            .expect("request header");
        let id = header.correlation_id;
        let reply = match api {
            ApiKey::ApiVersions => {
                let keys = [(ApiKey::ApiVersions, 3), (ApiKey::Metadata, 12)];
                let response = ApiVersionsResponse {
                    api_keys: keys
                        .iter()
                        .map(|&(api, max)| ApiVersion {
                            api_key: api.key(),
                            min_version: 0,
                            max_version: max,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                };
                frame::<ApiVersionsRequest>(id, version, &response)
            }
            ApiKey::Metadata => {
                let response = MetadataResponse {
                    brokers: vec![MetadataResponseBroker {
                        node_id: 1,
                        host: address.ip().to_string(),
                        port: i32::from(address.port()),
                        ..Default::default()
                    }],
                    controller_id: 1,
                    topics: vec![MetadataResponseTopic {
                        name: Some(TOPIC.into()),
                        partitions: vec![MetadataResponsePartition {
                            partition_index: 0,
                            leader_id: 1,
                            replica_nodes: vec![1],
                            isr_nodes: vec![1],
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                frame::<MetadataRequest>(id, version, &response)
            }
            _ => return,
        };
        request.advance(request.remaining());
        if stream.write_all(&reply).await.is_err() {
            return;
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let records: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let hooked = match args.next().as_deref() {
        Some("none") | None => false,
        Some("noop") => true,
        Some(other) => panic!("hooks: none or noop, not {other:?}"),
    };
    let by_ref = match args.next().as_deref() {
        Some("send") | None => false,
        Some("send_ref") => true,
        Some(other) => panic!("path: send or send_ref, not {other:?}"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("listener");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, address));
            }
        });
        let bootstrap = address.to_string();
        let mut config = ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap.as_str()),
            ("enable.idempotence", "false"),
            ("linger.ms", "600000"),
            ("delivery.timeout.ms", "900000"),
            ("batch.size", "33554432"),
            ("buffer.memory", "268435456"),
        ])
        .expect("config");
        if hooked {
            config = config.with_hook(Arc::new(Noop));
        }
        let producer = Producer::new(config).await.expect("producer");
        let topic = Topic::from(TOPIC);
        let value = [b'v'; 100];
        let mut key = *b"key-000000000000";
        let mut deliveries = Vec::with_capacity(records);
        for i in 0..records {
            // The key's digits by hand: `format!` would cost more than the send.
            let mut n = i;
            for digit in key[4..].iter_mut().rev() {
                *digit = b'0' + (n % 10) as u8;
                n /= 10;
            }
            let delivery = if by_ref {
                producer
                    .send_ref(RecordRef::new(&topic).key(&key).value(&value))
                    .await
            } else {
                producer
                    .send(
                        ProducerRecord::new(&topic)
                            .key(bytes::Bytes::copy_from_slice(&key))
                            .value(bytes::Bytes::copy_from_slice(&value)),
                    )
                    .await
            };
            deliveries.push(delivery.expect("appended"));
        }
        println!("{records} records appended (hook: {hooked}, send_ref: {by_ref})");
        // Nothing was sent: leave without flushing.
        std::process::exit(0);
    });
}
