//! An agency's records in its API's JSON (`deploy/openapi/`), from the
//! gateway's tables: the data an agency simulator serves, so that `gateway
//! demo` (and the tests) can read AF and FK live and get the same records
//! the database holds. Synthetic data only: it writes personnummer in
//! clear, as the agency's own API would.

use std::collections::HashMap;

use agency_api as api;
use entities::{employment_service_record as af, participant, social_insurance_record as fk};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{json, Value};
use uuid::Uuid;

use pii::crypto::PiiKeys;

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
            wire(&api::EmploymentServiceRecord {
                personnummer: api::Personnummer(pnr.get(&r.participant_id)?.clone()),
                external_id: api::ExternalId(r.external_id),
                registered_on: r.registered_on.map(api::Date),
                programme: r.programme.map(api::Text),
                support_decision: r.support_decision.map(api::Text),
                officer_ref: r.officer_ref.map(api::Text),
                last_contact_on: r.last_contact_on.map(api::Date),
                version: api::Version(r.version),
                updated_at: api::Timestamp(r.updated_at),
            })
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
            wire(&api::SocialInsuranceRecord {
                personnummer: api::Personnummer(pnr.get(&r.participant_id)?.clone()),
                external_id: api::ExternalId(r.external_id),
                benefit: api::Benefit(r.benefit),
                sick_leave_degree: r.sick_leave_degree.map(api::SickLeaveDegree),
                period_start: api::Date(r.period_start),
                period_end: r.period_end.map(api::Date),
                rehabilitation_coordination: api::Flag(r.rehabilitation_coordination),
                diagnosis_group: r.diagnosis_group.map(api::Text),
                version: api::Version(r.version),
                updated_at: api::Timestamp(r.updated_at),
            })
        })
        .collect())
}

/// A record as the JSON the API sends (the simulator serves it as it is).
fn wire(record: &impl serde::Serialize) -> Option<Value> {
    serde_json::to_value(record).ok()
}

/// Why the simulators' data could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("agency {0} is not in the database")]
    NoAgency(String),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// One agency simulator's data file: the agency's code (`af` or `fk`) and
/// the file's name under `DIR/upstream/` (without `.json`).
pub type Simulator = (&'static str, &'static str);

/// Writes each simulator's data file from the database:
/// `dir/upstream/<file>.json` with `{ "records": [...] }`. Returns the
/// number of records and the path of each file written.
pub async fn write_simulator_data(
    db: &DatabaseConnection,
    keys: &PiiKeys,
    simulators: impl IntoIterator<Item = Simulator>,
    dir: &std::path::Path,
) -> Result<Vec<(&'static str, usize, std::path::PathBuf)>, ExportError> {
    let dir = dir.join("upstream");
    let io = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Io { path, source }
    };
    let mut written = Vec::new();
    for (code, file) in simulators {
        let agency = entities::agency::Entity::find()
            .filter(entities::agency::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| ExportError::NoAgency(code.to_string()))?;
        let records = match code {
            "af" => employment_service_records(db, keys, agency.id).await?,
            _ => social_insurance_records(db, keys, agency.id).await?,
        };
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(format!("{file}.json"));
        let tmp = path.with_extension("json.tmp");
        let body = serde_json::to_vec(&json!({ "records": records }))
            .expect("JSON values always serialize");
        std::fs::write(&tmp, body).map_err(io(&tmp))?;
        // Renamed into place: a simulator waiting for it never reads half a file.
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        written.push((code, records.len(), path));
    }
    Ok(written)
}
