//! The two socket tasks of one connection: the reader splits frames and routes them through the
//! [`Demux`]; the writer is the only one that writes, whole frames, in vectored batches. Their
//! errors carry hints for the usual misconfigurations (TLS against plaintext, SASL missing).

use std::io::{self, IoSlice};
use std::sync::Arc;

use bytes::BytesMut;
use kafkito_protocol::frame;
use kafkito_protocol::DecodeError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::demux::Demux;
use super::Outgoing;
use crate::error::Error;
#[cfg(feature = "tls")]
use crate::net::tls;

/// Hint for a first answer that looks like a TLS record.
pub(super) const TLS_HINT: &str =
    "the broker answered with TLS: is the listener TLS (security.protocol SSL or SASL_SSL)?";
/// Hint for a first answer that is not a plausible Kafka frame.
pub(super) const NOT_KAFKA_HINT: &str =
    "the first answer is not a Kafka frame: is this a Kafka listener?";
/// Reason for an EOF before any response.
const FIRST_READ_EOF: &str = "the broker closed the connection without answering the first \
    request: is the listener TLS (security.protocol SSL or SASL_SSL), or does it require SASL?";

/// Reason for an EOF at the first request after a handshake without SASL: Kafka closes a SASL
/// listener's connection when anything but ApiVersions or SASL arrives before authentication.
const NO_SASL_EOF: &str = "the broker closed the connection at the first request after \
    ApiVersions: does the listener require SASL (security.protocol SASL_PLAINTEXT or SASL_SSL)?";

/// Bytes read from the socket at a time (grown as needed for big frames).
const READ_CHUNK: usize = 64 * 1024;
/// Most queued frames handed to the socket in one vectored write.
const MAX_WRITE_BATCH: usize = 64;

/// Whether the front of the first answer is a TLS record header (handshake or alert,
/// version 3.x): we spoke plaintext to a TLS listener.
fn looks_like_tls(buf: &[u8]) -> bool {
    matches!(buf, [0x15 | 0x16, 0x03, 0..=0x04, ..])
}

pub(super) async fn read_loop<R>(mut reader: R, demux: Arc<Demux>, max_response_size: usize)
where
    R: AsyncRead + Unpin,
{
    let broker = demux.broker.clone();
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut answered = false;
    let error = 'read: loop {
        // Hand out every complete frame before reading more.
        loop {
            if !answered && looks_like_tls(&buf) {
                let size =
                    i32::from_be_bytes([buf[0], buf[1], buf[2], buf.get(3).copied().unwrap_or(0)]);
                break 'read Error::Malformed {
                    broker,
                    source: DecodeError::InvalidLength {
                        what: "frame",
                        length: i64::from(size),
                        remaining: buf.len().saturating_sub(4),
                    },
                    hint: Some(TLS_HINT),
                };
            }
            match frame::split_frame(&mut buf, max_response_size) {
                Ok(Some(frame)) => {
                    answered = true;
                    if let Err(error) = demux.route(frame.freeze()) {
                        break 'read error;
                    }
                }
                Ok(None) => break,
                Err(source) => {
                    break 'read Error::Malformed {
                        broker,
                        source,
                        hint: (!answered).then_some(NOT_KAFKA_HINT),
                    }
                }
            }
        }
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK);
        }
        match reader.read_buf(&mut buf).await {
            Ok(0) if buf.is_empty() => break eof_error(broker, &demux),
            Ok(0) => {
                break Error::ConnectionClosed {
                    broker,
                    mid_frame: !buf.is_empty(),
                }
            }
            Ok(_) => {}
            Err(source) => break io_error(broker, source, &demux),
        }
    };
    demux.poison(error);
}

/// A clean EOF (between frames). With requests waiting, and at a point where a misconfigured
/// client typically meets it, the error says what to check (as franz-go's "first read EOF").
/// These stay retriable [`Error::Io`]: a broker restarting looks the same.
fn eof_error(broker: String, demux: &Demux) -> Error {
    let state = demux.lock();
    let hint = if state.pending.is_empty() {
        None
    } else if state.responses == 0 {
        Some(FIRST_READ_EOF)
    } else if state.handshake_without_sasl == Some(state.responses) {
        Some(NO_SASL_EOF)
    } else {
        None
    };
    match hint {
        Some(hint) => Error::Io {
            broker,
            source: Arc::new(io::Error::new(io::ErrorKind::UnexpectedEof, hint)),
        },
        None => Error::ConnectionClosed {
            broker,
            mid_frame: false,
        },
    }
}

/// A failed read or write: TLS problems found after the handshake (with TLS 1.3, a broker
/// rejecting our client certificate says so on the first read) become [`Error::Tls`] with a
/// readable reason; anything else is [`Error::Io`], with the first-answer hint when the peer
/// reset the connection before answering anything (what a TLS proxy such as stunnel does with
/// plaintext).
fn io_error(broker: String, source: io::Error, demux: &Demux) -> Error {
    #[cfg(feature = "tls")]
    if let Some(tls) = source
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return Error::Tls {
            broker,
            reason: tls::describe(tls),
        };
    }
    let before_first_answer = {
        let state = demux.lock();
        state.responses == 0 && !state.pending.is_empty()
    };
    let abrupt = matches!(
        source.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    );
    let source = if before_first_answer && abrupt {
        io::Error::new(source.kind(), format!("{source}; {FIRST_READ_EOF}"))
    } else {
        source
    };
    Error::Io {
        broker,
        source: Arc::new(source),
    }
}

pub(super) async fn write_loop<W>(
    mut writer: W,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
    demux: Arc<Demux>,
) where
    W: AsyncWrite + Unpin,
{
    let mut batch = Vec::new();
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < MAX_WRITE_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let written = write_frames(&mut writer, &batch).await;
        if let Err(source) = written {
            demux.poison(io_error(demux.broker.clone(), source, &demux));
            return;
        }
        // Per write, not per record: a batch of frames is one system call.
        let bytes: usize = batch.iter().map(|o| o.frame.len()).sum();
        demux.sensors.requests.add(batch.len() as u64);
        demux.sensors.bytes_out.add(bytes as u64);
        for outgoing in batch.drain(..) {
            if let Some(written) = outgoing.written {
                let _ = written.send(());
            }
        }
    }
    // Every handle is gone: say goodbye properly.
    let _ = writer.shutdown().await;
}

/// Writes every frame of `batch`, whole and in order, with vectored writes: the frames go to
/// the socket straight from the buffers they were encoded into (no copy into a write buffer),
/// and a batch of small frames still costs one system call.
pub(super) async fn write_frames<W>(writer: &mut W, batch: &[Outgoing]) -> io::Result<()>
where
    W: AsyncWrite + Unpin,
{
    let mut slices: Vec<IoSlice<'_>> = batch
        .iter()
        .flat_map(|o| o.frame.parts())
        .map(|part| IoSlice::new(part))
        .collect();
    let mut slices = &mut slices[..];
    while !slices.is_empty() {
        let n = writer.write_vectored(slices).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut slices, n);
    }
    writer.flush().await
}
