//! Participants. The personnummer is stored only encrypted, with a keyed
//! hash for lookup; this module is the only place that writes either.

use entities::enums::{EducationLevel, IncomeSource, Sex, TargetGroup};
use entities::participant;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::scope::CaseScope;
use crate::vocabulary::error::{ApiError, ApiResult};
use pii::crypto::PiiKeys;
use pii::personnummer::Personnummer;

pub async fn find_by_personnummer(
    db: &impl ConnectionTrait,
    keys: &PiiKeys,
    pnr: &Personnummer,
) -> ApiResult<Option<participant::Model>> {
    Ok(participant::Entity::find()
        .filter(participant::Column::PersonnummerHash.eq(keys.lookup_hash(pnr)))
        .one(db)
        .await?)
}

/// The participant with this personnummer, if one of their cases is in the
/// caller's scope. One statement whether or not the person exists
/// elsewhere: the answer and its cost are the same for a person unknown to
/// the gateway and for one only other agencies' cases hold.
pub async fn find_visible_by_personnummer(
    db: &impl ConnectionTrait,
    keys: &PiiKeys,
    scope: &CaseScope,
    pnr: &Personnummer,
) -> ApiResult<participant::Model> {
    participant::Entity::find()
        .filter(participant::Column::PersonnummerHash.eq(keys.lookup_hash(pnr)))
        .filter(scope.via_participant(participant::Column::Id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("participant"))
}

/// The participant, if one of their cases is in the caller's scope.
pub async fn get_visible(
    db: &impl ConnectionTrait,
    scope: &CaseScope,
    id: Uuid,
) -> ApiResult<participant::Model> {
    participant::Entity::find_by_id(id)
        .filter(scope.via_participant(participant::Column::Id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("participant"))
}

/// What an agency registers about a person when it opens a case for them.
/// Each case keeps its opener's (see `shared_case`); the participant row
/// keeps the first registration, for the statistics.
#[derive(Debug, Clone)]
pub struct Registration {
    pub given_name: String,
    pub family_name: String,
    pub district: String,
    pub target_groups: Vec<TargetGroup>,
    pub education_level: EducationLevel,
    pub income_source: IncomeSource,
}

pub struct NewParticipant {
    pub registration: Registration,
    pub protected_identity: bool,
    /// The unit that alone sees a protected identity (the registering unit).
    pub owning_unit_id: Option<uuid::Uuid>,
    /// The registering agency: the source of what is registered here.
    pub registered_by_agency_id: uuid::Uuid,
}

/// Returns the existing participant with this personnummer, or registers one.
pub async fn find_or_create(
    db: &impl ConnectionTrait,
    keys: &PiiKeys,
    pnr: &Personnummer,
    n: NewParticipant,
) -> ApiResult<participant::Model> {
    if let Some(existing) = find_by_personnummer(db, keys, pnr).await? {
        // Protected identity is raised by whoever learns of it and never
        // lowered by a later registration: a later caller's `false` says
        // only that they did not know. Raised for the person (the
        // statistics count them anonymously) and in every case of theirs,
        // each of which stays its own unit's to see. The row's version is
        // left alone: a version past 1 would tell the next opener that
        // someone else already knew the person.
        if n.protected_identity && !existing.protected_identity {
            participant::Entity::update_many()
                .col_expr(participant::Column::ProtectedIdentity, true.into())
                .col_expr(
                    participant::Column::OwningUnitId,
                    existing.owning_unit_id.or(n.owning_unit_id).into(),
                )
                .filter(participant::Column::Id.eq(existing.id))
                .exec(db)
                .await?;
        }
        if n.protected_identity {
            entities::shared_case::Entity::update_many()
                .col_expr(
                    entities::shared_case::Column::ProtectedIdentity,
                    true.into(),
                )
                .filter(entities::shared_case::Column::ParticipantId.eq(existing.id))
                .exec(db)
                .await?;
            return participant::Entity::find_by_id(existing.id)
                .one(db)
                .await?
                .ok_or(ApiError::NotFound("participant"));
        }
        return Ok(existing);
    }
    let r = n.registration;
    let now = super::now();
    let id = super::new_id();
    let row = participant::ActiveModel {
        id: Set(id),
        personnummer_enc: Set(keys.encrypt_personnummer(pnr)),
        personnummer_hash: Set(keys.lookup_hash(pnr)),
        given_name: Set(r.given_name),
        family_name: Set(r.family_name),
        birth_year: Set(pnr.birth_year()),
        sex: Set(match pnr.sex() {
            pii::personnummer::Sex::Female => Sex::Female,
            pii::personnummer::Sex::Male => Sex::Male,
        }),
        district: Set(r.district),
        target_groups: Set(entities::enums::join_codes(&r.target_groups)),
        education_level: Set(r.education_level),
        income_source: Set(r.income_source),
        protected_identity: Set(n.protected_identity),
        owning_unit_id: Set(n.protected_identity.then_some(n.owning_unit_id).flatten()),
        registered_by_agency_id: Set(Some(n.registered_by_agency_id)),
        // Only the data generator marks people synthetic; a number alone cannot tell.
        synthetic: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    participant::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    participant::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("participant"))
}
