//! Follower fetching and truncation detection as plain state (no broker: crafted
//! answers).

use std::time::Duration;

use super::*;

fn tp() -> TopicPartition {
    TopicPartition::new("t", 0)
}

fn positioned(reset: OffsetReset) -> SubscriptionState {
    let mut s = SubscriptionState::new(reset, false);
    s.assign([tp()]);
    s.seek(&tp(), 0);
    s
}

#[test]
fn a_preferred_read_replica_is_used_until_it_expires_or_is_cleared() {
    let mut s = positioned(OffsetReset::Earliest);
    let now = Instant::now();
    assert_eq!(s.preferred_read_replica(&tp(), now), None);
    s.update_preferred_read_replica(&tp(), 2, now + Duration::from_secs(300));
    assert_eq!(s.preferred_read_replica(&tp(), now), Some(2));
    assert_eq!(
        s.preferred_read_replica(&tp(), now + Duration::from_secs(299)),
        Some(2)
    );
    // Expired: forgotten, the leader is asked again.
    assert_eq!(
        s.preferred_read_replica(&tp(), now + Duration::from_secs(300)),
        None
    );
    assert_eq!(s.get(&tp()).unwrap().preferred_read_replica, None);
    s.update_preferred_read_replica(&tp(), 3, now + Duration::from_secs(300));
    assert_eq!(s.clear_preferred_read_replica(&tp()), Some(3));
    assert_eq!(s.clear_preferred_read_replica(&tp()), None);
    assert_eq!(s.preferred_read_replica(&tp(), now), None);
}

#[test]
fn a_new_leader_epoch_holds_fetching_until_the_position_is_validated() {
    let mut s = positioned(OffsetReset::Earliest);
    // Epoch known before any record: nothing to validate.
    assert!(!s.update_leader_epoch(&tp(), Some(4)));
    assert_eq!(s.fetch_epochs(&tp()), (4, -1));
    // Records read in epoch 4 up to 10.
    s.advance(&tp(), 10, Some(4));
    assert_eq!(s.fetch_epochs(&tp()), (4, 4));
    assert!(!s.update_leader_epoch(&tp(), Some(4)), "same epoch");
    assert!(!s.update_leader_epoch(&tp(), Some(3)), "stale metadata");
    assert!(!s.update_leader_epoch(&tp(), None));
    assert!(s.update_leader_epoch(&tp(), Some(5)), "leader changed");
    assert!(s.fetchable().is_empty(), "not fetched until validated");
    assert_eq!(s.awaiting_validation(), vec![(tp(), 10, 4, 5)]);
    // The new leader's epoch 4 ends at 12: the log holds what was read.
    let answer = EpochEndOffset {
        epoch: 4,
        end_offset: 12,
    };
    assert_eq!(
        s.complete_validation(&tp(), 10, answer, false),
        ValidationOutcome::Valid
    );
    assert_eq!(s.fetchable(), vec![(tp(), 10)]);
    assert_eq!(s.fetch_epochs(&tp()), (5, 4));
    // An answer for a position no longer current is ignored.
    assert!(s.update_leader_epoch(&tp(), Some(6)));
    s.seek(&tp(), 3);
    assert_eq!(
        s.complete_validation(&tp(), 10, answer, false),
        ValidationOutcome::Stale
    );
    assert!(
        !s.is_awaiting_validation(&tp()),
        "a seek ends the validation"
    );
    assert_eq!(s.fetch_epochs(&tp()), (6, -1), "a seek forgets the epoch");
}

#[test]
fn a_truncated_log_moves_the_position_back_or_fails_under_none() {
    let answer = EpochEndOffset {
        epoch: 4,
        end_offset: 7,
    };
    let expected = LogTruncation {
        tp: tp(),
        position: 10,
        reset_to: Some(7),
        epoch: Some(4),
    };
    let mut s = positioned(OffsetReset::Latest);
    s.seek_with_epoch(&tp(), 10, Some(4));
    assert!(s.fetchable().is_empty());
    assert_eq!(
        s.complete_validation(&tp(), 10, answer, false),
        ValidationOutcome::Truncated(expected.clone())
    );
    assert_eq!(s.position(&tp()), Some(7), "the end of the shared epoch");
    assert_eq!(s.fetch_epochs(&tp()), (-1, 4));
    assert_eq!(s.fetchable(), vec![(tp(), 7)]);

    let mut none = positioned(OffsetReset::None);
    none.seek_with_epoch(&tp(), 10, Some(4));
    let outcome = none.complete_validation(&tp(), 10, answer, false);
    assert_eq!(outcome, ValidationOutcome::Fail(expected.clone()));
    let error = expected.to_error();
    assert!(
        matches!(
            &error,
            Error::LogTruncation {
                position: 10,
                divergent_offset: Some(7),
                epoch: Some(4),
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("t-0"), "{error}");
    assert!(!error.is_retriable());
    assert_eq!(
        none.position(&tp()),
        Some(10),
        "stays until the application seeks"
    );
    assert!(none.fetchable().is_empty());
    none.seek(&tp(), 7);
    assert_eq!(none.fetchable(), vec![(tp(), 7)]);
}

#[test]
fn an_unknown_epoch_resets_by_policy() {
    let unknown = EpochEndOffset {
        epoch: -1,
        end_offset: -1,
    };
    let mut s = positioned(OffsetReset::Earliest);
    s.seek_with_epoch(&tp(), 10, Some(4));
    let outcome = s.complete_validation(&tp(), 10, unknown, false);
    assert!(
        matches!(&outcome, ValidationOutcome::Truncated(t) if t.reset_to.is_none()),
        "{outcome:?}"
    );
    assert_eq!(
        s.pending_positions(),
        vec![(tp(), PositionSource::Reset(OffsetReset::Earliest))]
    );
    let mut none = positioned(OffsetReset::None);
    none.seek_with_epoch(&tp(), 10, Some(4));
    assert!(matches!(
        none.complete_validation(&tp(), 10, unknown, false),
        ValidationOutcome::Fail(_)
    ));
    assert!(none.fetchable().is_empty());
}

#[test]
fn a_fetchs_diverging_epoch_applies_without_a_pending_validation() {
    let mut s = positioned(OffsetReset::Earliest);
    s.advance(&tp(), 20, Some(2));
    let answer = EpochEndOffset {
        epoch: 1,
        end_offset: 15,
    };
    // Not from a fetch and not awaiting: stale.
    assert_eq!(
        s.complete_validation(&tp(), 20, answer, false),
        ValidationOutcome::Stale
    );
    assert!(matches!(
        s.complete_validation(&tp(), 20, answer, true),
        ValidationOutcome::Truncated(LogTruncation {
            reset_to: Some(15),
            ..
        })
    ));
    assert_eq!(s.position(&tp()), Some(15));
    assert_eq!(s.fetch_epochs(&tp()), (-1, 1));
}

#[test]
fn a_reset_forgets_the_epoch_and_the_validation() {
    let mut s = positioned(OffsetReset::Earliest);
    s.seek_with_epoch(&tp(), 10, Some(4));
    s.request_reset(&tp(), OffsetReset::Latest);
    assert!(!s.is_awaiting_validation(&tp()));
    assert_eq!(s.fetch_epochs(&tp()), (-1, -1));
}
