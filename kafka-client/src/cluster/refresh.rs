//! When to refresh metadata, and who waits for it: a state machine with no I/O.
//!
//! The task that owns the connection to the cluster asks [`RefreshState::poll`] what to do at
//! `now`, calls [`RefreshState::start`] when told to and sends the Metadata request, then
//! reports the result with [`RefreshState::complete`]. Everyone else (a producer that hit
//! `NOT_LEADER_OR_FOLLOWER`, a consumer missing a partition leader) calls
//! [`RefreshState::request_refresh`] and awaits the [`RefreshWaiter`] it gets back.
//!
//! It decides:
//! - **when a refresh is due**: at once when there is no metadata yet or someone asked for
//!   one; otherwise when `metadata.max.age.ms` has passed since the last success;
//! - **how requests coalesce**: any number of requests made while no refresh is in flight
//!   share the next one, and all its waiters get the same outcome (one `Arc<Cluster>`, or one
//!   error). A hundred partitions losing their leader at once cause one Metadata request, not
//!   a hundred;
//! - **how fast it may go**: after any refresh the next waits `retry.backoff.ms`, growing
//!   exponentially with consecutive failures up to `retry.backoff.max.ms` (KIP-580, the Java
//!   client's `Metadata.timeToAllowUpdate`), so a broker answering errors is not hammered.
//!
//! The network glue lives elsewhere; this file is tested by passing instants by hand.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::backoff::{saturating_add, ExponentialBackoff};
use crate::cluster::metadata::Cluster;
use crate::config::ClientConfig;
use crate::error::Error;

/// What every waiter of one refresh gets: the merged cluster view, or the shared error.
pub type RefreshOutcome = Result<Arc<Cluster>, Error>;

type Slot = watch::Sender<Option<RefreshOutcome>>;

/// What the refreshing task should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Call [`RefreshState::start`] and send a Metadata request.
    Start,
    /// Nothing until this instant (or until a new request, which may move it earlier).
    WaitUntil(Instant),
    /// A refresh is in flight; wait for it to complete.
    InFlight,
    /// Nothing is ever due (`metadata.max.age.ms` too large to add to an `Instant`) until a
    /// refresh is requested.
    Idle,
}

/// Proof that a refresh was started, to hand back to [`RefreshState::complete`].
#[derive(Debug)]
#[must_use = "a started refresh must be completed, or its waiters wait forever"]
pub struct RefreshTicket {
    id: u64,
}

/// Waits for the outcome of one refresh. Dropping it is fine: the refresh still happens.
#[derive(Debug, Clone)]
pub struct RefreshWaiter {
    rx: watch::Receiver<Option<RefreshOutcome>>,
}

impl RefreshWaiter {
    /// Resolves with the refresh's outcome, or [`Error::Closed`] if the state machine was
    /// dropped first (the client shut down).
    pub async fn wait(mut self) -> RefreshOutcome {
        match self.rx.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone().expect("wait_for returned a Some"),
            Err(_) => Err(Error::Closed),
        }
    }

    /// The outcome, if the refresh has completed.
    pub fn try_outcome(&self) -> Option<RefreshOutcome> {
        self.rx.borrow().clone()
    }
}

#[derive(Debug)]
struct InFlight {
    id: u64,
    started_at: Instant,
    slot: Slot,
}

/// The metadata refresh schedule and its waiters. See the module docs.
#[derive(Debug)]
pub struct RefreshState {
    max_age: Duration,
    backoff: ExponentialBackoff,
    last_success: Option<Instant>,
    /// No refresh may start before this (backoff after the last completed one).
    next_allowed: Option<Instant>,
    /// Consecutive failed refreshes.
    failures: u32,
    /// Waiters for the next refresh to start; `Some` means a refresh was requested.
    pending: Option<Slot>,
    /// The pending refresh asks about topics no refresh asked about before: the backoff after
    /// the refresh in flight (which went out without them) must not hold it back.
    pending_for_new_topics: bool,
    in_flight: Option<InFlight>,
    next_id: u64,
}

impl RefreshState {
    /// A state with no metadata yet (so a refresh is due at once), refreshing at least every
    /// `max_age` and backing off by `backoff` between refreshes.
    pub fn new(max_age: Duration, backoff: ExponentialBackoff) -> Self {
        RefreshState {
            max_age,
            backoff,
            last_success: None,
            next_allowed: None,
            failures: 0,
            pending: None,
            pending_for_new_topics: false,
            in_flight: None,
            next_id: 0,
        }
    }

    /// `metadata.max.age.ms`, and `retry.backoff.ms` up to `retry.backoff.max.ms`.
    pub fn from_config(config: &ClientConfig) -> Self {
        Self::new(config.metadata_max_age, ExponentialBackoff::retry(config))
    }

    /// Asks for a refresh that *starts after this call*, and returns a waiter for it.
    ///
    /// All requests made before that refresh starts share it. A request made while another
    /// refresh is in flight does not join that one, because its answer may predate the news
    /// that prompted the request:
    ///
    /// 1. refresh R1 is sent; the broker answering it builds its response;
    /// 2. partition p's leader moves from broker 1 to broker 2;
    /// 3. a produce to broker 1 fails with `NOT_LEADER_OR_FOLLOWER`; the producer requests a
    ///    refresh;
    /// 4. R1's response arrives, still naming broker 1.
    ///
    /// Had the producer joined R1, it would wake with the old leader and fail again. It waits
    /// for R2 instead. Use [`join_refresh`](Self::join_refresh) when any fresh-ish view will
    /// do.
    pub fn request_refresh(&mut self) -> RefreshWaiter {
        let slot = self.pending.get_or_insert_with(|| watch::Sender::new(None));
        RefreshWaiter {
            rx: slot.subscribe(),
        }
    }

    /// [`request_refresh`](Self::request_refresh) for topics the refreshes did not ask about
    /// until now: it is not held back by the backoff after the last refresh, which may have
    /// gone out without them a moment ago (Java's `requestUpdateForNewTopics`).
    ///
    /// Also when a refresh is in flight: its completion then does not impose the backoff on
    /// this one (without that, a consumer assigned right after start-up waited 100 ms for
    /// its first records whenever the client's first refresh was still out).
    pub fn request_refresh_for_new_topics(&mut self) -> RefreshWaiter {
        self.next_allowed = None;
        self.pending_for_new_topics = true;
        self.request_refresh()
    }

    /// Joins the refresh in flight if there is one, else requests one like
    /// [`request_refresh`](Self::request_refresh). For callers that only need a view newer
    /// than none (e.g. the first lookup of a topic), not one newer than an error they saw.
    pub fn join_refresh(&mut self) -> RefreshWaiter {
        match &self.in_flight {
            Some(in_flight) => RefreshWaiter {
                rx: in_flight.slot.subscribe(),
            },
            None => self.request_refresh(),
        }
    }

    /// What to do at `now`. Pure: calling it twice gives the same answer.
    pub fn poll(&self, now: Instant) -> RefreshDecision {
        if self.in_flight.is_some() {
            return RefreshDecision::InFlight;
        }
        let due = if self.pending.is_some() || self.last_success.is_none() {
            now
        } else {
            match self
                .last_success
                .and_then(|at| at.checked_add(self.max_age))
            {
                Some(expiry) => expiry,
                None => return RefreshDecision::Idle,
            }
        };
        // The backoff holds back every refresh, due to age or to a request, as in Java.
        let due = self.next_allowed.map_or(due, |allowed| due.max(allowed));
        if due <= now {
            RefreshDecision::Start
        } else {
            RefreshDecision::WaitUntil(due)
        }
    }

    /// Marks a refresh as in flight and takes over the pending requests as its waiters.
    /// `None` when one is already in flight (there is never more than one).
    ///
    /// Normally called when [`poll`](Self::poll) says [`RefreshDecision::Start`]; calling it
    /// earlier forces a refresh through the backoff.
    pub fn start(&mut self, now: Instant) -> Option<RefreshTicket> {
        if self.in_flight.is_some() {
            return None;
        }
        let slot = self
            .pending
            .take()
            .unwrap_or_else(|| watch::Sender::new(None));
        self.pending_for_new_topics = false;
        self.next_id += 1;
        self.in_flight = Some(InFlight {
            id: self.next_id,
            started_at: now,
            slot,
        });
        Some(RefreshTicket { id: self.next_id })
    }

    /// Records how the refresh of `ticket` ended at `now`, schedules the next one, and wakes
    /// its waiters with `outcome`. A ticket that is not the one in flight is ignored.
    pub fn complete(&mut self, ticket: RefreshTicket, now: Instant, outcome: RefreshOutcome) {
        let Some(in_flight) = self.in_flight.take_if(|f| f.id == ticket.id) else {
            return;
        };
        match &outcome {
            Ok(_) => {
                self.failures = 0;
                self.last_success = Some(now);
            }
            Err(_) => self.failures = self.failures.saturating_add(1),
        }
        // After a success, or the first failure, wait the base backoff; it doubles with each
        // further consecutive failure (Java: `backoff(attempts - 1)`).
        let delay = self.backoff.delay(self.failures.saturating_sub(1));
        // A failure still backs off: the broker may be down for the new topics too.
        self.next_allowed = if self.pending_for_new_topics && outcome.is_ok() {
            None
        } else {
            Some(saturating_add(now, delay))
        };
        // `send_replace` stores the value even when no waiter is left.
        in_flight.slot.send_replace(Some(outcome));
    }

    /// Whether a refresh is in flight.
    pub fn is_in_flight(&self) -> bool {
        self.in_flight.is_some()
    }

    /// When the refresh in flight started, so the driver can give up on one that hangs (and
    /// [`complete`](Self::complete) it with a timeout error).
    pub fn in_flight_since(&self) -> Option<Instant> {
        self.in_flight.as_ref().map(|f| f.started_at)
    }

    /// Whether a refresh was requested and has not started yet.
    pub fn is_requested(&self) -> bool {
        self.pending.is_some()
    }

    /// Consecutive failed refreshes since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// When the last successful refresh completed.
    pub fn last_success(&self) -> Option<Instant> {
        self.last_success
    }
}

#[cfg(test)]
mod tests;
