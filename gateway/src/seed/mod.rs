//! Synthetic data generator (being written by a helper; placeholder API).
pub const DEMO_COACH: &str = "lund-coach-001";
pub const DEMO_LUND_OFFICER: &str = "lund-officer-001";
pub const DEMO_PLACEMENT_COORDINATOR: &str = "lund-placement-001";
pub const DEMO_AF_OFFICER: &str = "af-officer-001";
pub const DEMO_FK_OFFICER: &str = "fk-officer-001";
pub const DEMO_ANALYST: &str = "finsam-analyst-001";
pub const DEMO_AUDITOR: &str = "audit-auditor-001";

// Placeholder API until the generator lands; the helper replaces this file.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SeedReport {
    pub counts: std::collections::BTreeMap<&'static str, u64>,
    pub elapsed_ms: u128,
}
pub struct SeedOptions {
    pub participants: usize,
    pub seed: u64,
    pub today: chrono::NaiveDate,
}
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    AlreadySeeded(String),
}
pub async fn seed(
    _db: &sea_orm::DatabaseConnection,
    _keys: &crate::crypto::PiiKeys,
    _agencies: &std::collections::HashMap<String, (uuid::Uuid, entities::enums::AgencyKind)>,
    _opts: &SeedOptions,
) -> Result<SeedReport, SeedError> {
    Err(SeedError::AlreadySeeded(
        "generator not in place yet".into(),
    ))
}
