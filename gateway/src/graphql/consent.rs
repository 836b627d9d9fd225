//! Consents (samtycken): recorded with who collected them, where, the form
//! version and where the paper original is kept; revocable at any time.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, NaiveDate, Utc};

use super::context::rc;
use super::enums::ConsentCategory;
use super::input;
use super::org::{agency_by_id, staff_by_id, Agency, Staff};
use super::write;
use super::{Row, RowTag};
use crate::sources::db::{cases, work};
use crate::vocabulary::error::ApiError;

pub struct Consent(pub entities::consent::Model);

impl Consent {
    /// A consent as a row: about its participant.
    pub fn row(m: entities::consent::Model) -> Row<Consent> {
        let tag = RowTag {
            participant: Some(m.participant_id),
            case: m.case_id,
            ..RowTag::default()
        };
        Row::new(Consent(m), tag)
    }
}

#[Object]
impl Consent {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The agency whose information may flow.
    async fn source_agency(&self, ctx: &Context<'_>) -> Result<Agency> {
        agency_by_id(ctx, self.0.source_agency_id).await
    }
    /// The agency that may obtain it.
    async fn recipient_agency(&self, ctx: &Context<'_>) -> Result<Agency> {
        agency_by_id(ctx, self.0.recipient_agency_id).await
    }
    async fn categories(&self) -> Vec<ConsentCategory> {
        super::enums::codes::<entities::enums::ConsentCategory, _>(&self.0.categories)
    }
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }
    async fn signed_on(&self) -> NaiveDate {
        self.0.signed_on
    }
    async fn valid_from(&self) -> NaiveDate {
        self.0.valid_from
    }
    async fn valid_to(&self) -> Option<NaiveDate> {
        self.0.valid_to
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// Where it was collected.
    async fn collected_at(&self) -> &str {
        &self.0.collected_at
    }
    async fn form_version(&self) -> &str {
        &self.0.form_version
    }
    /// Where the signed paper original is kept.
    async fn document_ref(&self) -> &str {
        &self.0.document_ref
    }
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_by_id(ctx, Some(self.0.recorded_by_id)).await
    }
}

#[derive(InputObject)]
pub struct RecordConsentInput {
    pub case_id: ID,
    /// Agency code that may share.
    pub source_agency: String,
    /// Agency code that may obtain.
    pub recipient_agency: String,
    pub categories: Vec<ConsentCategory>,
    pub purpose: String,
    pub signed_on: NaiveDate,
    /// Defaults to `signedOn`.
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub collected_at: String,
    pub form_version: String,
    pub document_ref: String,
}

#[derive(InputObject)]
pub struct RevokeConsentInput {
    pub id: ID,
    pub version: i32,
}

#[derive(Default)]
pub struct ConsentMutation;

#[Object]
impl ConsentMutation {
    /// Records a signed consent for the participant of a case you can see,
    /// releasing your own agency's information (`sourceAgency` is yours).
    async fn record_consent(
        &self,
        ctx: &Context<'_>,
        input: RecordConsentInput,
    ) -> Result<Row<Consent>> {
        let r = rc(ctx);
        let p = r.principal()?;
        let case_id = input::id("input.caseId", &input.case_id)?;
        if input.categories.is_empty() {
            return Err(
                ApiError::bad_input("input.categories", "name at least one category").into(),
            );
        }
        let valid_from = input.valid_from.unwrap_or(input.signed_on);
        if let Some(to) = input.valid_to {
            if to < valid_from {
                return Err(ApiError::bad_input("input.validTo", "is before validFrom").into());
            }
        }
        let agency = |field: &'static str, code: String| async move {
            crate::sources::db::agency::by_code(r.db(), &code)
                .await
                .map_err(ApiError::from)?
                .ok_or_else(|| ApiError::bad_input(field, "unknown agency code"))
        };
        let source = agency("input.sourceAgency", input.source_agency).await?;
        let recipient = agency("input.recipientAgency", input.recipient_agency).await?;
        if source.id == recipient.id {
            return Err(ApiError::bad_input(
                "input.recipientAgency",
                "must differ from sourceAgency",
            )
            .into());
        }
        // Who may record consents is the policy's decision; whose they are
        // is the data's own rule, kept here. A consent lifts the source
        // agency's secrecy, so that agency records it (it is the one
        // answerable for the disclosure): no agency can grant itself
        // another's data by recording a consent in its favour.
        if source.id != p.agency_id {
            return Err(ApiError::Forbidden(format!(
                "input.sourceAgency: a consent is recorded by the agency whose information it \
                 releases; {} cannot record one for {}",
                p.agency, source.code
            ))
            .into());
        }
        let case = cases::get_visible(r.db(), &r.scope, case_id).await?;
        let tx = write::begin(ctx).await?;
        let consent = work::record_consent(
            &tx,
            work::NewConsent {
                participant_id: case.participant_id,
                case_id: Some(case.id),
                source_agency_id: source.id,
                recipient_agency_id: recipient.id,
                categories: input.categories.into_iter().map(Into::into).collect(),
                purpose: input::required_text("input.purpose", &input.purpose, 500)?,
                signed_on: input.signed_on,
                valid_from,
                valid_to: input.valid_to,
                recorded_by_id: p.staff_id,
                collected_at: input::required_text("input.collectedAt", &input.collected_at, 200)?,
                form_version: input::required_text("input.formVersion", &input.form_version, 50)?,
                document_ref: input::required_text("input.documentRef", &input.document_ref, 200)?,
            },
        )
        .await?;
        write::commit(ctx, tx, &[case.participant_id], &["Consent"]).await?;
        Ok(Consent::row(consent))
    }

    /// Revokes a consent from now on; nothing more flows under it.
    async fn revoke_consent(
        &self,
        ctx: &Context<'_>,
        input: RevokeConsentInput,
    ) -> Result<Row<Consent>> {
        let r = rc(ctx);
        r.principal()?;
        let id = input::id("input.id", &input.id)?;
        let version = input::version("input.version", input.version)?;
        let consent = work::reload::<entities::consent::Entity>(r.db(), id, "consent").await?;
        // Only those on the consent's own case revoke it: that the person
        // is in a case of the caller's says nothing of consents given in
        // other collaborations (NOT_FOUND, as for a consent that is not).
        let case_id = consent.case_id.ok_or(ApiError::NotFound("consent"))?;
        crate::sources::db::cases::get_visible(r.db(), &r.scope, case_id)
            .await
            .map_err(|_| ApiError::NotFound("consent"))?;
        let tx = write::begin(ctx).await?;
        work::revoke_consent(&tx, id, version).await?;
        write::commit(ctx, tx, &[consent.participant_id], &["Consent.revokedAt"]).await?;
        Ok(Consent::row(
            work::reload::<entities::consent::Entity>(r.db(), id, "consent").await?,
        ))
    }
}
