//! A librdkafka mock cluster whose requests are tracked: which broker served which API, so
//! that a test can prove where the consumer fetched from (a follower, the leader) and which
//! requests a fault caused (OffsetForLeaderEpoch, ListOffsets). Also per-broker error
//! injection, which the rdkafka crate's `MockCluster` does not wrap.
//!
//! The cluster is owned by a librdkafka producer created with `test.mock.num.brokers`; the
//! raw handle comes from that client (the crate keeps its own `MockCluster` handle private).

#![allow(dead_code)]

use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DefaultProducerContext, Producer as _};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rdkafka::ClientConfig;

/// A mock cluster with request tracking on.
pub struct TrackedMock {
    owner: BaseProducer,
    raw: *mut rd::rd_kafka_mock_cluster_t,
}

/// One request the mock received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// The broker it reached.
    pub broker: i32,
    /// Its API key.
    pub api: i16,
}

impl TrackedMock {
    /// `brokers` brokers, tracking every request from now on.
    pub fn new(brokers: i32) -> TrackedMock {
        let owner: BaseProducer = ClientConfig::new()
            .set("test.mock.num.brokers", brokers.to_string())
            .create()
            .expect("librdkafka client owning the mock cluster");
        // SAFETY: the handle is valid while `owner` lives, which this struct guarantees.
        let raw = unsafe { rd::rd_kafka_handle_mock_cluster(owner.client().native_ptr()) };
        assert!(
            !raw.is_null(),
            "no mock cluster behind test.mock.num.brokers"
        );
        unsafe { rd::rd_kafka_mock_start_request_tracking(raw) };
        TrackedMock { owner, raw }
    }

    /// The rdkafka crate's handle, for its setters (topics, leaders, followers, racks).
    pub fn mock(&self) -> MockCluster<'_, DefaultProducerContext> {
        self.owner.client().mock_cluster().expect("mock cluster")
    }

    /// `bootstrap.servers` for the mock.
    pub fn bootstrap(&self) -> String {
        self.mock().bootstrap_servers()
    }

    /// The requests received since tracking started (or the last [`clear`](Self::clear)).
    pub fn requests(&self) -> Vec<Seen> {
        let mut count = 0usize;
        // SAFETY: the array and its entries are owned by us until destroyed below.
        unsafe {
            let array = rd::rd_kafka_mock_get_requests(self.raw, &mut count);
            if array.is_null() {
                return Vec::new();
            }
            let seen = (0..count)
                .map(|i| {
                    let request = *array.add(i);
                    Seen {
                        broker: rd::rd_kafka_mock_request_id(request),
                        api: rd::rd_kafka_mock_request_api_key(request),
                    }
                })
                .collect();
            rd::rd_kafka_mock_request_destroy_array(array, count);
            seen
        }
    }

    /// How many `api` requests reached `broker` (any broker: `None`).
    pub fn count(&self, api: RDKafkaApiKey, broker: Option<i32>) -> usize {
        self.requests()
            .iter()
            .filter(|s| s.api == api as i16 && broker.is_none_or(|b| b == s.broker))
            .count()
    }

    /// Forgets the requests tracked so far.
    pub fn clear(&self) {
        unsafe { rd::rd_kafka_mock_clear_requests(self.raw) };
    }

    /// The next `errors.len()` `api` requests that reach `broker` (only it) fail with them,
    /// in order.
    pub fn broker_errors(&self, broker: i32, api: RDKafkaApiKey, errors: &[RDKafkaRespErr]) {
        for error in errors {
            // SAFETY: a variadic call with one (error, rtt ms) pair, as `cnt = 1` says.
            let result = unsafe {
                rd::rd_kafka_mock_broker_push_request_error_rtts(
                    self.raw,
                    broker,
                    api as i16,
                    1,
                    *error as i32,
                    0i32,
                )
            };
            assert_eq!(
                result,
                RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR,
                "push error"
            );
        }
    }

    /// How many injected `api` errors for `broker` are still waiting (0: all were hit).
    pub fn broker_errors_left(&self, broker: i32, api: RDKafkaApiKey) -> usize {
        let mut left = 0usize;
        let result = unsafe {
            rd::rd_kafka_mock_broker_error_stack_cnt(self.raw, broker, api as i16, &mut left)
        };
        assert_eq!(result, RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR);
        left
    }
}

/// Writes `count` records of `value_len` bytes each to `partition` (keys `key(from..)`) with
/// librdkafka's producer and waits until all are acknowledged.
pub fn rd_produce_sized(
    bootstrap: &str,
    topic: &str,
    partition: i32,
    from: usize,
    count: usize,
    value_len: usize,
) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "0")
        .set("acks", "all")
        .set("message.max.bytes", "2000000")
        .create()
        .expect("librdkafka producer");
    let value = vec![b'x'; value_len];
    for i in from..from + count {
        let key = crate::support::mock::key(i);
        let mut record = BaseRecord::to(topic)
            .key(&key)
            .payload(&value)
            .partition(partition);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, r)) => {
                    record = r;
                    producer.poll(Duration::from_millis(10));
                }
            }
        }
    }
    producer
        .flush(Duration::from_secs(20))
        .expect("librdkafka producer flush");
}
