//! An agency's records in its API's JSON (`deploy/openapi/`), from the
//! gateway's tables: the data an agency simulator serves, so that `gateway
//! demo` (and the tests) can read AF and FK live and get the same records
//! the database holds. Synthetic data only: it writes personnummer in
//! clear, as the agency's own API would.

use std::collections::HashMap;

use entities::{employment_service_record as af, participant, social_insurance_record as fk};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::crypto::PiiKeys;

/// Personnummer in clear by participant id.
async fn personnummer(
    db: &DatabaseConnection,
    keys: &PiiKeys,
    ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, String>, DbErr> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(1000) {
        let rows: Vec<(Uuid, Vec<u8>)> = participant::Entity::find()
            .select_only()
            .column(participant::Column::Id)
            .column(participant::Column::PersonnummerEnc)
            .filter(participant::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, enc) in rows {
            let p = keys
                .decrypt_personnummer(&enc)
                .map_err(|e| DbErr::Custom(format!("participant {id}: {e}")))?;
            out.insert(id, p.expose_digits().to_string());
        }
    }
    Ok(out)
}

/// AF's records (owner `agency`) as the employment service API's records.
pub async fn employment_service_records(
    db: &DatabaseConnection,
    keys: &PiiKeys,
    agency: Uuid,
) -> Result<Vec<Value>, DbErr> {
    let rows = af::Entity::find()
        .filter(af::Column::OwnerAgencyId.eq(agency))
        .order_by_asc(af::Column::ExternalId)
        .all(db)
        .await?;
    let pnr = personnummer(db, keys, rows.iter().map(|r| r.participant_id).collect()).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(json!({
                "externalId": r.external_id,
                "personnummer": pnr.get(&r.participant_id)?,
                "registeredOn": r.registered_on,
                "programme": r.programme,
                "supportDecision": r.support_decision,
                "officerRef": r.officer_ref,
                "lastContactOn": r.last_contact_on,
                "version": r.version,
                "updatedAt": r.updated_at.to_rfc3339(),
            }))
        })
        .collect())
}

/// FK's records (owner `agency`) as the social insurance API's records.
pub async fn social_insurance_records(
    db: &DatabaseConnection,
    keys: &PiiKeys,
    agency: Uuid,
) -> Result<Vec<Value>, DbErr> {
    let rows = fk::Entity::find()
        .filter(fk::Column::OwnerAgencyId.eq(agency))
        .order_by_asc(fk::Column::ExternalId)
        .all(db)
        .await?;
    let pnr = personnummer(db, keys, rows.iter().map(|r| r.participant_id).collect()).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let benefit = serde_json::to_value(r.benefit).ok()?;
            Some(json!({
                "externalId": r.external_id,
                "personnummer": pnr.get(&r.participant_id)?,
                "benefit": benefit,
                "sickLeaveDegree": r.sick_leave_degree,
                "periodStart": r.period_start,
                "periodEnd": r.period_end,
                "rehabilitationCoordination": r.rehabilitation_coordination,
                "diagnosisGroup": r.diagnosis_group,
                "version": r.version,
                "updatedAt": r.updated_at.to_rfc3339(),
            }))
        })
        .collect())
}
