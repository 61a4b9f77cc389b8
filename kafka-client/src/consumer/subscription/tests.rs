use super::*;
use std::time::Duration;

#[test]
fn patterns_match_whole_names_and_skip_internal_topics() {
    let p = TopicPattern::new("orders|payments-.*").unwrap();
    let topics = [
        ("orders", false),
        ("orders-eu", false),
        ("payments-eu", false),
        ("old-payments-eu", false),
        ("__consumer_offsets", false),
        ("payments-internal", true),
    ];
    let selected: Vec<String> = p.select(topics).into_iter().collect();
    assert_eq!(selected, ["orders", "payments-eu"]);
    let all = TopicPattern::new(".*").unwrap();
    assert!(all.select([("__transaction_state", false)]).is_empty());
    let err = TopicPattern::new("orders[").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("subscribe_pattern") && text.contains("orders["),
        "{text}"
    );
}

fn tp(p: i32) -> TopicPartition {
    TopicPartition::new("t", p)
}

#[test]
fn assign_keeps_existing_state_and_sets_pending() {
    let mut s = SubscriptionState::new(OffsetReset::Earliest, false);
    s.assign([tp(0), tp(1)]);
    assert_eq!(s.assignment(), vec![tp(0), tp(1)]);
    assert_eq!(
        s.pending_positions(),
        vec![
            (tp(0), PositionSource::Reset(OffsetReset::Earliest)),
            (tp(1), PositionSource::Reset(OffsetReset::Earliest))
        ]
    );
    assert!(s.fetchable().is_empty());
    assert!(s.seek(&tp(0), 42));
    s.set_paused(&tp(0), true);
    s.assign([tp(0), tp(2)]);
    assert_eq!(s.position(&tp(0)), Some(42));
    assert!(s.is_paused(&tp(0)));
    assert!(!s.is_assigned(&tp(1)));
    assert!(!s.seek(&tp(1), 1));

    let mut g = SubscriptionState::new(OffsetReset::Latest, true);
    g.assign([tp(0)]);
    assert_eq!(
        g.pending_positions(),
        vec![(tp(0), PositionSource::Committed)]
    );
}

/// Partitions are fetched in assignment order at first; one that got records goes last, and
/// newly assigned ones come after those kept.
#[test]
fn fetch_order_moves_partitions_that_got_records_last() {
    let order = |s: &SubscriptionState| -> Vec<i32> {
        s.fetchable()
            .into_iter()
            .map(|(tp, _)| tp.partition)
            .collect()
    };
    let mut s = SubscriptionState::new(OffsetReset::Earliest, false);
    s.assign([tp(0), tp(1), tp(2)]);
    for p in 0..3 {
        s.seek(&tp(p), 10);
    }
    assert_eq!(order(&s), vec![0, 1, 2]);
    s.move_to_end(&tp(0));
    assert_eq!(order(&s), vec![1, 2, 0]);
    s.move_to_end(&tp(2));
    assert_eq!(order(&s), vec![1, 0, 2]);
    let changes = s.changes();
    s.move_to_end(&tp(1));
    assert_eq!(order(&s), vec![0, 2, 1]);
    // A Fetch answer, not a change of what is fetched: the pass is run for it anyway.
    assert_eq!(s.changes(), changes);
    s.move_to_end(&tp(7));
    s.assign([tp(3), tp(2), tp(1)]);
    s.seek(&tp(3), 0);
    assert_eq!(order(&s), vec![2, 1, 3]);
}

#[test]
fn fetchable_skips_paused_and_unpositioned() {
    let mut s = SubscriptionState::new(OffsetReset::Latest, false);
    s.assign([tp(0), tp(1), tp(2)]);
    s.seek(&tp(0), 5);
    s.seek(&tp(1), 7);
    s.set_paused(&tp(1), true);
    assert_eq!(s.fetchable(), vec![(tp(0), 5)]);
    assert_eq!(s.paused(), vec![tp(1)]);
    s.set_paused(&tp(1), false);
    assert_eq!(s.fetchable(), vec![(tp(0), 5), (tp(1), 7)]);
    s.request_reset(&tp(0), OffsetReset::Earliest);
    assert_eq!(s.position(&tp(0)), None);
    assert_eq!(s.fetchable(), vec![(tp(1), 7)]);
    assert_eq!(
        s.all_positions().into_iter().collect::<Vec<_>>(),
        vec![(tp(1), 7)]
    );
}

#[test]
fn lag_uses_high_watermark_or_lso() {
    let mut s = SubscriptionState::new(OffsetReset::Latest, false);
    s.assign([tp(0)]);
    assert_eq!(s.lag(&tp(0), false), None);
    s.seek(&tp(0), 3);
    assert_eq!(s.lag(&tp(0), false), None);
    s.update_watermarks(&tp(0), 10, 8);
    assert_eq!(s.lag(&tp(0), false), Some(7));
    assert_eq!(s.lag(&tp(0), true), Some(5));
    s.seek(&tp(0), 10);
    assert_eq!(s.lag(&tp(0), false), Some(0));
    assert_eq!(s.lag(&tp(1), false), None);
}

#[test]
fn out_of_range_decisions() {
    use OutOfRangeDecision::*;
    assert_eq!(
        out_of_range_decision(Some(5), 5, OffsetReset::Earliest),
        Reset(OffsetReset::Earliest)
    );
    assert_eq!(
        out_of_range_decision(Some(5), 5, OffsetReset::Latest),
        Reset(OffsetReset::Latest)
    );
    assert_eq!(out_of_range_decision(Some(5), 5, OffsetReset::None), Fail);
    // The application sought elsewhere while the fetch was in flight.
    assert_eq!(out_of_range_decision(Some(9), 5, OffsetReset::None), Ignore);
    assert_eq!(
        out_of_range_decision(None, 5, OffsetReset::Earliest),
        Ignore
    );
}

#[test]
fn changes_move_with_what_decides_fetching_but_not_with_drained_records() {
    let mut s = SubscriptionState::new(OffsetReset::Earliest, false);
    let mut last = s.changes();
    let mut moved = |s: &SubscriptionState| {
        let now = s.changes();
        std::mem::replace(&mut last, now) != now
    };
    s.assign([tp(0), tp(1)]);
    assert!(moved(&s), "assign");
    s.seek(&tp(0), 3);
    assert!(moved(&s), "seek");
    s.advance(&tp(0), 10, Some(2));
    s.update_watermarks(&tp(0), 20, -1);
    assert!(
        !moved(&s),
        "records drained and a fetch answer are the consumer's to note"
    );
    s.set_paused(&tp(0), false);
    assert!(!moved(&s), "resuming a partition that is not paused");
    s.set_paused(&tp(0), true);
    assert!(moved(&s), "pause");
    assert!(s.update_leader_epoch(&tp(0), Some(4)));
    assert!(moved(&s), "new leader epoch");
    assert!(!s.update_leader_epoch(&tp(0), Some(4)));
    assert!(!moved(&s), "same leader epoch");
    s.request_reset(&tp(1), OffsetReset::Latest);
    assert!(moved(&s), "reset");
    let now = Instant::now();
    s.update_preferred_read_replica(&tp(1), 2, now + Duration::from_secs(60));
    assert!(moved(&s), "preferred read replica named");
    assert_eq!(s.preferred_read_replica(&tp(1), now), Some(2));
    assert!(!moved(&s), "preferred read replica read");
    assert_eq!(s.clear_preferred_read_replica(&tp(1)), Some(2));
    assert!(moved(&s), "preferred read replica cleared");
    assert_eq!(s.clear_preferred_read_replica(&tp(1)), None);
    assert!(!moved(&s), "nothing to clear");
}
