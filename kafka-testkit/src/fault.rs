//! Injected errors: "answer the next N requests of this API (optionally only for this
//! topic-partition, optionally only at this broker) with this error code".
//!
//! A fault replaces the handler's work for what it matches: an injected Produce error means
//! the batch is not appended, as when a real broker refuses it. Each fault counts how often it
//! fired, so a test can assert that its fault was hit.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::ErrorCode;

/// An error to inject. Build with [`Fault::new`], narrow with [`partition`](Fault::partition)
/// and [`broker`](Fault::broker), bound with [`times`](Fault::times), then pass to
/// [`Cluster::inject`](crate::Cluster::inject).
///
/// ```
/// use kafkito_testkit::{ApiKey, ErrorCode, Fault};
///
/// let fault = Fault::new(ApiKey::Produce, ErrorCode::NotLeaderOrFollower)
///     .partition("orders", 0)
///     .times(2);
/// assert_eq!(fault.api(), ApiKey::Produce);
/// ```
#[derive(Debug, Clone)]
pub struct Fault {
    api: ApiKey,
    error: ErrorCode,
    partition: Option<(String, i32)>,
    broker: Option<i32>,
    times: u32,
    after_processing: bool,
}

impl Fault {
    /// The next request of `api` is answered with `error` (once, unless [`times`](Self::times)
    /// says otherwise). For APIs with per-partition results (Produce, Fetch, ListOffsets,
    /// OffsetForLeaderEpoch, OffsetCommit, DeleteRecords) the error is set on every partition
    /// the fault matches; for the others it is the response's top-level error code.
    pub fn new(api: ApiKey, error: ErrorCode) -> Self {
        Fault {
            api,
            error,
            partition: None,
            broker: None,
            times: 1,
            after_processing: false,
        }
    }

    /// Produce only: the batch *is* appended, and then the partition's result is replaced by
    /// the error — a response lost after the write, as when a leader fails between append
    /// and reply. An idempotent producer's retry must then be recognised as a duplicate.
    pub fn after_processing(mut self) -> Self {
        self.after_processing = true;
        self
    }

    /// Only for this topic-partition (partition-level APIs).
    pub fn partition(mut self, topic: impl Into<String>, partition: i32) -> Self {
        self.partition = Some((topic.into(), partition));
        self
    }

    /// Only for requests served by this broker.
    pub fn broker(mut self, node_id: i32) -> Self {
        self.broker = Some(node_id);
        self
    }

    /// For the next `times` matching requests (partitions, for partition-level APIs).
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// The API the fault applies to.
    pub fn api(&self) -> ApiKey {
        self.api
    }
}

/// A handle on an injected fault: how often it fired so far.
#[derive(Debug, Clone)]
pub struct FaultHandle {
    hits: Arc<AtomicU32>,
}

impl FaultHandle {
    /// How many requests (or partitions of a request) the fault answered.
    pub fn hits(&self) -> u32 {
        self.hits.load(Ordering::SeqCst)
    }
}

#[derive(Debug)]
struct Armed {
    fault: Fault,
    remaining: u32,
    hits: Arc<AtomicU32>,
}

/// Every armed fault of a cluster.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    armed: Vec<Armed>,
    /// Added latency: (API, only at this broker, delay).
    latency: Vec<(ApiKey, Option<i32>, Duration)>,
}

impl Faults {
    /// Delays every request of `api` (at `broker`, or everywhere) by `delay`; zero removes it.
    pub fn set_latency(&mut self, api: ApiKey, broker: Option<i32>, delay: Duration) {
        self.latency
            .retain(|(a, b, _)| !(*a == api && *b == broker));
        if !delay.is_zero() {
            self.latency.push((api, broker, delay));
        }
    }

    /// The latency to add to a request of `api` at `node`.
    pub fn latency(&self, api: ApiKey, node: i32) -> Option<Duration> {
        self.latency
            .iter()
            .filter(|(a, b, _)| *a == api && b.is_none_or(|b| b == node))
            .map(|(_, _, d)| *d)
            .max()
    }

    pub fn arm(&mut self, fault: Fault) -> FaultHandle {
        let hits = Arc::new(AtomicU32::new(0));
        self.armed.push(Armed {
            remaining: fault.times,
            fault,
            hits: hits.clone(),
        });
        FaultHandle { hits }
    }

    /// The error to answer with for `api` at `node` (and `partition`, for partition-level
    /// APIs), consuming one use of the first matching fault.
    pub fn take(
        &mut self,
        api: ApiKey,
        node: i32,
        partition: Option<(&str, i32)>,
    ) -> Option<ErrorCode> {
        self.take_when(api, node, partition, false)
    }

    /// Like [`take`](Self::take), for the faults that apply once the request was processed.
    pub fn take_after(
        &mut self,
        api: ApiKey,
        node: i32,
        partition: Option<(&str, i32)>,
    ) -> Option<ErrorCode> {
        self.take_when(api, node, partition, true)
    }

    fn take_when(
        &mut self,
        api: ApiKey,
        node: i32,
        partition: Option<(&str, i32)>,
        after_processing: bool,
    ) -> Option<ErrorCode> {
        let armed = self.armed.iter_mut().find(|a| {
            a.remaining > 0
                && a.fault.after_processing == after_processing
                && a.fault.api == api
                && a.fault.broker.is_none_or(|b| b == node)
                && match (&a.fault.partition, partition) {
                    (None, _) => true,
                    (Some((t, p)), Some((topic, index))) => t == topic && *p == index,
                    (Some(_), None) => false,
                }
        })?;
        armed.remaining -= 1;
        armed.hits.fetch_add(1, Ordering::SeqCst);
        tracing::debug!(
            api = api.name(),
            node,
            error = %armed.fault.error.name(),
            "injected error"
        );
        let error = armed.fault.error;
        self.armed.retain(|a| a.remaining > 0);
        Some(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_fire_the_given_number_of_times_for_what_they_match() {
        let mut faults = Faults::default();
        let handle = faults.arm(
            Fault::new(ApiKey::Produce, ErrorCode::NotLeaderOrFollower)
                .partition("t", 1)
                .times(2),
        );
        assert_eq!(faults.take(ApiKey::Produce, 0, Some(("t", 0))), None);
        assert_eq!(faults.take(ApiKey::Fetch, 0, Some(("t", 1))), None);
        assert_eq!(
            faults.take(ApiKey::Produce, 0, Some(("t", 1))),
            Some(ErrorCode::NotLeaderOrFollower)
        );
        assert!(faults.take(ApiKey::Produce, 2, Some(("t", 1))).is_some());
        assert_eq!(faults.take(ApiKey::Produce, 0, Some(("t", 1))), None);
        assert_eq!(handle.hits(), 2);
    }
}
