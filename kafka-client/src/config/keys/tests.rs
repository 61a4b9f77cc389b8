//! The key table against Kafka's own key lists, the parsers and the committed page. No broker:
//! these are parses.

use std::collections::BTreeSet;

use super::*;
use crate::admin::AdminConfig;
use crate::config::{ClientConfig, ClientConfigBuilder, Properties};
use crate::consumer::ConsumerConfig;
use crate::error::Error;
use crate::producer::ProducerConfig;

// The keys each Java client defines (its `ConfigDef`, with the SSL and SASL client keys it
// adds), read from apache/kafka at commit 1eb7644349cb07139d6a3c1ad1986979647cac99
// (4.0.0-SNAPSHOT, 2024-10-25): clients/.../producer/ProducerConfig.java,
// .../consumer/ConsumerConfig.java, .../admin/AdminClientConfig.java, with
// CommonClientConfigs, SaslConfigs and SslConfigs.
const JAVA_PRODUCER_KEYS: &[&str] = &[
    "acks",
    "batch.size",
    "bootstrap.servers",
    "buffer.memory",
    "client.dns.lookup",
    "client.id",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.type",
    "compression.zstd.level",
    "connections.max.idle.ms",
    "delivery.timeout.ms",
    "enable.idempotence",
    "enable.metrics.push",
    "interceptor.classes",
    "key.serializer",
    "linger.ms",
    "max.block.ms",
    "max.in.flight.requests.per.connection",
    "max.request.size",
    "metadata.max.age.ms",
    "metadata.max.idle.ms",
    "metadata.recovery.strategy",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.recording.level",
    "metrics.sample.window.ms",
    "partitioner.adaptive.partitioning.enable",
    "partitioner.availability.timeout.ms",
    "partitioner.class",
    "partitioner.ignore.keys",
    "receive.buffer.bytes",
    "reconnect.backoff.max.ms",
    "reconnect.backoff.ms",
    "request.timeout.ms",
    "retries",
    "retry.backoff.max.ms",
    "retry.backoff.ms",
    "sasl.client.callback.handler.class",
    "sasl.jaas.config",
    "sasl.kerberos.kinit.cmd",
    "sasl.kerberos.min.time.before.relogin",
    "sasl.kerberos.service.name",
    "sasl.kerberos.ticket.renew.jitter",
    "sasl.kerberos.ticket.renew.window.factor",
    "sasl.login.callback.handler.class",
    "sasl.login.class",
    "sasl.login.connect.timeout.ms",
    "sasl.login.read.timeout.ms",
    "sasl.login.refresh.buffer.seconds",
    "sasl.login.refresh.min.period.seconds",
    "sasl.login.refresh.window.factor",
    "sasl.login.refresh.window.jitter",
    "sasl.login.retry.backoff.max.ms",
    "sasl.login.retry.backoff.ms",
    "sasl.mechanism",
    "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience",
    "sasl.oauthbearer.expected.issuer",
    "sasl.oauthbearer.header.urlencode",
    "sasl.oauthbearer.jwks.endpoint.refresh.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
    "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.scope.claim.name",
    "sasl.oauthbearer.sub.claim.name",
    "sasl.oauthbearer.token.endpoint.url",
    "security.protocol",
    "security.providers",
    "send.buffer.bytes",
    "socket.connection.setup.timeout.max.ms",
    "socket.connection.setup.timeout.ms",
    "ssl.cipher.suites",
    "ssl.enabled.protocols",
    "ssl.endpoint.identification.algorithm",
    "ssl.engine.factory.class",
    "ssl.key.password",
    "ssl.keymanager.algorithm",
    "ssl.keystore.certificate.chain",
    "ssl.keystore.key",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.keystore.type",
    "ssl.protocol",
    "ssl.provider",
    "ssl.secure.random.implementation",
    "ssl.trustmanager.algorithm",
    "ssl.truststore.certificates",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.type",
    "transaction.timeout.ms",
    "transactional.id",
    "value.serializer",
];

const JAVA_CONSUMER_KEYS: &[&str] = &[
    "allow.auto.create.topics",
    "auto.commit.interval.ms",
    "auto.offset.reset",
    "bootstrap.servers",
    "check.crcs",
    "client.dns.lookup",
    "client.id",
    "client.rack",
    "connections.max.idle.ms",
    "default.api.timeout.ms",
    "enable.auto.commit",
    "enable.metrics.push",
    "exclude.internal.topics",
    "fetch.max.bytes",
    "fetch.max.wait.ms",
    "fetch.min.bytes",
    "group.id",
    "group.instance.id",
    "group.protocol",
    "group.remote.assignor",
    "heartbeat.interval.ms",
    "interceptor.classes",
    "internal.leave.group.on.close",
    "internal.throw.on.fetch.stable.offset.unsupported",
    "isolation.level",
    "key.deserializer",
    "max.partition.fetch.bytes",
    "max.poll.interval.ms",
    "max.poll.records",
    "metadata.max.age.ms",
    "metadata.recovery.strategy",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.recording.level",
    "metrics.sample.window.ms",
    "partition.assignment.strategy",
    "receive.buffer.bytes",
    "reconnect.backoff.max.ms",
    "reconnect.backoff.ms",
    "request.timeout.ms",
    "retry.backoff.max.ms",
    "retry.backoff.ms",
    "sasl.client.callback.handler.class",
    "sasl.jaas.config",
    "sasl.kerberos.kinit.cmd",
    "sasl.kerberos.min.time.before.relogin",
    "sasl.kerberos.service.name",
    "sasl.kerberos.ticket.renew.jitter",
    "sasl.kerberos.ticket.renew.window.factor",
    "sasl.login.callback.handler.class",
    "sasl.login.class",
    "sasl.login.connect.timeout.ms",
    "sasl.login.read.timeout.ms",
    "sasl.login.refresh.buffer.seconds",
    "sasl.login.refresh.min.period.seconds",
    "sasl.login.refresh.window.factor",
    "sasl.login.refresh.window.jitter",
    "sasl.login.retry.backoff.max.ms",
    "sasl.login.retry.backoff.ms",
    "sasl.mechanism",
    "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience",
    "sasl.oauthbearer.expected.issuer",
    "sasl.oauthbearer.header.urlencode",
    "sasl.oauthbearer.jwks.endpoint.refresh.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
    "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.scope.claim.name",
    "sasl.oauthbearer.sub.claim.name",
    "sasl.oauthbearer.token.endpoint.url",
    "security.protocol",
    "security.providers",
    "send.buffer.bytes",
    "session.timeout.ms",
    "socket.connection.setup.timeout.max.ms",
    "socket.connection.setup.timeout.ms",
    "ssl.cipher.suites",
    "ssl.enabled.protocols",
    "ssl.endpoint.identification.algorithm",
    "ssl.engine.factory.class",
    "ssl.key.password",
    "ssl.keymanager.algorithm",
    "ssl.keystore.certificate.chain",
    "ssl.keystore.key",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.keystore.type",
    "ssl.protocol",
    "ssl.provider",
    "ssl.secure.random.implementation",
    "ssl.trustmanager.algorithm",
    "ssl.truststore.certificates",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.type",
    "value.deserializer",
];

const JAVA_ADMIN_KEYS: &[&str] = &[
    "bootstrap.controllers",
    "bootstrap.servers",
    "client.dns.lookup",
    "client.id",
    "connections.max.idle.ms",
    "default.api.timeout.ms",
    "enable.metrics.push",
    "metadata.max.age.ms",
    "metadata.recovery.strategy",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.recording.level",
    "metrics.sample.window.ms",
    "receive.buffer.bytes",
    "reconnect.backoff.max.ms",
    "reconnect.backoff.ms",
    "request.timeout.ms",
    "retries",
    "retry.backoff.max.ms",
    "retry.backoff.ms",
    "sasl.client.callback.handler.class",
    "sasl.jaas.config",
    "sasl.kerberos.kinit.cmd",
    "sasl.kerberos.min.time.before.relogin",
    "sasl.kerberos.service.name",
    "sasl.kerberos.ticket.renew.jitter",
    "sasl.kerberos.ticket.renew.window.factor",
    "sasl.login.callback.handler.class",
    "sasl.login.class",
    "sasl.login.connect.timeout.ms",
    "sasl.login.read.timeout.ms",
    "sasl.login.refresh.buffer.seconds",
    "sasl.login.refresh.min.period.seconds",
    "sasl.login.refresh.window.factor",
    "sasl.login.refresh.window.jitter",
    "sasl.login.retry.backoff.max.ms",
    "sasl.login.retry.backoff.ms",
    "sasl.mechanism",
    "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience",
    "sasl.oauthbearer.expected.issuer",
    "sasl.oauthbearer.header.urlencode",
    "sasl.oauthbearer.jwks.endpoint.refresh.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
    "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.scope.claim.name",
    "sasl.oauthbearer.sub.claim.name",
    "sasl.oauthbearer.token.endpoint.url",
    "security.protocol",
    "security.providers",
    "send.buffer.bytes",
    "socket.connection.setup.timeout.max.ms",
    "socket.connection.setup.timeout.ms",
    "ssl.cipher.suites",
    "ssl.enabled.protocols",
    "ssl.endpoint.identification.algorithm",
    "ssl.engine.factory.class",
    "ssl.key.password",
    "ssl.keymanager.algorithm",
    "ssl.keystore.certificate.chain",
    "ssl.keystore.key",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.keystore.type",
    "ssl.protocol",
    "ssl.provider",
    "ssl.secure.random.implementation",
    "ssl.trustmanager.algorithm",
    "ssl.truststore.certificates",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.type",
];

fn java_keys(client: Client) -> &'static [&'static str] {
    match client {
        Client::Producer => JAVA_PRODUCER_KEYS,
        Client::Consumer => JAVA_CONSUMER_KEYS,
        Client::Admin => JAVA_ADMIN_KEYS,
    }
}

const CLIENTS: [Client; 3] = [Client::Producer, Client::Consumer, Client::Admin];

fn config_err<T: std::fmt::Debug>(result: crate::Result<T>) -> (String, String) {
    match result.unwrap_err() {
        Error::Config { key, reason } => (key, reason),
        other => panic!("expected a config error, got {other:?}"),
    }
}

/// Parses `props` (plus a bootstrap server) as `client` would; the Debug text of the result.
fn parse_as(client: Client, props: &[(&str, &str)]) -> crate::Result<String> {
    let mut all = vec![("bootstrap.servers", "localhost:9092")];
    all.extend_from_slice(props);
    match client {
        Client::Producer => ProducerConfig::from_properties(all).map(|c| format!("{c:?}")),
        Client::Consumer => ConsumerConfig::from_properties(all).map(|c| format!("{c:?}")),
        Client::Admin => {
            let mut shared = ClientConfigBuilder::default();
            let mut admin = AdminConfig::default();
            all.into_iter()
                .collect::<Properties>()
                .apply_all_as(Client::Admin, &mut [&mut shared, &mut admin])?;
            Ok(format!("{:?} {admin:?}", shared.build()?))
        }
    }
}

/// The keys each client's parser takes, as its sections list them.
fn parsed_keys(client: Client) -> BTreeSet<&'static str> {
    let own: &[&str] = match client {
        Client::Producer => ProducerConfig::KEYS,
        Client::Consumer => ConsumerConfig::KEYS,
        Client::Admin => &["default.api.timeout.ms"],
    };
    ClientConfig::KEYS.iter().chain(own).copied().collect()
}

#[test]
fn every_java_key_has_an_entry() {
    let mut missing = Vec::new();
    for client in CLIENTS {
        let mut counts = [0usize; 3];
        for key in java_keys(client) {
            match lookup(key, Some(client)).map(|row| row.treatment) {
                Some(Treatment::Implemented { .. }) => counts[0] += 1,
                Some(Treatment::NoEffect { .. }) => counts[1] += 1,
                Some(Treatment::Refused { .. }) => counts[2] += 1,
                Some(Treatment::Alias { .. }) | None => missing.push((client, *key)),
            }
        }
        println!(
            "{}: {} Java keys: {} implemented, {} no effect, {} refused",
            client.name(),
            java_keys(client).len(),
            counts[0],
            counts[1],
            counts[2]
        );
    }
    assert!(
        missing.is_empty(),
        "Java keys without an entry: {missing:?}"
    );
}

#[test]
fn rows_are_unique_per_client_and_aliases_point_at_implemented_keys() {
    for client in CLIENTS {
        let mut seen = BTreeSet::new();
        for row in KEYS.iter().filter(|row| row.clients.has(client)) {
            assert!(
                seen.insert(row.key),
                "{} twice for the {}",
                row.key,
                client.name()
            );
            if let Treatment::Alias { of } = row.treatment {
                assert!(
                    matches!(
                        lookup(of, Some(client)).map(|r| r.treatment),
                        Some(Treatment::Implemented { .. })
                    ),
                    "{} is an alias of {of}, which the {} does not implement",
                    row.key,
                    client.name()
                );
            }
        }
    }
}

#[test]
fn implemented_rows_are_exactly_the_keys_the_parsers_take() {
    for client in CLIENTS {
        let table: BTreeSet<&str> = KEYS
            .iter()
            .filter(|row| row.clients.has(client))
            .filter(|row| matches!(row.treatment, Treatment::Implemented { .. }))
            .map(|row| row.key)
            .collect();
        assert_eq!(table, parsed_keys(client), "{}", client.name());
    }
}

/// A documented default, given as the key's value, builds the same config as leaving the key
/// out. The `sasl.*` keys are left out: they only parse beside a SASL mechanism and credentials
/// (the OAuth ones beside a token endpoint), and `crate::oauth` tests their defaults.
#[test]
fn documented_defaults_are_the_defaults() {
    let mut checked = 0;
    for client in CLIENTS {
        let default = parse_as(client, &[]).unwrap();
        for row in KEYS.iter().filter(|row| row.clients.has(client)) {
            let Treatment::Implemented {
                default: Some(value),
                ..
            } = row.treatment
            else {
                continue;
            };
            if row.key.starts_with("sasl.") {
                continue;
            }
            let set = parse_as(client, &[(row.key, value)])
                .unwrap_or_else(|e| panic!("{} {}={value}: {e}", client.name(), row.key));
            assert_eq!(set, default, "{} {}={value}", client.name(), row.key);
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} defaults checked");
}

#[test]
fn keys_with_no_effect_are_accepted_by_their_clients() {
    for client in CLIENTS {
        for row in KEYS.iter().filter(|row| row.clients.has(client)) {
            if let Treatment::NoEffect { .. } = row.treatment {
                parse_as(client, &[(row.key, "false")])
                    .unwrap_or_else(|e| panic!("{} {}: {e}", client.name(), row.key));
            }
        }
    }
    // The keys a new user met first (issue 22).
    parse_as(
        Client::Consumer,
        &[
            ("allow.auto.create.topics", "false"),
            ("exclude.internal.topics", "true"),
            (
                "key.deserializer",
                "org.apache.kafka.common.serialization.StringDeserializer",
            ),
        ],
    )
    .unwrap();
}

#[test]
fn refused_keys_say_why_and_what_to_use_instead() {
    let (key, reason) = config_err(parse_as(
        Client::Producer,
        &[("ssl.keystore.location", "/etc/kafka/client.jks")],
    ));
    assert_eq!(key, "ssl.keystore.location");
    assert_eq!(
        reason,
        format!(
            "not supported by this client: Java keystores (JKS, PKCS12) are not read; instead, {}",
            KEYSTORE_INSTEAD
        )
    );
    let (key, reason) = config_err(parse_as(
        Client::Consumer,
        &[("interceptor.classes", "com.example.Audit")],
    ));
    assert_eq!(key, "interceptor.classes");
    assert!(
        reason.contains("Java class") && reason.contains("RUST_LOG"),
        "{reason}"
    );
    let (_, reason) = config_err(parse_as(Client::Admin, &[("debug", "all")]));
    assert!(reason.contains("RUST_LOG=kafkito=debug"), "{reason}");
    let (_, reason) = config_err(parse_as(Client::Producer, &[("batch.num.messages", "100")]));
    assert!(reason.contains("batch.size"), "{reason}");
    // Every refused row gives both parts.
    for row in KEYS {
        if let Treatment::Refused { why, instead } = row.treatment {
            assert!(!why.is_empty() && !instead.is_empty(), "{}", row.key);
        }
    }
}

#[test]
fn another_clients_key_names_its_owner() {
    let (key, reason) = config_err(parse_as(Client::Consumer, &[("linger.ms", "5")]));
    assert_eq!(
        (key.as_str(), reason.as_str()),
        ("linger.ms", "a producer key; the consumer does not take it")
    );
    let (_, reason) = config_err(parse_as(Client::Producer, &[("key.deserializer", "x")]));
    assert_eq!(reason, "a consumer key; the producer does not take it");
    let (_, reason) = config_err(parse_as(Client::Admin, &[("group.id", "g")]));
    assert_eq!(reason, "a consumer key; the admin client does not take it");
}

#[test]
fn unknown_keys_suggest_the_nearest_known_key() {
    for (client, typo, meant) in [
        (Client::Producer, "linger_ms", "linger.ms"),
        (Client::Producer, "LINGER.MS", "linger.ms"),
        (Client::Consumer, "bootstrap.server", "bootstrap.servers"),
        (Client::Consumer, "auto.offset.rest", "auto.offset.reset"),
        (Client::Producer, "enable-idempotence", "enable.idempotence"),
        (
            Client::Admin,
            "default.api.timeout",
            "default.api.timeout.ms",
        ),
    ] {
        let (key, reason) = config_err(parse_as(client, &[(typo, "1")]));
        assert_eq!(key, typo);
        assert_eq!(
            reason,
            format!("unknown configuration key; did you mean `{meant}`?")
        );
    }
    // Nothing near: no guess.
    let (_, reason) = config_err(parse_as(Client::Producer, &[("colour", "blue")]));
    assert_eq!(reason, "unknown configuration key");
    assert_eq!(
        suggest("session.timeout", Some(Client::Consumer)),
        Some("session.timeout.ms")
    );
}

#[test]
fn edit_distance_counts_insertions_deletions_and_substitutions() {
    assert_eq!(edit_distance("", ""), 0);
    assert_eq!(edit_distance("abc", "abc"), 0);
    assert_eq!(edit_distance("abc", "abd"), 1);
    assert_eq!(edit_distance("abc", "ab"), 1);
    assert_eq!(edit_distance("ab", "abc"), 1);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}

#[test]
fn librdkafka_aliases_set_the_kafka_setting() {
    let producer = ProducerConfig::from_properties([
        ("metadata.broker.list", "k1:9092,k2:9092"),
        ("queue.buffering.max.ms", "7"),
        ("compression.codec", "lz4"),
        ("message.timeout.ms", "90000"),
        ("message.max.bytes", "2000000"),
        ("socket.timeout.ms", "20000"),
    ])
    .unwrap();
    assert_eq!(producer.linger, std::time::Duration::from_millis(7));
    assert_eq!(producer.client.bootstrap_servers, ["k1:9092", "k2:9092"]);
    assert_eq!(
        producer.compression,
        kafkito_protocol::records::Compression::Lz4
    );
    assert_eq!(
        producer.delivery_timeout,
        std::time::Duration::from_secs(90)
    );
    assert_eq!(producer.max_request_size, 2_000_000);
    assert_eq!(
        producer.client.request_timeout,
        std::time::Duration::from_secs(20)
    );
    let acks = ProducerConfig::from_properties([
        ("bootstrap.servers", "k:1"),
        ("request.required.acks", "1"),
        ("message.send.max.retries", "3"),
    ])
    .unwrap();
    assert_eq!(acks.acks, crate::producer::Acks::Leader);
    assert_eq!(acks.retries, 3);
    let consumer = ConsumerConfig::from_properties([
        ("bootstrap.servers", "k:1"),
        ("fetch.wait.max.ms", "100"),
        ("fetch.message.max.bytes", "4096"),
    ])
    .unwrap();
    assert_eq!(
        consumer.fetch_max_wait,
        std::time::Duration::from_millis(100)
    );
    assert_eq!(consumer.max_partition_fetch_bytes, 4096);

    // A bad value names the spelling the user wrote.
    let (key, reason) = config_err(parse_as(
        Client::Producer,
        &[("queue.buffering.max.ms", "-1")],
    ));
    assert_eq!(key, "queue.buffering.max.ms");
    assert_eq!(
        reason,
        "`-1` is out of range: expected 0..=9223372036854775807 \
         (`queue.buffering.max.ms` is librdkafka's spelling of `linger.ms`)"
    );
    // Both spellings at once: refused rather than one silently winning.
    let (key, reason) = config_err(parse_as(
        Client::Producer,
        &[("linger.ms", "5"), ("queue.buffering.max.ms", "7")],
    ));
    assert_eq!(key, "queue.buffering.max.ms");
    assert_eq!(
        reason,
        "librdkafka's spelling of `linger.ms`, which is also set; keep one"
    );
    // A producer alias given to a consumer is another client's key.
    let (key, reason) = config_err(parse_as(
        Client::Consumer,
        &[("queue.buffering.max.ms", "7")],
    ));
    assert_eq!(key, "queue.buffering.max.ms");
    assert!(reason.starts_with("a producer key"), "{reason}");
}

#[test]
fn out_of_range_values_name_the_range() {
    let (key, reason) = config_err(parse_as(Client::Consumer, &[("max.poll.records", "-3")]));
    assert_eq!(key, "max.poll.records");
    assert_eq!(reason, "`-3` is out of range: expected 0..=2147483647");
    let (_, reason) = config_err(parse_as(Client::Producer, &[("batch.size", "2147483648")]));
    assert_eq!(
        reason,
        "`2147483648` is out of range: expected 0..=2147483647"
    );
    // Where zero is refused too, the rule names the whole range.
    let (key, reason) = config_err(parse_as(Client::Consumer, &[("max.poll.records", "0")]));
    assert_eq!(key, "max.poll.records");
    assert_eq!(reason, "must be in 1..=2147483647");
    let (_, reason) = config_err(parse_as(Client::Producer, &[("batch.size", "0")]));
    assert_eq!(reason, "must be in 1..=2147483647");
}

/// `docs/configuration.md` is what [`markdown`] renders from the table. Run with
/// `UPDATE_CONFIG_DOC=1` to rewrite it.
#[test]
fn configuration_page_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md");
    let rendered = markdown();
    if std::env::var_os("UPDATE_CONFIG_DOC").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "{} is stale: run `UPDATE_CONFIG_DOC=1 cargo test -p kafkito --lib configuration_page`",
        path.display()
    );
}
