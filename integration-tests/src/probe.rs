//! A minimal ApiVersions v0 exchange over a raw TCP socket.
//!
//! This is the harness's readiness check and nothing more. It is written by
//! hand — twenty bytes out, a flat table back — so that "is the broker up?"
//! never depends on the codec under test. Version 0 is used because it is the
//! one every Kafka-compatible broker must answer: no flexible encoding, no
//! tagged fields (tansu's v3+ response carries default-valued tagged fields
//! that some clients mis-parse; see integration-tests/README.md).
//!
//! A plain TCP connect is not enough: Docker's port proxy accepts connections
//! on the host port before the broker inside the container listens, so only a
//! Kafka-level answer proves the broker is ready.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One row of an ApiVersions response: the broker serves `api_key` at
/// versions `min_version..=max_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersionRange {
    pub api_key: i16,
    pub min_version: i16,
    pub max_version: i16,
}

const API_VERSIONS_KEY: i16 = 18;
const CORRELATION_ID: i32 = 0x6b61_6673; // "kafs": easy to spot in a capture
const CLIENT_ID: &[u8] = b"integration-tests-probe";
/// Far above any real v0 answer (~60 keys * 6 bytes); guards against reading
/// a non-Kafka service's bytes as a huge length.
const MAX_RESPONSE: usize = 64 * 1024;

/// Sends ApiVersions v0 to `addr` (`host:port`) and returns the broker's
/// table, sorted by API key. Fails if the broker does not answer within
/// `timeout`, answers with an error code, or answers with something that is
/// not an ApiVersions v0 response.
///
/// ```no_run
/// # async fn example() -> Result<(), String> {
/// use std::time::Duration;
/// let apis = integration_tests::probe_api_versions("127.0.0.1:9092", Duration::from_secs(2)).await?;
/// assert!(apis.iter().any(|a| a.api_key == 0)); // Produce
/// # Ok(()) }
/// ```
pub async fn probe_api_versions(
    addr: &str,
    timeout: Duration,
) -> Result<Vec<ApiVersionRange>, String> {
    tokio::time::timeout(timeout, exchange(addr))
        .await
        .map_err(|_| format!("no ApiVersions answer from {addr} within {timeout:?}"))?
}

async fn exchange(addr: &str) -> Result<Vec<ApiVersionRange>, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;

    // Request header v1 (api_key, api_version, correlation_id, client_id);
    // the v0 request body is empty.
    let mut request = Vec::with_capacity(4 + 10 + CLIENT_ID.len());
    let body_len = 2 + 2 + 4 + 2 + CLIENT_ID.len();
    request.extend_from_slice(&(body_len as i32).to_be_bytes());
    request.extend_from_slice(&API_VERSIONS_KEY.to_be_bytes());
    request.extend_from_slice(&0i16.to_be_bytes());
    request.extend_from_slice(&CORRELATION_ID.to_be_bytes());
    request.extend_from_slice(&(CLIENT_ID.len() as i16).to_be_bytes());
    request.extend_from_slice(CLIENT_ID);
    stream
        .write_all(&request)
        .await
        .map_err(|e| format!("send to {addr}: {e}"))?;

    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await.map_err(|e| {
        format!(
            "read from {addr}: {e} (connection closed before an answer: broker not listening yet?)"
        )
    })?;
    let len = i32::from_be_bytes(len);
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| (4..=MAX_RESPONSE).contains(&l))
        .ok_or_else(|| format!("{addr} answered a frame of length {len}: not Kafka?"))?;
    let mut frame = vec![0u8; len];
    stream
        .read_exact(&mut frame)
        .await
        .map_err(|e| format!("read from {addr}: {e}"))?;
    parse_v0(&frame).map_err(|e| format!("{addr}: {e}"))
}

/// Parses a response frame (after the length prefix): header v0
/// (correlation_id) then error_code, then `[api_key min max]`.
fn parse_v0(frame: &[u8]) -> Result<Vec<ApiVersionRange>, String> {
    let mut r = Reader(frame);
    let correlation_id = r.i32()?;
    if correlation_id != CORRELATION_ID {
        return Err(format!(
            "correlation id {correlation_id:#x} != {CORRELATION_ID:#x}"
        ));
    }
    let error_code = r.i16()?;
    if error_code != 0 {
        return Err(format!("ApiVersions error code {error_code}"));
    }
    let count = r.i32()?;
    let count =
        usize::try_from(count).map_err(|_| format!("negative ApiVersions count {count}"))?;
    let mut apis = Vec::with_capacity(count.min(frame.len() / 6));
    for _ in 0..count {
        apis.push(ApiVersionRange {
            api_key: r.i16()?,
            min_version: r.i16()?,
            max_version: r.i16()?,
        });
    }
    // v0 has no throttle time and no tagged fields: anything left over means
    // we did not read what we think we read.
    if !r.0.is_empty() {
        return Err(format!(
            "{} trailing bytes after ApiVersions v0 response",
            r.0.len()
        ));
    }
    apis.sort();
    Ok(apis)
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        if self.0.len() < N {
            return Err("truncated ApiVersions response".to_string());
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        Ok(head.try_into().expect("split_at gave N bytes"))
    }
    fn i16(&mut self) -> Result<i16, String> {
        self.take().map(i16::from_be_bytes)
    }
    fn i32(&mut self) -> Result<i32, String> {
        self.take().map(i32::from_be_bytes)
    }
}

/// Whether the shared test broker ([`crate::broker`]) advertises `api_key` in its ApiVersions
/// answer: tests that expect a broker feature (KIP-848's ConsumerGroupHeartbeat, key 68;
/// CreatePartitions, key 37) follow what the broker says instead of assuming tansu, so they
/// hold against a `KAFKA_BOOTSTRAP_SERVERS` cluster too. Panics when the broker does not answer.
///
/// ```no_run
/// # async fn example() {
/// let kip_848 = integration_tests::probe::broker_advertises(68).await;
/// println!("ConsumerGroupHeartbeat: {kip_848}");
/// # }
/// ```
pub async fn broker_advertises(api_key: i16) -> bool {
    let bootstrap = crate::broker().await.bootstrap();
    let addr = bootstrap
        .split(',')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    probe_api_versions(&addr, Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("ApiVersions from {addr}: {e}"))
        .iter()
        .any(|a| a.api_key == api_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_v0_response() {
        let mut frame = CORRELATION_ID.to_be_bytes().to_vec();
        frame.extend_from_slice(&0i16.to_be_bytes());
        frame.extend_from_slice(&2i32.to_be_bytes());
        for (k, lo, hi) in [(3i16, 0i16, 12i16), (0, 0, 11)] {
            for v in [k, lo, hi] {
                frame.extend_from_slice(&v.to_be_bytes());
            }
        }
        let apis = parse_v0(&frame).unwrap();
        assert_eq!(
            apis[0],
            ApiVersionRange {
                api_key: 0,
                min_version: 0,
                max_version: 11
            }
        );
        assert_eq!(apis[1].api_key, 3);
    }

    #[test]
    fn rejects_truncation_error_codes_and_trailing_bytes() {
        let mut frame = CORRELATION_ID.to_be_bytes().to_vec();
        frame.extend_from_slice(&35i16.to_be_bytes());
        frame.extend_from_slice(&0i32.to_be_bytes());
        assert!(parse_v0(&frame).unwrap_err().contains("error code 35"));

        let mut frame = CORRELATION_ID.to_be_bytes().to_vec();
        frame.extend_from_slice(&0i16.to_be_bytes());
        frame.extend_from_slice(&1i32.to_be_bytes());
        assert!(parse_v0(&frame).unwrap_err().contains("truncated"));

        let mut frame = CORRELATION_ID.to_be_bytes().to_vec();
        frame.extend_from_slice(&0i16.to_be_bytes());
        frame.extend_from_slice(&0i32.to_be_bytes());
        frame.push(0);
        assert!(parse_v0(&frame).unwrap_err().contains("trailing"));
    }
}
