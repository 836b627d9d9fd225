//! The schema's one extension: the operation limits, then the field
//! policy. One extension rather than one per concern, because
//! async-graphql runs every registered extension's `resolve` for every
//! field of the answer (a boxed future each), and a page of 50 cases has
//! thousands of fields: the limits need no per-field hook, the policy does.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextResolve, NextValidation, ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
};

use super::limits::Limits;
use super::PolicyCheck;

pub struct Checks {
    limits: Limits,
    /// Off only in the benchmark that measures what the policy costs.
    enforce: bool,
}

impl Checks {
    /// The limits and the policy.
    pub fn new(limits: Limits) -> Self {
        Checks {
            limits,
            enforce: true,
        }
    }

    /// The limits alone (`schema::build_unenforced_for_benchmarks`).
    pub fn limits_only(limits: Limits) -> Self {
        Checks {
            limits,
            enforce: false,
        }
    }
}

impl ExtensionFactory for Checks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Check {
            limits: self.limits.clone(),
            policy: self.enforce.then(PolicyCheck::default),
        })
    }
}

/// One request's checks.
struct Check {
    limits: Limits,
    policy: Option<PolicyCheck>,
}

#[async_trait::async_trait]
impl Extension for Check {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // The text's nesting was bounded by the pipeline before anything
        // parsed it; with fragments written out it is bounded here, before
        // validation. Parsed here, once (async-graphql keeps the document),
        // so its size can be refused before anything expands its
        // fragments. A document that does not parse is left to
        // async-graphql to report.
        if let Ok(doc) = request.parsed_query() {
            self.limits.check_expanded_nesting(doc)?;
            self.limits.check_fields(doc)?;
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        // The policy first: in `reject` mode an attempt to read a denied
        // personal field is audited even when the document is also over a
        // limit (its walk visits each selection set once per type).
        if let Some(policy) = &self.policy {
            policy.after_parse(ctx, &doc, variables).await?;
        }
        // Before anything reads answers by their keys (the introspection
        // filter, the audit's paths); after the policy, so an attempt at a
        // denied field is audited in reject mode even so.
        super::keys::check(&doc)?;
        self.limits.check_document(&doc)?;
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        self.limits.check_validation(&result)?;
        // Within the limit per operation; then against the caller's budget
        // per minute, so a caller cannot repeat the costliest operation
        // without end (on any replica).
        if let Some(rc) = ctx.data_opt::<super::RequestContext>() {
            if let Some(p) = &rc.principal {
                let budget = &rc.services.cost_budget;
                let now = std::time::SystemTime::now();
                if let Err(spent) = budget
                    .charge(&p.agency, &p.subject, result.complexity as u64, now)
                    .await
                {
                    return Err(vec![super::limits::over_budget(spent)]);
                }
            }
        }
        Ok(result)
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        match &self.policy {
            Some(policy) => policy.resolve(ctx, info, next).await,
            None => next.run(ctx, info).await,
        }
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        match &self.policy {
            Some(policy) => policy.finish(ctx, operation_name, response).await,
            None => response,
        }
    }
}
