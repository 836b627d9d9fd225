//! Shared cases (samverkansärenden): the scoped list, one case with all it
//! holds, and the case's own mutations.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::NaiveDate;
use entities::{case_member, shared_case};

use super::context::{children_of, load_err, rc};
use super::enums::{CaseOutcome, CaseStatus, TargetGroup};
use super::input;
use super::org::{agency_by_id, staff_by_id, Agency, Staff};
use super::participant::Participant;
use super::write;
use super::{Row, RowTag};
use crate::sources::db::cases::{self, CaseCursor, CaseFilter};
use crate::sources::db::scope::CaseScope;
use crate::vocabulary::error::ApiError;

pub struct Case(pub shared_case::Model);

/// The row tag of anything that hangs off `case` (a plan, a member, a step).
pub fn case_tag(case: &shared_case::Model) -> RowTag {
    RowTag {
        participant: Some(case.participant_id),
        case: Some(case.id),
        ..RowTag::default()
    }
}

impl Case {
    /// The case as a row of the answer: its fields and everything below it
    /// are about its participant, in this collaboration.
    pub fn row(m: shared_case::Model) -> Row<Case> {
        let tag = case_tag(&m);
        Row::new(Case(m), tag)
    }
}

#[Object]
impl Case {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// Send this back with an update; a stale version is refused with CONFLICT.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn status(&self) -> CaseStatus {
        self.0.status.into()
    }
    async fn opened_on(&self) -> NaiveDate {
        self.0.opened_on
    }
    /// When the assessment (kartläggning) was done.
    async fn assessed_on(&self) -> Option<NaiveDate> {
        self.0.assessed_on
    }
    async fn closed_on(&self) -> Option<NaiveDate> {
        self.0.closed_on
    }
    async fn outcome(&self) -> Option<CaseOutcome> {
        self.0.outcome.map(Into::into)
    }
    async fn participant(&self, ctx: &Context<'_>) -> Result<Row<Participant>> {
        Ok(rc(ctx)
            .loaders
            .participant
            .load_one(self.0.participant_id)
            .await
            .map_err(load_err)?
            .map(|m| Participant::row_in(m, self.0.clone()))
            .ok_or(ApiError::NotFound("participant"))?)
    }
    async fn lead_agency(&self, ctx: &Context<'_>) -> Result<Agency> {
        agency_by_id(ctx, self.0.lead_agency_id).await
    }
    /// The responsible coach (jobbcoach).
    async fn coach(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_by_id(ctx, self.0.coach_id).await
    }
    /// Agencies and staff taking part.
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<CaseMember>> {
        children_of(&rc(ctx).loaders.case_members, self.0.id, CaseMember).await
    }
    /// The consents given in this case (not those of the participant's
    /// other cases: which agencies take part elsewhere is theirs to tell).
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn consents(&self, ctx: &Context<'_>) -> Result<Vec<Row<super::consent::Consent>>> {
        children_of(
            &rc(ctx).loaders.case_consents,
            self.0.id,
            super::consent::Consent::row,
        )
        .await
    }
    /// Genomförandeplaner with their goals.
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn plans(&self, ctx: &Context<'_>) -> Result<Vec<super::work::Plan>> {
        children_of(&rc(ctx).loaders.case_plans, self.0.id, super::work::Plan).await
    }
    /// The participant's moves on the step ladder in this case, oldest first.
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn ladder_steps(&self, ctx: &Context<'_>) -> Result<Vec<super::work::StepEntry>> {
        children_of(
            &rc(ctx).loaders.case_steps,
            self.0.id,
            super::work::StepEntry,
        )
        .await
    }
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn interventions(&self, ctx: &Context<'_>) -> Result<Vec<super::work::Intervention>> {
        children_of(
            &rc(ctx).loaders.case_interventions,
            self.0.id,
            super::work::Intervention,
        )
        .await
    }
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn placements(&self, ctx: &Context<'_>) -> Result<Vec<Row<super::placement::Placement>>> {
        children_of(
            &rc(ctx).loaders.case_placements,
            self.0.id,
            super::placement::Placement::row,
        )
        .await
    }
    /// Arbetsförmedlingen's records about the participant (consent
    /// permitting). Null, with UPSTREAM_UNAVAILABLE naming the agency, when
    /// AF's records are read from its API and it gives no answer.
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn employment_service_records(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<Vec<Row<super::records::EmploymentServiceRecord>>>> {
        // Nullable: when AF's API gives no answer, this field alone is null.
        super::records::af_records(ctx, &self.0).await.map(Some)
    }
    /// Försäkringskassan's records about the participant (consent
    /// permitting). Null, with UPSTREAM_UNAVAILABLE naming the agency, when
    /// FK's records are read from its API and it gives no answer.
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn social_insurance_records(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<Vec<Row<super::records::SocialInsuranceRecord>>>> {
        // Nullable: when FK's API gives no answer, this field alone is null.
        super::records::fk_records(ctx, &self.0).await.map(Some)
    }
    /// The participant's project enrolments (IRIS/USB, Kompetenstrappan,
    /// Insam...) made in this case.
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn enrolments(&self, ctx: &Context<'_>) -> Result<Vec<Row<super::project::Enrolment>>> {
        children_of(
            &rc(ctx).loaders.case_enrolments,
            self.0.id,
            super::project::Enrolment::row,
        )
        .await
    }
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn follow_ups(&self, ctx: &Context<'_>) -> Result<Vec<super::work::FollowUp>> {
        children_of(
            &rc(ctx).loaders.case_follow_ups,
            self.0.id,
            super::work::FollowUp,
        )
        .await
    }
}

pub struct CaseMember(pub case_member::Model);

#[Object]
impl CaseMember {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn role(&self) -> &str {
        &self.0.role
    }
    async fn joined_on(&self) -> NaiveDate {
        self.0.joined_on
    }
    async fn left_on(&self) -> Option<NaiveDate> {
        self.0.left_on
    }
    async fn agency(&self, ctx: &Context<'_>) -> Result<Agency> {
        agency_by_id(ctx, self.0.agency_id).await
    }
    async fn staff(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_by_id(ctx, self.0.staff_id).await
    }
}

#[derive(InputObject, Default)]
pub struct CaseFilterInput {
    pub status: Option<Vec<CaseStatus>>,
    pub coach_id: Option<ID>,
    /// Agency code taking part in the case (`af`, `fk`, ...).
    pub agency: Option<String>,
    /// Only people whose target groups you may see match: registered by
    /// your agency, or released to it by a consent for the case.
    pub target_group: Option<TargetGroup>,
    /// Opened on or after this date.
    pub opened_from: Option<NaiveDate>,
    /// Opened on or before this date.
    pub opened_to: Option<NaiveDate>,
}

#[derive(SimpleObject)]
pub struct PageInfoExtra {
    /// Cases matching the filter within your scope.
    pub total_count: u64,
}

pub type CaseConnection = Connection<String, Row<Case>, PageInfoExtra>;

/// A page of cases in `scope`, newest first.
pub async fn case_page(
    ctx: &Context<'_>,
    scope: &CaseScope,
    filter: Option<CaseFilterInput>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<CaseConnection> {
    let rc = rc(ctx);
    let first = input::page_size(&rc.services.limits, first)?;
    let after = after
        .as_deref()
        .map(input::decode_cursor)
        .transpose()?
        .map(|(opened_on, id)| CaseCursor { opened_on, id });
    let f = filter.unwrap_or_default();
    let agency_id = match &f.agency {
        Some(code) => Some(
            crate::sources::db::agency::by_code(rc.db(), code)
                .await
                .map_err(ApiError::from)?
                .ok_or_else(|| ApiError::bad_input("filter.agency", "unknown agency code"))?
                .id,
        ),
        None => None,
    };
    if let (Some(a), Some(b)) = (f.opened_from, f.opened_to) {
        if a > b {
            return Err(
                ApiError::bad_input("filter.openedTo", "is before filter.openedFrom").into(),
            );
        }
    }
    let filter = CaseFilter {
        statuses: f
            .status
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        coach_id: f
            .coach_id
            .as_ref()
            .map(|c| input::id("filter.coachId", c))
            .transpose()?,
        agency_id,
        target_group: f
            .target_group
            .map(|g| target_group_filter(rc, g))
            .transpose()?,
        opened_from: f.opened_from,
        opened_to: f.opened_to,
    };
    let count = ctx.look_ahead().field("totalCount").exists();
    let page = cases::list(rc.db(), scope, &filter, after, first, count).await?;
    // One call per agency read live for the whole page.
    super::records::prefetch(ctx, &page.rows).await;
    let mut conn = Connection::with_additional_fields(
        after.is_some(),
        page.has_next,
        PageInfoExtra {
            // Counted only when selected, so the value is always there when read.
            total_count: page.total.unwrap_or_default(),
        },
    );
    conn.edges.extend(
        page.rows
            .into_iter()
            .map(|c| Edge::new(input::encode_cursor(c.opened_on, c.id), Case::row(c))),
    );
    Ok(conn)
}

#[derive(Default)]
pub struct CaseQuery;

#[Object]
impl CaseQuery {
    /// Cases in your scope: a coach sees the cases they are on; agency staff
    /// see the cases their agency takes part in. `first` defaults to 20 and
    /// may be at most 100 (larger is refused with BAD_USER_INPUT).
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        filter: Option<CaseFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CaseConnection> {
        let r = rc(ctx);
        r.principal()?;
        case_page(ctx, &r.scope, filter, first, after).await
    }

    /// One case, if it is in your scope (otherwise NOT_FOUND).
    async fn case(&self, ctx: &Context<'_>, id: ID) -> Result<Row<Case>> {
        let r = rc(ctx);
        r.principal()?;
        let id = input::id("id", &id)?;
        Ok(Case::row(cases::get_visible(r.db(), &r.scope, id).await?))
    }
}

#[derive(InputObject)]
pub struct OpenCaseInput {
    /// 10 or 12 digits, with or without separator.
    pub personnummer: String,
    pub given_name: String,
    pub family_name: String,
    pub district: String,
    #[graphql(default)]
    pub target_groups: Vec<TargetGroup>,
    pub education_level: Option<super::enums::EducationLevel>,
    pub income_source: Option<super::enums::IncomeSource>,
    #[graphql(default)]
    pub protected_identity: bool,
    /// Defaults to today.
    pub opened_on: Option<NaiveDate>,
    /// The responsible coach; defaults to you if you are a coach.
    pub coach_id: Option<ID>,
}

#[derive(InputObject)]
pub struct AddCaseMemberInput {
    pub case_id: ID,
    /// Agency code (`af`, `fk`, `region`, ...).
    pub agency: String,
    pub staff_id: Option<ID>,
    pub role: String,
    pub joined_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct CloseCaseInput {
    pub id: ID,
    pub version: i32,
    pub outcome: CaseOutcome,
    pub closed_on: Option<NaiveDate>,
}

#[derive(Default)]
pub struct CaseMutation;

#[Object]
impl CaseMutation {
    /// Opens a shared case for a person (registering them if new), with your
    /// agency as lead.
    async fn open_case(&self, ctx: &Context<'_>, input: OpenCaseInput) -> Result<Row<Case>> {
        use crate::vocabulary::Role;
        let r = rc(ctx);
        let p = r.principal()?;
        let today = r.today();
        let pnr = input::personnummer("input.personnummer", &input.personnummer)?;
        let given_name = input::required_text("input.givenName", &input.given_name, 100)?;
        let family_name = input::required_text("input.familyName", &input.family_name, 100)?;
        let district = input::required_text("input.district", &input.district, 100)?;
        let coach_id = match &input.coach_id {
            Some(c) => Some(input::id("input.coachId", c)?),
            None if p.has_role(Role::Coach) => Some(p.staff_id),
            None => None,
        };
        let opened_on = input.opened_on.unwrap_or(today);
        if opened_on > today {
            return Err(ApiError::bad_input("input.openedOn", "cannot be in the future").into());
        }
        let keys = &r.services.pii;
        let (agency_id, staff_id) = (p.agency_id, p.staff_id);
        let tx = write::begin(ctx).await?;
        let registration = crate::sources::db::participants::Registration {
            given_name,
            family_name,
            district,
            target_groups: input.target_groups.into_iter().map(Into::into).collect(),
            education_level: input
                .education_level
                .map(Into::into)
                .unwrap_or(entities::enums::EducationLevel::Unknown),
            income_source: input
                .income_source
                .map(Into::into)
                .unwrap_or(entities::enums::IncomeSource::Other),
        };
        let participant = crate::sources::db::participants::find_or_create(
            &tx,
            keys,
            &pnr,
            crate::sources::db::participants::NewParticipant {
                registration: registration.clone(),
                protected_identity: input.protected_identity,
                // The registering unit owns a protected identity; without a
                // unit in the token nobody sees it (denied, not leaked).
                owning_unit_id: p.unit_id,
                registered_by_agency_id: p.agency_id,
            },
        )
        .await?;
        let case = cases::open(
            &tx,
            cases::NewCase {
                participant_id: participant.id,
                lead_agency_id: agency_id,
                coach_id,
                opened_on,
                registration,
                // The opener's unit owns what it enters, protected or not:
                // should the person be protected later, it still sees it.
                registered_unit_id: p.unit_id,
                protected_identity: input.protected_identity,
            },
        )
        .await?;
        if coach_id != Some(staff_id) {
            // The opener takes part too, so the case is in their scope.
            cases::add_member(
                &tx,
                case.id,
                agency_id,
                Some(staff_id),
                "officer",
                opened_on,
            )
            .await?;
        }
        write::commit(ctx, tx, &[participant.id], &["Participant", "Case"]).await?;
        Ok(Case::row(case))
    }

    /// Adds an agency (and optionally one of its staff) to a case you can see.
    async fn add_case_member(
        &self,
        ctx: &Context<'_>,
        input: AddCaseMemberInput,
    ) -> Result<Row<CaseMember>> {
        let r = rc(ctx);
        r.principal()?;
        let case_id = input::id("input.caseId", &input.case_id)?;
        let staff_id = input
            .staff_id
            .as_ref()
            .map(|s| input::id("input.staffId", s))
            .transpose()?;
        let role = input::required_text("input.role", &input.role, 50)?;
        let case = cases::get_visible(r.db(), &r.scope, case_id).await?;
        let agency = crate::sources::db::agency::by_code(r.db(), &input.agency)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::bad_input("input.agency", "unknown agency code"))?;
        let tx = write::begin(ctx).await?;
        let member = cases::add_member(
            &tx,
            case.id,
            agency.id,
            staff_id,
            &role,
            input.joined_on.unwrap_or(r.today()),
        )
        .await?;
        write::commit(ctx, tx, &[case.participant_id], &["CaseMember"]).await?;
        Ok(Row::new(CaseMember(member), case_tag(&case)))
    }

    /// Closes a case with its outcome.
    async fn close_case(&self, ctx: &Context<'_>, input: CloseCaseInput) -> Result<Row<Case>> {
        let r = rc(ctx);
        r.principal()?;
        let id = input::id("input.id", &input.id)?;
        let version = input::version("input.version", input.version)?;
        let case = cases::get_visible(r.db(), &r.scope, id).await?;
        let closed_on = input.closed_on.unwrap_or(r.today());
        if closed_on < case.opened_on {
            return Err(
                ApiError::bad_input("input.closedOn", "is before the case was opened").into(),
            );
        }
        let tx = write::begin(ctx).await?;
        cases::close(&tx, id, version, input.outcome.into(), closed_on).await?;
        write::commit(
            ctx,
            tx,
            &[case.participant_id],
            &["Case.status", "Case.outcome", "Case.closedOn"],
        )
        .await?;
        Ok(Case::row(cases::get_visible(r.db(), &r.scope, id).await?))
    }
}

/// Filtering by target group reads `Participant.targetGroups`: refused
/// where the policy never lets the caller read them, and, as the field is
/// the registering agency's information (a consent category), matched in
/// SQL only for people that agency released to the caller.
fn target_group_filter(
    rc: &super::RequestContext,
    group: TargetGroup,
) -> Result<crate::sources::db::cases::TargetGroupFilter, ApiError> {
    let p = rc.principal()?;
    let Some(field) = rc
        .policy
        .readable(&rc.access, "Participant", "targetGroups")
    else {
        return Err(ApiError::ForbiddenField(
            "filter.targetGroup: the policy does not let you read Participant.targetGroups".into(),
        ));
    };
    Ok(crate::sources::db::cases::TargetGroupFilter {
        group: group.into(),
        viewer: p.agency_id,
        category: match field.class {
            Some(crate::policy::Classification::Consent(c)) => Some(c),
            _ => None,
        },
        today: rc.today(),
    })
}
