//! sea-orm entities of the Samverkan gateway: one module per table, enums in
//! [`enums`]. No logic here beyond small helpers; see `/work/shared/DESIGN.md`
//! ("Domain model") and the table spec.

pub mod agency;
pub mod agreement;
pub mod allocation;
pub mod allocation_model;
pub mod audit_event;
pub mod audit_head;
pub mod audit_participant;
pub mod case_member;
pub mod consent;
pub mod employment_service_record;
pub mod enrolment;
pub mod enums;
pub mod follow_up;
pub mod goal;
pub mod intervention;
pub mod ladder_step;
pub mod org_unit;
pub mod participant;
pub mod placement;
pub mod placement_slot;
pub mod plan;
pub mod procurement_contract;
pub mod project;
pub mod shared_case;
pub mod social_insurance_record;
pub mod staff;
pub mod step_history;
pub mod sub_project;

/// Entity aliases, e.g. `use entities::prelude::*; Participant::find()`.
pub mod prelude {
    pub use crate::agency::Entity as Agency;
    pub use crate::agreement::Entity as Agreement;
    pub use crate::allocation::Entity as Allocation;
    pub use crate::allocation_model::Entity as AllocationModel;
    pub use crate::audit_event::Entity as AuditEvent;
    pub use crate::audit_head::Entity as AuditHead;
    pub use crate::audit_participant::Entity as AuditParticipant;
    pub use crate::case_member::Entity as CaseMember;
    pub use crate::consent::Entity as Consent;
    pub use crate::employment_service_record::Entity as EmploymentServiceRecord;
    pub use crate::enrolment::Entity as Enrolment;
    pub use crate::follow_up::Entity as FollowUp;
    pub use crate::goal::Entity as Goal;
    pub use crate::intervention::Entity as Intervention;
    pub use crate::ladder_step::Entity as LadderStep;
    pub use crate::org_unit::Entity as OrgUnit;
    pub use crate::participant::Entity as Participant;
    pub use crate::placement::Entity as Placement;
    pub use crate::placement_slot::Entity as PlacementSlot;
    pub use crate::plan::Entity as Plan;
    pub use crate::procurement_contract::Entity as ProcurementContract;
    pub use crate::project::Entity as Project;
    pub use crate::shared_case::Entity as SharedCase;
    pub use crate::social_insurance_record::Entity as SocialInsuranceRecord;
    pub use crate::staff::Entity as Staff;
    pub use crate::step_history::Entity as StepHistory;
    pub use crate::sub_project::Entity as SubProject;
}
