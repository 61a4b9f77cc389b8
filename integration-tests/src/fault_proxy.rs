//! A misbehaving broker in front of a real one: a TCP listener that, while "sick", answers the
//! first request of each connection with a chosen kind of bad bytes (garbage, a truncated
//! frame, a huge or negative declared length, a wrong correlation id, silence, a close), and
//! once [`FaultProxy::heal`]ed forwards every new connection to the real broker untouched.
//!
//! This is what the bad-input tests need to show both halves of the contract: a malformed
//! peer ends in a typed error within the call's deadline, and the client then reconnects and
//! works — with no new client. It sits here rather than in the client's own `test_peer`
//! because it drives whole clients (admin, producer) over real sockets, against a real broker
//! once healed.
//!
//! ```no_run
//! # async fn demo() {
//! use integration_tests::fault_proxy::{FaultProxy, Misbehaviour};
//!
//! let proxy = FaultProxy::start("127.0.0.1:9092", Misbehaviour::Garbage).await;
//! // ... point a client at proxy.bootstrap(), see it fail ...
//! proxy.heal();
//! // ... the next connection reaches the broker.
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the sick proxy does after reading a connection's first request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// A frame of the right size and correlation id whose body is not a valid response.
    Garbage,
    /// Declares 100 bytes, sends 6, closes.
    Truncated,
    /// Declares a frame of almost 2 GiB, sends a few bytes, then nothing.
    HugeLength,
    /// Declares a negative length.
    NegativeLength,
    /// A well-sized frame answering a correlation id the client never used.
    WrongCorrelationId,
    /// Reads the request and never answers (the connection stays open).
    Silence,
    /// Closes the connection without a byte.
    Close,
}

/// A listener on 127.0.0.1 that misbehaves until healed, then forwards to `upstream`.
/// Dropping it stops accepting (connections already forwarded go on until either side
/// closes).
#[derive(Debug)]
pub struct FaultProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    upstream: String,
    misbehaviour: Misbehaviour,
    healed: AtomicBool,
    connections: AtomicUsize,
    misbehaved: AtomicUsize,
}

impl FaultProxy {
    /// Starts a sick proxy for `upstream` (`host:port`).
    pub async fn start(upstream: &str, misbehaviour: Misbehaviour) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fault proxy");
        let address = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            misbehaviour,
            healed: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            misbehaved: AtomicUsize::new(0),
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        FaultProxy {
            address,
            shared,
            accept,
        }
    }

    /// `host:port` to give a client as `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        self.address.to_string()
    }

    /// From now on, new connections are forwarded to the real broker.
    pub fn heal(&self) {
        self.shared.healed.store(true, Ordering::SeqCst);
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Connections that got the misbehaviour (had sent a request first).
    pub fn misbehaved(&self) -> usize {
        self.shared.misbehaved.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((socket, _)) = listener.accept().await {
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let shared = shared.clone();
        tokio::spawn(async move {
            if shared.healed.load(Ordering::SeqCst) {
                forward(socket, &shared.upstream).await;
            } else {
                misbehave(socket, &shared).await;
            }
        });
    }
}

async fn forward(mut client: TcpStream, upstream: &str) {
    let Ok(mut broker) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = broker.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut broker).await;
}

/// Reads one request frame; returns its correlation id, or `None` if the client went away
/// (or sent nothing within 10 s).
async fn read_request(socket: &mut TcpStream) -> Option<i32> {
    let mut size = [0u8; 4];
    let read = async {
        socket.read_exact(&mut size).await.ok()?;
        let len = usize::try_from(i32::from_be_bytes(size)).ok()?;
        // api key (2), api version (2), correlation id (4): the rest is skipped.
        let mut body = vec![0u8; len.min(1 << 20)];
        socket.read_exact(&mut body).await.ok()?;
        let id = body.get(4..8)?;
        Some(i32::from_be_bytes([id[0], id[1], id[2], id[3]]))
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .ok()
        .flatten()
}

async fn misbehave(mut socket: TcpStream, shared: &Shared) {
    let Some(correlation_id) = read_request(&mut socket).await else {
        return;
    };
    shared.misbehaved.fetch_add(1, Ordering::SeqCst);
    let id = correlation_id.to_be_bytes();
    let mut out = Vec::new();
    match shared.misbehaviour {
        Misbehaviour::Garbage => {
            // 0x7f7f error code, then an array "of" 0x7f7f7f7f elements in 6 bytes.
            out.extend_from_slice(&14i32.to_be_bytes());
            out.extend_from_slice(&id);
            out.extend_from_slice(&[0x7f; 10]);
        }
        Misbehaviour::Truncated => {
            out.extend_from_slice(&100i32.to_be_bytes());
            out.extend_from_slice(&id);
            out.extend_from_slice(&[0, 0]);
        }
        Misbehaviour::HugeLength => {
            out.extend_from_slice(&0x7fff_fff0i32.to_be_bytes());
            out.extend_from_slice(&id);
            out.extend_from_slice(&[0; 16]);
        }
        Misbehaviour::NegativeLength => {
            out.extend_from_slice(&(-7i32).to_be_bytes());
            out.extend_from_slice(&id);
        }
        Misbehaviour::WrongCorrelationId => {
            out.extend_from_slice(&14i32.to_be_bytes());
            out.extend_from_slice(&correlation_id.wrapping_add(7777).to_be_bytes());
            out.extend_from_slice(&[0; 10]);
        }
        Misbehaviour::Silence => {}
        Misbehaviour::Close => return,
    }
    if socket.write_all(&out).await.is_err() {
        return;
    }
    if shared.misbehaviour == Misbehaviour::Truncated {
        return;
    }
    // Hold the connection open until the client gives up on it (bounded).
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(30), async {
        while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}
