//! Logs and traces. Structured JSON (or pretty) logs through `tracing`;
//! spans through `tracing-opentelemetry`, exported over OTLP when an
//! endpoint is configured. The OpenTelemetry layer is installed even
//! without an exporter, so every request has a W3C trace id (the audit log
//! records it, the response's `traceparent` names it). Never log personal
//! data: fields carry ids and codes, not names or personnummer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetryConfig};

/// Whether this process exports spans (set by [`init`] with an OTLP
/// endpoint, and by [`init_with_exporter`]).
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// True once spans leave the process: work done only for traces (the
/// per-field hook of [`crate::graphql::spans::ResolverSpans`]) is skipped otherwise.
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Keeps the tracer provider alive; [`Telemetry::shutdown`] flushes it.
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("telemetry: flushing traces failed: {e}");
        }
    }

    /// Exports what has ended so far (tests read their exporter after it).
    pub fn flush(&self) {
        let _ = self.provider.force_flush();
    }
}

/// Quiet defaults for chatty dependencies; `RUST_LOG` overrides them,
/// except that the database layers never log below `warn`: sea-orm's and
/// sqlx's debug events and trace spans carry statements with their bound
/// values (names, personnummer ciphertext), so no setting may turn them on.
pub fn filter(level: &str) -> EnvFilter {
    let base = std::env::var("RUST_LOG").unwrap_or_else(|_| {
        format!("{level},hyper=warn,h2=warn,tower=warn,opentelemetry=warn,async_graphql=warn")
    });
    EnvFilter::try_new(format!("{base},sqlx=warn,sea_orm=warn"))
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},sqlx=warn,sea_orm=warn")))
}

/// What becomes an OpenTelemetry span, independent of the log level: our
/// own spans at `info`; never the database drivers' (their statements
/// carry values), nor the transport's own (the OTLP export would trace
/// itself), nor async-graphql's (a span per DataLoader call: hundreds per
/// page, and its `Tracing` extension would record the document).
fn trace_filter() -> Targets {
    Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target("async_graphql", LevelFilter::OFF)
        .with_target("sqlx", LevelFilter::OFF)
        .with_target("sea_orm", LevelFilter::OFF)
        .with_target("h2", LevelFilter::OFF)
        .with_target("hyper", LevelFilter::OFF)
        .with_target("hyper_util", LevelFilter::OFF)
        .with_target("tonic", LevelFilter::OFF)
        .with_target("tower", LevelFilter::OFF)
        .with_target("reqwest", LevelFilter::OFF)
        .with_target("opentelemetry", LevelFilter::OFF)
        .with_target("opentelemetry_sdk", LevelFilter::OFF)
}

fn resource(config: &TelemetryConfig) -> opentelemetry_sdk::Resource {
    opentelemetry_sdk::Resource::builder()
        .with_service_name(config.service_name.clone())
        .build()
}

/// Telemetry could not be set up; the message says which part.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TelemetryError(String);

/// Installs the global subscriber: logs as configured, spans through the
/// OpenTelemetry layer (exported in batches over OTLP/gRPC when
/// `telemetry.otlp_endpoint` is set). Call once, from `main`.
pub fn init(config: &TelemetryConfig) -> Result<Telemetry, TelemetryError> {
    let mut provider = SdkTracerProvider::builder().with_resource(resource(config));
    if let Some(endpoint) = &config.otlp_endpoint {
        use opentelemetry_otlp::WithExportConfig;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
            .map_err(|e| TelemetryError(format!("telemetry.otlp_endpoint: {e}")))?;
        provider = provider.with_batch_exporter(exporter);
    }
    let telemetry = install(config, provider.build())?;
    EXPORTING.store(config.otlp_endpoint.is_some(), Ordering::Relaxed);
    Ok(telemetry)
}

/// The same subscriber as [`init`], exporting every span to `exporter` as
/// it ends (tests pass an in-memory exporter and read it back).
pub fn init_with_exporter<E>(
    config: &TelemetryConfig,
    exporter: E,
) -> Result<Telemetry, TelemetryError>
where
    E: SpanExporter + 'static,
{
    let provider = SdkTracerProvider::builder()
        .with_resource(resource(config))
        .with_simple_exporter(exporter)
        .build();
    let telemetry = install(config, provider)?;
    EXPORTING.store(true, Ordering::Relaxed);
    Ok(telemetry)
}

fn install(
    config: &TelemetryConfig,
    provider: SdkTracerProvider,
) -> Result<Telemetry, TelemetryError> {
    let fmt_layer = match config.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(false)
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let otel_layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("samverkan-gateway"))
        .with_tracked_inactivity(false)
        .with_location(false)
        .with_threads(false);
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());
    tracing_subscriber::registry()
        .with(fmt_layer.with_filter(filter(&config.log_level)))
        .with(otel_layer.with_filter(trace_filter()))
        .try_init()
        .map_err(|e| TelemetryError(format!("logging: {e}")))?;
    Ok(Telemetry { provider })
}

/// An `http::HeaderMap` as the propagator's carrier.
struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct HeadersMut<'a>(&'a mut http::HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::header::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// The caller's W3C trace context (`traceparent`, `tracestate`), for the
/// request span's parent. Empty when the headers carry none (or a bad one).
pub fn extract_trace_context(headers: &http::HeaderMap) -> opentelemetry::Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)))
}

/// Adds the current span's W3C trace context (`traceparent`, `tracestate`)
/// to an outgoing request's headers, so an agency's API joins our trace.
/// Adds nothing outside a traced span.
pub fn inject_trace_context(headers: &mut http::HeaderMap) {
    let cx = tracing::Span::current().context();
    if !cx.span().span_context().is_valid() {
        return;
    }
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&cx, &mut HeadersMut(headers))
    });
}

/// The W3C trace id (32 hex digits) of the current span, if it has one
/// (it has when the OpenTelemetry layer is installed).
pub fn current_trace_id() -> Option<String> {
    let cx = tracing::Span::current().context();
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid().then(|| sc.trace_id().to_string())
}

/// Gives `span` the start and end it really had. For spans made after the
/// fact (a statement, a slow resolver): only once the work has ended is it
/// known whether it deserves a span. The span should not be entered, and
/// ends (is exported) when dropped.
pub fn backdate(span: &tracing::Span, start: SystemTime, end: SystemTime) {
    span.with_subscriber(|(id, dispatch)| {
        let Some(registry) = dispatch.downcast_ref::<tracing_subscriber::Registry>() else {
            return;
        };
        let Some(data) = registry.span_data(id) else {
            return;
        };
        use tracing_subscriber::registry::SpanData as _;
        let mut extensions = data.extensions_mut();
        if let Some(otel) = extensions.get_mut::<tracing_opentelemetry::OtelData>() {
            otel.builder.start_time = Some(start);
            otel.builder.end_time = Some(end);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_carriers_round_trip_a_traceparent() {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            http::HeaderValue::from_static(
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ),
        );
        let cx = extract_trace_context(&headers);
        let trace_id = cx.span().span_context().trace_id().to_string();
        assert_eq!(trace_id, "0af7651916cd43dd8448eb211c80319c");
        let mut out = http::HeaderMap::new();
        opentelemetry::global::get_text_map_propagator(|p| {
            p.inject_context(&cx, &mut HeadersMut(&mut out))
        });
        assert_eq!(
            out.get("traceparent").and_then(|v| v.to_str().ok()),
            Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        );
    }
}
