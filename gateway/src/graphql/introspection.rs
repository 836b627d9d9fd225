//! Introspection shows each caller only what their policy lets them use,
//! so a client generated from it never offers a field that is always
//! denied. Row-dependent rules (consent, protected identity) cannot be
//! known ahead; those fields stay, and are nullable. The full schema is
//! `gateway/schema.graphql`.
//!
//! The answer to `__schema` or `__type` is filtered with the document that
//! asked for it at hand: a client chooses the answer's keys (aliases) and
//! may reach a type's fields through fragments or through another type
//! (`ofType`, `possibleTypes`, a field's `type`), so keys are read through
//! the selections that made them, never by their usual names. Where the
//! answer does not say which type or field an entry is (its `name` was not
//! asked for), the entry is left out: deny unless allowed.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    ExecutableDocument, Field, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Value, Variables};

use crate::policy::{Access, Policy};

/// Fragments nest no deeper than this here (validation has refused cycles
/// before anything resolves; this only bounds the walk).
const MAX_DEPTH: usize = 32;

/// What the filter needs of a document that asks for introspection: its
/// fragments (the usual introspection query spreads `...FullType` and
/// `...TypeRef`) and its variables (`__type(name: $name)`).
pub struct Introspection {
    fragments: HashMap<Name, Positioned<FragmentDefinition>>,
    variables: Variables,
}

impl Introspection {
    /// `Some` when the document asks for `__schema` or `__type` anywhere;
    /// other documents cost nothing here.
    pub fn of(doc: &ExecutableDocument, variables: &Variables) -> Option<Introspection> {
        let sets = doc
            .operations
            .iter()
            .map(|(_, op)| &op.node.selection_set.node)
            .chain(doc.fragments.values().map(|f| &f.node.selection_set.node));
        let mut asks = false;
        for set in sets {
            asks |= asks_introspection(set, 0);
        }
        asks.then(|| Introspection {
            fragments: doc.fragments.clone(),
            variables: variables.clone(),
        })
    }

    /// Filters the value of the `__schema` or `__type` field `field`.
    pub fn filter(
        &self,
        mut value: Value,
        field: &Field,
        policy: &Policy,
        access: &Access,
    ) -> Value {
        let walk = Walk {
            fragments: &self.fragments,
            policy,
            access,
        };
        let sets = [&field.selection_set.node];
        match field.name.node.as_str() {
            "__schema" => {
                walk.schema(&mut value, &sets);
                value
            }
            _ => {
                let asked = field
                    .get_argument("name")
                    .and_then(|v| {
                        v.node
                            .clone()
                            .into_const_with(|n| self.variables.get(&n).cloned().ok_or(()))
                            .ok()
                    })
                    .and_then(|v| match v {
                        Value::String(s) => Some(s),
                        _ => None,
                    });
                match walk.ty(&mut value, &sets, asked.as_deref()) {
                    Some(name) if policy.type_usable(&name, access) => value,
                    _ => Value::Null,
                }
            }
        }
    }
}

fn asks_introspection(set: &SelectionSet, depth: usize) -> bool {
    depth < MAX_DEPTH
        && set.items.iter().any(|s| match &s.node {
            Selection::Field(f) => {
                matches!(f.node.name.node.as_str(), "__schema" | "__type")
                    || asks_introspection(&f.node.selection_set.node, depth + 1)
            }
            Selection::InlineFragment(i) => {
                asks_introspection(&i.node.selection_set.node, depth + 1)
            }
            Selection::FragmentSpread(_) => false,
        })
}

/// One entry of an answer object: its key, the field it answers, and the
/// selections below it (merged when the document asks for it twice).
struct Key<'a> {
    key: &'a str,
    /// Empty when the document puts two different fields under this key
    /// (one of them behind `@skip`, say): which one answered cannot be
    /// told, so the entry counts as unknown.
    field: &'a str,
    below: Vec<&'a SelectionSet>,
}

struct Walk<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    policy: &'a Policy,
    access: &'a Access,
}

impl<'a> Walk<'a> {
    /// The entries `sets` ask for, through fragments and inline fragments.
    fn keys(&self, sets: &[&'a SelectionSet]) -> Vec<Key<'a>> {
        let mut keys: Vec<Key<'a>> = Vec::new();
        let mut spread = HashSet::new();
        for set in sets {
            self.collect(set, &mut keys, &mut spread, 0);
        }
        keys
    }

    /// Adds the entries of `set`. A fragment spread again at this level
    /// adds nothing new, so it is read once (`spread`).
    fn collect(
        &self,
        set: &'a SelectionSet,
        keys: &mut Vec<Key<'a>>,
        spread: &mut HashSet<&'a Name>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        for s in &set.items {
            match &s.node {
                Selection::Field(f) => {
                    let key = f.node.response_key().node.as_str();
                    let field = f.node.name.node.as_str();
                    let below = &f.node.selection_set.node;
                    match keys.iter_mut().find(|k| k.key == key) {
                        Some(k) => {
                            if k.field != field {
                                k.field = "";
                            }
                            k.below.push(below);
                        }
                        None => keys.push(Key {
                            key,
                            field,
                            below: vec![below],
                        }),
                    }
                }
                Selection::InlineFragment(i) => {
                    self.collect(&i.node.selection_set.node, keys, spread, depth + 1)
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    if let Some(def) = self.fragments.get(name) {
                        if spread.insert(name) {
                            self.collect(&def.node.selection_set.node, keys, spread, depth + 1);
                        }
                    }
                }
            }
        }
    }

    /// `__Schema`: drops the types the caller cannot use, and the fields
    /// that lead to them; `mutationType` is null without a mutation to run.
    fn schema(&self, v: &mut Value, sets: &[&'a SelectionSet]) {
        let Value::Object(obj) = v else { return };
        for k in self.keys(sets) {
            let Some(value) = obj.get_mut(k.key) else {
                continue;
            };
            match k.field {
                "types" => {
                    let Value::List(types) = value else { continue };
                    let mut dropped = HashSet::new();
                    types.retain_mut(|t| match self.ty(t, &k.below, None) {
                        Some(name) if self.policy.type_usable(&name, self.access) => true,
                        Some(name) => {
                            dropped.insert(name);
                            false
                        }
                        // An entry that does not say which type it is.
                        None => false,
                    });
                    // A field whose type was dropped cannot be used either.
                    for t in types.iter_mut() {
                        self.drop_fields_of_type(t, &k.below, &dropped);
                    }
                }
                "queryType" | "mutationType" | "subscriptionType" => {
                    let root = match k.field {
                        "queryType" => "Query",
                        "mutationType" => "Mutation",
                        _ => "Subscription",
                    };
                    if matches!(value, Value::Null) {
                        continue;
                    }
                    match self.ty(value, &k.below, Some(root)) {
                        Some(name) if self.policy.type_usable(&name, self.access) => {}
                        _ => *value = Value::Null,
                    }
                }
                _ => {}
            }
        }
    }

    /// `__Type`: keeps the fields the caller may use, and filters the types
    /// reachable from it. Returns the type's name (`known` when the
    /// document gave it, as `__type(name:)` or a root type does), or `None`
    /// when the answer does not say which type this is.
    fn ty(&self, v: &mut Value, sets: &[&'a SelectionSet], known: Option<&str>) -> Option<String> {
        let keys = self.keys(sets);
        let Value::Object(obj) = v else {
            return known.map(str::to_string);
        };
        let name = keys
            .iter()
            .find(|k| k.field == "name")
            .and_then(|k| match obj.get(k.key) {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            })
            .or(known.map(str::to_string));
        for k in &keys {
            let Some(value) = obj.get_mut(k.key) else {
                continue;
            };
            match k.field {
                "fields" => {
                    let Value::List(fields) = value else { continue };
                    let field_keys = self.keys(&k.below);
                    let field_name = field_keys.iter().find(|f| f.field == "name").map(|f| f.key);
                    fields.retain(|f| match (&name, field_name, f) {
                        (Some(ty), Some(key), Value::Object(o)) => match o.get(key) {
                            Some(Value::String(field)) => self.usable(ty, field),
                            _ => false,
                        },
                        // Whose field, or which one, the answer does not say.
                        _ => false,
                    });
                    for f in fields.iter_mut() {
                        self.field(f, &k.below);
                    }
                }
                "ofType" | "interfaces" | "possibleTypes" => match value {
                    Value::List(types) => {
                        for t in types.iter_mut() {
                            self.ty(t, &k.below, None);
                        }
                    }
                    t @ Value::Object(_) => {
                        self.ty(t, &k.below, None);
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        name
    }

    /// `__Field`: the type it returns may list fields of its own.
    fn field(&self, v: &mut Value, sets: &[&'a SelectionSet]) {
        let Value::Object(obj) = v else { return };
        for k in self.keys(sets) {
            if k.field == "type" {
                if let Some(t) = obj.get_mut(k.key) {
                    self.ty(t, &k.below, None);
                }
            }
        }
    }

    /// Takes from type `t` the fields whose (named) type was dropped.
    fn drop_fields_of_type(
        &self,
        t: &mut Value,
        sets: &[&'a SelectionSet],
        dropped: &HashSet<String>,
    ) {
        if dropped.is_empty() {
            return;
        }
        let Value::Object(obj) = t else { return };
        for k in self.keys(sets) {
            if k.field != "fields" {
                continue;
            }
            if let Some(Value::List(fields)) = obj.get_mut(k.key) {
                fields.retain(|f| {
                    self.named_type(f, &k.below)
                        .is_none_or(|n| !dropped.contains(&n))
                });
            }
        }
    }

    /// The named type of a `__Field`, through `type { ofType { ... } }`.
    fn named_type(&self, f: &Value, sets: &[&'a SelectionSet]) -> Option<String> {
        let mut v = f;
        let mut keys = self.keys(sets);
        let ty = keys.iter().find(|k| k.field == "type")?;
        let Value::Object(o) = v else { return None };
        v = o.get(ty.key)?;
        keys = self.keys(&ty.below);
        for _ in 0..MAX_DEPTH {
            let Value::Object(o) = v else { return None };
            if let Some(inner) = keys.iter().find(|k| k.field == "ofType").and_then(|k| {
                o.get(k.key)
                    .filter(|x| !matches!(x, Value::Null))
                    .map(|x| (x, k))
            }) {
                let (x, k) = inner;
                v = x;
                keys = self.keys(&k.below);
                continue;
            }
            let name = keys.iter().find(|k| k.field == "name")?;
            return match o.get(name.key) {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            };
        }
        None
    }

    fn usable(&self, ty: &str, field: &str) -> bool {
        self.policy
            .field(ty, field)
            .is_none_or(|info| self.access.allows(ty, info))
    }
}
