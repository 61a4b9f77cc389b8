//! What the driver makes librdkafka do, one function per job, with fixed content.
//!
//! `kafka-protocol/tests/golden.rs` asserts on these constants and on the record layout written
//! by [`produce_all_codecs`]; change them together.

use std::time::{Duration, Instant};

use rdkafka::admin::{
    AdminClient, AdminOptions, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

use crate::{admin_ffi, Result};

/// Made by `tansu topic create` (or the mock cluster) before the driver runs; one partition.
pub const TOPIC: &str = "golden";
/// Created and deleted by the admin client; two partitions.
pub const ADMIN_TOPIC: &str = "golden-admin";
/// Written by the transactional producer; one partition.
pub const TXN_TOPIC: &str = "golden-txn";
/// The classic (JoinGroup/SyncGroup) consumer group.
pub const GROUP: &str = "golden-group";
/// The group whose offsets the transactional producer commits.
pub const TXN_GROUP: &str = "golden-txn-group";
/// The transactional producer's id.
pub const TRANSACTIONAL_ID: &str = "golden-txn-id";
/// First record timestamp; record `r` of codec `c` has `BASE_TIMESTAMP + 10 * c + r`.
pub const BASE_TIMESTAMP: i64 = 1_700_000_000_000;
/// One idempotent producer, and so one batch of [`RECORDS_PER_BATCH`] records, per codec.
pub const CODECS: [&str; 5] = ["none", "gzip", "snappy", "lz4", "zstd"];
/// Records per produced batch; see [`record`] for what each holds.
pub const RECORDS_PER_BATCH: usize = 4;

const TIMEOUT: Duration = Duration::from_secs(15);

/// Where the driver connects and what that broker can do.
pub struct Peer {
    /// The proxy's address.
    pub bootstrap: String,
    /// Whether the broker has the admin APIs (librdkafka's mock cluster has none).
    pub admin: bool,
}

impl Peer {
    /// A real broker behind the proxy.
    pub fn broker(bootstrap: String) -> Peer {
        Peer {
            bootstrap,
            admin: true,
        }
    }

    /// The settings every client of this peer shares.
    pub fn config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.bootstrap)
            .set("client.id", "capture-golden")
            .set("broker.address.family", "v4")
            // KIP-714 telemetry would add GetTelemetrySubscriptions frames this codec does
            // not speak.
            .set("enable.metrics.push", "false");
        config
    }
}

/// One record the driver writes.
pub struct GoldenRecord {
    /// The key, or null.
    pub key: Option<String>,
    /// The value, or null (a tombstone).
    pub value: Option<String>,
    /// Header names and values (a value may be null).
    pub headers: Vec<(&'static str, Option<String>)>,
    /// CreateTime, in milliseconds.
    pub timestamp: i64,
}

/// Record `r` of the batch produced with codec `CODECS[c]`:
///
/// - 0: key, value and two headers (`codec`, `seq`);
/// - 1: key and value, no headers;
/// - 2: null key, a value, one header with a null value;
/// - 3: key and a null value (a tombstone).
pub fn record(c: usize, r: usize) -> GoldenRecord {
    let codec = CODECS[c];
    let key = Some(format!("key-{codec}-{r}"));
    let value = Some(format!("value-{codec}-{r}"));
    let (key, value, headers) = match r {
        0 => (
            key,
            value,
            vec![("codec", Some(codec.to_owned())), ("seq", Some("0".into()))],
        ),
        1 => (key, value, vec![]),
        2 => (None, value, vec![("null-header", None)]),
        _ => (key, None, vec![]),
    };
    GoldenRecord {
        key,
        value,
        headers,
        timestamp: BASE_TIMESTAMP + 10 * c as i64 + r as i64,
    }
}

/// Everything, in an order where each step has what it needs.
pub async fn full_tour(peer: &Peer) -> Result<()> {
    metadata(peer)?;
    if peer.admin {
        admin_setup(peer).await?;
    }
    produce_all_codecs(peer).await?;
    consume_assigned(peer, TOPIC, CODECS.len() * RECORDS_PER_BATCH)?;
    group_consumer(peer)?;
    transactions(peer).await?;
    // read_committed: the Fetch response holds the committed batch, the aborted one, both
    // markers and the aborted-transactions list.
    consume_assigned(peer, TXN_TOPIC, 2)?;
    if peer.admin {
        admin_teardown(peer).await?;
    }
    Ok(())
}

/// Metadata for all topics, for one topic, and for one that does not exist.
pub fn metadata(peer: &Peer) -> Result<()> {
    let consumer: BaseConsumer = peer.config().create()?;
    let all = consumer.fetch_metadata(None, TIMEOUT)?;
    eprintln!(
        "metadata: {} broker(s), {} topic(s)",
        all.brokers().len(),
        all.topics().len()
    );
    consumer.fetch_metadata(Some(TOPIC), TIMEOUT)?;
    match consumer.fetch_metadata(Some("golden-missing"), TIMEOUT) {
        Ok(m) => eprintln!(
            "metadata for a missing topic: {:?}",
            m.topics().first().map(|t| t.error())
        ),
        Err(e) => eprintln!("metadata for a missing topic: {e}"),
    }
    Ok(())
}

fn admin(peer: &Peer) -> Result<AdminClient<DefaultClientContext>> {
    Ok(peer.config().create()?)
}

/// CreateTopics (with a config), DescribeConfigs (topic and broker), CreatePartitions (which
/// librdkafka refuses locally against a broker that does not list it, as tansu 0.6.0 does),
/// DescribeCluster (Metadata v10, see `admin_ffi`).
pub async fn admin_setup(peer: &Peer) -> Result<()> {
    let admin = admin(peer)?;
    let options = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    let topics = [
        NewTopic::new(ADMIN_TOPIC, 2, TopicReplication::Fixed(1)).set("retention.ms", "3600000"),
        NewTopic::new(TXN_TOPIC, 1, TopicReplication::Fixed(1)),
    ];
    for result in admin.create_topics(&topics, &options).await? {
        eprintln!("create topic: {result:?}");
    }
    let broker_id = admin
        .inner()
        .fetch_metadata(None, TIMEOUT)?
        .brokers()
        .first()
        .map(|b| b.id())
        .ok_or("no brokers in metadata")?;
    let resources = [
        ResourceSpecifier::Topic(ADMIN_TOPIC),
        ResourceSpecifier::Broker(broker_id),
    ];
    for result in admin.describe_configs(&resources, &options).await? {
        match result {
            Ok(r) => eprintln!(
                "describe configs {:?}: {} entries",
                r.specifier,
                r.entries.len()
            ),
            Err(e) => eprintln!("describe configs: {e}"),
        }
    }
    match admin
        .create_partitions(&[NewPartitions::new(ADMIN_TOPIC, 3)], &options)
        .await
    {
        Ok(r) => eprintln!("create partitions: {r:?}"),
        Err(e) => eprintln!("create partitions: {e}"),
    }
    match admin_ffi::describe_cluster(admin.inner().native_ptr()) {
        Ok(r) => eprintln!("describe cluster: {r}"),
        Err(e) => eprintln!("describe cluster: {e}"),
    }
    Ok(())
}

/// DeleteRecords below offset 2 of [`TOPIC`], DeleteTopics of [`ADMIN_TOPIC`].
pub async fn admin_teardown(peer: &Peer) -> Result<()> {
    let admin = admin(peer)?;
    let options = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    let mut offsets = TopicPartitionList::new();
    offsets.add_partition_offset(TOPIC, 0, Offset::Offset(2))?;
    match admin.delete_records(&offsets, &options).await {
        Ok(r) => eprintln!("delete records: {r:?}"),
        Err(e) => eprintln!("delete records: {e}"),
    }
    for result in admin.delete_topics(&[ADMIN_TOPIC], &options).await? {
        eprintln!("delete topic: {result:?}");
    }
    Ok(())
}

/// One idempotent producer per codec, each writing one batch of [`RECORDS_PER_BATCH`] records
/// to partition 0 of [`TOPIC`]: InitProducerId, then a Produce per codec.
pub async fn produce_all_codecs(peer: &Peer) -> Result<()> {
    for (c, codec) in CODECS.iter().enumerate() {
        let producer: FutureProducer = peer
            .config()
            .set("compression.type", *codec)
            .set("enable.idempotence", "true")
            // Long enough that all records queue up behind InitProducerId: one batch.
            .set("linger.ms", "200")
            .create()?;
        send_batch(&producer, TOPIC, c).await?;
        eprintln!("produced one {codec} batch");
    }
    Ok(())
}

async fn send_batch(producer: &FutureProducer, topic: &str, c: usize) -> Result<()> {
    let mut deliveries = Vec::new();
    for r in 0..RECORDS_PER_BATCH {
        let GoldenRecord {
            key,
            value,
            headers,
            timestamp,
        } = record(c, r);
        let mut owned = OwnedHeaders::new();
        for (name, v) in &headers {
            owned = owned.insert(Header {
                key: name,
                value: v.as_deref(),
            });
        }
        let mut rec: FutureRecord<'_, str, str> =
            FutureRecord::to(topic).partition(0).timestamp(timestamp);
        if !headers.is_empty() {
            rec = rec.headers(owned);
        }
        if let Some(k) = key.as_deref() {
            rec = rec.key(k);
        }
        if let Some(v) = value.as_deref() {
            rec = rec.payload(v);
        }
        deliveries.push(producer.send_result(rec).map_err(|(e, _)| e)?);
    }
    for delivery in deliveries {
        delivery.await?.map_err(|(e, _)| e)?;
    }
    Ok(())
}

/// A consumer that assigns partition 0 of `topic` from the beginning (ListOffsets, Fetch) and
/// reads `expect` records; then watermarks and an offset-for-timestamp lookup (ListOffsets).
pub fn consume_assigned(peer: &Peer, topic: &str, expect: usize) -> Result<()> {
    let consumer: BaseConsumer = peer
        .config()
        // librdkafka's assign() needs a group, though this consumer never joins or commits.
        .set("group.id", "golden-reader")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()?;
    let mut assignment = TopicPartitionList::new();
    assignment.add_partition_offset(topic, 0, Offset::Beginning)?;
    consumer.assign(&assignment)?;
    let read = poll_records(&consumer, expect)?;
    eprintln!("assigned consumer read {read} record(s) from {topic}");
    let (low, high) = consumer.fetch_watermarks(topic, 0, TIMEOUT)?;
    eprintln!("watermarks of {topic}: {low}..{high}");
    let mut times = TopicPartitionList::new();
    times.add_partition_offset(topic, 0, Offset::Offset(BASE_TIMESTAMP + 12))?;
    let found = consumer.offsets_for_times(times, TIMEOUT)?;
    eprintln!("offset for timestamp: {:?}", found.elements()[0].offset());
    Ok(())
}

/// Polls until `expect` records arrived (or a deadline); returns how many did.
fn poll_records<C: rdkafka::consumer::ConsumerContext>(
    consumer: &BaseConsumer<C>,
    expect: usize,
) -> Result<usize> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut read = 0;
    while read < expect && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                read += 1;
                let headers = m.headers().map(|h| h.count()).unwrap_or(0);
                eprintln!(
                    "  {}@{} key={:?} value={:?} headers={headers}",
                    m.partition(),
                    m.offset(),
                    m.key().map(String::from_utf8_lossy),
                    m.payload().map(String::from_utf8_lossy),
                );
            }
            Some(Err(e)) => eprintln!("  consumer error: {e}"),
            None => {}
        }
    }
    Ok(read)
}

/// A classic group member: FindCoordinator, JoinGroup, SyncGroup, Fetch, OffsetCommit,
/// OffsetFetch, Heartbeat; ListGroups and DescribeGroups (two ways) while it is a member; then
/// LeaveGroup.
pub fn group_consumer(peer: &Peer) -> Result<()> {
    let consumer: BaseConsumer = peer
        .config()
        .set("group.id", GROUP)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "500")
        .set("partition.assignment.strategy", "range")
        .create()?;
    consumer.subscribe(&[TOPIC])?;
    let read = poll_records(&consumer, CODECS.len() * RECORDS_PER_BATCH)?;
    eprintln!("group consumer read {read} record(s)");
    consumer.commit_consumer_state(CommitMode::Sync)?;
    eprintln!("committed: {:?}", consumer.committed(TIMEOUT)?);
    // Stay a member long enough for a couple of heartbeats.
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        consumer.poll(Duration::from_millis(100));
    }
    for group in [None, Some(GROUP)] {
        match consumer.fetch_group_list(group, TIMEOUT) {
            Ok(list) => {
                for g in list.groups() {
                    eprintln!(
                        "group {}: state {}, protocol {}/{}, {} member(s)",
                        g.name(),
                        g.state(),
                        g.protocol_type(),
                        g.protocol(),
                        g.members().len()
                    );
                }
            }
            Err(e) => eprintln!("fetch group list {group:?}: {e}"),
        }
    }
    if peer.admin {
        let rk = consumer.client().native_ptr();
        match admin_ffi::list_consumer_groups(rk) {
            Ok(groups) => eprintln!("list consumer groups: {groups:?}"),
            Err(e) => eprintln!("list consumer groups: {e}"),
        }
        match admin_ffi::describe_consumer_groups(rk, &[GROUP]) {
            Ok(groups) => eprintln!("describe consumer groups: {groups:?}"),
            Err(e) => eprintln!("describe consumer groups: {e}"),
        }
    }
    consumer.unsubscribe();
    // Dropping the consumer closes it, which sends LeaveGroup.
    drop(consumer);
    Ok(())
}

/// A transactional producer: FindCoordinator (transaction), InitProducerId, AddPartitionsToTxn,
/// Produce, AddOffsetsToTxn, FindCoordinator (group), TxnOffsetCommit, EndTxn(commit); then a
/// second transaction ended with EndTxn(abort).
pub async fn transactions(peer: &Peer) -> Result<()> {
    let producer: FutureProducer = peer
        .config()
        .set("transactional.id", TRANSACTIONAL_ID)
        .set("transaction.timeout.ms", "30000")
        .create()?;
    producer.init_transactions(TIMEOUT)?;

    producer.begin_transaction()?;
    for (i, key) in ["txn-commit-0", "txn-commit-1"].iter().enumerate() {
        let value = format!("committed-{i}");
        let rec = FutureRecord::to(TXN_TOPIC)
            .partition(0)
            .key(*key)
            .payload(&value)
            .timestamp(BASE_TIMESTAMP + 100 + i as i64);
        producer
            .send(rec, TIMEOUT)
            .await
            .map_err(|(e, _)| Box::new(e) as Box<dyn std::error::Error>)?;
    }
    let group_member: BaseConsumer = peer.config().set("group.id", TXN_GROUP).create()?;
    let metadata = group_member
        .group_metadata()
        .ok_or("a consumer with a group.id has group metadata")?;
    let mut offsets = TopicPartitionList::new();
    offsets.add_partition_offset(TOPIC, 0, Offset::Offset(20))?;
    producer.send_offsets_to_transaction(&offsets, &metadata, TIMEOUT)?;
    producer.commit_transaction(TIMEOUT)?;
    eprintln!("transaction committed");

    producer.begin_transaction()?;
    let rec = FutureRecord::to(TXN_TOPIC)
        .partition(0)
        .key("txn-abort-0")
        .payload("aborted-0")
        .timestamp(BASE_TIMESTAMP + 110);
    producer
        .send(rec, TIMEOUT)
        .await
        .map_err(|(e, _)| Box::new(e) as Box<dyn std::error::Error>)?;
    producer.abort_transaction(TIMEOUT)?;
    eprintln!("transaction aborted");
    Ok(())
}

/// Connects with SASL/SCRAM-SHA-512 (SaslHandshake, SaslAuthenticate) and asks for metadata.
///
/// The login is expected to fail against tansu 0.6.0: with `--authentication` it accepts
/// AlterUserScramCredentials only from an authenticated client, so no user can ever be created
/// in its memory storage. The frames still hold a full handshake and SCRAM's first exchange.
pub async fn sasl(bootstrap: &str, user: &str, password: &str) -> Result<()> {
    let peer = Peer::broker(bootstrap.to_owned());
    let consumer: BaseConsumer = peer
        .config()
        .set("security.protocol", "SASL_PLAINTEXT")
        .set("sasl.mechanisms", "SCRAM-SHA-512")
        .set("sasl.username", user)
        .set("sasl.password", password)
        .create()?;
    match consumer.fetch_metadata(None, Duration::from_secs(5)) {
        Ok(m) => eprintln!("metadata over SASL: {} broker(s)", m.brokers().len()),
        Err(e) => eprintln!("metadata over SASL (login expected to fail): {e}"),
    }
    Ok(())
}
