//! A bare connection that speaks only the codec: one request at a time over a `TcpStream`.
//!
//! Used by tests that must prove the codec against a real peer without the client layer in
//! between, so that a failure points at the codec (or the broker).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::frame::{self, decode_response};
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, Message, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One connection speaking the codec, one request at a time.
pub struct RawConnection {
    stream: TcpStream,
    correlation_id: i32,
    /// Highest version the broker supports, by API key.
    broker_max: Vec<(i16, i16)>,
}

impl RawConnection {
    /// Connects to the first address of `bootstrap` and negotiates API versions.
    pub async fn connect(bootstrap: &str) -> RawConnection {
        let addr = bootstrap.split(',').next().expect("bootstrap address");
        let stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr))
            .await
            .expect("connect timed out")
            .expect("connect");
        let mut conn = RawConnection {
            stream,
            correlation_id: 0,
            broker_max: Vec::new(),
        };
        let versions = conn
            .call(
                &ApiVersionsRequest {
                    client_software_name: "kafka-sdk-raw".into(),
                    client_software_version: "0.1.0".into(),
                    ..Default::default()
                },
                3,
            )
            .await;
        assert_eq!(versions.error_code, 0, "ApiVersions failed");
        conn.broker_max = versions
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.max_version))
            .collect();
        conn
    }

    /// The broker's newest version of `key`, if it advertises the API.
    pub fn broker_max_version(&self, key: ApiKey) -> Option<i16> {
        self.broker_max
            .iter()
            .find(|(k, _)| *k == key.key())
            .map(|(_, v)| *v)
    }

    /// The version to use: the highest both we and the broker speak.
    pub fn version_for(&self, key: ApiKey) -> i16 {
        let broker = self
            .broker_max
            .iter()
            .find(|(k, _)| *k == key.key())
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("broker does not advertise {}", key.name()));
        broker.min(key.max_version())
    }

    /// Sends one request and waits for its response.
    pub async fn call<R: Request>(&mut self, request: &R, version: i16) -> R::Response {
        self.correlation_id += 1;
        let mut buf = BytesMut::new();
        frame::encode_request(
            &mut buf,
            self.correlation_id,
            Some("raw-smoke"),
            version,
            request,
        )
        .expect("encode");
        self.stream.write_all(&buf).await.expect("write");
        let size = tokio::time::timeout(Duration::from_secs(30), self.stream.read_i32())
            .await
            .expect("response timed out")
            .expect("read size");
        let mut body = vec![0u8; size as usize];
        self.stream.read_exact(&mut body).await.expect("read body");
        let (header, response) = decode_response::<R>(Bytes::from(body), version)
            .unwrap_or_else(|e| panic!("{} v{version}: {e}", <R::Response as Message>::NAME));
        assert_eq!(header.correlation_id, self.correlation_id);
        response
    }
}
