//! Agencies, units, staff and `me`.

use async_graphql::{Context, Object, Result, ID};
use entities::{agency, org_unit, staff};

use super::context::{load_err, rc};
use super::enums::{AgencyKind, OrgUnitKind};
use crate::vocabulary::error::ApiError;

pub struct Agency(pub agency::Model);

#[Object]
impl Agency {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// Code used in config, policy and tokens (`lund`, `af`, `fk`, ...).
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> AgencyKind {
        self.0.kind.into()
    }
}

pub struct OrgUnit(pub org_unit::Model);

#[Object]
impl OrgUnit {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> OrgUnitKind {
        self.0.kind.into()
    }
    async fn agency(&self, ctx: &Context<'_>) -> Result<Agency> {
        agency_by_id(ctx, self.0.agency_id).await
    }
}

pub struct Staff(pub staff::Model);

#[Object]
impl Staff {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn roles(&self) -> Vec<&str> {
        self.0.roles.split(',').filter(|r| !r.is_empty()).collect()
    }
    async fn agency(&self, ctx: &Context<'_>) -> Result<Agency> {
        agency_by_id(ctx, self.0.agency_id).await
    }
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        unit_by_id(ctx, self.0.unit_id).await
    }
}

pub async fn agency_by_id(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Agency> {
    Ok(rc(ctx)
        .loaders
        .agency
        .load_one(id)
        .await
        .map_err(load_err)?
        .map(Agency)
        .ok_or(ApiError::NotFound("agency"))?)
}

pub async fn unit_by_id(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<OrgUnit>> {
    let Some(id) = id else { return Ok(None) };
    Ok(rc(ctx)
        .loaders
        .org_unit
        .load_one(id)
        .await
        .map_err(load_err)?
        .map(OrgUnit))
}

pub async fn staff_by_id(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Staff>> {
    let Some(id) = id else { return Ok(None) };
    Ok(rc(ctx)
        .loaders
        .staff
        .load_one(id)
        .await
        .map_err(load_err)?
        .map(Staff))
}

/// The signed-in caller.
pub struct Me;

#[Object]
impl Me {
    async fn subject(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(rc(ctx).principal()?.subject.clone())
    }
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(rc(ctx)
            .principal()?
            .roles
            .iter()
            .map(|r| r.as_str().to_string())
            .collect())
    }
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(rc(ctx).principal()?.unit.clone())
    }
    async fn agency(&self, ctx: &Context<'_>) -> Result<Agency> {
        let id = rc(ctx).principal()?.agency_id;
        agency_by_id(ctx, id).await
    }
    async fn staff(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        let id = rc(ctx).principal()?.staff_id;
        staff_by_id(ctx, Some(id)).await
    }
    /// The cases you are coach or member of, newest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn caseload(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::case::CaseFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<super::case::CaseConnection> {
        let staff_id = rc(ctx).principal()?.staff_id;
        let scope = crate::sources::db::scope::CaseScope::Member { staff_id };
        super::case::case_page(ctx, &scope, filter, first, after).await
    }
}

#[derive(Default)]
pub struct OrgQuery;

#[Object]
impl OrgQuery {
    /// Who the gateway thinks you are (UNAUTHENTICATED without a token).
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        rc(ctx).principal()?;
        Ok(Me)
    }

    /// The partner agencies (not personal data).
    async fn agencies(&self, ctx: &Context<'_>) -> Result<Vec<Agency>> {
        let rc = rc(ctx);
        rc.principal()?;
        Ok(crate::sources::db::agency::list(rc.db())
            .await?
            .into_iter()
            .map(Agency)
            .collect())
    }
}
