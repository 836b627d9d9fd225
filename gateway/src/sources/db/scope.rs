//! Row scope, applied in SQL so pagination and counts stay right:
//! a coach sees the cases they are a member of; agency staff see the cases
//! their agency takes part in; analysts and auditors see no case rows.

use entities::{case_member, shared_case};
use sea_orm::sea_query::{Expr, Query, SimpleExpr, UnionType};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

use crate::auth::{Principal, Role};

#[derive(Debug, Clone)]
pub enum CaseScope {
    /// No personal rows at all.
    Nothing,
    /// Cases where this staff member is the coach or a member.
    Member { staff_id: Uuid },
    /// Cases this agency takes part in (and the caller's own, as above).
    Agency { agency_id: Uuid, staff_id: Uuid },
}

impl CaseScope {
    /// Deny unless a role allows: only roles that work on cases see cases.
    pub fn of(principal: Option<&Principal>) -> CaseScope {
        let Some(p) = principal else {
            return CaseScope::Nothing;
        };
        let agency_wide = [Role::Officer, Role::PlacementCoordinator, Role::Integrator]
            .iter()
            .any(|r| p.has_role(*r));
        if agency_wide {
            CaseScope::Agency {
                agency_id: p.agency_id,
                staff_id: p.staff_id,
            }
        } else if p.has_role(Role::Coach) {
            CaseScope::Member {
                staff_id: p.staff_id,
            }
        } else {
            CaseScope::Nothing
        }
    }

    /// A condition on `shared_case` rows.
    pub fn case_condition(&self) -> Condition {
        match self {
            CaseScope::Nothing => Condition::all().add(Expr::val(1).eq(0)),
            // A coach's cases are few: gather their ids from two indexes
            // (coach, membership) and fetch those rows by key. Written as
            // `coach_id = ? OR id IN (...)`, PostgreSQL scans every case
            // instead (52 ms against 1.7 ms on 112,000 cases).
            CaseScope::Member { staff_id } => Condition::all().add(
                shared_case::Column::Id.in_subquery(
                    Query::select()
                        .column(shared_case::Column::Id)
                        .from(shared_case::Entity)
                        .and_where(shared_case::Column::CoachId.eq(*staff_id))
                        .union(
                            UnionType::All,
                            Query::select()
                                .column(case_member::Column::CaseId)
                                .from(case_member::Entity)
                                .and_where(case_member::Column::StaffId.eq(*staff_id))
                                .to_owned(),
                        )
                        .to_owned(),
                ),
            ),
            // An agency takes part in most cases: one pass over the cases with
            // a hashed membership set beats fetching them by key.
            CaseScope::Agency {
                agency_id,
                staff_id,
            } => Condition::any()
                .add(shared_case::Column::CoachId.eq(*staff_id))
                .add(shared_case::Column::LeadAgencyId.eq(*agency_id))
                .add(
                    shared_case::Column::Id.in_subquery(
                        Query::select()
                            .column(case_member::Column::CaseId)
                            .from(case_member::Entity)
                            .and_where(case_member::Column::AgencyId.eq(*agency_id))
                            .to_owned(),
                    ),
                ),
        }
    }

    /// `column IN (ids of the cases in scope)`: for rows that hang off a case.
    pub fn via_case(&self, case_id_column: impl ColumnTrait) -> SimpleExpr {
        case_id_column.in_subquery(self.case_ids())
    }

    /// `column IN (participants of the cases in scope)`.
    pub fn via_participant(&self, participant_id_column: impl ColumnTrait) -> SimpleExpr {
        participant_id_column.in_subquery(
            Query::select()
                .column(shared_case::Column::ParticipantId)
                .from(shared_case::Entity)
                .cond_where(self.case_condition())
                .to_owned(),
        )
    }

    fn case_ids(&self) -> sea_orm::sea_query::SelectStatement {
        Query::select()
            .column(shared_case::Column::Id)
            .from(shared_case::Entity)
            .cond_where(self.case_condition())
            .to_owned()
    }
}
