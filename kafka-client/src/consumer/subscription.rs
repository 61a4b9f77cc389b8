//! [`SubscriptionState`]: what the consumer reads and where it stands, as plain data.
//!
//! For each assigned partition: the position (the offset of the next record `poll` returns),
//! whether the application paused it, whether it waits for an offset reset (and to where),
//! and the watermarks the last Fetch reported. No I/O happens here: the consumer asks it
//! which partitions to fetch, which need a position looked up, and tells it what happened.
//! Kept apart from the fetcher so that seek/pause/assign rules are tested without sockets.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use super::config::OffsetReset;
use super::TopicPartition;
use crate::error::{Error, Result};

/// Where a partition's next position comes from, when it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionSource {
    /// The group's committed offset (then `auto.offset.reset` if none).
    Committed,
    /// A reset: `Earliest` or `Latest` (ListOffsets).
    Reset(OffsetReset),
}

/// One assigned partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionState {
    /// The next offset to return; `None` until it is looked up.
    pub position: Option<i64>,
    /// Where to look it up while `position` is `None`.
    pub pending: Option<PositionSource>,
    /// Paused by the application: not fetched, nothing returned.
    pub paused: bool,
    /// The high watermark from the last Fetch response.
    pub high_watermark: Option<i64>,
    /// The last stable offset from the last Fetch response (read_committed lag).
    pub last_stable_offset: Option<i64>,
}

/// The assigned partitions and their positions. See the module docs.
#[derive(Debug, Clone)]
pub struct SubscriptionState {
    partitions: BTreeMap<TopicPartition, PartitionState>,
    default_reset: OffsetReset,
    /// Whether committed offsets exist to look up (a `group.id` is set).
    has_group: bool,
}

impl SubscriptionState {
    /// Empty, resetting by `default_reset`; `has_group` says whether new partitions start at
    /// the committed offset.
    pub fn new(default_reset: OffsetReset, has_group: bool) -> Self {
        SubscriptionState {
            partitions: BTreeMap::new(),
            default_reset,
            has_group,
        }
    }

    /// `auto.offset.reset`.
    pub fn default_reset(&self) -> OffsetReset {
        self.default_reset
    }

    /// Replaces the assignment. Partitions kept keep their state; new ones start without a
    /// position (committed offset first when there is a group, else `auto.offset.reset`).
    pub fn assign(&mut self, partitions: impl IntoIterator<Item = TopicPartition>) {
        let mut next = BTreeMap::new();
        for tp in partitions {
            let state = self
                .partitions
                .remove(&tp)
                .unwrap_or_else(|| PartitionState {
                    pending: Some(if self.has_group {
                        PositionSource::Committed
                    } else {
                        PositionSource::Reset(self.default_reset)
                    }),
                    ..Default::default()
                });
            next.insert(tp, state);
        }
        self.partitions = next;
    }

    /// The assigned partitions, in order.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.partitions.keys().cloned().collect()
    }

    /// Whether `tp` is assigned.
    pub fn is_assigned(&self, tp: &TopicPartition) -> bool {
        self.partitions.contains_key(tp)
    }

    /// The state of `tp`, if assigned.
    pub fn get(&self, tp: &TopicPartition) -> Option<&PartitionState> {
        self.partitions.get(tp)
    }

    /// The position of `tp`, if assigned and known.
    pub fn position(&self, tp: &TopicPartition) -> Option<i64> {
        self.partitions.get(tp)?.position
    }

    /// Sets the position (seek, or a looked-up offset). Returns `false` if `tp` is not
    /// assigned.
    pub fn seek(&mut self, tp: &TopicPartition, offset: i64) -> bool {
        match self.partitions.get_mut(tp) {
            Some(state) => {
                state.position = Some(offset);
                state.pending = None;
                true
            }
            None => false,
        }
    }

    /// Drops the position of `tp` and asks for a reset to `to` (seek_to_*, out of range).
    pub fn request_reset(&mut self, tp: &TopicPartition, to: OffsetReset) {
        if let Some(state) = self.partitions.get_mut(tp) {
            state.position = None;
            state.pending = Some(PositionSource::Reset(to));
        }
    }

    /// Pauses (or resumes) `tp`; unassigned partitions are ignored.
    pub fn set_paused(&mut self, tp: &TopicPartition, paused: bool) {
        if let Some(state) = self.partitions.get_mut(tp) {
            state.paused = paused;
        }
    }

    /// Whether `tp` is paused.
    pub fn is_paused(&self, tp: &TopicPartition) -> bool {
        self.partitions.get(tp).is_some_and(|s| s.paused)
    }

    /// The paused partitions.
    pub fn paused(&self) -> Vec<TopicPartition> {
        self.partitions
            .iter()
            .filter(|(_, s)| s.paused)
            .map(|(tp, _)| tp.clone())
            .collect()
    }

    /// Partitions waiting for a position, with where it comes from.
    pub fn pending_positions(&self) -> Vec<(TopicPartition, PositionSource)> {
        self.partitions
            .iter()
            .filter_map(|(tp, s)| s.pending.map(|p| (tp.clone(), p)))
            .collect()
    }

    /// Partitions to fetch, with the offset to fetch from: assigned, not paused, positioned.
    pub fn fetchable(&self) -> Vec<(TopicPartition, i64)> {
        self.partitions
            .iter()
            .filter(|(_, s)| !s.paused)
            .filter_map(|(tp, s)| s.position.map(|p| (tp.clone(), p)))
            .collect()
    }

    /// Records the watermarks a Fetch response reported.
    pub fn update_watermarks(&mut self, tp: &TopicPartition, high: i64, last_stable: i64) {
        if let Some(state) = self.partitions.get_mut(tp) {
            if high >= 0 {
                state.high_watermark = Some(high);
            }
            if last_stable >= 0 {
                state.last_stable_offset = Some(last_stable);
            }
        }
    }

    /// `end - position`, where `end` is the high watermark (or the last stable offset when
    /// `read_committed`), from the last Fetch. `None` until both are known.
    pub fn lag(&self, tp: &TopicPartition, read_committed: bool) -> Option<i64> {
        let state = self.partitions.get(tp)?;
        let end = if read_committed {
            state.last_stable_offset.or(state.high_watermark)
        } else {
            state.high_watermark
        }?;
        Some((end - state.position?).max(0))
    }

    /// Current positions of the assigned partitions that have one (what a commit commits).
    pub fn all_positions(&self) -> BTreeMap<TopicPartition, i64> {
        self.partitions
            .iter()
            .filter_map(|(tp, s)| s.position.map(|p| (tp.clone(), p)))
            .collect()
    }
}

/// What to do about an OFFSET_OUT_OF_RANGE for a partition fetched at `fetch_offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfRangeDecision {
    /// The position moved since the fetch (seek): the answer is stale, ignore it.
    Ignore,
    /// Reset to `Earliest` or `Latest`.
    Reset(OffsetReset),
    /// `auto.offset.reset=none`: surface the error.
    Fail,
}

/// Decides what OFFSET_OUT_OF_RANGE means, as Java's `handleOffsetOutOfRange`.
pub fn out_of_range_decision(
    current_position: Option<i64>,
    fetch_offset: i64,
    reset: OffsetReset,
) -> OutOfRangeDecision {
    if current_position != Some(fetch_offset) {
        return OutOfRangeDecision::Ignore;
    }
    match reset {
        OffsetReset::None => OutOfRangeDecision::Fail,
        to => OutOfRangeDecision::Reset(to),
    }
}

/// A topic pattern of [`Consumer::subscribe_pattern`](super::Consumer::subscribe_pattern),
/// compiled with Java's `Pattern.matcher(topic).matches()` semantics: the pattern must match
/// the *whole* topic name (`orders` does not match `orders-eu`; `orders.*` does).
#[derive(Debug, Clone)]
pub struct TopicPattern {
    source: String,
    regex: Regex,
}

impl TopicPattern {
    /// Compiles `pattern` (Rust `regex` syntax, which covers what topic patterns use: classes,
    /// alternation, repetition; no look-around or back-references). Fails with
    /// [`Error::Config`] naming the pattern.
    ///
    /// ```
    /// use kafka_client::consumer::subscription::TopicPattern;
    ///
    /// let pattern = TopicPattern::new("orders-.*")?;
    /// assert!(pattern.matches("orders-eu"));
    /// assert!(!pattern.matches("old-orders-eu"));
    /// assert!(TopicPattern::new("orders-(").is_err());
    /// # Ok::<(), kafka_client::Error>(())
    /// ```
    pub fn new(pattern: &str) -> Result<TopicPattern> {
        // Anchored on both ends: Java matches whole names. The group keeps the pattern's own
        // alternation inside the anchors (`a|b` must not become `^a|b$`).
        let regex = Regex::new(&format!("^(?:{pattern})$")).map_err(|error| {
            Error::config(
                "subscribe_pattern",
                format!("invalid topic pattern {pattern:?}: {error}"),
            )
        })?;
        Ok(TopicPattern {
            source: pattern.to_owned(),
            regex,
        })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the whole of `topic` matches.
    pub fn matches(&self, topic: &str) -> bool {
        self.regex.is_match(topic)
    }

    /// The topics of `topics` (name, is-internal) the subscription covers: whole-name matches,
    /// without internal topics (flagged by the broker, or named `__…` such as
    /// `__consumer_offsets` and `__transaction_state`), as Java's default
    /// `exclude.internal.topics=true`.
    pub fn select<'a>(
        &self,
        topics: impl IntoIterator<Item = (&'a str, bool)>,
    ) -> BTreeSet<String> {
        topics
            .into_iter()
            .filter(|(name, internal)| !internal && !name.starts_with("__") && self.matches(name))
            .map(|(name, _)| name.to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
