use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

use super::jaas::parse_jaas_config;
use super::*;
use crate::error::{Error, Result};

const BOOTSTRAP: (&str, &str) = ("bootstrap.servers", "localhost:9092");

/// Parses `props` plus a valid `bootstrap.servers`.
fn parse(props: &[(&str, &str)]) -> Result<ClientConfig> {
    ClientConfig::from_properties(std::iter::once(BOOTSTRAP).chain(props.iter().copied()))
}

/// The `(key, reason)` of a config error.
fn config_err(result: Result<impl fmt::Debug>) -> (String, String) {
    match result {
        Err(Error::Config { key, reason }) => (key, reason),
        other => panic!("expected a config error, got {other:?}"),
    }
}

/// Asserts that `props` fail on `key` with a reason containing `needle`.
#[track_caller]
fn assert_rejects(props: &[(&str, &str)], key: &str, needle: &str) {
    let (got_key, reason) = config_err(parse(props));
    assert_eq!(got_key, key, "reason: {reason}");
    assert!(
        reason.contains(needle),
        "reason {reason:?} should contain {needle:?}"
    );
}

#[derive(Debug)]
struct StaticToken;

impl OAuthTokenProvider for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<OAuthToken>> {
        Box::pin(async {
            Ok(OAuthToken {
                value: "token".into(),
                principal: "alice".into(),
                expires_at: SystemTime::UNIX_EPOCH,
                extensions: Vec::new(),
            })
        })
    }
}

const PLAIN_JAAS: &str = r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="p@ss word";"#;

// --- Properties ------------------------------------------------------------------------

#[test]
fn unknown_key_is_reported_with_the_exact_reason() {
    let (key, reason) = config_err(parse(&[("bootstrap.server", "x:1")]));
    assert_eq!(key, "bootstrap.server");
    assert_eq!(
        reason,
        "unknown configuration key; did you mean `bootstrap.servers`?"
    );
    let (key, reason) = config_err(parse(&[("colour", "blue")]));
    assert_eq!(key, "colour");
    assert_eq!(reason, "unknown configuration key");
}

#[test]
fn first_unknown_key_in_insertion_order_is_reported() {
    let (key, _) = config_err(parse(&[("zzz", "1"), ("aaa", "1")]));
    assert_eq!(key, "zzz");
}

#[test]
fn producer_and_consumer_keys_are_refused_by_the_client_alone() {
    for (key, owner) in [
        ("linger.ms", "producer"),
        ("group.id", "consumer"),
        ("acks", "producer"),
        ("default.api.timeout.ms", "consumer and admin client"),
    ] {
        let (got, reason) = config_err(parse(&[(key, "1")]));
        assert_eq!(
            (got.as_str(), reason.as_str()),
            (
                key,
                format!(
                    "a {owner} key; the shared client settings take only the keys every client has"
                )
                .as_str()
            )
        );
    }
}

#[test]
fn keys_are_shared_between_sections_and_leftovers_are_unknown() {
    #[derive(Default)]
    struct Producer {
        linger: Option<Duration>,
        idempotence: Option<bool>,
    }
    impl ApplyProperties for Producer {
        fn apply_properties(&mut self, props: &mut Properties) -> Result<()> {
            self.linger = props.take_duration_ms("linger.ms")?;
            self.idempotence = props.take_bool("enable.idempotence")?;
            Ok(())
        }
    }
    let mut client = ClientConfigBuilder::default();
    let mut producer = Producer::default();
    let props: Properties = [
        ("bootstrap.servers", "a:1"),
        ("linger.ms", "7"),
        ("enable.idempotence", "TRUE"),
    ]
    .into_iter()
    .collect();
    props.apply_all(&mut [&mut client, &mut producer]).unwrap();
    assert_eq!(producer.linger, Some(Duration::from_millis(7)));
    assert_eq!(producer.idempotence, Some(true));
    assert_eq!(client.build().unwrap().bootstrap_servers, ["a:1"]);

    let props: Properties = [("linger.ms", "7"), ("group.id", "g")]
        .into_iter()
        .collect();
    let err = props
        .apply_all(&mut [
            &mut ClientConfigBuilder::default(),
            &mut Producer::default(),
        ])
        .unwrap_err();
    assert!(matches!(err, Error::Config { ref key, .. } if key == "group.id"));
}

#[test]
fn bad_value_error_names_key_and_value() {
    let mut props: Properties = [("linger.ms", "abc")].into_iter().collect();
    let err = props.take_duration_ms("linger.ms").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration `linger.ms`: expected a non-negative integer, got `abc`"
    );
    // Taken even though it failed: it must not also show up as "unknown".
    assert!(props.is_empty());
}

#[test]
fn later_duplicate_wins_and_keys_are_trimmed() {
    let config = parse(&[("client.id", "first"), (" client.id ", " second ")]).unwrap();
    assert_eq!(config.client_id, "second");
}

#[test]
fn properties_helpers() {
    let mut props: Properties = [
        ("b1", "true"),
        ("b2", "False"),
        ("b3", "yes"),
        ("n", "2147483648"),
        ("l", " a , b,, "),
        ("e", "Two"),
        ("e2", "three"),
        ("p", ""),
    ]
    .into_iter()
    .collect();
    assert_eq!(props.len(), 8);
    assert!(props.contains_key("b1"));
    assert_eq!(props.take_bool("b1").unwrap(), Some(true));
    assert_eq!(props.take_bool("b2").unwrap(), Some(false));
    let (_, reason) = config_err(props.take_bool("b3"));
    assert_eq!(reason, "expected `true` or `false`, got `yes`");
    let (_, reason) = config_err(props.take_u32("n"));
    assert_eq!(
        reason,
        "`2147483648` is out of range: expected 0..=2147483647"
    );
    assert_eq!(props.take_list("l").unwrap(), ["a", "b"]);
    let choices = [("one", 1), ("two", 2)];
    assert_eq!(props.take_enum("e", &choices).unwrap(), Some(2));
    let (_, reason) = config_err(props.take_enum("e2", &choices));
    assert_eq!(reason, "expected one of `one`, `two`, got `three`");
    assert_eq!(props.take_path("p"), Some(None));
    assert_eq!(props.take_bool("missing").unwrap(), None);
    assert!(props.is_empty());
    props.finish().unwrap();
}

#[test]
fn properties_debug_shows_keys_not_values() {
    let props: Properties = [("sasl.password", "hunter2")].into_iter().collect();
    let debug = format!("{props:?}");
    assert!(debug.contains("sasl.password"));
    assert!(!debug.contains("hunter2"));
}

#[test]
fn long_values_are_cut_short_in_errors() {
    let long = "x".repeat(500);
    let (_, reason) = config_err(parse(&[("request.timeout.ms", &long)]));
    assert!(reason.len() < 120, "{reason}");
    assert!(reason.ends_with("…`"));
}

// --- every key -------------------------------------------------------------------------

#[test]
fn defaults_apply_to_unset_keys() {
    let config = parse(&[]).unwrap();
    let default = ClientConfig::default();
    assert_eq!(config.client_id, default.client_id);
    assert_eq!(config.request_timeout, Duration::from_secs(30));
    assert_eq!(config.security_protocol, SecurityProtocol::Plaintext);
    assert_eq!(config.tls, TlsConfig::default());
    assert!(config.sasl.is_none());
}

#[test]
fn every_listed_key_is_accepted() {
    // A value each key accepts in a config where the SSL/SASL keys are legal.
    let value = |key: &str| match key {
        "bootstrap.servers" => "b:1",
        "client.dns.lookup" => "use_all_dns_ips",
        "security.protocol" => "SASL_SSL",
        "ssl.ca.location" | "ssl.certificate.location" | "ssl.key.location" => "/x.pem",
        "ssl.ca.pem" => "",
        "ssl.endpoint.identification.algorithm" => "https",
        "sasl.mechanism" => "PLAIN",
        "sasl.jaas.config" => PLAIN_JAAS,
        "sasl.oauthbearer.header.urlencode" => "false",
        "sasl.login.refresh.window.factor" | "sasl.login.refresh.window.jitter" => "0.1",
        k if k.ends_with(".ms") || k.starts_with("max.") || k.ends_with(".bytes") => "1",
        k if k.ends_with(".seconds") => "1",
        "metrics.num.samples" => "2",
        _ => "x",
    };
    for key in ClientConfig::KEYS {
        let mut props = Properties::new();
        props.insert(key, value(key));
        let mut builder = ClientConfigBuilder::default();
        builder.apply_properties(&mut props).unwrap();
        assert!(props.is_empty(), "{key} was not taken");
    }
}

#[test]
fn every_key_sets_its_field() {
    let config = ClientConfig::from_properties([
        (
            "bootstrap.servers",
            " a:1 , [::1]:9093, b-2.example.com:9094,",
        ),
        ("client.id", "app"),
        ("request.timeout.ms", "1001"),
        ("socket.connection.setup.timeout.ms", "1002"),
        ("connections.max.idle.ms", "1003"),
        ("reconnect.backoff.ms", "1004"),
        ("reconnect.backoff.max.ms", "1005"),
        ("retry.backoff.ms", "1006"),
        ("retry.backoff.max.ms", "1007"),
        ("metadata.max.age.ms", " 1008 "),
        (
            "client.dns.lookup",
            "RESOLVE_CANONICAL_BOOTSTRAP_SERVERS_ONLY",
        ),
        ("max.in.flight.requests.per.connection", "1"),
        ("socket.max.response.bytes", "1048576"),
        ("metrics.sample.window.ms", "1009"),
        ("metrics.num.samples", "3"),
        ("security.protocol", "sasl_ssl"),
        ("ssl.certificate.location", "/etc/client.pem"),
        ("ssl.key.location", "/etc/client.key"),
        ("ssl.ca.location", "/etc/ca.pem"),
        ("ssl.endpoint.identification.algorithm", "none"),
        ("sasl.mechanism", "scram-sha-256"),
        ("sasl.username", " bob "),
        ("sasl.password", " pw "),
    ])
    .unwrap();
    assert_eq!(
        config.bootstrap_servers,
        ["a:1", "[::1]:9093", "b-2.example.com:9094"]
    );
    assert_eq!(config.client_id, "app");
    let ms = Duration::from_millis;
    assert_eq!(config.request_timeout, ms(1001));
    assert_eq!(config.socket_connection_setup_timeout, ms(1002));
    assert_eq!(config.connections_max_idle, ms(1003));
    assert_eq!(config.reconnect_backoff, ms(1004));
    assert_eq!(config.reconnect_backoff_max, ms(1005));
    assert_eq!(config.retry_backoff, ms(1006));
    assert_eq!(config.retry_backoff_max, ms(1007));
    assert_eq!(config.metadata_max_age, ms(1008));
    assert_eq!(
        config.client_dns_lookup,
        DnsLookup::ResolveCanonicalBootstrapServersOnly
    );
    assert_eq!(config.max_in_flight_requests_per_connection, 1);
    assert_eq!(config.max_response_size, 1 << 20);
    assert_eq!(config.metrics_sample_window, ms(1009));
    assert_eq!(config.metrics_num_samples, 3);
    assert_eq!(config.security_protocol, SecurityProtocol::SaslSsl);
    assert_eq!(
        config.tls,
        TlsConfig {
            ca_location: Some("/etc/ca.pem".into()),
            ca_pem: None,
            certificate_location: Some("/etc/client.pem".into()),
            key_location: Some("/etc/client.key".into()),
            endpoint_identification: false,
        }
    );
    let sasl = config.sasl.unwrap();
    assert_eq!(sasl.mechanism, SaslMechanism::ScramSha256);
    // Usernames are trimmed like every value; passwords are kept as given.
    assert_eq!(sasl.username, "bob");
    assert_eq!(sasl.password, " pw ");
}

#[test]
fn client_id_may_be_empty() {
    assert_eq!(parse(&[("client.id", "")]).unwrap().client_id, "");
}

#[test]
fn duration_keys_reject_bad_values() {
    let durations = ClientConfig::KEYS.iter().filter(|k| k.ends_with(".ms"));
    for key in durations {
        let (_, reason) = config_err(parse(&[(key, "-5")]));
        assert_eq!(
            reason,
            "`-5` is out of range: expected 0..=9223372036854775807"
        );
        for bad in ["abc", "1.5", "", "10ms", "--5"] {
            let (got, reason) = config_err(parse(&[(key, bad)]));
            assert_eq!(&got, key);
            assert_eq!(
                reason,
                format!("expected a non-negative integer, got `{bad}`")
            );
        }
        let (_, reason) = config_err(parse(&[(key, "9223372036854775808")]));
        assert!(reason.contains("out of range"), "{reason}");
        // The largest Java long is accepted, and zero where zero makes sense.
        parse(&[(key, "9223372036854775807")]).unwrap();
    }
    parse(&[("metadata.max.age.ms", "0"), ("retry.backoff.ms", "+0")]).unwrap();
}

#[test]
fn timeouts_must_be_positive() {
    assert_rejects(
        &[("request.timeout.ms", "0")],
        "request.timeout.ms",
        "at least 1 ms",
    );
    assert_rejects(
        &[("socket.connection.setup.timeout.ms", "0")],
        "socket.connection.setup.timeout.ms",
        "at least 1 ms",
    );
}

#[test]
fn count_keys_reject_bad_values() {
    for key in [
        "max.in.flight.requests.per.connection",
        "socket.max.response.bytes",
    ] {
        assert_rejects(&[(key, "0")], key, "must be at least 1");
        assert_rejects(
            &[(key, "-1")],
            key,
            "`-1` is out of range: expected 0..=2147483647",
        );
        assert_rejects(&[(key, "many")], key, "expected a non-negative integer");
        assert_rejects(&[(key, "4294967296")], key, "out of range");
    }
}

#[test]
fn dns_lookup_values() {
    assert_eq!(
        parse(&[("client.dns.lookup", "use_all_dns_ips")])
            .unwrap()
            .client_dns_lookup,
        DnsLookup::UseAllDnsIps
    );
    assert_rejects(
        &[("client.dns.lookup", "default")],
        "client.dns.lookup",
        "expected one of `use_all_dns_ips`, `resolve_canonical_bootstrap_servers_only`, got `default`",
    );
}

#[test]
fn security_protocol_is_case_insensitive() {
    for (text, protocol) in [
        ("PLAINTEXT", SecurityProtocol::Plaintext),
        ("ssl", SecurityProtocol::Ssl),
        ("Sasl_Plaintext", SecurityProtocol::SaslPlaintext),
        ("sasl_ssl", SecurityProtocol::SaslSsl),
    ] {
        let mut builder = ClientConfig::builder().bootstrap_servers(["a:1"]);
        if protocol.uses_sasl() {
            builder = builder.set("sasl.jaas.config", PLAIN_JAAS).unwrap();
        }
        let config = builder
            .set("security.protocol", text)
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(config.security_protocol, protocol);
        assert_eq!(
            protocol.name().to_ascii_lowercase(),
            text.to_ascii_lowercase()
        );
    }
    assert_rejects(
        &[("security.protocol", "TLS")],
        "security.protocol",
        "expected one of `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT`, `SASL_SSL`, got `TLS`",
    );
}

// --- bootstrap.servers -----------------------------------------------------------------

#[test]
fn bootstrap_servers_are_required() {
    let (key, reason) = config_err(ClientConfig::from_properties(Vec::<(&str, &str)>::new()));
    assert_eq!(key, "bootstrap.servers");
    assert!(reason.contains("no servers"));
    let (key, _) = config_err(ClientConfig::from_properties([(
        "bootstrap.servers",
        " , ",
    )]));
    assert_eq!(key, "bootstrap.servers");
    let (key, _) = config_err(ClientConfig::builder().build());
    assert_eq!(key, "bootstrap.servers");
}

#[test]
fn bootstrap_server_entries_are_host_port() {
    for (entry, needle) in [
        ("localhost", "expected host:port"),
        ("localhost:", "the port `` is not a number from 1 to 65535"),
        ("localhost:0", "the port `0`"),
        ("localhost:65536", "the port `65536`"),
        ("localhost:+80", "the port `+80`"),
        ("localhost:http", "the port `http`"),
        (":9092", "the host is missing"),
        ("SASL_SSL://kafka:9092", "without the `SASL_SSL://` prefix"),
        ("::1:9092", "needs brackets"),
        ("[::1:9092", "without a closing `]`"),
        ("[::1]9092", "expected host:port"),
        ("[kafka]:9092", "is not an IPv6 address"),
        ("kaf ka:9092", "` ` cannot appear"),
        ("kafka/1:9092", "`/` cannot appear"),
    ] {
        let (key, reason) = config_err(ClientConfig::from_properties([(
            "bootstrap.servers",
            format!("ok:1,{entry}"),
        )]));
        assert_eq!(key, "bootstrap.servers");
        assert!(reason.contains(needle), "{entry}: {reason}");
        assert!(reason.contains(&format!("`{entry}`")), "{entry}: {reason}");
    }
    for good in [
        "k:1",
        "k:65535",
        "10.0.0.1:9092",
        "[fe80::1%eth0]:9092",
        "my_host.local:9092",
    ] {
        ClientConfig::from_properties([("bootstrap.servers", good)]).unwrap();
    }
}

#[test]
fn typed_bootstrap_servers_are_validated_too() {
    let err = ClientConfig::builder()
        .bootstrap_servers(["a:1", "b"])
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("`b`: expected host:port"));
    let config = ClientConfig::builder()
        .bootstrap_servers(vec![String::from(" a:1 ")])
        .build()
        .unwrap();
    assert_eq!(config.bootstrap_servers, ["a:1"]);
}

// --- ssl.* -----------------------------------------------------------------------------

#[test]
fn ssl_keys_need_a_tls_protocol() {
    assert_rejects(
        &[("ssl.ca.location", "/ca.pem")],
        "security.protocol",
        "ssl.* settings are present but security.protocol is PLAINTEXT",
    );
    assert_rejects(
        &[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.jaas.config", PLAIN_JAAS),
            ("ssl.endpoint.identification.algorithm", "none"),
        ],
        "security.protocol",
        "is SASL_PLAINTEXT; use SSL or SASL_SSL",
    );
    // Values equal to the defaults are not "settings present".
    parse(&[
        ("ssl.ca.location", ""),
        ("ssl.endpoint.identification.algorithm", "https"),
    ])
    .unwrap();
}

#[test]
fn ssl_ca_pem() {
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let config = parse(&[("security.protocol", "SSL"), ("ssl.ca.pem", pem)]).unwrap();
    assert_eq!(config.tls.ca_pem.as_deref(), Some(pem.trim()));
    assert_rejects(
        &[("security.protocol", "SSL"), ("ssl.ca.pem", "/etc/ca.pem")],
        "ssl.ca.pem",
        "expected PEM text",
    );
    assert_rejects(
        &[
            ("security.protocol", "SSL"),
            ("ssl.ca.pem", pem),
            ("ssl.ca.location", "/ca.pem"),
        ],
        "ssl.ca.pem",
        "not both",
    );
}

#[test]
fn ssl_certificate_and_key_come_together() {
    assert_rejects(
        &[
            ("security.protocol", "SSL"),
            ("ssl.certificate.location", "/c.pem"),
        ],
        "ssl.key.location",
        "needs its private key",
    );
    assert_rejects(
        &[("security.protocol", "SSL"), ("ssl.key.location", "/k.pem")],
        "ssl.certificate.location",
        "needs its certificate",
    );
}

#[test]
fn ssl_endpoint_identification_values() {
    for (text, check) in [
        ("https", true),
        ("HTTPS", true),
        ("none", false),
        ("", false),
    ] {
        let config = parse(&[
            ("security.protocol", "SSL"),
            ("ssl.endpoint.identification.algorithm", text),
        ])
        .unwrap();
        assert_eq!(config.tls.endpoint_identification, check, "{text:?}");
    }
    assert_rejects(
        &[
            ("security.protocol", "SSL"),
            ("ssl.endpoint.identification.algorithm", "ldaps"),
        ],
        "ssl.endpoint.identification.algorithm",
        "expected `https`, `none` or empty, got `ldaps`",
    );
}

// --- sasl.* ----------------------------------------------------------------------------

#[test]
fn sasl_mechanism_values() {
    for mechanism in [
        SaslMechanism::Plain,
        SaslMechanism::ScramSha256,
        SaslMechanism::ScramSha512,
    ] {
        let config = parse(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", &mechanism.name().to_ascii_lowercase()),
            ("sasl.username", "u"),
            ("sasl.password", "p"),
        ])
        .unwrap();
        assert_eq!(config.sasl.unwrap().mechanism, mechanism);
    }
    assert_rejects(
        &[("sasl.mechanism", "GSSAPI")],
        "sasl.mechanism",
        "Kerberos",
    );
    assert_rejects(
        &[("sasl.mechanism", "SCRAM")],
        "sasl.mechanism",
        "got `SCRAM`",
    );
}

#[test]
fn sasl_protocol_needs_sasl_settings() {
    assert_rejects(
        &[("security.protocol", "SASL_SSL")],
        "sasl.mechanism",
        "security.protocol is SASL_SSL but no SASL settings",
    );
}

#[test]
fn sasl_settings_need_a_sasl_protocol() {
    assert_rejects(
        &[("sasl.username", "u"), ("sasl.password", "p")],
        "security.protocol",
        "sasl.* settings are present but security.protocol is PLAINTEXT",
    );
    assert_rejects(
        &[("security.protocol", "SSL"), ("sasl.mechanism", "PLAIN")],
        "security.protocol",
        "is SSL; use SASL_PLAINTEXT or SASL_SSL",
    );
}

#[test]
fn plain_and_scram_need_username_and_password() {
    let sasl = ("security.protocol", "SASL_PLAINTEXT");
    assert_rejects(
        &[sasl, ("sasl.mechanism", "PLAIN"), ("sasl.password", "p")],
        "sasl.username",
        "PLAIN needs a username",
    );
    assert_rejects(
        &[
            sasl,
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "u"),
        ],
        "sasl.password",
        "SCRAM-SHA-512 needs a password",
    );
    // PLAIN is the default mechanism.
    let config = parse(&[sasl, ("sasl.username", "u"), ("sasl.password", "p")]).unwrap();
    assert_eq!(config.sasl.unwrap().mechanism, SaslMechanism::Plain);
}

#[test]
fn plain_with_a_token_provider_is_rejected() {
    let err = ClientConfig::builder()
        .set_all([
            BOOTSTRAP,
            ("security.protocol", "SASL_SSL"),
            ("sasl.username", "u"),
            ("sasl.password", "p"),
        ])
        .unwrap()
        .sasl_token_provider(Arc::new(StaticToken))
        .build();
    let (key, reason) = config_err(err);
    assert_eq!(key, "sasl.mechanism");
    assert!(reason.contains("use OAUTHBEARER"), "{reason}");
}

#[test]
fn oauthbearer_needs_a_token_provider_from_the_typed_setter() {
    let props = [
        BOOTSTRAP,
        ("security.protocol", "SASL_SSL"),
        ("sasl.mechanism", "OAUTHBEARER"),
    ];
    let (key, reason) = config_err(ClientConfig::from_properties(props));
    assert_eq!(key, "sasl.mechanism");
    assert!(reason.contains("token provider"), "{reason}");

    let config = ClientConfig::builder()
        .set_all(props)
        .unwrap()
        .sasl_token_provider(Arc::new(StaticToken))
        .build()
        .unwrap();
    let sasl = config.sasl.unwrap();
    assert_eq!(sasl.mechanism, SaslMechanism::OAuthBearer);
    assert!(sasl.token_provider.is_some());

    let err = ClientConfig::builder()
        .set_all(props)
        .unwrap()
        .set("sasl.username", "u")
        .unwrap()
        .sasl_token_provider(Arc::new(StaticToken))
        .build();
    assert_eq!(config_err(err).0, "sasl.username");
}

#[test]
fn typed_sasl_setter_replaces_key_settings() {
    let config = ClientConfig::builder()
        .set_all([
            BOOTSTRAP,
            ("security.protocol", "SASL_SSL"),
            ("sasl.username", "u"),
            ("sasl.jaas.config", PLAIN_JAAS),
        ])
        .unwrap()
        .sasl(SaslConfig {
            mechanism: SaslMechanism::ScramSha256,
            username: "typed".into(),
            password: "pw".into(),
            token_provider: None,
        })
        .build()
        .unwrap();
    assert_eq!(config.sasl.unwrap().username, "typed");
}

#[test]
fn jaas_config_plain_and_scram() {
    let config = parse(&[
        ("security.protocol", "SASL_SSL"),
        ("sasl.jaas.config", PLAIN_JAAS),
    ])
    .unwrap();
    let sasl = config.sasl.unwrap();
    assert_eq!(sasl.username, "alice");
    assert_eq!(sasl.password, "p@ss word");

    let scram = r#"
        // a comment
        org.apache.kafka.common.security.scram.ScramLoginModule REQUIRED /* inline */
            username='bob' password="a \"quoted\" \\ value;=" extra=unquoted-word_1.0;
    "#;
    let config = parse(&[
        ("security.protocol", "SASL_SSL"),
        ("sasl.mechanism", "SCRAM-SHA-256"),
        ("sasl.jaas.config", scram),
    ])
    .unwrap();
    let sasl = config.sasl.unwrap();
    assert_eq!(sasl.username, "bob");
    assert_eq!(sasl.password, r#"a "quoted" \ value;="#);
}

#[test]
fn jaas_config_forgives_a_missing_semicolon_and_takes_the_last_duplicate() {
    let creds =
        parse_jaas_config("x.PlainLoginModule optional username=a password=b password=c").unwrap();
    assert_eq!(
        (creds.username.as_str(), creds.password.as_str()),
        ("a", "c")
    );
}

#[test]
fn jaas_config_errors() {
    let module = "org.apache.kafka.common.security.plain.PlainLoginModule";
    for (text, needle) in [
        ("", "empty"),
        ("   // only a comment", "empty"),
        (
            "\"quoted\" required;",
            "expected a login module class name at character 1",
        ),
        (module, "expected a control flag"),
        (
            &format!("{module} mandatory username=\"u\";"),
            "expected a control flag",
        ),
        (
            &format!("{module} required username \"u\";"),
            "expected `=` after option `username`",
        ),
        (
            &format!("{module} required username=;"),
            "expected a value for option `username`",
        ),
        (
            &format!("{module} required \"u\"=x;"),
            "found a quoted string",
        ),
        (&format!("{module} required =x;"), "unexpected `=`"),
        (
            &format!("{module} required password=\"secret\";"),
            "PlainLoginModule has no `username` option",
        ),
        (
            &format!("{module} required username=\"u\";"),
            "PlainLoginModule has no `password` option",
        ),
        (
            &format!("{module} required username=\"u\" password=\"p\"; {module} required;"),
            "exactly one login module",
        ),
        (
            &format!("{module} required username=\"u\" password=\"secret"),
            "unterminated quoted string",
        ),
        (
            &format!("{module} required username=\"u\" password=\"secret\\"),
            "unterminated quoted string",
        ),
        (
            &format!("{module} required /* username=\"u\""),
            "unterminated `/*` comment",
        ),
        (
            &format!("{module} required username=\"u\" password=\"p\" ,"),
            "unexpected `,`",
        ),
        (
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
            "sasl_token_provider",
        ),
        (
            "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;",
            "is not supported",
        ),
    ] {
        let (key, reason) = config_err(parse(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.jaas.config", text),
        ]));
        assert_eq!(key, "sasl.jaas.config", "{text}");
        assert!(reason.contains(needle), "{text}: {reason}");
        assert!(!reason.contains("secret"), "leaks the password: {reason}");
    }
}

#[test]
fn jaas_config_and_username_keys_conflict() {
    let (key, reason) = config_err(parse(&[
        ("security.protocol", "SASL_SSL"),
        ("sasl.jaas.config", PLAIN_JAAS),
        ("sasl.password", "other"),
    ]));
    assert_eq!(key, "sasl.jaas.config");
    assert!(reason.contains("not both"));
}

#[test]
fn builder_setters_and_set() {
    let tls = TlsConfig {
        endpoint_identification: false,
        ..TlsConfig::default()
    };
    let config = ClientConfig::builder()
        .bootstrap_servers(["a:1"])
        .client_id("c")
        .request_timeout(Duration::from_millis(1))
        .socket_connection_setup_timeout(Duration::from_millis(2))
        .connections_max_idle(Duration::from_millis(3))
        .reconnect_backoff(Duration::from_millis(4))
        .reconnect_backoff_max(Duration::from_millis(5))
        .retry_backoff(Duration::from_millis(6))
        .retry_backoff_max(Duration::from_millis(7))
        .metadata_max_age(Duration::from_millis(8))
        .client_dns_lookup(DnsLookup::ResolveCanonicalBootstrapServersOnly)
        .max_in_flight_requests_per_connection(1)
        .max_response_size(9)
        .security_protocol(SecurityProtocol::Ssl)
        .tls(tls.clone())
        .set("client.id", "from-key")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(config.client_id, "from-key");
    assert_eq!(config.request_timeout, Duration::from_millis(1));
    assert_eq!(
        config.socket_connection_setup_timeout,
        Duration::from_millis(2)
    );
    assert_eq!(config.connections_max_idle, Duration::from_millis(3));
    assert_eq!(config.reconnect_backoff, Duration::from_millis(4));
    assert_eq!(config.reconnect_backoff_max, Duration::from_millis(5));
    assert_eq!(config.retry_backoff, Duration::from_millis(6));
    assert_eq!(config.retry_backoff_max, Duration::from_millis(7));
    assert_eq!(config.metadata_max_age, Duration::from_millis(8));
    assert_eq!(
        config.client_dns_lookup,
        DnsLookup::ResolveCanonicalBootstrapServersOnly
    );
    assert_eq!(config.max_in_flight_requests_per_connection, 1);
    assert_eq!(config.max_response_size, 9);
    assert_eq!(config.tls, tls);

    let (key, reason) = config_err(ClientConfig::builder().set("nope", "1"));
    assert_eq!(
        (key.as_str(), reason.as_str()),
        ("nope", "unknown configuration key")
    );
    let (key, _) = config_err(ClientConfig::builder().set("retry.backoff.ms", "-1"));
    assert_eq!(key, "retry.backoff.ms");
}

#[test]
fn builder_debug_hides_the_password() {
    let builder = ClientConfig::builder()
        .set_all([("sasl.password", "hunter2")])
        .unwrap();
    assert!(!format!("{builder:?}").contains("hunter2"));
}
