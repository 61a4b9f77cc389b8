//! The consumer's poll loop: what [`Consumer::poll`] does between being called and returning
//! records, as Java's `Fetcher` / `FetchCollector` and `OffsetFetcher` do between them.
//!
//! Each round it applies the group's changes (see `rebalance`), makes sure the assigned topics'
//! leaders are known, gives positions to partitions without one (committed offset, else
//! `auto.offset.reset`), validates positions after a leader change (KIP-320,
//! OffsetForLeaderEpoch), takes in the Fetch answers that arrived, and returns buffered
//! records — sending the next Fetches first, so that they are under way while the application
//! works. With nothing buffered it waits for a Fetch answer, a group event, or the metadata
//! refresh a leaderless partition asked for.
//!
//! What a partition's error code means is the error-code table's call
//! ([`ErrorCode::invalidates_metadata`], [`ErrorCode::is_retriable`]); this file only decides
//! what the consumer does about it (refresh, retry, reset, report).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::fetcher::{self, FetchOutcome, FetchTask, MAX_FETCH_VERSION};
use super::group::coordinator::{GroupCommand, GroupEvent};
use super::hook;
use super::offsets;
use super::subscription::{
    out_of_range_decision, EpochEndOffset, OutOfRangeDecision, PositionSource, ValidationOutcome,
};
use super::{CompletedFetch, Consumer, ConsumerRecord, LogTruncation, OffsetReset, TopicPartition};
use crate::cluster::Cluster;
use crate::error::{Error, Result};

impl Consumer {
    /// Up to `max.poll.records` records, waiting up to `timeout` for some; empty when none
    /// came in time. Fails with [`Error::OffsetOutOfRange`],
    /// [`Error::NoOffsetForPartition`] or [`Error::LogTruncation`] under
    /// `auto.offset.reset=none`, and with errors the
    /// broker gives for a partition that retrying will not heal (authorization, …).
    pub async fn poll(&mut self, timeout: Duration) -> Result<Vec<ConsumerRecord>> {
        self.poll_up_to(self.config.max_poll_records, timeout).await
    }

    /// The records one at a time, as a stream (polling as needed). Never ends; an error is
    /// one item and the stream goes on after it. `Unpin`, so `stream.next().await` works.
    pub fn stream(
        &mut self,
    ) -> impl futures::Stream<Item = Result<ConsumerRecord>> + Send + Unpin + '_ {
        // Boxed so that the stream is `Unpin`: `stream.next().await` works without pinning.
        Box::pin(futures::stream::unfold(self, |consumer| async move {
            loop {
                // One record per poll: a record is only taken (and the position moved past
                // it) when the stream hands it out, so dropping the stream loses nothing.
                match consumer.poll_up_to(1, Duration::from_secs(1)).await {
                    Ok(mut records) => {
                        if let Some(record) = records.pop() {
                            return Some((Ok(record), consumer));
                        }
                    }
                    Err(error) => return Some((Err(error), consumer)),
                }
            }
        }))
    }

    async fn poll_up_to(&mut self, max: usize, timeout: Duration) -> Result<Vec<ConsumerRecord>> {
        if self.in_listener {
            return Err(Error::config(
                "poll",
                "poll was called from a rebalance listener; return from the listener first",
            ));
        }
        let deadline = Instant::now() + timeout;
        self.note_poll();
        if let Some(group) = &self.group {
            group.send(GroupCommand::Polled);
        }
        self.maybe_auto_commit();
        loop {
            if let Some(error) = self.pending_error.take() {
                return Err(error);
            }
            self.apply_group_events().await?;
            // Before the offset lookups: they then find the leaders in the view instead of
            // refreshing it themselves, and the fetches after them need no second refresh
            // (which the metadata backoff would hold back by `retry.backoff.ms`).
            if tokio::time::timeout_at(deadline, self.refresh_assigned_topics())
                .await
                .is_err()
            {
                return Ok(Vec::new());
            }
            // Boxed: the offset lookups nest admin calls, retries and coordinator lookups, and
            // inlined into `poll`'s future they push an application's `async fn` that awaits
            // `poll` past rustc's layout depth limit ("queries overflow the depth limit").
            // Only when a lookup is due, so that a steady poll allocates nothing for it.
            // Looked for only when the subscription changed since none was found: a
            // partition gets a pending position only through a change it counts.
            let changes = self.subscriptions.changes();
            if self.positions_settled != Some(changes) {
                if self.subscriptions.pending_positions().is_empty() {
                    self.positions_settled = Some(changes);
                } else {
                    match tokio::time::timeout_at(deadline, Box::pin(self.update_positions())).await
                    {
                        Ok(result) => result?,
                        Err(_) => return Ok(Vec::new()),
                    }
                }
            }
            match tokio::time::timeout_at(deadline, self.validate_positions()).await {
                Ok(result) => result?,
                Err(_) => return Ok(Vec::new()),
            }
            if let Some(error) = self.pending_error.take() {
                return Err(error);
            }
            while let Ok(outcome) = self.outcomes.try_recv() {
                self.handle_outcome(outcome);
            }
            let mut records = self.buffer.collect(max, &mut self.subscriptions)?;
            if !records.is_empty() {
                self.note_consumed(records.len());
                hook::consumed(&self.config.hooks, &mut records);
                // Pipelining: the next fetches run while the application handles these.
                while let Ok(outcome) = self.outcomes.try_recv() {
                    self.handle_outcome(outcome);
                }
                let _ = tokio::time::timeout_at(deadline, self.send_fetches()).await;
                return Ok(records);
            }
            if self.pending_error.is_some() {
                continue;
            }
            if tokio::time::timeout_at(deadline, self.send_fetches())
                .await
                .is_err()
            {
                return Ok(Vec::new());
            }
            if self.in_flight.is_empty() {
                if let Some(refresh) = self.leader_refresh.take() {
                    // A leader is unknown: look again as soon as the refresh asked for it
                    // answers. The metadata backoff paces refreshes, so a leader that stays
                    // unknown costs one refresh per `retry.backoff.ms`, not a spin.
                    debug!("no fetch in flight; waiting for the metadata refresh");
                    let waited = tokio::time::timeout_at(deadline, refresh.wait()).await;
                    match waited {
                        Err(_) => return Ok(Vec::new()),
                        Ok(Err(Error::Closed)) => return Err(Error::Closed),
                        Ok(Err(error)) => {
                            // Failed refreshes back off in the refresher; retried next round.
                            debug!(%error, "metadata refresh for a leader failed");
                        }
                        Ok(Ok(_)) => {}
                    }
                    continue;
                }
                // Nothing to wait for (all paused, nothing assigned): look again after a
                // backoff rather than spin.
                let wake =
                    (Instant::now() + self.metadata.pool().config().retry_backoff).min(deadline);
                tokio::time::sleep_until(wake).await;
                if Instant::now() >= deadline {
                    return Ok(Vec::new());
                }
                continue;
            }
            // Wait for a Fetch answer, or for the group to change the assignment (so that a
            // revocation is handled at once, not after fetch.max.wait.ms).
            let outcomes = &mut self.outcomes;
            let group = self.group.as_mut();
            let woken = tokio::time::timeout_at(deadline, async move {
                match group {
                    Some(group) => tokio::select! {
                        outcome = outcomes.recv() => Wake::Fetch(outcome),
                        Some(event) = group.events.recv() => Wake::Group(event),
                    },
                    None => Wake::Fetch(outcomes.recv().await),
                }
            })
            .await;
            match woken {
                Ok(Wake::Fetch(Some(outcome))) => self.handle_outcome(outcome),
                Ok(Wake::Fetch(None)) => return Err(Error::Closed),
                Ok(Wake::Group(event)) => self.group_backlog.push_back(event),
                Err(_) => return Ok(Vec::new()),
            }
        }
    }

    /// Gives partitions without a position one: committed offset, else the reset strategy.
    async fn update_positions(&mut self) -> Result<()> {
        let pending = self.subscriptions.pending_positions();
        if pending.is_empty() {
            return Ok(());
        }
        let mut resets = Vec::new();
        let from_committed: Vec<TopicPartition> = pending
            .iter()
            .filter(|(_, source)| *source == PositionSource::Committed)
            .map(|(tp, _)| tp.clone())
            .collect();
        if let (false, Some(group)) = (from_committed.is_empty(), &self.config.group_id) {
            let committed = offsets::committed(&self.admin, group, &from_committed).await?;
            for tp in from_committed {
                match committed.get(&tp).cloned().flatten() {
                    Some(found) => {
                        debug!(%tp, offset = found.offset, epoch = ?found.leader_epoch, "starting at the committed offset");
                        // With the epoch it was committed with, the position is validated
                        // against the leader's log before fetching (KIP-320), as Java does.
                        self.subscriptions
                            .seek_with_epoch(&tp, found.offset, found.leader_epoch);
                    }
                    None => resets.push((tp, self.subscriptions.default_reset())),
                }
            }
        }
        for (tp, source) in pending {
            if let PositionSource::Reset(to) = source {
                resets.push((tp, to));
            }
        }
        if let Some((tp, _)) = resets.iter().find(|(_, to)| *to == OffsetReset::None) {
            return Err(Error::NoOffsetForPartition {
                topic: tp.topic.clone(),
                partition: tp.partition,
            });
        }
        if resets.is_empty() {
            return Ok(());
        }
        let found =
            offsets::reset_offsets(&self.admin, &resets, self.config.isolation_level).await?;
        for (tp, offset) in found {
            info!(%tp, offset, "reset offset");
            self.subscriptions.seek(&tp, offset);
        }
        Ok(())
    }

    /// KIP-320: takes in the leader epochs of the current metadata (a new one marks the
    /// position for validation), then validates the marked positions with their leaders
    /// (OffsetForLeaderEpoch) before they are fetched again. A truncation found is recovered
    /// from (and reported) or, under `auto.offset.reset=none`, left for `poll` to report.
    /// Errors that invalidate metadata (FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, …) refresh
    /// it; they and other retriable failures (UNKNOWN_LEADER_EPOCH: the broker has not caught
    /// up with our metadata yet) try again after `retry.backoff.ms`; none resets a position.
    async fn validate_positions(&mut self) -> Result<()> {
        let cluster = self.metadata.cluster();
        // The epochs are taken in again only when the metadata or the subscription changed
        // since the last pass: with the same view and the same partition states, a pass
        // changes nothing (and it costs a lookup per assigned partition, once per `poll`).
        let inputs = PassInputs::for_epochs(&cluster, self);
        if self.epoch_pass.as_ref() != Some(&inputs) {
            for tp in self.subscriptions.assignment() {
                let epoch = cluster
                    .partition(&tp.topic, tp.partition)
                    .and_then(|p| p.leader_epoch);
                if self.subscriptions.update_leader_epoch(&tp, epoch) {
                    debug!(%tp, leader_epoch = ?epoch, "new leader epoch; validating the position before fetching on");
                    self.buffer.retain(|f| f.tp != tp);
                }
            }
            self.epoch_pass = Some(PassInputs::for_epochs(&cluster, self));
        }
        // As for pending positions: a position comes to wait for validation only through a
        // change the subscription counts.
        let changes = self.subscriptions.changes();
        if self.validation_settled == Some(changes) {
            return Ok(());
        }
        let awaiting = self.subscriptions.awaiting_validation();
        if awaiting.is_empty() {
            self.validation_settled = Some(changes);
        }
        if awaiting.is_empty()
            || self
                .validation_retry_at
                .is_some_and(|at| Instant::now() < at)
        {
            return Ok(());
        }
        self.validation_retry_at = None;
        let mut by_node: HashMap<i32, Vec<(TopicPartition, i64, i32, i32)>> = HashMap::new();
        for item in awaiting {
            match cluster.leader_for(&item.0.topic, item.0.partition) {
                Some(leader) => by_node.entry(leader.id).or_default().push(item),
                None => {
                    debug!(tp = %item.0, "no known leader to validate the position with");
                    self.leader_refresh = Some(self.metadata.request_refresh());
                }
            }
        }
        for (node, partitions) in by_node {
            if let Err(error) = self.validate_on(node, partitions).await {
                if !error.is_retriable() {
                    return Err(error);
                }
                warn!(node, %error, "position validation failed; will retry");
                self.validation_retry_at =
                    Some(Instant::now() + self.metadata.pool().config().retry_backoff);
                self.leader_refresh = Some(self.metadata.request_refresh());
            }
        }
        Ok(())
    }

    /// One OffsetForLeaderEpoch to `node` for `partitions` (tp, position, epoch of the record
    /// before it, current leader epoch), and what its answers mean.
    async fn validate_on(
        &mut self,
        node: i32,
        partitions: Vec<(TopicPartition, i64, i32, i32)>,
    ) -> Result<()> {
        let connection = self.metadata.pool().connection(node).await?;
        let version = connection
            .version_for(ApiKey::OffsetForLeaderEpoch)
            .ok()
            .filter(|v| *v >= fetcher::MIN_OFFSET_FOR_LEADER_EPOCH_VERSION);
        let Some(version) = version else {
            // A broker that cannot fence a stale leader's answer cannot validate either
            // (Java skips validation then too): fetch on from the position.
            debug!(
                node,
                "broker has no usable OffsetForLeaderEpoch; not validating"
            );
            for (tp, _, _, _) in &partitions {
                self.subscriptions.skip_validation(tp);
            }
            return Ok(());
        };
        let request = fetcher::build_offset_for_leader_epoch_request(
            &partitions
                .iter()
                .map(|(tp, _, epoch, current)| (tp.clone(), *epoch, *current))
                .collect::<Vec<_>>(),
        );
        let started = Instant::now();
        let response = connection.call(&request, version).await?;
        let positions: HashMap<TopicPartition, i64> = partitions
            .into_iter()
            .map(|(tp, position, _, _)| (tp, position))
            .collect();
        for (tp, answer) in fetcher::epoch_end_offsets(response) {
            let Some(&position) = positions.get(&tp) else {
                continue;
            };
            self.apply_epoch_end_offset(&tp, position, answer, started)?;
        }
        Ok(())
    }

    /// What one OffsetForLeaderEpoch answer means for `tp`, validated at `position`.
    pub(super) fn apply_epoch_end_offset(
        &mut self,
        tp: &TopicPartition,
        position: i64,
        answer: std::result::Result<EpochEndOffset, ErrorCode>,
        started: Instant,
    ) -> Result<()> {
        let backoff = self.metadata.pool().config().retry_backoff;
        match answer {
            Ok(answer) => {
                self.apply_validation(tp, position, answer, false);
                debug!(%tp, position, ?answer, elapsed = ?started.elapsed(), "position validation answered");
            }
            Err(code) if code.invalidates_metadata() => {
                // Our view of the leader is stale (FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER,
                // …): look again, and validate against whoever leads then. Never a reset.
                debug!(%tp, error = %code, "validation needs fresh metadata");
                self.leader_refresh = Some(self.metadata.request_refresh());
                self.validation_retry_at = Some(Instant::now() + backoff);
            }
            Err(code) if code.is_retriable() => {
                debug!(%tp, error = %code, "retriable validation error");
                self.validation_retry_at = Some(Instant::now() + backoff);
            }
            Err(code) => {
                return Err(Error::Protocol {
                    api: ApiKey::OffsetForLeaderEpoch,
                    code,
                    message: Some(format!("validating the position of {tp} at {position}")),
                })
            }
        }
        Ok(())
    }

    /// Applies a leader's answer about where an epoch ends (validation, or a Fetch's
    /// `diverging_epoch`) to `tp`, validated or fetched at `position`.
    fn apply_validation(
        &mut self,
        tp: &TopicPartition,
        position: i64,
        answer: EpochEndOffset,
        from_fetch: bool,
    ) {
        match self
            .subscriptions
            .complete_validation(tp, position, answer, from_fetch)
        {
            ValidationOutcome::Stale | ValidationOutcome::Valid => {}
            ValidationOutcome::Truncated(truncation) => {
                warn!(
                    %tp,
                    position,
                    reset_to = ?truncation.reset_to,
                    epoch = ?truncation.epoch,
                    "log truncation detected: records read from the old leader are gone; moving back"
                );
                self.buffer.retain(|f| &f.tp != tp);
                self.log_truncations.push_back(truncation);
            }
            ValidationOutcome::Fail(truncation) => {
                let error = truncation.to_error();
                warn!(%tp, position, %error, "log truncation detected and auto.offset.reset is none");
                self.buffer.retain(|f| &f.tp != tp);
                self.pending_error = Some(error);
            }
        }
    }

    /// The log truncations (KIP-320) detected and recovered from since the last call,
    /// oldest first. For each, records the application had read were removed from the
    /// partition's log by a leader change, and the consumer moved back to where the old
    /// and new logs agree (and reads the new leader's records from there). Under
    /// `auto.offset.reset=none` there is no recovery: `poll` fails with
    /// [`Error::LogTruncation`] instead, until the partition is sought.
    ///
    /// ```no_run
    /// # async fn demo(consumer: &mut kafkito::consumer::Consumer) -> kafkito::Result<()> {
    /// let records = consumer.poll(std::time::Duration::from_secs(1)).await?;
    /// for t in consumer.log_truncations() {
    ///     eprintln!("{}: read up to {}, the log now ends at {:?}", t.tp, t.position, t.reset_to);
    /// }
    /// # drop(records); Ok(()) }
    /// ```
    pub fn log_truncations(&mut self) -> Vec<LogTruncation> {
        self.log_truncations.drain(..).collect()
    }

    /// After the assignment changed, makes sure metadata is tracked and known for its topics.
    /// Returns whether it is (`false`: the refresh failed; tried again on the next call).
    ///
    /// No round trip when the view already names a leader for every assigned partition
    /// (a topic is in the view only if refreshes ask about it): a second refresh so soon
    /// after the one that brought them would only wait out the metadata backoff.
    async fn refresh_assigned_topics(&mut self) -> bool {
        if !self.topics_changed {
            return true;
        }
        let assignment = self.subscriptions.assignment();
        let known = |cluster: &Cluster| {
            assignment
                .iter()
                .all(|tp| cluster.leader_for(&tp.topic, tp.partition).is_some())
        };
        if known(&self.metadata.cluster()) {
            debug!(
                partitions = assignment.len(),
                "leaders of the assigned partitions already known"
            );
            self.topics_changed = false;
            return true;
        }
        let topics: BTreeSet<&str> = assignment.iter().map(|tp| tp.topic.as_str()).collect();
        let names: Vec<&str> = topics.into_iter().collect();
        // `refresh_topics` waits for a refresh that starts after it is called; right after
        // start-up that is the one after the client's first, which the metadata backoff holds
        // back `retry.backoff.ms`. But the first one may already carry these topics (the
        // refresher reads the topic set when it starts): so, once the topics are registered
        // (the first poll of `refresh`, hence `biased`), whichever view comes first and names
        // every leader will do.
        let refresh = self.metadata.refresh_topics(&names);
        let joined = self.metadata.ready_cluster();
        tokio::pin!(refresh, joined);
        let outcome = tokio::select! {
            biased;
            outcome = &mut refresh => outcome.map(drop),
            outcome = &mut joined => match outcome {
                Ok(cluster) if known(&cluster) => Ok(()),
                _ => (&mut refresh).await.map(drop),
            },
        };
        if let Err(error) = outcome {
            warn!(%error, "metadata refresh for the assigned topics failed");
            return false;
        }
        debug!(
            topics = names.len(),
            "metadata refreshed for the assigned topics"
        );
        self.topics_changed = false;
        true
    }

    /// Sends a Fetch to each leader of fetchable partitions that have no buffered data and
    /// no fetch in flight, unless that leader already has one in flight.
    async fn send_fetches(&mut self) {
        if !self.refresh_assigned_topics().await {
            return;
        }
        let cluster = self.metadata.cluster();
        // A pass over the assignment is skipped while nothing it reads changed since the last
        // complete one (which then sent all it could): with many partitions it cost more than
        // the records themselves, and `poll` calls this every time it returns records. With
        // nothing buffered and nothing in flight it always runs, so that a skipped pass can
        // never leave the consumer waiting on nothing.
        let inputs = PassInputs::new(&cluster, self);
        let idle = self.buffer.is_empty() && self.in_flight.is_empty();
        if !idle && self.fetch_pass.as_ref() == Some(&inputs) {
            return;
        }
        self.fetch_pass = None;
        // Whether every fetchable partition was either sent or held back by a rule that only
        // a change of the inputs lifts.
        let mut complete = true;
        let buffered = self.buffer.partitions();
        let now = Instant::now();
        // Where each partition is fetched from: its preferred read replica (KIP-392) while
        // that is named, unexpired and a broker the metadata knows; else its leader.
        let fetchable = self.subscriptions.fetchable();
        let mut source: HashMap<TopicPartition, i32> = HashMap::new();
        for (tp, _) in &fetchable {
            let leader = cluster.leader_for(&tp.topic, tp.partition).map(|b| b.id);
            let replica = self
                .subscriptions
                .preferred_read_replica(tp, now)
                .filter(|id| cluster.broker(*id).is_some());
            if let Some(node) = replica.or(leader) {
                source.insert(tp.clone(), node);
            }
        }
        let in_flight: HashSet<&TopicPartition> = self.in_flight.values().flatten().collect();
        let candidates: Vec<(TopicPartition, i64)> = fetchable
            .into_iter()
            .filter(|(tp, _)| !buffered.contains(tp) && !in_flight.contains(tp))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let (nodes, leaderless) = fetcher::by_leader(candidates, |tp| source.get(tp).copied());
        if !leaderless.is_empty() {
            complete = false;
            debug!(partitions = ?leaderless, "no known leader; refreshing metadata");
            self.leader_refresh = Some(self.metadata.request_refresh());
        }
        let timeout = self.config.client.request_timeout + self.config.fetch_max_wait;
        let backoff = self.config.client.retry_backoff;
        // Nodes that still have buffered records for the application.
        let busy: HashSet<i32> = buffered
            .iter()
            .filter_map(|tp| source.get(tp).copied())
            .collect();
        for (node, partitions) in nodes {
            if self.in_flight.contains_key(&node) {
                continue;
            }
            // A Fetch of only caught-up partitions is held by the broker for
            // fetch.max.wait.ms, and while it is in flight the node gets no other Fetch: the
            // partitions still being drained would then wait that long for their next data.
            // So such a Fetch waits until the node's buffered data is drained, and then
            // goes out together with those partitions.
            let caught_up = partitions
                .iter()
                .all(|(tp, _)| self.subscriptions.lag(tp, false) == Some(0));
            if caught_up && busy.contains(&node) {
                continue;
            }
            let connection = match self.metadata.pool().connection(node).await {
                Ok(connection) => connection,
                Err(error) => {
                    complete = false;
                    // A preferred read replica that cannot be reached: its partitions go
                    // back to their leader at once (KIP-392).
                    let mut replica_of = Vec::new();
                    for (tp, _) in &partitions {
                        if self
                            .subscriptions
                            .clear_preferred_read_replica(tp)
                            .is_some()
                        {
                            replica_of.push(tp.clone());
                        }
                    }
                    if replica_of.is_empty() {
                        warn!(node, %error, "cannot reach leader for fetch");
                        self.leader_refresh = Some(self.metadata.request_refresh());
                    } else {
                        warn!(node, %error, partitions = ?replica_of, "cannot reach the preferred read replica; fetching from the leader");
                    }
                    continue;
                }
            };
            let version = match connection.version_for(ApiKey::Fetch) {
                Ok(v) => v.min(MAX_FETCH_VERSION),
                Err(error) => {
                    self.pending_error = Some(error);
                    return;
                }
            };
            let subscriptions = &self.subscriptions;
            let request = fetcher::build_fetch_request(&self.settings, &partitions, |tp| {
                subscriptions.fetch_epochs(tp)
            });
            self.in_flight
                .insert(node, partitions.iter().map(|(tp, _)| tp.clone()).collect());
            FetchTask {
                node,
                connection,
                request,
                version,
                partitions,
                timeout,
                backoff,
            }
            .spawn_measured(self.outcomes_tx.clone(), self.sensors());
        }
        if complete {
            self.fetch_pass = Some(PassInputs::new(&cluster, self));
        }
    }

    /// Takes in a Fetch answer: buffers the records, records watermarks, and decides what
    /// each partition error means.
    pub(super) fn handle_outcome(&mut self, outcome: FetchOutcome) {
        self.outcomes_handled += 1;
        self.in_flight.remove(&outcome.node);
        let mut response = match outcome.result {
            Ok(response) => response,
            Err(error) if !error.is_retriable() => {
                // A top-level code no retry heals (TOPIC_AUTHORIZATION_FAILED, an unsupported
                // version): the application must hear of it, or poll would return nothing
                // forever while this retried in the background.
                warn!(node = outcome.node, %error, "fetch failed; reporting it to poll");
                self.pending_error = Some(error);
                return;
            }
            Err(error) => {
                // A failed fetch from a preferred read replica goes back to the leader.
                for (tp, _) in &outcome.partitions {
                    self.subscriptions.clear_preferred_read_replica(tp);
                }
                warn!(node = outcome.node, %error, "fetch failed; will retry");
                drop(self.metadata.request_refresh());
                return;
            }
        };
        let cluster = self.metadata.cluster();
        let now = Instant::now();
        let mut refresh = false;
        for (tp, fetch_offset) in outcome.partitions {
            let Some(data) = fetcher::take_partition(&mut response, &tp) else {
                continue;
            };
            let position = self.subscriptions.position(&tp);
            if position != Some(fetch_offset) || self.subscriptions.is_awaiting_validation(&tp) {
                // Sought or unassigned while the fetch was in flight, or the leader changed
                // and the position is validated first.
                continue;
            }
            let code = ErrorCode::from_code(data.error_code);
            if code.is_ok() && data.diverging_epoch.epoch >= 0 {
                // KIP-320 on Fetch v12+: the log diverged from the epoch of the last record
                // read; the answer carries no records.
                let answer = EpochEndOffset {
                    epoch: data.diverging_epoch.epoch,
                    end_offset: data.diverging_epoch.end_offset,
                };
                debug!(%tp, fetch_offset, ?answer, "fetch reports a diverging epoch");
                self.apply_validation(&tp, fetch_offset, answer, true);
                continue;
            }
            if code.is_ok() {
                self.subscriptions.update_watermarks(
                    &tp,
                    data.high_watermark,
                    data.last_stable_offset,
                );
                if data.preferred_read_replica >= 0 {
                    // KIP-392: the leader names a replica to read from (usually with no
                    // records); kept for metadata.max.age.ms, as Java does.
                    let until = now + self.config.client.metadata_max_age;
                    debug!(%tp, replica = data.preferred_read_replica, node = outcome.node, "fetching from the preferred read replica");
                    self.subscriptions.update_preferred_read_replica(
                        &tp,
                        data.preferred_read_replica,
                        until,
                    );
                }
                if let Some(records) = data.records.filter(|r| !r.is_empty()) {
                    // Its turn at the front of a Fetch is over (see `move_to_end`).
                    self.subscriptions.move_to_end(&tp);
                    self.buffer.push(
                        CompletedFetch::new(
                            tp,
                            fetch_offset,
                            records,
                            data.aborted_transactions,
                            self.settings.read_committed,
                            self.config.check_crcs,
                        )
                        // read_committed never delivers past the last stable offset.
                        .with_last_stable_offset(data.last_stable_offset)
                        .fetched_from(outcome.node),
                    );
                }
                continue;
            }
            // Whether this answer came from a preferred read replica rather than the leader.
            let cleared = self.subscriptions.clear_preferred_read_replica(&tp);
            let leader = cluster.leader_for(&tp.topic, tp.partition).map(|b| b.id);
            let from_replica = cleared.is_some() || leader.is_some_and(|l| l != outcome.node);
            match code {
                ErrorCode::OffsetOutOfRange | ErrorCode::OffsetNotAvailable if from_replica => {
                    // A replica may lag the leader's high watermark or keep less history:
                    // ask the leader, never reset on a replica's word (KIP-392).
                    debug!(%tp, fetch_offset, node = outcome.node, error = %code, "the read replica cannot serve this offset; fetching from the leader");
                }
                ErrorCode::OffsetOutOfRange => {
                    let reset = self.subscriptions.default_reset();
                    match out_of_range_decision(position, fetch_offset, reset) {
                        OutOfRangeDecision::Ignore => {}
                        OutOfRangeDecision::Reset(to) => {
                            info!(%tp, fetch_offset, reset = ?to, "offset out of range; resetting");
                            self.subscriptions.request_reset(&tp, to);
                        }
                        OutOfRangeDecision::Fail => {
                            warn!(%tp, fetch_offset, "offset out of range and auto.offset.reset is none");
                            self.pending_error = Some(Error::OffsetOutOfRange {
                                topic: tp.topic.clone(),
                                partition: tp.partition,
                                offset: fetch_offset,
                            });
                        }
                    }
                }
                code if code.invalidates_metadata() || code == ErrorCode::OffsetNotAvailable => {
                    // The leader moved (FENCED_LEADER_EPOCH: our leader epoch is older than
                    // the broker's), or a new leader's high watermark is still catching up
                    // (OFFSET_NOT_AVAILABLE, refreshed by Java's fetcher too): fresh metadata
                    // brings the new leader (and a validation), never a reset.
                    debug!(%tp, error = %code, node = outcome.node, from_replica, "fetch needs fresh metadata");
                    refresh = true;
                }
                code if code.is_retriable() => {
                    // E.g. UNKNOWN_LEADER_EPOCH: the broker has not caught up with the leader
                    // epoch our metadata gave; the next fetch will do.
                    debug!(%tp, error = %code, "retriable fetch error");
                }
                code => {
                    warn!(%tp, error = %code, "fetch failed");
                    self.pending_error = Some(Error::Protocol {
                        api: ApiKey::Fetch,
                        code,
                        message: Some(format!("fetching {tp} at {fetch_offset}")),
                    });
                }
            }
        }
        if refresh {
            drop(self.metadata.request_refresh());
        }
    }
}

/// What a pass over the assignment (for new Fetches, or for new leader epochs) reads besides
/// the partitions' positions: the metadata view (compared by identity: a refresh makes a new
/// one), the subscription's and the fetch buffer's change counts, and how many Fetch answers
/// were taken in. While these stay the same, a second pass would find what the first did.
#[derive(Debug)]
pub(super) struct PassInputs {
    /// Held, so that its address cannot be reused by a later view.
    cluster: Arc<Cluster>,
    subscriptions: u64,
    buffer: u64,
    outcomes: u64,
}

impl PassInputs {
    fn new(cluster: &Arc<Cluster>, consumer: &Consumer) -> Self {
        PassInputs {
            cluster: cluster.clone(),
            subscriptions: consumer.subscriptions.changes(),
            buffer: consumer.buffer.changes(),
            outcomes: consumer.outcomes_handled,
        }
    }

    /// For the pass over leader epochs, which reads only the view and the subscription.
    fn for_epochs(cluster: &Arc<Cluster>, consumer: &Consumer) -> Self {
        PassInputs {
            buffer: 0,
            outcomes: 0,
            ..PassInputs::new(cluster, consumer)
        }
    }
}

impl PartialEq for PassInputs {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.cluster, &other.cluster)
            && self.subscriptions == other.subscriptions
            && self.buffer == other.buffer
            && self.outcomes == other.outcomes
    }
}

/// What woke `poll` while it waited.
enum Wake {
    Fetch(Option<FetchOutcome>),
    Group(GroupEvent),
}

#[cfg(test)]
mod tests {
    //! Fetch answers fed to the poll loop by hand (crafted responses, no broker).

    use std::time::Duration;

    use super::super::tests::{consumer, tp};
    use super::*;
    use crate::consumer::ConsumerConfig;

    #[tokio::test]
    async fn a_non_retriable_fetch_error_reaches_poll_and_a_retriable_one_does_not() {
        let mut consumer = consumer().await;
        let outcome = |result| FetchOutcome {
            node: 1,
            partitions: vec![(tp(0), 0)],
            result,
        };
        let timeout = Error::Timeout {
            what: "a Fetch response".into(),
            after: Duration::from_secs(1),
        };
        assert!(timeout.is_retriable());
        consumer.handle_outcome(outcome(Err(timeout)));
        assert!(
            consumer.pending_error.is_none(),
            "a retriable failure is retried"
        );
        let denied = Error::check(
            ApiKey::Fetch,
            ErrorCode::TopicAuthorizationFailed.code(),
            None,
        )
        .unwrap_err();
        consumer.handle_outcome(outcome(Err(denied)));
        let error = consumer.pending_error.take().expect("reported to poll");
        assert_eq!(error.code(), Some(ErrorCode::TopicAuthorizationFailed));
    }

    #[tokio::test]
    async fn read_committed_delivers_nothing_past_the_fetch_responses_last_stable_offset() {
        use kafkito_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
        use kafkito_protocol::messages::FetchResponse;
        use kafkito_protocol::records::{Compression, RecordBatchBuilder};

        let config = ConsumerConfig::from_properties([
            ("bootstrap.servers", "127.0.0.1:1"),
            ("isolation.level", "read_committed"),
        ])
        .unwrap();
        let mut consumer = Consumer::new(config).await.unwrap();
        consumer.assign([tp(0)]).unwrap();
        consumer.seek(&tp(0), 0).unwrap();
        // Two non-transactional batches (offsets 0-1 and 2-3); the broker says 2 is stable.
        let mut log = Vec::new();
        for base in [0, 2] {
            let mut batch = RecordBatchBuilder::new(Compression::None);
            batch.base_offset(base);
            for _ in 0..2 {
                batch.append(1000, None, Some(b"v"), &[]).unwrap();
            }
            log.extend_from_slice(&batch.finish().unwrap());
        }
        let response = FetchResponse {
            responses: vec![FetchableTopicResponse {
                topic: "orders".into(),
                partitions: vec![PartitionData {
                    partition_index: 0,
                    high_watermark: 4,
                    last_stable_offset: 2,
                    records: Some(bytes::Bytes::from(log)),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        consumer.handle_outcome(FetchOutcome {
            node: 1,
            partitions: vec![(tp(0), 0)],
            result: Ok(response),
        });
        let records = consumer
            .buffer
            .collect(100, &mut consumer.subscriptions)
            .unwrap();
        let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
        assert_eq!(offsets, [0, 1], "nothing at or past the LSO");
        assert_eq!(consumer.position(&tp(0)), Some(2));
    }
}
