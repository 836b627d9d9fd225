//! Introspection shows each caller only what their policy lets them use,
//! so a client generated from it never offers a field that is always
//! denied. Row-dependent rules (consent, protected identity) cannot be
//! known ahead; those fields stay, and are nullable. The full schema is
//! `gateway/schema.graphql`.

use std::collections::HashSet;

use async_graphql::{Name, Value};

use super::compile::{Access, Policy};

/// Filters the value of `__schema` or `__type` (`asked`: the type name
/// `__type` was called with, when it was written in the document).
pub fn filter(value: Value, asked: Option<&str>, policy: &Policy, access: &Access) -> Value {
    match value {
        Value::Object(mut schema) if schema.contains_key("types") => {
            let mut dropped = HashSet::new();
            if let Some(Value::List(types)) = schema.get_mut("types") {
                for t in types.iter_mut() {
                    if !filter_fields(t, None, policy, access) {
                        if let Some(name) = name_of(t) {
                            dropped.insert(name.to_string());
                        }
                    }
                }
                types.retain(|t| name_of(t).is_none_or(|n| !dropped.contains(n)));
                // A field whose type was dropped cannot be used either.
                for t in types.iter_mut() {
                    if let Value::Object(obj) = t {
                        if let Some(Value::List(fields)) = obj.get_mut("fields") {
                            fields.retain(|f| field_type(f).is_none_or(|n| !dropped.contains(n)));
                        }
                    }
                }
            }
            if dropped.contains("Mutation") {
                if let Some(m) = schema.get_mut("mutationType") {
                    *m = Value::Null;
                }
            }
            Value::Object(schema)
        }
        // `__type(name:)`: one type.
        mut t @ Value::Object(_) => {
            if filter_fields(&mut t, asked, policy, access) {
                t
            } else {
                Value::Null
            }
        }
        other => other,
    }
}

/// Keeps the fields the caller may use; false when an object type of ours
/// is left with none (it is then hidden; `Query` always stays).
fn filter_fields(t: &mut Value, asked: Option<&str>, policy: &Policy, access: &Access) -> bool {
    let Some(name) = name_of(t).or(asked).map(str::to_string) else {
        // Fields were selected but not whose they are: show none of them.
        return !matches!(t, Value::Object(o) if o.contains_key("fields"));
    };
    let Value::Object(obj) = t else { return true };
    let Some(Value::List(fields)) = obj.get_mut("fields") else {
        return true;
    };
    let before = fields.len();
    fields.retain(|f| {
        let Some(field) = name_of(f) else { return true };
        match policy.field(&name, field) {
            None => true,
            Some(info) if name == "Mutation" => access.can_write(info),
            Some(info) => access.can_read(info),
        }
    });
    !(fields.is_empty() && before > 0 && name != "Query")
}

fn name_of(v: &Value) -> Option<&str> {
    match v {
        Value::Object(o) => match o.get("name") {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// The named type of a field's `type { kind name ofType { ... } }`.
fn field_type(f: &Value) -> Option<&str> {
    let Value::Object(o) = f else { return None };
    let mut t = o.get(&Name::new("type"))?;
    loop {
        let Value::Object(obj) = t else { return None };
        match obj.get("ofType") {
            Some(inner @ Value::Object(_)) => t = inner,
            _ => return name_of(t),
        }
    }
}
