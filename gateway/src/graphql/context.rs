//! Per-request context: who is calling, the shared services, and this
//! request's DataLoaders (created per request so their caches never leak
//! rows between callers).

use std::sync::Arc;

// Loaders live for one request, so caching within it is safe and saves
// re-reading rows two relations share (a staff member, a consent list).
use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::Context;
use entities::*;
use sea_orm::DatabaseConnection;

use super::Ledger;
use super::Services;
use crate::policy::{Access, Policy};
use crate::sources::db::loaders::{ById, Children};
use crate::sources::db::scope::CaseScope;
use crate::sources::upstream::{self, AgencyLoader, EmploymentService, SocialInsurance, Upstreams};
use crate::vocabulary::error::{ApiError, ApiResult};
use crate::vocabulary::Principal;

type ByIdLoader<E> = DataLoader<ById<E>, HashMapCache>;
pub type ChildLoader<E> = DataLoader<Children<E>, HashMapCache>;

pub struct Loaders {
    pub agency: ByIdLoader<agency::Entity>,
    pub org_unit: ByIdLoader<org_unit::Entity>,
    pub staff: ByIdLoader<staff::Entity>,
    pub participant: ByIdLoader<participant::Entity>,
    /// Cases by id, unscoped: only for a row already reached through its
    /// case (a placement's), never as a way in.
    pub case: ByIdLoader<shared_case::Entity>,
    pub ladder_step: ByIdLoader<ladder_step::Entity>,
    pub slot: ByIdLoader<placement_slot::Entity>,
    pub plan_goals: ChildLoader<goal::Entity>,
    pub case_members: ChildLoader<case_member::Entity>,
    pub case_plans: ChildLoader<plan::Entity>,
    pub case_steps: ChildLoader<step_history::Entity>,
    pub case_interventions: ChildLoader<intervention::Entity>,
    pub case_placements: ChildLoader<placement::Entity>,
    pub case_follow_ups: ChildLoader<follow_up::Entity>,
    pub slot_placements: ChildLoader<placement::Entity>,
    pub participant_cases: ChildLoader<shared_case::Entity>,
    /// Every consent of a participant: what consent decisions weigh.
    pub participant_consents: ChildLoader<consent::Entity>,
    /// A case's own consents and enrolments: what `Case` shows.
    pub case_consents: ChildLoader<consent::Entity>,
    pub case_enrolments: ChildLoader<enrolment::Entity>,
    pub participant_af_records: ChildLoader<employment_service_record::Entity>,
    pub participant_fk_records: ChildLoader<social_insurance_record::Entity>,
    pub sub_project_enrolments: ChildLoader<enrolment::Entity>,
    pub project_sub_projects: ChildLoader<sub_project::Entity>,
    /// One per agency whose records are read from its API.
    pub af_upstream: Vec<AgencyLoader<EmploymentService>>,
    pub fk_upstream: Vec<AgencyLoader<SocialInsurance>>,
}

fn by_id<E>(db: &DatabaseConnection) -> ByIdLoader<E>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    DataLoader::with_cache(
        ById::<E>::new(db.clone()),
        tokio::spawn,
        HashMapCache::default(),
    )
}

fn children<E>(loader: Children<E>) -> ChildLoader<E>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
    E::Column: Send + Sync,
{
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
}

impl Loaders {
    fn new(db: &DatabaseConnection, scope: &CaseScope, upstreams: &Upstreams) -> Self {
        macro_rules! kids {
            ($entity:ident, $parent:ident, $order:ident) => {
                children(Children::<$entity::Entity>::new(
                    db.clone(),
                    $entity::Column::$parent,
                    $entity::Column::$order,
                ))
            };
        }
        Self {
            agency: by_id(db),
            org_unit: by_id(db),
            staff: by_id(db),
            participant: by_id(db),
            case: by_id(db),
            ladder_step: by_id(db),
            slot: by_id(db),
            plan_goals: kids!(goal, PlanId, CreatedAt),
            case_members: kids!(case_member, CaseId, JoinedOn),
            case_plans: kids!(plan, CaseId, CreatedAt),
            case_steps: kids!(step_history, CaseId, EnteredOn),
            case_interventions: kids!(intervention, CaseId, StartedOn),
            case_placements: kids!(placement, CaseId, StartedOn),
            case_follow_ups: kids!(follow_up, CaseId, OccurredAt),
            // Reached from a slot, a placement must still be in the caller's scope.
            slot_placements: children(
                Children::<placement::Entity>::new(
                    db.clone(),
                    placement::Column::SlotId,
                    placement::Column::StartedOn,
                )
                .only(scope.via_case(placement::Column::CaseId)),
            ),
            participant_cases: children(
                Children::<shared_case::Entity>::new(
                    db.clone(),
                    shared_case::Column::ParticipantId,
                    shared_case::Column::OpenedOn,
                )
                .only(sea_orm::sea_query::SimpleExpr::from(scope.case_condition())),
            ),
            participant_consents: kids!(consent, ParticipantId, SignedOn),
            case_consents: kids!(consent, CaseId, SignedOn),
            case_enrolments: kids!(enrolment, CaseId, EnrolledOn),
            participant_af_records: kids!(employment_service_record, ParticipantId, CreatedAt),
            participant_fk_records: kids!(social_insurance_record, ParticipantId, PeriodStart),
            sub_project_enrolments: children(
                Children::<enrolment::Entity>::new(
                    db.clone(),
                    enrolment::Column::SubProjectId,
                    enrolment::Column::EnrolledOn,
                )
                // The enrolments of cases in scope, not every enrolment of
                // anyone who has a case in scope: a case an agency opened
                // must not show it the person's other collaborations.
                .only(scope.via_case(enrolment::Column::CaseId)),
            ),
            project_sub_projects: kids!(sub_project, ProjectId, Code),
            af_upstream: upstream::loaders(upstreams),
            fk_upstream: upstream::loaders(upstreams),
        }
    }
}

/// Put into every request's data by the HTTP handler.
pub struct RequestContext {
    pub principal: Option<Principal>,
    pub scope: CaseScope,
    pub services: Arc<Services>,
    pub loaders: Loaders,
    /// The policy this request is decided by (one snapshot for the whole request).
    pub policy: Arc<Policy>,
    /// What the policy lets this caller read and write.
    pub access: Access,
    /// Rows returned and fields read or withheld, for decisions and the audit.
    pub ledger: Ledger,
    /// Ties the audit events to the request's trace.
    pub trace_id: Option<String>,
}

impl RequestContext {
    pub fn new(
        principal: Option<Principal>,
        services: Arc<Services>,
        trace_id: Option<String>,
    ) -> Self {
        let scope = CaseScope::of(principal.as_ref());
        let loaders = Loaders::new(&services.db, &scope, &services.upstreams);
        let policy = services.policy.snapshot();
        let access = policy.access(principal.as_ref());
        Self {
            principal,
            scope,
            services,
            loaders,
            policy,
            access,
            ledger: Ledger::default(),
            trace_id,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.services.db
    }

    /// An audit event of this caller's request (`None` without a caller:
    /// nothing personal is ever given to one).
    pub fn audit_event(
        &self,
        operation: String,
        decision: crate::audit::Decision,
        participant_ids: Vec<uuid::Uuid>,
        fields: Vec<String>,
    ) -> Option<crate::audit::NewEvent> {
        let p = self.principal.as_ref()?;
        Some(crate::audit::NewEvent {
            at: self.services.clock.now(),
            agency: p.agency.clone(),
            subject: p.subject.clone(),
            role: p.roles_label(),
            operation,
            participant_ids,
            fields,
            decision,
            trace_id: self.trace_id.clone(),
        })
    }

    /// Today in Sweden, by the gateway's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.services.clock.today()
    }

    /// The caller, or UNAUTHENTICATED: personal data needs a signed-in caller.
    pub fn principal(&self) -> ApiResult<&Principal> {
        self.principal.as_ref().ok_or_else(|| {
            ApiError::Unauthenticated("sign in with your agency's identity provider".into())
        })
    }
}

/// Short access from a resolver's `Context`.
pub fn rc<'a>(ctx: &Context<'a>) -> &'a RequestContext {
    ctx.data_unchecked::<RequestContext>()
}

/// Maps a loader error into the API error (logged as internal).
pub fn load_err(e: Arc<sea_orm::DbErr>) -> ApiError {
    ApiError::internal(format!("database: {e}"))
}

/// Children of `parent` through a per-request loader, wrapped as API types.
pub async fn children_of<E, T>(
    loader: &ChildLoader<E>,
    parent: uuid::Uuid,
    wrap: impl Fn(E::Model) -> T,
) -> async_graphql::Result<Vec<T>>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
    E::Column: Send + Sync,
{
    let rows = loader.load_one(parent).await.map_err(load_err)?;
    Ok(rows.unwrap_or_default().into_iter().map(wrap).collect())
}
