//! `participant.registered_by_agency_id`: the agency that registered the
//! person. What it registered (income source, target groups) is that
//! agency's information, which other agencies see only under a consent.
//!
//! Existing rows take the lead agency of the person's earliest case (who
//! opened the collaboration is who registered them); a person with no case
//! stays NULL, and the gateway then shows those fields to nobody.
//!
//! No foreign key: SQLite cannot add one to an existing table, and the
//! gateway writes only the ids of agencies it has loaded.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Participant::Table)
                    .add_column(
                        ColumnDef::new(Participant::RegisteredByAgencyId)
                            .uuid()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        let earliest_lead = Query::select()
            .column((SharedCase::Table, SharedCase::LeadAgencyId))
            .from(SharedCase::Table)
            .and_where(
                Expr::col((SharedCase::Table, SharedCase::ParticipantId))
                    .equals((Participant::Table, Participant::Id)),
            )
            .order_by((SharedCase::Table, SharedCase::OpenedOn), Order::Asc)
            .order_by((SharedCase::Table, SharedCase::Id), Order::Asc)
            .limit(1)
            .to_owned();
        manager
            .exec_stmt(
                Query::update()
                    .table(Participant::Table)
                    .value(
                        Participant::RegisteredByAgencyId,
                        SimpleExpr::SubQuery(
                            None,
                            Box::new(earliest_lead.into_sub_query_statement()),
                        ),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Participant::Table)
                    .drop_column(Participant::RegisteredByAgencyId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Participant {
    Table,
    Id,
    RegisteredByAgencyId,
}

#[derive(DeriveIden)]
enum SharedCase {
    Table,
    ParticipantId,
    LeadAgencyId,
    OpenedOn,
    Id,
}
