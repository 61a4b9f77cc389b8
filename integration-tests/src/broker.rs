//! Getting a broker: a tansu container per test binary, an in-process kafkito-testkit cluster
//! (`BROKER=testkit`), or an external cluster.
//!
//! Three problems shape this file:
//!
//! 1. **The advertised address must be known before the container starts.**
//!    Clients bootstrap, then reconnect to the address the broker advertises in
//!    Metadata. With a random host port that address is only known after start,
//!    too late to pass to tansu. So we pick a free port ourselves, map host port
//!    == container port, and start tansu with `--listener-url
//!    tcp://0.0.0.0:PORT --advertised-listener-url tcp://127.0.0.1:PORT`. The
//!    port may be taken between our check and Docker's bind; then we retry with
//!    another.
//! 2. **Tests run on many tokio runtimes** (one per `#[tokio::test]`), but a
//!    Docker client's connections belong to the runtime that opened them and
//!    die with it. All Docker work therefore runs on one harness-owned runtime
//!    that lives as long as the process; tests only await its results.
//! 3. **A shared container outlives every test but must not outlive the
//!    process.** Statics are never dropped, so testcontainers' drop-to-remove
//!    never fires for the shared broker. Each container gets a tiny reaper
//!    process (`sh` in its own process group) that waits for the test process
//!    to exit — however it exits, even SIGKILL — then removes the container.
//!    Containers carry the label `org.kafka-sdk.harness=tansu`, so
//!    `docker rm -f $(docker ps -aq --filter label=org.kafka-sdk.harness)`
//!    clears any leftovers by hand.

use std::future::Future;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use testcontainers::core::IntoContainerPort;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};
use tokio::runtime::Runtime;

use crate::probe::probe_api_versions;
use crate::HarnessError;

/// Set to `host:port[,host:port…]` to run the tests against an existing
/// cluster instead of starting a container.
pub const BOOTSTRAP_ENV: &str = "KAFKA_BOOTSTRAP_SERVERS";
/// Set to `testkit` to run the tests that use [`broker`] on an in-process `kafkito-testkit`
/// cluster (3 brokers, Kafka's defaults) instead of the tansu container; `tansu` (or unset) is
/// the default. [`BOOTSTRAP_ENV`] wins over both.
pub const BROKER_ENV: &str = "BROKER";

/// Which broker [`broker`] and [`dedicated_broker`] give, from [`BOOTSTRAP_ENV`] and
/// [`BROKER_ENV`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerKind {
    /// The local tansu container (the default).
    Tansu,
    /// An in-process `kafkito-testkit` cluster (`BROKER=testkit`).
    Testkit,
    /// The cluster named by `KAFKA_BOOTSTRAP_SERVERS`.
    External,
}

impl BrokerKind {
    /// The kind the environment asks for. Panics on a `BROKER` value it does not know, so a
    /// typo cannot silently run the tests on the default broker.
    ///
    /// ```
    /// // Without KAFKA_BOOTSTRAP_SERVERS or BROKER set, the tests use tansu.
    /// # if std::env::var_os("KAFKA_BOOTSTRAP_SERVERS").is_none() && std::env::var_os("BROKER").is_none() {
    /// assert_eq!(integration_tests::BrokerKind::from_env(), integration_tests::BrokerKind::Tansu);
    /// # }
    /// ```
    pub fn from_env() -> BrokerKind {
        if external_list().is_some() {
            return BrokerKind::External;
        }
        match std::env::var(BROKER_ENV).as_deref().map(str::trim) {
            Err(_) | Ok("") | Ok("tansu") => BrokerKind::Tansu,
            Ok("testkit") => BrokerKind::Testkit,
            Ok(other) => panic!("{BROKER_ENV}={other:?}: expected \"tansu\" or \"testkit\""),
        }
    }
}

/// The local image `scripts/install-broker` builds (`docker import`, no registry).
/// Keep in step with `scripts/lib/broker-pins.sh`.
pub const TANSU_IMAGE: &str = "kafka-sdk/tansu";
/// Tag of [`TANSU_IMAGE`]: the version of the wheel the binary came from.
pub const TANSU_TAG: &str = "0.1.2";

/// How long a broker gets to answer ApiVersions after (re)start. tansu with
/// memory storage is ready in well under a second; this is for loaded CI.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts at finding a free host port Docker can bind.
const PORT_ATTEMPTS: u32 = 5;
const LABEL: &str = "org.kafka-sdk.harness";
/// How long an external cluster gets to answer: it may still be starting.
const EXTERNAL_TIMEOUT: Duration = Duration::from_secs(15);

fn external_list() -> Option<String> {
    std::env::var(BOOTSTRAP_ENV)
        .ok()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}

/// The cluster named by `KAFKA_BOOTSTRAP_SERVERS`, when the tests run against one.
pub fn external_cluster() -> Option<String> {
    external_list()
}

/// Where [`not_applicable_to_external_cluster`] writes one line per test it skips, so that
/// `scripts/test` can list them after the run (nextest hides a passing test's output).
pub const NOT_APPLICABLE_LOG: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../target/not-applicable.log");

/// For a test that needs a broker container of its own to misbehave (stopped, paused,
/// restarted): with `KAFKA_BOOTSTRAP_SERVERS` set, says that `test` does not apply and why
/// (on stderr, and one line appended to [`NOT_APPLICABLE_LOG`]) and returns `true`, and the
/// test returns at once. Without that variable it returns `false` and the test goes on; a
/// broker that cannot start then fails it as always (nothing is skipped for that).
///
/// ```no_run
/// # async fn example() {
/// if integration_tests::not_applicable_to_external_cluster("my_test", "stops the broker") {
///     return;
/// }
/// # }
/// ```
pub fn not_applicable_to_external_cluster(test: &str, needs: &str) -> bool {
    let Some(list) = external_list() else {
        return false;
    };
    let line =
        format!("NOT APPLICABLE: {test}: {needs}; the tests run against {BOOTSTRAP_ENV}={list}");
    eprintln!("{line}");
    use std::io::Write as _;
    if let Ok(mut log) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(NOT_APPLICABLE_LOG)
    {
        let _ = writeln!(log, "{line}");
    }
    true
}

/// What to do about a missing broker, for the failure message.
fn hint() -> &'static str {
    if external_list().is_some() {
        "fix: start that cluster, or unset KAFKA_BOOTSTRAP_SERVERS to use the local tansu \
         container"
    } else {
        "fix: run scripts/install-broker (installs kcat and builds the local kafka-sdk/tansu \
         image; needs Docker), or set KAFKA_BOOTSTRAP_SERVERS=host:port to use a running \
         Kafka cluster"
    }
}

/// A broker for integration tests. Get the shared one with [`broker`], or a
/// private container with [`dedicated_broker`].
pub struct Broker {
    bootstrap: String,
    backend: Backend,
}

enum Backend {
    /// A cluster named by `KAFKA_BOOTSTRAP_SERVERS`: we neither started it nor control it.
    External,
    Container(BrokerContainer),
    /// An in-process cluster, serving on [`testkit_runtime`].
    Testkit(kafkito_testkit::Cluster),
}

struct BrokerContainer {
    /// `Arc` so Docker calls can be moved onto the harness runtime; `Option`
    /// so `Drop` can hand the last reference to that runtime.
    container: Option<Arc<ContainerAsync<GenericImage>>>,
    id: String,
    port: u16,
    startup: Duration,
    reaper: Option<Child>,
}

/// The broker shared by every test in this test binary, started on first use.
///
/// Uses `KAFKA_BOOTSTRAP_SERVERS` when set (and checks it answers), otherwise
/// starts the local tansu container. Panics — failing the test, never
/// skipping it — with the reason and the fix when neither works; the failure is
/// remembered so later tests fail at once with the same message.
///
/// Do not stop or pause the shared broker: other tests are using it. Tests
/// that need to restart a broker use [`dedicated_broker`].
///
/// ```no_run
/// # async fn example() {
/// let broker = integration_tests::broker().await;
/// println!("bootstrap.servers={}", broker.bootstrap());
/// # }
/// ```
pub async fn broker() -> &'static Broker {
    static SHARED: tokio::sync::OnceCell<Result<Broker, String>> =
        tokio::sync::OnceCell::const_new();
    let shared = SHARED
        .get_or_init(|| async { new_broker().await.map_err(|e| e.to_string()) })
        .await;
    match shared {
        Ok(broker) => broker,
        Err(reason) => panic!("no broker for the integration tests: {reason}\n{}", hint()),
    }
}

/// A broker container for this test alone, removed when the returned value
/// is dropped. For tests that stop, restart or pause the broker.
///
/// With `KAFKA_BOOTSTRAP_SERVERS` set this returns that external cluster, on
/// which the controls fail with [`HarnessError::External`].
pub async fn dedicated_broker() -> Broker {
    if BrokerKind::from_env() == BrokerKind::Testkit {
        return match start_testkit().await {
            Ok(broker) => broker,
            Err(e) => panic!("no broker for the integration tests: {e}"),
        };
    }
    if external_list().is_some() {
        // Share the first check (and its failure) with `broker()`.
        return Broker {
            bootstrap: broker().await.bootstrap(),
            backend: Backend::External,
        };
    }
    match on_harness_runtime(start_container()).await {
        Ok(broker) => broker,
        Err(e) => panic!("no broker for the integration tests: {e}\n{}", hint()),
    }
}

async fn new_broker() -> Result<Broker, HarnessError> {
    match (external_list(), BrokerKind::from_env()) {
        (Some(list), _) => external(&list).await,
        (None, BrokerKind::Testkit) => start_testkit().await,
        (None, _) => on_harness_runtime(start_container()).await,
    }
}

/// Starts a 3-broker `kafkito-testkit` cluster with Kafka's defaults. Its listeners and timers
/// run on [`testkit_runtime`], which outlives every test's own runtime (as the Docker client
/// does on the harness runtime).
async fn start_testkit() -> Result<Broker, HarnessError> {
    let cluster = testkit_runtime()
        .spawn(async { kafkito_testkit::Cluster::builder().brokers(3).build().await })
        .await
        .map_err(|e| HarnessError::Testkit {
            op: "start",
            reason: e.to_string(),
        })?
        .map_err(|e| HarnessError::Testkit {
            op: "start",
            reason: e.to_string(),
        })?;
    Ok(Broker {
        bootstrap: cluster.bootstrap(),
        backend: Backend::Testkit(cluster),
    })
}

/// Where testkit clusters serve: two workers, so that a test's blocking client code (kcat,
/// librdkafka) never starves the brokers.
fn testkit_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("integration-tests-testkit")
            .enable_all()
            .build()
            .expect("cannot build the testkit's tokio runtime")
    })
}

impl Broker {
    /// The `bootstrap.servers` value: `127.0.0.1:PORT` for the container,
    /// the `KAFKA_BOOTSTRAP_SERVERS` value for an external cluster.
    pub fn bootstrap(&self) -> String {
        self.bootstrap.clone()
    }

    /// Whether this is a cluster named by `KAFKA_BOOTSTRAP_SERVERS`.
    pub fn is_external(&self) -> bool {
        matches!(self.backend, Backend::External)
    }

    /// Which broker this is.
    pub fn kind(&self) -> BrokerKind {
        match self.backend {
            Backend::External => BrokerKind::External,
            Backend::Container(_) => BrokerKind::Tansu,
            Backend::Testkit(_) => BrokerKind::Testkit,
        }
    }

    /// The in-process cluster, when this is one (`BROKER=testkit`): its state (log offsets,
    /// groups) and its fault controls.
    pub fn testkit(&self) -> Option<&kafkito_testkit::Cluster> {
        match &self.backend {
            Backend::Testkit(cluster) => Some(cluster),
            _ => None,
        }
    }

    /// The Docker container id, when the harness started the broker.
    pub fn container_id(&self) -> Option<&str> {
        match &self.backend {
            Backend::Container(c) => Some(&c.id),
            Backend::External | Backend::Testkit(_) => None,
        }
    }

    /// Time from asking Docker for the container to the first ApiVersions
    /// answer, when the harness started the broker.
    pub fn startup_time(&self) -> Option<Duration> {
        match &self.backend {
            Backend::Container(c) => Some(c.startup),
            Backend::External | Backend::Testkit(_) => None,
        }
    }

    /// Stops the broker process (SIGTERM, then SIGKILL after `grace`). The
    /// container and its port mapping stay; [`Broker::start`] brings it back.
    /// tansu keeps data in memory: a restarted broker is empty.
    pub async fn stop(&self, grace: Duration) -> Result<(), HarnessError> {
        let c = self.container("stop")?;
        let secs = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
        on_harness_runtime(async move { c.stop_with_timeout(Some(secs)).await })
            .await
            .map_err(|e| docker_err("stop", e))
    }

    /// Starts a stopped broker on the same port and waits until it answers
    /// ApiVersions.
    pub async fn start(&self) -> Result<(), HarnessError> {
        let (c, port) = (self.container("start")?, self.port());
        on_harness_runtime(async move {
            c.start().await.map_err(|e| docker_err("start", e))?;
            wait_ready(&c, port).await
        })
        .await
    }

    /// [`Broker::stop`] then [`Broker::start`].
    pub async fn restart(&self, grace: Duration) -> Result<(), HarnessError> {
        self.stop(grace).await?;
        self.start().await
    }

    /// Freezes the broker process (`docker pause`): connections stay open but
    /// nothing is answered — a hung broker, for timeout tests.
    pub async fn pause(&self) -> Result<(), HarnessError> {
        let c = self.container("pause")?;
        on_harness_runtime(async move { c.pause().await })
            .await
            .map_err(|e| docker_err("pause", e))
    }

    /// Resumes a paused broker.
    pub async fn unpause(&self) -> Result<(), HarnessError> {
        let c = self.container("unpause")?;
        on_harness_runtime(async move { c.unpause().await })
            .await
            .map_err(|e| docker_err("unpause", e))
    }

    /// The last lines of the broker's stdout and stderr, for failure messages.
    pub async fn logs(&self) -> Result<String, HarnessError> {
        let c = self.container("logs")?;
        Ok(on_harness_runtime(async move { logs_tail(&c).await }).await)
    }

    fn port(&self) -> u16 {
        match &self.backend {
            Backend::Container(c) => c.port,
            Backend::External | Backend::Testkit(_) => 0,
        }
    }

    fn container(
        &self,
        op: &'static str,
    ) -> Result<Arc<ContainerAsync<GenericImage>>, HarnessError> {
        match &self.backend {
            Backend::Container(BrokerContainer {
                container: Some(c), ..
            }) => Ok(Arc::clone(c)),
            Backend::Testkit(_) => Err(HarnessError::Testkit {
                op,
                reason: "the in-process kafkito-testkit has no container; use \
                         Broker::testkit() for its own controls"
                    .into(),
            }),
            _ => Err(HarnessError::External {
                op,
                bootstrap: self.bootstrap.clone(),
            }),
        }
    }
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Broker");
        d.field("bootstrap", &self.bootstrap);
        match &self.backend {
            Backend::External => d.field("external", &true),
            Backend::Container(c) => d.field("container", &c.id).field("port", &c.port),
            Backend::Testkit(_) => d.field("testkit", &true),
        };
        d.finish()
    }
}

impl Drop for BrokerContainer {
    fn drop(&mut self) {
        // Remove the container on the harness runtime (whose Docker client
        // owns it) and wait, so a test's broker is gone when the test ends.
        // Blocking here is fine: the work happens on another runtime.
        if let Some(container) = self.container.take() {
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            harness_runtime().spawn(async move {
                if let Ok(container) = Arc::try_unwrap(container) {
                    let _ = container.rm().await;
                }
                let _ = done_tx.send(());
            });
            let _ = done_rx.recv_timeout(Duration::from_secs(30));
        }
        if let Some(mut reaper) = self.reaper.take() {
            let _ = reaper.kill();
            let _ = reaper.wait();
        }
    }
}

async fn external(list: &str) -> Result<Broker, HarnessError> {
    let started = Instant::now();
    let mut last_error = String::new();
    let addrs: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    while started.elapsed() < EXTERNAL_TIMEOUT {
        // One answering bootstrap address is enough, as for any client.
        for addr in &addrs {
            match probe_api_versions(addr, Duration::from_secs(5)).await {
                Ok(_) => {
                    return Ok(Broker {
                        bootstrap: list.to_string(),
                        backend: Backend::External,
                    })
                }
                Err(e) => last_error = e,
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(HarnessError::NotReady {
        addr: format!("{BOOTSTRAP_ENV}={list}"),
        waited: started.elapsed(),
        last_error,
        logs: String::new(),
    })
}

async fn start_container() -> Result<Broker, HarnessError> {
    check_image().await?;
    let started = Instant::now();
    let mut last_error = None;
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port()?;
        let name = container_name();
        match run_tansu(port, &name).await {
            Ok(container) => {
                let id = container.id().to_string();
                let mut reaper = spawn_reaper(&id);
                if let Err(e) = wait_ready(&container, port).await {
                    let _ = container.rm().await;
                    if let Some(r) = reaper.as_mut() {
                        let _ = r.kill();
                        let _ = r.wait();
                    }
                    return Err(e);
                }
                let startup = started.elapsed();
                eprintln!(
                    "integration-tests: tansu container {} on 127.0.0.1:{port} ready in {startup:?}",
                    &id[..12.min(id.len())],
                );
                return Ok(Broker {
                    bootstrap: format!("127.0.0.1:{port}"),
                    backend: Backend::Container(BrokerContainer {
                        container: Some(Arc::new(container)),
                        id,
                        port,
                        startup,
                        reaper,
                    }),
                });
            }
            Err(e) => {
                // A container that was created but failed to start is not
                // removed by testcontainers; it has our name, so remove it.
                remove_by_name(&name);
                let reason = e.to_string();
                let port_taken = reason.contains("already allocated")
                    || reason.contains("address already in use");
                last_error = Some(HarnessError::Docker {
                    op: "start tansu container",
                    reason,
                });
                if !port_taken {
                    break;
                }
            }
        }
    }
    Err(last_error.expect("at least one attempt was made"))
}

async fn run_tansu(
    port: u16,
    name: &str,
) -> testcontainers::core::error::Result<ContainerAsync<GenericImage>> {
    GenericImage::new(TANSU_IMAGE, TANSU_TAG)
        .with_cmd([
            "broker".to_string(),
            "--listener-url".to_string(),
            format!("tcp://0.0.0.0:{port}"),
            "--advertised-listener-url".to_string(),
            format!("tcp://127.0.0.1:{port}"),
        ])
        // Host port == container port, so the advertised address works from
        // the host (see the module docs).
        .with_mapped_port(port, port.tcp())
        .with_host_config_modifier(bind_loopback_only)
        .with_container_name(name)
        .with_label(LABEL, "tansu")
        .with_label("org.kafka-sdk.pid", std::process::id().to_string())
        // tansu logs every request at info; keep the logs short enough to
        // paste into a failure message.
        .with_env_var("RUST_LOG", "warn")
        .with_startup_timeout(READY_TIMEOUT)
        .start()
        .await
}

/// Publishes the broker port on 127.0.0.1 only: the tests connect there, and
/// nothing else on the network should reach a throwaway broker.
fn bind_loopback_only(host_config: &mut testcontainers::bollard::models::HostConfig) {
    for binding in host_config
        .port_bindings
        .iter_mut()
        .flat_map(|m| m.values_mut())
        .flatten()
        .flatten()
    {
        binding.host_ip = Some("127.0.0.1".to_string());
    }
}

/// Fails fast with the real reason when Docker or the image is missing;
/// otherwise testcontainers would try to pull the image, which cannot work
/// here, and report a registry error instead.
async fn check_image() -> Result<(), HarnessError> {
    let image = format!("{TANSU_IMAGE}:{TANSU_TAG}");
    let docker = testcontainers::bollard::Docker::connect_with_local_defaults().map_err(|e| {
        HarnessError::DockerUnavailable {
            reason: e.to_string(),
        }
    })?;
    if let Err(e) = docker.ping().await {
        return Err(HarnessError::DockerUnavailable {
            reason: format!("the daemon does not answer: {e}"),
        });
    }
    match docker.inspect_image(&image).await {
        Ok(_) => Ok(()),
        Err(testcontainers::bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }) => Err(HarnessError::ImageMissing { image }),
        Err(e) => Err(HarnessError::Docker {
            op: "inspect image",
            reason: e.to_string(),
        }),
    }
}

/// Waits until the broker answers ApiVersions, failing early with its logs if
/// the container exits.
async fn wait_ready(
    container: &ContainerAsync<GenericImage>,
    port: u16,
) -> Result<(), HarnessError> {
    let addr = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let mut last_error = String::from("no attempt made");
    let mut next_liveness_check = Instant::now();
    while started.elapsed() < READY_TIMEOUT {
        match probe_api_versions(&addr, Duration::from_secs(2)).await {
            Ok(_) => return Ok(()),
            Err(e) => last_error = e,
        }
        // A broker that crashed will never answer; say so now, not in a minute.
        if Instant::now() >= next_liveness_check {
            next_liveness_check = Instant::now() + Duration::from_secs(1);
            if let Ok(false) = container.is_running().await {
                last_error = format!("the container exited ({last_error})");
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Err(HarnessError::NotReady {
        addr,
        waited: started.elapsed(),
        last_error,
        logs: logs_tail(container).await,
    })
}

async fn logs_tail(container: &ContainerAsync<GenericImage>) -> String {
    const TAIL: usize = 40;
    let stdout = container.stdout_to_vec().await.unwrap_or_default();
    let stderr = container.stderr_to_vec().await.unwrap_or_default();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL)..].join("\n")
}

fn free_port() -> Result<u16, HarnessError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| HarnessError::Docker {
            op: "find a free port",
            reason: e.to_string(),
        })
}

fn container_name() -> String {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    format!(
        "kafka-sdk-tansu-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

fn remove_by_name(name: &str) {
    let _ = Command::new("docker")
        .args(["rm", "-f", "-v", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Starts a process that removes container `id` once this process is gone.
/// It has its own process group so that a test runner killing ours (nextest
/// on timeout, Ctrl-C) does not take the reaper with it. Best effort: without
/// a `docker` CLI it does nothing, and the container label still allows
/// removing leftovers by hand.
fn spawn_reaper(id: &str) -> Option<Child> {
    use std::os::unix::process::CommandExt;
    const SCRIPT: &str =
        r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec docker rm -f -v "$2""#;
    Command::new("sh")
        .args(["-c", SCRIPT, "harness-reaper"])
        .arg(std::process::id().to_string())
        .arg(id)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .ok()
}

fn harness_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("integration-tests-docker")
            .enable_all()
            .build()
            .expect("cannot build the harness's tokio runtime")
    })
}

/// Runs `fut` on the harness runtime and awaits it from whatever runtime the
/// caller is on (see the module docs for why).
async fn on_harness_runtime<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match harness_runtime().spawn(fut).await {
        Ok(out) => out,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("harness runtime task failed: {e}"),
        },
    }
}

fn docker_err(op: &'static str, e: testcontainers::TestcontainersError) -> HarnessError {
    HarnessError::Docker {
        op,
        reason: e.to_string(),
    }
}
