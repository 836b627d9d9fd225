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

/// A participant as reached through one of their cases. The person's
/// registration shown (name, district, target groups, education, income
/// source) is the one that case holds: what its opener entered. Another
/// agency's registration of the same person, in another collaboration,
/// stays that agency's.
pub struct Participant {
    row: entities::participant::Model,
    case: entities::shared_case::Model,
}

impl Participant {
    /// The participant as reached through `case`: its registration is the
    /// case opener's information, which flows to another agency of the
    /// case under a consent for that case (the consent-classified fields).
    pub fn row_in(
        m: entities::participant::Model,
        case: entities::shared_case::Model,
    ) -> Row<Participant> {
        let tag = RowTag {
            participant: Some(m.id),
            owner: case.registered_by_agency_id,
            case: Some(case.id),
            protected: case.protected_identity,
            owning_unit: case.registered_unit_id,
        };
        Row::new(Participant { row: m, case }, tag)
    }
}

#[Object]
impl Participant {
    async fn id(&self) -> ID {
        self.row.id.into()
    }
    async fn version(&self) -> i32 {
        self.row.version
    }
    /// 12 digits (YYYYMMDDNNNC). Null for a protected identity.
    async fn personnummer(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let pnr = rc(ctx)
            .services
            .pii
            .decrypt_personnummer(&self.row.personnummer_enc)
            .map_err(|e| {
                ApiError::internal(format!("personnummer of participant {}: {e}", self.row.id))
            })?;
        Ok(Some(pnr.expose_digits().to_string()))
    }
    async fn given_name(&self) -> Option<&str> {
        Some(self.case.given_name.as_str())
    }
    async fn family_name(&self) -> Option<&str> {
        Some(self.case.family_name.as_str())
    }
    async fn birth_year(&self) -> i32 {
        self.row.birth_year
    }
    async fn sex(&self) -> Sex {
        self.row.sex.into()
    }
    async fn district(&self) -> Option<&str> {
        Some(self.case.district.as_str())
    }
    /// Null when withheld: the registering agency's information, shown to
    /// another agency only under a consent (`ECONOMIC_SOCIAL`).
    async fn target_groups(&self) -> Option<Vec<TargetGroup>> {
        Some(super::enums::codes::<entities::enums::TargetGroup, _>(
            &self.case.target_groups,
        ))
    }
    async fn education_level(&self) -> EducationLevel {
        self.case.education_level.into()
    }
    /// Null when withheld, as `targetGroups`.
    async fn income_source(&self) -> Option<IncomeSource> {
        Some(self.case.income_source.into())
    }
    /// Skyddade personuppgifter: shown anonymously.
    async fn protected_identity(&self) -> bool {
        self.case.protected_identity
    }
    /// Generated test data (never leaves demo and test environments).
    async fn synthetic(&self) -> bool {
        self.row.synthetic
    }
    /// The participant's cases within your scope.
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<Row<super::case::Case>>> {
        children_of(
            &rc(ctx).loaders.participant_cases,
            self.row.id,
            super::case::Case::row,
        )
        .await
    }
}

#[derive(Default)]
pub struct ParticipantQuery;

#[Object]
impl ParticipantQuery {
    /// A participant with at least one case in your scope (otherwise
    /// NOT_FOUND), as the newest of those cases registered them.
    async fn participant(&self, ctx: &Context<'_>, id: ID) -> Result<Row<Participant>> {
        let r = rc(ctx);
        r.principal()?;
        let id = input::id("id", &id)?;
        let participant = participants::get_visible(r.db(), &r.scope, id).await?;
        through_newest_case(ctx, participant).await
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
        let participant =
            participants::find_visible_by_personnummer(r.db(), &r.services.pii, &r.scope, &pnr)
                .await?;
        let found = through_newest_case(ctx, participant).await?;
        // Searching by the personnummer reads it: where the number is
        // withheld (a protected identity outside its unit), the search
        // finds nobody, or aliased guesses compared by `id` recover it.
        let tag = found.tag();
        let caller_unit = r.principal()?.unit_id;
        if !crate::policy::identity::shown(tag.protected, tag.owning_unit, caller_unit) {
            return Err(ApiError::NotFound("participant").into());
        }
        Ok(found)
    }
}

/// A participant reached without a case is shown as the newest of their
/// cases in the caller's scope registered them: never through a case the
/// caller cannot see.
async fn through_newest_case(
    ctx: &Context<'_>,
    participant: entities::participant::Model,
) -> Result<Row<Participant>> {
    let r = rc(ctx);
    let case = crate::sources::db::cases::newest_visible_of(r.db(), &r.scope, participant.id)
        .await?
        .ok_or(ApiError::NotFound("participant"))?;
    Ok(Participant::row_in(participant, case))
}
