//! Whole answers to dashboard queries, shared in the cache by everyone in
//! the same visibility scope.
//!
//! Key = SHA-256 of: the normalized document, the operation name, the
//! variables, the scope (agency and roles: what the policy decides on),
//! the policy version, today's date in Sweden (consents start and expire
//! at midnight, and who counts as anonymous follows them), and the version
//! counter of every data domain the asked-for dashboards read. Never a
//! token, never a user id.
//!
//! A read takes the counters, then looks the key up; on a miss one
//! request computes while the others for the same key wait for it
//! (single flight), and the answer is stored with a TTL as a backstop.
//! When the cache fails or is slow the answer is computed anyway and
//! marked `BYPASS`.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::parser::types::{OperationType, Selection};
use async_graphql::Request;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::cache::versions::{Domain, Versions};
use crate::cache::Cache;
use crate::graphql::RequestContext;
use crate::observability::metrics::Metrics;

/// What the answer's `extensions.cache` says: `HIT`, `MISS` or `BYPASS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "UPPERCASE")]
pub enum Status {
    Hit,
    Miss,
    Bypass,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A computed answer: the JSON body and whether it may be stored (only
/// answers without errors are).
#[derive(Debug, Clone)]
pub struct Answer {
    pub body: serde_json::Value,
    pub cacheable: bool,
    /// HTTP status (a stored answer was a 200).
    pub status: http::StatusCode,
}

impl Answer {
    fn stored(body: serde_json::Value) -> Answer {
        Answer {
            body,
            cacheable: true,
            status: http::StatusCode::OK,
        }
    }
}

/// A request that is a pure dashboard query, with what its key needs.
#[derive(Debug)]
pub struct Plan {
    document: String,
    operation: Option<String>,
    variables: String,
    domains: Vec<Domain>,
}

/// Who shares an entry: the inputs of the policy decision.
pub struct Scope {
    pub agency: String,
    pub roles: Vec<String>,
    pub policy_version: String,
    /// The Swedish date the answer is computed for: a consent that expired
    /// at midnight must not count from yesterday's entry.
    pub today: chrono::NaiveDate,
}

impl Scope {
    /// The scope of a request: its caller's agency and roles and the
    /// policy snapshot it is decided by. Anonymous callers share one scope
    /// (the policy gives them nothing).
    pub fn of(rc: &RequestContext) -> Scope {
        let (agency, roles) = match &rc.principal {
            Some(p) => (
                p.agency.clone(),
                p.roles.iter().map(|r| r.as_str().to_string()).collect(),
            ),
            None => (String::new(), Vec::new()),
        };
        Scope {
            agency,
            roles,
            policy_version: rc.policy.version.clone(),
            today: rc.services.clock.today(),
        }
    }
}

pub struct DashboardCache {
    cache: Arc<dyn Cache>,
    versions: Versions,
    flights: Mutex<HashMap<[u8; 32], Arc<OnceCell<Answer>>>>,
    ttl: Duration,
    timeout: Duration,
    metrics: Arc<Metrics>,
}

impl DashboardCache {
    pub fn new(
        cache: Arc<dyn Cache>,
        versions: Versions,
        ttl: Duration,
        timeout: Duration,
        metrics: Arc<Metrics>,
    ) -> DashboardCache {
        DashboardCache {
            cache,
            versions,
            flights: Mutex::default(),
            ttl,
            timeout,
            metrics,
        }
    }

    /// `Some` when the request is a query whose every root field is
    /// `dashboard` (or `__typename`); anything else is never cached.
    pub fn plan(request: &Request) -> Option<Plan> {
        // Every request passes here: do not parse a second time those
        // that cannot be dashboard queries.
        if !request.query.contains("dashboard") {
            return None;
        }
        let doc = async_graphql::parser::parse_query(&request.query).ok()?;
        let op = match &request.operation_name {
            Some(name) => {
                doc.operations
                    .iter()
                    .find(|(n, _)| n.map(|n| n.as_str()) == Some(name))?
                    .1
            }
            None => {
                let mut ops = doc.operations.iter();
                let (_, op) = ops.next()?;
                if ops.next().is_some() {
                    return None;
                }
                op
            }
        };
        if op.node.ty != OperationType::Query {
            return None;
        }
        let mut domains = BTreeSet::new();
        let mut any = false;
        for sel in &op.node.selection_set.node.items {
            let Selection::Field(field) = &sel.node else {
                return None;
            };
            match field.node.name.node.as_str() {
                "__typename" => {}
                "dashboard" => {
                    any = true;
                    for inner in &field.node.selection_set.node.items {
                        match &inner.node {
                            Selection::Field(f) => domains.extend(reads(f.node.name.node.as_str())),
                            // A fragment could ask for anything: assume everything.
                            _ => domains.extend(Domain::ALL),
                        }
                    }
                }
                _ => return None,
            }
        }
        if !any {
            return None;
        }
        Some(Plan {
            document: normalize(&request.query),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).unwrap_or_default(),
            domains: domains.into_iter().collect(),
        })
    }

    /// Serves `plan` from the cache or computes it with `compute` (at most
    /// once at a time per key in this process).
    pub async fn serve<F, Fut>(&self, plan: Plan, scope: Scope, compute: F) -> (Answer, Status)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Answer>,
    {
        let versions = match self.timed(self.versions.current(&plan.domains)).await {
            Some(v) => v,
            None => return (self.compute(compute).await, self.count(Status::Bypass)),
        };
        let key = key(&plan, &scope, &versions);
        let cache_key = format!("dash:{}", hex::encode(key));
        match self.timed(self.cache.get(&cache_key)).await {
            Some(Some(bytes)) => {
                if let Ok(body) = serde_json::from_slice(&bytes) {
                    return (Answer::stored(body), self.count(Status::Hit));
                }
            }
            Some(None) => {}
            None => return (self.compute(compute).await, self.count(Status::Bypass)),
        }
        let cell = self
            .flights
            .lock()
            .expect("flights lock poisoned")
            .entry(key)
            .or_default()
            .clone();
        let answer = cell
            .get_or_init(|| async {
                // Another flight may have stored it between our miss and now.
                if let Some(Some(bytes)) = self.timed(self.cache.get(&cache_key)).await {
                    if let Ok(body) = serde_json::from_slice(&bytes) {
                        return Answer::stored(body);
                    }
                }
                let answer = self.compute(compute).await;
                if answer.cacheable {
                    if let Ok(bytes) = serde_json::to_vec(&answer.body) {
                        // A failed store only costs the next reader a miss.
                        let _ = self
                            .timed(self.cache.set(&cache_key, &bytes, self.ttl))
                            .await;
                    }
                }
                answer
            })
            .await
            .clone();
        {
            let mut flights = self.flights.lock().expect("flights lock poisoned");
            if flights.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                flights.remove(&key);
            }
        }
        (answer, self.count(Status::Miss))
    }

    async fn compute<F, Fut>(&self, compute: F) -> Answer
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Answer>,
    {
        self.metrics.dashboard_computed();
        compute().await
    }

    /// A cache call bounded by the timeout; `None` when it failed or was slow.
    async fn timed<T, E: std::fmt::Display>(
        &self,
        call: impl Future<Output = Result<T, E>>,
    ) -> Option<T> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "dashboard cache unavailable; bypassed");
                None
            }
            Err(_) => {
                tracing::warn!(
                    timeout_ms = self.timeout.as_millis() as u64,
                    "dashboard cache slow; bypassed"
                );
                None
            }
        }
    }

    fn count(&self, status: Status) -> Status {
        self.metrics
            .cache_result(&status.as_str().to_ascii_lowercase());
        status
    }
}

/// The domains each dashboard reads.
fn reads(dashboard: &str) -> Vec<Domain> {
    use Domain::*;
    match dashboard {
        "__typename" => vec![],
        "projectOverview" => vec![Enrolments, Participants, Consents, Projects],
        "placementAllocation" => vec![Placements, Slots, Allocation],
        "caseFlow" => vec![Cases],
        "spinningAround" => vec![Interventions, Steps, Cases, Participants, Consents],
        "skillsNeeds" => vec![Slots, Steps, Allocation],
        _ => Domain::ALL.to_vec(),
    }
}

fn key(plan: &Plan, scope: &Scope, versions: &[i64]) -> [u8; 32] {
    let mut roles = scope.roles.clone();
    roles.sort_unstable();
    let mut h = Sha256::new();
    // Length-prefixed parts: no two different inputs make the same stream.
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    part(plan.document.as_bytes());
    part(plan.operation.as_deref().unwrap_or("").as_bytes());
    part(plan.variables.as_bytes());
    part(scope.agency.as_bytes());
    part(roles.join(",").as_bytes());
    part(scope.policy_version.as_bytes());
    part(scope.today.to_string().as_bytes());
    for (d, v) in plan.domains.iter().zip(versions) {
        part(format!("{d:?}={v}").as_bytes());
    }
    h.finalize().into()
}

/// The document without comments and with whitespace collapsed, so the
/// same query sent with other formatting shares an entry. Strings (and
/// block strings) are kept verbatim.
pub fn normalize(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    let mut chars = doc.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
                pending_space = true;
            }
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => pending_space = true,
            '"' => {
                flush_space(&mut out, &mut pending_space, '"');
                out.push('"');
                let block = chars.peek() == Some(&'"') && {
                    let mut look = chars.clone();
                    look.next();
                    look.peek() == Some(&'"')
                };
                if block {
                    out.push_str("\"\"");
                    chars.next();
                    chars.next();
                    let mut quotes = 0;
                    for c in chars.by_ref() {
                        out.push(c);
                        quotes = if c == '"' { quotes + 1 } else { 0 };
                        if quotes == 3 {
                            break;
                        }
                    }
                } else {
                    let mut escaped = false;
                    for c in chars.by_ref() {
                        out.push(c);
                        match (escaped, c) {
                            (false, '\\') => escaped = true,
                            (false, '"') => break,
                            _ => escaped = false,
                        }
                    }
                }
            }
            c => {
                flush_space(&mut out, &mut pending_space, c);
                out.push(c);
            }
        }
    }
    out
}

/// Keeps one space only where it separates two names or values.
fn flush_space(out: &mut String, pending: &mut bool, next: char) {
    if std::mem::take(pending) {
        let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$' || c == '"' || c == '-';
        if out.chars().last().is_some_and(word) && word(next) {
            out.push(' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_before() {
        let names = [Status::Hit, Status::Miss, Status::Bypass].map(Status::as_str);
        assert_eq!(names, ["HIT", "MISS", "BYPASS"]);
    }

    #[test]
    fn formatting_and_comments_do_not_change_the_document() {
        let a = "query Q {\n  dashboard { # the board's view\n    caseFlow(year: 2026) { year }\n  }\n}";
        let b = "query Q{dashboard{caseFlow(year:2026){year}}}";
        assert_eq!(normalize(a), normalize(b));
    }

    #[test]
    fn strings_keep_their_spaces() {
        let a = r#"{ dashboard { projectOverview(project: "a  b # c") { active { value } } } }"#;
        assert!(normalize(a).contains(r#""a  b # c""#));
        assert_ne!(
            normalize(a),
            normalize(
                r#"{ dashboard { projectOverview(project: "a b # c") { active { value } } } }"#
            )
        );
    }

    #[test]
    fn only_pure_dashboard_queries_are_cached() {
        let plan = |q: &str| DashboardCache::plan(&Request::new(q));
        assert!(plan("{ dashboard { caseFlow { year } } }").is_some());
        assert!(plan("{ __typename dashboard { caseFlow { year } } }").is_some());
        assert!(plan("{ dashboard { caseFlow { year } } me { subject } }").is_none());
        assert!(plan("mutation { dashboard }").is_none());
        assert!(plan("{ ...F } fragment F on Query { dashboard { caseFlow { year } } }").is_none());
        assert!(plan("{ me { subject } }").is_none());
    }

    #[test]
    fn scopes_and_versions_change_the_key() {
        let plan = DashboardCache::plan(&Request::new("{ dashboard { caseFlow { year } } }"))
            .expect("a dashboard query");
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 12, d).expect("a date");
        let scope = |agency: &str, roles: Vec<&str>, v: &str| Scope {
            agency: agency.into(),
            roles: roles.into_iter().map(String::from).collect(),
            policy_version: v.into(),
            today: day(3),
        };
        let k = key(&plan, &scope("finsam", vec!["analyst"], "p1"), &[1]);
        assert_eq!(k, key(&plan, &scope("finsam", vec!["analyst"], "p1"), &[1]));
        assert_ne!(k, key(&plan, &scope("lund", vec!["analyst"], "p1"), &[1]));
        assert_ne!(
            k,
            key(
                &plan,
                &scope("finsam", vec!["analyst", "coach"], "p1"),
                &[1]
            )
        );
        assert_ne!(k, key(&plan, &scope("finsam", vec!["analyst"], "p2"), &[1]));
        assert_ne!(k, key(&plan, &scope("finsam", vec!["analyst"], "p1"), &[2]));
        let tomorrow = Scope {
            today: day(4),
            ..scope("finsam", vec!["analyst"], "p1")
        };
        assert_ne!(k, key(&plan, &tomorrow, &[1]));
    }
}
