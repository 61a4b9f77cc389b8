//! What both clients share for `consume` (and `group`, whose members each keep a [`Tally`]):
//! checking and counting what was read, and giving up when the topic stops delivering.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::args::Args;
use crate::values::{key_index, stamp_of, Values};
use crate::BoxError;

/// How long a consumer may go without a record before the run fails (the topic probably holds
/// fewer than `--records`).
pub const STALL: Duration = Duration::from_secs(30);

/// What was read so far. Each client hands it every record's key and value: every key must
/// name a record of the run, arrive once, and carry the value written for it, so neither
/// client can skip touching a value.
pub struct Tally {
    want: u64,
    /// Shared by a group's members (the random pool is 16 MiB).
    values: Arc<Values>,
    pub records: u64,
    pub bytes: u64,
    /// One bit per record index: seen.
    seen: Vec<u64>,
    duplicates: u64,
    /// Records whose key is not `key-%012d` below `--records` (the warm-up record, or another
    /// run's).
    foreign: u64,
    wrong_values: u64,
    last_progress: Instant,
    started: Instant,
    first: Option<Instant>,
}

impl Tally {
    pub fn new(args: &Args, values: impl Into<Arc<Values>>) -> Tally {
        Tally {
            want: args.records,
            values: values.into(),
            records: 0,
            bytes: 0,
            seen: vec![0; args.records.div_ceil(64) as usize],
            duplicates: 0,
            foreign: 0,
            wrong_values: 0,
            last_progress: Instant::now(),
            started: Instant::now(),
            first: None,
        }
    }

    /// Checks and counts one record.
    #[inline]
    pub fn record(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) {
        let index = key.and_then(key_index).filter(|&i| i < self.want);
        let Some(i) = index else {
            self.foreign += 1;
            return;
        };
        let (word, bit) = ((i / 64) as usize, 1u64 << (i % 64));
        if self.seen[word] & bit != 0 {
            self.duplicates += 1;
            return;
        }
        self.seen[word] |= bit;
        self.records += 1;
        let value = value.unwrap_or_default();
        self.bytes += value.len() as u64;
        if value != self.values.value(i) {
            self.wrong_values += 1;
        }
    }

    /// Whether every record is in.
    pub fn done(&self) -> bool {
        self.records >= self.want
    }

    /// Called after each poll: true when these were the first records (the throughput window
    /// starts there); fails when nothing new came for [`STALL`].
    pub fn check_progress(&mut self, before: u64) -> Result<bool, BoxError> {
        if self.records > before {
            self.last_progress = Instant::now();
            let first = self.first.is_none();
            self.first.get_or_insert(self.last_progress);
            return Ok(first);
        }
        if self.last_progress.elapsed() > STALL {
            return Err(format!(
                "read {} of {} records, then nothing for {}s: does the topic hold {} records?",
                self.records,
                self.want,
                STALL.as_secs(),
                self.want
            )
            .into());
        }
        Ok(false)
    }

    /// Tells stderr how long the first record took (connection, metadata, offset lookup,
    /// first Fetch) and how long the rest.
    pub fn report_phases(&self) {
        if let Some(first) = self.first {
            eprintln!(
                "bench: first records after {:.1} ms, the rest in {:.1} ms ({} records of other runs skipped)",
                (first - self.started).as_secs_f64() * 1e3,
                first.elapsed().as_secs_f64() * 1e3,
                self.foreign
            );
        }
    }

    /// Fails unless every record was read once with the value written for it.
    pub fn verify(&self) -> Result<(), BoxError> {
        if self.records != self.want || self.duplicates != 0 || self.wrong_values != 0 {
            return Err(format!(
                "read {} of {} records, {} duplicates, {} with a value other than the one written",
                self.records, self.want, self.duplicates, self.wrong_values
            )
            .into());
        }
        Ok(())
    }

    /// For a group: fails unless the members, together, read every record exactly once (no
    /// key read by two members, none twice by one) with the value written for it.
    pub fn verify_members(members: &[Tally]) -> Result<(), BoxError> {
        let Some(first) = members.first() else {
            return Err("no members".into());
        };
        let mut union = vec![0u64; first.seen.len()];
        let (mut across, mut duplicates, mut wrong_values) = (0u64, 0, 0);
        for member in members {
            for (all, &mine) in union.iter_mut().zip(&member.seen) {
                across += u64::from((*all & mine).count_ones());
                *all |= mine;
            }
            duplicates += member.duplicates;
            wrong_values += member.wrong_values;
        }
        let read: u64 = union.iter().map(|w| u64::from(w.count_ones())).sum();
        if read != first.want || across != 0 || duplicates != 0 || wrong_values != 0 {
            return Err(format!(
                "the {} members read {read} of {} records; {across} read by more than one \
                 member, {duplicates} twice by the same member, {wrong_values} with a value \
                 other than the one written",
                members.len(),
                first.want
            )
            .into());
        }
        Ok(())
    }
}

/// The e2e workload's receiving side: each record's time from send to receipt, counted once
/// per key; fails when nothing new comes for [`STALL`].
pub struct Arrivals {
    clock: Instant,
    seen: Vec<bool>,
    pub samples: Vec<Duration>,
    last_progress: Instant,
}

impl Arrivals {
    /// For `records` records whose send times count from `clock`.
    pub fn new(clock: Instant, records: u64) -> Arrivals {
        Arrivals {
            clock,
            seen: vec![false; records as usize],
            samples: Vec::with_capacity(records as usize),
            last_progress: Instant::now(),
        }
    }

    /// Nanoseconds on the run's clock: what a receipt is stamped with.
    pub fn now(&self) -> u64 {
        self.clock.elapsed().as_nanos() as u64
    }

    /// One record received at `received` (from [`Arrivals::now`]).
    pub fn record(&mut self, key: Option<&[u8]>, value: Option<&[u8]>, received: u64) {
        self.last_progress = Instant::now();
        let (Some(i), Some(sent)) = (key.and_then(key_index), value.and_then(stamp_of)) else {
            return;
        };
        if let Some(seen) = self.seen.get_mut(i as usize) {
            if !std::mem::replace(seen, true) {
                self.samples
                    .push(Duration::from_nanos(received.saturating_sub(sent)));
            }
        }
    }

    /// Whether every record arrived.
    pub fn done(&self) -> bool {
        self.samples.len() == self.seen.len()
    }

    /// Fails when nothing arrived for [`STALL`].
    pub fn check_progress(&self) -> Result<(), BoxError> {
        if self.last_progress.elapsed() > STALL {
            return Err(format!(
                "e2e: {} of {} records, then nothing for {}s",
                self.samples.len(),
                self.seen.len(),
                STALL.as_secs()
            )
            .into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::record_key;
    use crate::values::ValueKind;

    fn tally(records: u64) -> Tally {
        let args = Args::parse(
            format!("consume --client ours --bootstrap h:1 --topic t --records {records} --size 8")
                .split_whitespace()
                .map(str::to_owned),
        )
        .unwrap();
        Tally::new(&args, Values::new(ValueKind::Random, 8))
    }

    #[test]
    fn every_key_once_with_its_value() {
        let values = Values::new(ValueKind::Random, 8);
        let mut t = tally(3);
        let mut key = Vec::new();
        for i in [2, 0, 1] {
            record_key(i, &mut key);
            t.record(Some(&key), Some(values.value(i)));
        }
        t.record(Some(b"key-warmup------"), Some(b"whatever"));
        assert!(t.done());
        t.verify().unwrap();
    }

    #[test]
    fn duplicates_losses_and_wrong_values_fail() {
        let values = Values::new(ValueKind::Random, 8);
        let mut key = Vec::new();
        let mut t = tally(2);
        record_key(0, &mut key);
        t.record(Some(&key), Some(values.value(0)));
        t.record(Some(&key), Some(values.value(0)));
        assert!(t
            .verify()
            .unwrap_err()
            .to_string()
            .contains("1 of 2 records, 1 duplicates"));
        record_key(1, &mut key);
        t.record(Some(&key), Some(values.value(0)));
        assert!(t
            .verify()
            .unwrap_err()
            .to_string()
            .contains("1 with a value"));
    }

    #[test]
    fn members_together_read_every_key_once() {
        let values = Arc::new(Values::new(ValueKind::Random, 8));
        let mut key = Vec::new();
        let mut read = |indexes: &[u64]| {
            let mut t = Tally::new(
                &Args::parse(
                    "group --client ours --bootstrap h:1 --topic t --records 4 --size 8 \
                     --partitions 3"
                        .split_whitespace()
                        .map(str::to_owned),
                )
                .unwrap(),
                values.clone(),
            );
            for &i in indexes {
                record_key(i, &mut key);
                t.record(Some(&key), Some(values.value(i)));
            }
            t
        };
        Tally::verify_members(&[read(&[0, 3]), read(&[1]), read(&[2])]).unwrap();
        let err = Tally::verify_members(&[read(&[0, 3]), read(&[1, 3]), read(&[2])])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("read 4 of 4 records; 1 read by more than one"),
            "{err}"
        );
        let err = Tally::verify_members(&[read(&[0, 3]), read(&[]), read(&[2])])
            .unwrap_err()
            .to_string();
        assert!(err.contains("read 3 of 4 records; 0 read"), "{err}");
        let err = Tally::verify_members(&[read(&[0, 3, 3]), read(&[1]), read(&[2])])
            .unwrap_err()
            .to_string();
        assert!(err.contains("1 twice by the same member"), "{err}");
    }
}
