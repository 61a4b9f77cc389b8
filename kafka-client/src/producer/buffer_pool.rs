//! `buffer.memory` accounting (Java's `BufferPool`): how many bytes of records the producer
//! holds, and a FIFO of senders waiting for room.
//!
//! Separate from the accumulator because it is the one place `send` may wait: the accumulator
//! never blocks, and its lock is never held across an `.await`. Bytes are reserved per record
//! (its size upper bound) before it is appended, and released in one go when its batch
//! completes. Waiters are served strictly in order, so a large record is not starved by a
//! stream of small ones.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::error::{Error, Result};

/// Bytes available for buffered records, with waiters served first come, first served.
///
/// One permit of a [`Semaphore`] per byte. tokio's semaphore is fair: permits released while
/// someone waits go to the waiter at the front of the queue (in part, if it wants more than
/// there is), so neither a later waiter nor `try_reserve` can take bytes a waiter is owed. A
/// reservation keeps its permits (they are forgotten), and a release adds them back.
#[derive(Debug)]
pub(crate) struct BufferPool {
    total: usize,
    permits: Semaphore,
    /// Nanoseconds `reserve` waited for room (Java's `bufferpool-wait-time-ns-total`).
    waited_ns: AtomicU64,
}

impl BufferPool {
    /// A pool of `total` bytes (`buffer.memory`), at most [`Semaphore::MAX_PERMITS`].
    pub fn new(total: usize) -> Self {
        let total = total.min(Semaphore::MAX_PERMITS);
        BufferPool {
            total,
            permits: Semaphore::new(total),
            waited_ns: AtomicU64::new(0),
        }
    }

    /// The pool's size (`buffer.memory`).
    pub fn total(&self) -> usize {
        self.total
    }

    /// Nanoseconds callers of [`reserve`](Self::reserve) have waited for room in all.
    pub fn wait_ns(&self) -> u64 {
        self.waited_ns.load(Ordering::Relaxed)
    }

    /// Bytes currently reserved, counting those already handed to a waiter that wants more.
    pub fn used(&self) -> usize {
        self.total.saturating_sub(self.permits.available_permits())
    }

    /// The permits for a record of `size` bytes; `None` when the semaphore cannot count that
    /// many at once (above 4 GiB; `max.request.size` keeps records far below).
    fn permits_for(&self, size: usize) -> Option<u32> {
        u32::try_from(size.min(self.total)).ok()
    }

    /// Reserves `size` bytes if they are free now and nobody waits for room; never waits.
    /// `send`'s fast path: on `false` it falls back to [`reserve`](Self::reserve).
    pub fn try_reserve(&self, size: usize) -> bool {
        let Some(n) = self.permits_for(size) else {
            return false;
        };
        match self.permits.try_acquire_many(n) {
            Ok(permit) => {
                permit.forget();
                true
            }
            Err(_) => false,
        }
    }

    /// Reserves `size` bytes, waiting up to `max_block` (`max.block.ms`) behind earlier
    /// waiters. A `size` above the whole pool can never fit: the caller rejects such records
    /// before asking.
    pub async fn reserve(&self, size: usize, max_block: Duration) -> Result<()> {
        let exhausted = || Error::BufferExhausted {
            size: size.min(self.total),
            max_block,
        };
        let n = self.permits_for(size).ok_or_else(exhausted)?;
        // A timed-out (or cancelled) wait gives back the permits it was handed so far, to the
        // waiters behind it. The semaphore is never closed, so `acquire_many` fails only
        // by timing out.
        let started = Instant::now();
        let acquired =
            tokio::time::timeout_at(started + max_block, self.permits.acquire_many(n)).await;
        // The slow path only (`try_reserve` found no room): timing it costs `send` nothing.
        let waited = started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
        self.waited_ns.fetch_add(waited, Ordering::Relaxed);
        match acquired {
            Ok(Ok(permit)) => {
                permit.forget();
                Ok(())
            }
            Ok(Err(_)) | Err(_) => Err(exhausted()),
        }
    }

    /// Returns `size` bytes; the semaphore hands them to the waiters in order.
    pub fn release(&self, size: usize) {
        // No honest release exceeds the pool (what is reserved never does); capped because the
        // semaphore panics past `MAX_PERMITS`.
        self.permits.add_permits(size.min(self.total));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn reserves_and_releases() {
        let pool = BufferPool::new(100);
        pool.reserve(60, Duration::ZERO).await.unwrap();
        assert_eq!(pool.used(), 60);
        pool.release(60);
        assert_eq!(pool.used(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn blocks_until_released_then_times_out() {
        let pool = Arc::new(BufferPool::new(100));
        pool.reserve(80, Duration::ZERO).await.unwrap();
        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.reserve(50, Duration::from_secs(1)).await })
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!waiter.is_finished());
        pool.release(80);
        waiter.await.unwrap().unwrap();
        assert_eq!(pool.used(), 50);

        let started = Instant::now();
        let err = pool.reserve(60, Duration::from_secs(2)).await.unwrap_err();
        assert!(
            matches!(err, Error::BufferExhausted { size: 60, .. }),
            "{err}"
        );
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        assert_eq!(pool.used(), 50, "a timed-out waiter holds nothing");
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_order() {
        let pool = Arc::new(BufferPool::new(100));
        pool.reserve(100, Duration::ZERO).await.unwrap();
        let big = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.reserve(90, Duration::from_secs(10)).await })
        };
        tokio::task::yield_now().await;
        // A small request that would fit must not overtake the big one.
        let small = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.reserve(10, Duration::from_secs(10)).await })
        };
        tokio::task::yield_now().await;
        pool.release(20);
        // Time passes (paused clock, well within both deadlines) so that any waiter able to
        // take the 20 bytes has run; the big one at the front is owed them.
        tokio::time::advance(Duration::from_secs(1)).await;
        tokio::task::yield_now().await;
        assert!(!big.is_finished() && !small.is_finished());
        assert!(
            !pool.try_reserve(10),
            "the freed bytes are the big waiter's"
        );
        pool.release(80);
        big.await.unwrap().unwrap();
        small.await.unwrap().unwrap();
        assert_eq!(pool.used(), 100);
    }

    /// `send`'s fast path takes room only when it is free now and nobody waits: it never
    /// overtakes a waiter, and a failed try reserves nothing.
    #[tokio::test(start_paused = true)]
    async fn try_reserve_never_overtakes_a_waiter() {
        let pool = Arc::new(BufferPool::new(100));
        assert!(pool.try_reserve(70));
        assert!(!pool.try_reserve(40), "only 30 bytes are free");
        assert_eq!(pool.used(), 70);
        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.reserve(50, Duration::from_secs(10)).await })
        };
        tokio::task::yield_now().await;
        assert!(
            !pool.try_reserve(10),
            "10 bytes fit, but a waiter came first"
        );
        pool.release(70);
        waiter.await.unwrap().unwrap();
        assert!(pool.try_reserve(10));
        assert_eq!(pool.used(), 60);
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_waiter_returns_its_grant() {
        let pool = Arc::new(BufferPool::new(10));
        pool.reserve(10, Duration::ZERO).await.unwrap();
        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.reserve(5, Duration::from_secs(10)).await })
        };
        tokio::task::yield_now().await;
        waiter.abort();
        let _ = waiter.await;
        pool.release(10);
        assert_eq!(pool.used(), 0);
    }

    /// Fast-path takers, waiters and releasers racing on two threads: nobody is left
    /// waiting while bytes are free, and every byte comes back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn racing_reserves_and_releases_lose_no_wakeup() {
        let pool = Arc::new(BufferPool::new(1000));
        let mut tasks = Vec::new();
        for t in 0..8usize {
            let pool = pool.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..2000usize {
                    let size = 1 + (t * 31 + i * 17) % 300;
                    if !pool.try_reserve(size) {
                        pool.reserve(size, Duration::from_secs(10)).await.unwrap();
                    }
                    if i % 7 == 0 {
                        tokio::task::yield_now().await;
                    }
                    pool.release(size);
                }
            }));
        }
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("a waiter was never woken")
                .unwrap();
        }
        assert_eq!(pool.used(), 0);
    }
}
