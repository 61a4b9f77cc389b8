//! Fault injection against a scripted peer (see `net::test_peer`): what a real broker cannot be
//! made to do. Tests without timers use TCP on 127.0.0.1; tests with paused time use an
//! in-memory duplex stream so that the paused clock only advances when the test is idle.

use std::collections::HashSet;
use std::io::{self, IoSlice};
use std::time::Duration;

use kafkito_protocol::messages::MetadataRequest;
use kafkito_protocol::DecodeError;

use super::socket::{write_frames, NOT_KAFKA_HINT, TLS_HINT};
use super::*;
use crate::net::test_peer::{self, ask, ask_within, echoed, metadata, options, METADATA_V};

const LONG: Duration = Duration::from_secs(30);

#[tokio::test]
async fn answers_out_of_order_reach_their_callers() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    let (a, b, c) = (metadata("a"), metadata("b"), metadata("c"));
    let broker = async {
        let mut received = Vec::new();
        for _ in 0..3 {
            received.push(peer.read_request().await.unwrap());
        }
        // Kafka answers in order; the demultiplexer must not rely on it.
        for request in received.iter().rev() {
            peer.respond_echo(request).await;
        }
        peer.echo_metadata().await;
    };
    let callers = async {
        let (ra, rb, rc) = tokio::join!(
            conn.call(&a, METADATA_V),
            conn.call(&b, METADATA_V),
            conn.call(&c, METADATA_V)
        );
        assert_eq!(echoed(&ra.unwrap()), "a");
        assert_eq!(echoed(&rb.unwrap()), "b");
        assert_eq!(echoed(&rc.unwrap()), "c");
        let after = ask(&conn, "d").await.unwrap();
        assert_eq!(echoed(&after), "d");
    };
    tokio::join!(broker, callers);
    assert!(!conn.is_poisoned());
    assert_eq!(conn.in_flight(), 0);
}

#[tokio::test]
async fn a_response_nobody_asked_for_poisons_the_connection() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    let broker = async {
        let _request = peer.read_request().await.unwrap();
        // Every request stays registered until answered, so this id was never issued: the
        // peer is broken and the waiting request must fail now, not at its timeout.
        let stray =
            test_peer::response_frame::<MetadataRequest>(987_654, METADATA_V, &Default::default());
        peer.write_raw(&stray).await;
    };
    let caller = async { ask(&conn, "a").await };
    let ((), result) = tokio::join!(broker, caller);
    match result.unwrap_err() {
        Error::Malformed {
            source: DecodeError::UnexpectedCorrelationId { correlation_id },
            ..
        } => assert_eq!(correlation_id, 987_654),
        other => panic!("expected Malformed, got {other}"),
    }
    assert!(conn.is_poisoned());
}

#[tokio::test]
async fn many_callers_pipeline_within_max_in_flight() {
    const CALLERS: usize = 40;
    const MAX_IN_FLIGHT: usize = 4;
    let (conn, mut peer) = test_peer::connection(options(MAX_IN_FLIGHT, LONG)).await;
    let broker = async {
        let mut answered = 0;
        let mut most_outstanding = 0;
        while answered < CALLERS {
            // Take everything the client has sent, then answer it all (newest first).
            let mut batch = vec![peer.read_request().await.unwrap()];
            while let Ok(Some(next)) =
                tokio::time::timeout(Duration::from_millis(50), peer.read_request()).await
            {
                batch.push(next);
            }
            assert!(
                batch.len() <= MAX_IN_FLIGHT,
                "{} requests in flight",
                batch.len()
            );
            most_outstanding = most_outstanding.max(batch.len());
            for request in batch.iter().rev() {
                peer.respond_echo(request).await;
            }
            answered += batch.len();
        }
        most_outstanding
    };
    let callers = futures::future::join_all((0..CALLERS).map(|i| {
        let conn = conn.clone();
        async move {
            let name = format!("topic-{i}");
            let response = ask(&conn, &name).await.unwrap();
            assert_eq!(echoed(&response), name);
            name
        }
    }));
    let (most_outstanding, names) = tokio::join!(broker, callers);
    assert_eq!(names.into_iter().collect::<HashSet<_>>().len(), CALLERS);
    // The requests really were pipelined, up to the limit.
    assert_eq!(most_outstanding, MAX_IN_FLIGHT);
}

#[tokio::test]
async fn half_frame_then_close_fails_every_request() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    let broker = async {
        let first = peer.read_request().await.unwrap();
        peer.read_request().await.unwrap();
        // A frame announcing 100 bytes, 3 of them sent, then the socket closes.
        let id = first.correlation_id().to_be_bytes();
        peer.write_raw(&[0, 0, 0, 100, id[0], id[1], id[2]]).await;
        drop(peer);
    };
    let callers = async { tokio::join!(ask(&conn, "a"), ask(&conn, "b")) };
    let ((), (a, b)) = tokio::join!(broker, callers);
    for result in [a, b] {
        let error = result.unwrap_err();
        assert!(
            matches!(
                error,
                Error::ConnectionClosed {
                    mid_frame: true,
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.is_retriable());
    }
    assert!(conn.is_poisoned());
    let later = ask(&conn, "c").await.unwrap_err();
    assert!(matches!(
        later,
        Error::ConnectionClosed {
            mid_frame: true,
            ..
        }
    ));
}

#[tokio::test]
async fn oversized_frame_is_malformed_and_poisons() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    let broker = async {
        peer.echo_metadata().await;
        let second = peer.read_request().await.unwrap();
        let third = peer.read_request().await.unwrap();
        // 2 MiB announced, 1 MiB allowed: rejected before anything is buffered.
        peer.write_raw(&(2_i32 << 20).to_be_bytes()).await;
        (second, third, peer)
    };
    let callers = async {
        ask(&conn, "ok").await.unwrap();
        tokio::join!(ask(&conn, "a"), ask(&conn, "b"))
    };
    let (_peer_state, (a, b)) = tokio::join!(broker, callers);
    for result in [a, b] {
        match result.unwrap_err() {
            Error::Malformed {
                source: DecodeError::InvalidLength { length, .. },
                hint: None,
                ..
            } => assert_eq!(length, 2 << 20),
            other => panic!("expected Malformed, got {other}"),
        }
    }
    let later = ask(&conn, "c").await.unwrap_err();
    assert!(matches!(later, Error::Malformed { .. }));
    assert!(!later.is_retriable());
}

#[tokio::test]
async fn garbage_first_answer_is_malformed_with_a_hint() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    let broker = async {
        peer.read_request().await.unwrap();
        peer.write_raw(&[0xff; 16]).await;
        peer
    };
    let (_peer, result) = tokio::join!(broker, ask(&conn, "a"));
    match result.unwrap_err() {
        Error::Malformed { hint, .. } => assert_eq!(hint, Some(NOT_KAFKA_HINT)),
        other => panic!("expected Malformed, got {other}"),
    }
}

#[tokio::test]
async fn tls_answer_to_plaintext_is_recognised() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    let broker = async {
        peer.read_request().await.unwrap();
        // What a TLS listener sends back to a plaintext request: a fatal alert record.
        peer.write_raw(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32])
            .await;
        peer
    };
    let (_peer, result) = tokio::join!(broker, ask(&conn, "a"));
    let error = result.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Malformed {
                hint: Some(TLS_HINT),
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("is the listener TLS"), "{error}");
}

#[tokio::test]
async fn eof_before_the_first_answer_hints_at_tls_or_sasl() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    let broker = async {
        peer.read_request().await.unwrap();
        drop(peer);
    };
    let ((), result) = tokio::join!(broker, ask(&conn, "a"));
    let error = result.unwrap_err();
    assert!(matches!(error, Error::Io { .. }), "{error}");
    assert!(error.is_retriable());
    assert!(error.to_string().contains("is the listener TLS"), "{error}");
}

#[tokio::test]
async fn clean_close_after_answers_is_connection_closed() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    let broker = async {
        peer.echo_metadata().await;
        peer.read_request().await.unwrap();
        drop(peer);
    };
    let callers = async {
        ask(&conn, "a").await.unwrap();
        ask(&conn, "b").await
    };
    let ((), result) = tokio::join!(broker, callers);
    assert!(matches!(
        result.unwrap_err(),
        Error::ConnectionClosed {
            mid_frame: false,
            ..
        }
    ));
}

#[tokio::test(start_paused = true)]
async fn stalled_peer_times_out_and_poisons() {
    let (client, mut peer) = test_peer::duplex_pair();
    let conn = Connection::start(client, "fake:9092", options(5, Duration::from_secs(5)));
    let started = Instant::now();
    let broker = async {
        // Read both requests, answer neither.
        peer.read_request().await.unwrap();
        peer.read_request().await.unwrap();
        peer
    };
    let (mut peer, (a, b)) = tokio::join!(broker, async {
        tokio::join!(
            ask(&conn, "a"),
            ask_within(&conn, "b", Duration::from_secs(60))
        )
    });
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    let a = a.unwrap_err();
    assert!(
        matches!(&a, Error::Timeout { after, .. } if *after == Duration::from_secs(5)),
        "{a}"
    );
    assert!(a.is_retriable());
    // The other request in flight fails with the same error, not after its own 60 s.
    assert_eq!(b.unwrap_err().to_string(), a.to_string());
    // Poisoned: later calls fail at once with the same error, and the socket is closed.
    let later = ask(&conn, "c").await.unwrap_err();
    assert_eq!(later.to_string(), a.to_string());
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert!(peer.closed_by_client().await);
}

#[tokio::test(start_paused = true)]
async fn waiting_for_a_slot_times_out_without_poisoning() {
    let (client, mut peer) = test_peer::duplex_pair();
    let conn = Connection::start(client, "fake:9092", options(1, LONG));
    let first = tokio::spawn({
        let conn = conn.clone();
        async move { ask(&conn, "first").await }
    });
    let request = peer.read_request().await.unwrap();
    // The only slot is taken: this one never gets on the wire.
    let error = ask_within(&conn, "second", Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error}");
    assert!(error.to_string().contains("in-flight slot"), "{error}");
    assert!(!conn.is_poisoned());
    peer.respond_echo(&request).await;
    assert_eq!(echoed(&first.await.unwrap().unwrap()), "first");
    let (third, _) = tokio::join!(ask(&conn, "third"), peer.echo_metadata());
    assert_eq!(echoed(&third.unwrap()), "third");
}

#[tokio::test]
async fn dropped_callers_do_not_corrupt_the_connection() {
    let (conn, mut peer) = test_peer::connection(options(1, LONG)).await;
    // Drop the caller once its request is on the wire.
    let abandoned = tokio::select! {
        _ = ask(&conn, "abandoned") => panic!("no answer was sent"),
        request = peer.read_request() => request.unwrap(),
    };
    // Its slot stays taken until the broker answers: the broker still holds the request.
    assert_eq!(conn.in_flight(), 1);
    // A caller dropped while waiting for that slot leaves no trace either.
    let waited = tokio::time::timeout(Duration::from_millis(50), ask(&conn, "never-sent")).await;
    assert!(waited.is_err());

    let next = tokio::spawn({
        let conn = conn.clone();
        async move { ask(&conn, "next").await }
    });
    // Nothing more is sent until the abandoned request is answered.
    let early = tokio::time::timeout(Duration::from_millis(100), peer.read_request()).await;
    assert!(early.is_err(), "a request went out beyond max.in.flight");
    peer.respond_echo(&abandoned).await;
    let received = peer.echo_metadata().await;
    assert_eq!(
        received.decode::<MetadataRequest>().topics.unwrap()[0]
            .name
            .as_deref(),
        Some("next")
    );
    assert_eq!(echoed(&next.await.unwrap().unwrap()), "next");
    assert!(!conn.is_poisoned());
    assert_eq!(conn.in_flight(), 0);
}

#[tokio::test]
async fn send_no_response_then_call() {
    let (conn, mut peer) = test_peer::connection(options(1, LONG)).await;
    conn.send_no_response(&metadata("fire-and-forget"), METADATA_V)
        .await
        .unwrap();
    // Written, and its slot is free again although no answer will come.
    assert_eq!(conn.in_flight(), 0);
    let fire = peer.read_request().await.unwrap();
    assert_eq!(fire.api(), ApiKey::Metadata);
    let (answer, _) = tokio::join!(ask(&conn, "x"), peer.echo_metadata());
    assert_eq!(echoed(&answer.unwrap()), "x");
}

#[tokio::test]
async fn encode_and_decode_errors_fail_only_their_call() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    // Version 99 does not exist: nothing is sent.
    let error = conn.call(&metadata("x"), 99).await.unwrap_err();
    assert!(matches!(error, Error::Encode(_)), "{error}");

    // A whole frame with the right correlation id but a body that does not decode.
    let broker = async {
        let request = peer.read_request().await.unwrap();
        let id = request.correlation_id().to_be_bytes();
        peer.write_raw(&[0, 0, 0, 6, id[0], id[1], id[2], id[3], 0xff, 0xff])
            .await;
    };
    let ((), result) = tokio::join!(broker, ask(&conn, "bad"));
    assert!(matches!(result.unwrap_err(), Error::Malformed { .. }));
    assert!(!conn.is_poisoned());

    let (ok, _) = tokio::join!(ask(&conn, "ok"), peer.echo_metadata());
    assert_eq!(echoed(&ok.unwrap()), "ok");
}

#[tokio::test]
async fn requests_carry_client_id_and_distinct_correlation_ids() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    let mut ids = HashSet::new();
    for name in ["0", "1", "2"] {
        let (_, received) = tokio::join!(ask(&conn, name), peer.echo_metadata());
        assert_eq!(received.header.client_id.as_deref(), Some("test"));
        assert_eq!(received.version(), METADATA_V);
        ids.insert(received.correlation_id());
    }
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn close_and_drop_end_the_connection() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    let pending = tokio::spawn({
        let conn = conn.clone();
        async move { ask(&conn, "a").await }
    });
    peer.read_request().await.unwrap();
    conn.close();
    let error = pending.await.unwrap().unwrap_err();
    assert!(matches!(error, Error::ConnectionClosed { .. }) && error.is_retriable());
    assert!(peer.closed_by_client().await);

    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    drop(conn);
    assert!(peer.closed_by_client().await);
}

#[tokio::test(start_paused = true)]
async fn idle_time_is_tracked() {
    let (client, mut peer) = test_peer::duplex_pair();
    let conn = Connection::start(client, "fake:9092", options(5, LONG));
    let (answer, _) = tokio::join!(ask(&conn, "x"), peer.echo_metadata());
    answer.unwrap();
    let used = conn.last_used();
    tokio::time::advance(Duration::from_secs(42)).await;
    assert_eq!(conn.idle_for(), Duration::from_secs(42));
    assert_eq!(conn.last_used(), used);
}

#[test]
fn connection_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Connection>();
}

#[tokio::test]
async fn reset_before_the_first_answer_hints_at_tls() {
    let (conn, mut peer) = test_peer::connection(options(5, LONG)).await;
    let broker = async {
        peer.read_request().await.unwrap();
        // Linger 0: closing sends RST, as a TLS proxy does when plaintext arrives.
        peer.stream.set_zero_linger().unwrap();
        drop(peer);
    };
    let ((), result) = tokio::join!(broker, ask(&conn, "a"));
    let error = result.unwrap_err();
    assert!(
        matches!(error, Error::Io { .. }) && error.is_retriable(),
        "{error}"
    );
    assert!(error.to_string().contains("is the listener TLS"), "{error}");
}

/// A socket that takes at most 3 bytes per write, vectored or not, and keeps what it got.
#[derive(Default)]
struct Trickle {
    got: Vec<u8>,
    writes: usize,
}

impl AsyncWrite for Trickle {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        let n = buf.len().min(3);
        self.got.extend_from_slice(&buf[..n]);
        self.writes += 1;
        std::task::Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> std::task::Poll<io::Result<usize>> {
        let mut n = 0;
        for buf in bufs {
            let take = buf.len().min(3 - n);
            self.got.extend_from_slice(&buf[..take]);
            n += take;
            if n == 3 {
                break;
            }
        }
        self.writes += 1;
        std::task::Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn vectored_writes_put_whole_frames_in_order_despite_short_writes() {
    let frames: [&'static [u8]; 4] = [b"first-frame", b"", b"2nd", b"the third frame"];
    let batch: Vec<Outgoing> = frames
        .iter()
        .map(|f| Outgoing {
            frame: RequestFrame::from(Bytes::from_static(f)),
            written: None,
            _slot: None,
        })
        .collect();
    let mut socket = Trickle::default();
    write_frames(&mut socket, &batch).await.unwrap();
    assert_eq!(socket.got, frames.concat());
    // 29 bytes, at most 3 a write: every short write was resumed where it stopped.
    assert_eq!(socket.writes, 10);
}

/// A Produce frame goes out as its parts (record batches referenced, not copied), and the
/// socket gets exactly the bytes of the frame encoded in one buffer.
#[tokio::test]
async fn produce_frames_are_written_from_their_parts() {
    use kafkito_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafkito_protocol::messages::ProduceRequest;

    let partition = |index: i32, fill: u8| PartitionProduceData {
        index,
        records: Some(Bytes::from(vec![fill; 5000])),
        ..Default::default()
    };
    let request = ProduceRequest {
        topic_data: vec![TopicProduceData {
            name: "t".into(),
            partition_data: vec![partition(0, 1), partition(1, 2)],
            ..Default::default()
        }],
        ..Default::default()
    };
    let frame = frame::encode_request_frame(BytesMut::new(), 3, Some("c"), 9, &request).unwrap();
    assert_eq!(frame.parts().len(), 5);
    let mut whole = BytesMut::new();
    frame::encode_request(&mut whole, 3, Some("c"), 9, &request).unwrap();
    let batch = [Outgoing {
        frame,
        written: None,
        _slot: None,
    }];
    let mut socket = Trickle::default();
    write_frames(&mut socket, &batch).await.unwrap();
    assert_eq!(socket.got, whole.to_vec());
}

#[tokio::test]
async fn a_socket_that_takes_nothing_fails_the_write() {
    struct Full;
    impl AsyncWrite for Full {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &[u8],
        ) -> std::task::Poll<io::Result<usize>> {
            std::task::Poll::Ready(Ok(0))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }
    let batch = [Outgoing {
        frame: RequestFrame::from(Bytes::from_static(b"frame")),
        written: None,
        _slot: None,
    }];
    let error = write_frames(&mut Full, &batch).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::WriteZero);
}
