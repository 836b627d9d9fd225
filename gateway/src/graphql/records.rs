//! Arbetsförmedlingen's and Försäkringskassan's records. Each agency writes
//! only its own, by its own external id; others see them only under a
//! consent that covers the category, the case and today (rows here, fields
//! with a stricter classification such as `diagnosisGroup` in the policy
//! extension).

use async_graphql::{Context, InputObject, Object, OutputType, Result, ID};
use chrono::NaiveDate;
use entities::enums::AgencyKind;
use entities::{employment_service_record as af, shared_case, social_insurance_record as fk};
use uuid::Uuid;

use super::consented;
use super::context::{load_err, rc, ChildLoader};
use super::enums::Benefit;
use super::input;
use super::org::{agency_by_id, Agency};
use super::write;
use super::{Row, RowTag};
use crate::sources::db::records::{self, AfRecordInput, FkRecordInput};
use crate::sources::upstream::{AgencyLoader, Contract, Subject};
use crate::vocabulary::error::ApiError;
use crate::vocabulary::Principal;

pub struct EmploymentServiceRecord(pub af::Model);

#[Object]
impl EmploymentServiceRecord {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// AF's own id of the record.
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }
    async fn owner(&self, ctx: &Context<'_>) -> Result<Agency> {
        agency_by_id(ctx, self.0.owner_agency_id).await
    }
    /// Inskriven hos Arbetsförmedlingen since.
    async fn registered_on(&self) -> Option<NaiveDate> {
        self.0.registered_on
    }
    async fn programme(&self) -> Option<&str> {
        self.0.programme.as_deref()
    }
    async fn support_decision(&self) -> Option<&str> {
        self.0.support_decision.as_deref()
    }
    async fn officer_ref(&self) -> Option<&str> {
        self.0.officer_ref.as_deref()
    }
    async fn last_contact_on(&self) -> Option<NaiveDate> {
        self.0.last_contact_on
    }
}

pub struct SocialInsuranceRecord(pub fk::Model);

#[Object]
impl SocialInsuranceRecord {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// FK's own id of the record.
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }
    async fn owner(&self, ctx: &Context<'_>) -> Result<Agency> {
        agency_by_id(ctx, self.0.owner_agency_id).await
    }
    async fn benefit(&self) -> Benefit {
        self.0.benefit.into()
    }
    /// Sjukskrivningsgrad, 25/50/75/100.
    async fn sick_leave_degree(&self) -> Option<i32> {
        self.0.sick_leave_degree
    }
    async fn period_start(&self) -> NaiveDate {
        self.0.period_start
    }
    async fn period_end(&self) -> Option<NaiveDate> {
        self.0.period_end
    }
    async fn rehabilitation_coordination(&self) -> bool {
        self.0.rehabilitation_coordination
    }
    /// Health data: FK itself, or a consent covering `HEALTH`.
    async fn diagnosis_group(&self) -> Option<&str> {
        self.0.diagnosis_group.as_deref()
    }
}

/// An agency's record as a row: about its participant, owned by its
/// agency, reached through `case` (the purpose a consent must be for).
fn record_tag(participant: Uuid, owner: Uuid, case: Option<Uuid>) -> RowTag {
    RowTag {
        participant: Some(participant),
        owner: Some(owner),
        case,
        ..RowTag::default()
    }
}

pub async fn af_records(
    ctx: &Context<'_>,
    case: &shared_case::Model,
) -> Result<Vec<Row<EmploymentServiceRecord>>> {
    let loaders = &rc(ctx).loaders;
    records_of(
        ctx,
        case,
        &loaders.participant_af_records,
        &loaders.af_upstream,
        EmploymentServiceRecord,
    )
    .await
}

pub async fn fk_records(
    ctx: &Context<'_>,
    case: &shared_case::Model,
) -> Result<Vec<Row<SocialInsuranceRecord>>> {
    let loaders = &rc(ctx).loaders;
    records_of(
        ctx,
        case,
        &loaders.participant_fk_records,
        &loaders.fk_upstream,
        SocialInsuranceRecord,
    )
    .await
}

/// An agency kind's records about the case's participant, wherever each
/// agency keeps them, that the caller may see, as rows of the answer.
async fn records_of<C: Contract, T>(
    ctx: &Context<'_>,
    case: &shared_case::Model,
    stored: &ChildLoader<C::Entity>,
    upstream: &[AgencyLoader<C>],
    wrap: fn(C::Model) -> T,
) -> Result<Vec<Row<T>>>
where
    C::Model: Sync,
    <C::Entity as sea_orm::EntityTrait>::Column: Send + Sync,
{
    let stored = stored
        .load_one(case.participant_id)
        .await
        .map_err(load_err)?
        .unwrap_or_default();
    let rows = with_upstream(ctx, case, stored, upstream).await?;
    let shown = consented::consented_rows(ctx, case, C::TYPE_NAME, rows, C::owner).await?;
    Ok(shown
        .into_iter()
        .map(|m| {
            let tag = record_tag(C::participant(&m), C::owner(&m), Some(case.id));
            Row::new(wrap(m), tag)
        })
        .collect())
}

/// The stored records of agencies written through the API, plus what each
/// agency read live says about the participant. An agency is asked only
/// when the caller may see its records (consent is checked first); an
/// agency that gives no answer fails this field (null, UPSTREAM_UNAVAILABLE
/// naming it) and nothing else; a record that fails the contract is an
/// error at this field while the valid ones are shown.
async fn with_upstream<C: Contract>(
    ctx: &Context<'_>,
    case: &shared_case::Model,
    stored: Vec<C::Model>,
    upstream: &[AgencyLoader<C>],
) -> Result<Vec<C::Model>> {
    let (type_name, owner) = (C::TYPE_NAME, C::owner);
    if upstream.is_empty() {
        return Ok(stored);
    }
    let r = rc(ctx);
    // Rows an agency read live left in the tables (from before it moved to
    // its API) are not its records any more.
    let mut rows: Vec<C::Model> = stored
        .into_iter()
        .filter(|m| !r.services.upstreams.reads_upstream(owner(m)))
        .collect();
    let subject = subject_of(ctx, case.participant_id).await?;
    for agency in upstream {
        let code = agency.source.code();
        if !consented::may_see(ctx, case, type_name, agency.source.agency_id()).await? {
            // An agency that takes no part in the case has nothing for its
            // purpose: not asked, and nothing to report.
            if !consented::takes_part(ctx, case, agency.source.agency_id()).await? {
                continue;
            }
            r.ledger.withheld_rows(
                ctx,
                type_name,
                case.participant_id,
                ApiError::ConsentRequired(format!(
                    "{code}'s records need the participant's consent; {code} was not asked"
                )),
            );
            continue;
        }
        let answer = agency
            .load(subject.clone())
            .await
            .map_err(|e| e.into_api(code))?;
        for message in answer.invalid {
            let error = ApiError::Upstream {
                agency: code.to_string(),
                reason: "invalid_answer",
                message,
            };
            let mut error =
                async_graphql::Error::new_with_source(error).into_server_error(ctx.item.pos);
            if let Some(node) = ctx.path_node.as_ref() {
                error.path = crate::graphql::ledger::path_of(node);
            }
            ctx.add_error(error);
        }
        rows.extend(answer.records);
    }
    Ok(rows)
}

/// Before a page of cases resolves: starts asking each agency read live,
/// in one call, about everyone on the page whose records the query selects,
/// the policy lets the caller read, and a consent (or ownership) lets the
/// caller see. It cannot fail the page: a person it cannot decide about is
/// left to the records field, which reports its own error.
pub async fn prefetch(ctx: &Context<'_>, cases: &[shared_case::Model]) {
    let r = rc(ctx);
    if cases.is_empty() || r.services.upstreams.all().next().is_none() {
        return;
    }
    let node = ctx.look_ahead().field("edges").field("node");
    let wanted = |field: &str| {
        node.field(field).exists() && r.policy.readable(&r.access, "Case", field).is_some()
    };
    let af = async {
        if wanted("employmentServiceRecords") {
            prefetch_from(ctx, cases, &r.loaders.af_upstream).await;
        }
    };
    let fk = async {
        if wanted("socialInsuranceRecords") {
            prefetch_from(ctx, cases, &r.loaders.fk_upstream).await;
        }
    };
    futures::join!(af, fk);
}

async fn prefetch_from<C: Contract>(
    ctx: &Context<'_>,
    cases: &[shared_case::Model],
    upstream: &[AgencyLoader<C>],
) {
    let type_name = C::TYPE_NAME;
    for agency in upstream {
        let subjects = futures::future::join_all(cases.iter().map(|case| async move {
            match consented::may_see(ctx, case, type_name, agency.source.agency_id()).await {
                Ok(true) => subject_of(ctx, case.participant_id).await.ok(),
                _ => None,
            }
        }))
        .await;
        agency.prefetch(subjects.into_iter().flatten().collect());
    }
}

/// The participant as agencies know them: by personnummer.
async fn subject_of(ctx: &Context<'_>, participant: Uuid) -> Result<Subject> {
    let r = rc(ctx);
    let model = r
        .loaders
        .participant
        .load_one(participant)
        .await
        .map_err(load_err)?
        .ok_or(ApiError::NotFound("participant"))?;
    let personnummer = r
        .services
        .pii
        .decrypt_personnummer(&model.personnummer_enc)
        .map_err(ApiError::internal)?;
    Ok(Subject {
        participant,
        personnummer,
    })
}

#[derive(InputObject)]
pub struct EmploymentServiceRecordInput {
    /// AF's own id; the upsert key.
    pub external_id: String,
    pub personnummer: String,
    pub registered_on: Option<NaiveDate>,
    pub programme: Option<String>,
    pub support_decision: Option<String>,
    pub officer_ref: Option<String>,
    pub last_contact_on: Option<NaiveDate>,
    /// The version you read, to update only if unchanged.
    pub version: Option<i32>,
}

#[derive(InputObject)]
pub struct SocialInsuranceRecordInput {
    /// FK's own id; the upsert key.
    pub external_id: String,
    pub personnummer: String,
    pub benefit: Benefit,
    /// 25, 50, 75 or 100.
    pub sick_leave_degree: Option<i32>,
    pub period_start: NaiveDate,
    pub period_end: Option<NaiveDate>,
    #[graphql(default)]
    pub rehabilitation_coordination: bool,
    pub diagnosis_group: Option<String>,
    pub version: Option<i32>,
}

/// Who may call the upsert is the policy's decision; that an AF record is
/// owned by an employment service (and an FK record by a social insurance
/// agency) is the data's own rule, kept here.
fn owner_kind(
    ctx: &Context<'_>,
    p: &Principal,
    kind: AgencyKind,
    what: &str,
) -> Result<(), ApiError> {
    if p.agency_kind != kind {
        return Err(ApiError::Forbidden(format!(
            "{what} are owned by their agency; yours cannot write them"
        )));
    }
    // Written here they would never be read: the gateway reads this
    // agency's records from its own API.
    if rc(ctx).services.upstreams.reads_upstream(p.agency_id) {
        return Err(ApiError::Forbidden(format!(
            "{what} of {} are read from its own API; write them there",
            p.agency
        )));
    }
    Ok(())
}

fn opt_text(field: String, v: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    v.map(|t| input::text(&field, &t, max)).transpose()
}

fn af_input(
    field: &str,
    i: usize,
    r: EmploymentServiceRecordInput,
) -> Result<AfRecordInput, ApiError> {
    let f = |name: &str| format!("{field}[{i}].{name}");
    Ok(AfRecordInput {
        external_id: input::required_text(&f("externalId"), &r.external_id, 100)?,
        personnummer: input::personnummer(&f("personnummer"), &r.personnummer)?,
        registered_on: r.registered_on,
        programme: opt_text(f("programme"), r.programme, 200)?,
        support_decision: opt_text(f("supportDecision"), r.support_decision, 200)?,
        officer_ref: opt_text(f("officerRef"), r.officer_ref, 100)?,
        last_contact_on: r.last_contact_on,
        expected_version: r
            .version
            .map(|v| input::version(&f("version"), v))
            .transpose()?,
    })
}

fn fk_input(
    field: &str,
    i: usize,
    r: SocialInsuranceRecordInput,
) -> Result<FkRecordInput, ApiError> {
    let f = |name: &str| format!("{field}[{i}].{name}");
    if let Some(d) = r.sick_leave_degree {
        if ![25, 50, 75, 100].contains(&d) {
            return Err(ApiError::bad_input(
                f("sickLeaveDegree"),
                "25, 50, 75 or 100",
            ));
        }
    }
    if let Some(end) = r.period_end {
        if end < r.period_start {
            return Err(ApiError::bad_input(f("periodEnd"), "is before periodStart"));
        }
    }
    Ok(FkRecordInput {
        external_id: input::required_text(&f("externalId"), &r.external_id, 100)?,
        personnummer: input::personnummer(&f("personnummer"), &r.personnummer)?,
        benefit: r.benefit.into(),
        sick_leave_degree: r.sick_leave_degree,
        period_start: r.period_start,
        period_end: r.period_end,
        rehabilitation_coordination: r.rehabilitation_coordination,
        diagnosis_group: opt_text(f("diagnosisGroup"), r.diagnosis_group, 100)?,
        expected_version: r
            .version
            .map(|v| input::version(&f("version"), v))
            .transpose()?,
    })
}

fn bulk_size(ctx: &Context<'_>, n: usize) -> Result<(), ApiError> {
    let max = rc(ctx).services.limits.max_bulk_rows;
    if n == 0 || n > max {
        return Err(ApiError::bad_input(
            "records",
            format!("between 1 and {max} rows per call"),
        ));
    }
    Ok(())
}

#[derive(Default)]
pub struct RecordsMutation;

#[Object]
impl RecordsMutation {
    /// Creates or updates one of AF's records by its external id.
    async fn upsert_employment_service_record(
        &self,
        ctx: &Context<'_>,
        record: EmploymentServiceRecordInput,
    ) -> Result<Row<EmploymentServiceRecord>> {
        let mut saved = upsert_af(ctx, "record", vec![record]).await?;
        Ok(saved.remove(0))
    }

    /// Up to 1,000 of AF's records in one call, all or nothing.
    async fn upsert_employment_service_records(
        &self,
        ctx: &Context<'_>,
        records: Vec<EmploymentServiceRecordInput>,
    ) -> Result<Vec<Row<EmploymentServiceRecord>>> {
        bulk_size(ctx, records.len())?;
        upsert_af(ctx, "records", records).await
    }

    /// Creates or updates one of FK's records by its external id.
    async fn upsert_social_insurance_record(
        &self,
        ctx: &Context<'_>,
        record: SocialInsuranceRecordInput,
    ) -> Result<Row<SocialInsuranceRecord>> {
        let mut saved = upsert_fk(ctx, "record", vec![record]).await?;
        Ok(saved.remove(0))
    }

    /// Up to 1,000 of FK's records in one call, all or nothing.
    async fn upsert_social_insurance_records(
        &self,
        ctx: &Context<'_>,
        records: Vec<SocialInsuranceRecordInput>,
    ) -> Result<Vec<Row<SocialInsuranceRecord>>> {
        bulk_size(ctx, records.len())?;
        upsert_fk(ctx, "records", records).await
    }
}

/// The upsert both agencies' record mutations share: the caller must be
/// the agency that keeps such records; every row is validated before
/// anything is written; all or nothing.
async fn upsert_rows<In, R: records::RecordInput, Out: OutputType>(
    ctx: &Context<'_>,
    field: &'static str,
    rows: Vec<In>,
    owner: (AgencyKind, &str),
    input: fn(&str, usize, In) -> Result<R, ApiError>,
    (type_name, wrap): (&'static str, fn(R::Model) -> Out),
) -> Result<Vec<Row<Out>>> {
    let r = rc(ctx);
    let p = r.principal()?;
    owner_kind(ctx, p, owner.0, owner.1)?;
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| input(field, i, row))
        .collect::<Result<Vec<_>, _>>()?;
    // All or nothing: an error drops the transaction, which rolls it back.
    let tx = write::begin(ctx).await?;
    let saved = records::upsert(&tx, &r.services.pii, &r.scope, p.agency_id, field, rows).await?;
    let participants: Vec<Uuid> = saved.iter().map(R::saved_participant).collect();
    write::commit(ctx, tx, &participants, &[type_name]).await?;
    Ok(saved
        .into_iter()
        .map(|m| {
            let tag = record_tag(R::saved_participant(&m), R::saved_owner(&m), None);
            Row::new(wrap(m), tag)
        })
        .collect())
}

async fn upsert_af(
    ctx: &Context<'_>,
    field: &'static str,
    rows: Vec<EmploymentServiceRecordInput>,
) -> Result<Vec<Row<EmploymentServiceRecord>>> {
    let owner = (AgencyKind::EmploymentService, "employment service records");
    let out = (
        "EmploymentServiceRecord",
        EmploymentServiceRecord as fn(_) -> _,
    );
    upsert_rows(ctx, field, rows, owner, af_input, out).await
}

async fn upsert_fk(
    ctx: &Context<'_>,
    field: &'static str,
    rows: Vec<SocialInsuranceRecordInput>,
) -> Result<Vec<Row<SocialInsuranceRecord>>> {
    let owner = (AgencyKind::SocialInsurance, "social insurance records");
    let out = ("SocialInsuranceRecord", SocialInsuranceRecord as fn(_) -> _);
    upsert_rows(ctx, field, rows, owner, fk_input, out).await
}
