//! [`SubscriptionState`]: what the consumer reads and where it stands, as plain data.
//!
//! For each assigned partition: the position (the offset of the next record `poll` returns),
//! whether the application paused it, whether it waits for an offset reset (and to where),
//! and the watermarks the last Fetch reported. No I/O happens here: the consumer asks it
//! which partitions to fetch, which need a position looked up, and tells it what happened.
//! Kept apart from the fetcher so that seek/pause/assign rules are tested without sockets.
//!
//! # Follower fetching (KIP-392)
//!
//! A leader that knows the consumer's `client.rack` may answer a Fetch with a *preferred
//! read replica* (and no records): a replica in the consumer's rack. The partition is then
//! fetched from that replica until `metadata.max.age.ms` has passed (then the leader is asked
//! again, and may name another), or until the replica fails: a connection failure, or an
//! error that means "this replica cannot serve you" (NOT_LEADER_OR_FOLLOWER,
//! OFFSET_NOT_AVAILABLE, or OFFSET_OUT_OF_RANGE — a replica may lag the leader's high
//! watermark or hold less history, so out of range *there* is not a reason to reset).
//!
//! # Log truncation detection (KIP-320)
//!
//! With the position the consumer keeps the leader epoch of the record before it (the
//! `partition_leader_epoch` of its batch), and the leader epoch the metadata gave the
//! partition when the position was last validated. When the metadata shows a new leader
//! epoch, the position is validated before fetching on: the new leader is asked
//! (OffsetForLeaderEpoch) where the consumed epoch ends in its log. If it ends below the
//! position, records the consumer read are no longer in the log (an unclean leader election
//! truncated them); the consumer moves back to where the logs agree and says so, or fails
//! under `auto.offset.reset=none`. A Fetch (v12+) carrying the epoch of the last consumed
//! record can bring the same news as its `diverging_epoch`.

use std::collections::{BTreeMap, BTreeSet};
use tokio::time::Instant;

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
    /// The leader epoch of the record before `position` (of its batch), when known: what
    /// validation and Fetch's `last_fetched_epoch` send. `None` after a seek or an offset
    /// lookup (nothing to validate then).
    pub offset_epoch: Option<i32>,
    /// The partition's leader epoch in the metadata the position was last checked against:
    /// Fetch's `current_leader_epoch`.
    pub leader_epoch: Option<i32>,
    /// The position must be validated with the leader (OffsetForLeaderEpoch) before the
    /// partition is fetched again.
    pub awaiting_validation: bool,
    /// The replica the leader told us to fetch from (KIP-392), until when.
    pub preferred_read_replica: Option<(i32, Instant)>,
    /// Where the partition goes in a Fetch: partitions are listed by this, lowest first
    /// (see [`SubscriptionState::move_to_end`]).
    pub fetch_turn: u64,
}

impl PartitionState {
    /// `end - position`, where `end` is the high watermark (or the last stable offset when
    /// `read_committed`); `None` until both are known.
    fn lag(&self, read_committed: bool) -> Option<i64> {
        let end = if read_committed {
            self.last_stable_offset.or(self.high_watermark)
        } else {
            self.high_watermark
        }?;
        Some((end - self.position?).max(0))
    }
}

/// A log truncation the consumer detected and recovered from (KIP-320): records it had read
/// (from `reset_to`, or from the log start, up to `position`) are no longer in the
/// partition's log, because a new leader's log diverged from the old one. The consumer has
/// moved back and reads the new leader's records from there. Taken with
/// [`Consumer::log_truncations`](super::Consumer::log_truncations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTruncation {
    /// The partition.
    pub tp: TopicPartition,
    /// The position when the truncation was found.
    pub position: i64,
    /// The new position: the end offset, in the new leader's log, of the last epoch both
    /// logs share. `None` when the leader knows no such epoch: then the position was reset
    /// by `auto.offset.reset`.
    pub reset_to: Option<i64>,
    /// That shared epoch, when known.
    pub epoch: Option<i32>,
}

/// The leader's answer about one epoch: where it ends in its log (OffsetForLeaderEpoch, or a
/// Fetch's `diverging_epoch`). Negative values mean "unknown", as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEndOffset {
    /// The largest epoch at or below the one asked about that the leader knows.
    pub epoch: i32,
    /// The offset after that epoch's last record.
    pub end_offset: i64,
}

/// What a validation answer means for a partition (see [`SubscriptionState::complete_validation`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationOutcome {
    /// The answer is for a position or leader no longer current: ignored.
    Stale,
    /// The log holds what was consumed: fetching goes on from the position.
    Valid,
    /// Truncated, and recovered from: the position moved (to `reset_to`, or a reset by
    /// `auto.offset.reset` was requested).
    Truncated(LogTruncation),
    /// Truncated under `auto.offset.reset=none`: the position stays and the partition is not
    /// fetched until the application seeks; `poll` reports it
    /// ([`LogTruncation::to_error`]).
    Fail(LogTruncation),
}

/// The assigned partitions and their positions. See the module docs.
#[derive(Debug, Clone)]
pub struct SubscriptionState {
    partitions: BTreeMap<TopicPartition, PartitionState>,
    default_reset: OffsetReset,
    /// Whether committed offsets exist to look up (a `group.id` is set).
    has_group: bool,
    /// Counts the changes that can make a partition fetchable or change how and where it is
    /// fetched (see [`changes`](Self::changes)).
    changes: u64,
    /// The next [`PartitionState::fetch_turn`] to hand out.
    next_turn: u64,
}

impl SubscriptionState {
    /// Empty, resetting by `default_reset`; `has_group` says whether new partitions start at
    /// the committed offset.
    pub fn new(default_reset: OffsetReset, has_group: bool) -> Self {
        SubscriptionState {
            partitions: BTreeMap::new(),
            default_reset,
            has_group,
            changes: 0,
            next_turn: 0,
        }
    }

    /// A count that moves whenever the assignment, a pause, a position set from outside the
    /// fetch path (seek, reset, validation), a leader epoch or a preferred read replica
    /// changes: what decides which partitions are fetched, from where and with what. It does
    /// not move for [`advance`](Self::advance) (records drained from a fetch the consumer
    /// holds) or [`update_watermarks`](Self::update_watermarks) (a Fetch answer, which the
    /// consumer notes itself). The consumer compares it to skip its per-partition passes over
    /// the assignment when nothing they read changed (with thousands of partitions those
    /// passes, once per `poll`, were most of its cost per record). Nor does it move for
    /// [`move_to_end`](Self::move_to_end), which comes with a Fetch answer too.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// `auto.offset.reset`.
    pub fn default_reset(&self) -> OffsetReset {
        self.default_reset
    }

    /// Replaces the assignment. Partitions kept keep their state; new ones start without a
    /// position (committed offset first when there is a group, else `auto.offset.reset`),
    /// and are fetched after those kept, in the order given.
    pub fn assign(&mut self, partitions: impl IntoIterator<Item = TopicPartition>) {
        self.changes += 1;
        let mut next = BTreeMap::new();
        for tp in partitions {
            let state = self.partitions.remove(&tp).unwrap_or_else(|| {
                self.next_turn += 1;
                PartitionState {
                    pending: Some(if self.has_group {
                        PositionSource::Committed
                    } else {
                        PositionSource::Reset(self.default_reset)
                    }),
                    fetch_turn: self.next_turn,
                    ..Default::default()
                }
            });
            next.insert(tp, state);
        }
        self.partitions = next;
    }

    /// The assigned partitions, in order.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.partitions.keys().cloned().collect()
    }

    /// How many partitions are assigned.
    pub fn assigned_count(&self) -> usize {
        self.partitions.len()
    }

    /// The largest [`lag`](Self::lag) over the assigned partitions (Java's `records-lag-max`,
    /// now); `None` when no partition has both a position and a watermark. Allocates nothing.
    pub fn max_lag(&self, read_committed: bool) -> Option<i64> {
        // Over the states directly: looking each partition up again by name cost a tree
        // search (string comparisons) per partition, once per `poll`.
        self.partitions
            .values()
            .filter_map(|state| state.lag(read_committed))
            .max()
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
    ///
    /// The leader epoch of the record before `offset` is then unknown, so this position is
    /// not validated after leader changes until records are read from it.
    pub fn seek(&mut self, tp: &TopicPartition, offset: i64) -> bool {
        self.seek_with_epoch(tp, offset, None)
    }

    /// Sets the position together with the leader epoch of the record before it (as Java's
    /// `seek(tp, OffsetAndMetadata)` with a leader epoch). With an epoch, the position is
    /// validated with the leader (KIP-320) before the partition is fetched.
    pub fn seek_with_epoch(
        &mut self,
        tp: &TopicPartition,
        offset: i64,
        offset_epoch: Option<i32>,
    ) -> bool {
        match self.partitions.get_mut(tp) {
            Some(state) => {
                self.changes += 1;
                state.position = Some(offset);
                state.pending = None;
                state.offset_epoch = offset_epoch;
                state.awaiting_validation = offset_epoch.is_some();
                true
            }
            None => false,
        }
    }

    /// Moves the position forward past records read (or skipped) from a fetch, with the
    /// leader epoch of the last of them when known.
    pub fn advance(&mut self, tp: &TopicPartition, offset: i64, epoch: Option<i32>) {
        if let Some(state) = self.partitions.get_mut(tp) {
            if state.position != Some(offset) {
                state.position = Some(offset);
                state.pending = None;
            }
            if epoch.is_some() {
                state.offset_epoch = epoch;
            }
        }
    }

    /// Drops the position of `tp` and asks for a reset to `to` (seek_to_*, out of range).
    pub fn request_reset(&mut self, tp: &TopicPartition, to: OffsetReset) {
        if let Some(state) = self.partitions.get_mut(tp) {
            self.changes += 1;
            state.position = None;
            state.pending = Some(PositionSource::Reset(to));
            state.offset_epoch = None;
            state.awaiting_validation = false;
        }
    }

    /// Pauses (or resumes) `tp`; unassigned partitions are ignored.
    pub fn set_paused(&mut self, tp: &TopicPartition, paused: bool) {
        if let Some(state) = self.partitions.get_mut(tp) {
            if state.paused != paused {
                self.changes += 1;
                state.paused = paused;
            }
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

    /// Partitions to fetch, with the offset to fetch from: assigned, not paused, positioned,
    /// and not waiting for their position to be validated; in fetch order (see
    /// [`move_to_end`](Self::move_to_end)).
    pub fn fetchable(&self) -> Vec<(TopicPartition, i64)> {
        let mut fetchable: Vec<(u64, TopicPartition, i64)> = self
            .partitions
            .iter()
            .filter(|(_, s)| !s.paused && !s.awaiting_validation)
            .filter_map(|(tp, s)| s.position.map(|p| (s.fetch_turn, tp.clone(), p)))
            .collect();
        fetchable.sort_unstable_by_key(|(turn, _, _)| *turn);
        fetchable.into_iter().map(|(_, tp, p)| (tp, p)).collect()
    }

    /// Puts `tp` last in the fetch order, after a Fetch brought records for it. A broker fills
    /// a Fetch answer partition by partition in the order the request lists them, until
    /// `fetch.max.bytes` (or its own cap) is reached, so partitions always listed first would
    /// take the whole answer while those after wait. Java's consumer (KIP-74) moves a partition
    /// to the end of its fetch order once it got bytes for it, and librdkafka rotates its
    /// fetch list too; this does the same, so each partition gets its turn at the front.
    pub fn move_to_end(&mut self, tp: &TopicPartition) {
        if let Some(state) = self.partitions.get_mut(tp) {
            self.next_turn += 1;
            state.fetch_turn = self.next_turn;
        }
    }

    /// What a Fetch sends for `tp` besides the offset: the leader epoch the consumer knows
    /// (`current_leader_epoch`) and that of the last record read (`last_fetched_epoch`),
    /// `-1` where unknown.
    pub fn fetch_epochs(&self, tp: &TopicPartition) -> (i32, i32) {
        self.partitions.get(tp).map_or((-1, -1), |s| {
            (s.leader_epoch.unwrap_or(-1), s.offset_epoch.unwrap_or(-1))
        })
    }

    /// Takes in the leader epoch the metadata gives `tp` now (Java's
    /// `maybeValidatePositionForCurrentLeader`). When it is not the one the position was
    /// checked against and the position carries the epoch of its record, the position must
    /// be validated before fetching on. Returns whether validation became necessary.
    pub fn update_leader_epoch(&mut self, tp: &TopicPartition, leader_epoch: Option<i32>) -> bool {
        let Some(state) = self.partitions.get_mut(tp) else {
            return false;
        };
        let Some(epoch) = leader_epoch.filter(|e| *e >= 0) else {
            return false;
        };
        if state.leader_epoch == Some(epoch) {
            return false;
        }
        // A newer epoch only: an older one is a stale metadata answer.
        if state.leader_epoch.is_some_and(|known| known > epoch) {
            return false;
        }
        self.changes += 1;
        state.leader_epoch = Some(epoch);
        if state.position.is_some() && state.offset_epoch.is_some() && !state.awaiting_validation {
            state.awaiting_validation = true;
            return true;
        }
        false
    }

    /// Partitions whose position waits for validation, with the position and the epoch of
    /// the record before it (what OffsetForLeaderEpoch asks about) and the current leader
    /// epoch.
    pub fn awaiting_validation(&self) -> Vec<(TopicPartition, i64, i32, i32)> {
        self.partitions
            .iter()
            .filter(|(_, s)| s.awaiting_validation)
            .filter_map(|(tp, s)| {
                Some((
                    tp.clone(),
                    s.position?,
                    s.offset_epoch?,
                    s.leader_epoch.unwrap_or(-1),
                ))
            })
            .collect()
    }

    /// Ends the wait for validation of `tp` without an answer (the leader cannot validate:
    /// it predates OffsetForLeaderEpoch v2); fetching goes on from the position.
    pub fn skip_validation(&mut self, tp: &TopicPartition) {
        if let Some(state) = self.partitions.get_mut(tp) {
            self.changes += 1;
            state.awaiting_validation = false;
        }
    }

    /// Whether `tp`'s position waits for validation.
    pub fn is_awaiting_validation(&self, tp: &TopicPartition) -> bool {
        self.partitions
            .get(tp)
            .is_some_and(|s| s.awaiting_validation)
    }

    /// Applies the leader's answer about the epoch of the record before `requested` (Java's
    /// `maybeCompleteValidation`). `from_fetch`: the answer is a Fetch's `diverging_epoch`,
    /// which a leader sends only when the logs differ (a partition need not be awaiting
    /// validation for it).
    ///
    /// ```
    /// use kafkito::consumer::{OffsetReset, SubscriptionState, TopicPartition};
    /// use kafkito::consumer::subscription::{EpochEndOffset, ValidationOutcome};
    ///
    /// let tp = TopicPartition::new("orders", 0);
    /// let mut subs = SubscriptionState::new(OffsetReset::Earliest, false);
    /// subs.assign([tp.clone()]);
    /// // Read up to 15 in epoch 3; the new leader's epoch 3 ends at 10.
    /// subs.seek_with_epoch(&tp, 15, Some(3));
    /// let outcome = subs.complete_validation(&tp, 15, EpochEndOffset { epoch: 3, end_offset: 10 }, false);
    /// assert!(matches!(outcome, ValidationOutcome::Truncated(t) if t.reset_to == Some(10)));
    /// assert_eq!(subs.position(&tp), Some(10));
    /// ```
    pub fn complete_validation(
        &mut self,
        tp: &TopicPartition,
        requested: i64,
        answer: EpochEndOffset,
        from_fetch: bool,
    ) -> ValidationOutcome {
        let reset = self.default_reset;
        let Some(state) = self.partitions.get_mut(tp) else {
            return ValidationOutcome::Stale;
        };
        if state.position != Some(requested) || !(state.awaiting_validation || from_fetch) {
            return ValidationOutcome::Stale;
        }
        self.changes += 1;
        if answer.epoch < 0 || answer.end_offset < 0 {
            // The leader has no record of the consumed epoch (older than its log start, or
            // never written there): where the logs agree is unknown.
            let truncation = LogTruncation {
                tp: tp.clone(),
                position: requested,
                reset_to: None,
                epoch: None,
            };
            if reset == OffsetReset::None {
                state.awaiting_validation = true;
                return ValidationOutcome::Fail(truncation);
            }
            state.position = None;
            state.pending = Some(PositionSource::Reset(reset));
            state.offset_epoch = None;
            state.awaiting_validation = false;
            return ValidationOutcome::Truncated(truncation);
        }
        if answer.end_offset < requested {
            let truncation = LogTruncation {
                tp: tp.clone(),
                position: requested,
                reset_to: Some(answer.end_offset),
                epoch: Some(answer.epoch),
            };
            if reset == OffsetReset::None {
                // Not fetched until the application seeks (it stays awaiting validation,
                // and each poll reports the truncation again).
                state.awaiting_validation = true;
                return ValidationOutcome::Fail(truncation);
            }
            // The end offset of an epoch the new leader holds is, by that answer, a position
            // both logs share: no further validation needed.
            state.position = Some(answer.end_offset);
            state.offset_epoch = Some(answer.epoch);
            state.awaiting_validation = false;
            return ValidationOutcome::Truncated(truncation);
        }
        state.awaiting_validation = false;
        ValidationOutcome::Valid
    }

    /// Records the replica the leader named for `tp` (KIP-392), to be used until `until`.
    pub fn update_preferred_read_replica(
        &mut self,
        tp: &TopicPartition,
        replica: i32,
        until: Instant,
    ) {
        if let Some(state) = self.partitions.get_mut(tp) {
            self.changes += 1;
            state.preferred_read_replica = Some((replica, until));
        }
    }

    /// The replica to fetch `tp` from instead of its leader, if one was named and has not
    /// expired at `now` (an expired one is forgotten: the leader is asked again).
    pub fn preferred_read_replica(&mut self, tp: &TopicPartition, now: Instant) -> Option<i32> {
        let state = self.partitions.get_mut(tp)?;
        match state.preferred_read_replica {
            Some((replica, until)) if now < until => Some(replica),
            Some(_) => {
                self.changes += 1;
                state.preferred_read_replica = None;
                None
            }
            None => None,
        }
    }

    /// Forgets the preferred read replica of `tp`; returns the one forgotten.
    pub fn clear_preferred_read_replica(&mut self, tp: &TopicPartition) -> Option<i32> {
        let (replica, _) = self.partitions.get_mut(tp)?.preferred_read_replica.take()?;
        self.changes += 1;
        Some(replica)
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
        self.partitions.get(tp)?.lag(read_committed)
    }

    /// Current positions of the assigned partitions that have one (what a commit commits).
    pub fn all_positions(&self) -> BTreeMap<TopicPartition, i64> {
        self.partitions
            .iter()
            .filter_map(|(tp, s)| s.position.map(|p| (tp.clone(), p)))
            .collect()
    }
}

impl LogTruncation {
    /// The error `poll` returns for this truncation under `auto.offset.reset=none`.
    pub fn to_error(&self) -> Error {
        Error::LogTruncation {
            topic: self.tp.topic.clone(),
            partition: self.tp.partition,
            position: self.position,
            divergent_offset: self.reset_to,
            epoch: self.epoch,
        }
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
    /// use kafkito::consumer::subscription::TopicPattern;
    ///
    /// let pattern = TopicPattern::new("orders-.*")?;
    /// assert!(pattern.matches("orders-eu"));
    /// assert!(!pattern.matches("old-orders-eu"));
    /// assert!(TopicPattern::new("orders-(").is_err());
    /// # Ok::<(), kafkito::Error>(())
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
mod tests;

#[cfg(test)]
mod fetch_edge_tests;
