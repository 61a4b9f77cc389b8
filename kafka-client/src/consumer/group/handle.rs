//! The consumer's handle on its group task, whichever engine runs it ([`classic`](super::classic)
//! or [`kip848`](super::kip848)): the commands that go in, the events that come out, and the
//! `watch` of what an offset commit must carry. Each engine starts its task and returns a
//! [`GroupHandle`] (`GroupHandle::start` for the classic protocol,
//! `GroupHandle::start_consumer_protocol` for KIP-848); the `Consumer` only ever sees this
//! handle, so it is the same for both protocols.

use std::time::Duration;

use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::ErrorCode;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::consumer::group::protocol::TopicPartition;
use crate::consumer::subscription::TopicPattern;
use crate::error::Error;

/// Why an offset commit may not be sent now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommitRejected {
    /// The member is not in a generation (its partitions were lost or it never joined): Java's
    /// `CommitFailedException`.
    CommitFailed,
    /// A rebalance is under way; commit again once it completes (Java's
    /// `RebalanceInProgressException`).
    RebalanceInProgress,
    /// The member hit a fatal error.
    Fatal(ErrorCode),
}

/// What an offset commit must carry to be accepted by the coordinator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitGeneration {
    /// The current generation.
    pub generation_id: i32,
    /// The member id.
    pub member_id: String,
    /// The static member id, if any.
    pub group_instance_id: Option<String>,
}

/// What an offset commit may carry now (see [`Membership::commit_generation`](super::Membership::commit_generation)).
pub type CommitState = std::result::Result<CommitGeneration, CommitRejected>;

/// The application's requests to the group task.
#[derive(Debug)]
pub enum GroupCommand {
    /// Subscribe to these topics (replacing the previous subscription or pattern).
    Subscribe(Vec<String>),
    /// Subscribe to the topics matching this pattern, re-evaluated every
    /// `metadata.max.age.ms` (replacing the previous subscription or pattern).
    SubscribePattern(TopicPattern),
    /// The application polled (restarts `max.poll.interval.ms`).
    Polled,
    /// Leave the group and stop; answered once the LeaveGroup was sent (or failed).
    Leave(oneshot::Sender<()>),
}

/// Assignment changes for the consumer to apply, in order.
#[derive(Debug)]
pub enum GroupEvent {
    /// Give these up in good order. `generation` is what a commit of their offsets must carry
    /// (the generation they were owned in); `done` is answered once they are given up, and the
    /// task holds the next JoinGroup until then.
    Revoked {
        /// The partitions.
        partitions: Vec<TopicPartition>,
        /// The generation they were owned in, when there was one.
        generation: Option<CommitGeneration>,
        /// Answered when applied; `None` when the task does not wait (closing).
        done: Option<oneshot::Sender<()>>,
    },
    /// These are now the member's too.
    Assigned(Vec<TopicPartition>),
    /// These were lost: their offsets must not be committed.
    Lost(Vec<TopicPartition>),
    /// The member cannot go on: the group answered this API with this code.
    Fatal(ApiKey, ErrorCode),
    /// The member cannot go on, for a reason found by the task itself (e.g. the broker is
    /// too old for a setting). Sent before the matching [`GroupEvent::Fatal`].
    Failed(Error),
}

/// The consumer's end of the group task. Dropping it closes the command channel: the task
/// then leaves the group on its own (see [`coordinator`](super::coordinator)) and ends.
#[derive(Debug)]
pub struct GroupHandle {
    pub(in crate::consumer::group) commands: mpsc::UnboundedSender<GroupCommand>,
    /// Assignment changes, in order.
    pub events: mpsc::UnboundedReceiver<GroupEvent>,
    /// What a commit must carry now.
    pub generation: watch::Receiver<CommitState>,
    pub(in crate::consumer::group) task: JoinHandle<()>,
}

impl GroupHandle {
    /// A handle with no task behind it, for tests that play the group task's part: events
    /// go in through the returned sender, the commit generation through the watch.
    #[cfg(test)]
    pub(crate) fn detached() -> (
        GroupHandle,
        mpsc::UnboundedSender<GroupEvent>,
        watch::Sender<CommitState>,
    ) {
        let (commands, _) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (generation_tx, generation) = watch::channel(Err(CommitRejected::CommitFailed));
        let handle = GroupHandle {
            commands,
            events,
            generation,
            task: tokio::spawn(async {}),
        };
        (handle, events_tx, generation_tx)
    }

    /// Sends `command` (lost if the task has stopped).
    pub fn send(&self, command: GroupCommand) {
        let _ = self.commands.send(command);
    }

    /// Leaves the group, waiting at most `timeout` for the LeaveGroup to go out.
    pub async fn leave(self, timeout: Duration) {
        let (tx, rx) = oneshot::channel();
        self.send(GroupCommand::Leave(tx));
        let _ = tokio::time::timeout(timeout, rx).await;
        self.task.abort();
    }
}

/// Sleeps until `at`, or forever when `None` (a `select!` branch that is off).
pub(in crate::consumer::group) async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
