//! The harness itself works: a broker answers, kcat round-trips records
//! through it, and the container controls and mock cluster behave.

use std::time::Duration;

use integration_tests::kcat::{kcat, KCAT_TIMEOUT};
use integration_tests::{
    broker, dedicated_broker, kcat_consume, kcat_produce, probe_api_versions, unique_topic,
    MockCluster,
};

#[tokio::test]
async fn broker_answers_api_versions() {
    let broker = broker().await;
    let first = broker.bootstrap().split(',').next().unwrap().to_string();
    let apis = probe_api_versions(&first, Duration::from_secs(5))
        .await
        .unwrap();
    for (key, name) in [
        (0, "Produce"),
        (1, "Fetch"),
        (3, "Metadata"),
        (18, "ApiVersions"),
    ] {
        assert!(
            apis.iter().any(|a| a.api_key == key),
            "broker does not advertise {name} ({key}): {apis:?}"
        );
    }
}

#[tokio::test]
async fn kcat_round_trips_three_records() {
    let broker = broker().await;
    let topic = unique_topic("harness-roundtrip");
    // One partition keeps the order; keys prove key and value both survive.
    kcat_produce(
        &broker.bootstrap(),
        &topic,
        &["k1:v1", "k2:v2", "k3:v3"],
        &["-p", "0", "-K", ":"],
    )
    .await;
    let out = kcat_consume(&broker.bootstrap(), &topic, 3, "%p %o %k=%s\n").await;
    assert_eq!(out, "0 0 k1=v1\n0 1 k2=v2\n0 2 k3=v3\n");
}

#[tokio::test]
async fn advertised_address_is_reachable_from_the_host() {
    // Clients reconnect to the address in Metadata, not the bootstrap one:
    // it must be the mapped host port.
    let broker = broker().await;
    let out = kcat(&["-b", &broker.bootstrap(), "-L", "-J"], None, KCAT_TIMEOUT)
        .await
        .unwrap();
    assert!(out.success(), "{out}");
    if !broker.is_external() {
        let port = broker.bootstrap().rsplit(':').next().unwrap().to_string();
        assert!(
            out.stdout
                .contains(&format!("\"name\":\"127.0.0.1:{port}\"")),
            "metadata does not advertise 127.0.0.1:{port}: {}",
            out.stdout
        );
    }
}

#[test]
fn unique_topics_are_unique_and_valid() {
    let a = unique_topic("a b/c");
    let b = unique_topic("a b/c");
    assert_ne!(a, b);
    assert!(a.starts_with("a-b-c-"), "{a}");
    assert!(a
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
    assert!(unique_topic(&"x".repeat(400)).len() <= 249);
}

#[tokio::test]
async fn dedicated_broker_restarts_on_the_same_port_empty() {
    let broker = dedicated_broker().await;
    if broker.is_external() {
        // Controls must refuse, not pretend.
        assert!(broker.stop(Duration::ZERO).await.is_err());
        return;
    }
    let bootstrap = broker.bootstrap();
    let topic = unique_topic("harness-restart");
    kcat_produce(&bootstrap, &topic, &["before"], &["-p", "0"]).await;

    broker.stop(Duration::from_secs(5)).await.unwrap();
    assert!(
        probe_api_versions(&bootstrap, Duration::from_millis(500))
            .await
            .is_err(),
        "a stopped broker still answers"
    );
    broker.start().await.unwrap();
    probe_api_versions(&bootstrap, Duration::from_secs(5))
        .await
        .unwrap();

    // Memory storage: the restarted broker starts empty, and still works.
    kcat_produce(&bootstrap, &topic, &["after"], &["-p", "0"]).await;
    let out = kcat_consume(&bootstrap, &topic, 1, "%o %s\n").await;
    assert_eq!(out, "0 after\n");

    broker.pause().await.unwrap();
    assert!(
        probe_api_versions(&bootstrap, Duration::from_millis(500))
            .await
            .is_err(),
        "a paused broker still answers"
    );
    broker.unpause().await.unwrap();
    probe_api_versions(&bootstrap, Duration::from_secs(5))
        .await
        .unwrap();
}

#[tokio::test]
async fn mock_cluster_has_the_asked_number_of_brokers() {
    let cluster = MockCluster::start(3).await;
    assert_eq!(cluster.bootstrap().split(',').count(), 3);
    let out = kcat(&["-b", &cluster.bootstrap(), "-L"], None, KCAT_TIMEOUT)
        .await
        .unwrap();
    assert!(out.success(), "{out}");
    assert!(out.stdout.contains(" 3 brokers:"), "{}", out.stdout);
}
