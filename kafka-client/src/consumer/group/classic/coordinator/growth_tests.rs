//! Partition growth and late topics, end to end through the group task: a scripted fake broker
//! (crafted Metadata, FindCoordinator, JoinGroup, SyncGroup, Heartbeat answers, one member)
//! whose topics grow or appear while the task runs, under paused Tokio time so that
//! `metadata.max.age.ms` and the observation windows cost no wall-clock time and the measured
//! delays are exact to a [`STEP`]. Neither tansu nor librdkafka's mock serves
//! CreatePartitions; the fake changes its Metadata answers instead, which is all the client can
//! see of it.
//!
//! The clock is moved by hand ([`stepped`]), never left to Tokio's auto-advance: with real
//! sockets, an idle runtime would jump to the next timer while a connect or a request is still
//! in the kernel's loopback, and a refresh would then seem to take `request.timeout.ms`.
//!
//! What the broker's group coordinator does is reduced to one member: every JoinGroup completes
//! at once with that member as leader, and the SyncGroup hands back what the leader assigned;
//! for `group.protocol=consumer` (KIP-848) the fake assigns every partition of the subscribed
//! topics that exist, by topic id, in its ConsumerGroupHeartbeat answers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafkito_protocol::messages::consumer_group_heartbeat_response::{
    Assignment as HeartbeatAssignment, TopicPartitions as HeartbeatTopicPartitions,
};
use kafkito_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafkito_protocol::messages::metadata_response::{
    MetadataResponsePartition, MetadataResponseTopic,
};
use kafkito_protocol::messages::{
    ApiKey, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, HeartbeatRequest,
    HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse,
    MetadataRequest, SyncGroupRequest, SyncGroupResponse,
};
use kafkito_protocol::wire::Uuid;
use kafkito_protocol::ErrorCode;
use tokio::time::Instant;

use super::{GroupCommand, GroupEvent, GroupHandle};
use crate::cluster::MetadataClient;
use crate::config::ClientConfig;
use crate::consumer::group::classic::membership::{GroupConfig, METADATA_CHANGED};
use crate::consumer::group::kip848::consumer_protocol::ConsumerProtocolConfig;
use crate::consumer::group::protocol::{Assignment, TopicPartition};
use crate::test_support::{cluster, coordinator_here, respond, stepped, FakeBroker, Reply};

/// `metadata.max.age.ms` of the tests: the client refreshes its topics this often.
const MAX_AGE: Duration = Duration::from_secs(5);
/// `heartbeat.interval.ms`.
const HEARTBEAT: Duration = Duration::from_secs(3);
/// How long any one expected event may take, in paused (virtual) time: far more than the
/// `MAX_AGE` + rebalance it should take, so a failure means "never", not "slow".
const PATIENCE: Duration = Duration::from_secs(120);

/// One JoinGroup the fake coordinator received.
#[derive(Debug, Clone)]
struct Join {
    at: Instant,
    reason: Option<String>,
}

/// The fake cluster's state, changed by the test while the task runs.
#[derive(Default)]
struct Fake {
    /// The topics and their partition counts (what CreateTopics / CreatePartitions made).
    topics: BTreeMap<String, i32>,
    /// Every Metadata answer: when, and the partition counts it gave.
    metadata: Vec<(Instant, BTreeMap<String, i32>)>,
    joins: Vec<Join>,
    /// What each SyncGroup from the leader assigned the member.
    syncs: Vec<Vec<TopicPartition>>,
    generation: i32,
    /// Metadata answers still to give as if these topics did not exist (a broker whose
    /// metadata cache lags behind the group coordinator's view).
    hidden: BTreeMap<String, usize>,
    /// KIP-848: the member's subscription, epoch, and the last assignment sent to it.
    subscribed: Vec<String>,
    epoch: i32,
    sent: Option<BTreeMap<String, i32>>,
    /// KIP-848: what each heartbeat acknowledged owning (topic id → partitions).
    acknowledged: Vec<BTreeMap<Uuid, Vec<i32>>>,
}

type Shared = Arc<Mutex<Fake>>;

fn topic_id(name: &str) -> Uuid {
    let mut bytes = [0u8; 16];
    for (i, b) in name.bytes().enumerate().take(15) {
        bytes[i] = b;
    }
    bytes[15] = 1; // never the zero id
    Uuid(bytes)
}

fn metadata_topic(name: &str, count: Option<i32>) -> MetadataResponseTopic {
    match count {
        Some(count) => MetadataResponseTopic {
            name: Some(name.to_owned()),
            topic_id: topic_id(name),
            partitions: (0..count)
                .map(|p| MetadataResponsePartition {
                    partition_index: p,
                    leader_id: 1,
                    replica_nodes: vec![1],
                    isr_nodes: vec![1],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        },
        None => MetadataResponseTopic {
            name: Some(name.to_owned()),
            error_code: ErrorCode::UnknownTopicOrPartition.code(),
            ..Default::default()
        },
    }
}

const MEMBER: &str = "member-1";

async fn fake_broker(fake: Shared) -> FakeBroker {
    let apis = [
        (ApiKey::ApiVersions, 3),
        (ApiKey::Metadata, 12),
        (ApiKey::FindCoordinator, 3),
        (ApiKey::JoinGroup, 9),
        (ApiKey::SyncGroup, 5),
        (ApiKey::Heartbeat, 4),
        (ApiKey::LeaveGroup, 5),
        (ApiKey::ConsumerGroupHeartbeat, 1),
    ];
    FakeBroker::start(&apis, move |request, address| {
        let mut fake = fake.lock().unwrap();
        match request.api() {
            ApiKey::Metadata => {
                let decoded: MetadataRequest = request.decode();
                let names: Vec<String> = match decoded.topics {
                    Some(topics) => topics.into_iter().filter_map(|t| t.name).collect(),
                    None => fake.topics.keys().cloned().collect(),
                };
                let mut visible = fake.topics.clone();
                for (name, left) in fake.hidden.iter_mut() {
                    if *left > 0 && visible.remove(name).is_some() {
                        *left -= 1;
                    }
                }
                let topics: Vec<MetadataResponseTopic> = names
                    .iter()
                    .map(|name| metadata_topic(name, visible.get(name).copied()))
                    .collect();
                let answered = names
                    .iter()
                    .filter_map(|n| Some((n.clone(), *visible.get(n)?)))
                    .collect();
                fake.metadata.push((Instant::now(), answered));
                respond::<MetadataRequest>(request, &cluster(address, topics))
            }
            ApiKey::FindCoordinator => coordinator_here(request, address),
            ApiKey::JoinGroup => {
                let decoded: JoinGroupRequest = request.decode();
                fake.joins.push(Join {
                    at: Instant::now(),
                    reason: decoded.reason.clone(),
                });
                fake.generation += 1;
                let protocol = &decoded.protocols[0];
                let response = JoinGroupResponse {
                    generation_id: fake.generation,
                    protocol_type: Some("consumer".into()),
                    protocol_name: Some(protocol.name.clone()),
                    leader: MEMBER.into(),
                    member_id: MEMBER.into(),
                    members: vec![JoinGroupResponseMember {
                        member_id: MEMBER.into(),
                        metadata: protocol.metadata.clone(),
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                respond::<JoinGroupRequest>(request, &response)
            }
            ApiKey::SyncGroup => {
                let decoded: SyncGroupRequest = request.decode();
                assert_eq!(decoded.generation_id, fake.generation);
                let mine = decoded
                    .assignments
                    .iter()
                    .find(|a| a.member_id == MEMBER)
                    .expect("the leader assigns the only member")
                    .assignment
                    .clone();
                fake.syncs
                    .push(Assignment::decode(&mine).unwrap().partitions);
                let response = SyncGroupResponse {
                    protocol_type: decoded.protocol_type.clone(),
                    protocol_name: decoded.protocol_name.clone(),
                    assignment: mine,
                    ..Default::default()
                };
                respond::<SyncGroupRequest>(request, &response)
            }
            ApiKey::Heartbeat => {
                let decoded: HeartbeatRequest = request.decode();
                let error_code = if decoded.generation_id == fake.generation {
                    0
                } else {
                    ErrorCode::IllegalGeneration.code()
                };
                let response = HeartbeatResponse {
                    error_code,
                    ..Default::default()
                };
                respond::<HeartbeatRequest>(request, &response)
            }
            ApiKey::ConsumerGroupHeartbeat => {
                let decoded: ConsumerGroupHeartbeatRequest = request.decode();
                if let Some(topics) = decoded.subscribed_topic_names {
                    fake.subscribed = topics;
                }
                if let Some(owned) = decoded.topic_partitions {
                    fake.acknowledged.push(
                        owned
                            .into_iter()
                            .map(|t| (t.topic_id, t.partitions))
                            .collect(),
                    );
                }
                if decoded.member_epoch < 0 {
                    let response = ConsumerGroupHeartbeatResponse {
                        member_id: Some(decoded.member_id),
                        member_epoch: decoded.member_epoch,
                        ..Default::default()
                    };
                    return respond::<ConsumerGroupHeartbeatRequest>(request, &response);
                }
                // The broker's assignor: every partition of every subscribed topic.
                let target: BTreeMap<String, i32> = fake
                    .subscribed
                    .iter()
                    .filter_map(|t| Some((t.clone(), *fake.topics.get(t)?)))
                    .collect();
                let changed = fake.sent.as_ref() != Some(&target) || decoded.member_epoch == 0;
                if changed {
                    fake.epoch += 1;
                    fake.sent = Some(target.clone());
                }
                let response = ConsumerGroupHeartbeatResponse {
                    member_id: Some(decoded.member_id),
                    member_epoch: fake.epoch,
                    heartbeat_interval_ms: HEARTBEAT.as_millis() as i32,
                    assignment: changed.then(|| HeartbeatAssignment {
                        topic_partitions: target
                            .iter()
                            .map(|(topic, count)| HeartbeatTopicPartitions {
                                topic_id: topic_id(topic),
                                partitions: (0..*count).collect(),
                                ..Default::default()
                            })
                            .collect(),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                respond::<ConsumerGroupHeartbeatRequest>(request, &response)
            }
            ApiKey::LeaveGroup => {
                respond::<LeaveGroupRequest>(request, &LeaveGroupResponse::default())
            }
            _ => Reply::Unhandled,
        }
    })
    .await
}

/// The fake broker and a metadata client over it refreshing every [`MAX_AGE`].
async fn client(fake: &Shared) -> (FakeBroker, MetadataClient) {
    let broker = fake_broker(fake.clone()).await;
    let client = ClientConfig::builder()
        .bootstrap_servers([broker.address()])
        .metadata_max_age(MAX_AGE)
        .build()
        .unwrap();
    (broker, MetadataClient::from_config(client).unwrap())
}

/// A group task for one member of group "g" over the fake broker, subscribed to `topics`.
async fn member(fake: &Shared, topics: &[&str]) -> (FakeBroker, GroupHandle) {
    let (broker, metadata) = client(fake).await;
    let config = GroupConfig {
        group_id: "g".into(),
        heartbeat_interval: HEARTBEAT,
        // The test plays an application that keeps polling.
        max_poll_interval: Duration::from_secs(24 * 3600),
        ..Default::default()
    };
    let handle = GroupHandle::start(
        metadata,
        config,
        &["range".to_owned()],
        Duration::from_secs(30),
        MAX_AGE,
    )
    .unwrap();
    handle.send(GroupCommand::Subscribe(
        topics.iter().map(|t| (*t).to_owned()).collect(),
    ));
    (broker, handle)
}

/// The next assignment the task hands the consumer, acknowledging revocations on the way
/// (as the consumer's `poll` does) and returning what they revoked.
async fn next_assignment(
    handle: &mut GroupHandle,
) -> (Vec<TopicPartition>, Vec<TopicPartition>, Instant) {
    let mut revoked = Vec::new();
    loop {
        let event = stepped(PATIENCE, handle.events.recv())
            .await
            .expect("an assignment within the patience window")
            .expect("the group task is running");
        match event {
            GroupEvent::Revoked {
                partitions, done, ..
            } => {
                revoked.extend(partitions);
                if let Some(done) = done {
                    let _ = done.send(());
                }
            }
            GroupEvent::Assigned(partitions) => return (partitions, revoked, Instant::now()),
            other => panic!("unexpected group event {other:?}"),
        }
    }
}

fn partitions(topic: &str, range: std::ops::Range<i32>) -> Vec<TopicPartition> {
    range.map(|p| TopicPartition::new(topic, p)).collect()
}

fn joins(fake: &Shared) -> Vec<Join> {
    fake.lock().unwrap().joins.clone()
}

/// Brief case (a), on the crafted-metadata fake broker: the member leads a group on `orders`
/// with 2 partitions; the topic grows to 4 (what CreatePartitions does); within one
/// `metadata.max.age.ms` the leader's refresh shows it, the task rejoins (reason "cached
/// metadata has changed") and the new assignment covers all 4. The delay is measured in
/// virtual time and asserted to be at most `metadata.max.age.ms` to the JoinGroup.
#[tokio::test(start_paused = true)]
async fn a_grown_topic_is_reassigned_within_metadata_max_age() {
    let fake: Shared = Arc::default();
    fake.lock().unwrap().topics.insert("orders".into(), 2);
    let (_broker, mut handle) = member(&fake, &["orders"]).await;
    let (assigned, _, _) = next_assignment(&mut handle).await;
    assert_eq!(assigned, partitions("orders", 0..2));
    assert_eq!(joins(&fake).len(), 1);

    // Let the client settle into its periodic refreshes, then grow the topic.
    stepped(
        2 * MAX_AGE + Duration::from_millis(1234),
        std::future::pending::<()>(),
    )
    .await;
    assert_eq!(joins(&fake).len(), 1, "no rejoin before the change");
    let grown_at = Instant::now();
    fake.lock().unwrap().topics.insert("orders".into(), 4);

    let (assigned, revoked, assigned_at) = next_assignment(&mut handle).await;
    // Range is eager: the member gave its two up and got all four back.
    assert_eq!(revoked, partitions("orders", 0..2));
    assert_eq!(assigned, partitions("orders", 0..4));
    let joins = joins(&fake);
    assert_eq!(joins.len(), 2, "{joins:?}");
    assert_eq!(joins[1].reason.as_deref(), Some(METADATA_CHANGED));
    let to_join = joins[1].at - grown_at;
    let to_assignment = assigned_at - grown_at;
    eprintln!(
        "partition growth: CreatePartitions → JoinGroup {to_join:?}, → assignment {to_assignment:?} \
         (metadata.max.age.ms = {MAX_AGE:?})"
    );
    assert!(to_join <= MAX_AGE, "{to_join:?}");
    assert_eq!(
        fake.lock().unwrap().syncs.last().unwrap(),
        &partitions("orders", 0..4)
    );
    stepped(PATIENCE, handle.leave(Duration::from_secs(5))).await;
}

/// Brief case (b): `orders` is subscribed to before it exists: the member joins and is
/// assigned nothing; once the topic is created, the leader's next refresh sees it, the task
/// rejoins and assigns its partitions. The refreshes kept asking for it by name meanwhile.
#[tokio::test(start_paused = true)]
async fn a_subscribed_topic_created_later_is_assigned() {
    let fake: Shared = Arc::default();
    let (_broker, mut handle) = member(&fake, &["orders"]).await;
    let (assigned, _, _) = next_assignment(&mut handle).await;
    assert!(assigned.is_empty());

    stepped(
        3 * MAX_AGE + Duration::from_millis(2345),
        std::future::pending::<()>(),
    )
    .await;
    assert_eq!(joins(&fake).len(), 1, "no rejoin while the topic is absent");
    let created_at = Instant::now();
    fake.lock().unwrap().topics.insert("orders".into(), 3);

    let (assigned, _, assigned_at) = next_assignment(&mut handle).await;
    assert_eq!(assigned, partitions("orders", 0..3));
    let joins = joins(&fake);
    assert_eq!(joins.len(), 2, "{joins:?}");
    assert_eq!(joins[1].reason.as_deref(), Some(METADATA_CHANGED));
    let took = assigned_at - created_at;
    eprintln!("late topic: CreateTopics → assignment {took:?} (metadata.max.age.ms = {MAX_AGE:?})");
    assert!(joins[1].at - created_at <= MAX_AGE);
    stepped(PATIENCE, handle.leave(Duration::from_secs(5))).await;
}

/// Brief case (c): nothing changes, so nothing rejoins. The window is twelve
/// `metadata.max.age.ms` of virtual time, and the test checks that the refreshes really came
/// within it (each one a view the task compared), so a task that rejoined on every view, or on
/// topics outside the group's, would be caught.
#[tokio::test(start_paused = true)]
async fn no_rejoin_while_the_metadata_does_not_change() {
    let fake: Shared = Arc::default();
    {
        let mut fake = fake.lock().unwrap();
        fake.topics.insert("orders".into(), 2);
        // A topic nobody subscribes to, which grows: none of the group's business.
        fake.topics.insert("other".into(), 1);
    }
    let (_broker, mut handle) = member(&fake, &["orders"]).await;
    let (assigned, _, _) = next_assignment(&mut handle).await;
    assert_eq!(assigned, partitions("orders", 0..2));

    let window_start = Instant::now();
    let window = 12 * MAX_AGE;
    fake.lock().unwrap().topics.insert("other".into(), 8);
    let mut events = Vec::new();
    let observed = stepped(window, async {
        while let Some(event) = handle.events.recv().await {
            events.push(format!("{event:?}"));
        }
    })
    .await;
    assert!(observed.is_none(), "the group task stopped");
    assert!(events.is_empty(), "unexpected group events: {events:?}");
    assert_eq!(joins(&fake).len(), 1, "{:?}", joins(&fake));
    let refreshes = fake
        .lock()
        .unwrap()
        .metadata
        .iter()
        .filter(|(at, counts)| *at >= window_start && counts.get("orders") == Some(&2))
        .count();
    assert!(refreshes >= 10, "only {refreshes} refreshes in the window");
    stepped(PATIENCE, handle.leave(Duration::from_secs(5))).await;
}

/// The KIP-848 path (`group.protocol=consumer`), where the broker assigns by topic id. `orders`
/// is subscribed to before it exists; once created, the coordinator assigns it at once but the
/// member's metadata does not know its id yet (the fake's Metadata answers hide it once more, as
/// a broker whose metadata cache lags would): the member refreshes its metadata until the id
/// resolves, then takes the partitions. When the topic grows, the next heartbeat's assignment
/// adds the new partitions, which need no metadata (the member knows the id), and the
/// member acknowledges all four.
#[tokio::test(start_paused = true)]
async fn kip_848_member_resolves_a_late_topic_and_takes_new_partitions() {
    let fake: Shared = Arc::default();
    let (_broker, metadata) = client(&fake).await;
    let config = ConsumerProtocolConfig {
        group_id: "g".into(),
        rebalance_timeout: Duration::from_secs(24 * 3600),
        ..Default::default()
    };
    let mut handle =
        GroupHandle::start_consumer_protocol(metadata, config, Duration::from_secs(30));
    handle.send(GroupCommand::Subscribe(vec!["orders".into()]));
    let (assigned, _, _) = next_assignment(&mut handle).await;
    assert!(assigned.is_empty(), "{assigned:?}");

    stepped(
        MAX_AGE + Duration::from_millis(1234),
        std::future::pending::<()>(),
    )
    .await;
    let created_at = Instant::now();
    let refreshes_before = fake.lock().unwrap().metadata.len();
    {
        let mut fake = fake.lock().unwrap();
        fake.topics.insert("orders".into(), 2);
        fake.hidden.insert("orders".into(), 1);
    }
    // The first reconciliation may hand over nothing while the id is unresolved.
    let (mut assigned, _, mut assigned_at) = next_assignment(&mut handle).await;
    if assigned.is_empty() {
        (assigned, _, assigned_at) = next_assignment(&mut handle).await;
    }
    assert_eq!(assigned, partitions("orders", 0..2));
    {
        let fake = fake.lock().unwrap();
        assert_eq!(fake.hidden["orders"], 0, "the lagging answer was given");
        assert!(
            fake.metadata.len() >= refreshes_before + 2,
            "refreshed until the id resolved"
        );
    }
    eprintln!(
        "KIP-848 late topic: CreateTopics → assignment {:?} (heartbeat interval {HEARTBEAT:?})",
        assigned_at - created_at
    );

    let grown_at = Instant::now();
    fake.lock().unwrap().topics.insert("orders".into(), 4);
    let (assigned, revoked, assigned_at) = next_assignment(&mut handle).await;
    assert!(revoked.is_empty());
    assert_eq!(assigned, partitions("orders", 2..4));
    eprintln!(
        "KIP-848 growth: CreatePartitions → assignment {:?}",
        assigned_at - grown_at
    );
    assert!(assigned_at - grown_at <= HEARTBEAT);
    // The acknowledgement (the next heartbeat, sent at once) names all four.
    let acknowledged = stepped(PATIENCE, async {
        loop {
            let last = fake.lock().unwrap().acknowledged.last().cloned();
            if let Some(last) = last.filter(|a| a.get(&topic_id("orders")).map(Vec::len) == Some(4))
            {
                return last;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("all four acknowledged");
    assert_eq!(acknowledged[&topic_id("orders")], vec![0, 1, 2, 3]);
    stepped(PATIENCE, handle.leave(Duration::from_secs(5))).await;
}
