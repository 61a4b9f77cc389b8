//! Clocks for the measured window (wall time, this process's CPU, the broker's CPU), latency
//! percentiles, and the one-line JSON report.

use std::time::{Duration, Instant};

use crate::args::Args;

/// getrusage(2) of this whole process (`RUSAGE_SELF`): librdkafka's own threads and Tokio's
/// workers are all counted.
fn rusage() -> libc::rusage {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a `struct rusage` into the pointer it is given, which points to
    // enough (zeroed) memory for one; RUSAGE_SELF is always a valid `who`.
    unsafe {
        let rc = libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        assert_eq!(rc, 0, "getrusage(RUSAGE_SELF) failed");
        usage.assume_init()
    }
}

/// CPU time (user + system) used so far by every thread of this process.
pub fn process_cpu() -> Duration {
    let usage = rusage();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// The most memory this process has held resident so far, in MiB (Linux reports KiB).
pub fn peak_rss_mib() -> f64 {
    rusage().ru_maxrss as f64 / 1024.0
}

/// CPU time (user + system) used so far by process `pid`, from `/proc/PID/stat`; `None` when
/// it cannot be read (not Linux, no such process).
pub fn pid_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces: count fields from
    // the last ')'. After it come field 3 (state) onwards, so utime (14) and stime (15) are the
    // 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks <= 0 {
        return None;
    }
    let ticks = ticks as u64;
    let total = utime + stime;
    Some(
        Duration::from_secs(total / ticks)
            + Duration::from_nanos(total % ticks * 1_000_000_000 / ticks),
    )
}

/// The measured window: started just before the first measured record, stopped once the last
/// one is acknowledged. A consumer's window is moved to its first records by
/// [`Window::mark_first`], so that connecting and the first fetch are reported apart.
pub struct Window {
    start: Instant,
    cpu: Duration,
    broker: Option<(u32, Duration)>,
    /// When the first records arrived, if marked (the window's start stays for reporting).
    first: Option<Instant>,
}

/// What a [`Window`] measured.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub wall: Duration,
    pub cpu: Duration,
    pub broker_cpu: Option<Duration>,
    /// From the window's start to the first records (consume only).
    pub first_record: Option<Duration>,
}

impl Window {
    pub fn start(broker_pid: Option<u32>) -> Window {
        let broker = broker_pid.and_then(|pid| pid_cpu(pid).map(|cpu| (pid, cpu)));
        if let (Some(pid), None) = (broker_pid, broker) {
            eprintln!("bench: cannot read /proc/{pid}/stat: broker CPU will be null");
        }
        Window {
            cpu: process_cpu(),
            broker,
            first: None,
            // Last, so that reading the clocks is outside the window.
            start: Instant::now(),
        }
    }

    /// The first records are in: the throughput window (wall time, CPU, broker CPU) starts
    /// again here. Only the first call counts.
    pub fn mark_first(&mut self) {
        if self.first.is_some() {
            return;
        }
        let now = Instant::now();
        self.first = Some(now);
        self.cpu = process_cpu();
        if let Some((pid, before)) = &mut self.broker {
            *before = pid_cpu(*pid).unwrap_or(*before);
        }
    }

    /// Stops the window now.
    pub fn stop(self) -> Measured {
        self.stop_at(Instant::now())
    }

    /// Stops the window's wall clock at `end` (e.g. when the last delivery report came, taken
    /// inside the report); the CPU clocks stop now.
    pub fn stop_at(self, end: Instant) -> Measured {
        let from = self.first.unwrap_or(self.start);
        let wall = end.saturating_duration_since(from);
        let cpu = process_cpu().saturating_sub(self.cpu);
        let broker_cpu = self
            .broker
            .and_then(|(pid, before)| pid_cpu(pid).map(|after| after.saturating_sub(before)));
        Measured {
            wall,
            cpu,
            broker_cpu,
            first_record: self.first.map(|first| first - self.start),
        }
    }
}

/// The `p`-th percentile (0 < p <= 100) of `sorted` by the nearest-rank method.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    assert!(!sorted.is_empty(), "percentile of no samples");
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Latency percentiles, in microseconds.
#[derive(Debug, Clone, Copy)]
pub struct Latencies {
    pub p50_us: f64,
    pub p99_us: f64,
}

impl Latencies {
    pub fn of(mut samples: Vec<Duration>) -> Latencies {
        samples.sort_unstable();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        Latencies {
            p50_us: us(percentile(&samples, 50.0)),
            p99_us: us(percentile(&samples, 99.0)),
        }
    }
}

/// Formats the one JSON line the scripts read. Keys are fixed (the group workload adds
/// `members` at the end); numbers that were not measured are `null`.
pub fn report(args: &Args, measured: Measured, latencies: Option<Latencies>) -> String {
    let records = args.records as f64;
    let seconds = measured.wall.as_secs_f64();
    let records_per_sec = records / seconds;
    // As Kafka's ProducerPerformance: record (value) bytes, in MiB.
    let mb_per_sec = records_per_sec * args.size as f64 / (1024.0 * 1024.0);
    let cpu_us_per_record = measured.cpu.as_secs_f64() * 1e6 / records;
    let opt = |v: Option<f64>| v.map_or_else(|| "null".to_owned(), |v| format!("{v:.3}"));
    format!(
        concat!(
            "{{\"client\":\"{}\",\"workload\":\"{}\",\"records\":{},\"seconds\":{:.6},",
            "\"records_per_sec\":{:.1},\"mb_per_sec\":{:.3},\"cpu_us_per_record\":{:.3},",
            "\"p50_us\":{},\"p99_us\":{},\"broker_cpu_us_per_record\":{},",
            "\"peak_rss_mib\":{:.1},\"first_record_ms\":{},\"values\":\"{}\",\"tasks\":{}{}}}"
        ),
        args.client.name(),
        args.workload.name(),
        args.records,
        seconds,
        records_per_sec,
        mb_per_sec,
        cpu_us_per_record,
        opt(latencies.map(|l| l.p50_us)),
        opt(latencies.map(|l| l.p99_us)),
        opt(measured
            .broker_cpu
            .map(|cpu| cpu.as_secs_f64() * 1e6 / records)),
        peak_rss_mib(),
        opt(measured.first_record.map(|d| d.as_secs_f64() * 1e3)),
        args.values,
        args.tasks,
        match args.workload {
            crate::args::Workload::Group => format!(",\"members\":{}", args.members),
            _ => String::new(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(percentile(&samples, 50.0), Duration::from_micros(50));
        assert_eq!(percentile(&samples, 99.0), Duration::from_micros(99));
        assert_eq!(percentile(&samples, 100.0), Duration::from_micros(100));
        let one = [Duration::from_micros(7)];
        assert_eq!(percentile(&one, 50.0), Duration::from_micros(7));
        assert_eq!(percentile(&one, 99.0), Duration::from_micros(7));
    }

    #[test]
    fn process_cpu_moves_forward() {
        let before = process_cpu();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(process_cpu() > before);
    }

    #[test]
    fn reads_own_cpu_from_proc() {
        assert!(pid_cpu(std::process::id()).is_some());
        assert!(pid_cpu(u32::MAX).is_none());
    }

    #[test]
    fn report_is_one_json_line_with_nulls() {
        let args = crate::args::Args::parse(
            "produce --client rdkafka --bootstrap h:1 --topic t --records 1000 --size 100"
                .split_whitespace()
                .map(str::to_owned),
        )
        .unwrap();
        let line = report(
            &args,
            Measured {
                wall: Duration::from_millis(500),
                cpu: Duration::from_millis(250),
                broker_cpu: None,
                first_record: None,
            },
            None,
        );
        let rss = format!("{:.1}", peak_rss_mib());
        assert_eq!(
            line,
            format!(
                "{{\"client\":\"rdkafka\",\"workload\":\"produce\",\"records\":1000,\
                 \"seconds\":0.500000,\"records_per_sec\":2000.0,\"mb_per_sec\":0.191,\
                 \"cpu_us_per_record\":250.000,\"p50_us\":null,\"p99_us\":null,\
                 \"broker_cpu_us_per_record\":null,\"peak_rss_mib\":{rss},\
                 \"first_record_ms\":null,\"values\":\"random\",\"tasks\":1}}"
            )
        );
    }

    #[test]
    fn a_group_line_ends_with_its_members() {
        let args = crate::args::Args::parse(
            "group --client ours --bootstrap h:1 --topic t --records 10 --partitions 8"
                .split_whitespace()
                .map(str::to_owned),
        )
        .unwrap();
        let measured = Measured {
            wall: Duration::from_millis(1),
            cpu: Duration::ZERO,
            broker_cpu: None,
            first_record: Some(Duration::from_millis(3)),
        };
        let line = report(&args, measured, None);
        assert!(
            line.starts_with("{\"client\":\"ours\",\"workload\":\"group\",\"records\":10,")
                && line.ends_with(
                    "\"first_record_ms\":3.000,\"values\":\"random\",\"tasks\":1,\"members\":3}"
                ),
            "{line}"
        );
    }

    #[test]
    fn a_consumer_window_starts_at_the_first_records() {
        let mut window = Window::start(None);
        let busy = |n: u64| {
            let mut x = 0u64;
            for i in 0..n {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
            std::hint::black_box(x);
        };
        busy(20_000_000);
        window.mark_first();
        busy(1_000);
        let measured = window.stop();
        let first = measured.first_record.expect("marked");
        // The long busy stretch before the mark is the time to the first records, not the
        // window's.
        assert!(measured.wall < first, "{measured:?}");
        assert!(peak_rss_mib() > 0.0);
    }
}
