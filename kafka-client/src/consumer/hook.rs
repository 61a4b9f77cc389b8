//! [`ConsumerHook`]: the application's hook into the records `poll` returns, every offset
//! commit's outcome and every rebalance (Java's `ConsumerInterceptor`, franz-go's consume
//! hooks).
//!
//! Where they are called: [`on_consume`](ConsumerHook::on_consume) by
//! [`Consumer::poll`](super::Consumer::poll) (and so by [`Consumer::stream`](super::Consumer::stream))
//! just before the records are returned; [`on_commit`](ConsumerHook::on_commit) by the commit
//! queue's task when a commit is done or failed for good — `commit_sync`, `commit_async`, auto
//! commits and the commits of revoked partitions all pass there; and
//! [`on_rebalance`](ConsumerHook::on_rebalance) by `poll` as it applies each change of the
//! assignment, the moment it records the [`RebalanceEvent`] that
//! [`Consumer::rebalance_events`](super::Consumer::rebalance_events) hands out, and by
//! [`Consumer::close`](super::Consumer::close) with the revocation of what is still owned.
//!
//! With no hook registered each place checks an empty list and goes its usual way. A hook that
//! panics is caught (`catch_unwind`), logged and skipped: the consumer and its commit task go
//! on, as Java logs and ignores an interceptor's exception.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use tracing::warn;

use super::{ConsumerRecord, RebalanceEvent, TopicPartition};
use crate::error::Error;
use crate::types::OffsetAndMetadata;

/// Called by the consumer with the records `poll` returns, the outcome of every offset commit
/// and every rebalance, in the order the hooks were registered
/// ([`ConsumerConfig::with_hook`](super::ConsumerConfig::with_hook)). Every method does nothing
/// by default.
///
/// - [`on_consume`](Self::on_consume) may change, add or remove records before `poll` returns
///   them (Java lets an interceptor replace them). The consumer's positions are already past
///   every record fetched, whatever the hook does.
/// - [`on_commit`](Self::on_commit) runs on the consumer's commit task, once per commit, with
///   the offsets it carried and whether the coordinator took them.
/// - [`on_rebalance`](Self::on_rebalance) runs inside `poll` once the change was applied
///   (after the [`RebalanceListener`](super::RebalanceListener), if there is one), and in
///   `close` with a [`RebalanceEvent::Revoked`] of the partitions still owned.
///
/// Hooks must be quick: `on_consume` and `on_rebalance` run inside `poll`. A panicking hook is
/// logged and skipped.
///
/// ```
/// use std::collections::BTreeMap;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use kafkito::consumer::{
///     ConsumerConfig, ConsumerHook, ConsumerRecord, RebalanceEvent, TopicPartition,
/// };
/// use kafkito::{Error, OffsetAndMetadata};
///
/// #[derive(Default)]
/// struct Counters {
///     records: AtomicU64,
///     failed_commits: AtomicU64,
/// }
///
/// impl ConsumerHook for Counters {
///     fn on_consume(&self, records: &mut Vec<ConsumerRecord>) {
///         // Drop tombstones before the application sees them.
///         records.retain(|r| r.value.is_some());
///         self.records.fetch_add(records.len() as u64, Ordering::Relaxed);
///     }
///
///     fn on_commit(
///         &self,
///         _offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
///         result: Result<(), &Error>,
///     ) {
///         if result.is_err() {
///             self.failed_commits.fetch_add(1, Ordering::Relaxed);
///         }
///     }
///
///     fn on_rebalance(&self, event: &RebalanceEvent) {
///         println!("rebalance: {event:?}");
///     }
/// }
///
/// let config = ConsumerConfig::from_properties([
///     ("bootstrap.servers", "localhost:9092"),
///     ("group.id", "billing"),
/// ])?
/// .with_hook(Arc::new(Counters::default()));
/// assert_eq!(config.hooks.len(), 1);
/// # Ok::<(), kafkito::Error>(())
/// ```
pub trait ConsumerHook: Send + Sync {
    /// Called with the records `poll` is about to return; may change them.
    fn on_consume(&self, records: &mut Vec<ConsumerRecord>) {
        let _ = records;
    }

    /// Called once per offset commit (sync, async or automatic) when it is done or failed.
    fn on_commit(
        &self,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
        result: Result<(), &Error>,
    ) {
        let _ = (offsets, result);
    }

    /// Called for each change of a subscribed consumer's assignment, in the group's order.
    fn on_rebalance(&self, event: &RebalanceEvent) {
        let _ = event;
    }
}

impl fmt::Debug for dyn ConsumerHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConsumerHook")
    }
}

/// Runs `call` on every hook in order, logging and skipping a panic.
fn each(hooks: &[Arc<dyn ConsumerHook>], method: &str, mut call: impl FnMut(&dyn ConsumerHook)) {
    for (index, hook) in hooks.iter().enumerate() {
        if catch_unwind(AssertUnwindSafe(|| call(hook.as_ref()))).is_err() {
            warn!(hook = index, method, "consumer hook panicked; ignored");
        }
    }
}

/// Every hook's `on_consume` on the records `poll` returns.
#[inline]
pub(crate) fn consumed(hooks: &[Arc<dyn ConsumerHook>], records: &mut Vec<ConsumerRecord>) {
    if !hooks.is_empty() {
        each(hooks, "on_consume", |hook| hook.on_consume(records));
    }
}

/// Every hook's `on_commit` with a finished commit.
#[inline]
pub(crate) fn committed(
    hooks: &[Arc<dyn ConsumerHook>],
    offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    result: Result<(), &Error>,
) {
    if !hooks.is_empty() {
        each(hooks, "on_commit", |hook| hook.on_commit(offsets, result));
    }
}

/// Every hook's `on_rebalance` with an applied change.
#[inline]
pub(crate) fn rebalanced(hooks: &[Arc<dyn ConsumerHook>], event: &RebalanceEvent) {
    if !hooks.is_empty() {
        each(hooks, "on_rebalance", |hook| hook.on_rebalance(event));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use bytes::Bytes;
    use kafkito_protocol::records::{RecordHeader, TimestampType};

    use super::*;

    fn record(offset: i64) -> ConsumerRecord {
        ConsumerRecord {
            topic: "t".into(),
            partition: 0,
            offset,
            timestamp: 0,
            timestamp_type: TimestampType::CreateTime,
            key: None,
            value: Some(Bytes::from_static(b"v")),
            headers: Vec::new(),
            leader_epoch: None,
        }
    }

    /// Appends its name to every record's headers and logs what it saw; panics first when
    /// `panics`.
    struct Tagging {
        name: &'static str,
        panics: bool,
        log: Arc<Mutex<Vec<String>>>,
    }

    impl ConsumerHook for Tagging {
        fn on_consume(&self, records: &mut Vec<ConsumerRecord>) {
            for record in records.iter_mut() {
                record.headers.push(RecordHeader {
                    key: Bytes::from_static(b"seen-by"),
                    value: Some(self.name.into()),
                });
            }
            assert!(!self.panics, "a hook that panics");
            self.log
                .lock()
                .unwrap()
                .push(format!("{} consume", self.name));
        }

        fn on_commit(
            &self,
            offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
            result: Result<(), &Error>,
        ) {
            assert!(!self.panics, "a hook that panics");
            self.log.lock().unwrap().push(format!(
                "{} commit {} {}",
                self.name,
                offsets.len(),
                result.is_ok()
            ));
        }

        fn on_rebalance(&self, event: &RebalanceEvent) {
            assert!(!self.panics, "a hook that panics");
            self.log
                .lock()
                .unwrap()
                .push(format!("{} {event:?}", self.name));
        }
    }

    #[test]
    fn hooks_run_in_order_and_a_panicking_one_is_skipped() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let hooks: Vec<Arc<dyn ConsumerHook>> = vec![
            Arc::new(Tagging {
                name: "a",
                panics: false,
                log: log.clone(),
            }),
            Arc::new(Tagging {
                name: "boom",
                panics: true,
                log: log.clone(),
            }),
            Arc::new(Tagging {
                name: "b",
                panics: false,
                log: log.clone(),
            }),
        ];
        let mut records = vec![record(0), record(1)];
        consumed(&hooks, &mut records);
        let tags: Vec<_> = records[1]
            .headers
            .iter()
            .map(|h| h.value.clone().unwrap())
            .collect();
        assert_eq!(tags, ["a", "boom", "b"]);
        let offsets = BTreeMap::from([(TopicPartition::new("t", 0), OffsetAndMetadata::new(2))]);
        committed(&hooks, &offsets, Err(&Error::Closed));
        rebalanced(
            &hooks,
            &RebalanceEvent::Assigned(vec![TopicPartition::new("t", 0)]),
        );
        assert_eq!(
            *log.lock().unwrap(),
            [
                "a consume",
                "b consume",
                "a commit 1 false",
                "b commit 1 false",
                "a Assigned([TopicPartition { topic: \"t\", partition: 0 }])",
                "b Assigned([TopicPartition { topic: \"t\", partition: 0 }])",
            ]
        );
    }

    #[test]
    fn a_hook_may_replace_the_records() {
        struct KeepFirst;
        impl ConsumerHook for KeepFirst {
            fn on_consume(&self, records: &mut Vec<ConsumerRecord>) {
                records.truncate(1);
            }
        }
        let hooks: Vec<Arc<dyn ConsumerHook>> = vec![Arc::new(KeepFirst)];
        let mut records = vec![record(0), record(1), record(2)];
        consumed(&hooks, &mut records);
        assert_eq!(records.len(), 1);
        consumed(&[], &mut records);
        assert_eq!(records.len(), 1);
    }

    /// Crafted responses: a Fetch answer fed to the consumer by hand; `poll` hands its records
    /// to the hooks (in order) and returns what they left, with the headers they added.
    #[tokio::test]
    async fn poll_returns_what_the_hooks_left() {
        use kafkito_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
        use kafkito_protocol::messages::FetchResponse;
        use kafkito_protocol::records::{Compression, RecordBatchBuilder};

        use crate::consumer::fetcher::FetchOutcome;
        use crate::consumer::{Consumer, ConsumerConfig};

        struct KeepFirst;
        impl ConsumerHook for KeepFirst {
            fn on_consume(&self, records: &mut Vec<ConsumerRecord>) {
                records.truncate(1);
            }
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        let config = ConsumerConfig::from_properties([("bootstrap.servers", "127.0.0.1:1")])
            .unwrap()
            .with_hook(Arc::new(Tagging {
                name: "a",
                panics: false,
                log: log.clone(),
            }))
            .with_hook(Arc::new(KeepFirst));
        let mut consumer = Consumer::new(config).await.unwrap();
        let tp = TopicPartition::new("t", 0);
        consumer.assign([tp.clone()]).unwrap();
        consumer.seek(&tp, 0).unwrap();
        // No metadata to wait for: the records are fed in by hand.
        consumer.topics_changed = false;
        let mut batch = RecordBatchBuilder::new(Compression::None);
        for value in ["x", "y"] {
            batch
                .append(1000, None, Some(value.as_bytes()), &[])
                .unwrap();
        }
        let response = FetchResponse {
            responses: vec![FetchableTopicResponse {
                topic: "t".into(),
                partitions: vec![PartitionData {
                    partition_index: 0,
                    high_watermark: 2,
                    last_stable_offset: 2,
                    records: Some(batch.finish().unwrap()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        consumer.handle_outcome(FetchOutcome {
            node: 1,
            partitions: vec![(tp.clone(), 0)],
            result: Ok(response),
        });
        let records = consumer
            .poll(std::time::Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(records.len(), 1, "the second hook kept one of two");
        assert_eq!(records[0].value.as_deref(), Some(&b"x"[..]));
        assert_eq!(records[0].headers.len(), 1, "the first hook's header");
        assert_eq!(*log.lock().unwrap(), ["a consume"]);
        // The position is past both records, whatever the hooks kept.
        assert_eq!(consumer.position(&tp), Some(2));
    }
}
