//! [`RebalanceListener`]: the application's hook into its group's rebalances, awaited by
//! [`Consumer::poll`](super::Consumer::poll) with the consumer in hand.
//!
//! Why a trait with `&mut Consumer` rather than a stream of events: the one thing an
//! application must be able to do during a revocation is commit the revoked partitions'
//! offsets *while the generation they were owned in is still the group's*. The group task
//! holds the next JoinGroup until the revocation was handled, so the handling must happen
//! inside that window, with the consumer (its positions, its commit) at hand. A stream handed
//! out separately cannot borrow the consumer while `poll` does; a listener called by `poll`
//! can, and it is called at a visible point — at the start of `poll` (and `commit_sync`,
//! `close`), before any record is returned — never from a hidden thread.
//! [`Consumer::rebalance_events`](super::Consumer::rebalance_events) still records every
//! change for applications that only need to know what happened.

use futures::future::BoxFuture;

use super::{Consumer, TopicPartition};
use crate::error::Result;

/// Called by [`Consumer::poll`](super::Consumer::poll) when the group changes this member's
/// partitions, before `poll` returns any record. Register it with
/// [`Consumer::subscribe_with_listener`](super::Consumer::subscribe_with_listener) or
/// [`Consumer::subscribe_pattern_with_listener`](super::Consumer::subscribe_pattern_with_listener).
///
/// - [`on_revoked`](Self::on_revoked): the partitions are being given up in good order; the
///   group waits (up to `max.poll.interval.ms`) for this to return before it rebalances, and
///   a commit made here ([`Consumer::commit_sync`](super::Consumer::commit_sync),
///   [`Consumer::commit_offsets_sync`](super::Consumer::commit_offsets_sync)) carries the
///   generation the partitions were owned in, so the coordinator accepts it. The consumer
///   has already stopped returning their records; their positions are still readable.
///   Also called by [`Consumer::close`](super::Consumer::close) for everything still owned.
/// - [`on_assigned`](Self::on_assigned): the partitions were added (possibly none, after every
///   rebalance, as Java does); their positions are looked up at the next fetch.
/// - [`on_lost`](Self::on_lost): the member fell out of the group; the partitions may be
///   someone else's already, so a commit here fails with
///   [`Error::CommitFailed`](crate::Error::CommitFailed). Defaults to doing nothing (Java's
///   default calls `onPartitionsRevoked`, whose commit would then fail).
///
/// An error returned by a method is returned by the `poll` (or `commit_sync`) that called it,
/// after the change was applied. Calling `poll` from inside a listener fails.
///
/// The group task keeps heartbeating while it waits for `on_revoked`, but waits at most
/// `max.poll.interval.ms` (the rebalance timeout the coordinator gives the member to rejoin).
///
/// ```no_run
/// use futures::future::BoxFuture;
/// use kafkito::consumer::{Consumer, ConsumerConfig, RebalanceListener, TopicPartition};
///
/// /// Commits what was read of a partition before giving it up.
/// struct CommitOnRevoke;
///
/// impl RebalanceListener for CommitOnRevoke {
///     fn on_revoked<'a>(
///         &'a mut self,
///         consumer: &'a mut Consumer,
///         partitions: &'a [TopicPartition],
///     ) -> BoxFuture<'a, kafkito::Result<()>> {
///         Box::pin(async move {
///             let offsets: Vec<(TopicPartition, i64)> = partitions
///                 .iter()
///                 .filter_map(|tp| Some((tp.clone(), consumer.position(tp)?)))
///                 .collect();
///             consumer.commit_offsets_sync(offsets).await
///         })
///     }
/// }
///
/// # async fn demo() -> kafkito::Result<()> {
/// let config = ConsumerConfig::from_properties([
///     ("bootstrap.servers", "localhost:9092"),
///     ("group.id", "billing"),
///     ("enable.auto.commit", "false"),
/// ])?;
/// let mut consumer = Consumer::new(config).await?;
/// consumer.subscribe_with_listener(&["orders"], CommitOnRevoke)?;
/// let _records = consumer.poll(std::time::Duration::from_secs(1)).await?;
/// # Ok(()) }
/// ```
pub trait RebalanceListener: Send {
    /// `partitions` are being revoked in good order; commit their offsets here if needed.
    fn on_revoked<'a>(
        &'a mut self,
        consumer: &'a mut Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, Result<()>>;

    /// `partitions` were added to the assignment (possibly none).
    fn on_assigned<'a>(
        &'a mut self,
        consumer: &'a mut Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (consumer, partitions);
        Box::pin(async { Ok(()) })
    }

    /// `partitions` were lost (the member fell out of the group): do not commit them.
    fn on_lost<'a>(
        &'a mut self,
        consumer: &'a mut Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (consumer, partitions);
        Box::pin(async { Ok(()) })
    }
}

/// Where the consumer keeps its listener. A `Mutex` only so that `Consumer` stays `Sync`
/// with a listener that is merely `Send`; it is reached through `&mut` (`get_mut`), never
/// locked.
#[derive(Default)]
pub(crate) struct ListenerSlot(std::sync::Mutex<Option<Box<dyn RebalanceListener>>>);

impl ListenerSlot {
    pub(crate) fn set(&mut self, listener: Option<Box<dyn RebalanceListener>>) {
        *self.slot() = listener;
    }

    /// Takes the listener out for a call (it needs the consumer that holds it).
    pub(crate) fn take(&mut self) -> Option<Box<dyn RebalanceListener>> {
        self.slot().take()
    }

    /// Puts back a listener taken out, unless the call registered another meanwhile.
    pub(crate) fn put_back(&mut self, listener: Box<dyn RebalanceListener>) {
        let slot = self.slot();
        if slot.is_none() {
            *slot = Some(listener);
        }
    }

    pub(crate) fn is_set(&mut self) -> bool {
        self.slot().is_some()
    }

    fn slot(&mut self) -> &mut Option<Box<dyn RebalanceListener>> {
        self.0.get_mut().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for ListenerSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = self.0.lock().map(|l| l.is_some()).unwrap_or(true);
        f.write_str(if set {
            "Some(RebalanceListener)"
        } else {
            "None"
        })
    }
}
