//! One agency's API (`deploy/openapi/`), called as that agency's OAuth
//! client. Every call is bounded: one deadline covers waiting for a slot,
//! the token, retries and reading the answer; a bulkhead caps concurrent
//! calls; a circuit breaker stops calling an agency that keeps failing; a
//! retry budget keeps retries from multiplying an outage; answers larger
//! than the configured size are refused unread.

pub mod breaker;
pub mod budget;
pub mod client_credentials;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use entities::enums::AgencyKind;
use reqwest::StatusCode;
use tokio::sync::Semaphore;
use tracing::Instrument;
use uuid::Uuid;

use crate::config::HttpSourceConfig;
use crate::observability::metrics::Metrics;
use crate::sources::http::client_credentials::{AccessToken, ClientCredentials};
use crate::vocabulary::error::ApiError;
use breaker::Breaker;
use budget::RetryBudget;

/// Why a call to an agency gave no usable answer. Messages name no person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    #[error("no answer within {0} ms")]
    Timeout(u64),
    #[error("calls are paused after repeated failures (circuit open)")]
    CircuitOpen,
    #[error("too many calls to the agency at once")]
    Overloaded,
    #[error("the API cannot be reached")]
    Unreachable,
    #[error("the API answered HTTP {0}")]
    Status(u16),
    #[error("the API refused the gateway's request (HTTP {0})")]
    Refused(u16),
    #[error("no token from the agency's token endpoint")]
    Token,
    #[error("the answer is not usable: {0}")]
    Invalid(String),
}

impl UpstreamError {
    /// `extensions.reason` and the metric's outcome.
    pub fn reason(&self) -> &'static str {
        match self {
            UpstreamError::Timeout(_) => "timeout",
            UpstreamError::CircuitOpen => "circuit_open",
            UpstreamError::Overloaded => "overloaded",
            UpstreamError::Unreachable | UpstreamError::Status(_) | UpstreamError::Token => {
                "unavailable"
            }
            UpstreamError::Refused(_) => "refused",
            UpstreamError::Invalid(_) => "invalid_answer",
        }
    }

    /// Worth another try: the failure may be a blip. A refusal or a bad
    /// answer would only repeat.
    fn retryable(&self) -> bool {
        matches!(self, UpstreamError::Unreachable | UpstreamError::Status(_))
    }

    pub fn into_api(self, agency: &str) -> ApiError {
        ApiError::Upstream {
            agency: agency.to_string(),
            reason: self.reason(),
            message: self.to_string(),
        }
    }
}

/// What one attempt can end in besides an answer.
enum Failure {
    /// The agency refused the token: forget it and try once with a new one.
    Unauthorized(AccessToken),
    Other(UpstreamError),
}

impl From<UpstreamError> for Failure {
    fn from(e: UpstreamError) -> Self {
        Failure::Other(e)
    }
}

/// A breaker permit whose outcome was not reported: given back on drop.
struct Unreported<'a> {
    breaker: &'a Breaker,
    permit: Option<breaker::Permit>,
}

impl Drop for Unreported<'_> {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            self.breaker.abandon(permit);
        }
    }
}

pub struct HttpSource {
    code: String,
    agency_id: Uuid,
    kind: AgencyKind,
    config: HttpSourceConfig,
    base_url: String,
    http: reqwest::Client,
    credentials: Arc<ClientCredentials>,
    breaker: Breaker,
    bulkhead: Semaphore,
    budget: RetryBudget,
    metrics: Arc<Metrics>,
}

impl HttpSource {
    pub fn new(
        code: &str,
        agency_id: Uuid,
        kind: AgencyKind,
        config: HttpSourceConfig,
        credentials: Arc<ClientCredentials>,
        metrics: Arc<Metrics>,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            // Personnummer travel in the body: never follow a redirect with them.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout_ms)
            .pool_max_idle_per_host(config.max_concurrency)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpSource {
            code: code.to_string(),
            agency_id,
            kind,
            base_url: config.base_url.trim_end_matches('/').to_string(),
            breaker: Breaker::new(config.breaker_failures, config.breaker_open_ms),
            bulkhead: Semaphore::new(config.max_concurrency),
            budget: RetryBudget::new(config.retry_budget_ratio),
            http,
            credentials,
            metrics,
            config,
        })
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn agency_id(&self) -> Uuid {
        self.agency_id
    }

    pub fn kind(&self) -> AgencyKind {
        self.kind
    }

    pub fn max_batch(&self) -> usize {
        self.config.max_batch
    }

    pub fn breaker_state(&self) -> breaker::State {
        self.breaker.state()
    }

    /// POSTs `body` to `path` and returns the answer's bytes. The call is
    /// read-only (a lookup), which is what makes retrying it safe.
    pub async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, UpstreamError> {
        let started = Instant::now();
        let span = tracing::info_span!(
            "upstream",
            otel.name = %format!("POST {path}"),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            agency = %self.code,
            http.request.method = "POST",
            url.path = %path,
            http.response.status_code = tracing::field::Empty,
            upstream.attempts = tracing::field::Empty,
            upstream.outcome = tracing::field::Empty,
        );
        let result = self
            .call(path, body, started)
            .instrument(span.clone())
            .await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.reason(),
        };
        span.record("upstream.outcome", outcome);
        if result.is_err() {
            span.record("otel.status_code", "ERROR");
        }
        self.metrics
            .upstream_call(&self.code, outcome, started.elapsed().as_secs_f64());
        result
    }

    async fn call(
        &self,
        path: &str,
        body: &serde_json::Value,
        started: Instant,
    ) -> Result<Vec<u8>, UpstreamError> {
        let timeout = self.config.timeout_ms;
        let deadline = started + timeout;
        self.budget.deposit();
        let Some(permit) = self.breaker.permit(Instant::now()) else {
            return Err(UpstreamError::CircuitOpen);
        };
        // A call dropped before it reports (its request was cancelled) must
        // not leave a half-open breaker waiting for its probe forever.
        let mut unreported = Unreported {
            breaker: &self.breaker,
            permit: Some(permit),
        };
        self.breaker_moved(None);
        // Did the call reach the agency before the deadline cut it off?
        let reached = AtomicBool::new(false);
        let outcome = tokio::time::timeout_at(deadline.into(), async {
            let _slot = self
                .bulkhead
                .acquire()
                .await
                .map_err(|_| UpstreamError::Overloaded)?;
            reached.store(true, Ordering::Relaxed);
            self.attempts(path, body, deadline).await
        })
        .await;
        let result = match outcome {
            Ok(result) => result,
            Err(_) if !reached.load(Ordering::Relaxed) => {
                // Queued behind the bulkhead all along: the agency's slots
                // are busy with earlier calls, which report for themselves.
                return Err(UpstreamError::Overloaded);
            }
            Err(_) => Err(UpstreamError::Timeout(
                u64::try_from(self.config.timeout_ms.as_millis()).unwrap_or(u64::MAX),
            )),
        };
        let healthy = match &result {
            Ok(_) => true,
            // A refusal is about our request, not the agency's health.
            Err(UpstreamError::Refused(_)) => true,
            Err(_) => false,
        };
        unreported.permit = None;
        let moved = self.breaker.record(permit, healthy, Instant::now());
        self.breaker_moved(moved);
        result
    }

    fn breaker_moved(&self, moved: Option<breaker::State>) {
        let state = moved.unwrap_or_else(|| self.breaker.state());
        self.metrics.breaker_state(&self.code, state.gauge());
        if let Some(state) = moved {
            tracing::warn!(agency = %self.code, state = ?state, "upstream circuit breaker changed state");
        }
    }

    /// The first attempt and the retries the budget and deadline allow.
    async fn attempts(
        &self,
        path: &str,
        body: &serde_json::Value,
        deadline: Instant,
    ) -> Result<Vec<u8>, UpstreamError> {
        let mut retries = 0;
        let mut reauthorized = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            tracing::Span::current().record("upstream.attempts", attempt);
            match self.attempt(path, body).await {
                Ok(bytes) => return Ok(bytes),
                // A token the agency no longer accepts (revoked, or expired
                // early by its clock): one new token, one more try.
                Err(Failure::Unauthorized(token)) if !reauthorized => {
                    reauthorized = true;
                    self.credentials.forget(&token);
                }
                Err(Failure::Unauthorized(_)) => return Err(UpstreamError::Refused(401)),
                Err(Failure::Other(e)) => {
                    let backoff = Duration::from_millis(25 * (1 << retries.min(4)));
                    let time_left = deadline.saturating_duration_since(Instant::now()) > backoff;
                    if !(e.retryable()
                        && retries < self.config.max_retries
                        && time_left
                        && self.budget.withdraw())
                    {
                        return Err(e);
                    }
                    retries += 1;
                    tokio::time::sleep(backoff).await;
                }
            }
        }
    }

    async fn attempt(&self, path: &str, body: &serde_json::Value) -> Result<Vec<u8>, Failure> {
        let token = self
            .credentials
            .token()
            .await
            .map_err(|_| UpstreamError::Token)?;
        let mut headers = http::HeaderMap::new();
        crate::observability::telemetry::inject_trace_context(&mut headers);
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(token.secret())
            .headers(headers)
            .json(body)
            .send()
            .await
            .map_err(|_| UpstreamError::Unreachable)?;
        let status = response.status();
        tracing::Span::current().record("http.response.status_code", status.as_u16());
        match status {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED => return Err(Failure::Unauthorized(token)),
            s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
                return Err(UpstreamError::Status(s.as_u16()).into())
            }
            s => return Err(UpstreamError::Refused(s.as_u16()).into()),
        }
        Ok(self.read_body(response).await?)
    }

    /// The body, refused as soon as it is known to exceed the limit (by its
    /// declared length, or while it streams in).
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, UpstreamError> {
        let max = self.config.max_body_bytes;
        let too_large = || UpstreamError::Invalid(format!("the answer is larger than {max} bytes"));
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| UpstreamError::Unreachable)?
        {
            if body.len() + chunk.len() > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
