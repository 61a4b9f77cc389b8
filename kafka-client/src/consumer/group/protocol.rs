//! The consumer's embedded group protocol ("ConsumerProtocol"): what a member puts in the
//! `metadata` of its JoinGroup protocols ([`Subscription`]) and what the leader hands back through
//! SyncGroup ([`Assignment`]).
//!
//! The broker never reads these bytes; only consumers do, so every client in a group must agree
//! on them. The format is Kafka's `ConsumerProtocolSubscription.json` and
//! `ConsumerProtocolAssignment.json` (versions 0–3, not flexible), each preceded by an `i16`
//! version:
//!
//! | version | Subscription adds                       | Assignment adds |
//! |---------|-----------------------------------------|-----------------|
//! | 0       | `topics`, `user_data`                   | `partitions`, `user_data` |
//! | 1       | `owned_partitions` (KIP-429)            | — |
//! | 2       | `generation_id` (KIP-792)               | — |
//! | 3       | `rack_id` (KIP-881)                     | — |
//!
//! Kafka promises that later versions only append fields, so a version newer than we know is
//! read with the newest layout we know and whatever follows is ignored, as the Java client does.
//!
//! This file owns the codec and [`TopicPartition`]; the assignors and the membership state
//! machine build on it.
//!
//! ```
//! # use kafkito::consumer::group::protocol::{Subscription, TopicPartition};
//! let subscription = Subscription {
//!     topics: vec!["orders".into()],
//!     owned_partitions: vec![TopicPartition::new("orders", 0)],
//!     generation_id: 7,
//!     ..Default::default()
//! };
//! let bytes = subscription.encode(Subscription::LATEST_VERSION).unwrap();
//! assert_eq!(Subscription::decode(&bytes).unwrap(), subscription);
//! ```

use bytes::{BufMut, Bytes, BytesMut};
use kafkito_protocol::wire;
use kafkito_protocol::{DecodeError, EncodeError};

pub use crate::types::TopicPartition;

/// What a member asks for: the JoinGroup protocol metadata of the "consumer" protocol type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The topics the member subscribes to.
    pub topics: Vec<String>,
    /// Assignor-specific data, opaque to everyone but the assignor.
    pub user_data: Option<Bytes>,
    /// Partitions the member owns now (v1+): what cooperative and sticky assignors keep.
    pub owned_partitions: Vec<TopicPartition>,
    /// The generation in which the member got `owned_partitions` (v2+); -1 if none.
    pub generation_id: i32,
    /// The member's `client.rack` (v3+), for rack-aware assignment.
    pub rack_id: Option<String>,
}

impl Default for Subscription {
    fn default() -> Self {
        Subscription {
            topics: Vec::new(),
            user_data: None,
            owned_partitions: Vec::new(),
            generation_id: -1,
            rack_id: None,
        }
    }
}

/// What the leader gives a member: the SyncGroup assignment of the "consumer" protocol type.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Assignment {
    /// The partitions the member is to consume.
    pub partitions: Vec<TopicPartition>,
    /// Assignor-specific data.
    pub user_data: Option<Bytes>,
}

const SUBSCRIPTION: &str = "ConsumerProtocolSubscription";
const ASSIGNMENT: &str = "ConsumerProtocolAssignment";

fn unsupported_encode(api: &'static str, version: i16) -> EncodeError {
    EncodeError::UnsupportedVersion {
        api,
        version,
        min: 0,
        max: 3,
    }
}

/// Reads the leading version; negative versions are not a format anyone wrote.
fn read_version(buf: &mut Bytes, api: &'static str) -> Result<i16, DecodeError> {
    let version = wire::read_i16(buf)?;
    if version < 0 {
        return Err(DecodeError::UnsupportedVersion {
            api,
            version,
            min: 0,
            max: 3,
        });
    }
    Ok(version)
}

/// After the fields of a known version, nothing may follow; after a newer version's, anything
/// may (fields we do not know).
fn check_trailing(buf: &Bytes, version: i16, what: &'static str) -> Result<(), DecodeError> {
    if version <= 3 && !buf.is_empty() {
        return Err(DecodeError::TrailingBytes {
            what,
            remaining: buf.len(),
        });
    }
    Ok(())
}

/// Writes `[TopicPartition]` grouped by topic, in order of each topic's first appearance.
fn write_topic_partitions(
    buf: &mut BytesMut,
    partitions: &[TopicPartition],
) -> Result<(), EncodeError> {
    let mut groups: Vec<(&str, Vec<i32>)> = Vec::new();
    for tp in partitions {
        match groups.iter_mut().find(|(t, _)| *t == tp.topic) {
            Some((_, ps)) => ps.push(tp.partition),
            None => groups.push((&tp.topic, vec![tp.partition])),
        }
    }
    wire::write_array_len(buf, Some(groups.len()), false)?;
    for (topic, ps) in groups {
        wire::write_string(buf, topic, false)?;
        wire::write_array_len(buf, Some(ps.len()), false)?;
        for p in ps {
            buf.put_i32(p);
        }
    }
    Ok(())
}

fn read_topic_partitions(buf: &mut Bytes) -> Result<Vec<TopicPartition>, DecodeError> {
    let count = wire::read_array_len(buf, false)?.unwrap_or(0);
    let mut out = Vec::with_capacity(wire::initial_capacity(count));
    for _ in 0..count {
        let topic = wire::read_string(buf, false)?;
        let n = wire::read_array_len(buf, false)?.unwrap_or(0);
        for _ in 0..n {
            out.push(TopicPartition {
                topic: topic.clone(),
                partition: wire::read_i32(buf)?,
            });
        }
    }
    Ok(out)
}

impl Subscription {
    /// The newest version this codec writes.
    pub const LATEST_VERSION: i16 = 3;

    /// Encodes at `version` (0–3), leading `i16` version included. Fields the version lacks are
    /// left out, as Java does for `ignorable` fields.
    pub fn encode(&self, version: i16) -> Result<Bytes, EncodeError> {
        if !(0..=3).contains(&version) {
            return Err(unsupported_encode(SUBSCRIPTION, version));
        }
        let mut buf = BytesMut::new();
        buf.put_i16(version);
        wire::write_array_len(&mut buf, Some(self.topics.len()), false)?;
        for topic in &self.topics {
            wire::write_string(&mut buf, topic, false)?;
        }
        wire::write_nullable_bytes(&mut buf, self.user_data.as_ref(), false)?;
        if version >= 1 {
            write_topic_partitions(&mut buf, &self.owned_partitions)?;
        }
        if version >= 2 {
            buf.put_i32(self.generation_id);
        }
        if version >= 3 {
            wire::write_nullable_string(&mut buf, self.rack_id.as_deref(), false)?;
        }
        Ok(buf.freeze())
    }

    /// Decodes a subscription of any version ≥ 0; fields after those of v3 are ignored.
    pub fn decode(bytes: &Bytes) -> Result<Self, DecodeError> {
        let mut buf = bytes.clone();
        let version = read_version(&mut buf, SUBSCRIPTION)?;
        let count = wire::read_array_len(&mut buf, false)?.unwrap_or(0);
        let mut topics = Vec::with_capacity(wire::initial_capacity(count));
        for _ in 0..count {
            topics.push(wire::read_string(&mut buf, false)?);
        }
        let mut subscription = Subscription {
            topics,
            user_data: wire::read_nullable_bytes(&mut buf, false)?,
            ..Default::default()
        };
        if version >= 1 {
            subscription.owned_partitions = read_topic_partitions(&mut buf)?;
        }
        if version >= 2 {
            subscription.generation_id = wire::read_i32(&mut buf)?;
        }
        if version >= 3 {
            subscription.rack_id = wire::read_nullable_string(&mut buf, false)?;
        }
        check_trailing(&buf, version, SUBSCRIPTION)?;
        Ok(subscription)
    }
}

impl Assignment {
    /// The newest version this codec writes.
    pub const LATEST_VERSION: i16 = 3;

    /// Encodes at `version` (0–3; all share one layout), leading `i16` version included.
    pub fn encode(&self, version: i16) -> Result<Bytes, EncodeError> {
        if !(0..=3).contains(&version) {
            return Err(unsupported_encode(ASSIGNMENT, version));
        }
        let mut buf = BytesMut::new();
        buf.put_i16(version);
        write_topic_partitions(&mut buf, &self.partitions)?;
        wire::write_nullable_bytes(&mut buf, self.user_data.as_ref(), false)?;
        Ok(buf.freeze())
    }

    /// Decodes an assignment of any version ≥ 0. An empty input is an empty assignment: the
    /// broker hands a member zero bytes when the leader gave it nothing, and Java reads that as
    /// no partitions.
    pub fn decode(bytes: &Bytes) -> Result<Self, DecodeError> {
        if bytes.is_empty() {
            return Ok(Assignment::default());
        }
        let mut buf = bytes.clone();
        let version = read_version(&mut buf, ASSIGNMENT)?;
        let partitions = read_topic_partitions(&mut buf)?;
        let user_data = wire::read_nullable_bytes(&mut buf, false)?;
        check_trailing(&buf, version, ASSIGNMENT)?;
        Ok(Assignment {
            partitions,
            user_data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn grouped(map: BTreeMap<String, Vec<i32>>) -> Vec<TopicPartition> {
        map.into_iter()
            .flat_map(|(t, ps)| {
                ps.into_iter()
                    .map(move |p| TopicPartition::new(t.clone(), p))
            })
            .collect()
    }

    fn arb_partitions() -> impl Strategy<Value = Vec<TopicPartition>> {
        proptest::collection::btree_map(
            "[a-z._-]{1,12}",
            proptest::collection::vec(any::<i32>(), 1..5),
            0..5,
        )
        .prop_map(grouped)
    }

    fn arb_subscription() -> impl Strategy<Value = Subscription> {
        (
            proptest::collection::vec("[a-zA-Z0-9._-]{0,16}", 0..6),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..32)),
            arb_partitions(),
            any::<i32>(),
            proptest::option::of("[a-z0-9-]{0,8}"),
        )
            .prop_map(|(topics, ud, owned, generation_id, rack_id)| Subscription {
                topics,
                user_data: ud.map(Bytes::from),
                owned_partitions: owned,
                generation_id,
                rack_id,
            })
    }

    /// What survives encoding at `version`: later fields take their defaults.
    fn at_version(mut s: Subscription, version: i16) -> Subscription {
        if version < 1 {
            s.owned_partitions.clear();
        }
        if version < 2 {
            s.generation_id = -1;
        }
        if version < 3 {
            s.rack_id = None;
        }
        s
    }

    proptest! {
        #[test]
        fn subscription_round_trips(s in arb_subscription(), version in 0i16..=3) {
            let bytes = s.encode(version).unwrap();
            prop_assert_eq!(Subscription::decode(&bytes).unwrap(), at_version(s, version));
        }

        #[test]
        fn assignment_round_trips(
            partitions in arb_partitions(),
            ud in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..32)),
            version in 0i16..=3,
        ) {
            let a = Assignment { partitions, user_data: ud.map(Bytes::from) };
            let bytes = a.encode(version).unwrap();
            prop_assert_eq!(Assignment::decode(&bytes).unwrap(), a);
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let bytes = Bytes::from(bytes);
            let _ = Subscription::decode(&bytes);
            let _ = Assignment::decode(&bytes);
        }

        /// A newer version is read with the v3 layout; what follows is ignored.
        #[test]
        fn newer_version_reads_known_fields(s in arb_subscription(), extra in proptest::collection::vec(any::<u8>(), 0..16)) {
            let mut raw = BytesMut::from(&s.encode(3).unwrap()[..]);
            raw[0..2].copy_from_slice(&4i16.to_be_bytes());
            raw.extend_from_slice(&extra);
            prop_assert_eq!(Subscription::decode(&raw.freeze()).unwrap(), s);
        }
    }

    #[test]
    fn v0_subscription_bytes() {
        let s = Subscription {
            topics: vec!["t".into()],
            ..Default::default()
        };
        let bytes = s.encode(0).unwrap();
        // version 0, one topic "t", null user data.
        assert_eq!(
            &bytes[..],
            &[0, 0, 0, 0, 0, 1, 0, 1, b't', 0xff, 0xff, 0xff, 0xff]
        );
    }

    #[test]
    fn trailing_bytes_at_known_version_are_rejected() {
        let mut raw = BytesMut::from(&Assignment::default().encode(1).unwrap()[..]);
        raw.put_u8(0);
        assert!(matches!(
            Assignment::decode(&raw.freeze()),
            Err(DecodeError::TrailingBytes { .. })
        ));
    }

    #[test]
    fn empty_assignment_bytes_mean_no_partitions() {
        assert_eq!(
            Assignment::decode(&Bytes::new()).unwrap(),
            Assignment::default()
        );
    }

    #[test]
    fn negative_version_is_rejected() {
        assert!(Subscription::decode(&Bytes::from_static(&[0xff, 0xff])).is_err());
    }
}
