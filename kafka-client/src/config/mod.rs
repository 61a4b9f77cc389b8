//! Client configuration: typed settings whose names mirror Kafka's keys (`linger_ms` ↔
//! `linger.ms`), a builder, and construction from Kafka-style string properties that rejects
//! unknown keys and bad values with an error naming the key.
//!
//! # How string keys are parsed, and how unknown keys are caught
//!
//! Kafka users hand a client one flat bag of `key = value` pairs in which shared keys
//! (`bootstrap.servers`), producer keys (`linger.ms`) and consumer keys (`group.id`) sit side by
//! side. No single config type knows every key, so none of them can say "unknown key" on its
//! own. Instead the bag is a [`Properties`] value, and every config *section* (this file's
//! [`ClientConfigBuilder`]; the producer and consumer builders later) implements
//! [`ApplyProperties`]: it *takes* the keys it knows out of the bag, parsing each value and
//! failing with the key and the bad value. Whoever owns the whole bag (e.g.
//! [`ClientConfig::from_properties`], or a producer's `from_properties` that applies its client
//! section and then its own) calls [`Properties::finish`] last, which fails on the first key
//! that nobody took, consulting the table of every known key ([`keys`]): a Java key this
//! client ignores is accepted with a `debug` event, a refused key fails with the reason and
//! what to use instead, another client's key fails saying whose it is, and an unknown key fails
//! as `"unknown configuration key"`, naming the nearest known key when one is near. A client's
//! whole parse ([`Properties::apply_all_as`]) first renames librdkafka spellings
//! (`queue.buffering.max.ms`) to Kafka's keys.
//!
//! Cross-field rules (SASL needs credentials, a client certificate needs its key, …) are
//! checked once the bag is empty, in [`ClientConfigBuilder::build`] / [`ClientConfig::validate`],
//! so they apply equally to typed setters and string keys.
//!
//! The parts, one job each: [`Properties`] (the bag and the value parsers every section shares),
//! `security` (how bytes travel: TLS and SASL settings), `client` (the shared settings and their
//! builder), `keys` (every known key and its treatment), `validate` (the cross-field rules), `jaas` (the `sasl.jaas.config` grammar).

mod client;
mod jaas;
pub mod keys;
mod properties;
mod security;
mod validate;

pub use client::{ClientConfig, ClientConfigBuilder, DnsLookup};
pub use properties::{ApplyProperties, Properties};
pub use security::{
    OAuthToken, OAuthTokenProvider, SaslConfig, SaslMechanism, SecurityProtocol, TlsConfig,
};

#[cfg(test)]
mod tests;
