//! What both clients share for `consume`: counting what was read, and giving up when the topic
//! stops delivering.

use std::time::{Duration, Instant};

use crate::args::Args;
use crate::BoxError;

/// How long a consumer may go without a record before the run fails (the topic probably holds
/// fewer than `--records`).
pub const STALL: Duration = Duration::from_secs(30);

/// Records and value bytes read so far. Each client feeds it every record's value, so neither
/// can skip touching them.
pub struct Tally {
    want: u64,
    size: usize,
    pub records: u64,
    pub bytes: u64,
    /// Sum of each value's last byte: every value is `x`s, so this checks the data too.
    last_bytes: u64,
    last_progress: Instant,
    started: Instant,
    first: Option<Instant>,
}

impl Tally {
    pub fn new(args: &Args) -> Tally {
        Tally {
            want: args.records,
            size: args.size,
            records: 0,
            bytes: 0,
            last_bytes: 0,
            last_progress: Instant::now(),
            started: Instant::now(),
            first: None,
        }
    }

    /// Counts one record (ignored once `--records` are in): sums the value's length and reads
    /// its last byte, so the value's memory is touched, not just its length.
    #[inline]
    pub fn record(&mut self, value: Option<&[u8]>) {
        if self.records < self.want {
            self.records += 1;
            if let Some(v) = value {
                self.bytes += v.len() as u64;
                if let Some(&last) = v.last() {
                    self.last_bytes += u64::from(last);
                }
            }
        }
    }

    /// Whether every record is in.
    pub fn done(&self) -> bool {
        self.records >= self.want
    }

    /// Called after each poll: fails when nothing new came for [`STALL`].
    pub fn check_progress(&mut self, before: u64) -> Result<(), BoxError> {
        if self.records > before {
            self.last_progress = Instant::now();
            self.first.get_or_insert(self.last_progress);
        } else if self.last_progress.elapsed() > STALL {
            return Err(format!(
                "read {} of {} records, then nothing for {}s: does the topic hold {} records?",
                self.records,
                self.want,
                STALL.as_secs(),
                self.want
            )
            .into());
        }
        Ok(())
    }

    /// Tells stderr how long the first record took (connection, metadata, offset lookup,
    /// first Fetch) and how long the rest: the window's two parts.
    pub fn report_phases(&self) {
        if let Some(first) = self.first {
            eprintln!(
                "bench: first records after {:.1} ms, the rest in {:.1} ms",
                (first - self.started).as_secs_f64() * 1e3,
                first.elapsed().as_secs_f64() * 1e3
            );
        }
    }

    /// Fails unless every record was read with a value of `--size` bytes `x`.
    pub fn verify(&self) -> Result<(), BoxError> {
        let want_bytes = self.want * self.size as u64;
        let want_last = if self.size == 0 {
            0
        } else {
            self.want * u64::from(b'x')
        };
        if self.records != self.want || self.bytes != want_bytes || self.last_bytes != want_last {
            return Err(format!(
                "read {} records / {} value bytes / last-byte sum {}, expected {} / {want_bytes} / \
                 {want_last} (values of `x`s, as the bench writes them)",
                self.records, self.bytes, self.last_bytes, self.want
            )
            .into());
        }
        Ok(())
    }
}
