//! A case keeps the person's registration as its opener entered it (name,
//! district, target groups, education, income source): what an agency
//! learns through its case is what it entered, not what another agency
//! registered about the person in another collaboration.
//!
//! With it, whose registration it is (the agency and unit that entered
//! it: the unit alone sees a protected identity) and whether the person is
//! protected as far as this case knows.
//!
//! Existing cases take the participant row's values, owner included: that
//! is what each of them showed until now, under the same rule (another
//! agency's case shows the registrar's consent-classified fields only under
//! the registrar's consent). One column per statement, each with a default:
//! SQLite adds columns one at a time and a NOT NULL column needs a default.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [(SharedCase, Participant, &str); 6] = [
    (SharedCase::GivenName, Participant::GivenName, ""),
    (SharedCase::FamilyName, Participant::FamilyName, ""),
    (SharedCase::District, Participant::District, ""),
    (SharedCase::TargetGroups, Participant::TargetGroups, ""),
    (
        SharedCase::EducationLevel,
        Participant::EducationLevel,
        "unknown",
    ),
    (SharedCase::IncomeSource, Participant::IncomeSource, "other"),
];

/// Whose registration, and its protection: from the participant row.
const OWNERSHIP: [(SharedCase, Participant); 3] = [
    (
        SharedCase::RegisteredByAgencyId,
        Participant::RegisteredByAgencyId,
    ),
    (SharedCase::RegisteredUnitId, Participant::OwningUnitId),
    (
        SharedCase::ProtectedIdentity,
        Participant::ProtectedIdentity,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (column, _, default) in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(SharedCase::Table)
                        .add_column(ColumnDef::new(column).text().not_null().default(default))
                        .to_owned(),
                )
                .await?;
        }
        for def in [
            ColumnDef::new(SharedCase::RegisteredByAgencyId)
                .uuid()
                .null()
                .to_owned(),
            ColumnDef::new(SharedCase::RegisteredUnitId)
                .uuid()
                .null()
                .to_owned(),
            ColumnDef::new(SharedCase::ProtectedIdentity)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SharedCase::Table)
                        .add_column(def)
                        .to_owned(),
                )
                .await?;
        }
        let mut update = Query::update();
        update.table(SharedCase::Table);
        for (column, from) in COLUMNS.iter().map(|(c, f, _)| (*c, *f)).chain(OWNERSHIP) {
            let value = Query::select()
                .column((Participant::Table, from))
                .from(Participant::Table)
                .and_where(
                    Expr::col((Participant::Table, Participant::Id))
                        .equals((SharedCase::Table, SharedCase::ParticipantId)),
                )
                .to_owned();
            update.value(
                column,
                SimpleExpr::SubQuery(None, Box::new(value.into_sub_query_statement())),
            );
        }
        manager.exec_stmt(update).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let all = COLUMNS
            .iter()
            .map(|(c, _, _)| *c)
            .chain(OWNERSHIP.iter().map(|(c, _)| *c));
        for column in all {
            manager
                .alter_table(
                    Table::alter()
                        .table(SharedCase::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum SharedCase {
    Table,
    ParticipantId,
    GivenName,
    FamilyName,
    District,
    TargetGroups,
    EducationLevel,
    IncomeSource,
    RegisteredByAgencyId,
    RegisteredUnitId,
    ProtectedIdentity,
}

#[derive(DeriveIden, Clone, Copy)]
enum Participant {
    Table,
    Id,
    GivenName,
    FamilyName,
    District,
    TargetGroups,
    EducationLevel,
    IncomeSource,
    RegisteredByAgencyId,
    OwningUnitId,
    ProtectedIdentity,
}
