//! The demultiplexer of one connection: who waits for which correlation id, and whether the
//! connection is poisoned. The callers register here, the reader task routes here, and the first
//! failure is kept here and handed to every pending and later request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use kafkito_protocol::frame;
use kafkito_protocol::DecodeError;
use tokio::sync::{oneshot, OwnedSemaphorePermit};
use tokio::task::AbortHandle;
use tracing::{debug, info, trace, warn};

use crate::error::{Error, Result};
use crate::metrics::ConnectionSensors;

/// A registered request waiting for its response.
pub(super) struct Pending {
    pub(super) reply: oneshot::Sender<Result<Bytes>>,
    /// Released when the response arrives (or the connection dies), not when the caller
    /// gives up: the request is still on the broker until then. `None` for the
    /// re-authentication's own requests.
    pub(super) _slot: Option<OwnedSemaphorePermit>,
}

/// State shared by the callers and the two tasks: who waits for which correlation id, and
/// whether the connection is poisoned. Its lock is never held across an `.await`.
pub(super) struct Demux {
    pub(super) broker: String,
    pub(super) state: Mutex<DemuxState>,
    /// The client's connection metrics: frames and bytes each way, and this connection's
    /// close (counted once, when it is first poisoned or shut).
    pub(super) sensors: Arc<ConnectionSensors>,
}

#[derive(Default)]
pub(super) struct DemuxState {
    pub(super) pending: HashMap<i32, Pending>,
    pub(super) poisoned: Option<Error>,
    pub(super) tasks: Vec<AbortHandle>,
    /// Responses routed so far.
    pub(super) responses: u64,
    /// Set when a handshake without SASL ended after this many responses: an EOF right after
    /// it suggests a SASL listener.
    pub(super) handshake_without_sasl: Option<u64>,
}

impl Demux {
    pub(super) fn lock(&self) -> MutexGuard<'_, DemuxState> {
        // Nothing panics while holding the lock; recover the state if something ever did.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn set_tasks(&self, tasks: [AbortHandle; 2]) {
        let mut state = self.lock();
        if state.poisoned.is_some() {
            // A task failed before we could record it: stop the other one now.
            tasks.iter().for_each(AbortHandle::abort);
        } else {
            state.tasks.extend(tasks);
        }
    }

    /// Fails if the connection is poisoned.
    pub(super) fn check(&self) -> Result<()> {
        match &self.lock().poisoned {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// The poison error, or a generic close if there is none (should not happen).
    pub(super) fn failure(&self) -> Error {
        self.lock()
            .poisoned
            .clone()
            .unwrap_or_else(|| Error::ConnectionClosed {
                broker: self.broker.clone(),
                mid_frame: false,
            })
    }

    pub(super) fn register(&self, correlation_id: i32, pending: Pending) -> Result<()> {
        let mut state = self.lock();
        if let Some(error) = &state.poisoned {
            return Err(error.clone());
        }
        state.pending.insert(correlation_id, pending);
        Ok(())
    }

    /// Hands a response frame to whoever waits for it.
    pub(super) fn route(&self, frame: Bytes) -> Result<()> {
        let correlation_id =
            frame::peek_correlation_id(&frame).map_err(|source| Error::Malformed {
                broker: self.broker.clone(),
                source,
                hint: None,
            })?;
        // The frame without its 4-byte size prefix, which was read too.
        self.sensors.responses.add(1);
        self.sensors.bytes_in.add(frame.len() as u64 + 4);
        let pending = {
            let mut state = self.lock();
            state.responses += 1;
            state.pending.remove(&correlation_id)
        };
        match pending {
            Some(pending) => {
                if pending.reply.send(Ok(frame)).is_err() {
                    trace!(
                        correlation_id,
                        "response for a caller that went away dropped"
                    );
                }
            }
            // A request stays registered until its response comes or the connection dies
            // (a caller that gives up leaves its entry behind), so an unknown id was never
            // issued or is a second answer: the peer is broken. Fail now, as Java does, rather
            // than let the real request wait out its timeout.
            None => {
                warn!(correlation_id, "response with an unknown correlation id");
                return Err(Error::Malformed {
                    broker: self.broker.clone(),
                    source: DecodeError::UnexpectedCorrelationId { correlation_id },
                    hint: None,
                });
            }
        }
        Ok(())
    }

    /// Poisons the connection with `error` after a failure; returns the error that poisoned
    /// it (an earlier one if it already was).
    pub(super) fn poison(&self, error: Error) -> Error {
        self.fail(error, None)
    }

    /// Closes the connection on purpose (dropped, closed by the client).
    pub(super) fn shut(&self, error: Error, why: &'static str) {
        self.fail(error, Some(why));
    }

    pub(super) fn fail(&self, error: Error, closed_because: Option<&'static str>) -> Error {
        let (pending, tasks) = {
            let mut state = self.lock();
            if let Some(first) = &state.poisoned {
                return first.clone();
            }
            state.poisoned = Some(error.clone());
            self.sensors.closed.add(1);
            (
                std::mem::take(&mut state.pending),
                std::mem::take(&mut state.tasks),
            )
        };
        let in_flight = pending.len();
        match closed_because {
            Some(why) => {
                debug!(broker = %self.broker, in_flight, reason = why, "connection closed")
            }
            None if matches!(error, Error::Malformed { .. }) => {
                warn!(broker = %self.broker, in_flight, reason = %error, "connection poisoned")
            }
            None => info!(broker = %self.broker, in_flight, reason = %error, "connection poisoned"),
        }
        for pending in pending.into_values() {
            let _ = pending.reply.send(Err(error.clone()));
        }
        // Aborting closes the socket once both halves are dropped. If called from one of the
        // tasks, that task stops at its next `.await`.
        for task in tasks {
            task.abort();
        }
        error
    }
}
