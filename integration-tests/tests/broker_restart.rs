//! A live admin client survives its broker going away and coming back: the pool notices the
//! dead connection, reconnects with backoff, and the next call succeeds soon after the broker
//! is back — without building a new client.

use std::time::{Duration, Instant};

use integration_tests::{dedicated_broker, unique_topic};
use kafkito::admin::{AdminClient, AdminOptions, CreateTopicsOptions, NewTopic};
use kafkito::protocol::ErrorCode;

/// How soon after the broker answers again the first admin call must succeed. The client's
/// own share is at most one reconnect backoff (`reconnect.backoff.max.ms`, 1 s by default)
/// plus one retry backoff; the rest is slack for a loaded CI machine.
const RECOVERY_BOUND: Duration = Duration::from_secs(10);

#[tokio::test]
async fn admin_client_recovers_after_a_broker_restart() {
    if integration_tests::not_applicable_to_external_cluster(
        "broker_restart::admin_client_recovers_after_a_broker_restart",
        "restarts its own broker container",
    ) {
        return;
    }
    let broker = dedicated_broker().await;
    let admin = AdminClient::from_properties([
        ("bootstrap.servers", broker.bootstrap().as_str()),
        ("client.id", "restart-it"),
    ])
    .unwrap();
    let options = AdminOptions::with_timeout(Duration::from_secs(30));

    let before = unique_topic("restart-before");
    let created = admin
        .create_topics(
            vec![NewTopic::new(&before, 2, 1)],
            CreateTopicsOptions::default(),
        )
        .await
        .unwrap();
    created[&before].as_ref().unwrap();
    let cluster = admin.describe_cluster(options).await.unwrap();
    assert!(cluster.brokers.contains_key(&111), "{cluster:?}");
    // The pool now holds live connections (bootstrap and broker 111).
    assert!(!admin.metadata().pool().live_connections().is_empty());

    broker.stop(Duration::from_secs(5)).await.unwrap();

    // While it is down, a call fails within its own deadline with a retriable error.
    let started = Instant::now();
    let error = admin
        .describe_cluster(AdminOptions::with_timeout(Duration::from_secs(1)))
        .await
        .unwrap_err();
    eprintln!("while stopped: {error} ({:?})", started.elapsed());
    assert!(error.is_retriable(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    broker.start().await.unwrap();
    let back = Instant::now();
    let cluster = admin.describe_cluster(options).await.unwrap();
    let recovery = back.elapsed();
    eprintln!("first successful call {recovery:?} after start() returned");
    assert!(cluster.brokers.contains_key(&111), "{cluster:?}");
    assert!(
        recovery < RECOVERY_BOUND,
        "recovery took {recovery:?} (bound {RECOVERY_BOUND:?})"
    );

    // tansu keeps topics in memory: the restarted broker is empty. The controller route works
    // again: the old name can be created anew, and a new topic too.
    let after = unique_topic("restart-after");
    let created = admin
        .create_topics(
            vec![NewTopic::new(&before, 3, 1), NewTopic::new(&after, 1, 1)],
            CreateTopicsOptions::default(),
        )
        .await
        .unwrap();
    created[&before].as_ref().unwrap();
    created[&after].as_ref().unwrap();
    let cluster = admin
        .metadata()
        .refresh_topics(&[&before, &after])
        .await
        .unwrap();
    assert_eq!(cluster.partitions_for(&before).unwrap().len(), 3);
    assert_eq!(cluster.partitions_for(&after).unwrap().len(), 1);
    let again = admin
        .create_topics(
            vec![NewTopic::new(&after, 1, 1)],
            CreateTopicsOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        again[&after].as_ref().unwrap_err().code(),
        Some(ErrorCode::TopicAlreadyExists)
    );
}
