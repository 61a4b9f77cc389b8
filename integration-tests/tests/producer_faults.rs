//! The idempotent producer under faults, on librdkafka's in-process mock cluster (three
//! brokers): Produce errors injected by the mock, partition leaders moved mid-stream, a broker
//! taken down and brought back. Each scenario sends 3000 keyed records, then reads back what the
//! mock holds with librdkafka's own consumer (not ours) up to each partition's high watermark,
//! and counts lost, duplicated and reordered records. Each prints one line for the notes:
//!
//! `fault=<name> sent=N received=R lost=L duplicated=D reordered=O retries=<metrics.retries> failed=F`
//!
//! A limit of the mock worth knowing when reading a failure: it checks producer ids and
//! sequence numbers only for *transactional* producers (`rd_kafka_mock_validate_records`
//! returns early when the Produce request has no transactional id). An idempotent producer
//! here gets no DUPLICATE_SEQUENCE_NUMBER / OUT_OF_ORDER_SEQUENCE_NUMBER protection from the
//! broker side, so a batch resent after it was written shows up as a duplicate, and a later
//! batch accepted while an earlier one waits for its retry shows up as reordered — both of
//! which a real Kafka broker would have refused. An injected error is returned before the
//! mock appends anything, so those scenarios are exact; `broker_down_up` can lose a response
//! whose request was written.
//!
//! The mock also bends the protocol in two ways a client must tolerate, as Java and librdkafka
//! do: it answers an ApiVersions request above its v2 with UNSUPPORTED_VERSION in a body that is
//! neither v0 nor flexible, and it sends one stray byte after flexible Metadata bodies.
//! [`preflight`] fails each test at once, with the client's error, when it cannot.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use futures::future::join_all;
use kafkito::producer::partitioner::{murmur2, to_positive};
use kafkito::producer::{Producer, ProducerConfig, ProducerRecord, RecordMetadata};
use kafkito::AdminClient;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use support::mock::rd_read_back;

const RECORDS: usize = 3000;
const PARTITIONS: i32 = 4;
const BROKERS: i32 = 3;
const TOPIC: &str = "faults";
/// Every scenario must finish well within this, reading back included.
const SCENARIO_LIMIT: Duration = Duration::from_secs(30);

type Mock = MockCluster<'static, DefaultProducerContext>;

/// Something done to the cluster once `at` records have been handed to `send`.
enum Action {
    /// Fail the next Produce requests (any broker), one error each, in order.
    ProduceErrors(Vec<RDKafkaRespErr>),
    /// Move every partition's leader to the next broker.
    MoveLeaders,
    /// Make `broker` the leader of every partition.
    LeadersTo(i32),
    BrokerDown(i32),
    BrokerUp(i32),
    /// Stop handing records to `send` for this long (batches already queued or in flight go
    /// on), e.g. to keep a broker down through several retries.
    Hold(Duration),
}

/// The mock's broker ids are 1..=BROKERS; partition p starts on broker `p % BROKERS + 1`.
fn initial_leader(partition: i32) -> i32 {
    partition % BROKERS + 1
}

fn key(i: usize) -> String {
    format!("key-{i}")
}

fn partition_of(i: usize) -> i32 {
    to_positive(murmur2(key(i).as_bytes())) % PARTITIONS
}

struct Outcome {
    sent: usize,
    received: usize,
    lost: usize,
    duplicated: usize,
    reordered: usize,
    failed: usize,
    offset_mismatches: usize,
    retries: u64,
    /// Records handed to `send` while their partition's leader was down.
    sent_to_down_leader: usize,
    /// Of those, the ones acknowledged before that broker was up again: the broker was not
    /// really down for them (a fault that never hit), or an acknowledgement came from nowhere.
    acked_while_down: usize,
}

/// Runs one scenario: `actions` fire at their record index while 3000 keyed records go out.
async fn run_scenario(name: &str, actions: Vec<(usize, Action)>) -> Outcome {
    let mock = Mock::new(BROKERS).expect("librdkafka mock cluster");
    mock.create_topic(TOPIC, PARTITIONS, BROKERS).unwrap();
    let mut leaders: Vec<i32> = (0..PARTITIONS).map(initial_leader).collect();
    for (p, &leader) in leaders.iter().enumerate() {
        mock.partition_leader(TOPIC, p as i32, Some(leader))
            .unwrap();
    }
    let bootstrap = mock.bootstrap_servers();
    preflight(&bootstrap).await;

    let config = ProducerConfig::from_properties([
        ("bootstrap.servers", bootstrap.as_str()),
        ("enable.idempotence", "true"),
        ("acks", "all"),
        ("linger.ms", "5"),
        ("batch.size", "16384"),
        ("request.timeout.ms", "5000"),
        ("delivery.timeout.ms", "25000"),
        ("retry.backoff.ms", "20"),
        ("retry.backoff.max.ms", "200"),
        ("max.block.ms", "10000"),
    ])
    .unwrap();
    let producer = Producer::new(config).await.unwrap();

    let started = Instant::now();
    let mut actions = actions.into_iter().peekable();
    let mut deliveries = Vec::with_capacity(RECORDS);
    // Brokers down now; and per record sent to a down leader, that broker.
    let mut down: Vec<i32> = Vec::new();
    let mut to_down_leader: Vec<(usize, i32)> = Vec::new();
    // When each broker came back up (the last time).
    let mut up_at: HashMap<i32, Instant> = HashMap::new();
    for i in 0..RECORDS {
        while let Some((_, action)) = actions.next_if(|(at, _)| *at <= i) {
            match action {
                Action::ProduceErrors(errors) => {
                    mock.request_errors(RDKafkaApiKey::Produce, &errors)
                }
                Action::MoveLeaders => {
                    for (p, leader) in leaders.iter_mut().enumerate() {
                        *leader = *leader % BROKERS + 1;
                        mock.partition_leader(TOPIC, p as i32, Some(*leader))
                            .unwrap();
                    }
                }
                Action::LeadersTo(broker) => {
                    for (p, leader) in leaders.iter_mut().enumerate() {
                        *leader = broker;
                        mock.partition_leader(TOPIC, p as i32, Some(broker))
                            .unwrap();
                    }
                }
                Action::BrokerDown(broker) => {
                    mock.broker_down(broker).unwrap();
                    down.push(broker);
                }
                Action::BrokerUp(broker) => {
                    mock.broker_up(broker).unwrap();
                    down.retain(|b| *b != broker);
                    up_at.insert(broker, Instant::now());
                }
                Action::Hold(duration) => tokio::time::sleep(duration).await,
            }
        }
        let record = ProducerRecord::new(TOPIC)
            .key(key(i))
            .value(format!("value-{i}"));
        let leader = leaders[partition_of(i) as usize];
        if down.contains(&leader) {
            to_down_leader.push((i, leader));
        }
        let delivery = producer.send(record).await.unwrap();
        // Spawned so that each acknowledgement's time is taken when it arrives.
        deliveries.push(tokio::spawn(async move {
            let r = delivery.await;
            (r, Instant::now())
        }));
        // Pace the stream (~1 s in all) so the faults land among batches in flight rather
        // than before or after all of them.
        if i % 10 == 9 {
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    }
    for (_, action) in actions {
        if let Action::BrokerUp(broker) = action {
            mock.broker_up(broker).unwrap();
            up_at.insert(broker, Instant::now());
        }
    }
    let results: Vec<_> = join_all(deliveries)
        .await
        .into_iter()
        .map(|r| r.expect("delivery task"))
        .collect();
    let acked_while_down = to_down_leader
        .iter()
        .filter(|(i, broker)| {
            let (r, at) = &results[*i];
            r.is_ok() && up_at.get(broker).is_none_or(|up| at < up)
        })
        .count();
    let acked: Vec<Option<RecordMetadata>> = results
        .into_iter()
        .map(|(r, _)| r)
        .enumerate()
        .map(|(i, r)| match r {
            Ok(md) => Some(md),
            Err(e) => {
                eprintln!("fault={name}: {} failed: {e}", key(i));
                None
            }
        })
        .collect();
    let retries = producer.metrics().retries;
    producer.close(Duration::from_secs(5)).await.unwrap();
    let produced_in = started.elapsed();

    let held = tokio::task::spawn_blocking(move || rd_read_back(&bootstrap, TOPIC, PARTITIONS))
        .await
        .unwrap();
    let mut outcome = tally(&acked, &held, retries);
    outcome.sent_to_down_leader = to_down_leader.len();
    outcome.acked_while_down = acked_while_down;
    eprintln!(
        "fault={name} sent={} received={} lost={} duplicated={} reordered={} retries={} \
         failed={}",
        outcome.sent,
        outcome.received,
        outcome.lost,
        outcome.duplicated,
        outcome.reordered,
        outcome.retries,
        outcome.failed
    );
    eprintln!(
        "fault={name}: produced in {produced_in:?}, offset mismatches {}",
        outcome.offset_mismatches
    );
    drop(mock);
    outcome
}

/// Fails at once, saying why, when our client cannot even read the mock's metadata (rather
/// than after `max.block.ms` inside `send`).
async fn preflight(bootstrap: &str) {
    let admin = AdminClient::from_properties([
        ("bootstrap.servers", bootstrap),
        ("default.api.timeout.ms", "5000"),
    ])
    .unwrap();
    let cluster = admin
        .metadata()
        .refresh_topics(&[TOPIC])
        .await
        .unwrap_or_else(|e| {
            panic!("kafkito cannot read metadata from librdkafka's mock cluster: {e}")
        });
    let partitions = cluster.topic(TOPIC).map_or(0, |t| t.partitions.len());
    assert_eq!(partitions, PARTITIONS as usize, "mock topic {TOPIC}");
    admin.close();
}

fn tally(
    acked: &[Option<RecordMetadata>],
    held: &BTreeMap<i32, Vec<(i64, String)>>,
    retries: u64,
) -> Outcome {
    let index: HashMap<String, usize> = (0..acked.len()).map(|i| (key(i), i)).collect();
    let mut copies = vec![0usize; acked.len()];
    let mut reordered = 0;
    let mut offset_mismatches = 0;
    let mut received = 0;
    for (&p, records) in held {
        let mut last_sent = None;
        for (offset, k) in records {
            received += 1;
            let i = *index
                .get(k)
                .unwrap_or_else(|| panic!("unexpected key {k:?}"));
            assert_eq!(partition_of(i), p, "{k} on partition {p}");
            copies[i] += 1;
            if copies[i] > 1 {
                continue;
            }
            // Out of send order: sent before a record that is already ahead of it.
            if last_sent.is_some_and(|last| i < last) {
                reordered += 1;
            }
            last_sent = last_sent.max(Some(i));
            if let Some(md) = &acked[i] {
                if md.partition != p || md.offset != *offset {
                    offset_mismatches += 1;
                }
            }
        }
    }
    let failed = acked.iter().filter(|a| a.is_none()).count();
    Outcome {
        sent: acked.len(),
        received,
        lost: (0..acked.len())
            .filter(|&i| acked[i].is_some() && copies[i] == 0)
            .count(),
        duplicated: copies.iter().map(|&c| c.saturating_sub(1)).sum(),
        reordered,
        failed,
        offset_mismatches,
        retries,
        sent_to_down_leader: 0,
        acked_while_down: 0,
    }
}

fn assert_clean(name: &str, o: &Outcome) {
    assert_eq!(o.failed, 0, "fault={name}: records failed");
    assert_eq!(o.lost, 0, "fault={name}: acknowledged records missing");
    assert_eq!(o.duplicated, 0, "fault={name}: duplicates");
    assert_eq!(o.reordered, 0, "fault={name}: reordered within a partition");
    assert_eq!(o.received, o.sent, "fault={name}");
    assert_eq!(
        o.offset_mismatches, 0,
        "fault={name}: RecordMetadata offsets"
    );
}

async fn scenario(name: &str, actions: Vec<(usize, Action)>, expect_retries: bool) -> Outcome {
    let outcome = tokio::time::timeout(SCENARIO_LIMIT, run_scenario(name, actions))
        .await
        .unwrap_or_else(|_| panic!("fault={name}: not done within {SCENARIO_LIMIT:?}"));
    assert_clean(name, &outcome);
    if expect_retries {
        assert!(
            outcome.retries > 0,
            "fault={name}: no retries, the fault never hit"
        );
    }
    outcome
}

fn produce_errors(code: RDKafkaRespErr) -> Vec<(usize, Action)> {
    [300, 1200, 2100]
        .into_iter()
        .map(|at| (at, Action::ProduceErrors(vec![code; 3])))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_faults_baseline() {
    scenario("none", vec![], false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_not_leader_or_follower() {
    let errors = produce_errors(RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
    scenario("not_leader_or_follower", errors, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_request_timed_out() {
    let errors = produce_errors(RDKafkaRespErr::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
    scenario("request_timed_out", errors, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_not_enough_replicas() {
    let errors = produce_errors(RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
    scenario("not_enough_replicas", errors, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_connection_dropped() {
    // The mock closes the connection instead of answering (before appending).
    let errors = produce_errors(RDKafkaRespErr::RD_KAFKA_RESP_ERR__TRANSPORT);
    scenario("connection_dropped", errors, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_leaders_move_mid_stream() {
    let actions = vec![
        (700, Action::MoveLeaders),
        (1400, Action::MoveLeaders),
        (2100, Action::MoveLeaders),
    ];
    scenario("leader_move", actions, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_down_then_up() {
    // Broker 1 leads partitions 0 and 3; they stall (the mock moves no leader) until it is back,
    // while the other partitions go on. With no round-trip time on the mock, usually no request
    // is in flight when the broker goes, so this tests riding out refused connections rather
    // than batch retries (and the mock could not deduplicate a resent batch anyway, see the
    // module docs).
    let actions = vec![
        (1000, Action::BrokerDown(1)),
        (1500, Action::Hold(Duration::from_millis(1500))),
        (2000, Action::BrokerUp(1)),
    ];
    let outcome = scenario("broker_down_up", actions, false).await;
    // The fault was hit: records for broker 1's partitions were sent while it was down, and
    // none of them was acknowledged before it was back.
    eprintln!(
        "fault=broker_down_up: {} records sent to the down leader, {} acknowledged while it \
         was down",
        outcome.sent_to_down_leader, outcome.acked_while_down
    );
    assert!(
        outcome.sent_to_down_leader > 0,
        "fault=broker_down_up: no record was sent while its leader was down"
    );
    assert_eq!(
        outcome.acked_while_down, 0,
        "fault=broker_down_up: records acknowledged by a broker that was down"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_down_with_failover() {
    // What a real cluster does: the leader dies and the partitions move to a live broker.
    let actions = vec![
        (1000, Action::BrokerDown(1)),
        (1000, Action::LeadersTo(2)),
        (1800, Action::BrokerUp(1)),
        (2200, Action::MoveLeaders),
    ];
    scenario("broker_down_failover", actions, true).await;
}
