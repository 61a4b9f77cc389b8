//! Every configuration key a Kafka user may bring, and what this client does with it: the
//! Java producer's, consumer's and admin client's keys, librdkafka's spellings where they
//! differ, and this client's own few.
//!
//! The string-key parsers consult this table for whatever their sections did not take
//! ([`Properties::apply_all_as`](super::Properties::apply_all_as)): a key with no effect here is
//! dropped with a `debug` event, a refused key fails with its reason and what to use instead,
//! a librdkafka alias is renamed to the Kafka key before the sections run, and a key the table
//! does not know fails with the nearest known key as a suggestion. `docs/configuration.md` is
//! rendered from this table ([`markdown`]); a unit test fails when the committed page is stale.

use std::fmt::Write as _;

/// Which client a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// [`Producer`](crate::producer::Producer).
    Producer,
    /// [`Consumer`](crate::consumer::Consumer).
    Consumer,
    /// [`AdminClient`](crate::admin::AdminClient).
    Admin,
}

impl Client {
    /// The client's name, as used in error messages.
    ///
    /// ```
    /// use kafkito::config::keys::Client;
    ///
    /// assert_eq!(Client::Admin.name(), "admin client");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Client::Producer => "producer",
            Client::Consumer => "consumer",
            Client::Admin => "admin client",
        }
    }
}

/// The clients a row applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clients {
    /// The producer.
    pub producer: bool,
    /// The consumer.
    pub consumer: bool,
    /// The admin client.
    pub admin: bool,
}

impl Clients {
    /// Whether the row applies to `client`.
    ///
    /// ```
    /// use kafkito::config::keys::{lookup, Client};
    ///
    /// let group_id = lookup("group.id", None).unwrap();
    /// assert!(group_id.clients.has(Client::Consumer));
    /// assert!(!group_id.clients.has(Client::Producer));
    /// assert!(!group_id.clients.all());
    /// ```
    pub fn has(self, client: Client) -> bool {
        match client {
            Client::Producer => self.producer,
            Client::Consumer => self.consumer,
            Client::Admin => self.admin,
        }
    }

    /// Whether the row applies to every client (a key of the shared
    /// [`ClientConfig`](super::ClientConfig)).
    pub fn all(self) -> bool {
        self.producer && self.consumer && self.admin
    }

    fn label(self) -> &'static str {
        match (self.producer, self.consumer, self.admin) {
            (true, true, true) => "P C A",
            (true, true, false) => "P C",
            (true, false, true) => "P A",
            (false, true, true) => "C A",
            (true, false, false) => "P",
            (false, true, false) => "C",
            (false, false, true) => "A",
            (false, false, false) => "-",
        }
    }
}

const PCA: Clients = Clients {
    producer: true,
    consumer: true,
    admin: true,
};
const P: Clients = Clients {
    producer: true,
    consumer: false,
    admin: false,
};
const C: Clients = Clients {
    producer: false,
    consumer: true,
    admin: false,
};
const A: Clients = Clients {
    producer: false,
    consumer: false,
    admin: true,
};
const PC: Clients = Clients {
    producer: true,
    consumer: true,
    admin: false,
};
const CA: Clients = Clients {
    producer: false,
    consumer: true,
    admin: true,
};

/// Where a key's name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Kafka's Java clients.
    Java,
    /// librdkafka (and so confluent-kafka, rdkafka, node-rdkafka, …).
    Librdkafka,
    /// This client only.
    ThisClient,
}

impl Origin {
    fn label(self) -> &'static str {
        match self {
            Origin::Java => "Java",
            Origin::Librdkafka => "librdkafka",
            Origin::ThisClient => "this client",
        }
    }
}

/// What this client does with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    /// Parsed into a setting. `default` is the value that gives the setting's default (`None`
    /// when it has none, or none with a string form); `note` says where it differs from Java.
    Implemented {
        /// The default, as a value of the key.
        default: Option<&'static str>,
        /// How it differs from Java, or empty.
        note: &'static str,
    },
    /// Accepted and ignored (a `debug` event says so), for the reason given.
    NoEffect {
        /// Why ignoring it is safe, or what takes its place.
        why: &'static str,
    },
    /// Refused with an error giving the reason and what to use instead.
    Refused {
        /// Why this client does not do it.
        why: &'static str,
        /// What to use instead.
        instead: &'static str,
    },
    /// Another spelling of the Kafka key `of`, which it sets (same value and unit).
    Alias {
        /// The Kafka key it stands for.
        of: &'static str,
    },
}

/// One row of the table: a key, the clients it applies to, where its name comes from and what
/// this client does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key, as written in a properties file.
    pub key: &'static str,
    /// The clients it applies to.
    pub clients: Clients,
    /// Where the name comes from.
    pub origin: Origin,
    /// What this client does with it.
    pub treatment: Treatment,
}

const fn imp(key: &'static str, clients: Clients, default: Option<&'static str>) -> KeyInfo {
    imp_note(key, clients, default, "")
}

const fn imp_note(
    key: &'static str,
    clients: Clients,
    default: Option<&'static str>,
    note: &'static str,
) -> KeyInfo {
    KeyInfo {
        key,
        clients,
        origin: Origin::Java,
        treatment: Treatment::Implemented { default, note },
    }
}

const fn rd_imp(key: &'static str, clients: Clients, default: Option<&'static str>) -> KeyInfo {
    KeyInfo {
        key,
        clients,
        origin: Origin::Librdkafka,
        treatment: Treatment::Implemented { default, note: "" },
    }
}

const fn no_effect(key: &'static str, clients: Clients, why: &'static str) -> KeyInfo {
    KeyInfo {
        key,
        clients,
        origin: Origin::Java,
        treatment: Treatment::NoEffect { why },
    }
}

const fn refused(
    key: &'static str,
    clients: Clients,
    why: &'static str,
    instead: &'static str,
) -> KeyInfo {
    KeyInfo {
        key,
        clients,
        origin: Origin::Java,
        treatment: Treatment::Refused { why, instead },
    }
}

const fn rd_alias(key: &'static str, clients: Clients, of: &'static str) -> KeyInfo {
    KeyInfo {
        key,
        clients,
        origin: Origin::Librdkafka,
        treatment: Treatment::Alias { of },
    }
}

const fn rd_no_effect(key: &'static str, clients: Clients, why: &'static str) -> KeyInfo {
    KeyInfo {
        key,
        clients,
        origin: Origin::Librdkafka,
        treatment: Treatment::NoEffect { why },
    }
}

const fn rd_refused(
    key: &'static str,
    clients: Clients,
    why: &'static str,
    instead: &'static str,
) -> KeyInfo {
    KeyInfo {
        key,
        clients,
        origin: Origin::Librdkafka,
        treatment: Treatment::Refused { why, instead },
    }
}

const METRICS_WHY: &str = "Java's metrics registry (JMX); this client has snapshot structs on each client and, with the cargo feature `metrics`, publishes them to the `metrics` facade (`kafkito::metrics`)";
const JAVA_CLASS: &str = "it names a Java class, which cannot run in this client";
const KERBEROS_WHY: &str = "SASL/GSSAPI (Kerberos) is not supported";
const KERBEROS_INSTEAD: &str =
    "use sasl.mechanism=SCRAM-SHA-512 (or SCRAM-SHA-256, PLAIN, OAUTHBEARER)";
const BROKER_SIDE_OAUTH: &str = "brokers use it to validate tokens; Java's client ignores it too";
const JCA_WHY: &str =
    "a Java security (JCA/JSSE) name; TLS here is rustls, with its own vetted choices";
const KEYSTORE_INSTEAD: &str = "give PEM files: ssl.ca.location (or ssl.ca.pem) for trust, ssl.certificate.location and ssl.key.location for a client certificate";
const SERDE_WHY: &str = "records are bytes here; serialize and deserialize in Rust (e.g. with serde) around send and poll";

/// The table: every key of Kafka's Java producer, consumer and admin client, librdkafka's
/// spellings where they differ, and this client's own keys.
///
/// ```
/// use kafkito::config::keys::{lookup, Client, Treatment};
///
/// let linger = lookup("linger.ms", Some(Client::Producer)).unwrap();
/// assert!(matches!(linger.treatment, Treatment::Implemented { default: Some("5"), .. }));
/// let rdkafka = lookup("queue.buffering.max.ms", Some(Client::Producer)).unwrap();
/// assert_eq!(rdkafka.treatment, Treatment::Alias { of: "linger.ms" });
/// ```
pub const KEYS: &[KeyInfo] = &[
    // --- shared by every client ---
    imp("bootstrap.servers", PCA, None),
    refused(
        "bootstrap.controllers",
        A,
        "talking to KRaft controllers directly is not supported",
        "use bootstrap.servers (brokers forward controller requests)",
    ),
    imp_note(
        "client.id",
        PCA,
        Some("kafka-sdk-rust"),
        "Java's default is empty, then a generated `producer-N` / `consumer-<group>-N`",
    ),
    imp("request.timeout.ms", PCA, Some("30000")),
    imp("socket.connection.setup.timeout.ms", PCA, Some("10000")),
    no_effect(
        "socket.connection.setup.timeout.max.ms",
        PCA,
        "the connect timeout does not grow with failures here: socket.connection.setup.timeout.ms bounds every attempt",
    ),
    imp_note(
        "connections.max.idle.ms",
        PCA,
        Some("540000"),
        "one shared setting; Java's admin client defaults to 300000",
    ),
    imp("reconnect.backoff.ms", PCA, Some("50")),
    imp("reconnect.backoff.max.ms", PCA, Some("1000")),
    imp("retry.backoff.ms", PCA, Some("100")),
    imp("retry.backoff.max.ms", PCA, Some("1000")),
    imp("metadata.max.age.ms", PCA, Some("300000")),
    imp_note(
        "client.dns.lookup",
        PCA,
        Some("use_all_dns_ips"),
        "`resolve_canonical_bootstrap_servers_only` does no reverse lookup here and acts as `use_all_dns_ips`",
    ),
    imp_note(
        "max.in.flight.requests.per.connection",
        PCA,
        Some("5"),
        "a producer key in Java; here it bounds every client's requests per connection",
    ),
    KeyInfo {
        key: "socket.max.response.bytes",
        clients: PCA,
        origin: Origin::ThisClient,
        treatment: Treatment::Implemented {
            default: Some("104857600"),
            note: "the largest response frame accepted; a larger size prefix means a non-Kafka peer",
        },
    },
    no_effect(
        "metadata.recovery.strategy",
        PCA,
        "when no known broker answers, this client always goes back to bootstrap.servers (Java's `rebootstrap`)",
    ),
    no_effect(
        "enable.metrics.push",
        PCA,
        "this client pushes no telemetry (KIP-714); the broker sees a client without a telemetry subscription",
    ),
    no_effect("metric.reporters", PCA, METRICS_WHY),
    imp_note(
        "metrics.num.samples",
        PCA,
        Some("2"),
        "samples in the window of the clients' metrics snapshots (`kafkito::metrics`)",
    ),
    no_effect("metrics.recording.level", PCA, METRICS_WHY),
    imp_note(
        "metrics.sample.window.ms",
        PCA,
        Some("30000"),
        "one sample of the windowed rates, averages and maxima in the metrics snapshots",
    ),
    no_effect(
        "send.buffer.bytes",
        PCA,
        "the operating system sizes socket buffers (Java's `-1`)",
    ),
    no_effect(
        "receive.buffer.bytes",
        PCA,
        "the operating system sizes socket buffers (Java's `-1`)",
    ),
    imp("security.protocol", PCA, Some("PLAINTEXT")),
    no_effect("security.providers", PCA, JCA_WHY),
    // --- TLS ---
    imp_note(
        "ssl.endpoint.identification.algorithm",
        PCA,
        Some("https"),
        "`https` checks the broker's host name; empty or `none` turns the check off",
    ),
    rd_imp("ssl.ca.location", PCA, Some("")),
    rd_imp("ssl.ca.pem", PCA, Some("")),
    rd_imp("ssl.certificate.location", PCA, Some("")),
    rd_imp("ssl.key.location", PCA, Some("")),
    refused(
        "ssl.truststore.location",
        PCA,
        "Java keystores (JKS, PKCS12) are not read",
        KEYSTORE_INSTEAD,
    ),
    refused(
        "ssl.keystore.location",
        PCA,
        "Java keystores (JKS, PKCS12) are not read",
        KEYSTORE_INSTEAD,
    ),
    refused(
        "ssl.truststore.certificates",
        PCA,
        "PEM text in a Java keystore setting",
        "put the same PEM text in ssl.ca.pem",
    ),
    refused(
        "ssl.keystore.certificate.chain",
        PCA,
        "client certificates are read from files",
        "write the chain to a PEM file for ssl.certificate.location",
    ),
    refused(
        "ssl.keystore.key",
        PCA,
        "client keys are read from files",
        "write the key to a PEM file for ssl.key.location",
    ),
    refused(
        "ssl.key.password",
        PCA,
        "encrypted private keys are not supported",
        "decrypt the key (e.g. `openssl pkey -in key.pem -out plain.pem`) for ssl.key.location",
    ),
    no_effect(
        "ssl.truststore.type",
        PCA,
        "certificates are PEM here; a keystore location is refused on its own key",
    ),
    no_effect(
        "ssl.keystore.type",
        PCA,
        "certificates are PEM here; a keystore location is refused on its own key",
    ),
    no_effect(
        "ssl.truststore.password",
        PCA,
        "only Java keystores have passwords; PEM trust files are read as they are",
    ),
    no_effect(
        "ssl.keystore.password",
        PCA,
        "only Java keystores have passwords; PEM files are read as they are",
    ),
    no_effect(
        "ssl.protocol",
        PCA,
        "rustls negotiates TLS 1.3 or 1.2, the versions Java's `TLSv1.3` default allows",
    ),
    no_effect(
        "ssl.enabled.protocols",
        PCA,
        "rustls negotiates TLS 1.3 or 1.2 and nothing older",
    ),
    no_effect("ssl.cipher.suites", PCA, JCA_WHY),
    no_effect("ssl.provider", PCA, JCA_WHY),
    no_effect("ssl.secure.random.implementation", PCA, JCA_WHY),
    no_effect("ssl.keymanager.algorithm", PCA, JCA_WHY),
    no_effect("ssl.trustmanager.algorithm", PCA, JCA_WHY),
    refused(
        "ssl.engine.factory.class",
        PCA,
        JAVA_CLASS,
        "configure TLS with the ssl.* keys or ClientConfigBuilder::tls",
    ),
    // --- SASL ---
    imp_note(
        "sasl.mechanism",
        PCA,
        None,
        "Java's default is GSSAPI, which this client does not do; PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER are",
    ),
    imp("sasl.jaas.config", PCA, None),
    rd_imp("sasl.username", PCA, None),
    rd_imp("sasl.password", PCA, None),
    refused(
        "sasl.client.callback.handler.class",
        PCA,
        JAVA_CLASS,
        "give credentials with sasl.jaas.config or sasl.username/sasl.password, or an OAuthTokenProvider with ClientConfigBuilder::sasl_token_provider",
    ),
    refused(
        "sasl.login.callback.handler.class",
        PCA,
        JAVA_CLASS,
        "for OAUTHBEARER set sasl.oauthbearer.token.endpoint.url (client credentials are built in) or an OAuthTokenProvider with ClientConfigBuilder::sasl_token_provider",
    ),
    refused(
        "sasl.login.class",
        PCA,
        JAVA_CLASS,
        "for OAUTHBEARER set sasl.oauthbearer.token.endpoint.url or an OAuthTokenProvider with ClientConfigBuilder::sasl_token_provider",
    ),
    refused("sasl.kerberos.service.name", PCA, KERBEROS_WHY, KERBEROS_INSTEAD),
    refused("sasl.kerberos.kinit.cmd", PCA, KERBEROS_WHY, KERBEROS_INSTEAD),
    refused(
        "sasl.kerberos.min.time.before.relogin",
        PCA,
        KERBEROS_WHY,
        KERBEROS_INSTEAD,
    ),
    refused(
        "sasl.kerberos.ticket.renew.jitter",
        PCA,
        KERBEROS_WHY,
        KERBEROS_INSTEAD,
    ),
    refused(
        "sasl.kerberos.ticket.renew.window.factor",
        PCA,
        KERBEROS_WHY,
        KERBEROS_INSTEAD,
    ),
    imp("sasl.oauthbearer.token.endpoint.url", PCA, None),
    imp_note(
        "sasl.oauthbearer.client.credentials.client.id",
        PCA,
        None,
        "Kafka 4.1+ (or the JAAS option `clientId`)",
    ),
    imp_note(
        "sasl.oauthbearer.client.credentials.client.secret",
        PCA,
        None,
        "Kafka 4.1+ (or the JAAS option `clientSecret`)",
    ),
    imp_note(
        "sasl.oauthbearer.scope",
        PCA,
        None,
        "Kafka 4.1+ (or the JAAS option `scope`)",
    ),
    imp("sasl.oauthbearer.scope.claim.name", PCA, Some("scope")),
    imp("sasl.oauthbearer.sub.claim.name", PCA, Some("sub")),
    imp("sasl.oauthbearer.header.urlencode", PCA, Some("false")),
    no_effect("sasl.oauthbearer.clock.skew.seconds", PCA, BROKER_SIDE_OAUTH),
    no_effect("sasl.oauthbearer.expected.audience", PCA, BROKER_SIDE_OAUTH),
    no_effect("sasl.oauthbearer.expected.issuer", PCA, BROKER_SIDE_OAUTH),
    no_effect("sasl.oauthbearer.jwks.endpoint.url", PCA, BROKER_SIDE_OAUTH),
    no_effect(
        "sasl.oauthbearer.jwks.endpoint.refresh.ms",
        PCA,
        BROKER_SIDE_OAUTH,
    ),
    no_effect(
        "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
        PCA,
        BROKER_SIDE_OAUTH,
    ),
    no_effect(
        "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
        PCA,
        BROKER_SIDE_OAUTH,
    ),
    imp_note(
        "sasl.login.connect.timeout.ms",
        PCA,
        Some("10000"),
        "Java waits without limit",
    ),
    imp_note(
        "sasl.login.read.timeout.ms",
        PCA,
        Some("30000"),
        "Java waits without limit",
    ),
    imp("sasl.login.retry.backoff.ms", PCA, Some("100")),
    imp("sasl.login.retry.backoff.max.ms", PCA, Some("10000")),
    imp("sasl.login.refresh.window.factor", PCA, Some("0.8")),
    imp("sasl.login.refresh.window.jitter", PCA, Some("0.05")),
    imp("sasl.login.refresh.min.period.seconds", PCA, Some("60")),
    imp("sasl.login.refresh.buffer.seconds", PCA, Some("300")),
    // --- producer ---
    imp("acks", P, Some("all")),
    imp("linger.ms", P, Some("5")),
    imp("batch.size", P, Some("16384")),
    imp("buffer.memory", P, Some("33554432")),
    imp("max.block.ms", P, Some("60000")),
    imp("compression.type", P, Some("none")),
    KeyInfo {
        key: "compression.level",
        clients: P,
        origin: Origin::Librdkafka,
        treatment: Treatment::Implemented {
            default: None,
            note: "the chosen codec's level; a level the codec here cannot honour is refused",
        },
    },
    imp_note(
        "compression.gzip.level",
        P,
        None,
        "the codec's default; a level the codec here cannot honour is refused",
    ),
    imp_note(
        "compression.lz4.level",
        P,
        None,
        "the codec's default; a level the codec here cannot honour is refused",
    ),
    imp_note(
        "compression.zstd.level",
        P,
        None,
        "the codec's default; a level the codec here cannot honour is refused",
    ),
    imp("max.request.size", P, Some("1048576")),
    imp("delivery.timeout.ms", P, Some("120000")),
    imp("retries", P, Some("2147483647")),
    no_effect(
        "retries",
        A,
        "admin calls retry what may heal until their deadline (default.api.timeout.ms)",
    ),
    imp("enable.idempotence", P, Some("true")),
    imp_note(
        "partitioner.class",
        P,
        None,
        "Kafka's built-in partitioner class names, or `default`, `round-robin`, `uniform-sticky`; a partitioner of your own goes to ProducerConfigBuilder::custom_partitioner",
    ),
    rd_imp("partitioner", P, None),
    imp("partitioner.ignore.keys", P, Some("false")),
    no_effect(
        "partitioner.adaptive.partitioning.enable",
        P,
        "the sticky partitioner moves on per batch without weighing broker queues (KIP-794's adaptive part is not done)",
    ),
    no_effect(
        "partitioner.availability.timeout.ms",
        P,
        "the sticky partitioner does not skip slow brokers' partitions (KIP-794's adaptive part is not done)",
    ),
    imp("transactional.id", P, None),
    imp("transaction.timeout.ms", P, Some("60000")),
    no_effect(
        "metadata.max.idle.ms",
        P,
        "the producer keeps every topic it sent to in its metadata requests",
    ),
    no_effect("key.serializer", P, SERDE_WHY),
    no_effect("value.serializer", P, SERDE_WHY),
    refused(
        "interceptor.classes",
        PC,
        JAVA_CLASS,
        "wrap send or poll in your own function, or watch the client's tracing events (RUST_LOG=kafkito=debug)",
    ),
    // --- consumer ---
    imp("group.id", C, None),
    imp("group.instance.id", C, None),
    imp("group.protocol", C, Some("classic")),
    imp("group.remote.assignor", C, None),
    imp("max.poll.records", C, Some("500")),
    imp("auto.offset.reset", C, Some("latest")),
    imp("fetch.min.bytes", C, Some("1")),
    imp("fetch.max.bytes", C, Some("52428800")),
    imp("max.partition.fetch.bytes", C, Some("1048576")),
    imp("fetch.max.wait.ms", C, Some("500")),
    imp("isolation.level", C, Some("read_uncommitted")),
    imp("enable.auto.commit", C, Some("true")),
    imp("auto.commit.interval.ms", C, Some("5000")),
    imp("check.crcs", C, Some("true")),
    imp("client.rack", C, Some("")),
    imp("default.api.timeout.ms", CA, Some("60000")),
    imp("session.timeout.ms", C, Some("45000")),
    imp("heartbeat.interval.ms", C, Some("3000")),
    imp("max.poll.interval.ms", C, Some("300000")),
    imp_note(
        "partition.assignment.strategy",
        C,
        Some("range, cooperative-sticky"),
        "assignor names (`range`, `roundrobin`, `sticky`, `cooperative-sticky`) or Kafka's assignor class names",
    ),
    no_effect(
        "allow.auto.create.topics",
        C,
        "this client never asks for a topic to be created by a metadata request (as `false`); create topics with AdminClient::create_topics",
    ),
    no_effect(
        "exclude.internal.topics",
        C,
        "a pattern never matches internal topics (as `true`); subscribe to an internal topic by name",
    ),
    no_effect(
        "internal.leave.group.on.close",
        C,
        "a Java-internal key (Kafka Streams); a dynamic member leaves its group on close, a static member does not",
    ),
    no_effect(
        "internal.throw.on.fetch.stable.offset.unsupported",
        C,
        "a Java-internal key (Kafka Streams)",
    ),
    no_effect("key.deserializer", C, SERDE_WHY),
    no_effect("value.deserializer", C, SERDE_WHY),
    // --- librdkafka spellings ---
    rd_alias("metadata.broker.list", PCA, "bootstrap.servers"),
    rd_alias("sasl.mechanisms", PCA, "sasl.mechanism"),
    rd_alias("socket.timeout.ms", PCA, "request.timeout.ms"),
    rd_alias("topic.metadata.refresh.interval.ms", PCA, "metadata.max.age.ms"),
    rd_alias("queue.buffering.max.ms", P, "linger.ms"),
    rd_alias("compression.codec", P, "compression.type"),
    rd_alias("request.required.acks", P, "acks"),
    rd_alias("message.send.max.retries", P, "retries"),
    rd_alias("message.timeout.ms", P, "delivery.timeout.ms"),
    rd_alias("message.max.bytes", P, "max.request.size"),
    rd_alias("fetch.wait.max.ms", C, "fetch.max.wait.ms"),
    rd_alias("fetch.message.max.bytes", C, "max.partition.fetch.bytes"),
    rd_refused(
        "debug",
        PCA,
        "librdkafka's debug contexts",
        "set RUST_LOG=kafkito=debug (tracing) in the application",
    ),
    rd_refused(
        "log_level",
        PCA,
        "librdkafka's syslog level",
        "set RUST_LOG (e.g. RUST_LOG=kafkito=info) in the application",
    ),
    rd_refused(
        "statistics.interval.ms",
        PCA,
        "librdkafka's JSON statistics callback",
        "watch the client's tracing events and spans",
    ),
    rd_refused(
        "batch.num.messages",
        P,
        "batches are bounded by bytes, not by a count of records",
        "use batch.size (bytes)",
    ),
    rd_refused(
        "queue.buffering.max.kbytes",
        P,
        "a size in KiB; the Kafka key is in bytes",
        "use buffer.memory (bytes)",
    ),
    rd_refused(
        "queue.buffering.max.messages",
        P,
        "the producer's buffer is bounded by bytes, not by a count of records",
        "use buffer.memory (bytes)",
    ),
    rd_refused(
        "enable.auto.offset.store",
        C,
        "positions advance as poll returns records",
        "turn enable.auto.commit off and commit the offsets you processed with commit_sync",
    ),
    rd_refused(
        "enable.partition.eof",
        C,
        "no end-of-partition events are produced",
        "compare positions with AdminClient::list_offsets(OffsetSpec::Latest)",
    ),
    rd_refused(
        "enable.ssl.certificate.verification",
        PCA,
        "certificate verification cannot be turned off",
        "trust the broker's CA with ssl.ca.location or ssl.ca.pem",
    ),
    rd_no_effect(
        "api.version.request",
        PCA,
        "ApiVersions is always asked, as every Kafka since 0.10 answers it",
    ),
];

/// The row for `key` that applies to `client` (`None`: any client, the shared keys first).
///
/// ```
/// use kafkito::config::keys::{lookup, Client, Treatment};
///
/// // `retries` is the producer's setting; admin calls retry until their deadline instead.
/// let producer = lookup("retries", Some(Client::Producer)).unwrap();
/// assert!(matches!(producer.treatment, Treatment::Implemented { .. }));
/// let admin = lookup("retries", Some(Client::Admin)).unwrap();
/// assert!(matches!(admin.treatment, Treatment::NoEffect { .. }));
/// assert!(lookup("retries", Some(Client::Consumer)).is_none());
/// ```
pub fn lookup(key: &str, client: Option<Client>) -> Option<&'static KeyInfo> {
    let mut rows = KEYS.iter().filter(|row| row.key == key);
    match client {
        Some(client) => rows.find(|row| row.clients.has(client)),
        None => {
            let rows: Vec<_> = rows.collect();
            rows.iter()
                .find(|row| row.clients.all())
                .or(rows.first())
                .copied()
        }
    }
}

/// The Kafka key a librdkafka spelling stands for, when it is an alias.
///
/// ```
/// use kafkito::config::keys::alias_of;
///
/// assert_eq!(alias_of("queue.buffering.max.ms"), Some("linger.ms"));
/// assert_eq!(alias_of("linger.ms"), None);
/// ```
pub fn alias_of(key: &str) -> Option<&'static str> {
    KEYS.iter().find_map(|row| match row.treatment {
        Treatment::Alias { of } if row.key == key => Some(of),
        _ => None,
    })
}

/// The known key nearest to `key` (a typo, `_` for `.`, another case), preferring keys of
/// `client`; `None` when nothing is near enough to be a likely meaning.
///
/// ```
/// use kafkito::config::keys::{suggest, Client};
///
/// assert_eq!(suggest("linger_ms", Some(Client::Producer)), Some("linger.ms"));
/// assert_eq!(suggest("bootstrap.server", None), Some("bootstrap.servers"));
/// assert_eq!(suggest("colour", None), None);
/// ```
pub fn suggest(key: &str, client: Option<Client>) -> Option<&'static str> {
    let wanted = normalise(key);
    let applies = |row: &KeyInfo| client.is_none_or(|c| row.clients.has(c));
    let mut best: Option<(usize, bool, &'static str)> = None;
    for row in KEYS {
        let distance = edit_distance(&wanted, &normalise(row.key));
        // Rank by distance, then keys of this client first.
        let rank = (distance, !applies(row));
        if best.is_none_or(|(d, other, _)| rank < (d, other)) {
            best = Some((distance, !applies(row), row.key));
        }
    }
    let (distance, _, found) = best?;
    // Close enough to be a slip: two edits, or a fifth of the key for long keys.
    (distance <= 2.max(wanted.chars().count() / 5)).then_some(found)
}

fn normalise(key: &str) -> String {
    key.trim()
        .chars()
        .map(|c| match c {
            '_' | '-' => '.',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// The reason in the error for a refused key.
pub(crate) fn refused_reason(why: &str, instead: &str) -> String {
    format!("not supported by this client: {why}; instead, {instead}")
}

/// `docs/configuration.md`: the table as a Markdown page, grouped by treatment.
///
/// ```
/// let page = kafkito::config::keys::markdown();
/// assert!(page.contains("| `linger.ms` | P | Java | `5` |"));
/// ```
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- Generated from kafka-client/src/config/keys.rs by the test \
         `config::keys::tests::configuration_page_is_current`; do not edit. Regenerate with \
         `UPDATE_CONFIG_DOC=1 cargo test -p kafkito --lib configuration_page`. -->\n\n",
    );
    out.push_str("# Configuration keys\n\n");
    out.push_str(
        "Every key of Kafka's Java producer (P), consumer (C) and admin client (A), the \
         librdkafka spellings that differ, and this client's own keys, with what this client \
         does with each. Keys are given to `ProducerConfig::from_properties`, \
         `ConsumerConfig::from_properties`, `AdminClient::from_properties` (or a builder's \
         `set`), and to the examples' `-X key=value`.\n\n\
         - **Implemented**: parsed into a setting, with Java's default unless the note says \
         otherwise.\n\
         - **No effect**: accepted and ignored (a `debug` event says so), for the reason given.\n\
         - **Refused**: an error naming the reason and what to use instead.\n\
         - **librdkafka alias**: sets the Kafka key named, with the same value and unit.\n\n\
         A key in none of these tables is refused, with the nearest known key as a suggestion \
         (`linger_ms` → `linger.ms`). A key of another client (`linger.ms` given to a consumer) \
         is refused and says whose key it is.\n\n",
    );
    let counts = |f: fn(&Treatment) -> bool| KEYS.iter().filter(|r| f(&r.treatment)).count();
    let _ = writeln!(
        out,
        "{} rows: {} implemented, {} with no effect, {} refused, {} librdkafka aliases.\n",
        KEYS.len(),
        counts(|t| matches!(t, Treatment::Implemented { .. })),
        counts(|t| matches!(t, Treatment::NoEffect { .. })),
        counts(|t| matches!(t, Treatment::Refused { .. })),
        counts(|t| matches!(t, Treatment::Alias { .. })),
    );
    let mut sorted: Vec<&KeyInfo> = KEYS.iter().collect();
    sorted.sort_by_key(|row| row.key);
    let section = |out: &mut String, title: &str, header: &str, rows: Vec<String>| {
        let _ = writeln!(out, "## {title}\n\n{header}");
        for row in rows {
            out.push_str(&row);
            out.push('\n');
        }
        out.push('\n');
    };
    let cell = |text: &str| text.replace('|', "\\|");
    let implemented = sorted
        .iter()
        .filter_map(|row| match row.treatment {
            Treatment::Implemented { default, note } => Some(format!(
                "| `{}` | {} | {} | {} | {} |",
                row.key,
                row.clients.label(),
                row.origin.label(),
                match default {
                    None => "none".to_owned(),
                    Some("") => "empty".to_owned(),
                    Some(value) => format!("`{value}`"),
                },
                cell(note),
            )),
            _ => None,
        })
        .collect();
    section(
        &mut out,
        "Implemented",
        "| key | clients | from | default | note |\n| --- | --- | --- | --- | --- |",
        implemented,
    );
    let no_effect = sorted
        .iter()
        .filter_map(|row| match row.treatment {
            Treatment::NoEffect { why } => Some(format!(
                "| `{}` | {} | {} | {} |",
                row.key,
                row.clients.label(),
                row.origin.label(),
                cell(why),
            )),
            _ => None,
        })
        .collect();
    section(
        &mut out,
        "Accepted with no effect",
        "| key | clients | from | why |\n| --- | --- | --- | --- |",
        no_effect,
    );
    let refused = sorted
        .iter()
        .filter_map(|row| match row.treatment {
            Treatment::Refused { why, instead } => Some(format!(
                "| `{}` | {} | {} | {} | {} |",
                row.key,
                row.clients.label(),
                row.origin.label(),
                cell(why),
                cell(instead),
            )),
            _ => None,
        })
        .collect();
    section(
        &mut out,
        "Refused",
        "| key | clients | from | why | instead |\n| --- | --- | --- | --- | --- |",
        refused,
    );
    let aliases = sorted
        .iter()
        .filter_map(|row| match row.treatment {
            Treatment::Alias { of } => Some(format!(
                "| `{}` | {} | `{of}` |",
                row.key,
                row.clients.label()
            )),
            _ => None,
        })
        .collect();
    section(
        &mut out,
        "librdkafka spellings",
        "| librdkafka key | clients | sets |\n| --- | --- | --- |",
        aliases,
    );
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests;
