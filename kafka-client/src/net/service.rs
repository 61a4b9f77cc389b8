//! A [`Connection`] as a [`tower::Service`], so that generic middleware can wrap it.
//!
//! **What is a layer and what is not.** Timeout, in-flight limit and tracing are *not* tower
//! layers here: they are built into [`Connection`] because each needs its internals. An overdue
//! response must poison the connection (a `tower::timeout::Timeout` would only drop the future
//! and leave a stalled socket in the pool); the in-flight limit must hold a slot until the
//! *broker* answers, not until the caller gives up (a `ConcurrencyLimit` releases on drop); and
//! the request span needs the correlation id, assigned inside. Wrapping them again would gain
//! nothing. What tower *does* give is composition by the layers above one connection: a retry
//! policy for idempotent lookups (Metadata, FindCoordinator, ListOffsets, OffsetFetch), load
//! shedding, rate limits, or a `Buffer` in front of a connection shared by many tasks.
//!
//! **Which requests.** `Connection` implements `Service<R>` for every request type `R`: the
//! response type is `R::Response`, so a `Service<MetadataRequest>` stays typed end to end with
//! no boxed request enum to match on. The version is the highest both sides speak
//! ([`Connection::send`]). [`poll_ready`](tower::Service::poll_ready) fails at once on a poisoned connection, so a
//! balancer or pool sees a dead connection before it sends; back-pressure from
//! `max.in.flight.requests.per.connection` is applied inside the returned future.
//!
//! ```no_run
//! # async fn demo(connection: kafkito::net::Connection) -> kafkito::Result<()> {
//! use kafkito::protocol::messages::MetadataRequest;
//! use tower::Service;
//!
//! let mut service = connection.clone();
//! std::future::poll_fn(|cx| Service::<MetadataRequest>::poll_ready(&mut service, cx)).await?;
//! // `Service::call`, not the inherent `Connection::call`, which takes a version.
//! let metadata = Service::call(&mut service, MetadataRequest::default()).await?;
//! # drop(metadata);
//! # Ok(()) }
//! ```

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use kafkito_protocol::messages::Request;

use crate::error::{Error, Result};
use crate::net::connection::Connection;

impl<R> tower::Service<R> for Connection
where
    R: Request + Send + Sync + 'static,
    R::Response: Send + 'static,
{
    type Response = R::Response;
    type Error = Error;
    type Future = BoxFuture<'static, Result<R::Response>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(match self.poisoned_by() {
            Some(error) => Err(error),
            None => Ok(()),
        })
    }

    fn call(&mut self, request: R) -> Self::Future {
        let connection = self.clone();
        Box::pin(async move { connection.send(&request).await })
    }
}
