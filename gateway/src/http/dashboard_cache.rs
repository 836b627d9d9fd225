//! Whole answers to dashboard queries, shared in the cache by everyone in
//! the same visibility scope.
//!
//! Key = SHA-256 of: the operation that runs, written out canonically
//! (fragments inlined, variables replaced by their values or defaults, no
//! operation name, no formatting), so what cannot change the answer (an
//! unused variable, a renamed operation, another operation beside it)
//! does not make a new entry; the scope (agency and roles: what the policy decides on),
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

use async_graphql::parser::types::{
    Directive, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::parser::Positioned;
use async_graphql::{Name, Request, Value, Variables};
use async_graphql_value::Value as GqlValue;
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
    /// The operation written out (see [`canonical`]).
    document: String,
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
            document: canonical(&doc, &op.node, &request.variables)?,
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
        let flight = Flight {
            cell: Some(
                self.flights
                    .lock()
                    .expect("flights lock poisoned")
                    .entry(key)
                    .or_default()
                    .clone(),
            ),
            flights: &self.flights,
            key,
        };
        let answer = flight
            .cell()
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
        drop(flight);
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

/// One caller's part in a single flight. Dropped when the caller has its
/// answer or goes away (a client that disconnects cancels its request):
/// the flight leaves the map once it is done or its last caller has gone,
/// so flights abandoned before they finished do not pile up in memory.
struct Flight<'a> {
    flights: &'a Mutex<HashMap<[u8; 32], Arc<OnceCell<Answer>>>>,
    key: [u8; 32],
    /// Always `Some` until dropped: taken in `drop`, under the lock, so
    /// that two callers leaving at once cannot both count the other.
    cell: Option<Arc<OnceCell<Answer>>>,
}

impl Flight<'_> {
    fn cell(&self) -> &OnceCell<Answer> {
        self.cell
            .as_deref()
            .expect("a flight holds its cell until dropped")
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let Some(cell) = self.cell.take() else {
            return;
        };
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        let ours = flights
            .get(&self.key)
            .is_some_and(|c| Arc::ptr_eq(c, &cell));
        let done = cell.initialized();
        // Every caller's reference is taken and dropped under this lock, so
        // the count is exact: one left means only the map holds it.
        drop(cell);
        let last = flights
            .get(&self.key)
            .is_some_and(|c| Arc::strong_count(c) == 1);
        if ours && (done || last) {
            flights.remove(&self.key);
        }
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
    part(scope.agency.as_bytes());
    part(roles.join(",").as_bytes());
    part(scope.policy_version.as_bytes());
    part(scope.today.to_string().as_bytes());
    for (d, v) in plan.domains.iter().zip(versions) {
        part(format!("{d:?}={v}").as_bytes());
    }
    h.finalize().into()
}

/// The operation as what it asks, one way only: each selection's alias,
/// name, arguments with variables replaced by their values (or defaults),
/// directives, and sub-selections, with fragments written out in place.
/// `None` when a fragment is unknown, or the written-out text grows past [`MAX_CANONICAL`] or nests
/// past [`MAX_CANONICAL_DEPTH`]: such a request is simply not cached. This
/// runs before validation, so it must bound itself: a fragment cycle (which
/// validation would refuse) or fragments that each spread the next twice
/// must not recurse without end or write out 2^n fields.
fn canonical(
    doc: &ExecutableDocument,
    op: &OperationDefinition,
    vars: &Variables,
) -> Option<String> {
    let defaults: HashMap<&Name, &Value> = op
        .variable_definitions
        .iter()
        .filter_map(|d| {
            d.node
                .default_value
                .as_ref()
                .map(|v| (&d.node.name.node, &v.node))
        })
        .collect();
    // A variable with neither value nor default is absent: written as a
    // marker no document can spell (`$absent` would itself be a variable).
    let value_of = |name: &Name| -> Option<Value> {
        Some(
            vars.get(name)
                .or_else(|| defaults.get(name).copied())
                .cloned()
                .unwrap_or_else(|| Value::Enum(Name::new("$absent"))),
        )
    };
    let mut out = String::new();
    write_set(doc, &op.selection_set.node, &value_of, &mut out, 0)?;
    Some(out)
}

/// Longest canonical text cached by; longer documents are not cached.
const MAX_CANONICAL: usize = 64 * 1024;
/// Deepest nesting written out (selection sets and fragments).
const MAX_CANONICAL_DEPTH: usize = 64;

fn write_set(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    value_of: &dyn Fn(&Name) -> Option<Value>,
    out: &mut String,
    depth: usize,
) -> Option<()> {
    use std::fmt::Write as _;
    if depth > MAX_CANONICAL_DEPTH || out.len() > MAX_CANONICAL {
        return None;
    }
    let arguments = |args: &[(Positioned<Name>, Positioned<GqlValue>)], out: &mut String| {
        for (name, value) in args {
            let value = value
                .node
                .clone()
                .into_const_with(|n| value_of(&n).ok_or(()))
                .ok()?;
            let _ = write!(out, "({}:{})", name.node, bounded(value)?);
        }
        Some(())
    };
    let directives = |ds: &[Positioned<Directive>], out: &mut String| {
        for d in ds {
            let _ = write!(out, "@{}", d.node.name.node);
            arguments(&d.node.arguments, out)?;
        }
        Some(())
    };
    out.push('{');
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let f = &f.node;
                if let Some(alias) = &f.alias {
                    let _ = write!(out, "{}:", alias.node);
                }
                out.push_str(&f.name.node);
                arguments(&f.arguments, out)?;
                directives(&f.directives, out)?;
                if !f.selection_set.node.items.is_empty() {
                    write_set(doc, &f.selection_set.node, value_of, out, depth + 1)?;
                }
            }
            Selection::InlineFragment(f) => {
                let f = &f.node;
                out.push_str("...");
                if let Some(on) = &f.type_condition {
                    let _ = write!(out, "on {}", on.node.on.node);
                }
                directives(&f.directives, out)?;
                write_set(doc, &f.selection_set.node, value_of, out, depth + 1)?;
            }
            Selection::FragmentSpread(spread) => {
                let fragment = doc.fragments.get(&spread.node.fragment_name.node)?;
                let _ = write!(out, "...on {}", fragment.node.type_condition.node.on.node);
                directives(&spread.node.directives, out)?;
                write_set(
                    doc,
                    &fragment.node.selection_set.node,
                    value_of,
                    out,
                    depth + 1,
                )?;
            }
        }
        // Checked after every selection, not only on entering a set: a
        // flat list of aliases repeating one large variable must stop too.
        if out.len() > MAX_CANONICAL {
            return None;
        }
        out.push(' ');
    }
    out.push('}');
    Some(())
}

/// Longest argument value written into a key; a longer one (a megabyte
/// variable used in every alias) is not cached by.
const MAX_VALUE: usize = 4 * 1024;

fn bounded(value: Value) -> Option<String> {
    let text = value.to_string();
    (text.len() <= MAX_VALUE).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_before() {
        let names = [Status::Hit, Status::Miss, Status::Bypass].map(Status::as_str);
        assert_eq!(names, ["HIT", "MISS", "BYPASS"]);
    }

    fn doc_of(q: &str, vars: serde_json::Value, op: Option<&str>) -> Option<String> {
        let mut r = Request::new(q).variables(Variables::from_json(vars));
        if let Some(op) = op {
            r = r.operation_name(op);
        }
        DashboardCache::plan(&r).map(|p| p.document)
    }

    #[test]
    fn what_cannot_change_the_answer_does_not_change_the_document() {
        let plain = doc_of(
            "{ dashboard { caseFlow(year: 2026) { year } } }",
            serde_json::json!({}),
            None,
        )
        .expect("cached");
        for (q, vars, op) in [
            // Formatting and comments.
            (
                "query Q {\n  dashboard { # the board's view\n    caseFlow(year: 2026) { year }\n  }\n}",
                serde_json::json!({}),
                None,
            ),
            // A variable, an unused one beside it, a renamed operation.
            (
                "query Renamed($y: Int, $unused: Int) { dashboard { caseFlow(year: $y) { year } } }",
                serde_json::json!({"y": 2026, "unused": 7}),
                None,
            ),
            // A default instead of a value.
            (
                "query($y: Int = 2026) { dashboard { caseFlow(year: $y) { year } } }",
                serde_json::json!({}),
                None,
            ),
            // Another operation beside the one that runs; a fragment.
            (
                "query A { dashboard { ...F } } query B { dashboard { skillsNeeds { year } } } fragment F on Dashboard { caseFlow(year: 2026) { year } }",
                serde_json::json!({}),
                Some("A"),
            ),
        ] {
            let d = doc_of(q, vars, op).expect("cached");
            if q.contains("fragment F") {
                assert!(d.contains("caseFlow(year:2026)"), "{d}");
            } else {
                assert_eq!(d, plain, "{q}");
            }
        }
        let other_year = doc_of(
            "query($y: Int) { dashboard { caseFlow(year: $y) { year } } }",
            serde_json::json!({"y": 2025}),
            None,
        );
        assert_ne!(other_year.as_deref(), Some(plain.as_str()));
        // Strings keep their spaces.
        let a = doc_of(
            r#"{ dashboard { projectOverview(project: "a  b") { active { value } } } }"#,
            serde_json::json!({}),
            None,
        );
        let b = doc_of(
            r#"{ dashboard { projectOverview(project: "a b") { active { value } } } }"#,
            serde_json::json!({}),
            None,
        );
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_flight_abandoned_by_its_callers_leaves_no_entry() {
        let cache: Arc<dyn Cache> = Arc::new(crate::cache::memory::MemoryCache::default());
        let dashboards = DashboardCache::new(
            cache.clone(),
            Versions::new(cache, Duration::from_secs(1)),
            Duration::from_secs(60),
            Duration::from_secs(1),
            Arc::new(Metrics::new()),
        );
        for year in 0..50 {
            let plan = DashboardCache::plan(&Request::new(format!(
                "{{ dashboard {{ caseFlow(year: {}) {{ year }} }} }}",
                2000 + year
            )))
            .expect("a dashboard query");
            let scope = Scope {
                agency: "finsam".into(),
                roles: vec!["analyst".into()],
                policy_version: "p".into(),
                today: chrono::NaiveDate::from_ymd_opt(2026, 12, 8).expect("date"),
            };
            // The client goes away while the answer is computed.
            let serving = dashboards.serve(plan, scope, std::future::pending::<Answer>);
            assert!(tokio::time::timeout(Duration::from_millis(5), serving)
                .await
                .is_err());
        }
        let left = dashboards.flights.lock().expect("lock").len();
        assert_eq!(left, 0, "{left} abandoned flights kept");
    }

    #[test]
    fn a_large_variable_repeated_in_every_alias_is_not_written_out() {
        let aliases: String = (0..2000)
            .map(|i| format!("a{i}: caseFlow(year: $v) {{ year }} "))
            .collect();
        let q = format!("query($v: Int) {{ dashboard {{ {aliases} }} }}");
        let big = serde_json::json!({ "v": "x".repeat(1 << 20) });
        let started = std::time::Instant::now();
        assert_eq!(doc_of(&q, big, None), None);
        let small = serde_json::json!({ "v": "x".repeat(100) });
        assert_eq!(doc_of(&q, small, None), None, "past MAX_CANONICAL");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn a_fragment_cycle_or_blow_up_is_not_written_out() {
        let cycle = "{ dashboard { ...A } } fragment A on Dashboard { ...A }";
        assert_eq!(doc_of(cycle, serde_json::json!({}), None), None);
        let mut blow_up = String::from("{ dashboard { ...F0 } }");
        for i in 0..30 {
            blow_up.push_str(&format!(
                " fragment F{i} on Dashboard {{ ...F{n} ...F{n} }}",
                n = i + 1
            ));
        }
        blow_up.push_str(" fragment F30 on Dashboard { caseFlow { year } }");
        let started = std::time::Instant::now();
        assert_eq!(doc_of(&blow_up, serde_json::json!({}), None), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
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
