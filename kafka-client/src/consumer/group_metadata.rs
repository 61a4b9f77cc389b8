//! [`ConsumerGroupMetadata`]: what a transactional producer needs to know about a group member
//! to commit offsets on its behalf (KIP-447).

/// A snapshot of a consumer's place in its group, taken by [`Consumer::group_metadata`] and
/// handed to `Producer::send_offsets_to_transaction`. The transaction coordinator checks the
/// generation and member id, so a zombie member whose partitions moved on cannot commit.
///
/// [`Consumer::group_metadata`]: crate::consumer::Consumer::group_metadata
///
/// ```
/// use kafkito::consumer::ConsumerGroupMetadata;
///
/// // Without a generation (a consumer using `assign`), only the group id is checked.
/// let metadata = ConsumerGroupMetadata::new("billing");
/// assert_eq!(metadata.generation_id, -1);
/// assert_eq!(metadata.member_id, "");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupMetadata {
    /// The group (`group.id`).
    pub group_id: String,
    /// The generation the member is in; -1 when it is in none.
    pub generation_id: i32,
    /// The member id the coordinator gave; empty when it is in none.
    pub member_id: String,
    /// `group.instance.id` of a static member.
    pub group_instance_id: Option<String>,
}

impl ConsumerGroupMetadata {
    /// Metadata carrying only a group id: the coordinator then skips the generation check
    /// (what the Java client sends for `new ConsumerGroupMetadata(groupId)`).
    pub fn new(group_id: impl Into<String>) -> Self {
        ConsumerGroupMetadata {
            group_id: group_id.into(),
            generation_id: -1,
            member_id: String::new(),
            group_instance_id: None,
        }
    }
}
