//! [`ProducerHook`]: the application's hook into every record the producer sends and every
//! acknowledgement it gets (Java's `ProducerInterceptor`, franz-go's produce hooks).
//!
//! Where they are called: [`on_send`](ProducerHook::on_send) by
//! [`Producer::send`](super::Producer::send), [`send_and_forget`](super::Producer::send_and_forget)
//! and [`send_ref`](super::Producer::send_ref), before the record is sized, routed and
//! appended; [`on_acknowledgement`](ProducerHook::on_acknowledgement) by the sender task,
//! once per record, when its batch is acknowledged or fails for good (and by `send` itself
//! for a record refused before it reached a batch).
//!
//! Why the hooks cost nothing when none is registered: every path checks the config's hook
//! list for emptiness first and takes its usual, unchanged way when it is empty. With hooks, a
//! lent [`RecordRef`](super::RecordRef) is copied into a [`ProducerRecord`] so that a hook can
//! add headers to it, and each batch keeps its records' timestamps so that every
//! acknowledgement carries its record's [`RecordMetadata`].
//!
//! A hook that panics is caught (`catch_unwind`), logged and skipped, as Java logs and ignores
//! an interceptor's exception: the sender task and the other hooks go on.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use tracing::warn;

use super::batch::ProducerBatch;
use super::record::{ProducerRecord, RecordMetadata, Topic};
use crate::error::Error;

/// Called by the producer for every record sent and every acknowledgement, in the order the
/// hooks were registered ([`ProducerConfig::with_hook`](super::ProducerConfig::with_hook)).
/// Both methods do nothing by default.
///
/// - [`on_send`](Self::on_send) may change the record (typically add headers) before it is
///   serialized and partitioned; it runs on the task calling `send`, so it must be quick.
/// - [`on_acknowledgement`](Self::on_acknowledgement) is called once per record, when the
///   broker acknowledged it (`Ok` with its [`RecordMetadata`]) or it failed for good (`Err`,
///   also for a record refused by `send` after `on_send` ran, e.g. one too large). It runs on
///   the producer's sender task: it must not block.
///
/// A panicking hook is logged and skipped; the record and the producer carry on.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use kafkito::producer::{ProducerHook, RecordMetadata};
/// use kafkito::{Error, ProducerConfig, ProducerRecord};
///
/// /// Stamps every record with its origin and counts acknowledgements.
/// #[derive(Default)]
/// struct Stamp {
///     acknowledged: AtomicU64,
/// }
///
/// impl ProducerHook for Stamp {
///     fn on_send(&self, record: &mut ProducerRecord) {
///         record.headers.push(kafkito::protocol::records::RecordHeader {
///             key: "origin".into(),
///             value: Some("billing".into()),
///         });
///     }
///
///     fn on_acknowledgement(&self, result: Result<&RecordMetadata, &Error>) {
///         if result.is_ok() {
///             self.acknowledged.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
///
/// let config = ProducerConfig::from_properties([("bootstrap.servers", "localhost:9092")])
///     .unwrap()
///     .with_hook(Arc::new(Stamp::default()));
/// assert_eq!(config.hooks.len(), 1);
/// ```
pub trait ProducerHook: Send + Sync {
    /// Called with each record before it is serialized and partitioned; may change it.
    fn on_send(&self, record: &mut ProducerRecord) {
        let _ = record;
    }

    /// Called once per record with its outcome: where it landed, or why it failed.
    fn on_acknowledgement(&self, result: Result<&RecordMetadata, &Error>) {
        let _ = result;
    }
}

impl fmt::Debug for dyn ProducerHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProducerHook")
    }
}

/// Runs every hook's `on_send` on `record`, in order, skipping (and logging) a panic.
pub(crate) fn run_on_send(hooks: &[Arc<dyn ProducerHook>], record: &mut ProducerRecord) {
    for (index, hook) in hooks.iter().enumerate() {
        if catch_unwind(AssertUnwindSafe(|| hook.on_send(record))).is_err() {
            warn!(hook = index, topic = %record.topic, "producer hook panicked in on_send; ignored");
        }
    }
}

/// Runs every hook's `on_acknowledgement` with `result`, in order, skipping (and logging) a
/// panic.
pub(crate) fn run_on_acknowledgement(
    hooks: &[Arc<dyn ProducerHook>],
    result: Result<&RecordMetadata, &Error>,
) {
    for (index, hook) in hooks.iter().enumerate() {
        if catch_unwind(AssertUnwindSafe(|| hook.on_acknowledgement(result))).is_err() {
            warn!(
                hook = index,
                "producer hook panicked in on_acknowledgement; ignored"
            );
        }
    }
}

/// Tells the hooks about every record of `batch`: acknowledged at `base_offset` (`-1` with
/// `acks=0`), with the broker's `log_append_time` if the topic uses it, or failed with the
/// error. A no-op without hooks.
#[inline]
pub(crate) fn batch_decided(
    hooks: &[Arc<dyn ProducerHook>],
    batch: &ProducerBatch,
    outcome: Result<(i64, Option<i64>), &Error>,
) {
    if !hooks.is_empty() {
        acknowledge_records(hooks, batch, outcome);
    }
}

#[cold]
fn acknowledge_records(
    hooks: &[Arc<dyn ProducerHook>],
    batch: &ProducerBatch,
    outcome: Result<(i64, Option<i64>), &Error>,
) {
    match outcome {
        Err(error) => {
            for _ in 0..batch.record_count() {
                run_on_acknowledgement(hooks, Err(error));
            }
        }
        Ok((base_offset, log_append_time)) => {
            let topic = Topic::from(batch.topic.clone());
            // Records are appended at offset deltas 0, 1, 2 …: the i-th timestamp is the
            // record at delta i.
            for (delta, &created) in batch.record_timestamps().iter().enumerate() {
                let metadata = RecordMetadata {
                    topic: topic.clone(),
                    partition: batch.partition,
                    offset: if base_offset < 0 {
                        -1
                    } else {
                        base_offset + delta as i64
                    },
                    timestamp: log_append_time.unwrap_or(created),
                };
                run_on_acknowledgement(hooks, Ok(&metadata));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;

    use kafkito_protocol::records::RecordHeader;
    use kafkito_protocol::ErrorCode;

    use super::*;
    use crate::producer::{Producer, ProducerConfig, RecordRef};
    use crate::test_support::{headers_broker, FakeBroker};

    /// Adds header `hook=<name>`, counts acknowledgements and failures; panics in both
    /// methods when `panics`.
    #[derive(Default)]
    struct Counting {
        name: &'static str,
        panics: bool,
        sent: AtomicUsize,
        acknowledged: Mutex<Vec<(i32, i64)>>,
        failed: AtomicUsize,
    }

    impl ProducerHook for Counting {
        fn on_send(&self, record: &mut ProducerRecord) {
            self.sent.fetch_add(1, Ordering::SeqCst);
            record.headers.push(RecordHeader {
                key: "hook".into(),
                value: Some(self.name.into()),
            });
            assert!(!self.panics, "a hook that panics in on_send");
        }

        fn on_acknowledgement(&self, result: Result<&RecordMetadata, &Error>) {
            match result {
                Ok(metadata) => self
                    .acknowledged
                    .lock()
                    .unwrap()
                    .push((metadata.partition, metadata.offset)),
                Err(_) => {
                    self.failed.fetch_add(1, Ordering::SeqCst);
                }
            }
            assert!(!self.panics, "a hook that panics in on_acknowledgement");
        }
    }

    fn config(broker: &FakeBroker, hooks: &[Arc<Counting>]) -> ProducerConfig {
        let mut config = ProducerConfig::from_properties([
            ("bootstrap.servers", broker.address().as_str()),
            ("enable.idempotence", "false"),
            ("retries", "0"),
            ("linger.ms", "0"),
        ])
        .unwrap();
        for hook in hooks {
            config = config.with_hook(hook.clone());
        }
        config
    }

    /// Waits (bounded) until `count()` reaches `want`.
    async fn until(want: usize, count: impl Fn() -> usize) -> usize {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while count() < want && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        count()
    }

    #[tokio::test]
    async fn hooks_stamp_every_send_path_in_order_and_see_each_acknowledgement() {
        let (broker, seen) = headers_broker(ErrorCode::None).await;
        let first = Arc::new(Counting {
            name: "first",
            ..Default::default()
        });
        let second = Arc::new(Counting {
            name: "second",
            ..Default::default()
        });
        let producer = Producer::new(config(&broker, &[first.clone(), second.clone()]))
            .await
            .unwrap();
        let topic = crate::producer::Topic::from("t");
        let a = producer
            .send(ProducerRecord::new(&topic).value("a"))
            .await
            .unwrap();
        let b = producer
            .send_ref(RecordRef::new(&topic).value(b"b"))
            .await
            .unwrap();
        producer
            .send_and_forget(ProducerRecord::new(&topic).value("c"))
            .await
            .unwrap();
        a.await.unwrap();
        b.await.unwrap();
        producer.flush().await.unwrap();
        let acks = until(3, || second.acknowledged.lock().unwrap().len()).await;
        assert_eq!(acks, 3);
        assert_eq!(first.sent.load(Ordering::SeqCst), 3);
        assert_eq!(first.acknowledged.lock().unwrap().len(), 3);
        // Every record reached the broker with both headers, in registration order.
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3);
        for headers in seen {
            assert_eq!(
                headers,
                vec![
                    ("hook".to_owned(), "first".to_owned()),
                    ("hook".to_owned(), "second".to_owned())
                ]
            );
        }
        // The fake answers base offset 0 to every request: offsets are 0 + delta.
        assert!(first
            .acknowledged
            .lock()
            .unwrap()
            .iter()
            .all(|&(partition, offset)| partition == 0 && offset >= 0));
    }

    #[tokio::test]
    async fn a_failed_batch_and_a_refused_record_are_acknowledged_as_errors() {
        let (broker, _) = headers_broker(ErrorCode::TopicAuthorizationFailed).await;
        let hook = Arc::new(Counting::default());
        let mut config = config(&broker, std::slice::from_ref(&hook));
        config.max_request_size = 1_000;
        let producer = Producer::new(config).await.unwrap();
        let too_large = producer
            .send(ProducerRecord::new("t").value(vec![0u8; 2_000]))
            .await;
        assert!(matches!(too_large, Err(Error::RecordTooLarge { .. })));
        let delivery = producer
            .send(ProducerRecord::new("t").value("v"))
            .await
            .unwrap();
        assert!(delivery.await.is_err());
        let failed = until(2, || hook.failed.load(Ordering::SeqCst)).await;
        assert_eq!(failed, 2);
        assert!(hook.acknowledged.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_panicking_hook_is_skipped_and_the_sender_keeps_going() {
        let (broker, seen) = headers_broker(ErrorCode::None).await;
        let panicking = Arc::new(Counting {
            name: "panicking",
            panics: true,
            ..Default::default()
        });
        let after = Arc::new(Counting {
            name: "after",
            ..Default::default()
        });
        let producer = Producer::new(config(&broker, &[panicking.clone(), after.clone()]))
            .await
            .unwrap();
        for value in ["1", "2"] {
            let delivery = producer
                .send(ProducerRecord::new("t").value(value))
                .await
                .unwrap();
            // The sender task survived the first acknowledgement's panic: the second record
            // is acknowledged too.
            delivery.await.unwrap();
        }
        assert_eq!(
            until(2, || after.acknowledged.lock().unwrap().len()).await,
            2
        );
        assert_eq!(panicking.acknowledged.lock().unwrap().len(), 2);
        // The panicking hook's header was pushed before it panicked; the next hook still ran.
        assert_eq!(seen.lock().unwrap().len(), 2);
        assert!(seen.lock().unwrap().iter().all(|h| h.len() == 2));
    }
}
