//! Reading the log for auditors: a data subject's access log through the
//! participant index, and filtered pages of events. The GraphQL layer
//! (`schema::audit`) validates and bounds the arguments; this runs the SQL.

use chrono::{DateTime, Utc};
use entities::{audit_event, audit_participant};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::Decision;

/// Events concerning `participant` with `from <= at <= to`, oldest first,
/// at most `limit` of them; `truncated` when there were more.
pub async fn trail(
    db: &impl ConnectionTrait,
    participant: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> Result<Trail, DbErr> {
    let seqs = Query::select()
        .column(audit_participant::Column::Seq)
        .from(audit_participant::Entity)
        .and_where(audit_participant::Column::ParticipantId.eq(participant))
        .to_owned();
    let mut rows = audit_event::Entity::find()
        .filter(audit_event::Column::Seq.in_subquery(seqs))
        .filter(audit_event::Column::At.gte(from))
        .filter(audit_event::Column::At.lte(to))
        .order_by_asc(audit_event::Column::Seq)
        .limit(limit + 1)
        .all(db)
        .await?;
    let truncated = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Trail { rows, truncated })
}

pub struct Trail {
    pub rows: Vec<audit_event::Model>,
    /// More events matched than the limit.
    pub truncated: bool,
}

/// Exact-match filters on events; `None` matches everything.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    pub agency: Option<String>,
    pub subject: Option<String>,
    pub operation: Option<String>,
    pub decision: Option<Decision>,
    /// `at` on or after.
    pub from: Option<DateTime<Utc>>,
    /// `at` on or before.
    pub to: Option<DateTime<Utc>>,
}

pub struct EventPage {
    pub rows: Vec<audit_event::Model>,
    pub has_next: bool,
}

/// A page of events matching `filter`, newest first, before `before` (a `seq`).
pub async fn events(
    db: &impl ConnectionTrait,
    filter: &EventFilter,
    before: Option<i64>,
    first: u64,
) -> Result<EventPage, DbErr> {
    let mut q = audit_event::Entity::find();
    if let Some(v) = &filter.agency {
        q = q.filter(audit_event::Column::Agency.eq(v.as_str()));
    }
    if let Some(v) = &filter.subject {
        q = q.filter(audit_event::Column::Subject.eq(v.as_str()));
    }
    if let Some(v) = &filter.operation {
        q = q.filter(audit_event::Column::Operation.eq(v.as_str()));
    }
    if let Some(v) = filter.decision {
        q = q.filter(audit_event::Column::Decision.eq(v.as_str()));
    }
    if let Some(v) = filter.from {
        q = q.filter(audit_event::Column::At.gte(v));
    }
    if let Some(v) = filter.to {
        q = q.filter(audit_event::Column::At.lte(v));
    }
    if let Some(seq) = before {
        q = q.filter(audit_event::Column::Seq.lt(seq));
    }
    let mut rows = q
        .order_by_desc(audit_event::Column::Seq)
        .limit(first + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok(EventPage { rows, has_next })
}
