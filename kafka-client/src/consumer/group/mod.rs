//! Consumer groups with the classic protocol (JoinGroup / SyncGroup / Heartbeat / LeaveGroup):
//! everything that decides *what* a group member consumes, with no I/O.
//!
//! - [`protocol`]: the consumer's embedded protocol, [`Subscription`] and [`Assignment`] bytes.
//! - [`assignor`]: the leader's partition assignors (`range`, `roundrobin`,
//!   `cooperative-sticky`).
//! - [`membership`]: the member's state machine: it takes responses, timer expiries and the
//!   application's calls with a `now: Instant`, and returns [`membership::Decision`]s (send this
//!   request, revoke / assign / lose these partitions). The task around it does the I/O, like the
//!   Java client's membership request manager.
//! - [`coordinator`]: the background task that drives [`Membership`] (the only I/O here).
//! - [`consumer_protocol`]: the KIP-848 member (`group.protocol=consumer`,
//!   ConsumerGroupHeartbeat), a second state machine of the same shape, driven by its own
//!   task (`consumer_task`) behind the same channels; tested on crafted responses.

pub mod assignor;
pub mod consumer_protocol;
mod consumer_task;
pub mod coordinator;
mod link;
pub mod membership;
pub mod protocol;

pub use assignor::{
    CooperativeStickyAssignor, PartitionAssignor, RangeAssignor, RebalanceProtocol,
    RoundRobinAssignor,
};
pub use membership::{Decision, GroupConfig, MemberState, Membership};
pub use protocol::{Assignment, Subscription, TopicPartition};

#[cfg(test)]
mod golden_tests;
