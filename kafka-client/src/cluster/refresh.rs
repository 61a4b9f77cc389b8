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
mod tests {
    use super::*;

    const MAX_AGE: Duration = Duration::from_secs(300);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn state() -> RefreshState {
        // No jitter, so instants can be asserted exactly.
        RefreshState::new(
            MAX_AGE,
            ExponentialBackoff::new(ms(100), ms(1000)).without_jitter(),
        )
    }

    fn cluster() -> Arc<Cluster> {
        Arc::new(Cluster::default())
    }

    fn timeout() -> Error {
        Error::Timeout {
            what: "Metadata".into(),
            after: ms(30),
        }
    }

    #[test]
    fn first_refresh_is_due_at_once() {
        let s = state();
        assert_eq!(s.poll(Instant::now()), RefreshDecision::Start);
    }

    #[test]
    fn refreshes_when_metadata_max_age_elapses() {
        let mut s = state();
        let t0 = Instant::now();
        assert_eq!(s.in_flight_since(), None);
        let ticket = s.start(t0).unwrap();
        assert_eq!(s.poll(t0), RefreshDecision::InFlight);
        assert!(s.is_in_flight());
        assert_eq!(s.in_flight_since(), Some(t0));
        s.complete(ticket, t0, Ok(cluster()));
        assert!(!s.is_in_flight());
        assert_eq!(s.last_success(), Some(t0));
        assert_eq!(s.poll(t0 + ms(1)), RefreshDecision::WaitUntil(t0 + MAX_AGE));
        assert_eq!(s.poll(t0 + MAX_AGE), RefreshDecision::Start);
    }

    #[test]
    fn requests_wait_for_the_backoff_since_the_last_refresh() {
        let mut s = state();
        let t0 = Instant::now();
        let ticket = s.start(t0).unwrap();
        s.complete(ticket, t0, Ok(cluster()));
        let _waiter = s.request_refresh();
        assert!(s.is_requested());
        assert_eq!(
            s.poll(t0 + ms(10)),
            RefreshDecision::WaitUntil(t0 + ms(100))
        );
        assert_eq!(s.poll(t0 + ms(100)), RefreshDecision::Start);
    }

    #[test]
    fn a_refresh_for_new_topics_skips_the_backoff() {
        let mut s = state();
        let t0 = Instant::now();
        let ticket = s.start(t0).unwrap();
        s.complete(ticket, t0, Ok(cluster()));
        let _waiter = s.request_refresh_for_new_topics();
        assert_eq!(s.poll(t0 + ms(10)), RefreshDecision::Start);
    }

    /// Requested while the client's first refresh (without the topics) is out: the refresh
    /// after it goes at once, not a backoff later.
    #[test]
    fn new_topics_requested_during_a_refresh_skip_the_backoff_after_it() {
        let mut s = state();
        let t0 = Instant::now();
        let first = s.start(t0).unwrap();
        let _waiter = s.request_refresh_for_new_topics();
        s.complete(first, t0 + ms(1), Ok(cluster()));
        assert_eq!(s.poll(t0 + ms(1)), RefreshDecision::Start);
        // The one after that is rate-limited again.
        let second = s.start(t0 + ms(1)).unwrap();
        s.complete(second, t0 + ms(2), Ok(cluster()));
        let _again = s.request_refresh();
        assert!(matches!(s.poll(t0 + ms(3)), RefreshDecision::WaitUntil(_)));
    }

    #[test]
    fn new_topics_requested_during_a_failing_refresh_still_back_off() {
        let mut s = state();
        let t0 = Instant::now();
        let first = s.start(t0).unwrap();
        let _waiter = s.request_refresh_for_new_topics();
        s.complete(first, t0 + ms(1), Err(timeout()));
        assert!(matches!(s.poll(t0 + ms(2)), RefreshDecision::WaitUntil(_)));
    }

    #[test]
    fn zero_max_age_is_still_rate_limited() {
        let mut s = RefreshState::new(
            Duration::ZERO,
            ExponentialBackoff::new(ms(100), ms(1000)).without_jitter(),
        );
        let t0 = Instant::now();
        let ticket = s.start(t0).unwrap();
        s.complete(ticket, t0, Ok(cluster()));
        assert_eq!(s.poll(t0), RefreshDecision::WaitUntil(t0 + ms(100)));
    }

    #[test]
    fn failures_back_off_exponentially_and_success_resets() {
        let mut s = state();
        let mut now = Instant::now();
        for expected in [100, 200, 400, 800, 1000, 1000] {
            assert_eq!(s.poll(now), RefreshDecision::Start);
            let ticket = s.start(now).unwrap();
            s.complete(ticket, now, Err(timeout()));
            assert_eq!(s.poll(now), RefreshDecision::WaitUntil(now + ms(expected)));
            now += ms(expected);
        }
        assert_eq!(s.failures(), 6);
        assert_eq!(s.last_success(), None);

        let ticket = s.start(now).unwrap();
        s.complete(ticket, now, Ok(cluster()));
        assert_eq!(s.failures(), 0);
        let _waiter = s.request_refresh();
        assert_eq!(s.poll(now), RefreshDecision::WaitUntil(now + ms(100)));
    }

    #[test]
    fn n_waiters_share_one_refresh() {
        let mut s = state();
        let t0 = Instant::now();
        let waiters: Vec<_> = (0..10).map(|_| s.request_refresh()).collect();
        assert_eq!(s.poll(t0), RefreshDecision::Start);
        let ticket = s.start(t0).unwrap();
        assert!(s.start(t0).is_none(), "only one refresh in flight");
        assert!(!s.is_requested());
        assert!(waiters.iter().all(|w| w.try_outcome().is_none()));

        let view = cluster();
        s.complete(ticket, t0 + ms(5), Ok(view.clone()));
        for waiter in &waiters {
            let got = waiter.try_outcome().unwrap().unwrap();
            assert!(Arc::ptr_eq(&got, &view));
        }
        assert!(!s.is_requested(), "nothing left to refresh");
    }

    #[test]
    fn waiters_share_the_error() {
        let mut s = state();
        let t0 = Instant::now();
        let a = s.request_refresh();
        let b = s.request_refresh();
        let ticket = s.start(t0).unwrap();
        s.complete(ticket, t0, Err(timeout()));
        for waiter in [a, b] {
            let err = waiter.try_outcome().unwrap().unwrap_err();
            assert!(matches!(err, Error::Timeout { .. }));
        }
    }

    #[test]
    fn requests_during_a_refresh_wait_for_the_next_one() {
        let mut s = state();
        let t0 = Instant::now();
        let ticket = s.start(t0).unwrap();
        let joined = s.join_refresh();
        let next = s.request_refresh();
        assert_eq!(s.poll(t0), RefreshDecision::InFlight);

        let first = cluster();
        s.complete(ticket, t0, Ok(first.clone()));
        assert!(Arc::ptr_eq(&joined.try_outcome().unwrap().unwrap(), &first));
        assert!(next.try_outcome().is_none(), "R1 may predate the request");
        assert!(s.is_requested());
        assert_eq!(s.poll(t0), RefreshDecision::WaitUntil(t0 + ms(100)));

        let ticket = s.start(t0 + ms(100)).unwrap();
        let second = cluster();
        s.complete(ticket, t0 + ms(100), Ok(second.clone()));
        assert!(Arc::ptr_eq(&next.try_outcome().unwrap().unwrap(), &second));
    }

    #[test]
    fn join_without_a_refresh_in_flight_requests_one() {
        let mut s = state();
        let t0 = Instant::now();
        let ticket = s.start(t0).unwrap();
        s.complete(ticket, t0, Ok(cluster()));
        let waiter = s.join_refresh();
        assert!(s.is_requested());
        let ticket = s.start(t0 + ms(100)).unwrap();
        s.complete(ticket, t0 + ms(100), Ok(cluster()));
        assert!(waiter.try_outcome().is_some());
    }

    #[test]
    fn a_foreign_ticket_is_ignored() {
        let mut s = state();
        let mut other = state();
        let t0 = Instant::now();
        let _ours = s.start(t0).unwrap();
        let _first = other.start(t0).unwrap();
        // `other` has moved on to its second refresh; its ticket id matches nothing in `s`.
        other.in_flight = None;
        let theirs = other.start(t0).unwrap();
        s.complete(theirs, t0, Ok(cluster()));
        assert!(s.is_in_flight());
        assert_eq!(s.last_success(), None);
    }

    #[test]
    fn huge_max_age_means_idle_until_requested() {
        let mut s = RefreshState::new(Duration::MAX, ExponentialBackoff::new(ms(1), ms(1)));
        let t0 = Instant::now();
        let ticket = s.start(t0).unwrap();
        s.complete(ticket, t0, Ok(cluster()));
        assert_eq!(s.poll(t0 + ms(5)), RefreshDecision::Idle);
        let _waiter = s.request_refresh();
        assert_eq!(s.poll(t0 + ms(5)), RefreshDecision::Start);
    }

    #[test]
    fn from_config_uses_metadata_max_age_and_retry_backoff() {
        let config = ClientConfig {
            metadata_max_age: ms(1234),
            retry_backoff: ms(10),
            retry_backoff_max: ms(20),
            ..ClientConfig::default()
        };
        let s = RefreshState::from_config(&config);
        assert_eq!(s.max_age, ms(1234));
        assert_eq!((s.backoff.base, s.backoff.max), (ms(10), ms(20)));
    }

    #[tokio::test]
    async fn concurrent_waiters_coalesce_into_one_refresh() {
        let mut s = state();
        let tasks: Vec<_> = (0..16)
            .map(|_| tokio::spawn(s.request_refresh().wait()))
            .collect();
        tokio::task::yield_now().await;

        // The driver: exactly one refresh serves every waiter.
        let mut refreshes = 0;
        let view = cluster();
        let now = Instant::now();
        while s.poll(now) == RefreshDecision::Start {
            let ticket = s.start(now).unwrap();
            refreshes += 1;
            s.complete(ticket, now, Ok(view.clone()));
        }
        assert_eq!(refreshes, 1);
        for task in tasks {
            let got = task.await.unwrap().unwrap();
            assert!(Arc::ptr_eq(&got, &view));
        }
    }

    #[tokio::test]
    async fn waiters_see_closed_when_the_state_is_dropped() {
        let mut s = state();
        let pending = s.request_refresh();
        let _ticket = s.start(Instant::now()).unwrap();
        let queued = s.request_refresh();
        drop(s);
        assert!(matches!(pending.wait().await, Err(Error::Closed)));
        assert!(matches!(queued.wait().await, Err(Error::Closed)));
    }
}
