//! The KIP-848 member on crafted ConsumerGroupHeartbeat answers (no broker: tansu has no
//! API 68).

use std::time::{Duration, Instant};

use kafkito_protocol::messages::consumer_group_heartbeat_response::{Assignment, TopicPartitions};
use kafkito_protocol::messages::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse};
use kafkito_protocol::wire::Uuid;
use kafkito_protocol::ErrorCode;

use super::*;

const ORDERS: Uuid = Uuid([1; 16]);
const PAYMENTS: Uuid = Uuid([2; 16]);

fn names(id: Uuid) -> Option<String> {
    match id {
        ORDERS => Some("orders".to_owned()),
        PAYMENTS => Some("payments".to_owned()),
        _ => None,
    }
}

fn tp(topic: &str, p: i32) -> TopicPartition {
    TopicPartition::new(topic, p)
}

fn config(instance: Option<&str>) -> ConsumerProtocolConfig {
    ConsumerProtocolConfig {
        group_id: "g".into(),
        member_id: "m-1".into(),
        group_instance_id: instance.map(str::to_owned),
        ..Default::default()
    }
}

/// A member that sent its epoch-0 heartbeat.
fn joining(
    instance: Option<&str>,
    now: Instant,
) -> (ConsumerGroupMember, ConsumerGroupHeartbeatRequest) {
    let mut member = ConsumerGroupMember::new(config(instance));
    assert_eq!(
        member.subscribe(now, ["orders".to_owned(), "payments".to_owned()]),
        vec![ConsumerDecision::FindCoordinator]
    );
    let decisions = member.coordinator_found(now);
    let [ConsumerDecision::SendHeartbeat(request)] = &decisions[..] else {
        panic!("{decisions:?}");
    };
    (member, request.clone())
}

fn answer(epoch: i32, assignment: Option<&[(Uuid, &[i32])]>) -> ConsumerGroupHeartbeatResponse {
    ConsumerGroupHeartbeatResponse {
        member_id: Some("m-1".into()),
        member_epoch: epoch,
        heartbeat_interval_ms: 2_000,
        assignment: assignment.map(|topics| Assignment {
            topic_partitions: topics
                .iter()
                .map(|(id, partitions)| TopicPartitions {
                    topic_id: *id,
                    partitions: partitions.to_vec(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn error(code: ErrorCode) -> ConsumerGroupHeartbeatResponse {
    ConsumerGroupHeartbeatResponse {
        error_code: code.code(),
        ..Default::default()
    }
}

fn heartbeat(decisions: &[ConsumerDecision]) -> &ConsumerGroupHeartbeatRequest {
    decisions
        .iter()
        .find_map(|d| match d {
            ConsumerDecision::SendHeartbeat(r) => Some(r),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no heartbeat in {decisions:?}"))
}

fn acked(request: &ConsumerGroupHeartbeatRequest) -> Vec<(Uuid, Vec<i32>)> {
    request
        .topic_partitions
        .as_ref()
        .expect("a full heartbeat names what is owned")
        .iter()
        .map(|t| (t.topic_id, t.partitions.clone()))
        .collect()
}

/// A stable member owning orders-0, orders-1 at epoch 1.
fn stable(now: Instant) -> ConsumerGroupMember {
    let (mut member, _) = joining(None, now);
    member.on_heartbeat_response(now, &answer(1, Some(&[(ORDERS, &[0, 1])])), &names);
    member.on_heartbeat_response(now, &answer(1, None), &names);
    assert_eq!(
        member.owned_partitions(),
        [tp("orders", 0), tp("orders", 1)].into()
    );
    member
}

#[test]
fn join_at_epoch_zero_then_assignment_resolved_and_acknowledged() {
    let now = Instant::now();
    let (mut member, join) = joining(None, now);
    assert_eq!(join.member_epoch, 0);
    assert_eq!(join.member_id, "m-1");
    assert_eq!(
        join.subscribed_topic_names.as_deref(),
        Some(&["orders".to_owned(), "payments".to_owned()][..])
    );
    assert_eq!(join.topic_partitions.as_deref(), Some(&[][..]));
    assert_eq!(join.subscribed_topic_regex.as_deref(), Some(""));
    assert_eq!(
        member.commit_generation(),
        Err(CommitRejected::CommitFailed)
    );

    let decisions = member.on_heartbeat_response(
        now,
        &answer(3, Some(&[(ORDERS, &[0, 1]), (PAYMENTS, &[2])])),
        &names,
    );
    assert_eq!(
        decisions[0],
        ConsumerDecision::AssignPartitions(vec![
            tp("orders", 0),
            tp("orders", 1),
            tp("payments", 2)
        ])
    );
    // The acknowledgement goes out at once, at the new epoch, naming topics by id.
    let ack = heartbeat(&decisions);
    assert_eq!(ack.member_epoch, 3);
    assert_eq!(acked(ack), vec![(ORDERS, vec![0, 1]), (PAYMENTS, vec![2])]);
    assert_eq!(member.state(), &ConsumerMemberState::Stable);
    // Commits carry the member epoch as the generation.
    let generation = member.commit_generation().unwrap();
    assert_eq!(
        (generation.generation_id, generation.member_id.as_str()),
        (3, "m-1")
    );
}

#[test]
fn unknown_topic_ids_wait_for_metadata() {
    let now = Instant::now();
    let (mut member, _) = joining(None, now);
    let known_later = |id: Uuid| (id == ORDERS).then(|| "orders".to_owned());
    let nothing_known = |_: Uuid| None;
    let decisions =
        member.on_heartbeat_response(now, &answer(1, Some(&[(ORDERS, &[0])])), &nothing_known);
    assert_eq!(decisions[0], ConsumerDecision::AssignPartitions(vec![]));
    assert_eq!(
        decisions[1],
        ConsumerDecision::RefreshMetadata(vec![ORDERS])
    );
    member.on_heartbeat_response(now, &answer(1, None), &nothing_known);
    let decisions = member.metadata_updated(now, &known_later);
    assert_eq!(
        decisions[0],
        ConsumerDecision::AssignPartitions(vec![tp("orders", 0)])
    );
    assert_eq!(acked(heartbeat(&decisions)), vec![(ORDERS, vec![0])]);
    // Nothing pending any more.
    assert!(member.metadata_updated(now, &known_later).is_empty());
}

#[test]
fn a_shrinking_assignment_revokes_before_acknowledging() {
    let now = Instant::now();
    let mut member = stable(now);
    let decisions = member.on_heartbeat_response(now, &answer(2, Some(&[(ORDERS, &[0])])), &names);
    assert_eq!(
        decisions[0],
        ConsumerDecision::RevokePartitions(vec![tp("orders", 1)])
    );
    assert_eq!(decisions[1], ConsumerDecision::AssignPartitions(vec![]));
    let ack = heartbeat(&decisions[2..]);
    assert_eq!((ack.member_epoch, acked(ack)), (2, vec![(ORDERS, vec![0])]));
}

#[test]
fn fenced_or_unknown_member_loses_partitions_and_rejoins_at_epoch_zero() {
    for code in [ErrorCode::FencedMemberEpoch, ErrorCode::UnknownMemberId] {
        let now = Instant::now();
        let mut member = stable(now);
        let later = now + Duration::from_secs(1);
        let decisions = member.on_heartbeat_response(later, &error(code), &names);
        assert_eq!(
            decisions[0],
            ConsumerDecision::LosePartitions(vec![tp("orders", 0), tp("orders", 1)]),
            "{code}"
        );
        let rejoin = heartbeat(&decisions);
        assert_eq!(rejoin.member_epoch, 0, "{code}");
        assert_eq!(rejoin.member_id, "m-1", "{code}");
        assert_eq!(acked(rejoin), vec![], "{code}");
        assert_eq!(member.state(), &ConsumerMemberState::Joining);
        assert_eq!(
            member.commit_generation(),
            Err(CommitRejected::CommitFailed)
        );
    }
}

#[test]
fn leave_sends_epoch_minus_one_or_minus_two_for_a_static_member() {
    let now = Instant::now();
    let mut member = stable(now);
    let decisions = member.leave(now);
    assert_eq!(
        decisions[0],
        ConsumerDecision::RevokePartitions(vec![tp("orders", 0), tp("orders", 1)])
    );
    assert_eq!(heartbeat(&decisions).member_epoch, LEAVE_GROUP_EPOCH);
    assert_eq!(member.state(), &ConsumerMemberState::Unsubscribed);
    assert!(member.next_deadline().is_none());

    let (mut member, _) = joining(Some("instance-a"), now);
    member.on_heartbeat_response(now, &answer(1, Some(&[(ORDERS, &[0])])), &names);
    let decisions = member.leave(now);
    let leave = heartbeat(&decisions);
    assert_eq!(leave.member_epoch, LEAVE_GROUP_STATIC_EPOCH);
    assert_eq!(leave.instance_id.as_deref(), Some("instance-a"));
}

#[test]
fn heartbeat_interval_comes_from_the_response() {
    let now = Instant::now();
    let (mut member, _) = joining(None, now);
    let decisions = member.on_heartbeat_response(now, &answer(1, None), &names);
    assert!(decisions.is_empty(), "{decisions:?}");
    assert_eq!(member.heartbeat_interval(), Duration::from_secs(2));
    assert_eq!(member.next_deadline(), Some(now + Duration::from_secs(2)));
    assert!(member.tick(now + Duration::from_millis(1_999)).is_empty());
    let decisions = member.tick(now + Duration::from_secs(2));
    assert_eq!(heartbeat(&decisions).member_epoch, 1);
    // One heartbeat in flight at a time.
    assert!(member.tick(now + Duration::from_secs(5)).is_empty());
}

#[test]
fn fatal_codes_stop_the_member() {
    let now = Instant::now();
    let (mut member, _) = joining(Some("a"), now);
    member.on_heartbeat_response(now, &answer(1, Some(&[(ORDERS, &[0])])), &names);
    let decisions = member.on_heartbeat_response(now, &error(ErrorCode::FencedInstanceId), &names);
    assert_eq!(
        decisions,
        vec![
            ConsumerDecision::LosePartitions(vec![tp("orders", 0)]),
            ConsumerDecision::Fatal(ErrorCode::FencedInstanceId)
        ]
    );
    assert_eq!(
        member.commit_generation(),
        Err(CommitRejected::Fatal(ErrorCode::FencedInstanceId))
    );
    assert!(member.tick(now + Duration::from_secs(60)).is_empty());
}

#[test]
fn coordinator_moves_and_retriable_errors_heartbeat_again() {
    let now = Instant::now();
    let mut member = stable(now);
    let decisions = member.on_heartbeat_response(now, &error(ErrorCode::NotCoordinator), &names);
    assert_eq!(decisions, vec![ConsumerDecision::FindCoordinator]);
    let decisions = member.coordinator_found(now);
    assert_eq!(heartbeat(&decisions).member_epoch, 1);
    let decisions =
        member.on_heartbeat_response(now, &error(ErrorCode::CoordinatorLoadInProgress), &names);
    assert!(decisions.is_empty());
    assert_eq!(
        member.next_deadline(),
        Some(now + Duration::from_millis(100))
    );
    assert_eq!(
        member.owned_partitions().len(),
        2,
        "retriable errors keep the partitions"
    );
}

#[test]
fn poll_timeout_leaves_and_the_next_poll_rejoins() {
    let now = Instant::now();
    let mut member = stable(now);
    let expired = now + Duration::from_millis(300_001);
    let decisions = member.tick(expired);
    assert_eq!(
        decisions[0],
        ConsumerDecision::LosePartitions(vec![tp("orders", 0), tp("orders", 1)])
    );
    assert_eq!(heartbeat(&decisions).member_epoch, LEAVE_GROUP_EPOCH);
    let decisions = member.application_polled(expired);
    assert_eq!(heartbeat(&decisions).member_epoch, 0);
}

/// A topic created after the subscription (or one a lagging broker's metadata does not know
/// yet) can take several refreshes to resolve: those that resolve nothing new only ask for the
/// next refresh, without an empty assignment for the application or a heartbeat. Crafted
/// responses.
#[test]
fn refreshes_that_resolve_nothing_new_only_ask_again() {
    let now = Instant::now();
    let (mut member, _) = joining(None, now);
    let nothing_known = |_: Uuid| None;
    let known_later = |id: Uuid| (id == ORDERS).then(|| "orders".to_owned());
    let decisions =
        member.on_heartbeat_response(now, &answer(1, Some(&[(ORDERS, &[0, 1])])), &nothing_known);
    assert_eq!(decisions[0], ConsumerDecision::AssignPartitions(vec![]));
    heartbeat(&decisions);
    member.on_heartbeat_response(now, &answer(1, None), &nothing_known);
    for _ in 0..3 {
        assert_eq!(
            member.metadata_updated(now, &nothing_known),
            vec![ConsumerDecision::RefreshMetadata(vec![ORDERS])]
        );
    }
    let decisions = member.metadata_updated(now, &known_later);
    assert_eq!(
        decisions[0],
        ConsumerDecision::AssignPartitions(vec![tp("orders", 0), tp("orders", 1)])
    );
    assert_eq!(acked(heartbeat(&decisions)), vec![(ORDERS, vec![0, 1])]);
}

/// Partitions added to a topic the member already owns need no metadata: the owned
/// partitions name the id. Crafted responses.
#[test]
fn new_partitions_of_an_owned_topic_are_taken_at_once() {
    let now = Instant::now();
    let (mut member, _) = joining(None, now);
    let known = |id: Uuid| (id == ORDERS).then(|| "orders".to_owned());
    let nothing_known = |_: Uuid| None;
    member.on_heartbeat_response(now, &answer(1, Some(&[(ORDERS, &[0, 1])])), &known);
    member.on_heartbeat_response(now, &answer(1, None), &known);
    // The metadata forgot the topic (or is older than the coordinator): no matter.
    let decisions = member.on_heartbeat_response(
        now,
        &answer(2, Some(&[(ORDERS, &[0, 1, 2, 3])])),
        &nothing_known,
    );
    assert_eq!(
        decisions[0],
        ConsumerDecision::AssignPartitions(vec![tp("orders", 2), tp("orders", 3)])
    );
    assert_eq!(
        acked(heartbeat(&decisions)),
        vec![(ORDERS, vec![0, 1, 2, 3])]
    );
}
