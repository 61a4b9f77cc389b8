//! `buffer.memory` accounting (Java's `BufferPool`): how many bytes of records the producer
//! holds, and a FIFO of senders waiting for room.
//!
//! Separate from the accumulator because it is the one place `send` may wait: the accumulator
//! never blocks, and its lock is never held across an `.await`. Bytes are reserved per record
//! (its size upper bound) before it is appended, and released in one go when its batch
//! completes. Waiters are served strictly in order, so a large record is not starved by a
//! stream of small ones.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::error::{Error, Result};

/// Bytes available for buffered records, with waiters served first come, first served.
///
/// The free count is an atomic so that `send`'s fast path costs one compare-and-swap, not a
/// lock (which was ~3% of a record's cost; perf). Waiting, granting and giving up happen
/// under the lock. The two sides meet through `has_waiters`, all in sequentially consistent
/// order: a releaser adds its bytes, then looks for waiters; a new waiter registers, then
/// tries to take bytes itself. Whichever comes second sees the other, so no waiter sleeps
/// while its bytes are free.
#[derive(Debug)]
pub(crate) struct BufferPool {
    total: usize,
    available: AtomicUsize,
    /// Whether `waiters` is non-empty: the fast path never overtakes a waiter.
    has_waiters: AtomicBool,
    waiters: Mutex<Waiters>,
}

#[derive(Debug, Default)]
struct Waiters {
    queue: VecDeque<Waiter>,
    next_id: u64,
}

#[derive(Debug)]
struct Waiter {
    id: u64,
    size: usize,
    granted: oneshot::Sender<()>,
}

impl BufferPool {
    /// A pool of `total` bytes (`buffer.memory`).
    pub fn new(total: usize) -> Self {
        BufferPool {
            total,
            available: AtomicUsize::new(total),
            has_waiters: AtomicBool::new(false),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Waiters> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes currently reserved.
    pub fn used(&self) -> usize {
        // Saturating: a release is never larger than its reservation, but a count must not
        // panic if one were.
        self.total
            .saturating_sub(self.available.load(Ordering::SeqCst))
    }

    /// Takes `size` bytes if that many are free.
    fn take(&self, size: usize) -> bool {
        self.available
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |free| {
                free.checked_sub(size)
            })
            .is_ok()
    }

    /// Reserves `size` bytes if they are free now and nobody waits for room; never waits.
    /// `send`'s fast path: on `false` it falls back to [`reserve`](Self::reserve).
    pub fn try_reserve(&self, size: usize) -> bool {
        !self.has_waiters.load(Ordering::SeqCst) && self.take(size.min(self.total))
    }

    /// Reserves `size` bytes, waiting up to `max_block` (`max.block.ms`) behind earlier
    /// waiters. A `size` above the whole pool can never fit: the caller rejects such records
    /// before asking.
    pub async fn reserve(&self, size: usize, max_block: Duration) -> Result<()> {
        let size = size.min(self.total);
        let (id, granted) = {
            let mut waiters = self.lock();
            if waiters.queue.is_empty() && self.take(size) {
                return Ok(());
            }
            let (tx, rx) = oneshot::channel();
            let id = waiters.next_id;
            waiters.next_id += 1;
            waiters.queue.push_back(Waiter {
                id,
                size,
                granted: tx,
            });
            self.has_waiters.store(true, Ordering::SeqCst);
            // Bytes released since `take` failed, by a releaser that saw no waiter yet.
            self.grant(&mut waiters);
            (id, rx)
        };
        let deadline = Instant::now() + max_block;
        match tokio::time::timeout_at(deadline, granted).await {
            Ok(Ok(())) => Ok(()),
            // Never dropped unanswered while the pool lives; treat it as a timeout anyway.
            Ok(Err(_)) | Err(_) => {
                let mut waiters = self.lock();
                if let Some(i) = waiters.queue.iter().position(|w| w.id == id) {
                    waiters.queue.remove(i);
                    // Our leaving may let the next waiter in.
                    self.grant(&mut waiters);
                    Err(Error::BufferExhausted { size, max_block })
                } else {
                    // Granted in the race between the timer and the lock: keep the bytes.
                    Ok(())
                }
            }
        }
    }

    /// Returns `size` bytes and wakes the waiters that now fit, in order.
    pub fn release(&self, size: usize) {
        if size == 0 {
            return;
        }
        self.available.fetch_add(size, Ordering::SeqCst);
        if self.has_waiters.load(Ordering::SeqCst) {
            self.grant(&mut self.lock());
        }
    }

    /// Serves the waiters at the front that fit, in order; under the lock.
    fn grant(&self, waiters: &mut Waiters) {
        while let Some(front) = waiters.queue.front() {
            if !self.take(front.size) {
                break;
            }
            let waiter = waiters.queue.pop_front().expect("front exists");
            if waiter.granted.send(()).is_err() {
                // The waiter was cancelled (its `send` future dropped): give the bytes back.
                self.available.fetch_add(waiter.size, Ordering::SeqCst);
            }
        }
        self.has_waiters
            .store(!waiters.queue.is_empty(), Ordering::SeqCst);
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
        tokio::task::yield_now().await;
        assert!(!big.is_finished() && !small.is_finished());
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
