//! Drives librdkafka (through the `rdkafka` crate, which bundles and pins its version) against a
//! broker that sits behind `scripts/record-kafka-frames`, so that the recording proxy sees real
//! requests from a real client and real responses from a real broker. The frames become
//! `kafka-protocol/tests/fixtures/golden/`; `scripts/capture-golden` runs the whole thing and
//! the README there says how.
//!
//! Everything the driver writes is fixed (topic names, keys, values, headers, timestamps), so the
//! golden test can assert on values, not only on round-trips.
//!
//! ```text
//! capture-golden version
//! capture-golden broker --bootstrap 127.0.0.1:PORT
//! capture-golden sasl   --bootstrap 127.0.0.1:PORT --user NAME --password SECRET
//! capture-golden mock   --proxy scripts/record-kafka-frames --listen PORT --out DIR
//! ```
//!
//! `broker` and `sasl` expect the broker to advertise the proxy's address. `mock` starts
//! librdkafka's own mock cluster (a second broker implementation) in-process, starts the proxy
//! in front of it and makes the mock broker advertise the proxy, so that every connection, not
//! only the bootstrap one, is recorded.

mod admin_ffi;
mod mock;
mod scenarios;

use std::collections::HashMap;
use std::error::Error;

type Result<T, E = Box<dyn Error>> = std::result::Result<T, E>;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().ok_or_else(usage)?;
    let mut flags = HashMap::new();
    while let Some(flag) = args.next() {
        let name = flag.strip_prefix("--").ok_or_else(usage)?.to_owned();
        let value = args.next().ok_or_else(usage)?;
        flags.insert(name, value);
    }
    let flag = |name: &str| -> Result<String> {
        flags
            .get(name)
            .cloned()
            .ok_or_else(|| format!("missing --{name}\n{}", usage()).into())
    };
    let librdkafka = rdkafka::util::get_rdkafka_version().1;
    match command.as_str() {
        "version" => {
            println!("{librdkafka}");
            return Ok(());
        }
        "broker" => scenarios::full_tour(&scenarios::Peer::broker(flag("bootstrap")?)).await,
        "sasl" => scenarios::sasl(&flag("bootstrap")?, &flag("user")?, &flag("password")?).await,
        "mock" => mock::run(&flag("proxy")?, flag("listen")?.parse()?, &flag("out")?).await,
        _ => Err(usage()),
    }
    .inspect(|()| eprintln!("capture-golden: done with librdkafka {librdkafka}"))
}

fn usage() -> Box<dyn Error> {
    "usage: capture-golden version\n       capture-golden broker --bootstrap HOST:PORT\n       \
     capture-golden sasl --bootstrap HOST:PORT --user NAME --password SECRET\n       \
     capture-golden mock --proxy PATH --listen PORT --out DIR"
        .into()
}
