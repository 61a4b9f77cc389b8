//! How a subscribed consumer applies what its group task reports, inside `poll` (and in
//! commits and `close`): revoked partitions are committed (with `enable.auto.commit`) while
//! their generation is still the group's, handed to the listener's `on_revoked`, then dropped;
//! assigned ones are added and handed to `on_assigned`; lost ones are dropped without a commit
//! (another member may own them already) and handed to `on_lost`. The order is the group's, as
//! Java's `ConsumerCoordinator` calls its `ConsumerRebalanceListener` from inside `poll`.
//!
//! A member that failed for good (fenced, not authorized) keeps that error: every later `poll`
//! returns it.

use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::ErrorCode;
use tracing::warn;

use super::group::coordinator::GroupEvent;
use super::hook;
use super::{Consumer, RebalanceEvent, TopicPartition};
use crate::error::{Error, Result};

impl Consumer {
    /// The next group event to apply: those `poll` already took off the channel first.
    fn next_group_event(&mut self) -> Option<GroupEvent> {
        if let Some(event) = self.group_backlog.pop_front() {
            return Some(event);
        }
        self.group.as_mut()?.events.try_recv().ok()
    }

    /// Applies what the group task reported, in order, awaiting the listener for each change.
    /// A listener's error is returned after its change was applied (the events after it wait
    /// for the next call).
    pub(super) async fn apply_group_events(&mut self) -> Result<()> {
        if self.in_listener {
            // A commit from inside a listener: the change being handled is not finished.
            return Ok(());
        }
        if let Some(error) = &self.fatal {
            return Err(error.clone());
        }
        while let Some(event) = self.next_group_event() {
            match event {
                GroupEvent::Revoked {
                    partitions,
                    generation,
                    done,
                } => {
                    // No more records of these for the application.
                    self.buffer.retain(|f| !partitions.contains(&f.tp));
                    if let (true, Some(generation)) = (self.config.enable_auto_commit, &generation)
                    {
                        // Commit what was read of the revoked partitions while their
                        // generation is still the group's (the task holds the JoinGroup).
                        let positions = self.positions_to_commit(|tp| partitions.contains(tp));
                        let commit = self.queue_commit(positions, Some(generation.clone()));
                        if let Err(error) = commit.await {
                            warn!(%error, "commit of revoked partitions failed");
                        }
                    }
                    // The listener's commits carry the generation the partitions were owned
                    // in; their positions stay readable until it returns.
                    self.revoking = generation;
                    let result = self.call_listener(ListenerCall::Revoked, &partitions).await;
                    self.revoking = None;
                    self.remove_partitions(&partitions);
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                    self.rebalance_event(RebalanceEvent::Revoked(partitions));
                    result?;
                }
                GroupEvent::Assigned(partitions) => {
                    self.partitions_lost = false;
                    let mut next = self.subscriptions.assignment();
                    next.extend(partitions.iter().cloned());
                    self.subscriptions.assign(next);
                    self.topics_changed = true;
                    let result = self
                        .call_listener(ListenerCall::Assigned, &partitions)
                        .await;
                    self.rebalance_event(RebalanceEvent::Assigned(partitions));
                    result?;
                }
                GroupEvent::Lost(partitions) => {
                    self.partitions_lost = true;
                    self.buffer.retain(|f| !partitions.contains(&f.tp));
                    let result = self.call_listener(ListenerCall::Lost, &partitions).await;
                    self.remove_partitions(&partitions);
                    self.rebalance_event(RebalanceEvent::Lost(partitions));
                    result?;
                }
                GroupEvent::Fatal(api, code) => {
                    let instance = self.config.group_instance_id.as_deref();
                    let error = self
                        .fatal
                        .get_or_insert_with(|| group_fatal_error(api, code, instance))
                        .clone();
                    return Err(error);
                }
                GroupEvent::Failed(error) => {
                    self.fatal = Some(error.clone());
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// Records an applied change for [`Consumer::rebalance_events`], after the hooks saw it.
    fn rebalance_event(&mut self, event: RebalanceEvent) {
        hook::rebalanced(&self.config.hooks, &event);
        self.rebalance_events.push_back(event);
    }

    /// Awaits the listener (if any) for one change, with the consumer in hand.
    pub(super) async fn call_listener(
        &mut self,
        call: ListenerCall,
        partitions: &[TopicPartition],
    ) -> Result<()> {
        let Some(mut listener) = self.listener.take() else {
            return Ok(());
        };
        self.in_listener = true;
        let result = match call {
            ListenerCall::Revoked => listener.on_revoked(self, partitions).await,
            ListenerCall::Assigned => listener.on_assigned(self, partitions).await,
            ListenerCall::Lost => listener.on_lost(self, partitions).await,
        };
        self.in_listener = false;
        self.listener.put_back(listener);
        if let Err(error) = &result {
            warn!(?call, %error, "rebalance listener failed");
        }
        result
    }

    fn remove_partitions(&mut self, partitions: &[TopicPartition]) {
        let next: Vec<TopicPartition> = self
            .subscriptions
            .assignment()
            .into_iter()
            .filter(|tp| !partitions.contains(tp))
            .collect();
        self.subscriptions.assign(next);
        let subscriptions = &self.subscriptions;
        self.buffer.retain(|f| subscriptions.is_assigned(&f.tp));
    }
}

/// Which listener method to call.
#[derive(Debug, Clone, Copy)]
pub(super) enum ListenerCall {
    Revoked,
    Assigned,
    Lost,
}

/// The error every `poll` returns once the member failed for good.
fn group_fatal_error(api: ApiKey, code: ErrorCode, group_instance_id: Option<&str>) -> Error {
    let message = match (code, group_instance_id) {
        (ErrorCode::FencedInstanceId, Some(id)) => format!(
            "another consumer joined the group with group.instance.id {id:?}: this one is \
             fenced (KIP-345) and must be closed"
        ),
        _ => "the consumer cannot stay in its group and must be closed".to_owned(),
    };
    warn!(%code, "{message}");
    Error::Protocol {
        api,
        code,
        message: Some(message),
    }
}

#[cfg(test)]
mod tests {
    //! The consumer's side of rebalances without a broker: the test plays the group task
    //! (events in, generation watch) and checks what the consumer and its listener do.

    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use futures::future::BoxFuture;
    use tokio::sync::oneshot;

    use super::super::tests::{consumer, tp};
    use super::*;
    use crate::consumer::group::coordinator::GroupHandle;
    use crate::consumer::group::membership::{CommitGeneration, CommitRejected};
    use crate::consumer::RebalanceListener;

    fn generation(id: i32) -> CommitGeneration {
        CommitGeneration {
            generation_id: id,
            member_id: "m".into(),
            group_instance_id: Some("instance-7".into()),
        }
    }

    #[derive(Default)]
    struct Log {
        calls: Vec<String>,
        /// What a commit in on_revoked would carry, and the revoked partitions' positions.
        revoke_generation: Option<i32>,
        revoke_positions: Vec<Option<i64>>,
        poll_in_listener: Option<String>,
    }

    struct Recorder(Arc<Mutex<Log>>, bool);

    impl RebalanceListener for Recorder {
        fn on_revoked<'a>(
            &'a mut self,
            consumer: &'a mut Consumer,
            partitions: &'a [TopicPartition],
        ) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                let polled = consumer.poll(Duration::from_millis(1)).await;
                let mut log = self.0.lock().unwrap();
                log.calls.push(format!("revoked {partitions:?}"));
                log.revoke_generation = consumer
                    .commit_generation()
                    .ok()
                    .flatten()
                    .map(|g| g.generation_id);
                log.revoke_positions = partitions.iter().map(|tp| consumer.position(tp)).collect();
                log.poll_in_listener = polled.err().map(|e| e.to_string());
                if self.1 {
                    return Err(Error::config("test", "the listener failed"));
                }
                Ok(())
            })
        }

        fn on_assigned<'a>(
            &'a mut self,
            _consumer: &'a mut Consumer,
            partitions: &'a [TopicPartition],
        ) -> BoxFuture<'a, Result<()>> {
            self.0
                .lock()
                .unwrap()
                .calls
                .push(format!("assigned {partitions:?}"));
            Box::pin(async { Ok(()) })
        }

        fn on_lost<'a>(
            &'a mut self,
            consumer: &'a mut Consumer,
            partitions: &'a [TopicPartition],
        ) -> BoxFuture<'a, Result<()>> {
            let refused = consumer.commit_generation().is_err();
            self.0
                .lock()
                .unwrap()
                .calls
                .push(format!("lost {partitions:?} commit refused: {refused}"));
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn the_listener_runs_in_order_with_the_revoking_generation() {
        let mut consumer = consumer().await;
        let (handle, events, generation_watch) = GroupHandle::detached();
        consumer.group = Some(handle);
        let log = Arc::new(Mutex::new(Log::default()));
        consumer
            .listener
            .set(Some(Box::new(Recorder(log.clone(), false))));

        events
            .send(GroupEvent::Assigned(vec![tp(0), tp(1)]))
            .unwrap();
        consumer.apply_group_events().await.unwrap();
        consumer.seek(&tp(0), 5).unwrap();
        consumer.seek(&tp(1), 9).unwrap();

        // Mid-rebalance the watch refuses commits, but the revocation carries the generation
        // the partitions were owned in, and a commit inside on_revoked uses it.
        generation_watch
            .send(Err(CommitRejected::RebalanceInProgress))
            .unwrap();
        let (done, applied) = oneshot::channel();
        events
            .send(GroupEvent::Revoked {
                partitions: vec![tp(1)],
                generation: Some(generation(4)),
                done: Some(done),
            })
            .unwrap();
        events.send(GroupEvent::Lost(vec![tp(0)])).unwrap();
        consumer.apply_group_events().await.unwrap();
        applied
            .await
            .expect("the group task is told the revocation is done");

        let log = log.lock().unwrap();
        assert_eq!(
            log.calls,
            [
                "assigned [TopicPartition { topic: \"orders\", partition: 0 }, TopicPartition { topic: \"orders\", partition: 1 }]",
                "revoked [TopicPartition { topic: \"orders\", partition: 1 }]",
                "lost [TopicPartition { topic: \"orders\", partition: 0 }] commit refused: true",
            ]
        );
        assert_eq!(log.revoke_generation, Some(4));
        assert_eq!(log.revoke_positions, [Some(9)], "positions stay readable");
        let refused = log.poll_in_listener.as_deref().unwrap_or_default();
        assert!(refused.contains("rebalance listener"), "{refused}");
        assert!(consumer.assignment().is_empty());
        assert!(consumer.revoking.is_none() && !consumer.in_listener);
        assert_eq!(
            consumer.rebalance_events(),
            [
                RebalanceEvent::Assigned(vec![tp(0), tp(1)]),
                RebalanceEvent::Revoked(vec![tp(1)]),
                RebalanceEvent::Lost(vec![tp(0)]),
            ]
        );
    }

    #[tokio::test]
    async fn a_listener_error_surfaces_after_the_change_is_applied() {
        let mut consumer = consumer().await;
        let (handle, events, _watch) = GroupHandle::detached();
        consumer.group = Some(handle);
        consumer
            .listener
            .set(Some(Box::new(Recorder(Arc::default(), true))));
        events.send(GroupEvent::Assigned(vec![tp(0)])).unwrap();
        let (done, applied) = oneshot::channel();
        events
            .send(GroupEvent::Revoked {
                partitions: vec![tp(0)],
                generation: None,
                done: Some(done),
            })
            .unwrap();
        let err = consumer.apply_group_events().await.unwrap_err();
        assert!(err.to_string().contains("the listener failed"), "{err}");
        applied.await.unwrap();
        assert!(consumer.assignment().is_empty());
        // The listener is still registered after failing.
        assert!(consumer.listener.is_set());
    }

    #[tokio::test]
    async fn a_fenced_static_member_fails_every_poll_with_a_clear_error() {
        let mut consumer = consumer().await;
        let (handle, events, _watch) = GroupHandle::detached();
        consumer.group = Some(handle);
        events.send(GroupEvent::Lost(vec![tp(0)])).unwrap();
        events
            .send(GroupEvent::Fatal(
                ApiKey::Heartbeat,
                ErrorCode::FencedInstanceId,
            ))
            .unwrap();
        for _ in 0..2 {
            let err = consumer.poll(Duration::from_millis(10)).await.unwrap_err();
            assert_eq!(err.code(), Some(ErrorCode::FencedInstanceId));
            assert!(err.to_string().contains("instance-7"), "{err}");
        }
        // Closing a fenced member is not an error.
        consumer.close().await.unwrap();
    }
}
