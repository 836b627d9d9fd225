//! Writes: each mutation runs in one transaction, and its audit event is
//! appended inside that transaction just before commit, so a write and
//! its record in the access log land together or not at all.

use async_graphql::Context;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::context::rc;
use crate::audit::Decision;
use crate::cache::versions::Domain;
use crate::vocabulary::error::ApiError;

pub async fn begin(ctx: &Context<'_>) -> Result<DatabaseTransaction, ApiError> {
    Ok(rc(ctx).db().begin().await?)
}

/// Appends the write's audit event (`written`: the types or fields it
/// changed) and commits. Fails closed: no audit, no write.
pub async fn commit(
    ctx: &Context<'_>,
    tx: DatabaseTransaction,
    participants: &[Uuid],
    written: &[&str],
) -> Result<(), ApiError> {
    let r = rc(ctx);
    r.principal()?;
    let event = r
        .audit_event(
            format!("mutation {}", ctx.field().name()),
            Decision::Allowed,
            participants.to_vec(),
            written.iter().map(|w| w.to_string()).collect(),
        )
        .ok_or_else(|| ApiError::Unauthenticated("sign in".into()))?;
    r.services
        .audit
        .commit(tx, &[event])
        .await
        .map_err(|e| ApiError::internal(format!("audit: {e}")))?;
    // After the commit, never before: a dashboard computed between a bump
    // and the commit would be cached under the new counters with old data.
    r.services.versions.bump(&Domain::of_written(written)).await;
    Ok(())
}
