//! One test per transition, following the Java client's documented error handling.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafkito_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafkito_protocol::messages::{HeartbeatResponse, JoinGroupResponse, SyncGroupResponse};
use kafkito_protocol::ErrorCode;

use super::*;
use crate::consumer::group::assignor::{CooperativeStickyAssignor, RangeAssignor};

const SECOND: Duration = Duration::from_secs(1);

fn tp(p: i32) -> TopicPartition {
    TopicPartition::new("t", p)
}

fn config(instance: Option<&str>) -> GroupConfig {
    GroupConfig {
        group_id: "g".into(),
        group_instance_id: instance.map(str::to_owned),
        session_timeout: 10 * SECOND,
        max_poll_interval: 60 * SECOND,
        heartbeat_interval: 3 * SECOND,
        retry_backoff: SECOND,
        client_rack: None,
    }
}

fn eager(instance: Option<&str>) -> Membership {
    Membership::new(config(instance), vec![Arc::new(RangeAssignor)])
}

fn cooperative() -> Membership {
    Membership::new(config(None), vec![Arc::new(CooperativeStickyAssignor)])
}

fn join_of(d: &[Decision]) -> &JoinGroupRequest {
    d.iter()
        .find_map(|d| match d {
            Decision::SendJoinGroup(j) => Some(j),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no JoinGroup in {d:?}"))
}

fn sync_of(d: &[Decision]) -> &SyncGroupRequest {
    d.iter()
        .find_map(|d| match d {
            Decision::SendSyncGroup(s) => Some(s),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no SyncGroup in {d:?}"))
}

fn error(code: ErrorCode) -> i16 {
    code.code()
}

fn join_ok(generation: i32, me: &str, leader: &str) -> JoinGroupResponse {
    JoinGroupResponse {
        generation_id: generation,
        protocol_name: Some("range".into()),
        leader: leader.into(),
        member_id: me.into(),
        ..Default::default()
    }
}

fn sync_ok(partitions: &[i32]) -> SyncGroupResponse {
    let a = Assignment {
        partitions: partitions.iter().map(|&p| tp(p)).collect(),
        user_data: None,
    };
    SyncGroupResponse {
        assignment: a.encode(3).unwrap(),
        ..Default::default()
    }
}

fn heartbeat(code: ErrorCode) -> HeartbeatResponse {
    HeartbeatResponse {
        error_code: error(code),
        ..Default::default()
    }
}

fn no_metadata() -> BTreeMap<String, i32> {
    BTreeMap::new()
}

/// A follower that reached Stable owning `partitions` at generation 1, member id "m".
fn stable(mut m: Membership, now: Instant, partitions: &[i32]) -> Membership {
    m.subscribe(now, ["t".to_owned()]);
    let d = m.coordinator_found(now);
    join_of(&d);
    let d = m.on_join_response(now, &join_ok(1, "m", "leader"), &no_metadata());
    assert!(sync_of(&d).assignments.is_empty());
    let d = m.on_sync_response(now, &sync_ok(partitions));
    assert_eq!(
        d,
        vec![Decision::AssignPartitions(
            partitions.iter().map(|&p| tp(p)).collect()
        )]
    );
    assert_eq!(m.state(), &MemberState::Stable);
    m
}

#[test]
fn subscribe_finds_the_coordinator_then_joins() {
    let now = Instant::now();
    let mut m = eager(None);
    assert_eq!(
        m.subscribe(now, ["t".to_owned()]),
        vec![Decision::FindCoordinator]
    );
    assert_eq!(m.state(), &MemberState::PreparingRebalance);
    let d = m.coordinator_found(now);
    let join = join_of(&d);
    assert_eq!(join.member_id, "");
    assert_eq!(join.protocol_type, "consumer");
    assert_eq!(join.session_timeout_ms, 10_000);
    assert_eq!(join.rebalance_timeout_ms, 60_000);
    assert_eq!(join.protocols.len(), 1);
    assert_eq!(join.protocols[0].name, "range");
    let s = Subscription::decode(&join.protocols[0].metadata).unwrap();
    assert_eq!(s.topics, vec!["t".to_owned()]);
    assert_eq!(s.generation_id, -1);
    assert_eq!(m.state(), &MemberState::Joining);
}

#[test]
fn member_id_required_rejoins_with_the_given_id() {
    let now = Instant::now();
    let mut m = eager(None);
    m.subscribe(now, ["t".to_owned()]);
    m.coordinator_found(now);
    let response = JoinGroupResponse {
        error_code: error(ErrorCode::MemberIdRequired),
        member_id: "assigned-id".into(),
        ..Default::default()
    };
    let d = m.on_join_response(now, &response, &no_metadata());
    assert_eq!(d.len(), 1);
    assert_eq!(join_of(&d).member_id, "assigned-id");
    assert_eq!(m.state(), &MemberState::Joining);
}

#[test]
fn leader_runs_the_assignor_and_sends_every_assignment() {
    let now = Instant::now();
    let mut m = eager(None);
    m.subscribe(now, ["t".to_owned()]);
    m.coordinator_found(now);
    let metadata = Subscription {
        topics: vec!["t".into()],
        ..Default::default()
    }
    .encode(1)
    .unwrap();
    let mut response = join_ok(5, "a", "a");
    response.members = ["a", "b"]
        .iter()
        .map(|id| JoinGroupResponseMember {
            member_id: (*id).into(),
            metadata: metadata.clone(),
            ..Default::default()
        })
        .collect();
    let partitions = BTreeMap::from([("t".to_owned(), 3)]);
    let d = m.on_join_response(now, &response, &partitions);
    let sync = sync_of(&d);
    assert_eq!(sync.generation_id, 5);
    assert_eq!(sync.member_id, "a");
    assert_eq!(sync.protocol_name.as_deref(), Some("range"));
    assert_eq!(sync.assignments.len(), 2);
    let a = &sync.assignments[0];
    assert_eq!(a.member_id, "a");
    // Encoded at the oldest subscription version a member spoke.
    assert_eq!(&a.assignment[..2], &1i16.to_be_bytes());
    assert_eq!(
        Assignment::decode(&a.assignment).unwrap().partitions,
        vec![tp(0), tp(1)]
    );
    assert_eq!(
        Assignment::decode(&sync.assignments[1].assignment)
            .unwrap()
            .partitions,
        vec![tp(2)]
    );
    assert_eq!(m.state(), &MemberState::AwaitingSync);
}

#[test]
fn leader_with_an_unknown_protocol_is_fatal() {
    let now = Instant::now();
    let mut m = eager(None);
    m.subscribe(now, ["t".to_owned()]);
    m.coordinator_found(now);
    let mut response = join_ok(1, "a", "a");
    response.protocol_name = Some("nonesuch".into());
    let d = m.on_join_response(now, &response, &no_metadata());
    assert_eq!(
        d,
        vec![Decision::Fatal(
            ApiKey::JoinGroup,
            ErrorCode::InconsistentGroupProtocol
        )]
    );
}

#[test]
fn follower_syncs_empty_and_becomes_stable() {
    let now = Instant::now();
    let m = stable(eager(None), now, &[0, 1]);
    assert_eq!(m.generation_id(), 1);
    assert_eq!(m.member_id(), "m");
    assert_eq!(
        m.commit_generation(),
        Ok(CommitGeneration {
            generation_id: 1,
            member_id: "m".into(),
            group_instance_id: None,
        })
    );
}

#[test]
fn heartbeats_every_interval_one_at_a_time() {
    let now = Instant::now();
    let mut m = stable(eager(Some("instance-1")), now, &[0]);
    assert_eq!(m.next_deadline(), Some(now + 3 * SECOND));
    assert!(m.tick(now + 2 * SECOND).is_empty());
    let d = m.tick(now + 3 * SECOND);
    let [Decision::SendHeartbeat(h)] = &d[..] else {
        panic!("{d:?}")
    };
    assert_eq!(h.generation_id, 1);
    assert_eq!(h.member_id, "m");
    assert_eq!(h.group_instance_id.as_deref(), Some("instance-1"));
    // Still in flight: no second heartbeat, even when the next one is due.
    assert!(m.tick(now + 7 * SECOND).is_empty());
    assert!(m
        .on_heartbeat_response(now + 7 * SECOND, &heartbeat(ErrorCode::None))
        .is_empty());
    assert!(matches!(
        &m.tick(now + 7 * SECOND)[..],
        [Decision::SendHeartbeat(_)]
    ));
}

#[test]
fn eager_rebalance_revokes_everything_before_joining() {
    let now = Instant::now();
    let mut m = stable(eager(None), now, &[0, 1]);
    let d = m.on_heartbeat_response(now, &heartbeat(ErrorCode::RebalanceInProgress));
    assert_eq!(d[0], Decision::RevokePartitions(vec![tp(0), tp(1)]));
    let join = join_of(&d);
    assert_eq!(join.member_id, "m");
    let s = Subscription::decode(&join.protocols[0].metadata).unwrap();
    assert!(s.owned_partitions.is_empty());
    assert_eq!(s.generation_id, 1);
    assert_eq!(
        m.commit_generation(),
        Err(CommitRejected::RebalanceInProgress)
    );
}

#[test]
fn cooperative_rebalance_keeps_partitions_and_announces_them() {
    let now = Instant::now();
    let mut m = stable(cooperative(), now, &[0, 1]);
    let d = m.on_heartbeat_response(now, &heartbeat(ErrorCode::RebalanceInProgress));
    assert_eq!(d.len(), 1, "{d:?}");
    let s = Subscription::decode(&join_of(&d).protocols[0].metadata).unwrap();
    assert_eq!(s.owned_partitions, vec![tp(0), tp(1)]);
    assert_eq!(m.owned_partitions().len(), 2);
}

#[test]
fn cooperative_sync_revokes_only_what_moved_then_rejoins() {
    let now = Instant::now();
    let mut m = stable(cooperative(), now, &[0, 1, 2]);
    m.on_heartbeat_response(now, &heartbeat(ErrorCode::RebalanceInProgress));
    m.on_join_response(now, &join_ok(2, "m", "leader"), &no_metadata());
    let d = m.on_sync_response(now, &sync_ok(&[0, 3]));
    assert_eq!(d[0], Decision::RevokePartitions(vec![tp(1), tp(2)]));
    assert_eq!(d[1], Decision::AssignPartitions(vec![tp(3)]));
    let s = Subscription::decode(&join_of(&d[2..]).protocols[0].metadata).unwrap();
    assert_eq!(s.owned_partitions, vec![tp(0), tp(3)]);
    assert_eq!(s.generation_id, 2);
}

#[test]
fn cooperative_sync_without_revocation_is_stable() {
    let now = Instant::now();
    let mut m = stable(cooperative(), now, &[0]);
    m.on_heartbeat_response(now, &heartbeat(ErrorCode::RebalanceInProgress));
    m.on_join_response(now, &join_ok(2, "m", "leader"), &no_metadata());
    let d = m.on_sync_response(now, &sync_ok(&[0, 1]));
    assert_eq!(d, vec![Decision::AssignPartitions(vec![tp(1)])]);
    assert_eq!(m.state(), &MemberState::Stable);
}

#[test]
fn unknown_member_id_loses_partitions_and_rejoins_afresh() {
    let now = Instant::now();
    let mut m = stable(eager(None), now, &[0, 1]);
    let d = m.on_heartbeat_response(now, &heartbeat(ErrorCode::UnknownMemberId));
    assert_eq!(d[0], Decision::LosePartitions(vec![tp(0), tp(1)]));
    assert!(!d.iter().any(|d| matches!(d, Decision::RevokePartitions(_))));
    let join = join_of(&d);
    assert_eq!(join.member_id, "");
    assert_eq!(m.commit_generation(), Err(CommitRejected::CommitFailed));
}

#[test]
fn illegal_generation_loses_partitions_keeps_member_id() {
    let now = Instant::now();
    let mut m = stable(cooperative(), now, &[0]);
    let d = m.on_heartbeat_response(now, &heartbeat(ErrorCode::IllegalGeneration));
    assert_eq!(d[0], Decision::LosePartitions(vec![tp(0)]));
    let join = join_of(&d);
    assert_eq!(join.member_id, "m");
    let s = Subscription::decode(&join.protocols[0].metadata).unwrap();
    assert!(s.owned_partitions.is_empty());
    assert_eq!(s.generation_id, -1);
    assert_eq!(m.commit_generation(), Err(CommitRejected::CommitFailed));
}

#[test]
fn sync_errors_follow_the_same_rules() {
    let now = Instant::now();
    let mut m = eager(None);
    m.subscribe(now, ["t".to_owned()]);
    m.coordinator_found(now);
    m.on_join_response(now, &join_ok(1, "m", "leader"), &no_metadata());
    let d = m.on_sync_response(
        now,
        &SyncGroupResponse {
            error_code: error(ErrorCode::RebalanceInProgress),
            ..Default::default()
        },
    );
    assert_eq!(join_of(&d).member_id, "m");
    m.on_join_response(now, &join_ok(2, "m", "leader"), &no_metadata());
    let d = m.on_sync_response(
        now,
        &SyncGroupResponse {
            error_code: error(ErrorCode::UnknownMemberId),
            ..Default::default()
        },
    );
    assert_eq!(join_of(&d).member_id, "");
}

#[test]
fn fenced_instance_id_is_fatal() {
    let now = Instant::now();
    let mut m = stable(eager(Some("i")), now, &[0]);
    let d = m.on_heartbeat_response(now, &heartbeat(ErrorCode::FencedInstanceId));
    assert_eq!(
        d,
        vec![
            Decision::LosePartitions(vec![tp(0)]),
            Decision::Fatal(ApiKey::Heartbeat, ErrorCode::FencedInstanceId)
        ]
    );
    assert_eq!(m.state(), &MemberState::Fatal(ErrorCode::FencedInstanceId));
    assert!(m.tick(now + 100 * SECOND).is_empty());
    assert_eq!(
        m.commit_generation(),
        Err(CommitRejected::Fatal(ErrorCode::FencedInstanceId))
    );
}

#[test]
fn fenced_on_join_is_fatal() {
    let now = Instant::now();
    let mut m = eager(Some("i"));
    m.subscribe(now, ["t".to_owned()]);
    let d = m.coordinator_found(now);
    assert_eq!(join_of(&d).group_instance_id.as_deref(), Some("i"));
    let response = JoinGroupResponse {
        error_code: error(ErrorCode::FencedInstanceId),
        ..Default::default()
    };
    let d = m.on_join_response(now, &response, &no_metadata());
    assert_eq!(
        d,
        vec![Decision::Fatal(
            ApiKey::JoinGroup,
            ErrorCode::FencedInstanceId
        )]
    );
}

#[test]
fn not_coordinator_on_heartbeat_finds_it_and_carries_on() {
    let now = Instant::now();
    let mut m = stable(eager(None), now, &[0]);
    let d = m.on_heartbeat_response(now, &heartbeat(ErrorCode::NotCoordinator));
    assert_eq!(d, vec![Decision::FindCoordinator]);
    assert_eq!(m.state(), &MemberState::Stable);
    // No heartbeat while the coordinator is unknown.
    assert!(m.tick(now + 3 * SECOND).is_empty());
    assert!(m.coordinator_found(now + 3 * SECOND).is_empty());
    assert!(matches!(
        &m.tick(now + 3 * SECOND)[..],
        [Decision::SendHeartbeat(_)]
    ));
}

#[test]
fn coordinator_not_available_on_join_rejoins_once_found() {
    let now = Instant::now();
    let mut m = eager(None);
    m.subscribe(now, ["t".to_owned()]);
    m.coordinator_found(now);
    let response = JoinGroupResponse {
        error_code: error(ErrorCode::CoordinatorNotAvailable),
        ..Default::default()
    };
    let d = m.on_join_response(now, &response, &no_metadata());
    assert_eq!(d, vec![Decision::FindCoordinator]);
    assert_eq!(m.state(), &MemberState::PreparingRebalance);
    join_of(&m.coordinator_found(now));
}

#[test]
fn retriable_join_error_backs_off() {
    let now = Instant::now();
    let mut m = eager(None);
    m.subscribe(now, ["t".to_owned()]);
    m.coordinator_found(now);
    let response = JoinGroupResponse {
        error_code: error(ErrorCode::CoordinatorLoadInProgress),
        ..Default::default()
    };
    assert!(m
        .on_join_response(now, &response, &no_metadata())
        .is_empty());
    assert_eq!(m.next_deadline(), Some(now + SECOND));
    assert!(m.tick(now + SECOND / 2).is_empty());
    join_of(&m.tick(now + SECOND));
}

#[test]
fn poll_timeout_leaves_and_loses_then_rejoins_on_poll() {
    let now = Instant::now();
    let mut m = stable(eager(None), now, &[0]);
    m.on_heartbeat_response(now, &heartbeat(ErrorCode::None));
    let later = now + 60 * SECOND;
    // Keep the session alive up to the poll timeout.
    let mut t = now;
    while t + 3 * SECOND < later {
        t += 3 * SECOND;
        m.tick(t);
        m.on_heartbeat_response(t, &heartbeat(ErrorCode::None));
    }
    let d = m.tick(later);
    let Decision::SendLeaveGroup(leave) = &d[0] else {
        panic!("{d:?}")
    };
    assert_eq!(leave.member_id, "m");
    assert_eq!(leave.members[0].member_id, "m");
    assert_eq!(d[1], Decision::LosePartitions(vec![tp(0)]));
    assert_eq!(m.state(), &MemberState::Unjoined);
    assert!(m.tick(later + SECOND).is_empty());
    let d = m.application_polled(later + SECOND);
    assert_eq!(join_of(&d).member_id, "");
}

#[test]
fn static_member_does_not_leave_on_poll_timeout_or_close() {
    let now = Instant::now();
    let mut m = stable(eager(Some("i")), now, &[0]);
    let d = m.tick(now + 60 * SECOND);
    assert!(!d.iter().any(|d| matches!(d, Decision::SendLeaveGroup(_))));
    let d = m.application_polled(now + 61 * SECOND);
    // A static member keeps its member id.
    assert_eq!(join_of(&d).member_id, "m");
    m.on_join_response(now, &join_ok(2, "m", "x"), &no_metadata());
    m.on_sync_response(now, &sync_ok(&[0]));
    let d = m.leave(now, "closing");
    assert_eq!(d, vec![Decision::RevokePartitions(vec![tp(0)])]);
}

#[test]
fn static_member_can_leave_for_good() {
    let now = Instant::now();
    let mut m = stable(eager(Some("i")), now, &[0]);
    let d = m.leave_static(now, "scaling down");
    assert_eq!(d[0], Decision::RevokePartitions(vec![tp(0)]));
    let Decision::SendLeaveGroup(leave) = &d[1] else {
        panic!("{d:?}")
    };
    assert_eq!(leave.members[0].group_instance_id.as_deref(), Some("i"));
    assert_eq!(leave.members[0].reason.as_deref(), Some("scaling down"));
}

#[test]
fn dynamic_leave_revokes_and_sends_leave_group() {
    let now = Instant::now();
    let mut m = stable(eager(None), now, &[0, 1]);
    let d = m.leave(now, "closing");
    assert_eq!(d[0], Decision::RevokePartitions(vec![tp(0), tp(1)]));
    assert!(matches!(d[1], Decision::SendLeaveGroup(_)));
    assert_eq!(m.state(), &MemberState::Unjoined);
    assert_eq!(m.member_id(), "");
    assert!(m.tick(now + 100 * SECOND).is_empty());
}

#[test]
fn session_expiry_loses_partitions() {
    let now = Instant::now();
    let mut m = stable(eager(None), now, &[0]);
    m.tick(now + 3 * SECOND); // heartbeat sent, never answered
    let d = m.tick(now + 10 * SECOND);
    assert_eq!(
        d,
        vec![
            Decision::LosePartitions(vec![tp(0)]),
            Decision::FindCoordinator
        ]
    );
    assert_eq!(m.commit_generation(), Err(CommitRejected::CommitFailed));
    let d = m.coordinator_found(now + 11 * SECOND);
    assert_eq!(join_of(&d).member_id, "m");
}

#[test]
fn late_answers_are_ignored() {
    let now = Instant::now();
    let mut m = stable(eager(None), now, &[0]);
    assert!(m
        .on_join_response(now, &join_ok(9, "x", "x"), &no_metadata())
        .is_empty());
    assert!(m.on_sync_response(now, &sync_ok(&[5])).is_empty());
    assert_eq!(m.generation_id(), 1);
}

#[test]
fn heartbeat_errors_during_sync_are_left_to_the_sync() {
    let now = Instant::now();
    let mut m = eager(None);
    m.subscribe(now, ["t".to_owned()]);
    m.coordinator_found(now);
    m.on_join_response(now, &join_ok(1, "m", "leader"), &no_metadata());
    assert!(m
        .on_heartbeat_response(now, &heartbeat(ErrorCode::RebalanceInProgress))
        .is_empty());
    assert_eq!(m.state(), &MemberState::AwaitingSync);
}

#[test]
fn coordinator_lost_mid_join_rejoins_when_found() {
    let now = Instant::now();
    let mut m = eager(None);
    m.subscribe(now, ["t".to_owned()]);
    m.coordinator_found(now);
    assert_eq!(m.coordinator_lost(now), vec![Decision::FindCoordinator]);
    join_of(&m.coordinator_found(now));
}

#[test]
fn undecodable_assignment_retries_the_rebalance() {
    let now = Instant::now();
    let mut m = eager(None);
    m.subscribe(now, ["t".to_owned()]);
    m.coordinator_found(now);
    m.on_join_response(now, &join_ok(1, "m", "leader"), &no_metadata());
    let bad = SyncGroupResponse {
        assignment: Bytes::from_static(&[0, 0, 0]),
        ..Default::default()
    };
    assert!(m.on_sync_response(now, &bad).is_empty());
    join_of(&m.tick(now + SECOND));
}

#[test]
fn empty_subscription_leaves() {
    let now = Instant::now();
    let mut m = stable(eager(None), now, &[0]);
    let d = m.subscribe(now, Vec::<String>::new());
    assert_eq!(d[0], Decision::RevokePartitions(vec![tp(0)]));
    assert!(matches!(d[1], Decision::SendLeaveGroup(_)));
}

#[test]
fn cooperative_subscription_change_revokes_dropped_topics_first() {
    let now = Instant::now();
    let mut m = stable(cooperative(), now, &[0]);
    let d = m.subscribe(now, ["u".to_owned()]);
    assert_eq!(d[0], Decision::RevokePartitions(vec![tp(0)]));
    let join = join_of(&d);
    let s = Subscription::decode(&join.protocols[0].metadata).unwrap();
    assert_eq!(s.topics, vec!["u".to_owned()]);
    assert!(s.owned_partitions.is_empty());
    // cooperative-sticky also writes the generation in its user data, as Java does.
    assert_eq!(s.user_data.as_deref(), Some(&1i32.to_be_bytes()[..]));
}

#[test]
fn eager_subscription_change_revokes_everything() {
    let now = Instant::now();
    let mut m = stable(eager(None), now, &[0]);
    let d = m.subscribe(now, ["t".to_owned(), "u".to_owned()]);
    assert_eq!(d[0], Decision::RevokePartitions(vec![tp(0)]));
    join_of(&d);
    // The same subscription again changes nothing.
    assert!(m
        .subscribe(now, ["t".to_owned(), "u".to_owned()])
        .is_empty());
}

#[test]
fn the_generation_stays_known_for_commits_of_revoked_partitions_mid_rebalance() {
    let now = Instant::now();
    let mut m = stable(cooperative(), now, &[0, 1]);
    let generation = m.commit_generation().unwrap();
    // A rebalance starts: commits are refused by `commit_generation`, but the generation the
    // partitions were owned in is still known for the revocation's commit.
    m.on_heartbeat_response(now, &heartbeat(ErrorCode::RebalanceInProgress));
    assert_eq!(
        m.commit_generation(),
        Err(CommitRejected::RebalanceInProgress)
    );
    assert_eq!(m.current_generation(), Some(generation));
    // Once the generation is gone (the JoinGroup says so), it is not offered.
    let gone = JoinGroupResponse {
        error_code: error(ErrorCode::UnknownMemberId),
        ..Default::default()
    };
    m.on_join_response(now, &gone, &no_metadata());
    assert_eq!(m.current_generation(), None);
}

#[test]
fn fail_with_loses_the_partitions_and_stops() {
    let now = Instant::now();
    let mut m = stable(eager(Some("a")), now, &[0]);
    assert_eq!(
        m.fail_with(ApiKey::JoinGroup, ErrorCode::UnsupportedVersion),
        vec![
            Decision::LosePartitions(vec![tp(0)]),
            Decision::Fatal(ApiKey::JoinGroup, ErrorCode::UnsupportedVersion)
        ]
    );
    assert!(m.current_generation().is_none());
    assert!(m
        .fail_with(ApiKey::JoinGroup, ErrorCode::UnsupportedVersion)
        .is_empty());
    assert!(m.tick(now + 100 * SECOND).is_empty());
}

// ---- partitions added later, topics created later (crafted metadata) ----------------------

fn subscription_of(topics: &[&str]) -> Bytes {
    Subscription {
        topics: topics.iter().map(|t| (*t).to_owned()).collect(),
        ..Default::default()
    }
    .encode(1)
    .unwrap()
}

/// A JoinGroup answer naming `me` the leader of `members` (id, subscribed topics).
fn join_as_leader(generation: i32, me: &str, members: &[(&str, &[&str])]) -> JoinGroupResponse {
    let mut response = join_ok(generation, me, me);
    response.members = members
        .iter()
        .map(|(id, topics)| JoinGroupResponseMember {
            member_id: (*id).into(),
            metadata: subscription_of(topics),
            ..Default::default()
        })
        .collect();
    response
}

fn counts(entries: &[(&str, i32)]) -> BTreeMap<String, i32> {
    entries.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
}

/// What the leader's SyncGroup gives `member`.
fn assigned_to(sync: &SyncGroupRequest, member: &str) -> Vec<TopicPartition> {
    let a = sync
        .assignments
        .iter()
        .find(|a| a.member_id == member)
        .unwrap_or_else(|| panic!("no assignment for {member}"));
    Assignment::decode(&a.assignment).unwrap().partitions
}

fn orders(partitions: std::ops::Range<i32>) -> Vec<TopicPartition> {
    partitions
        .map(|p| TopicPartition::new("orders", p))
        .collect()
}

/// Feeds `m` a metadata view with these partition counts.
fn metadata_view(m: &mut Membership, now: Instant, view: &[(&str, i32)]) -> Vec<Decision> {
    let view = counts(view);
    m.on_metadata(now, &|t| view.get(t).copied())
}

/// The sole member "a", subscribed to `topics`, joined as leader with `metadata` and stable
/// with what it assigned itself.
fn sole_leader(
    mut m: Membership,
    now: Instant,
    topics: &[&str],
    metadata: &[(&str, i32)],
) -> Membership {
    m.subscribe(now, topics.iter().map(|t| (*t).to_owned()));
    m.coordinator_found(now);
    let d = m.on_join_response(
        now,
        &join_as_leader(1, "a", &[("a", topics)]),
        &counts(metadata),
    );
    let mine = assigned_to(sync_of(&d), "a");
    let d = m.on_sync_response(now, &sync_assignment(&mine));
    assert!(
        matches!(d.last(), Some(Decision::AssignPartitions(_))),
        "{d:?}"
    );
    assert_eq!(m.state(), &MemberState::Stable);
    m
}

fn sync_assignment(partitions: &[TopicPartition]) -> SyncGroupResponse {
    SyncGroupResponse {
        assignment: Assignment {
            partitions: partitions.to_vec(),
            user_data: None,
        }
        .encode(3)
        .unwrap(),
        ..Default::default()
    }
}

/// Brief case (a), on crafted metadata: the leader assigned `orders` from 2 partitions; the
/// topic grows to 4 (CreatePartitions); the next view makes it rejoin, and the new assignment
/// covers all 4.
#[test]
fn leader_rejoins_when_a_topic_gains_partitions_and_assigns_them() {
    let now = Instant::now();
    let mut m = sole_leader(eager(None), now, &["orders"], &[("orders", 2)]);
    assert_eq!(m.assignment_snapshot(), Some(&counts(&[("orders", 2)])));
    assert_eq!(m.owned_partitions().len(), 2);
    // The same counts (and topics nobody subscribes to) change nothing.
    assert!(metadata_view(&mut m, now, &[("orders", 2), ("other", 9)]).is_empty());

    let d = metadata_view(&mut m, now, &[("orders", 4)]);
    // Eager: everything is given up first, then the JoinGroup says why.
    assert_eq!(d[0], Decision::RevokePartitions(orders(0..2)));
    let join = join_of(&d);
    assert_eq!(join.reason.as_deref(), Some(METADATA_CHANGED));
    assert_eq!(m.state(), &MemberState::Joining);

    let d = m.on_join_response(
        now,
        &join_as_leader(2, "a", &[("a", &["orders"])]),
        &counts(&[("orders", 4)]),
    );
    let mine = assigned_to(sync_of(&d), "a");
    assert_eq!(mine, orders(0..4));
    let d = m.on_sync_response(now, &sync_assignment(&mine));
    assert_eq!(d, vec![Decision::AssignPartitions(orders(0..4))]);
    assert_eq!(m.assignment_snapshot(), Some(&counts(&[("orders", 4)])));
    // Settled: the same view again is no reason to rejoin.
    assert!(metadata_view(&mut m, now, &[("orders", 4)]).is_empty());
}

/// Cooperative members keep their partitions through the metadata rejoin.
#[test]
fn a_cooperative_leader_rejoins_for_new_partitions_without_revoking() {
    let now = Instant::now();
    let mut m = Membership::new(config(None), vec![Arc::new(CooperativeStickyAssignor)]);
    m.subscribe(now, ["orders".to_owned()]);
    m.coordinator_found(now);
    let mut response = join_as_leader(1, "a", &[("a", &["orders"])]);
    response.protocol_name = Some("cooperative-sticky".into());
    let d = m.on_join_response(now, &response, &counts(&[("orders", 2)]));
    let mine = assigned_to(sync_of(&d), "a");
    m.on_sync_response(now, &sync_assignment(&mine));
    assert_eq!(m.state(), &MemberState::Stable);

    let d = metadata_view(&mut m, now, &[("orders", 3)]);
    assert!(
        !d.iter().any(|d| matches!(d, Decision::RevokePartitions(_))),
        "{d:?}"
    );
    let subscription = Subscription::decode(&join_of(&d).protocols[0].metadata).unwrap();
    assert_eq!(subscription.owned_partitions, orders(0..2));
}

/// Brief case (b): a topic subscribed to before it exists is absent from the leader's
/// snapshot; when it appears the leader rejoins and assigns it. The topic need not be the
/// leader's own: the leader watches every member's subscription.
#[test]
fn leader_rejoins_when_a_subscribed_topic_is_created() {
    let now = Instant::now();
    let mut m = eager(None);
    m.subscribe(now, ["payments".to_owned()]);
    m.coordinator_found(now);
    // "b" subscribes to orders, which does not exist yet.
    let members: &[(&str, &[&str])] = &[("a", &["payments"]), ("b", &["orders"])];
    let d = m.on_join_response(
        now,
        &join_as_leader(1, "a", members),
        &counts(&[("payments", 1)]),
    );
    assert!(assigned_to(sync_of(&d), "b").is_empty());
    m.on_sync_response(now, &sync_assignment(&[TopicPartition::new("payments", 0)]));
    assert_eq!(m.assignment_snapshot(), Some(&counts(&[("payments", 1)])));
    assert_eq!(
        m.watched_topics(),
        BTreeSet::from(["orders".to_owned(), "payments".to_owned()])
    );
    // Still absent: nothing to do.
    assert!(metadata_view(&mut m, now, &[("payments", 1)]).is_empty());

    let d = metadata_view(&mut m, now, &[("payments", 1), ("orders", 3)]);
    assert_eq!(join_of(&d).reason.as_deref(), Some(METADATA_CHANGED));
    let d = m.on_join_response(
        now,
        &join_as_leader(2, "a", members),
        &counts(&[("payments", 1), ("orders", 3)]),
    );
    assert_eq!(assigned_to(sync_of(&d), "b"), orders(0..3));
}

/// A topic deleted from under the group is also a change (Java drops its partitions in the
/// rebalance that follows).
#[test]
fn leader_rejoins_when_a_subscribed_topic_disappears() {
    let now = Instant::now();
    let mut m = sole_leader(
        eager(None),
        now,
        &["orders", "payments"],
        &[("orders", 2), ("payments", 1)],
    );
    let d = metadata_view(&mut m, now, &[("orders", 2)]);
    join_of(&d);
    // A topic known with an error and no partitions counts as absent, too.
    let mut m = sole_leader(
        eager(None),
        now,
        &["orders", "payments"],
        &[("orders", 2), ("payments", 1)],
    );
    let d = metadata_view(&mut m, now, &[("orders", 2), ("payments", 0)]);
    join_of(&d);
}

/// A change seen while the rebalance is under way is not lost: once the SyncGroup lands the
/// leader compares again, and rejoins.
#[test]
fn a_change_seen_during_the_rebalance_rejoins_once_stable() {
    let now = Instant::now();
    let mut m = eager(None);
    m.subscribe(now, ["orders".to_owned()]);
    m.coordinator_found(now);
    let d = m.on_join_response(
        now,
        &join_as_leader(1, "a", &[("a", &["orders"])]),
        &counts(&[("orders", 2)]),
    );
    let mine = assigned_to(sync_of(&d), "a");
    assert!(metadata_view(&mut m, now, &[("orders", 4)]).is_empty());
    assert_eq!(m.state(), &MemberState::AwaitingSync);
    let d = m.on_sync_response(now, &sync_assignment(&mine));
    assert_eq!(d[0], Decision::AssignPartitions(orders(0..2)));
    assert_eq!(join_of(&d).reason.as_deref(), Some(METADATA_CHANGED));
}

/// Brief case (c) for the state machine: with unchanged counts, a stable leader never
/// rejoins however long it heartbeats and however many views come; a follower ignores even a
/// real change (only the leader watches, as in Java), and so does a former leader once a
/// later rebalance made it a follower.
#[test]
fn no_rejoin_without_a_change_and_none_from_a_follower() {
    let start = Instant::now();
    let mut m = sole_leader(eager(None), start, &["orders"], &[("orders", 2)]);
    for i in 1..=200u32 {
        let now = start + i * SECOND;
        let mut d = m.application_polled(now);
        d.extend(m.tick(now));
        if d.iter().any(|d| matches!(d, Decision::SendHeartbeat(_))) {
            d.extend(m.on_heartbeat_response(now, &heartbeat(ErrorCode::None)));
        }
        d.extend(metadata_view(
            &mut m,
            now,
            &[("orders", 2), ("unrelated", i as i32)],
        ));
        assert!(
            !d.iter().any(|d| matches!(d, Decision::SendJoinGroup(_))),
            "rejoined at {i}s: {d:?}"
        );
    }
    assert_eq!(m.state(), &MemberState::Stable);

    let mut follower = stable(eager(None), start, &[0]);
    assert!(follower.assignment_snapshot().is_none());
    assert!(metadata_view(&mut follower, start, &[("t", 7)]).is_empty());

    // The leader's next rebalance makes it a follower: it stops watching.
    let d = m.on_heartbeat_response(start, &heartbeat(ErrorCode::RebalanceInProgress));
    join_of(&d);
    m.on_join_response(start, &join_ok(2, "a", "b"), &no_metadata());
    m.on_sync_response(start, &sync_assignment(&orders(0..1)));
    assert!(m.assignment_snapshot().is_none());
    assert!(metadata_view(&mut m, start, &[("orders", 4)]).is_empty());
}
