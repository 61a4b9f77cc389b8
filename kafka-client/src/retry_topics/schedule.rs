//! When and where a failed record goes next, as plain data: the retry topics' names, the
//! delay before each retry ([`Backoff`]), and the route of a failure ([`route_failure`]). The
//! stage tasks ask these functions and do the I/O.

use std::time::Duration;

use crate::error::{Error, Result};

/// The topic of the `n`-th retry of records of `topic`: `<topic>-retry-<n>`, `n` from 1.
///
/// ```
/// use kafkito::retry_topics::{dead_letter_topic, retry_topic};
///
/// assert_eq!(retry_topic("orders", 2), "orders-retry-2");
/// assert_eq!(dead_letter_topic("orders"), "orders-dlt");
/// ```
pub fn retry_topic(topic: &str, n: u32) -> String {
    format!("{topic}-retry-{n}")
}

/// The dead-letter topic of `topic`: `<topic>-dlt`.
pub fn dead_letter_topic(topic: &str) -> String {
    format!("{topic}-dlt")
}

/// The delays before each retry: the first before retry 1, the second before retry 2, and
/// so on, the last one repeating for every retry after it.
///
/// ```
/// use std::time::Duration;
/// use kafkito::retry_topics::Backoff;
///
/// let backoff: Backoff = "100,1000".parse()?;
/// assert_eq!(backoff.delay(1), Duration::from_millis(100));
/// assert_eq!(backoff.delay(2), Duration::from_millis(1000));
/// assert_eq!(backoff.delay(7), Duration::from_millis(1000)); // the last repeats
/// assert!("100,x".parse::<Backoff>().is_err());
/// # Ok::<(), kafkito::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    delays: Vec<Duration>,
}

impl Backoff {
    /// A backoff of these delays (at least one).
    pub fn new(delays: impl IntoIterator<Item = Duration>) -> Result<Backoff> {
        let delays: Vec<Duration> = delays.into_iter().collect();
        if delays.is_empty() {
            return Err(Error::config("backoff", "needs at least one delay"));
        }
        Ok(Backoff { delays })
    }

    /// The same delay before every retry.
    pub fn fixed(delay: Duration) -> Backoff {
        Backoff {
            delays: vec![delay],
        }
    }

    /// The delay before retry `n` (from 1; 0 is read as 1).
    pub fn delay(&self, n: u32) -> Duration {
        let index = (n.max(1) - 1) as usize;
        self.delays[index.min(self.delays.len() - 1)]
    }

    /// The delays before retries 1 to `retries`, added up: how long in-place retries of one
    /// record wait in all.
    pub fn total(&self, retries: u32) -> Duration {
        (1..=retries).map(|n| self.delay(n)).sum()
    }
}

impl Default for Backoff {
    /// 200 ms before every retry.
    fn default() -> Self {
        Backoff::fixed(Duration::from_millis(200))
    }
}

impl std::str::FromStr for Backoff {
    type Err = Error;

    /// `MS[,MS...]`: milliseconds, comma-separated (spaces around a number allowed).
    fn from_str(s: &str) -> Result<Backoff> {
        let delays = s
            .split(',')
            .map(|part| {
                part.trim()
                    .parse::<u64>()
                    .map(Duration::from_millis)
                    .map_err(|_| {
                        Error::config(
                            "backoff",
                            format!("`{s}`: `{}` is not a number of milliseconds", part.trim()),
                        )
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Backoff::new(delays)
    }
}

/// Where a record goes after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// To the retry topic of retry `retry` (`<topic>-retry-<retry>`), to be tried again at
    /// `due_ms` (milliseconds since the epoch).
    Retry {
        /// Which retry this will be (1 for the first).
        retry: u32,
        /// When it may be tried, in milliseconds since the epoch.
        due_ms: i64,
    },
    /// To the dead-letter topic: no attempt is left.
    DeadLetter,
}

/// The route of a record after its `attempts_made`-th attempt failed (the first try counts),
/// when `max_attempts` are allowed in all, at `now_ms`.
///
/// ```
/// use std::time::Duration;
/// use kafkito::retry_topics::{route_failure, Backoff, Route};
///
/// let backoff = Backoff::fixed(Duration::from_millis(200));
/// assert_eq!(route_failure(1, 3, &backoff, 1_000), Route::Retry { retry: 1, due_ms: 1_200 });
/// assert_eq!(route_failure(3, 3, &backoff, 1_000), Route::DeadLetter);
/// ```
pub fn route_failure(
    attempts_made: u32,
    max_attempts: u32,
    backoff: &Backoff,
    now_ms: i64,
) -> Route {
    if attempts_made >= max_attempts {
        return Route::DeadLetter;
    }
    let retry = attempts_made;
    let delay = i64::try_from(backoff.delay(retry).as_millis()).unwrap_or(i64::MAX);
    Route::Retry {
        retry,
        due_ms: now_ms.saturating_add(delay),
    }
}

/// How long until `due_ms` at `now_ms`; `None` when it is due.
///
/// ```
/// use std::time::Duration;
/// use kafkito::retry_topics::time_until;
///
/// assert_eq!(time_until(1_250, 1_000), Some(Duration::from_millis(250)));
/// assert_eq!(time_until(1_000, 1_000), None);
/// ```
pub fn time_until(due_ms: i64, now_ms: i64) -> Option<Duration> {
    let left = due_ms.saturating_sub(now_ms);
    (left > 0).then(|| Duration::from_millis(left as u64))
}

/// Milliseconds since the epoch now (the clock Kafka timestamps use).
///
/// ```
/// assert!(kafkito::retry_topics::now_ms() > 1_600_000_000_000);
/// ```
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_lists_parse_and_the_last_delay_repeats() {
        let backoff: Backoff = " 10, 20 ,30".parse().unwrap();
        let delays: Vec<u128> = (1..=5).map(|n| backoff.delay(n).as_millis()).collect();
        assert_eq!(delays, [10, 20, 30, 30, 30]);
        assert_eq!(backoff.delay(0), Duration::from_millis(10));
        assert_eq!(backoff.total(4), Duration::from_millis(90));
        assert_eq!(backoff.total(0), Duration::ZERO);
    }

    #[test]
    fn bad_backoff_lists_are_typed_errors_naming_the_part() {
        for bad in ["", "1,,2", "-5", "1.5", "ms"] {
            match bad.parse::<Backoff>() {
                Err(Error::Config { key, reason }) => {
                    assert_eq!(key, "backoff");
                    assert!(reason.contains(bad), "{reason}");
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        assert!(Backoff::new([]).is_err());
    }

    #[test]
    fn each_failure_goes_to_the_next_retry_topic_until_none_is_left() {
        let backoff: Backoff = "100,500".parse().unwrap();
        assert_eq!(
            route_failure(1, 4, &backoff, 10_000),
            Route::Retry {
                retry: 1,
                due_ms: 10_100
            }
        );
        assert_eq!(
            route_failure(2, 4, &backoff, 10_000),
            Route::Retry {
                retry: 2,
                due_ms: 10_500
            }
        );
        assert_eq!(
            route_failure(3, 4, &backoff, 10_000),
            Route::Retry {
                retry: 3,
                due_ms: 10_500
            }
        );
        assert_eq!(route_failure(4, 4, &backoff, 10_000), Route::DeadLetter);
        // One attempt in all: the first failure is final.
        assert_eq!(route_failure(1, 1, &backoff, 0), Route::DeadLetter);
    }

    #[test]
    fn due_times_count_down_and_saturate() {
        assert_eq!(time_until(1_500, 1_000), Some(Duration::from_millis(500)));
        assert_eq!(time_until(1_000, 1_000), None);
        assert_eq!(time_until(900, 1_000), None);
        assert_eq!(time_until(i64::MIN, i64::MAX), None);
        let backoff = Backoff::fixed(Duration::MAX);
        assert_eq!(
            route_failure(1, 2, &backoff, i64::MAX - 1),
            Route::Retry {
                retry: 1,
                due_ms: i64::MAX
            }
        );
    }

    #[test]
    fn topic_names() {
        assert_eq!(retry_topic("a.b", 1), "a.b-retry-1");
        assert_eq!(dead_letter_topic("a.b"), "a.b-dlt");
    }
}
