//! Running a program: the Tokio runtime, exit codes, and turning `-X` properties into client
//! configs.
//!
//! Exit codes: 0 success, 1 a failure at run time (including a bad `-X` key or value, named
//! in the message), 2 a bad command line, [`CRASH_EXIT_CODE`] a simulated crash
//! (`--crash-after`).

use std::future::Future;
use std::process::ExitCode;

use kafkito::config::keys::{self, Client};
use kafkito::consumer::{Consumer, ConsumerConfig, TopicPartition};
use kafkito::producer::{Producer, ProducerConfig};
use kafkito::{AdminClient, ClientConfig};

use crate::cli::{Args, CliError, Spec};

/// The exit code of a simulated crash (`--crash-after K`), so that scripts can tell it from a
/// real failure.
pub const CRASH_EXIT_CODE: i32 = 3;

/// Why a program failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client failed; a bad `-X` key or value is [`kafkito::Error::Config`], whose
    /// message names the key.
    #[error(transparent)]
    Kafka(#[from] kafkito::Error),
    /// The command line is wrong.
    #[error(transparent)]
    Cli(#[from] CliError),
    /// Anything else, said in words.
    #[error("{0}")]
    Failed(String),
}

/// The result of a program's body.
pub type AppResult<T = ()> = Result<T, AppError>;

/// Parses the command line against `spec`, installs the `RUST_LOG` subscriber
/// ([`logging::init`](crate::logging::init)), runs `body` on a Tokio runtime, and turns the
/// outcome into the process's exit code (printing errors on stderr, `--help` on stdout).
///
/// ```no_run
/// use examples::app::{run, AppResult};
/// use examples::cli::{Args, Opt, Spec};
///
/// const SPEC: Spec = Spec {
///     name: "hello",
///     about: "Says hello to a broker.",
///     options: &[Opt::required("bootstrap", "H:P", "the broker")],
/// };
///
/// async fn body(args: Args) -> AppResult {
///     println!("hello {}", args.required("bootstrap"));
///     Ok(())
/// }
///
/// fn main() -> std::process::ExitCode {
///     run(&SPEC, body)
/// }
/// ```
pub fn run<F, Fut>(spec: &Spec, body: F) -> ExitCode
where
    F: FnOnce(Args) -> Fut,
    Fut: Future<Output = AppResult>,
{
    let args = match spec.parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(CliError::Help(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("{}: {error}", spec.name);
            return ExitCode::from(2);
        }
    };
    crate::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{}: cannot start the Tokio runtime: {error}", spec.name);
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(body(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(AppError::Cli(error)) => {
            eprintln!("{}: {error}", spec.name);
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("{}: error: {error}", spec.name);
            ExitCode::FAILURE
        }
    }
}

/// Ends the process at once, as a crash would: no destructors, no flush of the producer's
/// buffers, no commit, no LeaveGroup. Whatever was in flight is left to the broker to sort out.
pub fn crash(program: &str, processed: u64) -> ! {
    eprintln!("{program}: simulated crash after {processed} records (--crash-after)");
    std::process::exit(CRASH_EXIT_CODE)
}

/// Which client a `-X` property is for, when one program runs several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A producer: shared client keys and producer keys.
    Producer,
    /// A consumer: shared client keys and consumer keys.
    Consumer,
    /// An admin client: shared client keys only.
    Admin,
}

/// The properties of `role` out of the user's `-X` bag: a key the client key table
/// ([`kafkito::config::keys`]) gives to other clients only (e.g. `group.id` or
/// `key.deserializer` when building the producer) is left out; every other key is kept, so an
/// unknown key still reaches the client and fails there, named.
pub fn properties_for(role: Role, user: &[(String, String)]) -> Vec<(String, String)> {
    let keeps = |key: &str| match keys::lookup(key, None) {
        // Unknown: let the client refuse it, with a suggestion.
        None => true,
        Some(_) => match role {
            Role::Producer => keys::lookup(key, Some(Client::Producer)).is_some(),
            Role::Consumer => keys::lookup(key, Some(Client::Consumer)).is_some(),
            // The admin side of a program parses the shared keys only.
            Role::Admin => keys::lookup(key, None).is_some_and(|row| row.clients.all()),
        },
    };
    user.iter().filter(|(k, _)| keeps(k)).cloned().collect()
}

/// Concatenates the program's own settings and the user's (`-X`, which win, because a later
/// value of the same key replaces an earlier one).
fn merged(
    bootstrap: &str,
    defaults: &[(&str, &str)],
    user: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut all = vec![("bootstrap.servers".to_owned(), bootstrap.to_owned())];
    all.extend(
        defaults
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    all.extend(user);
    all
}

/// A producer config: `bootstrap.servers`, then the program's `defaults`, then the user's
/// `-X` properties meant for a producer.
///
/// ```
/// use examples::app::producer_config;
///
/// let user = vec![("linger.ms".to_owned(), "20".to_owned()), ("group.id".to_owned(), "g".to_owned())];
/// let config = producer_config("localhost:9092", &[("acks", "1")], &user, true).unwrap();
/// assert_eq!(config.linger, std::time::Duration::from_millis(20));
/// // A program with one client hands it every key: `group.id` is no producer key.
/// assert!(producer_config("localhost:9092", &[], &user, false).is_err());
/// ```
pub fn producer_config(
    bootstrap: &str,
    defaults: &[(&str, &str)],
    user: &[(String, String)],
    shared_bag: bool,
) -> kafkito::Result<ProducerConfig> {
    let user = if shared_bag {
        properties_for(Role::Producer, user)
    } else {
        user.to_vec()
    };
    ProducerConfig::from_properties(merged(bootstrap, defaults, user))
}

/// A consumer config, built like [`producer_config`].
pub fn consumer_config(
    bootstrap: &str,
    defaults: &[(&str, &str)],
    user: &[(String, String)],
    shared_bag: bool,
) -> kafkito::Result<ConsumerConfig> {
    let user = if shared_bag {
        properties_for(Role::Consumer, user)
    } else {
        user.to_vec()
    };
    ConsumerConfig::from_properties(merged(bootstrap, defaults, user))
}

/// A producer from [`producer_config`].
pub async fn producer(
    bootstrap: &str,
    defaults: &[(&str, &str)],
    user: &[(String, String)],
    shared_bag: bool,
) -> kafkito::Result<Producer> {
    Producer::new(producer_config(bootstrap, defaults, user, shared_bag)?).await
}

/// A consumer from [`consumer_config`].
pub async fn consumer(
    bootstrap: &str,
    defaults: &[(&str, &str)],
    user: &[(String, String)],
    shared_bag: bool,
) -> kafkito::Result<Consumer> {
    Consumer::new(consumer_config(bootstrap, defaults, user, shared_bag)?).await
}

/// The partitions of `topic`, sorted, looked up with the shared client keys of `user`. Fails
/// when the topic does not exist (the examples never create topics by accident).
pub async fn partitions_of(
    bootstrap: &str,
    user: &[(String, String)],
    topic: &str,
) -> AppResult<Vec<TopicPartition>> {
    let config =
        ClientConfig::from_properties(merged(bootstrap, &[], properties_for(Role::Admin, user)))?;
    let admin = AdminClient::new(config)?;
    let cluster = admin.metadata().refresh_topics(&[topic]).await;
    admin.close();
    let cluster = cluster?;
    let info = cluster
        .topic(topic)
        .ok_or_else(|| AppError::Failed(format!("topic `{topic}` is not in the metadata")))?;
    if let Some(code) = info.error {
        return Err(AppError::Failed(format!(
            "topic `{topic}`: the broker says {code} (create it first)"
        )));
    }
    if info.partitions.is_empty() {
        return Err(AppError::Failed(format!(
            "topic `{topic}` has no partitions (create it first)"
        )));
    }
    let mut partitions: Vec<TopicPartition> = info
        .partitions
        .iter()
        .map(|p| TopicPartition::new(topic, p.partition))
        .collect();
    partitions.sort();
    Ok(partitions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_shared_bag_is_split_by_client() {
        let user = bag(&[
            ("client.id", "c"),
            ("linger.ms", "1"),
            ("group.id", "g"),
            (
                "key.deserializer",
                "org.apache.kafka.common.serialization.StringDeserializer",
            ),
            ("queue.buffering.max.ms", "2"),
            ("no.such.key", "x"),
        ]);
        let keys = |role| -> Vec<String> {
            properties_for(role, &user)
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        assert_eq!(
            keys(Role::Producer),
            [
                "client.id",
                "linger.ms",
                "queue.buffering.max.ms",
                "no.such.key"
            ]
        );
        assert_eq!(
            keys(Role::Consumer),
            ["client.id", "group.id", "key.deserializer", "no.such.key"]
        );
        assert_eq!(keys(Role::Admin), ["client.id", "no.such.key"]);
    }

    #[test]
    fn unknown_keys_and_bad_values_fail_naming_the_key() {
        for (user, key) in [
            (bag(&[("no.such.key", "x")]), "no.such.key"),
            (bag(&[("linger.ms", "soon")]), "linger.ms"),
        ] {
            let err = producer_config("h:1", &[], &user, true).unwrap_err();
            assert!(
                matches!(&err, kafkito::Error::Config { key: k, .. } if k == key),
                "{err}"
            );
            assert!(err.to_string().contains(key), "{err}");
        }
        let err =
            consumer_config("h:1", &[], &bag(&[("isolation.level", "dirty")]), true).unwrap_err();
        assert!(err.to_string().contains("isolation.level"), "{err}");
    }

    #[test]
    fn user_properties_override_the_programs() {
        let config = consumer_config(
            "h:1",
            &[("max.poll.records", "100")],
            &bag(&[("max.poll.records", "7")]),
            true,
        )
        .unwrap();
        assert_eq!(config.max_poll_records, 7);
    }
}
