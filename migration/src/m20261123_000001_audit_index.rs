//! The audit log's head and participant index, and the indexes auditors'
//! searches need.
//!
//! - `audit_head`: one row holding the newest `seq` and `hash` of the chain,
//!   updated with every append, so deleting the newest events is detected
//!   (a chain that merely ends earlier would still verify).
//! - `audit_participant`: (participant, event) pairs, so a data subject's
//!   access log is a primary-key lookup rather than a scan of every event.
//! - `audit_event (at)` and `(subject, seq)`: the time range and "what did
//!   this member of staff read" searches.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `prev_hash` of the first event and `last_hash` of an empty log
/// (the gateway's `audit::GENESIS`).
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(AuditHead::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AuditHead::LastSeq).big_integer().not_null())
                    .col(ColumnDef::new(AuditHead::LastHash).text().not_null())
                    .to_owned(),
            )
            .await?;
        // The row exists from the start, so an append only ever updates it
        // and a missing row means someone deleted it.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditHead::Table)
                    .columns([AuditHead::Id, AuditHead::LastSeq, AuditHead::LastHash])
                    .values_panic([1.into(), 0i64.into(), GENESIS.into()])
                    .on_conflict(OnConflict::column(AuditHead::Id).do_nothing().to_owned())
                    .to_owned(),
            )
            .await?;

        // Foreign key inline: SQLite cannot add one later. RESTRICT, so an
        // event cannot be deleted while the index still names it.
        manager
            .create_table(
                Table::create()
                    .table(AuditParticipant::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(AuditParticipant::ParticipantId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditParticipant::Seq)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(AuditParticipant::ParticipantId)
                            .col(AuditParticipant::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_participant_seq")
                            .from(AuditParticipant::Table, AuditParticipant::Seq)
                            .to(AuditEvent::Table, AuditEvent::Seq)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // Verification reads the index by ranges of `seq`.
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_audit_participant_seq")
                    .table(AuditParticipant::Table)
                    .col(AuditParticipant::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_audit_event_at")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_audit_event_subject_seq")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::Subject)
                    .col(AuditEvent::Seq)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_audit_event_subject_seq", "idx_audit_event_at"] {
            manager
                .drop_index(
                    Index::drop()
                        .if_exists()
                        .name(name)
                        .table(AuditEvent::Table)
                        .to_owned(),
                )
                .await?;
        }
        // Dropping the table drops its own index.
        for table in [
            AuditParticipant::Table.into_iden(),
            AuditHead::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    LastSeq,
    LastHash,
}

#[derive(DeriveIden)]
enum AuditParticipant {
    Table,
    ParticipantId,
    Seq,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Seq,
    At,
    Subject,
}
