//! AF's and FK's records, written by those agencies (integrators and
//! officers) by their own external id: one row or up to the bulk limit in
//! one call, all or nothing (the caller runs this inside a transaction).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::Benefit;
use entities::{employment_service_record as af, participant, social_insurance_record as fk};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::scope::CaseScope;
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
/// whose person is not in a case of the writer's scope is BAD_USER_INPUT
/// naming that row. The same answer for a person the gateway does not know
/// and for one only other agencies' cases hold: a write must not tell an
/// agency who else is registered.
async fn participant_ids(
    db: &impl ConnectionTrait,
    keys: &PiiKeys,
    scope: &CaseScope,
    field: &str,
    pnrs: &[&Personnummer],
) -> ApiResult<Vec<Uuid>> {
    let hashes: Vec<Vec<u8>> = pnrs.iter().map(|p| keys.lookup_hash(p)).collect();
    let found: HashMap<Vec<u8>, Uuid> = participant::Entity::find()
        .select_only()
        .column(participant::Column::PersonnummerHash)
        .column(participant::Column::Id)
        .filter(participant::Column::PersonnummerHash.is_in(hashes.clone()))
        .filter(scope.via_participant(participant::Column::Id))
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
                    "no participant with this personnummer in a case your agency takes part in; open a case first",
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

/// AF's or FK's record as its agency writes it: the one generic upsert
/// below needs only these.
pub trait RecordInput: Send + Sized {
    type Entity: EntityTrait<Model = Self::Model, ActiveModel = Self::Active>;
    type Model: Send + Sync + sea_orm::IntoActiveModel<Self::Active>;
    type Active: ActiveModelTrait<Entity = Self::Entity> + Send + Clone;
    /// The columns every table of agency records has.
    const ID: <Self::Entity as EntityTrait>::Column;
    const OWNER: <Self::Entity as EntityTrait>::Column;
    const EXTERNAL_ID: <Self::Entity as EntityTrait>::Column;
    const VERSION: <Self::Entity as EntityTrait>::Column;
    /// The columns a newer write of the same external id replaces.
    fn replaced() -> Vec<<Self::Entity as EntityTrait>::Column>;
    fn external_id(&self) -> &str;
    fn personnummer(&self) -> &Personnummer;
    fn expected_version(&self) -> Option<i32>;
    fn saved_external_id(m: &Self::Model) -> &str;
    fn saved_participant(m: &Self::Model) -> Uuid;
    fn saved_owner(m: &Self::Model) -> Uuid;
    /// The row to insert (its version 1; an existing row's is bumped).
    fn into_row(self, id: Uuid, owner: Uuid, participant: Uuid, now: DateTime<Utc>)
        -> Self::Active;
}

/// Writes `rows` for agency `owner` by their external ids, all or nothing:
/// a batch naming an external id twice, a person outside the writer's
/// cases (see [`participant_ids`]) or a stale
/// version writes nothing. Returns the saved rows in the order given.
pub async fn upsert<R: RecordInput>(
    db: &impl ConnectionTrait,
    keys: &PiiKeys,
    scope: &CaseScope,
    owner: Uuid,
    field: &str,
    rows: Vec<R>,
) -> ApiResult<Vec<R::Model>> {
    unique_external_ids(field, rows.iter().map(R::external_id))?;
    let pids = participant_ids(
        db,
        keys,
        scope,
        field,
        &rows.iter().map(R::personnummer).collect::<Vec<_>>(),
    )
    .await?;
    let ext_ids: Vec<String> = rows.iter().map(|r| r.external_id().to_string()).collect();
    let existing: HashMap<String, (Uuid, i32)> = R::Entity::find()
        .select_only()
        .columns([R::EXTERNAL_ID, R::ID, R::VERSION])
        .filter(R::OWNER.eq(owner))
        .filter(R::EXTERNAL_ID.is_in(ext_ids.clone()))
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
            .map(|r| (r.external_id().to_string(), r.expected_version())),
    )?;
    let now = super::now();
    let models: Vec<R::Active> = rows
        .into_iter()
        .zip(pids)
        .map(|(r, pid)| {
            let id = existing
                .get(r.external_id())
                .map(|e| e.0)
                .unwrap_or_else(super::new_id);
            r.into_row(id, owner, pid, now)
        })
        .collect();
    for chunk in models.chunks(CHUNK) {
        R::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([R::OWNER, R::EXTERNAL_ID])
                    .update_columns(R::replaced())
                    .value(
                        R::VERSION,
                        Expr::col((R::Entity::default(), R::VERSION)).add(1),
                    )
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let mut saved: HashMap<String, R::Model> = R::Entity::find()
        .filter(R::OWNER.eq(owner))
        .filter(R::EXTERNAL_ID.is_in(ext_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (R::saved_external_id(&m).to_string(), m))
        .collect();
    ext_ids
        .iter()
        .map(|e| saved.remove(e).ok_or(ApiError::NotFound("record")))
        .collect()
}

impl RecordInput for AfRecordInput {
    type Entity = af::Entity;
    type Model = af::Model;
    type Active = af::ActiveModel;
    const ID: af::Column = af::Column::Id;
    const OWNER: af::Column = af::Column::OwnerAgencyId;
    const EXTERNAL_ID: af::Column = af::Column::ExternalId;
    const VERSION: af::Column = af::Column::Version;

    fn replaced() -> Vec<af::Column> {
        vec![
            af::Column::ParticipantId,
            af::Column::RegisteredOn,
            af::Column::Programme,
            af::Column::SupportDecision,
            af::Column::OfficerRef,
            af::Column::LastContactOn,
            af::Column::UpdatedAt,
        ]
    }
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn personnummer(&self) -> &Personnummer {
        &self.personnummer
    }
    fn expected_version(&self) -> Option<i32> {
        self.expected_version
    }
    fn saved_external_id(m: &af::Model) -> &str {
        &m.external_id
    }
    fn saved_participant(m: &af::Model) -> Uuid {
        m.participant_id
    }
    fn saved_owner(m: &af::Model) -> Uuid {
        m.owner_agency_id
    }
    fn into_row(
        self,
        id: Uuid,
        owner: Uuid,
        participant: Uuid,
        now: DateTime<Utc>,
    ) -> af::ActiveModel {
        af::ActiveModel {
            id: Set(id),
            owner_agency_id: Set(owner),
            external_id: Set(self.external_id),
            participant_id: Set(participant),
            registered_on: Set(self.registered_on),
            programme: Set(self.programme),
            support_decision: Set(self.support_decision),
            officer_ref: Set(self.officer_ref),
            last_contact_on: Set(self.last_contact_on),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
    }
}

impl RecordInput for FkRecordInput {
    type Entity = fk::Entity;
    type Model = fk::Model;
    type Active = fk::ActiveModel;
    const ID: fk::Column = fk::Column::Id;
    const OWNER: fk::Column = fk::Column::OwnerAgencyId;
    const EXTERNAL_ID: fk::Column = fk::Column::ExternalId;
    const VERSION: fk::Column = fk::Column::Version;

    fn replaced() -> Vec<fk::Column> {
        vec![
            fk::Column::ParticipantId,
            fk::Column::Benefit,
            fk::Column::SickLeaveDegree,
            fk::Column::PeriodStart,
            fk::Column::PeriodEnd,
            fk::Column::RehabilitationCoordination,
            fk::Column::DiagnosisGroup,
            fk::Column::UpdatedAt,
        ]
    }
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn personnummer(&self) -> &Personnummer {
        &self.personnummer
    }
    fn expected_version(&self) -> Option<i32> {
        self.expected_version
    }
    fn saved_external_id(m: &fk::Model) -> &str {
        &m.external_id
    }
    fn saved_participant(m: &fk::Model) -> Uuid {
        m.participant_id
    }
    fn saved_owner(m: &fk::Model) -> Uuid {
        m.owner_agency_id
    }
    fn into_row(
        self,
        id: Uuid,
        owner: Uuid,
        participant: Uuid,
        now: DateTime<Utc>,
    ) -> fk::ActiveModel {
        fk::ActiveModel {
            id: Set(id),
            owner_agency_id: Set(owner),
            external_id: Set(self.external_id),
            participant_id: Set(participant),
            benefit: Set(self.benefit),
            sick_leave_degree: Set(self.sick_leave_degree),
            period_start: Set(self.period_start),
            period_end: Set(self.period_end),
            rehabilitation_coordination: Set(self.rehabilitation_coordination),
            diagnosis_group: Set(self.diagnosis_group),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
    }
}
