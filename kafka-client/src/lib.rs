//! Async Kafka client built on [`kafka_protocol`].
//!
//! The network layer, producer, consumer and admin client land here in later milestones; today
//! this crate re-exports the codec so downstream code can depend on one name.

pub use kafka_protocol as protocol;
