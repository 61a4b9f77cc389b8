//! kcat (librdkafka) as an independent reference client.
//!
//! Integration tests should not only check that our producer and consumer
//! agree with each other — a codec bug symmetric on both sides would pass.
//! kcat writes what our consumer must read and reads what our producer wrote.
//!
//! Which kcat: `$KCAT` if set, else `.broker/bin/kcat` from
//! `scripts/install-broker`: Debian's kcat running on a current librdkafka.
//! Debian bookworm's own librdkafka (2.0.2) cannot parse tansu's ApiVersions
//! response (it mis-skips multi-byte tagged fields; fixed upstream in 2.2.0),
//! so the plain `kcat` on PATH is not used by default.
//!
//! All helpers are async (tokio processes) so a test can run kcat while its
//! own client runs on the same runtime, and every call has a timeout: a kcat
//! waiting for records that never come fails the test with what it saw.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::HarnessError;

/// Default time limit for one kcat run in the helpers.
pub const KCAT_TIMEOUT: Duration = Duration::from_secs(30);

/// What a kcat run printed, and how it ended.
#[derive(Debug, Clone)]
pub struct KcatOutput {
    /// The full command line, for failure messages.
    pub command: String,
    /// `Some(code)` when kcat exited; `None` when it was killed (timeout or signal).
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

impl KcatOutput {
    /// Exited with status 0 before the time limit.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }
}

impl std::fmt::Display for KcatOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ended = match (self.timed_out, self.exit_code) {
            (true, _) => "timed out and was killed".to_string(),
            (false, Some(code)) => format!("exited with {code}"),
            (false, None) => "was killed by a signal".to_string(),
        };
        write!(
            f,
            "`{}` {ended}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.stdout, self.stderr
        )
    }
}

/// The kcat executable the helpers run (see the module docs).
pub fn kcat_path() -> Result<PathBuf, HarnessError> {
    if let Some(path) = std::env::var_os("KCAT").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let wrapper = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.broker/bin/kcat");
    if wrapper.is_file() {
        return Ok(wrapper);
    }
    Err(HarnessError::Kcat {
        reason: format!(
            "{} not found: run scripts/install-broker (or set KCAT=/path/to/kcat; note \
             Debian's kcat 1.7.1/librdkafka 2.0.2 cannot talk to tansu)",
            wrapper.display()
        ),
    })
}

/// Runs kcat with `args`, feeding it `stdin` (then closing it), and collects
/// its output. Kills it after `timeout`. Only fails when kcat cannot be
/// started; a non-zero exit or timeout is reported in the [`KcatOutput`].
///
/// ```no_run
/// # async fn example() -> Result<(), integration_tests::HarnessError> {
/// use integration_tests::kcat::{kcat, KCAT_TIMEOUT};
/// let out = kcat(&["-b", "127.0.0.1:9092", "-L", "-J"], None, KCAT_TIMEOUT).await?;
/// assert!(out.success(), "{out}");
/// # Ok(()) }
/// ```
pub async fn kcat(
    args: &[&str],
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> Result<KcatOutput, HarnessError> {
    let path = kcat_path()?;
    let command = format!("{} {}", path.display(), args.join(" "));
    let mut child = Command::new(&path)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| HarnessError::Kcat {
            reason: format!("cannot run `{command}`: {e}"),
        })?;

    // Readers run as tasks so that output is kept even when we have to kill
    // kcat: what it printed before hanging is the useful part.
    let stdout = tokio::spawn(read_all(child.stdout.take()));
    let stderr = tokio::spawn(read_all(child.stderr.take()));
    let input = stdin.map(<[u8]>::to_vec);
    let mut pipe = child.stdin.take();
    let wait = async {
        if let (Some(pipe), Some(input)) = (pipe.as_mut(), input) {
            // kcat may exit early (bad broker address); its exit code says why.
            let _ = pipe.write_all(&input).await;
        }
        drop(pipe.take()); // EOF: kcat -P flushes and exits.
        child.wait().await
    };
    let (exit_code, timed_out) = match tokio::time::timeout(timeout, wait).await {
        Ok(status) => (status.ok().and_then(|s| s.code()), false),
        Err(_) => {
            let _ = child.kill().await;
            (None, true)
        }
    };
    Ok(KcatOutput {
        command,
        exit_code,
        timed_out,
        stdout: stdout.await.unwrap_or_default(),
        stderr: stderr.await.unwrap_or_default(),
    })
}

async fn read_all(pipe: Option<impl AsyncRead + Unpin>) -> String {
    let mut buf = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_end(&mut buf).await;
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Produces one record per line of `lines` to `topic` with `kcat -P`,
/// waiting for the broker's acknowledgement of every record (kcat exits
/// non-zero on any delivery failure). `extra_args` go to kcat as they are,
/// e.g. `["-p", "0"]` for one partition (so order is kept), `["-K", ":"]` to
/// split `key:value` lines, `["-z", "zstd"]` for compression.
/// Returns kcat's stdout; panics with kcat's output if it fails.
///
/// A topic that does not exist is created by tansu on the producer's
/// Metadata request (4 partitions); see integration-tests/README.md.
pub async fn kcat_produce(
    bootstrap: &str,
    topic: &str,
    lines: &[&str],
    extra_args: &[&str],
) -> String {
    assert!(
        lines.iter().all(|l| !l.contains('\n')),
        "kcat_produce: a line cannot contain a newline (it separates records)"
    );
    let mut args = vec!["-P", "-b", bootstrap, "-t", topic];
    args.extend_from_slice(extra_args);
    let mut input = lines.join("\n");
    input.push('\n');
    let out = kcat(&args, Some(input.as_bytes()), KCAT_TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.success(),
        "kcat could not produce {} records to {topic}: {out}",
        lines.len()
    );
    out.stdout
}

/// Consumes exactly `count` records of `topic` from the beginning of every
/// partition with `kcat -C`, printing each with kcat's `-f` `format` (e.g.
/// `"%k=%s\n"`, `"%p:%o %s\n"`; see `kcat -h`). Returns what kcat printed.
/// Panics with kcat's output if fewer than `count` records arrive within the
/// time limit.
///
/// Records of different partitions arrive in no fixed order: produce to one
/// partition, or sort the lines. This does not rely on end-of-partition
/// (`-e`): tansu's high watermark can be wrong, so it waits for the count.
pub async fn kcat_consume(bootstrap: &str, topic: &str, count: usize, format: &str) -> String {
    let count_arg = count.to_string();
    let args = [
        "-C",
        "-b",
        bootstrap,
        "-t",
        topic,
        "-o",
        "beginning",
        "-c",
        &count_arg,
        "-f",
        format,
        "-q",
    ];
    let out = kcat(&args, None, KCAT_TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.success(),
        "kcat did not get {count} records from {topic}: {out}"
    );
    out.stdout
}

/// librdkafka's in-process mock cluster, served by a kcat process: several
/// brokers on loopback ports, with partition leaders spread across them.
/// Good for multi-broker routing and leader-move tests that single-broker
/// tansu cannot give; it is librdkafka's model of Kafka, not Kafka. The
/// process is killed when this value is dropped.
pub struct MockCluster {
    bootstrap: String,
    // Held for kill_on_drop; its stdin is kept open so kcat -P never exits.
    _process: Child,
}

impl MockCluster {
    /// Starts a mock cluster of `brokers` brokers.
    ///
    /// ```no_run
    /// # async fn example() {
    /// let cluster = integration_tests::MockCluster::start(3).await;
    /// assert_eq!(cluster.bootstrap().split(',').count(), 3);
    /// # }
    /// ```
    pub async fn start(brokers: u32) -> MockCluster {
        Self::try_start(brokers)
            .await
            .unwrap_or_else(|e| panic!("no librdkafka mock cluster: {e}"))
    }

    /// Like [`MockCluster::start`], returning the error instead of panicking.
    pub async fn try_start(brokers: u32) -> Result<MockCluster, HarnessError> {
        let path = kcat_path()?;
        let num = format!("test.mock.num.brokers={brokers}");
        // Producer mode reading stdin keeps kcat (and its mock brokers) alive
        // for as long as we hold the pipe open. -b is ignored by the mock.
        let mut child = Command::new(&path)
            .args([
                "-P",
                "-b",
                "127.0.0.1:1",
                "-t",
                "mock-keepalive",
                "-X",
                &num,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| HarnessError::Kcat {
                reason: format!("cannot run {}: {e}", path.display()),
            })?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut lines = BufReader::new(stderr).lines();
        const MARKER: &str = "replaced with ";
        let found = tokio::time::timeout(Duration::from_secs(10), async {
            let mut seen = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find(MARKER) {
                    return Ok(line[at + MARKER.len()..].trim().to_string());
                }
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(seen)
        })
        .await;
        let bootstrap = match found {
            Ok(Ok(bootstrap)) => bootstrap,
            Ok(Err(seen)) => {
                return Err(HarnessError::Kcat {
                    reason: format!("mock cluster did not start; kcat said:\n{seen}"),
                })
            }
            Err(_) => {
                return Err(HarnessError::Kcat {
                    reason: "mock cluster did not report its bootstrap list within 10s".into(),
                })
            }
        };
        // Keep draining stderr so kcat never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(MockCluster {
            bootstrap,
            _process: child,
        })
    }

    /// `host:port,host:port,…` of the mock brokers.
    pub fn bootstrap(&self) -> String {
        self.bootstrap.clone()
    }
}
