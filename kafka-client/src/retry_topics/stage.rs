//! One stage: the task that reads one topic (the source, or one retry topic), runs the handler
//! on each record that is due, hands failures on, and commits. The decisions (where a failure
//! goes, when a record is due, what the headers say) are `schedule` and `headers`; this file
//! does the consumer, producer and transaction I/O around them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{debug, warn};

use super::headers::{Origin, RetryHeaders};
use super::schedule::{dead_letter_topic, now_ms, retry_topic, route_failure, time_until, Route};
use super::{
    Backoff, Failure, Handler, Outcome, OutcomeKind, RetryMode, RetryTopicsConfig, POLL_INTERVAL,
};
use crate::admin::IsolationLevel;
use crate::consumer::{Consumer, ConsumerRecord, OffsetReset, TopicPartition};
use crate::error::Result;
use crate::producer::{DeliveryFuture, Producer, ProducerRecord};

/// What every stage shares.
#[derive(Debug)]
pub(super) struct Settings {
    pub source: String,
    pub attempts: u32,
    pub backoff: Backoff,
    pub mode: RetryMode,
    /// Partition count of every topic read or written.
    pub partitions: HashMap<String, i32>,
}

/// A record of a blocking-mode partition whose in-place retries went on past one poll.
#[derive(Debug, Clone, Copy)]
struct InPlace {
    attempts: u32,
    retry_at: Instant,
}

/// What one record's attempt leads to.
struct Handled {
    outcome: Option<Outcome>,
    forward: Option<ProducerRecord>,
}

pub(super) struct Stage {
    /// 0 for the source topic, `n` for `<source>-retry-<n>`.
    retry: u32,
    topic: String,
    consumer: Consumer,
    producer: Producer,
    transactional: bool,
    settings: Arc<Settings>,
    handler: Handler,
    outcomes: mpsc::UnboundedSender<Outcome>,
    stop: watch::Receiver<bool>,
    /// Retry topics: partitions paused until their first record is due (ms since the epoch).
    held: HashMap<TopicPartition, i64>,
    /// Blocking mode: records whose in-place retries wait for the next poll.
    in_place: HashMap<(TopicPartition, i64), InPlace>,
    /// `max.poll.interval.ms`.
    max_poll_interval: Duration,
}

impl Stage {
    pub(super) async fn new(
        config: &RetryTopicsConfig,
        retry: u32,
        topic: String,
        settings: Arc<Settings>,
        handler: Handler,
        outcomes: mpsc::UnboundedSender<Outcome>,
        stop: watch::Receiver<bool>,
    ) -> Result<Stage> {
        let transactional = config.transactional_id_prefix.is_some();
        let mut consumer_config = config.consumer.clone();
        // Commits follow the hand-offs, never a timer.
        consumer_config.enable_auto_commit = false;
        if retry > 0 {
            // A retry topic is ours: read all of it when nothing is committed yet, and under
            // exactly-once only what the hand-off transactions committed.
            consumer_config.auto_offset_reset = OffsetReset::Earliest;
            if transactional {
                consumer_config.isolation_level = IsolationLevel::ReadCommitted;
            }
        }
        let max_poll_interval = consumer_config.max_poll_interval;
        let mut consumer = Consumer::new(consumer_config).await?;
        let count = settings.partitions.get(&topic).copied().unwrap_or(0);
        consumer.assign((0..count).map(|p| TopicPartition::new(topic.as_str(), p)))?;
        let mut producer_config = config.producer.clone();
        if let Some(prefix) = &config.transactional_id_prefix {
            producer_config.transactional_id = Some(format!("{prefix}-{topic}"));
        }
        let producer = Producer::new(producer_config).await?;
        if transactional {
            // Fences a crashed predecessor with the same id and aborts its open transaction.
            producer.init_transactions().await?;
        }
        Ok(Stage {
            retry,
            topic,
            consumer,
            producer,
            transactional,
            settings,
            handler,
            outcomes,
            stop,
            held: HashMap::new(),
            in_place: HashMap::new(),
            max_poll_interval,
        })
    }

    /// Runs until stopped (then closes the producer and consumer) or until an error.
    pub(super) async fn run(mut self) -> Result<()> {
        let result = self.run_loop().await;
        if let Err(error) = &result {
            warn!(topic = %self.topic, %error, "retry topic stage failed");
        }
        let closed = self.producer.close(Duration::from_secs(10)).await;
        let consumer_closed = self.consumer.close().await;
        result.and(closed).and(consumer_closed)
    }

    async fn run_loop(&mut self) -> Result<()> {
        loop {
            // Stopped, or the `RetryTopics` handle was dropped (its sender with it).
            if *self.stop.borrow() || self.stop.has_changed().is_err() {
                return Ok(());
            }
            let now = now_ms();
            let due: Vec<TopicPartition> = self
                .held
                .iter()
                .filter(|(_, due)| time_until(**due, now).is_none())
                .map(|(tp, _)| tp.clone())
                .collect();
            if !due.is_empty() {
                debug!(topic = %self.topic, partitions = ?due, "due: resuming");
                self.consumer.resume(&due);
                for tp in &due {
                    self.held.remove(tp);
                }
            }
            // Never past the next due time: the poll loop does not sleep, it polls the other
            // partitions while the held ones wait.
            let wait = self
                .held
                .values()
                .filter_map(|due| time_until(*due, now))
                .min()
                .map_or(POLL_INTERVAL, |left| left.min(POLL_INTERVAL));
            let records = self.consumer.poll(wait).await?;
            let polled_at = Instant::now();
            if !records.is_empty() {
                self.handle_batch(records, polled_at).await?;
            }
        }
    }

    /// Handles one poll's records, then commits (or, under exactly-once, commits the
    /// transaction), then reports the outcomes.
    async fn handle_batch(
        &mut self,
        records: Vec<ConsumerRecord>,
        polled_at: Instant,
    ) -> Result<()> {
        let mut batch_start: HashMap<TopicPartition, i64> = HashMap::new();
        for record in &records {
            batch_start
                .entry(record.topic_partition())
                .or_insert(record.offset);
        }
        let mut done = Vec::new();
        if self.transactional {
            self.producer.begin_transaction()?;
        }
        match self.process(records, polled_at, &mut done).await {
            Ok(()) => {
                for outcome in done {
                    // The receiver may be gone (the application stopped listening): the
                    // outcome is committed either way.
                    let _ = self.outcomes.send(outcome);
                }
                Ok(())
            }
            Err(error) if self.transactional && error.is_abortable() => {
                // Nothing of the batch is visible to read_committed readers and its offsets are
                // not committed: go back and do it again.
                warn!(topic = %self.topic, %error, "aborting the hand-off transaction; redoing its records");
                self.producer.abort_transaction().await?;
                for (tp, offset) in batch_start {
                    self.held.remove(&tp);
                    self.consumer.resume(std::slice::from_ref(&tp));
                    self.consumer.seek(&tp, offset)?;
                }
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    async fn process(
        &mut self,
        records: Vec<ConsumerRecord>,
        polled_at: Instant,
        done: &mut Vec<Outcome>,
    ) -> Result<()> {
        let mut next: HashMap<TopicPartition, i64> = HashMap::new();
        let mut skip: HashSet<TopicPartition> = HashSet::new();
        let mut acks: Vec<DeliveryFuture> = Vec::new();
        for record in records {
            let tp = record.topic_partition();
            if skip.contains(&tp) {
                continue;
            }
            let handled = if self.settings.mode == RetryMode::Blocking {
                match self.attempt_in_place(&record, polled_at).await {
                    Some(handled) => handled,
                    None => {
                        // Its next retry would end past the poll interval: poll first.
                        self.consumer.seek(&tp, record.offset)?;
                        skip.insert(tp);
                        continue;
                    }
                }
            } else {
                let (origin, attempts_before, due_ms) = self.previous_attempts(&record);
                if let Some(left) = time_until(due_ms, now_ms()) {
                    // Not due: hold the partition here (its later records are due later
                    // still) and go on with the others.
                    debug!(%tp, offset = record.offset, ?left, "holding until due");
                    self.consumer.pause(std::slice::from_ref(&tp));
                    self.consumer.seek(&tp, record.offset)?;
                    self.held.insert(tp.clone(), due_ms);
                    skip.insert(tp);
                    continue;
                }
                let attempt = (self.handler)(record.clone()).await;
                self.after_attempt(&record, origin, attempts_before, attempt)
            };
            if let Some(forward) = handled.forward {
                if self.transactional {
                    // A failed send fails commit_transaction (abortable): nothing is lost.
                    self.producer.send_and_forget(forward).await?;
                } else {
                    acks.push(self.producer.send(forward).await?);
                }
            }
            done.extend(handled.outcome);
            next.insert(tp, record.offset + 1);
        }
        for (tp, offset) in next.iter_mut() {
            // A partition whose records were all handled is committed at the position, which
            // is past any transaction marker that followed them (under exactly-once the retry
            // topics hold markers), so that the group's lag reaches 0.
            if !skip.contains(tp) {
                if let Some(position) = self.consumer.position(tp) {
                    *offset = (*offset).max(position);
                }
            }
        }
        if self.transactional {
            if !next.is_empty() {
                let group = self.consumer.group_metadata()?;
                self.producer
                    .send_offsets_to_transaction(&next, &group)
                    .await?;
            }
            self.producer.commit_transaction().await?;
        } else {
            // The copies first: only once the broker has them may the originals be committed.
            for ack in acks {
                ack.await?;
            }
            if !next.is_empty() {
                self.consumer.commit_offsets_sync(next).await?;
            }
        }
        Ok(())
    }

    /// Where the record came from, how many attempts it had before this one, and when this
    /// one is due (ms since the epoch). On the source topic: itself, 0, now.
    fn previous_attempts(&self, record: &ConsumerRecord) -> (Origin, u32, i64) {
        if self.retry == 0 {
            return (Origin::of(record), 0, i64::MIN);
        }
        match RetryHeaders::read(&record.headers) {
            Ok(Some(headers)) => {
                let due = headers.due_ms.unwrap_or_else(|| self.fallback_due(record));
                (headers.origin, headers.attempts, due)
            }
            // Written by someone else: the topic says which retry this is, the record's
            // timestamp when it was written.
            Ok(None) | Err(_) => {
                warn!(topic = %self.topic, offset = record.offset, "no readable retry headers; using the record's own");
                (Origin::of(record), self.retry, self.fallback_due(record))
            }
        }
    }

    fn fallback_due(&self, record: &ConsumerRecord) -> i64 {
        let delay = self.settings.backoff.delay(self.retry).as_millis();
        record
            .timestamp
            .saturating_add(i64::try_from(delay).unwrap_or(i64::MAX))
    }

    /// The outcome of an attempt (the `attempts_before + 1`-th) and where the record goes.
    fn after_attempt(
        &self,
        record: &ConsumerRecord,
        origin: Origin,
        attempts_before: u32,
        attempt: std::result::Result<(), Failure>,
    ) -> Handled {
        let attempts = attempts_before + 1;
        let source = &self.settings.source;
        match attempt {
            Ok(()) => Handled {
                outcome: Some(Outcome::new(
                    OutcomeKind::Processed,
                    attempts,
                    origin,
                    record,
                    None,
                )),
                forward: None,
            },
            Err(Failure::Decode { part, reason }) => {
                let error = format!("could not decode the {part}: {reason}");
                let headers = RetryHeaders {
                    origin: origin.clone(),
                    attempts: attempts_before,
                    error: error.clone(),
                    error_kind: format!("deserialization:{part}"),
                    due_ms: None,
                };
                Handled {
                    forward: Some(self.copy(record, &dead_letter_topic(source), &headers)),
                    outcome: Some(Outcome::new(
                        OutcomeKind::DeadLettered,
                        attempts_before,
                        origin,
                        record,
                        Some(error),
                    )),
                }
            }
            Err(Failure::Handler(error)) => {
                let route = route_failure(
                    attempts,
                    self.settings.attempts,
                    &self.settings.backoff,
                    now_ms(),
                );
                let (target, due_ms, outcome) = match route {
                    Route::Retry { retry, due_ms } => {
                        (retry_topic(source, retry), Some(due_ms), None)
                    }
                    Route::DeadLetter => (
                        dead_letter_topic(source),
                        None,
                        Some(Outcome::new(
                            OutcomeKind::DeadLettered,
                            attempts,
                            origin.clone(),
                            record,
                            Some(error.clone()),
                        )),
                    ),
                };
                debug!(%origin.topic, origin.partition, origin.offset, attempts, %target, %error, "attempt failed");
                let headers = RetryHeaders {
                    origin,
                    attempts,
                    error,
                    error_kind: "handler".into(),
                    due_ms,
                };
                Handled {
                    forward: Some(self.copy(record, &target, &headers)),
                    outcome,
                }
            }
        }
    }

    /// Blocking mode: attempts `record` in place until it succeeds or runs out of attempts.
    /// `None` when the next retry's wait would end later than half of `max.poll.interval.ms`
    /// after `polled_at`: the caller seeks back and polls first (the count is kept).
    async fn attempt_in_place(
        &mut self,
        record: &ConsumerRecord,
        polled_at: Instant,
    ) -> Option<Handled> {
        let key = (record.topic_partition(), record.offset);
        let mut state = self.in_place.remove(&key);
        loop {
            if let Some(InPlace { retry_at, .. }) = state {
                if retry_at.saturating_duration_since(polled_at) >= self.max_poll_interval / 2 {
                    self.in_place.insert(key, state?);
                    return None;
                }
                // Blocking mode's whole point: the partition waits for this record.
                tokio::time::sleep_until(retry_at).await;
            }
            let attempts_before = state.map_or(0, |s| s.attempts);
            let attempt = (self.handler)(record.clone()).await;
            match attempt {
                Err(Failure::Handler(_)) if attempts_before + 1 < self.settings.attempts => {
                    let attempts = attempts_before + 1;
                    debug!(
                        offset = record.offset,
                        attempts, "attempt failed; retrying in place"
                    );
                    state = Some(InPlace {
                        attempts,
                        retry_at: Instant::now() + self.settings.backoff.delay(attempts),
                    });
                }
                attempt => {
                    return Some(self.after_attempt(
                        record,
                        Origin::of(record),
                        attempts_before,
                        attempt,
                    ))
                }
            }
        }
    }

    /// The copy of `record` for `topic`: key, value and headers as they were plus `headers`,
    /// on the same partition number when the topic has it (it does when we created it).
    fn copy(&self, record: &ConsumerRecord, topic: &str, headers: &RetryHeaders) -> ProducerRecord {
        let mut out = ProducerRecord::new(topic);
        out.key = record.key.clone();
        out.value = record.value.clone();
        out.headers = headers.write(&record.headers);
        if self
            .settings
            .partitions
            .get(topic)
            .is_some_and(|count| record.partition < *count)
        {
            out.partition = Some(record.partition);
        }
        out
    }
}
