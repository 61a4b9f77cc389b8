//! Real-broker test harness.
//!
//! Owns everything an integration test needs besides the code under test:
//!
//! - [`broker`]: one Kafka-compatible broker per test binary — a local tansu
//!   container started through testcontainers, or the cluster named by
//!   `KAFKA_BOOTSTRAP_SERVERS` when that is set. [`dedicated_broker`] gives a
//!   test its own container to stop, restart or pause.
//! - [`kcat`](mod@kcat): an independent client (librdkafka) to write data our
//!   client must read, and to read back what our client wrote, so a test
//!   asserts on what the broker really holds rather than on our codec agreeing
//!   with itself. Also librdkafka's multi-broker [`MockCluster`].
//! - [`probe`]: a hand-rolled ApiVersions v0 exchange used as the readiness
//!   check. Hand-rolled on purpose: readiness must not depend on the codec
//!   under test.
//!
//! It is a separate crate so every test binary in the workspace can share it,
//! and so that no Docker or process plumbing leaks into the SDK crates.
//!
//! Nothing here ever skips a test because a broker is missing: when no broker
//! can be had, [`broker`] panics with the reason and the fix
//! (`scripts/install-broker`, or `KAFKA_BOOTSTRAP_SERVERS`). The one skip is by
//! design: against an external cluster, a test that needs its own broker
//! container to misbehave calls [`not_applicable_to_external_cluster`], which
//! names it as not applicable.
//!
//! ```no_run
//! # async fn example() {
//! use integration_tests::{broker, kcat_consume, kcat_produce, unique_topic};
//!
//! let broker = broker().await;
//! let topic = unique_topic("example");
//! kcat_produce(&broker.bootstrap(), &topic, &["a", "b"], &["-p", "0"]).await;
//! let out = kcat_consume(&broker.bootstrap(), &topic, 2, "%s\n").await;
//! assert_eq!(out, "a\nb\n");
//! # }
//! ```

mod broker;
pub mod fault_proxy;
pub mod group;
pub mod kcat;
pub mod probe;
pub mod raw;
pub mod resources;
pub mod sasl;
pub mod tls;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use broker::{
    broker, dedicated_broker, external_cluster, not_applicable_to_external_cluster, Broker,
    BrokerKind, BOOTSTRAP_ENV, BROKER_ENV, NOT_APPLICABLE_LOG, TANSU_IMAGE, TANSU_TAG,
};
pub use kcat::{kcat, kcat_consume, kcat_produce, KcatOutput, MockCluster};
pub use probe::{probe_api_versions, ApiVersionRange};

/// Why the harness could not do what a test asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// Docker is missing or the daemon is unreachable.
    #[error("docker is not usable: {reason}")]
    DockerUnavailable { reason: String },
    /// The broker image was never built on this machine.
    #[error("docker image {image} is not present (nothing can be pulled here)")]
    ImageMissing { image: String },
    /// A Docker operation on the broker container failed.
    #[error("docker: {op} failed: {reason}")]
    Docker { op: &'static str, reason: String },
    /// The broker never answered ApiVersions.
    #[error(
        "no broker answered ApiVersions at {addr} within {waited:?}; last error: {last_error}{}",
        if logs.is_empty() { String::new() } else { format!("\n--- broker logs (tail) ---\n{logs}") }
    )]
    NotReady {
        addr: String,
        waited: Duration,
        last_error: String,
        logs: String,
    },
    /// A container control was asked of a cluster we did not start.
    #[error("{op} needs a broker container, but the tests use the external cluster {BOOTSTRAP_ENV}={bootstrap}")]
    External { op: &'static str, bootstrap: String },
    /// The in-process kafkito-testkit cluster (`BROKER=testkit`) could not do what was asked.
    #[error("kafkito-testkit: {op} failed: {reason}")]
    Testkit { op: &'static str, reason: String },
    /// kcat could not be found or run.
    #[error("kcat: {reason}")]
    Kcat { reason: String },
}

/// Whether a `tracing` target is the client SDK's own (`kafkito` and its modules, not
/// `kafkito_protocol` or `kafkito_testkit`): what the tests' event counters and trace printers
/// listen to.
///
/// ```
/// assert!(integration_tests::is_client_target("kafkito::producer::sender"));
/// assert!(!integration_tests::is_client_target("kafkito_testkit::wire"));
/// ```
pub fn is_client_target(target: &str) -> bool {
    target == "kafkito" || target.starts_with("kafkito::")
}

/// Returns a topic name no other test (in this or any other process) uses:
/// `{prefix}-{pid}-{time}-{n}`. Characters Kafka does not allow in topic
/// names are replaced by `-`.
///
/// ```
/// let a = integration_tests::unique_topic("orders");
/// let b = integration_tests::unique_topic("orders");
/// assert!(a.starts_with("orders-") && a != b);
/// ```
pub fn unique_topic(prefix: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let mut prefix: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    // Kafka allows 249 characters; keep room for the unique suffix.
    prefix.truncate(200);
    // The time part keeps names unique across runs against a long-lived
    // external cluster, where pid and counter alone would repeat.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{nanos:x}-{n}", std::process::id())
}

/// Creates `topic` with `partitions` partitions (replication factor 1) on the shared broker
/// through our admin client, and panics with the broker's reason if it cannot. Explicit
/// creation matters on tansu: it auto-creates topics only with 4 partitions.
pub async fn create_topic(topic: &str, partitions: i32) {
    use kafkito::admin::{AdminClient, CreateTopicsOptions, NewTopic};
    let bootstrap = broker().await.bootstrap();
    let admin = AdminClient::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("default.api.timeout.ms", "20000"),
    ])
    .unwrap_or_else(|e| panic!("admin client for {bootstrap}: {e}"));
    let created = admin
        .create_topics(
            vec![NewTopic::new(topic, partitions, 1)],
            CreateTopicsOptions::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("create {topic}: {e}"));
    created[topic]
        .as_ref()
        .unwrap_or_else(|e| panic!("create {topic}: {e}"));
    admin.close();
}
