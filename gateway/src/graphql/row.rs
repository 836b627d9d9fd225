//! `Row<T>`: an API object together with the row it came from. Resolving
//! it notes the row in the request's ledger under the object's path before
//! its fields resolve, so the policy check can decide fields that
//! depend on the row (owner, protected identity) and the audit knows whose
//! data was returned. Types that carry personal data are returned as rows.

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, OutputType, Positioned, ServerResult, Value};

use super::ledger::RowTag;
use super::RequestContext;

pub struct Row<T> {
    pub inner: T,
    pub tag: RowTag,
}

impl<T> Row<T> {
    pub fn new(inner: T, tag: RowTag) -> Self {
        Row { inner, tag }
    }

    /// What the policy decides this row by.
    pub fn tag(&self) -> &RowTag {
        &self.tag
    }
}

impl<T> std::ops::Deref for Row<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: OutputType> OutputType for Row<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.inner.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if let Some(rc) = ctx.data_opt::<RequestContext>() {
            rc.ledger.tag(ctx.path_node.as_ref(), &self.tag);
        }
        self.inner.resolve(ctx, field).await
    }
}
