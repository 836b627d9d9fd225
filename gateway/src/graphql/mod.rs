//! The GraphQL layer: the schema (one module per domain area, merged into
//! the roots; API types mapped from entities, never the entities), the
//! request context and its loaders, and the one extension that enforces
//! limits, the field policy and the audit (`checks`, `enforce`, `ledger`,
//! `row`, `introspection`, `limits`).

// The mechanism: what every request passes through.
pub mod checks;
pub mod context;
pub mod enforce;
pub mod errors;
pub mod introspection;
pub mod keys;
pub mod ledger;
pub mod limits;
pub mod row;
pub mod services;
pub mod spans;

// The schema, one module per domain area.
pub mod audit;
pub mod case;
pub mod consent;
pub mod consented;
pub mod dashboard;
pub mod enums;
pub mod input;
pub mod org;
pub mod participant;
pub mod placement;
pub mod project;
pub mod records;
pub mod work;
pub mod write;

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, Schema};

pub use context::RequestContext;
pub use enforce::PolicyCheck;
pub use ledger::{Ledger, RowTag};
pub use row::Row;
pub use services::Services;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    org::OrgQuery,
    participant::ParticipantQuery,
    case::CaseQuery,
    work::WorkQuery,
    placement::PlacementQuery,
    project::ProjectQuery,
    audit::AuditQuery,
    dashboard::DashboardQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    case::CaseMutation,
    consent::ConsentMutation,
    work::WorkMutation,
    placement::PlacementMutation,
    records::RecordsMutation,
);

pub type GatewaySchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The schema without runtime data, for printing the SDL.
pub fn builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
}

pub fn build(services: Arc<Services>) -> GatewaySchema {
    let mut builder = builder();
    if crate::observability::telemetry::exporting() {
        // First, so it times each field with the policy's work on it
        // included. Only when spans are exported: the hook costs some 5 %
        // on the largest pages (see `spans`).
        builder = builder.extension(spans::ResolverSpans::new(services.resolver_span_threshold));
    }
    builder
        .extension(checks::Checks::new(limits::Limits(services.limits.clone())))
        .data(services)
        .finish()
}

/// The same schema without the policy: no field rules, no
/// audit. Only for measuring what they cost (`tests/benches/page50.rs`);
/// nothing that serves requests builds it.
#[doc(hidden)]
pub fn build_unenforced_for_benchmarks(services: Arc<Services>) -> GatewaySchema {
    builder()
        .extension(checks::Checks::limits_only(limits::Limits(
            services.limits.clone(),
        )))
        .data(services)
        .finish()
}

/// The SDL as checked in at `gateway/schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// Every object type of the schema with its fields: what a policy file is
/// checked against (`policy::Policy::compile`).
pub fn shape() -> &'static crate::policy::SchemaShape {
    static SHAPE: std::sync::OnceLock<crate::policy::SchemaShape> = std::sync::OnceLock::new();
    SHAPE.get_or_init(|| {
        use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
        let doc = async_graphql::parser::parse_schema(sdl()).expect("the generated SDL parses");
        let mut out = Vec::new();
        for def in doc.definitions {
            if let TypeSystemDefinition::Type(t) = def {
                if let TypeKind::Object(o) = &t.node.kind {
                    let fields = o
                        .fields
                        .iter()
                        .map(|f| f.node.name.node.to_string())
                        .collect();
                    out.push((t.node.name.node.to_string(), fields));
                }
            }
        }
        out
    })
}
