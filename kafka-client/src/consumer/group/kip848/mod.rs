//! The KIP-848 group protocol (`group.protocol=consumer`): the broker's group coordinator
//! assigns, and a member only heartbeats (ConsumerGroupHeartbeat) what it subscribes to and
//! owns.
//!
//! - [`consumer_protocol`]: the member's state machine, as plain data.
//! - `consumer_task`: the background task that drives it, started by
//!   [`GroupHandle::start_consumer_protocol`](super::coordinator::GroupHandle::start_consumer_protocol).

pub mod consumer_protocol;
mod consumer_task;
