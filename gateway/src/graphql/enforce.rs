//! The one place reads and writes are decided, fed by the compiled policy.
//! The schema's extension (`schema::checks`) calls these hooks: every field
//! of every object passes through [`PolicyCheck::resolve`], so a field is
//! decided the same way whichever path reached it
//! (`placement.participant.personnummer` is `Participant.personnummer`).
//! In `reject` mode the document is checked before anything runs. When the
//! operation ends, withheld fields are listed in `extensions.redacted` and
//! the audit events are written before the answer leaves (fail closed).

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

use async_graphql::extensions::{ExtensionContext, NextResolve, ResolveInfo};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::registry::{MetaTypeName, Registry};
use async_graphql::{Name, Pos, Response, ServerError, ServerResult, Value, Variables};

use super::introspection::Introspection;
use super::RequestContext;
use crate::audit::Decision;
use crate::policy::consent::covers;
use crate::policy::file::OnDenied;
use crate::policy::{Access, Classification, Policy};
use crate::vocabulary::error::ApiError;

/// One request's check; remembers what the operation is for the audit
/// log, and what filtering introspection needs of the document.
#[derive(Default)]
pub struct PolicyCheck {
    operations: Mutex<Vec<(Option<String>, String)>>,
    introspection: Mutex<Option<Introspection>>,
}

impl PolicyCheck {
    /// The audit label of the operation that runs (`name`), or of the
    /// document's first one.
    fn operation(&self, name: Option<&str>) -> String {
        let ops = self.operations.lock().expect("operations lock");
        ops.iter()
            .find(|(n, _)| name.is_some() && n.as_deref() == name)
            .or(ops.first())
            .map(|(_, d)| d.clone())
            .unwrap_or_default()
    }

    /// After parsing: remembers the operations for the audit log (and the
    /// document's fragments and variables if it asks for introspection)
    /// and, in `reject` mode, refuses a document that asks for a denied
    /// field.
    pub async fn after_parse(
        &self,
        ctx: &ExtensionContext<'_>,
        doc: &ExecutableDocument,
        variables: &Variables,
    ) -> ServerResult<()> {
        *self.operations.lock().expect("operations lock") = describe(doc);
        *self.introspection.lock().expect("introspection lock") = Introspection::of(doc, variables);
        let Some(rc) = ctx.data_opt::<RequestContext>() else {
            return Ok(());
        };
        if rc.policy.on_denied == OnDenied::Reject {
            let registry = &ctx.schema_env.registry;
            let mut denied = BTreeSet::new();
            for (_, op) in doc.operations.iter() {
                let root = match op.node.ty {
                    OperationType::Query => "Query",
                    OperationType::Mutation => "Mutation",
                    OperationType::Subscription => "Subscription",
                };
                let mut walk = Walk {
                    doc,
                    registry,
                    policy: &rc.policy,
                    access: &rc.access,
                    denied: &mut denied,
                    depth: 0,
                    seen: HashSet::new(),
                };
                walk.selection_set(root, &op.node.selection_set.node);
            }
            if let Some(first) = denied.iter().next() {
                let api = if rc.access.signed_in {
                    ApiError::ForbiddenField(format!(
                        "the policy does not let you read {first}; the operation was not run (denied: {})",
                        denied.iter().cloned().collect::<Vec<_>>().join(", ")
                    ))
                } else {
                    ApiError::Unauthenticated("sign in with your agency's identity provider".into())
                };
                let personal: Vec<String> = denied
                    .iter()
                    .filter(|name| {
                        name.split_once('.')
                            .is_some_and(|(t, f)| rc.policy.audited_when_refused(t, f))
                    })
                    .cloned()
                    .collect();
                if !personal.is_empty() {
                    let operation = self.operation(None);
                    if let Some(event) =
                        rc.audit_event(operation, Decision::Denied, Vec::new(), personal)
                    {
                        if let Err(e) = rc.services.audit.record(rc.db(), &[event]).await {
                            tracing::error!(error = %e, "audit log unavailable; refusal not recorded");
                        }
                    }
                }
                return Err(error(api));
            }
        }
        Ok(())
    }

    /// Decides one field: null with an error at its path when denied,
    /// otherwise resolves it (`next`) and notes a personal field as read.
    pub async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        // List items, introspection's own types and `__typename` are not fields of ours.
        if info.is_for_introspection
            || info.parent_type.starts_with('[')
            || info.parent_type.starts_with("__")
        {
            return next.run(ctx, info).await;
        }
        let Some(rc) = ctx.data_opt::<RequestContext>() else {
            return next.run(ctx, info).await;
        };
        if info.name == "__schema" || info.name == "__type" {
            let field = info.field;
            let value = next.run(ctx, info).await?;
            let doc = self.introspection.lock().expect("introspection lock");
            return Ok(value.map(|v| match doc.as_ref() {
                Some(doc) => doc.filter(v, field, &rc.policy, &rc.access),
                // Parsed without this check: show nothing rather than all.
                None => Value::Null,
            }));
        }
        let Some(field) = rc.policy.field(info.parent_type, info.name).copied() else {
            // Not in the schema the policy was compiled from: deny.
            return Ok(deny(
                rc,
                &info,
                ApiError::ForbiddenField("not in the policy".into()),
            ));
        };
        let is_write = info.parent_type == "Mutation";
        if !rc.access.allows(info.parent_type, &field) {
            let name = rc.policy.name(field.id);
            let api = match (rc.access.signed_in, is_write) {
                (false, _) => {
                    ApiError::Unauthenticated("sign in with your agency's identity provider".into())
                }
                (true, true) => {
                    ApiError::Forbidden(format!("the policy does not let you run {name}"))
                }
                (true, false) => {
                    ApiError::ForbiddenField(format!("the policy does not let you read {name}"))
                }
            };
            return Ok(deny(rc, &info, api));
        }
        if let Some(class) = field.class {
            if let Err(api) = row_rule(rc, &info, class).await {
                return Ok(deny(rc, &info, api));
            }
        }
        if !is_write && field.class.is_none() {
            return next.run(ctx, info).await;
        }
        let result = next.run(ctx, info).await;
        if result.is_ok() && field.class.is_some() {
            rc.ledger.read(field.id, rc.policy.field_count());
        }
        if let Err(e) = &result {
            let name = rc.policy.name(field.id);
            // A write the data's own rules refused (another agency's
            // records, a consent releasing another agency's information) is
            // an attempt on personal data: audited as denied, like the
            // policy's own refusals. Any other failure of a write or of a
            // personal read (bad input, not found: a lookup that guessed
            // wrong) is an attempt too, audited as failed.
            if is_write && matches!(e.source::<ApiError>(), Some(ApiError::Forbidden(_))) {
                rc.ledger.refused(name);
            } else {
                rc.ledger.failed(name);
            }
        }
        result
    }

    /// After the operation ran: the `redacted` list and the withheld
    /// fields' errors go into `response`, and the audit events are written;
    /// if they cannot be, the answer is replaced by an INTERNAL error.
    pub async fn finish(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        mut response: Response,
    ) -> Response {
        let Some(rc) = ctx.data_opt::<RequestContext>() else {
            return response;
        };
        let summary = rc.ledger.finish();
        if !summary.redactions.is_empty() {
            let list = summary
                .redactions
                .iter()
                .map(|r| {
                    let mut m = async_graphql::indexmap::IndexMap::new();
                    m.insert(
                        Name::new("path"),
                        Value::List(
                            r.path
                                .iter()
                                .map(|s| match s {
                                    async_graphql::PathSegment::Field(f) => Value::from(f.as_str()),
                                    async_graphql::PathSegment::Index(i) => Value::from(*i as i32),
                                })
                                .collect(),
                        ),
                    );
                    m.insert(Name::new("field"), Value::from(r.field.as_str()));
                    m.insert(Name::new("code"), Value::from(r.code.as_str()));
                    Value::Object(m)
                })
                .collect();
            response
                .extensions
                .insert("redacted".into(), Value::List(list));
        }
        response.errors.extend(summary.errors.iter().cloned());
        if rc.principal.is_none() || !summary.personal {
            return response;
        }
        let operation = self.operation(operation_name);
        let mut events = Vec::new();
        if let Some(read) = &summary.read {
            let fields = read
                .ones()
                .map(|id| rc.policy.name(id).to_string())
                .collect();
            let decision = if summary.withheld.is_empty() {
                Decision::Allowed
            } else {
                Decision::Redacted
            };
            events.extend(rc.audit_event(
                operation.clone(),
                decision,
                summary.participants.clone(),
                fields,
            ));
        }
        if !summary.withheld.is_empty() {
            events.extend(rc.audit_event(
                operation,
                Decision::Denied,
                summary.withheld_from.clone(),
                summary.withheld.clone(),
            ));
        }
        if !summary.failed.is_empty() {
            events.extend(rc.audit_event(
                self.operation(operation_name),
                Decision::Failed,
                Vec::new(),
                summary.failed.clone(),
            ));
        }
        if let Err(e) = rc.services.audit.record(rc.db(), &events).await {
            // Fail closed: what cannot be audited is not shown.
            tracing::error!(error = %e, "audit log unavailable; personal data withheld");
            let mut refused = Response::new(Value::Null);
            refused
                .errors
                .push(error(ApiError::internal(format!("audit: {e}"))));
            return refused;
        }
        response
    }
}

fn error(api: ApiError) -> ServerError {
    async_graphql::Error::new_with_source(api).into_server_error(Pos::default())
}

/// Refuses one field: null in the answer, the error at its path.
fn deny(rc: &RequestContext, info: &ResolveInfo<'_>, api: ApiError) -> Option<Value> {
    let code = api.code();
    let personal = rc.policy.audited_when_refused(info.parent_type, info.name);
    let participant = personal
        .then(|| rc.ledger.row_of(info.path_node).and_then(|r| r.participant))
        .flatten();
    let name = format!("{}.{}", info.parent_type, info.name);
    rc.ledger.withhold(
        info.path_node,
        &name,
        error(api),
        code,
        participant,
        personal,
    );
    Some(Value::Null)
}

/// Rules that depend on the row a field belongs to.
async fn row_rule(
    rc: &RequestContext,
    info: &ResolveInfo<'_>,
    class: Classification,
) -> Result<(), ApiError> {
    let category = match class {
        Classification::Personal => return Ok(()),
        Classification::Identity => None,
        Classification::Consent(c) => Some(c),
    };
    let Some(p) = rc.principal.as_ref() else {
        return Err(ApiError::Unauthenticated("sign in".into()));
    };
    let Some(row) = rc.ledger.row_of(info.path_node) else {
        // A field decided per row, outside any known row: deny.
        tracing::error!(
            field = %format!("{}.{}", info.parent_type, info.name),
            "personal field without a row context; denied"
        );
        return Err(ApiError::ForbiddenField(
            "cannot tell whose data this is".into(),
        ));
    };
    if class == Classification::Identity
        && !crate::policy::identity::shown(row.protected, row.owning_unit, p.unit_id)
    {
        return Err(ApiError::ForbiddenField(
            "protected identity: shown only to the owning unit".into(),
        ));
    }
    if let Some(category) = category {
        // Information of a consent category is some agency's to release;
        // when the row cannot tell whose, nobody's consent can cover it.
        let owner = row.owner.ok_or_else(|| {
            ApiError::ForbiddenField("cannot tell whose information this is".into())
        })?;
        if owner != p.agency_id {
            let participant = row
                .participant
                .ok_or_else(|| ApiError::ForbiddenField("cannot tell whose data this is".into()))?;
            let question = (participant, owner, row.case, category);
            let covered = match rc.ledger.consent_decided(&question) {
                Some(covered) => covered,
                None => {
                    let consents = rc
                        .loaders
                        .participant_consents
                        .load_one(participant)
                        .await
                        .map_err(super::context::load_err)?
                        .unwrap_or_default();
                    let today = rc.services.clock.today();
                    let covered = covers(&consents, owner, p.agency_id, category, row.case, today);
                    rc.ledger.remember_consent(question, covered);
                    covered
                }
            };
            if !covered {
                return Err(ApiError::ConsentRequired(format!(
                    "another agency's {} information needs the participant's consent",
                    crate::policy::consent::category_label(category)
                )));
            }
        }
    }
    Ok(())
}

/// `(operation name, "query CasePage (cases)")` for each operation in the document.
fn describe(doc: &ExecutableDocument) -> Vec<(Option<String>, String)> {
    doc.operations
        .iter()
        .map(|(name, op)| {
            let ty = match op.node.ty {
                OperationType::Query => "query",
                OperationType::Mutation => "mutation",
                OperationType::Subscription => "subscription",
            };
            let mut roots = Vec::new();
            root_fields(
                doc,
                &op.node.selection_set.node,
                &mut roots,
                &mut HashSet::new(),
            );
            let label = match name {
                Some(n) => format!("{ty} {n} ({})", roots.join(", ")),
                None => format!("{ty} ({})", roots.join(", ")),
            };
            (name.map(|n| n.to_string()), label)
        })
        .collect()
}

/// The root fields an operation runs, in document order, each once: the
/// ones it names and the ones its fragments (spread or inline) name, so a
/// document whose root is a fragment is still audited as what it reads.
fn root_fields(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    out: &mut Vec<String>,
    spread: &mut HashSet<String>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let name = f.node.name.node.to_string();
                if !out.contains(&name) {
                    out.push(name);
                }
            }
            Selection::InlineFragment(f) => {
                root_fields(doc, &f.node.selection_set.node, out, spread);
            }
            Selection::FragmentSpread(f) => {
                let name = f.node.fragment_name.node.to_string();
                // Each fragment once: a fragment spread twice adds nothing,
                // and a cycle (refused by validation later) must not loop.
                if !spread.insert(name) {
                    continue;
                }
                if let Some(fragment) = doc.fragments.get(&f.node.fragment_name.node) {
                    root_fields(doc, &fragment.node.selection_set.node, out, spread);
                }
            }
        }
    }
}

/// Walks a document before it runs, collecting the fields the caller may
/// not use (for `on_denied = "reject"`).
struct Walk<'a> {
    doc: &'a ExecutableDocument,
    registry: &'a Registry,
    policy: &'a Policy,
    access: &'a Access,
    denied: &'a mut BTreeSet<String>,
    depth: usize,
    /// Selection sets already walked, by the type they were walked as: the
    /// same set gives the same answer, and a document spreading a fragment
    /// twice in each of a chain of fragments would otherwise cost 2^n
    /// (this runs before validation and its limits).
    seen: HashSet<(String, *const SelectionSet)>,
}

impl Walk<'_> {
    fn selection_set(&mut self, ty: &str, set: &SelectionSet) {
        // Fragments may refer to each other (validation, later, refuses
        // cycles): a set walked once is not walked again, and the depth is
        // bounded for a deeply nested document.
        if self.depth > 64 || !self.seen.insert((ty.to_string(), std::ptr::from_ref(set))) {
            return;
        }
        self.depth += 1;
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let name = f.node.name.node.as_str();
                    if name.starts_with("__") {
                        continue;
                    }
                    if let Some(info) = self.policy.field(ty, name) {
                        if !self.access.allows(ty, info) {
                            self.denied.insert(format!("{ty}.{name}"));
                        }
                    }
                    let child = self
                        .registry
                        .types
                        .get(ty)
                        .and_then(|t| t.field_by_name(name))
                        .map(|f| MetaTypeName::concrete_typename(&f.ty).to_string());
                    if let Some(child) = child {
                        self.selection_set(&child, &f.node.selection_set.node);
                    }
                }
                Selection::InlineFragment(frag) => {
                    let on = frag
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.to_string())
                        .unwrap_or_else(|| ty.to_string());
                    self.selection_set(&on, &frag.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(frag) = self.doc.fragments.get(&spread.node.fragment_name.node) {
                        let on = frag.node.type_condition.node.on.node.to_string();
                        self.selection_set(&on, &frag.node.selection_set.node);
                    }
                }
            }
        }
        self.depth -= 1;
    }
}
