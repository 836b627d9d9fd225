//! End-to-end tests of the generator on a migrated SQLite file.

use std::collections::HashMap;

use chrono::NaiveDate;
use entities::enums::{AgencyKind, CaseStatus};
use entities::prelude::*;
use entities::{agency, case_member, participant, placement_slot, shared_case, staff};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::*;

// The first staff member of each pool (`<agency>-<role>-001`): the demo's users.
const DEMO_COACH: &str = "lund-coach-001";
const DEMO_LUND_OFFICER: &str = "lund-officer-001";
const DEMO_PLACEMENT_COORDINATOR: &str = "lund-placement-001";
const DEMO_AF_OFFICER: &str = "af-officer-001";
const DEMO_FK_OFFICER: &str = "fk-officer-001";
const DEMO_ANALYST: &str = "finsam-analyst-001";
const DEMO_AUDITOR: &str = "audit-auditor-001";

const N: usize = 300;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
}

fn keys() -> PiiKeys {
    PiiKeys::new([7; 32], [9; 32])
}

/// A migrated SQLite database with the six demo agencies.
async fn fresh_db() -> (
    tempfile::TempDir,
    DatabaseConnection,
    HashMap<String, (Uuid, AgencyKind)>,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("seed.db").display());
    let db = Database::connect(url).await.expect("connect");
    Migrator::up(&db, None).await.expect("migrate");
    let t = today().and_hms_opt(6, 0, 0).expect("time").and_utc();
    let mut map = HashMap::new();
    for (i, (code, kind)) in [
        ("lund", AgencyKind::Municipality),
        ("af", AgencyKind::EmploymentService),
        ("fk", AgencyKind::SocialInsurance),
        ("region", AgencyKind::Region),
        ("finsam", AgencyKind::CoordinationAssociation),
        ("audit", AgencyKind::Oversight),
    ]
    .into_iter()
    .enumerate()
    {
        let id = Uuid::from_u128(0xa9e0 + i as u128);
        Agency::insert(agency::ActiveModel {
            id: Set(id),
            code: Set(code.to_owned()),
            name: Set(code.to_uppercase()),
            kind: Set(kind),
            created_at: Set(t),
            updated_at: Set(t),
            version: Set(1),
        })
        .exec_without_returning(&db)
        .await
        .expect("insert agency");
        map.insert(code.to_owned(), (id, kind));
    }
    (dir, db, map)
}

fn opts(seed: u64) -> SeedOptions {
    SeedOptions {
        participants: N,
        seed,
        today: today(),
    }
}

async fn seeded(seed: u64) -> (tempfile::TempDir, DatabaseConnection, SeedReport) {
    let (dir, db, agencies) = fresh_db().await;
    let report = super::seed(&db, &keys(), &agencies, &opts(seed))
        .await
        .expect("seed");
    (dir, db, report)
}

async fn staff_id(db: &DatabaseConnection, subject: &str) -> Uuid {
    Staff::find()
        .filter(staff::Column::Subject.eq(subject))
        .one(db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("{subject} exists"))
        .id
}

#[tokio::test]
async fn seeds_every_table_consistently() {
    let (_dir, db, report) = seeded(1).await;

    // Every table but the audit log has rows, and the report says so.
    let actual: Vec<(&str, u64)> = vec![
        ("org_unit", OrgUnit::find().count(&db).await.expect("count")),
        ("staff", Staff::find().count(&db).await.expect("count")),
        (
            "participant",
            Participant::find().count(&db).await.expect("count"),
        ),
        (
            "shared_case",
            SharedCase::find().count(&db).await.expect("count"),
        ),
        (
            "case_member",
            CaseMember::find().count(&db).await.expect("count"),
        ),
        ("consent", Consent::find().count(&db).await.expect("count")),
        ("plan", Plan::find().count(&db).await.expect("count")),
        ("goal", Goal::find().count(&db).await.expect("count")),
        (
            "ladder_step",
            LadderStep::find().count(&db).await.expect("count"),
        ),
        (
            "step_history",
            StepHistory::find().count(&db).await.expect("count"),
        ),
        (
            "intervention",
            Intervention::find().count(&db).await.expect("count"),
        ),
        (
            "procurement_contract",
            ProcurementContract::find().count(&db).await.expect("count"),
        ),
        (
            "placement_slot",
            PlacementSlot::find().count(&db).await.expect("count"),
        ),
        (
            "placement",
            Placement::find().count(&db).await.expect("count"),
        ),
        (
            "allocation_model",
            AllocationModel::find().count(&db).await.expect("count"),
        ),
        (
            "allocation",
            Allocation::find().count(&db).await.expect("count"),
        ),
        (
            "agreement",
            Agreement::find().count(&db).await.expect("count"),
        ),
        ("project", Project::find().count(&db).await.expect("count")),
        (
            "sub_project",
            SubProject::find().count(&db).await.expect("count"),
        ),
        (
            "enrolment",
            Enrolment::find().count(&db).await.expect("count"),
        ),
        (
            "employment_service_record",
            EmploymentServiceRecord::find()
                .count(&db)
                .await
                .expect("count"),
        ),
        (
            "social_insurance_record",
            SocialInsuranceRecord::find()
                .count(&db)
                .await
                .expect("count"),
        ),
        (
            "follow_up",
            FollowUp::find().count(&db).await.expect("count"),
        ),
    ];
    for (table, n) in &actual {
        assert!(*n > 0, "{table} is empty");
        assert_eq!(report.counts.get(table), Some(n), "report for {table}");
    }
    assert_eq!(report.counts.len(), actual.len());
    let written: Vec<&str> = report.counts.keys().copied().collect();
    let mut declared = TABLES.to_vec();
    declared.sort_unstable();
    assert_eq!(written, declared, "TABLES lists what the run writes");
    assert_eq!(AuditEvent::find().count(&db).await.expect("count"), 0);
    assert_eq!(report.counts["participant"], N as u64);

    // Every personnummer decrypts to a test number; all flagged synthetic.
    let k = keys();
    let people = Participant::find().all(&db).await.expect("participants");
    for p in &people {
        let pnr = k
            .decrypt_personnummer(&p.personnummer_enc)
            .expect("decrypts");
        assert!(pnr.is_test_number());
        assert_eq!(k.lookup_hash(&pnr), p.personnummer_hash);
        assert_eq!(pnr.birth_year(), p.birth_year);
        assert!(p.synthetic);
        assert_eq!(p.protected_identity, p.owning_unit_id.is_some());
    }

    // The demo coach has a real caseload; the demo officers are on many cases.
    let coach = staff_id(&db, DEMO_COACH).await;
    let open = SharedCase::find()
        .filter(shared_case::Column::CoachId.eq(coach))
        .filter(shared_case::Column::Status.ne(CaseStatus::Closed))
        .count(&db)
        .await
        .expect("count");
    assert!(
        (20..=60).contains(&open),
        "demo coach has {open} open cases"
    );
    for subject in [DEMO_AF_OFFICER, DEMO_FK_OFFICER, DEMO_LUND_OFFICER] {
        let id = staff_id(&db, subject).await;
        let cases = CaseMember::find()
            .filter(case_member::Column::StaffId.eq(id))
            .count(&db)
            .await
            .expect("count");
        assert!(cases >= 15, "{subject} is on {cases} cases");
    }
    for subject in [DEMO_PLACEMENT_COORDINATOR, DEMO_ANALYST, DEMO_AUDITOR] {
        staff_id(&db, subject).await;
    }

    // Case rows are internally consistent.
    let cases = SharedCase::find().all(&db).await.expect("cases");
    for c in &cases {
        let closed = c.status == CaseStatus::Closed;
        assert_eq!(closed, c.closed_on.is_some());
        assert_eq!(closed, c.outcome.is_some());
        assert!(c.opened_on <= today());
        if let (Some(a), Some(cl)) = (c.assessed_on, c.closed_on) {
            assert!(a <= cl && c.opened_on <= a);
        }
        assert!(c.coach_id.is_some());
    }

    // No slot has more placements than seats.
    let slots = PlacementSlot::find().all(&db).await.expect("slots");
    let placements = Placement::find().all(&db).await.expect("placements");
    let mut used: HashMap<Uuid, i32> = HashMap::new();
    for p in &placements {
        *used.entry(p.slot_id).or_default() += 1;
    }
    for s in &slots {
        let n = used.get(&s.id).copied().unwrap_or(0);
        assert!(n <= s.capacity, "slot {} has {n} of {}", s.id, s.capacity);
        assert!((1..=3).contains(&s.capacity));
        assert!(s.period_start <= s.period_end);
    }
    let by_id: HashMap<Uuid, &placement_slot::Model> = slots.iter().map(|s| (s.id, s)).collect();
    for p in &placements {
        let s = by_id[&p.slot_id];
        assert!(s.period_start <= p.started_on, "placement before its slot");
        if let Some(end) = p.ended_on {
            assert!(end <= s.period_end && p.started_on <= end);
        }
    }

    // Running it again is refused and writes nothing.
    let agencies = Agency::find()
        .all(&db)
        .await
        .expect("agencies")
        .into_iter()
        .map(|a| (a.code, (a.id, a.kind)))
        .collect();
    let again = super::seed(&db, &keys(), &agencies, &opts(1)).await;
    assert!(
        matches!(again, Err(SeedError::AlreadySeeded(_))),
        "{again:?}"
    );
    assert_eq!(
        Participant::find().count(&db).await.expect("count"),
        N as u64
    );
}

#[tokio::test]
async fn same_seed_same_rows_other_seed_other_rows() {
    async fn ids_and_cases(db: &DatabaseConnection) -> (Vec<Uuid>, Vec<shared_case::Model>) {
        let ids = Participant::find()
            .order_by_asc(participant::Column::Id)
            .all(db)
            .await
            .expect("participants")
            .into_iter()
            .map(|p| p.id)
            .collect();
        let cases = SharedCase::find()
            .order_by_asc(shared_case::Column::Id)
            .all(db)
            .await
            .expect("cases");
        (ids, cases)
    }
    let (_a, db_a, report_a) = seeded(42).await;
    let (_b, db_b, report_b) = seeded(42).await;
    let (_c, db_c, _) = seeded(43).await;
    let a = ids_and_cases(&db_a).await;
    let b = ids_and_cases(&db_b).await;
    let c = ids_and_cases(&db_c).await;
    assert_eq!(a, b);
    assert_eq!(report_a.counts, report_b.counts);
    assert_ne!(a.0, c.0);
    assert_ne!(a.1, c.1);
}

#[tokio::test]
async fn refuses_when_agencies_are_missing() {
    let (_dir, db, mut agencies) = fresh_db().await;
    agencies.remove("fk");
    let err = super::seed(&db, &keys(), &agencies, &opts(1)).await;
    assert!(matches!(err, Err(SeedError::Agency(_))), "{err:?}");
}

#[tokio::test]
async fn reuses_staff_created_by_a_sign_in() {
    let (_dir, db, agencies) = fresh_db().await;
    // The authenticator upserted the demo coach before the seed ran.
    let t = today().and_hms_opt(6, 0, 0).expect("time").and_utc();
    let id = Uuid::from_u128(0x5eed);
    Staff::insert(staff::ActiveModel {
        id: Set(id),
        agency_id: Set(agencies["lund"].0),
        subject: Set(DEMO_COACH.to_owned()),
        display_name: Set("Inloggad Coach".to_owned()),
        unit_id: Set(None),
        roles: Set("coach".to_owned()),
        last_seen_at: Set(Some(t)),
        created_at: Set(t),
        updated_at: Set(t),
        version: Set(1),
    })
    .exec_without_returning(&db)
    .await
    .expect("insert staff");
    super::seed(&db, &keys(), &agencies, &opts(5))
        .await
        .expect("seed");
    assert_eq!(staff_id(&db, DEMO_COACH).await, id);
    let open = SharedCase::find()
        .filter(shared_case::Column::CoachId.eq(id))
        .count(&db)
        .await
        .expect("count");
    assert!(open >= 20);
}

/// The PostgreSQL path (COPY, constraints set aside and recreated), when
/// `TEST_DATABASE_URL` is set; skipped otherwise.
#[tokio::test]
async fn postgres_copy_path_keeps_the_schema_intact() {
    use sea_orm::{ConnectOptions, ConnectionTrait, Statement};
    let Some(url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return;
    };
    let schema = format!("seed_test_{}", Uuid::new_v4().simple());
    let admin = Database::connect(&url).await.expect("connect");
    admin
        .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
        .await
        .expect("create schema");
    let mut connect = ConnectOptions::new(url.clone());
    connect
        .set_schema_search_path(schema.clone())
        .sqlx_logging(false);
    let db = Database::connect(connect).await.expect("connect to schema");
    Migrator::up(&db, None).await.expect("migrate");
    let shape = |db: &DatabaseConnection| {
        let sql = format!(
            "SELECT (SELECT string_agg(conname || pg_get_constraintdef(oid), ';' ORDER BY conname) \
               FROM pg_constraint WHERE connamespace = '{schema}'::regnamespace) || '|' || \
             (SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes \
               WHERE schemaname = '{schema}') AS shape"
        );
        let db = db.clone();
        async move {
            db.query_one(Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("catalog query")
                .expect("one row")
                .try_get::<String>("", "shape")
                .expect("shape")
        }
    };
    let before = shape(&db).await;

    let t = today().and_hms_opt(6, 0, 0).expect("time").and_utc();
    let mut agencies = HashMap::new();
    for (i, (code, kind)) in [
        ("lund", AgencyKind::Municipality),
        ("af", AgencyKind::EmploymentService),
        ("fk", AgencyKind::SocialInsurance),
        ("region", AgencyKind::Region),
        ("finsam", AgencyKind::CoordinationAssociation),
        ("audit", AgencyKind::Oversight),
    ]
    .into_iter()
    .enumerate()
    {
        let id = Uuid::from_u128(0xa9e0 + i as u128);
        Agency::insert(agency::ActiveModel {
            id: Set(id),
            code: Set(code.to_owned()),
            name: Set(code.to_uppercase()),
            kind: Set(kind),
            created_at: Set(t),
            updated_at: Set(t),
            version: Set(1),
        })
        .exec_without_returning(&db)
        .await
        .expect("insert agency");
        agencies.insert(code.to_owned(), (id, kind));
    }
    let report = super::seed(&db, &keys(), &agencies, &opts(11)).await;
    let after = shape(&db).await;
    let people = Participant::find().all(&db).await;
    let cases = SharedCase::find().count(&db).await;
    db.close().await.expect("close");
    admin
        .execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .await
        .expect("drop schema");

    let report = report.expect("seed on PostgreSQL");
    assert_eq!(
        before, after,
        "constraints and indexes are restored exactly"
    );
    let people = people.expect("participants");
    assert_eq!(people.len(), N);
    let k = keys();
    for p in &people {
        assert!(k
            .decrypt_personnummer(&p.personnummer_enc)
            .expect("decrypts")
            .is_test_number());
    }
    assert_eq!(cases.expect("count"), report.counts["shared_case"]);
}
