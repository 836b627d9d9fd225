//! A case keeps the person's registration as its opener entered it (name,
//! district, target groups, education, income source): what an agency
//! learns through its case is what it entered, not what another agency
//! registered about the person in another collaboration.
//!
//! Existing cases take the participant row's values: that is what each of
//! them showed until now. One column per statement, each with a default:
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
        let mut update = Query::update();
        update.table(SharedCase::Table);
        for (column, from, _) in COLUMNS {
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
        for (column, _, _) in COLUMNS {
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
}
