//! A span for each resolver slower than a threshold
//! (`telemetry.resolver_span_threshold_ms`).
//!
//! A big page resolves some 12,000 fields, nearly all in microseconds, so
//! a span per field would cost more than the page. The hook reads the
//! clock before and after each field and does nothing else for a fast one
//! (no allocation, no lock). Only once a field turns out slow is its span
//! made, with the start and end it really had
//! ([`crate::observability::telemetry::backdate`]). Such a span cannot be the parent of
//! what ran inside the field: statements and nested resolvers hang off the
//! operation span beside it, overlapping it in time.
//!
//! Cost: async-graphql boxes each extension's per-field future, so the
//! hook costs about 5 % of a 100-case page with every relation (some
//! 25,000 field and list-item calls; measured against the same schema
//! without it: 3-5 % for an empty hook, the two clock reads add under
//! 1 %). It is therefore registered only while spans are exported
//! ([`crate::observability::telemetry::exporting`]). Timing inside an extension that
//! already has a per-field hook (the policy's) would cost only the clock
//! reads.
//!
//! The span names the field by its schema coordinate (`Case.participant`),
//! never by its path: paths carry aliases, which clients choose. A page
//! whose every row waits for a loader could make hundreds of slow fields,
//! so fields inside a list get at most [`PER_FIELD`] spans per coordinate
//! and [`PER_REQUEST`] in all. Fields outside any list (`Query.cases`) are
//! as many as the document has selections, and always get theirs: they
//! end last, after the list items have used up the budget.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{QueryPathNode, QueryPathSegment, ServerResult, Value};
use tracing::field::Empty;

/// Spans per schema coordinate in one request.
pub const PER_FIELD: u32 = 5;
/// Resolver spans in one request.
pub const PER_REQUEST: u32 = 200;

/// Registered in [`crate::graphql::build`].
pub struct ResolverSpans {
    threshold: Duration,
}

impl ResolverSpans {
    pub fn new(threshold: Duration) -> Self {
        Self { threshold }
    }
}

impl ExtensionFactory for ResolverSpans {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SlowFields {
            threshold: self.threshold,
            made: Mutex::new(Made::default()),
        })
    }
}

/// One request's hook.
struct SlowFields {
    threshold: Duration,
    made: Mutex<Made>,
}

#[derive(Default)]
struct Made {
    total: u32,
    per_field: HashMap<(String, String), u32>,
}

impl SlowFields {
    /// Whether another span may be made for `parent.field` at `path` in this request.
    fn allow(&self, path: &QueryPathNode<'_>, parent: &str, field: &str) -> bool {
        if parent.starts_with('[') {
            // The list a field returned, resolved item by item: the field
            // itself has its span.
            return false;
        }
        let in_list = path
            .parents()
            .any(|node| matches!(node.segment, QueryPathSegment::Index(_)));
        if !in_list {
            return true;
        }
        let Ok(mut made) = self.made.lock() else {
            return false;
        };
        if made.total >= PER_REQUEST {
            return false;
        }
        let key = (parent.to_string(), field.to_string());
        let count = made.per_field.entry(key).or_default();
        if *count >= PER_FIELD {
            return false;
        }
        *count += 1;
        made.total += 1;
        true
    }
}

struct Coordinate<'a>(&'a str, &'a str);

impl fmt::Display for Coordinate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

#[async_trait::async_trait]
impl Extension for SlowFields {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let (path, parent, field) = (info.path_node, info.parent_type, info.name);
        let started = Instant::now();
        let result = next.run(ctx, info).await;
        let elapsed = started.elapsed();
        if elapsed >= self.threshold
            && tracing::enabled!(target: "gateway::resolver", tracing::Level::INFO)
            && self.allow(path, parent, field)
        {
            let span = tracing::info_span!(
                target: "gateway::resolver",
                "graphql.resolve",
                otel.name = %Coordinate(parent, field),
                graphql.parent_type = parent,
                graphql.field.name = field,
                otel.status_code = Empty,
            );
            if result.is_err() {
                span.record("otel.status_code", "ERROR");
            }
            let end = SystemTime::now();
            crate::observability::telemetry::backdate(&span, end - elapsed, end);
        }
        result
    }
}
