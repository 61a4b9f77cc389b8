//! Consumer groups: everything that decides *what* a group member consumes. Two engines, one per
//! `group.protocol`, each a state machine with no I/O plus the background task that drives it,
//! told apart by their folder:
//!
//! - [`classic`] (`group.protocol=classic`, JoinGroup / SyncGroup / Heartbeat / LeaveGroup): the
//!   group leader, a member, assigns with a client-side assignor.
//!   [`membership`] is the member's state machine: it takes responses, timer expiries and the
//!   application's calls with a `now: Instant`, and returns [`Decision`]s (send this request,
//!   revoke / assign / lose these partitions), like the Java client's membership request
//!   manager. [`coordinator`] is the task that drives it.
//! - [`kip848`] (`group.protocol=consumer`, KIP-848, ConsumerGroupHeartbeat): the broker assigns.
//!   [`consumer_protocol`] is the member's state machine, of the same shape, driven by a task
//!   of its own behind the same handle.
//!
//! Shared by both:
//!
//! - `handle`: the consumer's handle on whichever task runs ([`coordinator::GroupHandle`], the
//!   [`coordinator::GroupCommand`] / [`coordinator::GroupEvent`] channels, the
//!   commit-generation `watch` of [`membership::CommitGeneration`]); each engine's task starts
//!   behind it, so the `Consumer` is the same for both protocols.
//! - [`protocol`]: the consumer's embedded protocol, [`Subscription`] and [`Assignment`] bytes.
//! - [`assignor`]: the classic leader's partition assignors (`range`, `roundrobin`,
//!   `cooperative-sticky`).
//! - `link`: each task's own connection to its coordinator, apart from the broker pool.
//!
//! The modules [`coordinator`], [`membership`] and [`consumer_protocol`] are re-exported here
//! under their earlier paths (`group::membership`, …), and the handle's types from
//! `coordinator` and `membership`, where they were before.

pub mod assignor;
pub mod classic;
mod handle;
pub mod kip848;
mod link;
pub mod protocol;

pub use assignor::{
    CooperativeStickyAssignor, PartitionAssignor, RangeAssignor, RebalanceProtocol,
    RoundRobinAssignor,
};
pub use classic::{coordinator, membership};
pub use kip848::consumer_protocol;
pub use membership::{Decision, GroupConfig, MemberState, Membership};
pub use protocol::{Assignment, Subscription, TopicPartition};

#[cfg(test)]
mod golden_tests;
