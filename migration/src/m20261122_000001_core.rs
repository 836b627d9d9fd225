//! Core schema: every table of the table spec, with foreign keys declared
//! inline (SQLite cannot add them later), unique constraints and indexes.
//! Types map to PostgreSQL and SQLite alike: uuid, date, timestamp with time
//! zone, bigint, bytea/blob, and text for enums.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns every table (except `audit_event`) has.
#[derive(DeriveIden)]
enum Common {
    Id,
    CreatedAt,
    UpdatedAt,
    Version,
}

/// `CREATE TABLE IF NOT EXISTS` with the uuid primary key `id`.
fn table(name: impl IntoIden + 'static) -> TableCreateStatement {
    Table::create()
        .table(name)
        .if_not_exists()
        .col(ColumnDef::new(Common::Id).uuid().not_null().primary_key())
        .to_owned()
}

/// Appends `created_at`, `updated_at` and `version` (NOT NULL DEFAULT 1).
fn with_std_columns(t: &mut TableCreateStatement) {
    t.col(
        ColumnDef::new(Common::CreatedAt)
            .timestamp_with_time_zone()
            .not_null(),
    )
    .col(
        ColumnDef::new(Common::UpdatedAt)
            .timestamp_with_time_zone()
            .not_null(),
    )
    .col(
        ColumnDef::new(Common::Version)
            .integer()
            .not_null()
            .default(1),
    );
}

/// Inline foreign key `fk_<table>_<column>` to `<target>.id`.
fn fk(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    target: impl IntoIden + 'static,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(target, Common::Id)
        .on_delete(on_delete)
        .to_owned()
}

/// `CREATE [UNIQUE] INDEX IF NOT EXISTS name ON table (cols...)`.
fn index<T, C>(
    name: &str,
    table: T,
    cols: impl IntoIterator<Item = C>,
    unique: bool,
) -> IndexCreateStatement
where
    T: IntoIden + 'static,
    C: IntoIndexColumn,
{
    let mut i = Index::create();
    i.if_not_exists().name(name).table(table);
    for c in cols {
        i.col(c);
    }
    if unique {
        i.unique();
    }
    i
}

/// `DROP TABLE IF EXISTS`.
async fn drop_table(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + 'static,
) -> Result<(), DbErr> {
    manager
        .drop_table(Table::drop().table(table).if_exists().to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // agency
        let mut t = table(Agency::Table);
        t.col(ColumnDef::new(Agency::Code).text().not_null().unique_key());
        t.col(ColumnDef::new(Agency::Name).text().not_null());
        t.col(ColumnDef::new(Agency::Kind).string().not_null());
        with_std_columns(&mut t);
        manager.create_table(t).await?;

        // org_unit
        let mut t = table(OrgUnit::Table);
        t.col(ColumnDef::new(OrgUnit::AgencyId).uuid().not_null());
        t.col(ColumnDef::new(OrgUnit::ParentId).uuid().null());
        t.col(ColumnDef::new(OrgUnit::Code).text().not_null());
        t.col(ColumnDef::new(OrgUnit::Name).text().not_null());
        t.col(ColumnDef::new(OrgUnit::Kind).string().not_null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_org_unit_agency_id",
            (OrgUnit::Table, OrgUnit::AgencyId),
            Agency::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_org_unit_parent_id",
            (OrgUnit::Table, OrgUnit::ParentId),
            OrgUnit::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "uq_org_unit_agency_id_code",
                OrgUnit::Table,
                [OrgUnit::AgencyId, OrgUnit::Code],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_org_unit_parent_id",
                OrgUnit::Table,
                [OrgUnit::ParentId],
                false,
            ))
            .await?;

        // staff
        let mut t = table(Staff::Table);
        t.col(ColumnDef::new(Staff::AgencyId).uuid().not_null());
        t.col(ColumnDef::new(Staff::Subject).text().not_null());
        t.col(ColumnDef::new(Staff::DisplayName).text().not_null());
        t.col(ColumnDef::new(Staff::UnitId).uuid().null());
        t.col(ColumnDef::new(Staff::Roles).text().not_null());
        t.col(
            ColumnDef::new(Staff::LastSeenAt)
                .timestamp_with_time_zone()
                .null(),
        );
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_staff_agency_id",
            (Staff::Table, Staff::AgencyId),
            Agency::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_staff_unit_id",
            (Staff::Table, Staff::UnitId),
            OrgUnit::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "uq_staff_agency_id_subject",
                Staff::Table,
                [Staff::AgencyId, Staff::Subject],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_staff_unit_id",
                Staff::Table,
                [Staff::UnitId],
                false,
            ))
            .await?;

        // participant
        let mut t = table(Participant::Table);
        t.col(
            ColumnDef::new(Participant::PersonnummerEnc)
                .blob()
                .not_null(),
        );
        t.col(
            ColumnDef::new(Participant::PersonnummerHash)
                .blob()
                .not_null()
                .unique_key(),
        );
        t.col(ColumnDef::new(Participant::GivenName).text().not_null());
        t.col(ColumnDef::new(Participant::FamilyName).text().not_null());
        t.col(ColumnDef::new(Participant::BirthYear).integer().not_null());
        t.col(ColumnDef::new(Participant::Sex).string().not_null());
        t.col(ColumnDef::new(Participant::District).text().not_null());
        t.col(ColumnDef::new(Participant::TargetGroups).text().not_null());
        t.col(
            ColumnDef::new(Participant::EducationLevel)
                .string()
                .not_null(),
        );
        t.col(
            ColumnDef::new(Participant::IncomeSource)
                .string()
                .not_null(),
        );
        t.col(
            ColumnDef::new(Participant::ProtectedIdentity)
                .boolean()
                .not_null()
                .default(false),
        );
        t.col(ColumnDef::new(Participant::OwningUnitId).uuid().null());
        t.col(
            ColumnDef::new(Participant::Synthetic)
                .boolean()
                .not_null()
                .default(false),
        );
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_participant_owning_unit_id",
            (Participant::Table, Participant::OwningUnitId),
            OrgUnit::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "idx_participant_birth_year",
                Participant::Table,
                [Participant::BirthYear],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_participant_owning_unit_id",
                Participant::Table,
                [Participant::OwningUnitId],
                false,
            ))
            .await?;

        // shared_case
        let mut t = table(SharedCase::Table);
        t.col(ColumnDef::new(SharedCase::ParticipantId).uuid().not_null());
        t.col(ColumnDef::new(SharedCase::LeadAgencyId).uuid().not_null());
        t.col(ColumnDef::new(SharedCase::CoachId).uuid().null());
        t.col(ColumnDef::new(SharedCase::Status).string().not_null());
        t.col(ColumnDef::new(SharedCase::OpenedOn).date().not_null());
        t.col(ColumnDef::new(SharedCase::AssessedOn).date().null());
        t.col(ColumnDef::new(SharedCase::ClosedOn).date().null());
        t.col(ColumnDef::new(SharedCase::Outcome).string().null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_shared_case_participant_id",
            (SharedCase::Table, SharedCase::ParticipantId),
            Participant::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_shared_case_lead_agency_id",
            (SharedCase::Table, SharedCase::LeadAgencyId),
            Agency::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_shared_case_coach_id",
            (SharedCase::Table, SharedCase::CoachId),
            Staff::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "idx_shared_case_participant_id",
                SharedCase::Table,
                [SharedCase::ParticipantId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_shared_case_coach_id",
                SharedCase::Table,
                [SharedCase::CoachId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_shared_case_status",
                SharedCase::Table,
                [SharedCase::Status],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_shared_case_opened_on",
                SharedCase::Table,
                [SharedCase::OpenedOn],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_shared_case_lead_agency_id",
                SharedCase::Table,
                [SharedCase::LeadAgencyId],
                false,
            ))
            .await?;

        // case_member
        let mut t = table(CaseMember::Table);
        t.col(ColumnDef::new(CaseMember::CaseId).uuid().not_null());
        t.col(ColumnDef::new(CaseMember::AgencyId).uuid().not_null());
        t.col(ColumnDef::new(CaseMember::StaffId).uuid().null());
        t.col(ColumnDef::new(CaseMember::Role).text().not_null());
        t.col(ColumnDef::new(CaseMember::JoinedOn).date().not_null());
        t.col(ColumnDef::new(CaseMember::LeftOn).date().null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_case_member_case_id",
            (CaseMember::Table, CaseMember::CaseId),
            SharedCase::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_case_member_agency_id",
            (CaseMember::Table, CaseMember::AgencyId),
            Agency::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_case_member_staff_id",
            (CaseMember::Table, CaseMember::StaffId),
            Staff::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "uq_case_member_case_id_agency_id_staff_id",
                CaseMember::Table,
                [
                    CaseMember::CaseId,
                    CaseMember::AgencyId,
                    CaseMember::StaffId,
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_case_member_staff_id",
                CaseMember::Table,
                [CaseMember::StaffId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_case_member_agency_id",
                CaseMember::Table,
                [CaseMember::AgencyId],
                false,
            ))
            .await?;

        // consent
        let mut t = table(Consent::Table);
        t.col(ColumnDef::new(Consent::ParticipantId).uuid().not_null());
        t.col(ColumnDef::new(Consent::CaseId).uuid().null());
        t.col(ColumnDef::new(Consent::SourceAgencyId).uuid().not_null());
        t.col(ColumnDef::new(Consent::RecipientAgencyId).uuid().not_null());
        t.col(ColumnDef::new(Consent::Categories).text().not_null());
        t.col(ColumnDef::new(Consent::Purpose).text().not_null());
        t.col(ColumnDef::new(Consent::SignedOn).date().not_null());
        t.col(ColumnDef::new(Consent::ValidFrom).date().not_null());
        t.col(ColumnDef::new(Consent::ValidTo).date().null());
        t.col(
            ColumnDef::new(Consent::RevokedAt)
                .timestamp_with_time_zone()
                .null(),
        );
        t.col(ColumnDef::new(Consent::RecordedById).uuid().not_null());
        t.col(ColumnDef::new(Consent::CollectedAt).text().not_null());
        t.col(ColumnDef::new(Consent::FormVersion).text().not_null());
        t.col(ColumnDef::new(Consent::DocumentRef).text().not_null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_consent_participant_id",
            (Consent::Table, Consent::ParticipantId),
            Participant::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_consent_case_id",
            (Consent::Table, Consent::CaseId),
            SharedCase::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_consent_source_agency_id",
            (Consent::Table, Consent::SourceAgencyId),
            Agency::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_consent_recipient_agency_id",
            (Consent::Table, Consent::RecipientAgencyId),
            Agency::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_consent_recorded_by_id",
            (Consent::Table, Consent::RecordedById),
            Staff::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "idx_consent_participant_id",
                Consent::Table,
                [Consent::ParticipantId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_consent_case_id",
                Consent::Table,
                [Consent::CaseId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_consent_source_agency_id",
                Consent::Table,
                [Consent::SourceAgencyId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_consent_recipient_agency_id",
                Consent::Table,
                [Consent::RecipientAgencyId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_consent_recorded_by_id",
                Consent::Table,
                [Consent::RecordedById],
                false,
            ))
            .await?;

        // plan
        let mut t = table(Plan::Table);
        t.col(ColumnDef::new(Plan::CaseId).uuid().not_null());
        t.col(ColumnDef::new(Plan::Title).text().not_null());
        t.col(ColumnDef::new(Plan::Status).string().not_null());
        t.col(ColumnDef::new(Plan::CreatedById).uuid().null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_plan_case_id",
            (Plan::Table, Plan::CaseId),
            SharedCase::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_plan_created_by_id",
            (Plan::Table, Plan::CreatedById),
            Staff::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "idx_plan_case_id",
                Plan::Table,
                [Plan::CaseId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_plan_created_by_id",
                Plan::Table,
                [Plan::CreatedById],
                false,
            ))
            .await?;

        // goal
        let mut t = table(Goal::Table);
        t.col(ColumnDef::new(Goal::PlanId).uuid().not_null());
        t.col(ColumnDef::new(Goal::ParentGoalId).uuid().null());
        t.col(ColumnDef::new(Goal::Description).text().not_null());
        t.col(ColumnDef::new(Goal::Status).string().not_null());
        t.col(ColumnDef::new(Goal::DueOn).date().null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_goal_plan_id",
            (Goal::Table, Goal::PlanId),
            Plan::Table,
            ForeignKeyAction::Cascade,
        ));
        t.foreign_key(&mut fk(
            "fk_goal_parent_goal_id",
            (Goal::Table, Goal::ParentGoalId),
            Goal::Table,
            ForeignKeyAction::Cascade,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "idx_goal_plan_id",
                Goal::Table,
                [Goal::PlanId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_goal_parent_goal_id",
                Goal::Table,
                [Goal::ParentGoalId],
                false,
            ))
            .await?;

        // ladder_step
        let mut t = table(LadderStep::Table);
        t.col(ColumnDef::new(LadderStep::Track).text().not_null());
        t.col(ColumnDef::new(LadderStep::Ordinal).integer().not_null());
        t.col(ColumnDef::new(LadderStep::Name).text().not_null());
        t.col(ColumnDef::new(LadderStep::Description).text().not_null());
        with_std_columns(&mut t);
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "uq_ladder_step_track_ordinal",
                LadderStep::Table,
                [LadderStep::Track, LadderStep::Ordinal],
                true,
            ))
            .await?;

        // step_history
        let mut t = table(StepHistory::Table);
        t.col(ColumnDef::new(StepHistory::ParticipantId).uuid().not_null());
        t.col(ColumnDef::new(StepHistory::CaseId).uuid().not_null());
        t.col(ColumnDef::new(StepHistory::StepId).uuid().not_null());
        t.col(ColumnDef::new(StepHistory::EnteredOn).date().not_null());
        t.col(ColumnDef::new(StepHistory::LeftOn).date().null());
        t.col(ColumnDef::new(StepHistory::MovedById).uuid().null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_step_history_participant_id",
            (StepHistory::Table, StepHistory::ParticipantId),
            Participant::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_step_history_case_id",
            (StepHistory::Table, StepHistory::CaseId),
            SharedCase::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_step_history_step_id",
            (StepHistory::Table, StepHistory::StepId),
            LadderStep::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_step_history_moved_by_id",
            (StepHistory::Table, StepHistory::MovedById),
            Staff::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "idx_step_history_case_id",
                StepHistory::Table,
                [StepHistory::CaseId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_step_history_participant_id",
                StepHistory::Table,
                [StepHistory::ParticipantId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_step_history_step_id",
                StepHistory::Table,
                [StepHistory::StepId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_step_history_moved_by_id",
                StepHistory::Table,
                [StepHistory::MovedById],
                false,
            ))
            .await?;

        // intervention
        let mut t = table(Intervention::Table);
        t.col(ColumnDef::new(Intervention::CaseId).uuid().not_null());
        t.col(ColumnDef::new(Intervention::Kind).string().not_null());
        t.col(
            ColumnDef::new(Intervention::ProviderAgencyId)
                .uuid()
                .not_null(),
        );
        t.col(ColumnDef::new(Intervention::StartedOn).date().not_null());
        t.col(ColumnDef::new(Intervention::EndedOn).date().null());
        t.col(ColumnDef::new(Intervention::Outcome).text().null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_intervention_case_id",
            (Intervention::Table, Intervention::CaseId),
            SharedCase::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_intervention_provider_agency_id",
            (Intervention::Table, Intervention::ProviderAgencyId),
            Agency::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "idx_intervention_case_id",
                Intervention::Table,
                [Intervention::CaseId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_intervention_provider_agency_id",
                Intervention::Table,
                [Intervention::ProviderAgencyId],
                false,
            ))
            .await?;

        // procurement_contract
        let mut t = table(ProcurementContract::Table);
        t.col(
            ColumnDef::new(ProcurementContract::Supplier)
                .text()
                .not_null(),
        );
        t.col(ColumnDef::new(ProcurementContract::Title).text().not_null());
        t.col(
            ColumnDef::new(ProcurementContract::EmploymentRequirementPlaces)
                .integer()
                .not_null(),
        );
        t.col(
            ColumnDef::new(ProcurementContract::PeriodStart)
                .date()
                .not_null(),
        );
        t.col(
            ColumnDef::new(ProcurementContract::PeriodEnd)
                .date()
                .not_null(),
        );
        with_std_columns(&mut t);
        manager.create_table(t).await?;

        // placement_slot
        let mut t = table(PlacementSlot::Table);
        t.col(ColumnDef::new(PlacementSlot::DepartmentId).uuid().null());
        t.col(ColumnDef::new(PlacementSlot::EmployerName).text().null());
        t.col(
            ColumnDef::new(PlacementSlot::ProcurementContractId)
                .uuid()
                .null(),
        );
        t.col(ColumnDef::new(PlacementSlot::Kind).string().not_null());
        t.col(ColumnDef::new(PlacementSlot::Title).text().not_null());
        t.col(ColumnDef::new(PlacementSlot::Track).text().null());
        t.col(ColumnDef::new(PlacementSlot::PeriodStart).date().not_null());
        t.col(ColumnDef::new(PlacementSlot::PeriodEnd).date().not_null());
        t.col(ColumnDef::new(PlacementSlot::SupervisorName).text().null());
        t.col(
            ColumnDef::new(PlacementSlot::SupervisorTrained)
                .boolean()
                .not_null()
                .default(false),
        );
        t.col(
            ColumnDef::new(PlacementSlot::StateSubsidy)
                .string()
                .not_null(),
        );
        t.col(ColumnDef::new(PlacementSlot::Capacity).integer().not_null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_placement_slot_department_id",
            (PlacementSlot::Table, PlacementSlot::DepartmentId),
            OrgUnit::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_placement_slot_procurement_contract_id",
            (PlacementSlot::Table, PlacementSlot::ProcurementContractId),
            ProcurementContract::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "idx_placement_slot_department_id",
                PlacementSlot::Table,
                [PlacementSlot::DepartmentId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_placement_slot_kind",
                PlacementSlot::Table,
                [PlacementSlot::Kind],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_placement_slot_period_start",
                PlacementSlot::Table,
                [PlacementSlot::PeriodStart],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_placement_slot_procurement_contract_id",
                PlacementSlot::Table,
                [PlacementSlot::ProcurementContractId],
                false,
            ))
            .await?;

        // placement
        let mut t = table(Placement::Table);
        t.col(ColumnDef::new(Placement::SlotId).uuid().not_null());
        t.col(ColumnDef::new(Placement::ParticipantId).uuid().not_null());
        t.col(ColumnDef::new(Placement::CaseId).uuid().not_null());
        t.col(ColumnDef::new(Placement::StartedOn).date().not_null());
        t.col(ColumnDef::new(Placement::EndedOn).date().null());
        t.col(ColumnDef::new(Placement::Status).string().not_null());
        t.col(ColumnDef::new(Placement::Outcome).text().null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_placement_slot_id",
            (Placement::Table, Placement::SlotId),
            PlacementSlot::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_placement_participant_id",
            (Placement::Table, Placement::ParticipantId),
            Participant::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_placement_case_id",
            (Placement::Table, Placement::CaseId),
            SharedCase::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "idx_placement_slot_id",
                Placement::Table,
                [Placement::SlotId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_placement_case_id",
                Placement::Table,
                [Placement::CaseId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_placement_participant_id",
                Placement::Table,
                [Placement::ParticipantId],
                false,
            ))
            .await?;

        // allocation_model
        let mut t = table(AllocationModel::Table);
        t.col(
            ColumnDef::new(AllocationModel::Year)
                .integer()
                .not_null()
                .unique_key(),
        );
        t.col(ColumnDef::new(AllocationModel::Status).string().not_null());
        t.col(ColumnDef::new(AllocationModel::DecidedOn).date().null());
        t.col(ColumnDef::new(AllocationModel::DecidedBy).text().null());
        with_std_columns(&mut t);
        manager.create_table(t).await?;

        // allocation
        let mut t = table(Allocation::Table);
        t.col(ColumnDef::new(Allocation::ModelId).uuid().not_null());
        t.col(ColumnDef::new(Allocation::DepartmentId).uuid().not_null());
        t.col(ColumnDef::new(Allocation::Kind).string().not_null());
        t.col(ColumnDef::new(Allocation::Target).integer().not_null());
        t.col(ColumnDef::new(Allocation::SkillsNeeds).text().not_null());
        t.col(ColumnDef::new(Allocation::CapacityNotes).text().not_null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_allocation_model_id",
            (Allocation::Table, Allocation::ModelId),
            AllocationModel::Table,
            ForeignKeyAction::Cascade,
        ));
        t.foreign_key(&mut fk(
            "fk_allocation_department_id",
            (Allocation::Table, Allocation::DepartmentId),
            OrgUnit::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "uq_allocation_model_id_department_id_kind",
                Allocation::Table,
                [
                    Allocation::ModelId,
                    Allocation::DepartmentId,
                    Allocation::Kind,
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_allocation_department_id",
                Allocation::Table,
                [Allocation::DepartmentId],
                false,
            ))
            .await?;

        // agreement
        let mut t = table(Agreement::Table);
        t.col(ColumnDef::new(Agreement::Year).integer().not_null());
        t.col(ColumnDef::new(Agreement::DepartmentId).uuid().not_null());
        t.col(ColumnDef::new(Agreement::Places).integer().not_null());
        t.col(
            ColumnDef::new(Agreement::SupervisionPaidBy)
                .string()
                .not_null(),
        );
        t.col(
            ColumnDef::new(Agreement::EquipmentPaidBy)
                .string()
                .not_null(),
        );
        t.col(ColumnDef::new(Agreement::SignedOn).date().null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_agreement_department_id",
            (Agreement::Table, Agreement::DepartmentId),
            OrgUnit::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "uq_agreement_year_department_id",
                Agreement::Table,
                [Agreement::Year, Agreement::DepartmentId],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_agreement_department_id",
                Agreement::Table,
                [Agreement::DepartmentId],
                false,
            ))
            .await?;

        // project
        let mut t = table(Project::Table);
        t.col(ColumnDef::new(Project::Code).text().not_null().unique_key());
        t.col(ColumnDef::new(Project::Name).text().not_null());
        t.col(ColumnDef::new(Project::Funder).text().not_null());
        t.col(ColumnDef::new(Project::BudgetSek).big_integer().not_null());
        t.col(ColumnDef::new(Project::PeriodStart).date().not_null());
        t.col(ColumnDef::new(Project::PeriodEnd).date().not_null());
        with_std_columns(&mut t);
        manager.create_table(t).await?;

        // sub_project
        let mut t = table(SubProject::Table);
        t.col(ColumnDef::new(SubProject::ProjectId).uuid().not_null());
        t.col(
            ColumnDef::new(SubProject::Code)
                .text()
                .not_null()
                .unique_key(),
        );
        t.col(ColumnDef::new(SubProject::Name).text().not_null());
        t.col(ColumnDef::new(SubProject::TargetGroup).text().not_null());
        t.col(
            ColumnDef::new(SubProject::BudgetSek)
                .big_integer()
                .not_null(),
        );
        t.col(
            ColumnDef::new(SubProject::SpendSek)
                .big_integer()
                .not_null(),
        );
        t.col(
            ColumnDef::new(SubProject::PlannedParticipants)
                .integer()
                .not_null(),
        );
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_sub_project_project_id",
            (SubProject::Table, SubProject::ProjectId),
            Project::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "idx_sub_project_project_id",
                SubProject::Table,
                [SubProject::ProjectId],
                false,
            ))
            .await?;

        // enrolment
        let mut t = table(Enrolment::Table);
        t.col(ColumnDef::new(Enrolment::SubProjectId).uuid().not_null());
        t.col(ColumnDef::new(Enrolment::ParticipantId).uuid().not_null());
        t.col(ColumnDef::new(Enrolment::CaseId).uuid().null());
        t.col(ColumnDef::new(Enrolment::EnrolledOn).date().not_null());
        t.col(ColumnDef::new(Enrolment::ExitedOn).date().null());
        t.col(ColumnDef::new(Enrolment::ExitReason).string().null());
        t.col(
            ColumnDef::new(Enrolment::IncomeSourceBefore)
                .string()
                .not_null(),
        );
        t.col(ColumnDef::new(Enrolment::IncomeSourceAfter).string().null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_enrolment_sub_project_id",
            (Enrolment::Table, Enrolment::SubProjectId),
            SubProject::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_enrolment_participant_id",
            (Enrolment::Table, Enrolment::ParticipantId),
            Participant::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_enrolment_case_id",
            (Enrolment::Table, Enrolment::CaseId),
            SharedCase::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "uq_enrolment_sub_project_id_participant_id_enrolled_on",
                Enrolment::Table,
                [
                    Enrolment::SubProjectId,
                    Enrolment::ParticipantId,
                    Enrolment::EnrolledOn,
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_enrolment_participant_id",
                Enrolment::Table,
                [Enrolment::ParticipantId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_enrolment_case_id",
                Enrolment::Table,
                [Enrolment::CaseId],
                false,
            ))
            .await?;

        // employment_service_record
        let mut t = table(EmploymentServiceRecord::Table);
        t.col(
            ColumnDef::new(EmploymentServiceRecord::OwnerAgencyId)
                .uuid()
                .not_null(),
        );
        t.col(
            ColumnDef::new(EmploymentServiceRecord::ExternalId)
                .text()
                .not_null(),
        );
        t.col(
            ColumnDef::new(EmploymentServiceRecord::ParticipantId)
                .uuid()
                .not_null(),
        );
        t.col(
            ColumnDef::new(EmploymentServiceRecord::RegisteredOn)
                .date()
                .null(),
        );
        t.col(
            ColumnDef::new(EmploymentServiceRecord::Programme)
                .text()
                .null(),
        );
        t.col(
            ColumnDef::new(EmploymentServiceRecord::SupportDecision)
                .text()
                .null(),
        );
        t.col(
            ColumnDef::new(EmploymentServiceRecord::OfficerRef)
                .text()
                .null(),
        );
        t.col(
            ColumnDef::new(EmploymentServiceRecord::LastContactOn)
                .date()
                .null(),
        );
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_employment_service_record_owner_agency_id",
            (
                EmploymentServiceRecord::Table,
                EmploymentServiceRecord::OwnerAgencyId,
            ),
            Agency::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_employment_service_record_participant_id",
            (
                EmploymentServiceRecord::Table,
                EmploymentServiceRecord::ParticipantId,
            ),
            Participant::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "uq_employment_service_record_owner_agency_id_external_id",
                EmploymentServiceRecord::Table,
                [
                    EmploymentServiceRecord::OwnerAgencyId,
                    EmploymentServiceRecord::ExternalId,
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_employment_service_record_participant_id",
                EmploymentServiceRecord::Table,
                [EmploymentServiceRecord::ParticipantId],
                false,
            ))
            .await?;

        // social_insurance_record
        let mut t = table(SocialInsuranceRecord::Table);
        t.col(
            ColumnDef::new(SocialInsuranceRecord::OwnerAgencyId)
                .uuid()
                .not_null(),
        );
        t.col(
            ColumnDef::new(SocialInsuranceRecord::ExternalId)
                .text()
                .not_null(),
        );
        t.col(
            ColumnDef::new(SocialInsuranceRecord::ParticipantId)
                .uuid()
                .not_null(),
        );
        t.col(
            ColumnDef::new(SocialInsuranceRecord::Benefit)
                .string()
                .not_null(),
        );
        t.col(
            ColumnDef::new(SocialInsuranceRecord::SickLeaveDegree)
                .integer()
                .null(),
        );
        t.col(
            ColumnDef::new(SocialInsuranceRecord::PeriodStart)
                .date()
                .not_null(),
        );
        t.col(
            ColumnDef::new(SocialInsuranceRecord::PeriodEnd)
                .date()
                .null(),
        );
        t.col(
            ColumnDef::new(SocialInsuranceRecord::RehabilitationCoordination)
                .boolean()
                .not_null()
                .default(false),
        );
        t.col(
            ColumnDef::new(SocialInsuranceRecord::DiagnosisGroup)
                .text()
                .null(),
        );
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_social_insurance_record_owner_agency_id",
            (
                SocialInsuranceRecord::Table,
                SocialInsuranceRecord::OwnerAgencyId,
            ),
            Agency::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_social_insurance_record_participant_id",
            (
                SocialInsuranceRecord::Table,
                SocialInsuranceRecord::ParticipantId,
            ),
            Participant::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "uq_social_insurance_record_owner_agency_id_external_id",
                SocialInsuranceRecord::Table,
                [
                    SocialInsuranceRecord::OwnerAgencyId,
                    SocialInsuranceRecord::ExternalId,
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_social_insurance_record_participant_id",
                SocialInsuranceRecord::Table,
                [SocialInsuranceRecord::ParticipantId],
                false,
            ))
            .await?;

        // follow_up
        let mut t = table(FollowUp::Table);
        t.col(ColumnDef::new(FollowUp::CaseId).uuid().not_null());
        t.col(ColumnDef::new(FollowUp::AuthorId).uuid().not_null());
        t.col(
            ColumnDef::new(FollowUp::OccurredAt)
                .timestamp_with_time_zone()
                .not_null(),
        );
        t.col(ColumnDef::new(FollowUp::Kind).string().not_null());
        t.col(ColumnDef::new(FollowUp::Note).text().not_null());
        t.col(ColumnDef::new(FollowUp::IdempotencyKey).text().not_null());
        t.col(ColumnDef::new(FollowUp::RequestHash).text().not_null());
        with_std_columns(&mut t);
        t.foreign_key(&mut fk(
            "fk_follow_up_case_id",
            (FollowUp::Table, FollowUp::CaseId),
            SharedCase::Table,
            ForeignKeyAction::Restrict,
        ));
        t.foreign_key(&mut fk(
            "fk_follow_up_author_id",
            (FollowUp::Table, FollowUp::AuthorId),
            Staff::Table,
            ForeignKeyAction::Restrict,
        ));
        manager.create_table(t).await?;
        manager
            .create_index(index(
                "uq_follow_up_author_id_idempotency_key",
                FollowUp::Table,
                [FollowUp::AuthorId, FollowUp::IdempotencyKey],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_follow_up_case_id",
                FollowUp::Table,
                [FollowUp::CaseId],
                false,
            ))
            .await?;

        // audit_event
        let mut t = Table::create();
        t.table(AuditEvent::Table).if_not_exists().col(
            ColumnDef::new(AuditEvent::Seq)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        );
        t.col(
            ColumnDef::new(AuditEvent::At)
                .timestamp_with_time_zone()
                .not_null(),
        );
        t.col(ColumnDef::new(AuditEvent::Agency).text().not_null());
        t.col(ColumnDef::new(AuditEvent::Subject).text().not_null());
        t.col(ColumnDef::new(AuditEvent::Role).text().not_null());
        t.col(ColumnDef::new(AuditEvent::Operation).text().not_null());
        t.col(ColumnDef::new(AuditEvent::ParticipantIds).text().not_null());
        t.col(ColumnDef::new(AuditEvent::Fields).text().not_null());
        t.col(ColumnDef::new(AuditEvent::Decision).text().not_null());
        t.col(ColumnDef::new(AuditEvent::TraceId).text().null());
        t.col(ColumnDef::new(AuditEvent::PrevHash).text().not_null());
        t.col(ColumnDef::new(AuditEvent::Hash).text().not_null());
        manager.create_table(t).await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Reverse creation order, so no table is dropped while referenced.
        drop_table(manager, AuditEvent::Table).await?;
        drop_table(manager, FollowUp::Table).await?;
        drop_table(manager, SocialInsuranceRecord::Table).await?;
        drop_table(manager, EmploymentServiceRecord::Table).await?;
        drop_table(manager, Enrolment::Table).await?;
        drop_table(manager, SubProject::Table).await?;
        drop_table(manager, Project::Table).await?;
        drop_table(manager, Agreement::Table).await?;
        drop_table(manager, Allocation::Table).await?;
        drop_table(manager, AllocationModel::Table).await?;
        drop_table(manager, Placement::Table).await?;
        drop_table(manager, PlacementSlot::Table).await?;
        drop_table(manager, ProcurementContract::Table).await?;
        drop_table(manager, Intervention::Table).await?;
        drop_table(manager, StepHistory::Table).await?;
        drop_table(manager, LadderStep::Table).await?;
        drop_table(manager, Goal::Table).await?;
        drop_table(manager, Plan::Table).await?;
        drop_table(manager, Consent::Table).await?;
        drop_table(manager, CaseMember::Table).await?;
        drop_table(manager, SharedCase::Table).await?;
        drop_table(manager, Participant::Table).await?;
        drop_table(manager, Staff::Table).await?;
        // SQLite's DROP TABLE first deletes the rows, and an ON DELETE RESTRICT
        // self-reference fails when a parent row goes before its child.
        if manager.get_database_backend() == DbBackend::Sqlite
            && manager.has_table("org_unit").await?
        {
            let detach = Query::update()
                .table(OrgUnit::Table)
                .value(OrgUnit::ParentId, Keyword::Null)
                .to_owned();
            manager.exec_stmt(detach).await?;
        }
        drop_table(manager, OrgUnit::Table).await?;
        drop_table(manager, Agency::Table).await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Agency {
    Table,
    Code,
    Name,
    Kind,
}

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    AgencyId,
    ParentId,
    Code,
    Name,
    Kind,
}

#[derive(DeriveIden)]
enum Staff {
    Table,
    AgencyId,
    Subject,
    DisplayName,
    UnitId,
    Roles,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Participant {
    Table,
    PersonnummerEnc,
    PersonnummerHash,
    GivenName,
    FamilyName,
    BirthYear,
    Sex,
    District,
    TargetGroups,
    EducationLevel,
    IncomeSource,
    ProtectedIdentity,
    OwningUnitId,
    Synthetic,
}

#[derive(DeriveIden)]
enum SharedCase {
    Table,
    ParticipantId,
    LeadAgencyId,
    CoachId,
    Status,
    OpenedOn,
    AssessedOn,
    ClosedOn,
    Outcome,
}

#[derive(DeriveIden)]
enum CaseMember {
    Table,
    CaseId,
    AgencyId,
    StaffId,
    Role,
    JoinedOn,
    LeftOn,
}

#[derive(DeriveIden)]
enum Consent {
    Table,
    ParticipantId,
    CaseId,
    SourceAgencyId,
    RecipientAgencyId,
    Categories,
    Purpose,
    SignedOn,
    ValidFrom,
    ValidTo,
    RevokedAt,
    RecordedById,
    CollectedAt,
    FormVersion,
    DocumentRef,
}

#[derive(DeriveIden)]
enum Plan {
    Table,
    CaseId,
    Title,
    Status,
    CreatedById,
}

#[derive(DeriveIden)]
enum Goal {
    Table,
    PlanId,
    ParentGoalId,
    Description,
    Status,
    DueOn,
}

#[derive(DeriveIden)]
enum LadderStep {
    Table,
    Track,
    Ordinal,
    Name,
    Description,
}

#[derive(DeriveIden)]
enum StepHistory {
    Table,
    ParticipantId,
    CaseId,
    StepId,
    EnteredOn,
    LeftOn,
    MovedById,
}

#[derive(DeriveIden)]
enum Intervention {
    Table,
    CaseId,
    Kind,
    ProviderAgencyId,
    StartedOn,
    EndedOn,
    Outcome,
}

#[derive(DeriveIden)]
enum ProcurementContract {
    Table,
    Supplier,
    Title,
    EmploymentRequirementPlaces,
    PeriodStart,
    PeriodEnd,
}

#[derive(DeriveIden)]
enum PlacementSlot {
    Table,
    DepartmentId,
    EmployerName,
    ProcurementContractId,
    Kind,
    Title,
    Track,
    PeriodStart,
    PeriodEnd,
    SupervisorName,
    SupervisorTrained,
    StateSubsidy,
    Capacity,
}

#[derive(DeriveIden)]
enum Placement {
    Table,
    SlotId,
    ParticipantId,
    CaseId,
    StartedOn,
    EndedOn,
    Status,
    Outcome,
}

#[derive(DeriveIden)]
enum AllocationModel {
    Table,
    Year,
    Status,
    DecidedOn,
    DecidedBy,
}

#[derive(DeriveIden)]
enum Allocation {
    Table,
    ModelId,
    DepartmentId,
    Kind,
    Target,
    SkillsNeeds,
    CapacityNotes,
}

#[derive(DeriveIden)]
enum Agreement {
    Table,
    Year,
    DepartmentId,
    Places,
    SupervisionPaidBy,
    EquipmentPaidBy,
    SignedOn,
}

#[derive(DeriveIden)]
enum Project {
    Table,
    Code,
    Name,
    Funder,
    BudgetSek,
    PeriodStart,
    PeriodEnd,
}

#[derive(DeriveIden)]
enum SubProject {
    Table,
    ProjectId,
    Code,
    Name,
    TargetGroup,
    BudgetSek,
    SpendSek,
    PlannedParticipants,
}

#[derive(DeriveIden)]
enum Enrolment {
    Table,
    SubProjectId,
    ParticipantId,
    CaseId,
    EnrolledOn,
    ExitedOn,
    ExitReason,
    IncomeSourceBefore,
    IncomeSourceAfter,
}

#[derive(DeriveIden)]
enum EmploymentServiceRecord {
    Table,
    OwnerAgencyId,
    ExternalId,
    ParticipantId,
    RegisteredOn,
    Programme,
    SupportDecision,
    OfficerRef,
    LastContactOn,
}

#[derive(DeriveIden)]
enum SocialInsuranceRecord {
    Table,
    OwnerAgencyId,
    ExternalId,
    ParticipantId,
    Benefit,
    SickLeaveDegree,
    PeriodStart,
    PeriodEnd,
    RehabilitationCoordination,
    DiagnosisGroup,
}

#[derive(DeriveIden)]
enum FollowUp {
    Table,
    CaseId,
    AuthorId,
    OccurredAt,
    Kind,
    Note,
    IdempotencyKey,
    RequestHash,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Seq,
    At,
    Agency,
    Subject,
    Role,
    Operation,
    ParticipantIds,
    Fields,
    Decision,
    TraceId,
    PrevHash,
    Hash,
}
