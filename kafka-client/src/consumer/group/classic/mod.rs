//! The classic group protocol (`group.protocol=classic`): JoinGroup / SyncGroup / Heartbeat /
//! LeaveGroup, with the group leader (a member) assigning through a client-side
//! [assignor](super::assignor).
//!
//! - [`membership`]: the member's state machine, as plain data.
//! - [`coordinator`]: the background task that drives it (the only I/O here), started by
//!   [`GroupHandle::start`](coordinator::GroupHandle::start).

pub mod coordinator;
pub mod membership;
