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
