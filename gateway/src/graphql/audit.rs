//! The access log, for auditors and the data protection officer: whose data
//! was read or written, by whom, when and with what decision. Who may call
//! these is the policy's to decide (the `auditor` role), not these resolvers'.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, Result, ID};
use chrono::{DateTime, Duration, Utc};
use entities::audit_event;

use super::context::rc;
use super::input;
use crate::audit::query::{self, EventFilter};
use crate::audit::Decision;
use crate::graphql::RowTag;
use crate::vocabulary::error::ApiError;

/// Widest `from`..`to` of one `auditTrail` call.
pub const MAX_TRAIL_DAYS: i64 = 366;
/// Most events one `auditTrail` call returns; more is refused, not cut.
pub const MAX_TRAIL_EVENTS: u64 = 1000;
/// Longest text accepted in a filter.
const MAX_FILTER_TEXT: usize = 200;

/// What the policy decided about an access.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum AuditDecision {
    /// Everything asked for was given.
    Allowed,
    /// Answered with some fields withheld.
    Redacted,
    /// Refused.
    Denied,
    /// Allowed, but it did not succeed (bad input, not found, a conflict).
    Failed,
}

impl From<Decision> for AuditDecision {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Allowed => AuditDecision::Allowed,
            Decision::Redacted => AuditDecision::Redacted,
            Decision::Denied => AuditDecision::Denied,
            Decision::Failed => AuditDecision::Failed,
        }
    }
}

impl From<AuditDecision> for Decision {
    fn from(d: AuditDecision) -> Self {
        match d {
            AuditDecision::Allowed => Decision::Allowed,
            AuditDecision::Redacted => Decision::Redacted,
            AuditDecision::Denied => Decision::Denied,
            AuditDecision::Failed => Decision::Failed,
        }
    }
}

pub struct AuditEvent(pub audit_event::Model);

/// One recorded access: someone's read or write of personal data, or a
/// refusal of one.
#[Object]
impl AuditEvent {
    /// Position in the log (a 64-bit integer, as text): events are chained
    /// in this order, and `auditEvents` takes it as its cursor.
    async fn seq(&self) -> String {
        self.0.seq.to_string()
    }
    /// When the access happened (microsecond precision).
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Agency code of the caller (`lund`, `af`, ...).
    async fn agency(&self) -> &str {
        &self.0.agency
    }
    /// The caller's subject at their identity provider (a staff id).
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// The caller's roles, comma-separated.
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// What was done, e.g. `query CasePage` or `mutation addFollowUp`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// Participants whose data was read or written.
    async fn participant_ids(&self) -> Vec<ID> {
        crate::audit::split_list(&self.0.participant_ids)
            .map(|p| ID(p.to_string()))
            .collect()
    }
    /// Fields (`Type.field`) or classifications read, written or withheld.
    async fn fields(&self) -> Vec<String> {
        crate::audit::split_list(&self.0.fields)
            .map(str::to_string)
            .collect()
    }
    /// The policy's decision.
    async fn decision(&self) -> Result<AuditDecision> {
        Ok(Decision::parse(&self.0.decision)
            .ok_or_else(|| {
                ApiError::internal(format!(
                    "audit event {} has an unknown decision",
                    self.0.seq
                ))
            })?
            .into())
    }
    /// The request's trace id, to find it in the logs and traces.
    async fn trace_id(&self) -> Option<&str> {
        self.0.trace_id.as_deref()
    }
}

/// Exact matches; everything given must match.
#[derive(InputObject, Default)]
pub struct AuditEventFilterInput {
    /// Agency code of the caller.
    pub agency: Option<String>,
    /// The caller's identity-provider subject.
    pub subject: Option<String>,
    /// E.g. `query CasePage`.
    pub operation: Option<String>,
    /// The policy's decision.
    pub decision: Option<AuditDecision>,
    /// At or after this time.
    pub from: Option<DateTime<Utc>>,
    /// At or before this time.
    pub to: Option<DateTime<Utc>>,
}

pub type AuditEventConnection = Connection<String, AuditEvent>;

fn filter_text(field: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    value
        .map(|v| input::required_text(field, v, MAX_FILTER_TEXT))
        .transpose()
}

/// `after`: the `seq` of the last event of the previous page.
fn decode_seq(after: &str) -> Result<i64, ApiError> {
    after
        .parse::<i64>()
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| ApiError::bad_input("after", "not a cursor from this API"))
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The data subject's access log: every recorded access to one
    /// participant's data, oldest first. `to` defaults to now and `from` to
    /// 366 days before `to`; a wider range, or one holding more than 1000
    /// events, is refused with BAD_USER_INPUT (narrow it).
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        participant_id: ID,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<AuditEvent>> {
        let r = rc(ctx);
        r.principal()?;
        let participant = input::id("participantId", &participant_id)?;
        // Reading someone's access log is an access to their data: it is
        // audited under their id, so it shows in their own trail.
        r.ledger
            .tag(ctx.path_node.as_ref(), &RowTag::participant(participant));
        let to = to.unwrap_or_else(Utc::now);
        let from = from.unwrap_or(to - Duration::days(MAX_TRAIL_DAYS));
        if from > to {
            return Err(ApiError::bad_input("to", "is before from").into());
        }
        if to - from > Duration::days(MAX_TRAIL_DAYS) {
            return Err(ApiError::bad_input(
                "from",
                format!("at most {MAX_TRAIL_DAYS} days before to"),
            )
            .into());
        }
        let trail = query::trail(r.db(), participant, from, to, MAX_TRAIL_EVENTS)
            .await
            .map_err(ApiError::from)?;
        if trail.truncated {
            return Err(ApiError::bad_input(
                "from",
                format!(
                    "more than {MAX_TRAIL_EVENTS} events in this range; narrow it with from and to"
                ),
            )
            .into());
        }
        Ok(trail.rows.into_iter().map(AuditEvent).collect())
    }

    /// Recorded accesses matching `filter`, newest first. The cursor is an
    /// event's `seq`. `first` defaults to 20 and may be at most 100 (larger
    /// is refused with BAD_USER_INPUT).
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AuditEventConnection> {
        let r = rc(ctx);
        r.principal()?;
        let first = input::page_size(&r.services.limits, first)?;
        let before = after.as_deref().map(decode_seq).transpose()?;
        let f = filter.unwrap_or_default();
        if let (Some(a), Some(b)) = (f.from, f.to) {
            if a > b {
                return Err(ApiError::bad_input("filter.to", "is before filter.from").into());
            }
        }
        let filter = EventFilter {
            agency: filter_text("filter.agency", f.agency.as_deref())?,
            subject: filter_text("filter.subject", f.subject.as_deref())?,
            operation: filter_text("filter.operation", f.operation.as_deref())?,
            decision: f.decision.map(Into::into),
            from: f.from,
            to: f.to,
        };
        let page = query::events(r.db(), &filter, before, first)
            .await
            .map_err(ApiError::from)?;
        let mut conn = Connection::new(before.is_some(), page.has_next);
        conn.edges.extend(
            page.rows
                .into_iter()
                .map(|e| Edge::new(e.seq.to_string(), AuditEvent(e))),
        );
        Ok(conn)
    }
}
