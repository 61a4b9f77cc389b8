//! Control records: the records of a control batch (attributes bit 5), which the broker
//! writes and consumers interpret rather than return to the application.
//!
//! Key (all versions so far): `version: i16` (0), `type: i16`. For `ABORT` (0) and `COMMIT`
//! (1), the transaction markers, the value is `version: i16` (0) and `coordinatorEpoch: i32`.
//! Newer key or value versions may only append fields, so they are read as version 0. The
//! KRaft control types carry generated messages as values and are passed through raw.

use bytes::Bytes;

use super::{Record, RecordsError};

/// The `type` of a control record key.
///
/// ```
/// use kafkito_protocol::records::ControlRecordType;
///
/// assert_eq!(ControlRecordType::from_id(0), ControlRecordType::Abort);
/// assert_eq!(ControlRecordType::Commit.id(), 1);
/// assert_eq!(ControlRecordType::from_id(99), ControlRecordType::Unknown(99));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlRecordType {
    /// Transaction aborted (0): consumers in `read_committed` drop the producer's records.
    Abort,
    /// Transaction committed (1).
    Commit,
    /// KRaft: leader change (2).
    LeaderChange,
    /// KRaft: snapshot header (3).
    SnapshotHeader,
    /// KRaft: snapshot footer (4).
    SnapshotFooter,
    /// KRaft: kraft.version record (5).
    KraftVersion,
    /// KRaft: voters record (6).
    KraftVoters,
    /// A type this client does not know; to be ignored, as the Java client does.
    Unknown(i16),
}

impl ControlRecordType {
    /// The type id in the key.
    pub const fn id(self) -> i16 {
        match self {
            ControlRecordType::Abort => 0,
            ControlRecordType::Commit => 1,
            ControlRecordType::LeaderChange => 2,
            ControlRecordType::SnapshotHeader => 3,
            ControlRecordType::SnapshotFooter => 4,
            ControlRecordType::KraftVersion => 5,
            ControlRecordType::KraftVoters => 6,
            ControlRecordType::Unknown(id) => id,
        }
    }

    /// The type for a key's type id.
    pub const fn from_id(id: i16) -> Self {
        match id {
            0 => ControlRecordType::Abort,
            1 => ControlRecordType::Commit,
            2 => ControlRecordType::LeaderChange,
            3 => ControlRecordType::SnapshotHeader,
            4 => ControlRecordType::SnapshotFooter,
            5 => ControlRecordType::KraftVersion,
            6 => ControlRecordType::KraftVoters,
            other => ControlRecordType::Unknown(other),
        }
    }

    /// Whether this is a transaction marker (`Abort` or `Commit`).
    pub const fn is_transaction_marker(self) -> bool {
        matches!(self, ControlRecordType::Abort | ControlRecordType::Commit)
    }
}

/// The value of a transaction marker (`ABORT`/`COMMIT` control record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndTransactionMarker {
    /// Value schema version; 0 is the only one so far.
    pub version: i16,
    /// Epoch of the transaction coordinator that wrote the marker.
    pub coordinator_epoch: i32,
}

impl EndTransactionMarker {
    /// Encoded size of a version-0 marker value.
    pub const SIZE: usize = 6;

    /// The value bytes.
    pub fn encode(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        out[..2].copy_from_slice(&self.version.to_be_bytes());
        out[2..].copy_from_slice(&self.coordinator_epoch.to_be_bytes());
        out
    }

    /// Parses a marker value; bytes past the version-0 fields are ignored, as newer versions
    /// may only append fields.
    pub fn decode(value: &[u8]) -> Result<Self, RecordsError> {
        if value.len() < Self::SIZE {
            return Err(RecordsError::InvalidControlRecord {
                reason: "end transaction marker value shorter than 6 bytes",
            });
        }
        let version = i16::from_be_bytes([value[0], value[1]]);
        if version < 0 {
            return Err(RecordsError::InvalidControlRecord {
                reason: "negative end transaction marker version",
            });
        }
        Ok(EndTransactionMarker {
            version,
            coordinator_epoch: i32::from_be_bytes([value[2], value[3], value[4], value[5]]),
        })
    }
}

/// A control record: its key (version and type) and its raw value.
///
/// ```
/// use kafkito_protocol::records::{
///     decode_batches, Compression, ControlRecord, ControlRecordType, RecordBatchBuilder,
/// };
///
/// // What the broker appends when a transaction of producer 42 commits.
/// let mut builder = RecordBatchBuilder::new(Compression::None);
/// builder.control(true).transactional(true).producer_state(42, 3, -1);
/// builder.append_control(1_000, &ControlRecord::commit(7))?;
/// let batch = decode_batches(builder.finish()?)?.batches.remove(0);
///
/// assert!(batch.is_control);
/// let marker = ControlRecord::parse(&batch.records[0])?;
/// assert_eq!(marker.kind, ControlRecordType::Commit);
/// assert_eq!(marker.end_transaction_marker()?.unwrap().coordinator_epoch, 7);
/// # Ok::<(), kafkito_protocol::records::RecordsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ControlRecord {
    /// Key schema version; 0 is the only one so far.
    pub version: i16,
    /// The control type.
    pub kind: ControlRecordType,
    /// The value as stored; see [`ControlRecord::end_transaction_marker`].
    pub value: Option<Bytes>,
}

impl ControlRecord {
    /// Encoded size of a version-0 key.
    pub const KEY_SIZE: usize = 4;

    /// A `COMMIT` marker written by a coordinator at `coordinator_epoch`.
    pub fn commit(coordinator_epoch: i32) -> Self {
        Self::marker(ControlRecordType::Commit, coordinator_epoch)
    }

    /// An `ABORT` marker written by a coordinator at `coordinator_epoch`.
    pub fn abort(coordinator_epoch: i32) -> Self {
        Self::marker(ControlRecordType::Abort, coordinator_epoch)
    }

    fn marker(kind: ControlRecordType, coordinator_epoch: i32) -> Self {
        let value = EndTransactionMarker {
            version: 0,
            coordinator_epoch,
        };
        ControlRecord {
            version: 0,
            kind,
            value: Some(Bytes::copy_from_slice(&value.encode())),
        }
    }

    /// The key bytes.
    pub fn encode_key(&self) -> [u8; Self::KEY_SIZE] {
        let mut out = [0u8; Self::KEY_SIZE];
        out[..2].copy_from_slice(&self.version.to_be_bytes());
        out[2..].copy_from_slice(&self.kind.id().to_be_bytes());
        out
    }

    /// Parses a control record key; bytes past the version-0 fields are ignored.
    pub fn parse_key(key: &[u8]) -> Result<(i16, ControlRecordType), RecordsError> {
        if key.len() < Self::KEY_SIZE {
            return Err(RecordsError::InvalidControlRecord {
                reason: "control record key shorter than 4 bytes",
            });
        }
        let version = i16::from_be_bytes([key[0], key[1]]);
        if version < 0 {
            return Err(RecordsError::InvalidControlRecord {
                reason: "negative control record key version",
            });
        }
        Ok((
            version,
            ControlRecordType::from_id(i16::from_be_bytes([key[2], key[3]])),
        ))
    }

    /// Interprets a record of a control batch.
    pub fn parse(record: &Record) -> Result<Self, RecordsError> {
        let key = record
            .key
            .as_deref()
            .ok_or(RecordsError::InvalidControlRecord {
                reason: "control record without a key",
            })?;
        let (version, kind) = Self::parse_key(key)?;
        Ok(ControlRecord {
            version,
            kind,
            value: record.value.clone(),
        })
    }

    /// The transaction marker carried by an `ABORT`/`COMMIT` record; `Ok(None)` for other
    /// control types.
    pub fn end_transaction_marker(&self) -> Result<Option<EndTransactionMarker>, RecordsError> {
        if !self.kind.is_transaction_marker() {
            return Ok(None);
        }
        let value = self
            .value
            .as_deref()
            .ok_or(RecordsError::InvalidControlRecord {
                reason: "transaction marker without a value",
            })?;
        EndTransactionMarker::decode(value).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_commit_marker_bytes() {
        let commit = ControlRecord::commit(0x0102_0304);
        assert_eq!(commit.encode_key(), [0, 0, 0, 1]);
        assert_eq!(commit.value.as_deref(), Some(&[0, 0, 1, 2, 3, 4][..]));
        assert_eq!(ControlRecord::abort(5).encode_key(), [0, 0, 0, 0]);
    }

    #[test]
    fn parses_newer_versions_as_version_zero() {
        let (version, kind) = ControlRecord::parse_key(&[0, 1, 0, 1, 0xff]).unwrap();
        assert_eq!((version, kind), (1, ControlRecordType::Commit));
        let marker = EndTransactionMarker::decode(&[0, 1, 0, 0, 0, 9, 0xaa, 0xbb]).unwrap();
        assert_eq!(marker.coordinator_epoch, 9);
    }

    #[test]
    fn rejects_short_or_negative() {
        assert!(ControlRecord::parse_key(&[0, 0, 0]).is_err());
        assert!(ControlRecord::parse_key(&[0xff, 0xff, 0, 0]).is_err());
        assert!(EndTransactionMarker::decode(&[0, 0, 0, 0, 0]).is_err());
        assert!(EndTransactionMarker::decode(&[0x80, 0, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn other_control_types_have_no_marker() {
        let record = ControlRecord {
            version: 0,
            kind: ControlRecordType::LeaderChange,
            value: Some(Bytes::from_static(b"\x00\x00")),
        };
        assert_eq!(record.end_transaction_marker(), Ok(None));
        for id in -1..8 {
            assert_eq!(ControlRecordType::from_id(id).id(), id);
        }
    }
}
