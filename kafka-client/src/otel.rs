//! Trace propagation through Kafka records with OpenTelemetry (feature `opentelemetry`), built
//! on the producer's and consumer's hooks.
//!
//! - [`TracingProducerHook`] starts a *send* span (`SpanKind::Producer`) for every record, a
//!   child of the OpenTelemetry context current where `send` is called, and writes that span's
//!   context into the record's headers (W3C `traceparent` and `tracestate`).
//! - [`TracingConsumerHook`] reads that context back from each record `poll` returns and
//!   records a *receive* span (`SpanKind::Consumer`) whose parent it is: the consumer's span
//!   is in the producer's trace.
//!
//! Both spans carry OpenTelemetry's messaging attributes: `messaging.system=kafka`,
//! `messaging.operation.type`, `messaging.destination.name`, the partition
//! (`messaging.kafka.destination.partition` and `messaging.destination.partition.id`) when it is
//! known, and on the consumer side `messaging.kafka.message.offset` and the group
//! (`messaging.kafka.consumer.group`, `messaging.consumer.group.name`) when one was given.
//!
//! Both spans end as soon as they start: the hooks see a record go in and come out, not the
//! broker's acknowledgement of that one record, nor the application's processing. To trace the
//! processing of a consumed record, parent its span on [`extract_context`].
//!
//! By default the W3C trace-context format is used whatever the application's global
//! propagator is (a process that never set one would otherwise propagate nothing);
//! `with_global_propagator` switches a hook to `opentelemetry::global`'s text-map propagator
//! (e.g. one composed with baggage).
//!
//! ```no_run
//! use std::sync::Arc;
//! use kafkito::otel::{TracingConsumerHook, TracingProducerHook};
//! use kafkito::{ConsumerConfig, ProducerConfig};
//!
//! # fn demo() -> kafkito::Result<()> {
//! // After the application set its tracer provider (`opentelemetry::global::set_tracer_provider`).
//! let producer = ProducerConfig::from_properties([("bootstrap.servers", "localhost:9092")])?
//!     .with_hook(Arc::new(TracingProducerHook::new()));
//! let consumer = ConsumerConfig::from_properties([
//!     ("bootstrap.servers", "localhost:9092"),
//!     ("group.id", "billing"),
//! ])?
//! .with_hook(Arc::new(TracingConsumerHook::new().with_consumer_group("billing")));
//! # let _ = (producer, consumer); Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use kafkito_protocol::records::RecordHeader;
use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{Span, SpanKind, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::TraceContextPropagator;

use crate::consumer::{ConsumerHook, ConsumerRecord};
use crate::producer::{ProducerHook, ProducerRecord};

/// The name the hooks' default tracer is asked for.
///
/// ```
/// let tracer = opentelemetry::global::tracer(kafkito::otel::TRACER_NAME);
/// # let _ = tracer;
/// ```
pub const TRACER_NAME: &str = "kafkito";

/// Which propagator reads and writes the headers.
enum Propagation {
    /// W3C trace context.
    TraceContext(TraceContextPropagator),
    /// `opentelemetry::global`'s text-map propagator.
    Global,
}

impl Propagation {
    fn inject(&self, cx: &Context, headers: &mut Vec<RecordHeader>) {
        let mut injector = HeaderInjector(headers);
        match self {
            Propagation::TraceContext(propagator) => propagator.inject_context(cx, &mut injector),
            Propagation::Global => {
                global::get_text_map_propagator(|propagator| {
                    propagator.inject_context(cx, &mut injector)
                });
            }
        }
    }

    fn extract(&self, headers: &[RecordHeader]) -> Context {
        let extractor = HeaderExtractor(headers);
        match self {
            Propagation::TraceContext(propagator) => propagator.extract(&extractor),
            Propagation::Global => {
                global::get_text_map_propagator(|propagator| propagator.extract(&extractor))
            }
        }
    }
}

impl fmt::Debug for Propagation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Propagation::TraceContext(_) => "TraceContext",
            Propagation::Global => "Global",
        })
    }
}

/// Writes a propagator's fields as record headers, replacing a header of the same key (a
/// record sent twice carries one `traceparent`, the latest).
struct HeaderInjector<'a>(&'a mut Vec<RecordHeader>);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.retain(|header| header.key != key.as_bytes());
        self.0.push(RecordHeader {
            key: Bytes::copy_from_slice(key.as_bytes()),
            value: Some(Bytes::from(value)),
        });
    }
}

/// Reads a propagator's fields from record headers: the last header of a key wins, a value
/// that is not UTF-8 is absent.
struct HeaderExtractor<'a>(&'a [RecordHeader]);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        let header = self
            .0
            .iter()
            .rev()
            .find(|header| header.key.eq_ignore_ascii_case(key.as_bytes()))?;
        std::str::from_utf8(header.value.as_deref()?).ok()
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter_map(|header| std::str::from_utf8(&header.key).ok())
            .collect()
    }
}

/// The OpenTelemetry context a record's headers carry (W3C trace context), as the parent for
/// spans of its processing: `Context::current()` with the remote span when the headers have a
/// valid `traceparent`, else `Context::current()` alone.
///
/// ```
/// use kafkito::otel::extract_context;
/// use kafkito::protocol::records::RecordHeader;
/// use opentelemetry::trace::TraceContextExt;
///
/// let headers = [RecordHeader {
///     key: "traceparent".into(),
///     value: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
/// }];
/// let cx = extract_context(&headers);
/// assert_eq!(
///     cx.span().span_context().trace_id().to_string(),
///     "4bf92f3577b34da6a3ce929d0e0e4736"
/// );
/// ```
pub fn extract_context(headers: &[RecordHeader]) -> Context {
    Propagation::TraceContext(TraceContextPropagator::new()).extract(headers)
}

/// The attributes both hooks give a span.
fn destination(operation: &'static str, topic: &str, partition: Option<i32>) -> Vec<KeyValue> {
    let mut attributes = vec![
        KeyValue::new("messaging.system", "kafka"),
        KeyValue::new("messaging.operation.type", operation),
        KeyValue::new("messaging.destination.name", topic.to_owned()),
    ];
    if let Some(partition) = partition {
        attributes.push(KeyValue::new(
            "messaging.kafka.destination.partition",
            i64::from(partition),
        ));
        attributes.push(KeyValue::new(
            "messaging.destination.partition.id",
            partition.to_string(),
        ));
    }
    attributes
}

/// A [`ProducerHook`] that starts a send span for every record and writes its context into
/// the record's headers (see the [module docs](self)).
///
/// ```
/// use std::sync::Arc;
/// use kafkito::otel::TracingProducerHook;
/// use kafkito::ProducerConfig;
///
/// // The global tracer, W3C headers:
/// let hook = TracingProducerHook::new();
/// // Or a tracer of the application's own, and its global propagator:
/// let hook = TracingProducerHook::with_tracer(opentelemetry::global::tracer("orders"))
///     .with_global_propagator();
/// let config = ProducerConfig::default().with_hook(Arc::new(hook));
/// # assert_eq!(config.hooks.len(), 1);
/// ```
pub struct TracingProducerHook<T = BoxedTracer> {
    tracer: T,
    propagation: Propagation,
}

impl TracingProducerHook {
    /// A hook with `opentelemetry::global`'s tracer named [`TRACER_NAME`] (taken now: make the
    /// hook after setting the tracer provider) and W3C headers.
    ///
    /// ```
    /// let hook = kafkito::otel::TracingProducerHook::new();
    /// # let _ = hook;
    /// ```
    pub fn new() -> Self {
        TracingProducerHook::with_tracer(global::tracer(TRACER_NAME))
    }
}

impl Default for TracingProducerHook {
    fn default() -> Self {
        TracingProducerHook::new()
    }
}

impl<T> TracingProducerHook<T> {
    /// A hook making its spans with `tracer`, W3C headers.
    ///
    /// ```
    /// let tracer = opentelemetry::global::tracer("orders");
    /// let hook = kafkito::otel::TracingProducerHook::with_tracer(tracer);
    /// # let _ = hook;
    /// ```
    pub fn with_tracer(tracer: T) -> Self {
        TracingProducerHook {
            tracer,
            propagation: Propagation::TraceContext(TraceContextPropagator::new()),
        }
    }

    /// Writes headers with `opentelemetry::global`'s text-map propagator instead of W3C trace
    /// context alone.
    ///
    /// ```
    /// let hook = kafkito::otel::TracingProducerHook::new().with_global_propagator();
    /// # let _ = hook;
    /// ```
    pub fn with_global_propagator(mut self) -> Self {
        self.propagation = Propagation::Global;
        self
    }
}

impl<T> fmt::Debug for TracingProducerHook<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracingProducerHook")
            .field("propagation", &self.propagation)
            .finish_non_exhaustive()
    }
}

impl<T> ProducerHook for TracingProducerHook<T>
where
    T: Tracer + Send + Sync,
    T::Span: Send + Sync + 'static,
{
    fn on_send(&self, record: &mut ProducerRecord) {
        let parent = Context::current();
        let span = self
            .tracer
            .span_builder(format!("send {}", record.topic))
            .with_kind(SpanKind::Producer)
            .with_attributes(destination("send", &record.topic, record.partition))
            .start_with_context(&self.tracer, &parent);
        let cx = parent.with_span(span);
        self.propagation.inject(&cx, &mut record.headers);
        cx.span().end();
    }
}

/// A [`ConsumerHook`] that reads each consumed record's trace context from its headers and
/// records a receive span in that trace (see the [module docs](self)).
///
/// ```
/// use std::sync::Arc;
/// use kafkito::otel::TracingConsumerHook;
/// use kafkito::ConsumerConfig;
///
/// let hook = TracingConsumerHook::new().with_consumer_group("billing");
/// let config = ConsumerConfig::default().with_hook(Arc::new(hook));
/// # assert_eq!(config.hooks.len(), 1);
/// ```
pub struct TracingConsumerHook<T = BoxedTracer> {
    tracer: T,
    propagation: Propagation,
    group: Option<Arc<str>>,
}

impl TracingConsumerHook {
    /// A hook with `opentelemetry::global`'s tracer named [`TRACER_NAME`] (taken now: make the
    /// hook after setting the tracer provider) and W3C headers.
    ///
    /// ```
    /// let hook = kafkito::otel::TracingConsumerHook::new();
    /// # let _ = hook;
    /// ```
    pub fn new() -> Self {
        TracingConsumerHook::with_tracer(global::tracer(TRACER_NAME))
    }
}

impl Default for TracingConsumerHook {
    fn default() -> Self {
        TracingConsumerHook::new()
    }
}

impl<T> TracingConsumerHook<T> {
    /// A hook making its spans with `tracer`, W3C headers.
    ///
    /// ```
    /// let tracer = opentelemetry::global::tracer("orders");
    /// let hook = kafkito::otel::TracingConsumerHook::with_tracer(tracer);
    /// # let _ = hook;
    /// ```
    pub fn with_tracer(tracer: T) -> Self {
        TracingConsumerHook {
            tracer,
            propagation: Propagation::TraceContext(TraceContextPropagator::new()),
            group: None,
        }
    }

    /// Reads headers with `opentelemetry::global`'s text-map propagator instead of W3C trace
    /// context alone.
    ///
    /// ```
    /// let hook = kafkito::otel::TracingConsumerHook::new().with_global_propagator();
    /// # let _ = hook;
    /// ```
    pub fn with_global_propagator(mut self) -> Self {
        self.propagation = Propagation::Global;
        self
    }

    /// Names the consumer's `group.id` in the spans (`messaging.kafka.consumer.group`,
    /// `messaging.consumer.group.name`).
    ///
    /// ```
    /// let hook = kafkito::otel::TracingConsumerHook::new().with_consumer_group("billing");
    /// # let _ = hook;
    /// ```
    pub fn with_consumer_group(mut self, group: impl Into<Arc<str>>) -> Self {
        self.group = Some(group.into());
        self
    }
}

impl<T> fmt::Debug for TracingConsumerHook<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracingConsumerHook")
            .field("propagation", &self.propagation)
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl<T> ConsumerHook for TracingConsumerHook<T>
where
    T: Tracer + Send + Sync,
    T::Span: Send + Sync + 'static,
{
    fn on_consume(&self, records: &mut Vec<ConsumerRecord>) {
        for record in records.iter() {
            let parent = self.propagation.extract(&record.headers);
            let mut attributes = destination("receive", &record.topic, Some(record.partition));
            attributes.push(KeyValue::new(
                "messaging.kafka.message.offset",
                record.offset,
            ));
            if let Some(group) = &self.group {
                attributes.push(KeyValue::new(
                    "messaging.kafka.consumer.group",
                    group.to_string(),
                ));
                attributes.push(KeyValue::new(
                    "messaging.consumer.group.name",
                    group.to_string(),
                ));
            }
            let mut span = self
                .tracer
                .span_builder(format!("receive {}", record.topic))
                .with_kind(SpanKind::Consumer)
                .with_attributes(attributes)
                .start_with_context(&self.tracer, &parent);
            span.end();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use kafkito_protocol::records::TimestampType;
    use kafkito_protocol::ErrorCode;
    use opentelemetry::trace::{SpanContext, TraceId, TracerProvider as _};
    use opentelemetry::Value;
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

    use super::*;
    use crate::producer::{Producer, ProducerConfig};
    use crate::test_support::headers_broker;

    fn tracing() -> (SdkTracerProvider, InMemorySpanExporter) {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        (provider, exporter)
    }

    fn attribute(span: &SpanData, key: &str) -> Option<Value> {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.clone())
    }

    /// Crafted responses: a record sent inside a parent span reaches the broker with a
    /// `traceparent` of the parent's trace; consuming that record (its headers as the broker
    /// stored them) makes a consumer span in the same trace, child of the producer's span.
    #[tokio::test]
    async fn a_trace_crosses_the_topic() {
        let (broker, seen) = headers_broker(ErrorCode::None).await;
        let (provider, exporter) = tracing();
        let tracer = provider.tracer("test");
        let config = ProducerConfig::from_properties([
            ("bootstrap.servers", broker.address().as_str()),
            ("enable.idempotence", "false"),
            ("linger.ms", "0"),
        ])
        .unwrap()
        .with_hook(Arc::new(TracingProducerHook::with_tracer(
            provider.tracer("kafkito"),
        )));
        let producer = Producer::new(config).await.unwrap();

        let parent = tracer.start("request");
        let parent_context: SpanContext = parent.span_context().clone();
        let cx = Context::current_with_span(parent);
        let delivery = {
            let _guard = cx.clone().attach();
            producer
                .send(ProducerRecord::new("t").value("v"))
                .await
                .unwrap()
        };
        tokio::time::timeout(Duration::from_secs(10), delivery)
            .await
            .expect("acknowledged in time")
            .unwrap();
        cx.span().end();

        let headers: Vec<RecordHeader> = seen.lock().unwrap()[0]
            .iter()
            .map(|(key, value)| RecordHeader {
                key: Bytes::from(key.clone()),
                value: Some(Bytes::from(value.clone())),
            })
            .collect();
        let traceparent = seen.lock().unwrap()[0]
            .iter()
            .find(|(key, _)| key == "traceparent")
            .map(|(_, value)| value.clone())
            .expect("a traceparent header");
        assert!(
            traceparent.contains(&parent_context.trace_id().to_string()),
            "{traceparent} carries trace {}",
            parent_context.trace_id()
        );

        let consumer_hook =
            TracingConsumerHook::with_tracer(provider.tracer("kafkito")).with_consumer_group("g");
        let mut records = vec![ConsumerRecord {
            topic: "t".into(),
            partition: 0,
            offset: 7,
            timestamp: 0,
            timestamp_type: TimestampType::CreateTime,
            key: None,
            value: Some(Bytes::from_static(b"v")),
            headers,
            leader_epoch: None,
        }];
        consumer_hook.on_consume(&mut records);

        let spans = exporter.get_finished_spans().unwrap();
        let send = spans
            .iter()
            .find(|s| s.span_kind == SpanKind::Producer)
            .expect("a producer span");
        let receive = spans
            .iter()
            .find(|s| s.span_kind == SpanKind::Consumer)
            .expect("a consumer span");
        let trace: TraceId = parent_context.trace_id();
        assert_eq!(send.span_context.trace_id(), trace);
        assert_eq!(send.parent_span_id, parent_context.span_id());
        assert_eq!(receive.span_context.trace_id(), trace);
        assert_eq!(receive.parent_span_id, send.span_context.span_id());
        assert_eq!(send.name, "send t");
        assert_eq!(attribute(send, "messaging.system"), Some("kafka".into()));
        assert_eq!(
            attribute(send, "messaging.destination.name"),
            Some("t".into())
        );
        assert_eq!(
            attribute(receive, "messaging.kafka.message.offset"),
            Some(7i64.into())
        );
        assert_eq!(
            attribute(receive, "messaging.kafka.destination.partition"),
            Some(0i64.into())
        );
        assert_eq!(
            attribute(receive, "messaging.kafka.consumer.group"),
            Some("g".into())
        );
    }

    #[test]
    fn a_second_injection_replaces_the_first_header() {
        let (provider, _exporter) = tracing();
        let hook = TracingProducerHook::with_tracer(provider.tracer("kafkito"));
        let mut record = ProducerRecord::new("t");
        hook.on_send(&mut record);
        hook.on_send(&mut record);
        let traceparents = record
            .headers
            .iter()
            .filter(|h| h.key == "traceparent")
            .count();
        assert_eq!(traceparents, 1);
    }

    #[test]
    fn records_without_a_trace_get_a_root_consumer_span() {
        let (provider, exporter) = tracing();
        let hook = TracingConsumerHook::with_tracer(provider.tracer("kafkito"));
        let mut records = vec![ConsumerRecord {
            topic: "t".into(),
            partition: 1,
            offset: 0,
            timestamp: 0,
            timestamp_type: TimestampType::CreateTime,
            key: None,
            value: None,
            headers: vec![RecordHeader {
                key: "traceparent".into(),
                value: Some("not a traceparent".into()),
            }],
            leader_epoch: None,
        }];
        hook.on_consume(&mut records);
        let spans = exporter.get_finished_spans().unwrap();
        assert_eq!(spans.len(), 1);
        assert_eq!(
            spans[0].parent_span_id,
            opentelemetry::trace::SpanId::INVALID
        );
    }
}
