//! The field policy's enforcement over every field reachable from a shared
//! case, for every role of every demo agency. Where `permissions.rs` checks
//! a hand-picked matrix, this test generates its query from the schema
//! (every field of `Case` and, recursively, of the object types it
//! reaches) and takes the compiled shipped policy as the oracle, so a field
//! added to the schema is checked without anyone remembering to list it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use gateway::auth::{Principal, Role};
use gateway::policy::{Access, Classification, Policy};
use serde_json::{json, Map, Value};
use tests::TestApp;

const POLICY: &str = include_str!("../../deploy/policy.toml");

/// Every role of every demo agency, with the subject its token carries.
/// A coach sees only the cases they are on, so Lund's coach is the seeded
/// demo coach; officers see their agency's cases whoever they are.
const CALLERS: &[(&str, &str, &str)] = &[
    ("lund", "coach", gateway::demo::DEMO_COACH),
    ("lund", "officer", gateway::demo::DEMO_LUND_OFFICER),
    (
        "lund",
        "placement_coordinator",
        gateway::demo::DEMO_PLACEMENT_COORDINATOR,
    ),
    ("lund", "integrator", "lund-system"),
    ("af", "officer", gateway::demo::DEMO_AF_OFFICER),
    ("af", "integrator", "af-system"),
    ("fk", "officer", gateway::demo::DEMO_FK_OFFICER),
    ("fk", "integrator", "fk-system"),
    ("region", "officer", "region-officer-001"),
    ("finsam", "analyst", gateway::demo::DEMO_ANALYST),
    ("audit", "auditor", gateway::demo::DEMO_AUDITOR),
];

/// Classified fields of types the query reaches that the generated query
/// does not select, each with the reason. The test asserts this list is
/// exact, so a new classified field cannot drop out of the check unseen.
const NOT_SELECTED: &[(&str, &str)] = &[
    // Leads back to `Case`, already on the path (cycle rule).
    ("Participant.cases", "cycle: Case is on the path"),
    // Leads back to `Placement`, already on the path (cycle rule).
    (
        "PlacementSlot.placements",
        "cycle: Placement is on the path",
    ),
];

/// Classified fields the seed never fills for any caller, with the reason.
/// Empty: the seed below gives every classified field a value or a
/// decision at least once.
const NEVER_FILLED: &[(&str, &str)] = &[];

/// Object types whose rows belong to another agency: their lists on `Case`
/// are filtered by consent (CONSENT_REQUIRED at the list's path).
const RECORD_TYPES: &[&str] = &["EmploymentServiceRecord", "SocialInsuranceRecord"];

/// One field of an object type, as the SDL declares it.
#[derive(Debug, Clone)]
struct SdlField {
    name: String,
    /// The named type, without list and non-null wrappers.
    ty: String,
    /// An argument that is non-null and has no default: the field cannot
    /// be selected without inventing a value for it.
    required_args: bool,
}

/// The object types of the SDL with their fields, read by async-graphql's
/// own parser.
fn object_types(sdl: &str) -> BTreeMap<String, Vec<SdlField>> {
    use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
    fn named(ty: &Type) -> &str {
        match &ty.base {
            BaseType::Named(name) => name.as_str(),
            BaseType::List(inner) => named(inner),
        }
    }
    let doc = async_graphql::parser::parse_schema(sdl).expect("the gateway's SDL parses");
    doc.definitions
        .iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) => match &t.node.kind {
                TypeKind::Object(o) => Some((t.node.name.node.to_string(), &o.fields)),
                _ => None,
            },
            _ => None,
        })
        .map(|(name, fields)| {
            let fields = fields
                .iter()
                .map(|f| SdlField {
                    name: f.node.name.node.to_string(),
                    ty: named(&f.node.ty.node).to_string(),
                    required_args: f
                        .node
                        .arguments
                        .iter()
                        .any(|a| !a.node.ty.node.nullable && a.node.default_value.is_none()),
                })
                .collect();
            (name, fields)
        })
        .collect()
}

/// One selected field: its parent type, its name, the named type it
/// returns and, for an object type, the fields selected under it.
#[derive(Debug)]
struct Node {
    parent: String,
    field: String,
    target: String,
    children: Vec<Node>,
}

/// Every field of `ty` without required arguments, entering each object
/// type not already on `path` (so the selection is finite).
fn select(types: &BTreeMap<String, Vec<SdlField>>, ty: &str, path: &mut Vec<String>) -> Vec<Node> {
    path.push(ty.to_string());
    let mut nodes = Vec::new();
    for f in types.get(ty).expect("an object type") {
        if f.required_args {
            continue;
        }
        let children = if types.contains_key(&f.ty) {
            if path.contains(&f.ty) {
                continue;
            }
            select(types, &f.ty, path)
        } else {
            Vec::new()
        };
        nodes.push(Node {
            parent: ty.to_string(),
            field: f.name.clone(),
            target: f.ty.clone(),
            children,
        });
    }
    path.pop();
    nodes
}

/// `Query.cases(first: 30) { CaseConnection.nodes { <every Case field> } }`.
fn case_tree(types: &BTreeMap<String, Vec<SdlField>>) -> Node {
    let nodes = Node {
        parent: "CaseConnection".into(),
        field: "nodes".into(),
        target: "Case".into(),
        children: select(types, "Case", &mut Vec::new()),
    };
    Node {
        parent: "Query".into(),
        field: "cases".into(),
        target: "CaseConnection".into(),
        children: vec![nodes],
    }
}

fn render(node: &Node, out: &mut String) {
    out.push_str(&node.field);
    if node.parent == "Query" {
        out.push_str("(first: 30)");
    }
    if !node.children.is_empty() {
        out.push_str(" { ");
        for child in &node.children {
            render(child, out);
            out.push(' ');
        }
        out.push('}');
    }
}

/// Deepest selection (a leaf under `cases` is 1 + its nesting).
fn depth(node: &Node) -> usize {
    1 + node.children.iter().map(depth).max().unwrap_or(0)
}

fn all_nodes<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    out.push(node);
    for child in &node.children {
        all_nodes(child, out);
    }
}

/// The caller's rights by the oracle: `Policy::access` reads only the
/// agency and the roles, so the rest of the principal is filler.
fn access_of(policy: &Policy, agency: &str, role: &str) -> Access {
    let principal = Principal {
        agency: agency.into(),
        agency_id: uuid::Uuid::nil(),
        agency_kind: entities::enums::AgencyKind::Municipality,
        subject: "oracle".into(),
        roles: vec![Role::parse(role).expect("a known role")],
        unit: None,
        unit_id: None,
        scopes: Vec::new(),
        client: None,
        staff_id: uuid::Uuid::nil(),
    };
    policy.access(Some(&principal))
}

fn path_key(path: &[Value]) -> String {
    Value::Array(path.to_vec()).to_string()
}

/// A short excerpt of a value for a mismatch message.
fn excerpt(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s,
    }
}

/// What one answer is checked against, and what the check found.
struct Check<'a> {
    policy: &'a Policy,
    access: Access,
    caller: String,
    /// Errors by path: (index in `errors`, code).
    errors: HashMap<String, Vec<(usize, String)>>,
    /// `extensions.redacted` by path: (field, code).
    redacted: HashMap<String, Vec<(String, String)>>,
    /// Errors and redactions found at a path the walk visited.
    matched_errors: HashSet<usize>,
    visited: HashSet<String>,
    mismatches: Vec<String>,
    /// Classified `Type.field`s seen with a value or a decision.
    covered: BTreeSet<String>,
    /// `Type.field`s checked at least once for this caller.
    cells: BTreeSet<String>,
    occurrences: usize,
}

/// The items of a JSON list, none when it is absent.
fn items(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

impl<'a> Check<'a> {
    fn new(policy: &'a Policy, access: Access, caller: String, body: &Value) -> Self {
        let mut errors: HashMap<String, Vec<(usize, String)>> = HashMap::new();
        for (i, e) in items(&body["errors"]).iter().enumerate() {
            let code = e["extensions"]["code"].as_str().unwrap_or("<none>");
            let path = e["path"].as_array().cloned().unwrap_or_default();
            errors
                .entry(path_key(&path))
                .or_default()
                .push((i, code.to_string()));
        }
        let mut redacted: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for r in items(&body["extensions"]["redacted"]) {
            let path = r["path"].as_array().cloned().unwrap_or_default();
            redacted.entry(path_key(&path)).or_default().push((
                r["field"].as_str().unwrap_or("<none>").to_string(),
                r["code"].as_str().unwrap_or("<none>").to_string(),
            ));
        }
        Check {
            policy,
            access,
            caller,
            errors,
            redacted,
            matched_errors: HashSet::new(),
            visited: HashSet::new(),
            mismatches: Vec::new(),
            covered: BTreeSet::new(),
            cells: BTreeSet::new(),
            occurrences: 0,
        }
    }

    fn mismatch(&mut self, name: &str, path: &[Value], expected: &str, got: String) {
        self.mismatches.push(format!(
            "{} | {name} | {} | expected {expected} | got {got}",
            self.caller,
            path_key(path)
        ));
    }

    /// Checks every field of `node`'s selection in `object`.
    fn object(&mut self, children: &[Node], object: &Map<String, Value>, path: &[Value]) {
        for child in children {
            let mut here = path.to_vec();
            here.push(json!(child.field));
            match object.get(&child.field) {
                Some(value) => self.field(child, value, object, &here),
                None => {
                    let name = format!("{}.{}", child.parent, child.field);
                    self.mismatch(&name, &here, "the field in the answer", "absent".into());
                }
            }
        }
    }

    /// Checks one occurrence of a field against the oracle, then what is
    /// under it.
    fn field(&mut self, node: &Node, value: &Value, parent: &Map<String, Value>, path: &[Value]) {
        let name = format!("{}.{}", node.parent, node.field);
        let info = *self
            .policy
            .field(&node.parent, &node.field)
            .expect("every schema field is in the compiled policy");
        let key = path_key(path);
        self.visited.insert(key.clone());
        self.cells.insert(name.clone());
        self.occurrences += 1;
        let errors = self.errors.get(&key).cloned().unwrap_or_default();
        self.matched_errors.extend(errors.iter().map(|(i, _)| *i));
        let codes: Vec<&str> = errors.iter().map(|(_, c)| c.as_str()).collect();
        if info.class.is_some() && (!value.is_null() || !errors.is_empty()) {
            self.covered.insert(name.clone());
        }

        // Our tokens name no unit, so no caller is a protected identity's
        // owning unit: its identity fields must be refused to everyone.
        let protected_identity = node.parent == "Participant"
            && info.class == Some(Classification::Identity)
            && parent.get("protectedIdentity") == Some(&Value::Bool(true));
        if !self.access.can_read(&info) || protected_identity {
            let why = if protected_identity {
                "protected identity"
            } else {
                "not readable"
            };
            if !value.is_null() {
                self.mismatch(
                    &name,
                    path,
                    &format!("null ({why})"),
                    format!("LEAK: {}", excerpt(value)),
                );
            }
            if codes != ["FORBIDDEN_FIELD"] {
                self.mismatch(
                    &name,
                    path,
                    &format!("one FORBIDDEN_FIELD error ({why})"),
                    format!("errors {codes:?}"),
                );
            }
            let listed = self.redacted.get(&key).is_some_and(|entries| {
                entries
                    .iter()
                    .any(|(f, c)| *f == name && c == "FORBIDDEN_FIELD")
            });
            if !listed {
                self.mismatch(
                    &name,
                    path,
                    "listed in extensions.redacted with FORBIDDEN_FIELD",
                    format!("{:?}", self.redacted.get(&key)),
                );
            }
            return;
        }

        // Readable by the policy: consent may still withhold a consent
        // category, or another agency's records (at their list's path).
        let record_list = RECORD_TYPES.contains(&node.target.as_str());
        let consent_applies = matches!(info.class, Some(Classification::Consent(_)))
            || record_list
            || RECORD_TYPES.contains(&node.parent.as_str());
        for code in &codes {
            let allowed = *code == "CONSENT_REQUIRED" && consent_applies;
            if !allowed {
                self.mismatch(
                    &name,
                    path,
                    "no error (readable)",
                    format!("{code}; value {}", excerpt(value)),
                );
            }
        }
        if codes.contains(&"CONSENT_REQUIRED") {
            // A withheld value is null; a record list keeps the rows the
            // consents do release.
            if !record_list && !value.is_null() {
                self.mismatch(
                    &name,
                    path,
                    "null with CONSENT_REQUIRED",
                    format!("LEAK: {}", excerpt(value)),
                );
            }
            let listed = self
                .redacted
                .get(&key)
                .is_some_and(|entries| entries.iter().any(|(_, c)| c == "CONSENT_REQUIRED"));
            if !listed {
                self.mismatch(
                    &name,
                    path,
                    "listed in extensions.redacted with CONSENT_REQUIRED",
                    format!("{:?}", self.redacted.get(&key)),
                );
            }
        }
        self.value(node, value, path);
    }

    /// Descends into an object or the items of a list.
    fn value(&mut self, node: &Node, value: &Value, path: &[Value]) {
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let mut here = path.to_vec();
                    here.push(json!(i));
                    self.value(node, item, &here);
                }
            }
            Value::Object(object) => self.object(&node.children, object, path),
            _ => {}
        }
    }

    /// Errors and redactions at paths the walk never reached: something
    /// was refused or failed that the selection does not account for.
    fn leftovers(&mut self, body: &Value) {
        for (i, e) in items(&body["errors"]).iter().enumerate() {
            if !self.matched_errors.contains(&i) {
                self.mismatches.push(format!(
                    "{} | error at an unvisited path | {} | expected none | got {}",
                    self.caller,
                    e["path"],
                    excerpt(e)
                ));
            }
        }
        let stray: Vec<String> = self
            .redacted
            .keys()
            .filter(|k| !self.visited.contains(*k) || !self.errors.contains_key(*k))
            .cloned()
            .collect();
        for k in stray {
            self.mismatches.push(format!(
                "{} | redacted without an error at a visited path | {k} | expected none | got {:?}",
                self.caller, self.redacted[&k]
            ));
        }
    }
}

#[tokio::test]
async fn every_personal_field_under_a_case_is_enforced_for_every_role() {
    let policy =
        Policy::compile(POLICY, gateway::graphql::shape()).expect("the shipped policy compiles");
    let types = object_types(&gateway::graphql::sdl());
    let tree = case_tree(&types);
    let mut query = String::from("{ ");
    render(&tree, &mut query);
    query.push_str(" }");
    let mut nodes = Vec::new();
    all_nodes(&tree, &mut nodes);
    // Each selected field costs 1 per case of the page (30 per field);
    // allow 40 per field so the limits never refuse the query under test.
    let (query_depth, fields) = (depth(&tree), nodes.len());
    let app = TestApp::builder()
        .configure(move |c| {
            c.limits.max_depth = c.limits.max_depth.max(query_depth + 2);
            c.limits.max_cost = c.limits.max_cost.max(40 * fields);
        })
        .start()
        .await;
    // Enough people that every relation (placements, records, consents,
    // enrolments...) has rows on each caller's first page.
    app.seed(300, 7).await;

    let mut mismatches = Vec::new();
    let mut covered = BTreeSet::new();
    let (mut cells, mut occurrences) = (0, 0);
    for (agency, role, subject) in CALLERS {
        let access = access_of(&policy, agency, role);
        let caller = format!("{agency}/{role}");
        let token = app.token(agency, role, subject);
        let answer = app.graphql(Some(&token), &query, json!({})).await;
        assert_eq!(answer.status, 200, "{caller}: {:#}", answer.body);
        let mut check = Check::new(&policy, access.clone(), caller.clone(), &answer.body);
        let data = answer.data().as_object().cloned().unwrap_or_default();
        check.object(std::slice::from_ref(&tree), &data, &[]);
        check.leftovers(&answer.body);

        let cases = policy.field("Query", "cases").expect("Query.cases");
        if access.can_read(cases) {
            // A caller with an empty first page would check nothing.
            let page = answer.data()["cases"]["nodes"]
                .as_array()
                .map_or(0, Vec::len);
            if page == 0 {
                check.mismatches.push(format!(
                    "{caller} | Query.cases | [\"cases\"] | expected cases | got none"
                ));
            }
        } else {
            // Refused at the root: FORBIDDEN_FIELD there and nothing else.
            let errors = answer.errors();
            let only_root = errors.len() == 1
                && errors[0]["path"] == json!(["cases"])
                && errors[0]["extensions"]["code"] == "FORBIDDEN_FIELD"
                && answer.data()["cases"].is_null();
            if !only_root {
                check.mismatches.push(format!(
                    "{caller} | Query.cases | [\"cases\"] | expected only FORBIDDEN_FIELD at cases | got {}",
                    excerpt(&answer.body)
                ));
            }
        }
        let mut codes: BTreeMap<String, usize> = BTreeMap::new();
        for code in answer.codes() {
            *codes.entry(code).or_default() += 1;
        }
        eprintln!(
            "{caller}: {} cases, {} fields checked, errors {codes:?}",
            answer.data()["cases"]["nodes"]
                .as_array()
                .map_or(0, Vec::len),
            check.occurrences
        );
        cells += check.cells.len();
        occurrences += check.occurrences;
        covered.extend(check.covered);
        mismatches.extend(check.mismatches);
    }

    // Coverage: every classified field the query selects was seen with a
    // value or a decision for some caller, and every classified field of
    // the types under `Case` is either selected or listed in NOT_SELECTED.
    let selected: BTreeSet<String> = nodes
        .iter()
        .map(|n| format!("{}.{}", n.parent, n.field))
        .collect();
    let classified = |ty: &str, field: &str| {
        policy
            .field(ty, field)
            .is_some_and(|info| info.class.is_some())
    };
    let required: BTreeSet<String> = nodes
        .iter()
        .filter(|n| classified(&n.parent, &n.field))
        .map(|n| format!("{}.{}", n.parent, n.field))
        .filter(|name| !NEVER_FILLED.iter().any(|(f, _)| f == name))
        .collect();
    let missing: Vec<&String> = required.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "classified fields never seen with a value or a decision: {missing:?}"
    );
    let reached: BTreeSet<&str> = nodes
        .iter()
        .filter(|n| n.parent != "Query" && n.parent != "CaseConnection")
        .map(|n| n.parent.as_str())
        .collect();
    let unselected: BTreeSet<String> = reached
        .iter()
        .flat_map(|ty| {
            types[*ty]
                .iter()
                .filter(|f| classified(ty, &f.name))
                .map(move |f| format!("{ty}.{}", f.name))
        })
        .filter(|name| !selected.contains(name))
        .collect();
    let listed: BTreeSet<String> = NOT_SELECTED.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(
        unselected, listed,
        "classified fields the query does not select must be exactly NOT_SELECTED"
    );

    eprintln!(
        "field matrix: {} callers, {fields} selected fields (depth {query_depth}), {cells} (caller, field) cells, {occurrences} occurrences, {} classified fields covered",
        CALLERS.len(),
        covered.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches (caller | Type.field | path | expected | got):\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
