//! Creates topics with the admin client; a topic that exists already is fine (reported, not
//! an error). `scripts/demo` uses it to set up its topics.
//!
//! ```sh
//! cargo run --release -p examples --bin create_topics -- --bootstrap localhost:9092 \
//!     --topics in,out --partitions 3
//! ```

use std::process::ExitCode;

use examples::app::{self, AppError, AppResult};
use examples::cli::{Args, Opt, Spec};
use kafkito::admin::{CreateTopicsOptions, NewTopic};
use kafkito::protocol::ErrorCode;
use kafkito::{AdminClient, Error};

const SPEC: Spec = Spec {
    name: "create_topics",
    about: "Creates topics (comma-separated names); ones that exist already are left as they are.",
    options: &[
        Opt::required("bootstrap", "H:P", "a broker to bootstrap from"),
        Opt::required("topics", "T1,T2,..", "the topics to create"),
        Opt::optional("partitions", "P", "partitions of each (default 3)"),
        Opt::optional(
            "replication-factor",
            "R",
            "copies of each partition (default: the broker's)",
        ),
    ],
};

async fn create(args: Args) -> AppResult {
    let partitions: i32 = args.number("partitions")?.unwrap_or(3);
    let replication: i16 = args.number("replication-factor")?.unwrap_or(-1);
    let mut properties = vec![(
        "bootstrap.servers".to_owned(),
        args.required("bootstrap").to_owned(),
    )];
    properties.extend(args.properties().iter().cloned());
    let admin = AdminClient::from_properties(properties)?;
    let topics: Vec<NewTopic> = args
        .required("topics")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| NewTopic::new(t, partitions, replication))
        .collect();
    if topics.is_empty() {
        return Err(AppError::Failed("--topics names no topic".into()));
    }
    let results = admin
        .create_topics(topics, CreateTopicsOptions::default())
        .await;
    admin.close();
    let mut failed = Vec::new();
    for (name, result) in results? {
        match result {
            Ok(created) => println!(
                "created {name} ({} partitions)",
                created.num_partitions.unwrap_or(partitions)
            ),
            Err(Error::Protocol {
                code: ErrorCode::TopicAlreadyExists,
                ..
            }) => println!("exists {name}"),
            Err(error) => {
                eprintln!("create_topics: {name}: {error}");
                failed.push(name);
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(AppError::Failed(format!(
            "could not create {}",
            failed.join(", ")
        )))
    }
}

fn main() -> ExitCode {
    app::run(&SPEC, create)
}
