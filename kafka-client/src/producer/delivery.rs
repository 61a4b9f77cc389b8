//! Delivery futures: one shared completion per batch, not one channel per record.
//!
//! One Produce response decides every record of a batch at once, so the batch owns a single
//! [`BatchCompletion`] and each record's [`DeliveryFuture`] holds a reference to it plus the
//! record's own offset delta and timestamp. A `send` then costs a reference count where a
//! channel per record cost an allocation, its atomics and its free (about a quarter of the
//! producer's instructions per record, measured with callgrind).
//!
//! Wakers are registered only by futures polled before their batch is decided; a future polled
//! afterwards reads the outcome without locking.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};

use crate::error::{Error, Result};
use crate::producer::record::RecordMetadata;

/// What the broker said about a batch.
#[derive(Debug, Clone, Copy)]
struct Acknowledged {
    /// `-1` with `acks=0`.
    base_offset: i64,
    log_append_time: Option<i64>,
}

/// The state a batch shares with its records' futures.
struct Outcome {
    topic: Arc<str>,
    partition: i32,
    /// Set once, by [`BatchCompletion::complete`], [`BatchCompletion::fail`] or the drop of an
    /// undecided batch.
    decided: OnceLock<std::result::Result<Acknowledged, Error>>,
    /// Tasks waiting on an undecided batch; taken (and woken) when it is decided.
    wakers: Mutex<Vec<Waker>>,
}

impl Outcome {
    fn wakers(&self) -> MutexGuard<'_, Vec<Waker>> {
        // A panic while holding this lock leaves a plain Vec behind: still usable.
        self.wakers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The batch's side: decides every future made by [`future`](Self::future). Dropping it
/// undecided (the producer went away with the batch) fails them with [`Error::Closed`].
pub(crate) struct BatchCompletion {
    outcome: Arc<Outcome>,
}

impl BatchCompletion {
    pub fn new(topic: Arc<str>, partition: i32) -> Self {
        BatchCompletion {
            outcome: Arc::new(Outcome {
                topic,
                partition,
                decided: OnceLock::new(),
                wakers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The future of the record at `offset_delta` in the batch, created at `timestamp`.
    pub fn future(&self, offset_delta: i32, timestamp: i64) -> DeliveryFuture {
        DeliveryFuture {
            outcome: self.outcome.clone(),
            offset_delta,
            timestamp,
            waker_slot: None,
        }
    }

    /// Resolves every future with its offset (`base_offset` + its delta; `-1` when the broker
    /// gave none, as with `acks=0`).
    pub fn complete(self, base_offset: i64, log_append_time: Option<i64>) {
        self.decide(Ok(Acknowledged {
            base_offset,
            log_append_time,
        }));
    }

    /// Resolves every future with `error`.
    pub fn fail(self, error: &Error) {
        self.decide(Err(error.clone()));
    }

    fn decide(&self, result: std::result::Result<Acknowledged, Error>) {
        // Decided before the wakers are taken: a future that locks after the take sees it.
        if self.outcome.decided.set(result).is_ok() {
            let wakers = std::mem::take(&mut *self.outcome.wakers());
            for waker in wakers {
                waker.wake();
            }
        }
    }
}

impl Drop for BatchCompletion {
    fn drop(&mut self) {
        if Arc::strong_count(&self.outcome) > 1 {
            self.decide(Err(Error::Closed));
        }
    }
}

impl fmt::Debug for BatchCompletion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchCompletion")
            .field("decided", &self.outcome.decided.get().is_some())
            .finish()
    }
}

/// Resolves when the broker has acknowledged the record (or it failed for good): the
/// record's [`RecordMetadata`], or the error that failed its batch ([`Error::Closed`] if the
/// producer was dropped with the record unsent).
///
/// It need not be awaited: dropping it does not cancel the record, and a future polled after
/// its batch was decided resolves without waiting.
///
/// ```no_run
/// # async fn demo(producer: kafkito::Producer) -> kafkito::Result<()> {
/// use kafkito::ProducerRecord;
///
/// // Many records in flight, checked in the order they were sent.
/// let mut deliveries = Vec::new();
/// for i in 0..100 {
///     deliveries.push(producer.send(ProducerRecord::new("orders").value(format!("{i}"))).await?);
/// }
/// for delivery in deliveries {
///     let metadata = delivery.await?;
///     assert!(metadata.offset >= 0);
/// }
/// # Ok(()) }
/// ```
pub struct DeliveryFuture {
    outcome: Arc<Outcome>,
    offset_delta: i32,
    timestamp: i64,
    /// Where this future's waker sits in `outcome.wakers`, once registered: a future polled
    /// again replaces its waker instead of adding one.
    waker_slot: Option<usize>,
}

impl DeliveryFuture {
    fn resolve(
        &self,
        decided: &std::result::Result<Acknowledged, Error>,
    ) -> Result<RecordMetadata> {
        match decided {
            Ok(ack) => Ok(RecordMetadata {
                // The batch's `Arc<str>`: a reference count, not a copy per record.
                topic: self.outcome.topic.clone().into(),
                partition: self.outcome.partition,
                offset: if ack.base_offset < 0 {
                    -1
                } else {
                    ack.base_offset + i64::from(self.offset_delta)
                },
                timestamp: ack.log_append_time.unwrap_or(self.timestamp),
            }),
            Err(error) => Err(error.clone()),
        }
    }
}

impl Future for DeliveryFuture {
    type Output = Result<RecordMetadata>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(decided) = this.outcome.decided.get() {
            return Poll::Ready(this.resolve(decided));
        }
        let mut wakers = this.outcome.wakers();
        // Checked again under the lock: the batch may have been decided in between.
        if let Some(decided) = this.outcome.decided.get() {
            drop(wakers);
            return Poll::Ready(this.resolve(decided));
        }
        match this.waker_slot.and_then(|slot| wakers.get_mut(slot)) {
            Some(registered) => {
                if !registered.will_wake(cx.waker()) {
                    registered.clone_from(cx.waker());
                }
            }
            None => {
                this.waker_slot = Some(wakers.len());
                wakers.push(cx.waker().clone());
            }
        }
        Poll::Pending
    }
}

impl fmt::Debug for DeliveryFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryFuture")
            .field("topic", &self.outcome.topic)
            .field("partition", &self.outcome.partition)
            .field("offset_delta", &self.offset_delta)
            .field("decided", &self.outcome.decided.get().is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use futures::FutureExt;

    use super::*;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll_with(future: &mut DeliveryFuture, waker: &Waker) -> Poll<Result<RecordMetadata>> {
        Pin::new(future).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn futures_of_one_batch_resolve_with_their_own_offsets_and_timestamps() {
        let completion = BatchCompletion::new("t".into(), 3);
        let first = completion.future(0, 100);
        let second = completion.future(1, 101);
        completion.complete(40, None);
        let first = first.now_or_never().unwrap().unwrap();
        let second = second.now_or_never().unwrap().unwrap();
        assert_eq!(
            (
                &*first.topic,
                first.partition,
                first.offset,
                first.timestamp
            ),
            ("t", 3, 40, 100)
        );
        assert_eq!((second.offset, second.timestamp), (41, 101));
    }

    #[test]
    fn log_append_time_and_acks_0_offsets() {
        let completion = BatchCompletion::new("t".into(), 0);
        let future = completion.future(5, 100);
        completion.complete(-1, Some(7));
        let metadata = future.now_or_never().unwrap().unwrap();
        assert_eq!((metadata.offset, metadata.timestamp), (-1, 7));
    }

    #[test]
    fn a_waiting_future_is_woken_once_and_a_repoll_does_not_register_twice() {
        let completion = BatchCompletion::new("t".into(), 0);
        let mut future = completion.future(0, 0);
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        assert!(poll_with(&mut future, &waker).is_pending());
        assert!(poll_with(&mut future, &waker).is_pending());
        assert_eq!(completion.outcome.wakers().len(), 1);
        completion.fail(&Error::Closed);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert!(matches!(
            poll_with(&mut future, &waker),
            Poll::Ready(Err(Error::Closed))
        ));
    }

    #[test]
    fn a_repoll_with_another_waker_replaces_the_first() {
        let completion = BatchCompletion::new("t".into(), 0);
        let mut future = completion.future(0, 0);
        let old = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let new = Arc::new(CountingWaker(AtomicUsize::new(0)));
        assert!(poll_with(&mut future, &Waker::from(old.clone())).is_pending());
        assert!(poll_with(&mut future, &Waker::from(new.clone())).is_pending());
        completion.complete(0, None);
        assert_eq!(old.0.load(Ordering::SeqCst), 0);
        assert_eq!(new.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn an_undecided_batch_dropped_fails_its_futures_with_closed() {
        let completion = BatchCompletion::new("t".into(), 0);
        let future = completion.future(0, 0);
        drop(completion);
        assert!(matches!(future.now_or_never(), Some(Err(Error::Closed))));
    }

    #[test]
    fn the_first_decision_stands() {
        let completion = BatchCompletion::new("t".into(), 0);
        let future = completion.future(2, 0);
        completion.decide(Ok(Acknowledged {
            base_offset: 10,
            log_append_time: None,
        }));
        completion.fail(&Error::Closed);
        assert_eq!(future.now_or_never().unwrap().unwrap().offset, 12);
    }

    #[tokio::test]
    async fn awaited_across_tasks() {
        let completion = BatchCompletion::new("t".into(), 0);
        let futures: Vec<_> = (0..4).map(|i| completion.future(i, 0)).collect();
        let waiting: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
        tokio::task::yield_now().await;
        completion.complete(100, None);
        for (i, task) in waiting.into_iter().enumerate() {
            assert_eq!(task.await.unwrap().unwrap().offset, 100 + i as i64);
        }
    }
}
