//! Arbetsförmedlingen's and Försäkringskassan's records. Each agency writes
//! only its own, by its own external id; others see them only under a
//! consent that covers the category, the case and today (rows here, fields
//! with a stricter classification such as `diagnosisGroup` in the policy
//! extension).

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::NaiveDate;
use entities::enums::AgencyKind;
use entities::{employment_service_record as af, shared_case, social_insurance_record as fk};
use uuid::Uuid;

use super::context::{load_err, rc};
use super::enums::Benefit;
use super::input;
use super::org::{agency_by_id, Agency};
use super::write;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::policy::consent;
use crate::policy::{Row, RowTag};
use crate::sources::db::records::{self, AfRecordInput, FkRecordInput};

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
    let rows = rc(ctx)
        .loaders
        .participant_af_records
        .load_one(case.participant_id)
        .await
        .map_err(load_err)?
        .unwrap_or_default();
    let shown = consent::consented_rows(ctx, case, "EmploymentServiceRecord", rows, |r| {
        r.owner_agency_id
    })
    .await?;
    Ok(shown
        .into_iter()
        .map(|m| {
            let tag = record_tag(m.participant_id, m.owner_agency_id, Some(case.id));
            Row::new(EmploymentServiceRecord(m), tag)
        })
        .collect())
}

pub async fn fk_records(
    ctx: &Context<'_>,
    case: &shared_case::Model,
) -> Result<Vec<Row<SocialInsuranceRecord>>> {
    let rows = rc(ctx)
        .loaders
        .participant_fk_records
        .load_one(case.participant_id)
        .await
        .map_err(load_err)?
        .unwrap_or_default();
    let shown = consent::consented_rows(ctx, case, "SocialInsuranceRecord", rows, |r| {
        r.owner_agency_id
    })
    .await?;
    Ok(shown
        .into_iter()
        .map(|m| {
            let tag = record_tag(m.participant_id, m.owner_agency_id, Some(case.id));
            Row::new(SocialInsuranceRecord(m), tag)
        })
        .collect())
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
fn owner_kind(p: &Principal, kind: AgencyKind, what: &str) -> Result<(), ApiError> {
    if p.agency_kind != kind {
        return Err(ApiError::Forbidden(format!(
            "{what} are owned by their agency; yours cannot write them"
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

async fn upsert_af(
    ctx: &Context<'_>,
    field: &'static str,
    rows: Vec<EmploymentServiceRecordInput>,
) -> Result<Vec<Row<EmploymentServiceRecord>>> {
    let r = rc(ctx);
    let p = r.principal()?;
    owner_kind(
        p,
        AgencyKind::EmploymentService,
        "employment service records",
    )?;
    // Every row is validated before anything is written.
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| af_input(field, i, row))
        .collect::<Result<Vec<_>, _>>()?;
    // All or nothing: an error drops the transaction, which rolls it back.
    let tx = write::begin(ctx).await?;
    let saved = records::upsert_af(&tx, &r.services.pii, p.agency_id, field, rows).await?;
    let participants: Vec<Uuid> = saved.iter().map(|m| m.participant_id).collect();
    write::commit(ctx, tx, &participants, &["EmploymentServiceRecord"]).await?;
    Ok(saved
        .into_iter()
        .map(|m| {
            let tag = record_tag(m.participant_id, m.owner_agency_id, None);
            Row::new(EmploymentServiceRecord(m), tag)
        })
        .collect())
}

async fn upsert_fk(
    ctx: &Context<'_>,
    field: &'static str,
    rows: Vec<SocialInsuranceRecordInput>,
) -> Result<Vec<Row<SocialInsuranceRecord>>> {
    let r = rc(ctx);
    let p = r.principal()?;
    owner_kind(p, AgencyKind::SocialInsurance, "social insurance records")?;
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| fk_input(field, i, row))
        .collect::<Result<Vec<_>, _>>()?;
    // All or nothing: an error drops the transaction, which rolls it back.
    let tx = write::begin(ctx).await?;
    let saved = records::upsert_fk(&tx, &r.services.pii, p.agency_id, field, rows).await?;
    let participants: Vec<Uuid> = saved.iter().map(|m| m.participant_id).collect();
    write::commit(ctx, tx, &participants, &["SocialInsuranceRecord"]).await?;
    Ok(saved
        .into_iter()
        .map(|m| {
            let tag = record_tag(m.participant_id, m.owner_agency_id, None);
            Row::new(SocialInsuranceRecord(m), tag)
        })
        .collect())
}
