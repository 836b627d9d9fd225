//! Migrates an empty database (SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` is set), then writes and reads one row of every table
//! through the entities and checks the constraints the schema promises.

use std::fmt::Debug;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entities::enums::{self, *};
use entities::prelude::*;
use entities::*;
use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ConnectOptions, ConnectionTrait,
    Database, DatabaseConnection, DbBackend, DbErr, EntityTrait, IntoActiveModel, JoinType,
    ModelTrait, PaginatorTrait, QuerySelect, RelationTrait, SqlErr, Statement,
};
use uuid::Uuid;

/// Every table the migration creates, in creation order.
const TABLES: [&str; 27] = [
    "agency",
    "org_unit",
    "staff",
    "participant",
    "shared_case",
    "case_member",
    "consent",
    "plan",
    "goal",
    "ladder_step",
    "step_history",
    "intervention",
    "procurement_contract",
    "placement_slot",
    "placement",
    "allocation_model",
    "allocation",
    "agreement",
    "project",
    "sub_project",
    "enrolment",
    "employment_service_record",
    "social_insurance_record",
    "follow_up",
    "audit_event",
    "audit_head",
    "audit_participant",
];

fn ts() -> DateTime<Utc> {
    // Sub-second part checks that microseconds survive on both backends.
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 30, 0).unwrap() + Duration::microseconds(123_456)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Inserts `model` (every column set) and checks that the returned row and the
/// row read back by a full scan equal it.
async fn insert<E>(db: &DatabaseConnection, model: E::Model) -> E::Model
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Clone + PartialEq + Debug,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    let active = model.clone().into_active_model().reset_all();
    let inserted = active
        .insert(db)
        .await
        .unwrap_or_else(|e| panic!("insert into {}: {e}", E::default().table_name()));
    assert_eq!(inserted, model);
    let all = E::find().all(db).await.expect("read back");
    assert!(
        all.contains(&model),
        "{} does not read back the inserted row",
        E::default().table_name()
    );
    inserted
}

fn sql_err(result: Result<impl Debug, DbErr>) -> SqlErr {
    let err = result.expect_err("the database accepted a row it must reject");
    err.sql_err()
        .unwrap_or_else(|| panic!("not a constraint violation: {err}"))
}

async fn query_string(db: &DatabaseConnection, sql: &str, col: &str) -> String {
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect(sql)
        .expect("one row");
    row.try_get::<String>("", col).expect(col)
}

/// The whole scenario, on an empty database.
async fn exercise(db: &DatabaseConnection) {
    let backend = db.get_database_backend();

    // Migrating twice is a no-op the second time.
    Migrator::up(db, None).await.expect("first migrate up");
    Migrator::up(db, None).await.expect("second migrate up");
    let manager = SchemaManager::new(db);
    for table in TABLES {
        assert!(
            manager.has_table(table).await.expect("has_table"),
            "{table} missing"
        );
    }

    if backend == DbBackend::Sqlite {
        // sqlx turns foreign key enforcement on for every SQLite connection.
        let row = db
            .query_one(Statement::from_string(backend, "PRAGMA foreign_keys"))
            .await
            .expect("pragma")
            .expect("pragma row");
        assert_eq!(row.try_get_by_index::<i32>(0).expect("pragma value"), 1);
    }
    if backend == DbBackend::Postgres {
        check_postgres_types(db).await;
    }

    let now = ts();
    let id = Uuid::new_v4;

    // --- agency, org_unit, staff
    let lund = insert::<Agency>(
        db,
        agency::Model {
            id: id(),
            code: "lund".into(),
            name: "Lunds kommun".into(),
            kind: AgencyKind::Municipality,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    let af = insert::<Agency>(
        db,
        agency::Model {
            id: id(),
            code: "af".into(),
            name: "Arbetsförmedlingen".into(),
            kind: AgencyKind::EmploymentService,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    // DB defaults: `version` left unset comes back as 1.
    let fk = agency::ActiveModel {
        id: Set(id()),
        code: Set("fk".into()),
        name: Set("Försäkringskassan".into()),
        kind: Set(AgencyKind::SocialInsurance),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("agency with default version");
    assert_eq!(fk.version, 1);

    let department = insert::<OrgUnit>(
        db,
        org_unit::Model {
            id: id(),
            agency_id: lund.id,
            parent_id: None,
            code: "af-forv".into(),
            name: "Arbetsmarknadsförvaltningen".into(),
            kind: OrgUnitKind::Department,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    let unit = insert::<OrgUnit>(
        db,
        org_unit::Model {
            id: id(),
            agency_id: lund.id,
            parent_id: Some(department.id),
            code: "jobbtorg".into(),
            name: "Jobbtorg".into(),
            kind: OrgUnitKind::Unit,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    let coach = insert::<Staff>(
        db,
        staff::Model {
            id: id(),
            agency_id: lund.id,
            subject: "idp|coach-1".into(),
            display_name: "Coach Ett".into(),
            unit_id: Some(unit.id),
            roles: "coach,officer".into(),
            last_seen_at: Some(now),
            created_at: now,
            updated_at: now,
            version: 3,
        },
    )
    .await;

    // --- participant: blob and list round-trip, DB defaults for the flags
    let enc: Vec<u8> = (0..=255u8).rev().chain([0, 0, 1]).collect();
    let hash: Vec<u8> = (0..32u8).map(|b| b.wrapping_mul(37) ^ 0x80).collect();
    let target_groups = enums::join_codes(&[TargetGroup::IncomeSupport, TargetGroup::Under20]);
    assert_eq!(target_groups, "income_support,under_20");
    let participant = participant::ActiveModel {
        id: Set(id()),
        personnummer_enc: Set(enc.clone()),
        personnummer_hash: Set(hash.clone()),
        given_name: Set("Test".into()),
        family_name: Set("Testsson".into()),
        birth_year: Set(1990),
        sex: Set(Sex::Female),
        district: Set("Norra Fäladen".into()),
        target_groups: Set(target_groups.clone()),
        education_level: Set(EducationLevel::UpperSecondary),
        income_source: Set(IncomeSource::IncomeSupport),
        owning_unit_id: Set(Some(unit.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert participant");
    let participant = Participant::find_by_id(participant.id)
        .one(db)
        .await
        .expect("read participant")
        .expect("participant exists");
    assert_eq!(participant.personnummer_enc, enc);
    assert_eq!(participant.personnummer_hash, hash);
    assert!(!participant.protected_identity);
    assert!(!participant.synthetic);
    assert_eq!(participant.version, 1);
    assert_eq!(
        enums::parse_codes::<TargetGroup>(&participant.target_groups).expect("codes"),
        vec![TargetGroup::IncomeSupport, TargetGroup::Under20]
    );
    assert_eq!(participant.sex, Sex::Female);

    // --- shared_case and the rows hanging off it
    let case = insert::<SharedCase>(
        db,
        shared_case::Model {
            id: id(),
            participant_id: participant.id,
            lead_agency_id: lund.id,
            coach_id: Some(coach.id),
            status: CaseStatus::Closed,
            opened_on: day(2026, 1, 15),
            assessed_on: Some(day(2026, 2, 1)),
            closed_on: Some(day(2026, 10, 31)),
            outcome: Some(CaseOutcome::JobSeeking),
            given_name: participant.given_name.clone(),
            family_name: participant.family_name.clone(),
            district: participant.district.clone(),
            target_groups: participant.target_groups.clone(),
            education_level: participant.education_level,
            income_source: participant.income_source,
            registered_by_agency_id: Some(lund.id),
            registered_unit_id: None,
            protected_identity: false,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    // Enums are stored as their snake_case text.
    assert_eq!(
        query_string(db, "SELECT status FROM shared_case", "status").await,
        "closed"
    );
    assert_eq!(
        query_string(db, "SELECT outcome FROM shared_case", "outcome").await,
        "job_seeking"
    );

    insert::<CaseMember>(
        db,
        case_member::Model {
            id: id(),
            case_id: case.id,
            agency_id: lund.id,
            staff_id: Some(coach.id),
            role: "coach".into(),
            joined_on: day(2026, 1, 15),
            left_on: None,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    let consent = insert::<Consent>(
        db,
        consent::Model {
            id: id(),
            participant_id: participant.id,
            case_id: Some(case.id),
            source_agency_id: af.id,
            recipient_agency_id: lund.id,
            categories: enums::join_codes(&[
                ConsentCategory::EconomicSocial,
                ConsentCategory::LabourMarket,
            ]),
            purpose: "samordning".into(),
            signed_on: day(2026, 1, 15),
            valid_from: day(2026, 1, 15),
            valid_to: Some(day(2027, 1, 14)),
            revoked_at: Some(now),
            recorded_by_id: coach.id,
            collected_at: "Jobbtorg".into(),
            form_version: "2026-1".into(),
            document_ref: "pärm 3".into(),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    let plan = insert::<Plan>(
        db,
        plan::Model {
            id: id(),
            case_id: case.id,
            title: "Genomförandeplan".into(),
            status: PlanStatus::Active,
            created_by_id: Some(coach.id),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    let goal = insert::<Goal>(
        db,
        goal::Model {
            id: id(),
            plan_id: plan.id,
            parent_goal_id: None,
            description: "Arbete".into(),
            status: GoalStatus::InProgress,
            due_on: Some(day(2026, 12, 31)),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    insert::<Goal>(
        db,
        goal::Model {
            id: id(),
            plan_id: plan.id,
            parent_goal_id: Some(goal.id),
            description: "Praktik".into(),
            status: GoalStatus::NotStarted,
            due_on: None,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    let step = insert::<LadderStep>(
        db,
        ladder_step::Model {
            id: id(),
            track: "kitchen_assistant".into(),
            ordinal: 1,
            name: "Kökspraktik".into(),
            description: "Första steget".into(),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    insert::<StepHistory>(
        db,
        step_history::Model {
            id: id(),
            participant_id: participant.id,
            case_id: case.id,
            step_id: step.id,
            entered_on: day(2026, 3, 1),
            left_on: None,
            moved_by_id: Some(coach.id),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    insert::<Intervention>(
        db,
        intervention::Model {
            id: id(),
            case_id: case.id,
            kind: InterventionKind::WorkTraining,
            provider_agency_id: af.id,
            started_on: day(2026, 3, 1),
            ended_on: None,
            outcome: None,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;

    // --- placements
    let contract = insert::<ProcurementContract>(
        db,
        procurement_contract::Model {
            id: id(),
            supplier: "Städ AB".into(),
            title: "Lokalvård".into(),
            employment_requirement_places: 2,
            period_start: day(2026, 1, 1),
            period_end: day(2027, 12, 31),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    let slot = insert::<PlacementSlot>(
        db,
        placement_slot::Model {
            id: id(),
            department_id: Some(department.id),
            employer_name: None,
            procurement_contract_id: Some(contract.id),
            kind: PlacementKind::ProcurementPlacement,
            title: "Lokalvårdare".into(),
            track: Some("cleaning".into()),
            period_start: day(2026, 2, 1),
            period_end: day(2026, 8, 1),
            supervisor_name: Some("Handledare".into()),
            supervisor_trained: true,
            state_subsidy: StateSubsidy::WageSubsidy,
            capacity: 2,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    insert::<Placement>(
        db,
        placement::Model {
            id: id(),
            slot_id: slot.id,
            participant_id: participant.id,
            case_id: case.id,
            started_on: day(2026, 2, 1),
            ended_on: Some(day(2026, 5, 1)),
            status: PlacementStatus::EndedEarly,
            outcome: Some("flyttade".into()),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    let model = insert::<AllocationModel>(
        db,
        allocation_model::Model {
            id: id(),
            year: 2026,
            status: AllocationStatus::Decided,
            decided_on: Some(day(2025, 12, 10)),
            decided_by: Some("socialnämnden".into()),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    insert::<Allocation>(
        db,
        allocation::Model {
            id: id(),
            model_id: model.id,
            department_id: department.id,
            kind: PlacementKind::Internship,
            target: 12,
            skills_needs: "kök".into(),
            capacity_notes: String::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    insert::<Agreement>(
        db,
        agreement::Model {
            id: id(),
            year: 2026,
            department_id: department.id,
            places: 10,
            supervision_paid_by: Payer::SocialServices,
            equipment_paid_by: Payer::Shared,
            signed_on: None,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;

    // --- projects (budgets beyond i32 check the bigint columns)
    let project = insert::<Project>(
        db,
        project::Model {
            id: id(),
            code: "iris".into(),
            name: "IRIS".into(),
            funder: "esf".into(),
            budget_sek: 12_345_678_901,
            period_start: day(2025, 1, 1),
            period_end: day(2027, 12, 31),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    let sub_project = insert::<SubProject>(
        db,
        sub_project::Model {
            id: id(),
            project_id: project.id,
            code: "iris-usb".into(),
            name: "IRIS USB".into(),
            target_group: "under_20".into(),
            budget_sek: 3_000_000_000,
            spend_sek: -1,
            planned_participants: 40,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    insert::<Enrolment>(
        db,
        enrolment::Model {
            id: id(),
            sub_project_id: sub_project.id,
            participant_id: participant.id,
            case_id: Some(case.id),
            enrolled_on: day(2026, 2, 1),
            exited_on: Some(day(2026, 10, 31)),
            exit_reason: Some(ExitReason::PaidWork),
            income_source_before: IncomeSource::IncomeSupport,
            income_source_after: Some(IncomeSource::Salary),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;

    // --- other agencies' records
    insert::<EmploymentServiceRecord>(
        db,
        employment_service_record::Model {
            id: id(),
            owner_agency_id: af.id,
            external_id: "AF-123".into(),
            participant_id: participant.id,
            registered_on: Some(day(2025, 6, 1)),
            programme: Some("jobb- och utvecklingsgarantin".into()),
            support_decision: None,
            officer_ref: Some("handl-9".into()),
            last_contact_on: None,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    insert::<SocialInsuranceRecord>(
        db,
        social_insurance_record::Model {
            id: id(),
            owner_agency_id: fk.id,
            external_id: "FK-456".into(),
            participant_id: participant.id,
            benefit: Benefit::SicknessBenefit,
            sick_leave_degree: Some(50),
            period_start: day(2025, 9, 1),
            period_end: None,
            rehabilitation_coordination: true,
            diagnosis_group: Some("F43".into()),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await;
    let follow_up = follow_up::Model {
        id: id(),
        case_id: case.id,
        author_id: coach.id,
        occurred_at: now,
        kind: FollowUpKind::HomeVisit,
        note: "Hembesök".into(),
        idempotency_key: "key-1".into(),
        request_hash: "ab".repeat(32),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    insert::<FollowUp>(db, follow_up.clone()).await;

    // --- audit_event: seq is assigned by the database, in order
    let mut seqs = Vec::new();
    for n in 0..2 {
        let event = audit_event::ActiveModel {
            at: Set(now),
            agency: Set("lund".into()),
            subject: Set("idp|coach-1".into()),
            role: Set("coach".into()),
            operation: Set("query Case".into()),
            participant_ids: Set(participant.id.to_string()),
            fields: Set("Participant.givenName,Case.status".into()),
            decision: Set("allow".into()),
            trace_id: Set(if n == 0 { None } else { Some("trace".into()) }),
            prev_hash: Set(String::new()),
            hash: Set(format!("hash-{n}")),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("insert audit event");
        seqs.push(event.seq);
    }
    assert!(seqs[1] > seqs[0], "audit seq not increasing: {seqs:?}");
    assert_eq!(AuditEvent::find().count(db).await.expect("count"), 2);
    // The head row exists from the start, at the genesis value.
    let head = AuditHead::find().all(db).await.expect("read audit head");
    assert_eq!(
        head,
        vec![audit_head::Model {
            id: 1,
            last_seq: 0,
            last_hash: "0".repeat(64),
        }]
    );
    insert::<AuditParticipant>(
        db,
        audit_participant::Model {
            participant_id: participant.id,
            seq: seqs[0],
        },
    )
    .await;
    // The index names existing events only, and an indexed event stays.
    let orphan = audit_participant::Model {
        participant_id: participant.id,
        seq: seqs[1] + 1000,
    }
    .into_active_model()
    .reset_all()
    .insert(db)
    .await;
    assert!(matches!(
        sql_err(orphan),
        SqlErr::ForeignKeyConstraintViolation(_)
    ));
    let indexed = AuditEvent::delete_by_id(seqs[0]).exec(db).await;
    assert!(indexed.is_err(), "deleted an audit event the index names");

    // --- relations
    let cases = participant
        .find_related(SharedCase)
        .all(db)
        .await
        .expect("participant -> cases");
    assert_eq!(cases, vec![case.clone()]);
    let lead = case
        .find_related(Agency)
        .one(db)
        .await
        .expect("case -> agency");
    assert_eq!(lead.as_ref().map(|a| a.id), Some(lund.id));
    let sources = Agency::find()
        .join(JoinType::InnerJoin, agency::Relation::ConsentAsSource.def())
        .all(db)
        .await
        .expect("agency -> consent as source");
    assert_eq!(sources.iter().map(|a| a.id).collect::<Vec<_>>(), [af.id]);
    let recipients = Agency::find()
        .join(
            JoinType::InnerJoin,
            agency::Relation::ConsentAsRecipient.def(),
        )
        .all(db)
        .await
        .expect("agency -> consent as recipient");
    assert_eq!(
        recipients.iter().map(|a| a.id).collect::<Vec<_>>(),
        [lund.id]
    );
    assert_eq!(consent.recipient_agency_id, lund.id);

    // --- constraints
    // UNIQUE personnummer_hash
    let dup = participant::ActiveModel {
        id: Set(id()),
        given_name: Set("Dubbel".into()),
        ..participant.clone().into_active_model().reset_all()
    }
    .insert(db)
    .await;
    assert!(matches!(sql_err(dup), SqlErr::UniqueConstraintViolation(_)));
    // Composite UNIQUE(author_id, idempotency_key)
    let dup = follow_up::ActiveModel {
        id: Set(id()),
        ..follow_up.clone().into_active_model().reset_all()
    }
    .insert(db)
    .await;
    assert!(matches!(sql_err(dup), SqlErr::UniqueConstraintViolation(_)));
    // FK to a participant that does not exist
    let orphan = shared_case::ActiveModel {
        id: Set(id()),
        participant_id: Set(id()),
        ..case.clone().into_active_model().reset_all()
    }
    .insert(db)
    .await;
    assert!(matches!(
        sql_err(orphan),
        SqlErr::ForeignKeyConstraintViolation(_)
    ));
    // ON DELETE RESTRICT: an agency with rows pointing at it stays.
    let restricted = Agency::delete_by_id(lund.id)
        .exec(db)
        .await
        .expect_err("deleted a referenced agency");
    match backend {
        // SQLite reports a RESTRICT violation with the extended code 1811
        // (SQLITE_CONSTRAINT_TRIGGER), which `DbErr::sql_err` does not classify.
        DbBackend::Sqlite => {
            let text = restricted.to_string();
            assert!(
                text.contains("FOREIGN KEY constraint failed") && text.contains("1811"),
                "{text}"
            );
        }
        _ => assert!(matches!(
            restricted.sql_err(),
            Some(SqlErr::ForeignKeyConstraintViolation(_))
        )),
    }
    assert!(Agency::find_by_id(lund.id)
        .one(db)
        .await
        .expect("read agency")
        .is_some());
    // ON DELETE CASCADE: deleting the plan removes its goals and sub-goals.
    assert_eq!(Goal::find().count(db).await.expect("count goals"), 2);
    Plan::delete_by_id(plan.id)
        .exec(db)
        .await
        .expect("delete plan");
    assert_eq!(Goal::find().count(db).await.expect("count goals"), 0);

    // --- down drops everything, even with self-referencing rows (org_unit
    // parent/child, goal/sub-goal) still present; up works again afterwards.
    let plan = insert::<Plan>(db, plan::Model { id: id(), ..plan }).await;
    let parent = insert::<Goal>(
        db,
        goal::Model {
            id: id(),
            plan_id: plan.id,
            ..goal.clone()
        },
    )
    .await;
    insert::<Goal>(
        db,
        goal::Model {
            id: id(),
            plan_id: plan.id,
            parent_goal_id: Some(parent.id),
            ..goal
        },
    )
    .await;
    Migrator::down(db, None).await.expect("migrate down");
    for table in TABLES {
        assert!(
            !manager.has_table(table).await.expect("has_table"),
            "{table} left after down"
        );
    }
    Migrator::up(db, None).await.expect("migrate up after down");
    assert_eq!(Agency::find().count(db).await.expect("count"), 0);
}

/// Column types as PostgreSQL sees them (SQLite is typeless enough not to care).
async fn check_postgres_types(db: &DatabaseConnection) {
    let expect = [
        ("agency", "id", "uuid", "NO"),
        ("agency", "code", "text", "NO"),
        ("agency", "kind", "character varying", "NO"),
        ("agency", "created_at", "timestamp with time zone", "NO"),
        ("agency", "version", "integer", "NO"),
        ("participant", "personnummer_enc", "bytea", "NO"),
        ("participant", "personnummer_hash", "bytea", "NO"),
        ("participant", "protected_identity", "boolean", "NO"),
        ("participant", "owning_unit_id", "uuid", "YES"),
        ("shared_case", "opened_on", "date", "NO"),
        ("shared_case", "outcome", "character varying", "YES"),
        ("staff", "last_seen_at", "timestamp with time zone", "YES"),
        ("project", "budget_sek", "bigint", "NO"),
        ("audit_event", "seq", "bigint", "NO"),
        ("audit_event", "trace_id", "text", "YES"),
        ("audit_head", "last_seq", "bigint", "NO"),
        ("audit_participant", "participant_id", "uuid", "NO"),
        ("audit_participant", "seq", "bigint", "NO"),
    ];
    for (table, column, data_type, nullable) in expect {
        let row = db
            .query_one(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT data_type, is_nullable, column_default FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
                [table.into(), column.into()],
            ))
            .await
            .expect("information_schema")
            .unwrap_or_else(|| panic!("{table}.{column} missing"));
        let actual: String = row.try_get("", "data_type").expect("data_type");
        let is_nullable: String = row.try_get("", "is_nullable").expect("is_nullable");
        assert_eq!(
            (actual.as_str(), is_nullable.as_str()),
            (data_type, nullable),
            "{table}.{column}"
        );
        if column == "version" {
            let default: Option<String> = row.try_get("", "column_default").expect("default");
            assert_eq!(default.as_deref(), Some("1"));
        }
    }
    // There is no audit_event.version / updated_at.
    let n = db
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name = 'audit_event' AND column_name IN ('version', 'updated_at', 'id')",
        ))
        .await
        .expect("count")
        .expect("row");
    assert_eq!(n.try_get::<i64>("", "n").expect("n"), 0);
}

#[tokio::test]
async fn sqlite_migrate_and_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("migrate.sqlite").display()
    );
    let db = Database::connect(&url).await.expect("connect sqlite");
    assert_eq!(db.get_database_backend(), DbBackend::Sqlite);
    exercise(&db).await;
    db.close().await.expect("close");
}

#[tokio::test]
async fn postgres_migrate_and_round_trip() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL not set: skipping the PostgreSQL migration test");
        return;
    };
    let schema = format!("mig_{}", Uuid::new_v4().simple());
    let admin = Database::connect(&url).await.expect("connect postgres");
    assert_eq!(admin.get_database_backend(), DbBackend::Postgres);
    admin
        .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
        .await
        .expect("create schema");

    let mut options = ConnectOptions::new(url.clone());
    options.set_schema_search_path(schema.clone());
    // Run in a task so that a failed assertion still lets us drop the schema.
    let outcome = tokio::spawn(async move {
        let db = Database::connect(options).await.expect("connect to schema");
        exercise(&db).await;
        db.close().await.expect("close");
    })
    .await;

    admin
        .execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .await
        .expect("drop schema");
    admin.close().await.expect("close");
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
