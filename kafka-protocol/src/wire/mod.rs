//! Primitive wire types of the Kafka protocol over [`bytes`].
//!
//! Readers take `&mut Bytes` so that byte fields are zero-copy slices of the input; writers take
//! `&mut BytesMut`. Every reader checks the remaining input before it reads or allocates, so a
//! hostile length prefix costs an error, never memory.

mod read;
mod splice;
mod tagged;
mod uuid;
mod write;

pub use read::*;
pub use splice::{Encoder, Splice, SPLICE_MIN};
pub use tagged::RawTaggedField;
pub use uuid::Uuid;
pub use write::*;

#[cfg(test)]
mod tests;
