//! AF's and FK's records, written by those agencies (integrators and
//! officers) by their own external id: one row or up to the bulk limit in
//! one call, all or nothing (the caller runs this inside a transaction).

use std::collections::HashMap;

use chrono::NaiveDate;
use entities::enums::Benefit;
use entities::{employment_service_record as af, participant, social_insurance_record as fk};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::vocabulary::error::{ApiError, ApiResult};
use pii::crypto::PiiKeys;
use pii::personnummer::Personnummer;

/// Rows per INSERT: well under PostgreSQL's and SQLite's bind-parameter limits.
const CHUNK: usize = 400;

pub struct AfRecordInput {
    pub external_id: String,
    pub personnummer: Personnummer,
    pub registered_on: Option<NaiveDate>,
    pub programme: Option<String>,
    pub support_decision: Option<String>,
    pub officer_ref: Option<String>,
    pub last_contact_on: Option<NaiveDate>,
    pub expected_version: Option<i32>,
}

pub struct FkRecordInput {
    pub external_id: String,
    pub personnummer: Personnummer,
    pub benefit: Benefit,
    pub sick_leave_degree: Option<i32>,
    pub period_start: NaiveDate,
    pub period_end: Option<NaiveDate>,
    pub rehabilitation_coordination: bool,
    pub diagnosis_group: Option<String>,
    pub expected_version: Option<i32>,
}

/// Participant ids for each row's personnummer, in one statement; a row
/// whose person is unknown is BAD_USER_INPUT naming that row.
async fn participant_ids(
    db: &impl ConnectionTrait,
    keys: &PiiKeys,
    field: &str,
    pnrs: &[&Personnummer],
) -> ApiResult<Vec<Uuid>> {
    let hashes: Vec<Vec<u8>> = pnrs.iter().map(|p| keys.lookup_hash(p)).collect();
    let found: HashMap<Vec<u8>, Uuid> = participant::Entity::find()
        .select_only()
        .column(participant::Column::PersonnummerHash)
        .column(participant::Column::Id)
        .filter(participant::Column::PersonnummerHash.is_in(hashes.clone()))
        .into_tuple::<(Vec<u8>, Uuid)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    hashes
        .iter()
        .enumerate()
        .map(|(i, h)| {
            found.get(h).copied().ok_or_else(|| {
                ApiError::bad_input(
                    format!("{field}[{i}].personnummer"),
                    "no participant with this personnummer; open a case first",
                )
            })
        })
        .collect()
}

/// Refuses a batch that names one external id twice.
fn unique_external_ids<'a>(field: &str, ids: impl Iterator<Item = &'a str>) -> ApiResult<()> {
    let mut seen = std::collections::HashSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            return Err(ApiError::bad_input(
                format!("{field}[{i}].externalId"),
                "appears twice in this call",
            ));
        }
    }
    Ok(())
}

/// Existing (id, version) by external id, and a check of the versions the caller read.
fn check_versions(
    field: &str,
    existing: &HashMap<String, (Uuid, i32)>,
    rows: impl Iterator<Item = (String, Option<i32>)>,
) -> ApiResult<()> {
    for (i, (ext, expected)) in rows.enumerate() {
        match (existing.get(&ext), expected) {
            (Some((_, v)), Some(e)) if *v != e => {
                return Err(ApiError::Conflict {
                    what: "record",
                    expected: e,
                })
            }
            (None, Some(_)) => {
                return Err(ApiError::bad_input(
                    format!("{field}[{i}].version"),
                    "a version was given for a record that does not exist",
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

pub async fn upsert_af(
    db: &impl ConnectionTrait,
    keys: &PiiKeys,
    owner: Uuid,
    field: &str,
    rows: Vec<AfRecordInput>,
) -> ApiResult<Vec<af::Model>> {
    unique_external_ids(field, rows.iter().map(|r| r.external_id.as_str()))?;
    let pids = participant_ids(
        db,
        keys,
        field,
        &rows.iter().map(|r| &r.personnummer).collect::<Vec<_>>(),
    )
    .await?;
    let ext_ids: Vec<String> = rows.iter().map(|r| r.external_id.clone()).collect();
    let existing: HashMap<String, (Uuid, i32)> = af::Entity::find()
        .select_only()
        .columns([af::Column::ExternalId, af::Column::Id, af::Column::Version])
        .filter(af::Column::OwnerAgencyId.eq(owner))
        .filter(af::Column::ExternalId.is_in(ext_ids.clone()))
        .into_tuple::<(String, Uuid, i32)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(e, id, v)| (e, (id, v)))
        .collect();
    check_versions(
        field,
        &existing,
        rows.iter()
            .map(|r| (r.external_id.clone(), r.expected_version)),
    )?;
    let now = super::now();
    let models: Vec<af::ActiveModel> = rows
        .into_iter()
        .zip(pids)
        .map(|(r, pid)| af::ActiveModel {
            id: Set(existing
                .get(&r.external_id)
                .map(|e| e.0)
                .unwrap_or_else(super::new_id)),
            owner_agency_id: Set(owner),
            external_id: Set(r.external_id),
            participant_id: Set(pid),
            registered_on: Set(r.registered_on),
            programme: Set(r.programme),
            support_decision: Set(r.support_decision),
            officer_ref: Set(r.officer_ref),
            last_contact_on: Set(r.last_contact_on),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        })
        .collect();
    for chunk in models.chunks(CHUNK) {
        af::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([af::Column::OwnerAgencyId, af::Column::ExternalId])
                    .update_columns([
                        af::Column::ParticipantId,
                        af::Column::RegisteredOn,
                        af::Column::Programme,
                        af::Column::SupportDecision,
                        af::Column::OfficerRef,
                        af::Column::LastContactOn,
                        af::Column::UpdatedAt,
                    ])
                    .value(
                        af::Column::Version,
                        Expr::col((af::Entity, af::Column::Version)).add(1),
                    )
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let mut saved: HashMap<String, af::Model> = af::Entity::find()
        .filter(af::Column::OwnerAgencyId.eq(owner))
        .filter(af::Column::ExternalId.is_in(ext_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.external_id.clone(), m))
        .collect();
    ext_ids
        .iter()
        .map(|e| saved.remove(e).ok_or(ApiError::NotFound("record")))
        .collect()
}

pub async fn upsert_fk(
    db: &impl ConnectionTrait,
    keys: &PiiKeys,
    owner: Uuid,
    field: &str,
    rows: Vec<FkRecordInput>,
) -> ApiResult<Vec<fk::Model>> {
    unique_external_ids(field, rows.iter().map(|r| r.external_id.as_str()))?;
    let pids = participant_ids(
        db,
        keys,
        field,
        &rows.iter().map(|r| &r.personnummer).collect::<Vec<_>>(),
    )
    .await?;
    let ext_ids: Vec<String> = rows.iter().map(|r| r.external_id.clone()).collect();
    let existing: HashMap<String, (Uuid, i32)> = fk::Entity::find()
        .select_only()
        .columns([fk::Column::ExternalId, fk::Column::Id, fk::Column::Version])
        .filter(fk::Column::OwnerAgencyId.eq(owner))
        .filter(fk::Column::ExternalId.is_in(ext_ids.clone()))
        .into_tuple::<(String, Uuid, i32)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(e, id, v)| (e, (id, v)))
        .collect();
    check_versions(
        field,
        &existing,
        rows.iter()
            .map(|r| (r.external_id.clone(), r.expected_version)),
    )?;
    let now = super::now();
    let models: Vec<fk::ActiveModel> = rows
        .into_iter()
        .zip(pids)
        .map(|(r, pid)| fk::ActiveModel {
            id: Set(existing
                .get(&r.external_id)
                .map(|e| e.0)
                .unwrap_or_else(super::new_id)),
            owner_agency_id: Set(owner),
            external_id: Set(r.external_id),
            participant_id: Set(pid),
            benefit: Set(r.benefit),
            sick_leave_degree: Set(r.sick_leave_degree),
            period_start: Set(r.period_start),
            period_end: Set(r.period_end),
            rehabilitation_coordination: Set(r.rehabilitation_coordination),
            diagnosis_group: Set(r.diagnosis_group),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        })
        .collect();
    for chunk in models.chunks(CHUNK) {
        fk::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([fk::Column::OwnerAgencyId, fk::Column::ExternalId])
                    .update_columns([
                        fk::Column::ParticipantId,
                        fk::Column::Benefit,
                        fk::Column::SickLeaveDegree,
                        fk::Column::PeriodStart,
                        fk::Column::PeriodEnd,
                        fk::Column::RehabilitationCoordination,
                        fk::Column::DiagnosisGroup,
                        fk::Column::UpdatedAt,
                    ])
                    .value(
                        fk::Column::Version,
                        Expr::col((fk::Entity, fk::Column::Version)).add(1),
                    )
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let mut saved: HashMap<String, fk::Model> = fk::Entity::find()
        .filter(fk::Column::OwnerAgencyId.eq(owner))
        .filter(fk::Column::ExternalId.is_in(ext_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.external_id.clone(), m))
        .collect();
    ext_ids
        .iter()
        .map(|e| saved.remove(e).ok_or(ApiError::NotFound("record")))
        .collect()
}
