//! The producer's metrics: its snapshot ([`Producer::metrics`](super::Producer::metrics)) and
//! its publisher to the `metrics` facade (see [`crate::metrics`]). The sensors themselves are
//! updated by the sender task (per batch and per request) and the buffer pool (per wait).

use std::sync::Arc;
use std::time::Instant;

use super::Shared;
use crate::metrics::{ProducerGauges, ProducerMetrics, Publisher};

impl Shared {
    /// The producer's metrics now.
    pub(crate) fn metrics_snapshot(&self) -> ProducerMetrics {
        let gauges = ProducerGauges {
            buffer_used: self.pool.used() as u64,
            buffer_total: self.pool.total() as u64,
            buffer_wait_ns: self.pool.wait_ns(),
        };
        let connections = self.metadata.pool().connection_metrics();
        self.metrics.snapshot(Instant::now(), gauges, connections)
    }
}

/// Starts publishing `shared`'s metrics (with the `metrics` feature; otherwise nothing). The
/// sender task holds the publisher: when it ends (the producer closed or dropped), the last
/// snapshot is published and the task stops.
pub(crate) fn publisher(shared: &Arc<Shared>) -> Publisher {
    let interval = shared.config.client.metrics_publish_interval;
    #[cfg(feature = "metrics")]
    {
        let shared = shared.clone();
        let labels = vec![("client_id", shared.config.client.client_id.clone())];
        Publisher::start(
            interval,
            Arc::new(move || crate::metrics::export::producer(&shared.metrics_snapshot(), &labels)),
        )
    }
    #[cfg(not(feature = "metrics"))]
    {
        let _ = shared;
        Publisher::start(interval, Arc::new(|| {}))
    }
}
