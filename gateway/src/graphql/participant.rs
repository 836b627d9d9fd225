//! Participants (deltagare). The personnummer is decrypted only when the
//! field is asked for and the policy lets it through; a protected
//! identity's `identity` fields reach only the owning unit (the policy
//! extension decides from the row tag made here).

use async_graphql::{Context, Object, Result, ID};

use super::context::{children_of, rc};
use super::enums::{EducationLevel, IncomeSource, Sex, TargetGroup};
use super::input;
use super::{Row, RowTag};
use crate::sources::db::participants;
use crate::vocabulary::error::ApiError;

pub struct Participant(pub entities::participant::Model);

impl Participant {
    /// The participant as a row of the answer, tagged for the policy.
    pub fn row(m: entities::participant::Model) -> Row<Participant> {
        Participant::row_in(m, None)
    }

    /// The participant as reached through `case`: what the registering
    /// agency recorded about them (their consent-classified fields) then
    /// flows to another agency under a consent for that case.
    pub fn row_in(m: entities::participant::Model, case: Option<uuid::Uuid>) -> Row<Participant> {
        let tag = RowTag {
            participant: Some(m.id),
            owner: m.registered_by_agency_id,
            case,
            protected: m.protected_identity,
            owning_unit: m.owning_unit_id,
        };
        Row::new(Participant(m), tag)
    }
}

#[Object]
impl Participant {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// 12 digits (YYYYMMDDNNNC). Null for a protected identity.
    async fn personnummer(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let pnr = rc(ctx)
            .services
            .pii
            .decrypt_personnummer(&self.0.personnummer_enc)
            .map_err(|e| {
                ApiError::internal(format!("personnummer of participant {}: {e}", self.0.id))
            })?;
        Ok(Some(pnr.expose_digits().to_string()))
    }
    async fn given_name(&self) -> Option<&str> {
        Some(self.0.given_name.as_str())
    }
    async fn family_name(&self) -> Option<&str> {
        Some(self.0.family_name.as_str())
    }
    async fn birth_year(&self) -> i32 {
        self.0.birth_year
    }
    async fn sex(&self) -> Sex {
        self.0.sex.into()
    }
    async fn district(&self) -> Option<&str> {
        Some(self.0.district.as_str())
    }
    /// Null when withheld: the registering agency's information, shown to
    /// another agency only under a consent (`ECONOMIC_SOCIAL`).
    async fn target_groups(&self) -> Option<Vec<TargetGroup>> {
        Some(super::enums::codes::<entities::enums::TargetGroup, _>(
            &self.0.target_groups,
        ))
    }
    async fn education_level(&self) -> EducationLevel {
        self.0.education_level.into()
    }
    /// Null when withheld, as `targetGroups`.
    async fn income_source(&self) -> Option<IncomeSource> {
        Some(self.0.income_source.into())
    }
    /// Skyddade personuppgifter: shown anonymously.
    async fn protected_identity(&self) -> bool {
        self.0.protected_identity
    }
    /// Generated test data (never leaves demo and test environments).
    async fn synthetic(&self) -> bool {
        self.0.synthetic
    }
    /// The participant's cases within your scope.
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<Row<super::case::Case>>> {
        children_of(
            &rc(ctx).loaders.participant_cases,
            self.0.id,
            super::case::Case::row,
        )
        .await
    }
}

#[derive(Default)]
pub struct ParticipantQuery;

#[Object]
impl ParticipantQuery {
    /// A participant with at least one case in your scope (otherwise NOT_FOUND).
    async fn participant(&self, ctx: &Context<'_>, id: ID) -> Result<Row<Participant>> {
        let r = rc(ctx);
        r.principal()?;
        let id = input::id("id", &id)?;
        Ok(Participant::row(
            participants::get_visible(r.db(), &r.scope, id).await?,
        ))
    }

    /// Looks a person up by personnummer (10 or 12 digits, with or without
    /// separator); NOT_FOUND unless one of their cases is in your scope.
    async fn participant_by_personnummer(
        &self,
        ctx: &Context<'_>,
        personnummer: String,
    ) -> Result<Row<Participant>> {
        let r = rc(ctx);
        r.principal()?;
        let pnr = input::personnummer("personnummer", &personnummer)?;
        Ok(Participant::row(
            participants::find_visible_by_personnummer(r.db(), &r.services.pii, &r.scope, &pnr)
                .await?,
        ))
    }
}
