//! The GraphQL schema: one module per domain area, merged into the roots.
//! Types here are API types mapped from entities, never the entities.

pub mod audit;
pub mod case;
pub mod checks;
pub mod consent;
pub mod context;
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

use crate::app::Services;

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
    if crate::telemetry::exporting() {
        // First, so it times each field with the policy's work on it
        // included. Only when spans are exported: the hook costs some 5 %
        // on the largest pages (see `observe::resolver_spans`).
        builder = builder.extension(crate::observe::ResolverSpans::new(
            services.resolver_span_threshold,
        ));
    }
    builder
        .extension(checks::Checks::new(crate::limits::Limits(
            services.limits.clone(),
        )))
        .data(services)
        .finish()
}

/// The same schema without the policy: no field rules, no
/// audit. Only for measuring what they cost (`tests/benches/page50.rs`);
/// nothing that serves requests builds it.
#[doc(hidden)]
pub fn build_unenforced_for_benchmarks(services: Arc<Services>) -> GatewaySchema {
    builder()
        .extension(checks::Checks::limits_only(crate::limits::Limits(
            services.limits.clone(),
        )))
        .data(services)
        .finish()
}

/// The SDL as checked in at `gateway/schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
