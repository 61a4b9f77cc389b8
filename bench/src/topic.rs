//! Setting up the topic with this SDK's admin client.
//!
//! Whether the broker holds every record is checked outside this binary: each client here
//! counts its per-record acknowledgements, and `scripts/bench` reads the topic back with kcat.
//! (Comparing end offsets before and after would be cheaper, but tansu's ListOffsets "latest"
//! answers the base offset of the last batch plus one, not the high watermark.)

use kafka_client::admin::NewTopic;
use kafka_client::{AdminClient, ClientConfig};
use kafka_protocol::ErrorCode;

use crate::args::Args;
use crate::BoxError;

/// Creates the topic with `--partitions` partitions (replication factor 1) unless it exists.
pub async fn prepare(args: &Args) -> Result<(), BoxError> {
    let admin = AdminClient::new(ClientConfig {
        bootstrap_servers: vec![args.bootstrap.clone()],
        ..Default::default()
    })?;
    let created = admin
        .create_topics(
            vec![NewTopic::new(args.topic.clone(), args.partitions, 1)],
            Default::default(),
        )
        .await;
    admin.close();
    match &created?[&args.topic] {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some(ErrorCode::TopicAlreadyExists) => {
            eprintln!("bench: topic {} already exists; using it", args.topic);
            Ok(())
        }
        Err(e) => Err(format!("creating topic {}: {e}", args.topic).into()),
    }
}
