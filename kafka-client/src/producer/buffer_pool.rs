//! `buffer.memory` accounting (Java's `BufferPool`): how many bytes of records the producer
//! holds, and a FIFO of senders waiting for room.
//!
//! Separate from the accumulator because it is the one place `send` may wait: the accumulator
//! never blocks, and its lock is never held across an `.await`. Bytes are reserved per record
//! (its size upper bound) before it is appended, and released in one go when its batch
//! completes. Waiters are served strictly in order, so a large record is not starved by a
//! stream of small ones.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::error::{Error, Result};

/// Bytes available for buffered records, with waiters served first come, first served.
#[derive(Debug)]
pub(crate) struct BufferPool {
    total: usize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    available: usize,
    waiters: VecDeque<Waiter>,
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
            state: Mutex::new(State {
                available: total,
                waiters: VecDeque::new(),
                next_id: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes currently reserved.
    pub fn used(&self) -> usize {
        self.total - self.lock().available
    }

    /// Reserves `size` bytes if they are free now and nobody waits for room; never waits.
    /// `send`'s fast path: on `false` it falls back to [`reserve`](Self::reserve).
    pub fn try_reserve(&self, size: usize) -> bool {
        let size = size.min(self.total);
        let mut state = self.lock();
        if state.waiters.is_empty() && state.available >= size {
            state.available -= size;
            true
        } else {
            false
        }
    }

    /// Reserves `size` bytes, waiting up to `max_block` (`max.block.ms`) behind earlier
    /// waiters. A `size` above the whole pool can never fit: the caller rejects such records
    /// before asking.
    pub async fn reserve(&self, size: usize, max_block: Duration) -> Result<()> {
        let size = size.min(self.total);
        let (id, granted) = {
            let mut state = self.lock();
            if state.waiters.is_empty() && state.available >= size {
                state.available -= size;
                return Ok(());
            }
            let (tx, rx) = oneshot::channel();
            let id = state.next_id;
            state.next_id += 1;
            state.waiters.push_back(Waiter {
                id,
                size,
                granted: tx,
            });
            (id, rx)
        };
        let deadline = Instant::now() + max_block;
        match tokio::time::timeout_at(deadline, granted).await {
            Ok(Ok(())) => Ok(()),
            // Never dropped unanswered while the pool lives; treat it as a timeout anyway.
            Ok(Err(_)) | Err(_) => {
                let mut state = self.lock();
                if let Some(i) = state.waiters.iter().position(|w| w.id == id) {
                    state.waiters.remove(i);
                    // Our leaving may let the next waiter in.
                    Self::grant(&mut state);
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
        let mut state = self.lock();
        state.available = (state.available + size).min(self.total);
        Self::grant(&mut state);
    }

    fn grant(state: &mut State) {
        while let Some(front) = state.waiters.front() {
            if front.size > state.available {
                break;
            }
            let waiter = state.waiters.pop_front().expect("front exists");
            state.available -= waiter.size;
            if waiter.granted.send(()).is_err() {
                // The waiter was cancelled (its `send` future dropped): give the bytes back.
                state.available += waiter.size;
            }
        }
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
}
