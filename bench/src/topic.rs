//! Setting up the topic with this SDK's admin client.
//!
//! Whether the broker holds every record is checked outside this binary: each client here
//! counts its per-record acknowledgements, and `scripts/bench` reads the topic back with kcat.
//! (Comparing end offsets before and after would be cheaper, but tansu's ListOffsets "latest"
//! answers the base offset of the last batch plus one, not the high watermark.)

use kafkito::admin::{NewTopic, OffsetSpec, TopicPartition};
use kafkito::{AdminClient, ClientConfig};
use kafkito_protocol::ErrorCode;

use crate::args::Args;
use crate::BoxError;

/// Creates the topic with `--partitions` partitions (replication factor 1) unless it exists;
/// whether it created it.
pub async fn prepare(args: &Args) -> Result<bool, BoxError> {
    let admin = AdminClient::new(ClientConfig {
        bootstrap_servers: vec![args.bootstrap.clone()],
        ..Default::default()
    })?;
    // A topic made beforehand (librdkafka's mock cluster answers no CreateTopics: scripts/bench
    // creates its topics through `bench-mock-cluster`) is used as it is.
    if let Ok(cluster) = admin
        .metadata()
        .refresh_topics(&[args.topic.as_str()])
        .await
    {
        if let Some(info) = cluster.topic(&args.topic) {
            if info.partitions.len() >= args.partitions as usize {
                admin.close();
                eprintln!("bench: topic {} exists; using it", args.topic);
                return Ok(false);
            }
        }
    }
    let created = admin
        .create_topics(
            vec![NewTopic::new(args.topic.clone(), args.partitions, 1)],
            Default::default(),
        )
        .await;
    admin.close();
    match &created?[&args.topic] {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Some(ErrorCode::TopicAlreadyExists) => {
            eprintln!("bench: topic {} already exists; using it", args.topic);
            Ok(false)
        }
        Err(e) => Err(format!("creating topic {}: {e}", args.topic).into()),
    }
}

/// Records in the topic's `--partitions` partitions by ListOffsets (latest - earliest). Under
/// tansu this is a lower bound (see the module comment): a topic the bench filled reads as
/// holding fewer records than it does, never more.
pub async fn listed_records(args: &Args) -> Result<i64, BoxError> {
    let admin = AdminClient::new(ClientConfig {
        bootstrap_servers: vec![args.bootstrap.clone()],
        ..Default::default()
    })?;
    let mut specs = Vec::new();
    for p in 0..args.partitions {
        let tp = TopicPartition::new(args.topic.as_str(), p);
        specs.push((tp.clone(), OffsetSpec::Earliest));
    }
    let earliest = admin.list_offsets(specs.clone(), Default::default()).await;
    let specs = specs
        .into_iter()
        .map(|(tp, _)| (tp, OffsetSpec::Latest))
        .collect();
    let latest = admin.list_offsets(specs, Default::default()).await;
    admin.close();
    let (earliest, latest) = (earliest?, latest?);
    let mut total = 0;
    for (tp, end) in latest {
        let end = end?.offset.unwrap_or(0);
        let start = match earliest.get(&tp) {
            Some(Ok(start)) => start.offset.unwrap_or(0),
            Some(Err(e)) => return Err(format!("{tp}: {e}").into()),
            None => 0,
        };
        total += (end - start).max(0);
    }
    Ok(total)
}
