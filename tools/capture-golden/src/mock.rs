//! librdkafka's mock cluster as a second broker implementation, recorded end to end.
//!
//! The mock broker listens on a port of its own choosing and advertises it in Metadata, so a
//! proxy in front of it would normally see only the bootstrap connection. Here the proxy is
//! started after the mock cluster (its upstream is only known then) and the mock broker is told
//! to advertise the proxy instead (`rd_kafka_mock_broker_set_host_port`), so every connection
//! goes through it.
//!
//! The mock cluster has no admin APIs, but it has two that tansu 0.6.0 lacks:
//! OffsetForLeaderEpoch (sent when a partition's leader epoch moves under a fetching consumer)
//! and ConsumerGroupHeartbeat (the KIP-848 group protocol).

use std::ffi::{CStr, CString};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use crate::scenarios::{self, Peer, CODECS, RECORDS_PER_BATCH, TOPIC, TXN_TOPIC};
use crate::Result;

/// The mock cluster's only broker.
const BROKER_ID: i32 = 1;
/// The KIP-848 group (`kafka-protocol/tests/golden.rs` asserts on it).
const NEXT_GEN_GROUP: &str = "golden-848-group";

/// The recording proxy, killed when dropped.
struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A mock cluster hosted by `host`, destroyed when dropped.
struct MockCluster {
    cluster: *mut rd::rd_kafka_mock_cluster_t,
    // Keeps the librdkafka handle the mock cluster lives in alive.
    _host: BaseProducer,
}

impl Drop for MockCluster {
    fn drop(&mut self) {
        // SAFETY: created by `rd_kafka_mock_cluster_new` in `run`, destroyed once, before the
        // host handle (fields drop after this body).
        unsafe { rd::rd_kafka_mock_cluster_destroy(self.cluster) }
    }
}

/// Runs the mock tour with `proxy` (the path of `scripts/record-kafka-frames`) listening on
/// `listen` and writing frames to `out`.
pub async fn run(proxy: &str, listen: u16, out: &str) -> Result<()> {
    let host: BaseProducer = ClientConfig::new().create()?;
    // SAFETY: `host` is a live handle, kept alive by `MockCluster` for as long as the cluster.
    let cluster = unsafe { rd::rd_kafka_mock_cluster_new(host.client().native_ptr(), 1) };
    if cluster.is_null() {
        return Err("rd_kafka_mock_cluster_new failed".into());
    }
    let mock = MockCluster {
        cluster,
        _host: host,
    };
    // SAFETY: the cluster is live; the returned string lives as long as it does.
    let upstream = unsafe { CStr::from_ptr(rd::rd_kafka_mock_cluster_bootstraps(mock.cluster)) }
        .to_string_lossy()
        .into_owned();
    eprintln!("mock cluster at {upstream}");
    for topic in [TOPIC, TXN_TOPIC] {
        let name = CString::new(topic)?;
        // SAFETY: live cluster, NUL-terminated name that outlives the call.
        let err = unsafe { rd::rd_kafka_mock_topic_create(mock.cluster, name.as_ptr(), 1, 1) };
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(format!("creating mock topic {topic}: {err:?}").into());
        }
    }
    // SAFETY: live cluster. Without this a new group waits 3 s before its first rebalance.
    unsafe { rd::rd_kafka_mock_group_initial_rebalance_delay_ms(mock.cluster, 0) };

    let _proxy = Proxy(
        Command::new(proxy)
            .args(["--listen", &listen.to_string()])
            .args(["--upstream", &upstream])
            .args(["--out", out])
            .spawn()?,
    );
    wait_for_port(listen)?;
    let host = CString::new("127.0.0.1")?;
    // SAFETY: live cluster, NUL-terminated host that outlives the call (the mock copies it).
    unsafe {
        rd::rd_kafka_mock_broker_set_host_port(
            mock.cluster,
            BROKER_ID,
            host.as_ptr(),
            i32::from(listen),
        )
    };

    let peer = Peer {
        bootstrap: format!("127.0.0.1:{listen}"),
        admin: false,
    };
    scenarios::metadata(&peer)?;
    scenarios::produce_all_codecs(&peer).await?;
    scenarios::consume_assigned(&peer, TOPIC, CODECS.len() * RECORDS_PER_BATCH)?;
    scenarios::group_consumer(&peer)?;
    scenarios::transactions(&peer).await?;
    scenarios::consume_assigned(&peer, TXN_TOPIC, 2)?;
    offset_for_leader_epoch(&peer, &mock)?;
    next_gen_group_consumer(&peer)?;
    Ok(())
}

fn wait_for_port(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("the proxy did not listen on {port}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Bumps the partition's leader epoch under a fetching consumer: its next Fetch is fenced, it
/// refreshes Metadata and validates its position with OffsetForLeaderEpoch.
fn offset_for_leader_epoch(peer: &Peer, mock: &MockCluster) -> Result<()> {
    let consumer: BaseConsumer = peer
        .config()
        // librdkafka's assign() needs a group, though this consumer never joins or commits.
        .set("group.id", "golden-epoch-reader")
        .set("enable.auto.commit", "false")
        .set("topic.metadata.refresh.interval.ms", "500")
        .create()?;
    let mut assignment = TopicPartitionList::new();
    assignment.add_partition_offset(TOPIC, 0, Offset::Beginning)?;
    consumer.assign(&assignment)?;
    poll_for(&consumer, Duration::from_secs(3));
    let topic = CString::new(TOPIC)?;
    // SAFETY: live cluster, NUL-terminated topic that outlives the call.
    let err = unsafe {
        rd::rd_kafka_mock_partition_set_leader(mock.cluster, topic.as_ptr(), 0, BROKER_ID)
    };
    eprintln!("leader epoch bumped: {err:?}");
    poll_for(&consumer, Duration::from_secs(4));
    Ok(())
}

/// A KIP-848 group member: ConsumerGroupHeartbeat instead of JoinGroup/SyncGroup/Heartbeat.
fn next_gen_group_consumer(peer: &Peer) -> Result<()> {
    let consumer: BaseConsumer = peer
        .config()
        .set("group.id", NEXT_GEN_GROUP)
        .set("group.protocol", "consumer")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    consumer.subscribe(&[TOPIC])?;
    let read = poll_for(&consumer, Duration::from_secs(8));
    eprintln!("KIP-848 consumer read {read} record(s)");
    if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
        eprintln!("KIP-848 consumer commit: {e}");
    }
    consumer.unsubscribe();
    drop(consumer);
    Ok(())
}

fn poll_for(consumer: &BaseConsumer, duration: Duration) -> usize {
    let until = Instant::now() + duration;
    let mut read = 0;
    while Instant::now() < until {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(_)) => read += 1,
            Some(Err(e)) => eprintln!("  consumer error: {e}"),
            None => {}
        }
    }
    read
}
