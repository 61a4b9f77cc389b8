use bytes::Bytes;

/// A tagged field (KIP-482) this codec does not know, kept verbatim so that re-encoding a
/// decoded message reproduces it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawTaggedField {
    /// The field's tag.
    pub tag: u32,
    /// The field's encoded value, without the tag and size prefix.
    pub data: Bytes,
}
